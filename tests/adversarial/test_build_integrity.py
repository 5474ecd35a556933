"""Attacks on what the build publishes: a withdrawn version coming back with a correction, a
sensitive column shown through a chart or the home page's AQI, and one approved dataset that
stops every build (so a later withdrawal never reaches the site)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from conftest import approve_items

from publisher.check import check_items
from publisher.keys import demo_key
from publisher.site import build_site
from publisher.verify import verify_file
from publisher.workflow import WorkflowError, approve, submit, withdraw

DS = "air-mini"
PHONE = "13912345678"


def _csv(portal: Path, ds: str = DS) -> Path:
    return portal / "content" / "datasets" / ds / "air_hourly.csv"


def _meta(portal: Path, ds: str = DS) -> Path:
    return portal / "content" / "datasets" / ds / "dataset.yaml"


def _approve(portal: Path, items: list[str], note: str = "", reason: str | None = None) -> None:
    submit(portal, items, "data-officer", demo_key("data-officer"))
    for user in ("zhang-min", "li-hua"):
        approve(portal, items, user, demo_key(user), ack_warnings=True, note=note, reason=reason)


def _public_files(output: Path) -> dict[str, Path]:
    return {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in output.rglob("*") if p.is_file()}


def test_withdraw_then_correct_leaves_no_byte_of_v1_public(approved_portal: Path) -> None:
    build_site(approved_portal)
    output = approved_portal / "output"
    v1_folder = output / "data" / DS / "1"
    v1 = {p.relative_to(v1_folder).as_posix(): p.read_bytes() for p in v1_folder.rglob("*") if p.is_file()}
    assert {f"{DS}.zip", "SHA256SUMS"} <= set(v1)
    old_csv = approved_portal / "v1.csv"
    old_csv.write_bytes((v1_folder / "air-hourly.csv").read_bytes())
    withdraw(approved_portal, DS, "li-hua", demo_key("li-hua"), "v1 数值有误 / v1 values wrong")
    build_site(approved_portal)
    # the correction: one cell changed, approved as v2
    data = _csv(approved_portal)
    data.write_text(data.read_text(encoding="utf-8").replace(",46.5\n", ",46.6\n", 1), encoding="utf-8")
    _approve(approved_portal, [DS], note="更正 / corrected", reason="correction")
    build_site(approved_portal)

    assert not v1_folder.exists()
    public = _public_files(output)
    leaked = {name for name, data in v1.items() if hashlib.sha256(data).hexdigest() in public}
    assert not leaked, leaked
    for path in public.values():
        if path.suffix in (".html", ".json", ".xml", ".txt", ".csv") and "log" not in path.relative_to(output).parts:
            assert f"data/{DS}/1/" not in path.read_text(encoding="utf-8", errors="replace"), path
    # still named on the dataset page, as withdrawn, with the notice's reason and no link
    page = (output / "datasets" / DS / "index.html").read_text(encoding="utf-8")
    assert 'id="version-1"' in page and "v1 数值有误 / v1 values wrong" in page and "已撤回" in page
    assert 'id="version-2"' in page
    # and the old file, checked against the public log, says withdrawn
    verdict = verify_file(old_csv, output)
    assert verdict.ok and verdict.version == 1 and verdict.withdrawn is not None


def _with_phone_column(portal: Path) -> None:
    data = _csv(portal)
    lines = data.read_text(encoding="utf-8").splitlines()
    data.write_text("\n".join([lines[0] + ",duty_phone"] + [line + f",{PHONE}" for line in lines[1:]]) + "\n",
                    encoding="utf-8")
    meta = _meta(portal)
    meta.write_text(meta.read_text(encoding="utf-8").replace(
        "title: {zh: 细颗粒物, en: PM2.5}}",
        "title: {zh: 细颗粒物, en: PM2.5}}\n"
        "        - {name: duty_phone, type: string, sensitive: true, title: {zh: 值班电话, en: Duty phone}}"),
        encoding="utf-8")


def test_sensitive_column_as_a_chart_group_never_reaches_a_page(portal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _with_phone_column(portal)
    meta = _meta(portal)
    meta.write_text(meta.read_text(encoding="utf-8") + (
        "  - id: pm25-by-duty\n    kind: timeseries\n    resource: air-hourly\n    x: time\n    y: [pm25]\n"
        "    group: duty_phone\n    title: {zh: 按值班电话, en: By duty phone}\n"), encoding="utf-8")
    # the check names the chart's key, and the submission is refused
    found = [f for f in check_items(portal, [DS]).report if f.rule == "sensitive-column-shown"]
    assert [(f.file, f.key, f.column) for f in found] == [
        (f"content/datasets/{DS}/dataset.yaml", "charts[2].group", "duty_phone")]
    with pytest.raises(WorkflowError, match="sensitive-column-shown"):
        submit(portal, [DS], "data-officer", demo_key("data-officer"))
    # a version approved before the check knew the rule: the reader drops the column all the same
    monkeypatch.setattr("publisher.rules.privacy._charted_sensitive", lambda ctx: [])
    approve_items(portal)
    result = build_site(portal)

    assert (portal / "output" / "datasets" / DS / "index.html").is_file()
    for path in (portal / "output").rglob("*"):
        if path.is_file():
            assert PHONE.encode() not in path.read_bytes(), path
    assert ("chart-unavailable", DS, "charts[2]") in {(f.rule, f.item, f.key) for f in result.report}


def test_sensitive_pollutant_never_reaches_the_home_page_aqi(portal: Path) -> None:
    build_site(_approved_copy(portal))
    before = _home_aqi(portal)
    assert before  # the unchanged dataset shows each station's AQI
    shutil.rmtree(portal / "output")
    meta = _meta(portal)
    text = meta.read_text(encoding="utf-8")
    text = text.replace("parameter: pm25, title:", "parameter: pm25, sensitive: true, title:")
    text = text.split("charts:")[0]  # no chart names the column
    meta.write_text(text, encoding="utf-8")
    _approve(portal, [DS], note="pm25 sensitive", reason="revision")
    build_site(portal)
    assert _home_aqi(portal) == []  # pm25 unpublished: no AQI computed from it


def _approved_copy(portal: Path) -> Path:
    approve_items(portal)
    return portal


def _home_aqi(portal: Path) -> list[str]:
    import re

    home = (portal / "output" / "index.html").read_text(encoding="utf-8")
    return re.findall(r'class="aqi-swatch"[^>]*>(\d+)<', home)


def _air_2026(portal: Path, ds: str, hours: range = range(24)) -> None:
    """A copy of air-mini, moved to March 2026 (after HJ 633-2012's end in the standards table)."""
    folder = portal / "content" / "datasets" / ds
    shutil.copytree(portal / "content" / "datasets" / DS, folder)
    (folder / "dataset.yaml").write_text(_meta(portal).read_text(encoding="utf-8").replace(
        f"id: {DS}", f"id: {ds}").replace("2025-01-0", "2026-03-0"), encoding="utf-8")
    lines = _csv(portal).read_text(encoding="utf-8").splitlines()
    rows = [line.replace("2025-01-0", "2026-03-0") for line in lines[1:]]
    (folder / "air_hourly.csv").write_text("\n".join([lines[0]] + rows) + "\n", encoding="utf-8")


def _few_hours(portal: Path, ds: str) -> None:
    """A copy of air-mini with ten hours a day: no day is complete."""
    folder = portal / "content" / "datasets" / ds
    shutil.copytree(portal / "content" / "datasets" / DS, folder)
    (folder / "dataset.yaml").write_text(_meta(portal).read_text(encoding="utf-8").replace(
        f"id: {DS}", f"id: {ds}"), encoding="utf-8")
    lines = _csv(portal).read_text(encoding="utf-8").splitlines()
    rows = [line for line in lines[1:] if line.split(",")[1][11:13] < "10"]
    (folder / "air_hourly.csv").write_text("\n".join([lines[0]] + rows) + "\n", encoding="utf-8")


def test_datasets_that_stopped_every_build_leave_the_portal_building_and_a_withdrawal_published(portal: Path) -> None:
    _air_2026(portal, "air-2026")
    _few_hours(portal, "air-few-hours")
    approve_items(portal, ("air-mini", "air-2025-01", "embargoed-note", "air-2026", "air-few-hours"))
    result = build_site(portal)
    output = portal / "output"
    assert (output / "datasets" / "air-2026" / "index.html").is_file()
    assert (output / "datasets" / "air-few-hours" / "index.html").is_file()
    left_out = {(f.rule, f.item) for f in result.report}
    assert ("chart-unavailable", "air-few-hours") in left_out
    assert ("indicator-unavailable", "air-2026") in left_out
    assert (output / "data" / "air-2026" / "1" / "air-2026.zip").is_file()

    # the withdrawal made while both datasets are approved reaches the site
    withdraw(portal, "air-2025-01", "li-hua", demo_key("li-hua"), "数字有误 / figures wrong")
    build_site(portal)
    page = (output / "bulletins" / "air-2025-01.html").read_text(encoding="utf-8")
    assert "数字有误 / figures wrong" in page


def test_withdraw_an_input_then_correct_it_leaves_no_byte_of_the_derived_v1_public(portal: Path) -> None:
    from test_derived import DAILY, NOW, define

    define(portal)
    approve_items(portal, ("air-mini", "air-2025-01", DAILY))
    build_site(portal, now=NOW)
    data = portal / "output" / "data" / DAILY
    v1 = {p.name: p.read_bytes() for p in (data / "1").iterdir() if p.is_file()}
    withdraw(portal, DS, "li-hua", demo_key("li-hua"), "仪器故障 / instrument fault")
    build_site(portal, now=NOW)
    # the input corrected, the definition re-approved (reworded: approved bytes cannot be resubmitted)
    source = _csv(portal)
    source.write_text(source.read_text(encoding="utf-8").replace(",69.6,43.5\n", ",69.6,143.5\n"), encoding="utf-8")
    definition = portal / "content" / "datasets" / DAILY / "dataset.yaml"
    definition.write_text(definition.read_text(encoding="utf-8").replace("由小时数据计算。", "由更正后的小时数据计算。"),
                          encoding="utf-8")
    _approve(portal, [DS, DAILY], note="更正 / corrected", reason="correction")
    build_site(portal, now=NOW)

    assert not (data / "1").exists()
    public = _public_files(portal / "output")
    assert not {n for n, b in v1.items() if hashlib.sha256(b).hexdigest() in public}
    page = (portal / "output" / "datasets" / DAILY / "index.html").read_text(encoding="utf-8")
    assert f"data/{DAILY}/1/" not in page and 'id="version-1"' in page and "已撤回" in page
