"""The map's projection and extent, chosen from the data.

World data is drawn in the Equal Earth projection (EPSG:8857, Šavrič, Patterson
& Jenny 2018), an equal-area pseudocylindrical projection for world maps.
Regional data gets an extent fitted to it and a CRS suited to that extent: the
ETRS89 Lambert azimuthal equal-area grid (EPSG:3035) inside Europe, the
Conus Albers equal-area conic (EPSG:5070) inside the contiguous US, a UTM zone
for a small area anywhere (at most 6° of longitude and 8° of latitude), and
otherwise a Lambert azimuthal equal-area projection centred on the data.
"""

from __future__ import annotations

import functools
import weakref
from typing import TYPE_CHECKING

import numpy as np

from geoai.errors import InputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from numpy.typing import ArrayLike
    from pyproj import CRS

    from geoai._typing import FloatArray

__all__ = [
    "WORLD_CRS",
    "MapFrame",
    "choose_crs",
    "frame_of",
    "longitude_range",
    "map_crs",
    "project",
]

#: CRS of world maps: Equal Earth (Greenwich), an equal-area world projection.
WORLD_CRS = "EPSG:8857"
#: Data spanning more than this many degrees of longitude (or latitude) is drawn as a world map.
WORLD_SPAN_LON, WORLD_SPAN_LAT = 100.0, 70.0
#: Latitude range (°) of world maps (Antarctica left out: no metro lies there).
WORLD_LATITUDES = (-58.0, 90.0)
#: Regional CRSs used where the data lies inside their area of use (west, south, east, north).
_REGIONAL = (
    ("EPSG:3035", (-35.0, 25.0, 45.0, 72.0)),  # ETRS89 / LAEA Europe
    ("EPSG:5070", (-125.0, 24.0, -66.0, 50.0)),  # NAD83 / Conus Albers
)

_FRAMES: weakref.WeakKeyDictionary[Axes, MapFrame] = weakref.WeakKeyDictionary()


class MapFrame:
    """The projection of a map and the lon/lat box of the area it shows.

    Parameters
    ----------
    crs : pyproj.CRS
        The projected CRS the axes are drawn in (metres).
    box : tuple of float
        ``(west, south, east, north)`` in degrees of the area shown (``west >
        east`` when it crosses the antimeridian).
    world : bool
        A world map (Equal Earth, the whole globe's width).
    """

    def __init__(self, crs: CRS, box: tuple[float, float, float, float], *, world: bool) -> None:
        self.crs = crs
        self.box = box
        self.world = world

    @property
    def key(self) -> tuple[str, tuple[float, float, float, float], bool]:
        """``(CRS as WKT, box, world)``: equal for frames that draw the same map (a cache key)."""
        return (self.crs.to_wkt(), self.box, self.world)

    @property
    def central_longitude(self) -> float:
        """Longitude (°) of the projection's centre: the map's seam lies 180° from it."""
        for name in ("Longitude of natural origin", "Longitude of false origin",
                     "Longitude of origin", "Longitude of projection centre"):  # fmt: skip
            for p in self.crs.coordinate_operation.params if self.crs.coordinate_operation else ():
                if p.name == name:
                    return float(p.value)
        return 0.0

    def __repr__(self) -> str:
        return f"MapFrame({self.crs.name!r}, box={self.box}, world={self.world})"


def longitude_range(lon: ArrayLike) -> tuple[float, float]:
    """Find the shortest arc of longitude holding every value: ``(west, east)`` in degrees.

    Parameters
    ----------
    lon : array-like (n,)
        Longitudes in degrees (any range; wrapped to [-180, 180)).

    Returns
    -------
    tuple of float
        ``west`` and ``east``; ``west > east`` when the arc crosses the
        antimeridian (e.g. Fiji to Samoa: ``(177.0, -172.0)``).

    Examples
    --------
    >>> longitude_range([177.0, -172.0, 179.5])
    (177.0, -172.0)
    """
    x = np.asarray(lon, dtype=float).ravel()
    x = np.sort(np.where((x >= -180.0) & (x < 180.0), x, ((x + 180.0) % 360.0) - 180.0))
    if x.size == 0:
        raise InputError("there is nothing to map: no finite coordinates.")
    gaps = np.diff(np.append(x, x[0] + 360.0))
    k = int(np.argmax(gaps))  # the widest empty arc lies between x[k] and the next value
    return float(x[(k + 1) % x.size]), float(x[k])


def _span(west: float, east: float) -> float:
    return (east - west) % 360.0


@functools.cache
def _crs(text: str) -> CRS:
    from pyproj import CRS

    return CRS.from_user_input(text)


