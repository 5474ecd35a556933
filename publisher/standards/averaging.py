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

from .aqi import (IAQI_COLUMNS, AqiMethod, aqi_from_iaqis, aqi_method, iaqi_series, joined_names,
                  round_concentrations)
from .versions import Standard, standard_by_id, standard_for, to_date

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

#: what a report says about the completeness of its AQI (see :func:`completeness`)
COMPLETE, INCOMPLETE, WITHHELD = "complete", "incomplete", "withheld"
STATUS_COLUMNS = ["completeness", "missing_pollutants"]
DAILY_REPORT_COLUMNS = [
    "station_id", "date", "pm25_24h", "pm10_24h", "so2_24h", "no2_24h", "co_24h", "o3_1h_max", "o3_8h_max",
    "iaqi_pm25", "iaqi_pm10", "iaqi_so2", "iaqi_no2", "iaqi_co", "iaqi_o3_1h", "iaqi_o3_8h",
    "aqi", "level", "primary_pollutant", *STATUS_COLUMNS,
]
REALTIME_REPORT_COLUMNS = [
    "station_id", "time", "so2_1h", "no2_1h", "co_1h", "o3_1h", "pm10_1h", "pm25_1h", "o3_8h",
    "so2_24h", "pm10_24h", "pm25_24h",
    "iaqi_so2", "iaqi_no2", "iaqi_co", "iaqi_o3_1h", "iaqi_o3_8h", "iaqi_pm10", "iaqi_pm25",
    "aqi", "level", "primary_pollutant", *STATUS_COLUMNS,
]
#: report column → the pollutant whose decimals round it
ROUNDED_AS = {"so2_1h": "so2", "no2_1h": "no2", "co_1h": "co", "o3_1h": "o3", "pm10_1h": "pm10", "pm25_1h": "pm25",
              "o3_8h": "o3", "so2_24h": "so2", "no2_24h": "no2", "co_24h": "co", "pm10_24h": "pm10",
              "pm25_24h": "pm25", "o3_1h_max": "o3", "o3_8h_max": "o3"}


def air_columns(fields: Any) -> dict[str, str]:
    """Pollutant → column for the hourly air pollutants among ``fields`` (content field specs),
    each found by its ``parameter``, else its name. Raises ValueError when two fields claim one
    pollutant: taking either would let one column stand in for, or hide, the other (the check
    reports it as ``parameter-declared-twice``)."""
    found: dict[str, str] = {}
    for f in fields:
        p = f.parameter or f.name
        if p not in POLLUTANT_COLUMNS:
            continue
        if p in found:
            raise ValueError(f"参数 {p} 由字段 '{found[p]}' 和 '{f.name}' 重复声明 / parameter {p} is declared by "
                             f"both fields '{found[p]}' and '{f.name}' [parameter-declared-twice]")
        found[p] = f.name
    return {p: found[p] for p in POLLUTANT_COLUMNS if p in found}


def hourly_grid(hourly: pd.DataFrame, hour_label: HourLabel = "end") -> pd.DataFrame:
    """Hourly values as a wide frame: index = hour end (+08:00) on a gap-free hourly range,
    columns = (pollutant, station_id). Missing hours become NaN rows, so that rolling windows
    count hours of the clock, not rows of the file."""
    end = _hour_ends(hourly, hour_label)
    columns = [c for c in POLLUTANT_COLUMNS if c in hourly.columns]
    values = hourly[columns].apply(pd.to_numeric, errors="coerce").astype(float)
    fast = _scattered(values, hourly["station_id"], end)
    if fast is not None:
        return fast
    values["station_id"] = hourly["station_id"].to_numpy()
    values["end"] = end.array  # keeps the dtype (an object array of Timestamps is slow to group)
    # A duplicated (station, hour) is averaged rather than dropped silently.
    wide = values.groupby(["end", "station_id"]).mean().unstack("station_id")
    if len(wide):
        wide = wide.reindex(_whole_days(wide.index.min(), wide.index.max()))
    wide.index.name = "end"
    return wide


