from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from numba import njit

from geoai.kernels import jit
from geoai.kernels.decay import KINDS, apply_decay, decay_array
from geoai.kernels.fastmath import fast_asin, fast_exp, fast_log
from geoai.kernels.interaction import _decay_row


@njit
def _map(fn_code, x):
    out = np.empty_like(x)
    for i in range(x.size):
        if fn_code == 0:
            out[i] = fast_exp(x[i])
        elif fn_code == 1:
            out[i] = fast_log(x[i])
        else:
            out[i] = fast_asin(x[i])
    return out


def test_exp_accuracy_and_limits():
    x = np.concatenate([np.linspace(-745, 709.7, 200_001), [-1e-300, 0.0, 1e-300]])
    ref = np.exp(x)
    got = _map(0, x)
    normal = ref > 2.3e-308
    np.testing.assert_allclose(got[normal], ref[normal], rtol=3e-15)
    np.testing.assert_allclose(got[~normal], ref[~normal], rtol=1e-3, atol=5e-324)
    lim = _map(0, np.array([710.0, 1e6, -746.0, -1e6, np.inf, -np.inf]))
    assert lim.tolist() == [np.inf, np.inf, 0.0, 0.0, np.inf, 0.0]


def test_log_accuracy():
    x = np.concatenate([np.geomspace(1e-300, 1e300, 200_001), np.linspace(0.5, 2.0, 10_001)])
    ref = np.log(x)
    got = _map(1, x)
    np.testing.assert_allclose(got, ref, rtol=2e-15, atol=2e-16)
    assert _map(1, np.array([1.0]))[0] == 0.0


def test_asin_accuracy():
    x = np.concatenate([np.linspace(0.0, 1.0, 200_001), np.geomspace(1e-12, 1e-3, 1000)])
    np.testing.assert_allclose(_map(2, x), np.arcsin(x), rtol=2e-15, atol=0)


@given(
    d=st.lists(st.just(0.0) | st.floats(1e-6, 2e4), min_size=1, max_size=50),
    kind=st.sampled_from(sorted(KINDS)),
    beta=st.sampled_from([0.5, 1.0, 1.7, 2.0, 3.3]),
    a=st.floats(-2.0, 2.0),
)
def test_fused_decay_row_matches_scalar_decay(d, kind, beta, a):
    """The vectorised row and buffer forms equal decay_value (planar points on a line).

    Distances are 0 or >= 1 mm: below that the squared planar distance underflows.
    The wrappers use the project's jit flags, which inlined kernels inherit.
    """
    dist = np.array(d)
    scale = {"power": 1.0, "exponential": 1e-3, "gaussian": 1e-6, "tanner": 1e-3, "box": 500.0}
    b = beta * scale[kind]
    expected = decay_array(dist.copy(), KINDS[kind], b, a)
    finite = np.isfinite(expected)
    for got in (_row(dist, KINDS[kind], b, a), _apply(dist.copy(), KINDS[kind], b, a)):
        assert (np.isinf(got) == ~finite).all()
        np.testing.assert_allclose(got[finite], expected[finite], rtol=1e-13, atol=1e-300)


def _row(dist, kind, beta, a):
    return _planar_row(dist, False, kind, beta, a)  # noqa: FBT003 - a Numba kernel's geo flag


@jit()
def _planar_row(dist, geo, kind, beta, a):
    """The row kernel with the library's argument types (int64 bounds, a bool flag, no literals)."""
    out = np.empty(dist.size)
    zeros = np.zeros(dist.size)
    _decay_row(0.0, 0.0, 0.0, dist, zeros, zeros, np.int64(0), dist.size, geo, kind, beta, a, out)
    return out


@jit()
def _apply(buf, kind, beta, a):
    apply_decay(buf, 0, buf.size, kind, beta, a)
    return buf
