"""Early warnings derived from released data: exceedances of standards and permits, and rising trends.

Computed only from the datasets passed in (the build passes the released ones), with the limits of
``publisher.standards`` in force on each observation date. See docs/warnings.md.

- air (category ``air_quality``, hourly ``station_id, time, <pollutants>``): valid daily means
  (GB 3095-2012 Table 4) over the 24-h limits of the configured class (default class 2); O3 uses
  the daily max 8-h mean. Consecutive exceedance days of one station and pollutant are one warning.
- surface water (``surface_water``, ``section_id, sample_date, <parameters>``): a sample whose
  single-factor class (GB 3838-2002) is worse than the section's ``target_class`` in the registry.
- emissions (``pollution_source``, long ``enterprise_id, outlet_id, date, parameter, value, limit``):
  a daily value over its permit limit; consecutive days of one outlet and parameter are one warning.
- trends: Mann-Kendall with Sen's slope over the monthly means of the last months, per station or
  section and parameter; a warning when the trend is increasing with p below the threshold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Iterable, Literal

import numpy as np
import pandas as pd

from .charts import read_air_hourly, read_resource
from .standards import daily_means, monthly_means, o3_daily_stats, section_class
from .standards.versions import StandardNotAvailable, all_standards, standard_for
from .standards.water import CLASS_ORDER
from .trends import mann_kendall

if TYPE_CHECKING:
    from .content import Dataset

#: ``warnings:`` keys of release_rules.yaml and their defaults
DEFAULTS: dict[str, Any] = {
    "active_days": 30,  # a warning is active when it ends within this many days of its dataset's newest data
    "trend_months": 12,  # monthly means used for the trend test (the most recent ones)
    "trend_min_months": 8,  # fewer valid monthly means than this: no trend test
    "trend_p": 0.05,  # an increasing trend with p below this raises a warning
    "air_class": 2,  # GB 3095 class whose 24-h limits apply (2: residential, commercial, industrial areas)
}

Kind = Literal["exceedance", "trend"]
SEVERITIES = ("high", "medium", "low")
CATEGORY_ORDER = ("air_quality", "surface_water", "pollution_source")

# Air quantities checked, as (column of the daily frame, GB 3095 pollutant, averaging period in its Table 1).
AIR_CHECKS = (("pm25", "pm25", "24h"), ("pm10", "pm10", "24h"), ("so2", "so2", "24h"),
              ("no2", "no2", "24h"), ("co", "co", "24h"), ("o3_8h_max", "o3", "daily_max_8h"))
AIR_NAMES = {"pm25": "PM2.5", "pm10": "PM10", "so2": "SO2", "no2": "NO2", "co": "CO", "o3_8h_max": "O3"}
AIR_STATISTIC = {"24h": {"zh": "日均浓度", "en": "24-hour mean"},
                 "daily_max_8h": {"zh": "日最大8小时平均浓度", "en": "daily maximum 8-hour mean"}}
CLASS_NUMERALS_ZH = {1: "一级", 2: "二级"}
# Names of permit parameters of the emission datasets (their schema lists the codes only).
EMISSION_NAMES = {
    "so2": {"zh": "二氧化硫", "en": "SO2"}, "nox": {"zh": "氮氧化物", "en": "NOx"},
    "dust": {"zh": "颗粒物", "en": "particulate matter"}, "cod": {"zh": "化学需氧量", "en": "COD"},
    "nh3n": {"zh": "氨氮", "en": "ammonia nitrogen"}, "tp": {"zh": "总磷", "en": "total phosphorus"},
    "tn": {"zh": "总氮", "en": "total nitrogen"},
}


@dataclass(frozen=True)
class Warning:  # noqa: A001 - the name the portal uses; nothing here needs the builtin
    """One early warning: an exceedance episode or a rising trend, with its plain-language message."""

    id: str  # deterministic slug: kind, dataset, subject, parameter, start
    kind: Kind
    category: str  # the dataset's category
    dataset_id: str
    subject: str  # station, section or enterprise id
    subject_name: dict[str, str]  # zh, en
    parameter: str
    parameter_name: dict[str, str]
    start: date
    end: date
    value: float  # exceedance: the highest value of the episode; trend: Sen's slope per month
    unit: str
    severity: str  # high | medium | low
    message: dict[str, str]  # zh, en
    standard: str  # the standard (or permit) cited
    active: bool  # ends within ``active_days`` of the dataset's newest data
    limit: float | None = None  # exceedance: the limit crossed
    peak_date: date | None = None  # exceedance: the day of ``value``
    days: int = 1  # exceedance: days (or samples) in the episode
    p: float | None = None  # trend: Mann-Kendall p-value
    outlet: str | None = None  # emissions: the permit outlet

    @property
    def slope(self) -> float | None:
        return self.value if self.kind == "trend" else None

    @property
    def rank(self) -> int:
        """0 for high, 1 medium, 2 low: sort by it to show the most severe first."""
        return SEVERITIES.index(self.severity)

    @property
    def level(self) -> str:
        """The severity, under the name the home page's card uses for its CSS class."""
        return self.severity

    @property
    def title(self) -> dict[str, str]:
        what = {"exceedance": ("超标", "above limit"), "trend": ("上升趋势", "rising trend")}[self.kind]
        return {"zh": f"{self.subject_name['zh']} {self.parameter_name['zh']}{what[0]}",
                "en": f"{self.subject_name['en']}: {self.parameter_name['en']} {what[1]}"}

    @property
    def text(self) -> dict[str, str]:
        return self.message


