"""Derived datasets: indicators the build computes from published monitoring data.

A department declares a derived dataset like any other, with a ``dataset.yaml`` that names a
method and its inputs instead of data files (see ``docs/derived.md``)::

    derived: {method: daily-aqi, inputs: [air-hourly-2025]}

The definition is submitted and approved like any item. At each build, for every released
definition whose inputs are all released, :func:`derive_datasets` computes the method's tables
from the *published* versions of the inputs (the approved bytes laid out by the release tree,
never the working copies), writes the CSV files and a complete ``dataset.yaml`` beside the
definition, and gives the result a version of its own: the same version as long as the bytes
are the same, a new one when an input or the definition changes. :func:`record_derivations`
archives the files and appends a ``derivation`` entry to the audit log naming the input
versions with their digests and file hashes, the method and the standards applied, before the
build logs the publication. The derived tables then go through ``publisher check`` and the
one release decision like every dataset.

Methods (``content.DERIVED_METHODS``): ``daily-aqi`` (station and city daily AQI, HJ 633-2012
5.1.2), ``realtime-aqi`` (hourly real-time AQI, 5.1.3), ``air-summary`` (monthly and yearly
good-day share, mean concentrations, change on last year, county rankings), ``water-class``
(class per section and sample, GB 3838-2002 single-factor method) and ``emission-exceedance``
(days over the permit limit and their multiples).
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from . import cache as build_cache
from . import paths
from .charts import read_resource
from .content import DERIVED_METHODS, Content, Dataset, Resource
from .figures import MEASURES, round_value, urban_stations
from .memory import give_back
from .release import Release
from .report import Finding, error, warning
from .standards import (COMPLETE, DAILY_REPORT_COLUMNS, REALTIME_REPORT_COLUMNS, AqiMethod, air_columns, aqi_method,
                        area_daily_report, daily_concentrations, realtime_aqi, section_class, station_daily_report)
from .standards.averaging import ROUNDED_AS
from .standards.versions import StandardNotAvailable, standard_for
from .standards.water import CLASS_ORDER
from .workflow import Manifest, Version, archive_files, log_signer, open_log, publication_time

DERIVATION = "derivation"


# -- what a method produces ------------------------------------------------------------------------


@dataclass
class Column:
    """One column of a derived table: its schema entry and how its values are written."""

    name: str
    type: str
    zh: str
    en: str
    unit: str | None = None
    decimals: int | None = None  # numbers: digits after the point (GB/T 8170, half to even)
    references: str | None = None
    required: bool = False

    def schema(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"name": self.name, "type": self.type, "title": {"zh": self.zh, "en": self.en}}
        if self.unit:
            spec["unit"] = self.unit
        if self.references:
            spec["references"] = self.references
        if self.required:
            spec["constraints"] = {"required": True}
        return spec


@dataclass
class Table:
    """One derived data file: its rows as one frame, or, for a table as long as its input (the
    real-time AQI), as the blocks ``parts`` makes one after the other, so it is never whole in
    memory."""

    name: str
    zh: str
    en: str
    columns: list[Column]
    primary_key: list[str]
    frame: pd.DataFrame | None = None
    parts: Callable[[], Iterator[pd.DataFrame]] | None = None

    def frames(self) -> Iterator[pd.DataFrame]:
        """The rows in order: the frame, or each block of ``parts``."""
        if self.parts is None:
            yield self.frame
        else:
            yield from self.parts()

    def csv_blocks(self) -> Iterator[bytes]:
        """UTF-8 CSV a block at a time: one header row, empty cells for missing values, numbers as
        the columns say; the bytes pandas' ``to_csv`` writes for the same cells."""
        yield (",".join(_quoted(c.name) for c in self.columns) + "\n").encode("utf-8")
        written: list[dict[Any, str]] = [{} for _ in self.columns]  # each distinct value formatted once
        for frame in self.frames():
            for start in range(0, len(frame), _WRITE_ROWS):
                block = frame.iloc[start:start + _WRITE_ROWS]
                yield _csv_rows([_cells(block[c.name] if c.name in block else None, c, len(block), seen,
                                        last=n == len(self.columns) - 1)
                                 for n, (c, seen) in enumerate(zip(self.columns, written))])

    def csv_bytes(self) -> bytes:
        """The whole file (see :meth:`csv_blocks`)."""
        return b"".join(self.csv_blocks())

    def resource(self) -> dict[str, Any]:
        """The resource entry of the published dataset.yaml."""
        return {"name": self.name, "path": f"{self.name}.csv", "title": {"zh": self.zh, "en": self.en},
                "schema": {"primary_key": self.primary_key, "missing_values": [""],
                           "fields": [c.schema() for c in self.columns]}}


_WRITE_ROWS = 200_000  # rows formatted at a time: the text of a block stays small


def _quoted(text: str) -> str:
    """``text`` as a field of a CSV row of several fields, quoted as the csv module quotes it
    (``QUOTE_MINIMAL``, which pandas' ``to_csv`` uses)."""
    if text == "":
        return text
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([text])
    return out.getvalue()[:-1]


def _cells(values: pd.Series | None, column: Column, rows: int, written: dict[Any, str],
           last: bool) -> pa.Array:
    """The quoted text of each cell of a column (ending the line when it is the ``last``). Each
    distinct value is formatted once: ``written`` keeps the text of the first value equal to it,
    for the whole table (so 0.0 and -0.0 print as whichever came first, as one dictionary of
    values did before)."""
    end = "\n" if last else ""
    if values is None:
        return pa.array([end] * rows, pa.string())
    codes, uniques = pd.factorize(values)
    texts = []
    for v in uniques:
        text = written.get(v)
        if text is None:
            text = written[v] = _quoted(_cell(v, column))
        texts.append(text + end)
    if (codes < 0).any():  # missing: None, NaN, <NA> are empty; NaT is written as before
        codes = np.where(codes < 0, len(texts), codes)
        texts.append(_quoted(_cell(values.iloc[int(np.argmax(codes == len(texts)))], column)) + end)
    return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), pa.array(texts, pa.string())).dictionary_decode()


def _csv_rows(cells: list[pa.Array]) -> bytes:
    """The lines of a block: each row's cells joined by commas (vectorised by Arrow)."""
    lines = pc.binary_join_element_wise(*cells, ",")
    if len(lines) == 0:
        return b""
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset:lines.offset + len(lines) + 1]
    return lines.buffers()[2].to_pybytes()[offsets[0]:offsets[-1]]


def _cell(v: Any, column: Column) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return ""
    if column.type == "boolean":
        return "true" if v else "false"
    if column.type == "number":
        return f"{round_value(v, column.decimals):f}" if column.decimals is not None else repr(float(v))
    if column.type == "integer":
        return str(int(v))
    if column.type == "datetime":
        return pd.Timestamp(v).isoformat()
    return str(v)


