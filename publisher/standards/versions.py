"""The standards as versioned data: load the YAML files beside this module, pick the one in force."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).parent

#: kinds of standard, and what each covers
KINDS = {
    "aqi": "HJ 633 air quality index",
    "ambient_air": "GB 3095 ambient air quality limits",
    "surface_water": "GB 3838 surface water quality limits",
    "noise": "GB 3096 environmental noise limits",
}


class StandardNotAvailable(LookupError):
    """No usable version of a standard for a date: none in force, or its tables are not on file."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh} / {message_en}")


@dataclass(frozen=True)
class Standard:
    """One version of one standard, as recorded in its data file."""

    id: str
    kind: str
    title_zh: str
    title_en: str
    effective_from: dt.date
    effective_until: dt.date | None
    superseded_by: str | None
    sources: tuple[str, ...]
    tables: dict[str, Any] | None = field(repr=False, compare=False, hash=False)
    reported: tuple[str, ...] = ()
    methods: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)
    default_method: str | None = None

    @property
    def available(self) -> bool:
        """True when the tables are on file, so the version can be computed with."""
        return self.tables is not None

    def in_force(self, day: dt.date) -> bool:
        """True when ``day`` lies within the version's effective period (both ends inclusive)."""
        return self.effective_from <= day and (self.effective_until is None or day <= self.effective_until)

    def require_tables(self) -> dict[str, Any]:
        """The tables, or a bilingual StandardNotAvailable when the version has none on file."""
        if self.tables is None:
            raise StandardNotAvailable(
                f"{self.id}（{self.title_zh}）自 {self.effective_from} 起实施，但本系统尚未录入其标准限值表，"
                "不能按该版本计算，也不会改用旧版本计算。",
                f"{self.id} ({self.title_en}) is in force from {self.effective_from}, but its tables are "
                "not on file in this system; values under it are not computed, and the superseded "
                "version is not used instead.",
            )
        return self.tables


def _date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


@lru_cache(maxsize=1)
def all_standards() -> tuple[Standard, ...]:
    """Every version on file, read once from the YAML files in this package."""
    versions = []
    for path in sorted(DATA_DIR.glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        versions.append(
            Standard(
                id=raw["id"],
                kind=raw["kind"],
                title_zh=raw["title"]["zh"],
                title_en=raw["title"]["en"],
                effective_from=_date(raw["effective_from"]),
                effective_until=_date(raw.get("effective_until")),
                superseded_by=raw.get("superseded_by"),
                sources=tuple(raw.get("sources") or ()),
                tables=raw.get("tables"),
                reported=tuple(raw.get("reported") or ()),
                methods=dict(raw.get("methods") or {}),
                default_method=raw.get("default_method"),
            )
        )
    return tuple(versions)


def standard_by_id(standard_id: str) -> Standard:
    """The version named ``standard_id`` (e.g. ``"HJ 633-2012"``)."""
    for version in all_standards():
        if version.id == standard_id:
            return version
    raise KeyError(standard_id)


def to_date(value: Any) -> dt.date:
    """A calendar date from a date, datetime, pandas Timestamp or ISO string (local date kept)."""
    if isinstance(value, dt.datetime):  # pandas Timestamps too
        return value.date()
    if isinstance(value, dt.date):
        return value
    import pandas as pd

    return pd.Timestamp(value).date()


def method_names() -> tuple[str, ...]:
    """Names of the AQI methods on file (what ``aqi.method`` in release_rules.yaml may say)."""
    return tuple(standard_by_id("HJ 633-2012").methods)


def default_method_name() -> str:
    """The method used when the rules choose none: the platform's practice."""
    return standard_by_id("HJ 633-2012").default_method or "platform"


def standard_for(kind: str, date: Any, *, require_tables: bool = True) -> Standard:
    """The version of ``kind`` in force on ``date``.

    Raises StandardNotAvailable when no version is in force then, or when the version in force
    has no tables on file (``require_tables``): a date under a revision we cannot compute is
    refused, never computed with the superseded table.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind of standard {kind!r}; expected one of {sorted(KINDS)}")
    day = to_date(date)
    for version in all_standards():
        if version.kind == kind and version.in_force(day):
            if require_tables:
                version.require_tables()
            return version
    raise StandardNotAvailable(
        f"{day} 没有在本系统登记的、当日实施的{KINDS[kind]}标准版本。",
        f"No version of the {KINDS[kind]} standard on file was in force on {day}.",
    )


def resolve_standard(kind: str, date: Any, standard: Standard | str | None) -> Standard:
    """``standard`` itself (a version or its id, which must have tables), else the version of
    ``kind`` in force on ``date``."""
    if isinstance(standard, str):
        standard = standard_by_id(standard)
    if standard is not None:
        standard.require_tables()
        return standard
    if date is None:
        raise TypeError(f"give the observation date (or an explicit standard) to choose the {kind} version")
    return standard_for(kind, date)
