"""IAQI and AQI per HJ 633 (clause numbers of HJ 633-2012's published text)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa

from .versions import Standard, default_method_name, method_names, resolve_standard, standard_by_id, to_date

#: IAQI column → the name HJ 633 uses for the pollutant in a report. O3 is named by its averaging
#: period because the daily report (HJ 633-2012 5.1.2, Table 3) carries both the daily maximum
#: 1-h and the daily maximum 8-h O3 with separate sub-indices.
IAQI_COLUMNS: dict[str, str] = {
    "iaqi_so2": "SO2",
    "iaqi_no2": "NO2",
    "iaqi_pm10": "PM10",
    "iaqi_co": "CO",
    "iaqi_o3_1h": "O3_1h",
    "iaqi_o3_8h": "O3_8h",
    "iaqi_pm25": "PM2.5",
}
#: joins tied primary pollutants (HJ 633-2012 4.4.2: ties are all primary), in IAQI_COLUMNS order
PRIMARY_SEPARATOR = ";"
POLLUTANTS = ("so2", "no2", "pm10", "co", "o3", "pm25")
PERIODS = ("1h", "8h", "24h")
# IAQI values a hair above an integer only through binary floating point (e.g. 25*0.6 =
# 15.000000000000002) must not be rounded up to the next integer.
_ROUNDING_DECIMALS = 9


@dataclass(frozen=True)
class AqiLevel:
    """One row of HJ 633 Table 2 with its Annex A colour."""

    level: int
    numeral_zh: str
    category_zh: str
    category_en: str
    colour: str
    health_effect_zh: str
    health_effect_en: str
    advice_zh: str
    advice_en: str


@dataclass(frozen=True)
class AqiMethod:
    """One recorded way of applying HJ 633's tables (``methods`` of the standard's data file):
    the national platform's practice or the literal reading of the text. See docs/standards.md."""

    name: str
    title_zh: str
    title_en: str
    realtime_pm: str  # "1h": 1-h PM on the 24-h rows of Table 1; "24h_moving": 24-h moving means
    realtime_o3_8h: bool  # whether an O3 8-h sub-index enters the real-time AQI
    so2_1h_above_800: str  # "iaqi_200" or "use_24h" (footnote (2))
    above_top: str  # "iaqi_500" or "not_computed": a value above the top of its column
    o3_8h_day_boundary: str  # "restart" (each natural day) or "moving" (across midnight)
    rounding: str  # "half_even" (GB/T 8170)
    decimals: dict[str, int]  # pollutant → decimals the concentrations are rounded to before IAQI
    source: str
    evidence: tuple[str, ...]


#: the choices each key of a method may take (checked by the tests against every data file)
METHOD_CHOICES: dict[str, tuple[Any, ...]] = {
    "realtime_pm": ("1h", "24h_moving"),
    "realtime_o3_8h": (True, False),
    "so2_1h_above_800": ("iaqi_200", "use_24h"),
    "above_top": ("iaqi_500", "not_computed"),
    "o3_8h_day_boundary": ("restart", "moving"),
    "rounding": ("half_even",),
}


class AqiResult(NamedTuple):
    """What :func:`aqi_from_iaqis` returns."""

    aqi: pd.Series
    level: pd.DataFrame
    primary_pollutants: pd.Series


def _resolve(date: Any, standard: Standard | str | None) -> Standard:
    return resolve_standard("aqi", date, standard)


def aqi_methods(standard: Standard | str | None = None, date: Any = None) -> dict[str, AqiMethod]:
    """The methods recorded for an HJ 633 version (the one in force on ``date``, or HJ 633-2012)."""
    version = _resolve(date, standard) if (standard is not None or date is not None) else standard_by_id("HJ 633-2012")
    out = {}
    for name, raw in version.methods.items():
        out[name] = AqiMethod(
            name=name, title_zh=raw["title"]["zh"], title_en=raw["title"]["en"],
            realtime_pm=raw["realtime_pm"], realtime_o3_8h=bool(raw["realtime_o3_8h"]),
            so2_1h_above_800=raw["so2_1h_above_800"], above_top=raw["above_top"],
            o3_8h_day_boundary=raw["o3_8h_day_boundary"], rounding=raw["rounding"],
            decimals={k: int(v) for k, v in raw["concentration_decimals"].items()},
            source=str(raw.get("source", "")), evidence=tuple(raw.get("evidence") or ()),
        )
    return out


