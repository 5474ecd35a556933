"""Plotly charts built at build time from released data files.

A chart is a figure (JSON for plotly.js), a short text summary and a small data table, so that
each chart has its numbers one click away and is readable without JavaScript or sight. Large
series are aggregated for display only (daily or monthly means); downloads keep every row.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .content import Chart, Dataset, Resource

# Colour-blind-safe qualitative palette (Okabe-Ito), enough for a city's stations.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
FONT = "Noto Sans CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif"
MAX_TABLE_ROWS = 400
#: Above this many plotted points a chart without an explicit ``aggregate`` is drawn from daily
#: (then monthly) means, so a year of hourly data for ten stations stays a small page.
MAX_POINTS = 6000
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


# -- shared helpers ------------------------------------------------------------------------------


def _is_time(series: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(series)


def _naive(series: pd.Series) -> pd.Series:
    return series.dt.tz_localize(None) if getattr(series.dt, "tz", None) is not None else series


def _effective_aggregate(frame: pd.DataFrame, chart: Chart) -> str:
    """The aggregate used for display: the chart's own, or a coarser one for very long series."""
    if chart.aggregate != "none" or not _is_time(frame[chart.x]):
        return chart.aggregate
    points = len(frame) * max(1, len(chart.y))
    if points <= MAX_POINTS:
        return "none"
    groups = frame[chart.group].nunique() if chart.group else 1
    days = _naive(frame[chart.x]).dt.normalize().nunique()
    return "daily-mean" if days * groups * len(chart.y) <= MAX_POINTS else "monthly-mean"


def _aggregate(frame: pd.DataFrame, chart: Chart, aggregate: str | None = None) -> pd.DataFrame:
    aggregate = aggregate or chart.aggregate
    keys = [chart.group] if chart.group else []
    columns = [c for c in chart.y if c in frame]
    if aggregate == "none":
        return frame[[*keys, chart.x, *columns]].sort_values([*keys, chart.x])
    x = _naive(frame[chart.x])
    period = x.dt.to_period("D" if aggregate == "daily-mean" else "M").dt.start_time
    grouped = frame.assign(**{chart.x: period}).groupby([*keys, chart.x], sort=True)[columns].mean()
    return grouped.round(3).reset_index()


AGGREGATE_NOTES = {
    "daily-mean": ("图中为日均值；完整数据见下载文件。", "The chart shows daily means; the downloads hold every value."),
    "monthly-mean": ("图中为月均值；完整数据见下载文件。", "The chart shows monthly means; the downloads hold every value."),
}


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


# -- the chart kinds -----------------------------------------------------------------------------


