"""CRS checks of the public boundary: parse a CRS, require one, and catch contradictions.

Part of :mod:`geoai._validate` (importable from there): a coordinate that
contradicts its CRS (degrees labelled metres, or metres labelled degrees) is a
:class:`~geoai.errors.CRSError` naming both, never a silently wrong distance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pyproj import CRS
from pyproj.exceptions import ProjError

from geoai.errors import CRSError

if TYPE_CHECKING:
    from geoai._typing import FloatArray

__all__ = [
    "as_crs",
    "check_coords_crs",
    "require_crs",
    "require_geographic",
    "require_projected",
]


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
    spread = x.size >= 2 and bool(x.max() > x.min() or y.max() > y.min())  # no overflow
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
