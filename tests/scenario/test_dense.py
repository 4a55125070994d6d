"""The scenario's dense flows and potential equal the kernels they replace, and runs agree."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import geoai
from geoai._decay import decay_spec
from geoai._geodesy import kernel_points
from geoai.kernels.scenario import mobility_flows
from geoai.potential._surface import potential_at
from geoai.scenario import _dense, _gravity, preset
from geoai.scenario._dense import dense_flows, dense_potential, pair_distances
from geoai.scenario._kept import Kept

FIELDS = ("outflow", "inflow", "outside", "denom", "abroad")


def _world(seed: int, n: int, *, geo: bool, clustered: bool):
    rng = np.random.default_rng(seed)
    if geo:
        spread = 3.0 if clustered else 60.0
        lon = rng.normal(10.0, spread, n) if clustered else rng.uniform(-170, 170, n)
        lat = (
            np.clip(rng.normal(45.0, spread, n), -80, 80) if clustered else rng.uniform(-60, 70, n)
        )
        pts = kernel_points((lon, lat), crs=4326)
        return pts.xyz, pts.geo, rng
    xy = rng.normal(0.0, 50.0 if clustered else 2_000.0, (2, n))
    return np.ascontiguousarray(xy), False, rng


@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 40),
    geo=st.booleans(),
    clustered=st.booleans(),
    lam=st.floats(5.0, 5_000.0),
    r=st.sampled_from([0.0, 0.3, 1.0]),
    border=st.sampled_from([0.0, 0.4, 1.0]),
    w_out=st.sampled_from([0.0, 2.5]),
    zeros=st.booleans(),
)
def test_dense_flows_equal_the_kernel(seed, n, geo, clustered, lam, r, border, w_out, zeros):
    xyz, geo, rng = _world(seed, n, geo=geo, clustered=clustered)
    country = rng.integers(0, 3, n)
    weight = rng.uniform(0.0, 5.0, n)
    send = rng.uniform(0.0, 100.0, n)
    if zeros:  # metros that attract or send nobody (a zero denominator where w_out = 0)
        weight[:: max(n // 3, 1)] = 0.0
        send[1::3] = 0.0
    want = mobility_flows(xyz, geo, country, weight, send, lam, r, border, w_out, 0)
    got = dense_flows(xyz, geo, country, weight, send, lam=lam, r=r, border=border, w_out=w_out)
    for name in FIELDS:
        a, b = getattr(got, name), getattr(want, name)
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-9 * max(send.max(), 1.0), err_msg=name)
    assert got.top_index.shape == got.top_flow.shape == (n, 0)
    # what the model conserves: every sender's people go somewhere (stay, move or leave)
    stay = np.divide(send, got.denom, out=np.zeros(n), where=got.denom > 0) * weight
    moved = got.outflow + stay
    np.testing.assert_allclose(moved[got.denom > 0], send[got.denom > 0], rtol=1e-12)


def test_pair_distances_are_the_great_circle():
    pts = kernel_points(([0.0, 90.0, 0.0], [0.0, 0.0, 90.0]), crs=4326)
    d = pair_distances(pts.xyz, pts.geo)
    quarter = np.pi * 6371.0088 / 2
    np.testing.assert_allclose(d, quarter * (1 - np.eye(3)), rtol=1e-12, atol=1e-9)
    assert np.array_equal(d, d.T)
    assert np.all(np.diag(d) == 0.0)


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40), scale=st.floats(10.0, 3_000.0))
def test_dense_potential_equals_the_kernel(seed, n, scale):
    xyz, geo, rng = _world(seed, n, geo=True, clustered=bool(seed % 2))
    w = rng.uniform(0.0, 10.0, n)
    spec = decay_spec("exponential", scale=scale)
    want = potential_at(xyz, geo, w, spec)
    got = dense_potential(xyz, geo, w, spec.beta)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_kept_matrices_stay_within_their_budget(monkeypatch):
    three = Kept(budget=3 * 8 * 30 * 30, size=_dense._held)  # three 30 x 30 matrices
    monkeypatch.setattr(_dense, "_MATRICES", three)
    xyz, geo, rng = _world(0, 30, geo=True, clustered=False)
    country = rng.integers(0, 2, 30)
    ones = np.ones(30)
    for lam in (100.0, 200.0, 300.0, 400.0, 500.0):
        dense_flows(xyz, geo, country, ones, ones, lam=lam, r=0.0, border=1.0, w_out=0.0)
    assert len(_dense._MATRICES) == 3
    assert [k[2] for k in _dense._MATRICES] == [300.0, 400.0, 500.0]  # the oldest went first


@pytest.mark.parametrize("name", ["concentration", "exodus"])
def test_a_run_is_the_kernels_run_to_rounding(monkeypatch, name):
    metros, countries = geoai.load_metros(5_000_000), geoai.load_countries()
    args = {"params": preset(name), "start": 2025, "end": 2032, "seed": 3}
    dense = geoai.scenario.simulate(metros, countries, **args)
    monkeypatch.setattr(_gravity, "DENSE_MAX", -1)  # every year through the kernels
    monkeypatch.setattr(_dense, "DENSE_MAX", -1)
    kernel = geoai.scenario.simulate(metros, countries, **args)
    a, b = dense.summary()["value"].astype(float), kernel.summary()["value"].astype(float)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-9, atol=1e-9)
    assert dense.roles["role"].tolist() == kernel.roles["role"].tolist()