def build_chart(dataset: Dataset, chart: Chart, frame: pd.DataFrame, lang: str = "zh",
                names: dict[str, str] | None = None, registry: dict | None = None) -> RenderedChart:
    """Build one chart's figure, summary and table from the resource's data frame.

    ``names`` maps group values (station ids) to display names; ``registry`` gives permit limits
    for ``limits`` charts and section details for ``water-class`` charts.
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


def _note(aggregate: str, chart: Chart) -> dict[str, str]:
    if aggregate == chart.aggregate or aggregate not in AGGREGATE_NOTES:
        return {}
    zh, en = AGGREGATE_NOTES[aggregate]
    return {"zh": zh, "en": en}


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
    frame, chart, names = _long_format(frame, chart, names)
    aggregate = _effective_aggregate(frame, chart)
    data = _aggregate(frame, chart, aggregate)
    groups = list(data.groupby(chart.group, sort=True)) if chart.group else [(None, data)]
    # a column holding the limit, drawn dashed: options.limit, or a y column named "limit"
    limit_column = chart.options.get("limit") or ("limit" if chart.kind == "limits" and "limit" in chart.y else None)
    limits = _permit_limits(chart, registry, [g for g, _ in groups]) if chart.kind == "limits" else {}
    traces: list[dict[str, Any]] = []
    colour = 0
    exceed = 0
    for group_value, part in groups:
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
                exceed += int((part[column] > limit).sum())
                limit_label = ("排放限值" if lang == "zh" else "Permit limit") + f" {_num(limit)}"
                traces.append({"type": "scatter", "mode": "lines", "x": [x[0], x[-1]], "y": [limit, limit],
                               "name": f"{label} · {limit_label}", "hoverinfo": "skip",
                               "line": {"color": style, "dash": "dash", "width": 1.5}})
            colour += 1
    if limit_column and limit_column in data:
        exceed += int((data[[c for c in chart.y if c != limit_column]].max(axis=1) > data[limit_column]).sum())
    # a date axis needs no title (and a long legend below would run into it)
    x_title = "" if _is_time(data[chart.x]) else _label(resource, chart.x, lang)
    layout = _layout(lang, x_title, _label(resource, chart.y[0], lang),
                     barmode="group", hovermode="x unified" if chart.kind != "bar" else "closest",
                     xaxis=_time_axis(traces))
    columns, rows = _table(data, chart, resource, lang, names)
    summary = _summary(data, chart, resource, names)
    if chart.kind == "limits" and (limits or limit_column):
        summary = {
            "zh": summary["zh"] + f"超过排放限值 {exceed} 次。",
            "en": summary["en"] + f" The permit limit was exceeded {exceed} times.",
        }
    return {"data": traces, "layout": layout, "columns": columns, "rows": rows, "summary": summary,
            "note": _note(aggregate, chart)}


def _long_format(frame: pd.DataFrame, chart: Chart, names: dict[str, str]) -> tuple[pd.DataFrame, Chart, dict[str, str]]:
    """Rows filtered by ``options.filter`` ({column: value or [values]}); and data in long format
    (one row per parameter, as emissions reports are) split into one series per group and
    parameter (``options.split``, default the column ``parameter`` when it holds several values),
    so that values of different parameters are never joined into one line."""
    wanted = chart.options.get("filter")
    if isinstance(wanted, dict):
        for column, values in wanted.items():
            if column in frame:
                values = values if isinstance(values, list) else [values]
                frame = frame[frame[column].astype(str).isin([str(v) for v in values])]
    split = chart.options.get("split")
    if split is None and not wanted and "parameter" in frame and frame["parameter"].nunique() > 1:
        split = "parameter"
    if not split or split not in frame:
        return frame, chart, names
    group = frame[chart.group].astype(str) if chart.group else pd.Series("", index=frame.index)
    key = group + "|" + frame[split].astype(str)
    labels = {k: " · ".join(p for p in (names.get(k.split("|")[0], k.split("|")[0]), k.split("|")[1]) if p)
              for k in key.unique()}
    split_chart = Chart(chart.dataset, chart.id, chart.kind, chart.resource, chart.x, chart.y, chart.title,
                        "_series", chart.aggregate, chart.options)
    return frame.assign(_series=key), split_chart, {**names, **labels}


def _heatmap(chart: Chart, resource: Resource, frame: pd.DataFrame, lang: str,
             names: dict[str, str], registry: dict) -> dict[str, Any]:
    """One row per group, one column per period, coloured by ``y[0]``."""
    aggregate = chart.aggregate if chart.aggregate != "none" else _effective_aggregate(frame, chart)
    data = _aggregate(frame, chart, aggregate)
    column = chart.y[0]
    if chart.group:
        wide = data.pivot_table(index=chart.group, columns=chart.x, values=column, aggfunc="mean").sort_index()
        y_labels = [names.get(str(g), str(g)) for g in wide.index]
    else:
        wide = data.set_index(chart.x)[[column]].T
        y_labels = [_label(resource, column, lang)]
    x = _x_values(pd.Series(wide.columns))
    z = [[_num(v) for v in row] for row in wide.to_numpy().tolist()]
    gap = 1 if len(x) <= 60 else 0  # gaps between hundreds of thin cells would stripe the map
    trace = {"type": "heatmap", "x": x, "y": y_labels, "z": z, "colorscale": "Viridis", "reversescale": True,
             "colorbar": {"title": {"text": _label(resource, column, lang)}}, "xgap": gap, "ygap": 1,
             "hoverongaps": False}
    layout = _layout(lang, _label(resource, chart.x, lang), "", height=max(240, 60 + 34 * len(y_labels)),
                     yaxis={"rangemode": "normal", "gridcolor": "#ffffff", "autorange": "reversed"})
    columns, rows = _table(data, chart, resource, lang, names)
    return {"data": [trace], "layout": layout, "columns": columns, "rows": rows,
            "summary": _summary(data, chart, resource, names), "note": _note(aggregate, chart)}


# -- HJ 633 and GB 3838 charts -------------------------------------------------------------------


def _pollutant_frame(chart: Chart, resource: Resource, frame: pd.DataFrame) -> pd.DataFrame:
    """Hourly rows in the standards' column names: station_id, time, so2 … pm25."""
    out = pd.DataFrame({"station_id": frame[chart.group].astype(str) if chart.group else "city",
                        "time": frame[chart.x]})
    for column in chart.y:
        f = resource.field(column)
        out[(f.parameter if f and f.parameter else column)] = frame[column]
    return out


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
    """Daily AQI per station and day, in HJ 633 colours (a discrete colour scale on the level)."""
    from .standards import daily_aqi_report

    report = daily_aqi_report(_pollutant_frame(chart, resource, frame))
    # complete days only, as the summaries count them: an incomplete day's AQI leaves a pollutant out
    report = report[report["completeness"].eq("complete")].dropna(subset=["aqi"])
    levels = _levels_for(report["date"].max() if len(report) else None)
    wide = report.pivot_table(index="station_id", columns="date", values="aqi", aggfunc="first").sort_index()
    level_wide = report.pivot_table(index="station_id", columns="date", values="level", aggfunc="first").reindex_like(wide)
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
    rows = []
    for j, day in enumerate(days):
        row = [day]
        for i in range(len(stations)):
            aqi = wide.iat[i, j]
            row.append("—" if pd.isna(aqi) else f"{int(aqi)} {text[i][j]}")
        rows.append(row)
    if len(report):
        good = float((report["aqi"] <= 100).mean())
        worst = report.loc[report["aqi"].astype(float).idxmax()]
        where = names.get(str(worst["station_id"]), str(worst["station_id"]))
        level = names_by_level[int(worst["level"]) - 1]
        summary = {
            "zh": f"{days[0]} 至 {days[-1]}，{len(stations)} 个站点的日空气质量指数（AQI）中，优良（AQI≤100）的站日占 "
                  f"{good:.1%}；最高 AQI 为 {int(worst['aqi'])}（{where}，{worst['date'].isoformat()}，{level}）。",
            "en": f"From {days[0]} to {days[-1]}, {good:.1%} of station-days at {len(stations)} stations had an AQI of "
                  f"100 or less (good or excellent); the highest daily AQI was {int(worst['aqi'])} "
                  f"({where}, {worst['date'].isoformat()}, {level}).",
        }
    else:
        summary = {"zh": "图中没有可显示的数据。", "en": "The chart has no values to show."}
    return {"data": [trace], "layout": layout, "columns": columns, "rows": rows, "summary": summary}


