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

``decay_value`` is the scalar definition (libm, exact IEEE behaviour for
``inf`` costs): it serves cost matrices and the diagonal of point kernels.
``apply_decay`` transforms a buffer of distances in place with the kind chosen
outside the loop and the vectorisable :mod:`~geoai.kernels.fastmath`
functions; the hottest loops fuse distance and decay in one loop
(:func:`geoai.kernels.interaction._decay_row`). Both are tested against
``decay_value``. All special-case beta = 1 and beta = 2 for the power form.
"""

from __future__ import annotations

import numpy as np

from geoai.kernels import Index, jit
from geoai.kernels.fastmath import fast_exp, fast_log

__all__ = [
    "BOX",
    "EXPONENTIAL",
    "GAUSSIAN",
    "KINDS",
    "POWER",
    "TANNER",
    "apply_decay",
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
    """Return ``f(d)`` for one distance ``d`` (km); see the module table.

    Examples
    --------
    >>> decay_value(2.0, POWER, 2.0, 0.0), round(decay_value(300.0, EXPONENTIAL, 1 / 300, 0.0), 6)
    (0.25, 0.367879)
    >>> decay_value(0.0, POWER, 2.0, 0.0), decay_value(50.0, BOX, 50.0, 0.0)
    (inf, 1.0)
    """
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
    """Apply :func:`decay_value` elementwise to a float array of any shape.

    Examples
    --------
    >>> import numpy as np
    >>> decay_array(np.array([[0.0, 1.0], [2.0, 3.0]]), BOX, 2.0, 0.0).tolist()
    [[1.0, 1.0], [1.0, 0.0]]
    """
    flat = d.ravel()
    out = np.empty(flat.size)
    for k in range(flat.size):
        out[k] = decay_value(flat[k], kind, beta, a)
    return out.reshape(d.shape)


@jit()
def apply_decay(
    buf: np.ndarray, start: Index, stop: Index, kind: int, beta: float, a: float
) -> None:
    """Replace the finite distances ``buf[start:stop]`` (km) by ``f(d)`` in place.

    Examples
    --------
    >>> import numpy as np
    >>> buf = np.array([1.0, 2.0, 4.0])
    >>> apply_decay(buf, 1, 3, POWER, 1.0, 0.0)  # 1/d from position 1 on
    >>> buf.tolist()
    [1.0, 0.5, 0.25]
    >>> buf = np.array([0.0, 100.0])
    >>> apply_decay(buf, 0, 2, EXPONENTIAL, 0.01, 0.0)
    >>> bool(np.allclose(buf, np.exp(-0.01 * np.array([0.0, 100.0])), rtol=1e-14))
    True
    """
    if kind == POWER:
        if beta == 2.0:
            for j in range(start, stop):
                d = buf[j]
                buf[j] = 1.0 / (d * d)
        elif beta == 1.0:
            for j in range(start, stop):
                buf[j] = 1.0 / buf[j]
        else:
            for j in range(start, stop):
                d = buf[j]
                f = fast_exp(-beta * fast_log(d))
                buf[j] = np.inf if d == 0.0 else f
    elif kind == EXPONENTIAL:
        for j in range(start, stop):
            buf[j] = fast_exp(-beta * buf[j])
    elif kind == GAUSSIAN:
        for j in range(start, stop):
            d = buf[j]
            buf[j] = fast_exp(-beta * d * d)
    elif kind == TANNER:
        at_zero = np.inf if a < 0.0 else (1.0 if a == 0.0 else 0.0)
        for j in range(start, stop):
            d = buf[j]
            f = fast_exp(a * fast_log(d) - beta * d)
            buf[j] = at_zero if d == 0.0 else f
    else:
        for j in range(start, stop):
            buf[j] = 1.0 if buf[j] <= beta else 0.0
