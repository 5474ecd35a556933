"""Environmental standards as versioned data (HJ 633, GB 3095, GB 3838, GB 3096) and the
indicators computed from them. See docs/standards.md."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Each name is imported from its module when first used (PEP 562): reading the method names for
# release_rules.yaml (versions.py) does not import pandas, which the computations need.
_SOURCES = {
    "IAQI_COLUMNS": "aqi",
    "METHOD_CHOICES": "aqi",
    "AqiMethod": "aqi",
    "aqi_method": "aqi",
    "aqi_methods": "aqi",
    "default_method_name": "versions",
    "method_names": "versions",
    "round_concentrations": "aqi",
    "PRIMARY_SEPARATOR": "aqi",
    "AqiLevel": "aqi",
    "AqiResult": "aqi",
    "aqi_from_iaqis": "aqi",
    "aqi_level": "aqi",
    "aqi_levels": "aqi",
    "good_day_share": "aqi",
    "iaqi": "aqi",
    "iaqi_series": "aqi",
    "COMPLETE": "averaging",
    "DAILY_REPORT_COLUMNS": "averaging",
    "INCOMPLETE": "averaging",
    "WITHHELD": "averaging",
    "air_columns": "averaging",
    "completeness": "averaging",
    "held_counts": "averaging",
    "REALTIME_REPORT_COLUMNS": "averaging",
    "annual_means": "averaging",
    "area_daily_report": "averaging",
    "city_daily_report": "averaging",
    "daily_aqi_report": "averaging",
    "daily_concentrations": "averaging",
    "daily_means": "averaging",
    "monthly_means": "averaging",
    "o3_8h_moving": "averaging",
    "o3_daily_stats": "averaging",
    "realtime_aqi": "averaging",
    "station_daily_report": "averaging",
    "Standard": "versions",
    "StandardNotAvailable": "versions",
    "all_standards": "versions",
    "standard_by_id": "versions",
    "standard_for": "versions",
    "SectionResult": "water",
    "section_class": "water",
    "water_class": "water",
}

if TYPE_CHECKING:
    from .aqi import (
        IAQI_COLUMNS,
        METHOD_CHOICES,
        AqiMethod,
        aqi_method,
        aqi_methods,
        round_concentrations,
        PRIMARY_SEPARATOR,
        AqiLevel,
        AqiResult,
        aqi_from_iaqis,
        aqi_level,
        aqi_levels,
        good_day_share,
        iaqi,
        iaqi_series,
    )
    from .averaging import (
        COMPLETE,
        DAILY_REPORT_COLUMNS,
        INCOMPLETE,
        WITHHELD,
        air_columns,
        completeness,
        held_counts,
        REALTIME_REPORT_COLUMNS,
        annual_means,
        area_daily_report,
        city_daily_report,
        daily_aqi_report,
        daily_concentrations,
        daily_means,
        monthly_means,
        o3_8h_moving,
        o3_daily_stats,
        realtime_aqi,
        station_daily_report,
    )
    from .versions import (Standard, StandardNotAvailable, all_standards, default_method_name, method_names,
                           standard_by_id, standard_for)
    from .water import SectionResult, section_class, water_class


def __getattr__(name: str) -> Any:
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "COMPLETE", "INCOMPLETE", "METHOD_CHOICES", "WITHHELD", "AqiMethod", "aqi_method", "aqi_methods", "completeness",
    "default_method_name", "method_names", "round_concentrations",
    "DAILY_REPORT_COLUMNS", "IAQI_COLUMNS", "PRIMARY_SEPARATOR", "REALTIME_REPORT_COLUMNS",
    "AqiLevel", "AqiResult", "SectionResult", "Standard", "StandardNotAvailable",
    "air_columns", "held_counts",
    "all_standards", "annual_means", "aqi_from_iaqis", "aqi_level", "aqi_levels", "area_daily_report",
    "city_daily_report", "daily_aqi_report", "daily_concentrations", "daily_means", "good_day_share", "iaqi", "iaqi_series", "monthly_means",
    "o3_8h_moving", "o3_daily_stats", "realtime_aqi", "section_class", "station_daily_report", "standard_by_id",
    "standard_for", "water_class",
]
