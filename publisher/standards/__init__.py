"""Environmental standards as versioned data (HJ 633, GB 3095, GB 3838, GB 3096) and the
indicators computed from them. See docs/standards.md."""

from __future__ import annotations

from .aqi import (
    IAQI_COLUMNS,
    METHOD_CHOICES,
    AqiMethod,
    aqi_method,
    aqi_methods,
    default_method_name,
    method_names,
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
from .versions import Standard, StandardNotAvailable, all_standards, standard_by_id, standard_for
from .water import SectionResult, section_class, water_class

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
