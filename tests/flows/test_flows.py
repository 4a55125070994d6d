from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import MultiLineString

from geoai import ConvergenceError, CRSError, InputError, flows
from tests.reference import (
    decay_ref,
    distance_matrix_ref,
    gravity_ref,
    haversine_km,
    radiation_ref,
)

DECAYS = [
    ("power", 2.0),
    ("power", 1.7),
    ("power", 1.0),
    ("exponential", 0.01),
    ("gaussian", 1e-5),
    ("tanner", (-0.5, 0.005)),
    ("box", 300.0),
]


def world(n, seed=0, spread=10.0):
    rng = np.random.default_rng(seed)
    lon = rng.uniform(-spread, spread, n)
    lat = rng.uniform(40 - spread / 2, 40 + spread / 2, n)
    mass = rng.lognormal(12, 1, n)
    return lon, lat, mass


@pytest.mark.parametrize(("decay", "beta"), DECAYS)
def test_deterrence_matches_reference(decay, beta):
    d = np.array([[0.5, 10.0, 250.0], [300.0, 1000.0, 2.0]])
    np.testing.assert_allclose(
        flows.deterrence(d, decay=decay, beta=beta), decay_ref(d, decay, beta), rtol=1e-12
    )
    assert flows.deterrence(np.array([np.inf]), decay=decay, beta=beta)[0] == 0.0


def test_cost_matrix_is_haversine():
    lon, lat, _ = world(30)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
    np.testing.assert_allclose(flows.cost_matrix(pts), distance_matrix_ref(lon, lat), rtol=1e-9)
    np.testing.assert_allclose(
        flows.cost_matrix((lon, lat), crs=4326, own_distance=3.0),
        distance_matrix_ref(lon, lat, own=3.0),
        rtol=1e-9,
    )
    proj = pts.to_crs(3035)
    d = flows.cost_matrix(proj)
    x, y = proj.geometry.x.to_numpy() / 1000, proj.geometry.y.to_numpy() / 1000
    expected = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    np.fill_diagonal(expected, np.inf)
    np.testing.assert_allclose(d, expected, rtol=1e-12)


@given(
    n=st.integers(2, 25),
    m=st.integers(2, 25),
    decay=st.sampled_from(DECAYS),
    constraint=st.sampled_from(["none", "production", "attraction"]),
    alpha=st.floats(0.5, 1.5),
    seed=st.integers(0, 1000),
)
def test_interaction_matches_reference(n, m, decay, constraint, alpha, seed):
    rng = np.random.default_rng(seed)
    mo, md = rng.lognormal(5, 1, n), rng.lognormal(5, 1, m)
    cost = rng.uniform(1, 200, (n, m))
    if decay[0] == "box":
        cost[:, 0] = 1.0  # every origin and destination reaches something
        cost[0, :] = 1.0
    got = flows.interaction(
        mo, md, cost, decay=decay[0], beta=decay[1], alpha=alpha, constraint=constraint
    )
    ref = gravity_ref(mo, md, cost, decay[0], decay[1], alpha, 1.0, constraint)
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-300)
    if constraint == "production":
        np.testing.assert_allclose(got.sum(axis=1), mo, rtol=1e-8)
    if constraint == "attraction":
        np.testing.assert_allclose(got.sum(axis=0), md, rtol=1e-8)


@given(n=st.integers(2, 30), seed=st.integers(0, 1000), zeros=st.booleans())
def test_doubly_constrained_matches_both_margins(n, seed, zeros):
    rng = np.random.default_rng(seed)
    cost = rng.uniform(1, 500, (n, n))
    o = rng.lognormal(5, 1, n)
    d = rng.lognormal(5, 1, n)
    if zeros:
        o[0] = 0.0
        d[-1] = 0.0
    d *= o.sum() / d.sum()
    t = flows.interaction(
        o,
        d,
        cost,
        decay="exponential",
        beta=0.005,
        constraint="doubly",
        outflows=o,
        inflows=d,
        tol=1e-10,
    )
    np.testing.assert_allclose(t.sum(axis=1), o, rtol=1e-8, atol=1e-9 * o.sum())
    np.testing.assert_allclose(t.sum(axis=0), d, rtol=1e-8, atol=1e-9 * o.sum())
    ref = gravity_ref(o, d, cost, "exponential", 0.005, constraint="doubly", outflows=o, inflows=d)
    np.testing.assert_allclose(t, ref, rtol=1e-6, atol=1e-9 * o.sum())


