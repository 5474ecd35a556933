"""Mann-Kendall and Sen's slope against hand computation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from publisher.trends import mann_kendall, mann_kendall_s, normal_cdf, sens_slope


def test_strictly_increasing_five_points_by_hand():
    # S = C(5,2) = 10; Var = 5·4·15/18 = 16.667; Z = (10−1)/√16.667 = 2.2045; p = 0.0275
    result = mann_kendall([1, 2, 3, 4, 5])
    assert result.s == 10
    assert result.var_s == pytest.approx(50 / 3)
    assert result.z == pytest.approx(9 / math.sqrt(50 / 3))
    assert result.z == pytest.approx(2.2045, abs=1e-4)
    assert result.p == pytest.approx(0.0275, abs=1e-4)
    assert result.trend == "increasing"
    assert result.slope == 1.0


def test_ties_correct_the_variance():
    # x = 1,2,2,3: pairs (1,2)+ (1,2)+ (1,3)+ (2,2)0 (2,3)+ (2,3)+ → S = 5
    # Var = [4·3·13 − 2·1·9]/18 = 138/18; Z = 4/√(138/18)
    result = mann_kendall([1, 2, 2, 3])
    assert result.s == 5
    assert result.var_s == pytest.approx(138 / 18)
    assert result.z == pytest.approx(4 / math.sqrt(138 / 18))
    assert result.p == pytest.approx(2 * (1 - normal_cdf(4 / math.sqrt(138 / 18))))


def test_decreasing_and_no_trend():
    down = mann_kendall([9, 7, 8, 5, 4, 3, 1, 2, 0, -1])
    assert down.trend == "decreasing" and down.s < 0 and down.z < 0
    flat = mann_kendall([3, 1, 3, 1, 3, 1, 3, 1])
    assert flat.trend == "none"


def test_normal_cdf():
    assert normal_cdf(0) == 0.5
    assert normal_cdf(1.959963985) == pytest.approx(0.975, abs=1e-9)


def test_sens_slope_small_series_by_hand():
    # pairs of (0,1),(1,3),(2,2),(3,6): slopes 2, 1, 5/3, -1, 1.5, 4 → median (1.5 + 5/3)/2
    assert sens_slope([1, 3, 2, 6]) == pytest.approx((1.5 + 5 / 3) / 2)
    # with uneven times: slope per unit of the given times
    assert sens_slope([0, 2, 4], times=[0, 2, 4]) == 1.0


def test_slope_per_year_from_dates():
    dates = pd.date_range("2015-01-01", periods=10, freq="365.25D")
    result = mann_kendall(np.arange(10) * 2.5, dates)
    assert result.slope == pytest.approx(2.5)


def test_missing_values_are_dropped():
    assert mann_kendall([1, None, 2, float("nan"), 3]).n == 3


def test_block_computation_matches_a_plain_double_loop():
    rng = np.random.default_rng(4)
    x = np.round(rng.normal(size=700), 1)  # rounding makes ties
    s = sum(int(np.sign(x[j] - x[i])) for i in range(len(x)) for j in range(i + 1, len(x)))
    assert mann_kendall_s(x) == s


def test_a_few_thousand_points_is_quick():
    x = np.linspace(0, 1, 3000) + np.random.default_rng(1).normal(scale=0.5, size=3000)
    result = mann_kendall(x)
    assert result.trend == "increasing" and result.n == 3000
