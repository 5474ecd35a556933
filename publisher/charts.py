"""Plotly charts built at build time from released data files.

A chart is a figure (JSON for plotly.js), a short text summary and a small data table, so that
each chart has its numbers one click away and is readable without JavaScript or sight.

Every chart keeps within a fixed budget, whatever the years and the number of stations, so that
no page grows with the data (see "Charts" in docs/content-model.md): a long series is drawn from
coarser means (daily, weekly, monthly, then yearly), more than MAX_GROUPS stations (sections,
enterprises) are drawn as the mean of all and the highest few, and an AQI calendar shows the
latest year. The note under the chart says what it shows; the downloads keep every row.

The figure is written as a plain ``{"data": [...], "layout": {...}}`` dictionary rather than
through ``plotly.graph_objects``: the output is then compact (dates as short strings, numbers
rounded, no template) and byte-identical from one build to the next.

Chart kinds (see docs/content-model.md, "Charts"):

``timeseries``    one line per group and column over time
``bar``           grouped bars
``heatmap``       one row per group, one cell per period, coloured by the value of ``y[0]``
``limits``        emissions against permit limits (dashed line per limit, exceedances counted)
``aqi-calendar``  daily AQI (HJ 633) per station and day, in the HJ 633 level colours
``aqi-levels``    days per HJ 633 level and month for the city (mean of the stations)
``water-class``   GB 3838 water-quality class per section and period
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import weakref
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from .content import Chart, Dataset, Resource

# Colour-blind-safe qualitative palette (Okabe-Ito), enough for a city's stations.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
FONT = "Noto Sans CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif"
MAX_TABLE_ROWS = 400
# The budget of one chart. A visitor on a phone over a slow link gets at most some 100 KB of
# figure data per chart (6,000 values), a legend or a map that fits the screen, and the note
# saying what is drawn instead of every value.
#: Values one chart draws: the points of all its lines, its bars, the cells of a heat map.
MAX_POINTS = 6000
#: Stations (sections, enterprises) drawn one by one; with more, SUMMARY_SERIES are drawn.
MAX_GROUPS = 10
#: Series drawn for more than MAX_GROUPS groups: the mean of all and the five highest, or, where a
#: mean means nothing (permit limits, water classes), the six highest (worst).
SUMMARY_SERIES = 6
#: Bars along the axis of a bar chart, months (else years) of an aqi-levels chart, periods of a
#: water-class map: more would be slivers on a phone.
MAX_PERIODS = 36
#: Display aggregates from the finest to the coarsest: a chart is drawn at the first one, from
#: its own ``aggregate`` on, at which it keeps within the budget.
LEVELS = ("none", "daily-mean", "weekly-mean", "monthly-mean", "yearly-mean")
#: Bytes of CSV parsed at a time when reading a file for its charts.
READ_BLOCK_BYTES = 16 << 20
#: Hourly rows per call of the HJ 633 daily averaging, which holds several copies of its input
#: (and runs fastest on blocks of about this size).
AQI_BLOCK_ROWS = 500_000
#: HJ 633-2012 Annex A colours, used when the standards package cannot be read.
AQI_COLOURS = ["#00E400", "#FFFF00", "#FF7E00", "#FF0000", "#99004C", "#7E0023"]
#: GB 3838 classes I … 劣V, a sequential palette (blue = clean, red = worst).
WATER_CLASSES = ["I", "II", "III", "IV", "V", "劣V"]
WATER_COLOURS = ["#1F5FA8", "#4A9FD8", "#3DA35D", "#E5C12E", "#E8792B", "#B8232F"]
WATER_NAMES_EN = ["Class I", "Class II", "Class III", "Class IV", "Class V", "Worse than V"]
WATER_NAMES_ZH = ["Ⅰ类", "Ⅱ类", "Ⅲ类", "Ⅳ类", "Ⅴ类", "劣Ⅴ类"]


@dataclass
class RenderedChart:
    """A chart ready for a template."""

    ref: str
    dom_id: str
    title: dict[str, str]
    figure_json: str  # plotly figure (data + layout), compact JSON
    summary: dict[str, str]
    table_columns: list[str]
    table_rows: list[list[str]]
    kind: str = "timeseries"
    note: dict[str, str] = field(default_factory=dict)  # how the display differs from the data
    table_total: int = 0  # rows before the table was capped

    @property
    def data_bytes(self) -> int:
        return len(self.figure_json.encode("utf-8"))

    @property
    def dataset_id(self) -> str:
        """The dataset the chart is drawn from, whose page lists the downloads."""
        return self.ref.split("/", 1)[0]

    @property
    def height(self) -> int:
        """The figure's height in pixels, so the page can reserve the space before plotly draws."""
        return int(json.loads(self.figure_json)["layout"].get("height", 380))

    @property
    def table_capped(self) -> bool:
        return self.table_total > len(self.table_rows)


_FRAMES: dict[tuple, pd.DataFrame] = {}  # by file digest, schema and zone: one parse per build


def read_resource(resource: Resource, tz: str = "Asia/Shanghai") -> pd.DataFrame:
    """Read a released CSV with its schema's types (times in the city's zone).

    Charts, indicators, warnings, figures and derived datasets all read the same files in one
    build: each file is parsed once, cached by the SHA-256 of its bytes (so a changed file is
    read again), and every caller gets its own copy.

    This is the one reader of released data for public use, so it drops every ``sensitive``
    column, as the downloads do: no chart, AQI, warning, figure or derived table can show one."""
    data = Path(resource.path).read_bytes()
    key = (hashlib.sha256(data).hexdigest(), tz, tuple(resource.missing_values),
           tuple((f.name, f.type, f.sensitive) for f in resource.fields))
    if key not in _FRAMES:
        if len(_FRAMES) > 16:
            _FRAMES.clear()
        frame = _parse_resource(resource, io.BytesIO(data), tz)
        _FRAMES[key] = frame.drop(columns=[f.name for f in resource.fields if f.sensitive], errors="ignore")
    return _FRAMES[key].copy()


AIR_POLLUTANTS = ("so2", "no2", "co", "o3", "pm10", "pm25")


def read_air_hourly(dataset: Dataset, tz: str = "Asia/Shanghai") -> pd.DataFrame | None:
    """The dataset's hourly air data as ``station_id, time, <pollutants>`` (columns named by
    their ``parameter``), from every file that has them; None when it has none. A file where
    two fields claim one pollutant is refused (ValueError), never read one way or the other."""
    from .standards import air_columns

    frames = []
    for r in dataset.resources:
        public = [f for f in r.fields if not f.sensitive]  # read_resource drops the others
        by_parameter = air_columns(public)
        present = list(by_parameter)
        if not {"station_id", "time"} <= {f.name for f in public} or not present or not Path(r.path).is_file():
            continue
        frame = read_resource(r, tz)
        hourly = pd.DataFrame({"station_id": frame["station_id"].astype(str), "time": frame["time"]})
        for p in present:
            hourly[p] = frame[by_parameter[p]]
        frames.append(hourly)
    return pd.concat(frames, ignore_index=True) if frames else None


def _parse_resource(resource: Resource, source: io.BytesIO, tz: str) -> pd.DataFrame:
    dtypes = {f.name: "string" for f in resource.fields if f.type in ("string", "date", "datetime")}
    frame = pd.read_csv(
        source, dtype=dtypes, keep_default_na=False, na_values=resource.missing_values or [""],
        encoding="utf-8-sig",
    )
    for f in resource.fields:
        if f.name not in frame:
            continue
        if f.type == "datetime":
            frame[f.name] = pd.to_datetime(frame[f.name], format="ISO8601", utc=True).dt.tz_convert(tz)
        elif f.type == "date":
            frame[f.name] = pd.to_datetime(frame[f.name], format="ISO8601")
        elif f.type in ("number", "integer"):
            frame[f.name] = pd.to_numeric(frame[f.name], errors="coerce")
    return frame


