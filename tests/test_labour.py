from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geoai import InputError, LabourAssumptions
from geoai.labour import income_curve, model_jobs


def test_shares_follow_income():
    a = LabourAssumptions()
    y = np.array([500.0, 5_000.0, 10_000.0, 50_000.0, 150_000.0])
    jobs = model_jobs(np.full(5, 1e6), y, a)
    office = jobs["jobs_routine"] + jobs["jobs_augmentable"]
    assert np.all(np.diff(jobs["employment"]) > 0)
    assert np.all(np.diff(office / jobs["employment"]) > 0)
    assert income_curve(np.array([a.income_mid_usd]), a)[0] == pytest.approx(0.5)
    # the ends approach the documented low / high shares
    assert jobs["employment"].iloc[0] / 1e6 == pytest.approx(0.40, abs=0.01)
    assert jobs["employment"].iloc[-1] / 1e6 == pytest.approx(0.50, abs=0.01)
    assert (office / jobs["employment"]).iloc[-1] == pytest.approx(0.55, abs=0.02)


@given(
    pop=st.lists(st.floats(0, 4e7), min_size=1, max_size=20),
    rho=st.floats(0, 1),
    y=st.floats(100, 200_000),
)
def test_jobs_partition_employment(pop, rho, y):
    a = LabourAssumptions(routine_share=rho)
    jobs = model_jobs(np.array(pop), np.full(len(pop), y), a)
    total = jobs["jobs_routine"] + jobs["jobs_augmentable"] + jobs["jobs_local"]
    np.testing.assert_allclose(total, jobs["employment"], rtol=1e-12, atol=1e-6)
    assert (jobs >= 0).all().all()
    office = jobs["jobs_routine"] + jobs["jobs_augmentable"]
    np.testing.assert_allclose(jobs["jobs_routine"], rho * office, rtol=1e-12, atol=1e-6)


def test_assumptions_are_validated():
    with pytest.raises(InputError, match="routine_share is a share"):
        LabourAssumptions(routine_share=1.5)
    with pytest.raises(InputError, match="must not exceed"):
        LabourAssumptions(lf_low=0.6, lf_high=0.5)
    with pytest.raises(InputError, match="income_mid_usd"):
        LabourAssumptions(income_mid_usd=0)
    with pytest.raises(InputError, match="gdp_pc_usd must be > 0"):
        model_jobs(np.array([1.0, 1.0]), np.array([5_000.0, 0.0]))
    with pytest.raises(InputError, match="NaN"):
        model_jobs(np.array([1.0]), np.array([np.nan]))
