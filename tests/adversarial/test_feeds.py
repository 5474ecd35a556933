"""Attacks on the feeds, the sitemap and the catalogues: XML and JSON that a reader must be able to
parse, whatever a department writes."""

from __future__ import annotations

import json
import xml.dom.minidom
from pathlib import Path

from conftest import approve_items
from publisher.check import check_items
from publisher.feeds import escape
from publisher.site import build_site


def escaped_title(portal: Path, title: str) -> None:
    """Give air-mini a title written with YAML escapes (plain ASCII in the file)."""
    meta = portal / "content" / "datasets" / "air-mini" / "dataset.yaml"
    text = meta.read_text(encoding="utf-8").replace(
        "title: {zh: 测试市环境空气小时数据, en: Test city hourly air quality}", f"title: {title}", 1)
    meta.write_text(text, encoding="utf-8")


def test_a_control_character_escaped_in_a_title_is_refused_and_cannot_break_the_feeds(portal: Path) -> None:
    escaped_title(portal, r'{zh: "测试市\v环境\x1b空气小时数据", en: "Test\0 city hourly air quality"}')
    found = [f for f in check_items(portal, ["air-mini"]).findings_for("air-mini")
             if f.rule == "yaml-control-character"]
    assert found and found[0].severity.value == "error" and found[0].row == 2
    assert found[0].file == "content/datasets/air-mini/dataset.yaml" and "U+000B" in found[0].message_en
    # the feed writer drops what XML forbids, should anything reach it another way
    assert escape("a\x1bb\x00c<d>\ufffe") == "abc&lt;d&gt;"


def test_an_invisible_control_character_in_a_bulletin_cannot_stop_every_build(portal: Path) -> None:
    bulletin = portal / "content" / "bulletins" / "air-2025-01.md"
    text = bulletin.read_text(encoding="utf-8")
    bulletin.write_text(text.replace("一、总体情况", "注意\x1b[31m红色\x0b一、总体情况", 1), encoding="utf-8")
    found = [f for f in check_items(portal, ["air-2025-01"]).findings_for("air-2025-01")
             if f.rule == "text-control-character"]
    assert found and found[0].severity.value == "error" and "U+001B" in found[0].message_en
    assert found[0].row == text[:text.index("一、总体情况")].count("\n") + 1
    # approved anyway (its warnings acknowledged, its error not): the build publishes the rest
    approve_items(portal, ("air-mini",))
    result = build_site(portal)
    assert "air-mini" in result.release.datasets
    assert "air-2025-01" not in result.release.bulletins


def test_every_feed_sitemap_and_catalogue_of_a_built_site_parses(approved_portal: Path) -> None:
    build_site(approved_portal)
    out = approved_portal / "output"
    xml_files = [p for p in out.rglob("*.xml")]
    assert len(xml_files) >= 5
    for path in xml_files:
        xml.dom.minidom.parse(str(path))  # raises on anything malformed
    for path in out.rglob("*.json"):
        if "pagefind" not in path.parts:
            json.loads(path.read_text(encoding="utf-8"))


def test_the_control_character_screen_refuses_every_escape_form(portal: Path) -> None:
    meta = portal / "content" / "datasets" / "air-mini" / "dataset.yaml"
    original = meta.read_bytes()
    for title, found in ((r'"\x85x"', True), (r'"\uFFFE"', True), (r'"a\x7fb"', True), (r'"\x1f"', True),
                         (r'"tab\there"', False), (r'"第一行\n第二行"', False)):
        meta.write_bytes(original)
        escaped_title(portal, "{zh: " + title + ", en: x}")
        assert meta.read_bytes() != original
        rules = {f.rule for f in check_items(portal, ["air-mini"]).findings_for("air-mini")}
        assert ("yaml-control-character" in rules) is found, title