def aqi_method(method: AqiMethod | str | None = None, *, standard: Standard | str | None = None,
               date: Any = None) -> AqiMethod:
    """A method by name (``None``: the default one), as recorded for the version."""
    if isinstance(method, AqiMethod):
        return method
    methods = aqi_methods(standard, date)
    name = method or default_method_name()
    try:
        return methods[name]
    except KeyError:
        raise ValueError(f"unknown AQI method {name!r}; expected one of {sorted(methods)}") from None


def round_concentrations(values: Any, pollutant: str, method: AqiMethod | str | None = None) -> pd.Series:
    """Concentrations rounded as the method rounds them before IAQI (修约): to its decimals for the
    pollutant, half to even (GB/T 8170 四舍六入五成双). Binary noise (0.05 stored as 0.0500…01) is
    removed first, so a value that is a tie in decimal is treated as a tie."""
    m = aqi_method(method)
    series = pd.to_numeric(pd.Series(values) if not isinstance(values, pd.Series) else values, errors="coerce")
    scale = 10.0 ** m.decimals[pollutant]
    scaled = np.round(series.to_numpy(dtype=float, na_value=np.nan) * scale, 6)
    return pd.Series(np.round(scaled) / scale, index=series.index, name=series.name)


def breakpoints(pollutant: str, period: str, standard: Standard) -> tuple[np.ndarray, np.ndarray, str | None]:
    """(concentration breakpoints, IAQI breakpoints, footnote rule) of HJ 633 Table 1."""
    tables = standard.require_tables()
    key = f"{pollutant}_{period}"
    try:
        row = tables["breakpoints"][key]
    except KeyError:
        raise ValueError(f"{standard.id} has no IAQI breakpoints for {pollutant} {period}") from None
    conc = np.asarray(row["values"], dtype=float)
    levels = np.asarray(tables["iaqi"][: len(conc)], dtype=float)
    return conc, levels, row.get("above_top")


def _iaqi_array(conc: np.ndarray, bp: np.ndarray, levels: np.ndarray, above_top: str | None,
                method: AqiMethod) -> np.ndarray:
    out = np.full(conc.shape, np.nan)
    valid = np.isfinite(conc) & (conc >= 0)
    within = valid & (conc <= bp[-1])
    c = conc[within]
    # side="left": a value exactly on a breakpoint falls in the lower segment; both segments give
    # the same IAQI there, so the choice only matters for the lookup.
    hi = np.clip(np.searchsorted(bp, c, side="left"), 1, len(bp) - 1)
    lo = hi - 1
    raw = (levels[hi] - levels[lo]) / (bp[hi] - bp[lo]) * (c - bp[lo]) + levels[lo]  # HJ 633-2012 formula (1)
    out[within] = np.ceil(np.round(raw, _ROUNDING_DECIMALS))  # HJ 633-2012 6.2: always round up
    above = valid & (conc > bp[-1])
    if above_top is None and method.above_top == "iaqi_500":
        # Above the top of a full column HJ 633-2012 says nothing; the platform reports the top
        # IAQI (500, "爆表"); the literal method computes nothing (and the AQI is withheld).
        out[above] = levels[-1]
    if above_top == "use_24h" and method.so2_1h_above_800 == "iaqi_200":
        out[above] = 200  # the platform's SO2 1-h > 800 μg/m³
    # Otherwise footnotes (2) and (3): SO2 1-h > 800 and O3 8-h > 800 are "not computed" for that
    # period: NaN here, the caller substitutes the 24-h SO2 or 1-h O3 sub-index.
    return out


