"""How fast is ``publisher check`` on a big file, against pyarrow and frictionless?

Generates, in a temporary folder, a portal with one dataset: a 1,000,000-row hourly air CSV
(``station_id,time,so2,no2,co,o3,pm10,pm25``, like the demo city's) with its ``dataset.yaml``,
registry and rules. Then measures, in the same run, each in a fresh subprocess:

* ``check_items`` on the portal (every rule family: types, ranges, references, primary key,
  privacy, data capture, quality screens);
* ``pyarrow.csv.read_csv`` of the same file (type inference, multi-threaded): the floor;
* ``frictionless validate`` with the same schema, on a 100,000-row sample scaled up linearly
  (the full file takes minutes; the output says so) - or on the full file with ``--full``.

and prints the times, the ratios and each process's peak memory (``ru_maxrss``).

Goals: check within 2x the pyarrow read, at least 30x faster than frictionless, peak memory
well under 1 GB. Run: ``.venv/bin/python benchmarks/check_benchmark.py [--rows N] [--full]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PARAMS = [("so2", "μg/m³", 10, 1), ("no2", "μg/m³", 30, 1), ("co", "mg/m³", 0.8, 2), ("o3", "μg/m³", 70, 1),
          ("pm10", "μg/m³", 70, 1), ("pm25", "μg/m³", 40, 1)]
N_STATIONS = 114  # 1,000,000 rows is 114 stations x 8,772 hours (one year and a bit)

RULES = """\
version: 1
site:
  name: {zh: 基准测试, en: Benchmark}
  city: {code: "990100", name: 示范市}
  timezone: Asia/Shanghai
departments:
  sthjj: {name: {zh: 示范市生态环境局, en: Bureau}, level: city, area: "990100"}
