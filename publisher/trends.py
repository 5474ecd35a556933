"""Trend tests for monitoring series: Mann-Kendall (with tie correction) and Sen's slope."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

# Pairwise work is done in row blocks so a few thousand points never build an n×n float matrix.
_BLOCK = 512


@dataclass(frozen=True)
class TrendResult:
    """Outcome of :func:`mann_kendall`."""

    trend: Literal["increasing", "decreasing", "none"]
    p: float
    z: float
    s: int
    var_s: float
    slope: float
    n: int


def normal_cdf(x: float) -> float:
    """Standard normal CDF via math.erfc (no scipy)."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _as_arrays(values: Any, times: Any, per: str) -> tuple[np.ndarray, np.ndarray]:
    y = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if times is None:
        t = np.arange(len(y), dtype=float)
    else:
        raw = pd.Series(times)
        if pd.api.types.is_numeric_dtype(raw):
            t = raw.to_numpy(dtype=float)
        else:
            stamps = pd.to_datetime(raw)
            unit = {"day": 86400.0, "year": 365.25 * 86400.0}[per]
            t = (stamps - stamps.iloc[0]).dt.total_seconds().to_numpy() / unit
    keep = np.isfinite(y) & np.isfinite(t)
    return y[keep], t[keep]


def mann_kendall_s(values: Any) -> int:
    """S = Σ_{i<j} sign(x_j − x_i)."""
    y, _ = _as_arrays(values, None, "day")
    s = 0
    for start in range(0, len(y), _BLOCK):
        block = y[start : start + _BLOCK]
        diff = np.sign(y[None, :] - block[:, None])
        later = np.arange(len(y))[None, :] > np.arange(start, start + len(block))[:, None]
        s += int(diff[later].sum())
    return s


def sens_slope(values: Any, times: Any = None, *, per: Literal["day", "year"] = "year") -> float:
    """Median of (x_j − x_i)/(t_j − t_i) over pairs i < j with t_j ≠ t_i. Slope per step when
    ``times`` is None, per time unit of ``times`` when numeric, per ``per`` when datetimes."""
    y, t = _as_arrays(values, times, per)
    slopes = []
    for start in range(0, len(y), _BLOCK):
        dy = y[None, :] - y[start : start + _BLOCK, None]
        dt_ = t[None, :] - t[start : start + _BLOCK, None]
        later = (np.arange(len(y))[None, :] > np.arange(start, start + dy.shape[0])[:, None]) & (dt_ != 0)
        slopes.append(dy[later] / dt_[later])
    joined = np.concatenate(slopes) if slopes else np.array([])
    return float(np.median(joined)) if joined.size else float("nan")


def mann_kendall(
    values: Any,
    times: Any = None,
    *,
    alpha: float = 0.05,
    per: Literal["day", "year"] = "year",
) -> TrendResult:
    """Mann-Kendall trend test with tie correction and normal approximation (two-sided).

    Var(S) = [n(n−1)(2n+5) − Σ t(t−1)(2t+5)] / 18 over tied groups of size t;
    Z = (S−1)/√Var for S > 0, (S+1)/√Var for S < 0, 0 otherwise; p = 2(1 − Φ(|Z|)).
    Values are taken in the given order (sort by time first); missing values are dropped.
    """
    y, _ = _as_arrays(values, times, per)
    n = len(y)
    if n < 3:
        return TrendResult("none", float("nan"), float("nan"), 0, float("nan"), float("nan"), n)
    s = mann_kendall_s(y)
    _, counts = np.unique(y, return_counts=True)
    ties = counts[counts > 1].astype(float)
    var_s = (n * (n - 1) * (2 * n + 5) - float(np.sum(ties * (ties - 1) * (2 * ties + 5)))) / 18.0
    if var_s <= 0:
        z = 0.0
    elif s > 0:
        z = (s - 1) / math.sqrt(var_s)
    elif s < 0:
        z = (s + 1) / math.sqrt(var_s)
    else:
        z = 0.0
    p = math.erfc(abs(z) / math.sqrt(2.0))  # = 2(1 − Φ(|z|))
    trend = "none" if p >= alpha else ("increasing" if z > 0 else "decreasing")
    return TrendResult(trend, p, z, s, var_s, sens_slope(values, times, per=per), n)
