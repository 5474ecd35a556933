"""Averages and reports from hourly data: validity rules (GB 3095-2012 Table 4, HJ 663-2013) and
one day's AQI report computed again here step by step with plain Python."""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import pandas as pd
import pytest

from publisher.standards import (
    DAILY_REPORT_COLUMNS,
    StandardNotAvailable,
    annual_means,
    city_daily_report,
    daily_aqi_report,
    daily_means,
    monthly_means,
    o3_8h_moving,
    o3_daily_stats,
    realtime_aqi,
)

CST = dt.timezone(dt.timedelta(hours=8))


def hours_of(day: str, n: int = 24, station: str = "s1") -> pd.DataFrame:
    """n hours of ``day`` stamped at the end of each hour: 01:00 … 24:00 (= next day 00:00)."""
    start = pd.Timestamp(day, tz=CST)
    times = [start + pd.Timedelta(hours=h) for h in range(1, n + 1)]
    return pd.DataFrame({"station_id": station, "time": times})


def test_24h_mean_needs_20_valid_hours():
    frame = hours_of("2024-03-05")
    frame["pm25"] = [50.0] * 20 + [np.nan] * 4
    frame["so2"] = [10.0] * 19 + [np.nan] * 5
    day = daily_means(frame).iloc[0]
    assert day["date"] == dt.date(2024, 3, 5)
    assert day["pm25"] == 50.0
    assert math.isnan(day["so2"])


def test_hour_stamped_midnight_belongs_to_the_previous_day():
    frame = hours_of("2024-03-05")
    frame["pm25"] = [10.0] * 23 + [100.0]  # the 24:00 hour
    means = daily_means(frame)
    assert len(means) == 1 and means.iloc[0]["pm25"] == pytest.approx((23 * 10 + 100) / 24)
    start_stamped = frame.assign(time=frame["time"] - pd.Timedelta(hours=1))
    assert daily_means(start_stamped, hour_label="start").iloc[0]["pm25"] == means.iloc[0]["pm25"]


def test_naive_times_are_refused():
    frame = pd.DataFrame({"station_id": ["s"], "time": [pd.Timestamp("2024-01-01 01:00")], "pm25": [1.0]})
    with pytest.raises(ValueError):
        daily_means(frame)


def test_o3_8h_needs_6_of_8_hours():
    frame = hours_of("2024-07-01")
    frame["o3"] = [100.0] * 24
    frame.loc[2:3, "o3"] = np.nan  # hours ending 03:00 and 04:00 missing
    moving = o3_8h_moving(frame).set_index("time")["o3_8h"]
    at = lambda h: moving.loc[pd.Timestamp("2024-07-01", tz=CST) + pd.Timedelta(hours=h)]
    assert at(8) == 100.0  # hours 1–8, two missing: 6 valid
    frame.loc[4, "o3"] = np.nan
    moving = o3_8h_moving(frame).set_index("time")["o3_8h"]
    assert math.isnan(at(8))  # 5 valid of 8


def test_o3_daily_max_8h_uses_windows_ending_08_to_24_and_needs_14():
    frame = hours_of("2024-07-01")
    frame["o3"] = [50.0] * 24
    frame.loc[0:7, "o3"] = 300.0  # hours 1–8 high: only the window ending 08:00 sees all of them
    stats = o3_daily_stats(frame).iloc[0]
    assert stats["o3_8h_max"] == 300.0
    assert stats["o3_1h_max"] == 300.0
    # Windows ending 08…24 are 17. Hours 9–11 missing: windows ending 11…16 hold 5 valid hours,
    # so 11 windows remain valid, fewer than 14.
    frame.loc[8:10, "o3"] = np.nan
    assert math.isnan(o3_daily_stats(frame).iloc[0]["o3_8h_max"])
    # Hours 9 and 11 missing: no window loses more than 2 hours, all 17 are valid.
    frame.loc[9, "o3"] = 50.0
    assert o3_daily_stats(frame).iloc[0]["o3_8h_max"] == 300.0


def test_o3_daily_max_8h_with_exactly_14_or_13_windows():
    frame = hours_of("2024-07-01")
    frame["o3"] = 80.0
    # hours 20–24 missing: windows ending 20 (7 valid) and 21 (6) stay, 22–24 (≤5) go → 14 valid
    frame.loc[19:23, "o3"] = np.nan
    assert o3_daily_stats(frame, min_hours_1h_max=0).iloc[0]["o3_8h_max"] == 80.0
    # hour 19 missing too: window ending 21 now holds 5 → 13 valid windows
    frame.loc[18, "o3"] = np.nan
    assert math.isnan(o3_daily_stats(frame, min_hours_1h_max=0).iloc[0]["o3_8h_max"])


def daily_frame(month_days: dict[str, int]) -> pd.DataFrame:
    rows = []
    for month, n in month_days.items():
        for d in range(1, n + 1):
            rows.append({"station_id": "s1", "date": dt.date(2023, int(month), d), "pm25": 30.0})
    return pd.DataFrame(rows)


