"""Checks run once at the public boundary.

Public functions call these helpers before handing plain arrays to kernels,
which trust their input. Each helper raises an :class:`~geoai.errors.InputError`
or :class:`~geoai.errors.CRSError` that names the argument, says what was
expected and what was given, and suggests the fix.
"""

from __future__ import annotations

import difflib
import numbers
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np
import pandas as pd
from pyproj import CRS
from pyproj.exceptions import ProjError

from geoai.errors import CRSError, InputError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from numpy.typing import ArrayLike

    from geoai._typing import FloatArray, PathLike

__all__ = [
    "align_to_index",
    "as_coords",
    "as_crs",
    "as_mass",
    "check_choice",
    "check_coords_crs",
    "check_finite",
    "check_finite_number",
    "check_integer",
    "check_nonempty",
    "check_positive",
    "check_same_length",
    "check_unique_ids",
    "index_of",
    "require_crs",
    "require_geographic",
    "require_projected",
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
                f"{name} must be a whole number; got {value!r}, which would be truncated. "
                f"Pass an int, e.g. {lo} or {lo + 1}."
            )
        out = int(f)
    else:
        raise InputError(
            f"{name} must be a whole number; got {type(value).__name__} {value!r}. Pass an int."
        )
    if minimum is not None and out < minimum:
        raise InputError(f"{name} must be >= {minimum}; got {value!r}.")
    if maximum is not None and out > maximum:
        raise InputError(f"{name} must be <= {maximum}; got {value!r}.")
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
            f"{name} must be a finite number; got {type(value).__name__} {value!r}. "
            "Pass a real number such as 1.0."
        )
    out = float(value)
    if not np.isfinite(out):
        raise InputError(
            f"{name} must be a finite number; got {value!r}. Pass a real number such as 1.0."
        )
    return out


def check_nonempty(n: int, name: str) -> None:
    """Raise InputError when an input has no rows."""
    if n == 0:
        raise InputError(f"{name} is empty; pass at least one row.")