"""


def make_portal(folder: Path, rows: int) -> Path:
    """Write the portal; returns the CSV path."""
    content = folder / "content"
    ds = content / "datasets" / "air-bench"
    ds.mkdir(parents=True)
    (folder / "release_rules.yaml").write_text(RULES, encoding="utf-8")
    stations = [f"aq-st{i:03d}" for i in range(N_STATIONS)]
    registry = ["city: {code: \"990100\", name: 示范市}", "areas:", "  - {code: \"990100\", name: 示范市, level: city}",
                "air_stations:"]
    registry += [f"  - {{id: {s}, name: 站{i}, area: \"990100\", lat: 30.5, lon: 114.3, type: urban}}"
                 for i, s in enumerate(stations)]
    (content / "registry.yaml").write_text("\n".join(registry) + "\n", encoding="utf-8")
    fields = ["    - {name: station_id, type: string, references: air_stations, constraints: {required: true}}",
              "    - {name: time, type: datetime, constraints: {required: true}}"]
    fields += [f"    - {{name: {p}, type: number, unit: {u}, parameter: {p}, constraints: {{minimum: 0}}}}"
               for p, u, _, _ in PARAMS]
    (ds / "dataset.yaml").write_text("\n".join([
        "id: air-bench", "title: {zh: 基准小时数据, en: Benchmark hourly data}", "description: {zh: 基准, en: Benchmark}",
        "category: air_quality", "department: sthjj", "area: {code: \"990100\", name: 示范市}", "classification: public",
        "license: CC-BY-4.0", "update_frequency: hourly", "temporal: {start: 2024-01-01, end: 2025-01-01}",
        "spatial: {description: {zh: 全市, en: City}}", "status: provisional", "resources:", "  - name: air",
        "    path: air.csv", "    schema:", "      primary_key: [station_id, time]", "      missing_values: ['']",
        "      fields:", *["  " + f for f in fields]]) + "\n", encoding="utf-8")

    hours = -(-rows // N_STATIONS)
    rng = np.random.default_rng(2025)
    t0 = np.datetime64("2024-01-01T01:00:00")
    times = (t0 + np.arange(hours).astype("timedelta64[h]")).astype(str)
    times = np.char.add(times, "+08:00")
    columns = {"station_id": pa.array(np.repeat(np.array(stations), hours)[:rows]),
               "time": pa.array(np.tile(times, N_STATIONS)[:rows])}
    for p, _, scale, decimals in PARAMS:
        values = np.round(rng.gamma(2.0, scale / 2.0, size=rows), decimals)
        mask = rng.random(rows) < 0.01  # about 1 % missing hours, as in real data
        columns[p] = pa.array(values, mask=mask)
    table = pa.table(columns)
    csv_path = ds / "air.csv"
    with csv_path.open("wb") as out:
        out.write((",".join(columns) + "\n").encode())
        # Missing numbers become empty cells and nothing is quoted: what departments send.
        pacsv.write_csv(table, out, write_options=pacsv.WriteOptions(include_header=False, quoting_style="none"))
    return csv_path


CHILD_CHECK = """
import json, resource, sys, time
from publisher.check import check_items
t = time.perf_counter()
result = check_items(sys.argv[1])
elapsed = time.perf_counter() - t
print(json.dumps({"seconds": elapsed, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "findings": len(result.report), "errors": len(result.report.errors)}))
"""

CHILD_ARROW = """
import json, resource, sys, time
import pyarrow.csv
t = time.perf_counter()
table = pyarrow.csv.read_csv(sys.argv[1])
elapsed = time.perf_counter() - t
print(json.dumps({"seconds": elapsed, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "rows": table.num_rows}))
"""


def run_child(code: str, arg: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, arg], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def frictionless_seconds(csv_path: Path, rows: int, full: bool, folder: Path) -> tuple[float, int, str]:
    """Time ``frictionless validate`` (wall clock, the CLI as a user runs it)."""
    exe = shutil.which("frictionless") or str(Path(sys.executable).with_name("frictionless"))
    schema = {"fields": [{"name": "station_id", "type": "string", "constraints": {"required": True}},
                         {"name": "time", "type": "datetime", "format": "any", "constraints": {"required": True}}]
              + [{"name": p, "type": "number", "constraints": {"minimum": 0}} for p, *_ in PARAMS],
              "primaryKey": ["station_id", "time"]}
    schema_path = folder / "schema.json"  # frictionless refuses absolute paths: run it inside folder
    schema_path.write_text(json.dumps(schema), encoding="utf-8")
    if full:
        sample, sample_rows, how = csv_path, rows, "full file"
    else:
        sample_rows = min(100_000, rows)
        sample = folder / "sample.csv"
        with csv_path.open("rb") as src, sample.open("wb") as dst:
            for i, line in enumerate(src):
                if i > sample_rows:
                    break
                dst.write(line)
        how = f"{sample_rows:,}-row sample, scaled x{rows / sample_rows:g}"
    t = time.perf_counter()
    run = subprocess.run([exe, "validate", "--json", os.path.relpath(sample, folder), "--schema", schema_path.name],
                         capture_output=True, text=True, cwd=folder)
    seconds = (time.perf_counter() - t) * rows / sample_rows
    try:
        report = json.loads(run.stdout)
        tasks = report.get("tasks") or [{}]
        stats = tasks[0].get("stats", {})
        how += f"; valid={report.get('valid')}, rows read={stats.get('rows')}"
    except ValueError:
        how += "; could not read its report: " + (run.stderr or run.stdout)[-200:]
    return seconds, sample_rows, how


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of check and pyarrow (median reported)")
    parser.add_argument("--full", action="store_true", help="run frictionless on the full file (slow)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="publisher-bench-") as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        csv_path = make_portal(folder, args.rows)
        size_mb = csv_path.stat().st_size / 1e6
        print(f"generated {args.rows:,} rows, {size_mb:.1f} MB in {time.perf_counter() - t:.1f} s: {csv_path}")
        # Not alternated: on the development machine a read right after a check ran some 15 %
        # slower than after another read, which would flatter the ratio.
        checks = [run_child(CHILD_CHECK, str(folder)) for _ in range(args.repeat)]
        arrows = [run_child(CHILD_ARROW, str(csv_path)) for _ in range(args.repeat)]
        check_s = statistics.median(c["seconds"] for c in checks)
        arrow_s = statistics.median(a["seconds"] for a in arrows)
        fr_s, fr_rows, how = frictionless_seconds(csv_path, args.rows, args.full, folder)
        check_mb = max(c["maxrss_kb"] for c in checks) / 1024
        arrow_mb = max(a["maxrss_kb"] for a in arrows) / 1024
        print(f"check findings: {checks[0]['findings']} ({checks[0]['errors']} errors)")
        print()
        print(f"{'':28}{'seconds':>10}{'peak MB':>10}")
        print(f"{'publisher check':28}{check_s:>10.3f}{check_mb:>10.0f}")
        print(f"{'pyarrow.csv.read_csv':28}{arrow_s:>10.3f}{arrow_mb:>10.0f}")
        print(f"{'frictionless validate':28}{fr_s:>10.1f}{'':>10}   ({how})")
        print()
        print(f"check / pyarrow read     = {check_s / arrow_s:.2f}x   (goal <= 2x)")
        print(f"frictionless / check     = {fr_s / check_s:.0f}x    (goal >= 30x)")
        print(f"check peak memory        = {check_mb:.0f} MB (goal well under 1024 MB)")
        each_check = " ".join(f"{c['seconds']:.3f}" for c in checks)
        each_arrow = " ".join(f"{a['seconds']:.3f}" for a in arrows)
        print(f"runs: median of {args.repeat} (check {each_check}; pyarrow {each_arrow}); "
              f"times exclude interpreter start and imports; {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