def test_doubly_errors():
    cost = np.array([[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(InputError, match="equal totals"):
        flows.interaction(
            [1, 1], [1, 1], cost, constraint="doubly", outflows=[1, 1], inflows=[1, 2]
        )
    with pytest.raises(ConvergenceError, match="did not reach") as err:
        flows.interaction(
            [1, 1],
            [1, 1],
            np.array([[1.0, 500], [400, 1]]),
            decay="exponential",
            beta=0.001,
            constraint="doubly",
            outflows=[3, 1],
            inflows=[1, 3],
            tol=1e-14,
            max_iter=3,
        )
    assert err.value.residual > 1e-14
    with pytest.raises(InputError, match="reach any partner"):
        flows.interaction(
            [1, 1],
            [1, 1],
            np.array([[np.inf, np.inf], [1, 1]]),
            constraint="doubly",
            outflows=[1, 1],
            inflows=[1, 1],
        )


@pytest.mark.parametrize("geo", [True, False])
@pytest.mark.parametrize(("decay", "beta"), DECAYS)
@pytest.mark.parametrize("constraint", ["none", "production"])
def test_aggregate_equals_dense(geo, decay, beta, constraint):
    lon, lat, mass = world(60, seed=3)
    md = mass[::-1].copy()
    pts = gpd.GeoDataFrame(
        {"metro_id": [f"m{i}" for i in range(60)]}, geometry=gpd.points_from_xy(lon, lat), crs=4326
    )
    if not geo:
        pts = pts.to_crs(3035)
    cost = flows.cost_matrix(pts)
    kwargs = {"decay": decay, "beta": beta, "alpha": 0.9, "gamma": 1.1}
    dense = flows.interaction(mass, md, cost, constraint=constraint, **kwargs)
    agg = flows.aggregate(pts, mass, md, constraint=constraint, top_k=5, **kwargs)
    np.testing.assert_allclose(agg.outflow, dense.sum(axis=1), rtol=1e-9)
    np.testing.assert_allclose(agg.inflow, dense.sum(axis=0), rtol=1e-9)
    np.testing.assert_allclose(
        agg.net, dense.sum(axis=0) - dense.sum(axis=1), rtol=1e-9, atol=1e-9 * dense.sum()
    )
    for i in range(60):  # top-k equals the largest entries of each dense row
        row = dense[i]
        k = min(5, int((row > 0).sum()))
        expected = np.sort(row)[::-1][:k]
        np.testing.assert_allclose(agg.top_flow[i, :k], expected, rtol=1e-9)
        assert set(agg.top_index[i, :k]) == set(np.argsort(-row, kind="stable")[:k]) or np.allclose(
            row[agg.top_index[i, :k]], expected, rtol=1e-9
        )
        assert (agg.top_index[i, k:] == -1).all()
    frame = agg.to_frame()
    assert list(frame.index[:2]) == ["m0", "m1"]
    top = agg.top_frame()
    assert set(top.columns) == {"origin", "destination", "rank", "flow"}


def test_aggregate_own_distance_and_xy_input():
    lon, lat, mass = world(40, seed=5)
    own = np.full(40, 7.5)
    cost = distance_matrix_ref(lon, lat, own=own)
    dense = flows.interaction(mass, mass, cost, decay="power", beta=2.0)
    agg = flows.aggregate(
        (lon, lat), mass, crs="EPSG:4326", decay="power", beta=2.0, own_distance=7.5, top_k=1
    )
    np.testing.assert_allclose(agg.outflow, dense.sum(axis=1), rtol=1e-9)
    assert (agg.top_index[:, 0] == np.arange(40)).sum() > 0  # the self pair competes


@pytest.mark.parametrize("storage", ["float32", "recompute"])
def test_balance_matrix_free_matches_dense(storage):
    lon, lat, mass = world(80, seed=7)
    o = mass
    d = np.roll(mass, 3)
    d *= o.sum() / d.sum()
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
    res = flows.balance_matrix_free(
        pts, o, d, decay="exponential", beta=0.004, storage=storage, tol=1e-9
    )
    assert res.storage == storage
    assert res.residual <= 1e-9
    cost = flows.cost_matrix(pts)
    dense = flows.interaction(
        o,
        d,
        cost,
        decay="exponential",
        beta=0.004,
        constraint="doubly",
        outflows=o,
        inflows=d,
        tol=1e-12,
    )
    f = decay_ref(cost, "exponential", 0.004)
    t = (res.a * o)[:, None] * f * (res.b * d)[None, :]
    rtol = 1e-6 if storage == "float32" else 1e-8
    np.testing.assert_allclose(t.sum(axis=1), o, rtol=rtol)
    np.testing.assert_allclose(t.sum(axis=0), d, rtol=rtol)
    np.testing.assert_allclose(
        t, dense, rtol=1e-5 if storage == "float32" else 1e-7, atol=1e-12 * o.sum()
    )
    auto = flows.balance_matrix_free(pts, o, d, decay="exponential", beta=0.004, max_bytes=100)
    assert auto.storage == "recompute"


@given(n=st.integers(2, 30), seed=st.integers(0, 1000), ties=st.booleans())
def test_radiation_matches_definition(n, seed, ties):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 6, n).astype(float) if ties else rng.uniform(0, 100, n)
    y = rng.integers(0, 6, n).astype(float) if ties else rng.uniform(0, 100, n)
    m = rng.integers(1, 1000, n).astype(float)
    got = flows.radiation((x * 1000, y * 1000), m, crs="EPSG:3035")
    d = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    np.testing.assert_allclose(got, radiation_ref(d, m, m), rtol=1e-10, atol=1e-12)
    if not ties:  # the finite-size normalisation is exact when no destinations tie
        np.testing.assert_allclose(got.sum(axis=1), m, rtol=1e-9)
    plain = flows.radiation(
        (x * 1000, y * 1000), m, crs="EPSG:3035", outflows=2 * m, finite_size=False
    )
    np.testing.assert_allclose(plain, radiation_ref(d, m, 2 * m, finite_size=False), rtol=1e-10)


def test_radiation_geographic():
    lon, lat, mass = world(25, seed=9)
    d = haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    got = flows.radiation((lon, lat), mass, crs=4326)
    np.testing.assert_allclose(got, radiation_ref(d, mass, mass), rtol=1e-9)


def test_to_lines_and_antimeridian():
    metros = gpd.GeoDataFrame(
        {"metro_id": ["tokyo", "la", "sf"]},
        geometry=gpd.points_from_xy([139.7, -118.2, -122.4], [35.7, 34.1, 37.8]),
        crs=4326,
    )
    t = np.array([[0, 5.0, 1.0], [2.0, 0, 3.0], [0.5, 4.0, 0]])
    lines = flows.to_lines(t, metros, top=3)
    assert lines["flow"].tolist() == [5.0, 4.0, 3.0]
    assert lines.loc[0, "origin"] == "tokyo"
    assert lines.loc[0, "destination"] == "la"
    pacific = lines.geometry.iloc[0]
    assert isinstance(pacific, MultiLineString)  # split at the antimeridian
    xs = [x for part in pacific.geoms for x, _ in part.coords]
    assert max(xs) == 180.0
    assert min(xs) == -180.0
    assert all(abs(x) <= 180 for x in xs)
    assert lines.crs.to_epsg() == 4326
    agg = flows.aggregate(metros, [3e7, 1.3e7, 7e6], decay="power", beta=2.0, top_k=1)
    top = flows.to_lines(agg, metros, top=None)
    assert len(top) == 3
    assert top["flow"].is_monotonic_decreasing


def test_bad_inputs():
    with pytest.raises(InputError, match="unknown decay='powr'"):
        flows.interaction([1], [1], [[1.0]], decay="powr")
    with pytest.raises(InputError, match="unknown constraint"):
        flows.interaction([1], [1], [[1.0]], constraint="both")
    with pytest.raises(InputError, match="infinite at 0"):
        flows.interaction([1, 2], [1, 2], [[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(InputError, match="NaN"):
        flows.interaction([1], [1], [[np.nan]])
    with pytest.raises(InputError, match="negative"):
        flows.interaction([-1], [1], [[1.0]])
    with pytest.raises(InputError, match="shape"):
        flows.interaction([1, 2], [1], [[1.0, 2.0]])
    with pytest.raises(InputError, match="tanner"):
        flows.deterrence([1.0], decay="tanner", beta=2.0)
    with pytest.raises(CRSError, match="needs crs"):
        flows.aggregate(([0, 1], [0, 1]), [1, 1])
    with pytest.raises(CRSError, match="no CRS"):
        flows.aggregate(gpd.GeoDataFrame(geometry=gpd.points_from_xy([0, 1], [0, 1])), [1, 1])
    with pytest.raises(CRSError, match="outside longitude/latitude"):
        flows.aggregate(([5e5, 6e5], [4e6, 4e6]), [1, 1], crs=4326)
    with pytest.raises(InputError, match="2 points"):
        flows.aggregate(([0, 1], [0, 1]), [1, 1, 1], crs=4326)
    with pytest.raises(InputError, match="empty"):
        flows.aggregate(([], []), [], crs=4326)
    with pytest.raises(InputError, match="reach no destination"):
        flows.aggregate(
            ([0, 10], [0, 0]), [1, 1], crs=4326, decay="box", beta=1.0, constraint="production"
        )
    with pytest.raises(InputError, match="unique"):
        flows.aggregate(([0, 1], [0, 1]), [1, 1], crs=4326, ids=["a", "a"])