@dataclass
class Computed:
    """What a method returns: its tables, the standards it applied, and notes for the check."""

    tables: list[Table]
    standards: list[str]
    notes: list[tuple[str, str]] = field(default_factory=list)  # (zh, en) warnings
    aqi_method: AqiMethod | None = None  # the way HJ 633 was applied, said on the dataset's page


Method = Callable[[list[Dataset], dict, str, "str | None"], Computed]

# Concentration columns are printed to the decimals the AQI method rounds them to before the IAQI
# (platform: integers, CO one decimal, as HJ 663-2013; literal: one decimal, CO three), so that a
# reader recomputing a sub-index from the printed value gets the published one.
_UG, _MG = "μg/m³", "mg/m³"
_REALTIME_SPEC = [
    ("so2_1h", "SO₂ 1小时平均", "SO2 1-hour mean", _UG), ("no2_1h", "NO₂ 1小时平均", "NO2 1-hour mean", _UG),
    ("co_1h", "CO 1小时平均", "CO 1-hour mean", _MG), ("o3_1h", "O₃ 1小时平均", "O3 1-hour mean", _UG),
    ("pm10_1h", "PM₁₀ 1小时平均", "PM10 1-hour mean", _UG), ("pm25_1h", "PM₂.₅ 1小时平均", "PM2.5 1-hour mean", _UG),
    ("o3_8h", "O₃ 8小时滑动平均", "O3 8-hour moving mean", _UG),
    ("so2_24h", "SO₂ 24小时滑动平均", "SO2 24-hour moving mean", _UG),
    ("pm10_24h", "PM₁₀ 24小时滑动平均", "PM10 24-hour moving mean", _UG),
    ("pm25_24h", "PM₂.₅ 24小时滑动平均", "PM2.5 24-hour moving mean", _UG)]
_DAILY_SPEC = [
    ("pm25_24h", "PM₂.₅ 24小时平均", "PM2.5 24-hour mean", _UG), ("pm10_24h", "PM₁₀ 24小时平均", "PM10 24-hour mean", _UG),
    ("so2_24h", "SO₂ 24小时平均", "SO2 24-hour mean", _UG), ("no2_24h", "NO₂ 24小时平均", "NO2 24-hour mean", _UG),
    ("co_24h", "CO 24小时平均", "CO 24-hour mean", _MG),
    ("o3_1h_max", "O₃ 日最大1小时平均", "O3 daily maximum 1-hour mean", _UG),
    ("o3_8h_max", "O₃ 日最大8小时滑动平均", "O3 daily maximum 8-hour mean", _UG)]


def _concentration_columns(realtime: bool, method: AqiMethod) -> list[Column]:
    spec = _REALTIME_SPEC if realtime else _DAILY_SPEC
    return [Column(n, "number", zh, en, unit, method.decimals[ROUNDED_AS[n]]) for n, zh, en, unit in spec]


_IAQI_NAMES = {"iaqi_pm25": "PM₂.₅", "iaqi_pm10": "PM₁₀", "iaqi_so2": "SO₂", "iaqi_no2": "NO₂", "iaqi_co": "CO",
               "iaqi_o3_1h": "O₃ 1小时", "iaqi_o3_8h": "O₃ 8小时"}


def _index_columns(order: list[str]) -> list[Column]:
    iaqi = [Column(c, "integer", f"{_IAQI_NAMES[c]}空气质量分指数", f"IAQI {c[5:].upper()}")
            for c in order if c.startswith("iaqi_")]
    return iaqi + [Column("aqi", "integer", "空气质量指数（AQI）", "Air quality index (AQI)"),
                   Column("level", "integer", "空气质量指数级别（1 优 … 6 严重污染）",
                          "AQI level (1 excellent … 6 severe)"),
                   Column("primary_pollutant", "string", "首要污染物（AQI 大于 50 时；并列时以分号分隔）",
                          "Primary pollutant(s) when AQI > 50 (ties separated by ';')"),
                   Column("completeness", "string",
                          "完整性：complete 完整；incomplete 缺少未监测的污染物，AQI 仅由其余污染物计算；"
                          "withheld 已监测的污染物无法计算分指数，不发布 AQI",
                          "Completeness: complete; incomplete (a pollutant not measured: the AQI of the others); "
                          "withheld (a measured pollutant has no sub-index: no AQI is published)", required=True),
                   Column("missing_pollutants", "string", "缺少分指数的污染物（以分号分隔）",
                          "Pollutants without a sub-index (separated by ';')")]


# -- air ---------------------------------------------------------------------------------------------


_READ_ROWS = 1_000_000  # rows of an hourly file parsed at a time
_GROUP_ROWS = 200_000  # hourly rows computed at a time (whole stations)


@dataclass
class _AirInputs:
    """The hourly data of a method's inputs (only hours whose day falls under a standard with
    tables), read once per build for every air method, with the stations' daily concentrations
    they share.

    It is kept compact (per row a station number, the time as read and a number per distinct
    value of each pollutant) and computed a group of whole stations at a time: every average of HJ 663 and every report row depends on one
    station's hours only, and the reports are sorted by station, so the groups taken in the order
    of the station ids give the same numbers, in the same order, as the whole data at once."""

    blocks: list[pd.DataFrame]  # station, time, pollutants (numbers): rows in the order of the files
    ids: list[str]  # station number → id
    counts: np.ndarray  # rows per station number
    values: dict[str, np.ndarray]  # pollutant → value of each number (the last, NaN: missing)
    notes: list[tuple[str, str]]
    standards: list[str]
    _daily: pd.DataFrame | None = None

    @property
    def empty(self) -> bool:
        return not any(len(b) for b in self.blocks)

    @property
    def present(self) -> set[str]:
        """The stations with hourly rows."""
        return {self.ids[c] for c in np.flatnonzero(self.counts)}

    def groups(self) -> Iterator[pd.DataFrame]:
        """The hourly frames (``station_id, time, <pollutants>``, as ``charts.read_air_hourly``
        gives them) of successive groups of whole stations in the order of their ids; rows
        without a station id go with the first group (every computation leaves them out)."""
        group, rows = [-1], 0
        for code in sorted(np.flatnonzero(self.counts), key=self.ids.__getitem__):
            if rows and rows + self.counts[code] > _GROUP_ROWS:
                yield self._frame(group)
                group, rows = [], 0
            group.append(code)
            rows += int(self.counts[code])
        yield self._frame(group)

    def _frame(self, codes: list[int]) -> pd.DataFrame:
        wanted = np.asarray(codes, dtype=np.int32)
        parts = [b[np.isin(b["station"].to_numpy(), wanted)] for b in self.blocks]
        rows = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
        ids = np.array([*self.ids, np.nan], dtype=object)  # code -1: no station id
        frame = pd.DataFrame({"station_id": pd.Series(ids[rows["station"].to_numpy()], dtype="str"),
                              "time": rows["time"]})
        for p, values in self.values.items():
            frame[p] = values[rows[p].to_numpy()]
        return frame

    def daily(self) -> pd.DataFrame:
        """Each station's daily concentrations (HJ 663-2013 validity), computed once."""
        if self._daily is None:
            parts = [daily_concentrations(g) for g in self.groups()]
            self._daily = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
        return self._daily


