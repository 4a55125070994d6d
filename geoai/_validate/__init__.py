"""Checks run once at the public boundary.

Public functions call these helpers before handing plain arrays to kernels,
which trust their input. The CRS checks live in :mod:`geoai._validate._crs`
and the file checks in :mod:`geoai._validate._files`; every name is
importable from here. Each helper raises an :class:`~geoai.errors.InputError`
or :class:`~geoai.errors.CRSError` that names the argument, says what was
expected and what was given, and suggests the fix.
"""

from __future__ import annotations

import difflib
import math
import numbers
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np
import pandas as pd

from geoai._validate._crs import (
    as_crs,
    check_coords_crs,
    require_crs,
    require_geographic,
    require_projected,
)
from geoai._validate._files import check_input_file, read_toml, short
from geoai.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from numpy.typing import ArrayLike
    from pyproj import CRS

    from geoai._typing import FloatArray

__all__ = [
    "align_to_index",
    "as_coords",
    "as_crs",
    "as_mass",
    "check_choice",
    "check_coords_crs",
    "check_finite",
    "check_finite_number",
    "check_input_file",
    "check_integer",
    "check_nonempty",
    "check_positive",
    "check_same_length",
    "check_unique_ids",
    "index_of",
    "read_toml",
    "require_crs",
    "require_geographic",
    "require_projected",
    "short",
]

_T = TypeVar("_T")


def check_choice(value: _T, allowed: Iterable[object], name: str) -> _T:
    """Return ``value`` (unchanged) if it is one of ``allowed``, else raise InputError.

    A misspelt string gets the closest allowed value as a suggestion
    (:func:`difflib.get_close_matches`, or a match that differs only in case).

    Examples
    --------
    >>> check_choice("power", ("power", "exponential"), "decay")
    'power'
    >>> try:
    ...     check_choice("exponentail", ("power", "exponential"), "decay")
    ... except InputError as exc:
    ...     print(exc)
    unknown decay='exponentail'; expected one of 'power', 'exponential'. Did you mean 'exponential'?
    """
    allowed = tuple(allowed)
    try:
        known = any(value is a or bool(value == a) for a in allowed)
    except (TypeError, ValueError):  # an array or an odd object: never one of the options
        known = False
    if not known:
        options = ", ".join(repr(a) for a in allowed)
        raise InputError(
            f"unknown {name}={value!r}; expected one of {options}.{_suggest(value, allowed)}"
        )
    return value


