"""The demo city's daily AQI, cross-checked against an independent plain-Python computation.

Every complete day (all 24 hourly values of every pollutant present) of two demo stations is
computed again here from the hourly CSV with HJ 633-2012's Table 1 typed by hand (see
``test_standards_averaging.hand_iaqi``), concentrations rounded half to even in exact decimal
arithmetic before the IAQI (the platform method, the default), hour-ending times (00:00 closes the previous day), the
O3 8-hour windows ending 08:00–24:00, and compared with ``daily_aqi_report``.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pandas as pd
import pytest

from publisher.standards import daily_aqi_report
from test_standards_averaging import hand_iaqi

CSV = Path(__file__).resolve().parent.parent / "content/datasets/air-hourly-2025/air_hourly_2025.csv"
POLLUTANTS = ("so2", "no2", "co", "o3", "pm10", "pm25")
NAMES = {"so2": "SO2", "no2": "NO2", "pm10": "PM10", "co": "CO", "o3_1h": "O3_1h", "o3_8h": "O3_8h", "pm25": "PM2.5"}


def hand_reports(station: str) -> dict[dt.date, tuple[int, str | None]]:
    """AQI and primary pollutant of every complete day, the slow and obvious way."""
    days: dict[dt.date, dict[int, dict[str, float]]] = defaultdict(dict)
    with CSV.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["station_id"] != station:
                continue
            end = dt.datetime.fromisoformat(row["time"])
            hour_end = end.hour or 24  # hour-ending: 00:00 is the 24th hour of the day before
            day = (end - dt.timedelta(hours=1)).date() if end.hour == 0 else end.date()
            if all(row[p] != "" for p in POLLUTANTS):
                days[day][hour_end] = {p: Decimal(row[p]) for p in POLLUTANTS}  # exact decimal arithmetic
    result = {}
    for day, hours in days.items():
        if len(hours) < 24:
            continue
        means = {p: sum(hours[h][p] for h in range(1, 25)) / 24 for p in ("so2", "no2", "co", "pm10", "pm25")}
        o3 = [hours[h]["o3"] for h in range(1, 25)]
        means["o3_1h"] = max(o3)
        means["o3_8h"] = max(sum(o3[end - 8:end]) / 8 for end in range(8, 25))
        # 修约 (the default, platform method): integers, CO to one decimal, half to even (GB/T 8170)
        means = {n: float(v.quantize(Decimal("0.1" if n == "co" else "1"), ROUND_HALF_EVEN)) for n, v in means.items()}
        sub = {name: hand_iaqi(name, value) for name, value in means.items()}
        aqi = max(sub.values())
        primary = ";".join(NAMES[n] for n in NAMES if sub[n] == aqi) if aqi > 50 else None
        result[day] = (aqi, primary)
    return result


@pytest.mark.parametrize("station", ["aq-chengdong", "aq-qingshan"])
def test_demo_daily_aqi_matches_an_independent_computation(station: str) -> None:
    expected = hand_reports(station)
    assert len(expected) >= 60  # random missing cells leave about a quarter of the days complete
    frame = pd.read_csv(CSV, dtype={"station_id": "string", "time": "string"})
    frame = frame[frame["station_id"] == station].copy()
    frame["time"] = pd.to_datetime(frame["time"], format="ISO8601")
    report = daily_aqi_report(frame).set_index("date")
    mismatches = []
    for day, (aqi, primary) in expected.items():
        row = report.loc[day]
        got_primary = None if pd.isna(row["primary_pollutant"]) else row["primary_pollutant"]
        if (int(row["aqi"]), got_primary) != (aqi, primary):
            mismatches.append((day, (int(row["aqi"]), got_primary), (aqi, primary)))
    assert mismatches == []
