"""Feeds and discovery files, written from the release only: Atom feeds of dataset releases and
of corrections, ``sitemap.xml`` and ``robots.txt``. (Pelican writes the bulletins' Atom feed.)

Every date in these files comes from the content (embargo times, bulletin dates, data coverage),
never from the clock, so two builds of the same inputs are byte-identical.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as _escape, quoteattr
from zoneinfo import ZoneInfo

from .model import SiteModel, release_entries, release_time
from .yamlio import CONTROL_CHARACTERS


def escape(text: str) -> str:
    """XML text: escaped, and without the characters XML 1.0 forbids (the loaders refuse them in
    content; this keeps a feed well-formed whatever reaches it)."""
    return _escape(CONTROL_CHARACTERS.sub("", text))


FEED_PATHS = {"datasets": "feeds/datasets.atom.xml", "corrections": "feeds/corrections.atom.xml",
              "warnings": "feeds/warnings.atom.xml"}


def _absolute(base: str, path: str) -> str:
    return base.rstrip("/") + "/" + path


def _attr(obj: Any, *names: str) -> Any:
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value not in (None, ""):
            return value
    return None


def _text(value: Any, lang: str) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("zh") or "")
    if hasattr(value, "get") and hasattr(value, "zh"):
        return value.get(lang)
    return str(value)


def _stamp(value: Any, tz: ZoneInfo) -> str:
    if isinstance(value, datetime):
        return value.astimezone(tz).isoformat()
    if isinstance(value, date):
        return datetime.combine(value, time(0), tz).isoformat()
    return str(value)


CORRECTION_REASONS = ("correction", "revision")


def corrections(site: SiteModel) -> list[dict[str, Any]]:
    """Published dataset versions that correct or revise earlier data (``site.versions``)."""
    versions = getattr(site, "versions", None) or {}
    found = []
    for ds_id in sorted(site.release.datasets):
        for v in versions.get(ds_id) or []:
            if _attr(v, "reason") in CORRECTION_REASONS:
                found.append({"dataset": site.release.datasets[ds_id], "reason": _attr(v, "reason"),
                              "note": _attr(v, "note") or "", "at": _attr(v, "released_at"),
                              "version": _attr(v, "number")})
    return sorted(found, key=lambda c: (c["at"], c["dataset"].id), reverse=True)


def _feed(base: str, path: str, lang: str, title: str, entries: list[dict[str, str]], fallback: str) -> str:
    updated = max((e["updated"] for e in entries), default=fallback)
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{"en" if lang == "en" else "zh-CN"}">',
        f"<title>{escape(title)}</title>",
        f"<link href={quoteattr(_absolute(base, path))} rel=\"self\"/>",
        f"<link href={quoteattr(_absolute(base, 'en/index.html' if lang == 'en' else 'index.html'))} rel=\"alternate\"/>",
        f"<id>{escape(_absolute(base, path))}</id>",
        f"<updated>{escape(updated)}</updated>",
    ]
    for e in entries:
        lines += [
            "<entry>",
            f"<title>{escape(e['title'])}</title>",
            f"<link href={quoteattr(e['link'])} rel=\"alternate\"/>",
            f"<id>{escape(e['id'])}</id>",
            f"<updated>{escape(e['updated'])}</updated>",
            f"<author><name>{escape(e['author'])}</name></author>",
            f"<summary>{escape(e['summary'])}</summary>",
            "</entry>",
        ]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"


def write_feeds(site: SiteModel, site_dir: Path, tz: ZoneInfo) -> list[str]:
    """Atom feeds of dataset releases and of corrections in both languages, and of warnings in
    Chinese (needs base_url)."""
    base = site.rules.site.base_url
    if not base:
        return []
    written = []
    log = release_entries(site, tz)
    fallback = _site_date(site, tz)
    for lang in ("zh", "en"):
        prefix = "en/" if lang == "en" else ""
        datasets = []
        for e in log:
            if e.kind != "dataset":
                continue
            ds = e.item
            when = _stamp(e.at, tz) if e.at else _stamp(_coverage_end(ds) or fallback, tz)
            label = f"（第 {e.version} 版）" if lang == "zh" else f" (version {e.version})"
            datasets.append({
                "title": ds.title.get(lang) + (label if e.version else ""), "link": _absolute(base, prefix + e.url),
                "id": _absolute(base, e.url) + f"#version-{e.version or 1}",
                "updated": when, "author": site.department_name(ds.department, lang),
                "summary": ds.description.get(lang),
            })
        fixes = []
        for c in corrections(site):
            ds = c["dataset"]
            url = f"datasets/{ds.id}/index.html"
            reason = site.version_reason(c["reason"], lang) if hasattr(site, "version_reason") else c["reason"]
            fixes.append({
                "title": f"{reason}：{ds.title.get(lang)}" if lang == "zh" else f"{reason}: {ds.title.get(lang)}",
                "link": _absolute(base, prefix + url + "#versions"),
                "id": _absolute(base, url) + "#version-" + str(c["version"]),
                "updated": _stamp(c["at"], tz), "author": site.department_name(ds.department, lang),
                "summary": _text(c["note"], lang) or reason,
            })
        name = site.rules.site.name.get(lang)
        for kind, entries, title in (("datasets", datasets, "数据集发布" if lang == "zh" else "Dataset releases"),
                                     ("corrections", fixes, "更正" if lang == "zh" else "Corrections")):
            path = prefix + FEED_PATHS[kind]
            target = site_dir / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(_feed(base, path, lang, f"{name} · {title}", entries, _stamp(fallback, tz)),
                              encoding="utf-8")
            written.append(path)
    written.append(_write_warnings_feed(site, site_dir, tz, base, fallback))
    return written


def _write_warnings_feed(site: SiteModel, site_dir: Path, tz: ZoneInfo, base: str, fallback: Any) -> str:
    """The early warnings (``site.warnings``), in Chinese; each dated by the last day of its data."""
    entries = []
    for w in getattr(site, "warnings", None) or []:
        ds = site.release.datasets.get(w.dataset_id)
        entries.append({
            "title": w.title["zh"], "link": _absolute(base, f"warnings.html#{w.id}"),
            "id": _absolute(base, f"warnings.html#{w.id}"), "updated": _stamp(w.end, tz),
            "author": site.department_name(ds.department, "zh") if ds else "", "summary": w.message["zh"],
        })
    path = FEED_PATHS["warnings"]
    target = site_dir / path
    target.parent.mkdir(parents=True, exist_ok=True)
    title = f"{site.rules.site.name.get('zh')} · 预警"
    target.write_text(_feed(base, path, "zh", title, entries, _stamp(fallback, tz)), encoding="utf-8")
    return path


def _coverage_end(ds: Any) -> date | None:
    end = (ds.temporal or {}).get("end")
    return end if isinstance(end, date) else None


def _site_date(site: SiteModel, tz: ZoneInfo) -> datetime | date:
    """The newest date any released item carries: the feeds' ``updated`` when they are empty."""
    dates: list[datetime] = [e.at for e in release_entries(site, tz) if e.at]
    for item in site.release.items():
        when = release_time(item, tz)
        if when:
            dates.append(when)
        elif item.kind == "dataset" and _coverage_end(item):
            dates.append(datetime.combine(_coverage_end(item), time(0), tz))
    return max(dates) if dates else date(2000, 1, 1)


def write_sitemap(site: SiteModel, site_dir: Path) -> list[str]:
    """``sitemap.xml`` of every HTML page in the staged site (only published pages exist there)
    and ``robots.txt`` pointing at it. Without a base_url, robots.txt only."""
    base = site.rules.site.base_url
    robots = ["User-agent: *", "Allow: /"]
    written = ["robots.txt"]
    if base:
        pages = sorted(p.relative_to(site_dir).as_posix() for p in site_dir.rglob("*.html"))
        body = ['<?xml version="1.0" encoding="utf-8"?>',
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
        body += [f"<url><loc>{escape(_absolute(base, p))}</loc></url>" for p in pages if not p.startswith("pagefind/")]
        body.append("</urlset>")
        (site_dir / "sitemap.xml").write_text("\n".join(body) + "\n", encoding="utf-8")
        robots.append(f"Sitemap: {_absolute(base, 'sitemap.xml')}")
        written.append("sitemap.xml")
    (site_dir / "robots.txt").write_text("\n".join(robots) + "\n", encoding="utf-8")
    return written
