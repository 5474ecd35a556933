"""The derived tables stay byte for byte what they were: the demo's files and those of synthetic,
randomised inputs (missing and unreadable values, off-hour and duplicated hours, other UTC
offsets, a city in another time zone, stations without data, days under a standard with no
table) against SHA-256 digests recorded with the code before the computation was vectorised
(``tests/data/derived_digests.json``), and properties of the same tables computed here
independently, with plain Python, from the input rows.

To record the digests again after a change that is meant to change the bytes (and only then):
``.venv/bin/python tests/test_derived_identity.py --record``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import sys
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from statistics import fmean

import pytest

ROOT = Path(__file__).resolve().parent.parent
DIGESTS = Path(__file__).resolve().parent / "data" / "derived_digests.json"
METHODS = ("platform", "literal")
SOURCES = [{"item": "input", "version": 1, "digest": "0" * 64, "files": {}}]

REGISTRY = """\
city: {code: '990100', name: 合成市}
areas:
- {code: '990100', name: 合成市, level: city}
- {code: '990102', name: 甲区, level: county}
- {code: '990103', name: 乙区, level: county}
air_stations:
- {id: s-a, name: 甲站, area: '990102', type: urban}
- {id: s-b, name: 乙站, area: '990102', type: urban}
- {id: s-c, name: 丙站, area: '990103', type: urban}
- {id: s-d, name: 丁站, area: '990103', type: background}
- {id: s-e, name: 戊站（无数据）, area: '990103', type: urban}
- {id: s-f, name: 己站（全空）, area: '990102', type: urban}
water_sections:
- {id: w-river, name: 河, area: '990102', kind: river, target_class: II}
- {id: w-lake, name: 湖, area: '990103', kind: lake, target_class: III}
- {id: w-res, name: 库, area: '990103', kind: reservoir}
enterprises:
- {id: ent-a, name: 甲厂, area: '990102'}
- {id: ent-b, name: 乙厂, area: '990103'}
"""

HEAD = """\
id: {id}
title: {{zh: 合成 {id}, en: Synthetic {id}}}
description: {{zh: 合成数据。, en: Synthetic data.}}
category: {category}
department: sthjj
area: {{code: '990100', name: 合成市}}
classification: public
license: CC-BY-4.0
update_frequency: daily
temporal: {{start: 2025-01-01, end: 2025-12-31}}
spatial: {{description: {{zh: 全市, en: Whole city}}}}
status: verified
"""
RESOURCE = """\
- name: {name}
  path: {name}.csv
  title: {{zh: 数据, en: Data}}
  schema:
    missing_values: {missing}
    fields:
{fields}
"""


def _field(name: str, kind: str, parameter: str | None = None, sensitive: bool = False) -> str:
    extra = (f", parameter: {parameter}" if parameter else "") + (", sensitive: true" if sensitive else "")
    return f"    - {{name: {name}, type: {kind}, title: {{zh: {name}, en: {name}}}{extra}}}"


def _dataset(folder: Path, item: str, category: str, files: dict[str, tuple[list[str], list[str], str]]) -> None:
    """A dataset folder: ``files`` maps a resource name to (field lines, missing values, CSV text)."""
    (folder / item).mkdir(parents=True)
    resources = "".join(RESOURCE.format(name=n, missing=json.dumps(m), fields="\n".join(f))
                        for n, (f, m, _) in files.items())
    (folder / item / "dataset.yaml").write_text(HEAD.format(id=item, category=category) + "resources:\n" + resources,
                                                encoding="utf-8")
    for name, (_, _, text) in files.items():
        (folder / item / f"{name}.csv").write_text(text, encoding="utf-8")


def _definition(folder: Path, item: str, method: str, inputs: list[str]) -> None:
    (folder / item).mkdir(parents=True)
    (folder / item / "dataset.yaml").write_text(
        HEAD.format(id=item, category="air_quality") + f"derived: {{method: {method}, inputs: {json.dumps(inputs)}}}\n",
        encoding="utf-8")


# -- synthetic hourly air ----------------------------------------------------------------------------

POLLUTANTS = {"so2": (8, 6, 1), "no2": (35, 20, 1), "co": (0.8, 0.5, 2), "o3": (70, 50, 1), "pm10": (70, 45, 1),
              "pm25": (45, 35, 1)}  # mean, spread, decimals as the demo prints them
CST = timezone(timedelta(hours=8))


def _stamp(rng: random.Random, end: datetime) -> str:
    """An hour end as a file might write it: mostly +08:00, sometimes UTC or another offset."""
    roll = rng.random()
    if roll < 0.04:
        return end.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if roll < 0.07:
        return end.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat()
    return end.isoformat()


def _value(rng: random.Random, pollutant: str, spike: bool) -> str:
    mean, spread, decimals = POLLUTANTS[pollutant]
    roll = rng.random()
    if roll < 0.06:
        return ""  # missing or invalidated
    if roll < 0.075:
        return rng.choice(["—", "NaN", "n/a", "-"])  # what an unchecked file may hold
    if roll < 0.085:  # ties and binary-noise values at the rounding digits
        return rng.choice(["35.5", "24.5", "0.25", "0.05", "1.45", "115.5", "0.35", "75.50", "150.05"])
    if roll < 0.09:
        return rng.choice(["-1.0", "4.82e1", "+12.0", "0", "1e-3", "12.", ".5", "-0.0", "-0.3"])
    if spike:
        top = {"so2": 900, "no2": 1500, "co": 40, "o3": 850, "pm10": 650, "pm25": 520}[pollutant]
        return f"{top * rng.uniform(0.9, 1.3):.{decimals}f}"
    return f"{max(0.0, rng.gauss(mean, spread)):.{decimals}f}"


def air_csv(seed: int, stations: list[str], spans: list[tuple[date, int]], pollutants: list[str],
            extra: str | None = None, duplicates: bool = True) -> str:
    """Hourly air rows, end-stamped, with gaps, off-hour stamps, spikes and (``duplicates``) the
    same hour twice."""
    rng = random.Random(seed)
    header = ["station_id", "time", *pollutants, *([extra] if extra else [])]
    rows = []
    for station in stations:
        for first, days in spans:
            spikes = {rng.randrange(days * 24) for _ in range(3)}
            for hour in range(days * 24):
                if rng.random() < 0.03 or (hour // 24) % 11 == 7 and rng.random() < 0.8:
                    continue  # a lost hour; one day in eleven mostly lost
                end = datetime(first.year, first.month, first.day, tzinfo=CST) + timedelta(hours=hour + 1)
                if rng.random() < 0.01:
                    end += timedelta(minutes=30)  # off the hour
                spike = any(0 <= hour - s < 10 for s in spikes)
                values = ["" if station == "s-f" else _value(rng, p, spike) for p in pollutants]
                rows.append([station, _stamp(rng, end), *values, *(["op"] if extra else [])])
                if duplicates and rng.random() < 0.01:  # the same hour twice
                    rows.append([station, end.isoformat(), *(_value(rng, p, False) for p in pollutants),
                                 *(["op"] if extra else [])])
    rng.shuffle(rows[: len(rows) // 3])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue()


AIR_CASES = {
    # two winters a year apart (changes on last year), stations not in the registry, all pollutants
    "two-winters": dict(seed=11, tz="Asia/Shanghai", stations=["s-a", "s-b", "s-c", "s-d", "s-f", "s-x"],
                        spans=[(date(2024, 12, 20), 45), (date(2025, 12, 18), 20)],
                        pollutants=list(POLLUTANTS), extra=None, files=2),
    # a city in another DST-free zone, no CO column, a sensitive column, a whole February
    "kolkata": dict(seed=12, tz="Asia/Kolkata", stations=["s-a", "s-c", "s-d"],
                    spans=[(date(2025, 1, 28), 36)], pollutants=["so2", "no2", "o3", "pm10", "pm25"],
                    extra="operator", files=1),
    # days under HJ 633-2026 (no table on file) and before HJ 633-2012 took effect
    "standard-change": dict(seed=13, tz="Asia/Shanghai", stations=["s-b", "s-c"],
                            spans=[(date(2026, 2, 24), 8), (date(2015, 12, 30), 4)],
                            pollutants=list(POLLUTANTS), extra=None, files=1),
    # no hour twice (what a checked file holds), a summer, a station with only off-hour stamps
    "single-hours": dict(seed=14, tz="Asia/Shanghai", stations=["s-a", "s-b", "s-c", "s-d"],
                         spans=[(date(2025, 6, 1), 40)], pollutants=list(POLLUTANTS), extra=None, files=1,
                         duplicates=False),
}


def air_project(root: Path, case: str) -> None:
    """A project whose content holds the case's hourly air dataset and the three air methods."""
    spec = AIR_CASES[case]
    folder = root / "content" / "datasets"
    folder.mkdir(parents=True)
    (root / "content" / "registry.yaml").write_text(REGISTRY, encoding="utf-8")
    fields = [_field("station_id", "string"), _field("time", "datetime"),
              *(_field(f"c_{p}" if p == "pm25" else p, "number", p) for p in spec["pollutants"]),
              *([_field(spec["extra"], "string", sensitive=True)] if spec["extra"] else [])]
    text = air_csv(spec["seed"], spec["stations"], spec["spans"], spec["pollutants"], spec["extra"],
                   spec.get("duplicates", True))
    if case == "single-hours":  # s-d's hours all stamped half past
        text = "".join(line.replace(":00:00+08:00", ":30:00+08:00") if line.startswith("s-d,") else line
                       for line in text.splitlines(keepends=True))
    text = text.replace(",pm25", ",c_pm25", 1)
    lines = text.splitlines(keepends=True)
    cut = 1 + (len(lines) - 1) // spec["files"]
    files = {f"part{n}": (fields, ["", "-"], lines[0] + "".join(lines[1 + n * (cut - 1): 1 + (n + 1) * (cut - 1)]
                                                                 if n + 1 < spec["files"] else lines[1 + n * (cut - 1):]))
             for n in range(spec["files"])}
    _dataset(folder, "air", "air_quality", files)
    for method in ("daily-aqi", "realtime-aqi", "air-summary"):
        _definition(folder, method, method, ["air"])


