"""Dense-layout passes of the doubly-constrained Poisson calibration.

The origin–destination table is laid out as ``(n_o, n_d)`` matrices (``x`` the
cost covariate, ``y`` the flows, ``mask`` the observed cells), so the
fixed-effect sums are row and column sums and the Furness sweeps are BLAS
matrix–vector products. Two fused, row-parallel passes do the rest.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from geoai.kernels import jit
from geoai.kernels.fastmath import fast_exp, fast_log

__all__ = ["FitStatistics", "Moments", "fit_statistics", "fitted_moments", "row_scaled_kernel"]


class Moments(NamedTuple):
    """Margins and sums of the fitted flows ``mu`` (see :func:`fitted_moments`)."""

    row: np.ndarray  #: ``sum_j mu_ij``, shape (n_o,)
    col: np.ndarray  #: ``sum_i mu_ij``, shape (n_d,)
    row_x: np.ndarray  #: ``sum_j mu_ij x_ij``, shape (n_o,)
    col_x: np.ndarray  #: ``sum_i mu_ij x_ij``, shape (n_d,)
    score: float  #: ``sum (y - mu) x``
    mu_xx: float  #: ``sum mu x²``
    loglik: float  #: ``sum_{y>0} y log mu - sum mu``


class FitStatistics(NamedTuple):
    """Sums over observed flows ``y`` and fitted flows ``mu`` (see :func:`fit_statistics`)."""

    y_log_mu: float  #: ``sum_{y>0} y log mu``
    fitted_total: float  #: ``sum mu``
    squares: float  #: ``sum (y - mu)²``
    sorensen: float  #: ``sum 2 min(y, mu) / (y + mu)`` over pairs with ``y + mu > 0``
    n_live: int  #: number of those pairs


@jit(parallel=True)
def row_scaled_kernel(
    x: np.ndarray, mask: np.ndarray, beta: float, out: np.ndarray, shift: np.ndarray
) -> None:
    """``out[i, j] = exp(beta x_ij - shift_i)`` on observed cells, 0 elsewhere.

    ``shift_i`` is the row maximum of ``beta x_ij`` over observed cells, so the
    largest entry of every row is 1: no row underflows to all zeros, whatever
    ``beta``. The shift is absorbed by the origin factors.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.log(np.array([[10.0, 100.0], [50.0, 5.0]]))  # log km: power decay
    >>> mask = np.array([[True, True], [True, False]])
    >>> out, shift = np.empty((2, 2)), np.empty(2)
    >>> row_scaled_kernel(x, mask, -2.0, out, shift)
    >>> out.round(12).tolist(), bool(np.allclose(shift, -2.0 * np.log([10.0, 50.0])))
    ([[1.0, 0.01], [1.0, 0.0]], True)
    """
    n_o, n_d = x.shape
    for i in numba.prange(n_o):
        top = -np.inf
        for j in range(n_d):
            if mask[i, j]:
                top = max(top, beta * x[i, j])
        shift[i] = top
        for j in range(n_d):
            out[i, j] = fast_exp(beta * x[i, j] - top) if mask[i, j] else 0.0


@jit(parallel=True)
def fitted_moments(
    kern: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    y: np.ndarray,
    x: np.ndarray,
    n_chunks: int,
) -> Moments:
    """Overwrite ``kern`` with ``mu = a_i kern_ij b_j`` and return its moments.

    Returns
    -------
    row : ndarray, shape (n_o,)
        ``sum_j mu_ij``.
    col : ndarray, shape (n_d,)
        ``sum_i mu_ij``.
    row_x : ndarray, shape (n_o,)
        ``sum_j mu_ij x_ij``.
    col_x : ndarray, shape (n_d,)
        ``sum_i mu_ij x_ij``.
    score : float
        ``sum (y - mu) x``, the gradient of the profile log-likelihood.
    mu_xx : float
        ``sum mu x²``.
    loglik : float
        ``sum_{y>0} y log mu - sum mu`` (the Poisson log-likelihood without
        ``log y!``).

    The seven come as one :class:`Moments` named tuple.

    Examples
    --------
    >>> import numpy as np
    >>> kern, x = np.array([[1.0, 0.5], [0.25, 1.0]]), np.array([[0.0, 1.0], [2.0, 0.0]])
    >>> y = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> a, b = np.array([2.0, 3.0]), np.array([1.0, 2.0])
    >>> mu = a[:, None] * kern * b[None, :]
    >>> row, col, row_x, col_x, score, mu_xx, loglik = fitted_moments(kern, a, b, y, x, 2)
    >>> np.array_equal(kern, mu), row.tolist(), col.tolist()
    (True, [4.0, 6.75], [2.75, 8.0])
    >>> bool(np.isclose(score, ((y - mu) * x).sum()))
    True
    >>> bool(np.isclose(loglik, (y * np.log(mu)).sum() - mu.sum()))
    True
    """
    n_o, n_d = kern.shape
    row = np.zeros(n_o)
    row_x = np.zeros(n_o)
    col_t = np.zeros((n_chunks, n_d))
    colx_t = np.zeros((n_chunks, n_d))
    sums = np.zeros((n_chunks, 3))
    step = (n_o + n_chunks - 1) // n_chunks
    for t in numba.prange(n_chunks):
        s_score = 0.0
        s_xx = 0.0
        s_ll = 0.0
        for i in range(t * step, min(n_o, (t + 1) * step)):
            r = 0.0
            rx = 0.0
            for j in range(n_d):
                m = a[i] * kern[i, j] * b[j]
                kern[i, j] = m
                mx = m * x[i, j]
                r += m
                rx += mx
                col_t[t, j] += m
                colx_t[t, j] += mx
                s_score += (y[i, j] - m) * x[i, j]
                s_xx += mx * x[i, j]
                s_ll += y[i, j] * fast_log(m)  # fast_log(0) is finite: y = 0 adds 0
            row[i] = r
            row_x[i] = rx
            s_ll -= r
        sums[t, 0] = s_score
        sums[t, 1] = s_xx
        sums[t, 2] = s_ll
    col = col_t.sum(axis=0)
    col_x = colx_t.sum(axis=0)
    return Moments(row, col, row_x, col_x, sums[:, 0].sum(), sums[:, 1].sum(), sums[:, 2].sum())


@jit()
def fit_statistics(y: np.ndarray, mu: np.ndarray) -> FitStatistics:
    """One pass over observed and fitted flows (flat arrays of the same size).

    Returns
    -------
    FitStatistics
        ``sum_{y>0} y log mu``, ``sum mu``, ``sum (y - mu)²``, the sum of
        Sørensen terms ``2 min(y, mu) / (y + mu)`` and how many pairs have
        ``y + mu > 0`` (the pairs those terms are taken over).

    Examples
    --------
    >>> import numpy as np
    >>> y, mu = np.array([2.0, 0.0, 1.0, 0.0]), np.array([1.0, 1.0, 2.0, 0.0])
    >>> stats = fit_statistics(y, mu)
    >>> bool(np.isclose(stats.y_log_mu, np.log(2.0))), stats.fitted_total, stats.squares
    (True, 4.0, 3.0)
    >>> bool(np.isclose(stats.sorensen, 2 / 3 + 0 + 2 / 3)), stats.n_live  # y + mu = 0 at 4
    (True, 3)
    """
    y_log_mu = 0.0
    total = 0.0
    squares = 0.0
    sorensen = 0.0
    n_live = 0
    for e in range(y.size):
        yi = y[e]
        mi = mu[e]
        if yi > 0.0:
            y_log_mu += yi * np.log(mi)
        total += mi
        squares += (yi - mi) * (yi - mi)
        both = yi + mi
        if both > 0.0:
            sorensen += 2.0 * min(yi, mi) / both
            n_live += 1
    return FitStatistics(y_log_mu, total, squares, sorensen, n_live)
