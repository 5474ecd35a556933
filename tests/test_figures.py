"""Figures cited by bulletins: each measure against a hand computation, the check, the reader, drafting."""

from __future__ import annotations

import shutil
import statistics
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from publisher.check import check_items
from publisher.cli import cli
from publisher.content import load_content
from publisher.figures import compute_figure
from publisher.pelican_plugin import render_markdown

ROOT = Path(__file__).resolve().parent.parent
DAYS = range(1, 29)  # February 2025

REGISTRY = """\
city: {code: '990100', name: 示范市}
areas:
- {code: '990100', name: 示范市, level: city}
air_stations:
- {id: st-a, name: 甲站, area: '990100', type: urban}
- {id: st-b, name: 乙站, area: '990100', type: urban}
- {id: st-bg, name: 对照站, area: '990100', type: background}
water_sections:
- {id: ws-a, name: 甲断面, area: '990100', water_body: 甲河, kind: river, target_class: II}
- {id: ws-b, name: 乙断面, area: '990100', water_body: 乙河, kind: river, target_class: III}
"""

DATASET = """\
id: {id}
title: {{zh: 测试}}
description: {{zh: 测试}}
category: {category}
department: sthjj
area: {{code: '990100', name: 示范市}}
classification: public
license: CC-BY-4.0
update_frequency: monthly
temporal: {{start: 2025-01-01, end: 2025-12-31}}
spatial: {{description: {{zh: 全市}}}}
status: verified
resources:
- name: data
  path: data.csv
  title: {{zh: 数据}}
  schema:
    fields:
{fields}
"""


def _field(name: str, kind: str, parameter: str | None = None) -> str:
    line = f"    - {{name: {name}, type: {kind}, title: {{zh: {name}}}"
    return line + (f", parameter: {parameter}}}" if parameter else "}")


