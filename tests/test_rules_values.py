"""Value rules: strict number syntax, sentinels, plausibility and constraints."""

from __future__ import annotations

import pytest

from test_rules_helpers import AIR_FIELDS, air_rows, dataset_meta, make_project, run

HEADER = "station_id,time,pm25\n"


def air(csv: str, fields=None):
    return {"air": (dataset_meta("air", fields=fields or AIR_FIELDS), {"data.csv": csv})}


def bad_cell(value: str) -> str:
    return HEADER + air_rows(2) + f'aq-a,2025-01-01T03:00:00+08:00,{value}\n'


COUNT = {"name": "count", "type": "integer"}


@pytest.mark.parametrize("value", ["３５", "nan", "inf", "1_000", '"1,000"', "12 mg", "-", "0.5L", "<0.5", "NaN"])
def test_number_invalid(tmp_path, value):
    found, result = run(make_project(tmp_path, datasets=air(bad_cell(value))))
    assert ("number-invalid", 4, "pm25") in found, found


def test_number_valid(tmp_path):
    found, _ = run(make_project(tmp_path, datasets=air(HEADER + air_rows(2) + "aq-a,2025-01-01T03:00:00+08:00,1e2\n"
                                                       + "aq-a,2025-01-01T04:00:00+08:00,\n")))
    assert not {r for r, _, _ in found} & {"number-invalid", "value-required"}


def test_full_width_digits_are_explained(tmp_path):
    _, result = run(make_project(tmp_path, datasets=air(bad_cell("３５"))))
    f = next(f for f in result.report if f.rule == "number-invalid")
    assert "35" in f.message_zh and "full-width" in f.message_en


def test_integer_invalid(tmp_path):
    fields = [*AIR_FIELDS, COUNT]
    ok = "station_id,time,pm25,count\n" + "aq-a,2025-01-01T01:00:00+08:00,1,3\n"
    bad = "station_id,time,pm25,count\n" + "aq-a,2025-01-01T01:00:00+08:00,1,3.5\n"
    found, _ = run(make_project(tmp_path / "ok", datasets=air(ok, fields)))
    assert "integer-invalid" not in {r for r, _, _ in found}
    found, _ = run(make_project(tmp_path / "bad", datasets=air(bad, fields)))
    assert ("integer-invalid", 2, "count") in found


@pytest.mark.parametrize("rule,good,bad", [
    ("value-sentinel", "35", "-999"),
    ("value-implausible", "2999", "12000"),
    ("value-out-of-range", "0", "-3"),
])
def test_value_rules(tmp_path, rule, good, bad):
    found, _ = run(make_project(tmp_path / "good", datasets=air(bad_cell(good))))
    assert rule not in {r for r, _, _ in found}, found
    found, _ = run(make_project(tmp_path / "bad", datasets=air(bad_cell(bad))))
    assert (rule, 4, "pm25") in found, found


def test_sentinel_is_not_also_out_of_range(tmp_path):
    found, _ = run(make_project(tmp_path, datasets=air(bad_cell("-999"))))
    assert {r for r, row, _ in found if row == 4} == {"value-sentinel"}


def test_numeric_columns_keep_their_values_when_another_cell_is_bad(tmp_path):
    rows = HEADER + air_rows(2) + "aq-a,2025-01-01T03:00:00+08:00,abc\n" + "aq-a,2025-01-01T04:00:00+08:00,-5\n"
    found, _ = run(make_project(tmp_path, datasets=air(rows)))
    assert ("number-invalid", 4, "pm25") in found and ("value-out-of-range", 5, "pm25") in found
