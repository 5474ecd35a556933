"""Surface water classes per GB 3838-2002 Table 1 and the single-factor method of
地表水环境质量评价办法（试行）(环办〔2011〕22号)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

import pandas as pd

from .versions import Standard, resolve_standard

CLASSES = ("I", "II", "III", "IV", "V")
WORSE_THAN_V = "劣V"
CLASS_ORDER = {name: rank for rank, name in enumerate((*CLASSES, WORSE_THAN_V), start=1)}
WaterBodyKind = Literal["river", "lake", "reservoir"]


@dataclass(frozen=True)
class SectionResult:
    """A sample's overall class, the parameters that set it, and multiples over the class III limit."""

    water_class: str | None
    limiting_parameters: tuple[str, ...]
    exceedance_multiples: dict[str, float] = field(default_factory=dict)
    parameter_classes: dict[str, str] = field(default_factory=dict)


def _version(date: Any, standard: Standard | str | None) -> Standard:
    return resolve_standard("surface_water", date, standard)


def _limits(row: Mapping[str, Any], kind: str) -> list[float]:
    if kind in ("lake", "reservoir") and "limits_lake_reservoir" in row:
        return row["limits_lake_reservoir"]
    return row["limits"]


def water_class(
    parameter: str,
    value: float | None,
    water_body_kind: WaterBodyKind = "river",
    date: Any = None,
    *,
    standard: Standard | str | None = None,
) -> str | None:
    """Single-factor class of one value: the best class whose limit it meets (a value exactly on a
    limit meets it), or 劣V. DO is a minimum; pH meets all classes within 6–9 and none outside.
    None for a missing value or a parameter that does not apply (TN in a river)."""
    if water_body_kind not in ("river", "lake", "reservoir"):
        raise ValueError("water_body_kind must be river, lake or reservoir")
    version = _version(date, standard)
    parameters = version.require_tables()["parameters"]
    if parameter not in parameters:
        raise ValueError(f"{version.id} has no class limits for {parameter!r}")
    row = parameters[parameter]
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    if "applies_to" in row and water_body_kind not in row["applies_to"]:
        return None
    value = float(value)
    if row["kind"] == "range":
        low, high = row["range"]
        return CLASSES[0] if low <= value <= high else WORSE_THAN_V
    limits = _limits(row, water_body_kind)
    for name, limit in zip(CLASSES, limits):
        if (value >= limit) if row["kind"] == "min" else (value <= limit):
            return name
    return WORSE_THAN_V


def section_class(
    sample_row: Mapping[str, Any],
    water_body_kind: WaterBodyKind | None = None,
    date: Any = None,
    *,
    standard: Standard | str | None = None,
    routine: bool = True,
) -> SectionResult:
    """Overall class of one sample (a mapping or Series of parameter → value).

    The class is the worst single-factor class (单因子评价法). With ``routine`` (default) TN and
    fecal coliform are left out, as 评价办法 assesses them separately. For each parameter worse
    than class III the multiple ``(value - limit_III) / limit_III`` is given (not for pH, DO).
    ``water_body_kind`` and ``date`` may also come from the row's ``kind`` and ``date`` keys.
    """
    kind = water_body_kind or sample_row.get("kind") or "river"
    day = date if date is not None else sample_row.get("date")
    version = _version(day, standard)
    tables = version.require_tables()
    excluded = set(tables["routine_excluded"]) if routine else set()
    classes: dict[str, str] = {}
    multiples: dict[str, float] = {}
    for parameter, row in tables["parameters"].items():
        if parameter in excluded or parameter not in sample_row:
            continue
        found = water_class(parameter, sample_row[parameter], kind, standard=version)
        if found is None:
            continue
        classes[parameter] = found
        if CLASS_ORDER[found] > CLASS_ORDER["III"] and parameter not in tables["no_exceedance_multiple"]:
            limit = _limits(row, kind)[2]
            multiples[parameter] = (float(sample_row[parameter]) - limit) / limit
    if not classes:
        return SectionResult(None, ())
    worst = max(classes.values(), key=CLASS_ORDER.__getitem__)
    limiting = tuple(p for p, c in classes.items() if c == worst)
    return SectionResult(worst, limiting, multiples, classes)
