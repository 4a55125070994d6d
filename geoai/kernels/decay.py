"""The distance-decay family f(d), defined once for kernels and calibration.

=========== ======================= ==========================================
kind         f(d)                    parameters
=========== ======================= ==========================================
power        d^-beta                 beta > 0 (Harris, gravity); f(0) = inf
exponential  exp(-beta d)            beta > 0 (per km)
gaussian     exp(-beta d^2)          beta > 0 (per km²; beta = 1 / (2 sigma²))
tanner       d^a exp(-beta d)        a (usually < 0), beta >= 0
box          1 if d <= beta else 0   beta = the cut-off distance (km)
=========== ======================= ==========================================

``decay_value`` is the scalar device function every kernel calls; its integer
``kind`` codes are the ``KIND_*`` constants. The power form special-cases
beta = 1 and beta = 2, which avoid a ``pow`` (two transcendentals) per pair.
"""

from __future__ import annotations

import numpy as np

from geoai.kernels import jit

__all__ = [
    "BOX",
    "EXPONENTIAL",
    "GAUSSIAN",
    "KINDS",
    "POWER",
    "TANNER",
    "decay_array",
    "decay_value",
]

POWER = 0
EXPONENTIAL = 1
GAUSSIAN = 2
TANNER = 3
BOX = 4

#: Public names of the decay kinds and their kernel codes.
KINDS = {
    "power": POWER,
    "exponential": EXPONENTIAL,
    "gaussian": GAUSSIAN,
    "tanner": TANNER,
    "box": BOX,
}


@jit(inline="always")
def decay_value(d: float, kind: int, beta: float, a: float) -> float:
    """Return ``f(d)`` for one distance ``d`` (km); see the module table."""
    if kind == POWER:
        if beta == 2.0:
            return 1.0 / (d * d)
        if beta == 1.0:
            return 1.0 / d
        return d**-beta
    if kind == EXPONENTIAL:
        return np.exp(-beta * d)
    if kind == GAUSSIAN:
        return np.exp(-beta * d * d)
    if kind == TANNER:
        return d**a * np.exp(-beta * d)
    return 1.0 if d <= beta else 0.0


@jit()
def decay_array(d: np.ndarray, kind: int, beta: float, a: float) -> np.ndarray:
    """Apply :func:`decay_value` elementwise to a float array of any shape."""
    flat = d.ravel()
    out = np.empty(flat.size)
    for k in range(flat.size):
        out[k] = decay_value(flat[k], kind, beta, a)
    return out.reshape(d.shape)
