"""Open-data benchmark: every download of one version of a synthetic hourly air dataset.

Synthetic hourly air quality (station, time, six pollutants: the demo's schema), 8,760 hours a
station-year, as many stations and years as the row count needs. For each size, in a fresh
process: :func:`publisher.opendata.plan_open_data` of one version (both CSVs, XLSX when it fits,
Parquet, README, datapackage.json, the version zip, SHA256SUMS, ``latest/``, versions.json, the
bulk zip, the catalogues), then ``pyarrow.csv.read_csv`` + ``pyarrow.csv.write_csv`` of the same
file (the reference). Prints seconds, microseconds per row, peak memory (resident set above
the process's size before the phase, sampled every 10 ms), CPU seconds of all threads (the wall
time of a shared machine drifts) and the ratios. A benchmark, not a test.

    .venv/bin/python benchmarks/opendata_benchmark.py --rows 500000 2600000 13000000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOURS = 8760  # a station-year
YEARS = 5
POLLUTANTS = ("so2", "no2", "co", "o3", "pm10", "pm25")

DATASET_YAML = """\
id: air-synthetic
title: {zh: 合成小时空气质量, en: Synthetic hourly air quality}
description: {zh: 用于基准测试的合成数据。, en: Synthetic data for the benchmark.}
category: air_quality
department: sthjj
area: {code: "990100", name: 示范市}
classification: public
license: CC-BY-4.0
update_frequency: hourly
temporal: {start: 2021-01-01, end: 2025-12-31}
spatial: {description: {zh: 全省, en: Whole province}}
status: verified
resources:
  - name: air-hourly
    path: air_hourly.csv
    title: {zh: 小时浓度, en: Hourly concentrations}
    schema:
      primary_key: [station_id, time]
      fields:
        - {name: station_id, type: string, title: {zh: 站点编号, en: Station ID}}
        - {name: time, type: datetime, title: {zh: 时间, en: Time}}
