"""Attacks on the charts: markup in titles and names that plotly would draw as live links."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

from conftest import approve_items

from publisher.site import build_site

LINK = '<a href="https://evil.example/login">点此核实</a>'
# Our own hover templates use plotly's <br> and <extra>; no text from content may add any tag.
OWN_MARKUP = {"hovertemplate"}


def _strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)
    elif isinstance(value, str):
        yield key, value


def test_markup_in_field_titles_and_station_names_reaches_plotly_as_plain_text(portal: Path) -> None:
    meta = portal / "content" / "datasets" / "air-mini" / "dataset.yaml"
    text = meta.read_text(encoding="utf-8")
    text = text.replace("title: {zh: 细颗粒物, en: PM2.5}", f"title: {{zh: '细颗粒物{LINK}', en: 'PM2.5{LINK}'}}")
    meta.write_text(text, encoding="utf-8")
    registry = portal / "content" / "registry.yaml"
    registry.write_text(registry.read_text(encoding="utf-8").replace(
        "name: 东站, name_en: East", f"name: '东站<b>{LINK}</b>', name_en: 'East{LINK}'"), encoding="utf-8")
    approve_items(portal)
    build_site(portal)
    seen = []
    for page in ("datasets/air-mini/index.html", "en/datasets/air-mini/index.html", "bulletins/air-2025-01.html"):
        html = (portal / "output" / page).read_text(encoding="utf-8")
        for blob in re.findall(r'<script type="application/json" class="chart-data"[^>]*>(.*?)</script>', html, re.S):
            for key, value in _strings(json.loads(blob)):
                if key not in OWN_MARKUP:
                    assert "<" not in value and ">" not in value, (page, key, value)
                    seen.append(value)
    assert any("&lt;a href=&quot;https://evil.example/login&quot;&gt;" in s or
               "&lt;a href=\"https://evil.example/login\"&gt;" in s for s in seen)  # shown, as text