_AIR_INPUTS: dict[tuple, _AirInputs] = {}


def _air_inputs(inputs: list[Dataset], tz: str) -> _AirInputs:
    key = (tz, *((ds.id, *(_identity(r.path) for r in ds.resources if r.path.is_file())) for ds in inputs))
    if key not in _AIR_INPUTS:
        if len(_AIR_INPUTS) > 4:
            _AIR_INPUTS.clear()
        _AIR_INPUTS[key] = _read_air_inputs(inputs, tz)
    return _AIR_INPUTS[key]


def _identity(path: Path) -> tuple[str, int, int]:
    """A file as the methods of one build share its reading: its path, size and change time (the
    release tree is written once per build; hashing 800 MB for each method would read it again)."""
    st = path.stat()
    return str(path), st.st_size, st.st_mtime_ns


def _read_air_inputs(inputs: list[Dataset], tz: str) -> _AirInputs:
    """The hours whose day falls under an AQI standard with tables on file; the rest are left
    out with a note (never computed with a superseded table)."""
    ids: dict[str, int] = {}
    values: dict[str, dict[Any, int]] = {}  # pollutant → its distinct values, numbered
    versions: dict[date, str | None] = {}
    blocks = []
    for ds in inputs:
        for hourly in _hourly_blocks(ds, tz):
            keep = _computable(hourly["time"], versions)
            block = pd.DataFrame({"station": _numbered(hourly["station_id"], ids), "time": hourly["time"]})
            for p in hourly.columns[2:]:
                block[p] = _numbered(hourly[p], values.setdefault(p, {}))
            blocks.append(block[keep] if not keep.all() else block)
    for i, block in enumerate(blocks):  # a pollutant some file lacks is missing in its rows
        blocks[i] = block.assign(**{p: np.int32(-1) for p in values if p not in block})
    counts = np.zeros(len(ids), dtype=np.int64)
    for b in blocks:
        codes = b["station"].to_numpy()
        counts += np.bincount(codes[codes >= 0], minlength=len(ids))
    refused = sorted(d for d, v in versions.items() if v is None)
    notes = []
    if refused:
        notes.append((f"{refused[0]} 至 {refused[-1]} 共 {len(refused)} 天适用的空气质量指数标准版本没有可用的分级表，"
                      "这些日期未计算（不会用已被替代的旧表计算）",
                      f"{len(refused)} days from {refused[0]} to {refused[-1]} fall under an AQI standard version "
                      "with no table on file; they are not computed (never with a superseded table)"))
    used = sorted({v for v in versions.values() if v})
    return _AirInputs(blocks, list(ids), counts, {p: np.array([*v, np.nan], dtype=float) for p, v in values.items()},
                      notes, [*used, "GB 3095-2012", "HJ 663-2013"] if used else [])


def _numbered(column: pd.Series, numbers: dict[Any, int]) -> np.ndarray:
    """Each value's number in ``numbers`` (new values numbered on), -1 for a missing one. Values
    equal as numbers share one (so -0.0 may stand for 0.0: every average of the grid makes -0.0
    0.0 anyway, as pandas' sums start at 0.0)."""
    codes, found = pd.factorize(column)
    known = np.array([numbers.setdefault(v, len(numbers)) for v in found] + [-1], dtype=np.int32)
    return known[codes]


def _computable(time: pd.Series, versions: dict[date, str | None]) -> np.ndarray:
    """Which rows fall on a day (of the hour's start, in China) under an AQI version with tables;
    ``versions`` gathers each day's version (None: refused). Each distinct hour is looked at once."""
    codes, hours = pd.factorize(time, use_na_sentinel=False)
    days = (pd.to_datetime(pd.Series(hours)).dt.tz_convert("Asia/Shanghai") - pd.Timedelta(hours=1)).dt.date
    for d in pd.unique(days.to_numpy()):
        if d not in versions:
            try:
                versions[d] = standard_for("aqi", d).id
            except StandardNotAvailable:
                versions[d] = None
    return days.map(versions).notna().to_numpy()[codes]


def _hourly_blocks(dataset: Dataset, tz: str) -> Iterator[pd.DataFrame]:
    """The dataset's hourly air data as ``charts.read_air_hourly`` reads it (``station_id, time,
    <pollutants>``, columns named by their ``parameter``; a file where two fields claim one
    pollutant refused), a block of rows at a time, only the columns it needs."""
    for r in dataset.resources:
        public = [f for f in r.fields if not f.sensitive]
        by_parameter = air_columns(public)
        if not {"station_id", "time"} <= {f.name for f in public} or not by_parameter or not Path(r.path).is_file():
            continue
        for frame in _blocks(r, ["station_id", "time", *by_parameter.values()], tz):
            hourly = pd.DataFrame({"station_id": frame["station_id"].astype(str), "time": frame["time"]})
            for p, name in by_parameter.items():
                hourly[p] = frame[name]
            yield hourly


def _blocks(resource: Resource, names: list[str], tz: str) -> Iterator[pd.DataFrame]:
    """The public columns ``names`` of a file, parsed and typed as ``charts.read_resource`` does
    (the same reader, options and conversions: the same values), a block of rows at a time."""
    fields = {f.name: f for f in resource.fields if not f.sensitive}
    wanted = [n for n in dict.fromkeys(names) if n in fields]
    reader = pd.read_csv(
        resource.path, usecols=wanted, chunksize=_READ_ROWS, keep_default_na=False,
        na_values=resource.missing_values or [""], encoding="utf-8-sig",
        dtype={n: "string" for n in wanted if fields[n].type in ("string", "date", "datetime")})
    with reader:
        for frame in reader:
            for name in wanted:
                frame[name] = _typed(frame[name], fields[name].type, tz)
            yield frame


def _typed(values: pd.Series, kind: str, tz: str) -> pd.Series:
    """A column as ``charts.read_resource`` types it."""
    if kind == "datetime":
        return pd.to_datetime(values, format="ISO8601", utc=True).dt.tz_convert(tz)
    if kind == "date":
        return pd.to_datetime(values, format="ISO8601")
    if kind in ("number", "integer"):
        return pd.to_numeric(values, errors="coerce")
    return values


