"""Maps for notebooks and reports: LISA clusters and metro roles (matplotlib).

Categorical colours follow the conventions readers know (GeoDa's LISA
colours) and stay distinguishable in greyscale print: every category differs
in lightness, not only in hue. Points are sized by population (area
proportional), drawn largest first so small metros stay visible. Under
the data every map draws the countries of Natural Earth (1:110m Admin 0,
v4.1.0, public domain) as light grey land with thin white borders, and its
credit line says "Made with Natural Earth". matplotlib is the ``viz`` extra.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geoai import _validate as v
from geoai._optional import optional
from geoai.datasets import ATTRIBUTION as _DATA_ATTRIBUTION
from geoai.errors import InputError

if TYPE_CHECKING:
    from types import ModuleType

    import geopandas as gpd
    import xarray as xr
    from matplotlib.axes import Axes
    from matplotlib.collections import PatchCollection
    from matplotlib.path import Path

    from geoai._typing import FloatArray

__all__ = [
    "ATTRIBUTION",
    "LISA_COLOURS",
    "MAP_ATTRIBUTION",
    "ROLE_COLOURS",
    "flows_map",
    "lisa_map",
    "potential_map",
    "roles_map",
]

#: Credit line of the embedded data (charts and maps).
ATTRIBUTION = _DATA_ATTRIBUTION

#: Credit line drawn on every map: the data, and the Natural Earth country layer.
MAP_ATTRIBUTION = f"{ATTRIBUTION}; Made with Natural Earth"

#: Country layer under the data: land fill, border colour and width (points).
LAND_COLOUR = "#e6e6e6"
BORDER_COLOUR = "#ffffff"
BORDER_WIDTH = 0.35
#: Drawing order of the country layer: below every data layer (zorder >= 1).
BASEMAP_ZORDER = 0.5
#: ``gid`` of the country layer's collection (to find it in ``ax.collections``).
BASEMAP_GID = "geoai-countries"

#: LISA quadrant colours (GeoDa convention), "ns" light grey.
LISA_COLOURS = {
    "HH": "#d7191c",
    "HL": "#fdae61",
    "LH": "#abd9e9",
    "LL": "#2c7bb6",
    "ns": "#e0e0e0",
}

#: Role colours, dark to light so they also read in greyscale.
ROLE_COLOURS = {
    "superstar": "#67001f",
    "hub": "#d6604d",
    "detroit_path": "#542788",
    "hinterland": "#92c5de",
    "stable": "#e0e0e0",
}

_LABELS = {
    "HH": "High–High (hot cluster)",
    "HL": "High–Low (outlier)",
    "LH": "Low–High (outlier)",
    "LL": "Low–Low (cold cluster)",
    "ns": "not significant",
    "superstar": "superstar",
    "hub": "hub",
    "detroit_path": "Detroit path",
    "hinterland": "hinterland",
    "stable": "stable",
}


def _plt() -> ModuleType:
    return optional("matplotlib.pyplot", "maps")


def _sizes(gdf: gpd.GeoDataFrame, size: str | None) -> FloatArray:
    if size is None or size not in gdf.columns:
        return np.full(len(gdf), 12.0)
    s = pd.to_numeric(gdf[size], errors="coerce").fillna(0).to_numpy(dtype=float)
    top = s.max()
    return 4.0 + 160.0 * s / top if top > 0 else np.full(len(gdf), 12.0)


@functools.cache
def _country_paths() -> tuple[Path, ...]:
    """One matplotlib Path (lon, lat in degrees) per polygon of the Natural Earth countries.

    Rings are oriented (exterior counter-clockwise, holes clockwise) so holes
    such as Lesotho in South Africa stay open under any fill rule.
    """
    import shapely
    from matplotlib.path import Path
    from shapely.geometry.polygon import orient

    from geoai.datasets import _read_boundaries

    paths = []
    for part in shapely.get_parts(_read_boundaries().geometry.to_numpy()):
        polygon = orient(part, sign=1.0)
        rings = (polygon.exterior, *polygon.interiors)
        ring_paths = [Path(np.asarray(r.coords)[:, :2], closed=True) for r in rings]
        paths.append(Path.make_compound_path(*ring_paths))
    return tuple(paths)


def _country_layer(*, fill: bool, zorder: float, alpha: float = 1.0) -> PatchCollection:
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import PathPatch

    layer = PatchCollection(
        [PathPatch(path) for path in _country_paths()],
        facecolors=LAND_COLOUR if fill else "none",
        edgecolors=BORDER_COLOUR,
        linewidths=BORDER_WIDTH,
        alpha=alpha,
        zorder=zorder,
        label="_countries",
    )
    layer.set_gid(BASEMAP_GID if fill else f"{BASEMAP_GID}-borders")
    return layer


def _basemap(ax: Axes) -> None:
    """Draw the countries (light grey land, thin white borders) under the data.

    The axes are in EPSG:4326 degrees (every map here reprojects to it). The
    layer does not change the axes limits; data layers drawn later at
    ``zorder >= 1`` lie on top of it.
    """
    ax.add_collection(_country_layer(fill=True, zorder=BASEMAP_ZORDER), autolim=False)


def _decorate(ax: Axes, title: str, *, world: bool = True) -> None:
    """Axes labels, equal aspect, graticule, title and the attribution line."""
    if world:
        ax.set_xlim(-180, 180)
        ax.set_ylim(-60, 80)
        ax.grid(color="#cccccc", linewidth=0.4, zorder=0)
    ax.set_aspect("equal")
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    ax.set_title(title)
    ax.annotate(
        MAP_ATTRIBUTION,
        xy=(1.0, 0.0),
        xycoords="axes fraction",
        ha="right",
        va="bottom",
        fontsize=7,
        color="#555555",
    )


def _categorical_map(
    gdf: gpd.GeoDataFrame,
    labels: np.ndarray,
    colours: dict[str, str],
    *,
    ax: Axes | None,
    title: str,
    size: str | None,
) -> Axes:
    plt = _plt()
    v.require_crs(gdf, "gdf")
    if ax is None:
        _, ax = plt.subplots(figsize=(12, 6.2), layout="constrained")
    _basemap(ax)
    pts = gdf.geometry.to_crs(4326) if gdf.crs.to_epsg() != 4326 else gdf.geometry
    x, y = pts.x.to_numpy(), pts.y.to_numpy()
    s = _sizes(gdf, size)
    order = np.argsort(-s)
    for cat, colour in colours.items():  # legend in the palette's order
        pick = order[labels[order] == cat]
        if pick.size == 0:
            continue
        ax.scatter(
            x[pick],
            y[pick],
            s=s[pick],
            c=colour,
            edgecolors="#404040",
            linewidths=0.3,
            label=f"{_LABELS.get(cat, cat)} ({pick.size})",
            zorder=3 if cat not in ("ns", "stable") else 2,
        )
    _decorate(ax, title)
    ax.legend(loc="lower left", fontsize=8, frameon=True, markerscale=0.8)
    return ax


def lisa_map(
    gdf: gpd.GeoDataFrame,
    lisa: pd.DataFrame,
    *,
    ax: Axes | None = None,
    title: str = "Local Moran clusters",
    size: str | None = "population",
) -> Axes:
    """Map the LISA cluster labels of :func:`geoai.stats.local_moran`.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The points the statistic was computed on.
    lisa : pandas.DataFrame
        Its result, aligned with ``gdf`` (``label`` column: HH, HL, LH, LL, ns).
    ax : matplotlib.axes.Axes, optional
        Draw here (default: a new figure).
    title : str
        Map title.
    size : str, optional
        Column sizing the points (area proportional), default population.

    Returns
    -------
    matplotlib.axes.Axes
        The map.

    Examples
    --------
    >>> import geoai, matplotlib.pyplot as plt
    >>> metros = geoai.load_metros(min_population=5_000_000)
    >>> lisa = geoai.stats.local_moran(metros, "gdp_pc_usd", permutations=99, fdr=None)
    >>> ax = geoai.viz.lisa_map(metros, lisa)
    >>> ax.get_title(), ax.get_legend().get_texts()[-1].get_text().startswith("not significant")
    ('Local Moran clusters', True)
    >>> plt.close(ax.figure)
    """
    if "label" not in lisa.columns or len(lisa) != len(gdf):
        raise InputError("lisa must be the local_moran result for gdf (same rows, a 'label').")
    labels = lisa["label"].astype(str).to_numpy()
    unknown = set(labels) - set(LISA_COLOURS)
    if unknown:
        raise InputError(f"unknown LISA labels {sorted(unknown)}; expected {list(LISA_COLOURS)}.")
    return _categorical_map(gdf, labels, LISA_COLOURS, ax=ax, title=title, size=size)


def roles_map(
    roles: gpd.GeoDataFrame,
    *,
    ax: Axes | None = None,
    title: str = "Metro roles",
    size: str | None = "population",
) -> Axes:
    """Map the roles of :func:`geoai.classify`.

    Parameters
    ----------
    roles : geopandas.GeoDataFrame
        The result of :func:`geoai.classify` (``role`` column).
    ax : matplotlib.axes.Axes, optional
        Draw here (default: a new figure).
    title : str
        Map title.
    size : str, optional
        Column sizing the points (area proportional), default population.

    Returns
    -------
    matplotlib.axes.Axes
        The map.

    Examples
    --------
    >>> import geoai, matplotlib.pyplot as plt
    >>> roles = geoai.classify(geoai.load_metros(min_population=5_000_000))
    >>> ax = geoai.viz.roles_map(roles, title="Metro roles, 2025")
    >>> ax.get_title()
    'Metro roles, 2025'
    >>> plt.close(ax.figure)
    """
    if "role" not in roles.columns:
        raise InputError("roles must be the result of geoai.classify (a 'role' column).")
    labels = roles["role"].astype(str).to_numpy()
    unknown = set(labels) - set(ROLE_COLOURS)
    if unknown:
        raise InputError(f"unknown roles {sorted(unknown)}; expected {list(ROLE_COLOURS)}.")
    return _categorical_map(roles, labels, ROLE_COLOURS, ax=ax, title=title, size=size)


def potential_map(
    surface: xr.DataArray,
    *,
    points: gpd.GeoDataFrame | None = None,
    ax: Axes | None = None,
    title: str = "Agglomeration potential",
    label: str = "potential",
) -> Axes:
    """Map a potential raster (log colour scale), optionally with metro points.

    Parameters
    ----------
    surface : xarray.DataArray
        A geographic (EPSG:4326) raster from :func:`geoai.potential.surface`.
    points : geopandas.GeoDataFrame, optional
        Points drawn on top (small cyan dots).
    ax : matplotlib.axes.Axes, optional
        Draw here (default: a new figure).
    title : str, default "Agglomeration potential"
        Map title.
    label : str, default "potential"
        Colour-bar label.

    Returns
    -------
    matplotlib.axes.Axes
        The map.

    Examples
    --------
    >>> import geoai, matplotlib.pyplot as plt
    >>> metros = geoai.load_metros(min_population=5_000_000)
    >>> grid = geoai.Grid.from_bounds((-180, -60, 180, 78), 5.0, crs="EPSG:4326")
    >>> surf = geoai.potential.surface(metros, "population", grid, decay="exponential",
    ...                                scale_km=300)
    >>> ax = geoai.viz.potential_map(surf, points=metros, label="people")
    >>> ax.get_title(), ax.figure.axes[-1].get_ylabel()
    ('Agglomeration potential', 'people')
    >>> plt.close(ax.figure)
    """
    plt = _plt()
    from matplotlib.colors import LogNorm

    if surface.rio.crs is None or not surface.rio.crs.is_geographic:
        raise InputError("potential_map draws geographic (EPSG:4326) rasters; reproject first.")
    if ax is None:
        _, ax = plt.subplots(figsize=(12, 6.2), layout="constrained")
    data = np.asarray(surface.values, dtype=float)
    positive = data[np.isfinite(data) & (data > 0)]
    if positive.size == 0:
        raise InputError("the surface has no positive values to draw.")
    floor = max(float(np.quantile(positive, 0.02)), float(positive.max()) * 1e-6)
    x, y = surface["x"].to_numpy(), surface["y"].to_numpy()
    dx, dy = abs(x[1] - x[0]) if x.size > 1 else 1.0, abs(y[1] - y[0]) if y.size > 1 else 1.0
    extent = (x.min() - dx / 2, x.max() + dx / 2, y.min() - dy / 2, y.max() + dy / 2)
    _basemap(ax)
    image = ax.imshow(
        np.where(data > floor, data, np.nan),
        extent=extent,
        origin="upper" if y[0] > y[-1] else "lower",
        cmap="magma",
        norm=LogNorm(vmin=floor, vmax=float(positive.max())),
        interpolation="nearest",
        zorder=1,
    )
    # the raster hides the land layer where it has values: repeat the borders over it
    ax.add_collection(_country_layer(fill=False, zorder=2, alpha=0.5), autolim=False)
    ax.figure.colorbar(image, ax=ax, shrink=0.7, label=label)
    if points is not None:
        pts = points.geometry.to_crs(4326)
        ax.scatter(pts.x, pts.y, s=2, c="#00e5ff", linewidths=0, zorder=3, label="metros")
    _decorate(ax, title, world=False)
    return ax


def flows_map(
    lines: gpd.GeoDataFrame,
    *,
    points: gpd.GeoDataFrame | None = None,
    ax: Axes | None = None,
    title: str = "Largest flows",
    colour: str = "#b2182b",
) -> Axes:
    """Map flow lines (width by flow) over metro points.

    Parameters
    ----------
    lines : geopandas.GeoDataFrame
        From :func:`geoai.flows.to_lines` (a ``flow`` column).
    points : geopandas.GeoDataFrame, optional
        Metro points drawn underneath (light grey).
    ax : matplotlib.axes.Axes, optional
        Draw here (default: a new figure).
    title : str
        Map title.
    colour : str
        Line colour.

    Returns
    -------
    matplotlib.axes.Axes
        The map.

    Examples
    --------
    >>> import numpy as np, geopandas as gpd, geoai, matplotlib.pyplot as plt
    >>> metros = gpd.GeoDataFrame({"metro_id": ["tokyo", "la", "nyc"]}, crs="EPSG:4326",
    ...     geometry=gpd.points_from_xy([139.7, -118.2, -74.0], [35.7, 34.1, 40.7]))
    >>> flows = np.array([[0, 50, 20], [40, 0, 80], [10, 90, 0]], dtype=float)
    >>> ax = geoai.viz.flows_map(geoai.flows.to_lines(flows, metros), points=metros)
    >>> ax.get_title()
    'Largest flows (line width ∝ flow; largest 90)'
    >>> plt.close(ax.figure)
    """
    plt = _plt()
    if "flow" not in lines.columns:
        raise InputError("lines must have a 'flow' column (geoai.flows.to_lines).")
    if ax is None:
        _, ax = plt.subplots(figsize=(12, 6.2), layout="constrained")
    _basemap(ax)
    if points is not None:
        pts = points.geometry.to_crs(4326)
        ax.scatter(pts.x, pts.y, s=3, c="#9e9e9e", linewidths=0, zorder=1)
    flow = lines["flow"].to_numpy(dtype=float)
    top = flow.max() if flow.size else 1.0
    widths = 0.3 + 3.0 * flow / top if top > 0 else np.full(flow.size, 0.3)
    lines.to_crs(4326).plot(ax=ax, linewidth=widths, color=colour, alpha=0.6, zorder=2)
    _decorate(ax, f"{title} (line width ∝ flow; largest {flow.max() if flow.size else 0:,.0f})")
    return ax