def warning_settings(rules_raw: dict | None) -> dict[str, Any]:
    """The ``warnings:`` section of the rules with defaults for missing keys."""
    given = (rules_raw or {}).get("warnings") or {}
    return {key: given.get(key, default) for key, default in DEFAULTS.items()}


def derive_warnings(datasets: Iterable[Dataset], registry: dict, rules_raw: dict, tz: str) -> list[Warning]:
    """Every warning the given datasets raise, newest first (then by category, subject, parameter)."""
    settings = warning_settings(rules_raw)
    names = _registry_entries(registry)
    found: list[Warning] = []
    for ds in sorted(datasets, key=lambda d: d.id):
        if ds.derived is not None:
            continue  # computed from datasets given here too: its exceedances are theirs
        if ds.category == "air_quality":
            found += _air_warnings(ds, names, settings, tz)
        elif ds.category == "surface_water":
            found += _water_warnings(ds, names, settings, tz)
        elif ds.category == "pollution_source":
            found += _emission_warnings(ds, names, settings, tz)
    order = {c: i for i, c in enumerate(CATEGORY_ORDER)}
    found.sort(key=lambda w: (w.start, w.end, w.id))
    found.sort(key=lambda w: (w.end, -order.get(w.category, 99)), reverse=True)
    return found


# -- air ------------------------------------------------------------------------------------------


def _air_warnings(ds: Dataset, names: dict[str, dict], settings: dict, tz: str) -> list[Warning]:
    hourly = read_air_hourly(ds, tz)
    if hourly is None:
        return []
    daily = daily_means(hourly)
    if "o3" in hourly:
        o3 = o3_daily_stats(hourly[["station_id", "time", "o3"]])[["station_id", "date", "o3_8h_max"]]
        daily = daily.merge(o3, on=["station_id", "date"], how="left")
    daily = daily.drop(columns=["o3"], errors="ignore")
    if daily.empty:
        return []
    newest = max(daily["date"])
    long = daily.melt(id_vars=["station_id", "date"], var_name="column", value_name="value").dropna(subset=["value"])
    limits, units, standard_ids = _air_limits(long, settings["air_class"])
    long = long.assign(limit=limits, unit=units, standard=standard_ids).dropna(subset=["limit"])
    over = long[long["value"] > long["limit"]]
    found = [_air_exceedance(ds, ep, names, settings, newest)
             for ep in _episodes(over, ["station_id", "column"]).to_dict("records")]
    return found + _air_trends(ds, daily, names, settings)


