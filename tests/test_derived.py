"""Derived datasets: computed by the build from published inputs, versioned, logged with the
input hashes, checked and released like any dataset."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from conftest import ROOT, approve_items
from publisher.audit import verify_log
from publisher.check import check_items
from publisher.content import load_content
from publisher.derived import emission_exceedances, water_classes
from publisher.site import build_preview, build_site
from publisher.verify import verify_file
from publisher.workflow import LOG_FILE, item_states, open_log, trusted_log_keys, var_dir

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=TZ)
DAILY = "air-mini-daily"

DEFINITION = """\
id: {id}
title: {{zh: 测试市空气质量日报, en: Test city daily AQI}}
description: {{zh: 由小时数据计算。, en: Computed from the hourly data.}}
category: air_quality
department: sthjj
area: {{code: "990100", name: 示范市}}
classification: public
license: CC-BY-4.0
update_frequency: daily
temporal: {{start: 2025-01-01, end: 2025-01-02}}
spatial: {{description: {{zh: 全市, en: Whole city}}}}
status: verified
derived: {{method: {method}, inputs: [{inputs}]}}
"""


def define(project: Path, item_id: str = DAILY, method: str = "daily-aqi", inputs: str = "air-mini") -> None:
    folder = project / "content" / "datasets" / item_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dataset.yaml").write_text(DEFINITION.format(id=item_id, method=method, inputs=inputs),
                                         encoding="utf-8")


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def entries(project: Path, event: str, item: str = DAILY) -> list:
    with open_log(project) as log:
        return [e for e in log.entries() if e.event == event and e.item == item]


@pytest.fixture
def derived_portal(portal: Path) -> Path:
    """The fixture portal with a daily-AQI definition, everything approved and built once."""
    define(portal)
    approve_items(portal, ("air-mini", "air-2025-01", DAILY))
    build_site(portal, now=NOW)
    return portal


# -- definitions --------------------------------------------------------------------------------------


def test_a_definition_needs_no_data_files_and_passes_the_check(portal: Path) -> None:
    define(portal)
    result = check_items(portal, [DAILY])
    assert [f.rule for f in result.findings_for(DAILY)] == []
    assert result.content.datasets[DAILY].derived.inputs == ("air-mini",)


@pytest.mark.parametrize("method, inputs, rule", [
    ("daily-aqy", "air-mini", "derived-method-unknown"),
    ("daily-aqi", "air-nowhere", "derived-input-missing"),
    ("water-class", "air-mini", "derived-input-category"),
    ("daily-aqi", "other-daily", "derived-input-derived"),
])
def test_a_bad_definition_is_an_error_naming_the_key(portal: Path, method: str, inputs: str, rule: str) -> None:
    define(portal, "other-daily")
    define(portal, "bad-daily", method, inputs)
    found = [f for f in check_items(portal, ["bad-daily"]).findings_for("bad-daily") if f.rule == rule]
    assert found and found[0].severity.value == "error"
    assert found[0].key.startswith("derived.") and found[0].file == "content/datasets/bad-daily/dataset.yaml"


# -- publication -------------------------------------------------------------------------------------


def test_the_build_computes_publishes_and_logs_the_input_hashes(derived_portal: Path) -> None:
    out = derived_portal / "output"
    folder = out / "data" / DAILY / "1"
    stations, city = rows(folder / "stations.csv"), rows(folder / "city.csv")
    assert list(stations[0]) == [
        "station_id", "date", "pm25_24h", "pm10_24h", "so2_24h", "no2_24h", "co_24h", "o3_1h_max", "o3_8h_max",
        "iaqi_pm25", "iaqi_pm10", "iaqi_so2", "iaqi_no2", "iaqi_co", "iaqi_o3_1h", "iaqi_o3_8h",
        "aqi", "level", "primary_pollutant", "completeness", "missing_pollutants"]
    assert {r["station_id"] for r in stations} == {"aq-east", "aq-west"}
    assert {r["area_code"] for r in city} == {"990100"}
    for r in stations + city:
        if r["aqi"]:
            assert int(r["aqi"]) == max(int(r[c]) for c in r if c.startswith("iaqi_") and r[c])
            assert (r["primary_pollutant"] == "") == (int(r["aqi"]) <= 50)

    [derivation] = entries(derived_portal, "derivation")
    [source] = derivation.details["inputs"]
    approved_csv = derived_portal / "content/datasets/air-mini/air_hourly.csv"
    assert source["item"] == "air-mini" and source["version"] == 1
    assert source["files"]["datasets/air-mini/air_hourly.csv"] == hashlib.sha256(approved_csv.read_bytes()).hexdigest()
    assert derivation.details["method"] == "daily-aqi" and "HJ 633-2012" in derivation.details["standards"]
    assert derivation.details["definition"]["version"] == 1
    [publication] = entries(derived_portal, "publication")
    assert publication.details["digest"] == derivation.details["digest"] and publication.version == 1
    assert verify_log(var_dir(derived_portal) / LOG_FILE, trusted_log_keys(derived_portal)).ok

    # Downloads are recognised by the journalists' check, and the version has its proof.
    verdict = verify_file(folder / "stations.csv", out)
    assert verdict.ok and verdict.item == DAILY and verdict.derived["method"] == "daily-aqi"
    assert verdict.derived["inputs"] == [{"item": "air-mini", "version": 1, "digest": source["digest"],
                                          "published": True}]
    assert {a["role"] for a in verdict.approvals} == {"reviewer:sthjj", "press-office"}  # of the definition
    assert any("派生数据 derived (daily-aqi)" in line for line in verdict.lines())
    assert (out / "log" / "proofs" / f"{DAILY}-v1.json").is_file()
    releases = (out / "releases.html").read_text(encoding="utf-8")
    row = releases[releases.index(f"datasets/{DAILY}/"):]
    assert "新闻办公室" in row[:row.index("</tr>")]  # the roles that approved the definition
    page = (out / "datasets" / DAILY / "index.html").read_text(encoding="utf-8")
    assert "派生数据" in page and 'href="../../datasets/air-mini/index.html"' in page
    assert "国家实时发布平台做法" in page  # the AQI method, said on the page in both languages
    page_en = (out / "en" / "datasets" / DAILY / "index.html").read_text(encoding="utf-8")
    assert "national real-time publication platform" in page_en
    meta = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert {"stations-csv", "city-csv"} <= {r["name"] for r in meta["resources"]}
    built = build_site(derived_portal, now=NOW)
    assert [f.rule for f in built.report.for_item(DAILY)] == []  # the computed tables pass every rule
    state = {s.item: s for s in item_states(derived_portal, NOW)[0]}[DAILY]
    assert state.state == "published"


def test_a_rebuild_reuses_the_version_and_writes_the_same_bytes(derived_portal: Path, tmp_path: Path) -> None:
    build_site(derived_portal, tmp_path / "again", now=NOW)
    assert len(entries(derived_portal, "derivation")) == 1
    for name in ("stations.csv", "city.csv", "datapackage.json"):
        assert (tmp_path / "again" / "data" / DAILY / "1" / name).read_bytes() == \
            (derived_portal / "output" / "data" / DAILY / "1" / name).read_bytes()


def test_a_rebuild_takes_the_derived_tables_from_the_cache_and_a_damaged_blob_is_computed_again(
        derived_portal: Path, tmp_path: Path) -> None:
    published = derived_portal / "output" / "data" / DAILY / "1"
    again = build_site(derived_portal, tmp_path / "again", now=NOW)
    assert again.reused["derived data"] == "1/1"
    blobs = [p for p in (derived_portal / "var" / "cache" / "blobs").rglob("*") if p.is_file()]
    for blob in blobs:  # every stored file damaged: the cache must not be believed
        blob.write_bytes(blob.read_bytes().replace(b"2025-01-01", b"2025-01-09"))
    damaged = build_site(derived_portal, tmp_path / "damaged", now=NOW)
    assert damaged.reused["derived data"] == "0/1"
    for output in ("again", "damaged"):
        for name in ("stations.csv", "city.csv", "datapackage.json"):
            assert (tmp_path / output / "data" / DAILY / "1" / name).read_bytes() == (published / name).read_bytes()
    assert len(entries(derived_portal, "derivation")) == 1


def test_a_damaged_stored_file_is_stored_afresh_after_the_miss(derived_portal: Path, tmp_path: Path) -> None:
    for blob in (p for p in (derived_portal / "var" / "cache" / "blobs").rglob("*") if p.is_file()):
        blob.write_bytes(b"")  # what a crash before the data reached the disk can leave
    assert build_site(derived_portal, tmp_path / "damaged", now=NOW).reused["derived data"] == "0/1"
    assert build_site(derived_portal, tmp_path / "again", now=NOW).reused["derived data"] == "1/1"


def test_a_corrected_input_is_computed_again_not_taken_from_the_cache(derived_portal: Path) -> None:
    csv_path = derived_portal / "content/datasets/air-mini/air_hourly.csv"
    csv_path.write_text(csv_path.read_text(encoding="utf-8").replace(",69.6,43.5\n", ",69.6,143.5\n"), encoding="utf-8")
    approve_items(derived_portal, ("air-mini",), reason="correction", note="更正一个小时值")
    assert build_site(derived_portal, now=NOW).reused["derived data"] == "0/1"
    assert len(entries(derived_portal, "derivation")) == 2


def test_unapproved_changes_to_an_input_never_reach_the_derived_data(derived_portal: Path) -> None:
    csv_path = derived_portal / "content/datasets/air-mini/air_hourly.csv"
    csv_path.write_text(csv_path.read_text(encoding="utf-8").replace(",69.6,43.5\n", ",69.6,460.5\n"), encoding="utf-8")
    before = (derived_portal / "output" / "data" / DAILY / "1" / "stations.csv").read_bytes()
    build_site(derived_portal, now=NOW)
    assert len(entries(derived_portal, "derivation")) == 1
    assert (derived_portal / "output" / "data" / DAILY / "latest" / "stations.csv").read_bytes() == before


def test_a_corrected_input_gives_a_new_version_and_keeps_the_old(derived_portal: Path) -> None:
    csv_path = derived_portal / "content/datasets/air-mini/air_hourly.csv"
    csv_path.write_text(csv_path.read_text(encoding="utf-8").replace(",69.6,43.5\n", ",69.6,143.5\n"), encoding="utf-8")
    approve_items(derived_portal, ("air-mini",), reason="correction", note="更正一个小时值")
    build_site(derived_portal, now=NOW)
    first, second = entries(derived_portal, "derivation")
    assert second.version == 2 and second.details["reason"] == "recomputed"
    assert second.details["inputs"][0]["version"] == 2
    assert first.details["digest"] != second.details["digest"]
    data = derived_portal / "output" / "data" / DAILY
    assert (data / "1" / "stations.csv").read_bytes() != (data / "2" / "stations.csv").read_bytes()
    assert (data / "latest" / "stations.csv").read_bytes() == (data / "2" / "stations.csv").read_bytes()
    page = (derived_portal / "output" / "datasets" / DAILY / "index.html").read_text(encoding="utf-8")
    assert "输入数据更新后重新计算" in page


def test_withdrawing_an_input_withdraws_what_was_derived_from_it(derived_portal: Path) -> None:
    from publisher.keys import demo_key
    from publisher.workflow import withdraw

    saved = (derived_portal / "output" / "data" / DAILY / "1" / "city.csv").read_bytes()
    entries_made = withdraw(derived_portal, "air-mini", "li-hua", demo_key("li-hua"),
                            "发现仪器故障 / instrument fault found")
    assert [(e.item, e.event) for e in entries_made] == [("air-mini", "withdrawal"), (DAILY, "withdrawal")]
    assert "its input air-mini was withdrawn: 发现仪器故障" in entries_made[1].details["reason"]
    build_site(derived_portal, now=NOW)
    out = derived_portal / "output"
    notice = (out / "datasets" / DAILY / "index.html").read_text(encoding="utf-8")
    assert "所依据的数据集 air-mini 已撤回" in notice
    assert not (out / "data" / DAILY).exists()
    keep = derived_portal / "city.csv"
    keep.write_bytes(saved)  # a journalist's earlier download
    verdict = verify_file(keep, out)
    assert verdict.ok and verdict.withdrawn and "air-mini" in verdict.withdrawn["reason"]


def test_nothing_is_derived_from_an_input_that_is_not_published(portal: Path) -> None:
    define(portal)
    approve_items(portal, (DAILY,))  # the definition, but not its input
    result = build_site(portal, now=NOW)
    assert DAILY in result.release.excluded
    assert "derived-input-not-released" in {f.rule for f in result.report.for_item(DAILY)}
    assert not (portal / "output" / "data" / DAILY).exists()
    assert not (portal / "output" / "datasets" / DAILY).exists()
    assert entries(portal, "derivation") == []


def test_an_embargoed_definition_is_derived_and_logged_only_when_due(portal: Path) -> None:
    define(portal)
    meta = portal / "content" / "datasets" / DAILY / "dataset.yaml"
    meta.write_text(meta.read_text(encoding="utf-8") + "release_at: 2026-12-01T09:00:00+08:00\n", encoding="utf-8")
    approve_items(portal, ("air-mini", DAILY))
    result = build_site(portal, now=NOW)
    assert DAILY in result.release.scheduled and entries(portal, "derivation") == []
    assert not (portal / "output" / "data" / DAILY).exists()
    build_site(portal, now=datetime(2026, 12, 1, 9, 0, tzinfo=TZ))
    [derivation] = entries(portal, "derivation")
    assert derivation.time == "2026-12-01T09:00:00+08:00"  # the embargo's end, not the clock
    assert (portal / "output" / "data" / DAILY / "1" / "city.csv").is_file()


def test_an_unapproved_definition_derives_nothing(portal: Path) -> None:
    define(portal)
    approve_items(portal, ("air-mini",))
    build_site(portal, now=NOW)
    assert entries(portal, "derivation") == [] and not (portal / "output" / "data" / DAILY).exists()


def test_a_preview_of_a_definition_computes_it_and_logs_nothing(portal: Path, tmp_path: Path) -> None:
    define(portal)
    approve_items(portal, ("air-mini",))
    with open_log(portal) as log:
        size = len(log)
    build_preview(portal, DAILY, tmp_path / "preview", now=NOW)
    assert (tmp_path / "preview" / "datasets" / DAILY / "index.html").is_file()
    with open_log(portal) as log:
        assert len(log) == size


# -- the methods on small inputs, against the standards' tables ----------------------------------------

REGISTRY = """\
city: {code: "990100", name: 示范市}
areas:
  - {code: "990100", name: 示范市, level: city}
  - {code: "990121", name: 清河县, level: county}
