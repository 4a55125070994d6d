"""Fused distance and decay along one row of points: the innermost loop of the pair kernels.

:func:`_decay_row` writes ``f(d_ij)`` from one point to a range of points, one loop
per geometry and decay kind with both choices made outside the loop, so each loop is
straight-line arithmetic that LLVM vectorises. Re-exported by
:mod:`geoai.kernels.interaction`, where the other kernels find it.
"""

from __future__ import annotations

import numpy as np

from geoai.kernels import jit
from geoai.kernels.decay import EXPONENTIAL, GAUSSIAN, POWER, TANNER
from geoai.kernels.distance import chord_to_km
from geoai.kernels.fastmath import fast_exp, fast_log

__all__: list[str] = []  # private kernels, imported by name


@jit(inline="always")
def _great_circle(
    px: float, py: float, pz: float, bx: np.ndarray, by: np.ndarray, bz: np.ndarray, j: int
) -> float:
    dx = px - bx[j]
    dy = py - by[j]
    dz = pz - bz[j]
    return chord_to_km(np.sqrt(dx * dx + dy * dy + dz * dz))


@jit(inline="always")
def _planar(px: float, py: float, bx: np.ndarray, by: np.ndarray, j: int) -> float:
    dx = px - bx[j]
    dy = py - by[j]
    return np.sqrt(dx * dx + dy * dy)


@jit()
def _decay_row(
    px: float,
    py: float,
    pz: float,
    cx: np.ndarray,
    cy: np.ndarray,
    cz: np.ndarray,
    start: int | np.int64,  # np.int64(0), not a literal 0: one compiled signature
    stop: int,
    geo: bool,
    kind: int,
    beta: float,
    a: float,
    out: np.ndarray,
) -> None:
    """Write ``f(d)`` from point ``(px, py, pz)`` to points ``start:stop`` into ``out``.

    Distance and decay are fused in one loop per geometry and kind, with both
    choices made outside the loop: each loop is then straight-line arithmetic
    that LLVM vectorises, about twice as fast as a distance pass followed by
    a decay pass (:func:`~geoai.kernels.decay.apply_decay`, used where rows are
    not the hot loop).
    """
    if geo:
        _decay_row_sphere(px, py, pz, cx, cy, cz, start, stop, kind, beta, a, out)
    else:
        _decay_row_plane(px, py, cx, cy, start, stop, kind, beta, a, out)


@jit()
def _decay_row_sphere(
    px: float,
    py: float,
    pz: float,
    bx: np.ndarray,
    by: np.ndarray,
    bz: np.ndarray,
    start: int | np.int64,  # np.int64(0), not a literal 0: one compiled signature
    stop: int,
    kind: int,
    beta: float,
    a: float,
    out: np.ndarray,
) -> None:
    """:func:`_decay_row` for unit vectors (great-circle km)."""
    zero = np.inf if a < 0.0 else (1.0 if a == 0.0 else 0.0)  # tanner at d = 0
    if kind == POWER and beta == 2.0:
        for j in range(start, stop):
            d = _great_circle(px, py, pz, bx, by, bz, j)
            out[j] = 1.0 / (d * d)
    elif kind == POWER and beta == 1.0:
        for j in range(start, stop):
            out[j] = 1.0 / _great_circle(px, py, pz, bx, by, bz, j)
    elif kind == POWER:
        for j in range(start, stop):
            d = _great_circle(px, py, pz, bx, by, bz, j)
            f = fast_exp(-beta * fast_log(d))
            out[j] = np.inf if d == 0.0 else f
    elif kind == EXPONENTIAL:
        for j in range(start, stop):
            out[j] = fast_exp(-beta * _great_circle(px, py, pz, bx, by, bz, j))
    elif kind == GAUSSIAN:
        for j in range(start, stop):
            d = _great_circle(px, py, pz, bx, by, bz, j)
            out[j] = fast_exp(-beta * d * d)
    elif kind == TANNER:
        for j in range(start, stop):
            d = _great_circle(px, py, pz, bx, by, bz, j)
            f = fast_exp(a * fast_log(d) - beta * d)
            out[j] = zero if d == 0.0 else f
    else:
        for j in range(start, stop):
            out[j] = 1.0 if _great_circle(px, py, pz, bx, by, bz, j) <= beta else 0.0


@jit()
def _decay_row_plane(
    px: float,
    py: float,
    bx: np.ndarray,
    by: np.ndarray,
    start: int | np.int64,  # np.int64(0), not a literal 0: one compiled signature
    stop: int,
    kind: int,
    beta: float,
    a: float,
    out: np.ndarray,
) -> None:
    """:func:`_decay_row` for planar coordinates (km)."""
    zero = np.inf if a < 0.0 else (1.0 if a == 0.0 else 0.0)  # tanner at d = 0
    if kind == POWER and beta == 2.0:
        for j in range(start, stop):
            d = _planar(px, py, bx, by, j)
            out[j] = 1.0 / (d * d)
    elif kind == POWER and beta == 1.0:
        for j in range(start, stop):
            out[j] = 1.0 / _planar(px, py, bx, by, j)
    elif kind == POWER:
        for j in range(start, stop):
            d = _planar(px, py, bx, by, j)
            f = fast_exp(-beta * fast_log(d))
            out[j] = np.inf if d == 0.0 else f
    elif kind == EXPONENTIAL:
        for j in range(start, stop):
            out[j] = fast_exp(-beta * _planar(px, py, bx, by, j))
    elif kind == GAUSSIAN:
        for j in range(start, stop):
            d = _planar(px, py, bx, by, j)
            out[j] = fast_exp(-beta * d * d)
    elif kind == TANNER:
        for j in range(start, stop):
            d = _planar(px, py, bx, by, j)
            f = fast_exp(a * fast_log(d) - beta * d)
            out[j] = zero if d == 0.0 else f
    else:
        for j in range(start, stop):
            out[j] = 1.0 if _planar(px, py, bx, by, j) <= beta else 0.0
