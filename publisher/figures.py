"""Figures a bulletin cites: numbers recomputed from a dataset's current bytes with the standards.

A bulletin's front matter declares each number it prints (see docs/drafting.md)::

    figures:
      good-share: {dataset: air-hourly-2025, measure: good_day_share, period: 2025-10, value: 100.0}

and its body writes ``{{figure:good-share}}`` where the number appears. ``compute_figure`` gives
the value the data support, rounded as bulletins round it, so a check can compare the two.

Air measures use the city daily values (HJ 663-2013: for each pollutant the mean of the urban
stations' valid daily values; background stations are left out), one station's daily values when
``station`` is a station id, or a county's (the same mean over its urban stations) when it is the
county's area code; the daily AQI follows HJ 633-2012. Period means need the GB 3095-2012
Table 4 number of valid days (27 a month, 25 in February, 324 a year; a quarter the sum of its
months). Water measures class each section on the mean of its samples in the period (GB 3838-2002,
single-factor method) and compare the class with the section's ``target_class`` in the registry.

Rounding follows GB/T 8170 (round half to even): μg/m³ to integers, CO (mg/m³) and percentages to
one decimal.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .charts import read_air_hourly, read_resource
from .standards import city_daily_report, daily_aqi_report, section_class
from .standards.versions import StandardNotAvailable
from .standards.water import CLASS_ORDER

if TYPE_CHECKING:
    from .content import Content, Dataset

FIGURE_MARKER = re.compile(r"\{\{\s*figure:\s*([A-Za-z0-9_-]+)\s*\}\}")
PERIOD_PATTERN = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])|-Q([1-4]))?$")


@dataclass(frozen=True)
class Measure:
    """A measure a figure may cite: its category of dataset, decimals and how to describe it."""

    category: str
    decimals: int
    name_zh: str
    unit_zh: str = ""


MEASURES: dict[str, Measure] = {
    "good_day_share": Measure("air_quality", 1, "优良天数比例", "%"),
    "aqi_days_over_100": Measure("air_quality", 0, "AQI超过100的天数", "天"),
    "pm25_mean": Measure("air_quality", 0, "细颗粒物（PM2.5）平均浓度", "微克/立方米"),
    "pm10_mean": Measure("air_quality", 0, "可吸入颗粒物（PM10）平均浓度", "微克/立方米"),
    "no2_mean": Measure("air_quality", 0, "二氧化氮（NO2）平均浓度", "微克/立方米"),
    "so2_mean": Measure("air_quality", 0, "二氧化硫（SO2）平均浓度", "微克/立方米"),
    "co_mean": Measure("air_quality", 1, "一氧化碳（CO）平均浓度", "毫克/立方米"),
    "o3_8h_p90": Measure("air_quality", 0, "臭氧（O3）日最大8小时平均第90百分位数", "微克/立方米"),
    "sections_meeting_target": Measure("surface_water", 0, "达到水质目标的断面数", "个"),
    "sections_total": Measure("surface_water", 0, "参与评价的断面数", "个"),
}
CHANGE_DECIMALS = 1  # a change figure (``compare``) is a percentage with one decimal
# Daily report column of each mean measure.
MEAN_COLUMNS = {"pm25_mean": "pm25_24h", "pm10_mean": "pm10_24h", "no2_mean": "no2_24h",
                "so2_mean": "so2_24h", "co_mean": "co_24h"}


class FigureError(ValueError):
    """A figure that cannot be computed: the reason in Chinese and English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


@dataclass(frozen=True)
class Period:
    """A month (``2025-10``), quarter (``2025-Q3``) or year (``2025``)."""

    label: str
    year: int
    months: tuple[int, ...]

    @property
    def start(self) -> date:
        return date(self.year, self.months[0], 1)

    @property
    def end(self) -> date:
        last = self.months[-1]
        return date(self.year, last, calendar.monthrange(self.year, last)[1])

    @property
    def min_days(self) -> int:
        """Valid days a mean needs (GB 3095-2012 Table 4)."""
        if len(self.months) == 12:
            return 324
        return sum(25 if m == 2 else 27 for m in self.months)

    @property
    def name_zh(self) -> str:
        if len(self.months) == 1:
            return f"{self.year}年{self.months[0]}月"
        if len(self.months) == 3:
            return f"{self.year}年第{'一二三四'[self.months[0] // 3]}季度"
        return f"{self.year}年"

    def shifted(self, years: int = 0, steps: int = 0) -> Period:
        """The period ``years`` earlier/later, or ``steps`` periods of its own length."""
        size = len(self.months)
        index = self.year * 12 + self.months[0] - 1 + steps * size + years * 12
        year, first = divmod(index, 12)
        if size == 1:
            return parse_period(f"{year}-{first + 1:02d}")  # type: ignore[return-value]
        if size == 3:
            return parse_period(f"{year}-Q{first // 3 + 1}")  # type: ignore[return-value]
        return parse_period(str(year))  # type: ignore[return-value]


