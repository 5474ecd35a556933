"""Headline indicators for the home page, computed from released datasets only.

The home page shows each air station's latest daily AQI (HJ 633) with its level name and colour.
The AQI comes from ``publisher.standards`` applied to the hourly data of released datasets of
category ``air_quality`` that have ``station_id``, ``time`` and pollutant columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Iterable

import pandas as pd

from .charts import read_air_hourly

if TYPE_CHECKING:
    from .content import Dataset

PRIMARY_NAMES = {"PM2.5": "PM₂.₅", "PM10": "PM₁₀", "SO2": "SO₂", "NO2": "NO₂", "CO": "CO",
                 "O3_1h": "O₃", "O3_8h": "O₃"}


@dataclass(frozen=True)
class StationAqi:
    """One station's latest daily AQI."""

    station_id: str
    day: date
    aqi: int
    level: int
    category: dict[str, str]  # level name, zh and en (优, Excellent …)
    numeral_zh: str  # 一级 …
    colour: str  # HJ 633 Annex A colour
    text_colour: str  # black or white, whichever reads on ``colour``
    primary: str  # primary pollutant(s), "" when AQI ≤ 50
    dataset_id: str
    advice: dict[str, str]
    missing: str = ""  # pollutants not measured that day (the AQI is flagged incomplete), "" when complete


def _text_colour(hex_colour: str) -> str:
    """Black or white text, whichever has the higher WCAG contrast on ``hex_colour``."""
    rgb = [int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    luminance = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"


def latest_station_aqi(datasets: Iterable[Dataset], tz: str = "Asia/Shanghai",
                       method: str | None = None,
                       failed: list[tuple[str, Exception]] | None = None) -> list[StationAqi]:
    """Each station's most recent daily AQI over the given (released) datasets, by station id.

    A station that appears in several datasets takes the latest day. A day whose AQI is withheld
    (a measured pollutant without a valid daily value, GB 3095 Table 4) is skipped: the home page
    never shows a number that leaves out a measured pollutant. A day missing a pollutant that was
    not measured at all shows its AQI with the pollutants it lacks (``missing``).

    A dataset whose AQI cannot be computed (no standard in force for its dates, say) leaves its
    stations out and is listed in ``failed`` with the reason; it never stops the others (or raises,
    when ``failed`` is None: the caller then decides).
    """
    latest: dict[str, StationAqi] = {}
    for ds in sorted(datasets, key=lambda d: d.id):
        if ds.category != "air_quality" or ds.derived is not None:
            continue
        try:
            rows = _latest_rows(ds, tz, method)
        except Exception as exc:  # noqa: BLE001 - one dataset's failure is that dataset's
            if failed is None:
                raise
            failed.append((ds.id, exc))
            continue
        for row, level in rows:
            current = latest.get(row["station_id"])
            if current is not None and current.day >= row["date"]:
                continue
            primary = "" if pd.isna(row["primary_pollutant"]) else str(row["primary_pollutant"])
            latest[row["station_id"]] = StationAqi(
                station_id=row["station_id"], day=row["date"], aqi=int(row["aqi"]), level=level.level,
                category={"zh": level.category_zh, "en": level.category_en}, numeral_zh=level.numeral_zh,
                colour=level.colour, text_colour=_text_colour(level.colour),
                primary="、".join(dict.fromkeys(PRIMARY_NAMES.get(p, p) for p in primary.split(";") if p)),
                dataset_id=ds.id, advice={"zh": level.advice_zh, "en": level.advice_en},
                missing="" if pd.isna(row["missing_pollutants"]) else "、".join(
                    dict.fromkeys(PRIMARY_NAMES.get(p, p) for p in str(row["missing_pollutants"]).split(";") if p)),
            )
    return [latest[k] for k in sorted(latest)]


def _latest_rows(ds: Dataset, tz: str, method: str | None) -> list[tuple[dict[str, Any], Any]]:
    """Each station's last day with an AQI in ``ds``, with its level (all computed before any is used)."""
    from .standards import aqi_level, daily_aqi_report

    hourly = read_air_hourly(ds, tz)
    if hourly is None or "pm25" not in hourly:
        return []
    recent, trusted_from = _recent_hours(hourly, tz)
    report = daily_aqi_report(recent, method=method).dropna(subset=["aqi"])
    report = report[report["date"] >= report["station_id"].map(trusted_from)]
    others = hourly["station_id"].isin(set(hourly["station_id"]) - set(report["station_id"]))
    del recent
    if others.any():  # no AQI in its last days: the station's whole series, as before
        report = pd.concat([report, daily_aqi_report(hourly[others], method=method).dropna(subset=["aqi"])])
    if report.empty:
        return []
    last = report.sort_values(["station_id", "date"]).groupby("station_id").tail(1)
    return [(row, aqi_level(int(row["aqi"]), row["date"])) for row in last.to_dict("records")]


RECENT_DAYS = 10  # hours read back from each station's last one, to find its last day with an AQI


def _recent_hours(hourly: pd.DataFrame, tz: str) -> tuple[pd.DataFrame, dict[str, date]]:
    """Each station's hours of its last :data:`RECENT_DAYS` days, and from which date on its days
    lie wholly inside them (two days after the first: the first may be cut, and a day's values
    may lean on the day before). A day's AQI depends on its own hours only (HJ 663), so those
    days come out exactly as from the whole series, without averaging years of hours to find
    the last one (13 M rows: 5 GB); a station with no AQI among them is computed whole."""
    times = pd.to_datetime(hourly["time"], utc=True)
    cut = times.groupby(hourly["station_id"]).max() - pd.Timedelta(days=RECENT_DAYS)  # per station
    keep = times >= hourly["station_id"].map(cut)
    trusted = {station: when.tz_convert(tz).date() + timedelta(days=2) for station, when in cut.items()}
    return hourly[keep], trusted
