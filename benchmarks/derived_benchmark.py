"""How do the derived computations scale? Daily AQI, real-time AQI, the air summary, water classes
and emission exceedances on a synthetic province, at several sizes, against a pyarrow read.

Generates, in a temporary folder, a project with one hourly air dataset of the demo's schema
(``content/datasets/air-hourly-2025``: ``station_id,time,so2,no2,co,o3,pm10,pm25``, end-of-hour
stamps, one decimal, CO two, about 2 % of cells empty and a few lost hours) for N stations × Y
years, a surface-water dataset (100 sections per 300 stations, monthly samples) and daily
emissions (2,000 enterprises per 300 stations, two pollutants, one outlet), with the five
derived definitions. Then measures, each in a fresh subprocess, with its peak memory
(``ru_maxrss``):

* ``pyarrow.csv.read_csv`` of the air file (the reference, so the ratios hold on any machine);
* each method: the computation (reading its inputs included) and the writing of its files as the
  build writes them (``derived._write``);
* ``all``: the five methods in one process, as the build's "derived data" stage runs them.

and prints seconds, µs per input row, the ratio to the pyarrow read and, across sizes, the time
per row against the smallest size (goal: ≤ 1.2 at 13 M rows against 0.5 M).

    .venv/bin/python benchmarks/derived_benchmark.py                    # 0.5 M and 2.6 M rows
    .venv/bin/python benchmarks/derived_benchmark.py --sizes 60x1,100x3,300x5 --only all
    .venv/bin/python benchmarks/derived_benchmark.py --compare          # approaches, real-time AQI

``--compare`` times, on the real-time AQI (the heaviest: one output row per input row), the
vectorised pandas/NumPy code of ``publisher.derived`` against the same report computed by DuckDB
SQL (``pip install duckdb``), and counts the rows where the two CSV files differ.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
POLLUTANTS = [("so2", 10, 1), ("no2", 30, 1), ("co", 0.8, 2), ("o3", 70, 1), ("pm10", 70, 1), ("pm25", 40, 1)]
METHODS = ["daily-aqi", "realtime-aqi", "air-summary", "water-class", "emission-exceedance"]
CST = timezone(timedelta(hours=8))
HEAD = """\
id: {id}
title: {{zh: 合成 {id}, en: Synthetic {id}}}
description: {{zh: 基准测试的合成数据。, en: Synthetic data for the benchmark.}}
category: {category}
department: sthjj
area: {{code: '990100', name: 示范市}}
classification: public
license: CC-BY-4.0
update_frequency: daily
temporal: {{start: 2021-01-01, end: 2025-12-31}}
spatial: {{description: {{zh: 全省, en: Whole province}}}}
status: verified
"""


# -- the synthetic province --------------------------------------------------------------------------


def _write_csv(table: pa.Table, path: Path, append: bool = False) -> None:
    with open(path, "ab" if append else "wb") as out:
        pacsv.write_csv(table, out, pacsv.WriteOptions(include_header=not append, quoting_style="none"))


def air_rows(stations: int, years: int) -> int:
    hours = int((datetime(2021 + years, 1, 1) - datetime(2021, 1, 1)).total_seconds() // 3600)
    return stations * hours


def make_air(folder: Path, stations: int, years: int, seed: int = 1) -> Path:
    """The hourly CSV, written one station at a time (bounded memory); returns its path."""
    rng = np.random.default_rng(seed)
    first = datetime(2021, 1, 1, 1, tzinfo=CST)
    hours = air_rows(1, years)
    stamps = pa.array([(first + timedelta(hours=h)).isoformat() for h in range(hours)])
    path = folder / "air_hourly.csv"
    for n in range(stations):
        keep = rng.random(hours) > 0.002  # a few lost hours
        keep[rng.integers(0, hours - 48, 2)[:, None] + np.arange(30)] = False  # two outages of 30 hours
        index = np.flatnonzero(keep)
        columns = {"station_id": pa.array([f"aq-{n:04d}"] * len(index)), "time": stamps.take(pa.array(index))}
        season = np.sin(index / (24 * 365.25) * 2 * np.pi)
        daily = np.sin(index / 24 * 2 * np.pi)
        for name, mean, decimals in POLLUTANTS:
            shape = 1 + 0.4 * (daily if name == "o3" else season) + rng.normal(0, 0.35, len(index))
            values = np.round(np.maximum(mean * shape, 0), decimals)
            columns[name] = pa.array(values, mask=rng.random(len(index)) < 0.02)
        _write_csv(pa.table(columns), path, append=n > 0)
    return path


def make_project(folder: Path, stations: int, years: int) -> dict[str, int]:
    """The whole project: registry, the three input datasets and the five definitions."""
    content = folder / "content"
    datasets = content / "datasets"
    counties = max(1, stations // 10)
    sections = max(3, stations // 3)
    enterprises = max(4, stations * 20 // 3)
    registry = {
        "city": {"code": "990100", "name": "示范市"},
        "areas": [{"code": "990100", "name": "示范市", "level": "city"},
                  *({"code": f"99{c + 1:04d}", "name": f"县{c}", "level": "county"} for c in range(counties))],
        "air_stations": [{"id": f"aq-{n:04d}", "name": f"站{n}", "area": f"99{n % counties + 1:04d}",
                          **({"type": "background"} if n % 25 == 24 else {"type": "urban"})} for n in range(stations)],
        "water_sections": [{"id": f"ws-{n:04d}", "name": f"断面{n}", "area": f"99{n % counties + 1:04d}",
                            "kind": ("river", "lake", "reservoir")[n % 3], "target_class": ("II", "III")[n % 2]}
                           for n in range(sections)],
        "enterprises": [{"id": f"ent-{n:05d}", "name": f"企业{n}", "area": f"99{n % counties + 1:04d}"}
                        for n in range(enterprises)],
    }
    content.mkdir(parents=True)
    (content / "registry.yaml").write_text(yaml.safe_dump(registry, allow_unicode=True), encoding="utf-8")
    # hourly air: the demo dataset's own schema
    demo = yaml.safe_load((ROOT / "content/datasets/air-hourly-2025/dataset.yaml").read_text(encoding="utf-8"))
    (datasets / "air").mkdir(parents=True)
    resource = {**demo["resources"][0], "path": "air_hourly.csv"}
    (datasets / "air" / "dataset.yaml").write_text(
        HEAD.format(id="air", category="air_quality") + yaml.safe_dump({"resources": [resource]}, allow_unicode=True),
        encoding="utf-8")
    make_air(datasets / "air", stations, years)
    water = make_water(datasets, sections, years)
    emissions = make_emissions(datasets, enterprises, years)
    for method, inputs in (("daily-aqi", "air"), ("realtime-aqi", "air"), ("air-summary", "air"),
                           ("water-class", "water"), ("emission-exceedance", "emissions")):
        (datasets / method).mkdir()
        (datasets / method / "dataset.yaml").write_text(
            HEAD.format(id=method, category="air_quality") + f"derived: {{method: {method}, inputs: [{inputs}]}}\n",
            encoding="utf-8")
    return {"air": air_rows(stations, years), "water": water, "emissions": emissions}


def _fields(spec: list[tuple[str, str, str | None]]) -> str:
    return "\n".join(f"    - {{name: {n}, type: {t}, title: {{zh: {n}, en: {n}}}"
                     + (f", parameter: {p}" if p else "") + "}" for n, t, p in spec)


def _resource(item: str, category: str, folder: Path, spec: list[tuple[str, str, str | None]]) -> None:
    (folder / item).mkdir(parents=True)
    (folder / item / "dataset.yaml").write_text(
        HEAD.format(id=item, category=category)
        + f"resources:\n- name: data\n  path: data.csv\n  title: {{zh: 数据, en: Data}}\n  schema:\n    fields:\n"
        + _fields(spec) + "\n", encoding="utf-8")


def make_water(folder: Path, sections: int, years: int, seed: int = 2) -> int:
    rng = np.random.default_rng(seed)
    spec = [("section_id", "string", None), ("sample_date", "date", None), ("ph", "number", "ph"),
            ("do", "number", "do"), ("codmn", "number", "codmn"), ("nh3n", "number", "nh3_n"),
            ("tp", "number", "tp"), ("tn", "number", "tn"), ("hg", "number", "hg")]
    _resource("water", "surface_water", folder, spec)
    days = [f"{2021 + y}-{m:02d}-{rng.integers(5, 20):02d}" for y in range(years) for m in range(1, 13)]
    n = sections * len(days)
    table = {"section_id": np.repeat([f"ws-{s:04d}" for s in range(sections)], len(days)),
             "sample_date": np.tile(days, sections)}
    for (name, _, _), scale in zip(spec[2:], (7.5, 6, 4, 0.8, 0.15, 1.2, 0.00008)):
        table[name] = np.round(scale * rng.uniform(0.3, 2.2, n), 5)
    _write_csv(pa.table(table), folder / "water" / "data.csv")
    return n


def make_emissions(folder: Path, enterprises: int, years: int, seed: int = 3) -> int:
    rng = np.random.default_rng(seed)
    spec = [("area_code", "string", None), ("enterprise_id", "string", None), ("outlet_id", "string", None),
            ("date", "date", None), ("parameter", "string", None), ("value", "number", None),
            ("unit", "string", None), ("limit", "number", None)]
    _resource("emissions", "pollution_source", folder, spec)
    start = datetime(2021, 1, 1)
    days = [(start + timedelta(days=d)).date().isoformat() for d in range(air_rows(1, years) // 24)]
    path, rows = folder / "emissions" / "data.csv", 0
    for first in range(0, enterprises, 200):
        ids = np.arange(first, min(first + 200, enterprises))
        n = len(ids) * len(days) * 2
        limit = np.tile(np.repeat([35.0, 50.0], 1), len(ids) * len(days))
        table = {"area_code": np.repeat([f"99{i % 30 + 1:04d}" for i in ids], len(days) * 2),
                 "enterprise_id": np.repeat([f"ent-{i:05d}" for i in ids], len(days) * 2),
                 "outlet_id": np.full(n, "DA001"), "date": np.tile(np.repeat(days, 2), len(ids)),
                 "parameter": np.tile(["so2", "nox"], len(ids) * len(days)),
                 "value": np.round(limit * rng.gamma(4, 0.18, n), 2), "unit": np.full(n, "mg/m³"), "limit": limit}
        _write_csv(pa.table(table), path, append=first > 0)
        rows += n
    return rows


# -- measuring -------------------------------------------------------------------------------------------

CHILD = """
import json, resource, sys, time
from pathlib import Path
project, what = Path(sys.argv[1]), sys.argv[2]
if what == "pyarrow-read":
    import pyarrow.csv as pacsv
    start = time.perf_counter()
    pacsv.read_csv(project / "content/datasets/air/air_hourly.csv")
    timing = {"compute": time.perf_counter() - start, "write": 0.0}
