"""The modelled labour columns: published anchors, the US calibration, partitions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr

import geoai
from geoai import InputError, LabourAssumptions
from geoai.labour import employment_rate, model_jobs, us_anchors

US_GDP_PC = float(geoai.load_countries().loc["USA", "gdp_pc_usd"])


def test_employment_rate_hits_the_ilo_anchors():
    a = LabourAssumptions()
    rate = employment_rate(np.asarray(a.income_anchors_usd), a)
    expected = np.asarray(a.employment_15plus) * np.asarray(a.adult_share)
    np.testing.assert_allclose(rate, expected, rtol=1e-12)
    # constant beyond the ends, and between anchors inside their range
    ends = employment_rate(np.array([10.0, 1e6]), a)
    np.testing.assert_allclose(ends, expected[[0, -1]], rtol=1e-12)
    mid = employment_rate(np.sqrt(np.asarray(a.income_anchors_usd[:2]).prod(keepdims=True)), a)
    assert min(expected[:2]) <= mid[0] <= max(expected[:2])


def test_an_advanced_economy_of_reference_size_has_the_us_structure():
    us = us_anchors()
    # a metro whose employment equals the US reference size, at advanced-economy income
    a = LabourAssumptions()
    rate = employment_rate(np.array([US_GDP_PC]), a)[0]
    jobs = model_jobs(np.array([us.reference_jobs / rate]), np.array([US_GDP_PC]), a)
    e = jobs["employment"].iloc[0]
    assert e == pytest.approx(us.reference_jobs, rel=1e-9)
    assert jobs["jobs_routine"].iloc[0] / e == pytest.approx(us.routine_share, rel=1e-9)
    assert jobs["jobs_augmentable"].iloc[0] / e == pytest.approx(us.augmentable_share, rel=1e-9)
    assert jobs["ai_talent"].iloc[0] / e == pytest.approx(us.talent_share, rel=1e-9)


def test_the_imf_gaps_between_country_groups():
    """Poorer countries: less exposure, and of it more automated than augmented (IMF)."""
    a = LabourAssumptions()
    rate = employment_rate(np.asarray(a.income_anchors_usd), a)
    pop = us_anchors().reference_jobs / rate  # same employment in every group
    jobs = model_jobs(pop, np.asarray(a.income_anchors_usd), a)
    e = jobs["employment"].to_numpy()
    routine = jobs["jobs_routine"].to_numpy() / e
    augmentable = jobs["jobs_augmentable"].to_numpy() / e
    low = np.asarray(a.exposed_share) - np.asarray(a.complementary_share)
    np.testing.assert_allclose(routine / routine[-1], low / low[-1], rtol=1e-9)
    comp = np.asarray(a.complementary_share)
    np.testing.assert_allclose(augmentable / augmentable[-1], comp / comp[-1], rtol=1e-9)
    # the IMF's low-income countries: 18 of 26 exposed points are low-complementarity
    assert routine[0] / augmentable[0] > routine[-1] / augmentable[-1]


def test_size_shifts_the_mix_as_fitted_on_us_metros():
    us = us_anchors()
    pop = np.array([1e6, 4e6, 16e6])
    jobs = model_jobs(pop, np.full(3, US_GDP_PC))
    talent = jobs["ai_talent"] / jobs["employment"]
    assert us.talent_elasticity > 0  # observed: bigger US metros hold more AI talent per job
    assert np.all(np.diff(talent) >= 0)
    # beyond the largest US metro the factor is held, not extrapolated
    huge = model_jobs(np.array([60e6, 120e6]), np.full(2, US_GDP_PC))
    shares = huge["ai_talent"] / huge["employment"]
    assert shares.iloc[0] == pytest.approx(shares.iloc[1], rel=1e-12)


def test_modelled_against_observed_us_metros():
    """The model on US metros (US income, their observed employment) against OEWS."""
    us = geoai.load_us_metros()
    rate = employment_rate(np.array([US_GDP_PC]))[0]
    jobs = model_jobs(us["jobs_total"].to_numpy() / rate, np.full(len(us), US_GDP_PC))
    for col in ("jobs_routine", "jobs_augmentable"):
        observed = us[col].sum() / us["jobs_total"].sum()
        modelled = jobs[col].sum() / jobs["employment"].sum()
        assert modelled == pytest.approx(observed, rel=0.1)
    observed_share = us["ai_talent"] / us["jobs_total"]
    modelled_share = jobs["ai_talent"].to_numpy() / jobs["employment"].to_numpy()
    assert spearmanr(observed_share, modelled_share).statistic > 0.3


@settings(max_examples=50, deadline=None)
@given(
    pop=st.lists(st.floats(0, 4e7), min_size=1, max_size=20),
    y=st.floats(100, 200_000),
)
def test_jobs_partition_employment(pop, y):
    jobs = model_jobs(np.array(pop), np.full(len(pop), y))
    total = jobs["jobs_routine"] + jobs["jobs_augmentable"] + jobs["jobs_local"]
    np.testing.assert_allclose(total, jobs["employment"], rtol=1e-12, atol=1e-6)
    assert (jobs >= 0).all().all()
    assert (jobs["ai_talent"] <= jobs["employment"]).all()


def test_series_index_is_kept():
    pop = pd.Series([1e6, 2e6], index=["a", "b"])
    jobs = model_jobs(pop, np.array([5_000.0, 50_000.0]))
    assert list(jobs.index) == ["a", "b"]


def test_assumptions_are_validated():
    with pytest.raises(InputError, match="shares and must lie in"):
        LabourAssumptions(exposed_share=(0.26, 0.4, 0.4, 1.6))
    with pytest.raises(InputError, match="one value per income group"):
        LabourAssumptions(adult_share=(0.5, 0.6))
    with pytest.raises(InputError, match="increasing"):
        LabourAssumptions(income_anchors_usd=(681.0, 2_469.0, 2_000.0, 33_424.0))
    with pytest.raises(InputError, match="must not exceed"):
        LabourAssumptions(complementary_share=(0.3, 0.16, 0.16, 0.27))
    with pytest.raises(InputError, match="gdp_pc_usd must be > 0"):
        model_jobs(np.array([1.0, 1.0]), np.array([5_000.0, 0.0]))
    with pytest.raises(InputError, match="NaN"):
        model_jobs(np.array([1.0]), np.array([np.nan]))


def test_data_readme_tables_are_current():
    """The calibration tables in data/README.md are what the shipped data give today."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "data" / "build_readme.py"
    spec = importlib.util.spec_from_file_location("build_readme", path)
    assert spec is not None
    assert spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    readme = path.parent / "README.md"
    assert build.block(readme, "labour-anchors") == build.anchors_table()
    assert build.block(readme, "labour-check") == build.check_table()
    us = build.block(path.parent / "us_oews_2025" / "README.md", "exposure_national")
    assert build.block(readme, "exposure-national") == us