def _air_limits(long: pd.DataFrame, air_class: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The GB 3095 limit, unit and version in force on each row's date (NaN where no version
    with tables is in force: such days are not judged, never against a superseded table)."""
    days = pd.to_datetime(long["date"])
    limits = np.full(len(long), np.nan)
    units = np.full(len(long), "", dtype=object)
    ids = np.full(len(long), "", dtype=object)
    for version in all_standards():
        if version.kind != "ambient_air" or not version.available:
            continue
        in_force = (days >= pd.Timestamp(version.effective_from)).to_numpy().copy()
        if version.effective_until is not None:
            in_force &= (days <= pd.Timestamp(version.effective_until)).to_numpy()
        table = version.tables["limits"]
        for column, pollutant, period in AIR_CHECKS:
            mask = in_force & (long["column"] == column).to_numpy()
            limits[mask] = table[pollutant][period][air_class - 1]
            units[mask] = table[pollutant]["unit"]
            ids[mask] = version.id
    return limits, units, ids


def _episodes(over: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows over a limit grouped into runs of consecutive days per ``keys``: start, end, days,
    the highest value with its day, and the limit, unit and standard of that day."""
    if over.empty:
        return over.assign(start=[], end=[], days=[], peak_date=[])
    over = over.assign(day=pd.to_datetime(over["date"])).sort_values([*keys, "day"], ignore_index=True)
    same_series = (over[keys] == over[keys].shift()).all(axis=1)
    next_day = over["day"].diff() == pd.Timedelta(days=1)
    episode = (~(same_series & next_day)).cumsum()
    peak_rows = over.groupby(episode)["value"].idxmax()
    peak = over.loc[peak_rows.to_numpy()].set_index(peak_rows.index)
    spans = over.groupby(episode)["day"].agg(start="min", end="max", days="count")
    out = peak.join(spans).reset_index(drop=True)
    out["peak_date"] = out["day"].dt.date
    out["start"] = out["start"].dt.date
    out["end"] = out["end"].dt.date
    return out


def _air_exceedance(ds: Dataset, ep: dict, names: dict, settings: dict, newest: date) -> Warning:
    column, station = ep["column"], ep["station_id"]
    subject = _name(names, station)
    pollutant = AIR_NAMES[column]
    period = "daily_max_8h" if column == "o3_8h_max" else "24h"
    statistic = AIR_STATISTIC[period]
    value, limit, unit = float(ep["value"]), float(ep["limit"]), ep["unit"]
    multiple = (value - limit) / limit
    grade_zh = CLASS_NUMERALS_ZH.get(settings["air_class"], f"{settings['air_class']}级")
    limit_zh = f"{ep['standard']} {grade_zh}浓度限值（{_num(limit)} {unit}）"
    limit_en = f"the {ep['standard']} class {settings['air_class']} limit ({_num(limit)} {unit})"
    if ep["days"] == 1:
        zh = (f"{subject['zh']} {ep['start']} {pollutant} {statistic['zh']} {_num(value)} {unit}，"
              f"超过 {limit_zh}{multiple:.1f} 倍。")
        en = (f"{subject['en']}, {ep['start']}: {pollutant} {statistic['en']} {_num(value)} {unit}, "
              f"{multiple:.0%} above {limit_en}.")
    else:
        zh = (f"{subject['zh']} {ep['start']} 至 {ep['end']} 连续 {ep['days']} 天 {pollutant} {statistic['zh']}"
              f"超过 {limit_zh}，最高 {_num(value)} {unit}（{ep['peak_date']}），超标 {multiple:.1f} 倍。")
        en = (f"{subject['en']}, {ep['start']} to {ep['end']}: {pollutant} {statistic['en']} above {limit_en} "
              f"on {ep['days']} consecutive days; highest {_num(value)} {unit} on {ep['peak_date']}, "
              f"{multiple:.0%} above the limit.")
    return Warning(
        id=_slug("exceedance", ds.id, station, column, ep["start"]), kind="exceedance", category=ds.category,
        dataset_id=ds.id, subject=station, subject_name=subject, parameter=column,
        parameter_name={"zh": pollutant, "en": pollutant}, start=ep["start"], end=ep["end"], value=value,
        unit=unit, severity=_severity(multiple), message={"zh": zh, "en": en}, standard=ep["standard"],
        active=_active(ep["end"], newest, settings), limit=limit, peak_date=ep["peak_date"], days=int(ep["days"]),
    )