def test_monthly_means_need_27_days_and_25_in_february():
    monthly = monthly_means(daily_frame({"1": 27, "2": 25, "3": 26, "4": 24})).set_index("month")["pm25"]
    assert monthly[1] == 30.0 and monthly[2] == 30.0
    assert math.isnan(monthly[3])
    frame = daily_frame({"2": 24})
    assert math.isnan(monthly_means(frame)["pm25"].iloc[0])


def test_annual_mean_needs_324_days():
    days = pd.date_range("2023-01-01", periods=324, freq="D").date
    frame = pd.DataFrame({"station_id": "s1", "date": days, "pm25": 20.0})
    assert annual_means(frame)["pm25"].iloc[0] == 20.0
    assert math.isnan(annual_means(frame.iloc[:323])["pm25"].iloc[0])


# ---- one synthetic day, computed again by hand ----------------------------------------------
TABLE = {  # HJ 633-2012 Table 1 columns used by the daily report, typed by hand
    "so2": [0, 50, 150, 475, 800, 1600, 2100, 2620],
    "no2": [0, 40, 80, 180, 280, 565, 750, 940],
    "pm10": [0, 50, 150, 250, 350, 420, 500, 600],
    "co": [0, 2, 4, 14, 24, 36, 48, 60],
    "o3_1h": [0, 160, 200, 300, 400, 800, 1000, 1200],
    "o3_8h": [0, 100, 160, 215, 265, 800],
    "pm25": [0, 35, 75, 115, 150, 250, 350, 500],
}
LEVELS = [0, 50, 100, 150, 200, 300, 400, 500]


def hand_iaqi(column: str, c: float) -> int:
    bps = TABLE[column]
    for k in range(1, len(bps)):
        if c <= bps[k]:
            raw = (LEVELS[k] - LEVELS[k - 1]) / (bps[k] - bps[k - 1]) * (c - bps[k - 1]) + LEVELS[k - 1]
            return math.ceil(round(raw, 9))
    return 500


def synthetic_day() -> pd.DataFrame:
    frame = hours_of("2025-04-10", station="aq-chengdong")
    i = np.arange(24)
    frame["so2"] = 8.0 + i
    frame["no2"] = 30.0 + 2.5 * i
    frame["co"] = 0.4 + 0.05 * i
    frame["o3"] = [20, 18, 15, 14, 12, 15, 25, 40, 60, 85, 110, 140, 170, 190, 205, 210, 200, 180, 150, 120, 90, 70, 50, 35]
    frame["pm10"] = 120.0 + 4 * i
    frame["pm25"] = 70.0 + 1.5 * i
    return frame


def test_daily_report_for_one_day_matches_a_hand_computation():
    frame = synthetic_day()
    report = daily_aqi_report(frame)
    assert list(report.columns) == DAILY_REPORT_COLUMNS
    assert len(report) == 1
    row = report.iloc[0]

    hand = {}
    for column in ("so2", "no2", "co", "pm10", "pm25"):
        total = 0.0
        for value in frame[column]:
            total += value
        hand[column] = total / 24
    o3 = list(frame["o3"])
    windows = []
    for end_hour in range(8, 25):  # 8时 … 24时
        windows.append(sum(o3[end_hour - 8 : end_hour]) / 8)
    hand["o3_8h"] = max(windows)
    hand["o3_1h"] = max(o3)
    # 修约 before the IAQI (the default, platform method): integers, CO one decimal, half to even
    hand = {name: float(Decimal(repr(value)).quantize(Decimal("0.1" if name == "co" else "1"), ROUND_HALF_EVEN))
            for name, value in hand.items()}
    sub = {name: hand_iaqi(name, value) for name, value in hand.items()}
    aqi = max(sub.values())
    names = {"so2": "SO2", "no2": "NO2", "pm10": "PM10", "co": "CO", "o3_1h": "O3_1h", "o3_8h": "O3_8h", "pm25": "PM2.5"}
    primary = ";".join(names[n] for n in names if sub[n] == aqi) if aqi > 50 else None
    level = 1 if aqi <= 50 else 2 if aqi <= 100 else 3 if aqi <= 150 else 4 if aqi <= 200 else 5 if aqi <= 300 else 6

    assert row["date"] == dt.date(2025, 4, 10)
    assert row["pm25_24h"] == pytest.approx(hand["pm25"]) and row["o3_8h_max"] == pytest.approx(hand["o3_8h"])
    assert row["o3_1h_max"] == hand["o3_1h"]
    for name in names:
        assert row[f"iaqi_{name}"] == sub[name], name
    assert row["aqi"] == aqi and row["level"] == level and row["primary_pollutant"] == primary
    assert row["completeness"] == "complete" and pd.isna(row["missing_pollutants"])
    # The numbers themselves, checked on paper: O3 8-h max is the window ending 19时 (hours 12–19),
    # 1445/8 = 180.625 → 181 → 100 + 50/55 × 21 = 119.09 → 120; PM2.5 mean 87.25 → 87 → 115 → 115.
    assert (aqi, primary, level) == (120, "O3_8h", 3)