# -- synthetic water and emissions ---------------------------------------------------------------------

WATER = {"ph": 2, "do": 1, "codmn": 1, "nh3n": 3, "tp": 3, "tn": 2, "hg": 5, "fecal": 0}


def water_project(root: Path, seed: int = 21) -> None:
    rng = random.Random(seed)
    folder = root / "content" / "datasets"
    folder.mkdir(parents=True)
    (root / "content" / "registry.yaml").write_text(REGISTRY, encoding="utf-8")
    names = {"nh3n": "nh3_n", "fecal": "fecal_coliform"}
    fields = [_field("section_id", "string"), _field("sample_date", "date"),
              *(_field(p, "integer" if p == "fecal" else "number", names.get(p, p)) for p in WATER)]
    rows = [["section_id", "sample_date", *WATER]]
    for _ in range(300):
        section = rng.choice(["w-river", "w-lake", "w-res", "w-unknown"])
        day = rng.choice([date(2025, 1, 1) + timedelta(days=rng.randrange(365)), date(2001, 5, 1), None])
        values = []
        for p, decimals in WATER.items():
            roll = rng.random()
            scale = {"ph": 7.5, "do": 6, "codmn": 4, "nh3n": 0.8, "tp": 0.15, "tn": 1.2, "hg": 0.00008,
                     "fecal": 5000}[p]
            values.append("" if roll < 0.1 else "0.2" if p == "tp" and roll < 0.15 else
                          f"{scale * rng.uniform(0.2, 2.5):.{decimals}f}")
        rows.append([section, day.isoformat() if day else "", *values])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    _dataset(folder, "water", "surface_water", {"samples": (fields, [""], out.getvalue())})
    _definition(folder, "water-class", "water-class", ["water"])