def _suggest(value: object, allowed: tuple[object, ...]) -> str:
    """`` Did you mean 'x'?`` for a string close to one allowed string, else ``''``."""
    if not isinstance(value, str):
        return ""
    words = [a for a in allowed if isinstance(a, str)]
    same_case = [w for w in words if w.lower() == value.strip().lower()]
    close = same_case or difflib.get_close_matches(value, words, n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""


def check_integer(
    value: object, name: str, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return ``value`` as an int if it is a whole number in ``[minimum, maximum]``.

    Python and numpy integers are accepted, and so are floats with no
    fractional part (``1e4`` is a natural spelling of ten thousand). Refused,
    with a message naming ``name``: bools, fractional floats (never truncated
    silently), NaN, infinities, strings and anything else.

    Parameters
    ----------
    value : object
        The argument as given.
    name : str
        Its name, for the message.
    minimum, maximum : int, optional
        Inclusive bounds.

    Returns
    -------
    int

    Examples
    --------
    >>> check_integer(3, "top_k", minimum=0), check_integer(1e4, "max_iter", minimum=1)
    (3, 10000)
    >>> try:
    ...     check_integer(2.7, "top_k", minimum=0)
    ... except InputError as exc:
    ...     print(exc)
    top_k must be a whole number; got 2.7, which would be truncated. Pass an int, e.g. 2 or 3.
    """
    if isinstance(value, bool | np.bool_):
        raise InputError(f"{name} must be a whole number; got the bool {value!r}. Pass an int.")
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, int | np.integer):
        out = int(value)
    elif isinstance(value, float | np.floating):
        f = float(value)
        if not np.isfinite(f):
            raise InputError(f"{name} must be a whole number; got {value!r}. Pass a finite int.")
        if not f.is_integer():
            lo = int(np.floor(f))
            raise InputError(
                f"{name} must be a whole number; got {short(value)}, which would be truncated. "
                f"Pass an int, e.g. {lo} or {lo + 1}."
            )
        out = int(f)
    else:
        raise InputError(
            f"{name} must be a whole number; got {type(value).__name__} {short(value)}. "
            "Pass an int."
        )
    if minimum is not None and out < minimum:
        raise InputError(f"{name} must be >= {minimum}; got {short(value)}.")
    if maximum is not None and out > maximum:
        raise InputError(f"{name} must be <= {maximum}; got {short(value)}.")
    return out


def check_finite_number(value: object, name: str) -> float:
    """Return ``value`` as a float if it is a finite real number (not a bool or a string).

    Examples
    --------
    >>> check_finite_number(np.float32(0.5), "alpha")
    0.5
    >>> try:
    ...     check_finite_number(float("nan"), "alpha")
    ... except InputError as exc:
    ...     print(exc)
    alpha must be a finite number; got nan. Pass a real number such as 1.0.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise InputError(
            f"{name} must be a finite number; got {type(value).__name__} {short(value)}. "
            "Pass a real number such as 1.0."
        )
    try:
        out = float(value)
    except OverflowError:  # an int beyond float range, e.g. 10**400
        out = math.inf
    if not np.isfinite(out):
        raise InputError(
            f"{name} must be a finite number; got {short(value)}. Pass a real number such as 1.0."
        )
    return out


def check_nonempty(n: int, name: str) -> None:
    """Raise InputError when an input has no rows."""
    if n == 0:
        raise InputError(f"{name} is empty; pass at least one row.")


def check_positive(value: object, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as float if it is a finite number > 0 (or >= 0).

    Strings and bools are refused (``"300"`` is not silently read as 300).
    """
    if isinstance(value, str | bytes | bool | np.bool_):
        raise InputError(f"{name} must be a number; got {type(value).__name__} {short(value)}.")
    try:
        v = float(value)  # type: ignore[arg-type]  # any object: float() decides, errors caught
    except OverflowError:  # an int beyond float range
        v = math.inf
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number; got {short(value)}.") from None
    bad = not np.isfinite(v) or (v < 0 if allow_zero else v <= 0)
    if bad:
        bound = ">= 0" if allow_zero else "> 0"
        raise InputError(f"{name} must be finite and {bound}; got {short(value)}.")
    return v


def check_same_length(**arrays: Sequence[Any] | np.ndarray) -> int:
    """Raise InputError unless every keyword argument has the same length."""
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        desc = ", ".join(f"{k} has {n}" for k, n in lengths.items())
        raise InputError(f"length mismatch: {desc}; they must be aligned row by row.")
    return next(iter(lengths.values()), 0)


def check_finite(values: np.ndarray, name: str) -> None:
    """Raise InputError naming the first positions that are NaN or infinite."""
    bad = ~np.isfinite(values)
    if bad.any():
        where = np.flatnonzero(bad)
        raise InputError(
            f"{name} has {where.size} NaN or infinite value(s) (first at positions "
            f"{where[:5].tolist()}); drop or fill them before calling."
        )


def index_of(points: object) -> pd.Index | None:
    """Return the row labels of a pandas object (GeoDataFrame, GeoSeries), else None."""
    return points.index if isinstance(points, pd.DataFrame | pd.Series) else None


def align_to_index(values: _T, index: pd.Index | None, name: str) -> _T:
    """Put a pandas Series into the order of ``index`` (the points' rows), or refuse it.

    Anything that is not a Series, or no ``index``, is returned unchanged
    (arrays have no labels: their order is their meaning). A Series is:

    * returned as it is when its index equals ``index``;
    * reordered when it holds the same unique labels in another order;
    * taken by position when its index is the default ``RangeIndex(0, n)``
      and the labels are not a permutation of ``index`` (a Series built from
      a plain list carries no labels to align);
    * refused otherwise, with an :class:`InputError` naming a few labels
      that are missing or extra.

    Parameters
    ----------
    values : object
        The argument as given.
    index : pandas.Index or None
        Row labels of the points, length ``n``.
    name : str
        Argument name for the message.

    Returns
    -------
    object
        ``values``, reordered when it is a Series with the labels of ``index``.

    Examples
    --------
    >>> idx = pd.Index(["a", "b", "c"])
    >>> align_to_index(pd.Series([3.0, 1.0, 2.0], index=["c", "a", "b"]), idx, "mass").tolist()
    [1.0, 2.0, 3.0]
    """
    if index is None or not isinstance(values, pd.Series):
        return values
    own = values.index
    if own.equals(index):
        return values
    if own.is_unique and index.is_unique and len(own) == len(index) and own.isin(index).all():
        return cast("_T", values.reindex(index))  # a Series stays a Series
    if isinstance(own, pd.RangeIndex) and own.start == 0 and own.step == 1:
        return values
    if not own.is_unique and len(own) == len(index) and own.isin(index).all():
        dup = own[own.duplicated()].unique()[:5].tolist()
        raise InputError(
            f"{name} is a pandas Series with repeated index labels (e.g. {dup}), so it cannot "
            "be aligned to the points; de-duplicate it or pass values in the points' order."
        )
    missing = index[~index.isin(own)]
    extra = own[~own.isin(index)]
    raise InputError(
        f"{name} is a pandas Series whose index does not match the points' index: "
        f"{missing.size} point label(s) have no value (e.g. {missing[:3].tolist()}) and "
        f"{extra.size} label(s) are not points (e.g. {extra[:3].tolist()}); reindex it with "
        f"{name}.reindex(points.index) or pass {name}.to_numpy() in the points' order."
    )


def as_mass(
    values: ArrayLike,
    name: str = "mass",
    *,
    n: int | None = None,
    index: pd.Index | None = None,
    allow_zero_sum: bool = False,
) -> FloatArray:
    """Return ``values`` as a 1-D float64 array of finite, non-negative masses.

    Parameters
    ----------
    values : array-like
        Masses (people, jobs, USD), one per point.
    name : str
        Argument name used in error messages.
    n : int, optional
        Expected length (default ``len(index)`` when ``index`` is given).
    index : pandas.Index, optional
        Row labels of the points: a Series is aligned to them by label
        (see :func:`align_to_index`), never used by position by surprise.
    allow_zero_sum : bool
        Whether all-zero masses are acceptable.

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``, dtype float64, in the order of ``index`` when given.

    Examples
    --------
    >>> points = pd.Index(["x", "y"])
    >>> as_mass(pd.Series({"y": 5, "x": 2}), "population", n=2, index=points).tolist()
    [2.0, 5.0]
    """
    if index is not None and n is None:
        n = len(index)
    if isinstance(values, pd.Series | pd.Index):
        if not pd.api.types.is_numeric_dtype(values.dtype):
            raise InputError(
                f"{name} must be numeric; got dtype {values.dtype}. Convert it with "
                "pandas.to_numeric()."
            )
        if n is not None and len(values) != n:
            raise InputError(f"{name} has {len(values)} values but {n} points were given.")
        values = align_to_index(values, index, name).to_numpy(dtype=float, na_value=np.nan)
    try:
        arr = np.asarray(values, dtype=np.float64)
    except OverflowError:  # an int beyond float range
        raise InputError(f"{name} has a value beyond float range; rescale the values.") from None
    except (TypeError, ValueError):
        raise InputError(f"{name} must be numeric; got {type(values).__name__}.") from None
    if arr.ndim != 1:
        raise InputError(f"{name} must be one-dimensional; got shape {arr.shape}.")
    check_nonempty(arr.size, name)
    if n is not None and arr.size != n:
        raise InputError(f"{name} has {arr.size} values but {n} points were given.")
    check_finite(arr, name)
    neg = np.flatnonzero(arr < 0)
    if neg.size:
        raise InputError(
            f"{name} has {neg.size} negative value(s) (first at positions "
            f"{neg[:5].tolist()}); masses must be >= 0."
        )
    if not allow_zero_sum and not arr.any():  # masses are >= 0: all zero; no overflow
        raise InputError(f"{name} sums to zero; at least one mass must be positive.")
    return arr


def check_unique_ids(ids: ArrayLike, name: str = "ids") -> None:
    """Raise InputError listing duplicated identifiers."""
    s = pd.Series(np.asarray(ids))
    dup = s[s.duplicated(keep=False)]
    if not dup.empty:
        sample = sorted(map(str, dup.unique()))[:5]
        raise InputError(
            f"{name} must be unique; {dup.nunique()} value(s) repeat, e.g. {sample}. "
            "De-duplicate or aggregate the rows first."
        )


def as_coords(points: object, name: str = "points") -> tuple[FloatArray, FloatArray, CRS]:
    """Return ``(x, y, crs)`` from a GeoDataFrame or GeoSeries of geometries.

    Points are used as they are; other geometries are represented by their
    representative point (always inside the geometry). Empty or missing
    geometries are an error.
    """
    import geopandas as gpd

    if not isinstance(points, gpd.GeoDataFrame | gpd.GeoSeries):
        raise InputError(
            f"{name} must be a GeoDataFrame or GeoSeries; got {type(points).__name__}. "
            "Build one with geopandas.points_from_xy(x, y, crs=...)."
        )
    crs = require_crs(points, name)
    geom = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    check_nonempty(len(geom), name)
    missing = np.flatnonzero(geom.isna().to_numpy() | geom.is_empty.to_numpy())
    if missing.size:
        raise InputError(
            f"{name} has {missing.size} missing or empty geometries (first at positions "
            f"{missing[:5].tolist()}); drop them first."
        )
    if not (geom.geom_type == "Point").all():
        geom = geom.representative_point()
    x = geom.x.to_numpy(dtype=np.float64)
    y = geom.y.to_numpy(dtype=np.float64)
    check_finite(x, f"{name} x coordinates")
    check_finite(y, f"{name} y coordinates")
    check_coords_crs(x, y, crs, name)
    return x, y, crs
