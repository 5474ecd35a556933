"""The demo content generator: deterministic, valid codes, and the planted features present."""
from __future__ import annotations

import csv
import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "tools" / "generate_demo.py"
sys.path.insert(0, str(GENERATOR.parent))

import generate_demo  # noqa: E402  (the tool is a script, not a package)


def run_generator(out: Path) -> None:
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(out)], check=True, cwd=ROOT)


def tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("first") / "content"
    run_generator(out)
    return out


def test_two_runs_are_byte_identical(content: Path, tmp_path: Path) -> None:
    second = tmp_path / "content"
    run_generator(second)
    first_files, second_files = tree_digest(content), tree_digest(second)
    assert first_files == second_files
    assert len(first_files) > 30


def test_size_stays_small(content: Path) -> None:
    sizes = [p.stat().st_size for p in content.rglob("*") if p.is_file()]
    assert sum(sizes) < 6 * 1024 * 1024
    assert max(sizes) < 4 * 1024 * 1024


def check_char_valid(code: str) -> bool:
    charset = generate_demo.GB32100_CHARSET
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    if len(code) != 18 or any(c not in charset for c in code):
        return False
    total = sum(w * charset.index(c) for w, c in zip(weights, code[:17]))
    return code[17] == charset[(31 - total % 31) % 31]


def test_every_credit_code_is_valid_and_names_its_county(content: Path) -> None:
    registry = yaml.safe_load((content / "registry.yaml").read_text(encoding="utf-8"))
    enterprises = registry["enterprises"]
    assert len(enterprises) >= 10
    assert len({e["area"] for e in enterprises}) >= 3
    for e in enterprises:
        assert check_char_valid(e["credit_code"]), e["id"]
        assert e["credit_code"][2:8] == e["area"], e["id"]
    codes = {e["credit_code"] for e in enterprises}
    for path in (content / "datasets").rglob("*.csv"):
        rows = read_rows(path)
        if rows and "credit_code" in rows[0]:
            assert {r["credit_code"] for r in rows} <= codes, path.name


def test_a_flat_line_of_at_least_24_hours_exists_only_where_planted(content: Path) -> None:
    rows = read_rows(content / "datasets" / "air-hourly-2025" / "air_hourly_2025.csv")
    runs = []
    for column in generate_demo.AIR_COLUMNS:
        previous, length, start = None, 0, None
        for row in rows + [{"station_id": "", "time": "", column: ""}]:
            key = (row["station_id"], row[column])
            if row[column] != "" and key == previous:
                length += 1
            else:
                if length >= 24:
                    runs.append((previous[0], column, start, length))
                previous, length, start = key, 1, row["time"]
    station, column, first, hours, _value = generate_demo.AIR_FLATLINE
    assert runs == [(station, column, first.isoformat(), hours)]


def test_air_values_are_realistic(content: Path) -> None:
    rows = read_rows(content / "datasets" / "air-hourly-2025" / "air_hourly_2025.csv")
    assert len(rows) == 6 * 8760
    pairs = [(float(r["pm25"]), float(r["pm10"])) for r in rows if r["pm25"] and r["pm10"]]
    assert all(pm25 < pm10 for pm25, pm10 in pairs)
    missing = sum(1 for r in rows for c in generate_demo.AIR_COLUMNS if r[c] == "")
    assert 0.01 < missing / (len(rows) * 6) < 0.03
    station, column, moment, value = generate_demo.AIR_SPIKE
    spike = next(r for r in rows if r["station_id"] == station and r["time"] == moment.isoformat())
    assert float(spike[column]) == value
    assert max(float(r["pm25"]) for r in rows if r["pm25"]) >= 150


def test_exceedances_and_near_limit_cluster_exist(content: Path) -> None:
    exceed, near = set(), {}
    for path in (content / "datasets").glob("emissions-*-2025/*.csv"):
        for r in read_rows(path):
            ratio = float(r["value"]) / float(r["limit"])
            if ratio > 1:
                exceed.add((r["enterprise_id"], r["parameter"]))
            key = (r["enterprise_id"], r["outlet_id"], r["parameter"])
            total, close = near.get(key, (0, 0))
            near[key] = (total + 1, close + (0.95 <= ratio < 1))
    assert ("ent-qingshan-cement", "nox") in exceed
    clustered = [k for k, (total, close) in near.items() if close / total > 0.5]
    assert clustered == [generate_demo.SUSPICIOUS]


def test_wrong_on_purpose_items(content: Path) -> None:
    late = read_rows(content / "datasets" / "emissions-qingshan-2025q4-late" / "stack_qingshan_2025q4_late.csv")
    strays = [r for r in late if r["area_code"] != "990122"]
    assert len(strays) == 1 and strays[0]["area_code"] == "990121"
    noise = yaml.safe_load((content / "datasets" / "noise-hubin-2025" / "dataset.yaml").read_text(encoding="utf-8"))
    units = {f.get("unit") for f in noise["resources"][0]["schema"]["fields"]}
    assert "dB(a)" in units
    notice = (content / "bulletins" / "notice-sampling-2025-12.md").read_text(encoding="utf-8")
    assert re.search(r"1[3-9]\d{9}", notice)
    log = yaml.safe_load((content / "datasets" / "air-station-maintenance-log-2025" / "dataset.yaml")
                         .read_text(encoding="utf-8"))
    assert log["classification"] == "internal"


def test_datasets_match_their_schema_and_bulletins_their_charts(content: Path) -> None:
    charts = set()
    for meta_path in (content / "datasets").glob("*/dataset.yaml"):
        meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
        assert meta["id"] == meta_path.parent.name
        for resource in meta.get("resources") or []:  # a derived dataset has none
            header = (meta_path.parent / resource["path"]).read_text(encoding="utf-8").split("\n", 1)[0]
            assert header.split(",") == [f["name"] for f in resource["schema"]["fields"]]
        charts |= {f"{meta['id']}/{c['id']}" for c in meta.get("charts", [])}
    bulletins = list((content / "bulletins").glob("*.md"))
    assert len([b for b in bulletins if not b.name.endswith(".en.md")]) >= 6
    assert len([b for b in bulletins if b.name.endswith(".en.md")]) >= 2
    for path in bulletins:
        text = path.read_text(encoding="utf-8")
        front = yaml.safe_load(text.split("---\n")[1])
        assert front["title"]
        for ref in re.findall(r"\[\[chart: ([^\]]+)\]\]", text) + front.get("charts", []):
            assert ref in charts, (path.name, ref)
