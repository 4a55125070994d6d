"""Higher-order (multipole) expansions of the tree code with a Cauchy remainder bound.

For a source node with centre of mass ``com`` and a target ``x``, write ``a = x -
com``, ``rho = |a|`` and, for a source point ``y = com + delta``, ``s = |delta|^2 -
2 a.delta``, so ``|x - y|^2 = rho^2 + s`` and ``g(y) = G(rho^2 + s)`` with ``G(w) =
f(D(sqrt w))`` (``D``: km of a chord or of a planar length). The degree-``p``
Taylor polynomial of ``phi(t) = g(com + t delta)`` at ``t = 1`` is, per unit mass,

``sum_{i + 2b <= p} G_{i+b} C(i+b, b) (-2)^i |delta|^(2b) (a.delta)^i``

(``G_n``: the Taylor coefficients of ``G`` at ``rho^2``, by truncated power
series, :func:`g_series`). Summed over the node's points it needs the moments
``sum_j m_j |delta_j|^(2b) delta_j^alpha`` (``|alpha| = i``), stored with their
multinomial factors (:func:`multipole_moments`); :func:`multipole_eval`
contracts them with ``a^alpha``.

**Remainder** (:func:`cauchy_bound`). For complex ``t``, ``z.z = |delta|^2 (t - t1)
(t - t2)`` with ``|t1| = |t2| = rho / |delta|``, so on ``|t| <= T`` with ``T |delta|
<= kappa rho_lo`` (``rho >= rho_lo`` for every target of the group, ``|delta| <=
r``; ``T = kappa rho_lo / r``): ``|w| >= (rho_lo (1 - kappa))^2``, ``|w| <= (rho_hi
+ kappa rho_lo)^2`` and, when ``2 kappa + kappa^2 < 1``, ``Re w >= rho_lo^2 (1 - 2
kappa - kappa^2) > 0``. If ``|phi| <= M`` on ``|t| = T > 1``, Cauchy's estimate
gives ``|c_n| <= M T^-n``, so the remainder after degree ``p`` at ``t = 1`` is at
most ``M T^-(p+1) / (1 - 1/T)``. Bounds of ``M``:

* power, ``f = (D^2)^(-beta/2)``: planar ``D^2 = w``; great-circle ``D^2 = 4 R^2
  H(w / 4)`` with ``H(z) = asin(sqrt z)^2``, a series of positive coefficients
  with ``H(z) = z + ...``, so ``|H(z)| >= |z| - (H(|z|) - |z|)`` for ``|z| < 1``.
  ``D^2`` has no zero on the disc, so a branch of ``log D^2`` exists there and
  ``|f| = |D^2|^(-beta/2)``.
* exponential, ``|f| = exp(-beta Re D)``: ``w`` stays in the right half-plane,
  ``Re sqrt w >= sqrt(Re w)``; great-circle ``D = 2 R asin(v)``, ``v = sqrt(w) /
  2``, ``Re asin v >= Re v - (asin|v| - |v|)`` (positive series of ``asin``).

A few fixed ``kappa`` are tried and the smallest bound kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import prange

from geoai.kernels import jit
from geoai.kernels.decay import POWER
from geoai.kernels.distance import EARTH_RADIUS_KM

if TYPE_CHECKING:
    from geoai.kernels.tree import Moments, Tree

__all__ = [
    "ORDER",
    "Multipoles",
    "cauchy_bound",
    "cauchy_bounds",
    "factorials",
    "g_series",
    "monomial_index",
    "monomial_powers",
    "monomial_table",
    "multipole_eval",
    "multipole_moments",
    "scratch",
    "term_table",
]

#: The tested degree of level 3 (``dual_matmat(..., order=ORDER)``; off by default).
ORDER = 6
_PAD = 1e-12  # relative padding of each node's radius about its centre of mass (rounding)
_KAPPA_POWER = (0.3, 0.5, 0.65, 0.75, 0.85, 0.92)  # power: any kappa < 1
_KAPPA_EXP = (0.02, 0.05, 0.1, 0.2, 0.3, 0.4)  # exponential: 2 kappa + kappa^2 < 1


class Multipoles(NamedTuple):
    """Moment tensors of every node up to order ``p`` (see the module notes).

    Terms are sorted by degree ``i + 2b``, so the degree-``p'`` expansion is the
    first ``ends[p']`` of them.
    """

    ti: np.ndarray  #: (n_terms,) int64: the power i of (a.delta) of each term
    tb: np.ndarray  #: (n_terms,) int64: the power b of |delta|^2
    ex: np.ndarray  #: (n_terms,) int64: the exponents alpha of the monomial (x)
    ey: np.ndarray  #: (n_terms,) int64: (y)
    ez: np.ndarray  #: (n_terms,) int64: (z)
    ta: np.ndarray  #: (n_terms,) int64: the monomial alpha's index in the monomial table
    ends: np.ndarray  #: (p + 1,) int64: number of terms of degree <= each p'
    mpar: np.ndarray  #: (n_mono,) int64: monomial j = monomial mpar[j] times coordinate maxis[j]
    maxis: np.ndarray  #: (n_mono,) int64: (monomial 0 is 1)
    #: (m, n_nodes, n_terms): C(i+b, b) (-2)^i multinomial(i; alpha) sum m |delta|^2b delta^alpha
    mom: np.ndarray
    rad: np.ndarray  #: (m, n_nodes): padded largest |delta| of a point of positive mass


@jit()
def term_table(
    dim: int, p: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """List the terms ``(i, b, alpha)`` with ``i + 2b <= p`` and ``|alpha| = i``, by degree.

    Parameters
    ----------
    dim : int
        2 (planar: ``alpha_z = 0``) or 3.
    p : int
        The order (>= 0).

    Returns
    -------
    ti, tb, ex, ey, ez : ndarray of int64, shape (n_terms,)
        The powers of each term, sorted by ``i + 2b``.
    coef : ndarray, shape (n_terms,)
        The multinomial coefficient ``i! / (ex! ey! ez!)``.

    Examples
    --------
    >>> ti, tb, ex, ey, ez, coef = term_table(2, 2)
    >>> ti.tolist(), tb.tolist(), coef.tolist()
    ([0, 1, 1, 2, 2, 2, 0], [0, 0, 0, 0, 0, 0, 1], [1.0, 1.0, 1.0, 1.0, 2.0, 1.0, 1.0])
    """
    cap = (p + 1) * (p + 1) * (p + 2) * (p + 2)
    out = np.zeros((6, cap), np.int64)
    coef = np.zeros(cap)
    fact = factorials(p + 1)
    n = 0
    for deg in range(p + 1):
        for b in range(deg // 2 + 1):
            i = deg - 2 * b
            for x in range(i, -1, -1):
                for y in range(i - x, -1, -1):
                    z = i - x - y
                    if dim == 2 and z > 0:
                        continue
                    out[0, n], out[1, n], out[2, n], out[3, n], out[4, n] = i, b, x, y, z
                    coef[n] = fact[i] / (fact[x] * fact[y] * fact[z])
                    n += 1
    return (
        out[0, :n].copy(), out[1, :n].copy(), out[2, :n].copy(), out[3, :n].copy(),
        out[4, :n].copy(), coef[:n].copy(),
    )  # fmt: skip


@jit()
def monomial_table(dim: int, p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """List the monomials of degree ``<= p`` in ``dim`` (2 or 3) variables, by degree.

    Returns
    -------
    exps : ndarray of int64, shape (n_mono, 3)
        Exponents (the third 0 in the plane).
    par, axis : ndarray of int64, shape (n_mono,)
        Monomial ``e`` is monomial ``par[e]`` times coordinate ``axis[e]`` (``e > 0``).
    ends : ndarray of int64, shape (p + 1,)
        Number of monomials of degree ``<= d``: ``C(d + dim, dim)``.

    Examples
    --------
    >>> exps, par, axis, ends = monomial_table(2, 2)
    >>> exps[:, :2].tolist(), ends.tolist()
    ([[0, 0], [1, 0], [0, 1], [2, 0], [1, 1], [0, 2]], [1, 3, 6])
    """
    cap = (p + 1) * (p + 2) * (p + 3) // 6
    exps = np.zeros((cap, 3), np.int64)
    par = np.zeros(cap, np.int64)
    axis = np.zeros(cap, np.int64)
    ends = np.zeros(p + 1, np.int64)
    idx = np.full((p + 1, p + 1, p + 1), -1, np.int64)
    n = 0
    for deg in range(p + 1):
        for x in range(deg, -1, -1):
            for y in range(deg - x, -1, -1):
                z = deg - x - y
                if dim == 2 and z > 0:
                    continue
                idx[x, y, z] = n
                exps[n, 0], exps[n, 1], exps[n, 2] = x, y, z
                if x > 0:
                    par[n], axis[n] = idx[x - 1, y, z], 0
                elif y > 0:
                    par[n], axis[n] = idx[x, y - 1, z], 1
                elif z > 0:
                    par[n], axis[n] = idx[x, y, z - 1], 2
                n += 1
        ends[deg] = n
    return exps[:n].copy(), par[:n].copy(), axis[:n].copy(), ends


@jit()
def factorials(n: int) -> np.ndarray:
    """Return ``0!, 1!, ..., n!`` as floats."""
    out = np.ones(n + 1)
    for j in range(1, n + 1):
        out[j] = out[j - 1] * j
    return out


@jit(inline="always")
def monomial_powers(
    par: np.ndarray, axis: np.ndarray, n: int, x: float, y: float, z: float, out: np.ndarray
) -> None:
    """``out[:n] = `` the first ``n`` monomials of ``(x, y, z)`` of a :func:`monomial_table`."""
    out[0] = 1.0
    for e in range(1, n):
        a = axis[e]
        out[e] = out[par[e]] * (x if a == 0 else (y if a == 1 else z))


@jit()
def monomial_index(exps: np.ndarray, p: int) -> np.ndarray:
    """Invert a monomial table: ``idx[x, y, z]`` (-1 where absent)."""
    idx = np.full((p + 1, p + 1, p + 1), -1, np.int64)
    for e in range(exps.shape[0]):
        idx[exps[e, 0], exps[e, 1], exps[e, 2]] = e
    return idx


@jit()
def _monomials(
    dim: int, p: int, ex: np.ndarray, ey: np.ndarray, ez: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return each term's monomial index and the monomials of degree <= ``p`` (parent, axis)."""
    exps, par, axis, _ = monomial_table(dim, p)
    idx = monomial_index(exps, p)
    ta = np.empty(ex.size, np.int64)
    for c in range(ex.size):
        ta[c] = idx[ex[c], ey[c], ez[c]]
    return ta, par, axis


@jit(parallel=True)
def multipole_moments(tree: Tree, mo: Moments, p: int, geo: bool) -> Multipoles:
    """Moment tensors about each node's centre of mass, per mass row, up to order ``p``.

    Computed from each node's own points (``O(n log n)`` terms in all); each term
    carries its constant ``C(i+b, b) (-2)^i`` and multinomial factor.

    Parameters
    ----------
    tree : Tree
        From :func:`geoai.kernels.tree.build_tree`.
    mo : Moments
        From :func:`geoai.kernels.tree.node_moments` (masses, centres of mass).
    p : int
        The order (below 3: none, empty arrays).
    geo : bool
        Unit vectors (3-D tensors) or planar points (2-D).

    Returns
    -------
    Multipoles
        The term and monomial tables, the moments ``(m, n_nodes, n_terms)`` and
        the radii ``(m, n_nodes)`` (coordinate units).
    """
    m = mo.mass.shape[0]
    n_nodes = tree.start.size
    dim = 3 if geo else 2
    pp = p if p >= 3 else 0  # nothing above the quadrupole: no tensors
    ti, tb, ex, ey, ez, coef = term_table(dim, pp)
    ta, mpar, maxis = _monomials(dim, pp, ex, ey, ez)
    ends = np.zeros(pp + 1, np.int64)
    for c in range(ti.size):
        ends[ti[c] + 2 * tb[c]] = c + 1
    for c in range(ti.size):  # C(i+b, b) (-2)^i
        i, b = ti[c], tb[c]
        f = 1.0
        for j in range(1, b + 1):
            f = f * (i + j) / j
        for _ in range(i):
            f *= -2.0
        coef[c] *= f
    if p < 3:
        return Multipoles(
            ti, tb, ex, ey, ez, ta, ends, mpar, maxis, np.zeros((m, 0, 1)), np.zeros((m, 0))
        )
    nt = ti.size
    mom = np.zeros((m, n_nodes, nt))
    rad = np.zeros((m, n_nodes))
    for q in prange(n_nodes):
        mono = np.empty(mpar.size)
        pr = np.empty(p // 2 + 1)
        for k in range(m):
            cx, cy, cz = mo.com[k, 0, q], mo.com[k, 1, q], mo.com[k, 2, q]
            r2 = 0.0
            for j in range(tree.start[q], tree.stop[q]):
                w = mo.v[k, j]
                if w <= 0.0:
                    continue
                d = (tree.sx[j] - cx, tree.sy[j] - cy, tree.sz[j] - cz)
                d2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
                r2 = max(r2, d2)
                monomial_powers(mpar, maxis, mpar.size, d[0], d[1], d[2], mono)
                pr[0] = w
                for e in range(1, p // 2 + 1):
                    pr[e] = pr[e - 1] * d2
                for c in range(nt):
                    mom[k, q, c] += pr[tb[c]] * mono[ta[c]]
            rad[k, q] = np.sqrt(r2) * (1.0 + _PAD)
        for k in range(m):
            for c in range(nt):
                mom[k, q, c] *= coef[c]
    return Multipoles(ti, tb, ex, ey, ez, ta, ends, mpar, maxis, mom, rad)


@jit(inline="always")
def _series_power(u: np.ndarray, alpha: float, n: int, out: np.ndarray) -> None:
    """``out[:n] = `` the first ``n`` Taylor coefficients of ``u^alpha`` (``u[0] > 0``)."""
    out[0] = u[0] ** alpha
    for j in range(1, n):
        t = 0.0
        for i in range(1, j + 1):
            t += (alpha * i - (j - i)) * u[i] * out[j - i]
        out[j] = t / (j * u[0])


@jit()
def scratch(p: int) -> np.ndarray:
    """Work space of :func:`g_series` and :func:`multipole_eval` for orders up to ``p``."""
    return np.zeros((6, (p + 1) * (p + 2) * (p + 3) // 6 + 1))


@jit()
def g_series(rho2: float, p: int, geo: bool, kind: int, beta: float, work: np.ndarray) -> None:
    """Fill ``work[0, :p+1]`` with the Taylor coefficients of ``G(w) = f(D(sqrt w))`` at ``rho2``.

    ``w``: squared chord (unit sphere) or squared planar km; ``D`` in km; ``f`` power
    ``d^-beta`` or exponential ``exp(-beta d)``. Truncated power-series arithmetic,
    ``O(p^2)``; ``rho2 > 0`` (and ``< 4`` on the sphere); ``work`` from :func:`scratch`
    (rows 1-4 are overwritten too).
    """
    n = p + 1
    out, c, d, u, y = work[0], work[1], work[2], work[3], work[4]
    rho = np.sqrt(rho2)  # sqrt(rho2 + s) = rho sum binom(1/2, j) (s / rho2)^j
    inv = 1.0 / rho2
    b = rho
    c[0] = rho
    for j in range(1, n):
        b *= (0.5 - (j - 1)) / j * inv
        c[j] = b
    if geo:  # D = 2 R asin(v), v = c / 2: D' = 2 R v' (1 - v^2)^(-1/2)
        for j in range(n):
            t = 0.0
            for i in range(j + 1):
                t += c[i] * c[j - i]
            u[j] = (1.0 if j == 0 else 0.0) - 0.25 * t
        _series_power(u, -0.5, n, y)
        d[0] = 2.0 * EARTH_RADIUS_KM * np.arcsin(0.5 * c[0])
        for j in range(1, n):  # d_j = (1/j) [s^(j-1)] D', v'_(i-1) = i c_i / 2
            t = 0.0
            for i in range(1, j + 1):
                t += i * 0.5 * c[i] * y[j - i]
            d[j] = 2.0 * EARTH_RADIUS_KM * t / j
    else:
        for j in range(n):
            d[j] = c[j]
    if kind == POWER:
        _series_power(d, -beta, n, out)
    else:  # exp(h), h = -beta D: j out_j = sum_i i h_i out_(j-i)
        out[0] = np.exp(-beta * d[0])
        for j in range(1, n):
            t = 0.0
            for i in range(1, j + 1):
                t += i * (-beta * d[i]) * out[j - i]
            out[j] = t / j


@jit()
def multipole_eval(
    mp: Multipoles,
    k: int,
    q: int,
    p: int,
    a: tuple[float, float, float],
    geo: bool,
    kind: int,
    beta: float,
    work: np.ndarray,
) -> float:
    """Return node ``q``'s degree-``p`` estimate (row ``k``) at offset ``a = x - com``.

    ``p`` at most the order of ``mp``; ``a`` in coordinate units (not 0); ``work``
    from :func:`scratch`.
    """
    ax, ay, az = a
    g_series(ax * ax + ay * ay + az * az, p, geo, kind, beta, work)
    gs, mono = work[0], work[5]
    n_mono = (p + 1) * (p + 2) * (p + 3) // 6 if geo else (p + 1) * (p + 2) // 2
    monomial_powers(mp.mpar, mp.maxis, n_mono, ax, ay, az, mono)
    mom = mp.mom[k, q]
    total = 0.0
    c = 0  # terms run by degree, then b; the alphas of one (i, b) follow the monomials of degree i
    for deg in range(p + 1):
        for b in range(deg // 2 + 1):
            i = deg - 2 * b
            cnt = (i + 1) * (i + 2) // 2 if geo else i + 1
            m0 = i * (i + 1) * (i + 2) // 6 if geo else i * (i + 1) // 2
            t = 0.0
            for e in range(cnt):
                t += mono[m0 + e] * mom[c + e]
            total += gs[i + b] * t
            c += cnt
    return total


@jit(inline="always")
def _asin_sq(x: float) -> float:
    """``H(x) = asin(sqrt x)^2`` for ``0 <= x <= 1``."""
    return np.arcsin(np.sqrt(min(x, 1.0))) ** 2


@jit(inline="always")
def _bound_m(kappa: float, rlo: float, rhi: float, geo: bool, kind: int, beta: float) -> float:
    """``M``: a bound of ``|f(D(sqrt w))|`` on ``|t| <= kappa rho_lo / r`` (``inf``: none)."""
    wlo = (rlo * (1.0 - kappa)) ** 2
    whi = (rhi + kappa * rlo) ** 2
    if kind == POWER:
        if not geo:
            return wlo ** (-0.5 * beta)
        zlo, zhi = 0.25 * wlo, 0.25 * whi
        if zhi >= 1.0:
            return np.inf
        h = zlo - (_asin_sq(zhi) - zhi)
        if h <= 0.0:
            return np.inf
        return (4.0 * EARTH_RADIUS_KM * EARTH_RADIUS_KM * h) ** (-0.5 * beta)
    rew = 1.0 - 2.0 * kappa - kappa * kappa
    if rew <= 0.0:
        return np.inf
    sre = rlo * np.sqrt(rew)  # Re sqrt(w) >= sqrt(Re w)
    if not geo:
        return np.exp(-beta * sre)
    vhi = 0.5 * np.sqrt(whi)
    if vhi >= 1.0:
        return np.inf
    re_d = 2.0 * EARTH_RADIUS_KM * (0.5 * sre - (np.arcsin(vhi) - vhi))
    return np.exp(-beta * re_d)


@jit(inline="always")
def cauchy_bounds(
    rlo: float, rhi: float, r: float, geo: bool, kind: int, beta: float, out: np.ndarray
) -> None:
    """Bound the degree-``p`` remainder per unit mass over a node and a target group.

    ``out[p]`` for every ``p < out.size`` (one ``M(kappa)`` per ``kappa`` serves all
    degrees).

    Parameters
    ----------
    rlo, rhi : float
        Bounds of ``|x - com|`` over the group's targets (coordinate units).
    r : float
        Bound of ``|delta|`` over the node's points of positive mass.
    geo, kind, beta
        Great-circle or planar; power or exponential decay and its parameter.
    out : ndarray, shape (p_max + 1,)
        Filled with ``min_kappa M(kappa) (u / kappa)^(p+1) / (1 - u / kappa)``, ``u
        = r / rlo`` (``inf`` where no ``kappa`` applies).
    """
    for j in range(out.size):
        out[j] = np.inf
    if rlo <= 0.0:
        return
    u = r / rlo
    ks = _KAPPA_POWER if kind == POWER else _KAPPA_EXP
    for kappa in ks:
        x = u / kappa
        if x >= 1.0:
            continue
        mm = _bound_m(kappa, rlo, rhi, geo, kind, beta)
        if not mm < np.inf:
            continue
        t = mm * x / (1.0 - x)
        for j in range(out.size):
            out[j] = min(out[j], t)
            t *= x


@jit()
def cauchy_bound(
    rlo: float, rhi: float, r: float, p: int, geo: bool, kind: int, beta: float
) -> float:
    """Return :func:`cauchy_bounds`'s bound of degree ``p`` alone (per unit mass)."""
    out = np.empty(p + 1)
    cauchy_bounds(rlo, rhi, r, geo, kind, beta, out)
    return out[p]