def iaqi_series(
    pollutant: str,
    period: str,
    concentrations: Any,
    date: Any = None,
    *,
    standard: Standard | str | None = None,
    method: AqiMethod | str | None = None,
) -> pd.Series:
    """IAQI of each concentration (μg/m³, CO mg/m³) as nullable integers.

    ``date`` is one date for all values or an array of dates aligned with them; each value is
    computed with the HJ 633 version in force on its date. Missing or negative values give <NA>.
    Above the top of a column ``method`` decides (default: the platform's): the platform gives 500
    and SO2 1-h > 800 IAQI 200; the literal method gives <NA> there, as for O3 8-h > 800 (Table 1
    footnotes (2), (3)). The concentrations are used as given (round them first with
    :func:`round_concentrations`, as the reports do).
    """
    values = pd.Series(concentrations) if not isinstance(concentrations, pd.Series) else concentrations
    conc = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    out = np.full(conc.shape, np.nan)
    if standard is not None or date is None or np.ndim(date) == 0:
        groups = {_resolve(date, standard): np.ones(conc.shape, dtype=bool)}
    else:
        days = pd.Series(list(date) if not isinstance(date, pd.Series) else date.to_numpy())
        if pd.api.types.is_datetime64_any_dtype(days):
            days = days.dt.date
        codes, uniques = pd.factorize(days, use_na_sentinel=False)  # each distinct date resolved once
        version_of = np.array([_resolve(to_date(day), None) for day in uniques], dtype=object)
        groups: dict[Standard, np.ndarray] = {}
        for version in dict.fromkeys(version_of):
            groups[version] = np.isin(codes, np.flatnonzero(version_of == version))
    for version, mask in groups.items():
        bp, levels, rule = breakpoints(pollutant, period, version)
        out[mask] = _iaqi_array(conc[mask], bp, levels, rule, aqi_method(method, standard=version))
    return pd.Series(out, index=values.index, name=f"iaqi_{pollutant}_{period}").astype("Int64")


def iaqi(
    pollutant: str,
    period: str,
    concentration: float | None,
    date: Any = None,
    *,
    standard: Standard | str | None = None,
    method: AqiMethod | str | None = None,
) -> int | None:
    """IAQI of one concentration, or None when missing or not computed (see :func:`iaqi_series`)."""
    value = iaqi_series(pollutant, period, [concentration], date, standard=standard, method=method).iloc[0]
    return None if pd.isna(value) else int(value)


def aqi_levels(standard: Standard | str | None = None, date: Any = None) -> list[AqiLevel]:
    """The six levels of HJ 633 Table 2 for a version."""
    version = _resolve(date, standard)
    rows = []
    for row in version.require_tables()["levels"]:
        rows.append(
            AqiLevel(
                level=int(row["level"]),
                numeral_zh=row["numeral"]["zh"],
                category_zh=row["category"]["zh"],
                category_en=row["category"]["en"],
                colour=row["colour"]["hex"],
                health_effect_zh=row["health_effect"]["zh"],
                health_effect_en=row["health_effect"]["en"],
                advice_zh=row["advice"]["zh"],
                advice_en=row["advice"]["en"],
            )
        )
    return rows


def aqi_level(aqi: int | None, date: Any = None, *, standard: Standard | str | None = None) -> AqiLevel | None:
    """The Table 2 level of one AQI value (None for a missing AQI)."""
    if aqi is None or pd.isna(aqi):
        return None
    version = _resolve(date, standard)
    uppers = [level_upper(row) for row in version.require_tables()["levels"]]
    return aqi_levels(version)[int(np.searchsorted(uppers, aqi, side="left"))]


def level_upper(row: dict[str, Any]) -> float:
    """Upper AQI bound of a Table 2 row (the last row is open-ended)."""
    upper = row["aqi"][1]
    return np.inf if upper is None else float(upper)


