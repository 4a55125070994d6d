"""Rasters of node values: accessibility and effective density on a grid (geoai.network)."""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoai import _validate as v
from geoai._budget import check_memory
from geoai.errors import InputError
from geoai.grid import Grid, as_grid
from geoai.network._access import accessibility
from geoai.stats import _checks as c

if TYPE_CHECKING:
    import networkx as nx
    import xarray as xr
    from pyproj import CRS

    from geoai._typing import FloatArray
    from geoai.grid import GridLike

__all__ = ["effective_density_raster", "nodes_to_raster"]

#: Grid cells per KD-tree query strip in :func:`nodes_to_raster` (bounds memory).
_STRIP_CELLS = 1 << 20


# ------------------------------------------------------------------ rasters
def _is_resolution(grid: object) -> bool:
    return isinstance(grid, numbers.Real) and not isinstance(grid, bool | np.bool_)


def _raster_grid(grid: GridLike | float, nodes: gpd.GeoDataFrame) -> Grid:
    if _is_resolution(grid):
        res = c.positive(grid, "grid (a cell size)", unit="the nodes' CRS units (metres)")
        xmin, ymin, xmax, ymax = nodes.total_bounds
        pad = res / 2
        g = Grid.from_bounds((xmin - pad, ymin - pad, xmax + pad, ymax + pad), res, nodes.crs)
    else:
        g = as_grid(grid)
    # the raster and one float64 temporary of the same size (the DataArray's values)
    check_memory(
        16 * g.height * g.width,
        f"the {g.height:,} x {g.width:,} raster",
        "use a coarser grid (a larger cell size) or a smaller Grid.",
    )
    return g


def _node_values(
    nodes: gpd.GeoDataFrame, column: str
) -> tuple[FloatArray, FloatArray, FloatArray, CRS]:
    """Coordinates, finite values and CRS of the nodes to rasterise (NaN values dropped)."""
    if not isinstance(nodes, gpd.GeoDataFrame):
        raise InputError(
            "nodes must be a GeoDataFrame with the column to rasterise (as from "
            f"geoai.network.accessibility); got {type(nodes).__name__}."
        )
    c.hashable(column, "column")
    if column not in nodes.columns:
        cols = [str(col) for col in nodes.columns if col != nodes.geometry.name][:12]
        raise InputError(
            f"column={c.shown(column)} is not a column of nodes (columns: {cols}); pass "
            "column='effective_density' or 'within_cutoff' for a result of accessibility."
        )
    x, y, crs = v.as_coords(nodes, "nodes")
    v.require_projected(crs, "nodes_to_raster (max_distance in metres)")
    if not pd.api.types.is_numeric_dtype(nodes[column].dtype):
        raise InputError(f"column {column!r} must be numeric; got dtype {nodes[column].dtype}.")
    values = nodes[column].to_numpy(dtype=np.float64, na_value=np.nan)
    ok = np.isfinite(values)
    if not ok.any():
        raise InputError(f"column {column!r} has no finite value to rasterise.")
    return x[ok], y[ok], values[ok], crs


