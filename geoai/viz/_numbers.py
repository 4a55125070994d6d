"""Numbers written for people on legends: thousands separators, k/M/B, a unit."""

from __future__ import annotations

import math

__all__ = ["nice_steps", "readable"]

_SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"))
#: Units written before the number (currencies), the rest after it.
_PREFIX_UNITS = {"USD": "US$"}


def readable(value: float, unit: str = "") -> str:
    """Write a number as a reader does, with its unit.

    Parameters
    ----------
    value : float
        The number.
    unit : str
        Its unit ("people", "USD", ...); "USD" is written as a "US$" prefix.

    Returns
    -------
    str
        E.g. ``"12,300 people"``, ``"1.5 M people"``, ``"US$ 2.4 B"``.

    Examples
    --------
    >>> readable(12_345, "people"), readable(1_500_000, "people"), readable(2.4e9, "USD")
    ('12,345 people', '1.5 M people', 'US$ 2.4 B')
    >>> readable(0.25, "people")
    '0.25 people'
    """
    if not math.isfinite(value):
        text = "n/a"
    else:
        text = ""
        for scale, suffix in _SCALES:
            if abs(value) >= scale:
                text = f"{value / scale:,.3g} {suffix}".replace("e+", "e")
                break
        if not text:
            text = f"{value:,.0f}" if abs(value) >= 10 else f"{value:.2g}"
    if unit in _PREFIX_UNITS:
        return f"{_PREFIX_UNITS[unit]} {text}"
    return f"{text} {unit}".strip()


def nice_steps(top: float, count: int = 3) -> list[float]:
    """Round legend values below ``top``: the largest 1, 2 or 5 × 10^k at most ``top``, halved.

    Parameters
    ----------
    top : float
        The largest value on the map (> 0).
    count : int
        How many values.

    Returns
    -------
    list of float
        Decreasing round values, the first at most ``top``.

    Examples
    --------
    >>> nice_steps(8_700)
    [5000.0, 2000.0, 1000.0]
    """
    if not (math.isfinite(top) and top > 0):
        return []
    exponent = math.floor(math.log10(top))
    ladder = [m * 10.0**e for e in range(exponent, exponent - 6, -1) for m in (5.0, 2.0, 1.0)]
    steps = [x for x in ladder if x <= top * (1 + 1e-12)]
    return steps[:count]