def aqi_from_iaqis(
    frame: pd.DataFrame,
    date: Any = None,
    *,
    standard: Standard | str | None = None,
) -> AqiResult:
    """AQI, level and primary pollutant(s) from the IAQI columns of ``frame``.

    Uses whichever of the columns in IAQI_COLUMNS are present. AQI is the maximum IAQI (HJ 633-2012
    formula (2)); missing sub-indices are left out, and a row with none gives <NA>. Primary
    pollutants are those whose IAQI equals the AQI, only when AQI > 50 (3.3, 4.4.2); ties are all
    named, joined by PRIMARY_SEPARATOR. The level table comes from the version in force on ``date``
    (one date, an aligned array, or taken from a ``date`` column of ``frame``).
    """
    columns = [c for c in IAQI_COLUMNS if c in frame.columns]
    if not columns:
        raise ValueError(f"no IAQI column found; expected some of {list(IAQI_COLUMNS)}")
    sub = frame[columns].apply(pd.to_numeric, errors="coerce").astype(float)
    aqi = sub.max(axis=1, skipna=True)
    is_primary = (sub.to_numpy() == aqi.to_numpy()[:, None]) & (aqi.to_numpy() > 50)[:, None]
    primary = joined_names(is_primary, [IAQI_COLUMNS[c] for c in columns], frame.index).astype("string")

    if date is None and standard is None and "date" in frame.columns:
        date = frame["date"]
    level = _levels_frame(aqi, date, standard)
    return AqiResult(aqi.astype("Int64").rename("aqi"), level, primary.rename("primary_pollutant"))


def joined_names(flags: np.ndarray, names: list[str], index: pd.Index) -> pd.Series:
    """Per row, the ``names`` of its flagged columns joined by PRIMARY_SEPARATOR in their order,
    <NA> for none (object dtype). Each of the 2ⁿ combinations is joined once."""
    bits = flags.astype(np.int64) @ (np.int64(1) << np.arange(len(names), dtype=np.int64))
    texts = np.array([PRIMARY_SEPARATOR.join(n for k, n in enumerate(names) if mask >> k & 1) or pd.NA
                      for mask in range(1 << len(names))], dtype=object)
    return pd.Series(texts[bits], index=index, dtype=object)


def _levels_frame(aqi: pd.Series, date: Any, standard: Standard | str | None) -> pd.DataFrame:
    if standard is not None or date is None or np.ndim(date) == 0:
        codes, ids = np.zeros(len(aqi), dtype=np.int64), [_resolve(date, standard).id]
    else:
        codes, uniques = pd.factorize(pd.Series(np.asarray(date, dtype=object)), use_na_sentinel=False)
        ids = [_resolve(to_date(day), None).id for day in uniques]
    value = aqi.to_numpy()
    found = np.full(len(aqi), -1, dtype=np.int64)  # row of ``rows`` (all versions' levels), -1: no AQI
    rows: list[dict[str, Any]] = []
    for version_id in dict.fromkeys(ids):
        levels = standard_by_id(version_id).require_tables()["levels"]
        uppers = np.array([level_upper(r) for r in levels])
        mask = np.isin(codes, [n for n, i in enumerate(ids) if i == version_id]) & aqi.notna().to_numpy()
        found[mask] = len(rows) + np.searchsorted(uppers, value[mask], side="left")
        rows.extend(levels)
    missing = found < 0
    picked = pa.array(found, mask=missing)

    def text(key: Any) -> pd.Series:
        return pd.Series(pd.array(pa.array([key(r) for r in rows], pa.string()).take(picked), dtype="string"),
                         index=aqi.index)

    level = np.array([int(r["level"]) for r in rows] + [0], dtype=np.int64)[found]
    return pd.DataFrame({"level": pd.Series(pd.arrays.IntegerArray(level, missing), index=aqi.index),
                         "level_zh": text(lambda r: r["numeral"]["zh"]),
                         "category_zh": text(lambda r: r["category"]["zh"]),
                         "category_en": text(lambda r: r["category"]["en"]),
                         "colour": text(lambda r: r["colour"]["hex"])})


def good_day_share(aqi: Any) -> float:
    """优良天数比例: days with AQI ≤ 100 over days with a valid AQI (NaN when there are none)."""
    values = pd.to_numeric(pd.Series(aqi), errors="coerce").dropna()
    if values.empty:
        return float("nan")
    return float((values <= 100).sum() / len(values))


__all__ = [
    "METHOD_CHOICES",
    "AqiLevel",
    "AqiMethod",
    "aqi_method",
    "aqi_methods",
    "default_method_name",
    "method_names",
    "round_concentrations",
    "AqiResult",
    "IAQI_COLUMNS",
    "PRIMARY_SEPARATOR",
    "aqi_from_iaqis",
    "aqi_level",
    "aqi_levels",
    "breakpoints",
    "joined_names",
    "good_day_share",
    "iaqi",
    "iaqi_series",
]