def daily_aqi(inputs: list[Dataset], registry: dict, tz: str, method: str | None = None) -> Computed:
    """Station daily AQI and the city's (HJ 633-2012 5.1.2; city values HJ 663-2013)."""
    air = _air_inputs(inputs, tz)
    m = aqi_method(method)
    station_cols = [Column("station_id", "string", "站点编号", "Station ID", references="air_stations", required=True),
                    Column("date", "date", "日期", "Date", required=True)]
    concentration = _concentration_columns(False, m)
    index = _index_columns(DAILY_REPORT_COLUMNS)
    empty = pd.DataFrame(columns=DAILY_REPORT_COLUMNS)
    stations = station_daily_report(air.daily(), m) if not air.empty else empty
    city_code = str((registry.get("city") or {}).get("code") or "")
    present = air.present
    urban = [s for s in urban_stations(registry) if s in present]
    city = (area_daily_report(air.daily(), city_code, urban, m) if urban else empty).rename(
        columns={"station_id": "area_code"})
    city_cols = [Column("area_code", "string", "行政区划代码", "Administrative area code", required=True),
                 station_cols[1]]
    return Computed([
        Table("stations", "各站点日空气质量指数", "Daily AQI by station", station_cols + concentration + index,
              ["station_id", "date"], stations),
        Table("city", "全市日空气质量指数（城市点位日均值的算术平均）", "City daily AQI (mean of the urban stations)",
              city_cols + concentration + index, ["area_code", "date"], city),
    ], air.standards, air.notes, m)


def realtime(inputs: list[Dataset], registry: dict, tz: str, method: str | None = None) -> Computed:
    """Hourly real-time AQI per station (HJ 633-2012 5.1.3, Table 4), as ``method`` applies it."""
    air = _air_inputs(inputs, tz)
    m = aqi_method(method)
    if air.empty:
        report, parts = pd.DataFrame(columns=REALTIME_REPORT_COLUMNS), None
    else:  # as long as the input: made and written a group of stations at a time
        report, parts = None, lambda: (realtime_aqi(hourly, method=m) for hourly in air.groups())
    columns = [Column("station_id", "string", "站点编号", "Station ID", references="air_stations", required=True),
               Column("time", "datetime", "时间（小时结束时刻）", "Time (end of the hour)", required=True),
               *_concentration_columns(True, m), *_index_columns(REALTIME_REPORT_COLUMNS)]
    return Computed([Table("hourly", "各站点实时空气质量指数", "Real-time AQI by station and hour", columns,
                           ["station_id", "time"], report, parts)], air.standards, air.notes, m)


# Summary measures and their daily-report columns (the definitions of figures.MEASURES).
SUMMARY_MEANS = {"pm25_mean": "pm25_24h", "pm10_mean": "pm10_24h", "so2_mean": "so2_24h", "no2_mean": "no2_24h",
                 "co_mean": "co_24h"}


def air_summary(inputs: list[Dataset], registry: dict, tz: str, method: str | None = None) -> Computed:
    """Monthly and yearly statistics per station, county and the city; county rankings.

    The measures are those a bulletin may cite (``figures.MEASURES``) and are computed the same
    way: good-day share over the days with a valid AQI; means and the O₃ 90th percentile only
    with the GB 3095-2012 Table 4 number of valid days; rounded as bulletins round them.
    """
    air = _air_inputs(inputs, tz)
    m = aqi_method(method)
    daily = _scoped_daily(air, registry, m)
    summary = pd.DataFrame(_summary_rows(daily) if not daily.empty else [], columns=["scope", "id", "period", "valid_days", "good_days", "good_day_share",
                                          *SUMMARY_MEANS, "o3_8h_p90"])
    _add_changes(summary)
    ranking = _rankings(summary)
    decimals = {m: MEASURES[m].decimals for m in [*SUMMARY_MEANS, "o3_8h_p90", "good_day_share"]}
    columns = [Column("scope", "string", "范围（station 站点、county 区县、city 全市）", "Scope (station, county, city)",
                      required=True),
               Column("id", "string", "站点编号或行政区划代码", "Station ID or area code", required=True),
               Column("period", "string", "时段（2025-10 为月，2025 为年）", "Period (2025-10 a month, 2025 a year)",
                      required=True),
               Column("valid_days", "integer", "有效天数", "Days with a valid AQI"),
               Column("good_days", "integer", "优良天数（AQI ≤ 100）", "Good days (AQI ≤ 100)"),
               Column("good_day_share", "number", "优良天数比例", "Share of good days", "%",
                      decimals["good_day_share"]),
               *[Column(m, "number", MEASURES[m].name_zh, m.replace("_", " "), _MG if m == "co_mean" else _UG,
                        decimals[m]) for m in [*SUMMARY_MEANS, "o3_8h_p90"]],
               Column("pm25_change", "number", "PM₂.₅ 平均浓度同比变化", "PM2.5 mean, change on the same period last year",
                      "%", 1),
               Column("good_day_share_change", "number", "优良天数比例同比变化（百分点）",
                      "Share of good days, change on last year (percentage points)", None, 1)]
    ranking_cols = [Column("period", "string", "时段", "Period", required=True),
                    Column("area_code", "string", "区县行政区划代码", "County area code", required=True),
                    Column("pm25_mean", "number", MEASURES["pm25_mean"].name_zh, "PM2.5 mean", _UG,
                           decimals["pm25_mean"]),
                    Column("pm25_rank", "integer", "PM₂.₅ 排名（浓度由低到高）", "Rank by PM2.5 (lowest first)"),
                    Column("good_day_share", "number", "优良天数比例", "Share of good days", "%",
                           decimals["good_day_share"]),
                    Column("good_day_share_rank", "integer", "优良天数比例排名（由高到低）",
                           "Rank by share of good days (highest first)")]
    return Computed([
        Table("summary", "月度和年度统计", "Monthly and yearly statistics", columns, ["scope", "id", "period"], summary),
        Table("county-ranking", "区县排名", "County rankings", ranking_cols, ["period", "area_code"], ranking),
    ], air.standards, air.notes, m)