def _whole_days(first: pd.Timestamp, last: pd.Timestamp) -> pd.DatetimeIndex:
    """Whole natural days: from the hour ending 01:00 of the first day to 24:00 of the last."""
    return pd.date_range(_day_of(pd.DatetimeIndex([first]))[0] + pd.Timedelta(hours=1),
                         _day_of(pd.DatetimeIndex([last]))[0] + pd.Timedelta(hours=24), freq="h")


def _scattered(values: pd.DataFrame, station: pd.Series, end: pd.Series) -> pd.DataFrame | None:
    """:func:`hourly_grid` when no (hour, station) has two rows (then each mean is of one value):
    the values put straight into place instead of grouped. None when some pair repeats."""
    codes, stations = pd.factorize(station, sort=True)  # -1: no station id
    valid = (codes >= 0) & end.notna().to_numpy()
    if not valid.any() or values.columns.empty:
        return None
    codes = codes[valid]
    hours = _whole_days(end[valid].min(), end[valid].max())
    hour = pd.Timedelta(hours=1).value
    offset = end[valid].array.as_unit("ns").asi8 - hours[0].as_unit("ns").value
    on_hour = offset % hour == 0  # rows off the hour are not in the grid
    rows, cols = (offset // hour)[on_hour], codes[on_hour]
    if len(rows) and np.bincount(rows * len(stations) + cols).max() > 1:
        return None
    grid = np.full((len(hours), len(values.columns) * len(stations)), np.nan)
    for n, column in enumerate(values.columns):
        # + 0.0: a mean of one value is that value, but -0.0 comes out 0.0 (pandas' sum starts at 0.0)
        grid[rows, n * len(stations) + cols] = values[column].to_numpy()[valid][on_hour] + 0.0
    return pd.DataFrame(grid, index=hours.rename("end"),
                        columns=pd.MultiIndex.from_product([values.columns, stations], names=[None, "station_id"]))


def _hour_ends(hourly: pd.DataFrame, hour_label: HourLabel) -> pd.Series:
    """The end of the hour each row stands for, in China Standard Time."""
    if hour_label not in ("end", "start"):
        raise ValueError("hour_label must be 'end' or 'start'")
    time = pd.to_datetime(hourly["time"])
    if time.dt.tz is None:
        raise ValueError("time must carry a UTC offset, e.g. 2025-01-01T01:00:00+08:00")
    end = time.dt.tz_convert(CST)
    if hour_label == "start":
        end = end + pd.Timedelta(hours=1)
    return end


def held_counts(hourly: pd.DataFrame, hour_label: HourLabel = "end") -> pd.DataFrame:
    """How many values of each pollutant the input rows hold per station and clock hour, as a
    wide frame like :func:`hourly_grid` (index: hour end +08:00, only hours with rows).

    Counted from the rows themselves, not from the grid: :func:`hourly_grid` keeps only times on
    the hour, so a value stamped 01:30 is not in it. Such a value counts here in the hour it falls
    in (ending 02:00). Whether a pollutant was *measured* is decided from these counts, so a value
    the grid dropped makes the AQI withheld, never "complete" or "incomplete" without it."""
    return _held(hourly, hour_label)[0]


def _held(hourly: pd.DataFrame, hour_label: HourLabel) -> tuple[pd.DataFrame, pd.Series]:
    """:func:`held_counts`, and per (pollutant, station) whether any value is off the hour."""
    exact = _hour_ends(hourly, hour_label)
    end = exact.dt.ceil("h")
    columns = [c for c in POLLUTANT_COLUMNS if c in hourly.columns]
    held = hourly[columns].apply(pd.to_numeric, errors="coerce").notna().astype(int)
    held["station_id"] = hourly["station_id"].to_numpy()
    held["end"] = end.array
    wide = held.groupby(["end", "station_id"]).sum().unstack("station_id", fill_value=0)
    wide.index.name = "end"
    off = held[columns].mul((exact != end).to_numpy().astype(int), axis=0)
    off["station_id"] = held["station_id"]
    lost = off.groupby("station_id")[columns].sum().gt(0).stack()
    lost.index = lost.index.swaplevel()
    return wide, lost


def _held_like(hourly: pd.DataFrame, hour_label: HourLabel, like: pd.DataFrame, index: Any = None) -> pd.DataFrame:
    """:func:`held_counts` on the index and (pollutant, station) columns of ``like`` (0 elsewhere);
    ``index`` regroups the hours first (e.g. by day).

    A pollutant of a station with any value off the hour counts as held in every row: the grid
    lost values of it, so no row of that station may present it as not measured."""
    exact = _hour_ends(hourly, hour_label)
    end = exact.dt.ceil("h")
    when = pd.DatetimeIndex(end)
    at = like.index.get_indexer(when if index is None else index(when))  # -1: not a row of ``like``
    off = (exact != end).to_numpy()  # (NaT too, as the grouped sums counted it)
    columns = [c for c in POLLUTANT_COLUMNS if c in hourly.columns]
    held = hourly[columns].apply(pd.to_numeric, errors="coerce").notna().to_numpy()
    codes, stations = pd.factorize(hourly["station_id"])
    position = {key: n for n, key in enumerate(like.columns)}
    width = len(like.columns)
    cells, lost = [], np.zeros(width, dtype=bool)
    for k, p in enumerate(columns):
        spot = np.array([position.get((p, s), -1) for s in stations] + [-1])[codes]  # code -1: no station
        counted = held[:, k] & (spot >= 0)
        cells.append((at * width + spot)[counted & (at >= 0)])
        lost[spot[counted & off]] = True
    counts = np.bincount(np.concatenate(cells), minlength=len(like.index) * width) if cells else \
        np.zeros(len(like.index) * width, dtype=np.int64)
    return pd.DataFrame(counts.reshape(len(like.index), width).astype(np.int64) + lost.astype(np.int64),
                        index=like.index, columns=like.columns)


def _day_of(end: pd.DatetimeIndex) -> pd.DatetimeIndex:
    # An hour ending at 24:00 (next day 00:00) belongs to the day it started in.
    return (end - pd.Timedelta(hours=1)).normalize()


def _long(wide: pd.DataFrame, index_name: str) -> pd.DataFrame:
    """(pollutant, station) wide frame → rows of station_id, <index_name>, one column per pollutant."""
    names = list(dict.fromkeys(wide.columns.get_level_values(0)))
    stations = wide.columns.get_level_values("station_id").unique()
    full = wide.reindex(columns=pd.MultiIndex.from_product([names, stations]))
    # (time, pollutant × station) → (time × station, pollutant), in one reshape
    cube = full.to_numpy(dtype=float).reshape(len(wide), len(names), len(stations)).transpose(0, 2, 1)
    out = pd.DataFrame(cube.reshape(-1, len(names)), columns=names)
    labels = pd.Series(np.asarray(stations, dtype=object)).array  # typed as the whole column would be
    out.insert(0, "station_id", labels.take(np.tile(np.arange(len(stations)), len(wide))))
    out.insert(0, index_name, np.repeat(wide.index, len(stations)))
    return out


def daily_means(hourly: pd.DataFrame, *, hour_label: HourLabel = "end", min_hours: int = MIN_HOURS_PER_DAY,
                hours: bool = False) -> pd.DataFrame:
    """24-h means per station and natural day (GB 3095-2012 3.x "24小时平均"); NaN unless at least
    ``min_hours`` valid hourly values (Table 4: 20). ``hours=True`` adds ``hours_<pollutant>``,
    the number of values the input rows hold for that day (:func:`held_counts`; 0: not measured
    that day) — at least as many as the mean rests on, more when some were not on the hour."""
    return _daily_means(hourly_grid(hourly, hour_label), hourly, hour_label, min_hours, hours)


def _daily_means(wide: pd.DataFrame, hourly: pd.DataFrame, hour_label: HourLabel, min_hours: int,
                 hours: bool) -> pd.DataFrame:
    days = _day_of(wide.index)
    grouped = wide.groupby(days)
    counts = grouped.count()
    means = grouped.mean().where(counts >= min_hours)
    out = _long(means, "date")
    counted = _long(counts, "date").drop(columns=["date", "station_id"])
    seen = counted.sum(axis=1) > 0
    if hours:
        held = _long(_held_like(hourly, hour_label, counts, _day_of), "date").drop(columns=["date", "station_id"])
        for column in held.columns:
            out[f"hours_{column}"] = held[column].to_numpy()
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
    return _o3_daily_stats(hourly_grid(hourly, hour_label), min_hours_per_8h, min_windows, min_hours_1h_max)


def _o3_daily_stats(grid: pd.DataFrame, min_hours_per_8h: int = MIN_HOURS_PER_8H,
                    min_windows: int = MIN_8H_WINDOWS_PER_DAY, min_hours_1h_max: int = MIN_HOURS_PER_DAY) -> pd.DataFrame:
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
    and the O3 daily maxima (``o3_1h_max``, ``o3_8h_max``), each valid only with enough hours, and
    ``hours_<pollutant>``: how many valid hours of each pollutant the day has (0: not measured)."""
    grid = hourly_grid(hourly, hour_label)  # one grid for the means and the O3 maxima
    means = _daily_means(grid, hourly, hour_label, MIN_HOURS_PER_DAY, True).rename(
        columns={c: f"{c}_24h" for c in POLLUTANT_COLUMNS}
    )
    o3 = _o3_daily_stats(grid)
    frame = means.merge(o3, on=["station_id", "date"], how="left")
    return frame.drop(columns=["o3_24h"], errors="ignore")


#: daily report: IAQI column → (concentration column, pollutant, Table 1 period, hours column)
_DAILY_ITEMS = {
    "iaqi_pm25": ("pm25_24h", "pm25", "24h", "hours_pm25"),
    "iaqi_pm10": ("pm10_24h", "pm10", "24h", "hours_pm10"),
    "iaqi_so2": ("so2_24h", "so2", "24h", "hours_so2"),
    "iaqi_no2": ("no2_24h", "no2", "24h", "hours_no2"),
    "iaqi_co": ("co_24h", "co", "24h", "hours_co"),
    "iaqi_o3_1h": ("o3_1h_max", "o3", "1h", "hours_o3"),
    "iaqi_o3_8h": ("o3_8h_max", "o3", "8h", "hours_o3"),
}


def _daily_report_from_concentrations(frame: pd.DataFrame, method: AqiMethod | str | None = None) -> pd.DataFrame:
    """IAQI/AQI of daily concentrations: HJ 633-2012 5.1.2 (24-h means of SO2, NO2, PM10, PM2.5,
    CO; O3 daily max 1-h and max 8-h); footnote (1): the 1-h SO2/NO2/CO rows are not used. The
    concentrations are first rounded as ``method`` rounds them (修约), and the report carries the
    rounded values, so each row can be recomputed from what it prints."""
    m = aqi_method(method)
    dates = frame["date"]
    standard = _one_version(pd.factorize(dates, use_na_sentinel=False)[1])
    at = {"date": dates} if standard is None else {"standard": standard}
    report = frame.copy()
    for column, pollutant in ((c, ROUNDED_AS[c]) for c, *_ in _DAILY_ITEMS.values()):
        report[column] = round_concentrations(frame[column], pollutant, m) if column in frame.columns else np.nan
    for iaqi_column, (column, pollutant, period, _) in _DAILY_ITEMS.items():
        report[iaqi_column] = iaqi_series(pollutant, period, report[column], **at, method=m)
    # Footnote (3): O3 8-h > 800 gives no 8-h sub-index; the 1-h one stands for O3.
    covered = {"iaqi_o3_8h": report["o3_8h_max"] > 800}
    measured = {c: pd.to_numeric(frame[h], errors="coerce").fillna(0).gt(0) if h in frame.columns
                else report[_DAILY_ITEMS[c][0]].notna() for c, (_, _, _, h) in _DAILY_ITEMS.items()}
    _finish(report, dates, measured, covered, standard)
    return report[DAILY_REPORT_COLUMNS]


def _one_version(days: Any) -> Standard | None:
    """The HJ 633 version in force on every one of ``days`` (distinct dates), or None when they
    fall under several or are none: then each row is resolved by its own date."""
    versions = {standard_for("aqi", to_date(d)) for d in days}
    return next(iter(versions)) if len(versions) == 1 else None


def completeness(report: pd.DataFrame, measured: dict[str, pd.Series],
                 covered: dict[str, pd.Series] | None = None) -> tuple[pd.Series, pd.Series]:
    """(completeness, missing_pollutants) of each row of a report.

    Every IAQI column of ``measured`` is mandatory. A sub-index that could not be computed for a
    pollutant that was measured (``measured``: it has valid hourly values in the period) makes the
    row ``withheld``: no AQI is published, because any number would hide that pollutant. A
    pollutant not measured at all leaves the AQI of the others, published as ``incomplete`` and
    naming what is missing. ``covered`` marks sub-indices replaced by another by rule (O3 8-h >
    800 by the 1-h one)."""
    covered = covered or {}
    withheld = np.zeros(len(report), dtype=bool)
    columns = [c for c in IAQI_COLUMNS if c in measured]  # named in the order of primary pollutants
    absent = np.zeros((len(report), len(columns)), dtype=bool)
    for k, column in enumerate(columns):
        cover = covered.get(column)
        absent[:, k] = report[column].isna().to_numpy() & ~(_aligned(cover, report.index).fillna(False).to_numpy(bool)
                                                             if cover is not None else False)
        withheld |= absent[:, k] & _aligned(measured[column], report.index).to_numpy(bool)
    missing = joined_names(absent, [IAQI_COLUMNS[c] for c in columns], report.index)
    status = pd.Series(np.where(withheld, WITHHELD, np.where(absent.any(axis=1), INCOMPLETE, COMPLETE)),
                       index=report.index, dtype=object)
    return status, missing


def _aligned(values: pd.Series, index: pd.Index) -> pd.Series:
    return values if values.index.equals(index) else values.reindex(index)


def _finish(report: pd.DataFrame, dates: Any, measured: dict[str, pd.Series],
            covered: dict[str, pd.Series] | None = None, standard: Standard | None = None) -> None:
    """AQI, level, primary pollutant and completeness of a report, in place; nothing of the AQI
    is published for a withheld row. ``standard``: the HJ 633 version of every row, when known."""
    result = aqi_from_iaqis(report[[c for c in IAQI_COLUMNS if c in report.columns]],
                            dates if standard is None else None, standard=standard)
    status, missing = completeness(report, measured, covered)
    keep = status.ne(WITHHELD)
    report["aqi"] = result.aqi.where(keep)
    report["level"] = result.level["level"].where(keep)
    report["primary_pollutant"] = result.primary_pollutants.where(keep)
    report["completeness"] = status
    report["missing_pollutants"] = missing.astype("string")


def daily_aqi_report(hourly: pd.DataFrame, *, hour_label: HourLabel = "end",
                     method: AqiMethod | str | None = None) -> pd.DataFrame:
    """The station daily AQI report (HJ 633-2012 5.1.2, Table 3), one row per station and day."""
    return station_daily_report(daily_concentrations(hourly, hour_label=hour_label), method=method)


def station_daily_report(concentrations: pd.DataFrame, method: AqiMethod | str | None = None) -> pd.DataFrame:
    """:func:`daily_aqi_report` from :func:`daily_concentrations` already computed."""
    frame = concentrations.dropna(how="all", subset=[c for c in concentrations.columns
                                                     if c not in ("station_id", "date")
                                                     and not c.startswith("hours_")])
    return _daily_report_from_concentrations(frame.reset_index(drop=True), method)


def city_daily_report(
    hourly: pd.DataFrame,
    *,
    city_id: str = "city",
    stations: list[str] | None = None,
    hour_label: HourLabel = "end",
    method: AqiMethod | str | None = None,
) -> pd.DataFrame:
    """City-wide daily report: for each pollutant the arithmetic mean of the valid station daily
    values (HJ 663-2013: a city's concentration is the mean over its assessment stations), then
    IAQI and AQI from those means as for a station. ``stations`` limits the stations used."""
    if stations is not None:
        hourly = hourly[hourly["station_id"].isin(stations)]
    return area_daily_report(daily_concentrations(hourly, hour_label=hour_label), city_id, method=method)


def area_daily_report(concentrations: pd.DataFrame, area_id: str, stations: list[str] | None = None,
                      method: AqiMethod | str | None = None) -> pd.DataFrame:
    """:func:`city_daily_report` of an area (``station_id`` = ``area_id``) from the stations'
    :func:`daily_concentrations` already computed, limited to ``stations`` when given. A pollutant
    counts as measured in the area when any of its stations measured it that day."""
    frame = concentrations if stations is None else concentrations[concentrations["station_id"].isin(stations)]
    values = [c for c in frame.columns if c not in ("station_id", "date") and not c.startswith("hours_")]
    hours = [c for c in frame.columns if c.startswith("hours_")]
    area = frame.groupby("date")[values].mean()
    if hours:
        area = area.join(frame.groupby("date")[hours].sum())
    area = area.reset_index().dropna(how="all", subset=values)
    area.insert(0, "station_id", area_id)
    return _daily_report_from_concentrations(area.reset_index(drop=True), method)


def _o3_8h_restarting(o3: pd.DataFrame, min_share: float = MIN_HOURS_PER_8H / 8) -> pd.DataFrame:
    """The platform's O3 8-h mean: over the last 8 hours, but never reaching back before the
    natural day's first hour (1时), so hour t < 8 averages hours 1…t. Valid with at least 6 of 8
    valid hours, and the same share of a shorter window."""
    hour = np.asarray((o3.index - pd.Timedelta(hours=1)).hour + 1)[:, None]  # 1…24
    days = _day_of(o3.index)
    total = o3.fillna(0.0).groupby(days).cumsum()
    count = o3.notna().astype(int).groupby(days).cumsum()
    # The sum over the last min(hour, 8) hours of the same day: the day's running total, less the
    # running total 8 hours earlier when that hour is still in the day.
    later = np.broadcast_to(hour > 8, o3.shape)
    window_sum = total - total.shift(8).where(later, 0.0).fillna(0.0)
    window_count = count - count.shift(8).where(later, 0).fillna(0)
    span = np.broadcast_to(np.minimum(hour, 8), o3.shape)
    return (window_sum / window_count).where(window_count >= np.ceil(span * min_share))


def realtime_aqi(hourly: pd.DataFrame, *, method: AqiMethod | str | None = None,
                 hour_label: HourLabel = "end") -> pd.DataFrame:
    """The hourly real-time report (HJ 633-2012 5.1.3 / Table 4), one row per station and hour.

    ``method`` (default: the national platform's, see docs/standards.md) decides what enters it:

    - ``platform``: sub-indices of the 1-h SO2, NO2, CO and O3 on their 1-h rows and of the 1-h
      PM10 and PM2.5 on their 24-h rows; no O3 8-h sub-index; SO2 1-h > 800 gives 200 and a value
      above its column 500; the printed O3 8-h mean restarts each natural day.
    - ``literal``: 1-h SO2, NO2, CO, O3, the O3 8-h moving mean (6 of 8 hours) and the 24-h moving
      means of PM10 and PM2.5 (20 valid hours); SO2 1-h > 800 uses the SO2 24-h moving mean
      (footnote (2)); nothing above a column.

    Concentrations are rounded as the method rounds them before IAQI and printed so. The report
    also carries the 1-h PM values, the 24-h moving means and the O3 8-h mean of either method.
    A row whose measured pollutant has no sub-index is ``withheld`` (no AQI); one missing a
    pollutant not measured that hour is ``incomplete`` (see :func:`completeness`).
    """
    m = aqi_method(method)
    wide = hourly_grid(hourly, hour_label)
    present = set(wide.columns.get_level_values(0))
    stations = wide.columns.get_level_values("station_id").unique()
    empty = pd.DataFrame(np.nan, index=wide.index, columns=stations)
    col = {p: (wide[p] if p in present else empty) for p in POLLUTANT_COLUMNS}
    moving = {p: col[p].rolling(24, min_periods=MIN_HOURS_PER_DAY).mean() for p in ("so2", "pm10", "pm25")}
    o3_8h = (_o3_8h_restarting(col["o3"]) if m.o3_8h_day_boundary == "restart"
             else col["o3"].rolling(8, min_periods=MIN_HOURS_PER_8H).mean())
    pieces = {"so2_1h": col["so2"], "no2_1h": col["no2"], "co_1h": col["co"], "o3_1h": col["o3"],
              "pm10_1h": col["pm10"], "pm25_1h": col["pm25"], "o3_8h": o3_8h,
              "so2_24h": moving["so2"], "pm10_24h": moving["pm10"], "pm25_24h": moving["pm25"]}
    held = _held_like(hourly, hour_label, pd.concat({p: col[p] for p in POLLUTANT_COLUMNS}, axis=1))
    joined = pd.concat({**pieces, **{f"held_{p}": held[p] for p in POLLUTANT_COLUMNS}}, axis=1)
    joined.columns.names = [None, "station_id"]
    frame = _long(joined, "time")
    hourly_columns = ["so2_1h", "no2_1h", "co_1h", "o3_1h", "pm10_1h", "pm25_1h"]
    frame = frame.dropna(how="all", subset=hourly_columns).reset_index(drop=True)
    raw = frame.copy()
    for column in pieces:
        frame[column] = round_concentrations(frame[column], ROUNDED_AS[column], m)
    # the date of each hour, made once per distinct day; the HJ 633 version, once when all share it
    codes, days = pd.factorize((frame["time"] - pd.Timedelta(hours=1)).dt.normalize())
    unique_dates = np.array(list(days.date) + [pd.NaT], dtype=object)
    dates = pd.Series(unique_dates[codes], index=frame.index)
    standard = _one_version(unique_dates[:-1])
    at = {"date": dates} if standard is None else {"standard": standard}
    so2 = iaqi_series("so2", "1h", frame["so2_1h"], **at, method=m)
    if m.so2_1h_above_800 == "use_24h":  # footnote (2)
        so2 = so2.where(~(frame["so2_1h"] > 800), iaqi_series("so2", "24h", frame["so2_24h"], **at, method=m))
    frame["iaqi_so2"] = so2
    frame["iaqi_no2"] = iaqi_series("no2", "1h", frame["no2_1h"], **at, method=m)
    frame["iaqi_co"] = iaqi_series("co", "1h", frame["co_1h"], **at, method=m)
    frame["iaqi_o3_1h"] = iaqi_series("o3", "1h", frame["o3_1h"], **at, method=m)
    pm = "1h" if m.realtime_pm == "1h" else "24h"
    frame["iaqi_pm10"] = iaqi_series("pm10", "24h", frame[f"pm10_{pm}"], **at, method=m)
    frame["iaqi_pm25"] = iaqi_series("pm25", "24h", frame[f"pm25_{pm}"], **at, method=m)
    # Measured: the input rows hold a value for the hour, whether or not the grid kept it.
    held_in = {p: raw[f"held_{p}"].gt(0) | raw[f"{p}_1h"].notna() for p in POLLUTANT_COLUMNS}
    measured = {"iaqi_so2": held_in["so2"], "iaqi_no2": held_in["no2"], "iaqi_co": held_in["co"],
                "iaqi_o3_1h": held_in["o3"], "iaqi_pm10": held_in["pm10"], "iaqi_pm25": held_in["pm25"]}
    covered = {}
    if m.realtime_o3_8h:
        frame["iaqi_o3_8h"] = iaqi_series("o3", "8h", frame["o3_8h"], **at, method=m)
        measured["iaqi_o3_8h"] = held_in["o3"]
        covered["iaqi_o3_8h"] = frame["o3_8h"] > 800  # footnote (3): the 1-h sub-index stands
    else:
        frame["iaqi_o3_8h"] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    _finish(frame, dates, measured, covered, standard)
    return frame[REALTIME_REPORT_COLUMNS].sort_values(["station_id", "time"], ignore_index=True)
