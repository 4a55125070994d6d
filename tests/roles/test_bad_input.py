"""Bad input to geoai.roles becomes an InputError naming the column or argument and the fix.

classify and decline on frames that lack columns, hold NaN, negative or text
populations, repeat metro ids, label lon/lat with a projected CRS, or come
with a Series on other labels; thresholds out of range; and the fuzz
suite's finds (calibrate's All-NaN warning, 5,000-digit ints).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geoai import CRSError, InputError
from geoai.roles import DeclineThresholds, RoleThresholds, backtest, calibrate, classify, decline

FAST = RoleThresholds(permutations=19, gi_k=2, markov_k=2, markov_neighbours=2)
HUGE = 10**5000


def snapshot(n: int = 6) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(3)
    pop = rng.lognormal(13, 1, n)
    return gpd.GeoDataFrame(
        {
            "metro_id": [f"m{i}" for i in range(n)],
            "population": pop,
            "jobs": pop * 0.5,
            "ai_jobs": pop * rng.uniform(0.001, 0.05, n),
        },
        geometry=gpd.points_from_xy(rng.uniform(-20, 40, n), rng.uniform(30, 60, n)),
        crs="EPSG:4326",
    )


def panel(n: int = 4, years: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    values = rng.uniform(4e5, 4e6, n)[:, None] * np.exp(
        np.cumsum(rng.normal(0, 0.05, (n, years)), 1)
    )
    return pd.DataFrame(
        {
            "metro_id": np.repeat([f"m{i}" for i in range(n)], years),
            "year": np.tile(np.arange(1950, 1950 + years), n),
            "population": values.reshape(-1).round(),
            "country_iso3": "AAA",
        }
    )


# --- classify ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (lambda f: f.assign(population=f["population"].where(f.index != 2)), "'population'"),
        (lambda f: f.assign(population=-f["population"]), "'population' must be finite and >= 0"),
        (
            lambda f: f.assign(population=f["population"].astype(str)),
            "'population' must be numeric",
        ),
        (lambda f: f.assign(metro_id="m0"), "metro ids must be unique"),
        (lambda f: f.iloc[:0], "empty"),
    ],
)
def test_classify_refuses_spoilt_snapshots(spoil, expected):
    with pytest.raises(InputError, match=expected):
        classify(spoil(snapshot()), thresholds=FAST)


def test_classify_refuses_lonlat_labelled_projected():
    wrong = snapshot().set_crs("EPSG:3857", allow_override=True)
    with pytest.raises(CRSError, match="look like longitude/latitude") as info:
        classify(wrong, thresholds=FAST)
    assert "EPSG:4326" in str(info.value)  # the fix


def test_classify_aligns_a_potential_series_by_metro_id():
    metros = snapshot()
    values = pd.Series(np.arange(6.0), index=metros["metro_id"])
    ordered = classify(metros, potential=values, thresholds=FAST)
    shuffled = classify(metros, potential=values.iloc[::-1], thresholds=FAST)
    pd.testing.assert_frame_equal(ordered, shuffled)
    other = pd.Series(np.arange(6.0), index=[f"x{i}" for i in range(6)])
    with pytest.raises(InputError, match="potential is a pandas Series whose index does not"):
        classify(metros, potential=other, thresholds=FAST)


def test_classify_panel_without_metro_id_or_geometry():
    with pytest.raises(InputError, match="metro_id"):
        classify(panel().drop(columns="metro_id"), thresholds=FAST)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("seed", -1, r"RoleThresholds.seed must be an integer from 0 to 2\*\*63 - 1"),
        ("seed", 1.5, r"RoleThresholds.seed must be an integer"),
        pytest.param("seed", HUGE, r"RoleThresholds.seed must be an integer", id="seed-huge"),
        ("permutations", 10**9, r"RoleThresholds.permutations must be an integer from 0 to"),
        ("fdr", np.nan, r"RoleThresholds.fdr must be finite"),
        pytest.param("fdr", HUGE, r"RoleThresholds.fdr must be finite", id="fdr-huge"),
        ("hub_q", "0.1", r"RoleThresholds.hub_q must be a number"),
    ],
)
def test_role_thresholds_name_the_field(field, value, expected):
    with pytest.raises(InputError, match=expected):
        RoleThresholds(**{field: value})


# --- decline, backtest, calibrate ------------------------------------------------------------


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (lambda p: p.drop(columns="population"), "lacks the column"),
        (lambda p: p.assign(population=p["population"].where(p["year"] != 1950)), "population"),
        (lambda p: pd.concat([p, p.iloc[:1]]), "duplicate"),
        (lambda p: p.assign(population=p["population"].astype(str)), "population"),
    ],
)
def test_decline_refuses_spoilt_panels(spoil, expected):
    with pytest.raises(InputError, match=expected):
        decline(spoil(panel()), min_peak=0)


@pytest.mark.parametrize("as_of", [pytest.param(HUGE, id="huge"), 1900, 1955.5, "1955", None])
def test_decline_as_of_names_the_panel_years(as_of):
    if as_of is None:
        assert len(decline(panel(), min_peak=0)) == 4  # the default is the last observed year
        return
    with pytest.raises(InputError, match="as_of") as info:
        decline(panel(), as_of=as_of, min_peak=0)
    assert len(str(info.value)) < 300  # a 5,000-digit int is not echoed


def test_thresholds_refuse_huge_ints_and_bools():
    for value in (HUGE, True, "0.1"):
        with pytest.raises(InputError, match="min_loss must be a share in"):
            DeclineThresholds(min_loss=value)
    for horizon in (0, 2.5, "5"):
        with pytest.raises(InputError, match="horizon must be a whole number of years >= 1"):
            backtest(panel(), as_of=1955, horizon=horizon, min_peak=0)
    # a horizon past the data is cut at the last observed year, even a 5,000-digit one
    assert backtest(panel(), as_of=1955, horizon=HUGE, min_peak=0).outcome_year == 1961


def test_calibrate_without_declining_metros_says_why():
    """Fuzz find: no positive outcome made nanmax warn 'All-NaN slice' (a RuntimeWarning)."""
    growing = panel(n=3, years=12)
    growing["population"] = np.tile(np.linspace(1e6, 2e6, 12), 3)
    with pytest.raises(InputError, match="recall is undefined"):
        calibrate(growing, windows=(1952,), horizon=5, min_peak=0)