def emissions_project(root: Path, seed: int = 22) -> None:
    rng = random.Random(seed)
    folder = root / "content" / "datasets"
    folder.mkdir(parents=True)
    (root / "content" / "registry.yaml").write_text(REGISTRY, encoding="utf-8")
    columns = ["area_code", "enterprise_id", "outlet_id", "date", "parameter", "value", "unit", "limit"]
    kinds = {"date": "date", "value": "number", "limit": "number"}
    inputs = []
    for n, with_area in enumerate((True, False)):
        names = columns if with_area else columns[1:]
        fields = [_field(c, kinds.get(c, "string")) for c in names]
        rows = [names]
        for _ in range(400):
            limit = rng.choice(["35", "50", "100", "", "0.5"])
            value = rng.choice([limit or "10", f"{rng.uniform(0, 130):.{rng.choice([1, 2, 3])}f}", "", "12.3456"])
            day = date(2024, 11, 1) + timedelta(days=rng.randrange(150))
            row = ["990102", rng.choice(["ent-a", "ent-b", "007"]), rng.choice(["DA001", "DW002"]),
                   day.isoformat() if rng.random() > 0.02 else "", rng.choice(["so2", "nox", "cod"]), value,
                   rng.choice(["mg/m³", "mg/L", ""]), limit]
            rows.append(row if with_area else row[1:])
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        _dataset(folder, f"emissions-{n}", "pollution_source", {"daily": (fields, [""], out.getvalue())})
        inputs.append(f"emissions-{n}")
    _definition(folder, "exceedances", "emission-exceedance", inputs)