def choose_crs(lon: ArrayLike, lat: ArrayLike) -> CRS:
    """Choose the projected CRS a map of these places is drawn in.

    Parameters
    ----------
    lon, lat : array-like (n,)
        Coordinates of the data in degrees (EPSG:4326).

    Returns
    -------
    pyproj.CRS
        Equal Earth (EPSG:8857) for data spanning more than 100° of longitude
        or 70° of latitude; else a WGS 84 UTM zone for an area of at most
        6° × 8°, EPSG:3035 inside Europe, EPSG:5070 inside the contiguous US,
        or a Lambert azimuthal equal-area CRS centred on the data.

    Examples
    --------
    >>> choose_crs([-74.0, 139.7, 2.35], [40.7, 35.7, 48.9]).to_epsg()
    8857
    >>> choose_crs([2.35, 13.4, -3.7], [48.9, 52.5, 40.4]).to_epsg()
    3035
    """
    lon_a, lat_a = _finite(lon, lat)
    west, east = longitude_range(lon_a)
    south, north = float(lat_a.min()), float(lat_a.max())
    if _span(west, east) > WORLD_SPAN_LON or north - south > WORLD_SPAN_LAT:
        return _crs(WORLD_CRS)
    centre_lon = ((west + _span(west, east) / 2.0 + 180.0) % 360.0) - 180.0
    centre_lat = (south + north) / 2.0
    if _span(west, east) <= 6.0 and north - south <= 8.0:
        zone = min(int((centre_lon + 180.0) // 6.0) + 1, 60)
        return _crs(f"EPSG:{32600 + zone if centre_lat >= 0 else 32700 + zone}")
    if west <= east:
        for code, (w, s, e, n) in _REGIONAL:
            if w <= west and east <= e and s <= south and north <= n:
                return _crs(code)
    return _crs(
        f"+proj=laea +lat_0={centre_lat:.4f} +lon_0={centre_lon:.4f} +x_0=0 +y_0=0 "
        "+datum=WGS84 +units=m +no_defs"
    )


def _finite(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    lon_a, lat_a = np.asarray(lon, dtype=float).ravel(), np.asarray(lat, dtype=float).ravel()
    if lon_a.shape != lat_a.shape:
        raise InputError(f"lon and lat differ in length ({lon_a.size} vs {lat_a.size}).")
    ok = np.isfinite(lon_a) & np.isfinite(lat_a)
    if not ok.any():
        raise InputError("there is nothing to map: no finite coordinates.")
    return lon_a[ok], np.clip(lat_a[ok], -90.0, 90.0)


def frame_of(lon: ArrayLike, lat: ArrayLike, crs: CRS | None = None) -> MapFrame:
    """Choose the frame (CRS and lon/lat box) of a map of these places.

    Parameters
    ----------
    lon, lat : array-like (n,)
        Coordinates of the data in degrees.
    crs : pyproj.CRS, optional
        Draw in this projected CRS (default: :func:`choose_crs`).

    Returns
    -------
    MapFrame
        World maps show every longitude and the latitudes of
        ``WORLD_LATITUDES``; regional maps the data's box.
    """
    lon_a, lat_a = _finite(lon, lat)
    chosen = crs if crs is not None else choose_crs(lon_a, lat_a)
    if chosen.is_geographic:
        raise InputError(
            "maps are drawn in a projected CRS; give one such as EPSG:8857 (Equal Earth)."
        )
    if chosen.to_epsg() == 8857:
        return MapFrame(chosen, (-180.0, WORLD_LATITUDES[0], 180.0, WORLD_LATITUDES[1]), world=True)
    west, east = longitude_range(lon_a)
    return MapFrame(chosen, (west, float(lat_a.min()), east, float(lat_a.max())), world=False)


@functools.cache
def _transformer(wkt: str) -> object:
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", wkt, always_xy=True)


def project(frame: MapFrame | CRS, lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Longitude/latitude (degrees) to the map's CRS (metres).

    Parameters
    ----------
    frame : MapFrame or pyproj.CRS
        The map (or its CRS).
    lon, lat : array-like
        Degrees (EPSG:4326), same shape.

    Returns
    -------
    x, y : numpy.ndarray
        Map coordinates, same shape; ``inf`` where the projection is undefined.
    """
    crs = frame.crs if isinstance(frame, MapFrame) else frame
    t = _transformer(crs.to_wkt())
    x, y = t.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))  # type: ignore[attr-defined]
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def map_crs(ax: Axes) -> CRS | None:
    """Return the CRS a map of :mod:`geoai.viz` was drawn in (None for other axes).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        A map.

    Returns
    -------
    pyproj.CRS or None
        Its projected CRS.

    Examples
    --------
    >>> import geoai, matplotlib.pyplot as plt
    >>> ax = geoai.viz.roles_map(geoai.classify(geoai.load_metros(min_population=5_000_000)))
    >>> geoai.viz.map_crs(ax).name
    'WGS 84 / Equal Earth Greenwich'
    >>> plt.close(ax.figure)
    """
    frame = _FRAMES.get(ax)
    return frame.crs if frame is not None else None


def register(ax: Axes, frame: MapFrame) -> None:
    """Remember the frame an axes is drawn in (so later layers reuse it)."""
    _FRAMES[ax] = frame


def registered(ax: Axes) -> MapFrame | None:
    """Return the frame an axes was drawn in, if :mod:`geoai.viz` drew it."""
    return _FRAMES.get(ax)