def _air_trends(ds: Dataset, daily: pd.DataFrame, names: dict, settings: dict) -> list[Warning]:
    monthly = monthly_means(daily)  # GB 3095-2012 Table 4: ≥ 27 daily values (25 in February)
    try:
        version = standard_for("ambient_air", max(daily["date"]))
    except StandardNotAvailable:
        return []
    quantities = {}
    for column, pollutant, period in AIR_CHECKS:
        statistic, name = AIR_STATISTIC[period], AIR_NAMES[column]
        quantities[column] = ({"zh": f"{name} {statistic['zh']}", "en": f"{name} {statistic['en']}"},
                              {"zh": name, "en": name}, version.tables["limits"][pollutant]["unit"])
    columns = [c for c in quantities if c in monthly]
    long = monthly.melt(id_vars=["station_id", "year", "month"], value_vars=columns, var_name="parameter")
    return _trends(ds, long.rename(columns={"station_id": "subject"}), quantities, version.id, names, settings)


# -- surface water --------------------------------------------------------------------------------


def _water_warnings(ds: Dataset, names: dict, settings: dict, tz: str) -> list[Warning]:
    found: list[Warning] = []
    for r in ds.resources:
        columns = {f.name for f in r.fields}
        if not {"section_id", "sample_date"} <= columns or not r.path.is_file():
            continue
        frame = read_resource(r, tz)
        renames = {f.name: f.parameter for f in r.fields if f.parameter and f.parameter != f.name}
        samples = frame.rename(columns=renames)
        samples["date"] = pd.to_datetime(samples["sample_date"]).dt.date
        samples = samples.dropna(subset=["date"])
        if samples.empty:
            continue
        newest = max(samples["date"])
        for row in samples.to_dict("records"):
            w = _water_exceedance(ds, row, names, settings, newest)
            if w:
                found.append(w)
        found += _water_trends(ds, samples, names, settings)
    return found


