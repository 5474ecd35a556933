"""Whole-site build of the fixture portal: the pages a visitor and a journalist meet."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from publisher.site import build_site


def read(output: Path, rel: str) -> str:
    return (output / rel).read_text(encoding="utf-8")


def test_home_catalogue_and_topic_pages_exist_in_both_languages(built_fixture: Path) -> None:
    for prefix in ("", "en/"):
        for rel in ("index.html", "datasets/index.html", "bulletins/index.html", "about.html",
                    "datasets/air-mini/index.html", "topics/air_quality/index.html"):
            assert (built_fixture / prefix / rel).is_file(), prefix + rel
    home = read(built_fixture, "index.html")
    assert '<html lang="zh-CN">' in home
    assert "2025年1月上旬测试市空气质量" in home
    assert '<html lang="en">' in read(built_fixture, "en/index.html")


def test_dataset_page_shows_metadata_dictionary_chart_and_download(built_fixture: Path) -> None:
    page = read(built_fixture, "datasets/air-mini/index.html")
    assert "<title>测试市环境空气小时数据 · 示范市生态环境监测信息发布平台</title>" in page
    assert "示范市生态环境局" in page  # department
    assert "已审核数据" in page  # data status
    assert "HJ 633-2012" in page
    assert "<code>pm25</code>" in page and "μg/m³" in page and "mg/m³" in page
    assert 'id="chart-air-mini-pm25-hourly"' in page
    figure = re.search(r'data-target="chart-air-mini-pm25-hourly">(.*?)</script>', page, re.S).group(1)
    assert [t["name"] for t in json.loads(figure)["data"]] == ["东站", "西站"]
    link = re.search(r'<a href="([^"]+)" download>air-hourly.csv</a>', page).group(1)
    target = (built_fixture / "datasets" / "air-mini" / link).resolve()
    assert target == (built_fixture / "data/air-mini/1/air-hourly.csv").resolve()  # see docs/opendata.md
    assert target.read_bytes() == (built_fixture.parent / "content/datasets/air-mini/air_hourly.csv").read_bytes()
    assert hashlib.sha256(target.read_bytes()).hexdigest() in page
    assert "theme/js/plotly.min.js" in page and (built_fixture / "theme/js/plotly.min.js").is_file()


def test_bulletin_page_embeds_chart_sanitises_html_and_has_english(built_fixture: Path) -> None:
    page = read(built_fixture, "bulletins/air-2025-01.html")
    assert "<h1>2025年1月上旬测试市空气质量</h1>" in page
    assert page.index("一、总体情况") < page.index('id="chart-air-mini-pm25-hourly"')
    assert "alert(" not in page  # raw <script> in Markdown never reaches the public
    english = read(built_fixture, "en/bulletins/air-2025-01.html")
    assert "<h1>Air quality in early January 2025</h1>" in english
    assert "Hourly PM2.5 by station" in english


def test_embargoed_bulletin_appears_nowhere(built_fixture: Path) -> None:
    for path in built_fixture.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"EMBARGO-MARKER-7f3a" not in data, path
            assert b"embargoed-note" not in data, path


def test_pages_without_charts_do_not_load_plotly(built_fixture: Path) -> None:
    assert "plotly.min.js" not in read(built_fixture, "index.html")
    assert "plotly.min.js" not in read(built_fixture, "datasets/index.html")


def test_two_builds_are_byte_identical(approved_portal: Path, tmp_path: Path) -> None:
    portal = approved_portal
    def snapshot(out: Path) -> dict[str, bytes]:
        return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}

    build_site(portal, tmp_path / "a")
    build_site(portal, tmp_path / "b")
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def test_rebuild_replaces_output_and_leaves_no_staging_folder(approved_portal: Path) -> None:
    portal = approved_portal
    build_site(portal)
    # (Deleting an approved item's files no longer unpublishes it: the log decides, and taking
    # it down is a withdrawal; see tests/adversarial/test_log.py.)
    (portal / "output/bulletins/stale.html").write_text("stale", encoding="utf-8")
    build_site(portal)
    assert not (portal / "output/bulletins/stale.html").exists()  # no stale output
    assert not [p for p in portal.iterdir() if p.name.startswith(".publisher-build-")]


def test_failed_build_leaves_previous_site_untouched(approved_portal: Path) -> None:
    portal = approved_portal
    build_site(portal)
    before = (portal / "output/index.html").read_bytes()
    (portal / "themes/portal/templates").mkdir(parents=True)
    (portal / "themes/portal/templates/home.html").write_text("{% broken", encoding="utf-8")
    import pytest
    from publisher.site import BuildError

    with pytest.raises(BuildError):
        build_site(portal)
    assert (portal / "output/index.html").read_bytes() == before
    assert not [p for p in portal.iterdir() if p.name.startswith(".publisher-build-")]