def _chart_columns(resource: Resource, charts: list[Chart]) -> list[str]:
    """The columns of ``resource`` that ``charts`` draw, filter or split by (sensitive ones never)."""
    wanted = {"parameter"}  # data in long format are split by it (see _keys)
    for c in charts:
        wanted |= {c.x, *c.y, *([c.group] if c.group else [])}
        if isinstance(c.options.get("filter"), dict):
            wanted |= {str(k) for k in c.options["filter"]}
        wanted |= {str(c.options[k]) for k in ("split", "limit") if c.options.get(k)}
    return [f.name for f in resource.fields if f.name in wanted and not f.sensitive]


def _read_columns(resource: Resource, columns: list[str], tz: str) -> pd.DataFrame:
    """``columns`` of a released CSV, typed as :func:`read_resource` types them, read by pyarrow
    from the file itself (in parallel, no other column parsed, no copy of the bytes).

    A file pyarrow would read otherwise than pandas (a time without its UTC offset, text in a
    number column, missing values other than the empty cell) goes to :func:`read_resource`."""
    fields = {f.name: f for f in resource.fields}
    types: dict[str, pa.DataType] = {}
    for name in columns:
        kind = fields[name].type
        if kind == "datetime":
            types[name] = pa.timestamp("us", tz="UTC")
        elif kind in ("string", "date"):
            types[name] = pa.string()
        elif kind not in ("number", "integer"):  # numbers: int64 when every cell is one, as pandas
            return _read_slowly(resource, columns, tz)
    if list(resource.missing_values or [""]) != [""]:
        return _read_slowly(resource, columns, tz)
    options = {"parse_options": pacsv.ParseOptions(newlines_in_values=True),
               "convert_options": pacsv.ConvertOptions(include_columns=columns, column_types=types, null_values=[""],
                                                       strings_can_be_null=True, quoted_strings_can_be_null=True)}
    try:
        try:  # a block at a time: the reader's buffers never hold the whole file (half the memory)
            table = pacsv.open_csv(resource.path, read_options=pacsv.ReadOptions(block_size=READ_BLOCK_BYTES),
                                   **options).read_all()
        except pa.ArrowInvalid:  # a number column typed from the first block only, then text or decimals
            table = pacsv.read_csv(resource.path, **options)
    except (pa.ArrowException, KeyError):  # a missing column, a cell that does not convert
        return _read_slowly(resource, columns, tz)
    for name in columns:
        kind = table.schema.field(name).type
        if pa.types.is_null(kind):  # every cell empty: pandas makes it a float column
            table = table.set_column(table.schema.get_field_index(name), name, table.column(name).cast(pa.float64()))
        elif name not in types and not (pa.types.is_int64(kind) or pa.types.is_float64(kind)):
            return _read_slowly(resource, columns, tz)
    frame = table.to_pandas(split_blocks=True, self_destruct=True)  # frees each Arrow column once converted
    del table
    pa.default_memory_pool().release_unused()  # else the allocator keeps what the reader used
    for name in columns:
        kind = fields[name].type
        if kind == "datetime":
            frame[name] = frame[name].dt.tz_convert(tz)
        elif kind == "date":
            frame[name] = pd.to_datetime(frame[name], format="ISO8601")
        elif kind == "string":
            frame[name] = frame[name].astype("string")
    return frame


def _read_slowly(resource: Resource, columns: list[str], tz: str) -> pd.DataFrame:
    frame = read_resource(resource, tz)
    return frame[[c for c in columns if c in frame]]


# -- computations shared by the charts of one frame ----------------------------------------------

_SHARED: dict[int, tuple[weakref.ref, dict[tuple, Any]]] = {}


def _shared(frame: pd.DataFrame, key: tuple, compute: Callable[[], Any]) -> Any:
    """``compute()``, once per data frame and ``key``: the charts drawn from one frame, and the
    two languages of each chart, share their keys, means and daily AQI, which on years of hourly
    data cost far more than drawing. Kept while the frame lives (a frame is never changed once
    charts are drawn from it); what is returned must not be changed either."""
    ident = id(frame)
    entry = _SHARED.get(ident)
    if entry is None or entry[0]() is not frame:
        entry = _SHARED[ident] = (weakref.ref(frame, lambda ref: _forget(ident, ref)), {})
    values = entry[1]
    if key not in values:
        values[key] = compute()
    return values[key]


def _forget(ident: int, ref: weakref.ref) -> None:
    if ident in _SHARED and _SHARED[ident][0] is ref:
        del _SHARED[ident]


def _spec(chart: Chart) -> tuple:
    """What a chart's data depend on (not its id or title): charts alike share their computations."""
    return (chart.kind, chart.x, tuple(chart.y), chart.group, chart.aggregate,
            json.dumps(chart.options, sort_keys=True, default=str))


# -- shared helpers ------------------------------------------------------------------------------


