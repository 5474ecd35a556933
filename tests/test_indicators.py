"""The home page's latest AQI per station never shows a number that leaves out a measured pollutant."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from publisher.content import load_content
from publisher.indicators import latest_station_aqi


def test_a_withheld_day_is_skipped_and_an_incomplete_one_says_what_is_missing(portal: Path) -> None:
    csv = portal / "content" / "datasets" / "air-mini" / "air_hourly.csv"
    frame = pd.read_csv(csv, dtype=str)
    day2 = frame["time"].str.startswith("2025-01-02T")
    # aq-east: PM2.5 measured on 2 Jan but in 10 hours only: the day's AQI is withheld
    east = frame.index[(frame["station_id"] == "aq-east") & day2]
    frame.loc[east[10:], "pm25"] = ""
    # aq-west: no CO at all on 2 Jan: the others' AQI, flagged
    frame.loc[(frame["station_id"] == "aq-west") & day2, "co"] = ""
    frame.to_csv(csv, index=False)
    [dataset] = [d for d in load_content(portal).datasets.values() if d.id == "air-mini"]
    latest = {s.station_id: s for s in latest_station_aqi([dataset])}
    assert latest["aq-east"].day == dt.date(2025, 1, 1) and latest["aq-east"].missing == ""
    assert latest["aq-west"].day == dt.date(2025, 1, 2) and latest["aq-west"].missing == "CO"


def test_the_latest_day_from_the_last_days_equals_the_whole_series(monkeypatch) -> None:
    """The latest AQI is found from each station's last days; a station with no AQI there is
    computed whole. Either way, the same day and numbers as from the whole series."""
    import numpy as np

    from publisher import indicators
    from publisher.standards import daily_aqi_report

    rng = np.random.default_rng(2026)
    hours = pd.date_range("2025-01-01T00:00:00+08:00", periods=24 * 40, freq="h")
    frames = []
    for station in ("aq-a", "aq-b", "aq-c", "aq-d"):
        frame = pd.DataFrame({"station_id": station, "time": hours})
        for p, scale in (("so2", 10), ("no2", 40), ("co", 0.8), ("o3", 80), ("pm10", 90), ("pm25", 60)):
            values = rng.gamma(2.0, scale / 2, len(hours)).round(1)
            values[rng.random(len(hours)) < 0.05] = np.nan  # scattered gaps
            frame[p] = values
        frames.append(frame)
    hourly = pd.concat(frames, ignore_index=True)
    local_day = hourly["time"].dt.tz_convert("Asia/Shanghai").dt.date
    # aq-c: PM2.5 in only 5 hours a day over its last 15 days: withheld there, its AQI is older
    c_tail = (hourly["station_id"] == "aq-c") & (local_day >= dt.date(2025, 1, 26))
    hourly.loc[c_tail & (hourly["time"].dt.hour >= 5), "pm25"] = np.nan
    # aq-d: went silent 3 days before the others
    hourly = hourly[~((hourly["station_id"] == "aq-d") & (local_day >= dt.date(2025, 2, 7)))]
    monkeypatch.setattr(indicators, "read_air_hourly", lambda ds, tz: hourly.copy())

    found = {row["station_id"]: (row["date"], row["aqi"], row["primary_pollutant"], row["missing_pollutants"])
             for row, _ in indicators._latest_rows(None, "Asia/Shanghai", None)}
    whole = daily_aqi_report(hourly, method=None).dropna(subset=["aqi"])
    last = whole.sort_values(["station_id", "date"]).groupby("station_id").tail(1)
    expected = {row["station_id"]: (row["date"], row["aqi"], row["primary_pollutant"], row["missing_pollutants"])
                for row in last.to_dict("records")}
    assert set(found) == {"aq-a", "aq-b", "aq-c", "aq-d"}
    assert str(found) == str(expected)
    assert found["aq-c"][0] < dt.date(2025, 1, 26) <= found["aq-a"][0]