def nodes_to_raster(
    nodes: gpd.GeoDataFrame,
    grid: GridLike | float,
    *,
    column: str = "effective_density",
    method: str = "nearest",
    max_distance: float = 250.0,
    k: int = 8,
    power: float = 2.0,
) -> xr.DataArray:
    """Node values on a raster grid: nearest node, or inverse-distance weighting.

    Parameters
    ----------
    nodes : geopandas.GeoDataFrame
        Points with a projected CRS, e.g. the result of :func:`accessibility`;
        nodes whose value is NaN are ignored.
    grid : geoai.Grid, xarray object, raster path, or float
        The output grid (any CRS: cell centres are projected to the nodes'
        CRS), or a cell size in the nodes' CRS units for a grid covering them.
    column : str, default "effective_density"
        Column to rasterise.
    method : {"nearest", "idw"}
        The value of the nearest node, or the inverse-distance-weighted mean
        (``1 / d**power``) of the ``k`` nearest nodes within ``max_distance``.
    max_distance : float, default 250
        Cells farther than this from every node (CRS units, metres) are NaN.
    k : int, default 8
        Neighbours of ``idw``.
    power : float, default 2
        Distance exponent of ``idw``.

    Returns
    -------
    xarray.DataArray, shape (height, width)
        Dims ``("y", "x")``, rioxarray CRS and transform of the grid, NaN
        nodata; write it with :func:`geoai.io.write_raster`. NaN exactly in
        the cells farther than ``max_distance`` from every node with a value;
        the others hold finite values.

    Raises
    ------
    InputError
        ``nodes`` not a GeoDataFrame, ``column`` missing, non-numeric or
        without a finite value; ``method`` unknown (with a suggestion);
        ``max_distance``, ``power`` or a cell size not finite and > 0; ``k``
        not a whole number >= 1; a grid argument of another type.
    CRSError
        ``nodes`` without a CRS or in a geographic one.
    ResourceError
        The raster would exceed the memory budget (:mod:`geoai._budget`).

    Examples
    --------
    >>> import geopandas as gpd
    >>> pts = gpd.GeoDataFrame({"v": [1.0, 3.0]}, crs="EPSG:3067",
    ...     geometry=gpd.points_from_xy([0.0, 100.0], [0.0, 0.0]))
    >>> nodes_to_raster(pts, 50.0, column="v", max_distance=60).values
    array([[1., 1., 3.]])
    """
    from pyproj import Transformer
    from scipy.spatial import cKDTree

    v.check_choice(method, ("nearest", "idw"), "method")
    reach = c.positive(max_distance, "max_distance", unit="metres")
    p = c.positive(power, "power")
    k = c.whole(k, "k", minimum=1, hint="the nodes averaged by idw, e.g. 8")
    x, y, values, crs = _node_values(nodes, column)
    kk = 1 if method == "nearest" else min(k, values.size)
    g = _raster_grid(grid, nodes)
    tree = cKDTree(np.column_stack([x, y]))
    to_nodes = None if g.crs == crs else Transformer.from_crs(g.crs, crs, always_xy=True)
    cx, cy = g.cell_centers()
    out = np.empty(g.shape)
    rows = max(1, _STRIP_CELLS // g.width)
    for r0 in range(0, g.height, rows):
        gx, gy = (a.ravel() for a in np.meshgrid(cx, cy[r0 : r0 + rows]))
        if to_nodes is not None:
            gx, gy = to_nodes.transform(gx, gy)
        ks = [1] if kk == 1 else kk  # a list keeps the (cells, k) shape for k = 1
        d, j = tree.query(np.column_stack([gx, gy]), k=ks, distance_upper_bound=reach)
        found = np.isfinite(d)  # (cells, kk); missing neighbours have d = inf, j = n
        vals = np.where(found, values[np.minimum(j, values.size - 1)], 0.0)
        if kk == 1:
            strip = np.where(found[:, 0], vals[:, 0], np.nan)
        else:
            w = np.where(found, 1.0 / np.maximum(d, 1e-9) ** p, 0.0)
            total = w.sum(axis=1)
            strip = np.full(total.size, np.nan)
            np.divide((w * vals).sum(axis=1), total, out=strip, where=total > 0)
            lo = np.where(found, vals, np.inf).min(axis=1)  # a weighted mean lies within its
            hi = np.where(found, vals, -np.inf).max(axis=1)  # values; rounding (denormals) aside
            strip = np.where(total > 0, np.clip(strip, lo, hi), strip)
        out[r0 : r0 + rows] = strip.reshape(-1, g.width)
    attrs: dict[str, Any] = {key: str(val) for key, val in nodes.attrs.items()}
    attrs.update(
        source=f"street-network nodes, column {column!r}",
        interpolation="nearest node" if kk == 1 else f"idw (k={kk}, power={p:g})",
        max_distance=reach,
        attribution="© OpenStreetMap contributors (for graphs built from OSM)",
    )
    da = g.to_xarray(out, name=column, attrs=attrs)
    raster: xr.DataArray = da.rio.write_nodata(np.nan, encoded=False, inplace=True)
    return raster


def effective_density_raster(
    G: nx.Graph,  # noqa: N803 - the graph is G, as in networkx and osmnx
    opportunities: gpd.GeoDataFrame,
    column: str,
    grid: GridLike | float,
    *,
    value: str = "effective_density",
    weight: str = "travel_time",
    cutoff: float | None = 1800.0,
    decay: str = "exponential",
    scale: float | None = 600.0,
    max_snap: float | None = None,
    method: str = "nearest",
    max_distance: float = 250.0,
    progress: bool | None = None,
) -> xr.DataArray:
    """Effective density (or ``within_cutoff``) of every node, on a raster grid.

    :func:`accessibility` for all nodes followed by :func:`nodes_to_raster`.

    Parameters
    ----------
    G : networkx graph
        A projected street graph with node ``x``/``y`` and edge ``weight``, as for
        :func:`accessibility`.
    opportunities : geopandas.GeoDataFrame
        Jobs, firms or people as points (any CRS), snapped to their nearest nodes.
    column : str
        Column of ``opportunities`` with the amounts (>= 0).
    grid : geoai.Grid, xarray object, raster path, or float
        Output grid, or a cell size (graph CRS units) for a grid covering the graph.
    value : {"effective_density", "within_cutoff"}
        Which measure to rasterise.
    weight : str, default "travel_time"
        Edge cost attribute: ``"travel_time"`` (seconds) or ``"length"`` (metres).
    cutoff : float or None, default 1800
        Largest cost counted (inclusive), in the units of ``weight``; None for no cut-off.
    decay : {"exponential", "gaussian", "box"}, default "exponential"
        Decay of the effective density with cost.
    scale : float, default 600
        Decay scale in the units of ``weight`` (ignored by ``box``).
    max_snap : float, optional
        Drop opportunities farther than this (metres) from every node instead of snapping them.
    method : {"nearest", "idw"}, default "nearest"
        Value of the nearest node, or inverse-distance-weighted mean of the nearest nodes, as
        for :func:`nodes_to_raster`.
    max_distance : float, default 250
        Cells farther than this from every node (metres) are NaN.
    progress : bool, optional
        Show a progress bar; default only for >= 20,000 nodes on a terminal.

    Returns
    -------
    xarray.DataArray
        As :func:`nodes_to_raster`, with the model in ``attrs``.

    Raises
    ------
    InputError, CRSError, ResourceError
        As :func:`accessibility` and :func:`nodes_to_raster`; ``value``,
        ``method``, ``max_distance`` and a cell size are checked before the
        shortest paths run.

    Examples
    --------
    >>> import geopandas as gpd, geoai
    >>> G = geoai.network.load_graph(geoai.sample_osm_path())
    >>> jobs = gpd.GeoDataFrame({"jobs": [500.0]}, crs="EPSG:4326",
    ...     geometry=gpd.points_from_xy([24.941], [60.170]))
    >>> da = geoai.network.effective_density_raster(G, jobs, "jobs", 100.0)
    >>> da.rio.crs == G.graph["crs"], da.dims
    (True, ('y', 'x'))
    """
    v.check_choice(value, ("effective_density", "within_cutoff"), "value")
    v.check_choice(method, ("nearest", "idw"), "method")  # checked before the long part
    c.positive(max_distance, "max_distance", unit="metres")
    if _is_resolution(grid):
        c.positive(grid, "grid (a cell size)", unit="the graph's CRS units (metres)")
    nodes = accessibility(
        G,
        opportunities,
        column,
        weight=weight,
        cutoff=cutoff,
        decay=decay,
        scale=scale,
        max_snap=max_snap,
        progress=progress,
    )
    return nodes_to_raster(nodes, grid, column=value, method=method, max_distance=max_distance)
