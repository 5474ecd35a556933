"""How long do a dataset's charts take to build at scale, how much memory, and how big are they?

Generates, in a temporary folder, the demo city's hourly air dataset (the schema and the eight
charts of ``content/datasets/air-hourly-2025/dataset.yaml``) for N stations x Y years of hourly
values, then measures, one right after the other, each in a fresh process (Arrow keeps the
memory it freed, which would hide the second one's peak):

* ``pyarrow.csv.read_csv`` of the same CSV file: the reference, the floor of reading it;
* ``dataset_frames`` and ``build_chart`` of every chart in both languages, as the build does;

and prints each one's seconds and peak memory (resident memory above what the process held before,
sampled every few milliseconds), the time per row, the largest chart's data bytes (the figure
JSON in the page) and the bytes of all the dataset's charts on its page (figure JSON and table
cells). Times exclude the interpreter's start and imports.

    .venv/bin/python benchmarks/charts_benchmark.py [--sizes 60x1,100x3,300x5]

A size is ``<stations>x<years>``: 60x1 is 525,600 rows, 100x3 2.6 M, 300x5 13.1 M.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "content" / "datasets" / "air-hourly-2025" / "dataset.yaml"
# pollutant, typical value, decimals (the demo's: μg/m³ with one decimal, CO in mg/m³ with two)
PARAMS = [("so2", 10, 1), ("no2", 30, 1), ("co", 0.8, 2), ("o3", 70, 1), ("pm10", 70, 1), ("pm25", 40, 1)]
# The years end with 2025, as the demo's: HJ 633-2026, in force from 2026-03-01, has no tables on
# file, so no AQI chart can be drawn for a later day.
LAST_YEAR = 2025

REGISTRY = """\
city: {{code: '990100', name: 示范市, name_en: Demo City}}
areas:
- {{code: '990100', name: 示范市, name_en: Demo City, level: city}}
air_stations:
{stations}
"""


def make_portal(folder: Path, stations: int, years: int) -> Path:
    """Write a one-dataset portal (registry + the demo's dataset.yaml + CSV); returns the CSV path.

    Station by station, so memory stays small whatever the size."""
    content = folder / "content"
    ds = content / "datasets" / "air-hourly-2025"
    ds.mkdir(parents=True)
    ids = [f"aq-s{i:03d}" for i in range(stations)]
    (content / "registry.yaml").write_text(REGISTRY.format(stations="\n".join(
        f"- {{id: {s}, name: 站点{i:03d}, name_en: Station {i:03d}, area: '990100', lat: 30.5, lon: 114.3, "
        f"type: urban}}" for i, s in enumerate(ids))), encoding="utf-8")
    (ds / "dataset.yaml").write_bytes(DEMO.read_bytes())
    # hours named by their end, as in the demo: the first is 01:00 on 1 January, the last 00:00 on 1 January
    start, end = np.datetime64(f"{LAST_YEAR + 1 - years}-01-01T01:00:00"), np.datetime64(f"{LAST_YEAR + 1}-01-01T01:00:00")
    hours = np.arange(start, end, np.timedelta64(1, "h"))
    times = pa.array(np.char.add(hours.astype(str), "+08:00"))
    day_of_year = (hours - hours.astype("datetime64[Y]")).astype("timedelta64[D]").astype(int)
    hour = hours.astype("datetime64[h]").astype(int) % 24
    rng = np.random.default_rng(2025)
    csv_path = ds / "air_hourly_2025.csv"
    with csv_path.open("wb") as out:
        out.write(("station_id,time," + ",".join(p for p, _, _ in PARAMS) + "\n").encode())
        for s in ids:
            level = rng.uniform(0.6, 1.5)  # some stations are dirtier than others
            season = 1 + 0.4 * np.cos(2 * np.pi * day_of_year / 365)  # winter is worse
            daily = 1 + 0.2 * np.sin(2 * np.pi * (hour - 8) / 24)
            columns = {"station_id": pa.array([s] * len(hours)), "time": times}
            for p, typical, decimals in PARAMS:
                shape = season if p != "o3" else 2 - season  # ozone peaks in summer
                values = np.round(rng.gamma(4.0, typical * level / 4.0, len(hours)) * shape * daily, decimals)
                columns[p] = pa.array(values, mask=rng.random(len(hours)) < 0.01)  # about 1 % missing hours
            pacsv.write_csv(pa.table(columns), out,
                            write_options=pacsv.WriteOptions(include_header=False, quoting_style="none"))
    return csv_path


CHILD = r"""
import json, os, sys, threading, time

class Peak:
    '''Peak resident memory above the level at the start, sampled every 5 ms.'''
    def __enter__(self):
        self.start = self.peak = self.rss()
        self.running = True
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()
        return self
    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        self.peak = max(self.peak, self.rss())
    def sample(self):
        while self.running:
            self.peak = max(self.peak, self.rss())
            time.sleep(0.005)
    @staticmethod
    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    @property
    def mb(self):
        return (self.peak - self.start) / 2**20

folder, csv_path, part = sys.argv[1], sys.argv[2], sys.argv[3]
result = {}
if part == "reference":
    import pyarrow.csv
    with Peak() as peak:
        t = time.perf_counter()
        table = pyarrow.csv.read_csv(csv_path)
        result["reference_s"] = time.perf_counter() - t
    result["reference_mb"] = peak.mb
    result["rows"] = table.num_rows
    del table
if part == "charts":
    from pathlib import Path
    import publisher.standards  # imports are not timed
    from publisher.charts import build_chart, dataset_frames, registry_names
    from publisher.content import load_content
    content = load_content(Path(folder))
    ds = content.datasets["air-hourly-2025"]
    names = {lang: registry_names(content.registry, lang) for lang in ("zh", "en")}
    each = {}
    with Peak() as peak:
        t = time.perf_counter()
        frames = dataset_frames(ds, "Asia/Shanghai")
        each["(dataset_frames)"] = time.perf_counter() - t
        drawn = []
        for chart in ds.charts:
            c = time.perf_counter()
            for lang in ("zh", "en"):
                drawn.append(build_chart(ds, chart, frames[chart.resource], lang, names[lang], content.registry))
            each[chart.id] = time.perf_counter() - c
        result["charts_s"] = time.perf_counter() - t
    result["charts_mb"] = peak.mb
    result["each_s"] = each
    zh = drawn[::2]
    result["largest"] = max((r.data_bytes, r.ref) for r in zh)
    result["page_bytes"] = sum(r.data_bytes + len(json.dumps([r.table_columns, r.table_rows], ensure_ascii=False).encode())
                               for r in zh)
    result["notes"] = {r.ref.split("/")[-1]: r.note.get("zh", "") for r in zh}
print(json.dumps(result))
"""


def run_child(folder: Path, csv_path: Path, part: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(folder), str(csv_path), part], capture_output=True,
                         text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="60x1,100x3", help="comma-separated <stations>x<years>")
    args = parser.parse_args()
    for size in args.sizes.split(","):
        stations, years = (int(n) for n in size.split("x"))
        with tempfile.TemporaryDirectory(prefix="publisher-charts-") as tmp:
            t = time.perf_counter()
            csv_path = make_portal(Path(tmp), stations, years)
            print(f"\n{stations} stations x {years} years: {csv_path.stat().st_size / 1e6:.0f} MB of CSV "
                  f"generated in {time.perf_counter() - t:.0f} s")
            ref = run_child(Path(tmp), csv_path, "reference")
            got = run_child(Path(tmp), csv_path, "charts")
        rows = ref["rows"]
        print(f"  rows: {rows:,}")
        print(f"  {'':34}{'seconds':>9}{'µs/row':>8}{'peak MB':>9}")
        print(f"  {'pyarrow.csv.read_csv (reference)':34}{ref['reference_s']:>9.2f}"
              f"{ref['reference_s'] / rows * 1e6:>8.2f}{ref['reference_mb']:>9.0f}")
        print(f"  {'all 8 charts, zh + en':34}{got['charts_s']:>9.2f}{got['charts_s'] / rows * 1e6:>8.2f}"
              f"{got['charts_mb']:>9.0f}")
        print(f"  charts / reference read = {got['charts_s'] / ref['reference_s']:.1f}x time, "
              f"{got['charts_mb'] / max(ref['reference_mb'], 1):.1f}x memory")
        print("  seconds by chart (both languages): " + ", ".join(f"{k} {v:.2f}" for k, v in got["each_s"].items()))
        print(f"  largest chart's data: {got['largest'][0] / 1024:.1f} KB ({got['largest'][1]}); "
              f"all charts on the page (data + tables): {got['page_bytes'] / 1024:.0f} KB")
        for chart, note in got["notes"].items():
            if note:
                print(f"    {chart}: {note}")


if __name__ == "__main__":
    main()
