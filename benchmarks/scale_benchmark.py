"""Scale benchmark: `publisher build` as a whole process on a synthetic province (issue #15).

Starts from a copy of the demo city (release_rules.yaml and content/; the themes are bundled),
replays its approval history (tools/demo_history.py), then grows it, streaming to disk and seeded:
the hourly air dataset (air-hourly-2025: ``--stations`` x ``--years`` ending 2025), surface water
(``--sections``, monthly samples over the same years) and the enterprises' daily emissions
(``--enterprises``, spread over the five county datasets), with a registry entry for every new
station, section and enterprise. The dataset ids stay those of the demo, so the derived datasets
(daily and real-time AQI, the air summary, water classes, emission exceedances) derive from the
grown data. The new versions are submitted and approved with the demo keys (reason ``revision``,
warnings acknowledged); that time is printed apart.

Then each build is a separate process, ``publisher build --timings`` (plain ``publisher build`` if
the installed version has no ``--timings``), with PUBLISHER_NOW pinned to the demo's date, after
every approval: cold (no output/, no var/cache/), warm (nothing changed), after one new bulletin,
after a correction of one value of the water dataset, after a new version of the hourly air
dataset; ``--clean-each`` adds a clean build after each change and compares its bytes with the
incremental output. Wall time and peak memory of each build's process tree are measured: the RSS
of every process in the build's session summed, polled every 0.25 s, and the largest single
process's ``ru_maxrss`` from ``os.wait4``. References measured in the same run: a plain Pelican
build of the same bulletins and ``pyarrow.csv.read_csv`` of the hourly air CSV. A benchmark, not
a test.

    .venv/bin/python benchmarks/scale_benchmark.py --size demo
    .venv/bin/python benchmarks/scale_benchmark.py --size small --clean-each
    .venv/bin/python benchmarks/scale_benchmark.py --size province --compare-small   # the issue's goals
    .venv/bin/python benchmarks/scale_benchmark.py --stations 60 --years 2 --sections 20 --enterprises 200
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import logging
import math
import multiprocessing
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from itertools import repeat
from pathlib import Path
from typing import Any, Callable, TextIO

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CST = timezone(timedelta(hours=8))
LAST_YEAR = 2025
GB = 1024 ** 3
# Where an incremental build keeps what it reuses: deleted for the cold build, set aside for a clean one.
CACHE_DIRS = ("var/cache",)
AIR_DATASET = "air-hourly-2025"
WATER_DATASET = "surface-water-2025"
COUNTIES = ("chengdong", "chengxi", "qinghe", "qingshan", "hubin")
EMISSION_DATASETS = tuple(f"emissions-{c}-2025" for c in COUNTIES)
NEW_BULLETIN = "scale-benchmark-notice"
# Approvals of the grown content and of each change: after the demo history, before the build time.
APPROVALS_START = datetime(2026, 11, 2, 9, 0, tzinfo=CST)
GROWTH_NOTE = "基准测试：扩充为全省规模的合成数据 / benchmark: grown into a synthetic province"
WATER_NOTE = "更正：一个总磷数值录入有误，已按原始记录更正 / correction: one total phosphorus value was mistyped"
AIR_NOTE = "修订：一个小时的 PM2.5 数值经复核后更正 / revision: one hourly PM2.5 value corrected after review"
# The goals (#15).
DEMO_WARM_GOAL = 1.0
DEMO_BULLETIN_GOAL = 2.0
PROVINCE_COLD_GOAL = 15 * 60
MEMORY_GOAL = 4 * GB
PER_ROW_GOAL = 1.2


@dataclass(frozen=True)
class Size:
    """How far the demo is grown. ``stations``, ``sections`` and ``enterprises`` count the demo's own."""

    name: str
    stations: int
    years: int
    sections: int
    enterprises: int

    def describe(self) -> str:
        if self.name == "demo":
            return "demo (the demo city unchanged)"
        return (f"{self.name}: {self.stations} stations x {self.years} year{'s' if self.years > 1 else ''}, "
                f"{self.sections} water sections, {self.enterprises} enterprises")


PRESETS = {"small": Size("small", 60, 1, 20, 200), "province": Size("province", 300, 5, 100, 2000)}


class Progress:
    """A line on the terminal at most every ``every`` seconds, so a long step does not look hung."""

    def __init__(self, label: str, total: int, every: float = 5.0) -> None:
        self.label, self.total, self.every = label, total, every
        self.start = self.last = time.perf_counter()

    def update(self, done: int, rows: int, force: bool = False) -> None:
        now = time.perf_counter()
        if force or now - self.last >= self.every:
            self.last = now
            print(f"  {self.label}: {done:,}/{self.total:,}, {rows:,} rows, {now - self.start:.0f} s", flush=True)


# -- generation ------------------------------------------------------------------------------


def tools_importable() -> None:
    """Make tools/ (the demo's generator and history) importable."""
    if str(ROOT / "tools") not in sys.path:
        sys.path.insert(0, str(ROOT / "tools"))


def demo_module() -> Any:
    """tools/generate_demo.py, for the demo's constants (station factors, water parameters, credit codes)."""
    tools_importable()
    import generate_demo

    return generate_demo


def decimal_table(decimals: int, size: int) -> np.ndarray:
    """Text of the numbers 0 .. (size - 1) / 10**decimals with ``decimals`` decimals, then "" (a missing
    value, at index ``size``): formatting by lookup keeps 13 M rows x 6 values fast."""
    scale = 10 ** decimals
    texts = [f"{i // scale}.{i % scale:0{decimals}d}" for i in range(size)]
    return np.array(texts + [""], dtype=object)


def ar1(rng: np.random.Generator, n: int, coefficient: float, sd: float) -> np.ndarray:
    """A stationary AR(1) series (innovations of ``sd``), as a truncated moving average."""
    kernel = coefficient ** np.arange(int(np.log(1e-3) / np.log(coefficient)) + 1)
    return np.convolve(rng.normal(0.0, sd, n + kernel.size), kernel)[kernel.size:kernel.size + n]


def copy_demo(folder: Path) -> None:
    """A new project folder holding the demo city's release rules and content."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "release_rules.yaml", folder / "release_rules.yaml")
    shutil.copytree(ROOT / "content", folder / "content")


def lines_by_key(path: Path) -> tuple[str, dict[str, list[str]]]:
    """A demo CSV's header and its lines grouped by their first cell (station, section), in file order."""
    header, *lines = path.read_text(encoding="utf-8").splitlines()
    groups: dict[str, list[str]] = {}
    for line in lines:
        groups.setdefault(line.partition(",")[0], []).append(line)
    return header, groups


