"""Charts for the portal: every kind draws from released data, big series stay small."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from publisher.charts import build_chart
from publisher.content import Chart, Dataset, FieldSpec, Resource, Text

POLLUTANTS = {"so2": "μg/m³", "no2": "μg/m³", "co": "mg/m³", "o3": "μg/m³", "pm10": "μg/m³", "pm25": "μg/m³"}


def _field(name: str, type_: str = "number", unit: str | None = None, parameter: str | None = None) -> FieldSpec:
    return FieldSpec(name=name, type=type_, title=Text(name, name), description=Text(""), unit=unit, parameter=parameter)


def _dataset(fields: list[FieldSpec], charts: list[Chart]) -> Dataset:
    resource = Resource(name="r", path=Path("r.csv"), relpath="r.csv", title=Text("数据", "Data"), fields=fields,
                        primary_key=[], missing_values=[""])
    return Dataset(id="ds", folder=Path("."), meta={}, title=Text("数据集"), description=Text(""),
                   category="air_quality", department="sthjj", area={}, classification="public",
                   license="CC-BY-4.0", update_frequency="hourly", status="verified", temporal={}, spatial={},
                   standards=[], methodology=None, keywords=[], release_at=None, next_update=None,
                   resources=[resource], charts=charts)


def _hourly_year(stations: int = 10) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    times = pd.date_range("2025-01-01 00:00", periods=8760, freq="h", tz="Asia/Shanghai")
    parts = []
    for s in range(stations):
        frame = pd.DataFrame({"station_id": f"aq-{s:02d}", "time": times})
        for p in POLLUTANTS:
            frame[p] = np.round(rng.gamma(4, 12 if p != "co" else 0.2, len(times)), 1)
        frame.loc[rng.random(len(times)) < 0.02, "pm25"] = np.nan  # gaps
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)


def _air_fields() -> list[FieldSpec]:
    return [_field("station_id", "string"), _field("time", "datetime")] + [
        _field(p, unit=u, parameter=p) for p, u in POLLUTANTS.items()]


def _chart(kind: str, y: list[str], **extra) -> Chart:
    return Chart(dataset="ds", id=kind, kind=kind, resource="r", x=extra.pop("x", "time"), y=y,
                 title=Text(kind, kind), group=extra.pop("group", "station_id"), **extra)


def test_an_hourly_year_for_ten_stations_is_drawn_small_and_says_so() -> None:
    frame = _hourly_year()
    chart = _chart("timeseries", ["pm25"])
    rendered = build_chart(_dataset(_air_fields(), [chart]), chart, frame, "zh")
    assert rendered.data_bytes < 300 * 1024
    figure = json.loads(rendered.figure_json)  # valid JSON: no NaN tokens
    assert len(figure["data"]) == 10 and len(figure["data"][0]["x"]) == 365
    assert rendered.note["zh"].startswith("图中为日均值")
    assert rendered.table_total == 365 and len(rendered.table_rows) <= 400


def test_every_kind_builds_valid_deterministic_json() -> None:
    frame = _hourly_year(3)
    fields = _air_fields()
    charts = [_chart("aqi-calendar", list(POLLUTANTS)), _chart("aqi-levels", list(POLLUTANTS)),
              _chart("heatmap", ["pm25"], aggregate="monthly-mean"), _chart("bar", ["pm25"], aggregate="monthly-mean")]
    ds = _dataset(fields, charts)
    for chart in charts:
        for lang in ("zh", "en"):
            first = build_chart(ds, chart, frame, lang)
            again = build_chart(ds, chart, frame, lang)
            assert first.figure_json == again.figure_json
            assert json.loads(first.figure_json)["data"], chart.kind
            # plotly's own validators accept the figure we publish (unknown keys raise ValueError)
            go.Figure(json.loads(first.figure_json))
            assert first.data_bytes < 300 * 1024, chart.kind
            assert first.summary[lang] and first.table_rows


def test_aqi_calendar_uses_hj633_colours_and_levels() -> None:
    frame = _hourly_year(2)
    chart = _chart("aqi-calendar", list(POLLUTANTS))
    rendered = build_chart(_dataset(_air_fields(), [chart]), chart, frame, "zh", {"aq-00": "东站"})
    trace = json.loads(rendered.figure_json)["data"][0]
    colours = [c for _, c in trace["colorscale"]]
    assert "#00E400" in colours and "#FFFF00" in colours and "#7E0023" in colours
    assert trace["y"][0] == "东站"
    assert rendered.table_columns[1] == "东站"
    assert "优良" in rendered.summary["zh"]


def test_aqi_levels_count_days_per_month() -> None:
    frame = _hourly_year(2)
    chart = _chart("aqi-levels", list(POLLUTANTS))
    rendered = build_chart(_dataset(_air_fields(), [chart]), chart, frame, "en")
    assert len(rendered.table_rows) == 12
    days = sum(int(v) for row in rendered.table_rows for v in row[1:])
    assert 360 <= days <= 365


def test_limits_chart_draws_permit_limits_from_the_registry_and_counts_exceedances() -> None:
    times = pd.date_range("2025-01-01", periods=30, freq="D", tz="Asia/Shanghai")
    frame = pd.DataFrame({"enterprise_id": "ent-a", "time": times, "so2": [30.0] * 28 + [40.0, 50.0]})
    fields = [_field("enterprise_id", "string"), _field("time", "datetime"), _field("so2", unit="mg/m³")]
    chart = _chart("limits", ["so2"], group="enterprise_id")
    registry = {"enterprises": [{"id": "ent-a", "name": "甲公司", "permit_limits": {"so2": 35}}]}
    rendered = build_chart(_dataset(fields, [chart]), chart, frame, "zh", {"ent-a": "甲公司"}, registry)
    traces = json.loads(rendered.figure_json)["data"]
    limit = [t for t in traces if t["line"].get("dash") == "dash"]
    assert limit and limit[0]["y"] == [35, 35]
    assert "超过排放限值 2 次" in rendered.summary["zh"]


def test_water_class_by_section_from_a_class_column_and_from_measurements() -> None:
    dates = pd.to_datetime(["2025-01-10", "2025-02-10", "2025-01-10", "2025-02-10"])
    frame = pd.DataFrame({"section_id": ["ws-a", "ws-a", "ws-b", "ws-b"], "date": dates,
                          "water_class": ["II", "Ⅲ类", "劣V", "IV"],
                          "codmn": [3.0, 5.5, 16.0, 9.0], "nh3n": [0.4, 0.9, 2.5, 1.2]})
    fields = [_field("section_id", "string"), _field("date", "date"), _field("water_class", "string"),
              _field("codmn", unit="mg/L", parameter="codmn"), _field("nh3n", unit="mg/L", parameter="nh3_n")]
    by_column = _chart("water-class", ["water_class"], x="date", group="section_id")
    rendered = build_chart(_dataset(fields, [by_column]), by_column, frame, "zh", {"ws-a": "甲断面"})
    assert rendered.table_columns == ["date", "甲断面", "ws-b"]
    assert rendered.table_rows[0][1:] == ["Ⅱ类", "劣Ⅴ类"]
    by_values = _chart("water-class", ["codmn", "nh3n"], x="date", group="section_id")
    rendered = build_chart(_dataset(fields, [by_values]), by_values, frame, "en")
    assert rendered.table_rows[-1][1] in ("Class III", "Class IV")
    assert json.loads(rendered.figure_json)["data"][0]["type"] == "heatmap"


def test_chart_json_cannot_close_its_script_element() -> None:
    frame = _hourly_year(1).head(48)
    chart = Chart(dataset="ds", id="x", kind="timeseries", resource="r", x="time", y=["pm25"],
                  title=Text("</script><script>alert(1)</script>"), group="station_id")
    rendered = build_chart(_dataset(_air_fields(), [chart]), chart, frame, "zh", {"aq-00": "</script>"})
    assert "</script>" not in rendered.figure_json
