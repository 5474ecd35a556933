"""The model the templates read: the site as the release decision made it, and its small values.

:class:`SiteModel` is everything a page may show; the build (``site.py``) fills it in stages and
hands it to the writers, which only read it: the Pelican plugin (pages), ``opendata.py``
(downloads and catalogues) and ``feeds.py`` (feeds and sitemap). This module imports none of
them, so the writers depend on the model and the build on the writers, never the other way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable
from zoneinfo import ZoneInfo

from .config import Rules
from .content import CATEGORIES, DATA_STATUSES, FREQUENCIES, Content, Dataset, Item
from .release import Release

if TYPE_CHECKING:
    # pandas and plotly load only when the build draws charts (see site.py)
    from .charts import RenderedChart

LANGS = ("zh", "en")

# Why a version was published. Same ids as the approval workflow (``workflow.REASONS``).
REASONS: dict[str, tuple[str, str]] = {
    "initial": ("首次发布", "First release"),
    "scheduled-update": ("定期更新", "Scheduled update"),
    "revision": ("初步数据修订", "Revision of provisional data"),
    "correction": ("更正", "Correction"),
    "recomputed": ("输入数据更新后重新计算", "Recomputed from updated inputs"),  # derived datasets
}


def reason_name(reason: str, lang: str) -> str:
    zh, en = REASONS.get(reason, (reason, reason))
    return en if lang == "en" else zh


@dataclass
class DatasetVersion:
    """One approved version of a dataset, as the approval workflow records it.

    ``files`` maps each resource name to the archived bytes approved for this version.
    ``dataset`` is the metadata approved with this version (``dataset.yaml`` loaded from the
    archive); ``None`` means "the current metadata", which is only right for the newest version.
    ``audit`` is reserved for the link to the audit-log entry and its inclusion proof.
    ``kept`` holds the download files its publication recorded (site path → SHA-256 and archived
    copy): they are served as published, never made again, so a published file never changes.
    ``digest`` (when known) lets a build take the version's folder from the build cache.
    """

    dataset_id: str
    number: int
    released_at: datetime  # with an offset
    reason: str  # one of REASONS
    files: dict[str, Path]
    note: str = ""
    dataset: Dataset | None = None
    audit: dict[str, Any] | None = None
    kept: dict[str, tuple[str, Path]] = field(default_factory=dict)
    digest: str | None = None  # the approved version's digest (its files and metadata): the cache key's core


@dataclass
class Download:
    """One published file of a dataset."""

    name: str
    url: str  # site-relative path
    bytes: int
    sha256: str
    title: dict[str, str]
    format: str = ""  # csv | csv-excel | xlsx | parquet | zip | datapackage | readme | checksums
    resource: str | None = None
    version: int | None = None


@dataclass(frozen=True)
class ReleaseEntry:
    """One line of the public release log: an item and when it was released."""

    kind: str  # dataset | bulletin
    item: Any
    at: datetime | None  # None when the time of release is not recorded in the content
    url: str  # site-relative, language-neutral (prefix with en/ for English)
    version: int | None = None  # a dataset's version number
    reason: str | None = None  # why the version was published (REASONS)
    note: str = ""
    checksums: str | None = None  # site-relative SHA256SUMS of the version's files


def item_url(item: Item) -> str:
    return f"datasets/{item.id}/index.html" if item.kind == "dataset" else f"bulletins/{item.id}.html"


def release_time(item: Item, tz: ZoneInfo) -> datetime | None:
    """When an item became public, as far as the content says: its embargo time, else a
    bulletin's date. (The audit log will give the approval time of every release.)"""
    if item.release_at is not None:
        return item.release_at.astimezone(tz)
    when = getattr(item, "date", None)
    return when.astimezone(tz) if isinstance(when, datetime) else None


def release_entries(site: SiteModel, tz: ZoneInfo) -> list[ReleaseEntry]:
    """Every published dataset version and bulletin, newest first; undated items last, by id."""
    entries = []
    versions = getattr(site, "versions", None) or {}
    for item in site.release.items():
        history = versions.get(item.id) if item.kind == "dataset" else None
        if not history:
            entries.append(ReleaseEntry(item.kind, item, release_time(item, tz), item_url(item)))
            continue
        for v in history:
            number = getattr(v, "number", None)
            entries.append(ReleaseEntry(
                item.kind, item, v.released_at.astimezone(tz), item_url(item), number,
                getattr(v, "reason", None), getattr(v, "note", "") or "",
                f"data/{item.id}/{number}/SHA256SUMS" if number is not None else None))
    dated = sorted((e for e in entries if e.at), key=lambda e: (e.at, e.item.id, e.version or 0), reverse=True)
    undated = sorted((e for e in entries if not e.at), key=lambda e: (e.kind, e.item.id))
    return dated + undated


@dataclass
class Page:
    """One page the portal generator writes."""

    path: str
    template: str
    context: dict[str, Any]


