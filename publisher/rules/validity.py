"""Validity: enough data before a value may be aggregated, as GB 3095-2012 and HJ 663 require.

GB 3095-2012 Table 4 (the minimum data for a valid statistic): a 24-hour mean of SO2, NO2, CO,
PM10 or PM2.5 needs at least 20 hourly values that day; a monthly mean at least 27 daily means
(25 in February); an annual mean at least 324 daily means. HJ 663-2013 applies the same rule when
air quality is assessed. The thresholds are data in ``release_rules.yaml`` (``validity``), each
with the clause it comes from, and so is the severity.

Example: station ``aq-chengdong`` reported PM2.5 for only 15 hours on 2025-03-04::

    ...air_hourly_2025.csv:1513, column 'pm25': warning [daily-capture-insufficient]
      站点 aq-chengdong 的 pm25 有 1 天有效小时数少于 20（如 2025-03-04 仅 15 小时），这些日不能计算日均值
      （GB 3095-2012 第8章 表4）

Rules: ``daily-capture-insufficient``, ``monthly-capture-insufficient``,
``annual-capture-insufficient``, ``time-off-the-hour`` (hourly air data stamped off the hour in
the portal's time zone, which the hourly grid of the AQI would leave out).
"""

from __future__ import annotations

import calendar
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from ..config import ValidityRule
from ..report import Finding, Severity
from ..standards.averaging import POLLUTANT_COLUMNS as AIR_POLLUTANTS
from . import base
from .base import ItemContext, ResourceData, format_day

MIN = np.iinfo(np.int64).min
RULE_IDS = {"day": "daily-capture-insufficient", "month": "monthly-capture-insufficient",
            "year": "annual-capture-insufficient"}
PERIOD_NAMES = {"day": ("日", "day"), "month": ("月", "month"), "year": ("年", "year")}
MAX_CELLS = 50_000_000  # series x days; beyond this the screen is skipped rather than eat memory
HOUR_MS = 3_600_000


def check_resource(ctx: ItemContext, data: ResourceData) -> list:
    _check_on_the_hour(ctx, data)
    ds = ctx.dataset
    applicable = [v for v in ctx.rules.validity if not v.categories or ds.category in v.categories]
    if not applicable or data.n == 0 or data.times() is None:
        return []
    sub_daily = data.sub_daily()
    day_rules = {p: v for v in applicable if v.period == "day" for p in v.parameters}
    grids: dict[str, tuple | None] = {}
    count_cache: dict[tuple[str, str], np.ndarray] = {}
    out: list[Finding] = []
    for rule in applicable:
        if rule.period == "day" and not sub_daily:
            continue
        if rule.time_label not in grids:
            grids[rule.time_label] = _grid(data, -1 if rule.time_label == "end" and sub_daily else 0)
        grid = grids[rule.time_label]
        if grid is None:
            continue
        ok_time, key, d0, n_days, n_series, within, s_idx, rows, edge = grid
        for f in data.fields("number", "integer"):
            param = f.parameter or f.name
            if param not in rule.parameters:
                continue
            empty = data.empty_rows(f.name)
            if empty is None:
                continue
            cache_key = (rule.time_label, f.name)
            if cache_key not in count_cache:  # the month and year rules reuse the day counts
                count_cache[cache_key] = _valid_counts(empty, ok_time, key, rows)
            counts = count_cache[cache_key]
            if rule.period == "day":
                # The first and last day of a series are judged only when the file covers them:
                # data may start or stop in the middle of a day.
                judged = within & ~(edge & (rows < rule.min_values))
                day_out: list[Finding] = []
                _report_days(ctx, data, rule, f.name, param, counts, judged, d0, n_days, key, s_idx, day_out)
                for finding in day_out:  # added at once so the cap counts them as they go
                    ctx.out.add(finding)
            else:
                need = day_rules.get(param)
                valid_day = counts >= (need.min_values if (need and sub_daily) else 1)
                _report_periods(ctx, data, rule, f.name, param, valid_day, within, d0, key, n_days, s_idx, out)
    for finding in out:
        ctx.out.add(finding)
    return []


