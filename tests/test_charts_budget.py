"""No chart grows with the years or the stations: every kind keeps within a fixed budget, says
what it draws instead of every value, and is computed once for both languages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from publisher import charts
from publisher.charts import build_chart, dataset_frames, read_resource
from publisher.content import Chart, Dataset, FieldSpec, Resource, Text

POLLUTANTS = {"so2": ("μg/m³", 10), "no2": ("μg/m³", 30), "co": ("mg/m³", 0.8), "o3": ("μg/m³", 70),
              "pm10": ("μg/m³", 70), "pm25": ("μg/m³", 40)}
GROUPS = {"station_id": "air_stations", "enterprise_id": "enterprises", "section_id": "water_sections"}


def _field(name: str, type_: str = "number", unit: str | None = None, parameter: str | None = None,
           sensitive: bool = False) -> FieldSpec:
    return FieldSpec(name=name, type=type_, title=Text(name, name), description=Text(""), unit=unit,
                     parameter=parameter, references=GROUPS.get(name), sensitive=sensitive)


def _dataset(fields: list[FieldSpec], charts_: list[Chart], path: Path = Path("r.csv")) -> Dataset:
    resource = Resource(name="r", path=path, relpath=path.name, title=Text("数据", "Data"), fields=fields,
                        primary_key=[], missing_values=[""])
    return Dataset(id="ds", folder=Path("."), meta={}, title=Text("数据集"), description=Text(""),
                   category="air_quality", department="sthjj", area={}, classification="public",
                   license="CC-BY-4.0", update_frequency="hourly", status="verified", temporal={}, spatial={},
                   standards=[], methodology=None, keywords=[], release_at=None, next_update=None,
                   resources=[resource], charts=charts_)


def _chart(kind: str, y: list[str], group: str = "station_id", x: str = "date", **extra) -> Chart:
    return Chart(dataset="ds", id=kind, kind=kind, resource="r", x=x, y=y, title=Text(kind, kind), group=group,
                 **extra)


def _years(first: int) -> range:
    return range(first, 2026)


def _daily(groups: int, years: int, group: str = "station_id") -> pd.DataFrame:
    """Daily values of the years ending with 2025, drawn per group and year: the last year of a
    longer frame is the shorter frame."""
    parts = []
    for g in range(groups):
        for year in _years(2026 - years):
            days = pd.date_range(f"{year}-01-01", f"{year}-12-31")
            rng = np.random.default_rng([g, year])
            parts.append(pd.DataFrame({group: f"g-{g:03d}", "date": days, "value": rng.gamma(4, 10, len(days)),
                                       "limit": 50.0}))
    return pd.concat(parts, ignore_index=True)


def _hourly(stations: int, years: int = 1, days: int | None = None) -> pd.DataFrame:
    """Hourly air data (hour-end times, +08:00) of the years ending with 2025 (or the last
    ``days`` days of 2025), drawn per station and year like :func:`_daily`."""
    parts = []
    for s in range(stations):
        for year in _years(2026 - years):
            times = pd.date_range(f"{year}-01-01 01:00", f"{year + 1}-01-01 00:00", freq="h", tz="Asia/Shanghai")
            rng = np.random.default_rng([s, year])
            frame = pd.DataFrame({"station_id": f"aq-{s:03d}", "time": times})
            for p, (_, typical) in POLLUTANTS.items():
                frame[p] = np.round(rng.gamma(4, typical / 4, len(times)), 1)
            parts.append(frame if days is None else frame.tail(24 * days))
    return pd.concat(parts, ignore_index=True)


def _monthly_water(sections: int, years: int) -> pd.DataFrame:
    """One sample a month (the 15th) per section, drawn per section and year like :func:`_daily`."""
    parts = []
    for s in range(sections):
        for year in _years(2026 - years):
            dates = pd.date_range(f"{year}-01-01", periods=12, freq="MS") + pd.Timedelta(days=14)
            rng = np.random.default_rng([s, year])
            parts.append(pd.DataFrame({"section_id": f"ws-{s:03d}", "date": dates, "codmn": rng.gamma(4, 1.2, 12),
                                       "nh3n": rng.gamma(2, 0.3, 12)}))
    return pd.concat(parts, ignore_index=True)


AIR = [_field("station_id", "string"), _field("time", "datetime")] + [
    _field(p, unit=u, parameter=p) for p, (u, _) in POLLUTANTS.items()]


def _case(kind: str, size: int, years: int, days: int | None = None) -> tuple[Dataset, Chart, pd.DataFrame]:
    """One chart of ``kind`` over ``size`` groups and ``years`` years of data (AQI kinds: hourly
    data, of the last ``days`` days only when given)."""
    if kind in ("aqi-calendar", "aqi-levels"):
        chart = _chart(kind, list(POLLUTANTS), x="time")
        return _dataset(AIR, [chart]), chart, _hourly(size, years, days)
    if kind == "water-class":
        fields = [_field("section_id", "string"), _field("date", "date"), _field("codmn", unit="mg/L", parameter="codmn"),
                  _field("nh3n", unit="mg/L", parameter="nh3_n")]
        chart = _chart(kind, ["codmn", "nh3n"], group="section_id")
        return _dataset(fields, [chart]), chart, _monthly_water(size, years)
    group = "enterprise_id" if kind == "limits" else "station_id"
    fields = [_field(group, "string"), _field("date", "date"), _field("value", unit="μg/m³"), _field("limit", unit="μg/m³")]
    chart = _chart(kind, ["value", "limit"] if kind == "limits" else ["value"], group=group)
    return _dataset(fields, [chart]), chart, _daily(size, years, group)


def _values(rendered: charts.RenderedChart) -> int:
    """Values the figure draws: points of lines and bars, cells of heat maps."""
    count = 0
    for trace in json.loads(rendered.figure_json)["data"]:
        count += len(trace["x"]) * (len(trace["y"]) if trace["type"] == "heatmap" else 1)
    return count


KINDS = ["timeseries", "bar", "heatmap", "limits", "aqi-calendar", "aqi-levels", "water-class"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_chart_does_not_grow_from_one_year_to_five(kind: str) -> None:
    ds, chart, one = _case(kind, 6, 1)
    _, _, five = _case(kind, 6, 5)
    small, big = build_chart(ds, chart, one, "zh"), build_chart(ds, chart, five, "zh")
    assert _values(big) <= _values(small), kind
    assert big.data_bytes <= small.data_bytes * 1.02, (kind, small.data_bytes, big.data_bytes)
    assert len(big.table_rows) <= len(small.table_rows) and len(big.table_columns) == len(small.table_columns)
    assert not small.note or kind == "bar", small.note  # a year of daily bars is drawn by month
    assert big.note["zh"].endswith("；完整数据见下载文件。") and big.note["en"].endswith("; the downloads hold every value.")


@pytest.mark.parametrize("kind", KINDS)
def test_a_chart_does_not_grow_from_six_stations_to_three_hundred(kind: str) -> None:
    days = 30 if kind.startswith("aqi") else None  # a month of hourly data for 300 stations is enough
    ds, chart, six = _case(kind, 6, 1, days)
    _, _, many = _case(kind, 300, 1, days)
    small, big = build_chart(ds, chart, six, "zh"), build_chart(ds, chart, many, "zh")
    assert _values(big) <= _values(small), kind
    # no more values; the bytes differ by the text drawn (the name of the mean, the level names
    # of the most polluted stations, a little longer than those of average ones)
    assert big.data_bytes <= small.data_bytes * 1.05, (kind, small.data_bytes, big.data_bytes)
    assert len(big.table_columns) <= len(small.table_columns)
    if kind != "aqi-levels":  # the city's days per level, whatever the stations
        assert "300 个" in big.note["zh"] and "300" in big.note["en"], big.note


def test_the_note_says_what_is_drawn() -> None:
    ds, chart, frame = _case("timeseries", 300, 5)
    rendered = build_chart(ds, chart, frame, "en")
    assert rendered.note == {
        "zh": "图中为全部 300 个站点的平均及平均值最高的 5 个站点的周均值（周一至周日）；完整数据见下载文件。",
        "en": "The chart shows weekly means (Monday to Sunday) for the mean of all 300 stations and the 5 stations "
              "with the highest mean; the downloads hold every value.",
    }
    figure = json.loads(rendered.figure_json)
    assert [t["name"] for t in figure["data"]][0] == "Mean of all 300 stations"
    assert figure["data"][0]["x"][0] == "2021-01-01"  # the first week starts with the data, not on its Monday
    assert rendered.table_columns[1] == "Mean of all 300 stations"
    ds, chart, frame = _case("limits", 300, 1)
    assert build_chart(ds, chart, frame, "zh").note["zh"] == \
        "图中为平均值最高的 6 个企业（共 300 个）；完整数据见下载文件。"
    ds, chart, frame = _case("aqi-calendar", 6, 5)
    assert build_chart(ds, chart, frame, "zh").note["zh"] == \
        "图中为最近一年（2025-01-01 至 2025-12-31）的日空气质量指数；完整数据见下载文件。"
    ds, chart, frame = _case("aqi-levels", 6, 5)
    rendered = build_chart(ds, chart, frame, "zh")
    assert [row[0] for row in rendered.table_rows] == ["2021", "2022", "2023", "2024", "2025"]
    assert rendered.note["zh"] == "图中为各年各级别的天数；完整数据见下载文件。"
    ds, chart, frame = _case("water-class", 300, 5)
    assert build_chart(ds, chart, frame, "en").note == {
        "zh": "图中为水质最差的 6 个断面（共 300 个）的年均值的水质类别；完整数据见下载文件。",
        "en": "The chart shows the classes of yearly means for the 6 sections with the worst water quality (of 300); "
              "the downloads hold every value."}


def test_summaries_count_every_station_and_year() -> None:
    ds, chart, frame = _case("aqi-calendar", 6, 5)
    summary = build_chart(ds, chart, frame, "zh").summary["zh"]
    assert summary.startswith("2021-01-01 至 2025-12-31，6 个站点的日空气质量指数")
    ds, chart, frame = _case("timeseries", 300, 1)
    peak = frame.loc[frame["value"].idxmax()]
    assert f"（{peak['station_id']}，" in build_chart(ds, chart, frame, "zh").summary["zh"]


def test_both_languages_and_both_aqi_charts_share_one_daily_aqi(monkeypatch: pytest.MonkeyPatch) -> None:
    import publisher.standards as standards

    calls = []
    original = standards.daily_concentrations
    monkeypatch.setattr(standards, "daily_concentrations", lambda hourly, **kw: calls.append(len(hourly)) or original(hourly, **kw))
    frame = _hourly(3, days=40)
    calendar, levels = _chart("aqi-calendar", list(POLLUTANTS), x="time"), _chart("aqi-levels", list(POLLUTANTS), x="time")
    ds = _dataset(AIR, [calendar, levels])
    for chart in (calendar, levels):
        for lang in ("zh", "en"):
            build_chart(ds, chart, frame, lang)
    assert calls == [len(frame)]


def test_daily_aqi_in_blocks_of_stations_equals_all_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = _hourly(7, days=40).sample(frac=1, random_state=3)  # rows in any order
    frame.loc[frame.index[:50], "pm25"] = np.nan
    chart = _chart("aqi-calendar", list(POLLUTANTS), x="time")
    ds = _dataset(AIR, [chart])
    whole = build_chart(ds, chart, frame, "zh")
    monkeypatch.setattr(charts, "AQI_BLOCK_ROWS", 2000)  # 2 stations a block
    blocks = build_chart(ds, chart, frame.copy(), "zh")
    assert (blocks.figure_json, blocks.summary, blocks.table_rows) == (whole.figure_json, whole.summary, whole.table_rows)


def test_dataset_frames_read_only_the_charted_columns_as_read_resource_types_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    read_slowly = charts._read_slowly
    csv = tmp_path / "r.csv"
    csv.write_text("\ufeffstation_id,time,day,pm25,count,secret,note\n"
                   "aq-a,2025-01-01T01:00:00+08:00,2025-01-01,12.5,3,x,a\n"
                   "aq-b,2025-01-01T02:00:00+08:00,2025-01-02,,4,y,\n", encoding="utf-8")
    fields = [_field("station_id", "string"), _field("time", "datetime"), _field("day", "date"),
              _field("pm25", unit="μg/m³"), _field("count", "integer"), _field("secret", "string", sensitive=True),
              _field("note", "string")]
    chart = _chart("timeseries", ["pm25", "count"], x="time", group="secret")
    by_day = _chart("bar", ["pm25"], x="day", group="station_id")
    ds = _dataset(fields, [chart, by_day], csv)
    slowly = []
    monkeypatch.setattr(charts, "_read_slowly", lambda *args: slowly.append(args) or read_slowly(*args))
    frame = dataset_frames(ds, "Asia/Shanghai")["r"]
    assert list(frame.columns) == ["station_id", "time", "day", "pm25", "count"]  # never "secret" nor "note"
    pd.testing.assert_frame_equal(frame, read_resource(ds.resources[0])[list(frame.columns)])
    assert not slowly
    # a time without its offset, which pyarrow refuses, is read by read_resource as before
    csv.write_text(csv.read_text(encoding="utf-8").replace("2025-01-01T02:00:00+08:00", "2025-01-01T02:00:00"),
                   encoding="utf-8")
    frame = dataset_frames(ds, "Asia/Shanghai")["r"]
    pd.testing.assert_frame_equal(frame, read_resource(ds.resources[0])[list(frame.columns)])
    assert len(slowly) == 1


def test_the_note_under_a_chart_links_to_the_downloads(approved_portal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from publisher.site import build_site

    monkeypatch.setattr(charts, "MAX_POINTS", 20)  # the fixture's two days of hours are then drawn as daily means
    monkeypatch.setattr(charts, "MAX_TABLE_ROWS", 1)  # and the tables under the charts capped
    build_site(approved_portal)
    output = approved_portal / "output"
    for rel in ("datasets/air-mini/index.html", "en/datasets/air-mini/index.html", "bulletins/air-2025-01.html",
                "en/bulletins/air-2025-01.html"):
        page = output / rel
        html = page.read_text(encoding="utf-8")
        note = re.search(r'<p class="chart-note">([^<]*)<a href="([^"#]+)#downloads">([^<]+)</a></p>', html)
        assert note, rel
        assert note.group(1).startswith("图中为日均值" if not rel.startswith("en/") else "The chart shows daily means")
        target = (page.parent / note.group(2)).resolve()
        language = "en/" if rel.startswith("en/") else ""
        assert target == (output / language / "datasets/air-mini/index.html").resolve()
        assert 'id="downloads"' in target.read_text(encoding="utf-8")
        capped = re.search(r'<p class="meta">(?:表中为最近 1 行|The table shows the latest 1 )[^<]*<a href="([^"]+)">', html)
        assert capped and capped.group(1) == note.group(2) + "#downloads", rel


def test_a_number_column_typed_from_its_first_block_is_read_again_whole(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    csv = tmp_path / "r.csv"
    rows = [f"aq-a,2025-01-{1 + i // 24:02d}T{i % 24:02d}:00:00+08:00,{i}" for i in range(200)]
    csv.write_text("station_id,time,pm25\n" + "\n".join(rows) + "\naq-a,2025-01-10T01:00:00+08:00,7.5\n", encoding="utf-8")
    fields = [_field("station_id", "string"), _field("time", "datetime"), _field("pm25", unit="μg/m³")]
    ds = _dataset(fields, [_chart("timeseries", ["pm25"], x="time")], csv)
    monkeypatch.setattr(charts, "READ_BLOCK_BYTES", 1024)  # the first blocks hold whole numbers only
    with monkeypatch.context() as m:
        m.setattr(charts, "_read_slowly", lambda *args: pytest.fail("read by pandas"))
        frame = dataset_frames(ds, "Asia/Shanghai")["r"]
    assert frame["pm25"].dtype == np.float64 and frame["pm25"].iloc[-1] == 7.5
    pd.testing.assert_frame_equal(frame, read_resource(ds.resources[0]))
