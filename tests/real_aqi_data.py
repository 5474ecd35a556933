"""CNEMC's national real-time publication (2019 sample and two snapshots), read for the tests.

The files live outside the project, in ``shared/testdata/real-aqi`` beside the clone (see its
SOURCE.md); they are never copied into it. ``REAL`` is None when the folder is absent.
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
# CI: shared/ beside the clone; a git worktree under <clone-parent>/wt/<name> finds it one level up.
_CANDIDATES = [ROOT.parent / "shared" / "testdata" / "real-aqi", ROOT.parent.parent / "shared" / "testdata" / "real-aqi"]
REAL: Path | None = next((p for p in _CANDIDATES if p.is_dir()), None)
TYPES = {"SO2": "so2", "NO2": "no2", "CO": "co", "O3": "o3", "PM10": "pm10", "PM2.5": "pm25"}
CST = "+08:00"


@lru_cache(maxsize=1)
def quotsoft() -> pd.DataFrame:
    """Every station-hour of the 15 days: ``station_id, time`` (end of the hour, +08:00), the six
    1-h concentrations, and the platform's ``aqi``, ``o3_8h`` and 24-h means (``<type>_24h``)."""
    assert REAL is not None
    wanted = [*TYPES, "AQI", "O3_8h", "PM2.5_24h", "PM10_24h"]
    frames = [pd.read_csv(p, dtype={"date": str})
              for p in sorted((REAL / "cnemc-quotsoft-2019").glob("china_sites_*.csv.gz"))]
    stations = sorted(set().union(*(f.columns[3:] for f in frames)))
    columns: dict[str, list[np.ndarray]] = {t: [] for t in ["station_id", "time", *wanted]}
    for raw in frames:
        values = raw.reindex(columns=stations).to_numpy(dtype=float)  # (hour × type, station)
        ends = pd.to_datetime(raw["date"], format="%Y%m%d") + pd.to_timedelta(raw["hour"], unit="h")
        hours = pd.DatetimeIndex(ends[raw["type"] == "AQI"])
        for t in wanted:
            block = values[(raw["type"] == t).to_numpy()]  # (hour, station), hours in file order
            assert block.shape[0] == len(hours), f"{t}: one row per hour expected"
            columns[t].append(block.reshape(-1))
        columns["station_id"].append(np.tile(np.asarray(stations, dtype=object), len(hours)))
        columns["time"].append(np.repeat(hours.to_numpy(), len(stations)))
    data = {k: np.concatenate(v) for k, v in columns.items()}
    out = pd.DataFrame({"station_id": data["station_id"],
                        "time": pd.DatetimeIndex(data["time"]).tz_localize(CST)})
    for name, column in TYPES.items():
        out[column] = data[name]
    out["official_aqi"] = data["AQI"]
    out["official_o3_8h"] = data["O3_8h"]
    out["PM2.5_24h"] = data["PM2.5_24h"]
    out["PM10_24h"] = data["PM10_24h"]
    return out.dropna(subset=[*TYPES.values(), "official_aqi"], how="all").reset_index(drop=True)


def so2_extract() -> pd.DataFrame:
    """The 14 station-hours of 2019 with SO2 1-h > 800 μg/m³, one row each."""
    assert REAL is not None
    raw = pd.read_csv(REAL / "cnemc-quotsoft-2019" / "so2_1h_over_800_extract.csv", dtype={"date": str})
    wide = raw.pivot_table(index=["station", "date", "hour"], columns="type", values="value", aggfunc="first")
    return wide.reset_index()


def snapshot(name: str) -> pd.DataFrame:
    """A national snapshot of the platform's own records (``GetAQIDataPublishLives``), with its
    swap undone: ``o3_24h`` there is the latest 1-h O3 (SOURCE.md)."""
    assert REAL is not None
    with gzip.open(REAL / "cnemc-live-json" / name, "rt", encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    rows = [f["properties"] for f in features]
    frame = pd.DataFrame(rows)

    def number(column: str) -> pd.Series:
        return pd.to_numeric(frame[column].replace({"-;": np.nan, "—": np.nan, "": np.nan}), errors="coerce")

    return pd.DataFrame({
        "station_id": frame["stationcode"], "time": pd.to_datetime(frame["timepoint"]).dt.tz_localize(CST),
        "so2": number("so2"), "no2": number("no2"), "co": number("co"), "o3": number("o3_24h"),
        "pm10": number("pm10"), "pm25": number("pm2_5"),
        "official_aqi": number("aqi"), "official_primary": frame["primarypollutant"].fillna(""),
        "official_quality": frame["quality"].fillna(""), "area": frame["area"],
    })
