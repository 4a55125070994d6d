"""Production-constrained mobility flows of the scenario engine (talent and capital).

Origin ``i`` sends ``O_i`` movers (or investable dollars). Each stays with
weight ``W_i`` (the self term, deterrence 1), goes to metro ``j != i`` with
weight ``W_j f_ij`` or leaves the metro system with weight ``w_out``:

    f_ij = ((1 - r) exp(-d_ij / lam) + r) * (border if c_i != c_j else 1)
    s_i = W_i + sum_{j != i} W_j f_ij + w_out
    T_ij = O_i W_j f_ij / s_i

``r`` is the distance-free share of interaction (the scenario uses it for
mobile capital; talent's remote work lengthens ``lam`` instead) and
``border`` the friction of crossing a national border. ``f`` is symmetric,
so inflows are a second row-parallel pass; no ``n × n`` matrix.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from geoai.kernels import jit
from geoai.kernels.distance import coordinate_rows, fill_distances
from geoai.kernels.fastmath import fast_exp

__all__ = [
    "MobilityFlows",
    "deterrence_matrix",
    "deterrence_sums",
    "deterrence_sums_many",
    "mobility_flows",
]


class MobilityFlows(NamedTuple):
    """One year's flows of :func:`mobility_flows`, summed per metro (``n`` metros, ``top_k`` kept).

    Talent flows are people, capital flows USD.

    Attributes
    ----------
    outflow : numpy.ndarray of float64, shape (n,)
        ``sum_{j != i} T_ij`` plus the flow to outside.
    inflow : numpy.ndarray of float64, shape (n,)
        ``sum_{j != i} T_ji``.
    outside : numpy.ndarray of float64, shape (n,)
        Flow from ``i`` to outside the metro system.
    denom : numpy.ndarray of float64, shape (n,)
        ``s_i``: the staying weight, the reached destinations and the outside option.
    top_index : numpy.ndarray of int64, shape (n, top_k)
        Largest destinations of each origin, as row positions (-1: none).
    top_flow : numpy.ndarray of float64, shape (n, top_k)
        Their flows.
    abroad : numpy.ndarray of float64, shape (n,)
        The part of the outflow that crosses a national border.
    """

    outflow: np.ndarray
    inflow: np.ndarray
    outside: np.ndarray
    denom: np.ndarray
    top_index: np.ndarray
    top_flow: np.ndarray
    abroad: np.ndarray


@jit(inline="always")
def _deterrence_row(
    d: np.ndarray,
    country: np.ndarray,
    ci: int,
    lam: float,
    r: float,
    border: float,
    out: np.ndarray,
) -> None:
    """``out[j] = f_ij`` for one origin, from its distance row ``d`` (km)."""
    inv = -1.0 / lam
    for j in range(d.size):
        f = (1.0 - r) * fast_exp(d[j] * inv) + r
        out[j] = f if country[j] == ci else f * border


@jit(parallel=True)
def mobility_flows(
    xyz: np.ndarray,
    geo: bool,
    country: np.ndarray,
    weight: np.ndarray,
    send: np.ndarray,
    lam: float,
    r: float,
    border: float,
    w_out: float,
    top_k: int,
) -> MobilityFlows:
    """Flows of the model above, summarised per metro.

    Parameters
    ----------
    xyz : ndarray, shape (3, n) or (2, n)
        Unit vectors (``geo``) or planar coordinates in km.
    geo : bool
        Great-circle (True) or planar (False) distances.
    country : ndarray of int, shape (n,)
        Country code of each metro.
    weight : ndarray, shape (n,)
        Destination weights ``W`` (>= 0).
    send : ndarray, shape (n,)
        Senders ``O`` (>= 0: people or USD).
    lam : float
        Distance scale of the decay (km, > 0).
    r : float
        Distance-free share of interaction, in [0, 1].
    border : float
        Factor of a flow across a national border, in [0, 1].
    w_out : float
        Weight of leaving the metro system (>= 0).
    top_k : int
        Largest destinations kept per origin (0: none).

    Returns
    -------
    outflow : ndarray, shape (n,)
        ``sum_{j != i} T_ij`` plus the flow to outside.
    inflow : ndarray, shape (n,)
        ``sum_{i != j} T_ij``.
    outside : ndarray, shape (n,)
        Flow from ``i`` to outside the metro system.
    denom : ndarray, shape (n,)
        ``s_i``.
    top_index : ndarray of int64, shape (n, top_k)
        Largest destinations of each origin (-1: none).
    top_flow : ndarray, shape (n, top_k)
        Their flows.
    abroad : ndarray, shape (n,)
        ``sum_{j: c_j != c_i} T_ij``, the part of the outflow that crosses a
        national border.

    The seven come as one :class:`MobilityFlows` named tuple.

    Examples
    --------
    Ten movers leave metro 0; metro 2, 200 km away, is across a border (factor 0.5):

    >>> import numpy as np
    >>> xyz = np.array([[0.0, 100.0, 200.0], [0.0, 0.0, 0.0]])  # planar km
    >>> out, inflow, outside, denom, top_i, top_f, abroad = mobility_flows(
    ...     xyz, False, np.array([0, 0, 1]), np.ones(3), np.array([10.0, 0.0, 0.0]),
    ...     100.0, 0.0, 0.5, 0.0, 1)
    >>> bool(np.isclose(denom[0], 1 + np.exp(-1) + 0.5 * np.exp(-2)))
    True
    >>> bool(np.isclose(out[0] + 10 / denom[0], 10)), top_i[0].tolist(), float(inflow[0])
    (True, [1], 0.0)
    >>> bool(np.isclose(abroad[0], 10 * 0.5 * np.exp(-2) / denom[0]))
    True
    """
    n = weight.size
    cx, cy, cz = coordinate_rows(xyz)
    denom = np.empty(n)
    foreign = np.zeros(n)
    top_index = np.full((n, top_k), -1, dtype=np.int64)
    top_flow = np.zeros((n, top_k))
    for i in numba.prange(n):
        d = np.empty(n)
        f = np.empty(n)
        fill_distances(cx[i], cy[i], cz[i], cx, cy, cz, 0, n, geo, d)
        _deterrence_row(d, country, country[i], lam, r, border, f)
        s = 0.0
        sf = 0.0
        for j in range(n):
            s += weight[j] * f[j]
            if country[j] != country[i]:
                sf += weight[j] * f[j]
        foreign[i] = sf
        denom[i] = s - weight[i] * f[i] + weight[i] + w_out  # the self term has f_ii = 1
        if top_k > 0:
            for j in range(n):
                t = weight[j] * f[j]
                if j == i or t <= top_flow[i, top_k - 1]:
                    continue
                k = top_k - 1  # insertion into the row's sorted top list
                while k > 0 and t > top_flow[i, k - 1]:
                    top_flow[i, k] = top_flow[i, k - 1]
                    top_index[i, k] = top_index[i, k - 1]
                    k -= 1
                top_flow[i, k] = t
                top_index[i, k] = j
    scale = np.zeros(n)
    for i in range(n):
        if denom[i] > 0.0:
            scale[i] = send[i] / denom[i]
    inflow = np.zeros(n)
    for j in numba.prange(n):
        d = np.empty(n)
        f = np.empty(n)
        fill_distances(cx[j], cy[j], cz[j], cx, cy, cz, 0, n, geo, d)
        _deterrence_row(d, country, country[j], lam, r, border, f)
        acc = 0.0
        for i in range(n):
            acc += scale[i] * f[i]
        inflow[j] = weight[j] * (acc - scale[j] * f[j])
    outside = scale * w_out
    outflow = send - scale * weight
    for i in range(n):
        if denom[i] <= 0.0:
            outflow[i] = 0.0
        for k in range(top_k):
            top_flow[i, k] *= scale[i]
    abroad = scale * foreign
    return MobilityFlows(outflow, inflow, outside, denom, top_index, top_flow, abroad)


@jit(inline="always")
def _pair_row(
    dist: np.ndarray, country: np.ndarray, i: int, lam: float, r: float, border: float,
    out: np.ndarray,
) -> None:  # fmt: skip
    """Fill the pairs ``(i, j >= i)`` of :func:`deterrence_matrix`, both ways round."""
    _deterrence_row(dist[i, i + 1 :], country[i + 1 :], country[i], lam, r, border, out[i, i + 1 :])
    out[i, i] = 1.0
    for j in range(i + 1, country.size):
        out[j, i] = out[i, j]


@jit(parallel=True)
def deterrence_matrix(
    dist: np.ndarray,
    country: np.ndarray,
    lam: float,
    r: float,
    border: float,
    out: np.ndarray,
) -> None:
    """Fill ``out`` (n, n) with the deterrence ``f`` of :func:`mobility_flows`, ``f_ii = 1``.

    ``f`` is symmetric, so each pair's exponential is taken once (rows ``p``
    and ``n - 1 - p`` share a thread, which balances the triangle).

    Parameters
    ----------
    dist : ndarray, shape (n, n)
        Pair distances (km), symmetric.
    country : ndarray of int, shape (n,)
        Country code of each metro.
    lam, r, border : float
        As in :func:`mobility_flows`.
    out : ndarray, shape (n, n)
        Written in full.

    Examples
    --------
    >>> import numpy as np
    >>> out = np.empty((2, 2))
    >>> deterrence_matrix(np.array([[0.0, 100.0], [100.0, 0.0]]), np.array([0, 1]),
    ...                   100.0, 0.0, 0.5, out)
    >>> bool(np.allclose(out, [[1, 0.5 * np.exp(-1)], [0.5 * np.exp(-1), 1]]))
    True
    """
    n = country.size
    for p in numba.prange((n + 1) // 2):
        _pair_row(dist, country, p, lam, r, border, out)
        if n - 1 - p != p:
            _pair_row(dist, country, n - 1 - p, lam, r, border, out)


@jit()
def deterrence_sums(
    f: np.ndarray, country: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``f @ w`` and its cross-border part ``sum_{j: c_j != c_i} f_ij w_j``, in one pass.

    One thread on purpose: at a few hundred metros the pass takes about as long as waking a
    pool would, and a multi-threaded BLAS product of this size slows down many
    times over on a busy machine.

    Parameters
    ----------
    f : ndarray, shape (n, n)
        The deterrence (:func:`deterrence_matrix`).
    country : ndarray of int, shape (n,)
        Country code of each metro.
    w : ndarray, shape (n,)
        The vector multiplied.

    Returns
    -------
    (ndarray, ndarray), each shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> total, cross = deterrence_sums(np.array([[1.0, 0.5], [0.5, 1.0]]), np.array([0, 1]),
    ...                                np.array([2.0, 4.0]))
    >>> total.tolist(), cross.tolist()
    ([4.0, 5.0], [2.0, 1.0])
    """
    n = country.size
    total = np.empty(n)
    cross = np.empty(n)
    for i in range(n):
        total[i], cross[i] = _row_sums(f[i], country, country[i], w)
    return total, cross


