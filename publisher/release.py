"""The one decision of what is releasable. Everything that writes output asks it.

An item is releasable when it is public, free of error findings, and past its embargo at build
time. Pages, feeds, sitemaps, search indexes, catalogues, downloads and charts are all made from
the :class:`Release` this module returns, so nothing else can leak.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .content import Bulletin, Content, Dataset, Item
from .report import Report


@dataclass(frozen=True)
class Exclusion:
    """Why an item is not published, in both languages."""

    item: str
    reason: str  # stable id: classification, errors, embargo, missing-dataset
    zh: str
    en: str


@dataclass
class Release:
    """The releasable set at one moment."""

    at: datetime
    datasets: dict[str, Dataset] = field(default_factory=dict)
    bulletins: dict[str, Bulletin] = field(default_factory=dict)
    excluded: dict[str, Exclusion] = field(default_factory=dict)
    scheduled: dict[str, datetime] = field(default_factory=dict)  # item id -> release_at
    # item id -> {"title": Text, "kind", "time", "reason"}: withdrawn items keep a notice page
    withdrawn: dict[str, dict] = field(default_factory=dict)

    def items(self) -> list[Item]:
        return [*self.datasets.values(), *self.bulletins.values()]

    def __contains__(self, item_id: str) -> bool:
        return item_id in self.datasets or item_id in self.bulletins


def _exclusion(item: Item, report: Report, now: datetime) -> Exclusion | None:
    if item.classification != "public":
        return Exclusion(item.id, "classification", f"密级为 {item.classification}，不予公开",
                         f"classified {item.classification}; never public")
    errors = [f for f in report.for_item(item.id) if f.severity.value == "error"]
    if errors:
        return Exclusion(item.id, "errors", f"有 {len(errors)} 个检查错误未解决",
                         f"{len(errors)} check errors are unresolved")
    if item.release_at is not None and item.release_at > now:
        return Exclusion(item.id, "embargo", f"定于 {item.release_at.isoformat()} 发布",
                         f"embargoed until {item.release_at.isoformat()}")
    return None


def decide_release(content: Content, report: Report, now: datetime) -> Release:
    """Decide, once, which items may be published at ``now``.

    A bulletin that cites a dataset or embeds a chart of a dataset that is not released is held
    back too, so no chart value or link leaks through a bulletin.
    """
    release = Release(at=now)
    for ds in content.datasets.values():
        why = _exclusion(ds, report, now)
        if why is None:
            release.datasets[ds.id] = ds
        else:
            release.excluded[ds.id] = why
            if why.reason == "embargo" and ds.release_at is not None:
                release.scheduled[ds.id] = ds.release_at
    for b in content.bulletins.values():
        why = _exclusion(b, report, now)
        if why is None:
            cited = set(b.datasets) | {ref.partition("/")[0] for ref in b.charts}
            held = sorted(d for d in cited if d not in release.datasets)
            if held:
                why = Exclusion(b.id, "missing-dataset", f"引用的数据集尚未发布：{', '.join(held)}",
                                f"cites datasets that are not published: {', '.join(held)}")
        if why is None:
            release.bulletins[b.id] = b
        else:
            release.excluded[b.id] = why
            if why.reason == "embargo" and b.release_at is not None:
                release.scheduled[b.id] = b.release_at
    return release
