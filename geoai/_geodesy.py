"""Geodesy for every subject: the Earth radius and points prepared for the distance kernels.

Geographic CRS -> unit vectors and great-circle distances in km; projected CRS
-> planar coordinates scaled to km. Never mixed silently. ``EARTH_RADIUS_KM``
is defined once, beside the distance kernels, and handed on here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

from geoai import _validate as v
from geoai.errors import CRSError, InputError
from geoai.kernels.distance import EARTH_RADIUS_KM, unit_vectors

if TYPE_CHECKING:
    from numpy.typing import ArrayLike
    from pyproj import CRS

    from geoai._typing import CRSLike, FloatArray, Points

    #: Places as a GeoDataFrame/GeoSeries, or an ``(x, y)`` pair of coordinate arrays
    #: (whose CRS is passed beside them as ``crs=``).
    PointsLike: TypeAlias = Points | tuple[ArrayLike, ArrayLike]

__all__ = [
    "EARTH_RADIUS_KM",
    "KernelPoints",
    "arc_km",
    "chord_of_km",
    "haversine_km",
    "kernel_points",
    "points_of",
    "unit_vectors_rows",
]


@dataclass(frozen=True)
class KernelPoints:
    """Coordinates ready for :mod:`geoai.kernels.interaction`.

    Attributes
    ----------
    xyz : numpy.ndarray
        ``(3, n)`` unit vectors when ``geo``, else ``(2, n)`` planar km
        (coordinate-major, contiguous rows: what the kernels read).
    geo : bool
        Great-circle (True) or Euclidean (False) distances.
    crs : pyproj.CRS
        The CRS the points came in.
    lon : numpy.ndarray
        Longitude in degrees (for lines and maps).
    lat : numpy.ndarray
        Latitude in degrees.
    """

    xyz: FloatArray
    geo: bool
    crs: CRS
    lon: FloatArray
    lat: FloatArray

    @property
    def n(self) -> int:
        """Number of points."""
        return int(self.xyz.shape[1])


def kernel_points(
    points: PointsLike, crs: CRSLike | None = None, name: str = "points"
) -> KernelPoints:
    """Turn a GeoDataFrame/GeoSeries or an ``(x, y)`` pair plus ``crs`` into kernel input."""
    if isinstance(points, tuple | list) and len(points) == 2:
        if crs is None:
            raise CRSError(
                f"{name} given as (x, y) arrays needs crs=...; e.g. crs='EPSG:4326' for "
                "longitude/latitude in degrees."
            )
        c = v.as_crs(crs)
        try:
            x = np.asarray(points[0], dtype=np.float64).ravel()
            y = np.asarray(points[1], dtype=np.float64).ravel()
        except (TypeError, ValueError):
            raise InputError(
                f"{name} given as (x, y) must be two arrays of numbers; convert them with "
                "numpy.asarray(..., dtype=float) or pass a GeoDataFrame."
            ) from None
        v.check_same_length(x=x, y=y)
        v.check_nonempty(x.size, name)
        v.check_finite(x, f"{name} x")
        v.check_finite(y, f"{name} y")
        v.check_coords_crs(x, y, c, name, given_as="xy")
    else:
        given = getattr(points, "crs", None)
        if crs is not None and given is not None and v.as_crs(crs) != given:
            raise CRSError(
                f"crs={crs!r} contradicts {name}.crs ({given.to_string()}); drop crs= or "
                "reproject the points."
            )
        x, y, c = v.as_coords(points, name)
    return points_of(x, y, c)


def points_of(x: FloatArray, y: FloatArray, c: CRS) -> KernelPoints:
    """Kernel input from coordinates already validated (:func:`geoai._validate.as_coords`).

    Parameters
    ----------
    x, y : numpy.ndarray, shape (n,)
        Coordinates in the units of ``c`` (degrees for a geographic CRS), finite.
    c : pyproj.CRS
        Their CRS.

    Returns
    -------
    KernelPoints
        Unit vectors (geographic) or planar km (projected).

    Examples
    --------
    >>> from pyproj import CRS
    >>> pts = points_of(np.array([0.0, 90.0]), np.array([0.0, 0.0]), CRS(4326))
    >>> pts.geo, pts.xyz.shape, pts.xyz[:, 1].round(12).tolist()
    (True, (3, 2), [0.0, 1.0, 0.0])
    """
    if c.is_geographic:
        lon, lat = x, y
        xyz = np.ascontiguousarray(unit_vectors(lon, lat).T)
        return KernelPoints(xyz, geo=True, crs=c, lon=lon, lat=lat)
    axis = c.axis_info[0]
    if axis.unit_name not in {"metre", "meter", "US survey foot", "foot", "kilometre"}:
        raise InputError(f"unsupported unit {axis.unit_name!r} of {c.name}; reproject to metres.")
    km = float(axis.unit_conversion_factor) / 1000.0
    from pyproj import Transformer

    to_ll = Transformer.from_crs(c, 4326, always_xy=True)
    lon, lat = to_ll.transform(x, y)
    xyz = np.ascontiguousarray(np.vstack((x * km, y * km)))
    return KernelPoints(xyz, geo=False, crs=c, lon=np.asarray(lon), lat=np.asarray(lat))


def unit_vectors_rows(lon_deg: np.ndarray, lat_deg: np.ndarray) -> np.ndarray:
    """Return unit vectors of points on the sphere, one row each, shape (n, 3) (for k-d trees).

    Examples
    --------
    >>> unit_vectors_rows(np.array([0.0]), np.array([90.0])).round(12).tolist()
    [[0.0, 0.0, 1.0]]
    """
    lon, lat = np.radians(lon_deg), np.radians(lat_deg)
    cos_lat = np.cos(lat)
    return np.column_stack((cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)))


def chord_of_km(km: np.ndarray | float) -> np.ndarray:
    """Chord length on the unit sphere of a great-circle distance in km (at most 2).

    Examples
    --------
    >>> float(chord_of_km(np.pi * EARTH_RADIUS_KM))
    2.0
    """
    angle = np.minimum(np.asarray(km, dtype=np.float64) / EARTH_RADIUS_KM, np.pi)
    return np.asarray(2.0 * np.sin(angle / 2.0))


def arc_km(chord: np.ndarray) -> np.ndarray:
    """Great-circle distance in km of a chord length on the unit sphere (inverse of chord_of_km).

    Examples
    --------
    >>> round(float(arc_km(chord_of_km(1234.5))), 9)
    1234.5
    """
    return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0)))


def haversine_km(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Great-circle distance (km) by the haversine formula; broadcasts (degrees in).

    Examples
    --------
    >>> round(float(haversine_km(np.array(0.0), np.array(0.0), np.array(1.0), np.array(0.0))), 3)
    111.195
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    h = (
        np.sin((p2 - p1) / 2.0) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2.0) ** 2
    )
    return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))