def parse_period(text: Any) -> Period | None:
    """``2025-10``, ``2025-Q3`` or ``2025``; None for anything else."""
    m = PERIOD_PATTERN.match(str(text).strip())
    if not m:
        return None
    year = int(m.group(1))
    if m.group(2):
        return Period(m.group(0), year, (int(m.group(2)),))
    if m.group(3):
        q = int(m.group(3))
        return Period(m.group(0), year, (3 * q - 2, 3 * q - 1, 3 * q))
    return Period(m.group(0), year, tuple(range(1, 13)))


def round_value(value: float | int | Decimal, decimals: int) -> Decimal:
    """GB/T 8170 rounding (round half to even) of a computed value."""
    number = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    return number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)


def declared_number(value: Any) -> Decimal | None:
    """The number a bulletin wrote, exactly as written (None if it is not a number)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def format_value(value: Decimal) -> str:
    """How a computed value is written in a bulletin."""
    return f"{value:f}"


def air_hourly(ds: Dataset, tz: str) -> pd.DataFrame:
    """The dataset's hourly air data (``charts.read_air_hourly``); a figure needs some."""
    hourly = read_air_hourly(ds, tz)
    if hourly is None:
        raise FigureError(f"数据集 {ds.id} 没有小时空气质量数据（station_id、time 和污染物列）",
                          f"dataset {ds.id} has no hourly air data (station_id, time and pollutant columns)")
    return hourly


def urban_stations(registry: dict) -> list[str]:
    """Stations that make the city value: every registry air station except background ones."""
    return [str(s["id"]) for s in registry.get("air_stations") or []
            if isinstance(s, dict) and s.get("type") != "background"]


def _county_stations(registry: dict, code: str | None) -> list[str] | None:
    """The urban stations of the area ``code`` (a county of the registry), else None."""
    areas = {str(a.get("code")) for a in registry.get("areas") or [] if isinstance(a, dict) and a.get("level") != "city"}
    if code is None or str(code) not in areas:
        return None
    area_of = {str(s.get("id")): str(s.get("area")) for s in registry.get("air_stations") or [] if isinstance(s, dict)}
    return [s for s in urban_stations(registry) if area_of.get(s) == str(code)]


_DAILY: dict[tuple, pd.DataFrame] = {}


def air_daily(ds: Dataset, period: Period, registry: dict, tz: str, station: str | None = None,
              method: str | None = None) -> pd.DataFrame:
    """Daily AQI report of the city (or of ``station``) for the days of ``period``, the AQI by
    ``method`` (the portal's ``aqi.method``; None: the default)."""
    key = (tuple(hashlib.sha256(Path(r.path).read_bytes()).hexdigest() for r in ds.resources if Path(r.path).is_file()),
           period.label, tz, station, tuple(urban_stations(registry)), method)
    if key not in _DAILY:
        if len(_DAILY) > 64:
            _DAILY.clear()
        _DAILY[key] = _air_daily(ds, period, registry, tz, station, method)
    return _DAILY[key]


