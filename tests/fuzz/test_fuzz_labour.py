"""Fuzz geoai.labour, the dataset loaders' arguments and metros_from_places.

The labour models get small populations and incomes (valid, or spoilt:
NaN, negative, zero incomes, strings, Series on other labels, junk
assumptions); the loaders get fuzzed years, floors and sources; the
delineation gets a handful of random places and fuzzed rules. A call returns
finite numbers where the docs promise them, or raises a geoai error.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from hypothesis import event, given
from hypothesis import strategies as st

from geoai import datasets, labour, metros_from_places
from tests.fuzz._harness import FUZZ, Refused, assert_numbers, junk, numbers, outcome

YEARS = st.one_of(st.integers(1950, 2035), st.integers(1900, 2100), junk())


def _masses(rng: np.random.Generator, n: int, spoil: str, scale: float) -> object:
    values = rng.lognormal(np.log(scale), 1.0, n)
    if spoil == "nan" and n:
        values[rng.integers(n)] = np.nan
    elif spoil == "negative" and n:
        values[rng.integers(n)] = -1.0
    elif spoil == "series":
        return pd.Series(values, index=[f"x{i}" for i in range(n)])
    elif spoil == "strings":
        return values.astype(str)
    return values


def _labour(data, rng, n, **_):
    spoil = data.draw(st.sampled_from(["none"] * 4 + ["nan", "negative", "series", "strings"]))
    which = data.draw(st.sampled_from(["population", "gdp"]))
    pop = _masses(rng, n, spoil if which == "population" else "none", 1e6)
    gdp = _masses(rng, n, spoil if which == "gdp" else "none", 1e4)
    if isinstance(gdp, pd.Series) or data.draw(st.booleans()):  # both labelled: aligned
        pop = pd.Series(np.asarray(pop), index=[f"m{i}" for i in range(n)])
    assumptions = data.draw(
        st.one_of(
            st.none(),
            st.none(),
            junk(),
            st.builds(
                lambda x: labour.LabourAssumptions(exposed_share=(x, 0.4, 0.4, 0.6)),
                st.floats(0.1, 1),
            ),
        )
    )
    fn = data.draw(st.sampled_from([labour.model_jobs, labour.national_jobs]))
    got = outcome(fn, pop, gdp, assumptions)
    if not isinstance(got, Refused):
        assert list(got.columns) == list(labour.JOB_COLUMNS)
        assert len(got) == n
        assert_numbers(got.to_numpy(dtype=float), fn.__name__)
        assert (got.to_numpy() >= 0).all()
        parts = got[["jobs_routine", "jobs_augmentable", "jobs_local"]].sum(axis=1)
        np.testing.assert_allclose(parts, got["employment"], rtol=1e-9)
    elif spoil == "none" and n and assumptions is None:
        raise AssertionError(f"valid inputs refused: {got}")
    rate = outcome(labour.employment_rate, gdp)
    if not isinstance(rate, Refused):
        assert_numbers(rate, "employment_rate")
        assert ((rate > 0) & (rate < 1)).all()
    fields = data.draw(st.sampled_from(["exposed_share", "income_anchors_usd", "adult_share"]))
    value = data.draw(st.one_of(junk(), st.lists(numbers(), min_size=0, max_size=5)))
    made = outcome(labour.LabourAssumptions, **{fields: value})
    return got if isinstance(made, Refused) else made


def _loaders(data, **_):
    how = data.draw(st.sampled_from(["metros", "panel", "wup", "countries", "soc"]))
    if how == "metros":
        source = data.draw(st.sampled_from(["wup2018", "wup2018", "geonames", "wup", "UN"]))
        floor = data.draw(numbers(good=st.sampled_from([2e6, 1e7, 2e7])))
        year = data.draw(st.one_of(st.none(), YEARS)) if source == "wup2018" else None
        got = outcome(datasets.load_metros, floor, source=source, year=year)
        if not isinstance(got, Refused):
            assert (got["population"] >= float(floor)).all()
            assert_numbers(got[list(labour.JOB_COLUMNS[:4])].to_numpy(dtype=float), "jobs")
    elif how in ("panel", "wup"):
        start, end = data.draw(YEARS), data.draw(YEARS)
        floor = data.draw(numbers(good=st.sampled_from([0, 1e7])))
        if how == "panel":
            got = outcome(datasets.load_metro_panel, start, end, min_population=floor)
            if not isinstance(got, Refused):
                assert got["year"].between(int(start), int(end)).all()
                assert 1950 <= int(start) <= int(end) <= 2035
        else:
            got = outcome(datasets.wup_agglomerations, start, floor)
            if not isinstance(got, Refused):
                assert (got["population"] >= float(floor)).all()
    elif how == "countries":
        got = outcome(datasets.load_countries, geometry=data.draw(st.one_of(st.booleans(), junk())))
    else:
        codes = data.draw(
            st.one_of(
                st.lists(
                    st.sampled_from(["151252", "111011", "15-1252", "999999", "", 5]), max_size=4
                ),
                junk(),
            )
        )
        got = outcome(labour.match_exposure, codes, datasets.load_occupation_exposure())
        if not isinstance(got, Refused):
            assert got["exposure_match"].isin(["exact", "broad", "minor", "none"]).all()
    event(f"loader {how} {'refused' if isinstance(got, Refused) else 'ok'}")
    return got


def _delineate(data, rng, n, **_):
    """metros_from_places on up to 12 random places; one thing spoilt, or nothing."""
    lon, lat = rng.uniform(10, 10.5, n), rng.uniform(50, 50.5, n)
    pop = rng.lognormal(11, 1.5, n)
    spoil = data.draw(
        st.sampled_from(
            ["none"] * 6
            + ["nan", "crs", "column", "frame", "link_km", "min_place_pop", "density"]
            + ["section_share", "section_test"]
        )
    )
    if spoil == "nan" and n:
        pop[0] = np.nan
    places = gpd.GeoDataFrame(
        {"name": [f"P{i}" for i in range(n)], "population": pop},
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:3857" if spoil == "crs" else "EPSG:4326",
    )
    arg = pd.DataFrame(places) if spoil == "frame" else places
    kw = {
        "link_km": data.draw(st.floats(0.5, 20)),
        "min_place_pop": data.draw(st.sampled_from([0, 1e3, 1e4])),
        "density": data.draw(st.one_of(st.none(), st.floats(100, 1e4))),
        "section_share": data.draw(st.floats(0, 0.5)),
        "section_test": data.draw(st.sampled_from(["disc", "centre"])),
        "population": "pop" if spoil == "column" else "population",
    }
    if spoil in kw:
        kw[spoil] = data.draw(st.one_of(junk(), st.sampled_from(["center", "Disc", 1.5, -3])))
    got = outcome(metros_from_places, arg, **kw)
    if not isinstance(got, Refused):
        assert_numbers(got["population"], "metro population")
        assert got["population"].sum() <= np.nansum(pop) * (1 + 1e-9)
        assert (got["population"] >= 0).all()
    elif spoil == "none" and n and pop.max() >= kw["min_place_pop"]:
        raise AssertionError(f"valid places refused: {got}")
    if spoil in ("nan", "column", "frame") and n > 1:
        assert isinstance(got, Refused), f"metros_from_places accepted spoilt {spoil}"
    event(f"delineation {spoil} {'refused' if isinstance(got, Refused) else 'ok'}")
    return got


TARGETS = {"labour": _labour, "loaders": _loaders, "delineation": _delineate}


@FUZZ
@given(
    target=st.sampled_from(sorted(TARGETS)),
    n=st.integers(0, 12),
    seed=st.integers(0, 2**16),
    data=st.data(),
)
def test_fuzz_labour_datasets_delineation(target, n, seed, data):
    got = TARGETS[target](data=data, rng=np.random.default_rng(seed), n=n)
    event(f"{target} {'refused' if isinstance(got, Refused) else 'ok'}")