def _water_exceedance(ds: Dataset, row: dict, names: dict, settings: dict, newest: date) -> Warning | None:
    section = str(row["section_id"])
    entry = names.get(section) or {}
    target, kind = entry.get("target_class"), entry.get("kind", "river")
    if target not in CLASS_ORDER:
        return None
    try:
        version = standard_for("surface_water", row["date"])
    except StandardNotAvailable:
        return None
    # Sample rows carry many non-parameter keys; section_class reads only the standard's parameters.
    result = section_class(row, kind, row["date"], standard=version)
    if result.water_class is None or CLASS_ORDER[result.water_class] <= CLASS_ORDER[target]:
        return None
    table = version.tables["parameters"]
    subject = _name(names, section)
    first = result.limiting_parameters[0]
    parts_zh, parts_en = [], []
    for p in result.limiting_parameters:
        unit = table[p].get("unit") or ""
        parts_zh.append(f"{table[p]['name']['zh']} {_num(float(row[p]))}{(' ' + unit) if unit else ''}")
        parts_en.append(f"{table[p]['name']['en']} {_num(float(row[p]))}{(' ' + unit) if unit else ''}")
    limit = _water_limit(table[first], kind, target)
    cls = result.water_class
    cls_zh = cls if cls.startswith("劣") else f"{cls} 类"
    cls_en = "worse than V" if cls.startswith("劣") else cls
    zh = (f"{subject['zh']} {row['date']} 水质类别为 {cls_zh}（{'、'.join(parts_zh)}），"
          f"劣于水质目标 {target} 类（{version.id} 单因子评价）。")
    en = (f"{subject['en']}, {row['date']}: water class {cls_en} ({', '.join(parts_en)}), "
          f"worse than its target class {target} ({version.id}, single-factor assessment).")
    gap = CLASS_ORDER[cls] - CLASS_ORDER[target]
    return Warning(
        id=_slug("exceedance", ds.id, section, "class", row["date"]), kind="exceedance", category=ds.category,
        dataset_id=ds.id, subject=section, subject_name=subject, parameter=",".join(result.limiting_parameters),
        parameter_name={"zh": "、".join(table[p]["name"]["zh"] for p in result.limiting_parameters),
                        "en": ", ".join(table[p]["name"]["en"] for p in result.limiting_parameters)},
        start=row["date"], end=row["date"], value=float(row[first]), unit=table[first].get("unit") or "",
        severity="high" if gap >= 2 else "medium", message={"zh": zh, "en": en}, standard=version.id,
        active=_active(row["date"], newest, settings), limit=limit, peak_date=row["date"],
    )


def _water_limit(row: dict, kind: str, target: str) -> float | None:
    """The target class's limit of one GB 3838 parameter (None for pH, a range)."""
    if row.get("kind") == "range":
        return None
    limits = row["limits_lake_reservoir"] if kind in ("lake", "reservoir") and "limits_lake_reservoir" in row else row["limits"]
    return float(limits[CLASS_ORDER[target] - 1])


def _water_trends(ds: Dataset, samples: pd.DataFrame, names: dict, settings: dict) -> list[Warning]:
    try:
        version = standard_for("surface_water", max(samples["date"]))
    except StandardNotAvailable:
        return []
    table = version.tables["parameters"]
    # Only parameters where a higher value is worse (limits are maxima): not DO, not pH.
    rising_is_worse = [p for p, row in table.items() if row.get("kind") == "max" and p in samples]
    when = pd.to_datetime(samples["date"])
    frame = samples[["section_id", *rising_is_worse]].apply(
        lambda s: s if s.name == "section_id" else pd.to_numeric(s, errors="coerce"))
    monthly = frame.groupby([frame["section_id"].astype(str).rename("subject"), when.dt.year.rename("year"),
                             when.dt.month.rename("month")]).mean(numeric_only=True).reset_index()
    long = monthly.melt(id_vars=["subject", "year", "month"], value_vars=rising_is_worse, var_name="parameter")
    rivers = long["subject"].map(lambda i: (names.get(i) or {}).get("kind", "river") == "river")
    long = long[~((long["parameter"] == "tn") & rivers)]  # GB 3838: TN applies to lakes and reservoirs only
    quantities = {p: (table[p]["name"], table[p]["name"], table[p].get("unit") or "") for p in rising_is_worse}
    return _trends(ds, long, quantities, version.id, names, settings)


# -- emissions ------------------------------------------------------------------------------------


def _emission_warnings(ds: Dataset, names: dict, settings: dict, tz: str) -> list[Warning]:
    frames = []
    for r in ds.resources:
        if not {"enterprise_id", "outlet_id", "date", "parameter", "value", "limit"} <= {f.name for f in r.fields}:
            continue
        if r.path.is_file():
            frames.append(read_resource(r, tz))
    if not frames:
        return []
    data = pd.concat(frames, ignore_index=True)
    data["date"] = pd.to_datetime(data["date"]).dt.date
    data = data.dropna(subset=["date", "value", "limit"])
    if data.empty:
        return []
    newest = max(data["date"])
    if "unit" not in data:
        data["unit"] = ""
    over = data[data["value"] > data["limit"]].astype({"enterprise_id": str, "outlet_id": str, "parameter": str})
    found = []
    for ep in _episodes(over, ["enterprise_id", "outlet_id", "parameter"]).to_dict("records"):
        found.append(_emission_exceedance(ds, ep, names, settings, newest))
    return found