@dataclass
class SiteModel:
    """Everything the templates may show, derived from the release decision only."""

    rules: Rules
    content: Content
    release: Release
    charts: dict[tuple[str, str], RenderedChart] = field(default_factory=dict)
    downloads: dict[str, list[Download]] = field(default_factory=dict)
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    versions: dict[str, list[DatasetVersion]] = field(default_factory=dict)  # published, oldest first
    # dataset id -> its withdrawn versions ({number, time, reason}), oldest first: named, never served
    withdrawn_versions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    publications: list[dict[str, Any]] = field(default_factory=list)  # the release log, newest first
    rules_log: list[dict[str, Any]] = field(default_factory=list)  # the rules in force and since when, newest first
    latest_aqi: list[Any] = field(default_factory=list)  # indicators.StationAqi, one per station
    warnings: list[Any] = field(default_factory=list)  # warnings.Warning, newest first (active: .active)
    # (dataset id, lang) -> the dataset page's schema.org JSON-LD, safe inside a script element
    json_ld: dict[tuple[str, str], str] = field(default_factory=dict)
    search: bool = False  # a Pagefind index is written (the search page then loads its UI)
    preview: str | None = None  # the item a review-console preview shows (pages carry a banner)

    # -- helpers for templates ---------------------------------------------------------------

    def chart(self, ref: str, lang: str) -> RenderedChart | None:
        return self.charts.get((ref, lang))

    def category_name(self, category: str, lang: str) -> str:
        zh, en = CATEGORIES.get(category, (category, category))
        return en if lang == "en" else zh

    def frequency_name(self, frequency: str, lang: str) -> str:
        zh, en = FREQUENCIES.get(frequency, (frequency, frequency))
        return en if lang == "en" else zh

    def status_name(self, status: str, lang: str) -> str:
        zh, en = DATA_STATUSES.get(status, (status, status))
        return en if lang == "en" else zh

    def version_reason(self, reason: str, lang: str) -> str:
        return reason_name(reason, lang)

    def structured_data(self, dataset_id: str, lang: str) -> str:
        """schema.org ``Dataset`` JSON-LD for the dataset page, safe inside a script element."""
        return self.json_ld[(dataset_id, lang)]

    def department_name(self, dept: str, lang: str) -> str:
        return self.rules.department_name(dept, lang)

    def categories(self) -> list[str]:
        used = {d.category for d in self.release.datasets.values()} | {
            b.category for b in self.release.bulletins.values()
        }
        return [c for c in CATEGORIES if c in used]

    def datasets(self, category: str | None = None) -> list[Dataset]:
        items = sorted(self.release.datasets.values(), key=lambda d: (d.category, d.id))
        return [d for d in items if category is None or d.category == category]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.rules.site.timezone)

    def releases(self) -> list[ReleaseEntry]:
        """The release log: every released item with its release time, newest first."""
        return release_entries(self, self.tz)

    def scheduled(self) -> list[dict[str, Any]]:
        """Upcoming releases for the calendar: title and time only, never the item's id."""
        items = []
        for item_id, at in self.release.scheduled.items():
            item = self.content.item(item_id)
            if item is not None:
                items.append({"title": item.title, "at": at.astimezone(self.tz), "kind": item.kind,
                              "sort": (at, item.title.get("zh"))})
        return sorted(items, key=lambda e: e["sort"])

    def next_release(self, ds: Dataset) -> Any:
        """The dataset's next scheduled update (date), if any."""
        return ds.next_update

    def departments(self) -> list[str]:
        return sorted({d.department for d in self.release.datasets.values()})

    def areas(self) -> list[tuple[str, str]]:
        """(code, name) of the areas the released datasets cover."""
        return sorted({(str(d.area.get("code", "")), str(d.area.get("name", ""))) for d in self.release.datasets.values()})

    def area_name(self, code: str, lang: str) -> str:
        for a in self.content.registry.get("areas") or []:
            if isinstance(a, dict) and str(a.get("code")) == str(code):
                return str(a.get("name_en") if lang == "en" and a.get("name_en") else a.get("name"))
        return code

    def frequencies(self) -> list[str]:
        used = {d.update_frequency for d in self.release.datasets.values()}
        return [f for f in FREQUENCIES if f in used]

    def pages(self, articles: list[Any]) -> Iterable[Page]:
        """Every page of the portal in both languages (bulletin articles come from Pelican)."""
        zh_articles = sorted((a for a in articles if a.lang == "zh"), key=lambda a: a.date, reverse=True)
        by_id = {a.metadata["item_id"]: a for a in zh_articles}
        en_by_id = {a.metadata["item_id"]: a for a in articles if a.lang == "en"}
        for lang in LANGS:
            prefix = "" if lang == "zh" else "en/"
            common = {"lang": lang, "prefix": prefix.rstrip("/"), "bulletins": zh_articles,
                      "en_bulletins": en_by_id}
            pages = [("index.html", "home", {}), ("datasets/index.html", "catalogue", {}),
                     ("bulletins/index.html", "bulletins", {}), ("about.html", "about", {}),
                     ("licence.html", "licence", {}), ("verify.html", "verify", {}),
                     ("calendar.html", "calendar", {}), ("releases.html", "releases", {}),
                     ("search.html", "search", {}), ("warnings.html", "warnings", {})]
            pages += [(f"bulletins/category/{c}/index.html", "bulletins", {"category": c})
                      for c in self.categories() if any(b.category == c for b in self.release.bulletins.values())]
            pages += [(f"datasets/{ds.id}/index.html", "dataset", {"dataset": ds}) for ds in self.datasets()]
            pages += [(f"topics/{c}/index.html", "topic", {"category": c}) for c in self.categories()]
            for item_id, notice in sorted(self.release.withdrawn.items()):
                path = f"datasets/{item_id}/index.html" if notice["kind"] == "dataset" else f"bulletins/{item_id}.html"
                pages.append((path, "withdrawn", {"notice": notice}))
            if lang == "en":
                # Bulletins with no English version: the English interface around the Chinese text.
                pages += [(f"bulletins/{item_id}.html", "article", {"article": article, "fallback": True})
                          for item_id, article in by_id.items() if item_id not in en_by_id]
            for path, template, extra in pages:
                yield Page(prefix + path, template, {**common, "page_path": path, **extra})