@jit(inline="always")
def _row_sums(row: np.ndarray, country: np.ndarray, ci: int, w: np.ndarray) -> tuple[float, float]:
    """``sum_j row_j w_j`` and its part over ``c_j != ci``: one row of :func:`deterrence_sums`."""
    s = 0.0
    sf = 0.0
    for j in range(w.size):
        t = row[j] * w[j]
        s += t
        sf += t if country[j] != ci else 0.0
    return s, sf


@jit()
def deterrence_sums_many(
    f: np.ndarray, country: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`deterrence_sums` of several vectors in one pass over ``f``.

    Each row of ``f`` is read from memory once and multiplied by every vector
    while it sits in the cache; every vector's sums are added in the order of
    :func:`deterrence_sums` (the same row loop), so they equal its results bit
    for bit.

    Parameters
    ----------
    f : ndarray, shape (n, n)
        The deterrence (:func:`deterrence_matrix`).
    country : ndarray of int, shape (n,)
        Country code of each metro.
    w : ndarray, shape (m, n)
        The ``m`` vectors multiplied, one per row.

    Returns
    -------
    (ndarray, ndarray), each shape (m, n)
        Row ``v``: ``deterrence_sums(f, country, w[v])``.

    Examples
    --------
    >>> import numpy as np
    >>> f, c = np.array([[1.0, 0.5], [0.5, 1.0]]), np.array([0, 1])
    >>> total, cross = deterrence_sums_many(f, c, np.array([[2.0, 4.0], [1.0, 0.0]]))
    >>> total.tolist(), cross.tolist()
    ([[4.0, 5.0], [1.0, 0.5]], [[2.0, 1.0], [0.0, 0.5]])
    """
    m, n = w.shape
    total = np.empty((m, n))
    cross = np.empty((m, n))
    for i in range(n):
        row = f[i]
        ci = country[i]
        for v in range(m):
            total[v, i], cross[v, i] = _row_sums(row, country, ci, w[v])
    return total, cross
