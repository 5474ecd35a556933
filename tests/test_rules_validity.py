"""Data capture before aggregation (GB 3095-2012 Table 4)."""

from __future__ import annotations

from test_rules_helpers import air_rows, dataset_meta, make_project, run

HEADER = "station_id,time,pm25\n"
VALIDITY = """
validity:
  daily: {period: day, categories: [air_quality], parameters: [pm25], min_values: 20, severity: warning,
          clause: GB 3095-2012 表4}
  monthly: {period: month, categories: [air_quality], parameters: [pm25], min_values: 27, min_values_february: 25,
            severity: info, clause: GB 3095-2012 表4}
  annual: {period: year, categories: [air_quality], parameters: [pm25], min_values: 324, severity: info,
           clause: GB 3095-2012 表4}
"""


def project(tmp_path, values: list, days: int = 1):
    csv = HEADER + air_rows(24 * days, values=values)
    return make_project(tmp_path, rules_extra=VALIDITY, datasets={"air": (dataset_meta("air"), {"data.csv": csv})})


def test_daily_capture(tmp_path):
    full = [10] * 24
    found, _ = run(project(tmp_path / "good", full))
    assert "daily-capture-insufficient" not in {r for r, _, _ in found}
    short = [10] * 19 + [""] * 5  # 19 valid hours
    found, result = run(project(tmp_path / "bad", short))
    assert ("daily-capture-insufficient", 2, "pm25") in found
    f = next(f for f in result.report if f.rule == "daily-capture-insufficient")
    assert f.severity.value == "warning" and "GB 3095-2012" in f.message_zh and "19" in f.message_en


def test_hour_24_belongs_to_the_day_it_ends(tmp_path):
    # 01:00 ... 24:00 (= 00:00 of 2 January) is one full day when hours are labelled by their end
    found, _ = run(project(tmp_path, [10] * 24))
    assert not [f for f in found if f[0].endswith("capture-insufficient")]


def test_monthly_capture(tmp_path):
    good = ([10] * 24) * 31
    found, _ = run(project(tmp_path / "good", good, days=31))
    assert "monthly-capture-insufficient" not in {r for r, _, _ in found}
    bad = ([10] * 24) * 26 + ([""] * 24) * 5  # 26 valid days in January
    found, result = run(project(tmp_path / "bad", bad, days=31))
    f = next(f for f in result.report if f.rule == "monthly-capture-insufficient")
    assert f.severity.value == "info" and "2025-01" in f.message_en and f.column == "pm25"
    assert "annual-capture-insufficient" not in {r for r, _, _ in found}  # not a whole year of data


def test_a_file_that_stops_mid_day_is_not_short_of_data(tmp_path):
    # 30 hourly rows: one full day and 6 hours of the next, where the export stopped
    found, _ = run(make_project(tmp_path, rules_extra=VALIDITY,
                                datasets={"air": (dataset_meta("air"), {"data.csv": HEADER + air_rows(30)})}))
    assert not [f for f in found if f[0] == "daily-capture-insufficient"]
