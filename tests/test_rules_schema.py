"""Schema rules: one passing and one failing input per rule, asserting rule id, row and column."""

from __future__ import annotations

import pytest

from test_rules_helpers import AIR_FIELDS, air_rows, dataset_meta, make_project, run

HEADER = "station_id,time,pm25\n"


def air(csv: str, fields=None, **meta):
    return {"air": (dataset_meta("air", fields=fields or AIR_FIELDS, **meta), {"data.csv": csv})}


def with_field(**changes):
    fields = [dict(f) for f in AIR_FIELDS]
    fields[2] = {**fields[2], **changes}
    return fields


NOTE = {"name": "note", "type": "string"}
FLAG = {"name": "flag", "type": "boolean"}
DAY = {"name": "day", "type": "date"}

CASES = {
    # rule: (good datasets, bad datasets, expected (rule, row, column) in bad)
    "unit-not-allowed": (air(HEADER + air_rows()), air(HEADER + air_rows(), with_field(unit="ug/m3")),
                         ("unit-not-allowed", None, "pm25")),
    "unit-parameter-mismatch": (air(HEADER + air_rows()), air(HEADER + air_rows(), with_field(unit="mg/m³")),
                                ("unit-parameter-mismatch", None, "pm25")),
    "parameter-unknown": (air(HEADER + air_rows()), air(HEADER + air_rows(), with_field(parameter="pm1")),
                          ("parameter-unknown", None, "pm25")),
    "reference-list-unknown": (
        air(HEADER + air_rows()),
        air(HEADER + air_rows(), [{**AIR_FIELDS[0], "references": "stations"}, *AIR_FIELDS[1:]]),
        ("reference-list-unknown", None, "station_id")),
    "column-missing": (air(HEADER + air_rows()), air("station_id,time\n" + "aq-a,2025-01-01T01:00:00+08:00\n"),
                       ("column-missing", 1, "pm25")),
    "column-unknown": (air(HEADER + air_rows()),
                       air("station_id,time,pm25,PM10\n" + "aq-a,2025-01-01T01:00:00+08:00,1,2\n"),
                       ("column-unknown", 1, "PM10")),
    "column-duplicate": (air(HEADER + air_rows()),
                         air("station_id,time,pm25,pm25\n" + "aq-a,2025-01-01T01:00:00+08:00,1,2\n"),
                         ("column-duplicate", 1, "pm25")),
    "column-name-blank": (air(HEADER + air_rows()),
                          air("station_id,time,pm25,\n" + "aq-a,2025-01-01T01:00:00+08:00,1,2\n"),
                          ("column-name-blank", 1, None)),
    "datetime-without-offset": (air(HEADER + air_rows()),
                                air(HEADER + air_rows(2) + "aq-a,2025-01-01T03:00:00,5\n"),
                                ("datetime-without-offset", 4, "time")),
    "datetime-invalid": (air(HEADER + air_rows()), air(HEADER + air_rows(2) + "aq-a,2025-13-01T03:00:00+08:00,5\n"),
                         ("datetime-invalid", 4, "time")),
    "date-invalid": (air("station_id,time,pm25,day\n" + "aq-a,2025-01-01T01:00:00+08:00,1,2025-01-01\n",
                         [*AIR_FIELDS, DAY]),
                     air("station_id,time,pm25,day\n" + "aq-a,2025-01-01T01:00:00+08:00,1,2025/01/01\n",
                         [*AIR_FIELDS, DAY]),
                     ("date-invalid", 2, "day")),
    "boolean-invalid": (air("station_id,time,pm25,flag\n" + "aq-a,2025-01-01T01:00:00+08:00,1,true\n",
                            [*AIR_FIELDS, FLAG]),
                        air("station_id,time,pm25,flag\n" + "aq-a,2025-01-01T01:00:00+08:00,1,是\n",
                            [*AIR_FIELDS, FLAG]),
                        ("boolean-invalid", 2, "flag")),
    "value-required": (air(HEADER + air_rows()), air(HEADER + air_rows(2) + ",2025-01-01T03:00:00+08:00,5\n"),
                       ("value-required", 4, "station_id")),
    "reference-unknown": (air(HEADER + air_rows()), air(HEADER + air_rows(2) + "aq-x,2025-01-01T03:00:00+08:00,5\n"),
                          ("reference-unknown", 4, "station_id")),
    "value-not-unique": (
        air("station_id,time,pm25,note\n" + "aq-a,2025-01-01T01:00:00+08:00,1,a\naq-a,2025-01-01T02:00:00+08:00,1,b\n",
            [*AIR_FIELDS, {**NOTE, "constraints": {"unique": True}}]),
        air("station_id,time,pm25,note\n" + "aq-a,2025-01-01T01:00:00+08:00,1,a\naq-a,2025-01-01T02:00:00+08:00,1,a\n",
            [*AIR_FIELDS, {**NOTE, "constraints": {"unique": True}}]),
        ("value-not-unique", 3, "note")),
    "value-not-in-enum": (
        air("station_id,time,pm25,note\n" + "aq-a,2025-01-01T01:00:00+08:00,1,ok\n",
            [*AIR_FIELDS, {**NOTE, "constraints": {"enum": ["ok", "bad"]}}]),
        air("station_id,time,pm25,note\n" + "aq-a,2025-01-01T01:00:00+08:00,1,OK\n",
            [*AIR_FIELDS, {**NOTE, "constraints": {"enum": ["ok", "bad"]}}]),
        ("value-not-in-enum", 2, "note")),
    "value-pattern-mismatch": (
        air("station_id,time,pm25,note\n" + "aq-a,2025-01-01T01:00:00+08:00,1,990121\n",
            [*AIR_FIELDS, {**NOTE, "constraints": {"pattern": "[0-9]{6}"}}]),
        air("station_id,time,pm25,note\n" + "aq-a,2025-01-01T01:00:00+08:00,1,99012\n",
            [*AIR_FIELDS, {**NOTE, "constraints": {"pattern": "[0-9]{6}"}}]),
        ("value-pattern-mismatch", 2, "note")),
    "primary-key-duplicate": (air(HEADER + air_rows()), air(HEADER + air_rows(3) + air_rows(1, start_hour=2)),
                              ("primary-key-duplicate", 5, "station_id")),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_schema_rule(tmp_path, rule):
    good, bad, expected = CASES[rule]
    found, _ = run(make_project(tmp_path / "good", datasets=good))
    assert rule not in {r for r, _, _ in found}, found
    found, _ = run(make_project(tmp_path / "bad", datasets=bad))
    assert expected in found, sorted(found, key=str)


def test_unit_typo_suggests_the_allowed_spelling(tmp_path):
    _, result = run(make_project(tmp_path, datasets=air(HEADER + air_rows(), with_field(unit="μg/m3"))))
    finding = next(f for f in result.report if f.rule == "unit-not-allowed")
    assert "μg/m³" in finding.message_en and finding.key == "resources[0].schema.fields[2].unit"


def test_unsorted_file_still_finds_duplicate_keys(tmp_path):
    rows = air_rows(2, station="aq-b") + air_rows(2) + air_rows(1, station="aq-b")
    found, _ = run(make_project(tmp_path, datasets=air(HEADER + rows)))
    assert ("primary-key-duplicate", 6, "station_id") in found
