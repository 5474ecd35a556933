"""A tiny portal for the rule tests, built in a temporary folder, and helpers to check it.

``make_project`` writes ``release_rules.yaml``, ``content/registry.yaml``, one air dataset
(``air``: station_id, time, pm25) and whatever datasets or bulletins a test adds; ``run`` checks
it and returns the findings. Imported by the other ``test_rules_*`` modules.
"""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from publisher.check import check_items

RULES = """\
version: 1
site:
  name: {zh: 测试门户, en: Test portal}
  city: {code: "990100", name: 示范市}
  timezone: Asia/Shanghai
departments:
  sthjj: {name: {zh: 市生态环境局, en: City bureau}, level: city, area: "990100"}
  lyj: {name: {zh: 市林业局, en: Forestry}, level: city, area: "990100"}
  sthjj-qinghe: {name: {zh: 清河分局, en: Qinghe branch}, level: county, area: "990121"}
  sthjj-qingshan: {name: {zh: 青山分局, en: Qingshan branch}, level: county, area: "990122"}
  ent-hongda-power: {name: {zh: 宏达热电, en: Hongda}, level: enterprise, area: "990121",
                     credit_code: 91990121MA1234J68F, parent: sthjj-qinghe}
approvers:
  a1: {name: 张敏, roles: ["reviewer:sthjj"]}
  a2: {name: 李华, roles: [press-office]}
  a3: {name: 王静, roles: ["reviewer:sthjj-qinghe"]}
  a4: {name: 陈刚, roles: ["reviewer:sthjj-qingshan"]}
  a5: {name: 赵磊, roles: ["reviewer:lyj"]}
permissions:
  air_quality: {publishers: [sthjj]}
  surface_water: {publishers: [sthjj]}
  ecology: {publishers: [lyj]}
  pollution_source: {publishers: [sthjj], publisher_levels: [county, enterprise], row_area_column: area_code,
                     row_credit_code_column: credit_code}
"""

REGISTRY = {
    "city": {"code": "990100", "name": "示范市"},
    "areas": [{"code": c, "name": n} for c, n in
              [("990100", "示范市"), ("990121", "清河县"), ("990122", "青山县")]],
    "air_stations": [{"id": "aq-a", "name": "甲站", "area": "990121"}, {"id": "aq-b", "name": "乙站", "area": "990122"}],
    "enterprises": [
        {"id": "ent-hongda-power", "name": "宏达热电", "credit_code": "91990121MA1234J68F", "area": "990121",
         "permit_limits": {"so2": 35, "nox": 50}},
        {"id": "ent-qingshan-cement", "name": "青山水泥", "credit_code": "91990122MA7W6X1Y64", "area": "990122",
         "permit_limits": {"so2": 100, "nox": 320}},
    ],
}

AIR_FIELDS = [
    {"name": "station_id", "type": "string", "references": "air_stations", "constraints": {"required": True}},
    {"name": "time", "type": "datetime", "constraints": {"required": True}},
    {"name": "pm25", "type": "number", "unit": "μg/m³", "parameter": "pm25", "constraints": {"minimum": 0}},
]


def air_rows(n: int = 24, station: str = "aq-a", start_hour: int = 1, values=None) -> str:
    """``n`` hourly rows from 2025-01-01T01:00+08:00 (hours past 24 roll into the next days)."""
    out = []
    start = datetime(2025, 1, 1)
    for i in range(n):
        t = start + timedelta(hours=start_hour + i)
        v = values[i] if values is not None else 20 + (i % 5)
        out.append(f"{station},{t:%Y-%m-%dT%H:%M:%S}+08:00,{v}")
    return "\n".join(out) + "\n"


def dataset_meta(item_id: str, *, fields=None, primary_key=("station_id", "time"), path="data.csv",
                 **overrides) -> dict:
    meta = {
        "id": item_id, "title": {"zh": "测试数据", "en": "Test data"}, "description": {"zh": "测试", "en": "Test"},
        "category": "air_quality", "department": "sthjj", "area": {"code": "990100", "name": "示范市"},
        "classification": "public", "license": "CC-BY-4.0", "update_frequency": "hourly",
        "temporal": {"start": "2025-01-01", "end": "2025-12-31"},
        "spatial": {"description": {"zh": "全市", "en": "City"}}, "status": "verified",
        "resources": [{"name": "main", "path": path, "schema": {
            "primary_key": list(primary_key), "missing_values": [""], "fields": fields or AIR_FIELDS}}],
    }
    meta.update(overrides)
    return meta


def make_project(root: Path, *, rules: str = RULES, rules_extra: str = "", registry: dict | None = None,
                 datasets: dict | None = None, bulletins: dict | None = None, with_air: bool = True) -> Path:
    """Write a portal into ``root``; ``datasets`` maps id -> (meta, {file: text or bytes})."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "release_rules.yaml").write_text(rules + textwrap.dedent(rules_extra), encoding="utf-8")
    content = root / "content"
    (content / "datasets").mkdir(parents=True, exist_ok=True)
    (content / "bulletins").mkdir(parents=True, exist_ok=True)
    (content / "registry.yaml").write_text(
        yaml.safe_dump(registry or REGISTRY, allow_unicode=True, sort_keys=False), encoding="utf-8")
    all_datasets = dict(datasets or {})
    if with_air:
        all_datasets.setdefault("air", (dataset_meta("air"), {"data.csv": "station_id,time,pm25\n" + air_rows()}))
    for item_id, (meta, files) in all_datasets.items():
        folder = content / "datasets" / item_id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "dataset.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False),
                                             encoding="utf-8")
        for name, data in files.items():
            (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    for item_id, text in (bulletins or {}).items():
        (content / "bulletins" / f"{item_id}.md").write_text(text, encoding="utf-8")
    return root


def run(root: Path, items: list[str] | None = None):
    """The findings of ``check_items`` as (rule, row, column) triples, and the result."""
    result = check_items(root, items)
    return {(f.rule, f.row, f.column) for f in result.report}, result


def rules_of(result) -> set[str]:
    return {f.rule for f in result.report}


def bulletin(body: str, **meta) -> str:
    front = {"title": "测试公报", "date": "2025-11-05T10:00:00+08:00", "department": "sthjj",
             "category": "air_quality", "classification": "public", **meta}
    return "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---\n\n" + body


def test_base_project_is_clean(tmp_path):
    found, result = run(make_project(tmp_path))
    assert result.report.ok, [f.line() for f in result.report]
    assert not [f for f in result.report if f.severity.value != "info"], [f.line() for f in result.report]
