"""Attacks on the AQI's inputs: values the AQI code cannot see must never make it look complete.

F3: PM2.5 stamped off the hour (01:00+07:30 = 01:30 China time) fell out of the hourly grid and
counted as "not measured": the portal printed AQI 58 "incomplete" while PM2.5 was ~250.
F4: a second field declaring ``parameter: no2`` (the O3 column) silently replaced NO2.
"""

from __future__ import annotations

import pandas as pd
import pytest
from test_rules_helpers import AIR_FIELDS, dataset_meta, make_project, run

from publisher.charts import read_air_hourly
from publisher.content import load_content
from publisher.standards import daily_aqi_report, realtime_aqi

POLLUTANTS = ("so2", "no2", "co", "o3", "pm10", "pm25")
GASES = {"so2": 10.0, "no2": 37.0, "co": 0.67, "o3": 104.0, "pm10": 67.0}


def _split_rows(days: int = 2) -> pd.DataFrame:
    """The red team's file: gases and PM10 on the hour, PM2.5 (~250) in its own row at
    ``HH:00+07:30`` (HH:30 China time), every hour."""
    rows = []
    start = pd.Timestamp("2026-01-01T01:00:00+08:00")
    for h in range(24 * days):
        t = start + pd.Timedelta(hours=h)
        rows.append({"station_id": "aq-a", "time": t, **GASES, "pm25": None})
        rows.append({"station_id": "aq-a", "time": (t + pd.Timedelta(minutes=30)).tz_convert("+07:30"),
                     "pm25": 250.0})
    frame = pd.DataFrame(rows, columns=["station_id", "time", *POLLUTANTS])
    frame["time"] = pd.to_datetime(frame["time"].map(lambda t: t.isoformat()), format="ISO8601", utc=True)
    frame["time"] = frame["time"].dt.tz_convert("Asia/Shanghai")
    return frame


def test_pm25_stamped_off_the_hour_withholds_the_daily_aqi():
    report = daily_aqi_report(_split_rows())
    assert len(report) == 2
    # Before the fix: aqi 58, "incomplete", PM2.5 named as not measured.
    assert report["completeness"].eq("withheld").all(), report[["date", "aqi", "completeness"]]
    assert report["aqi"].isna().all()


def test_pm25_stamped_off_the_hour_withholds_the_realtime_aqi():
    report = realtime_aqi(_split_rows())
    published = report[report["aqi"].notna()]
    # No published hour may claim PM2.5 was not measured while the input held PM2.5 for it.
    assert not published["missing_pollutants"].fillna("").str.contains("PM2.5").any(), \
        published[["time", "aqi", "completeness", "missing_pollutants"]].head()
    assert report["completeness"].eq("withheld").sum() >= 24 * 2 - 1


AIR6 = [AIR_FIELDS[0], AIR_FIELDS[1]] + [
    {"name": p, "type": "number", "unit": "mg/m³" if p == "co" else "μg/m³", "parameter": p} for p in POLLUTANTS]


def _air6_csv(split: bool) -> str:
    lines = ["station_id,time," + ",".join(POLLUTANTS)]
    for h in range(1, 25):
        t = pd.Timestamp("2025-01-01T00:00:00+08:00") + pd.Timedelta(hours=h)
        if split:
            lines.append(f"aq-a,{t.isoformat()},10.1,37.0,0.67,104.0,67.0,")
            half = (t + pd.Timedelta(minutes=30)).tz_convert("+07:30").isoformat()
            lines.append(f"aq-a,{half},,,,,,257.0")
        else:
            lines.append(f"aq-a,{t.isoformat()},10.1,37.0,0.67,104.0,67.0,40.0")
    return "\n".join(lines) + "\n"


def test_pm25_stamped_off_the_hour_is_a_check_error(tmp_path):
    bad = make_project(tmp_path / "bad", datasets={
        "air6": (dataset_meta("air6", fields=AIR6), {"data.csv": _air6_csv(split=True)})})
    found, result = run(bad, ["air6"])
    hits = [f for f in result.report if f.rule == "time-off-the-hour"]
    assert hits and hits[0].severity.value == "error"
    assert (hits[0].row, hits[0].column) == (3, "time")  # the first 01:00+07:30 row
    assert "整点" in hits[0].message_zh and "on the hour" in hits[0].message_en
    good = make_project(tmp_path / "good", datasets={
        "air6": (dataset_meta("air6", fields=AIR6), {"data.csv": _air6_csv(split=False)})})
    assert not [f for f in run(good, ["air6"])[1].report if f.rule == "time-off-the-hour"]


def _o3_as_no2() -> list[dict]:
    return [f if f["name"] != "o3" else {**f, "parameter": "no2"} for f in AIR6]


def test_o3_column_declared_as_no2_is_a_check_error(tmp_path):
    root = make_project(tmp_path, datasets={
        "air6": (dataset_meta("air6", fields=_o3_as_no2()), {"data.csv": _air6_csv(split=False)})})
    found, result = run(root, ["air6"])
    hits = [f for f in result.report if f.rule == "parameter-declared-twice"]
    assert hits and hits[0].severity.value == "error"
    assert hits[0].column == "o3" and "no2" in hits[0].message_zh and "no2" in hits[0].message_en


def test_read_air_hourly_refuses_a_parameter_declared_twice(tmp_path):
    root = make_project(tmp_path, datasets={
        "air6": (dataset_meta("air6", fields=_o3_as_no2()), {"data.csv": _air6_csv(split=False)})})
    ds = load_content(root).datasets["air6"]
    with pytest.raises(ValueError, match="no2"):
        read_air_hourly(ds)