else:
    from publisher.content import load_content
    from publisher import derived
    content = load_content(project)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    timing = {"compute": 0.0, "write": 0.0}
    for ds in sorted(content.datasets.values(), key=lambda d: d.id):
        if ds.derived is None or what not in ("all", ds.derived.method):
            continue
        start = time.perf_counter()
        computed = derived.METHODS[ds.derived.method]([content.datasets[i] for i in ds.derived.inputs],
                                                      content.registry, "Asia/Shanghai", None)
        middle = time.perf_counter()
        out = project / "out"
        (out / "datasets" / ds.id).mkdir(parents=True, exist_ok=True)
        derived._write(ds, computed, [], out)
        timing["compute"] += middle - start
        timing["write"] += time.perf_counter() - middle
        del computed
print(json.dumps({**timing, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def run_child(project: Path, what: str) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(project), what], capture_output=True, text=True,
                          cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{what} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(sizes: list[tuple[int, int]], only: list[str]) -> None:
    per_row: dict[str, dict[int, float]] = {}
    for stations, years in sizes:
        with tempfile.TemporaryDirectory(prefix="derived-bench-") as tmp:
            project = Path(tmp)
            start = time.perf_counter()
            rows = make_project(project, stations, years)
            made = time.perf_counter() - start
            size = (project / "content/datasets/air/air_hourly.csv").stat().st_size
            print(f"\n== {stations} stations × {years} years: {rows['air']:,} hourly air rows ({size / 1e6:.0f} MB), "
                  f"{rows['water']:,} water samples, {rows['emissions']:,} emission rows (made in {made:.0f} s)")
            reference = run_child(project, "pyarrow-read")
            ref = reference["compute"]
            print(f"{'':22}{'compute s':>10}{'write s':>9}{'total s':>9}{'µs/row':>8}{'× read':>8}{'peak MB':>9}")
            print(f"{'pyarrow read (ref.)':22}{ref:10.2f}{'':9}{ref:9.2f}{ref / rows['air'] * 1e6:8.2f}{1:8.1f}"
                  f"{reference['maxrss_kb'] / 1024:9.0f}")
            for what in only:
                got = run_child(project, what)
                total = got["compute"] + got["write"]
                counted = rows["water"] if what == "water-class" else \
                    rows["emissions"] if what == "emission-exceedance" else rows["air"]
                per_row.setdefault(what, {})[rows["air"]] = total / counted / ref * rows["air"]
                print(f"{what:22}{got['compute']:10.2f}{got['write']:9.2f}{total:9.2f}"
                      f"{total / counted * 1e6:8.2f}{total / ref:8.1f}{got['maxrss_kb'] / 1024:9.0f}", flush=True)
    if len(sizes) > 1:
        print("\ntime per row (relative to the pyarrow read) against the smallest size:")
        for what, by_size in per_row.items():
            first = by_size[min(by_size)]
            print(f"  {what:22}" + "  ".join(f"{n / 1e6:.1f} M: {v / first:.2f}" for n, v in sorted(by_size.items())))


# -- approaches to the heaviest computation: the real-time AQI -----------------------------------------


def duckdb_sql(path: Path, out: Path) -> str:
    """The platform real-time report (HJ 633-2012 5.1.3 as ``publisher.standards.realtime_aqi``
    applies it by default) in DuckDB SQL, from the CSV to a CSV: duplicates averaged, 24-h moving
    means over RANGE windows (20 valid hours), the O3 8-h mean restarting each day, concentrations
    rounded half to even, IAQI by the Table 1 breakpoints (above a column 500, SO2 > 800 → 200),
    AQI, level, primary pollutants and completeness."""
    from publisher.standards import aqi_method
    from publisher.standards.aqi import breakpoints
    from publisher.standards.versions import standard_by_id

    version = standard_by_id("HJ 633-2012")
    decimals = aqi_method("platform").decimals

    def iaqi(column: str, pollutant: str, period: str, above: int) -> str:
        bp, levels, _ = breakpoints(pollutant, period, version)
        steps = " ".join(f"WHEN {column} <= {bp[k]} THEN ceil(round(({levels[k]} - {levels[k - 1]}) / "
                         f"({bp[k]} - {bp[k - 1]}) * ({column} - {bp[k - 1]}) + {levels[k - 1]}, 9))"
                         for k in range(1, len(bp)))
        return f"CASE WHEN {column} < 0 THEN NULL {steps} WHEN {column} > {bp[-1]} THEN {above} END::BIGINT"

    names = [("so2", "SO2"), ("no2", "NO2"), ("pm10", "PM10"), ("co", "CO"), ("o3", "O3_1h"), ("pm25", "PM2.5")]
    typed = ", ".join(f"'{p}': 'DOUBLE'" for p, *_ in POLLUTANTS)
    hourly = ", ".join(f"avg({p}) AS {p}" for p, *_ in POLLUTANTS)
    moving = ", ".join(f"CASE WHEN count({p}) OVER d24 >= 20 THEN avg({p}) OVER d24 END AS {p}_24h"
                       for p in ("so2", "pm10", "pm25"))
    def even(column: str, pollutant: str) -> str:  # binary noise off first, as round_concentrations does
        scale = 10 ** decimals[pollutant]
        return f"round_even(round({column} * {scale}, 6), 0) / {scale}"

    rounded = ", ".join(f"{even(p, p)} AS {p}_1h" for p, *_ in POLLUTANTS)
    iaqis = [iaqi("so2_1h", "so2", "1h", 200), iaqi("no2_1h", "no2", "1h", 500),
                       iaqi("co_1h", "co", "1h", 500), iaqi("o3_1h", "o3", "1h", 500),
                       iaqi("pm10_1h", "pm10", "24h", 500), iaqi("pm25_1h", "pm25", "24h", 500)]
    columns = ["iaqi_so2", "iaqi_no2", "iaqi_co", "iaqi_o3_1h", "iaqi_pm10", "iaqi_pm25"]
    order = {"so2": "iaqi_so2", "no2": "iaqi_no2", "pm10": "iaqi_pm10", "co": "iaqi_co", "o3": "iaqi_o3_1h",
             "pm25": "iaqi_pm25"}

    def number(column: str, pollutant: str) -> str:
        return f"printf('%.{decimals[pollutant]}f', {column})"

    return f"""
SET TimeZone = 'UTC';
COPY (
WITH raw AS (
  SELECT station_id, strptime(time, '%Y-%m-%dT%H:%M:%S%z')::TIMESTAMP + INTERVAL 8 HOUR AS t, {", ".join(p for p, *_ in POLLUTANTS)}
  FROM read_csv('{path}', header = true, nullstr = '', columns = {{'station_id': 'VARCHAR', 'time': 'VARCHAR', {typed}}})),
h AS (SELECT station_id, t, {hourly} FROM raw GROUP BY station_id, t),
w AS (
  SELECT *, {moving},
    CASE WHEN count(o3) OVER d8 >= ceil(least(hour(t - INTERVAL 1 HOUR) + 1, 8) * 0.75) THEN avg(o3) OVER d8 END AS o3_8h
  FROM h
  WINDOW d24 AS (PARTITION BY station_id ORDER BY t RANGE BETWEEN INTERVAL 23 HOURS PRECEDING AND CURRENT ROW),
         d8 AS (PARTITION BY station_id, CAST(t - INTERVAL 1 HOUR AS DATE) ORDER BY t
                RANGE BETWEEN INTERVAL 7 HOURS PRECEDING AND CURRENT ROW)),
r AS (SELECT station_id, t, {rounded}, {even("o3_8h", "o3")} AS o3_8h, {even("so2_24h", "so2")} AS so2_24h,
        {even("pm10_24h", "pm10")} AS pm10_24h, {even("pm25_24h", "pm25")} AS pm25_24h
      FROM w WHERE coalesce({", ".join(p for p, *_ in POLLUTANTS)}) IS NOT NULL),
i AS (SELECT *, {", ".join(f"{e} AS {c}" for e, c in zip(iaqis, columns))} FROM r),
a AS (SELECT *, greatest({", ".join(columns)}) AS aqi0,
        {" OR ".join(f"({p}_1h IS NOT NULL AND {c} IS NULL)" for p, c in order.items())} AS withheld,
        concat_ws(';', {", ".join(f"CASE WHEN {c} IS NULL THEN '{n}' END" for (p, n), c in zip(names, order.values()))}) AS missing
      FROM i)
SELECT station_id, strftime(t, '%Y-%m-%dT%H:%M:%S+08:00') AS time,
  {", ".join(number(f"{p}_1h", p) + f" AS {p}_1h" for p in ("so2", "no2", "co", "o3", "pm10", "pm25"))},
  {number("o3_8h", "o3")} AS o3_8h, {number("so2_24h", "so2")} AS so2_24h, {number("pm10_24h", "pm10")} AS pm10_24h,
  {number("pm25_24h", "pm25")} AS pm25_24h,
  iaqi_so2, iaqi_no2, iaqi_co, iaqi_o3_1h, NULL AS iaqi_o3_8h, iaqi_pm10, iaqi_pm25,
  CASE WHEN NOT withheld THEN aqi0 END AS aqi,
  CASE WHEN NOT withheld THEN 1 + (aqi0 > 50)::INT + (aqi0 > 100)::INT + (aqi0 > 150)::INT + (aqi0 > 200)::INT
       + (aqi0 > 300)::INT END AS level,
  CASE WHEN NOT withheld AND aqi0 > 50 THEN concat_ws(';', {", ".join(f"CASE WHEN {c} = aqi0 THEN '{n}' END" for (p, n), c in zip(names, order.values()))}) END
    AS primary_pollutant,
  CASE WHEN withheld THEN 'withheld' WHEN missing <> '' THEN 'incomplete' ELSE 'complete' END AS completeness,
  nullif(missing, '') AS missing_pollutants
FROM a ORDER BY station_id, t
) TO '{out}' (HEADER, DELIMITER ',');
"""


COMPARE = """
import json, resource, sys, time
from pathlib import Path
project, what = Path(sys.argv[1]), sys.argv[2]
if what == "duckdb":
    import duckdb
    sys.path.insert(0, "benchmarks")
    from derived_benchmark import duckdb_sql
    sql = duckdb_sql(project / "content/datasets/air/air_hourly.csv", project / "duckdb.csv")
    start = time.perf_counter()
    duckdb.connect().execute(sql)
else:
    from publisher.content import load_content
    from publisher import derived
    content = load_content(project)
    start = time.perf_counter()
    computed = derived.realtime([content.datasets["air"]], content.registry, "Asia/Shanghai", "platform")
    with open(project / "pandas.csv", "wb") as out:
        for block in computed.tables[0].csv_blocks():
            out.write(block)
print(json.dumps({"seconds": time.perf_counter() - start,
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def compare(stations: int, years: int) -> None:
    """The real-time AQI by both approaches on one synthetic input; their times, memory and the
    rows where their files differ."""
    with tempfile.TemporaryDirectory(prefix="derived-compare-") as tmp:
        project = Path(tmp)
        rows = make_project(project, stations, years)["air"]
        print(f"real-time AQI (platform), {stations} stations × {years} years = {rows:,} hourly rows")
        reference = run_child(project, "pyarrow-read")["compute"]
        print(f"{'':24}{'seconds':>9}{'× read':>8}{'peak MB':>9}")
        print(f"{'pyarrow read (ref.)':24}{reference:9.2f}{1:8.1f}")
        for what in ("pandas/NumPy", "duckdb"):
            done = subprocess.run([sys.executable, "-c", COMPARE, str(project), what.split("/")[0].lower()],
                                  capture_output=True, text=True, cwd=ROOT)
            if done.returncode != 0:
                raise SystemExit(f"{what} failed:\n{done.stderr[-3000:]}")
            got = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{what:24}{got['seconds']:9.2f}{got['seconds'] / reference:8.1f}{got['maxrss_kb'] / 1024:9.0f}")
        ours = (project / "pandas.csv").read_text(encoding="utf-8").splitlines()
        theirs = (project / "duckdb.csv").read_text(encoding="utf-8").splitlines()
        differ = sum(a != b for a, b in zip(ours, theirs)) + abs(len(ours) - len(theirs))
        example = next(((a, b) for a, b in zip(ours, theirs) if a != b), None)
        print(f"rows: {len(ours) - 1:,} and {len(theirs) - 1:,}; differing lines: {differ:,}")
        if example:
            print(f"  e.g. ours:   {example[0]}\n       duckdb: {example[1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="60x1,100x3", help="stations×years, comma separated (300x5: 13 M rows)")
    parser.add_argument("--only", default=",".join([*METHODS, "all"]), help="what to time, comma separated")
    parser.add_argument("--compare", action="store_true", help="pandas/NumPy against DuckDB on the real-time AQI")
    args = parser.parse_args()
    sizes = [tuple(int(x) for x in s.split("x")) for s in args.sizes.split(",")]
    if args.compare:
        for stations, years in sizes:
            compare(stations, years)
    else:
        measure(sizes, args.only.split(","))


if __name__ == "__main__":
    main()