def _grid(data: ResourceData, shift_ms: int):
    """Series x local day: the key of each row, and each series' span of days."""
    key = data.local_days(shift_ms)  # a new array, made into the key in place
    ok_time = key != MIN
    if not ok_time.any():
        return None
    every_time = bool(ok_time.all())
    s_idx = data.series_index()
    n_series = int(s_idx.max()) + 1 if s_idx.size else 1
    known_days = key if every_time else key[ok_time]
    d0 = int(known_days.min())
    n_days = int(known_days.max()) - d0 + 1
    if n_series * n_days > MAX_CELLS:
        return None
    key -= d0
    for start in range(0, key.size, base.BLOCK):  # a block at a time: no second array as long as the file
        key[start:start + base.BLOCK] += s_idx[start:start + base.BLOCK] * n_days
    if not every_time:
        key[~ok_time] = 0
    rows = np.bincount(key if every_time else key[ok_time], minlength=n_series * n_days).reshape(n_series, n_days)
    present = rows > 0
    first = present.argmax(axis=1)
    last = n_days - 1 - present[:, ::-1].argmax(axis=1)
    span = np.arange(n_days)
    within = (span >= first[:, None]) & (span <= last[:, None]) & present.any(axis=1)[:, None]
    edge = (span == first[:, None]) | (span == last[:, None])
    return ok_time, key, d0, n_days, n_series, within, s_idx, rows, edge