# -- what a derivation writes ------------------------------------------------------------------------


def derived_files(project: Path, tz: str, method: str, out: Path) -> dict[str, dict[str, str]]:
    """Each definition of ``project``'s content → its files' SHA-256 (dataset.yaml and the tables,
    as the build writes them, here into ``out``) and the notes and standards it returned."""
    from publisher.content import load_content
    from publisher.derived import METHODS, _write

    content = load_content(project)
    found = {}
    for ds in sorted(content.datasets.values(), key=lambda d: d.id):
        if ds.derived is None:
            continue
        inputs = [content.datasets[i] for i in ds.derived.inputs]
        computed = METHODS[ds.derived.method](inputs, content.registry, tz, method)
        (out / "datasets" / ds.id).mkdir(parents=True, exist_ok=True)
        files = _write(ds, computed, SOURCES, out)
        found[ds.id] = {name.rsplit("/", 1)[-1]: digest for name, digest in files.items()}
        found[ds.id]["notes+standards"] = hashlib.sha256(
            json.dumps([computed.notes, computed.standards], ensure_ascii=False).encode()).hexdigest()
    return found


CASES = ["demo", *AIR_CASES, "water", "emissions"]


def case_digests(case: str, tmp: Path, method: str) -> dict[str, dict[str, str]]:
    """:func:`derived_files` of the demo (read in place, written under ``tmp``) or a synthetic case."""
    if case == "demo":
        return derived_files(ROOT, "Asia/Shanghai", method, tmp / "written")
    if case in AIR_CASES:
        air_project(tmp, case)
    else:
        (water_project if case == "water" else emissions_project)(tmp)
    return derived_files(tmp, AIR_CASES[case]["tz"] if case in AIR_CASES else "Asia/Shanghai", method,
                         tmp / "written")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", CASES)
def test_derived_files_are_byte_identical_to_the_recorded_ones(case: str, method: str, tmp_path: Path) -> None:
    recorded = json.loads(DIGESTS.read_text(encoding="utf-8"))[case][method]
    assert case_digests(case, tmp_path, method) == recorded


# -- properties computed independently -------------------------------------------------------------


def _half_even(value: float, decimals: int) -> str:
    return f"{Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN):f}"


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return None if value != value or value in (float("inf"), float("-inf")) else value


def _hourly_values(root: Path) -> dict[tuple[str, datetime, str], list[float]]:
    """(station, hour end in +08:00, pollutant) → the values on the hour, read with csv."""
    values = defaultdict(list)
    for path in sorted((root / "content" / "datasets" / "air").glob("part*.csv")):
        for r in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))):
            when = datetime.fromisoformat(r["time"].replace("Z", "+00:00")).astimezone(CST)
            for p in POLLUTANTS:
                text = r.get("c_pm25" if p == "pm25" else p)
                number = _number(text) if text not in (None, "", "-") else None
                if number is not None and when.minute == 0:
                    values[(r["station_id"], when, p)].append(number)
    return values


