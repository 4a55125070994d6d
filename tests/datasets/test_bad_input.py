"""Bad arguments to the dataset loaders become an InputError naming the allowed range.

min_population that is negative, NaN, text or a 5,000-digit int; years
outside 1950–2035 or not whole; start after end; unknown sources (with a
did-you-mean); geometry that is not a bool.
"""

from __future__ import annotations

import math

import pytest

from geoai import InputError, datasets

HUGE = pytest.param(10**5000, id="int-of-5001-digits")


@pytest.mark.parametrize("floor", [-1, math.nan, math.inf, "x", None, True, HUGE])
def test_min_population_is_a_finite_number_at_least_zero(floor):
    with pytest.raises(InputError, match="min_population") as info:
        datasets.load_metros(min_population=floor)
    assert len(str(info.value)) < 300  # never a 5,000-digit echo
    with pytest.raises(InputError, match="min_population"):
        datasets.load_metro_panel(1990, 2000, min_population=floor)


@pytest.mark.parametrize(
    ("start", "end"),
    [(1949, 2000), (1990, 2036), (1990.5, 2000), ("1990", 2000), (None, 2000), (HUGE, 2000)],
)
def test_panel_years_name_the_range(start, end):
    with pytest.raises(InputError, match=r"an integer year from 1950 to 2035") as info:
        datasets.load_metro_panel(start, end)
    assert "UN WUP 2018" in str(info.value)


def test_start_after_end_says_how_to_fix_it():
    with pytest.raises(InputError, match=r"start must not be after end; got start=2010, end=2000"):
        datasets.load_metro_panel(2010, 2000)


@pytest.mark.parametrize("year", [1949, 2036, 2025.5, "2025", True, HUGE])
def test_metro_year_names_the_range(year):
    with pytest.raises(InputError, match=r"year must be an integer year from 1950 to 2035"):
        datasets.load_metros(year=year)
    with pytest.raises(InputError, match=r"from 1950 to 2035"):
        datasets.wup_agglomerations(year)


def test_unknown_source_gets_a_did_you_mean_and_geonames_has_no_years():
    with pytest.raises(InputError, match="Did you mean 'geonames'"):
        datasets.load_metros(source="geoname")
    with pytest.raises(InputError, match="has no years"):
        datasets.load_metros(source="geonames", year=2020)
    with pytest.raises(InputError, match=">= 100,000"):
        datasets.load_metros(50_000, source="geonames")


@pytest.mark.parametrize("geometry", ["yes", 1, None])
def test_countries_geometry_is_a_bool(geometry):
    with pytest.raises(InputError, match="geometry must be True or False"):
        datasets.load_countries(geometry=geometry)
