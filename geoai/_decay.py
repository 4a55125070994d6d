"""One distance-decay specification for every subject: flows, potential, network.

A decay is named by ``decay`` and set either by a length scale or by the
kernel's own parameter ``beta``, whichever the analyst thinks in:

=========== ============================== ======================================
decay        by its scale                   by beta
=========== ============================== ======================================
power        (none: a power has no scale)   ``beta`` > 0, f(d) = d^-beta
exponential  ``scale`` s > 0, exp(-d / s)   ``beta`` = 1 / s (per unit of d)
gaussian     ``scale`` σ > 0, exp(-d²/2σ²)  ``beta`` = 1 / (2 σ²) (per unit²)
tanner       (none)                         ``beta=(a, b)``, f(d) = d^a exp(-b d)
box          ``scale`` = the cut-off        ``beta`` = the cut-off
=========== ============================== ======================================

Each subject names the scale for its distances (``scale_km`` for flows and
potential in km, ``scale`` for a street network's cost in its own units)
and calls :func:`decay_spec` once; the kernels of :mod:`geoai.kernels.decay`
get ``(kind, beta, a)``. A wrong combination gets one message everywhere.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple, TypeAlias

from geoai import _validate as v
from geoai.errors import InputError
from geoai.kernels import decay as kd

if TYPE_CHECKING:
    #: A decay's own parameter: one number, or Tanner's ``(a, b)``.
    DecayBeta: TypeAlias = float | tuple[float, float]

__all__ = ["DECAYS", "SCALED", "Decay", "decay_spec"]

#: Every decay geoai knows (a subject may accept fewer).
DECAYS = tuple(kd.KINDS)
#: The decays set by a length scale (or by beta); power and Tanner have none.
SCALED = ("exponential", "gaussian", "box")


class Decay(NamedTuple):
    """A validated decay: its name, the kernel's code and parameters, and its scale.

    Attributes
    ----------
    name : str
        ``"power"``, ``"exponential"``, ``"gaussian"``, ``"tanner"`` or ``"box"``.
    kind : int
        The code of :mod:`geoai.kernels.decay`.
    beta : float
        The kernel's parameter (see the module table).
    a : float
        Tanner's exponent (0 otherwise).
    scale : float or None
        The length scale in the caller's distance unit (exponential,
        gaussian and box), else None.
    """

    name: str
    kind: int
    beta: float
    a: float
    scale: float | None


def decay_spec(
    decay: str,
    *,
    scale: float | None = None,
    beta: DecayBeta | None = None,
    scale_name: str = "scale_km",
    unit: str = "km",
    allowed: tuple[str, ...] = DECAYS,
    power_beta: float | None = None,
    takes_beta: bool = True,
) -> Decay:
    """Validate a decay and its parameter, once, into a :class:`Decay`.

    Parameters
    ----------
    decay : str
        One of ``allowed``.
    scale : float, optional
        The length scale (in ``unit``) of an exponential, gaussian or box decay.
    beta : float or (float, float), optional
        The kernel's own parameter instead (see the module table).
    scale_name : str, default "scale_km"
        How the caller names ``scale`` (for the messages).
    unit : str, default "km"
        The unit of distances (for the messages).
    allowed : tuple of str
        The decays the caller accepts.
    power_beta : float, optional
        The exponent of a power decay given neither (e.g. 2 for gravity);
        None requires ``beta``.
    takes_beta : bool, default True
        Whether the caller accepts ``beta`` for the scaled decays (the
        messages offer it only then).

    Returns
    -------
    Decay

    Raises
    ------
    InputError
        For an unknown decay, both or neither of ``scale`` and ``beta`` where
        one is needed, a scale for a decay that has none, or a value out of
        range.

    Examples
    --------
    >>> decay_spec("exponential", scale=300.0).beta == decay_spec("exponential", beta=1 / 300).beta
    True
    >>> decay_spec("power", beta=1.0).kind, decay_spec("box", scale=5.0).beta
    (0, 5.0)
    """
    v.check_choice(decay, allowed, "decay")
    name = str(decay)
    if name not in SCALED:
        if scale is not None:
            raise InputError(
                f"decay={name!r} has no length scale; drop {scale_name}= and pass beta="
                + ("(a, b)." if name == "tanner" else "... (the exponent, > 0).")
            )
        if name == "tanner":
            return _tanner(beta)
        if beta is None:
            if power_beta is None:
                raise InputError("decay='power' needs beta=... (the exponent, > 0), e.g. beta=1.0.")
            beta = power_beta
        b = v.check_positive(beta, "beta")
        return Decay(name, kd.POWER, b, 0.0, None)
    if not takes_beta and scale is None:
        raise InputError(f"decay={name!r} takes {scale_name}=... ({unit}, > 0); none was given.")
    if (scale is None) == (beta is None):
        what = "both" if scale is not None else "neither"
        raise InputError(
            f"decay={name!r} takes {scale_name}=... ({unit}, > 0) or beta=... "
            f"({_beta_meaning(name, unit)}), not {what}; e.g. {scale_name}=300."
        )
    if scale is not None:
        s = v.check_positive(scale, scale_name)
    elif name == "exponential":
        s = 1.0 / v.check_positive(beta, "beta")
    elif name == "gaussian":
        s = math.sqrt(1.0 / (2.0 * v.check_positive(beta, "beta")))
    else:
        s = v.check_positive(beta, "beta")
    kernel_beta = {"exponential": 1.0 / s, "gaussian": 1.0 / (2.0 * s * s), "box": s}[name]
    return Decay(name, kd.KINDS[name], kernel_beta, 0.0, s)


def _beta_meaning(name: str, unit: str) -> str:
    return {
        "exponential": f"per {unit}, = 1 / scale",
        "gaussian": f"per {unit}², = 1 / (2 scale²)",
        "box": f"the cut-off in {unit}",
    }[name]


def _tanner(beta: object) -> Decay:
    if not isinstance(beta, tuple | list) or len(beta) != 2:
        raise InputError(
            f"decay='tanner' takes beta=(a, b) for f(c) = c**a * exp(-b c); got {beta!r}."
        )
    a = float(beta[0])
    if not math.isfinite(a):
        raise InputError(f"tanner exponent a must be finite; got {beta[0]!r}.")
    b = v.check_positive(beta[1], "tanner b", allow_zero=True)
    return Decay("tanner", kd.TANNER, b, a, None)
