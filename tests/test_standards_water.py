"""Surface water classes against GB 3838-2002 Table 1, typed again here by hand."""

from __future__ import annotations

import pytest

from publisher.standards import StandardNotAvailable, section_class, water_class

DAY = "2024-05-10"
CLASSES = ["I", "II", "III", "IV", "V"]
# GB 3838-2002 Table 1 "≤" items (mg/L; fecal coliform 个/L), rivers
MAX_LIMITS = {
    "codmn": [2, 4, 6, 10, 15], "cod": [15, 15, 20, 30, 40], "bod5": [3, 3, 4, 6, 10],
    "nh3_n": [0.15, 0.5, 1.0, 1.5, 2.0], "tp": [0.02, 0.1, 0.2, 0.3, 0.4],
    "cu": [0.01, 1.0, 1.0, 1.0, 1.0], "zn": [0.05, 1.0, 1.0, 2.0, 2.0], "fluoride": [1.0, 1.0, 1.0, 1.5, 1.5],
    "se": [0.01, 0.01, 0.01, 0.02, 0.02], "as": [0.05, 0.05, 0.05, 0.1, 0.1],
    "hg": [0.00005, 0.00005, 0.0001, 0.001, 0.001], "cd": [0.001, 0.005, 0.005, 0.005, 0.01],
    "cr6": [0.01, 0.05, 0.05, 0.05, 0.1], "pb": [0.01, 0.01, 0.05, 0.05, 0.1],
    "cn": [0.005, 0.05, 0.2, 0.2, 0.2], "phenol": [0.002, 0.002, 0.005, 0.01, 0.1],
    "petroleum": [0.05, 0.05, 0.05, 0.5, 1.0], "las": [0.2, 0.2, 0.2, 0.3, 0.3],
    "sulfide": [0.05, 0.1, 0.2, 0.5, 1.0], "fecal_coliform": [200, 2000, 10000, 20000, 40000],
}
TP_LAKE = [0.01, 0.025, 0.05, 0.1, 0.2]
TN_LAKE = [0.2, 0.5, 1.0, 1.5, 2.0]
DO_MIN = [7.5, 6, 5, 3, 2]


def best_class_at(limits, k):
    """A value exactly on limit k belongs to the best class with that same limit."""
    return CLASSES[limits.index(limits[k])]


@pytest.mark.parametrize("parameter,k", [(p, k) for p in MAX_LIMITS for k in range(5)])
def test_value_on_each_limit_belongs_to_that_class(parameter, k):
    limits = MAX_LIMITS[parameter]
    assert water_class(parameter, limits[k], "river", DAY) == best_class_at(limits, k)


@pytest.mark.parametrize("parameter,k", [(p, k) for p in MAX_LIMITS for k in range(5)])
def test_value_just_over_each_limit_falls_to_the_next_class(parameter, k):
    limits = MAX_LIMITS[parameter]
    value = limits[k] * 1.0001
    expected = next((CLASSES[j] for j in range(k + 1, 5) if value <= limits[j]), "劣V")
    assert water_class(parameter, value, "river", DAY) == expected


@pytest.mark.parametrize("k", range(5))
def test_tp_lake_and_reservoir_limits(k):
    assert water_class("tp", TP_LAKE[k], "lake", DAY) == CLASSES[k]
    assert water_class("tp", TP_LAKE[k], "reservoir", DAY) == CLASSES[k]
    assert water_class("tp", TP_LAKE[k] * 1.0001, "lake", DAY) == (CLASSES[k + 1] if k < 4 else "劣V")


def test_tp_same_value_river_vs_lake():
    assert water_class("tp", 0.1, "river", DAY) == "II"
    assert water_class("tp", 0.1, "lake", DAY) == "IV"


@pytest.mark.parametrize("k", range(5))
def test_tn_applies_to_lakes_only(k):
    assert water_class("tn", TN_LAKE[k], "lake", DAY) == CLASSES[k]
    assert water_class("tn", TN_LAKE[k], "river", DAY) is None


@pytest.mark.parametrize("k", range(5))
def test_dissolved_oxygen_is_a_minimum(k):
    assert water_class("do", DO_MIN[k], "river", DAY) == CLASSES[k]
    assert water_class("do", DO_MIN[k] - 0.01, "river", DAY) == (CLASSES[k + 1] if k < 4 else "劣V")
    assert water_class("do", 12.0, "river", DAY) == "I"


@pytest.mark.parametrize("value,expected", [(6, "I"), (9, "I"), (7.2, "I"), (5.99, "劣V"), (9.01, "劣V")])
def test_ph_six_to_nine_for_every_class(value, expected):
    assert water_class("ph", value, "river", DAY) == expected


def test_missing_value_and_unknown_parameter():
    assert water_class("cod", None, "river", DAY) is None
    assert water_class("cod", float("nan"), "river", DAY) is None
    with pytest.raises(ValueError):
        water_class("water_temperature", 20, "river", DAY)


def test_section_class_worst_factor_limiting_and_multiples():
    sample = {"ph": 7.5, "do": 4.0, "codmn": 7.0, "cod": 35.0, "nh3_n": 2.5, "tp": 0.15, "tn": 5.0,
              "fecal_coliform": 90000, "kind": "river", "date": DAY}
    result = section_class(sample)
    assert result.water_class == "劣V"
    assert result.limiting_parameters == ("nh3_n",)
    # (value − class III limit) / class III limit; none for DO (评价办法)
    assert result.exceedance_multiples == pytest.approx({"codmn": (7 - 6) / 6, "cod": (35 - 20) / 20, "nh3_n": (2.5 - 1) / 1})
    assert "tn" not in result.parameter_classes and "fecal_coliform" not in result.parameter_classes
    assert result.parameter_classes["do"] == "IV"


def test_section_class_ties_and_lake_tp():
    sample = {"cod": 30, "bod5": 6, "tp": 0.08, "nh3_n": 0.2}
    lake = section_class(sample, "lake", DAY)
    assert lake.water_class == "IV" and set(lake.limiting_parameters) == {"cod", "bod5", "tp"}
    river = section_class(sample, "river", DAY)
    assert river.water_class == "IV" and set(river.limiting_parameters) == {"cod", "bod5"}
    assert section_class({"cod": 30, "tn": 3}, "lake", DAY, routine=False).water_class == "劣V"


def test_section_class_before_the_standard_is_refused():
    with pytest.raises(StandardNotAvailable):
        section_class({"cod": 10}, "river", "2001-01-01")
