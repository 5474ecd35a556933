"""Averages of hourly air data and the daily / real-time AQI reports built on them.

Hourly frames have columns ``station_id, time, so2, no2, co, o3, pm10, pm25`` (μg/m³, CO mg/m³)
with ``time`` tz-aware. By default ``time`` marks the END of the hour it averages, as the
standards count hours 1时…24时 (HJ 663-2013's "8时至24时") and as our data files do (the first
hour of a day is stamped 01:00+08:00). Pass ``hour_label="start"`` for start-stamped data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import numpy as np
import pandas as pd

from .aqi import aqi_from_iaqis, iaqi_series
from .versions import standard_by_id

CST = dt.timezone(dt.timedelta(hours=8))
POLLUTANT_COLUMNS = ("so2", "no2", "co", "o3", "pm10", "pm25")
HourLabel = Literal["end", "start"]

# GB 3095-2012 Table 4 and HJ 663-2013 numbers, read from the data file so the rules live in one place.
_VALIDITY = standard_by_id("GB 3095-2012").tables["validity"]
_ASSESSMENT = standard_by_id("GB 3095-2012").tables["assessment"]
MIN_HOURS_PER_DAY: int = _VALIDITY["hourly_values_per_24h"]  # 20
MIN_HOURS_PER_8H: int = _VALIDITY["hourly_values_per_8h"]  # 6
MIN_DAYS_PER_MONTH: int = _VALIDITY["daily_values_per_month"]  # 27
MIN_DAYS_PER_FEBRUARY: int = _VALIDITY["daily_values_per_february"]  # 25
MIN_DAYS_PER_YEAR: int = _VALIDITY["daily_values_per_year"]  # 324
MIN_8H_WINDOWS_PER_DAY: int = _ASSESSMENT["o3_daily_max_8h_min_windows"]  # 14
FIRST_8H_WINDOW_END_HOUR: int = _ASSESSMENT["o3_daily_max_8h_windows_end_hours"][0]  # 8

DAILY_REPORT_COLUMNS = [
    "station_id", "date", "pm25_24h", "pm10_24h", "so2_24h", "no2_24h", "co_24h", "o3_1h_max", "o3_8h_max",
    "iaqi_pm25", "iaqi_pm10", "iaqi_so2", "iaqi_no2", "iaqi_co", "iaqi_o3_1h", "iaqi_o3_8h",
    "aqi", "level", "primary_pollutant",
]
REALTIME_REPORT_COLUMNS = [
    "station_id", "time", "so2_1h", "no2_1h", "co_1h", "o3_1h", "o3_8h", "pm10_24h", "pm25_24h",
    "iaqi_so2", "iaqi_no2", "iaqi_co", "iaqi_o3_1h", "iaqi_o3_8h", "iaqi_pm10", "iaqi_pm25",
    "aqi", "level", "primary_pollutant",
]


def hourly_grid(hourly: pd.DataFrame, hour_label: HourLabel = "end") -> pd.DataFrame:
    """Hourly values as a wide frame: index = hour end (+08:00) on a gap-free hourly range,
    columns = (pollutant, station_id). Missing hours become NaN rows, so that rolling windows
    count hours of the clock, not rows of the file."""
    if hour_label not in ("end", "start"):
        raise ValueError("hour_label must be 'end' or 'start'")
    time = pd.to_datetime(hourly["time"])
    if time.dt.tz is None:
        raise ValueError("time must carry a UTC offset, e.g. 2025-01-01T01:00:00+08:00")
    end = time.dt.tz_convert(CST)
    if hour_label == "start":
        end = end + pd.Timedelta(hours=1)
    columns = [c for c in POLLUTANT_COLUMNS if c in hourly.columns]
    values = hourly[columns].apply(pd.to_numeric, errors="coerce").astype(float)
    values["station_id"] = hourly["station_id"].to_numpy()
    values["end"] = end.to_numpy()
    # A duplicated (station, hour) is averaged rather than dropped silently.
    wide = values.groupby(["end", "station_id"]).mean().unstack("station_id")
    if len(wide):
        # Whole natural days: from the hour ending 01:00 of the first day to 24:00 of the last.
        first = _day_of(pd.DatetimeIndex([wide.index.min()]))[0] + pd.Timedelta(hours=1)
        last = _day_of(pd.DatetimeIndex([wide.index.max()]))[0] + pd.Timedelta(hours=24)
        full = pd.date_range(first, last, freq="h")
        wide = wide.reindex(full)
    wide.index.name = "end"
    return wide


def _day_of(end: pd.DatetimeIndex) -> pd.DatetimeIndex:
    # An hour ending at 24:00 (next day 00:00) belongs to the day it started in.
    return (end - pd.Timedelta(hours=1)).normalize()


def _long(wide: pd.DataFrame, index_name: str) -> pd.DataFrame:
    """(pollutant, station) wide frame → rows of station_id, <index_name>, one column per pollutant."""
    out = wide.stack("station_id", future_stack=True).reset_index()
    out = out.rename(columns={out.columns[0]: index_name})
    out.columns.name = None
    return out


def daily_means(hourly: pd.DataFrame, *, hour_label: HourLabel = "end", min_hours: int = MIN_HOURS_PER_DAY) -> pd.DataFrame:
    """24-h means per station and natural day (GB 3095-2012 3.x "24小时平均"); NaN unless at least
    ``min_hours`` valid hourly values (Table 4: 20)."""
    wide = hourly_grid(hourly, hour_label)
    days = _day_of(wide.index)
    grouped = wide.groupby(days)
    counts = grouped.count()
    means = grouped.mean().where(counts >= min_hours)
    out = _long(means, "date")
    seen = _long(counts, "date").drop(columns=["date", "station_id"]).sum(axis=1) > 0
    out = out[seen.to_numpy()]
    out["date"] = out["date"].dt.date
    return out.sort_values(["station_id", "date"], ignore_index=True)


def o3_8h_moving(hourly: pd.DataFrame, *, hour_label: HourLabel = "end", min_hours: int = MIN_HOURS_PER_8H) -> pd.DataFrame:
    """O3 8-h moving mean stamped at the end of its last hour (covers that hour and the 7 before);
    NaN unless at least ``min_hours`` of the 8 are valid (GB 3095-2012 Table 4: 6)."""
    wide = hourly_grid(hourly, hour_label)["o3"]
    moving = wide.rolling(8, min_periods=min_hours).mean()
    out = moving.stack("station_id", future_stack=True).rename("o3_8h").reset_index()
    return out.sort_values(["station_id", "end"], ignore_index=True).rename(columns={"end": "time"})


def o3_daily_stats(
    hourly: pd.DataFrame,
    *,
    hour_label: HourLabel = "end",
    min_hours_per_8h: int = MIN_HOURS_PER_8H,
    min_windows: int = MIN_8H_WINDOWS_PER_DAY,
    min_hours_1h_max: int = MIN_HOURS_PER_DAY,
) -> pd.DataFrame:
    """Per station and day: ``o3_1h_max`` and ``o3_8h_max``.

    o3_8h_max is the largest 8-h moving mean among the windows ending 08:00…24:00 of the day
    (HJ 663-2013: 日最大8小时平均 over 8时至24时, so every window lies inside the day), valid only
    with at least ``min_windows`` (14) valid windows. o3_1h_max is the day's largest hourly value,
    required here to rest on ``min_hours_1h_max`` valid hours like the 24-h means (our choice).
    """
    grid = hourly_grid(hourly, hour_label)
    if "o3" not in grid.columns.get_level_values(0):
        return pd.DataFrame(columns=["date", "station_id", "o3_1h_max", "o3_8h_max"])
    wide = grid["o3"]
    days = _day_of(wide.index)
    moving = wide.rolling(8, min_periods=min_hours_per_8h).mean()
    hour_of_day = (wide.index - pd.Timedelta(hours=1)).hour + 1  # 1…24, the standards' 时
    in_day_windows = hour_of_day >= FIRST_8H_WINDOW_END_HOUR
    windows = moving[in_day_windows].groupby(days[in_day_windows])
    max_8h = windows.max().where(windows.count() >= min_windows)
    hours = wide.groupby(days)
    max_1h = hours.max().where(hours.count() >= min_hours_1h_max)
    both = pd.concat({"o3_1h_max": max_1h, "o3_8h_max": max_8h.reindex(max_1h.index)}, axis=1)
    both.columns.names = [None, "station_id"]
    out = _long(both, "date")
    out["date"] = out["date"].dt.date
    return out.sort_values(["station_id", "date"], ignore_index=True)


def _period_means(daily: pd.DataFrame, keys: list[pd.Series], min_days: Any) -> pd.DataFrame:
    columns = [c for c in daily.columns if c not in ("station_id", "date")]
    grouped = daily[columns].apply(pd.to_numeric, errors="coerce").groupby([daily["station_id"], *keys])
    counts = grouped.count()
    return grouped.mean().where(counts.ge(min_days(counts), axis=0)).reset_index()


def monthly_means(daily: pd.DataFrame) -> pd.DataFrame:
    """Monthly means of daily values per station: at least 27 daily values (25 in February),
    GB 3095-2012 Table 4. ``daily`` has columns station_id, date and value columns."""
    when = pd.to_datetime(daily["date"])
    year, month = when.dt.year.rename("year"), when.dt.month.rename("month")

    def needed(counts: pd.DataFrame) -> np.ndarray:
        months = counts.index.get_level_values("month")
        return np.where(months == 2, MIN_DAYS_PER_FEBRUARY, MIN_DAYS_PER_MONTH)

    return _period_means(daily, [year, month], needed)


def annual_means(daily: pd.DataFrame) -> pd.DataFrame:
    """Annual means of daily values per station: at least 324 daily values (GB 3095-2012 Table 4)."""
    year = pd.to_datetime(daily["date"]).dt.year.rename("year")
    return _period_means(daily, [year], lambda counts: np.full(len(counts), MIN_DAYS_PER_YEAR))


def daily_concentrations(hourly: pd.DataFrame, *, hour_label: HourLabel = "end") -> pd.DataFrame:
    """Per station and day, what a daily report rests on: the 24-h means (``<pollutant>_24h``)
    and the O3 daily maxima (``o3_1h_max``, ``o3_8h_max``), each valid only with enough hours."""
    means = daily_means(hourly, hour_label=hour_label).rename(
        columns={c: f"{c}_24h" for c in POLLUTANT_COLUMNS}
    )
    o3 = o3_daily_stats(hourly, hour_label=hour_label)
    frame = means.merge(o3, on=["station_id", "date"], how="left")
    return frame.drop(columns=["o3_24h"], errors="ignore")


def _daily_report_from_concentrations(frame: pd.DataFrame) -> pd.DataFrame:
    """IAQI/AQI of daily concentrations: HJ 633-2012 5.1.2 (24-h means of SO2, NO2, PM10, PM2.5,
    CO; O3 daily max 1-h and max 8-h); footnote (1): the 1-h SO2/NO2/CO rows are not used."""
    dates = frame["date"]
    for column in ("pm25_24h", "pm10_24h", "so2_24h", "no2_24h", "co_24h", "o3_1h_max", "o3_8h_max"):
        if column not in frame.columns:
            frame[column] = np.nan
    report = frame.copy()
    report["iaqi_pm25"] = iaqi_series("pm25", "24h", frame["pm25_24h"], dates)
    report["iaqi_pm10"] = iaqi_series("pm10", "24h", frame["pm10_24h"], dates)
    report["iaqi_so2"] = iaqi_series("so2", "24h", frame["so2_24h"], dates)
    report["iaqi_no2"] = iaqi_series("no2", "24h", frame["no2_24h"], dates)
    report["iaqi_co"] = iaqi_series("co", "24h", frame["co_24h"], dates)
    report["iaqi_o3_1h"] = iaqi_series("o3", "1h", frame["o3_1h_max"], dates)
    # Footnote (3): O3 8-h > 800 gives no 8-h sub-index; the 1-h one above stands for O3.
    report["iaqi_o3_8h"] = iaqi_series("o3", "8h", frame["o3_8h_max"], dates)
    result = aqi_from_iaqis(report, dates)
    report["aqi"] = result.aqi
    report["level"] = result.level["level"]
    report["primary_pollutant"] = result.primary_pollutants
    return report[DAILY_REPORT_COLUMNS]


def daily_aqi_report(hourly: pd.DataFrame, *, hour_label: HourLabel = "end") -> pd.DataFrame:
    """The station daily AQI report (HJ 633-2012 5.1.2, Table 3), one row per station and day."""
    return station_daily_report(daily_concentrations(hourly, hour_label=hour_label))


def station_daily_report(concentrations: pd.DataFrame) -> pd.DataFrame:
    """:func:`daily_aqi_report` from :func:`daily_concentrations` already computed."""
    frame = concentrations.dropna(how="all", subset=[c for c in concentrations.columns
                                                     if c not in ("station_id", "date")])
    return _daily_report_from_concentrations(frame.reset_index(drop=True))


def city_daily_report(
    hourly: pd.DataFrame,
    *,
    city_id: str = "city",
    stations: list[str] | None = None,
    hour_label: HourLabel = "end",
) -> pd.DataFrame:
    """City-wide daily report: for each pollutant the arithmetic mean of the valid station daily
    values (HJ 663-2013: a city's concentration is the mean over its assessment stations), then
    IAQI and AQI from those means as for a station. ``stations`` limits the stations used."""
    if stations is not None:
        hourly = hourly[hourly["station_id"].isin(stations)]
    return area_daily_report(daily_concentrations(hourly, hour_label=hour_label), city_id)


def area_daily_report(concentrations: pd.DataFrame, area_id: str, stations: list[str] | None = None) -> pd.DataFrame:
    """:func:`city_daily_report` of an area (``station_id`` = ``area_id``) from the stations'
    :func:`daily_concentrations` already computed, limited to ``stations`` when given."""
    frame = concentrations if stations is None else concentrations[concentrations["station_id"].isin(stations)]
    values = [c for c in frame.columns if c not in ("station_id", "date")]
    area = frame.groupby("date")[values].mean().reset_index()
    area = area.dropna(how="all", subset=values)
    area.insert(0, "station_id", area_id)
    return _daily_report_from_concentrations(area.reset_index(drop=True))


def realtime_aqi(hourly: pd.DataFrame, *, hour_label: HourLabel = "end") -> pd.DataFrame:
    """The hourly real-time report of HJ 633-2012 5.1.3 / Table 4, one row per station and hour.

    Sub-indices from the 1-h means of SO2, NO2, CO and O3, the O3 8-h moving mean, and the 24-h
    moving means of PM10 and PM2.5 (Table 4 lists PM 1-h values without a sub-index). Moving
    24-h means need 20 valid hours, 8-h means 6 (GB 3095-2012 Table 4). SO2 1-h > 800 uses the
    sub-index of the SO2 24-h moving mean (footnote (2)).
    """
    wide = hourly_grid(hourly, hour_label)
    pieces = {
        "so2_1h": wide["so2"] if "so2" in wide else None,
        "no2_1h": wide["no2"] if "no2" in wide else None,
        "co_1h": wide["co"] if "co" in wide else None,
        "o3_1h": wide["o3"] if "o3" in wide else None,
        "o3_8h": wide["o3"].rolling(8, min_periods=MIN_HOURS_PER_8H).mean() if "o3" in wide else None,
        "pm10_24h": wide["pm10"].rolling(24, min_periods=MIN_HOURS_PER_DAY).mean() if "pm10" in wide else None,
        "pm25_24h": wide["pm25"].rolling(24, min_periods=MIN_HOURS_PER_DAY).mean() if "pm25" in wide else None,
        "so2_24h_moving": wide["so2"].rolling(24, min_periods=MIN_HOURS_PER_DAY).mean() if "so2" in wide else None,
    }
    stations = wide.columns.get_level_values("station_id").unique()
    empty = pd.DataFrame(np.nan, index=wide.index, columns=stations)
    joined = pd.concat({k: (v if v is not None else empty) for k, v in pieces.items()}, axis=1)
    joined.columns.names = [None, "station_id"]
    frame = _long(joined, "time")
    observed = [c for c in ("so2_1h", "no2_1h", "co_1h", "o3_1h", "pm10_24h", "pm25_24h")]
    frame = frame.dropna(how="all", subset=observed).reset_index(drop=True)
    dates = (frame["time"] - pd.Timedelta(hours=1)).dt.date
    so2_1h = iaqi_series("so2", "1h", frame["so2_1h"], dates)
    so2_24h = iaqi_series("so2", "24h", frame["so2_24h_moving"], dates)
    frame["iaqi_so2"] = so2_1h.where(~(frame["so2_1h"] > 800), so2_24h)
    frame["iaqi_no2"] = iaqi_series("no2", "1h", frame["no2_1h"], dates)
    frame["iaqi_co"] = iaqi_series("co", "1h", frame["co_1h"], dates)
    frame["iaqi_o3_1h"] = iaqi_series("o3", "1h", frame["o3_1h"], dates)
    frame["iaqi_o3_8h"] = iaqi_series("o3", "8h", frame["o3_8h"], dates)
    frame["iaqi_pm10"] = iaqi_series("pm10", "24h", frame["pm10_24h"], dates)
    frame["iaqi_pm25"] = iaqi_series("pm25", "24h", frame["pm25_24h"], dates)
    result = aqi_from_iaqis(frame, dates)
    frame["aqi"] = result.aqi
    frame["level"] = result.level["level"]
    frame["primary_pollutant"] = result.primary_pollutants
    return frame[REALTIME_REPORT_COLUMNS].sort_values(["station_id", "time"], ignore_index=True)