class AirGrower:
    """Hourly SO2, NO2, CO, O3, PM10, PM2.5 of one station after another, written as generated."""

    COLUMNS = ("so2", "no2", "co", "o3", "pm10", "pm25")
    SCALE = {"so2": 10, "no2": 10, "co": 100, "o3": 10, "pm10": 10, "pm25": 10}
    MAXIMUM = {"so2": 2620, "no2": 3840, "co": 150, "o3": 1200, "pm10": 1500, "pm25": 1000}  # the schema's
    BACKGROUND = {"pm": 0.6, "no2": 0.35, "so2": 0.5, "co": 0.6, "o3": 1.12}

    def __init__(self, years: int, seed: int) -> None:
        self.seed = seed
        first = datetime(LAST_YEAR - years + 1, 1, 1, 1, tzinfo=CST)
        hours = int((datetime(LAST_YEAR + 1, 1, 1, 0, tzinfo=CST) - first).total_seconds() // 3600) + 1
        # the hour-ending times as the demo writes them; 2025's first hour is where the demo's rows begin
        self.times = [(first + timedelta(hours=h)).isoformat() for h in range(hours)]
        self.demo_from = hours - 8760
        h = np.arange(hours)
        self.hour = h % 24                       # the hour of day the value averages (its beginning)
        days = [first.date() + timedelta(days=d) for d in range(hours // 24 + 1)]
        day = h // 24
        self.doy = np.array([d.timetuple().tm_yday for d in days])[day]
        self.years_before = np.array([LAST_YEAR - d.year for d in days])[day]
        self.heating = np.array([(d.month, d.day) <= (3, 15) or (d.month, d.day) >= (11, 15) for d in days])[day]
        # city-wide weather, shared by every station: stagnation (polluted) and sunshine (ozone)
        rng = np.random.default_rng([seed, 0])
        stagnation, sunshine = ar1(rng, len(days), 0.7, 0.25), ar1(rng, len(days), 0.6, 0.22)
        self.stagnation = np.interp(h / 24, np.arange(len(days)), stagnation)
        self.sunshine = np.interp(h / 24, np.arange(len(days)), sunshine)
        self.tables = {1: decimal_table(1, 40_000), 2: decimal_table(2, 20_000)}

    def station_text(self, index: int, factors: dict[str, float], urban: bool, until: int | None = None) -> list[str]:
        """Each cell's text, column by column, for hours [0, until) of station number ``index``."""
        n = len(self.times) if until is None else until
        rng = np.random.default_rng([self.seed, 1, index])
        hour, doy, stag, sun = self.hour[:n], self.doy[:n], self.stagnation[:n], self.sunshine[:n]
        noise = {c: ar1(rng, n, 0.85, 0.09) for c in ("pm", "no2", "so2", "co", "o3")}
        winter = np.cos(2 * np.pi * (doy - 12) / 365)
        older = self.years_before[:n]
        pm25 = (28 + 14.5 * winter) * factors["pm"] * (1 + 0.05 * older) * np.exp(stag + noise["pm"]) \
            * (1 + 0.14 * np.cos(2 * np.pi * (hour - 22) / 24) + 0.06 * np.exp(-((hour - 8) ** 2) / 4))
        ratio = np.clip(0.6 + 0.08 * winter + rng.normal(0, 0.035, n), 0.22, 0.88)
        pm10 = np.maximum(pm25 / ratio, pm25 * 1.08 + 1)
        traffic = 1 + 0.45 * np.exp(-((hour - 8) ** 2) / 3) + 0.55 * np.exp(-((hour - 20) ** 2) / 6) \
            - 0.3 * np.exp(-((hour - 14) ** 2) / 8)
        no2 = (27 + 11 * winter) * factors["no2"] * (1 + 0.02 * older) * traffic * np.exp(0.55 * stag + noise["no2"])
        co = (0.62 + 0.3 * winter) * factors["co"] * (0.75 + 0.25 * traffic) * np.exp(0.45 * stag + noise["co"])
        so2 = (6.5 + 4.5 * self.heating[:n]) * factors["so2"] * (1 + 0.3 * np.exp(-((hour - 11) ** 2) / 8)) \
            * np.exp(0.35 * stag + noise["so2"])
        photo = (52 + 44 * (1 + np.cos(2 * np.pi * (doy - 175) / 365))) * np.exp(sun) \
            * np.exp(-((hour - 15) ** 2) / (2 * 3.2 ** 2))
        night = (30 + 12 * np.cos(2 * np.pi * (doy - 110) / 365)) * (0.55 if urban else 1.0) \
            * (1.1 - 0.35 * np.exp(-((hour - 8) ** 2) / 4))
        o3 = (night + photo) * factors["o3"] * np.exp(noise["o3"]) / (1 + 0.004 * np.maximum(0, no2 - 30))
        # missing: a lost hour of the whole rack, one analyser's value invalidated, a few outages a year
        rack = rng.random(n) < 0.004
        for _ in range(int(rng.integers(0, 3 * max(1, n // 8760) + 1))):
            start = int(rng.integers(0, n))
            rack[start:start + int(rng.integers(3, 30))] = True
        out = []
        for name, values in zip(self.COLUMNS, (so2, no2, co, o3, pm10, pm25)):
            scale = self.SCALE[name]
            table = self.tables[2 if scale == 100 else 1]
            cells = np.clip(np.rint(values * scale), 5 if scale == 100 else 1, self.MAXIMUM[name] * scale).astype(np.int64)
            cells[rack | (rng.random(n) < 0.008)] = table.size - 1
            out.append(table[cells].tolist())
        return out

    def write(self, path: Path, stations: list[dict[str, Any]], new_from: int, progress: Progress) -> int:
        """Rewrite ``path`` with every station: the demo's own (index < ``new_from``) keep their rows of
        2025 and get synthetic earlier years; new stations are synthetic throughout. Returns the rows."""
        factors = demo_module().AIR_STATION_FACTORS
        header, demo_rows = lines_by_key(path)
        rows = 0
        with open(path.with_suffix(".tmp"), "w", encoding="utf-8", newline="") as out:
            out.write(header + "\n")
            for index, station in enumerate(stations):
                sid, urban = station["id"], station.get("type") != "background"
                own = factors.get(sid) or self._factors(index, urban)
                until = self.demo_from if index < new_from else None
                if until != 0:
                    columns = self.station_text(index, own, urban, until)
                    n = len(columns[0])
                    out.write("\n".join(map(",".join, zip(repeat(sid, n), self.times, *columns))) + "\n")
                    rows += n
                if index < new_from:
                    out.write("\n".join(demo_rows[sid]) + "\n")
                    rows += len(demo_rows[sid])
                progress.update(index + 1, rows)
        os.replace(path.with_suffix(".tmp"), path)
        progress.update(len(stations), rows, force=True)
        return rows

    def _factors(self, index: int, urban: bool) -> dict[str, float]:
        rng = np.random.default_rng([self.seed, 2, index])
        own = {"pm": rng.uniform(0.75, 1.25), "no2": rng.uniform(0.6, 1.3), "so2": rng.uniform(0.6, 1.4),
               "co": rng.uniform(0.8, 1.2), "o3": rng.uniform(0.9, 1.1)}
        return own if urban else {k: v * self.BACKGROUND[k] for k, v in own.items()}


def second_tuesdays(first_year: int, last_year: int) -> list[date]:
    """The demo's sampling days: the second Tuesday of each month."""
    days = []
    for year in range(first_year, last_year + 1):
        for month in range(1, 13):
            first = date(year, month, 1)
            days.append(first + timedelta(days=(1 - first.weekday()) % 7 + 7))
    return days


# Usual values of the parameters the demo's water profiles leave out (mg/L), and how often each is
# below its detection limit (then reported as half of it, as the demo does).
WATER_USUAL = {"cu": (0.002, 0.4), "zn": (0.05, 0.5), "fluoride": (0.3, 0.0), "se": (0.0006, 0.5),
               "as": (0.0015, 0.3), "hg": (0.00002, 0.9), "cd": (0.00005, 0.8), "cr6": (0.006, 0.5),
               "pb": (0.002, 0.5), "cyanide": (0.002, 0.9), "volatile_phenol": (0.00015, 0.8),
               "petroleum": (0.015, 0.3), "las": (0.025, 0.8), "sulfide": (0.0025, 0.8)}
PROFILE_COLUMNS = ("codmn", "cod", "bod5", "nh3n", "tp", "tn", "fecal_coliform")


def water_row(rng: np.random.Generator, day: date, profile: tuple[float, ...], lake: bool, gd: Any) -> dict[str, float | None]:
    """One monthly sample of a section whose usual levels are ``profile`` (see WATER_PROFILES)."""
    season = math.cos(2 * math.pi * (day.timetuple().tm_yday - 200) / 365)
    temp = 17.0 - 11.0 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365) + rng.normal(0, 1.2)
    row: dict[str, float | None] = {"water_temp": temp, "ph": 7.6 + rng.normal(0, 0.2),
                                    "do": 14.6 - 0.33 * temp + rng.normal(0, 0.5)}
    polluted = 3.0 if rng.random() < 0.015 else 1.0   # a few samples far over the section's usual level
    for column, usual in zip(PROFILE_COLUMNS, profile):
        row[column] = usual * math.exp(rng.normal(0, 0.25)) * (1 + 0.15 * season) * polluted
    if not lake:
        row["tn"] = None   # rivers: total nitrogen is not measured (as in the demo)
    for column, (usual, undetected) in WATER_USUAL.items():
        half = gd.WATER_HALF_DL.get(column, 0.0)
        row[column] = half if rng.random() < undetected else max(half, usual * math.exp(rng.normal(0, 0.4)))
    return row


def write_water(path: Path, sections: list[dict[str, Any]], new_from: int, years: int, seed: int,
                sentinels: set[float]) -> int:
    """Rewrite the water CSV: the demo's sections keep their 2025 samples and get synthetic earlier
    years; new sections are synthetic throughout (a value equal to one of the rules' ``sentinels``
    is moved by one last digit). Returns the rows."""
    gd = demo_module()
    limits = {p[0]: (p[4], p[5], p[6]) for p in gd.WATER_PARAMETERS}  # decimals, minimum, maximum
    header, demo_rows = lines_by_key(path)
    columns = header.split(",")[2:]
    rows = 0
    with open(path.with_suffix(".tmp"), "w", encoding="utf-8", newline="") as out:
        out.write(header + "\n")
        for index, section in enumerate(sections):
            rng = np.random.default_rng([seed, 4, index])
            profile = gd.WATER_PROFILES.get(section["id"]) or tuple(
                v * float(np.exp(rng.normal(0, 0.35))) for v in gd.WATER_PROFILES[rng.choice(sorted(gd.WATER_PROFILES))])
            lake = section["kind"] != "river"
            last = LAST_YEAR - 1 if index < new_from else LAST_YEAR
            for day in second_tuesdays(LAST_YEAR - years + 1, last):
                sample = water_row(rng, day, profile, lake, gd)
                cells = []
                for column in columns:
                    decimals, low, high = limits[column]
                    value = sample[column]
                    if value is not None:
                        value = min(max(value, low), high)
                        value += 10 ** -decimals if round(value, decimals) in sentinels else 0
                    cells.append(gd.fmt(value, decimals))
                out.write(f"{section['id']},{day.isoformat()},{','.join(cells)}\n")
                rows += 1
            if index < new_from:
                out.write("\n".join(demo_rows[section["id"]]) + "\n")
                rows += len(demo_rows[section["id"]])
    os.replace(path.with_suffix(".tmp"), path)
    return rows


STACK = {"parameters": ("so2", "nox", "dust"), "decimals": (2, 2, 2), "unit": "mg/m³", "outlet": ("DA001", "废气排放口"),
         "limits": ((35, 50, 10), (50, 100, 20), (100, 320, 20), (100, 100, 10)), "flow": (40_000, 1_500_000),
         "industries": ("火力发电", "热电联产", "水泥制造", "炼钢", "平板玻璃制造", "建筑陶瓷制品制造")}
WASTEWATER = {"parameters": ("cod", "nh3n", "tp"), "decimals": (1, 3, 3), "unit": "mg/L", "outlet": ("DW001", "废水总排口"),
              "limits": ((50, 5, 0.5), (80, 8, 0.8), (80, 10, 0.5)), "flow": (3_000, 80_000),
              "industries": ("污水处理及其再生利用", "棉印染精加工", "机制纸及纸板制造", "食品制造", "化学药品原料药制造")}


@dataclass
class County:
    """A county's emissions dataset: its area and the CSV of each kind of outlet it holds."""

    key: str
    area: str
    name: str
    name_en: str
    files: dict[str, Path]  # "stack" / "wastewater" -> CSV


def counties(content: Path, registry: dict[str, Any]) -> list[County]:
    """The five county emissions datasets of the demo, with their areas from the registry."""
    gd = demo_module()
    area_of = {key: code for code, (_, key) in gd.COUNTY_BUREAUS.items()}
    found = []
    for key in COUNTIES:
        folder = content / "datasets" / f"emissions-{key}-2025"
        meta = yaml.safe_load((folder / "dataset.yaml").read_text(encoding="utf-8"))
        area = next(a for a in registry["areas"] if a["code"] == area_of[key])
        found.append(County(key, area["code"], area["name"], area["name_en"],
                            {r["name"]: folder / r["path"] for r in meta["resources"]}))
    return found


def write_emissions(content: Path, registry: dict[str, Any], new: int, years: int, seed: int,
                    sentinels: set[float], progress: Progress) -> tuple[list[dict[str, Any]], int]:
    """Append ``new`` enterprises' daily emissions to the county datasets (one outlet each, three
    parameters a day; no flow equal to one of the rules' ``sentinels``); returns their registry
    entries and the rows written."""
    gd = demo_module()
    tables = {d: decimal_table(d, 100_000) for d in (1, 2, 3)}
    first = date(LAST_YEAR - years + 1, 1, 1)
    days = [(first + timedelta(days=d)).isoformat() for d in range((date(LAST_YEAR, 12, 31) - first).days + 1)]
    year_of = np.array([int(d[:4]) for d in days])
    places = counties(content, registry)
    handles = {(c.key, kind): open(path, "a", encoding="utf-8", newline="")
               for c in places for kind, path in c.files.items()}
    entries, rows = [], 0
    try:
        for i in range(new):
            place = places[i % len(places)]
            kinds = sorted(place.files)
            kind = kinds[(i // len(places)) % len(kinds)]
            spec = STACK if kind == "stack" else WASTEWATER
            rng = np.random.default_rng([seed, 3, i])
            number = i + 1
            enterprise = f"ent-{place.key}-s{number:04d}"
            credit = gd.credit_code(place.area, f"MB{number:06d}")
            limits = spec["limits"][int(rng.integers(0, len(spec["limits"])))]
            outlet, outlet_name = spec["outlet"]
            industry = spec["industries"][int(rng.integers(0, len(spec["industries"])))]
            n = len(days)
            share = rng.uniform(0.15, 0.65, 3)
            values = np.array(limits)[None, :] * share[None, :] * np.exp(
                np.stack([ar1(rng, n, 0.6, 0.16) for _ in range(3)], axis=1))
            values = np.minimum(values, 0.97 * np.array(limits)[None, :])
            if rng.random() < 0.03:  # a few days over the permit limit
                for day in rng.integers(0, n, int(rng.integers(1, 4))):
                    p = int(rng.integers(0, 3))
                    values[day, p] = limits[p] * rng.uniform(1.03, 1.25)
            operating = np.ones(n, dtype=bool)
            if rng.random() < 0.1:  # an overhaul a year: no rows
                for year in range(first.year, LAST_YEAR + 1):
                    start = int(np.flatnonzero(year_of == year)[0] + rng.integers(0, 330))
                    operating[start:start + int(rng.integers(7, 35))] = False
            flow = (rng.uniform(*spec["flow"]) * np.exp(rng.normal(0, 0.08, n))).astype(np.int64)
            flow[np.isin(flow, list(sentinels))] += 1
            kept = np.flatnonzero(operating)
            cells = [tables[d][np.clip(np.rint(values[kept, p] * 10 ** d), 0, 99_999).astype(np.int64)].tolist()
                     for p, d in enumerate(spec["decimals"])]
            count = kept.size * 3
            day_text = np.repeat(np.array(days, dtype=object)[kept], 3).tolist()
            flow_text = np.repeat(flow[kept].astype(str).astype(object), 3).tolist()
            value_text = [c for triple in zip(*cells) for c in triple]
            limit_text = [f"{x:g}" for x in limits] * kept.size
            lines = zip(repeat(place.area, count), repeat(credit, count), repeat(enterprise, count),
                        repeat(outlet, count), day_text, spec["parameters"] * kept.size, value_text,
                        repeat(spec["unit"], count), limit_text, flow_text)
            handles[(place.key, kind)].write("\n".join(map(",".join, lines)) + "\n")
            rows += count
            entries.append({"id": enterprise, "name": f"{place.name}合成{industry}企业{number:04d}有限公司",
                            "name_en": f"{place.name_en} synthetic enterprise {number:04d} Co.",
                            "credit_code": credit, "area": place.area, "industry": industry,
                            "outlets": [gd.FlowDict({"id": outlet, "name": outlet_name, "kind": kind})],
                            "permit_limits": gd.FlowDict(dict(zip(spec["parameters"], limits)))})
            progress.update(i + 1, rows)
    finally:
        for handle in handles.values():
            handle.close()
    progress.update(new, rows, force=True)
    return entries, rows


def new_places(registry: dict[str, Any], size: Size, seed: int) -> tuple[list[dict], list[dict]]:
    """Registry entries of the new air stations and water sections, spread over the counties."""
    gd = demo_module()
    areas = [a for a in registry["areas"] if a.get("level") == "county"]
    west, south, east, north = gd.CITY_BBOX
    rng = np.random.default_rng([seed, 5])
    stations = []
    for n in range(1, size.stations - len(registry["air_stations"]) + 1):
        area = areas[n % len(areas)]
        background = n % 10 == 0
        stations.append(gd.FlowDict({
            "id": f"aq-s{n:04d}", "name": f"{area['name']}{n:04d}号站" + ("（清洁对照点）" if background else ""),
            "name_en": f"{area['name_en']} No. {n}" + (" (background)" if background else ""), "area": area["code"],
            "lat": round(float(rng.uniform(south, north)), 3), "lon": round(float(rng.uniform(west, east)), 3),
            "type": "background" if background else "urban"}))
    sections = []
    for n in range(1, size.sections - len(registry["water_sections"]) + 1):
        area = areas[n % len(areas)]
        kind = ("lake", "reservoir")[n % 2] if n % 8 == 0 else "river"
        body = {"river": f"合成{n % 17 + 1}号河", "lake": f"合成{n}号湖", "reservoir": f"合成{n}号水库"}[kind]
        sections.append(gd.FlowDict({
            "id": f"ws-s{n:04d}", "name": f"{body}{area['name']}第{n}号断面", "name_en": f"Section {n}, {area['name_en']}",
            "area": area["code"], "water_body": body, "kind": kind, "target_class": ("II", "III", "III", "IV")[n % 4],
            "lat": round(float(rng.uniform(south, north)), 3), "lon": round(float(rng.uniform(west, east)), 3)}))
    return stations, sections


def widen_temporal(content: Path, dataset: str, years: int) -> None:
    """The dataset's ``temporal`` starts with the first generated year."""
    path = content / "datasets" / dataset / "dataset.yaml"
    text = path.read_text(encoding="utf-8")
    old = f"temporal: {{start: {LAST_YEAR}-01-01,"
    if old not in text:
        raise SystemExit(f"{path}: no '{old}' to widen; has the demo changed?")
    path.write_text(text.replace(old, f"temporal: {{start: {LAST_YEAR - years + 1}-01-01,"), encoding="utf-8")


def grow(root: Path, size: Size, seed: int) -> None:
    """Grow the demo in ``root`` to ``size``: registry, hourly air, water and emissions."""
    gd = demo_module()
    content = root / "content"
    registry_path = content / "registry.yaml"
    registry_text = registry_path.read_text(encoding="utf-8")
    registry = yaml.safe_load(registry_text)
    demo_stations, demo_sections = len(registry["air_stations"]), len(registry["water_sections"])
    demo_enterprises = len(registry["enterprises"])
    if size.stations < demo_stations or size.sections < demo_sections or size.enterprises < demo_enterprises:
        raise SystemExit(f"the demo already has {demo_stations} stations, {demo_sections} sections and "
                         f"{demo_enterprises} enterprises: ask for at least as many")
    stations, sections = new_places(registry, size, seed)
    rules = yaml.safe_load((root / "release_rules.yaml").read_text(encoding="utf-8"))
    sentinels = {float(v) for v in (rules.get("values") or {}).get("sentinels") or []}
    start = time.perf_counter()
    air = AirGrower(size.years, seed).write(
        content / "datasets" / AIR_DATASET / "air_hourly_2025.csv", registry["air_stations"] + stations,
        demo_stations, Progress("hourly air, stations", size.stations))
    print(f"  hourly air: {air:,} rows ({time.perf_counter() - start:.0f} s)", flush=True)
    water = write_water(content / "datasets" / WATER_DATASET / "surface_water_2025.csv",
                        registry["water_sections"] + sections, demo_sections, size.years, seed, sentinels)
    print(f"  surface water: {water:,} rows", flush=True)
    start = time.perf_counter()
    enterprises, emitted = write_emissions(content, registry, size.enterprises - demo_enterprises, size.years, seed,
                                           sentinels, Progress("emissions, enterprises", size.enterprises - demo_enterprises))
    print(f"  emissions: {emitted:,} rows added ({time.perf_counter() - start:.0f} s)", flush=True)
    if size.years > 1:
        for dataset in (AIR_DATASET, WATER_DATASET, *EMISSION_DATASETS):
            widen_temporal(content, dataset, size.years)
    registry["air_stations"] += stations
    registry["water_sections"] += sections
    registry["enterprises"] += enterprises
    header = "".join(line + "\n" for line in registry_text.splitlines() if line.startswith("#"))
    gd.write_yaml(registry_path, registry, header=header)


# -- approvals (each in a fresh process, so the benchmark's own memory stays small) ------------


def in_fresh_process(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` in a new Python process; its memory is returned to the system after.
    Whatever it raises comes back as a RuntimeError with its message."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_with_plain_errors, function, *args).result()


def _with_plain_errors(function: Callable[..., Any], *args: Any) -> Any:
    # publisher's errors take two messages (Chinese, English) and cannot be rebuilt from their pickle
    try:
        return function(*args)
    except Exception as exc:
        raise RuntimeError(f"{type(exc).__name__}: {exc}") from None


def replay_demo(root: str) -> str:
    """The demo city's approval history (tools/demo_history.py); returns the demo's date (DEMO_NOW)."""
    tools_importable()
    import demo_history

    demo_history.replay(Path(root))
    return demo_history.DEMO_NOW.isoformat()


def publish(root: str, steps: list[tuple[list[str], str, list[str], str | None, str]], start: str) -> tuple[float, str]:
    """Submit and approve each step (items, submitter, approvers, reason, note) with the demo keys,
    one action every 20 minutes from ``start``; returns the seconds taken and the last time used."""
    from publisher.keys import demo_key
    from publisher.workflow import approve, submit

    when = datetime.fromisoformat(start)
    begin = time.perf_counter()
    for items, submitter, approvers, reason, note in steps:
        when += timedelta(minutes=20)
        submit(Path(root), items, submitter, demo_key(submitter), time=when)
        for user in approvers:
            when += timedelta(minutes=20)
            step = time.perf_counter()
            entries = approve(Path(root), items, user, demo_key(user), ack_warnings=True, note=note, reason=reason,
                              time=when)
            warned = sorted({w for e in entries for w in e.details.get("acknowledged_warnings") or []})
            print(f"  {', '.join(items)}: approved by {user} ({time.perf_counter() - step:.1f} s)"
                  + (f"; warnings acknowledged: {', '.join(warned)}" if warned else ""), flush=True)
    return time.perf_counter() - begin, when.isoformat()


def growth_steps() -> list[tuple[list[str], str, list[str], str | None, str]]:
    """The grown items as the demo's departments submit and approve them (tools/demo_history.py)."""
    city = ["zhang-min", "li-hua"]
    reviewers = {"chengdong": "wu-fang", "chengxi": "zheng-hao", "qinghe": "wang-jing", "qingshan": "chen-gang",
                 "hubin": "liu-yang"}
    steps = [(["registry"], "data-sthjj", city, "revision", GROWTH_NOTE),
             ([AIR_DATASET, WATER_DATASET], "data-sthjj", city, "revision", GROWTH_NOTE)]
    steps += [([f"emissions-{c}-2025"], f"data-{c}", [reviewers[c], *city], "revision", GROWTH_NOTE) for c in COUNTIES]
    return steps


# -- the changes -----------------------------------------------------------------------------


def add_bulletin(root: Path) -> list[tuple[list[str], str, list[str], str | None, str]]:
    """One new bulletin of the city bureau, dated before the build time."""
    text = ("---\ntitle: \"示范市生态环境局关于空气质量自动监测站点运维的说明\"\n"
            "date: 2026-11-27T10:00:00+08:00\ndepartment: \"sthjj\"\ncategory: \"air_quality\"\n"
            "area: {code: \"990100\", name: 示范市}\nclassification: \"public\"\n"
            "summary: \"11月全市空气质量自动监测站点完成季度运维校准。\"\n---\n\n"
            "## 运维情况\n\n11月，全市环境空气质量自动监测站点完成季度运维和质控校准，"
            "校准期间的小时数据按规定标注为无效，不参与统计。\n")
    (root / "content" / "bulletins" / f"{NEW_BULLETIN}.md").write_text(text, encoding="utf-8")
    return [([NEW_BULLETIN], "press-sthjj", ["zhang-min", "li-hua"], None, "")]


def correct_water(root: Path) -> list[tuple[list[str], str, list[str], str | None, str]]:
    """One total phosphorus value of the water dataset changed (a correction)."""
    path = root / "content" / "datasets" / WATER_DATASET / "surface_water_2025.csv"
    header, *rows = path.read_text(encoding="utf-8").split("\n")
    tp = header.split(",").index("tp")
    cells = rows[-2].split(",")  # the last sample (the file ends with a newline)
    cells[tp] = f"{float(cells[tp]) + 0.01:.3f}"
    rows[-2] = ",".join(cells)
    path.write_text("\n".join([header, *rows]), encoding="utf-8")
    return [([WATER_DATASET], "data-sthjj", ["zhang-min", "li-hua"], "correction", WATER_NOTE)]


def revise_air(root: Path) -> list[tuple[list[str], str, list[str], str | None, str]]:
    """One PM2.5 value of the hourly air dataset changed, the file copied as a stream."""
    path = root / "content" / "datasets" / AIR_DATASET / "air_hourly_2025.csv"
    with open(path, "rb") as source, open(path.with_suffix(".tmp"), "wb") as target:
        header = source.readline()
        target.write(header)
        pm25 = header.decode("utf-8").rstrip("\n").split(",").index("pm25")
        for line in source:
            cells = line.rstrip(b"\n").split(b",")
            if cells[pm25]:
                cells[pm25] = f"{float(cells[pm25]) + 1:.1f}".encode("ascii")
                target.write(b",".join(cells) + b"\n")
                break
            target.write(line)
        shutil.copyfileobj(source, target, 1 << 20)
    os.replace(path.with_suffix(".tmp"), path)
    return [([AIR_DATASET], "data-sthjj", ["zhang-min", "li-hua"], "revision", AIR_NOTE)]


# -- measuring a build -------------------------------------------------------------------------


@dataclass
class Run:
    """One build process: wall time, peak memory, and whether it finished."""

    label: str
    seconds: float
    peak_tree: int      # bytes: the largest sum of the RSS of every process of the build, polled
    max_rss: int        # bytes: ru_maxrss of the largest single process (os.wait4)
    finished: bool
    returncode: int | None
    load: float          # the machine's 1-minute load average when the build started
    identical: str = ""  # for a clean build: how its output compares with the incremental one

    @property
    def peak(self) -> int:
        return max(self.peak_tree, self.max_rss)

    @property
    def ok(self) -> bool:
        return self.finished and self.returncode == 0


def session_rss(session: int) -> int:
    """Bytes resident in every process of ``session`` (the build and all its children), summed."""
    page = os.sysconf("SC_PAGE_SIZE")
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rpartition(b")")[2].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[3]) == session:
            total += int(fields[21]) * page
    return total


def measure(label: str, argv: list[str], env: dict[str, str], timeout: float, heartbeat: float = 30.0) -> Run:
    """Run ``argv`` in its own session, showing its output indented, with a progress line every
    ``heartbeat`` seconds; killed (and reported unfinished) after ``timeout`` seconds."""
    print(f"\n-- {label}: {' '.join(['publisher build', *argv[argv.index('build') + 1:]])} "
          f"(load average {os.getloadavg()[0]:.1f})", flush=True)
    start, load = time.perf_counter(), os.getloadavg()[0]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                               start_new_session=True)
    reader = threading.Thread(target=_echo, args=(process.stdout, sys.stdout), daemon=True)
    reader.start()
    peak, last_beat, finished = 0, start, True
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        now_rss = session_rss(process.pid)
        peak = max(peak, now_rss)
        now = time.perf_counter()
        if now - start > timeout:
            finished = False
            status, usage = _kill(process.pid)
            break
        if now - last_beat >= heartbeat:
            last_beat = now
            print(f"    [{label}: {now - start:.0f} s, memory {now_rss / GB:.2f} GB, peak {peak / GB:.2f} GB]", flush=True)
        time.sleep(0.25)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait for it again
    reader.join(timeout=10)
    process.stdout.close()
    run = Run(label, seconds, peak, usage.ru_maxrss * 1024, finished, process.returncode if finished else None, load)
    state = "finished" if run.ok else (f"UNFINISHED, killed after {timeout:.0f} s" if not finished
                                       else f"FAILED with exit code {run.returncode}")
    print(f"   {label}: {seconds:.2f} s, peak {run.peak_tree / GB:.2f} GB (process tree), ru_maxrss "
          f"{run.max_rss / GB:.2f} GB; {state}", flush=True)
    return run


def _echo(stream: Any, out: TextIO) -> None:
    for raw in stream:
        out.write("    " + raw.decode("utf-8", "replace").rstrip("\n") + "\n")
        out.flush()


def _kill(pid: int) -> tuple[int, Any]:
    """Stop the build's process group: SIGTERM, then SIGKILL after 10 s; its (status, rusage)."""
    os.killpg(pid, signal.SIGTERM)
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return status, usage
        time.sleep(0.2)
    os.killpg(pid, signal.SIGKILL)
    _, status, usage = os.wait4(pid, 0)
    return status, usage


def tree_digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder``, by relative path."""
    digests = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            h = hashlib.sha256()
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
            digests[path.relative_to(folder).as_posix()] = h.hexdigest()
    return digests


def compare_trees(incremental: Path, clean: Path) -> str:
    """"identical (N files)" or what differs, with a few examples."""
    a, b = tree_digests(incremental), tree_digests(clean)
    only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    changed = sorted(p for p in set(a) & set(b) if a[p] != b[p])
    if not (only_a or only_b or changed):
        return f"identical ({len(a):,} files)"
    examples = ", ".join((changed + only_a + only_b)[:5])
    return (f"DIFFERENT: {len(changed)} files differ, {len(only_a)} only in the incremental output, "
            f"{len(only_b)} only in the clean one (e.g. {examples})")


# -- references --------------------------------------------------------------------------------


def pelican_reference(root: str) -> tuple[float, int]:
    """A plain Pelican build of the bulletins of content/ (Pelican's reader and simple theme);
    returns its seconds in this process (imports excluded) and the number of files."""
    from build_benchmark import plain_pelican

    logging.getLogger("pelican").setLevel(logging.ERROR)
    folder = Path(root) / "reference"
    source = folder / "pelican-content"
    source.mkdir(parents=True, exist_ok=True)
    bulletins = sorted((Path(root) / "content" / "bulletins").glob("*.md"))
    dates = {}
    for path in sorted(bulletins, key=lambda p: p.name.endswith(".en.md")):
        _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
        meta = yaml.safe_load(front)
        lang = "en" if path.name.endswith(".en.md") else "zh"
        item = path.name.removesuffix(".en.md").removesuffix(".md")
        when = dates.setdefault(item, meta.get("date"))
        (source / path.name).write_text(
            f"Title: {meta['title']}\nDate: {when:%Y-%m-%d %H:%M}\nCategory: {meta.get('category', 'misc')}\n"
            f"Slug: {item}\nLang: {lang}\n\n{body}", encoding="utf-8")
    return plain_pelican(folder), len(bulletins)


def pyarrow_reference(path: str) -> tuple[float, int, int]:
    """``pyarrow.csv.read_csv`` of the file: seconds, rows, and this process's peak RSS (bytes)."""
    import pyarrow.csv

    start = time.perf_counter()
    table = pyarrow.csv.read_csv(path)
    seconds = time.perf_counter() - start
    return seconds, table.num_rows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# -- one portal, end to end --------------------------------------------------------------------


def csv_rows(folder: Path) -> int:
    """Data rows of every CSV under ``folder`` (lines less headers), read as a stream."""
    rows = 0
    for path in folder.rglob("*.csv"):
        with open(path, "rb") as f:
            rows += sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b"")) - 1
    return rows


@dataclass
class Portal:
    """Everything measured on one portal."""

    size: Size
    root: Path
    air_rows: int = 0
    all_rows: int = 0
    air_bytes: int = 0
    generation: float = 0.0
    replay: float = 0.0     # the demo's approval history, with the one build it makes
    approval: float = 0.0   # submitting and approving the grown items
    change_approvals: dict[str, float] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)
    pelican: tuple[float, float, int] | None = None      # in-process s, whole process s, bulletins
    pyarrow: tuple[float, float, int, int] | None = None  # in-process s, whole process s, rows, peak bytes

    def run(self, label: str) -> Run | None:
        return next((r for r in self.runs if r.label == label and r.ok), None)

    def per_row(self) -> float | None:
        cold = self.run("cold")
        return cold.seconds / self.all_rows if cold and self.all_rows else None


def timings_flag() -> list[str]:
    """``["--timings"]`` when the installed publisher knows it, else [] (and say so)."""
    help_text = subprocess.run([str(BIN / "publisher"), "build", "--help"], capture_output=True, text=True).stdout
    if "--timings" in help_text:
        return ["--timings"]
    print("note: the installed 'publisher build' has no --timings; plain 'publisher build' is timed "
          "(no stage table)", flush=True)
    return []


def prepare(portal: Portal, seed: int) -> tuple[str, str]:
    """Copy the demo, replay its history, grow it and approve the grown items; returns the build
    time (PUBLISHER_NOW, the demo's date) and the time of the last approval."""
    root, size = portal.root, portal.size
    print(f"\n== {size.describe()} in {root}", flush=True)
    copy_demo(root)
    start = time.perf_counter()
    print("replaying the demo's approval history (tools/demo_history.py) ...", flush=True)
    now = in_fresh_process(replay_demo, str(root))
    portal.replay = time.perf_counter() - start
    last = APPROVALS_START.isoformat()
    if size.name != "demo":
        print("generating ...", flush=True)
        start = time.perf_counter()
        grow(root, size, seed)
        portal.generation = time.perf_counter() - start
        print(f"generated in {portal.generation:.0f} s; submitting and approving the grown items ...", flush=True)
        portal.approval, last = in_fresh_process(publish, str(root), growth_steps(), last)
    air = root / "content" / "datasets" / AIR_DATASET / "air_hourly_2025.csv"
    portal.air_rows, portal.air_bytes = csv_rows(air.parent), air.stat().st_size
    portal.all_rows = csv_rows(root / "content" / "datasets")
    print(f"demo history replayed in {portal.replay:.1f} s, grown items approved in {portal.approval:.1f} s "
          f"(not part of any build); {portal.air_rows:,} hourly air rows ({portal.air_bytes / 1e6:,.0f} MB), "
          f"{portal.all_rows:,} rows in all datasets", flush=True)
    return now, last


def references(portal: Portal) -> None:
    start = time.perf_counter()
    inner, bulletins = in_fresh_process(pelican_reference, str(portal.root))
    portal.pelican = (inner, time.perf_counter() - start, bulletins)
    air = portal.root / "content" / "datasets" / AIR_DATASET / "air_hourly_2025.csv"
    start = time.perf_counter()
    inner, rows, peak = in_fresh_process(pyarrow_reference, str(air))
    portal.pyarrow = (inner, time.perf_counter() - start, rows, peak)
    print(f"references: plain Pelican of {bulletins} bulletin files {portal.pelican[0]:.2f} s "
          f"({portal.pelican[1]:.2f} s as a process); pyarrow.csv.read_csv of the hourly air CSV {inner:.2f} s "
          f"({portal.pyarrow[1]:.2f} s as a process, peak {peak / GB:.2f} GB)", flush=True)


def builds(portal: Portal, now: str, last: str, args: argparse.Namespace, cold_only: bool = False) -> None:
    """The cold build, then (unless ``cold_only``) warm and after each change."""
    root = portal.root
    env = {**os.environ, "PUBLISHER_NOW": now}
    argv = [str(BIN / "publisher"), "--project", str(root), "build", *args.timings]

    def build(label: str) -> bool:
        portal.runs.append(measure(label, argv, env, args.timeout))
        return portal.runs[-1].ok

    for stale in ("output", *CACHE_DIRS):
        shutil.rmtree(root / stale, ignore_errors=True)
    if not build("cold") or cold_only:
        return
    if not build("warm"):
        return
    changes = (("new bulletin", add_bulletin), ("water correction", correct_water), ("air new version", revise_air))
    for label, change in changes:
        print(f"\n-- change: {label} (submitted and approved; not part of the build)", flush=True)
        steps = change(root)
        try:
            seconds, last = in_fresh_process(publish, str(root), steps, last)
        except RuntimeError as exc:
            print(f"   the change could not be approved, so the builds stop here: {exc}", flush=True)
            return
        portal.change_approvals[label] = seconds
        if not build(label):
            return
        if args.clean_each:
            clean = clean_build(portal, f"clean after {label}", argv, env, args.timeout)
            if not clean.ok:
                return


def clean_build(portal: Portal, label: str, argv: list[str], env: dict[str, str], timeout: float) -> Run:
    """A build with the incremental output and cache set aside, compared byte for byte with the
    incremental output; then the incremental state is put back."""
    root = portal.root
    aside = {root / name: root / f"{name}.benchmark-aside" for name in ("output", *CACHE_DIRS) if (root / name).exists()}
    for path, parked in aside.items():
        os.replace(path, parked)
    try:
        run = measure(label, argv, env, timeout)
        if run.ok:
            run.identical = compare_trees(root / "output.benchmark-aside", root / "output")
            print(f"   output/ against the clean build: {run.identical}", flush=True)
        portal.runs.append(run)
    finally:
        for path, parked in aside.items():
            shutil.rmtree(path, ignore_errors=True)
            os.replace(parked, path)
    return run


# -- the report --------------------------------------------------------------------------------


def verdict(value: float | None, goal: float) -> str:
    return "—" if value is None else ("met" if value <= goal else "NOT met")


def report(portal: Portal, small: Portal | None) -> None:
    size = portal.size
    print(f"\n== Results: {size.describe()}")
    print(f"rows: {portal.air_rows:,} hourly air ({portal.air_bytes / 1e6:,.0f} MB), {portal.all_rows:,} in all "
          f"datasets (time per row below is over all rows)")
    print(f"generation {portal.generation:.0f} s; not part of any build: demo history replayed {portal.replay:.1f} s "
          f"(it builds the demo once), grown items submitted and approved {portal.approval:.1f} s"
          + "".join(f", {k} {v:.1f} s" for k, v in portal.change_approvals.items()))
    cold = portal.run("cold")
    print(f"\n{'build':<28} {'seconds':>9} {'peak GB':>8} {'maxrss GB':>9} {'µs/row':>8} {'÷ cold':>7} {'load':>5}  state")
    for run in portal.runs:
        per_row = f"{run.seconds / portal.all_rows * 1e6:8.1f}" if portal.all_rows else f"{'—':>8}"
        ratio = f"{run.seconds / cold.seconds:7.2f}" if cold else f"{'—':>7}"
        state = "ok" if run.ok else ("UNFINISHED (timeout)" if not run.finished else f"FAILED ({run.returncode})")
        if run.identical:
            state += f"; {run.identical}"
        print(f"{run.label:<28} {run.seconds:9.2f} {run.peak_tree / GB:8.2f} {run.max_rss / GB:9.2f} {per_row} {ratio} "
              f"{run.load:5.1f}  {state}")
    print("peak GB: RSS of all the build's processes summed (polled every 0.25 s); maxrss: the largest single "
          f"process (os.wait4); load: 1-minute load average at the start ({os.cpu_count()} CPUs)")
    if portal.pelican and cold:
        inner, whole, bulletins = portal.pelican
        print(f"plain Pelican, {bulletins} bulletin files: {inner:.2f} s ({whole:.2f} s as a process); "
              f"cold build ÷ plain Pelican process = {cold.seconds / whole:.1f}x")
    if portal.pyarrow and cold:
        inner, whole, rows, peak = portal.pyarrow
        print(f"pyarrow.csv.read_csv of the hourly air CSV ({rows:,} rows): {inner:.2f} s ({whole:.2f} s as a process, "
              f"peak {peak / GB:.2f} GB); cold build ÷ read = {cold.seconds / inner:.0f}x")
    goals: list[tuple[str, str]] = []
    if size.name == "demo":
        for label, goal in (("warm", DEMO_WARM_GOAL), ("new bulletin", DEMO_BULLETIN_GOAL)):
            run = portal.run(label)
            goals.append((f"demo, {label} ≤ {goal:g} s (whole process): "
                          + (f"{run.seconds:.2f} s" if run else "no finished run"),
                          verdict(run.seconds if run else None, goal)))
    else:
        peak = max((r.peak for r in portal.runs), default=0)
        goals.append((f"peak memory ≤ {MEMORY_GOAL / GB:g} GB (the province goal), every build: {peak / GB:.2f} GB",
                      verdict(peak / GB, MEMORY_GOAL / GB)))
    if size == PRESETS["province"]:
        seconds = cold.seconds if cold else None
        goals.append((f"province from scratch ≤ {PROVINCE_COLD_GOAL // 60} min: "
                      + (f"{seconds / 60:.1f} min" if cold else "unfinished"), verdict(seconds, PROVINCE_COLD_GOAL)))
    if small is not None:
        here, there = portal.per_row(), small.per_row()
        ratio = here / there if here and there else None
        goals.append((f"time per row here ({here * 1e6:.1f} µs, {portal.all_rows:,} rows) ÷ small "
                      f"({there * 1e6:.1f} µs, {small.all_rows:,} rows) ≤ {PER_ROW_GOAL}: {ratio:.2f}"
                      if ratio else "time per row ÷ small: a cold build did not finish", verdict(ratio, PER_ROW_GOAL)))
    for run in portal.runs:
        if run.identical:
            goals.append((f"{run.label}: bytes identical to the incremental build",
                          "met" if run.identical.startswith("identical") else "NOT met"))
    print("\ngoals (issue #15):")
    for text, state in goals:
        print(f"  {state:<8} {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("demo", "small", "province"), default="province",
                        help="a preset: demo (unchanged), small (60 stations x 1 year), province (the defaults)")
    parser.add_argument("--stations", type=int, help="air stations, the demo's 6 included (province: 300)")
    parser.add_argument("--years", type=int, help="years of data ending 2025 (province: 5)")
    parser.add_argument("--sections", type=int, help="water sections, the demo's 7 included (province: 100)")
    parser.add_argument("--enterprises", type=int, help="enterprises, the demo's 11 included (province: 2000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, help="where the portals are made (default: a new temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--clean-each", action="store_true", help="also a clean build after each change, compared")
    parser.add_argument("--compare-small", action="store_true",
                        help="also build the small preset from scratch, for the time-per-row ratio")
    parser.add_argument("--timeout", type=float, default=30 * 60, help="seconds before a build is killed")
    args = parser.parse_args()
    overrides = {k: getattr(args, k) for k in ("stations", "years", "sections", "enterprises") if getattr(args, k)}
    if args.size == "demo":
        if overrides:
            parser.error("--size demo is the demo unchanged: leave out --stations, --years, --sections, --enterprises")
        size = Size("demo", 0, 1, 0, 0)
    else:
        size = dataclasses.replace(PRESETS[args.size], **overrides)
        if size != PRESETS[args.size]:
            size = dataclasses.replace(size, name="custom")
    work = args.workdir.resolve() if args.workdir else Path(tempfile.mkdtemp(prefix="publisher-scale-"))
    if args.workdir and work.exists() and any(work.iterdir()):
        parser.error(f"{work} is not empty: give a new or empty folder")
    work.mkdir(parents=True, exist_ok=True)
    args.timings = timings_flag()
    try:
        small = None
        if args.compare_small:
            small = Portal(PRESETS["small"], work / "small-for-comparison")
            now, last = prepare(small, args.seed)
            builds(small, now, last, args, cold_only=True)
        portal = Portal(size, work / size.name)
        now, last = prepare(portal, args.seed)
        references(portal)
        builds(portal, now, last, args)
        if small is not None:
            print(f"\n(small, cold, for the per-row ratio: {small.runs[0].seconds:.1f} s, {small.all_rows:,} rows)")
        report(portal, small)
    finally:
        if args.keep:
            print(f"\nkept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
