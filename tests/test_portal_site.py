"""The portal's pages, feeds and search index as a visitor, a feed reader and a crawler meet them."""

from __future__ import annotations

import gzip
import re
import xml.etree.ElementTree as ET
from pathlib import Path

ATOM = "{http://www.w3.org/2005/Atom}"


def read(output: Path, rel: str) -> str:
    return (output / rel).read_text(encoding="utf-8")


def test_home_shows_each_stations_latest_aqi_with_its_level(built_fixture: Path) -> None:
    home = read(built_fixture, "index.html")
    assert home.count('class="aqi-card"') == 2
    assert "东站" in home and "良（二级）" in home and "background:#FFFF00" in home
    english = read(built_fixture, "en/index.html")
    assert "East" in english and "Good" in english


def test_release_calendar_shows_title_and_date_but_never_the_embargoed_id(built_fixture: Path) -> None:
    for rel in ("calendar.html", "en/calendar.html"):
        page = read(built_fixture, rel)
        assert "尚未到发布时间的公报" in page
        assert 'datetime="2099-01-01T09:00:00+08:00"' in page
        assert 'id="release-1"' in page
        assert "embargoed-note" not in page


def test_release_log_lists_what_was_published(built_fixture: Path) -> None:
    page = read(built_fixture, "releases.html")
    assert "测试市环境空气小时数据" in page and "2025年1月上旬测试市空气质量" in page
    assert "尚未到发布时间的公报" not in page


def test_feeds_are_valid_atom_and_hold_only_released_items(built_fixture: Path) -> None:
    for rel in ("feeds/bulletins.atom.xml", "feeds/datasets.atom.xml", "feeds/corrections.atom.xml",
                "en/feeds/datasets.atom.xml", "en/feeds/corrections.atom.xml"):
        text = read(built_fixture, rel)
        root = ET.fromstring(text)
        assert root.tag == ATOM + "feed" and root.find(ATOM + "updated") is not None, rel
        assert "embargoed" not in text and "尚未到发布时间" not in text
    datasets = ET.fromstring(read(built_fixture, "feeds/datasets.atom.xml"))
    links = [e.find(ATOM + "link").get("href") for e in datasets.iter(ATOM + "entry")]
    assert links == ["https://sthjj.demo-city.example/portal/datasets/air-mini/index.html"]


def test_sitemap_lists_published_pages_only_and_robots_points_to_it(built_fixture: Path) -> None:
    sitemap = read(built_fixture, "sitemap.xml")
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    assert "https://sthjj.demo-city.example/portal/bulletins/air-2025-01.html" in locs
    assert "https://sthjj.demo-city.example/portal/en/datasets/air-mini/index.html" in locs
    assert not [u for u in locs if "embargoed" in u or "/pagefind/" in u]
    assert "Sitemap: https://sthjj.demo-city.example/portal/sitemap.xml" in read(built_fixture, "robots.txt")


def test_search_index_covers_published_pages_in_both_languages_and_nothing_else(built_fixture: Path) -> None:
    index = built_fixture / "pagefind"
    assert (index / "pagefind-ui.js").is_file()
    assert list(index.glob("pagefind.zh-cn_*.pf_meta")) and list(index.glob("pagefind.en_*.pf_meta"))
    text = b"".join(gzip.decompress(p.read_bytes()) for p in index.rglob("*.pf_fragment"))
    assert "总体良好".encode() in text or "总体".encode() in text
    assert b"EMBARGO-MARKER-7f3a" not in text and b"embargoed-note" not in text
    search = read(built_fixture, "search.html")
    assert "pagefind/pagefind-ui.js" in search and "data-pagefind-body" not in search


def test_english_page_of_a_chinese_only_bulletin_marks_the_fallback_text(portal: Path) -> None:
    from publisher.site import build_site

    from conftest import approve_items

    (portal / "content/bulletins/air-2025-01.en.md").unlink()
    approve_items(portal)
    build_site(portal)
    page = read(portal / "output", "en/bulletins/air-2025-01.html")
    assert '<html lang="en">' in page
    assert '<h1 lang="zh-CN">2025年1月上旬测试市空气质量</h1>' in page
    assert '<div class="bulletin-body" lang="zh-CN">' in page
    assert "published in Chinese only" in page
    switch = re.search(r'<a class="lang-switch" lang="zh-CN" hreflang="zh-CN"\s+href="([^"]+)">中文</a>', page)
    assert switch and switch.group(1).endswith("bulletins/air-2025-01.html") and "/en/" not in switch.group(1)


def test_pages_carry_opengraph_and_canonical_addresses(built_fixture: Path) -> None:
    page = read(built_fixture, "bulletins/air-2025-01.html")
    assert '<meta property="og:type" content="article">' in page
    assert '<link rel="canonical" href="https://sthjj.demo-city.example/portal/bulletins/air-2025-01.html">' in page
    assert '<meta property="og:locale" content="zh_CN">' in page


def test_catalogue_cards_carry_filter_values_and_the_list_works_without_script(built_fixture: Path) -> None:
    page = read(built_fixture, "datasets/index.html")
    assert '<form class="filters" id="catalogue-filters" hidden' in page
    assert 'data-category="air_quality" data-department="sthjj" data-area="990100" data-frequency="hourly"' in page
