"""The calibration kernels against plain NumPy."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from geoai.kernels import calibration as kc

shapes = st.tuples(st.integers(1, 9), st.integers(1, 9))


@given(shape=shapes, beta=st.floats(-3, 3), seed=st.integers(0, 2**16))
def test_row_scaled_kernel(shape, beta, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 8, shape)
    mask = rng.random(shape) < 0.8
    mask[:, 0] = True  # every row has an observed cell
    out, shift = np.empty(shape), np.empty(shape[0])
    kc.row_scaled_kernel(x, mask, beta, out, shift)
    ref_shift = np.where(mask, beta * x, -np.inf).max(axis=1)
    ref = np.where(mask, np.exp(beta * x - ref_shift[:, None]), 0.0)
    np.testing.assert_allclose(shift, ref_shift, rtol=1e-14)
    np.testing.assert_allclose(out, ref, rtol=1e-13)
    assert np.allclose(out.max(axis=1), 1.0)


@given(shape=shapes, chunks=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_fitted_moments(shape, chunks, seed):
    rng = np.random.default_rng(seed)
    kern = rng.random(shape) * (rng.random(shape) < 0.9)
    a, b = rng.uniform(0.1, 3, shape[0]), rng.uniform(0.1, 3, shape[1])
    y = rng.poisson(2.0, shape).astype(float) * (kern > 0)
    x = rng.uniform(0, 5, shape)
    mu = a[:, None] * kern * b[None, :]
    got = kc.fitted_moments(kern.copy(), a, b, y, x, chunks)
    pos = y > 0
    want = (
        mu.sum(axis=1),
        mu.sum(axis=0),
        (mu * x).sum(axis=1),
        (mu * x).sum(axis=0),
        ((y - mu) * x).sum(),
        (mu * x * x).sum(),
        (y[pos] * np.log(mu[pos])).sum() - mu.sum(),
    )
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)
    out = kern.copy()
    kc.fitted_moments(out, a, b, y, x, chunks)
    np.testing.assert_allclose(out, mu, rtol=1e-15)


@given(n=st.integers(1, 40), seed=st.integers(0, 2**16))
def test_fit_statistics(n, seed):
    rng = np.random.default_rng(seed)
    y = rng.poisson(1.0, n).astype(float)
    mu = rng.exponential(1.0, n) * (rng.random(n) < 0.8)
    mu[y > 0] += 0.1  # a positive flow never has a zero fit
    y_log_mu, total, squares, sorensen, n_live = kc.fit_statistics(y, mu)
    pos, live = y > 0, (y + mu) > 0
    np.testing.assert_allclose(y_log_mu, (y[pos] * np.log(mu[pos])).sum(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(total, mu.sum(), rtol=1e-12)
    np.testing.assert_allclose(squares, ((y - mu) ** 2).sum(), rtol=1e-12)
    ref = (2 * np.minimum(y, mu)[live] / (y + mu)[live]).sum()
    np.testing.assert_allclose(sorensen, ref, rtol=1e-12, atol=1e-14)
    assert n_live == live.sum()
