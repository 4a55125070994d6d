"""Scalar bounds of the tree code: distance intervals of a node's ball, decay ranges, derivatives.

All take distances in km (``d``) or in the coordinates' own unit (``c``: the
chord between unit vectors, or planar km) and are inlined into the
traversals of :mod:`geoai.kernels.tree_sums`. The derivation of every bound is
in :func:`geoai.flows._tree.tree_matmat`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from geoai.kernels import jit
from geoai.kernels.decay import BOX, EXPONENTIAL, GAUSSIAN, POWER, TANNER, decay_value
from geoai.kernels.distance import EARTH_RADIUS_KM

if TYPE_CHECKING:
    from geoai.kernels.tree import Moments, Tree

__all__ = [
    "ball_gap",
    "chain",
    "decay_safe",
    "derivatives",
    "derivatives_of",
    "f_range",
    "hessian_sup",
    "km",
    "quadrupole",
    "third_sup",
]


@jit(inline="always")
def km(c: float, geo: bool) -> float:
    """Distance (km) of a chord (``geo``) or planar length ``c``; monotone increasing."""
    if geo:
        return 2.0 * EARTH_RADIUS_KM * np.arcsin(min(0.5 * c, 1.0))
    return c


@jit(inline="always")
def decay_safe(d: float, kind: int, beta: float, a: float) -> float:
    """``f(d)`` with the limits at d = 0 of the kinds that are infinite there."""
    if d <= 0.0 and (kind == POWER or (kind == TANNER and a < 0.0)):
        return np.inf
    if d <= 0.0 and kind == TANNER:
        return 1.0 if a == 0.0 else 0.0
    return decay_value(d, kind, beta, a)


@jit(inline="always")
def f_range(dlo: float, dhi: float, kind: int, beta: float, a: float) -> tuple[float, float]:
    """Smallest and largest ``f`` on ``[dlo, dhi]`` (km)."""
    if kind == BOX:
        return (1.0 if dhi <= beta else 0.0), (1.0 if dlo <= beta else 0.0)
    if kind == TANNER and a > 0.0:  # rises to its peak at d = a / beta, then falls
        peak = a / beta if beta > 0.0 else np.inf
        top = decay_safe(min(max(peak, dlo), dhi), kind, beta, a)
        return min(decay_safe(dlo, kind, beta, a), decay_safe(dhi, kind, beta, a)), top
    return decay_safe(dhi, kind, beta, a), decay_safe(dlo, kind, beta, a)


@jit(inline="always")
def hessian_sup(
    dlo: float, dhi: float, chi: float, geo: bool, kind: int, beta: float, a: float, f_lo: float
) -> float:
    """Bound ``sup |D^2 g|`` over a ball whose distances lie in ``[dlo, dhi]`` km (chord <= chi).

    ``g(y) = f(D(|x - y|))``; see :func:`geoai.flows._tree.tree_matmat` for
    the derivation. ``f_lo`` is ``f(dlo)`` (the caller has it: no second
    ``pow``/``exp``). ``inf`` where no bound holds (d = 0, box, Tanner a > 0).
    """
    if dlo <= 0.0 or kind == BOX or (kind == TANNER and a > 0.0):
        return np.inf
    if kind == POWER:
        slope = beta * f_lo / dlo  # sup |f'| = beta d^(-beta-1)
        tang = slope / dlo  # |f'| / d
        rad = (beta + 1.0) * tang  # |f''|
    elif kind == EXPONENTIAL:
        tang = beta * f_lo / dlo
        rad = beta * beta * f_lo
        slope = beta * f_lo
    elif kind == GAUSSIAN:
        u = beta * dlo * dlo
        tang = 2.0 * beta * f_lo
        rad = 2.0 * beta * ((2.0 * u + 1.0) * f_lo if u >= 0.5 else 2.0 * np.exp(-0.5))
        slope = 2.0 * beta * dhi * f_lo
    elif kind == TANNER:  # a <= 0: f, |f'| and |f''| all fall with d
        g1 = beta - a / dlo
        tang = f_lo * g1 / dlo
        rad = f_lo * (g1 * g1 - a / (dlo * dlo))
        slope = f_lo * g1
    else:
        return np.inf
    if not geo:
        return max(rad, tang)
    s = 1.0 - 0.25 * chi * chi
    if s <= 0.0:
        return np.inf
    d1 = EARTH_RADIUS_KM / np.sqrt(s)  # D'(chi): D' and D'' grow with the chord
    d2 = EARTH_RADIUS_KM * 0.25 * chi / (s * np.sqrt(s))
    return max(rad * d1 * d1 + slope * d2, tang * d1 * d1)


@jit(inline="always")
def derivatives(d: float, kind: int, beta: float) -> tuple[float, float, float, float]:
    """``f`` and its first three derivatives at ``d`` > 0 km (power and exponential only)."""
    return derivatives_of(d**-beta if kind == POWER else np.exp(-beta * d), d, kind, beta)


@jit(inline="always")
def derivatives_of(f: float, d: float, kind: int, beta: float) -> tuple[float, float, float, float]:
    """:func:`derivatives` from ``f = f(d)`` already at hand (power and exponential only)."""
    if kind == POWER:
        return (
            f,
            -beta * f / d,
            beta * (beta + 1.0) * f / (d * d),
            -beta * (beta + 1.0) * (beta + 2.0) * f / (d * d * d),
        )
    return f, -beta * f, beta * beta * f, -beta * beta * beta * f


@jit(inline="always")
def chain(c: float, geo: bool) -> tuple[float, float, float]:
    """Return the first three derivatives of the chord-to-km map at chord ``c`` (plane: 1, 0, 0)."""
    if not geo:
        return 1.0, 0.0, 0.0
    s = 1.0 - 0.25 * c * c
    if s <= 0.0:
        return np.inf, np.inf, np.inf
    r = EARTH_RADIUS_KM
    s15 = s * np.sqrt(s)
    return r / np.sqrt(s), r * 0.25 * c / s15, r * 0.25 / s15 + r * 0.1875 * c * c / (s15 * s)


@jit(inline="always")
def third_sup(
    clo: float, chi: float, dlo: float, f_lo: float, geo: bool, kind: int, beta: float
) -> float:
    """Bound the third directional derivative of ``g`` per ``|delta|^3`` over a node's ball.

    For ``g = h(rho)`` it is ``|h3| + (2 / sqrt 3) (|h2| / rho + |h1| / rho^2)`` (``hk`` the
    k-th derivative of ``h``); ``|f^(k)|`` fall with ``d`` (power, exponential) and the
    chord-to-km map's derivatives grow with the chord. ``f_lo`` is ``f(dlo)``.
    """
    if clo <= 0.0 or dlo <= 0.0:
        return np.inf
    _, f1, f2, f3 = derivatives_of(f_lo, dlo, kind, beta)
    a1, a2, a3 = abs(f1), abs(f2), abs(f3)
    d1, d2, d3 = chain(chi, geo)
    h3 = a3 * d1 * d1 * d1 + 3.0 * a2 * d1 * d2 + a1 * d3
    h2 = a2 * d1 * d1 + a1 * d2
    return h3 + 1.1548 * (h2 / clo + a1 * d1 / (clo * clo))


@jit(inline="always")
def quadrupole(
    mo: Moments, k: int, q: int, px: float, py: float, pz: float, geo: bool, kind: int, beta: float
) -> float:
    """Return the second-order Taylor estimate ``W h + H : M / 2`` of node ``q``, row ``k``."""
    ux = mo.com[k, 0, q] - px
    uy = mo.com[k, 1, q] - py
    uz = mo.com[k, 2, q] - pz
    rho = np.sqrt(ux * ux + uy * uy + uz * uz)
    f, f1, f2, _ = derivatives(km(rho, geo), kind, beta)
    d1, d2, _ = chain(rho, geo)
    h1 = f1 * d1
    h2 = f2 * d1 * d1 + f1 * d2
    ux, uy, uz = ux / rho, uy / rho, uz / rho
    qd = mo.quad
    umu = (
        qd[k, 0, q] * ux * ux
        + qd[k, 1, q] * uy * uy
        + qd[k, 2, q] * uz * uz
        + 2.0 * (qd[k, 3, q] * ux * uy + qd[k, 4, q] * ux * uz + qd[k, 5, q] * uy * uz)
    )
    trace = qd[k, 0, q] + qd[k, 1, q] + qd[k, 2, q]
    return mo.mass[k, q] * f + 0.5 * (h2 * umu + h1 / rho * (trace - umu))


@jit(inline="always")
def ball_gap(
    tree: Tree, q: int, px: float, py: float, pz: float, eps: float
) -> tuple[float, float]:
    """Return the padded interval ``[c_lo, c_hi]`` of distances from ``p`` to node ``q``'s ball."""
    ux = px - tree.centre[0, q]
    uy = py - tree.centre[1, q]
    uz = pz - tree.centre[2, q]
    c = np.sqrt(ux * ux + uy * uy + uz * uz)
    r = tree.radius[q]
    return max(c - r - eps, 0.0), c + r + eps