water_sections:
  - {id: ws-a, name: A断面, area: "990121", water_body: 清河, kind: river, target_class: III}
  - {id: ws-b, name: B断面, area: "990121", water_body: 镜湖, kind: lake, target_class: II}
enterprises:
  - {id: ent-a, name: 甲公司, credit_code: 91990121MA1234J68F, area: "990121", outlets: [{id: DA001, name: 排口}]}
"""

DATASET = """\
id: {id}
title: {{zh: 测试, en: Test}}
description: {{zh: 测试, en: Test}}
category: {category}
department: sthjj
area: {{code: "990100", name: 示范市}}
classification: public
license: CC-BY-4.0
update_frequency: monthly
temporal: {{start: 2025-01-01, end: 2025-12-31}}
spatial: {{description: {{zh: 全市, en: City}}}}
status: verified
resources:
  - name: data
    path: data.csv
    schema:
      fields:
{fields}
"""


def small_project(tmp_path: Path, item_id: str, category: str, fields: list[str], csv_text: str):
    folder = tmp_path / "content" / "datasets" / item_id
    folder.mkdir(parents=True)
    (tmp_path / "content" / "registry.yaml").write_text(REGISTRY, encoding="utf-8")
    (folder / "dataset.yaml").write_text(DATASET.format(id=item_id, category=category, fields="\n".join(
        f"        - {f}" for f in fields)), encoding="utf-8")
    (folder / "data.csv").write_text(csv_text, encoding="utf-8")
    return load_content(tmp_path)


def test_water_class_by_the_single_factor_method(tmp_path: Path) -> None:
    # GB 3838-2002 Table 1: TP class III ≤ 0.2 (rivers), ≤ 0.05 (lakes); NH3-N class III ≤ 1.0, IV ≤ 1.5.
    content = small_project(tmp_path, "water", "surface_water", [
        "{name: section_id, type: string}", "{name: sample_date, type: date}",
        "{name: nh3n, type: number, parameter: nh3_n}", "{name: tp, type: number, parameter: tp}"],
        "section_id,sample_date,nh3n,tp\n"
        "ws-a,2025-03-10,0.5,0.25\n"      # TP 0.25 > 0.2: class IV by TP, 0.25 over III
        "ws-a,2025-04-10,1.5,0.2\n"       # NH3-N 1.5 = IV limit: class IV by NH3-N; TP on the III limit
        "ws-b,2025-03-10,0.15,0.025\n"    # lake: TP 0.025 = class II limit, NH3-N 0.15 = class I: class II
        "ws-b,2025-04-10,0.15,\n")        # only NH3-N sampled: class I
    table = water_classes([content.datasets["water"]], content.registry, "Asia/Shanghai").tables[0]
    got = {(r["section_id"], r["sample_date"]): r for r in table.frame.to_dict("records")}
    a1, a2 = got[("ws-a", "2025-03-10")], got[("ws-a", "2025-04-10")]
    assert (a1["water_class"], a1["limiting_parameters"], a1["exceedance_multiples"]) == ("IV", "tp", "tp:0.25")
    assert a1["meets_target"] is False
    assert (a2["water_class"], a2["limiting_parameters"], a2["exceedance_multiples"]) == ("IV", "nh3_n", "nh3_n:0.50")
    b1 = got[("ws-b", "2025-03-10")]
    assert (b1["water_class"], b1["limiting_parameters"], b1["meets_target"]) == ("II", "tp", True)
    assert got[("ws-b", "2025-04-10")]["water_class"] == "I"


def test_emission_exceedance_days_and_multiples(tmp_path: Path) -> None:
    content = small_project(tmp_path, "emissions", "pollution_source", [
        "{name: area_code, type: string}", "{name: enterprise_id, type: string, references: enterprises}",
        "{name: outlet_id, type: string}", "{name: date, type: date}", "{name: parameter, type: string}",
        "{name: value, type: number}", "{name: unit, type: string}", "{name: limit, type: number}"],
        "area_code,enterprise_id,outlet_id,date,parameter,value,unit,limit\n"
        "990121,ent-a,DA001,2025-01-01,so2,35,mg/m³,35\n"    # on the limit: not over
        "990121,ent-a,DA001,2025-01-02,so2,42,mg/m³,35\n"    # (42 - 35) / 35 = 0.20
        "990121,ent-a,DA001,2025-01-03,so2,70,mg/m³,35\n"    # 1.00
        "990121,ent-a,DA001,2025-02-01,so2,10,mg/m³,35\n")
    computed = emission_exceedances([content.datasets["emissions"]], content.registry, "Asia/Shanghai")
    exceed, summary = (t.frame for t in computed.tables)
    assert list(exceed["date"]) == ["2025-01-02", "2025-01-03"]
    assert [round(m, 2) for m in exceed["multiple"]] == [0.2, 1.0]
    by_period = {r["period"]: r for r in summary.to_dict("records")}
    assert (by_period["2025-01"]["days_reported"], by_period["2025-01"]["exceedance_days"]) == (3, 2)
    assert by_period["2025-01"]["max_multiple"] == pytest.approx(1.0)
    assert (by_period["2025-02"]["exceedance_days"], by_period["2025"]["exceedance_days"]) == (0, 2)
    assert computed.tables[0].csv_bytes().decode().splitlines()[1] == \
        "990121,ent-a,DA001,so2,2025-01-02,42.000,mg/m³,35.000,0.20"


def test_quality_screens_leave_derived_tables_alone(derived_portal: Path) -> None:
    """The days over a limit have gaps by nature; screens look at measured series only."""
    from publisher.check import check_content
    from publisher.config import load_rules

    rules, content = load_rules(derived_portal), load_content(derived_portal)
    rules.quality["gap"].options["max_hours"] = 1  # any gap longer than three hours
    hourly = content.datasets["air-mini"]
    csv_path = hourly.resources[0].path
    lines = csv_path.read_text(encoding="utf-8").splitlines(keepends=True)
    csv_path.write_text("".join(lines[:5] + lines[9:]), encoding="utf-8")  # a 4-hour gap
    assert "series-gap" in {f.rule for f in check_content(rules, content, ["air-mini"])}
    content.datasets["air-mini"] = replace_derived(hourly)
    assert "series-gap" not in {f.rule for f in check_content(rules, content, ["air-mini"])}


def replace_derived(ds):
    from dataclasses import replace

    from publisher.content import DerivedFrom

    return replace(ds, derived=DerivedFrom("realtime-aqi", ("x",)))


def test_air_summary_agrees_with_the_figures_a_bulletin_cites(tmp_path: Path) -> None:
    """The summary table and the bulletin check compute the same measures two ways."""
    from publisher.derived import air_summary
    from publisher.figures import compute_figure

    shutil.copytree(ROOT / "content", tmp_path / "content")
    content = load_content(tmp_path)
    source = content.datasets["air-hourly-2025"]
    computed = air_summary([source], content.registry, "Asia/Shanghai")
    summary = computed.tables[0]
    written = rows_from(summary.csv_bytes())
    city = {r["period"]: r for r in written if r["scope"] == "city"}
    for period in ("2025-01", "2025-10", "2025"):
        for measure in ("good_day_share", "pm25_mean", "co_mean", "o3_8h_p90"):
            assert city[period][measure] == str(compute_figure(content, source.id, measure, period)), (period, measure)
    station = {r["period"]: r for r in written if r["id"] == "aq-chengdong"}
    assert station["2025-10"]["pm25_mean"] == str(compute_figure(content, source.id, "pm25_mean", "2025-10",
                                                                 "aq-chengdong"))
    ranking = rows_from(computed.tables[1].csv_bytes())
    year = [r for r in ranking if r["period"] == "2025"]
    assert len(year) == 5 and sorted(int(r["pm25_rank"]) for r in year)[0] == 1
    best = min(year, key=lambda r: int(r["pm25_mean"]))
    assert best["pm25_rank"] == "1"
    for r in (r for r in ranking if r["period"] == "2025-10"):  # a county figure is the same mean
        assert r["pm25_mean"] == str(compute_figure(content, source.id, "pm25_mean", "2025-10", r["area_code"]))
        assert r["good_day_share"] == str(compute_figure(content, source.id, "good_day_share", "2025-10",
                                                         r["area_code"]))


def rows_from(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_warnings_come_from_monitoring_data_not_from_derived_copies(tmp_path: Path) -> None:
    from dataclasses import replace

    from publisher.content import DerivedFrom
    from publisher.warnings import derive_warnings

    content = small_project(tmp_path, "emissions", "pollution_source", [
        "{name: area_code, type: string}", "{name: enterprise_id, type: string, references: enterprises}",
        "{name: outlet_id, type: string}", "{name: date, type: date}", "{name: parameter, type: string}",
        "{name: value, type: number}", "{name: unit, type: string}", "{name: limit, type: number}"],
        "area_code,enterprise_id,outlet_id,date,parameter,value,unit,limit\n"
        "990121,ent-a,DA001,2025-01-02,so2,42,mg/m³,35\n")
    source = content.datasets["emissions"]
    copy = replace(source, id="copy", derived=DerivedFrom("emission-exceedance", ("emissions",)))
    assert len(derive_warnings([source], content.registry, {}, "Asia/Shanghai")) == 1
    assert derive_warnings([source, copy], content.registry, {}, "Asia/Shanghai") == \
        derive_warnings([source], content.registry, {}, "Asia/Shanghai")