def _valid_counts(empty: np.ndarray, ok_time: np.ndarray, key: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Values present per series and day: the rows of each cell less its ``empty`` rows (few,
    so counting them is cheaper than counting the present ones)."""
    if empty.size < key.size // 2:
        empty = empty[ok_time[empty]]
        return rows - np.bincount(key[empty], minlength=rows.size).reshape(rows.shape)
    ok = ok_time.copy()
    ok[empty] = False
    return np.bincount(key[ok], minlength=rows.size).reshape(rows.shape)


def _series_label(data: ResourceData, row: int) -> str:
    names = data.series_fields()
    return " / ".join(data.value_text(n, row) for n in names) or data.table.file


def _first_row(key: np.ndarray, target: int) -> int | None:
    hits = np.flatnonzero(key == target)
    return int(hits[0]) if hits.size else None


def _report_days(ctx, data, rule: ValidityRule, column, param, counts, within, d0, n_days, key, s_idx, out):
    short = within & (counts < rule.min_values)
    severity = Severity(rule.severity)
    for s in np.flatnonzero(short.any(axis=1)).tolist():
        bad_days = np.flatnonzero(short[s])
        day = int(bad_days[0])
        if not ctx.out.has_room(ctx.item_id, data.table.file, RULE_IDS["day"], len(out)):
            out.append(Finding(RULE_IDS["day"], severity, "", "", item=ctx.item_id, file=data.table.file))
            continue  # only counted: finding the row would cost a pass over the file
        row = _first_row(key, s * n_days + day)
        any_row = row if row is not None else _first_row(s_idx, s)
        label = _series_label(data, any_row) if any_row is not None else "?"
        date = format_day(d0 + day)
        have = int(counts[s, day])
        out.append(Finding(
            RULE_IDS["day"], severity,
            f"{label} 的 {param} 有 {bad_days.size} 天有效小时数少于 {rule.min_values}（如 {date} 仅 {have} 小时），"
            f"这些日不能计算日均值（{rule.clause}）",
            f"{label}, {param}: {bad_days.size} days have fewer than {rule.min_values} valid hours (e.g. {date}: "
            f"{have}); no daily mean may be computed for them ({rule.clause})",
            item=ctx.item_id, file=data.table.file, row=data.table.line(row) if row is not None else None,
            column=column))


def _report_periods(ctx, data, rule: ValidityRule, column, param, valid_day, within, d0, key, n_days, s_idx, out):
    dates = (np.datetime64("1970-01-01") + np.arange(d0, d0 + n_days).astype("timedelta64[D]"))
    unit = "M" if rule.period == "month" else "Y"
    periods = dates.astype(f"datetime64[{unit}]")
    labels, p_idx = np.unique(periods, return_inverse=True)
    severity = Severity(rule.severity)
    zh_p, en_p = PERIOD_NAMES[rule.period]
    for s in range(valid_day.shape[0]):
        covered = within[s]
        reports = []
        for k, label in enumerate(labels):
            in_period = p_idx == k
            # Only whole periods inside the series' span: a station that starts on 10 March is
            # not short of data for March.
            if not covered[in_period].all() or in_period.sum() < _period_length(label, rule.period):
                continue
            n_valid = int(valid_day[s, in_period].sum())
            need = rule.min_values
            if rule.period == "month" and rule.min_values_february and str(label).endswith("-02"):
                need = rule.min_values_february
            if n_valid < need:
                reports.append((str(label), n_valid, need, int(np.flatnonzero(in_period)[0])))
        if not reports:
            continue
        name, have, need, day = reports[0]
        row = _first_row(key, s * n_days + day)
        row = row if row is not None else _first_row(s_idx, s)
        label = _series_label(data, row) if row is not None else "?"
        listed = "、".join(r[0] for r in reports[:6])
        out.append(Finding(
            RULE_IDS[rule.period], severity,
            f"{label} 的 {param} 有 {len(reports)} 个{zh_p}的有效日数不足（{listed}；如 {name} 仅 {have} 天，"
            f"至少需要 {need} 天），不能计算{zh_p}均值（{rule.clause}）",
            f"{label}, {param}: {len(reports)} {en_p}s have too few valid days ({listed}; e.g. {name}: {have}, at "
            f"least {need} needed); no {en_p}ly mean may be computed for them ({rule.clause})",
            item=ctx.item_id, file=data.table.file, row=data.table.line(row) if row is not None else None,
            column=column))


def _period_length(label, period: str) -> int:
    text = str(label)
    year = int(text[:4])
    if period == "month":
        return calendar.monthrange(year, int(text[5:7]))[1]
    return 366 if calendar.isleap(year) else 365


def _check_on_the_hour(ctx: ItemContext, data: ResourceData) -> None:
    """``time-off-the-hour``: hourly air data (a ``station_id``, a ``time`` and a column of
    SO2, NO2, CO, O3, PM10 or PM2.5, found as the AQI code finds them: by parameter, else name)
    must be stamped on the hour in the portal's time zone. The hourly averages and the AQI put
    values on a grid of whole hours; a value off the hour (01:00+07:30 is 01:30 China time)
    would not be on it. Whatever the dataset's ``update_frequency``: the AQI reads such files."""
    names = {f.name for f in data.fields()}
    pollutants = [f.name for f in data.fields("number", "integer") if (f.parameter or f.name) in AIR_POLLUTANTS]
    time_f = data.time_field()
    if not pollutants or "station_id" not in names or time_f is None or time_f.name != "time" \
            or time_f.type != "datetime":
        return
    t = data.times()
    if t is None or t.size == 0:
        return
    valid = t != MIN
    if not valid.any():
        return
    filled = np.where(valid, t, t[valid].min())
    local = filled + base._offset_ms(data.timezone, filled)
    rows = np.flatnonzero(valid & (local % HOUR_MS != 0))
    if rows.size == 0:
        return
    tz = data.timezone

    def when(r: int) -> str:  # in the portal's zone, to the second: 01:00:30 is off the hour too
        return _format_seconds(int(t[r]), tz)

    ctx.out.rows(
        "time-off-the-hour", Severity.ERROR, rows,
        lambda r: (f"时间 {when(r)} 不在整点（门户时区 {tz}）：小时监测数据必须按整点标注，"
                   "否则该行的值不会进入小时均值和空气质量指数（AQI）的计算"),
        lambda r: (f"time {when(r)} is not on the hour in the portal's time zone ({tz}): hourly "
                   "monitoring data must be stamped on the hour, else the row's values are left out of the "
                   "hourly means and the AQI"),
        table=data.table, item=ctx.item_id, column=time_f.name)


def _format_seconds(epoch_ms: int, tz: str) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, ZoneInfo(tz)).isoformat(timespec="seconds")