def _air_daily(ds: Dataset, period: Period, registry: dict, tz: str, station: str | None,
               method: str | None = None) -> pd.DataFrame:
    hourly = air_hourly(ds, tz)
    # Hours are stamped at their end: the day D holds the hours ending in (D 00:00, D+1 00:00].
    start = pd.Timestamp(period.start, tz=tz)
    end = pd.Timestamp(period.end + timedelta(days=1), tz=tz)
    hourly = hourly[(hourly["time"] > start) & (hourly["time"] <= end)]
    try:
        county = _county_stations(registry, station)
        if county is not None:  # an area code: the mean of its urban stations, as for the city
            members = [s for s in county if s in set(hourly["station_id"])]
            if not members:
                raise FigureError(f"数据集 {ds.id} 在 {period.label} 没有区县 {station} 城市点位的数据",
                                  f"dataset {ds.id} has no data of the urban stations of area {station} in {period.label}")
            report = city_daily_report(hourly, city_id=str(station), stations=members, method=method)
        elif station is not None:
            hourly = hourly[hourly["station_id"] == station]
            if hourly.empty:
                raise FigureError(f"数据集 {ds.id} 在 {period.label} 没有站点 {station} 的数据",
                                  f"dataset {ds.id} has no data of station {station} in {period.label}")
            report = daily_aqi_report(hourly, method=method)
        else:
            stations = [s for s in urban_stations(registry) if s in set(hourly["station_id"])] or None
            report = city_daily_report(hourly, stations=stations, method=method) if not hourly.empty else pd.DataFrame()
    except StandardNotAvailable as exc:
        raise FigureError(exc.message_zh, exc.message_en) from None
    if report.empty:
        raise FigureError(f"数据集 {ds.id} 没有 {period.label} 的数据", f"dataset {ds.id} has no data for {period.label}")
    days = pd.to_datetime(report["date"])
    return report[(days >= pd.Timestamp(period.start)) & (days <= pd.Timestamp(period.end))]


def _valid(values: pd.Series, period: Period, what: str) -> np.ndarray:
    valid = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype="float64")
    if len(valid) < period.min_days:
        raise FigureError(
            f"{period.label} 只有 {len(valid)} 个有效日{what}，少于 GB 3095-2012 要求的 {period.min_days} 个，不能计算",
            f"{period.label} has {len(valid)} valid daily {what or 'values'}, fewer than the "
            f"{period.min_days} GB 3095-2012 requires")
    return valid


def _air_figure(ds: Dataset, measure: str, period: Period, registry: dict, tz: str, station: str | None,
                method: str | None = None) -> Decimal:
    daily = air_daily(ds, period, registry, tz, station, method)
    decimals = MEASURES[measure].decimals
    if measure in ("good_day_share", "aqi_days_over_100"):
        # Only complete days count (an incomplete day's AQI leaves out a pollutant; a withheld day
        # has none), as in the air-summary derived dataset.
        aqi = pd.to_numeric(daily["aqi"].where(daily["completeness"].eq("complete")), errors="coerce").dropna()
        if aqi.empty:
            raise FigureError(f"{period.label} 没有有效的日AQI", f"{period.label} has no valid daily AQI")
        if measure == "aqi_days_over_100":
            return Decimal(int((aqi > 100).sum()))
        # good_day_share's definition (AQI ≤ 100 over valid days), in exact arithmetic so that
        # a share like 1/16 = 6.25 % rounds as written, not as its binary float.
        good, total = int((aqi <= 100).sum()), len(aqi)
        return round_value(Decimal(good * 100) / Decimal(total), decimals)
    if measure == "o3_8h_p90":
        values = _valid(daily["o3_8h_max"], period, "O3日最大8小时值")
        # HJ 663-2013 percentile: k = 1 + (n - 1) p on the sorted values, linear between neighbours.
        return round_value(float(np.percentile(values, 90)), decimals)
    values = _valid(daily[MEAN_COLUMNS[measure]], period, "均值")
    return round_value(float(values.mean()), decimals)


def _water_figure(ds: Dataset, measure: str, period: Period, registry: dict, tz: str, station: str | None,
                  method: str | None = None) -> Decimal:
    sections = {str(s.get("id")): s for s in registry.get("water_sections") or [] if isinstance(s, dict)}
    counted = met = 0
    found = False
    for r in ds.resources:
        names = {f.name for f in r.fields}
        if "section_id" not in names or not Path(r.path).is_file():
            continue
        time_field = next((f.name for f in r.fields if f.type in ("date", "datetime")), None)
        if time_field is None:
            continue
        frame = read_resource(r, tz)
        days = frame[time_field]
        days = days.dt.tz_localize(None) if getattr(days.dt, "tz", None) is not None else days
        frame = frame[(days >= pd.Timestamp(period.start)) & (days < pd.Timestamp(period.end + timedelta(days=1)))]
        if station is not None:
            frame = frame[frame["section_id"].astype(str) == station]
        parameters = {f.name: f.parameter for f in r.fields if f.parameter}
        if frame.empty or not parameters:
            continue
        found = True
        means = frame.groupby(frame["section_id"].astype(str))[list(parameters)].mean()
        for section_id, row in means.iterrows():
            entry = sections.get(section_id, {})
            target = entry.get("target_class")
            values = {parameters[c]: v for c, v in row.items() if pd.notna(v)}
            try:
                result = section_class(values, entry.get("kind") or "river", period.end)
            except StandardNotAvailable as exc:
                raise FigureError(exc.message_zh, exc.message_en) from None
            if result.water_class is None or target not in CLASS_ORDER:
                continue
            counted += 1
            met += CLASS_ORDER[result.water_class] <= CLASS_ORDER[target]
    if not found:
        raise FigureError(f"数据集 {ds.id} 没有 {period.label} 的断面监测数据",
                          f"dataset {ds.id} has no section samples for {period.label}")
    return Decimal(met if measure == "sections_meeting_target" else counted)


