"""Local expansions of the tree code: a node's sum about a target ball, and its bound."""

from __future__ import annotations

import numpy as np
import pytest

from geoai.kernels import tree as kt
from geoai.kernels import tree_dual as kd
from geoai.kernels import tree_local as tl
from geoai.kernels.decay import EXPONENTIAL, POWER
from geoai.kernels.distance import EARTH_RADIUS_KM
from geoai.kernels.tree_bounds import km, third_sup

R = EARTH_RADIUS_KM


def unit(v):
    return v / np.linalg.norm(v, axis=0)


def decay(d, kind, beta):
    return d**-beta if kind == POWER else np.exp(-beta * d)


def distance_km(x, y, geo):
    """Pairwise distances (n_x, n_y): great circle by atan2 of cross and dot, or planar."""
    if geo:
        cross = np.linalg.norm(np.cross(x.T[:, None, :], y.T[None, :, :]), axis=2)
        return R * np.arctan2(cross, x.T @ y)
    return np.sqrt(np.sum((x[:, :, None] - y[:, None, :]) ** 2, 0))


def two_clusters(rng, geo, n_y, n_x, r_y, r_x, gap):
    """Sources within ``r_y`` of one centre, origins within ``r_x`` of another ``gap`` away."""
    if geo:  # coordinates: chords of the unit sphere
        a = unit(rng.normal(size=3))
        side = unit(np.cross(a, rng.normal(size=3)))
        ang = 2 * np.arcsin(gap / 2)
        b = np.cos(ang) * a + np.sin(ang) * side
        y = unit(a[:, None] + rng.normal(0, r_y / 2.5, (3, n_y)))
        x = unit(b[:, None] + rng.normal(0, r_x / 2.5, (3, n_x)))
        return y, x
    phi = rng.uniform(0, 2 * np.pi)
    y = rng.normal(0, r_y / 2.5, (2, n_y))
    x = rng.normal(0, r_x / 2.5, (2, n_x)) + gap * np.array([[np.cos(phi)], [np.sin(phi)]])
    return y, x


def local_vs_direct(rng, geo, kind, beta, scale=1.0, gap=None):
    """The local estimate at each origin, the direct sums (NumPy), and the certified bound."""
    unit_len = 0.01 if geo else 50.0  # ~64 km on the sphere, 50 km in the plane
    gap = rng.uniform(3.0, 12.0) * unit_len if gap is None else gap
    y, x = two_clusters(rng, geo, 30, 20, scale * unit_len, scale * unit_len, gap)
    w = rng.lognormal(0, 1, 30)
    ty, tx = kt.build_tree(y, 30), kt.build_tree(x, 20)  # one leaf each
    mo = kt.node_moments(ty, w[None, :])
    t0 = tx.centre[:, 0]
    # the pair interval of the two balls, padded as the walk pads it
    c = np.linalg.norm(ty.centre[:, 0] - t0)
    eps = 1e-12 * np.abs(np.concatenate([y.ravel(), x.ravel()])).max()
    clo = c - ty.radius[0] - tx.radius[0] - eps
    chi = c + ty.radius[0] + tx.radius[0] + eps
    dlo = km(clo, geo)
    third = third_sup(clo, chi, dlo, decay(dlo, kind, beta), geo, kind, beta)
    args = (third, tx.radius[0] + eps, mo.mass[0, 0], mo.s1[0, 0], mo.s2[0, 0], mo.s3[0, 0])
    bound = tl.local_bound(*args)
    coef = np.zeros(tl.N_COEF)
    tl.local_add(mo, 0, 0, (t0[0], t0[1], t0[2]), geo, kind, beta, coef)
    xz = x if geo else np.vstack((x, np.zeros((1, x.shape[1]))))
    est = np.array([tl.local_eval(coef, tuple(xz[:, i] - t0)) for i in range(x.shape[1])])
    exact = decay(distance_km(x, y, geo), kind, beta) @ w
    return est, exact, bound


