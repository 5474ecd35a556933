"""Early warnings from released data (publisher.warnings): small hand-built datasets."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from publisher.content import FieldSpec, Resource, Text
from publisher.warnings import derive_warnings

TZ = "Asia/Shanghai"
CST = timezone(timedelta(hours=8))
REGISTRY = {
    "air_stations": [{"id": "aq-east", "name": "城东站", "name_en": "Chengdong"}],
    "water_sections": [
        {"id": "ws-up", "name": "上游断面", "name_en": "Upstream", "kind": "river", "target_class": "II"},
        {"id": "ws-down", "name": "下游断面", "name_en": "Downstream", "kind": "river", "target_class": "III"},
    ],
    "enterprises": [{"id": "ent-power", "name": "示范热电厂", "name_en": "Demo Power",
                     "outlets": [{"id": "DA001", "name": "1号排口", "kind": "stack"}]}],
}


def _field(name: str, type_: str = "number", parameter: str | None = None) -> FieldSpec:
    return FieldSpec(name=name, type=type_, title=Text(name), description=Text(""), parameter=parameter)


def _dataset(folder: Path, ds_id: str, category: str, frame: pd.DataFrame, fields: list[FieldSpec]) -> SimpleNamespace:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ds_id}.csv"
    frame.to_csv(path, index=False)
    resource = Resource(name="data", path=path, relpath=path.name, title=Text(ds_id), fields=fields,
                        primary_key=[], missing_values=[""])
    return SimpleNamespace(id=ds_id, category=category, resources=[resource], derived=None)


def _air(tmp_path: Path, days: dict[date, tuple[float, int]]) -> SimpleNamespace:
    """Hourly PM2.5 at one station: per day a constant value on its first ``hours`` hours."""
    rows = []
    for day, (value, hours) in days.items():
        start = datetime(day.year, day.month, day.day, tzinfo=CST)
        for h in range(1, hours + 1):
            rows.append({"station_id": "aq-east", "time": (start + timedelta(hours=h)).isoformat(), "pm25": value})
    fields = [_field("station_id", "string"), _field("time", "datetime"), _field("pm25", parameter="pm25")]
    return _dataset(tmp_path / "air", "air-test", "air_quality", pd.DataFrame(rows), fields)


def _water(tmp_path: Path, rows: list[dict]) -> SimpleNamespace:
    fields = [_field("section_id", "string"), _field("sample_date", "date"), _field("ph", parameter="ph"),
              _field("do", parameter="do"), _field("codmn", parameter="codmn"), _field("nh3n", parameter="nh3_n")]
    frame = pd.DataFrame(rows, columns=[f.name for f in fields])
    return _dataset(tmp_path / "water", "water-test", "surface_water", frame, fields)


def _emissions(tmp_path: Path, rows: list[tuple[str, float]]) -> SimpleNamespace:
    frame = pd.DataFrame([{"enterprise_id": "ent-power", "outlet_id": "DA001", "date": d, "parameter": "so2",
                           "value": v, "unit": "mg/m³", "limit": 35} for d, v in rows])
    fields = [_field("enterprise_id", "string"), _field("outlet_id", "string"), _field("date", "date"),
              _field("parameter", "string"), _field("value"), _field("unit", "string"), _field("limit")]
    return _dataset(tmp_path / "emissions", "emissions-test", "pollution_source", frame, fields)


def test_consecutive_exceedance_days_are_one_warning_with_the_highest_value(tmp_path: Path) -> None:
    days = {date(2025, 3, d): (v, 24) for d, v in zip(range(1, 8), (50, 80, 120, 90, 40, 60, 30))}
    found = derive_warnings([_air(tmp_path, days)], REGISTRY, {}, TZ)
    assert len(found) == 1
    w = found[0]
    assert (w.kind, w.category, w.subject, w.parameter) == ("exceedance", "air_quality", "aq-east", "pm25")
    assert (w.start, w.end, w.days, w.peak_date) == (date(2025, 3, 2), date(2025, 3, 4), 3, date(2025, 3, 3))
    assert (w.value, w.limit, w.standard, w.severity) == (120, 75, "GB 3095-2012", "medium")
    assert w.message["zh"] == ("城东站 2025-03-02 至 2025-03-04 连续 3 天 PM2.5 日均浓度超过 GB 3095-2012 二级浓度限值"
                               "（75 μg/m³），最高 120 μg/m³（2025-03-03），超标 0.6 倍。")
    assert "Chengdong" in w.message["en"] and "3 consecutive days" in w.message["en"]
    assert w.active  # ends 3 days before the newest data, within the default 30


def test_single_day_message_and_a_19_hour_day_is_not_counted(tmp_path: Path) -> None:
    days = {date(2025, 12, 13): (40, 24), date(2025, 12, 14): (186, 24), date(2025, 12, 15): (40, 24),
            date(2025, 12, 16): (300, 19), date(2025, 12, 17): (40, 24)}
    found = derive_warnings([_air(tmp_path, days)], REGISTRY, {}, TZ)
    assert [w.start for w in found] == [date(2025, 12, 14)]  # the 19-hour day has no valid mean
    assert found[0].message["zh"] == (
        "城东站 2025-12-14 PM2.5 日均浓度 186 μg/m³，超过 GB 3095-2012 二级浓度限值（75 μg/m³）1.5 倍。")
    assert found[0].severity == "high"


def test_active_means_within_the_configured_days_of_the_newest_data(tmp_path: Path) -> None:
    days = {date(2025, 1, 10): (150, 24), date(2025, 2, 20): (40, 24)}
    air = _air(tmp_path, days)
    assert not derive_warnings([air], REGISTRY, {}, TZ)[0].active  # 41 days before the newest data
    assert derive_warnings([air], REGISTRY, {"warnings": {"active_days": 60}}, TZ)[0].active


def test_water_sample_worse_than_its_target_class(tmp_path: Path) -> None:
    rows = [{"section_id": "ws-up", "sample_date": "2025-05-13", "ph": 7.5, "do": 8.0, "codmn": 3.0, "nh3n": 1.2},
            {"section_id": "ws-down", "sample_date": "2025-05-13", "ph": 7.5, "do": 8.0, "codmn": 3.0, "nh3n": 0.9}]
    found = derive_warnings([_water(tmp_path, rows)], REGISTRY, {}, TZ)
    assert len(found) == 1  # ws-down's class III meets its target III
    w = found[0]
    assert (w.subject, w.parameter, w.value, w.limit, w.standard) == ("ws-up", "nh3_n", 1.2, 0.5, "GB 3838-2002")
    assert w.message["zh"] == "上游断面 2025-05-13 水质类别为 IV 类（氨氮 1.2 mg/L），劣于水质目标 II 类（GB 3838-2002 单因子评价）。"
    assert w.severity == "high"  # two classes worse than the target


def test_emission_over_its_permit_limit(tmp_path: Path) -> None:
    found = derive_warnings([_emissions(tmp_path, [("2025-06-01", 30.0), ("2025-06-02", 40.0),
                                                   ("2025-06-03", 35.0)])], REGISTRY, {}, TZ)
    assert len(found) == 1  # a value equal to the limit is within it
    w = found[0]
    assert (w.subject, w.outlet, w.parameter, w.start, w.value, w.limit) == (
        "ent-power", "DA001", "so2", date(2025, 6, 2), 40.0, 35.0)
    assert w.message["zh"] == "示范热电厂 1号排口（DA001） 2025-06-02 二氧化硫日均浓度 40 mg/m³，超过排污许可证限值（35 mg/m³）0.1 倍。"


def _monthly(section: str, values: list[float]) -> list[dict]:
    return [{"section_id": section, "sample_date": f"2025-{m:02d}-10", "ph": 7.5, "do": 8.0, "codmn": v, "nh3n": 0.1}
            for m, v in zip(range(1, 13), values)]


def test_rising_monthly_series_raises_a_trend_warning_and_a_noisy_one_does_not(tmp_path: Path) -> None:
    rising = _monthly("ws-down", [2.0 + 0.2 * i for i in range(12)])
    noisy = _monthly("ws-up", [1.2, 1.8, 1.1, 1.7, 1.3, 1.9, 1.0, 1.6, 1.4, 1.5, 1.2, 1.7])
    found = [w for w in derive_warnings([_water(tmp_path, rising + noisy)], REGISTRY, {}, TZ) if w.kind == "trend"]
    assert [(w.subject, w.parameter) for w in found] == [("ws-down", "codmn")]
    w = found[0]
    assert abs(w.slope - 0.2) < 1e-9 and w.p < 0.05 and w.active
    assert (w.start, w.end) == (date(2025, 1, 1), date(2025, 12, 31))
    assert "呈上升趋势" in w.message["zh"] and "Mann-Kendall" in w.message["en"]
    # A stricter threshold or a longer required series silences it.
    assert not [w for w in derive_warnings([_water(tmp_path, rising)], REGISTRY,
                                           {"warnings": {"trend_min_months": 13}}, TZ) if w.kind == "trend"]


def test_warnings_are_deterministic_and_only_from_the_datasets_given(tmp_path: Path) -> None:
    days = {date(2025, 3, d): (v, 24) for d, v in zip(range(1, 6), (80, 40, 90, 95, 40))}
    datasets = [_air(tmp_path, days), _emissions(tmp_path, [("2025-06-02", 40.0)]),
                _water(tmp_path, _monthly("ws-down", [2.0 + 0.2 * i for i in range(12)]))]
    first = derive_warnings(datasets, REGISTRY, {}, TZ)
    assert first == derive_warnings(list(reversed(datasets)), REGISTRY, {}, TZ)
    assert len({w.id for w in first}) == len(first)
    assert "exceedance-air-test-aq-east-pm25-2025-03-03" in {w.id for w in first}
    assert derive_warnings([], REGISTRY, {}, TZ) == []
