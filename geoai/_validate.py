"""Checks run once at the public boundary.

Public functions call these helpers before handing plain arrays to kernels,
which trust their input. Each helper raises an :class:`~geoai.errors.InputError`
or :class:`~geoai.errors.CRSError` that names the argument, says what was
expected and what was given, and suggests the fix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

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
    "as_coords",
    "as_crs",
    "as_mass",
    "check_choice",
    "check_finite",
    "check_nonempty",
    "check_positive",
    "check_same_length",
    "check_unique_ids",
    "require_crs",
    "require_geographic",
    "require_projected",
]

_T = TypeVar("_T")


def check_choice(value: _T, allowed: Iterable[object], name: str) -> _T:
    """Return ``value`` (unchanged) if it is one of ``allowed``, else raise InputError."""
    allowed = tuple(allowed)
    if value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise InputError(f"unknown {name}={value!r}; expected one of {options}.")
    return value


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


def as_mass(
    values: ArrayLike, name: str = "mass", *, n: int | None = None, allow_zero_sum: bool = False
) -> FloatArray:
    """Return ``values`` as a 1-D float64 array of finite, non-negative masses.

    Parameters
    ----------
    values : array-like
        Masses (people, jobs, USD), one per point.
    name : str
        Argument name used in error messages.
    n : int, optional
        Expected length.
    allow_zero_sum : bool
        Whether all-zero masses are acceptable.

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``, dtype float64.
    """
    if isinstance(values, pd.Series | pd.Index):
        if not pd.api.types.is_numeric_dtype(values.dtype):
            raise InputError(
                f"{name} must be numeric; got dtype {values.dtype}. Convert it with "
                "pandas.to_numeric()."
            )
        values = values.to_numpy(dtype=float, na_value=np.nan)
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
    if crs.is_geographic and ((np.abs(y) > 90).any() or (np.abs(x) > 360).any()):
        raise CRSError(
            f"{name} is labelled geographic ({crs.to_string()}) but has coordinates "
            "outside longitude/latitude range; the CRS label is probably wrong. Use "
            "set_crs(..., allow_override=True) with the true CRS."
        )
    return x, y, crs


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
