"""The far level of the tree code: multipole-to-local translations against direct NumPy sums."""

from __future__ import annotations

from itertools import pairwise
from math import comb

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import factorial

from geoai.kernels import tree as kt
from geoai.kernels import tree_dual as kd
from geoai.kernels import tree_m2l as fm
from geoai.kernels.decay import EXPONENTIAL, POWER
from geoai.kernels.tree_multipole import cauchy_bound, monomial_table

from .test_tree_local import assert_within_bound, decay, distance_km, two_clusters, walk_case


def far_vs_direct(rng, geo, kind, beta, deg, gap=None, leaf=4):
    """The far estimate of a whole source tree at each origin, the direct sums, and the bound."""
    unit_len = 0.01 if geo else 50.0
    gap = rng.uniform(4.0, 12.0) * unit_len if gap is None else gap
    y, x = two_clusters(rng, geo, 40, 20, unit_len, unit_len, gap)
    w = rng.lognormal(0, 1, 40)
    w[rng.integers(0, 40, 3)] = 0.0  # zero masses hold no moments
    ty, tx = kt.build_tree(y, leaf), kt.build_tree(x, 20)
    mo = kt.node_moments(ty, w[None, :])
    ft = fm.far_tables(ty, mo, deg, geo)
    t0 = tx.centre[:, 0]
    u = t0 - ty.centre[:, 0]
    coef = np.zeros(ft.mpar.size)
    work = fm.far_scratch(deg)
    fm.far_add(ft, 0, 0, (u[0], u[1], u[2]), deg, geo, (kind, beta), work, coef)
    xz = x if geo else np.vstack((x, np.zeros((1, x.shape[1]))))
    est = np.array([fm.far_eval(ft, coef, tuple(xz[:, i] - t0), work) for i in range(x.shape[1])])
    exact = decay(distance_km(x, y, geo), kind, beta) @ w
    eps = 1e-12 * np.abs(np.concatenate([y.ravel(), x.ravel()])).max()
    rho = np.linalg.norm(u)
    r = ty.radius[0] + tx.radius[0] + 2 * eps
    bound = w.sum() * cauchy_bound(rho, rho, r, deg, geo, kind, beta)
    return est, exact, bound


@pytest.mark.parametrize("geo", [True, False])
@pytest.mark.parametrize(("kind", "beta"), [(POWER, 1.7), (POWER, 3.0), (EXPONENTIAL, 1 / 900.0)])
def test_every_degree_is_within_its_cauchy_bound(geo, kind, beta):
    rng = np.random.default_rng(7)
    finite = 0
    for deg in range(2, fm.FAR_ORDER + 1):
        for _ in range(3):
            est, exact, bound = far_vs_direct(rng, geo, kind, beta, deg)
            assert np.all(np.abs(est - exact) <= bound + 1e-12 * exact)
            assert np.abs(est - exact).max() > 0.0
            finite += bool(np.isfinite(bound))
    assert finite >= 12  # most cases are certified: the check above is not vacuous


@pytest.mark.parametrize("geo", [True, False])
def test_error_falls_with_the_degree(geo):
    """Well apart, each two degrees cut the error and the bound is a small share of the sum."""
    gap = 0.15 if geo else 750.0
    errs = []
    for deg in (2, 4, 6, 8):
        est, exact, bound = far_vs_direct(np.random.default_rng(3), geo, POWER, 1.7, deg, gap)
        assert np.all(np.abs(est - exact) <= bound + 1e-12 * exact)
        errs.append(np.abs(est - exact).max() / exact.min())
    assert errs[3] < 1e-6
    assert all(b < a / 4 for a, b in pairwise(errs))


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    n=st.integers(1, 60),
    deg=st.integers(2, 6),
    geo=st.booleans(),
    zeros=st.floats(0.0, 1.0),
)
def test_shifted_moments_equal_direct_moments(seed, n, deg, geo, zeros):
    """Every node's moments (leaves from points, parents by shifts) equal the NumPy sums.

    The tables hold ``N_gamma / gamma!``.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3, n)) if geo else rng.uniform(0, 100, (2, n))
    if geo:
        x /= np.linalg.norm(x, axis=0)
    v = rng.lognormal(0, 1, (2, n)) * (rng.uniform(size=(2, n)) >= zeros)
    tree = kt.build_tree(x, 3)
    ft = fm.far_tables(tree, kt.node_moments(tree, v), deg, geo)
    exps, _, _, _ = monomial_table(3 if geo else 2, deg)
    xyz = np.vstack((tree.sx, tree.sy, tree.sz))
    vt = v[:, tree.perm]
    for q in range(tree.start.size):
        s, e = tree.start[q], tree.stop[q]
        d = tree.centre[:, q, None] - xyz[:, s:e]  # z_q - y
        mono = np.prod(d[None, :, :] ** exps[:, :, None], axis=1)  # (n_mono, points)
        want = vt[:, s:e] @ mono.T / np.prod(factorial(exps), axis=1)
        scale = vt[:, s:e].sum(1, keepdims=True) * (1.0 + tree.radius[q]) ** deg
        assert np.all(np.abs(ft.mom[:, q] - want) <= 1e-11 * scale + 1e-300)


@pytest.mark.parametrize("dim", [2, 3])
@pytest.mark.parametrize("p", [0, 2, 5, 8])
def test_table_sizes_follow_the_counting_formulas(dim, p):
    exps, par, _, ends = monomial_table(dim, p)
    assert exps.shape[0] == comb(p + dim, dim)
    assert [int(e) for e in ends] == [comb(d + dim, dim) for d in range(p + 1)]
    assert np.all(exps[1:, :].sum(1) == exps[par[1:]].sum(1) + 1)  # each one step from its parent
    add = fm._sum_table(exps, p)
    b, g = np.nonzero(add >= 0)
    assert b.size == comb(p + 2 * dim, 2 * dim)  # pairs (beta, gamma) of total degree <= p
    assert np.all(exps[b] + exps[g] == exps[add[b, g]])
    deg = exps.sum(1)
    assert np.all((add >= 0) == (deg[:, None] + deg[None, :] <= p))
    # the pairs that make alpha number prod(alpha_k + 1)
    counts = np.bincount(add[b, g], minlength=exps.shape[0])
    assert np.all(counts == np.prod(exps + 1, axis=1))


@pytest.mark.parametrize(
    "n", [pytest.param(3000, marks=pytest.mark.jit_heavy), 400], ids=["3000", "400"]
)
@pytest.mark.parametrize("geo", [True, False])
@pytest.mark.parametrize(("kind", "beta"), [(POWER, 1.7), (EXPONENTIAL, 1 / 200.0)])
def test_walk_with_far_level_is_within_its_bound(n, geo, kind, beta):
    """dual_matmat with and without the far level: measured <= bound <= rtol lower."""
    x, v, tree, mo, own = walk_case(11, n, 1, geo)
    rtol = 1e-5
    args = (tree, mo, np.arange(n), geo, own, kind, beta, 0.0, rtol, 1e-12, 2, 32, 0, True)
    on, off = (kd.dual_matmat(*args, far) for far in (fm.FAR_ORDER, 0))  # positional
    assert_within_bound((on, off), x, v, geo, kind, beta, rtol)
    if n >= 1000 and kind == POWER:
        assert on.pairs.mean() < off.pairs.mean()  # far nodes were taken instead of opened