def _scoped_daily(air: _AirInputs, registry: dict, method: AqiMethod) -> pd.DataFrame:
    """Daily reports of every station, every county (its urban stations) and the city."""
    if air.empty:
        return pd.DataFrame(columns=["scope", "id", *DAILY_REPORT_COLUMNS[1:]])
    present = air.present
    urban = [s for s in urban_stations(registry) if s in present]
    area_of = {str(s.get("id")): str(s.get("area")) for s in registry.get("air_stations") or [] if isinstance(s, dict)}
    parts = [station_daily_report(air.daily(), method).rename(columns={"station_id": "id"}).assign(scope="station")]
    for county in sorted({area_of[s] for s in urban if s in area_of}):
        members = [s for s in urban if area_of.get(s) == county]
        parts.append(area_daily_report(air.daily(), county, members, method)
                     .rename(columns={"station_id": "id"}).assign(scope="county"))
    if urban:
        city = str((registry.get("city") or {}).get("code") or "city")
        parts.append(area_daily_report(air.daily(), city, urban, method)
                     .rename(columns={"station_id": "id"}).assign(scope="city"))
    order = {"city": 0, "county": 1, "station": 2}
    daily = pd.concat([p for p in parts if not p.empty], ignore_index=True)
    return daily.sort_values(["scope", "id", "date"], key=lambda s: s.map(order) if s.name == "scope" else s,
                             ignore_index=True)


def _period_label(period: list[Any]) -> str:
    return f"{int(period[0])}-{int(period[1]):02d}" if len(period) == 2 else str(int(period[0]))


def _min_days(period: list[Any]) -> int:
    """Valid days a mean needs (GB 3095-2012 Table 4): 27 a month, 25 in February, 324 a year."""
    if len(period) == 1:
        return 324
    return 25 if int(period[1]) == 2 else 27


def _summary_rows(daily: pd.DataFrame) -> list[dict[str, Any]]:
    """The measures of every month, then every year, of each scope and id, in that order.

    ``daily`` is sorted by scope, id and date, so each period is a run of rows; a measure's valid
    values are kept once, in row order, and each period takes its slice (the sums are NumPy's, as
    a pandas mean of the same values). Only complete days count: an incomplete day's AQI leaves
    out a pollutant and could hide a polluted day; a withheld day has no AQI."""
    when = pd.to_datetime(daily["date"])
    year, month = when.dt.year.to_numpy(), when.dt.month.to_numpy()
    scope, subject = daily["scope"].to_numpy(), daily["id"].to_numpy()
    aqi = pd.to_numeric(daily["aqi"].where(daily["completeness"].eq(COMPLETE)), errors="coerce")
    aqi = aqi.to_numpy(dtype=float, na_value=np.nan)
    valid = _running(~np.isnan(aqi))
    good = _running(aqi <= 100)
    measures = {m: _compact(daily[c]) for m, c in [*SUMMARY_MEANS.items(), ("o3_8h_p90", "o3_8h_max")]}
    rows = []
    for keys in ([scope, subject, year, month], [scope, subject, year]):
        changed = np.zeros(len(daily) - 1, dtype=bool)
        for key in keys:
            changed |= key[1:] != key[:-1]
        starts = np.flatnonzero(np.concatenate([[True], changed]))
        for start, end in zip(starts, [*starts[1:], len(daily)]):
            period = [year[start]] if len(keys) == 3 else [year[start], month[start]]
            need = _min_days(period)
            days, goods = int(valid[end] - valid[start]), int(good[end] - good[start])
            row = {"scope": scope[start], "id": subject[start], "period": _period_label(period),
                   "valid_days": days, "good_days": goods, "good_day_share": goods * 100 / days if days else None}
            for measure, (values, running) in measures.items():
                picked = values[running[start]:running[end]]
                if len(picked) < need:
                    row[measure] = None
                elif measure == "o3_8h_p90":  # HJ 663-2013: linear between the neighbours of k = 1 + (n - 1) p
                    row[measure] = float(np.percentile(picked, 90))
                else:
                    row[measure] = float(picked.sum() / len(picked))
            rows.append(row)
    return rows


def _running(flags: np.ndarray) -> np.ndarray:
    """Counts of ``flags`` before each row (and after the last): a run [a, b) holds c[b] - c[a]."""
    return np.concatenate([[0], np.cumsum(flags, dtype=np.int64)])


