"""The Natural Earth countries (and a graticule) under every map, in the map's CRS.

The countries of Natural Earth (1:110m Admin 0, v4.1.0, public domain) are
drawn as light grey land with thin white borders. For a regional map they are
cut to a box around the area shown first (a projection centred on Europe
cannot draw the antipodes), densified to 1° so straight lon/lat edges follow
the projection's curves, and projected.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

from geoai.viz._backdrop import backdrop_layers
from geoai.viz._projection import MapFrame, project
from geoai.viz._style import (
    BASEMAP_GID,
    BASEMAP_ZORDER,
    BORDER_COLOUR,
    BORDER_WIDTH,
    LAND_COLOUR,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.collections import LineCollection, PatchCollection
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

__all__ = ["GRATICULE_GID", "basemap", "country_layer", "country_paths", "graticule"]

#: ``gid`` of the graticule (meridians and parallels) collection.
GRATICULE_GID = "geoai-graticule"
#: How far (°) beyond a regional map's box the countries are kept.
_MARGIN_LON, _MARGIN_LAT = 40.0, 25.0


def _clip_boxes(frame: MapFrame) -> list[tuple[float, float, float, float]]:
    """Lon/lat rectangles of the countries drawn on a map (two across the antimeridian)."""
    if frame.world:
        return [(-180.0, -90.0, 180.0, 90.0)]
    west, south, east, north = frame.box
    span = (east - west) % 360.0
    half = min(span / 2.0 + _MARGIN_LON, 85.0)
    centre = west + span / 2.0
    lo, hi = centre - half, centre + half
    s, n = max(south - _MARGIN_LAT, -89.0), min(north + _MARGIN_LAT, 89.0)
    if lo < -180.0:
        return [(lo + 360.0, s, 180.0, n), (-180.0, s, hi, n)]
    if hi > 180.0:
        return [(lo, s, 180.0, n), (-180.0, s, hi - 360.0, n)]
    return [(lo, s, hi, n)]


@functools.cache
def _projected_paths(
    frame_key: tuple[str, tuple[float, float, float, float], bool],
) -> tuple[Path, ...]:
    import shapely
    from matplotlib.path import Path
    from shapely.geometry.polygon import orient

    from geoai.datasets import _read_boundaries

    wkt, box, world = frame_key
    from pyproj import CRS

    frame = MapFrame(CRS.from_wkt(wkt), box, world=world)
    geoms = shapely.get_parts(_read_boundaries().geometry.to_numpy())
    parts = []
    for rect in _clip_boxes(frame):
        cut = shapely.clip_by_rect(geoms, *rect)
        parts += [g for g in shapely.get_parts(cut) if g.geom_type == "Polygon" and not g.is_empty]
    paths = []
    for polygon in parts:
        dense = shapely.segmentize(polygon, 1.0)

        def to_map(xy: np.ndarray) -> np.ndarray:
            x, y = project(frame, xy[:, 0], xy[:, 1])
            return np.column_stack([x, y])

        flat = shapely.transform(dense, to_map)
        if not np.isfinite(shapely.get_coordinates(flat)).all():
            continue  # outside the projection's domain
        flat = orient(flat, sign=1.0)  # exterior counter-clockwise, holes clockwise
        rings = (flat.exterior, *flat.interiors)
        paths.append(
            Path.make_compound_path(
                *[Path(np.asarray(r.coords)[:, :2], closed=True) for r in rings]
            )
        )
    return tuple(paths)


def country_paths(frame: MapFrame | None = None) -> tuple[Path, ...]:
    """One matplotlib Path per polygon of the Natural Earth countries.

    Parameters
    ----------
    frame : MapFrame, optional
        Project to this map (cut to its surroundings); None: lon/lat degrees.

    Returns
    -------
    tuple of matplotlib.path.Path
        Rings oriented (exterior counter-clockwise, holes clockwise), so holes
        such as Lesotho in South Africa stay open under any fill rule.
    """
    if frame is None:
        return _lonlat_paths()
    return _projected_paths(frame.key)


@functools.cache
def _lonlat_paths() -> tuple[Path, ...]:
    import shapely
    from matplotlib.path import Path
    from shapely.geometry.polygon import orient

    from geoai.datasets import _read_boundaries

    paths = []
    for part in shapely.get_parts(_read_boundaries().geometry.to_numpy()):
        polygon = orient(part, sign=1.0)
        rings = (polygon.exterior, *polygon.interiors)
        paths.append(
            Path.make_compound_path(
                *[Path(np.asarray(r.coords)[:, :2], closed=True) for r in rings]
            )
        )
    return tuple(paths)


@functools.cache
def _country_patches(
    frame_key: tuple[str, tuple[float, float, float, float], bool],
) -> tuple[PathPatch, ...]:
    """One patch per country polygon of a map, made once per frame.

    A :class:`~matplotlib.collections.PatchCollection` keeps only its patches'
    paths, so every map of a run (and the borders over a potential surface)
    builds its layer from the same patches.
    """
    from matplotlib.patches import PathPatch

    return tuple(PathPatch(path) for path in _projected_paths(frame_key))


def country_layer(
    frame: MapFrame, *, fill: bool, zorder: float, alpha: float = 1.0
) -> PatchCollection:
    """Build the countries' collection: land fill, or the borders alone when not ``fill``."""
    from matplotlib.collections import PatchCollection

    # the land fill is the backdrop's top layer: kept once drawn, copied on the next map
    layer = (backdrop_layers()[1] if fill else PatchCollection)(
        list(_country_patches(frame.key)),
        facecolors=LAND_COLOUR if fill else "none",
        edgecolors=BORDER_COLOUR,
        linewidths=BORDER_WIDTH,
        alpha=alpha,
        zorder=zorder,
        label="_countries",
    )
    layer.set_gid(BASEMAP_GID if fill else f"{BASEMAP_GID}-borders")
    return layer