def _emission_exceedance(ds: Dataset, ep: dict, names: dict, settings: dict, newest: date) -> Warning:
    enterprise, outlet, parameter = ep["enterprise_id"], ep["outlet_id"], ep["parameter"]
    company = _name(names, enterprise)
    outlet_name = next((o.get("name") for o in (names.get(enterprise) or {}).get("outlets") or []
                        if isinstance(o, dict) and str(o.get("id")) == outlet), None)
    subject = {"zh": f"{company['zh']} {outlet_name or ''}（{outlet}）".replace(" （", "（"),
               "en": f"{company['en']}, outlet {outlet}"}
    pname = EMISSION_NAMES.get(parameter, {"zh": parameter, "en": parameter})
    value, limit, unit = float(ep["value"]), float(ep["limit"]), "" if pd.isna(ep["unit"]) else str(ep["unit"])
    multiple = (value - limit) / limit if limit else float("inf")
    if ep["days"] == 1:
        zh = (f"{subject['zh']} {ep['start']} {pname['zh']}日均浓度 {_num(value)} {unit}，"
              f"超过排污许可证限值（{_num(limit)} {unit}）{multiple:.1f} 倍。")
        en = (f"{subject['en']}, {ep['start']}: daily mean {pname['en']} {_num(value)} {unit}, "
              f"{multiple:.0%} above the permit limit ({_num(limit)} {unit}).")
    else:
        zh = (f"{subject['zh']} {ep['start']} 至 {ep['end']} 连续 {ep['days']} 天 {pname['zh']}日均浓度"
              f"超过排污许可证限值（{_num(limit)} {unit}），最高 {_num(value)} {unit}（{ep['peak_date']}），"
              f"超标 {multiple:.1f} 倍。")
        en = (f"{subject['en']}, {ep['start']} to {ep['end']}: daily mean {pname['en']} above the permit limit "
              f"({_num(limit)} {unit}) on {ep['days']} consecutive days; highest {_num(value)} {unit} on "
              f"{ep['peak_date']}, {multiple:.0%} above the limit.")
    return Warning(
        id=_slug("exceedance", ds.id, enterprise, outlet, parameter, ep["start"]), kind="exceedance",
        category=ds.category, dataset_id=ds.id, subject=enterprise, subject_name=subject, parameter=parameter,
        parameter_name=pname, start=ep["start"], end=ep["end"], value=value, unit=unit,
        severity=_severity(multiple), message={"zh": zh, "en": en},
        standard="排污许可证 / discharge permit", active=_active(ep["end"], newest, settings), limit=limit,
        peak_date=ep["peak_date"], days=int(ep["days"]), outlet=outlet,
    )


# -- trends ---------------------------------------------------------------------------------------


