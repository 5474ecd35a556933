"""IAQI / AQI against HJ 633-2012 Table 1 and Table 2, typed again here by hand from the standard."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from publisher.standards import (
    StandardNotAvailable,
    aqi_from_iaqis,
    aqi_level,
    good_day_share,
    iaqi,
    iaqi_series,
)

DAY = "2024-06-01"  # under HJ 633-2012
IAQI_LEVELS = [0, 50, 100, 150, 200, 300, 400, 500]
# HJ 633-2012 Table 1, typed independently of publisher/standards/hj633-2012.yaml
TABLE_1 = {
    ("so2", "24h"): [0, 50, 150, 475, 800, 1600, 2100, 2620],
    ("so2", "1h"): [0, 150, 500, 650, 800],
    ("no2", "24h"): [0, 40, 80, 180, 280, 565, 750, 940],
    ("no2", "1h"): [0, 100, 200, 700, 1200, 2340, 3090, 3840],
    ("pm10", "24h"): [0, 50, 150, 250, 350, 420, 500, 600],
    ("co", "24h"): [0, 2, 4, 14, 24, 36, 48, 60],
    ("co", "1h"): [0, 5, 10, 35, 60, 90, 120, 150],
    ("o3", "1h"): [0, 160, 200, 300, 400, 800, 1000, 1200],
    ("o3", "8h"): [0, 100, 160, 215, 265, 800],
    ("pm25", "24h"): [0, 35, 75, 115, 150, 250, 350, 500],
}
CASES = [(p, per, k) for (p, per), bps in TABLE_1.items() for k in range(len(bps))]


@pytest.mark.parametrize("pollutant,period,k", CASES)
def test_iaqi_at_every_breakpoint(pollutant, period, k):
    assert iaqi(pollutant, period, TABLE_1[pollutant, period][k], DAY) == IAQI_LEVELS[k]


@pytest.mark.parametrize("pollutant,period,k", [c for c in CASES if c[2] > 0])
def test_iaqi_just_below_a_breakpoint_rounds_up_to_it(pollutant, period, k):
    bps = TABLE_1[pollutant, period]
    below = bps[k] - (bps[k] - bps[k - 1]) / 1000  # IAQI falls short by at most 0.1
    assert iaqi(pollutant, period, below, DAY) == IAQI_LEVELS[k]


@pytest.mark.parametrize("pollutant,period,k", [c for c in CASES if c[2] < len(TABLE_1[c[0], c[1]]) - 1])
def test_iaqi_just_above_a_breakpoint_is_the_next_integer(pollutant, period, k):
    bps = TABLE_1[pollutant, period]
    above = bps[k] + (bps[k + 1] - bps[k]) / 1000  # IAQI rises by 0.05 … 0.1
    assert iaqi(pollutant, period, above, DAY) == IAQI_LEVELS[k] + 1


@pytest.mark.parametrize(
    "pollutant,period,value,expected",
    [
        ("pm10", "24h", 50.4, 51),   # 50 + 0.5 × 0.4 = 50.2 → 51 (HJ 633-2012 6.2: 进位取整)
        ("pm25", "24h", 36, 52),     # 50 + 50/40 × 1 = 51.25 → 52
        ("pm25", "24h", 100, 132),   # 100 + 50/40 × 25 = 131.25 → 132
        ("co", "24h", 0.6, 15),      # exactly 15: binary floating point must not make it 16
        ("co", "24h", 3.3, 83),      # 50 + 25 × 1.3 = 82.5 → 83
        ("no2", "1h", 150, 75),
        ("o3", "8h", 187.5, 125),
    ],
)
def test_iaqi_worked_values(pollutant, period, value, expected):
    assert iaqi(pollutant, period, value, DAY) == expected


def test_independent_formula_on_a_grid():
    # HJ 633-2012 formula (1), evaluated in exact fractions, against the implementation.
    for (pollutant, period), bps in TABLE_1.items():
        grid = np.linspace(0, bps[-1], 157)
        got = iaqi_series(pollutant, period, grid, DAY)
        for c, value in zip(grid, got):
            c_exact = Fraction(c)
            k = next(i for i in range(1, len(bps)) if c_exact <= bps[i])
            raw = Fraction(IAQI_LEVELS[k] - IAQI_LEVELS[k - 1], bps[k] - bps[k - 1]) * (c_exact - bps[k - 1]) + IAQI_LEVELS[k - 1]
            assert value == math.ceil(raw), (pollutant, period, c)


def test_so2_1h_above_800_is_not_computed_in_the_literal_reading():
    # Table 1 footnote (2): not computed from the 1-h value (the 24-h sub-index is reported)
    assert iaqi("so2", "1h", 800, DAY, method="literal") == 200
    assert iaqi("so2", "1h", 800.1, DAY, method="literal") is None


def test_so2_1h_above_800_is_200_in_the_platform_practice():
    assert iaqi("so2", "1h", 800.1, DAY, method="platform") == 200
    assert iaqi("so2", "1h", 5000, DAY) == 200  # the default method is the platform's


@pytest.mark.parametrize("method", ["platform", "literal"])
def test_o3_8h_above_800_is_not_computed(method):
    # Table 1 footnote (3), under either method
    assert iaqi("o3", "8h", 800, DAY, method=method) == 300
    assert iaqi("o3", "8h", 801, DAY, method=method) is None


def test_above_the_top_breakpoint_reports_500_in_the_platform_practice():
    assert iaqi("pm25", "24h", 501, DAY) == 500
    assert iaqi("pm10", "24h", 1000, DAY) == 500
    assert iaqi("co", "1h", 151, DAY, method="platform") == 500


def test_above_the_top_breakpoint_is_not_computed_in_the_literal_reading():
    assert iaqi("pm25", "24h", 500, DAY, method="literal") == 500
    assert iaqi("pm25", "24h", 501, DAY, method="literal") is None
    assert iaqi("pm10", "24h", 1000, DAY, method="literal") is None


def test_an_unknown_method_is_an_error():
    with pytest.raises(ValueError, match="unknown AQI method"):
        iaqi("pm25", "24h", 10, DAY, method="nonsense")


def test_missing_and_negative_values():
    assert iaqi("pm25", "24h", None, DAY) is None
    assert iaqi("pm25", "24h", float("nan"), DAY) is None
    assert iaqi("pm25", "24h", -1, DAY) is None
    got = iaqi_series("pm25", "24h", pd.Series([35.0, None, 75.0]), DAY)
    assert str(got.dtype) == "Int64"
    assert got.isna().tolist() == [False, True, False]
    assert got.dropna().tolist() == [50, 100]


def test_unknown_period_is_an_error():
    with pytest.raises(ValueError):
        iaqi("pm25", "1h", 10, DAY)


def test_version_by_date_and_refusal_under_2026_revision():
    assert iaqi("pm25", "24h", 75, "2026-02-28") == 100
    with pytest.raises(StandardNotAvailable) as raised:
        iaqi("pm25", "24h", 75, "2026-03-01")
    assert "HJ 633-2026" in str(raised.value)
    assert raised.value.message_zh and raised.value.message_en
    with pytest.raises(StandardNotAvailable):
        iaqi_series("pm25", "24h", [10, 20], ["2026-02-28", "2026-03-01"])
    with pytest.raises(StandardNotAvailable):
        iaqi("pm25", "24h", 75, "2015-12-31")  # before HJ 633-2012 applied nationwide
    assert iaqi("pm25", "24h", 75, "2015-12-31", standard="HJ 633-2012") == 100


def test_aqi_ties_name_every_primary_pollutant():
    frame = pd.DataFrame({"iaqi_pm25": [120, 40, 50, 51, None], "iaqi_pm10": [120, 45, 50, 30, None],
                          "iaqi_o3_8h": [80, 20, 10, 51, None]})
    result = aqi_from_iaqis(frame, DAY)
    assert result.aqi.tolist()[:4] == [120, 45, 50, 51]
    assert pd.isna(result.aqi.iloc[4])
    primary = result.primary_pollutants
    assert primary.iloc[0] == "PM10;PM2.5"
    assert pd.isna(primary.iloc[1]) and pd.isna(primary.iloc[2])  # AQI ≤ 50: no primary pollutant
    assert primary.iloc[3] == "O3_8h;PM2.5"
    assert pd.isna(primary.iloc[4])


def test_aqi_ignores_missing_sub_indices():
    frame = pd.DataFrame({"iaqi_so2": [None], "iaqi_no2": [60], "iaqi_co": [None]})
    result = aqi_from_iaqis(frame, DAY)
    assert result.aqi.iloc[0] == 60 and result.primary_pollutants.iloc[0] == "NO2"


# HJ 633-2012 Table 2 and Annex A, typed by hand
TABLE_2 = [
    (0, 1, "一级", "优", "Excellent", "#00E400"),
    (50, 1, "一级", "优", "Excellent", "#00E400"),
    (51, 2, "二级", "良", "Good", "#FFFF00"),
    (100, 2, "二级", "良", "Good", "#FFFF00"),
    (101, 3, "三级", "轻度污染", "Lightly polluted", "#FF7E00"),
    (150, 3, "三级", "轻度污染", "Lightly polluted", "#FF7E00"),
    (151, 4, "四级", "中度污染", "Moderately polluted", "#FF0000"),
    (200, 4, "四级", "中度污染", "Moderately polluted", "#FF0000"),
    (201, 5, "五级", "重度污染", "Heavily polluted", "#99004C"),
    (300, 5, "五级", "重度污染", "Heavily polluted", "#99004C"),
    (301, 6, "六级", "严重污染", "Severely polluted", "#7E0023"),
    (500, 6, "六级", "严重污染", "Severely polluted", "#7E0023"),
]


@pytest.mark.parametrize("aqi,level,numeral,zh,en,colour", TABLE_2)
def test_levels(aqi, level, numeral, zh, en, colour):
    found = aqi_level(aqi, DAY)
    assert (found.level, found.numeral_zh, found.category_zh, found.category_en, found.colour) == (level, numeral, zh, en, colour)
    frame = aqi_from_iaqis(pd.DataFrame({"iaqi_pm25": [aqi]}), DAY).level
    assert frame.iloc[0].tolist() == [level, numeral, zh, en, colour]


def test_level_texts_are_bilingual():
    found = aqi_level(160, DAY)
    assert "户外" in found.advice_zh and found.advice_en
    assert found.health_effect_zh.startswith("进一步加剧易感人群症状")


def test_good_day_share():
    assert good_day_share([50, 100, 101, None, 300]) == 0.5
    assert math.isnan(good_day_share([None]))


def test_every_recorded_method_is_complete_and_sourced():
    from publisher.standards import METHOD_CHOICES, aqi_methods, default_method_name

    methods = aqi_methods()
    assert set(methods) == {"platform", "literal"} and default_method_name() == "platform"
    for method in methods.values():
        for key, allowed in METHOD_CHOICES.items():
            assert getattr(method, key) in allowed, (method.name, key)
        assert set(method.decimals) == {"so2", "no2", "pm10", "pm25", "o3", "co"}
        assert method.source and method.evidence and method.title_zh and method.title_en


@pytest.mark.parametrize("values, pollutant, expected", [
    ([0.5, 1.5, 2.5, 2.5001, 87.25], "pm25", [0.0, 2.0, 2.0, 3.0, 87.0]),  # 四舍六入五成双
    ([0.05, 0.15, 0.25, 0.35, 1.04], "co", [0.0, 0.2, 0.2, 0.4, 1.0]),  # decimal ties, not binary ones
])
def test_concentrations_are_rounded_half_to_even_before_the_iaqi(values, pollutant, expected):
    from publisher.standards import round_concentrations

    assert round_concentrations(values, pollutant).tolist() == expected
    assert round_concentrations([87.25], "pm25", "literal").tolist() == [87.2]