""" + "".join(f"        - {{name: {p}, type: number, unit: μg/m³, title: {{zh: {p}, en: {p}}}}}\n" for p in POLLUTANTS)


def write_air_csv(path: Path, rows: int, seed: int = 1) -> None:
    """``rows`` hourly rows, station by station, year by year; 2 % of the values missing."""
    rng = random.Random(seed)
    start = datetime(2021, 1, 1, 1, tzinfo=timezone(timedelta(hours=8)))
    times = [(start + timedelta(hours=h)).isoformat() for h in range(HOURS * YEARS)]

    def block() -> list[str]:  # one station-year of values; 17 blocks, cycled (deflate sees no repeats)
        lines = []
        for _ in range(HOURS):
            values = [f"{rng.uniform(2, 30):.1f}", f"{rng.uniform(5, 90):.1f}", f"{rng.uniform(0.2, 2):.2f}",
                      f"{rng.uniform(5, 200):.1f}", f"{rng.uniform(10, 300):.1f}", f"{rng.uniform(5, 250):.1f}"]
            if rng.random() < 0.02:
                values[rng.randrange(6)] = ""
            lines.append(",".join(values))
        return lines

    blocks = [block() for _ in range(17)]
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("station_id,time," + ",".join(POLLUTANTS) + "\n")
        written, station = 0, 0
        while written < rows:
            for year in range(YEARS):
                n = min(HOURS, rows - written)
                if n <= 0:
                    break
                values = blocks[(station * YEARS + year) % len(blocks)]
                hours = times[year * HOURS:year * HOURS + n]
                out.write("".join(f"aq-{station:03d},{t},{v}\n" for t, v in zip(hours, values)))
                written += n
            station += 1


class PeakMemory:
    """Resident set size sampled every 10 ms in a thread: the highest value above the start."""

    def __init__(self) -> None:
        self.start = self.peak = _rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, _rss())

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())

    @property
    def above_start(self) -> int:
        return self.peak - self.start


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(csv_path: Path, work: Path) -> dict[str, float]:
    """In this process: every download of one version, then the reference; seconds and bytes."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from publisher.config import load_rules
    from publisher.content import load_content
    from publisher.model import DatasetVersion, SiteModel
    from publisher.opendata import plan_open_data
    from publisher.release import Release

    project = work / "portal"
    shutil.copytree(ROOT / "tests" / "fixtures" / "portal", project)
    folder = project / "content" / "datasets" / "air-synthetic"
    folder.mkdir(parents=True)
    (folder / "dataset.yaml").write_text(DATASET_YAML, encoding="utf-8")
    # The dataset's own file only gives the loader its columns: the version's archived file is read.
    (folder / "air_hourly.csv").write_text("station_id,time," + ",".join(POLLUTANTS) + "\n", encoding="utf-8")
    tz = timezone(timedelta(hours=8))
    content = load_content(project)
    site = SiteModel(rules=load_rules(project), content=content,
                     release=Release(at=datetime(2026, 1, 2, tzinfo=tz),
                                     datasets={"air-synthetic": content.datasets["air-synthetic"]}))
    site.versions = {"air-synthetic": [DatasetVersion("air-synthetic", 1, datetime(2026, 1, 1, 9, tzinfo=tz),
                                                      "initial", {"air-hourly": csv_path})]}
    result: dict[str, float] = {}
    # The stage first: a reference run first would leave pyarrow's memory pool grown, and the
    # stage's peak would hide in memory the process already holds.
    with PeakMemory() as memory:
        start, cpu = time.perf_counter(), time.process_time()
        plan_open_data(site, work / "scratch")
        result["opendata_s"] = time.perf_counter() - start
        result["opendata_cpu"] = time.process_time() - cpu
    result["opendata_peak"] = memory.above_start
    pa.default_memory_pool().release_unused()
    with PeakMemory() as memory:
        start, cpu = time.perf_counter(), time.process_time()
        table = pacsv.read_csv(csv_path)
        pacsv.write_csv(table, work / "reference.csv")
        result["reference_s"] = time.perf_counter() - start
        result["reference_cpu"] = time.process_time() - cpu
    result["reference_peak"] = memory.above_start
    result["output_bytes"] = sum(p.stat().st_size for p in (work / "scratch").rglob("*") if p.is_file())
    result["xlsx"] = float(any((work / "scratch").rglob("*.xlsx")))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[500_000, 2_600_000])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "opendata-benchmark",
                        help="where the synthetic CSV files are kept between runs")
    parser.add_argument("--child", nargs=2, metavar=("CSV", "WORK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(Path(args.child[0]), Path(args.child[1]))))
        return
    args.data.mkdir(parents=True, exist_ok=True)
    results = {}
    for rows in args.rows:
        csv_path = args.data / f"air-{rows}.csv"
        if not csv_path.exists():
            print(f"writing {rows:,} synthetic rows to {csv_path} ...", flush=True)
            write_air_csv(csv_path.with_suffix(".part"), rows)
            csv_path.with_suffix(".part").rename(csv_path)
        with tempfile.TemporaryDirectory() as work:  # a fresh process per size: its own peak memory
            child = subprocess.run([sys.executable, __file__, "--child", str(csv_path), work],
                                   check=True, capture_output=True, text=True)
        results[rows] = json.loads(child.stdout.splitlines()[-1])
        r = results[rows]
        print(f"{rows:>11,} rows ({csv_path.stat().st_size / 1e6:,.0f} MB CSV): open data {r['opendata_s']:7.1f} s "
              f"({r['opendata_s'] / rows * 1e6:5.1f} µs/row; CPU {r['opendata_cpu']:.1f} s, all threads), "
              f"peak +{r['opendata_peak'] / 2**20:,.0f} MiB, {r['output_bytes'] / 1e6:,.0f} MB written"
              f"{'' if r['xlsx'] else ', no XLSX (too many rows)'}; reference {r['reference_s']:5.1f} s "
              f"(CPU {r['reference_cpu']:.1f} s), peak +{r['reference_peak'] / 2**20:,.0f} MiB; "
              f"open data / reference {r['opendata_s'] / r['reference_s']:.1f}x", flush=True)
    smallest = min(results)
    base = results[smallest]["opendata_s"] / smallest
    for rows in sorted(results):
        if rows != smallest:
            per_row = results[rows]["opendata_s"] / rows
            print(f"time per row at {rows:,} / at {smallest:,}: {per_row / base:.2f} (goal ≤ 1.2)")


if __name__ == "__main__":
    main()