def _compact(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A column's numbers without the missing ones, in row order, and their running count."""
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    present = ~np.isnan(values)
    return values[present], _running(present)


def _rounded(value: Any, decimals: int) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(round_value(value, decimals))


def _add_changes(summary: pd.DataFrame) -> None:
    """Change on the same period of the year before, from the rounded published values."""
    previous = {}
    for row in summary.itertuples(index=False):
        previous[(row.scope, row.id, row.period)] = row
    pm25, share = [], []
    for row in summary.itertuples(index=False):
        year, _, month = row.period.partition("-")
        before = previous.get((row.scope, row.id, f"{int(year) - 1}{'-' + month if month else ''}"))
        now_pm = _rounded(row.pm25_mean, MEASURES["pm25_mean"].decimals)
        was_pm = _rounded(before.pm25_mean, MEASURES["pm25_mean"].decimals) if before is not None else None
        pm25.append((now_pm - was_pm) / was_pm * 100 if now_pm is not None and was_pm else None)
        now_share = _rounded(row.good_day_share, 1)
        was_share = _rounded(before.good_day_share, 1) if before is not None else None
        share.append(now_share - was_share if now_share is not None and was_share is not None else None)
    summary["pm25_change"] = pd.Series(pm25, dtype="float64")
    summary["good_day_share_change"] = pd.Series(share, dtype="float64")


def _rankings(summary: pd.DataFrame) -> pd.DataFrame:
    """Counties ranked in each period: by PM2.5 (lowest first) and good-day share (highest
    first), on the published (rounded) values; ties share the better rank."""
    counties = summary[summary["scope"] == "county"].copy()
    columns = ["period", "area_code", "pm25_mean", "pm25_rank", "good_day_share", "good_day_share_rank"]
    if counties.empty:
        return pd.DataFrame(columns=columns)
    counties["pm25_mean"] = counties["pm25_mean"].map(lambda v: _rounded(v, MEASURES["pm25_mean"].decimals))
    counties["good_day_share"] = counties["good_day_share"].map(lambda v: _rounded(v, 1))
    by_period = counties.groupby("period")
    counties["pm25_rank"] = by_period["pm25_mean"].rank(method="min").astype("Int64")
    counties["good_day_share_rank"] = by_period["good_day_share"].rank(method="min", ascending=False).astype("Int64")
    counties = counties.rename(columns={"id": "area_code"})
    return counties[columns].sort_values(["period", "area_code"], ignore_index=True)


# -- water -------------------------------------------------------------------------------------------


def water_classes(inputs: list[Dataset], registry: dict, tz: str, method: str | None = None) -> Computed:
    """Each sample's class by the single-factor method (GB 3838-2002; 评价办法, routine parameters),
    the parameters that set it and their multiples over the class III limit."""
    sections = {str(s.get("id")): s for s in registry.get("water_sections") or [] if isinstance(s, dict)}
    rows, used, notes = [], set(), []
    refused: list[date] = []
    for ds in inputs:
        for r in ds.resources:
            names = {f.name for f in r.fields}
            day_field = next((f.name for f in r.fields if f.type in ("date", "datetime")), None)
            if "section_id" not in names or day_field is None or not r.path.is_file():
                continue
            frame = read_resource(r, tz)
            parameters = {f.name: str(f.parameter) for f in r.fields if f.parameter}
            for sample in frame.to_dict("records"):
                when = sample[day_field]
                if pd.isna(when):
                    continue
                day = pd.Timestamp(when).date()
                section = str(sample["section_id"])
                entry = sections.get(section, {})
                kind = entry.get("kind") or "river"
                values = {parameters[c]: sample[c] for c in parameters if pd.notna(sample.get(c))}
                try:
                    version = standard_for("surface_water", day)
                    result = section_class(values, kind, day, standard=version)
                except StandardNotAvailable:
                    refused.append(day)
                    continue
                used.add(version.id)
                target = entry.get("target_class")
                rows.append({
                    "section_id": section, "sample_date": day.isoformat(), "water_body_kind": kind,
                    "water_class": result.water_class, "target_class": target,
                    "meets_target": (CLASS_ORDER[result.water_class] <= CLASS_ORDER[target]
                                     if result.water_class in CLASS_ORDER and target in CLASS_ORDER else None),
                    "limiting_parameters": ";".join(result.limiting_parameters) or None,
                    "exceedance_multiples": ";".join(f"{p}:{round_value(m, 2):f}"
                                                     for p, m in sorted(result.exceedance_multiples.items())) or None,
                    "dataset": ds.id,
                })
    if refused:
        notes.append((f"{len(refused)} 个样品的采样日期没有可用的地表水标准版本，未评价",
                      f"{len(refused)} samples are dated under no surface-water standard version on file; not classed"))
    frame = pd.DataFrame(rows, columns=["section_id", "sample_date", "water_body_kind", "water_class", "target_class",
                                        "meets_target", "limiting_parameters", "exceedance_multiples"])
    frame = frame.sort_values(["section_id", "sample_date"], ignore_index=True)
    columns = [Column("section_id", "string", "断面编号", "Section ID", references="water_sections", required=True),
               Column("sample_date", "date", "采样日期", "Sampling date", required=True),
               Column("water_body_kind", "string", "水体类型（river 河流、lake 湖泊、reservoir 水库）",
                      "Water body (river, lake, reservoir)"),
               Column("water_class", "string", "水质类别（I–V、劣V）", "Water quality class (I–V, 劣V = worse than V)"),
               Column("target_class", "string", "水质目标", "Target class"),
               Column("meets_target", "boolean", "是否达到水质目标", "Meets the target"),
               Column("limiting_parameters", "string", "定类项目（分号分隔）", "Parameters that set the class (';')"),
               Column("exceedance_multiples", "string", "超过III类标准限值的倍数（项目:倍数，分号分隔）",
                      "Multiples over the class III limit (parameter:multiple, ';')")]
    return Computed([Table("samples", "各断面各次采样的水质类别", "Water quality class per section and sample",
                           columns, ["section_id", "sample_date"], frame)],
                    sorted(used), notes)


# -- emissions ---------------------------------------------------------------------------------------


def emission_exceedances(inputs: list[Dataset], registry: dict, tz: str, method: str | None = None) -> Computed:
    """Daily values over the permit limit with their multiples, and days over the limit per
    enterprise, outlet, pollutant and month (and year)."""
    frames = []
    for ds in inputs:
        for r in ds.resources:
            if {"enterprise_id", "outlet_id", "date", "parameter", "value", "limit"} <= {f.name for f in r.fields} \
                    and r.path.is_file():
                frames.extend(_blocks(r, ["area_code", "enterprise_id", "outlet_id", "date", "parameter", "value",
                                          "unit", "limit"], tz))
    base = ["area_code", "enterprise_id", "outlet_id", "parameter"]
    data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*base, "date", "value", "unit",
                                                                                       "limit"])
    for column in ("area_code", "unit"):
        if column not in data:
            data[column] = None
    data = data.dropna(subset=["date", "value"])
    data = data.astype({c: str for c in ("area_code", "enterprise_id", "outlet_id", "parameter")})
    # each distinct day made a date (and its labels) once; rows keep its code
    when, times = pd.factorize(pd.to_datetime(data["date"]))
    day, dates = pd.factorize(pd.Index(times.date, dtype=object))  # two times of one day are one day
    day = day[when]
    data["date"] = dates.to_numpy()[day]
    exceeded = (data["limit"].notna() & (data["value"] > data["limit"])).to_numpy()
    over = data[exceeded].copy()
    over["multiple"] = (over["value"] - over["limit"]) / over["limit"]
    over["date"] = np.array([d.isoformat() for d in dates], dtype=object)[day[exceeded]]
    over = over.sort_values([*base, "date"], ignore_index=True)
    rows = []
    if not data.empty:
        multiple = ((data["value"] - data["limit"]) / data["limit"]).where(exceeded)
        multiple = multiple.to_numpy(dtype=float, na_value=np.nan)
        for texts in ([f"{d.year}-{d.month:02d}" for d in dates], [str(d.year) for d in dates]):
            rows.append(_days_over(data[base], texts, day, exceeded, multiple))
    summary = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=[*base, "period", "days_reported", "exceedance_days", "max_multiple"])
    summary = summary.sort_values([*base, "period"], ignore_index=True)
    ids = [Column("area_code", "string", "行政区划代码", "Area code", required=True),
           Column("enterprise_id", "string", "企业编号", "Enterprise ID", references="enterprises", required=True),
           Column("outlet_id", "string", "排放口编号", "Outlet ID", required=True),
           Column("parameter", "string", "污染物", "Pollutant", required=True)]
    exceed_cols = [*ids, Column("date", "date", "日期", "Date", required=True),
                   Column("value", "number", "日均浓度", "Daily mean concentration", None, 3),
                   Column("unit", "string", "单位", "Unit"),
                   Column("limit", "number", "排污许可限值", "Permit limit", None, 3),
                   Column("multiple", "number", "超标倍数（(值 − 限值) / 限值）", "Multiple over the limit ((value − limit) / limit)",
                          None, 2)]
    summary_cols = [*ids, Column("period", "string", "时段（2025-10 为月，2025 为年）", "Period (month or year)",
                                 required=True),
                    Column("days_reported", "integer", "报送天数", "Days reported"),
                    Column("exceedance_days", "integer", "超标天数", "Days over the limit"),
                    Column("max_multiple", "number", "最大超标倍数", "Largest multiple over the limit", None, 2)]
    return Computed([
        Table("exceedances", "超过排污许可限值的日均值", "Daily values over the permit limit", exceed_cols,
              [*base[1:], "date"], over),
        Table("summary", "各企业各排放口超标天数统计", "Days over the permit limit by enterprise, outlet and pollutant",
              summary_cols, [*base[1:], "period"], summary),
    ], [], [])


