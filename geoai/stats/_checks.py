"""Scalar checks of :mod:`geoai.stats` and :mod:`geoai.network` that hold for any value.

:mod:`geoai._validate` does the shared work; these helpers put in front of
it the cases a careless or hostile caller can pass and that must still end
in an :class:`~geoai.errors.InputError` naming the argument and the fix:

* bools and strings where a number is meant (``True`` is not one km, ``"2"``
  is not two);
* integers too large for a float or an int64 (``10**5000``), which make
  ``float()`` raise ``OverflowError`` and whose ``repr`` is refused by
  Python above 4,300 digits: messages show them by their number of digits;
* unhashable column names and node ids (lists), which make pandas raise
  ``TypeError``.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING

import numpy as np

from geoai import _validate as v
from geoai.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Hashable

__all__ = ["flag", "hashable", "level", "number", "positive", "shown", "whole"]

#: Integers at least this large in magnitude are refused before any conversion.
_HUGE_INT = 2**63
#: The longest ``repr`` a message shows before cutting it.
_SHOWN = 60


def shown(value: object) -> str:
    """Return a short ``repr`` of ``value`` for an error message, never raising.

    Parameters
    ----------
    value : object
        Anything a caller passed.

    Returns
    -------
    str
        ``repr(value)``, cut to 60 characters; an integer of more than 18
        digits is described by its number of digits instead.

    Examples
    --------
    >>> shown(2.5), shown(10**5000)
    ('2.5', 'an integer of 5001 digits')
    """
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        big = abs(int(value))
        if big >= 10**18:
            digits = int(big.bit_length() * math.log10(2))  # str() refuses > 4,300 digits
            return f"an integer of {digits + (big >= 10**digits)} digits"
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a repr that fails must not hide the real message
        text = f"<{type(value).__name__}>"
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _huge(value: object) -> bool:
    return (
        isinstance(value, int | np.integer)
        and not isinstance(value, bool)
        and abs(int(value)) >= _HUGE_INT
    )


def whole(
    value: object,
    name: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    hint: str = "",
) -> int:
    """Return ``value`` as an int in ``[minimum, maximum]``, else raise InputError.

    Whole floats (``3.0``, ``1e4``) are accepted, as by
    :func:`geoai._validate.check_integer`; bools, fractions, NaN, strings and
    integers beyond int64 are refused with a message naming ``name``.

    Parameters
    ----------
    value : object
        The argument as given.
    name : str
        Its name, for the message.
    minimum, maximum : int, optional
        Inclusive bounds.
    hint : str, optional
        What the argument is, appended to the message (``"999 is usual"``).

    Returns
    -------
    int

    Examples
    --------
    >>> whole(3.0, "k", minimum=1)
    3
    >>> try:
    ...     whole(10**5000, "permutations", minimum=0)
    ... except InputError as exc:
    ...     print(exc)
    permutations must be a whole number below 2**63; got an integer of 5001 digits.
    """
    if _huge(value):
        raise InputError(
            _hinted(f"{name} must be a whole number below 2**63; got {shown(value)}.", hint)
        )
    try:
        out = v.check_integer(value, name, minimum=minimum, maximum=maximum)
    except InputError as exc:
        raise InputError(_hinted(str(exc), hint)) from None
    if abs(out) >= _HUGE_INT:  # a whole float such as 1e308
        raise InputError(
            _hinted(f"{name} must be a whole number below 2**63; got {shown(value)}.", hint)
        )
    return out


def _hinted(message: str, hint: str) -> str:
    return f"{message.rstrip('.')}; {hint}." if hint else message


def number(value: object, name: str, *, hint: str = "") -> float:
    """Return ``value`` as a finite float; bools, strings and huge integers are refused.

    Parameters
    ----------
    value : object
        The argument as given.
    name : str
        Its name, for the message.
    hint : str, optional
        An example of a good value, for the message (``"e.g. 0.05"``).

    Returns
    -------
    float

    Examples
    --------
    >>> number(np.int64(3), "cutoff")
    3.0
    >>> try:
    ...     number("2", "cutoff")
    ... except InputError as exc:
    ...     print(exc)
    cutoff must be a finite number; got str '2'. Pass a real number such as 1.0.
    """
    fix = f"Pass a real number {hint or 'such as 1.0'}."
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        try:
            float(value)
        except OverflowError:
            raise InputError(
                f"{name} must be a finite number; got {shown(value)}, beyond the range of a "
                f"float. {fix}"
            ) from None
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise InputError(
            f"{name} must be a finite number; got {type(value).__name__} {shown(value)}. {fix}"
        )
    out = float(value)
    if not np.isfinite(out):
        raise InputError(f"{name} must be a finite number; got {shown(value)}. {fix}")
    return out


def positive(value: object, name: str, *, allow_zero: bool = False, unit: str = "") -> float:
    """Return ``value`` as a float that is finite and > 0 (or >= 0), else raise InputError.

    Parameters
    ----------
    value : object
        The argument as given.
    name : str
        Its name, for the message.
    allow_zero : bool, default False
        Whether 0 is acceptable.
    unit : str, optional
        Its unit, for the message (``"km"``).

    Returns
    -------
    float

    Examples
    --------
    >>> positive(250, "max_distance", unit="m")
    250.0
    >>> try:
    ...     positive(True, "distance_km", unit="km")
    ... except InputError as exc:
    ...     print(exc)
    distance_km must be a finite number; got bool True. Pass a real number in km.
    """
    x = number(value, name, hint=f"in {unit}" if unit else "")
    if x < 0 or (x == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise InputError(
            f"{name} must be finite and {bound}; got {shown(value)}"
            f"{'. Pass a distance in ' + unit if unit else ''}."
        )
    return x


def level(value: object, name: str, hint: str = "") -> float:
    """Return a probability level in the open interval (0, 1), else raise InputError.

    Parameters
    ----------
    value : object
        The argument as given (``alpha``, ``fdr``).
    name : str
        Its name, for the message.
    hint : str, optional
        Appended to the message (``", or None for unadjusted p-values"``).

    Returns
    -------
    float

    Examples
    --------
    >>> level(0.05, "alpha")
    0.05
    >>> try:
    ...     level(1, "alpha")
    ... except InputError as exc:
    ...     print(exc)
    alpha must be in (0, 1), e.g. 0.05; got 1.
    """
    try:
        a = number(value, name)
    except InputError:
        raise InputError(
            f"{name} must be a number in (0, 1), e.g. 0.05{hint}; got {shown(value)}."
        ) from None
    if not 0 < a < 1:
        raise InputError(f"{name} must be in (0, 1), e.g. 0.05{hint}; got {shown(value)}.")
    return a


def flag(value: object, name: str) -> bool:
    """Return ``value`` if it is a bool (Python or NumPy), else raise InputError.

    Examples
    --------
    >>> flag(np.True_, "star")
    True
    >>> try:
    ...     flag("no", "star")
    ... except InputError as exc:
    ...     print(exc)
    star must be True or False; got 'no'.
    """
    if not isinstance(value, bool | np.bool_):
        raise InputError(f"{name} must be True or False; got {shown(value)}.")
    return bool(value)


def hashable(value: Hashable, name: str) -> Hashable:
    """Return ``value`` if it can be a label (a column name, a node id), else raise InputError.

    Examples
    --------
    >>> hashable("jobs", "column")
    'jobs'
    >>> try:
    ...     hashable(["jobs"], "column")
    ... except InputError as exc:
    ...     print(exc)
    column must be a single label (a column name or an id); got the list ['jobs'].
    """
    try:
        hash(value)
    except TypeError:
        raise InputError(
            f"{name} must be a single label (a column name or an id); got the "
            f"{type(value).__name__} {shown(value)}."
        ) from None
    return value