def basemap(ax: Axes, frame: MapFrame) -> None:
    """Draw the countries (light grey land, thin white borders) under the data.

    The layer does not change the axes limits; data layers drawn later at
    ``zorder >= 1`` lie on top of it.
    """
    ax.add_collection(country_layer(frame, fill=True, zorder=BASEMAP_ZORDER), autolim=False)


def _graticule_step(frame: MapFrame) -> float:
    if frame.world:
        return 30.0
    west, south, east, north = frame.box
    span = max((east - west) % 360.0, north - south)
    return next(s for s in (1.0, 2.0, 5.0, 10.0, 15.0, 30.0) if span / s <= 8.0)


@functools.cache
def _graticule_lines(
    frame_key: tuple[str, tuple[float, float, float, float], bool],
) -> tuple[np.ndarray, ...]:
    """Projected meridians and parallels of a map (NaN where not drawn), made once per frame."""
    from pyproj import CRS

    wkt, box, world = frame_key
    frame = MapFrame(CRS.from_wkt(wkt), box, world=world)
    step = _graticule_step(frame)
    lats = np.linspace(-90.0, 90.0, 361)
    lons = np.linspace(-180.0, 180.0, 721)
    lines = [(np.full_like(lats, lon), lats) for lon in np.arange(-180.0, 180.0 + step / 2, step)]
    lines += [(lons, np.full_like(lons, lat)) for lat in np.arange(-90.0 + step, 90.0, step)]
    if not frame.world:  # keep the part near the map (azimuthal projections fold far away)
        _, s, _, n = _clip_boxes(frame)[0]
        lines = [(x, np.where((y >= s) & (y <= n), y, np.nan)) for x, y in lines]
    segments = []
    for lon, lat in lines:
        x, y = project(frame, lon, lat)
        ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(lat)
        xy = np.column_stack([np.where(ok, x, np.nan), np.where(ok, y, np.nan)])
        xy.setflags(write=False)  # shared by every map of the frame
        segments.append(xy)
    return tuple(segments)


def graticule(ax: Axes, frame: MapFrame) -> LineCollection:
    """Meridians and parallels (and, on world maps, the globe's outline) beneath the land."""
    segments = list(_graticule_lines(frame.key))
    layer = backdrop_layers()[0](segments, colors="#c8c8c8", linewidths=0.4, zorder=0.4)
    layer.set_gid(GRATICULE_GID)
    ax.add_collection(layer, autolim=False)
    return layer