def _aqi_levels(chart: Chart, resource: Resource, frame: pd.DataFrame, lang: str,
                names: dict[str, str], registry: dict) -> dict[str, Any]:
    """Days per HJ 633 level in each month, for the city (the mean of the stations' daily values)."""
    from .standards import city_daily_report

    report = city_daily_report(_pollutant_frame(chart, resource, frame))
    report = report[report["completeness"].eq("complete")].dropna(subset=["aqi"])  # as the summaries count
    levels = _levels_for(report["date"].max() if len(report) else None)
    report["month"] = [d.strftime("%Y-%m") for d in report["date"]]
    counts = report.groupby(["month", "level"]).size().unstack("level").reindex(
        columns=[lv.level for lv in levels]).fillna(0).astype(int)
    months = list(counts.index)
    traces = []
    for level in levels:
        traces.append({"type": "bar", "x": months, "y": [int(v) for v in counts[level.level].tolist()],
                       "name": _level_name(level, lang), "marker": {"color": level.colour,
                       "line": {"color": "#555555", "width": 0.5}}})
    layout = _layout(lang, "月份" if lang == "zh" else "Month", "天数" if lang == "zh" else "Days",
                     barmode="stack", xaxis={"type": "category"})
    columns = ["月份" if lang == "zh" else "Month"] + [_level_name(lv, lang) for lv in levels]
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
    return {"data": traces, "layout": layout, "columns": columns, "rows": rows, "summary": summary}


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
    per period first, as monthly assessments do.
    """
    group = chart.group or "_all"
    work = frame.assign(_all="city") if not chart.group else frame
    first = resource.field(chart.y[0])
    if len(chart.y) == 1 and first is not None and first.type == "string":
        data = work[[group, chart.x, chart.y[0]]].copy()
        if chart.aggregate != "none":
            data[chart.x] = _naive(data[chart.x]).dt.to_period("M").dt.start_time
        data["rank"] = data[chart.y[0]].map(_class_rank)
        data = data.groupby([group, chart.x], sort=True)["rank"].max().reset_index()
    else:
        from .standards import section_class

        sections = {str(e.get("id")): e for e in registry.get("water_sections") or [] if isinstance(e, dict)}
        means = _aggregate(work, Chart(chart.dataset, chart.id, chart.kind, chart.resource, chart.x, chart.y,
                                       chart.title, group, chart.aggregate, chart.options))
        params = {c: (resource.field(c).parameter or c) for c in chart.y if resource.field(c)}
        ranks = []
        for row in means.to_dict("records"):
            sample = {params[c]: row[c] for c in params if not pd.isna(row[c])}
            day = row[chart.x]
            kind = (sections.get(str(row[group])) or {}).get("kind", "river")
            try:
                result = section_class(sample, kind, day.date() if hasattr(day, "date") else day)
                ranks.append(_class_rank(result.water_class) if result.water_class else None)
            except (ValueError, LookupError, TypeError):
                ranks.append(None)
        data = means[[group, chart.x]].assign(rank=ranks)
    wide = data.pivot_table(index=group, columns=chart.x, values="rank", aggfunc="max").sort_index()
    sections_ = [names.get(str(s), str(s)) for s in wide.index]
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
                     yaxis={"rangemode": "normal", "autorange": "reversed", "gridcolor": "#ffffff"})
    columns = [_label(resource, chart.x, lang)] + sections_
    rows = [[p] + [text[i][j] or "—" for i in range(len(sections_))] for j, p in enumerate(periods)]
    last = [row[-1] for row in wide.to_numpy().tolist() if len(row)]
    valid = [int(v) for v in last if not pd.isna(v)]
    if valid:
        good = sum(1 for v in valid if v <= 3)
        worst = sum(1 for v in valid if v == 6)
        summary = {
            "zh": f"最近一期（{periods[-1]}）{len(valid)} 个断面中，达到或优于Ⅲ类的 {good} 个，劣Ⅴ类 {worst} 个。",
            "en": f"In the latest period ({periods[-1]}), {good} of {len(valid)} sections met class III or better "
                  f"and {worst} were worse than class V.",
        }
    else:
        summary = {"zh": "图中没有可显示的数据。", "en": "The chart has no values to show."}
    return {"data": [trace], "layout": layout, "columns": columns, "rows": rows, "summary": summary}


# -- table and summary of the plain kinds --------------------------------------------------------


def _table(data: pd.DataFrame, chart: Chart, resource: Resource, lang: str,
           names: dict[str, str]) -> tuple[list[str], list[list[str]]]:
    """A wide table (one column per series) of the displayed values."""
    if chart.group:
        wide = data.pivot_table(index=chart.x, columns=chart.group, values=chart.y[0], aggfunc="mean")
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
    """Read each resource a chart of ``dataset`` uses, once."""
    needed = {c.resource for c in dataset.charts}
    return {r.name: read_resource(r, tz) for r in dataset.resources if r.name in needed and Path(r.path).is_file()}
