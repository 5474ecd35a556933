"""The Pelican integration: a reader for bulletins and a generator for the portal's own pages.

``site.py`` stages only releasable bulletins and passes the build's :class:`~publisher.model.SiteModel`
in the settings (``PUBLISHER_SITE``); nothing here decides what is published. As a second line
of defence, any article whose id is not in the release gets ``status: skip`` (never ``draft``
or ``hidden``, which Pelican still writes).
"""

from __future__ import annotations

import re
from typing import Any

from pelican import signals
from pelican.generators import Generator
from pelican.readers import BaseReader

from .content import CHART_MARKER, split_front_matter
from .figures import substitute_figures
from .markup import markdown_html, sanitize
from .model import SiteModel
from .yamlio import load_yaml

SLOT = '<div class="chart-slot" data-chart="{ref}"></div>'
_SLOT_RE = re.compile(r'<div class="chart-slot" data-chart="([a-z0-9/-]+)"></div>')
#: Pelican's intra-site link syntax (``{attach}``, ``{static}`` ...) copies the file it names into
#: the site. A bulletin owns no file but its Markdown, so the syntax must match nothing at all.
NO_INTRASITE_LINKS = r"(?!)(?P<what>)"


def render_markdown(body: str, figures: Any = None, lang: str = "zh") -> str:
    """Markdown to sanitised HTML, with chart markers turned into slots the theme fills and
    ``{{figure:id}}`` markers into the declared ``figures`` values."""
    body = substitute_figures(body, figures, lang)
    body = CHART_MARKER.sub(lambda m: "\n" + SLOT.format(ref=f"{m.group(1)}/{m.group(2)}") + "\n", body)
    # Departments write the Markdown: no script, style, event handler, file link or outside
    # resource may reach the public (publisher/markup.py; the check reports each one).
    return sanitize(markdown_html(body))


def split_chart_slots(html: str) -> list[dict[str, str]]:
    """Jinja filter: split bulletin HTML into text parts and chart references, in order."""
    parts: list[dict[str, str]] = []
    pos = 0
    for m in _SLOT_RE.finditer(html):
        if m.start() > pos:
            parts.append({"html": html[pos:m.start()]})
        parts.append({"chart": m.group(1)})
        pos = m.end()
    if pos < len(html):
        parts.append({"html": html[pos:]})
    return parts


class BulletinReader(BaseReader):
    """Reads a bulletin: YAML front matter (validated by ``content.py``) and a Markdown body."""

    enabled = True
    file_extensions = ["md"]

    def read(self, source_path: str) -> tuple[str, dict[str, Any]]:
        with open(source_path, encoding="utf-8-sig") as fh:
            front, body = split_front_matter(fh.read())
        meta, _ = load_yaml(front or "", source_path)
        is_english = source_path.endswith(".en.md")
        item_id = source_path.rsplit("/", 1)[-1].removesuffix(".md").removesuffix(".en")
        site: SiteModel = self.settings["PUBLISHER_SITE"]
        bulletin = site.release.bulletins.get(item_id)
        metadata: dict[str, Any] = {
            "slug": item_id,
            "lang": "en" if is_english else "zh",
            "item_id": item_id,
        }
        if bulletin is None:
            metadata["status"] = self.process_metadata("status", "skip")
            metadata["title"] = item_id
            return "", metadata
        # The Chinese file holds the metadata; the English one only its title and summary.
        metadata["title"] = bulletin.title.get(metadata["lang"])
        metadata["date"] = self.process_metadata("date", bulletin.date.isoformat() if bulletin.date else "")
        metadata["category"] = self.process_metadata("category", bulletin.category)
        metadata["summary"] = bulletin.summary.get(metadata["lang"]) or ""
        metadata["bulletin"] = bulletin
        if is_english:
            metadata["title"] = str((meta or {}).get("title") or bulletin.title.get("en"))
        return render_markdown(body, bulletin.meta.get("figures"), metadata["lang"]), metadata


def _skip_unreleased(content: Any) -> None:
    site = content.settings.get("PUBLISHER_SITE")
    item_id = getattr(content, "item_id", None)
    if site is not None and item_id not in site.release.bulletins:
        content.status = "skip"


class PortalGenerator(Generator):
    """Writes the portal's own pages: home, catalogue, dataset pages, topics, and more.

    Pelican's ArticlesGenerator writes the bulletin pages and feeds; this generator runs after it
    (``generate_output`` is called once every context is built), so it can list the articles.
    """

    def generate_context(self) -> None:
        site: SiteModel = self.settings["PUBLISHER_SITE"]
        self.context["site"] = site

    def generate_output(self, writer: Any) -> None:
        site: SiteModel = self.settings["PUBLISHER_SITE"]
        articles = self.context.get("articles", [])
        translations = [t for a in articles for t in a.translations]
        for page in site.pages(articles + translations):
            writer.write_file(
                page.path,
                self.get_template(page.template),
                self.context,
                relative_urls=self.settings["RELATIVE_URLS"],
                override_output=True,
                **page.context,
            )


def _refuse_static_files(generator: Any) -> None:
    """No file reaches the site through Pelican's static copying: ``STATIC_PATHS`` is empty and
    intra-site links are off, so anything here is a file no approval covers. Fail the build."""
    if generator.staticfiles:
        names = ", ".join(sorted(s.source_path for s in generator.staticfiles))
        raise RuntimeError(f"Pelican 将复制未经批准的文件，已停止 / Pelican would copy files no approval covers: {names}")


def _readers_init(readers: Any) -> None:
    readers.reader_classes["md"] = BulletinReader


def _get_generators(_pelican: Any) -> type[Generator]:
    return PortalGenerator


def register() -> None:
    """Pelican plugin entry point."""
    signals.readers_init.connect(_readers_init)
    signals.get_generators.connect(_get_generators)
    signals.content_object_init.connect(_skip_unreleased)
    signals.static_generator_finalized.connect(_refuse_static_files)