def test_daily_report_refuses_dates_under_the_2026_revision():
    frame = hours_of("2026-03-01")
    frame["pm25"] = 40.0
    with pytest.raises(StandardNotAvailable):
        daily_aqi_report(frame)


def test_city_daily_value_is_the_mean_of_station_values():
    a = synthetic_day()
    b = synthetic_day().assign(station_id="aq-xicheng", pm25=lambda f: f["pm25"] + 20)
    city = city_daily_report(pd.concat([a, b]), city_id="990100").iloc[0]
    assert city["station_id"] == "990100"
    assert city["pm25_24h"] == 97  # mean of 87.25 and 107.25, rounded (修约) to an integer


def two_days_realtime() -> pd.DataFrame:
    frame = pd.concat([hours_of("2025-04-09"), hours_of("2025-04-10")], ignore_index=True)
    frame["so2"] = 20.0
    frame["no2"] = 100.0
    frame["co"] = 1.0
    frame["o3"] = 160.0
    frame["pm10"] = 50.0
    frame["pm25"] = 35.0
    frame.loc[47, "so2"] = 900.0  # > 800 μg/m³ (footnote 2)
    frame.loc[47, "pm25"] = 35.0 + 24 * 40  # 995: lifts the 24-h moving mean by 40
    return frame


def test_literal_realtime_uses_1h_gases_8h_o3_and_24h_moving_particles():
    rt = realtime_aqi(two_days_realtime(), method="literal").set_index("time")
    last = rt.iloc[-1]
    assert last["no2_1h"] == 100 and last["iaqi_no2"] == 50  # NO2 1-h table
    assert last["iaqi_o3_1h"] == 50 and last["iaqi_o3_8h"] == 100
    assert last["pm25_24h"] == pytest.approx(75.0) and last["iaqi_pm25"] == 100
    so2_24h = round((23 * 20 + 900) / 24, 1)  # 56.7, rounded to the printed decimal before IAQI
    assert last["so2_24h"] == pytest.approx(so2_24h) and last["iaqi_so2"] == hand_iaqi("so2", so2_24h)
    assert last["aqi"] == 100 and last["primary_pollutant"] == "O3_8h;PM2.5"
    assert last["completeness"] == "complete"
    first = rt.iloc[0]
    # PM2.5 was measured in the first hour but its 24-h mean needs 20 hours: no AQI, not a lower one
    assert pd.isna(first["pm25_24h"]) and pd.isna(first["iaqi_o3_8h"])
    assert first["completeness"] == "withheld" and pd.isna(first["aqi"])
    assert first["missing_pollutants"] == "PM10;O3_8h;PM2.5"


def test_platform_realtime_uses_1h_particles_on_the_24h_rows_and_no_o3_8h():
    rt = realtime_aqi(two_days_realtime()).set_index("time")  # the default method
    last = rt.iloc[-1]
    assert last["pm25_1h"] == 995 and last["iaqi_pm25"] == 500  # above its column: 500
    assert last["iaqi_so2"] == 200  # SO2 1-h > 800: 200
    assert pd.isna(last["iaqi_o3_8h"]) and last["o3_8h"] == 160  # printed, without a sub-index
    assert last["aqi"] == 500 and last["primary_pollutant"] == "PM2.5" and last["completeness"] == "complete"
    first = rt.iloc[0]
    assert first["aqi"] == 50 and first["completeness"] == "complete"  # 1-h values need no history


def test_platform_o3_8h_restarts_each_natural_day():
    frame = two_days_realtime()
    frame["o3"] = [100.0] * 24 + [10.0, 20.0, 30.0] + [40.0] * 21
    rt = realtime_aqi(frame).set_index("time")
    second_day = rt.iloc[24:]
    assert second_day["o3_8h"].iloc[0] == 10 and second_day["o3_8h"].iloc[2] == 20  # hours 1…t of the day
    literal = realtime_aqi(frame, method="literal").set_index("time").iloc[24:]
    assert literal["o3_8h"].iloc[0] == pytest.approx(88.8)  # (7 × 100 + 10) / 8 = 88.75 across midnight, half to even


def test_an_hour_without_a_pollutant_is_published_incomplete_naming_it():
    frame = two_days_realtime()
    frame.loc[30, "pm25"] = np.nan
    row = realtime_aqi(frame).iloc[30]
    assert row["completeness"] == "incomplete" and row["missing_pollutants"] == "PM2.5"
    assert row["aqi"] == 50  # the others' AQI, flagged


def test_a_day_with_too_few_hours_of_a_measured_pollutant_is_withheld():
    frame = synthetic_day()
    frame.loc[:5, "pm25"] = np.nan  # 18 valid hours: measured, but no valid 24-h mean
    row = daily_aqi_report(frame).iloc[0]
    assert row["completeness"] == "withheld" and row["missing_pollutants"] == "PM2.5"
    assert pd.isna(row["aqi"]) and pd.isna(row["level"]) and pd.isna(row["primary_pollutant"])
    frame["pm25"] = np.nan  # not measured at all that day: the others' AQI, flagged incomplete
    row = daily_aqi_report(frame).iloc[0]
    assert row["completeness"] == "incomplete" and row["aqi"] == 120