def check_positive(value: object, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as float if it is finite and > 0 (or >= 0)."""
    try:
        v = float(value)  # type: ignore[arg-type]  # any object: float() decides, errors caught
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number; got {value!r}.") from None
    bad = not np.isfinite(v) or (v < 0 if allow_zero else v <= 0)
    if bad:
        bound = ">= 0" if allow_zero else "> 0"
        raise InputError(f"{name} must be finite and {bound}; got {value!r}.")
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
    if not allow_zero_sum and arr.sum() == 0:
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


def as_crs(crs: object, name: str = "crs") -> CRS:
    """Parse anything pyproj understands into a :class:`pyproj.CRS`."""
    if crs is None:
        raise CRSError(
            f"{name} is missing; pass a CRS such as 'EPSG:4326' (lon/lat degrees) or a "
            "projected CRS in metres."
        )
    try:
        return CRS.from_user_input(crs)
    except (ProjError, TypeError, ValueError) as exc:  # CRSError; odd objects raise the others
        raise CRSError(f"{name}={crs!r} is not a CRS pyproj understands: {exc}") from None


def require_crs(gdf: object, name: str = "points") -> CRS:
    """Return the CRS of a GeoDataFrame/GeoSeries, raising CRSError if it has none."""
    crs = getattr(gdf, "crs", None)
    if crs is None:
        raise CRSError(
            f"{name} has no CRS; set it with {name}.set_crs('EPSG:4326') for lon/lat, "
            "or the projected CRS of your coordinates."
        )
    return CRS.from_user_input(crs)


def require_projected(crs: object, what: str) -> CRS:
    """Raise CRSError unless ``crs`` is projected (metric distances)."""
    c = as_crs(crs)
    if not c.is_projected:
        raise CRSError(
            f"{what} needs a projected CRS with metric units, but got {c.name} "
            f"({c.to_string()}), which is geographic (lon/lat). Reproject first, e.g. "
            "gdf.to_crs(gdf.estimate_utm_crs()) or an equal-area CRS such as 'ESRI:54009'."
        )
    return c


def require_geographic(crs: object, what: str) -> CRS:
    """Raise CRSError unless ``crs`` is geographic (longitude/latitude)."""
    c = as_crs(crs)
    if not c.is_geographic:
        raise CRSError(
            f"{what} needs longitude/latitude coordinates, but got the projected CRS "
            f"{c.name}. Reproject first with .to_crs('EPSG:4326')."
        )
    return c


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


#: Linear units in which a projected CRS's false origin neighbourhood is tiny (< 400 m).
_SMALL_UNITS = frozenset({"metre", "meter", "foot", "US survey foot", "British foot (1936)"})


def check_coords_crs(
    x: FloatArray, y: FloatArray, crs: CRS, name: str, *, given_as: str = "frame"
) -> None:
    """Raise CRSError when coordinates contradict their CRS.

    Two contradictions are caught:

    * a **geographic** CRS with ``|y| > 90`` or ``|x| > 360``: these are not degrees;
    * a **projected** CRS with coordinates that look like longitude/latitude
      degrees. The rule, all of which must hold:

      1. the CRS is projected in metres or feet;
      2. at least two distinct points, all with ``|x| <= 180`` and ``|y| <= 90``;
      3. the CRS records an area of use, and read as lon/lat some of the points
         lie inside it (1° margin).

      Read in metres, the points of (2) all sit within 360 m × 180 m of the
      projection's false origin; real data would need two or more places
      crowded into that patch *and* a region whose lon/lat box covers the same
      numbers (for a world CRS such as EPSG:3857: the open sea off West
      Africa). Toy coordinates near the false origin of a regional CRS (0-100 m
      in the Finnish EPSG:3067) are not flagged, nor are custom CRSs without an
      area of use (local engineering grids) or a single point.

    Parameters
    ----------
    x, y : numpy.ndarray, shape (n,)
        Finite coordinates in the units of ``crs``.
    crs : pyproj.CRS
        Their declared CRS.
    name : str
        Argument name for the message.
    given_as : {"frame", "xy"}
        Whether they came from a GeoDataFrame/GeoSeries (the fix is
        ``set_crs``) or as ``(x, y)`` arrays (the fix is ``crs=``).

    Examples
    --------
    >>> lon, lat = np.array([-74.0, 139.7]), np.array([40.7, 35.7])
    >>> try:
    ...     check_coords_crs(lon, lat, CRS("EPSG:3857"), "metros")
    ... except CRSError as exc:
    ...     print(type(exc).__name__, "look like longitude/latitude" in str(exc))
    CRSError True
    >>> check_coords_crs(lon * 1e5, lat * 1e5, CRS("EPSG:3857"), "metros")  # metres: fine
    """
    fix_geo = (
        "set_crs(..., allow_override=True) with the true CRS"
        if given_as == "frame"
        else "pass the projected CRS of these coordinates as crs="
    )
    if crs.is_geographic:
        if (np.abs(y) > 90).any() or (np.abs(x) > 360).any():
            raise CRSError(
                f"{name} is labelled geographic ({crs.to_string()}) but has coordinates "
                f"outside longitude/latitude range (x in [{x.min():.6g}, {x.max():.6g}], y in "
                f"[{y.min():.6g}, {y.max():.6g}]); the CRS label is probably wrong: {fix_geo}."
            )
        return
    if _degree_like(x, y, crs):
        fix = (
            f"relabel them with {name}.set_crs('EPSG:4326', allow_override=True)"
            if given_as == "frame"
            else "pass crs='EPSG:4326'"
        )
        raise CRSError(
            f"{name} has coordinates that look like longitude/latitude degrees (x in "
            f"[{x.min():.6g}, {x.max():.6g}], y in [{y.min():.6g}, {y.max():.6g}]) but the CRS "
            f"is the projected {crs.name} ({crs.to_string()}) in "
            f"{crs.axis_info[0].unit_name}s; {fix}, then reproject with .to_crs() if needed."
        )


def _degree_like(x: FloatArray, y: FloatArray, crs: CRS) -> bool:
    """Rules 1-3 of :func:`check_coords_crs` for a projected CRS."""
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    in_range = bool((np.abs(x) <= 180).all() and (np.abs(y) <= 90).all())
    spread = x.size >= 2 and (np.ptp(x) > 0 or np.ptp(y) > 0)
    aou = crs.area_of_use
    if unit not in _SMALL_UNITS or not in_range or not spread or aou is None:
        return False
    west, south, east, north = aou.bounds
    lat_in = (y >= south - 1) & (y <= north + 1)
    if west <= east:
        lon_in = (x >= west - 1) & (x <= east + 1)
    else:  # the area crosses the antimeridian
        lon_in = (x >= west - 1) | (x <= east + 1)
    return bool((lon_in & lat_in).any())


def read_toml(path: PathLike, *, missing_hint: str = "") -> dict[str, Any]:
    """Parse a TOML file, or raise an ``InputError`` naming the file and the problem."""
    import tomllib
    from pathlib import Path

    p = Path(path)
    if not p.is_file():
        raise InputError(
            f"no TOML file at {str(p)!r}{'; ' + missing_hint if missing_hint else ''}."
        )
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{p.name} is not valid TOML: {exc}.") from None
