"""Every row of every derived AQI table checks out: recomputed here from the values printed in
that same row, with HJ 633-2012's Table 1 typed by hand (never with the code under test).

The tables are those the demo build publishes (``air-daily-aqi-2025``: stations and city;
``air-realtime-aqi-2025``: hourly), computed under each AQI method, as bytes, and read back as
a reader of the CSV would.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pytest

from publisher.content import load_content
from publisher.derived import daily_aqi, realtime

ROOT = Path(__file__).resolve().parent.parent
LEVELS = [0, 50, 100, 150, 200, 300, 400, 500]
TABLE_1 = {  # HJ 633-2012 Table 1, typed by hand
    "so2_24h": [0, 50, 150, 475, 800, 1600, 2100, 2620], "so2_1h": [0, 150, 500, 650, 800],
    "no2_24h": [0, 40, 80, 180, 280, 565, 750, 940], "no2_1h": [0, 100, 200, 700, 1200, 2340, 3090, 3840],
    "pm10_24h": [0, 50, 150, 250, 350, 420, 500, 600], "pm25_24h": [0, 35, 75, 115, 150, 250, 350, 500],
    "co_24h": [0, 2, 4, 14, 24, 36, 48, 60], "co_1h": [0, 5, 10, 35, 60, 90, 120, 150],
    "o3_1h": [0, 160, 200, 300, 400, 800, 1000, 1200], "o3_8h": [0, 100, 160, 215, 265, 800],
}
NAMES = {"iaqi_so2": "SO2", "iaqi_no2": "NO2", "iaqi_pm10": "PM10", "iaqi_co": "CO", "iaqi_o3_1h": "O3_1h",
         "iaqi_o3_8h": "O3_8h", "iaqi_pm25": "PM2.5"}


def sub_index(row: str, text: str, *, above: int | None) -> int | None:
    """IAQI of a printed value on a Table 1 row; ``above`` is what a value over the column gives."""
    if text == "":
        return None
    c, bps = float(text), TABLE_1[row]
    if c > bps[-1]:
        return above
    k = next(i for i in range(1, len(bps)) if c <= bps[i])
    raw = (LEVELS[k] - LEVELS[k - 1]) / (bps[k] - bps[k - 1]) * (c - bps[k - 1]) + LEVELS[k - 1]
    return math.ceil(round(raw, 9))


def expected_daily(r: dict[str, str], method: str) -> dict[str, int | None]:
    top = 500 if method == "platform" else None
    return {"iaqi_pm25": sub_index("pm25_24h", r["pm25_24h"], above=top),
            "iaqi_pm10": sub_index("pm10_24h", r["pm10_24h"], above=top),
            "iaqi_so2": sub_index("so2_24h", r["so2_24h"], above=top),
            "iaqi_no2": sub_index("no2_24h", r["no2_24h"], above=top),
            "iaqi_co": sub_index("co_24h", r["co_24h"], above=top),
            "iaqi_o3_1h": sub_index("o3_1h", r["o3_1h_max"], above=top),
            "iaqi_o3_8h": sub_index("o3_8h", r["o3_8h_max"], above=None)}  # footnote (3)


def expected_realtime(r: dict[str, str], method: str) -> dict[str, int | None]:
    if method == "platform":  # 1-h PM on the 24-h rows, SO2 > 800 → 200, no O3 8-h sub-index
        return {"iaqi_so2": sub_index("so2_1h", r["so2_1h"], above=200),
                "iaqi_no2": sub_index("no2_1h", r["no2_1h"], above=500),
                "iaqi_co": sub_index("co_1h", r["co_1h"], above=500),
                "iaqi_o3_1h": sub_index("o3_1h", r["o3_1h"], above=500),
                "iaqi_o3_8h": None,
                "iaqi_pm10": sub_index("pm10_24h", r["pm10_1h"], above=500),
                "iaqi_pm25": sub_index("pm25_24h", r["pm25_1h"], above=500)}
    so2 = sub_index("so2_1h", r["so2_1h"], above=None)
    if r["so2_1h"] and float(r["so2_1h"]) > 800:  # footnote (2): the 24-h moving mean
        so2 = sub_index("so2_24h", r["so2_24h"], above=None)
    return {"iaqi_so2": so2, "iaqi_no2": sub_index("no2_1h", r["no2_1h"], above=None),
            "iaqi_co": sub_index("co_1h", r["co_1h"], above=None),
            "iaqi_o3_1h": sub_index("o3_1h", r["o3_1h"], above=None),
            "iaqi_o3_8h": sub_index("o3_8h", r["o3_8h"], above=None),
            "iaqi_pm10": sub_index("pm10_24h", r["pm10_24h"], above=None),
            "iaqi_pm25": sub_index("pm25_24h", r["pm25_24h"], above=None)}


@pytest.fixture(scope="module")
def demo_inputs():
    content = load_content(ROOT)
    return [content.datasets["air-hourly-2025"]], content.registry


def check_rows(text: str, expect, method: str) -> int:
    rows = list(csv.DictReader(io.StringIO(text)))
    wrong = []
    for r in rows:
        want = expect(r, method)
        got = {c: (int(r[c]) if r[c] else None) for c in want}
        if got != want:
            wrong.append((r, got, want))
            continue
        present = [v for v in want.values() if v is not None]
        if r["completeness"] == "withheld":
            ok = r["aqi"] == "" and r["level"] == "" and r["primary_pollutant"] == ""
        else:
            aqi = max(present)
            primary = ";".join(NAMES[c] for c in NAMES if want[c] == aqi) if aqi > 50 else ""
            level = 1 + sum(aqi > bound for bound in (50, 100, 150, 200, 300))
            ok = (int(r["aqi"]), int(r["level"]), r["primary_pollutant"]) == (aqi, level, primary)
        if not ok:
            wrong.append((r, got, want))
    assert wrong == [], f"{len(wrong)} of {len(rows)} rows do not recompute, e.g. {wrong[:2]}"
    return len(rows)


@pytest.mark.parametrize("method", ["platform", "literal"])
def test_every_daily_row_recomputes_from_its_printed_values(demo_inputs, method: str) -> None:
    inputs, registry = demo_inputs
    computed = daily_aqi(inputs, registry, "Asia/Shanghai", method)
    counted = {t.name: check_rows(t.csv_bytes().decode("utf-8"), expected_daily, method) for t in computed.tables}
    assert counted["stations"] > 2000 and counted["city"] > 300


@pytest.mark.parametrize("method", ["platform", "literal"])
def test_every_real_time_row_recomputes_from_its_printed_values(demo_inputs, method: str) -> None:
    inputs, registry = demo_inputs
    [table] = realtime(inputs, registry, "Asia/Shanghai", method).tables
    assert check_rows(table.csv_bytes().decode("utf-8"), expected_realtime, method) > 40_000
