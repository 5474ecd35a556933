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