def _is_time(series: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(series)


def _naive(series: pd.Series) -> pd.Series:
    return series.dt.tz_localize(None) if getattr(series.dt, "tz", None) is not None else series


def _label(resource: Resource, column: str, lang: str) -> str:
    f = resource.field(column)
    if f is None:
        return column
    unit = f" ({f.unit})" if f.unit else ""
    return f.title.get(lang) + unit


def _x_values(series: pd.Series) -> list[str | None]:
    """Short, zone-free strings: plotly draws them as given, which is the city's local time."""
    if not _is_time(series):
        return [None if pd.isna(v) else v for v in series.tolist()]
    naive = _naive(series)
    has_time = bool((naive.dt.hour != 0).any() or (naive.dt.minute != 0).any())
    fmt = "%Y-%m-%d %H:%M" if has_time else "%Y-%m-%d"
    return [None if pd.isna(v) else v.strftime(fmt) for v in naive]


def _num(value: Any) -> float | int | None:
    """A JSON-safe rounded number (NaN becomes null, never the invalid ``NaN`` token)."""
    if value is None or pd.isna(value):
        return None
    value = float(value)
    if math.isinf(value):
        return None
    if value == int(value) and abs(value) < 1e15:
        return int(value)
    return float(f"{value:.4g}") if abs(value) < 100 else round(value, 1)


def _numbers(series: pd.Series) -> list[float | int | None]:
    return [_num(v) for v in series.tolist()]


def _layout(lang: str, x_title: str, y_title: str, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "font": {"family": FONT, "size": 13, "color": "#1a1a1a"},
        "margin": {"l": 60, "r": 16, "t": 16, "b": 56},
        "height": 380,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "legend": {"orientation": "h", "y": -0.3, "x": 0, "yanchor": "top"},
        "xaxis": {"title": {"text": x_title}, "gridcolor": "#e5e5e5", "automargin": True},
        "yaxis": {"title": {"text": y_title}, "gridcolor": "#e5e5e5", "rangemode": "tozero", "automargin": True},
        "hoverlabel": {"font": {"family": FONT}},
        "separators": ".,",
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(layout.get(key), dict):
            layout[key] = {**layout[key], **value}
        else:
            layout[key] = value
    return layout


def _time_axis(traces: list[dict[str, Any]]) -> dict[str, Any]:
    """ISO-style date ticks (plotly's default names months in English, even on Chinese pages)."""
    sample = next((x for t in traces for x in t.get("x", []) if isinstance(x, str)), None)
    if sample is None or len(sample) < 10 or sample[4] != "-":
        return {}
    fmt = "%m-%d %H:%M" if len(sample) > 10 else "%Y-%m-%d"
    return {"tickformat": fmt, "hoverformat": "%Y-%m-%d %H:%M" if len(sample) > 10 else "%Y-%m-%d"}


#: Keys whose strings are our own plotly templates (``<br>``, ``<extra>``), never content text.
OWN_TEMPLATES = frozenset({"hovertemplate", "texttemplate"})


def plain_text(value: Any, key: str = "") -> Any:
    """``value`` with every string made plain text for plotly, which draws ``<a href>``, ``<b>``
    and the like in titles, names, labels and category values as live markup: ``&``, ``<`` and
    ``>`` become entities, which plotly shows as the characters themselves."""
    if isinstance(value, str):
        if key in OWN_TEMPLATES:
            return value
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if isinstance(value, dict):
        return {k: plain_text(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_text(v, key) for v in value]
    return value


def _dumps(data: list[dict[str, Any]], layout: dict[str, Any]) -> str:
    # Every string of the figure passes through plain_text: titles, trace names, axis labels,
    # category values, colour bars, legends, annotations (a field title from content is not markup).
    text = json.dumps(plain_text({"data": data, "layout": layout}), separators=(",", ":"), ensure_ascii=False,
                      sort_keys=True, allow_nan=False)
    # The JSON sits in a <script> element: a "</script>" in a title must not end it.
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


def _fmt(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if isinstance(value, pd.Timestamp):
        with_time = value.tzinfo is not None or value.hour or value.minute  # hourly data keep their time
        return value.strftime("%Y-%m-%d %H:%M") if with_time else value.strftime("%Y-%m-%d")
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1 else f"{value:.1f}"
    return str(value)


def _cap(rows: list[list[str]]) -> tuple[list[list[str]], int]:
    """The most recent rows of a long table (the full data are in the downloads)."""
    return rows[-MAX_TABLE_ROWS:], len(rows)


# -- series, periods and the budget --------------------------------------------------------------

MEAN = "\x00mean"  # the series of the mean of all groups, drawn first when groups are summarised
#: How a note names the groups, by the registry list their column references.
GROUP_NOUNS = {"air_stations": ("站点", "stations"), "water_sections": ("断面", "sections"),
               "enterprises": ("企业", "enterprises")}
AGGREGATE_NAMES = {
    "daily-mean": ("日均值", "daily means"),
    "weekly-mean": ("周均值（周一至周日）", "weekly means (Monday to Sunday)"),
    "monthly-mean": ("月均值", "monthly means"),
    "yearly-mean": ("年均值", "yearly means"),
}


@dataclass
class _Keys:
    """The rows a chart draws from, each with its series and local day as small integers, so
    that grouping millions of rows is integer arithmetic."""

    rows: pd.DataFrame  # the frame, or the rows ``options.filter`` keeps
    chart: Chart  # as drawn: ``group`` is "_series" when the data are split by parameter
    codes: np.ndarray  # each row's series: an index into ``series`` (-1: none)
    series: pd.Index  # the series (group values, or "group|parameter"), sorted
    day: np.ndarray | None  # each row's local day: an index into ``days`` (-1: none); None unless x is a time
    days: np.ndarray | None  # the distinct days as day numbers (since 1970-01-01), sorted
    split: dict[str, tuple[str, str]] = field(default_factory=dict)  # series → (group value, parameter)

    def present_days(self) -> np.ndarray:
        """The days (day numbers) that some row falls on."""
        assert self.day is not None and self.days is not None
        return self.days[np.bincount(self.day[self.day >= 0], minlength=len(self.days)) > 0]


def _local_days(times: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each time's local day, as an index into the sorted distinct days (-1: no time), and those days."""
    day = _naive(times).to_numpy().astype("datetime64[D]")
    valid = ~np.isnat(day)
    codes = np.full(len(day), -1, dtype=np.int64)
    codes[valid], days = pd.factorize(day[valid].astype(np.int64), sort=True)
    return codes, np.asarray(days, dtype=np.int64)


def _group_codes(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, pd.Index]:
    """Each row's value of ``column`` as an index into its sorted distinct values (-1: none)."""
    return _shared(frame, ("codes", column), lambda: pd.factorize(frame[column], sort=True))


def _keys(frame: pd.DataFrame, chart: Chart, select: bool = True) -> _Keys:
    """The rows of ``frame`` that ``chart`` draws (``options.filter``) and their series: the
    group, or, for data in long format (one row per parameter, as emissions reports are), one
    series per group and parameter (``options.split``, by default the column ``parameter`` when
    it holds several values), so that values of different parameters are never joined into one
    line. ``select=False``: every row, by group."""
    keep = None
    wanted = chart.options.get("filter") if select else None
    if isinstance(wanted, dict):
        keep = np.ones(len(frame), dtype=bool)
        for column, values in wanted.items():
            if column in frame:
                values = values if isinstance(values, list) else [values]
                keep &= frame[column].astype(str).isin([str(v) for v in values]).to_numpy()
    rows = frame if keep is None else frame[keep]
    split = chart.options.get("split") if select else None
    if select and split is None and not wanted and "parameter" in rows and rows["parameter"].nunique() > 1:
        split = "parameter"
    labels: dict[str, tuple[str, str]] = {}
    if split and split in rows:
        group = rows[chart.group].astype(str) if chart.group else pd.Series("", index=rows.index)
        codes, series = pd.factorize(group + "|" + rows[split].astype(str), sort=True)
        labels = {k: tuple(k.split("|", 1)) for k in series}
        chart = replace(chart, group="_series")
    elif chart.group:
        codes, series = _group_codes(frame, chart.group)
        codes = codes if keep is None else codes[keep]
    else:
        codes, series = np.zeros(len(rows), dtype=np.int64), pd.Index([None])
    day = days = None
    if _is_time(frame[chart.x]):
        day, days = _shared(frame, ("days", chart.x), lambda: _local_days(frame[chart.x]))
        day = day if keep is None else day[keep]
    return _Keys(rows, chart, np.asarray(codes), series, day, days, labels)


def _period_starts(days: np.ndarray, level: str) -> np.ndarray:
    """The first day of the period (day, week from Monday, month, year) that each day is in."""
    if level == "daily-mean":
        return days
    if level == "weekly-mean":
        return days - (days - 4) % 7  # 1970-01-05 was a Monday
    unit = "M" if level == "monthly-mean" else "Y"
    return days.astype("datetime64[D]").astype(f"datetime64[{unit}]").astype("datetime64[D]").astype(np.int64)


def _periods(keys: _Keys, level: str) -> tuple[np.ndarray, pd.Series]:
    """Each row's period at ``level`` as an index into the periods (-1: none), and the periods'
    labels: their first day (a week's Monday, but never before the first day with data), or at
    level "none" the values of x themselves."""
    if level == "none":
        codes, values = pd.factorize(keys.rows[keys.chart.x], sort=True)
        return codes, pd.Series(values)
    assert keys.day is not None and keys.days is not None
    of_day, starts = pd.factorize(_period_starts(keys.days, level), sort=True)
    period = np.where(keys.day >= 0, of_day[keys.day], -1)
    starts = np.asarray(starts, dtype=np.int64)
    if level == "weekly-mean" and (keys.day >= 0).any():
        starts = np.maximum(starts, keys.present_days()[0])
    return period, pd.Series(pd.to_datetime(starts.astype("datetime64[D]")))


def _reduce(keys: _Keys, level: str, values: dict[str, np.ndarray], how: str = "mean",
            by_series: bool = True) -> pd.DataFrame:
    """``how`` (mean, max) of ``values`` (arrays as long as the rows) per series and period, or
    per period over every series: rows of the group (when the chart has one and ``by_series``),
    x and the values, sorted by series and period."""
    chart = keys.chart
    period, labels = _periods(keys, level)
    ok = (keys.codes >= 0) & (period >= 0)
    key = keys.codes[ok] * len(labels) + period[ok] if by_series else period[ok]
    reduced = pd.DataFrame({c: v[ok] for c, v in values.items()}).groupby(key, sort=True).agg(how)
    found = reduced.index.to_numpy()
    data = reduced.reset_index(drop=True)
    data.insert(0, chart.x, labels.take(found % len(labels)).reset_index(drop=True))
    if chart.group and by_series:
        data.insert(0, chart.group, keys.series.take(found // len(labels)))
    return data


def _numeric(keys: _Keys, columns: list[str]) -> dict[str, np.ndarray]:
    return {c: keys.rows[c].to_numpy(dtype=float, na_value=np.nan) for c in columns}


def _means(keys: _Keys, level: str, columns: list[str]) -> pd.DataFrame:
    """The mean of ``columns`` per series and period, rounded: rows of group (when the chart has
    one), x and ``columns``, sorted by series and period. At level "none", the rows themselves."""
    chart = keys.chart
    if level != "none":
        return _reduce(keys, level, _numeric(keys, columns)).round({c: 3 for c in columns})
    rows = keys.codes >= 0
    data = keys.rows[[chart.x, *columns]][rows].reset_index(drop=True)
    if chart.group:
        data.insert(0, chart.group, keys.series.take(keys.codes[rows]))
    return data.sort_values([*([chart.group] if chart.group else []), chart.x])


def _mean_of_all(keys: _Keys, level: str, columns: list[str]) -> pd.DataFrame:
    """The mean of ``columns`` over every series, per period (per value of x at level "none")."""
    data = _reduce(keys, level, _numeric(keys, columns), by_series=False).round({c: 3 for c in columns})
    if keys.chart.group:
        data.insert(0, keys.chart.group, MEAN)
    return data


def _highest(keys: _Keys, values: np.ndarray, count: int) -> list[int]:
    """The ``count`` series with the highest mean of ``values`` (ties: in series order)."""
    n = len(keys.series)
    ok = (keys.codes >= 0) & ~np.isnan(values)
    sums = np.bincount(keys.codes[ok], weights=values[ok], minlength=n)
    counts = np.bincount(keys.codes[ok], minlength=n)
    means = np.where(counts > 0, sums / np.maximum(counts, 1), -np.inf)
    return [int(i) for i in np.lexsort((np.arange(n), -means))[:count]]


def _level(keys: _Keys, drawn: list[int], with_mean: bool, per_series: int, start: str,
           max_periods: int | None = None, levels: tuple[str, ...] = LEVELS) -> str:
    """The display aggregate: ``start`` or the first coarser one of ``levels`` at which the drawn
    series (``per_series`` values each per period) keep within MAX_POINTS, and within
    ``max_periods`` periods. A chart whose x is not a time keeps ``start``."""
    if keys.day is None:
        return start
    series = (len(drawn) + with_mean) * per_series
    present = keys.present_days()
    for level in levels[levels.index(start):]:
        if level == "none":
            counts = np.bincount(keys.codes[keys.codes >= 0], minlength=len(keys.series))
            points = int(counts[drawn].sum()) * per_series
            periods = 0
            if points <= MAX_POINTS and (with_mean or max_periods):
                periods = int(keys.rows[keys.chart.x][keys.codes >= 0].nunique())
                points += periods * per_series * with_mean
        else:
            periods = len(np.unique(_period_starts(present, level)))
            points = periods * series
        if points <= MAX_POINTS and (max_periods is None or periods <= max_periods):
            return level
    return levels[-1]


def _group_noun(resource: Resource, chart: Chart) -> tuple[str, str]:
    if chart.group == "_series":
        return "系列", "series"
    f = resource.field(chart.group) if chart.group else None
    return GROUP_NOUNS.get(f.references if f and f.references else "", ("组", "groups"))


def _which_groups(resource: Resource, chart: Chart, total: int, shown: int, how: str) -> tuple[str, str]:
    """How a note names the groups drawn: "mean" (the mean of all and the highest), "highest",
    "worst" (water quality), "aqi" (the mean of all and the highest mean AQI)."""
    zh, en = _group_noun(resource, chart)
    if how == "mean":
        return (f"全部 {total} 个{zh}的平均及平均值最高的 {shown} 个{zh}",
                f"the mean of all {total} {en} and the {shown} {en} with the highest mean")
    if how == "aqi":
        return (f"全部 {total} 个{zh}的平均及平均空气质量指数最高的 {shown} 个{zh}",
                f"the mean of all {total} {en} and the {shown} {en} with the highest mean AQI")
    if how == "worst":
        return (f"水质最差的 {shown} 个{zh}（共 {total} 个）", f"the {shown} {en} with the worst water quality (of {total})")
    return f"平均值最高的 {shown} 个{zh}（共 {total} 个）", f"the {shown} {en} with the highest mean (of {total})"


def _note(what: tuple[str, str] | None, groups: tuple[str, str] | None = None) -> dict[str, str]:
    """The note under a chart drawn otherwise than from every value: what it shows (``what``:
    means, a window, classes of means), of which groups, and where every value is."""
    if what is None and groups is None:
        return {}
    if what and groups:
        zh, en = f"{groups[0]}的{what[0]}", f"{what[1]} for {groups[1]}"
    else:
        zh, en = what or groups  # type: ignore[misc]
    return {"zh": f"图中为{zh}；完整数据见下载文件。", "en": f"The chart shows {en}; the downloads hold every value."}


@dataclass
class _Plain:
    """What a timeseries, bar, limits or heatmap chart draws, in either language."""

    chart: Chart  # as drawn (see _Keys)
    aggregate: str
    data: pd.DataFrame  # every series at the display aggregate: for the summary and exceedances
    drawn: pd.DataFrame  # the series drawn (the mean of all as MEAN), same columns
    order: list[Any]  # their group values in drawing order ([None] without a group)
    total: int  # series in the data
    summarised: bool  # drawn: the mean of all (but for limits) and the highest
    split: dict[str, tuple[str, str]]


def _plain(frame: pd.DataFrame, chart: Chart) -> _Plain:
    return _shared(frame, ("plain", *_spec(chart)), lambda: _plain_data(frame, chart))


def _plain_data(frame: pd.DataFrame, chart: Chart) -> _Plain:
    keys = _keys(frame, chart)
    chart = keys.chart
    columns = [c for c in chart.y if c in frame]
    total = len(keys.series)
    summarised = total > MAX_GROUPS
    with_mean = summarised and chart.kind != "limits"  # a mean of enterprises has no permit limit
    if summarised:
        first = keys.rows[chart.y[0]].to_numpy(dtype=float, na_value=np.nan)
        drawn = _highest(keys, first, SUMMARY_SERIES - with_mean)
    else:
        drawn = list(range(total))
    level = _level(keys, drawn, with_mean, max(1, len(chart.y)), chart.aggregate,
                   MAX_PERIODS if chart.kind == "bar" else None)
    data = _means(keys, level, columns)
    order = [keys.series[i] for i in drawn] if chart.group else [None]
    shown = data
    if summarised:
        shown = data[data[chart.group].isin(order)]
        if with_mean:
            shown = pd.concat([_mean_of_all(keys, level, columns), shown], ignore_index=True)
            order = [MEAN, *order]
    if level == "yearly-mean":
        data, shown = _as_years(data, chart.x), _as_years(shown, chart.x)
    return _Plain(chart, level, data, shown, order, total, summarised, keys.split)


def _as_years(data: pd.DataFrame, x: str) -> pd.DataFrame:
    """Yearly means labelled by their year (a category axis), not by their first day."""
    return data.assign(**{x: data[x].dt.strftime("%Y")})


def _plain_names(plain: _Plain, resource: Resource, names: dict[str, str], lang: str) -> dict[str, str]:
    """Display names of the series: the group's name, with its parameter for split data, and the mean."""
    names = dict(names)
    for key, (group, parameter) in plain.split.items():
        names[key] = " · ".join(p for p in (names.get(group, group), parameter) if p)
    names[MEAN] = _mean_name(resource, plain.chart, plain.total, lang)
    return names


def _mean_name(resource: Resource, chart: Chart, total: int, lang: str) -> str:
    zh, en = _group_noun(resource, chart)
    return f"全部 {total} 个{zh}平均" if lang == "zh" else f"Mean of all {total} {en}"


def _plain_note(plain: _Plain, chart: Chart, resource: Resource) -> dict[str, str]:
    what = AGGREGATE_NAMES.get(plain.aggregate) if plain.aggregate != chart.aggregate else None
    groups = None
    if plain.summarised:
        how = "mean" if MEAN in plain.order else "highest"
        groups = _which_groups(resource, plain.chart, plain.total, len(plain.order) - (how == "mean"), how)
    return _note(what, groups)


def _parts(plain: _Plain) -> list[tuple[Any, pd.DataFrame]]:
    """The drawn series in drawing order, each with its rows."""
    if not plain.chart.group:
        return [(None, plain.drawn)]
    by_group = dict(tuple(plain.drawn.groupby(plain.chart.group, sort=False)))
    return [(g, by_group[g]) for g in plain.order if g in by_group]


# -- the chart kinds -----------------------------------------------------------------------------


def build_chart(dataset: Dataset, chart: Chart, frame: pd.DataFrame, lang: str = "zh",
                names: dict[str, str] | None = None, registry: dict | None = None) -> RenderedChart:
    """Build one chart's figure, summary and table from the resource's data frame.

    ``names`` maps group values (station ids) to display names; ``registry`` gives permit limits
    for ``limits`` charts and section details for ``water-class`` charts. Building the same chart
    from the same frame in the other language reuses the computed data.
    """
    resource = dataset.resource(chart.resource)
    assert resource is not None  # content loading already refused charts without a resource
    names = names or {}
    builder = {
        "aqi-calendar": _aqi_calendar,
        "aqi-levels": _aqi_levels,
        "water-class": _water_class,
        "heatmap": _heatmap,
    }.get(chart.kind, _lines)
    parts = builder(chart, resource, frame, lang, names, registry or {})
    rows, total = _cap(parts["rows"])
    return RenderedChart(
        ref=chart.ref,
        dom_id=f"chart-{chart.dataset}-{chart.id}",
        title={"zh": chart.title.get("zh"), "en": chart.title.get("en")},
        figure_json=_dumps(parts["data"], parts["layout"]),
        summary=parts["summary"],
        table_columns=parts["columns"],
        table_rows=rows,
        kind=chart.kind,
        note=parts.get("note", {}),
        table_total=total,
    )


def _permit_limits(chart: Chart, registry: dict, groups: list[Any]) -> dict[tuple[Any, str], float]:
    """(group, column) → limit: from ``options.limits`` or the enterprises' permit limits."""
    limits: dict[tuple[Any, str], float] = {}
    fixed = chart.options.get("limits") if isinstance(chart.options.get("limits"), dict) else {}
    enterprises = {str(e.get("id")): e for e in registry.get("enterprises") or [] if isinstance(e, dict)}
    fallback = chart.options.get("enterprise")
    for g in groups:
        permit = (enterprises.get(str(g)) or enterprises.get(str(fallback)) or {}).get("permit_limits") or {}
        for column in chart.y:
            value = fixed.get(column, permit.get(column))
            if isinstance(value, (int, float)):
                limits[(g, column)] = float(value)
    return limits


def _lines(chart: Chart, resource: Resource, frame: pd.DataFrame, lang: str,
           names: dict[str, str], registry: dict) -> dict[str, Any]:
    """timeseries, bar and limits."""
    declared = chart
    plain = _plain(frame, chart)
    chart, data = plain.chart, plain.data
    names = _plain_names(plain, resource, names, lang)
    parts = _parts(plain)
    # a column holding the limit, drawn dashed: options.limit, or a y column named "limit"
    limit_column = chart.options.get("limit") or ("limit" if chart.kind == "limits" and "limit" in chart.y else None)
    limits = _permit_limits(chart, registry, [g for g, _ in parts]) if chart.kind == "limits" else {}
    yearly = plain.aggregate == "yearly-mean"
    traces: list[dict[str, Any]] = []
    colour = 0
    for group_value, part in parts:
        x = _x_values(part[chart.x])
        for column in chart.y:
            label = names.get(str(group_value), str(group_value)) if group_value is not None else _label(resource, column, lang)
            if chart.group and len(chart.y) > 1:
                label = f"{label} · {_label(resource, column, lang)}"
            style = PALETTE[colour % len(PALETTE)]
            y = _numbers(part[column])
            if chart.kind == "limits" and column == limit_column:
                # dashed, in the colour of the series it limits (drawn just before it)
                limit_colour = PALETTE[(colour - 1) % len(PALETTE)] if colour else "#B00020"
                traces.append({"type": "scatter", "mode": "lines", "x": x, "y": y, "name": label,
                               "line": {"color": limit_colour, "dash": "dash", "width": 1.5}})
                continue
            if chart.kind == "bar":
                traces.append({"type": "bar", "x": x, "y": y, "name": label, "marker": {"color": style}})
            else:
                traces.append({"type": "scatter", "mode": "lines", "x": x, "y": y, "name": label,
                               "line": {"color": style, "width": 1.5}, "connectgaps": False})
            limit = limits.get((group_value, column))
            if limit is not None and x:
                limit_label = ("排放限值" if lang == "zh" else "Permit limit") + f" {_num(limit)}"
                traces.append({"type": "scatter", "mode": "lines", "x": [x[0], x[-1]], "y": [limit, limit],
                               "name": f"{label} · {limit_label}", "hoverinfo": "skip",
                               "line": {"color": style, "dash": "dash", "width": 1.5}})
            colour += 1
    # a date axis needs no title (and a long legend below would run into it); years are categories
    x_title = "" if _is_time(data[chart.x]) or yearly else _label(resource, chart.x, lang)
    layout = _layout(lang, x_title, _label(resource, chart.y[0], lang),
                     barmode="group", hovermode="x unified" if chart.kind != "bar" else "closest",
                     xaxis={"type": "category"} if yearly else _time_axis(traces))
    columns, rows = _table(plain.drawn, chart, resource, lang, names, plain.order)
    summary = _summary(data, chart, resource, names)
    if chart.kind == "limits" and (limits or limit_column):
        exceed = _exceedances(plain, registry, limit_column)
        summary = {
            "zh": summary["zh"] + f"超过排放限值 {exceed} 次。",
            "en": summary["en"] + f" The permit limit was exceeded {exceed} times.",
        }
    return {"data": traces, "layout": layout, "columns": columns, "rows": rows, "summary": summary,
            "note": _plain_note(plain, declared, resource)}


def _exceedances(plain: _Plain, registry: dict, limit_column: str | None) -> int:
    """Values above their permit limit, in every series (drawn or not) at the display aggregate."""
    chart, data = plain.chart, plain.data
    groups = list(data[chart.group].unique()) if chart.group else [None]
    count = 0
    for (group_value, column), limit in _permit_limits(chart, registry, groups).items():
        if column == limit_column:
            continue
        values = data[column] if group_value is None else data.loc[data[chart.group] == group_value, column]
        count += int((values > limit).sum())
    if limit_column and limit_column in data:
        count += int((data[[c for c in chart.y if c != limit_column]].max(axis=1) > data[limit_column]).sum())
    return count


def _heatmap(chart: Chart, resource: Resource, frame: pd.DataFrame, lang: str,
             names: dict[str, str], registry: dict) -> dict[str, Any]:
    """One row per group, one column per period, coloured by ``y[0]``."""
    declared = chart
    plain = _plain(frame, chart)
    chart, drawn = plain.chart, plain.drawn
    names = _plain_names(plain, resource, names, lang)
    column = chart.y[0]
    if chart.group:
        wide = drawn.pivot_table(index=chart.group, columns=chart.x, values=column, aggfunc="mean")
        wide = wide.reindex([g for g in plain.order if g in wide.index])
        y_labels = [names.get(str(g), str(g)) for g in wide.index]
    else:
        wide = drawn.set_index(chart.x)[[column]].T
        y_labels = [_label(resource, column, lang)]
    x = _x_values(pd.Series(wide.columns))
    z = [[_num(v) for v in row] for row in wide.to_numpy().tolist()]
    gap = 1 if len(x) <= 60 else 0  # gaps between hundreds of thin cells would stripe the map
    trace = {"type": "heatmap", "x": x, "y": y_labels, "z": z, "colorscale": "Viridis", "reversescale": True,
             "colorbar": {"title": {"text": _label(resource, column, lang)}}, "xgap": gap, "ygap": 1,
             "hoverongaps": False}
    layout = _layout(lang, _label(resource, chart.x, lang), "", height=max(240, 60 + 34 * len(y_labels)),
                     yaxis={"rangemode": "normal", "gridcolor": "#ffffff", "autorange": "reversed"},
                     **({"xaxis": {"type": "category"}} if plain.aggregate == "yearly-mean" else {}))
    columns, rows = _table(drawn, chart, resource, lang, names, plain.order)
    return {"data": [trace], "layout": layout, "columns": columns, "rows": rows,
            "summary": _summary(plain.data, chart, resource, names), "note": _plain_note(plain, declared, resource)}


# -- HJ 633 and GB 3838 charts -------------------------------------------------------------------


def _aqi_parameters(chart: Chart, resource: Resource) -> tuple[tuple[str, str], ...]:
    """(column, pollutant) of each ``y`` column: its ``parameter``, else its name."""
    return tuple((c, (resource.field(c).parameter if resource.field(c) else None) or c) for c in chart.y)


def _aqi_daily(frame: pd.DataFrame, chart: Chart, parameters: tuple[tuple[str, str], ...]) -> pd.DataFrame:
    """HJ 633 daily concentrations per station and day (``standards.daily_concentrations``),
    computed a block of whole stations at a time (each station's days depend on its own hours
    only), so that memory stays bounded whatever the years and stations. Meanwhile stations are
    small integers and rows are in hour order, which makes the grouping inside cheap."""
    from .standards import daily_concentrations

    if chart.group:
        codes, values = _group_codes(frame, chart.group)
        stations = np.asarray(values.astype(str), dtype=object)
    else:
        codes, stations = np.zeros(len(frame), dtype=np.int64), np.array(["city"], dtype=object)
    order = np.argsort(codes, kind="stable")
    order = order[np.searchsorted(codes[order], 0):]  # rows without a station sort first: left out
    ends = np.cumsum(np.bincount(codes[order], minlength=len(stations)))
    blocks, start, previous = [], 0, 0
    for end in ends:
        if end - start > AQI_BLOCK_ROWS and previous > start:
            blocks.append(order[start:previous])
            start = previous
        previous = end
    blocks.append(order[start:previous])
    times = frame[chart.x].array
    hours = times.asi8 if _is_time(frame[chart.x]) else None

    def hourly(rows: np.ndarray) -> pd.DataFrame:
        if hours is not None:  # by hour, then station: the grouping inside runs twice as fast
            rows = rows[np.argsort(hours[rows], kind="stable")]
        part = pd.DataFrame({"station_id": codes[rows], "time": times.take(rows)})
        for column, parameter in parameters:
            part[parameter] = frame[column].array.take(rows)
        return part

    daily = pd.concat([daily_concentrations(hourly(rows)) for rows in blocks], ignore_index=True)
    daily["station_id"] = stations[daily["station_id"].to_numpy(dtype=np.int64)]
    return daily.sort_values(["station_id", "date"], ignore_index=True)


def _aqi_report(frame: pd.DataFrame, chart: Chart, resource: Resource, city: bool = False) -> pd.DataFrame:
    """The complete days of the HJ 633 daily AQI report of each station, or of all stations (the
    AQI of their mean concentrations), as the summaries count them (an incomplete day's AQI
    leaves a pollutant out). Computed once per frame for both AQI charts and both languages."""
    from .standards import area_daily_report, station_daily_report

    parameters = _aqi_parameters(chart, resource)

    def compute() -> pd.DataFrame:
        daily = _shared(frame, ("aqi-daily", chart.x, chart.group, parameters),
                        lambda: _aqi_daily(frame, chart, parameters))
        report = area_daily_report(daily, "city") if city else station_daily_report(daily)
        return report[report["completeness"].eq("complete")].dropna(subset=["aqi"])

    return _shared(frame, ("aqi-report", city, chart.x, chart.group, parameters), compute)


class ChartUnavailable(ValueError):
    """A chart that cannot be drawn from its data (the build leaves it out with a warning)."""


def _levels_for(day: Any) -> list[Any]:
    """The AQI levels in force on ``day``; a chart with no complete day has nothing to colour."""
    from .standards import aqi_levels

    if day is None or pd.isna(day):
        raise ChartUnavailable("没有一天的数据完整，无法计算日空气质量指数 / no day is complete, so there is no daily AQI")
    return aqi_levels(date=day)


def _level_name(level: Any, lang: str) -> str:
    return f"{level.category_zh}（{level.numeral_zh}）" if lang == "zh" else level.category_en


def _aqi_calendar(chart: Chart, resource: Resource, frame: pd.DataFrame, lang: str,
                  names: dict[str, str], registry: dict) -> dict[str, Any]:
    """Daily AQI per station and day, in HJ 633 colours (a discrete colour scale on the level):
    the latest year, and for more than MAX_GROUPS stations the mean of all and the highest."""
    report = _aqi_report(frame, chart, resource)
    levels = _levels_for(report["date"].max() if len(report) else None)
    everyone = sorted(report["station_id"].unique())
    first = (pd.Timestamp(report["date"].max()) - pd.DateOffset(years=1) + pd.Timedelta(days=1)).date()
    window = report[report["date"] >= first]
    order: list[Any] = everyone
    if len(everyone) > MAX_GROUPS:
        mean = window.groupby("station_id")["aqi"].mean()
        order = sorted(mean.index, key=lambda s: (-mean[s], s))[:SUMMARY_SERIES - 1]
        city = _aqi_report(frame, chart, resource, city=True)
        window = pd.concat([city[city["date"] >= first].assign(station_id=MEAN),
                            window[window["station_id"].isin(order)]], ignore_index=True)
        order = [MEAN, *order]
    wide = window.pivot_table(index="station_id", columns="date", values="aqi", aggfunc="first").reindex(order)
    level_wide = window.pivot_table(index="station_id", columns="date", values="level", aggfunc="first").reindex_like(wide)
    names = {**names, MEAN: _mean_name(resource, chart, len(everyone), lang)}
    stations = [names.get(str(s), str(s)) for s in wide.index]
    days = [d.isoformat() for d in wide.columns]
    n = len(levels)
    # A discrete scale: level k (1 … n) maps to the band [(k-1)/n, k/n] of its colour.
    scale = []
    for i, level in enumerate(levels):
        scale += [[i / n, level.colour], [(i + 1) / n, level.colour]]
    names_by_level = [_level_name(level, lang) for level in levels]
    text = [[names_by_level[int(v) - 1] if not pd.isna(v) else "" for v in row] for row in level_wide.to_numpy().tolist()]
    trace = {
        "type": "heatmap", "x": days, "y": stations,
        "z": [[_num(v - 0.5) if not pd.isna(v) else None for v in row] for row in level_wide.to_numpy().tolist()],
        "customdata": [[_num(v) for v in row] for row in wide.to_numpy().tolist()],
        "text": text, "zmin": 0, "zmax": n, "colorscale": scale, "xgap": 1 if len(days) <= 60 else 0, "ygap": 1,
        "hoverongaps": False,
        "hovertemplate": "%{y} %{x}<br>AQI %{customdata} · %{text}<extra></extra>",
        "colorbar": {"tickvals": [i + 0.5 for i in range(n)], "ticktext": names_by_level,
                     "title": {"text": "HJ 633"}},
    }
    layout = _layout(lang, "日期" if lang == "zh" else "Date", "", height=max(260, 90 + 30 * len(stations)),
                     yaxis={"rangemode": "normal", "autorange": "reversed", "gridcolor": "#ffffff"},
                     # a few days read best as one labelled cell each; a year as a date axis
                     xaxis={"type": "category" if len(days) <= 31 else "date", "gridcolor": "#ffffff",
                            **({} if len(days) <= 31 else {"tickformat": "%Y-%m"})})
    columns = ["日期" if lang == "zh" else "Date"] + stations
    aqi = wide.to_numpy().tolist()
    rows = [[day] + ["—" if pd.isna(aqi[i][j]) else f"{int(aqi[i][j])} {text[i][j]}" for i in range(len(stations))]
            for j, day in enumerate(days)]
    # the summary counts every station and day, also those the chart leaves out
    good = float((report["aqi"] <= 100).mean())
    worst = report.loc[report["aqi"].astype(float).idxmax()]
    where = names.get(str(worst["station_id"]), str(worst["station_id"]))
    level = names_by_level[int(worst["level"]) - 1]
    start, end = report["date"].min().isoformat(), report["date"].max().isoformat()
    summary = {
        "zh": f"{start} 至 {end}，{len(everyone)} 个站点的日空气质量指数（AQI）中，优良（AQI≤100）的站日占 "
              f"{good:.1%}；最高 AQI 为 {int(worst['aqi'])}（{where}，{worst['date'].isoformat()}，{level}）。",
        "en": f"From {start} to {end}, {good:.1%} of station-days at {len(everyone)} stations had an AQI of "
              f"100 or less (good or excellent); the highest daily AQI was {int(worst['aqi'])} "
              f"({where}, {worst['date'].isoformat()}, {level}).",
    }
    what = None
    if first > report["date"].min():
        what = (f"最近一年（{days[0]} 至 {days[-1]}）的日空气质量指数",
                f"the daily AQI of the latest year ({days[0]} to {days[-1]})")
    groups = _which_groups(resource, chart, len(everyone), len(order) - 1, "aqi") if MEAN in order else None
    return {"data": [trace], "layout": layout, "columns": columns, "rows": rows, "summary": summary,
            "note": _note(what or (("日空气质量指数", "the daily AQI") if groups else None), groups)}


def _aqi_levels(chart: Chart, resource: Resource, frame: pd.DataFrame, lang: str,
                names: dict[str, str], registry: dict) -> dict[str, Any]:
    """Days per HJ 633 level in each month (each year, beyond MAX_PERIODS months), for the city
    (the AQI of the mean of the stations' daily concentrations)."""
    report = _aqi_report(frame, chart, resource, city=True)
    levels = _levels_for(report["date"].max() if len(report) else None)
    periods = [d.strftime("%Y-%m") for d in report["date"]]
    yearly = len(set(periods)) > MAX_PERIODS
    if yearly:
        periods = [p[:4] for p in periods]
    counts = report.assign(period=periods).groupby(["period", "level"]).size().unstack("level").reindex(
        columns=[lv.level for lv in levels]).fillna(0).astype(int)
    months = list(counts.index)
    traces = []
    for level in levels:
        traces.append({"type": "bar", "x": months, "y": [int(v) for v in counts[level.level].tolist()],
                       "name": _level_name(level, lang), "marker": {"color": level.colour,
                       "line": {"color": "#555555", "width": 0.5}}})
    period_name = ("年份" if lang == "zh" else "Year") if yearly else ("月份" if lang == "zh" else "Month")
    layout = _layout(lang, period_name, "天数" if lang == "zh" else "Days", barmode="stack", xaxis={"type": "category"})
    columns = [period_name] + [_level_name(lv, lang) for lv in levels]
    rows = [[m] + [str(int(v)) for v in counts.loc[m].tolist()] for m in months]
    total = int(counts.to_numpy().sum())
    if total:
        by_level = counts.sum()
        parts_zh = "、".join(f"{lv.category_zh} {int(by_level[lv.level])} 天" for lv in levels if by_level[lv.level])
        parts_en = ", ".join(f"{lv.category_en.lower()} {int(by_level[lv.level])}" for lv in levels if by_level[lv.level])
        good = int(by_level[[lv.level for lv in levels[:2]]].sum())
        summary = {
            "zh": f"{months[0]} 至 {months[-1]} 全市共 {total} 个有效监测日，其中{parts_zh}；优良天数比例 {good / total:.1%}。",
            "en": f"From {months[0]} to {months[-1]} the city had {total} days with a valid AQI: {parts_en}; "
                  f"{good / total:.1%} of days were good or excellent.",
        }
    else:
        summary = {"zh": "图中没有可显示的数据。", "en": "The chart has no values to show."}
    note = _note(("各年各级别的天数", "the days at each level in each year")) if yearly else {}
    return {"data": traces, "layout": layout, "columns": columns, "rows": rows, "summary": summary, "note": note}


def _class_rank(value: Any) -> int | None:
    text = str(value).strip().replace("Ⅰ", "I").replace("Ⅱ", "II").replace("Ⅲ", "III").replace(
        "Ⅳ", "IV").replace("Ⅴ", "V").replace("类", "").upper()
    text = "劣V" if text in ("劣V", ">V", "WORSE THAN V") else text
    return WATER_CLASSES.index(text) + 1 if text in WATER_CLASSES else None


def _water_class(chart: Chart, resource: Resource, frame: pd.DataFrame, lang: str,
                 names: dict[str, str], registry: dict) -> dict[str, Any]:
    """GB 3838 class per section (rows) and period (columns).

    ``y`` is either one column holding the class (``II``, ``Ⅲ类``, ``劣V``) or the measured
    parameters (fields with ``parameter``), from which the class is worked out by the single-factor
    method (publisher.standards.section_class); with ``aggregate`` the parameters are averaged
    per period first, as monthly assessments do. Beyond MAX_PERIODS periods, the classes are of
    monthly (then yearly) means, or the worst of each month (year); beyond MAX_GROUPS sections,
    the SUMMARY_SERIES with the worst water quality are drawn.
    """
    kinds = {str(e.get("id")): e.get("kind", "river") for e in registry.get("water_sections") or []
             if isinstance(e, dict)}
    key = ("water-class", *_spec(chart), json.dumps(kinds, sort_keys=True, default=str))
    data, level, start = _shared(frame, key, lambda: _water_ranks(frame, chart, resource, kinds))
    group = chart.group or "_all"
    wide = data.pivot_table(index=group, columns=chart.x, values="rank", aggfunc="max").sort_index()
    last = [row[-1] for row in wide.to_numpy().tolist() if len(row)]  # every section, drawn or not
    total = len(wide)
    if total > MAX_GROUPS:
        worst = wide.mean(axis=1)
        wide = wide.loc[sorted(wide.index, key=lambda s: (-worst[s] if not pd.isna(worst[s]) else math.inf, s))
                        [:SUMMARY_SERIES]]
    sections_ = [names.get(str(s), str(s)) for s in wide.index]
    if level == "yearly-mean":
        periods = [c.strftime("%Y") for c in wide.columns]
    else:
        periods = _x_values(pd.Series(wide.columns))
    class_names = WATER_NAMES_ZH if lang == "zh" else WATER_NAMES_EN
    z = [[_num(v - 0.5) if not pd.isna(v) else None for v in row] for row in wide.to_numpy().tolist()]
    text = [[class_names[int(v) - 1] if not pd.isna(v) else "" for v in row] for row in wide.to_numpy().tolist()]
    scale = []
    for i, colour in enumerate(WATER_COLOURS):
        scale += [[i / 6, colour], [(i + 1) / 6, colour]]
    trace = {"type": "heatmap", "x": periods, "y": sections_, "z": z, "text": text, "zmin": 0, "zmax": 6,
             "colorscale": scale, "xgap": 1, "ygap": 1, "hoverongaps": False,
             "hovertemplate": "%{y} %{x}<br>%{text}<extra></extra>",
             "colorbar": {"tickvals": [i + 0.5 for i in range(6)], "ticktext": class_names,
                          "title": {"text": "GB 3838"}}}
    layout = _layout(lang, _label(resource, chart.x, lang), "", height=max(240, 90 + 30 * len(sections_)),
                     yaxis={"rangemode": "normal", "autorange": "reversed", "gridcolor": "#ffffff"},
                     **({"xaxis": {"type": "category"}} if level == "yearly-mean" else {}))
    columns = [_label(resource, chart.x, lang)] + sections_
    rows = [[p] + [text[i][j] or "—" for i in range(len(sections_))] for j, p in enumerate(periods)]
    valid = [int(v) for v in last if not pd.isna(v)]
    if valid:
        good = sum(1 for v in valid if v <= 3)
        worst_ = sum(1 for v in valid if v == 6)
        summary = {
            "zh": f"最近一期（{periods[-1]}）{len(valid)} 个断面中，达到或优于Ⅲ类的 {good} 个，劣Ⅴ类 {worst_} 个。",
            "en": f"In the latest period ({periods[-1]}), {good} of {len(valid)} sections met class III or better "
                  f"and {worst_} were worse than class V.",
        }
    else:
        summary = {"zh": "图中没有可显示的数据。", "en": "The chart has no values to show."}
    what = None
    if level != start:
        what = {("monthly-mean", True): ("各月最差的水质类别", "the worst class in each month"),
                ("yearly-mean", True): ("各年最差的水质类别", "the worst class in each year"),
                ("monthly-mean", False): ("月均值的水质类别", "the classes of monthly means"),
                ("yearly-mean", False): ("年均值的水质类别", "the classes of yearly means"),
                }[(level, _class_column(chart, resource))]
    groups = _which_groups(resource, chart, total, SUMMARY_SERIES, "worst") if total > MAX_GROUPS else None
    return {"data": [trace], "layout": layout, "columns": columns, "rows": rows, "summary": summary,
            "note": _note(what or (("水质类别", "the water-quality classes") if groups else None), groups)}


def _class_column(chart: Chart, resource: Resource) -> bool:
    """Whether a water-class chart reads the class from one text column (else from measurements)."""
    first = resource.field(chart.y[0])
    return len(chart.y) == 1 and first is not None and first.type == "string"


def _water_ranks(frame: pd.DataFrame, chart: Chart, resource: Resource,
                 kinds: dict[str, Any]) -> tuple[pd.DataFrame, str, str]:
    """(group, period, rank of the class 1…6) of every section at the display aggregate; that
    aggregate; and the one the chart asks for."""
    group = chart.group or "_all"
    work = frame.assign(_all="city") if not chart.group else frame
    keys = _keys(work, replace(chart, group=group), select=False)
    by_class = _class_column(chart, resource)
    # a class column is summarised by the worst class of each month, measurements by their means
    start = ("monthly-mean" if chart.aggregate != "none" else "none") if by_class else chart.aggregate
    levels = (start, *(lv for lv in ("monthly-mean", "yearly-mean") if LEVELS.index(lv) > LEVELS.index(start)))
    drawn = len(keys.series) if len(keys.series) <= MAX_GROUPS else SUMMARY_SERIES
    level = _level(keys, list(range(drawn)), False, 1, start, MAX_PERIODS, levels)
    if by_class:
        codes, found = pd.factorize(work[chart.y[0]])
        ranks = np.array([_class_rank(v) for v in found] + [None], dtype=float)[codes]  # -1 (empty): no class
        return _reduce(keys, level, {"rank": ranks}, how="max"), level, start
    from .standards import section_class

    means = _means(keys, level, [c for c in chart.y if c in work])
    params = {c: (resource.field(c).parameter or c) for c in chart.y if resource.field(c)}
    ranks = []
    for row in means.to_dict("records"):
        sample = {params[c]: row[c] for c in params if not pd.isna(row[c])}
        day = row[chart.x]
        kind = kinds.get(str(row[group]), "river")
        try:
            result = section_class(sample, kind, day.date() if hasattr(day, "date") else day)
            ranks.append(_class_rank(result.water_class) if result.water_class else None)
        except (ValueError, LookupError, TypeError):
            ranks.append(None)
    return means[[group, chart.x]].assign(rank=ranks), level, start


# -- table and summary of the plain kinds --------------------------------------------------------


def _table(data: pd.DataFrame, chart: Chart, resource: Resource, lang: str,
           names: dict[str, str], order: list[Any]) -> tuple[list[str], list[list[str]]]:
    """A wide table (one column per series drawn, in drawing order) of the displayed values."""
    if chart.group:
        wide = data.pivot_table(index=chart.x, columns=chart.group, values=chart.y[0], aggfunc="mean")
        wide = wide.reindex(columns=[g for g in order if g in wide.columns])
        columns = [_label(resource, chart.x, lang)] + [names.get(str(c), str(c)) for c in wide.columns]
    else:
        wide = data.set_index(chart.x)[chart.y]
        columns = [_label(resource, chart.x, lang)] + [_label(resource, c, lang) for c in chart.y]
    wide = wide.sort_index()
    rows = [[_fmt(idx)] + [_fmt(v) for v in row] for idx, row in zip(wide.index, wide.to_numpy().tolist())]
    return columns, rows


def _summary(data: pd.DataFrame, chart: Chart, resource: Resource, names: dict[str, str]) -> dict[str, str]:
    """One or two sentences a screen reader can read instead of the chart."""
    column = chart.y[0]
    values = data[column].dropna()
    field_ = resource.field(column)
    unit = field_.unit if field_ and field_.unit else ""
    if values.empty:
        return {"zh": "图中没有可显示的数据。", "en": "The chart has no values to show."}
    x = data[chart.x]
    start, end = _fmt(x.min()), _fmt(x.max())
    peak = data.loc[values.idxmax()]
    if chart.group:
        station = names.get(str(peak[chart.group]), str(peak[chart.group]))
        peak_where = f"（{station}，{_fmt(peak[chart.x])}）"
        peak_where_en = f" ({station}, {_fmt(peak[chart.x])})"
    else:
        peak_where = f"（{_fmt(peak[chart.x])}）"
        peak_where_en = f" ({_fmt(peak[chart.x])})"
    title_zh = field_.title.get("zh") if field_ else column
    title_en = field_.title.get("en") if field_ else column
    return {
        "zh": f"{start} 至 {end}，{title_zh}平均值 {_fmt(float(values.mean()))} {unit}，"
              f"最高 {_fmt(float(values.max()))} {unit}{peak_where}，最低 {_fmt(float(values.min()))} {unit}。",
        "en": f"From {start} to {end}, {title_en} averaged {_fmt(float(values.mean()))} {unit}; "
              f"highest {_fmt(float(values.max()))} {unit}{peak_where_en}, lowest {_fmt(float(values.min()))} {unit}.",
    }


#: plotly.js's "cartesian" bundle from npm (scatter, bar, heatmap: every kind the portal draws),
#: a third of the full bundle's size; see its README.md.
CARTESIAN_BUNDLE = (Path(__file__).resolve().parent.parent / "themes" / "portal" / "vendor"
                    / "plotly.js-cartesian-dist-min" / "plotly-cartesian.min.js")


def plotly_js() -> str:
    """The plotly.js bundle served from the site itself: the vendored cartesian bundle, else the
    full bundle shipped with the plotly package."""
    if CARTESIAN_BUNDLE.is_file():
        return CARTESIAN_BUNDLE.read_text(encoding="utf-8")
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def registry_names(registry: dict, lang: str = "zh") -> dict[str, str]:
    """Display names of every registry entry by id (stations, sections, enterprises)."""
    names: dict[str, str] = {}
    for entries in registry.values():
        if isinstance(entries, list):
            for e in entries:
                if isinstance(e, dict) and "id" in e:
                    name = e.get("name_en") if lang == "en" and e.get("name_en") else e.get("name")
                    names[str(e["id"])] = str(name or e["id"])
    return names


def dataset_frames(dataset: Dataset, tz: str) -> dict[str, pd.DataFrame]:
    """Read each resource a chart of ``dataset`` uses, once, and only the columns its charts use;
    every chart of the dataset, in both languages, is drawn from that one frame."""
    frames = {}
    for r in dataset.resources:
        charts = [c for c in dataset.charts if c.resource == r.name]
        if charts and Path(r.path).is_file():
            frames[r.name] = _read_columns(r, _chart_columns(r, charts), tz)
    return frames
