"""One decay specification for flows, potential and network (geoai._decay)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import geoai
from geoai import InputError, flows
from geoai import potential as P  # noqa: N812 - P, the potential's usual symbol
from geoai._decay import decay_spec
from geoai.kernels import decay as kd


@settings(max_examples=50, deadline=None)
@given(scale=st.floats(0.01, 1e5), d=st.floats(0, 1e4))
def test_scale_and_beta_are_one_decay(scale, d):
    """The same decay by its scale and by beta: one kernel, the table's f(d)."""
    expo = decay_spec("exponential", scale=scale)
    assert expo == decay_spec("exponential", beta=1.0 / scale)._replace(scale=expo.scale)
    assert kd.decay_value(d, expo.kind, expo.beta, expo.a) == pytest.approx(math.exp(-d / scale))
    gauss = decay_spec("gaussian", scale=scale)
    assert gauss.beta == pytest.approx(decay_spec("gaussian", beta=gauss.beta).beta)
    want = math.exp(-(d**2) / (2 * scale**2))
    assert kd.decay_value(d, gauss.kind, gauss.beta, gauss.a) == pytest.approx(want, rel=1e-9)
    box = decay_spec("box", scale=scale)
    assert kd.decay_value(d, box.kind, box.beta, box.a) == (1.0 if d <= scale else 0.0)


def test_one_message_for_a_wrong_combination_everywhere():
    pts = geoai.load_metros(8_000_000).head(5)
    grid = geoai.Grid.from_bounds((-180, -60, 180, 78), 10.0, 4326)
    calls = {
        "flows": lambda **kw: flows.aggregate(pts, np.ones(len(pts)), decay="exponential", **kw),
        "deterrence": lambda **kw: flows.deterrence([1.0], decay="exponential", **kw),
        "potential": lambda **kw: P.surface(pts, np.ones(len(pts)), grid, **kw),
    }
    for name, call in calls.items():
        with pytest.raises(InputError, match=r"takes scale_km=\.\.\. \(km, > 0\) or beta="):
            call()
        with pytest.raises(InputError, match="not both"):
            call(scale_km=300.0, beta=1 / 300)
        with pytest.raises(InputError, match="scale_km"):
            call(scale_km=-1.0)
        assert name


def test_flows_and_potential_agree_on_scale_and_beta():
    pts = geoai.load_metros(8_000_000)
    mass = pts["population"].to_numpy()
    by_scale = flows.aggregate(pts, mass, decay="exponential", scale_km=500.0).outflow
    by_beta = flows.aggregate(pts, mass, decay="exponential", beta=1 / 500).outflow
    np.testing.assert_allclose(by_scale, by_beta, rtol=1e-12)
    a = P.at_points(pts, mass, decay="gaussian", scale_km=400.0)
    b = P.at_points(pts, mass, decay="gaussian", beta=1 / (2 * 400.0**2))
    np.testing.assert_allclose(a, b, rtol=1e-12)


def test_power_and_tanner_have_no_scale():
    assert decay_spec("power", power_beta=2.0).beta == 2.0
    with pytest.raises(InputError, match="no length scale"):
        decay_spec("power", scale=10.0, beta=1.0)
    with pytest.raises(InputError, match="needs beta"):
        decay_spec("power")
    assert decay_spec("tanner", beta=(-0.5, 0.01)).a == -0.5
    with pytest.raises(InputError, match=r"beta=\(a, b\)"):
        decay_spec("tanner", beta=0.1)
    with pytest.raises(InputError, match="unknown decay"):
        decay_spec("cubic", scale=1.0)