@pytest.mark.parametrize("geo", [True, False])
@pytest.mark.parametrize(("kind", "beta"), [(POWER, 1.7), (POWER, 3.0), (EXPONENTIAL, 1 / 80.0)])
def test_local_estimate_is_within_its_bound(geo, kind, beta):
    rng = np.random.default_rng(5)
    for _ in range(10):
        est, exact, bound = local_vs_direct(rng, geo, kind, beta)
        assert np.isfinite(bound)
        assert np.all(np.abs(est - exact) <= bound + 1e-12 * exact)
        assert np.abs(est - exact).max() > 0.0


@pytest.mark.parametrize("geo", [True, False])
def test_bound_is_tight_enough_to_test_and_error_is_third_order(geo):
    """Far apart the bound is a small share of the sum; halving both balls cuts the error ~8x."""
    gap = 0.3 if geo else 1500.0
    errs = []
    for scale in (1.0, 0.5):
        est, exact, bound = local_vs_direct(np.random.default_rng(2), geo, POWER, 1.7, scale, gap)
        assert bound < 1e-3 * exact.min()  # a wrong coefficient would show above it
        assert np.all(np.abs(est - exact) <= bound + 1e-12 * exact)
        errs.append(np.abs(est - exact).max())
    # same shapes at half the size: a degree-2 expansion leaves a third-order error
    assert errs[1] < errs[0] / 5.0


def test_no_bound_where_the_balls_touch():
    plane = False
    third = third_sup(0.0, 1.0, 0.0, np.inf, plane, POWER, 1.7)
    assert not tl.local_bound(third, 1.0, 1.0, 1.0, 1.0, 1.0) <= 1e300


def assert_within_bound(results, x, v, geo, kind, beta, rtol):
    """Each TreeSums of all points: measured error <= bound <= rtol lower, lower <= exact."""
    n = x.shape[1]
    exact = (
        decay(np.where(np.eye(n) > 0, 1.0, distance_km(x, x, geo)), kind, beta) * (1.0 - np.eye(n))
    ) @ v.T
    for res in results:
        assert np.all(np.abs(res.value - exact.T) <= res.error + 1e-12 * exact.T)
        assert np.all(res.error <= rtol * res.lower * (1 + 1e-12))
        assert np.all(res.lower <= exact.T * (1 + 1e-12))


def clustered(rng, n, geo):
    centres = rng.uniform(0, 1, (2, 10))
    xy = centres[:, rng.integers(0, 10, n)] + rng.normal(0, 0.03, (2, n))
    if geo:  # a ~2,000 km patch of the sphere
        lon, lat = np.radians(20 * xy[0]), np.radians(30 + 20 * xy[1])
        return np.vstack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))
    return 2000.0 * xy


def walk_case(seed, n, rows, geo):
    """Clustered points, lognormal masses ``(rows, n)``, their tree (leaves of 4) and moments."""
    rng = np.random.default_rng(seed)
    x = clustered(rng, n, geo)
    v = rng.lognormal(0, 1, (rows, n))
    tree = kt.build_tree(x, 4)
    return x, v, tree, kt.node_moments(tree, v), np.full(n, np.nan)


@pytest.mark.parametrize(
    "n", [pytest.param(2500, marks=pytest.mark.jit_heavy), 300], ids=["2500", "300"]
)
@pytest.mark.parametrize("geo", [True, False])
@pytest.mark.parametrize(("kind", "beta"), [(POWER, 1.7), (EXPONENTIAL, 1 / 200.0)])
def test_walk_with_local_level_is_within_its_bound(n, geo, kind, beta):
    """dual_matmat with and without the local level: measured <= bound <= rtol lower."""
    x, v, tree, mo, own = walk_case(4, n, 2, geo)
    rtol = 1e-3
    args = (tree, mo, np.arange(n), geo, own, kind, beta, 0.0, rtol, 1e-12, 2, 64, 0)
    on, off = (kd.dual_matmat(*args, local) for local in (True, False))  # positional
    assert_within_bound((on, off), x, v, geo, kind, beta, rtol)
    if n >= 1000:
        assert not np.array_equal(on.value, off.value)  # nodes were taken at the local level