@pytest.mark.parametrize("case", list(AIR_CASES))
def test_daily_means_match_a_plain_recomputation(case: str, tmp_path: Path) -> None:
    """Each station's printed 24-h means are the mean of its valid hours (at least 20 of the 24
    on the clock, a duplicated hour averaged first), rounded half to even, for every row."""
    from publisher.content import load_content
    from publisher.derived import daily_aqi

    air_project(tmp_path, case)
    content = load_content(tmp_path)
    table = daily_aqi([content.datasets["air"]], content.registry, AIR_CASES[case]["tz"], "literal").tables[0]
    printed = list(csv.DictReader(io.StringIO(table.csv_bytes().decode("utf-8"))))
    by_day = defaultdict(list)
    for (station, end, p), found in _hourly_values(tmp_path).items():
        by_day[(station, (end - timedelta(hours=1)).date().isoformat(), p)].append(fmean(found))
    decimals = {"co": 3}
    checked = 0
    for r in printed:
        for p in AIR_CASES[case]["pollutants"]:
            if p == "o3":
                continue
            hours = by_day.get((r["station_id"], r["date"], p), [])
            want = _half_even(fmean(hours), decimals.get(p, 1)) if len(hours) >= 20 else ""
            if want and r[f"{p}_24h"]:
                # a sum of floats in another order may differ in the last bit; the printed value may
                # then differ only where the mean sits on a rounding tie
                assert abs(float(r[f"{p}_24h"]) - float(want)) <= 10 ** -decimals.get(p, 1) * 1.01, (r, p)
            else:
                assert r[f"{p}_24h"] == want, (r, p, len(hours))
            checked += 1
    assert checked > 50


@pytest.mark.parametrize("case", list(AIR_CASES))
def test_real_time_rows_are_the_station_hours_that_hold_a_value(case: str, tmp_path: Path) -> None:
    """One real-time row per station and clock hour with a value on the hour; sorted by
    station and time; the printed 1-h values are those hours' values rounded half to even."""
    from publisher.content import load_content
    from publisher.derived import realtime

    air_project(tmp_path, case)
    content = load_content(tmp_path)
    [table] = realtime([content.datasets["air"]], content.registry, AIR_CASES[case]["tz"], "platform").tables
    printed = list(csv.DictReader(io.StringIO(table.csv_bytes().decode("utf-8"))))
    values = _hourly_values(tmp_path)
    got = [(r["station_id"], datetime.fromisoformat(r["time"])) for r in printed]
    assert got == sorted(got)
    assert {(s, e.astimezone(CST)) for s, e in got} == {(s, e) for s, e, _ in values if not _refused(e)}
    decimals = {"co": 1}
    for r in printed:
        end = datetime.fromisoformat(r["time"]).astimezone(CST)
        for p in AIR_CASES[case]["pollutants"]:
            found = values.get((r["station_id"], end, p))
            want = _half_even(fmean(found), decimals.get(p, 0)) if found else ""
            # -0 and 0 are one value: a column prints whichever of the two came first
            assert r[f"{p}_1h"] == want or want and Decimal(r[f"{p}_1h"]) == Decimal(want), (r, p, found)


def _refused(end: datetime) -> bool:
    """Hours of a day under no AQI table on file (HJ 633-2026 from 2026-03-01; before 2016)."""
    day = (end - timedelta(hours=1)).date()
    return day >= date(2026, 3, 1) or day < date(2016, 1, 1)


if __name__ == "__main__" and sys.argv[1:] == ["--record"]:
    import tempfile

    recorded: dict[str, dict[str, dict]] = {}
    for name in CASES:
        for method in METHODS:
            with tempfile.TemporaryDirectory() as tmp:
                recorded.setdefault(name, {})[method] = case_digests(name, Path(tmp), method)
        print(name, "recorded")
    DIGESTS.parent.mkdir(exist_ok=True)
    DIGESTS.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n", encoding="utf-8")