def _trends(ds: Dataset, monthly: pd.DataFrame, quantities: dict[str, tuple[dict, dict, str]], standard: str,
            names: dict, settings: dict) -> list[Warning]:
    """Trend warnings of monthly means (columns subject, parameter, year, month, value) over the
    last ``trend_months`` calendar months of the dataset. ``quantities``: parameter → (label in
    the message, parameter name, unit)."""
    monthly = monthly.dropna(subset=["value"])
    if monthly.empty:
        return []
    index = monthly["year"].astype(int) * 12 + monthly["month"].astype(int) - 1
    recent = monthly.assign(index=index)[index > index.max() - int(settings["trend_months"])]
    size = recent.groupby(["subject", "parameter"])["value"].transform("size")
    recent = recent[size >= max(3, int(settings["trend_min_months"]))].sort_values(["subject", "parameter", "index"])
    found = []
    for (subject_id, parameter), series in recent.groupby(["subject", "parameter"], sort=True):
        months = series["index"].to_numpy(dtype=float)
        result = mann_kendall(series["value"].to_numpy(dtype=float), times=months, alpha=float(settings["trend_p"]))
        if result.trend != "increasing" or not result.slope > 0:
            continue  # a zero median slope (e.g. values at half the detection limit) is no rise
        found.append(_trend_warning(ds, str(subject_id), parameter, quantities[parameter], int(months[0]),
                                    int(months[-1]), len(series), result, standard, names))
    return found


def _trend_warning(ds: Dataset, subject_id: str, parameter: str, quantity: tuple[dict, dict, str], first: int,
                   last: int, count: int, result: Any, standard: str, names: dict) -> Warning:
    label, parameter_name, unit = quantity
    start = date(first // 12, first % 12 + 1, 1)
    end = _month_end(last // 12, last % 12 + 1)
    months = f"{start:%Y-%m}", f"{end:%Y-%m}"
    subject = _name(names, subject_id)
    slope = _num(result.slope)
    zh = (f"{subject['zh']} {label['zh']}月均值 {months[0]} 至 {months[1]}（{count} 个月）呈上升趋势："
          f"Sen 斜率每月 +{slope} {unit}，Mann-Kendall 检验 p = {result.p:.3f}。")
    en = (f"{subject['en']}: monthly mean {label['en']} rising from {months[0]} to {months[1]} "
          f"({count} months): Sen's slope +{slope} {unit} per month, Mann-Kendall p = {result.p:.3f}.")
    return Warning(
        id=_slug("trend", ds.id, subject_id, parameter, months[0]), kind="trend", category=ds.category,
        dataset_id=ds.id, subject=subject_id, subject_name=subject, parameter=parameter,
        parameter_name=parameter_name, start=start, end=end, value=float(result.slope), unit=unit,
        severity="low", message={"zh": zh, "en": en}, standard=standard,  # a signal, not a breach
        active=True,  # the test covers the most recent months of the dataset by construction
        days=count, p=float(result.p),
    )


# -- helpers --------------------------------------------------------------------------------------


def _registry_entries(registry: dict) -> dict[str, dict]:
    """Registry entries (stations, sections, enterprises) by id."""
    entries: dict[str, dict] = {}
    for value in (registry or {}).values():
        if isinstance(value, list):
            for e in value:
                if isinstance(e, dict) and "id" in e:
                    entries[str(e["id"])] = e
    return entries


def _name(names: dict[str, dict], subject_id: str) -> dict[str, str]:
    entry = names.get(subject_id) or {}
    zh = str(entry.get("name") or subject_id)
    return {"zh": zh, "en": str(entry.get("name_en") or zh)}


def _active(end: date, newest: date, settings: dict) -> bool:
    return (newest - end).days < int(settings["active_days"])


def _severity(multiple: float) -> str:
    """By 超标倍数 (value − limit) / limit: ≥ 1 high, ≥ 0.5 medium, else low."""
    return "high" if multiple >= 1 else "medium" if multiple >= 0.5 else "low"


def _month_end(year: int, month: int) -> date:
    return (pd.Timestamp(year=year, month=month, day=1) + pd.offsets.MonthEnd(0)).date()


def _num(value: float) -> str:
    """A concentration as people read it: whole numbers from 100, one decimal from 1, else 3 digits."""
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 1:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return np.format_float_positional(value, precision=3, unique=True, fractional=False, trim="-")


def _slug(*parts: Any) -> str:
    return re.sub(r"[^a-z0-9]+", "-", "-".join(str(p) for p in parts).lower()).strip("-")
