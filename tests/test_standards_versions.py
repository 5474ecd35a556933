"""Version records: effective dates, sources, refusal of versions without tables."""

from __future__ import annotations

import datetime as dt

import pytest

from publisher.standards import StandardNotAvailable, all_standards, standard_by_id, standard_for


def test_every_data_file_names_id_titles_dates_and_sources():
    for version in all_standards():
        assert version.id and version.title_zh and version.title_en
        assert isinstance(version.effective_from, dt.date)
        assert version.sources, version.id


@pytest.mark.parametrize(
    "kind,date,expected",
    [
        ("aqi", "2016-01-01", "HJ 633-2012"),
        ("aqi", "2026-02-28", "HJ 633-2012"),
        ("ambient_air", "2020-07-01", "GB 3095-2012"),
        ("surface_water", "2002-06-01", "GB 3838-2002"),
        ("surface_water", "2030-01-01", "GB 3838-2002"),
        ("noise", "2024-01-01", "GB 3096-2008"),
    ],
)
def test_standard_for_picks_the_version_in_force(kind, date, expected):
    assert standard_for(kind, date).id == expected


@pytest.mark.parametrize("kind", ["aqi", "ambient_air"])
def test_2026_revisions_are_recorded_but_refused(kind):
    version = standard_for(kind, "2026-03-01", require_tables=False)
    assert version.id.endswith("-2026") and version.tables is None
    assert version.effective_from == dt.date(2026, 3, 1)
    with pytest.raises(StandardNotAvailable) as raised:
        standard_for(kind, dt.datetime(2026, 3, 1, 0, 30))
    assert "尚未录入" in raised.value.message_zh and "not on file" in raised.value.message_en


def test_superseded_versions_point_to_their_successor():
    assert standard_by_id("HJ 633-2012").superseded_by == "HJ 633-2026"
    assert standard_by_id("GB 3095-2012").effective_until == dt.date(2026, 2, 28)


def test_unknown_kind():
    with pytest.raises(ValueError):
        standard_for("soil", "2024-01-01")


def test_gb3095_2012_limits_typed_again():
    # GB 3095-2012 Table 1, [class 1, class 2]
    limits = standard_by_id("GB 3095-2012").tables["limits"]
    assert limits["so2"]["annual"] == [20, 60] and limits["so2"]["24h"] == [50, 150] and limits["so2"]["1h"] == [150, 500]
    assert limits["no2"]["annual"] == [40, 40] and limits["no2"]["24h"] == [80, 80] and limits["no2"]["1h"] == [200, 200]
    assert limits["co"]["24h"] == [4, 4] and limits["co"]["1h"] == [10, 10]
    assert limits["o3"]["daily_max_8h"] == [100, 160] and limits["o3"]["1h"] == [160, 200]
    assert limits["pm10"]["annual"] == [40, 70] and limits["pm10"]["24h"] == [50, 150]
    assert limits["pm25"]["annual"] == [15, 35] and limits["pm25"]["24h"] == [35, 75]
    validity = standard_by_id("GB 3095-2012").tables["validity"]
    assert (validity["hourly_values_per_24h"], validity["daily_values_per_month"], validity["daily_values_per_february"],
            validity["daily_values_per_year"], validity["hourly_values_per_8h"]) == (20, 27, 25, 324, 6)


def test_noise_limits_typed_again():
    limits = standard_by_id("GB 3096-2008").tables["limits"]
    assert {k: (v["day"], v["night"]) for k, v in limits.items()} == {
        "0": (50, 40), "1": (55, 45), "2": (60, 50), "3": (65, 55), "4a": (70, 55), "4b": (70, 60)}
