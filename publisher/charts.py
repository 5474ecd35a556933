"""Plotly charts built at build time from released data files.

A chart is a figure (JSON for plotly.js), a short text summary and a small data table, so that
each chart has its numbers one click away and is readable without JavaScript or sight. Large
series are aggregated for display only (daily or monthly means); downloads keep every row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from .content import Chart, Dataset, Resource

# Colour-blind-safe qualitative palette (Okabe-Ito), enough for a city's stations.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
FONT = "Noto Sans CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif"
MAX_TABLE_ROWS = 400


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

    @property
    def data_bytes(self) -> int:
        return len(self.figure_json.encode("utf-8"))


def read_resource(resource: Resource, tz: str = "Asia/Shanghai") -> pd.DataFrame:
    """Read a released CSV with its schema's types (times in the city's zone)."""
    dtypes = {f.name: "string" for f in resource.fields if f.type in ("string", "date", "datetime")}
    frame = pd.read_csv(
        resource.path, dtype=dtypes, keep_default_na=False, na_values=resource.missing_values or [""],
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


def _aggregate(frame: pd.DataFrame, chart: Chart) -> pd.DataFrame:
    keys = [chart.group] if chart.group else []
    if chart.aggregate == "none":
        return frame[[*keys, chart.x, *chart.y]].sort_values([*keys, chart.x])
    freq = "D" if chart.aggregate == "daily-mean" else "MS"
    x = frame[chart.x]
    if getattr(x.dt, "tz", None) is not None:
        x = x.dt.tz_localize(None)
    period = x.dt.to_period("D" if freq == "D" else "M").dt.start_time
    grouped = frame.assign(**{chart.x: period}).groupby([*keys, chart.x], sort=True)[chart.y].mean()
    return grouped.round(3).reset_index()


def _label(resource: Resource, column: str, lang: str) -> str:
    f = resource.field(column)
    if f is None:
        return column
    unit = f" ({f.unit})" if f.unit else ""
    return f.title.get(lang) + unit


def build_chart(dataset: Dataset, chart: Chart, frame: pd.DataFrame, lang: str = "zh",
                names: dict[str, str] | None = None) -> RenderedChart:
    """Build one chart's figure, summary and table from the resource's data frame.

    ``names`` maps group values (station ids) to display names.
    """
    resource = dataset.resource(chart.resource)
    assert resource is not None  # content loading already refused charts without a resource
    names = names or {}
    data = _aggregate(frame, chart)
    fig = go.Figure()
    groups = list(data.groupby(chart.group, sort=True)) if chart.group else [(None, data)]
    colour = 0
    kind = chart.kind
    for group_value, part in groups:
        for column in chart.y:
            label = names.get(str(group_value), str(group_value)) if group_value is not None else _label(resource, column, lang)
            if chart.group and len(chart.y) > 1:
                label = f"{label} · {_label(resource, column, lang)}"
            style = {"color": PALETTE[colour % len(PALETTE)]}
            if kind == "bar":
                fig.add_trace(go.Bar(x=part[chart.x], y=part[column], name=label, marker=style))
            elif kind == "limits" and column == chart.options.get("limit"):
                fig.add_trace(go.Scatter(x=part[chart.x], y=part[column], name=label, mode="lines",
                                         line={"color": "#C00000", "dash": "dash", "width": 1.5}))
                continue
            else:
                fig.add_trace(go.Scatter(x=part[chart.x], y=part[column], name=label, mode="lines",
                                         line={**style, "width": 1.5}, connectgaps=False))
            colour += 1
    y_title = _label(resource, chart.y[0], lang)
    fig.update_layout(
        template="none",
        font={"family": FONT, "size": 13},
        margin={"l": 56, "r": 16, "t": 16, "b": 48},
        height=380,
        legend={"orientation": "h", "y": -0.18},
        xaxis={"title": {"text": _label(resource, chart.x, lang)}, "gridcolor": "#e5e5e5"},
        yaxis={"title": {"text": y_title}, "gridcolor": "#e5e5e5", "rangemode": "tozero"},
        barmode="group",
        hovermode="x unified",
    )
    figure_json = json.dumps(fig.to_plotly_json(), separators=(",", ":"), ensure_ascii=False,
                             default=_json_default, sort_keys=True)
    table_columns, table_rows = _table(data, chart, resource, lang, names)
    return RenderedChart(
        ref=chart.ref,
        dom_id=f"chart-{chart.dataset}-{chart.id}",
        title={"zh": chart.title.get("zh"), "en": chart.title.get("en")},
        figure_json=figure_json,
        summary=_summary(data, chart, resource, names),
        table_columns=table_columns,
        table_rows=table_rows,
    )


def _json_default(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value)!r}")


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    if isinstance(value, pd.Timestamp):
        with_time = value.tzinfo is not None or value.hour or value.minute  # hourly data keep their time
        return value.strftime("%Y-%m-%d %H:%M") if with_time else value.strftime("%Y-%m-%d")
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1 else f"{value:.1f}"
    return str(value)


def _table(data: pd.DataFrame, chart: Chart, resource: Resource, lang: str,
           names: dict[str, str]) -> tuple[list[str], list[list[str]]]:
    """A wide table (one column per series) of the displayed values, capped in length."""
    if chart.group:
        wide = data.pivot_table(index=chart.x, columns=chart.group, values=chart.y[0], aggfunc="mean")
        columns = [_label(resource, chart.x, lang)] + [names.get(str(c), str(c)) for c in wide.columns]
    else:
        wide = data.set_index(chart.x)[chart.y]
        columns = [_label(resource, chart.x, lang)] + [_label(resource, c, lang) for c in chart.y]
    wide = wide.sort_index()
    if len(wide) > MAX_TABLE_ROWS:  # the full data are in the downloads
        wide = wide.iloc[-MAX_TABLE_ROWS:]
    rows = [[_fmt(idx)] + [_fmt(v) for v in row] for idx, row in zip(wide.index, wide.to_numpy().tolist())]
    return columns, rows


def _summary(data: pd.DataFrame, chart: Chart, resource: Resource, names: dict[str, str]) -> dict[str, str]:
    """One or two sentences a screen reader can read instead of the chart."""
    column = chart.y[0]
    values = data[column].dropna()
    field = resource.field(column)
    unit = field.unit if field and field.unit else ""
    if values.empty:
        return {"zh": "图中没有可显示的数据。", "en": "The chart has no values to show."}
    x = data[chart.x]
    start, end = _fmt(x.min()), _fmt(x.max())
    peak = data.loc[values.idxmax()]
    peak_where = ""
    if chart.group:
        station = names.get(str(peak[chart.group]), str(peak[chart.group]))
        peak_where = f"（{station}，{_fmt(peak[chart.x])}）"
        peak_where_en = f" ({station}, {_fmt(peak[chart.x])})"
    else:
        peak_where = f"（{_fmt(peak[chart.x])}）"
        peak_where_en = f" ({_fmt(peak[chart.x])})"
    title_zh = field.title.get("zh") if field else column
    title_en = field.title.get("en") if field else column
    return {
        "zh": f"{start} 至 {end}，{title_zh}平均值 {_fmt(float(values.mean()))} {unit}，"
              f"最高 {_fmt(float(values.max()))} {unit}{peak_where}，最低 {_fmt(float(values.min()))} {unit}。",
        "en": f"From {start} to {end}, {title_en} averaged {_fmt(float(values.mean()))} {unit}; "
              f"highest {_fmt(float(values.max()))} {unit}{peak_where_en}, lowest {_fmt(float(values.min()))} {unit}.",
    }


def plotly_js() -> str:
    """The plotly.js bundle shipped with the plotly package (served from the site itself)."""
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