def station_values(station: str, day: int) -> dict[str, float]:
    """Constant hourly values for one station and day (so the daily mean is the value)."""
    if station == "st-bg":  # the background station must not enter the city value
        return {"so2": 500, "no2": 500, "co": 9, "o3": 500, "pm10": 500, "pm25": 400}
    offset = 0 if station == "st-a" else 10
    return {"so2": 5, "no2": 20 + offset, "co": 0.4 if station == "st-a" else 0.8, "o3": 50 + offset + day,
            "pm10": 40, "pm25": day * 4 - 5 + offset}


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    content = tmp_path / "content"
    (content / "bulletins").mkdir(parents=True)
    (content / "registry.yaml").write_text(REGISTRY, encoding="utf-8")
    air = content / "datasets" / "air-tiny"
    air.mkdir(parents=True)
    fields = [_field("station_id", "string"), _field("time", "datetime")]
    fields += [_field(p, "number", p) for p in ("so2", "no2", "co", "o3", "pm10", "pm25")]
    (air / "dataset.yaml").write_text(DATASET.format(id="air-tiny", category="air_quality", fields="\n".join(fields)),
                                      encoding="utf-8")
    rows = ["station_id,time,so2,no2,co,o3,pm10,pm25"]
    for station in ("st-a", "st-b", "st-bg"):
        for day in DAYS:
            v = station_values(station, day)
            start = datetime(2025, 2, day)
            for hour in range(1, 25):  # hours stamped at their end: 01:00 … 24:00 (= next day 00:00)
                t = (start + timedelta(hours=hour)).isoformat() + "+08:00"
                rows.append(f"{station},{t},{v['so2']},{v['no2']},{v['co']},{v['o3']},{v['pm10']},{v['pm25']}")
    (air / "data.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    water = content / "datasets" / "water-tiny"
    water.mkdir(parents=True)
    fields = [_field("section_id", "string"), _field("sample_date", "date"), _field("codmn", "number", "codmn")]
    (water / "dataset.yaml").write_text(DATASET.format(id="water-tiny", category="surface_water",
                                                       fields="\n".join(fields)), encoding="utf-8")
    (water / "data.csv").write_text(
        "section_id,sample_date,codmn\n"
        "ws-a,2025-07-10,3.0\nws-a,2025-08-10,3.5\nws-a,2025-09-10,5.0\n"  # mean 3.83: class II, target II
        "ws-b,2025-07-10,6.0\nws-b,2025-08-10,8.0\nws-b,2025-09-10,7.0\n"  # mean 7.0: class IV, target III
        "ws-b,2025-10-10,1.0\n", encoding="utf-8")  # outside the quarter
    return tmp_path


def city_daily(pollutant: str) -> list[float]:
    return [statistics.mean([station_values(s, d)[pollutant] for s in ("st-a", "st-b")]) for d in DAYS]


def city_pm25_aqi(day_pm25: float) -> float:
    """HJ 633-2012 IAQI of PM2.5 (24 h) by hand, rounded up; other pollutants are all ≤ 50 here."""
    bp = [(0, 0), (35, 50), (75, 100), (115, 150), (150, 200)]
    for (c0, i0), (c1, i1) in zip(bp, bp[1:]):
        if day_pm25 <= c1:
            import math
            return math.ceil((i1 - i0) / (c1 - c0) * (day_pm25 - c0) + i0)
    raise AssertionError


def fig(root: Path, dataset: str, measure: str, period: str, station: str | None = None) -> str:
    return str(compute_figure(load_content(root), dataset, measure, period, station))


def test_air_measures_match_hand_computation(tiny: Path) -> None:
    aqi = [max(city_pm25_aqi(v), 50) for v in city_daily("pm25")]
    good = sum(a <= 100 for a in aqi)
    assert fig(tiny, "air-tiny", "good_day_share", "2025-02") == f"{good * 100 / len(aqi):.1f}" == "64.3"
    assert fig(tiny, "air-tiny", "aqi_days_over_100", "2025-02") == str(sum(a > 100 for a in aqi)) == "10"
    assert fig(tiny, "air-tiny", "pm25_mean", "2025-02") == str(round(statistics.mean(city_daily("pm25"))))
    assert fig(tiny, "air-tiny", "pm10_mean", "2025-02") == "40"
    assert fig(tiny, "air-tiny", "no2_mean", "2025-02") == "25"
    assert fig(tiny, "air-tiny", "so2_mean", "2025-02") == "5"
    assert fig(tiny, "air-tiny", "co_mean", "2025-02") == "0.6"
    o3 = sorted(city_daily("o3"))
    k = (len(o3) - 1) * 0.9  # HJ 663-2013 percentile, by hand
    p90 = o3[int(k)] + (k - int(k)) * (o3[int(k) + 1] - o3[int(k)])
    assert fig(tiny, "air-tiny", "o3_8h_p90", "2025-02") == str(round(p90)) == "80"
    station_a = statistics.mean(station_values("st-a", d)["pm25"] for d in DAYS)
    assert fig(tiny, "air-tiny", "pm25_mean", "2025-02", "st-a") == str(round(station_a))


def test_water_measures_match_hand_computation(tiny: Path) -> None:
    assert fig(tiny, "water-tiny", "sections_total", "2025-Q3") == "2"
    assert fig(tiny, "water-tiny", "sections_meeting_target", "2025-Q3") == "1"


def test_reader_substitutes_declared_values() -> None:
    html = render_markdown("比例为{{figure:good}}%。", {"good": {"value": 87.1}})
    assert "比例为87.1%" in html and "figure:" not in html


@pytest.mark.parametrize("value, zh, en", [(95.2, "上升95.2%", "up 95.2%"), (-3.0, "下降3.0%", "down 3.0%"),
                                           (0.0, "持平", "unchanged")])
def test_a_change_figure_is_written_with_its_direction(value: float, zh: str, en: str) -> None:
    figures = {"c": {"compare": "2025-09", "value": value}}
    assert f"环比{zh}。" in render_markdown("环比{{figure:c}}。", figures)
    assert f"month on month {en}." in render_markdown("month on month {{figure:c}}.", figures, "en")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    shutil.copytree(ROOT / "content", root / "content")
    shutil.copy(ROOT / "release_rules.yaml", root / "release_rules.yaml")
    return root


def test_wrong_figure_fails_the_check(demo: Path) -> None:
    text = (demo / "content/bulletins/air-2025-10.md").read_text(encoding="utf-8")
    text = text.replace('charts: [', "figures:\n  pm25: {dataset: air-hourly-2025, measure: pm25_mean, period: 2025-10, value: 40}\ncharts: [", 1)
    text = text.replace("PM2.5）月均浓度为41", "PM2.5）月均浓度为{{figure:pm25}}{{figure:nope}}", 1)
    (demo / "content/bulletins/air-wrong-2025-10.md").write_text(text, encoding="utf-8")
    findings = check_items(demo, ["air-wrong-2025-10"]).report.findings
    mismatch = [f for f in findings if f.rule == "bulletin-figure-mismatch"]
    assert len(mismatch) == 1
    assert "'pm25'" in mismatch[0].message_en and "written 40" in mismatch[0].message_en
    assert "give 41" in mismatch[0].message_en and "写作 40" in mismatch[0].message_zh
    assert [f.rule for f in findings if "nope" in f.message_en] == ["bulletin-figure-unknown"]


def test_a_change_is_computed_from_the_two_rounded_values_and_checked(demo: Path) -> None:
    from decimal import Decimal

    content = load_content(demo)
    now = compute_figure(content, "air-hourly-2025", "pm25_mean", "2025-10")
    then = compute_figure(content, "air-hourly-2025", "pm25_mean", "2025-09")
    change = compute_figure(content, "air-hourly-2025", "pm25_mean", "2025-10", compare="2025-09")
    assert change == ((now - then) / then * 100).quantize(Decimal("0.1"))
    text = (demo / "content/bulletins/air-2025-10.md").read_text(encoding="utf-8")
    wrong = f"{float(change) + 0.1:.1f}"
    text = text.replace('charts: [', "figures:\n  ch: {dataset: air-hourly-2025, measure: pm25_mean, period: 2025-10, "
                        f"compare: 2025-09, value: {wrong}}}\ncharts: [", 1)
    (demo / "content/bulletins/air-change-2025-10.md").write_text(text, encoding="utf-8")
    [mismatch] = [f for f in check_items(demo, ["air-change-2025-10"]).report.findings
                  if f.rule == "bulletin-figure-mismatch"]
    assert f"written {wrong} but the data give {change}" in mismatch.message_en and "vs 2025-09" in mismatch.message_en


def test_draft_passes_its_own_check_and_is_never_overwritten(demo: Path) -> None:
    runner = CliRunner()
    args = ["--project", str(demo), "draft", "bulletin", "air-monthly", "--month", "2025-10",
            "--out", "content/bulletins/air-draft-2025-10.md"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    draft = (demo / "content/bulletins/air-draft-2025-10.md").read_text(encoding="utf-8")
    assert "{{figure:good-share}}" in draft and "无上年同期数据" in draft and "[[chart:" in draft
    assert "环比（2025年9月，{{figure:pm25-prev}}微克/立方米）{{figure:pm25-change-2025-09}}" in draft
    assert "compare: \"2025-09\"" in draft
    assert "| 1 | 湖滨市 | {{figure:pm25-990181}} | {{figure:good-share-990181}} |" in draft  # counties ranked
    checked = check_items(demo, ["air-draft-2025-10"])
    assert not checked.report.errors, [f.line() for f in checked.report.errors]
    again = runner.invoke(cli, args)
    assert again.exit_code == 2
    assert "不会覆盖" in again.output and "not overwritten" in again.output
    assert (demo / "content/bulletins/air-draft-2025-10.md").read_text(encoding="utf-8") == draft


def test_air_figures_use_the_portals_aqi_method(tiny: Path) -> None:
    """PM2.5 above the top of its column (600 > 500) on one day: the platform's method gives the
    day IAQI 500, the literal reading computes no sub-index and withholds the day. A bulletin
    figure follows the method it is given (the portal's aqi.method), not always the default."""
    data = tiny / "content/datasets/air-tiny/data.csv"
    lines = data.read_text(encoding="utf-8").splitlines()
    lines = [ln.rsplit(",", 1)[0] + ",600" if ln.startswith("st-a,2025-02-05T") or ln.startswith("st-a,2025-02-06T00")
             else ln for ln in lines]
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    content = load_content(tiny)
    platform = compute_figure(content, "air-tiny", "aqi_days_over_100", "2025-02", "st-a", method="platform")
    literal = compute_figure(content, "air-tiny", "aqi_days_over_100", "2025-02", "st-a", method="literal")
    assert platform == literal + 1
    assert compute_figure(content, "air-tiny", "aqi_days_over_100", "2025-02", "st-a") == platform  # the default