def compute_figure(content: Content, dataset: str, measure: str, period: str, station: str | None = None,
                   tz: str = "Asia/Shanghai", compare: str | None = None, method: str | None = None) -> Decimal:
    """The value of ``measure`` over ``period`` from the current bytes of ``dataset``, rounded.

    With ``compare`` (another period), the change from that period instead: ``(now − then) /
    then × 100`` in percent, one decimal, computed from the two rounded values a bulletin prints.
    ``method`` is the portal's ``aqi.method`` (rules.aqi_method), so that a bulletin cites the AQI
    the portal publishes. Raises :class:`FigureError` for an unknown dataset, measure or period,
    or data too thin."""
    if compare not in (None, ""):
        now = compute_figure(content, dataset, measure, period, station, tz, method=method)
        then = compute_figure(content, dataset, measure, str(compare), station, tz, method=method)
        if then == 0:
            raise FigureError(f"{compare} 的值为 0，不能计算变化率", f"the value of {compare} is 0; no change rate")
        return round_value((now - then) / then * 100, CHANGE_DECIMALS)
    spec = MEASURES.get(measure)
    if spec is None:
        raise FigureError(f"未知的指标 '{measure}'（可用：{', '.join(MEASURES)}）",
                          f"unknown measure '{measure}' (known: {', '.join(MEASURES)})")
    ds = content.datasets.get(str(dataset))
    if ds is None:
        raise FigureError(f"引用的数据集 '{dataset}' 不存在", f"the cited dataset '{dataset}' does not exist")
    when = parse_period(period)
    if when is None:
        raise FigureError(f"时段 '{period}' 应写作 2025-10、2025-Q3 或 2025",
                          f"the period '{period}' must be written 2025-10, 2025-Q3 or 2025")
    if ds.category != spec.category:
        raise FigureError(f"指标 {measure} 只适用于 {spec.category} 类数据集，{ds.id} 是 {ds.category}",
                          f"the measure {measure} applies to {spec.category} datasets; {ds.id} is {ds.category}")
    compute = _air_figure if spec.category == "air_quality" else _water_figure
    station_id = str(station) if station not in (None, "") else None
    return compute(ds, measure, when, content.registry, tz, station_id, method)


def change_words(value: Any, lang: str = "zh") -> str:
    """A change figure as a bulletin says it: 上升5.3% / 下降5.3% / 持平 (up 5.3%, down, unchanged)."""
    number = declared_number(value)
    if number is None:
        return str(value)
    size = f"{abs(number):f}%"
    if number == 0:
        return "持平" if lang == "zh" else "unchanged"
    if lang == "zh":
        return ("上升" if number > 0 else "下降") + size
    return ("up " if number > 0 else "down ") + size


def substitute_figures(body: str, figures: Any, lang: str = "zh") -> str:
    """The body with every ``{{figure:id}}`` replaced by its declared value (unknown ids are left
    as written; the check reports them). A change figure (one with ``compare``) is written with
    its direction, so the word can never disagree with the checked number."""
    declared = figures if isinstance(figures, dict) else {}

    def value(m: re.Match) -> str:
        spec = declared.get(m.group(1))
        if isinstance(spec, dict) and spec.get("value") is not None:
            if spec.get("compare") not in (None, ""):
                return change_words(spec["value"], lang)
            return str(spec["value"])
        return m.group(0)

    return FIGURE_MARKER.sub(value, body)
