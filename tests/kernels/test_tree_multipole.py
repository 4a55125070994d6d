"""Multipole expansions of the tree code: moments, series, evaluation, Cauchy remainder."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from geoai.kernels import tree as kt
from geoai.kernels import tree_multipole as tm
from geoai.kernels.decay import EXPONENTIAL, POWER
from geoai.kernels.distance import EARTH_RADIUS_KM

R = EARTH_RADIUS_KM


def f_of_chord(c, geo, kind, beta):
    """The decay of a chord (unit sphere) or planar length, NumPy."""
    d = 2.0 * R * np.arcsin(np.minimum(c / 2.0, 1.0)) if geo else c
    return d**-beta if kind == POWER else np.exp(-beta * d)


def unit(v):
    return v / np.linalg.norm(v, axis=0)


def cluster(rng, geo, n, r, rho):
    """``n`` points within ``r`` of a centre, and a target at ``rho`` from it (coordinates)."""
    if geo:
        centre = unit(rng.normal(size=3))
        y = unit(centre[:, None] + rng.normal(0, r / 2.5, (3, n)))
        side = unit(np.cross(centre, rng.normal(size=3)))
        ang = 2 * np.arcsin(rho / 2)
        x = np.cos(ang) * centre + np.sin(ang) * side
        return y, x
    y = rng.normal(0, r / 2.5, (2, n)) + 100.0
    phi = rng.uniform(0, 2 * np.pi)
    return y, np.array([100.0 + rho * np.cos(phi), 100.0 + rho * np.sin(phi)])


def moments_of(y, w, geo, p):
    """One-leaf tree over ``y``: its multipoles and centre of mass."""
    tree = kt.build_tree(y, y.shape[1])
    mo = kt.node_moments(tree, w[None, :])
    return tree, mo, tm.multipole_moments(tree, mo, p, geo)


@pytest.mark.parametrize("dim", [2, 3])
def test_term_table_contracts_to_the_power_of_the_dot_product(dim):
    rng = np.random.default_rng(0)
    a, d = rng.normal(size=3), rng.normal(size=3)
    if dim == 2:
        a[2] = d[2] = 0.0
    ti, tb, ex, ey, ez, coef = tm.term_table(dim, 5)
    for i in range(6):
        for b in range((5 - i) // 2 + 1):
            sel = (ti == i) & (tb == b)
            got = np.sum(
                coef[sel] * np.prod((a * d)[:, None] ** np.vstack((ex, ey, ez))[:, sel], 0)
            )
            assert got == pytest.approx(np.dot(a, d) ** i, rel=1e-12, abs=1e-12)
            assert np.all(ex[sel] + ey[sel] + ez[sel] == i)
            assert sel.sum() == (i + 1 if dim == 2 else (i + 1) * (i + 2) // 2)


@pytest.mark.parametrize("geo", [True, False])
def test_moments_equal_direct_sums_about_the_centre_of_mass(geo):
    rng = np.random.default_rng(1)
    y, _ = cluster(rng, geo, 40, 0.01 if geo else 5.0, 0.1 if geo else 50.0)
    w = rng.lognormal(0, 1, 40)
    w[:5] = 0.0
    tree = kt.build_tree(y, 8)
    mo = kt.node_moments(tree, w[None, :])
    mp = tm.multipole_moments(tree, mo, 4, geo)
    yz = np.vstack((y, np.zeros((1, 40)))) if not geo else y
    for q in range(tree.start.size):
        idx = tree.perm[tree.start[q] : tree.stop[q]]
        delta = yz[:, idx] - mo.com[0, :, q][:, None]
        r2 = np.sum(delta**2, 0)
        for c in range(mp.ti.size):
            mono = np.prod(delta ** np.array([mp.ex[c], mp.ey[c], mp.ez[c]])[:, None], 0)
            multi = math.factorial(mp.ti[c]) / np.prod(
                [math.factorial(e) for e in (mp.ex[c], mp.ey[c], mp.ez[c])]
            )
            i, b = mp.ti[c], mp.tb[c]
            ref = math.comb(i + b, b) * (-2.0) ** i * multi * np.sum(w[idx] * r2**b * mono)
            assert mp.mom[0, q, c] == pytest.approx(ref, rel=1e-9, abs=1e-14 * w.sum())
        live = w[idx] > 0
        rmax = np.sqrt(r2[live].max()) if live.any() else 0.0
        assert rmax <= mp.rad[0, q] <= rmax * (1 + 1e-9) + 1e-300


@pytest.mark.parametrize("geo", [True, False])
@pytest.mark.parametrize(("kind", "beta"), [(POWER, 1.7), (POWER, 0.6), (EXPONENTIAL, 1 / 300)])
def test_series_equals_mpmath_taylor_coefficients(geo, kind, beta):
    rho = 0.05 if geo else 300.0
    mpmath.mp.dps = 40

    def big_g(w):
        c = mpmath.sqrt(w)
        d = 2 * R * mpmath.asin(c / 2) if geo else c
        return d ** (-beta) if kind == POWER else mpmath.exp(-beta * d)

    ref = mpmath.taylor(big_g, mpmath.mpf(rho) ** 2, 6)
    work = tm.scratch(6)
    tm.g_series(rho * rho, 6, geo, kind, beta, work)
    for j in range(7):
        assert work[0, j] == pytest.approx(float(ref[j]), rel=1e-8)


def direct(y, w, x, geo, kind, beta):
    xx = x if geo else x[:2]
    c = np.sqrt(np.sum((y - xx[:, None]) ** 2, 0))
    return float(np.sum(w * f_of_chord(c, geo, kind, beta)))


CASES = [
    (True, POWER, 1.7),
    (False, POWER, 1.7),
    (True, POWER, 3.0),
    (False, EXPONENTIAL, 1 / 300),
    (True, EXPONENTIAL, 1 / 100),
]


@pytest.mark.parametrize(("geo", "kind", "beta"), CASES)
@pytest.mark.parametrize("u", [0.05, 0.2, 0.4])
def test_expansion_error_never_exceeds_the_cauchy_bound(geo, kind, beta, u):
    rng = np.random.default_rng(int(u * 100) + 7 * kind)
    scale = 0.05 if geo else 300.0
    for _ in range(6):
        rho = scale * rng.uniform(0.5, 2.0)
        y, x = cluster(rng, geo, 30, u * rho, rho)
        w = rng.lognormal(0, 1, 30)
        _, mo, mp = moments_of(y, w, geo, 8)
        com = mo.com[0, :, 0]
        xz = x if geo else np.array([x[0], x[1], 0.0])
        a = xz - com
        rho_c = float(np.linalg.norm(a))
        exact = direct(y, w, x, geo, kind, beta)
        work = tm.scratch(8)
        last = np.inf
        for p in range(1, 9):
            est = tm.multipole_eval(mp, 0, 0, p, (a[0], a[1], a[2]), geo, kind, beta, work)
            bound = w.sum() * tm.cauchy_bound(
                rho_c * (1 - 1e-9), rho_c * (1 + 1e-9), mp.rad[0, 0], p, geo, kind, beta
            )
            assert abs(est - exact) <= bound + 1e-12 * exact
            if mp.rad[0, 0] / rho_c < 0.1:
                assert bound < last  # more terms, smaller bound
            last = bound


@pytest.mark.parametrize(("geo", "kind", "beta"), CASES)
def test_tiny_clusters_are_exact_at_high_order(geo, kind, beta):
    rng = np.random.default_rng(3)
    rho = 0.05 if geo else 300.0
    y, x = cluster(rng, geo, 20, 1e-3 * rho, rho)
    w = rng.lognormal(0, 1, 20)
    _, mo, mp = moments_of(y, w, geo, 6)
    xz = x if geo else np.array([x[0], x[1], 0.0])
    a = xz - mo.com[0, :, 0]
    exact = direct(y, w, x, geo, kind, beta)
    est = tm.multipole_eval(mp, 0, 0, 6, (a[0], a[1], a[2]), geo, kind, beta, tm.scratch(6))
    assert est == pytest.approx(exact, rel=1e-12)
    bound = tm.cauchy_bound(np.linalg.norm(a), np.linalg.norm(a), mp.rad[0, 0], 6, geo, kind, beta)
    assert bound * w.sum() < 1e-14 * exact


def test_group_bound_holds_for_every_target_of_a_ball():
    """rho_lo, rho_hi from a target ball: the bound holds at every target in it."""
    rng = np.random.default_rng(4)
    for geo, kind, beta in CASES:
        rho = 0.05 if geo else 300.0
        y, x = cluster(rng, geo, 25, 0.15 * rho, rho)
        w = rng.lognormal(0, 1, 25)
        _, mo, mp = moments_of(y, w, geo, 5)
        com = mo.com[0, :, 0]
        xz = x if geo else np.array([x[0], x[1], 0.0])
        rt = 0.2 * rho
        gap = np.linalg.norm(xz - com)
        bound = w.sum() * tm.cauchy_bound(gap - rt, gap + rt, mp.rad[0, 0], 5, geo, kind, beta)
        assert np.isfinite(bound)
        for _ in range(20):
            e = rng.normal(size=3)
            if not geo:
                e[2] = 0.0
            t = xz + rt * rng.uniform() * e / np.linalg.norm(e)
            if geo:
                t = unit(t)  # on the sphere, still within rt of the ball's centre
                if np.linalg.norm(t - xz) > rt:
                    continue
            a = t - com
            est = tm.multipole_eval(mp, 0, 0, 5, (a[0], a[1], a[2]), geo, kind, beta, tm.scratch(5))
            exact = direct(y, w, t if geo else t[:2], geo, kind, beta)
            assert abs(est - exact) <= bound + 1e-12 * exact


def test_bound_is_infinite_where_no_disc_fits():
    plane = False
    assert tm.cauchy_bound(1.0, 1.0, 1.0, 6, plane, POWER, 1.7) == np.inf  # r = rho
    assert tm.cauchy_bound(0.0, 1.0, 0.1, 6, plane, POWER, 1.7) == np.inf  # target touches
    assert tm.cauchy_bound(1.0, 1.0, 0.5, 6, plane, EXPONENTIAL, 0.01) == np.inf  # sqrt's cut


@pytest.mark.parametrize(
    "n", [pytest.param(1500, marks=pytest.mark.jit_heavy), 200], ids=["1500", "200"]
)
@pytest.mark.parametrize("geo", [True, False])
@pytest.mark.parametrize(("kind", "beta"), [(POWER, 1.7), (EXPONENTIAL, 1 / 40.0)])
def test_level_three_walk_is_within_its_bound_and_uses_fewer_nodes(n, geo, kind, beta):
    """dual_matmat with multipoles: measured <= bound <= rtol lower, against the dense sums."""
    from geoai.kernels import tree_dual as kd

    rng = np.random.default_rng(11)
    centres = rng.uniform(0, 1, (2, 8))
    xy = centres[:, rng.integers(0, 8, n)] + rng.normal(0, 0.02, (2, n))
    if geo:  # a ~1,000 km patch of the sphere
        lon, lat = np.radians(10 * xy[0]), np.radians(40 + 10 * xy[1])
        x = np.vstack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))
    else:
        x = 1000.0 * xy
    v = rng.lognormal(0, 1, (1, n))
    tree = kt.build_tree(x, 16)
    mo = kt.node_moments(tree, v)
    own = np.full(n, np.nan)
    args = (tree, mo, np.arange(n), geo, own, kind, beta, 0.0, 1e-5, 1e-12, 2, 32)
    base = kd.dual_matmat(*args)
    multi = kd.dual_matmat(*args, 6)
    chord = np.sqrt(np.sum((x[:, :, None] - x[:, None, :]) ** 2, 0))
    f = f_of_chord(np.where(chord > 0, chord, 1.0), geo, kind, beta)
    np.fill_diagonal(f, 0.0)
    exact = f @ v[0]
    for res in (base, multi):
        assert np.all(np.abs(res.value[0] - exact) <= res.error[0] + 1e-12 * exact)
        assert np.all(res.error <= 1e-5 * res.lower * (1 + 1e-12))
        assert np.all(res.lower[0] <= exact * (1 + 1e-12))
    if n >= 1000:
        assert multi.sources.mean() < base.sources.mean()  # level 3 accepted larger nodes
