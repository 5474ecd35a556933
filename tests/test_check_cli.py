"""``publisher check`` as its users meet it: exit codes, text and JSON reports, the demo city."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from publisher.check import UnknownItemError, check_items
from publisher.cli import cli
from test_rules_helpers import AIR_FIELDS, air_rows, dataset_meta, make_project

ROOT = Path(__file__).resolve().parent.parent
HEADER = "station_id,time,pm25\n"


def invoke(root: Path, *args: str):
    return CliRunner().invoke(cli, ["--project", str(root), "check", *args])


def test_exit_0_when_nothing_blocks(tmp_path):
    result = invoke(make_project(tmp_path))
    assert result.exit_code == 0, result.output
    assert "✓ air: 通过 / passed" in result.output


def test_exit_1_and_json_when_errors(tmp_path):
    bad = HEADER + air_rows(2) + "aq-a,2025-01-01T03:00:00+08:00,abc\n"
    root = make_project(tmp_path, datasets={"air": (dataset_meta("air"), {"data.csv": bad})})
    result = invoke(root, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ok"] is False and report["items"] == ["air"]
    finding = next(f for f in report["findings"] if f["rule"] == "number-invalid")
    assert finding == {**finding, "severity": "error", "item": "air", "file": "content/datasets/air/data.csv",
                       "row": 4, "column": "pm25"}
    assert finding["message_zh"] and finding["message_en"]


def test_text_report_groups_by_item_in_both_languages(tmp_path):
    bad = HEADER + air_rows(2) + "aq-x,2025-01-01T03:00:00+08:00,1\n"
    root = make_project(tmp_path, datasets={"air": (dataset_meta("air"), {"data.csv": bad})})
    text = invoke(root).output
    assert "✗ air: 1 个错误 errors" in text
    assert "content/datasets/air/data.csv:4, column 'station_id'" in text
    assert "不在登记表 air_stations 中" in text and "is not in the registry list air_stations" in text


def test_exit_2_for_a_broken_rules_file(tmp_path):
    root = make_project(tmp_path, rules_extra="permissions:\n  air_quality: {publishers: [xx]}\n")
    result = invoke(root)
    assert result.exit_code == 2
    assert "permissions.air_quality.publishers[0]" in result.output and "unknown department 'xx'" in result.output


def test_exit_2_for_an_unknown_item(tmp_path):
    result = invoke(make_project(tmp_path), "air", "no-such-item")
    assert result.exit_code == 2 and "no-such-item" in result.output
    with pytest.raises(UnknownItemError):
        check_items(tmp_path, ["no-such-item"])


def test_only_the_named_items_are_checked(tmp_path):
    bad = HEADER + air_rows(2) + "aq-x,2025-01-01T03:00:00+08:00,1\n"
    root = make_project(tmp_path, datasets={"bad": (dataset_meta("bad"), {"data.csv": bad})})
    assert invoke(root, "air").exit_code == 0
    assert invoke(root, "bad").exit_code == 1


def test_repeated_findings_are_capped_with_a_count(tmp_path):
    rows = HEADER + "".join(f"aq-a,2025-01-{1 + i // 24:02d}T{i % 24:02d}:00:00+08:00,x{i}\n" for i in range(500))
    root = make_project(tmp_path, rules_extra="validity: {}\nquality: {}\n",
                        datasets={"air": (dataset_meta("air"), {"data.csv": rows})})
    findings = [f for f in check_items(root).report if f.rule == "number-invalid"]
    assert len(findings) == 21
    assert findings[-1].row is None and "480 more" in findings[-1].message_en and "500" in findings[-1].message_en


def test_a_finding_never_stops_the_check(tmp_path):
    ragged = HEADER + air_rows(2) + "aq-a,2025-01-01T03:00:00+08:00,1,extra\n" + "aq-x,2025-01-01T04:00:00+08:00,1\n"
    meta = dataset_meta("air", fields=[{**AIR_FIELDS[0]}, *AIR_FIELDS[1:]], classification="internal")
    root = make_project(tmp_path, datasets={"air": (meta, {"data.csv": ragged})})
    rules = {f.rule for f in check_items(root).report}
    assert {"csv-row-ragged", "reference-unknown", "classification-not-public"} <= rules


# -- the demo city ------------------------------------------------------------------------------

WRONG_ON_PURPOSE = {
    "emissions-qingshan-2025q4-late": {"row-outside-area"},
    "noise-hubin-2025": {"unit-not-allowed"},
    "notice-sampling-2025-12": {"personal-phone-number"},
    "air-station-maintenance-log-2025": {"classification-not-public"},
}


@pytest.mark.skipif(not (ROOT / "content" / "registry.yaml").is_file(), reason="the demo content is not generated")
def test_demo_city_passes_except_the_items_wrong_on_purpose():
    result = check_items(ROOT)
    errors: dict[str, set[str]] = {}
    for f in result.report.errors:
        errors.setdefault(f.item, set()).add(f.rule)
    assert errors == WRONG_ON_PURPOSE, [f.line() for f in result.report.errors]
    late = [f for f in result.report.errors if f.item == "emissions-qingshan-2025q4-late"]
    assert {(f.row, f.column) for f in late} == {(278, "area_code"), (278, "enterprise_id")}
    warnings = {f.rule for f in result.report.warnings}
    assert {"series-flatline", "value-spike", "series-gap", "permit-limit-clustering"} <= warnings


# -- documentation ------------------------------------------------------------------------------

RULE_CALL = re.compile(r'(?:(?:error|warning|info|Finding|rows)\(\s*|yield \(|return \(|rule = )"([a-z0-9]+(?:-[a-z0-9]+)+)"')


def emitted_rule_ids() -> set[str]:
    ids: set[str] = set()
    sources = [*(ROOT / "publisher" / "rules").glob("*.py"), ROOT / "publisher" / "csvread.py",
               ROOT / "publisher" / "config.py",
               ROOT / "publisher" / "derived.py"]
    for path in sources:
        text = path.read_text(encoding="utf-8")
        ids |= set(RULE_CALL.findall(text))
        ids |= set(re.findall(r'"([a-z]+-capture-insufficient)"', text))
    return ids


def test_every_rule_id_is_documented():
    docs = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    ids = emitted_rule_ids()
    assert len(ids) > 50
    missing = sorted(i for i in ids if f"`{i}`" not in docs)
    assert not missing, missing


def test_every_family_module_has_an_example_in_its_docstring():
    from publisher.rules import FAMILIES

    for module in FAMILIES:
        assert "Example" in (module.__doc__ or ""), module.__name__
