"""Bad input to geoai.labour becomes an InputError naming the argument and the fix.

Populations and incomes with NaN, negatives, zeros or text; Series whose
labels do not match (aligned by label, or refused, never used by position);
assumptions that are not LabourAssumptions or hold junk; SOC codes that are
not a list.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from geoai import InputError, labour
from geoai.datasets import load_occupation_exposure

POP = pd.Series([1e6, 2e6, 5e5], index=["a", "b", "c"])
GDP = pd.Series([50_000.0, 2_000.0, 10_000.0], index=["a", "b", "c"])


@pytest.mark.parametrize("fn", [labour.model_jobs, labour.national_jobs])
def test_incomes_in_another_order_are_aligned_by_label(fn):
    ordered = fn(POP, GDP)
    shuffled = fn(POP, GDP.iloc[[2, 0, 1]])
    pd.testing.assert_frame_equal(ordered, shuffled)
    by_position = fn(POP, GDP.iloc[[2, 0, 1]].to_numpy())
    assert not np.allclose(by_position["employment"], ordered["employment"])


@pytest.mark.parametrize("fn", [labour.model_jobs, labour.national_jobs])
def test_incomes_on_other_labels_are_refused(fn):
    other = pd.Series(GDP.to_numpy(), index=["x", "y", "z"])
    with pytest.raises(InputError, match="gdp_pc_usd is a pandas Series whose index") as info:
        fn(POP, other)
    assert "reindex" in str(info.value)


@pytest.mark.parametrize(
    ("gdp", "expected"),
    [
        ([50_000.0, math.nan, 1e4], "gdp_pc_usd"),
        ([50_000.0, -1.0, 1e4], "gdp_pc_usd has 1 negative"),
        ([50_000.0, 0.0, 1e4], "gdp_pc_usd must be > 0 for every metro"),
        (["50000", "2000", "10000"], "gdp_pc_usd must be numeric, not text"),
        ([50_000.0, 1e4], "2 values but 3 points"),
    ],
)
def test_bad_incomes_name_the_argument(gdp, expected):
    with pytest.raises(InputError, match=expected):
        labour.model_jobs(POP.to_numpy(), np.asarray(gdp, dtype=object))


@pytest.mark.parametrize("gdp", [[math.nan], [-5.0], [0.0], ["abc"], None])
def test_employment_rate_checks_its_incomes(gdp):
    """Before: NaN in, NaN out (and 'abc' raised numpy's ValueError)."""
    with pytest.raises(InputError, match="gdp_pc_usd"):
        labour.employment_rate(gdp)


@pytest.mark.parametrize("assumptions", [3, "ilo", {"exposed_share": (0.1,) * 4}])
def test_assumptions_must_be_labour_assumptions(assumptions):
    with pytest.raises(InputError, match=r"assumptions must be a geoai\.labour\.LabourAssumptions"):
        labour.model_jobs(POP, GDP, assumptions)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("exposed_share", 0.4),
        ("exposed_share", (0.26, math.nan, 0.4, 0.6)),
        ("income_anchors_usd", (681.0, 2469.0, 11703.0, math.inf)),
        ("adult_share", ("0.5", 0.7, 0.8, 0.8)),
        ("adult_share", (10**5000, 0.7, 0.8, 0.8)),
        ("adult_share", (True, 0.7, 0.8, 0.8)),
    ],
    ids=["scalar", "nan", "inf", "text", "huge-int", "bool"],
)
def test_assumption_fields_are_finite_tuples(field, value):
    with pytest.raises(InputError, match=rf"{field} must be a tuple of 4 finite numbers"):
        labour.LabourAssumptions(**{field: value})


def test_soc_codes_must_be_a_list_of_codes():
    exposure = load_occupation_exposure()
    for codes in (151252, None, "151252"):
        with pytest.raises(InputError, match="SOC 2018 codes"):
            labour.match_exposure(codes, exposure)
    with pytest.raises(InputError, match="6-digit strings"):
        labour.match_exposure(["15-1252"], exposure)