def _days_over(keys: pd.DataFrame, labels: list[str], day: np.ndarray, exceeded: np.ndarray,
               multiple: np.ndarray) -> pd.DataFrame:
    """Per key (the ``keys`` columns and the period ``labels`` gives each day): the distinct days
    reported, the distinct days over the limit and the largest multiple. Rows with a missing key
    are left out, as a pandas groupby leaves them."""
    factorized = [pd.factorize(keys[c]) for c in keys] + [pd.factorize(np.asarray(labels, dtype=object)[day])]
    group = np.zeros(len(keys), dtype=np.int64)
    for codes, found in factorized:
        group = np.where((group < 0) | (codes < 0), -1, group * len(found) + codes)
        present = group >= 0
        group[present] = pd.factorize(group[present])[0]  # renumbered: stays below the row count
    present = group >= 0
    group, day, exceeded, multiple = group[present], day[present], exceeded[present], multiple[present]
    count = int(group.max()) + 1 if len(group) else 0
    width = int(day.max()) + 1 if len(day) else 1
    first = pd.Series(np.arange(len(group))).groupby(group).first().to_numpy(dtype=np.int64)
    frame = pd.DataFrame({name: found.take(codes[present][first])
                          for name, (codes, found) in zip([*keys, "period"], factorized)})
    frame["days_reported"] = np.bincount(np.unique(group * width + day) // width, minlength=count)
    frame["exceedance_days"] = np.bincount(np.unique((group * width + day)[exceeded]) // width, minlength=count)
    frame["max_multiple"] = pd.Series(multiple).groupby(group).max().reindex(range(count)).to_numpy()
    return frame


METHODS: dict[str, Method] = {
    "daily-aqi": daily_aqi,
    "realtime-aqi": realtime,
    "air-summary": air_summary,
    "water-class": water_classes,
    "emission-exceedance": emission_exceedances,
}
assert set(METHODS) == set(DERIVED_METHODS), "every method named in content.DERIVED_METHODS is implemented here"


# -- versions, derivation and the log ----------------------------------------------------------------


@dataclass
class DerivedRelease:
    """What :func:`derive_datasets` decided: every derived item's versions and the one to publish."""

    versions: dict[str, list[Version]] = field(default_factory=dict)  # oldest first, incl. a new one
    chosen: dict[str, Version] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)  # derivation entries to append
    folder: Path | None = None  # the content folder the files were written to

    @property
    def items(self) -> list[str]:
        return sorted(self.chosen)


def derivation_history(entries: list[Any], item_id: str, definition: list[Version]) -> list[Version]:
    """The derived versions of ``item_id`` from its ``derivation``, ``publication`` and
    ``withdrawal`` entries: a withdrawal marks every version computed before it, as the
    workflow marks approved ones, so none of them is ever published again."""
    versions: list[Version] = []
    for e in entries:
        if e.item != item_id:
            continue
        if e.event == DERIVATION:
            versions.append(_version(e.version, e.details, e.files, e.time, definition))
        elif e.event == "publication":
            for v in versions:
                if v.digest == e.details.get("digest"):
                    v.mark_published(e)
        elif e.event == "withdrawal":
            for v in versions:
                if v.withdrawn is None:
                    v.withdrawn = {"time": e.time, "user": e.actor, "reason": e.details.get("reason", "")}
    return versions


def _version(number: int, details: dict, files: dict[str, str], time: str, definition: list[Version]) -> Version:
    recipe = next((v for v in definition if v.number == details.get("definition", {}).get("version")), None)
    sources = "、".join(f"{s['item']} 第{s['version']}版" for s in details.get("inputs", []))
    sources_en = ", ".join(f"{s['item']} v{s['version']}" for s in details.get("inputs", []))
    return Version(number=number, digest=details["digest"], files=dict(files), approved_at=time,
                   reason=details.get("reason", "initial"),
                   note=f"由 {sources} 计算 / computed from {sources_en}",
                   approvals=list(recipe.approvals) if recipe else [])


def derive_datasets(root: Path, content: Content, upstream: Release, chosen: dict[str, Version],
                    approved: dict[str, list[Version]], tz: str, aqi_method: str | None = None,
                    cache: build_cache.BuildCache | None = None) -> DerivedRelease:
    """Compute every released derived dataset from the published versions of its inputs.

    ``content`` is the release tree (approved bytes only); ``upstream`` the release decided on it
    before derivation, which says which inputs are public. The files are written into the
    definition's folder of the tree and the dataset reloaded; nothing is logged here. ``aqi_method``
    is the rules' choice of how HJ 633 is applied (``aqi.method``; None: the default). With the
    build's ``cache``, a result computed before from the same inputs is taken from it
    (:func:`_derivation`).
    """
    result = DerivedRelease(folder=content.root / "content")
    with open_log(root) as log:
        entries = log.entries()
    try:
        _derive_each(result, content, upstream, chosen, approved, entries, tz, aqi_method,
                     cache or build_cache.BuildCache(None, enabled=False))
    finally:
        _AIR_INPUTS.clear()  # the hourly data is shared by the methods of one build, not kept after it
    return result


def _derive_each(result: DerivedRelease, content: Content, upstream: Release, chosen: dict[str, Version],
                 approved: dict[str, list[Version]], entries: list[Any], tz: str, aqi_method: str | None,
                 cache: build_cache.BuildCache) -> None:
    registry = build_cache.digest("registry", content.registry)
    for ds in sorted(content.datasets.values(), key=lambda d: d.id):
        if ds.derived is None or ds.derived.method not in METHODS:
            continue
        where = {"item": ds.id, "file": f"content/datasets/{ds.id}/dataset.yaml", "key": "derived.inputs"}
        held = [i for i in ds.derived.inputs if i not in upstream.datasets]
        if held:
            result.findings.append(error(
                "derived-input-not-released", f"输入数据集尚未发布：{', '.join(held)}；派生数据只由已发布的数据计算",
                f"inputs not published: {', '.join(held)}; derived data are computed from published data only",
                **where))
            continue
        if ds.id not in upstream.datasets:
            continue
        sources = [{"item": i, "version": chosen[i].number, "digest": chosen[i].digest, "files": chosen[i].files}
                   for i in ds.derived.inputs]
        key = build_cache.digest("derived", ds.id, ds.derived.method, chosen[ds.id].digest,
                                 [(s["item"], s["version"], s["digest"]) for s in sources], tz, aqi_method, registry)
        files, notes, standards = _derivation(ds, [upstream.datasets[i] for i in ds.derived.inputs], content,
                                              sources, tz, aqi_method, result.folder, cache, key)
        for zh, en in notes:
            result.findings.append(warning("derived-values-not-computed", zh, en, **where))
        if files is None:
            result.findings.append(error("derived-empty", "输入数据中没有可计算的值，派生数据为空",
                                         "the inputs hold nothing this method can compute; the result is empty",
                                         **where))
            continue
        digest = Manifest(ds.id, files).digest
        history = derivation_history(entries, ds.id, approved.get(ds.id, []))
        if history and history[-1].digest == digest and history[-1].withdrawn is None:
            version = history[-1]  # a withdrawn one is never reused: the same numbers publish as a new version
        else:
            recipe = chosen[ds.id]
            since = max([_public_since(chosen[i], upstream.datasets[i]) for i in ds.derived.inputs]
                        + [_public_since(recipe, ds)])
            details = {"digest": digest, "method": ds.derived.method, "standards": standards,
                       "definition": {"version": recipe.number, "digest": recipe.digest},
                       "inputs": sources, "reason": "recomputed" if history else "initial"}
            number = len(history) + 1
            result.actions.append({"event": DERIVATION, "actor": "publisher", "item": ds.id, "version": number,
                                   "files": files, "time": since, "details": details})
            version = _version(number, details, files, since.isoformat(), approved.get(ds.id, []))
            history.append(version)
        result.versions[ds.id] = history
        result.chosen[ds.id] = version


def _derivation(ds: Dataset, inputs: list[Dataset], content: Content, sources: list[dict[str, Any]], tz: str,
                aqi_method: str | None, folder: Path, cache: build_cache.BuildCache,
                key: str) -> tuple[dict[str, str] | None, list[tuple[str, str]], list[str]]:
    """``ds``'s files written into ``folder`` (their manifest, None when every table is empty), the
    notes on values not computed and the standards applied.

    ``key`` is the digest of everything the result depends on: the definition's version, the
    method, the inputs' versions, the registry, the time zone, the AQI method and (inside
    :func:`publisher.cache.digest`) the code with its standards tables. On a hit the files come
    from the cache, each checked against its SHA-256 as it is copied; a damaged or missing blob
    is a miss, and the result is computed again."""
    scratch = Path(tempfile.mkdtemp(prefix=".derived-", dir=folder.parent))
    try:
        hit, value, files = cache.get_files("derived", key, scratch)
        if hit:
            for rel in files:  # over the definition's own dataset.yaml, as _write does
                os.replace(paths.confined(scratch, rel), paths.confined(folder, rel))
            return (files or None), [tuple(n) for n in value["notes"]], list(value["standards"])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    computed = METHODS[ds.derived.method](inputs, content.registry, tz, aqi_method)
    written = _write(ds, computed, sources, folder)
    computed.tables = []  # written: the rows can go
    give_back()
    cache.put_files("derived", key, folder, written or {},
                    {"notes": list(computed.notes), "standards": list(computed.standards)})
    return written, list(computed.notes), list(computed.standards)


def _public_since(version: Version, item: Dataset) -> datetime:
    if version.published_at is not None:
        return datetime.fromisoformat(version.published_at)
    return publication_time(version, item.release_at)


def _write(ds: Dataset, computed: Computed, sources: list[dict[str, Any]], folder: Path) -> dict[str, str] | None:
    """The derived files beside the definition; returns their manifest (path → SHA-256), or None
    when every table is empty (then nothing is left written). Each table is streamed to its file a
    block of rows at a time, hashed on the way."""
    target = folder / "datasets" / ds.id
    tables, rows = {}, 0
    for t in computed.tables:
        digest = hashlib.sha256()
        with open(paths.confined(target, f"{t.name}.csv"), "wb") as out:
            for n, block in enumerate(t.csv_blocks()):
                digest.update(block)
                out.write(block)
                rows += n > 0 and len(block) > 0
        tables[f"{t.name}.csv"] = digest.hexdigest()
    if not rows:
        for name in tables:
            paths.confined(target, name).unlink()
        return None
    meta = {k: v for k, v in ds.meta.items() if k not in ("resources", "derived")}
    method_zh, method_en, _ = DERIVED_METHODS[ds.derived.method]
    meta.setdefault("methodology", {"zh": f"由发布系统按“{method_zh}”方法自动计算。",
                                    "en": f"Computed by the publication system: {method_en}."})
    if computed.aqi_method is not None:
        m = computed.aqi_method
        given = meta["methodology"] if isinstance(meta["methodology"], dict) else {"zh": str(meta["methodology"])}
        meta["methodology"] = {
            "zh": f"{given.get('zh') or ''}空气质量指数按“{m.title_zh}”（{m.name}）计算；"
                  "浓度先按规定位数修约（四舍六入五成双）再计算分指数；已监测的污染物无法计算分指数时不发布 AQI"
                  "（withheld），缺少未监测的污染物时标注为不完整（incomplete）。",
            "en": (f"{given.get('en') or ''} The AQI follows {m.title_en} ({m.name}); concentrations "
                   "are rounded half to even to the printed decimals before the sub-indices; no AQI is published "
                   "when a measured pollutant has no sub-index (withheld), and an AQI missing a pollutant that "
                   "was not measured is flagged incomplete.").strip(),
        }
    meta["standards"] = sorted(set(meta.get("standards") or []) | set(computed.standards))
    meta["derived"] = {"method": ds.derived.method, "inputs": list(ds.derived.inputs),
                       **({"aqi_method": computed.aqi_method.name} if computed.aqi_method else {}),
                       "sources": [{k: s[k] for k in ("item", "version", "digest")} for s in sources]}
    meta["resources"] = [t.resource() for t in computed.tables]
    data = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=120).encode("utf-8")
    paths.confined(target, "dataset.yaml").write_bytes(data)
    return {f"datasets/{ds.id}/{name}": digest
            for name, digest in {"dataset.yaml": hashlib.sha256(data).hexdigest(), **tables}.items()}


def record_derivations(root: Path, derived: DerivedRelease, released: Release) -> None:
    """Archive the new derived versions that are ``released`` and log their ``derivation``
    entries (one transaction), so a later build can publish them again from the archive."""
    actions = [a for a in derived.actions if a["item"] in released.datasets]
    if not actions:
        return
    for action in actions:
        archive_files(root, derived.folder, action["files"])
    with open_log(root) as log:
        log.append_many(actions, signer=log_signer(root))
