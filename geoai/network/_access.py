"""Street-network graphs, travel costs, accessibility and rasters of :mod:`geoai.network`."""

# ruff: noqa: N803, N806  (G is the networkx/osmnx name of a graph)
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd

from geoai import _validate as v
from geoai._decay import decay_spec
from geoai.errors import CRSError, InputError
from geoai.kernels import decay as kd
from geoai.kernels import graph as kg
from geoai.kernels import n_threads
from geoai.network._graph import Network, as_network, cutoff_of, graph_crs, positions
from geoai.network._osm import download, graph_from_file, is_file_source, osmnx_module
from geoai.stats import _checks as c

if TYPE_CHECKING:
    import os
    from collections.abc import Hashable

    import networkx as nx
    from numpy.typing import NDArray
    from shapely.geometry import MultiPolygon, Polygon

    from geoai._typing import CRSLike

    #: Where a street graph comes from: a local OSM file, a place name, or an area.
    OSMSource: TypeAlias = (
        str | os.PathLike[str] | Polygon | MultiPolygon | gpd.GeoDataFrame | gpd.GeoSeries
    )
    #: Node ids of a graph: one id, or several (a tuple is one id, as in networkx).
    NodeIds: TypeAlias = Hashable | list[Hashable] | NDArray[np.generic] | pd.Index | pd.Series

__all__ = [
    "DECAYS",
    "NETWORK_TYPES",
    "accessibility",
    "load_graph",
    "travel_costs",
]

logger = logging.getLogger("geoai.network")

#: Decay of opportunities with cost ``c`` (``scale`` in the units of the weight).
DECAYS = ("exponential", "gaussian", "box")
#: osmnx network types accepted by :func:`load_graph`.
NETWORK_TYPES = ("drive", "drive_service", "walk", "bike", "all", "all_public")
#: Constant speeds (km/h) of the non-motorised network types.
_CONSTANT_SPEEDS = {"walk": 4.8, "bike": 15.0}
#: Speed (km/h) for a drive graph whose edges carry no ``maxspeed`` at all.
_FALLBACK_KPH = 30.0
#: Sources per kernel call (progress granularity).
_BATCH = 4096


def load_graph(
    source: OSMSource,
    *,
    network_type: str = "drive",
    retain_all: bool = False,
    simplify: bool = True,
    to_crs: CRSLike | None = None,
    speed_kph: float | None = None,
) -> nx.MultiDiGraph:
    """Street graph from an OSM file or OpenStreetMap, projected, with travel times.

    Parameters
    ----------
    source : path-like, str or shapely (Multi)Polygon / GeoDataFrame
        A local OSM XML file (``.osm``, ``.osm.bz2``, ``.osm.gz``, ``.xml``;
        read offline; a string spelt as a path, absolute or starting with
        ``./``, ``../`` or ``~``, is always a file, never geocoded), an OSM
        PBF file (``.osm.pbf``, needs pyosmium), or,
        when the network is available, a place name (geocoded by Nominatim)
        or a polygon (lon/lat, or a GeoDataFrame in any CRS) downloaded from
        Overpass by osmnx.
    network_type : {"drive", "drive_service", "walk", "bike", "all", "all_public"}
        Which ways to keep, with osmnx's definitions (a local file is
        filtered exactly as a download would be). Walking networks are
        two-way; driving networks keep one-way streets one-way.
    retain_all : bool, default False
        Keep every disconnected part; default only the largest weakly
        connected component.
    simplify : bool, default True
        Merge the nodes between intersections (osmnx ``simplify_graph``).
    to_crs : str, int or pyproj.CRS, optional
        Projected CRS of the result; default the UTM zone of the graph.
    speed_kph : float, optional
        One speed for every edge. Default: for driving networks osmnx's
        ``add_edge_speeds`` (OSM ``maxspeed``, imputed per highway type; 30 km/h
        if the graph has no ``maxspeed`` at all), 4.8 km/h for ``walk`` and
        15 km/h for ``bike``.

    Returns
    -------
    networkx.MultiDiGraph
        Projected osmnx graph (metres) with ``length`` (m), ``speed_kph`` and
        ``travel_time`` (s) on every edge.

    Raises
    ------
    InputError
        A missing or unreadable file, a folder, a file with no ways of that
        type, a source of another type, an unknown ``network_type``, a bad
        speed, ``retain_all`` or ``simplify`` not a bool.
    CRSError
        ``to_crs`` is not a CRS, or not a projected one.
    BackendUnavailableError
        osmnx (or pyosmium for PBF) is not installed.
    GeoAIError
        OpenStreetMap could not be reached for a download.

    Examples
    --------
    >>> import geoai
    >>> G = geoai.network.load_graph(geoai.sample_osm_path())
    >>> G.graph["crs"].is_projected, "travel_time" in next(iter(G.edges(data=True)))[2]
    (True, True)
    """
    v.check_choice(network_type, NETWORK_TYPES, "network_type")
    speed = None if speed_kph is None else c.positive(speed_kph, "speed_kph", unit="km/h")
    retain_all, simplify = c.flag(retain_all, "retain_all"), c.flag(simplify, "simplify")
    target = None if to_crs is None else v.as_crs(to_crs, "to_crs")
    if target is not None and not target.is_projected:
        raise CRSError(
            f"to_crs={c.shown(to_crs)} is {target.name}, which is not projected; pass a "
            "projected CRS in metres (e.g. a UTM zone), or None for the graph's UTM zone."
        )
    if isinstance(source, str) and not source.strip():
        raise InputError("source is blank; pass an OSM file path or a place name.")
    if is_file_source(source):
        path = Path(source).expanduser()
        G = graph_from_file(path, network_type, retain_all=retain_all, simplify=simplify)
    elif isinstance(source, str | gpd.GeoDataFrame | gpd.GeoSeries) or _is_polygon(source):
        G = download(source, network_type, retain_all=retain_all, simplify=simplify)
    else:
        raise InputError(
            f"source must be a path to an OSM file, a place name or a (Multi)Polygon; got "
            f"{type(source).__name__} {c.shown(source)}. Pass e.g. geoai.sample_osm_path()."
        )
    if len(G) == 0 or G.number_of_edges() == 0:
        raise InputError(f"the {network_type} graph from {c.shown(source)} has no edges.")
    ox = osmnx_module()
    G = ox.project_graph(G, to_crs=target)
    speed = speed or _CONSTANT_SPEEDS.get(network_type)
    if speed is not None:
        for _, _, data in G.edges(data=True):
            data["speed_kph"] = speed
    else:
        has_maxspeed = any("maxspeed" in d for _, _, d in G.edges(data=True))
        ox.add_edge_speeds(G, fallback=None if has_maxspeed else _FALLBACK_KPH)
    return ox.add_edge_travel_times(G)


def _is_polygon(source: object) -> bool:
    from shapely.geometry import MultiPolygon, Polygon

    return isinstance(source, Polygon | MultiPolygon)


def travel_costs(
    G: nx.Graph, source: Hashable, *, weight: str = "travel_time", cutoff: float | None = None
) -> pd.Series:
    """Shortest-path costs from one node to every node within ``cutoff``.

    The bounded Dijkstra of :func:`accessibility`, exposed for checks and
    isochrones; equal to networkx's
    ``single_source_dijkstra_path_length(G, source, cutoff, weight)``.

    Parameters
    ----------
    G : networkx graph
        Directed (one-way edges respected) or undirected; parallel edges count
        with their cheapest cost.
    source : node id
        Start node.
    weight : str, default "travel_time"
        Edge attribute holding the cost (finite, >= 0).
    cutoff : float, optional
        Largest cost kept (inclusive), in the units of ``weight``.

    Returns
    -------
    pandas.Series
        Cost per reached node (indexed by node id), by increasing cost; the
        source itself has cost 0. Nodes not reached within ``cutoff`` (or not
        connected to ``source``) are absent, never NaN or infinite.

    Raises
    ------
    InputError
        ``G`` not a graph or empty (no nodes); edges without ``weight``
        or with negative, NaN, infinite or non-numeric costs; ``source`` not
        a node of ``G``; ``cutoff`` not a finite number >= 0.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_edge(1, 2, cost=5.0); G.add_edge(1, 2, cost=3.0); G.add_edge(2, 3, cost=4.0)
    0
    1
    0
    >>> travel_costs(G, 1, weight="cost", cutoff=7).to_dict()
    {1: 0.0, 2: 3.0, 3: 7.0}
    """
    net = as_network(G, weight, coords=False)
    src = positions(net, [source], "source")[0]
    nodes, costs = kg.single_source(net.indptr, net.indices, net.weights, src, cutoff_of(cutoff))
    return pd.Series(costs, index=pd.Index(net.ids[nodes], name="node"), name=weight)


# ------------------------------------------------------------------ accessibility
def _decay_spec(decay: str, scale: float | None, cutoff: float) -> tuple[int, float]:
    """Kernel ``(kind, beta)`` for a decay in cost units (geoai._decay; box: the cut-off)."""
    v.check_choice(decay, DECAYS, "decay")
    if decay != "box" and scale is not None:
        scale = c.positive(scale, "scale")
    if decay == "box":
        if math.isinf(cutoff):
            raise InputError("decay='box' counts opportunities within the cut-off; pass cutoff=.")
        return kd.BOX, cutoff
    spec = decay_spec(
        decay, scale=scale, scale_name="scale", unit="units of the weight", takes_beta=False
    )
    return spec.kind, spec.beta


@dataclass(frozen=True)
class _Snapped:
    mass: np.ndarray  # (n,) opportunities per node
    total: float
    n_points: int
    n_dropped: int
    max_snap: float


def _snap(
    net: Network, opportunities: gpd.GeoDataFrame, column: str, max_snap: float | None
) -> _Snapped:
    """Opportunities summed onto their nearest node (Euclidean, in the graph's CRS)."""
    from pyproj import Transformer
    from scipy.spatial import cKDTree

    if not isinstance(column, str) or column not in getattr(opportunities, "columns", ()):
        cols = list(getattr(opportunities, "columns", []))
        raise InputError(
            f"column={column!r} is not a column of opportunities (columns: {cols}); name the "
            "column holding the opportunities (jobs, firms, people)."
        )
    x, y, crs = v.as_coords(opportunities, "opportunities")
    mass = v.as_mass(opportunities[column], column, allow_zero_sum=True)
    with np.errstate(over="ignore"):
        total = mass.sum()
    if not np.isfinite(total):
        raise InputError(
            f"the opportunities in {column!r} add up beyond the float range; rescale them "
            "(e.g. to thousands of jobs)."
        )
    if crs != net.crs:
        tr = Transformer.from_crs(crs, net.crs, always_xy=True)
        x, y = (np.asarray(a, dtype=np.float64) for a in tr.transform(x, y))
        bad = np.flatnonzero(~(np.isfinite(x) & np.isfinite(y)))
        if bad.size:
            raise CRSError(
                f"{bad.size} opportunities cannot be projected to the graph's CRS (first at "
                f"positions {bad[:5].tolist()}); drop them or check their CRS."
            )
    dist, node = cKDTree(np.column_stack([net.x, net.y])).query(np.column_stack([x, y]))
    keep = np.ones(mass.size, dtype=bool)
    if max_snap is not None:
        keep = dist <= c.positive(max_snap, "max_snap", allow_zero=True, unit="metres")
        if not keep.all():
            logger.info(
                "%d of %d opportunities lie farther than max_snap=%g from any node; dropped",
                int((~keep).sum()),
                mass.size,
                max_snap,
            )
    per_node = np.bincount(node[keep], weights=mass[keep], minlength=net.n)
    far = float(dist[keep].max()) if keep.any() else 0.0
    return _Snapped(per_node, float(mass[keep].sum()), mass.size, int((~keep).sum()), far)


def accessibility(
    G: nx.Graph,
    opportunities: gpd.GeoDataFrame,
    column: str,
    *,
    weight: str = "travel_time",
    cutoff: float | None = 1800.0,
    decay: str = "exponential",
    scale: float | None = 600.0,
    sources: NodeIds | None = None,
    max_snap: float | None = None,
    progress: bool | None = None,
) -> gpd.GeoDataFrame:
    """Opportunities reachable from every node, plain and decay-weighted (effective density).

    For each source node ``i`` with shortest-path costs ``c_ij`` along the
    graph's directed edges:

    * ``within_cutoff`` = ``sum_j O_j`` over nodes with ``c_ij <= cutoff``;
    * ``effective_density`` = ``sum_j O_j f(c_ij)`` over the same nodes, with
      ``f(c) = exp(-c / scale)`` (exponential), ``exp(-c² / (2 scale²))``
      (gaussian) or 1 (box: equal to ``within_cutoff``).

    Parameters
    ----------
    G : networkx graph
        A projected street graph (e.g. from :func:`load_graph`) whose nodes
        have ``x``/``y`` coordinates and whose edges have ``weight``.
    opportunities : geopandas.GeoDataFrame
        Jobs, firms or people as points (other geometries use a
        representative point), in any CRS (reprojected to the graph's); each
        is snapped to its nearest graph node.
    column : str
        Column of ``opportunities`` with the amounts (>= 0).
    weight : str, default "travel_time"
        Edge cost attribute: ``"travel_time"`` (seconds) or ``"length"`` (metres).
    cutoff : float or None, default 1800
        Largest cost counted (inclusive), in the units of ``weight``; None
        for no cut-off.
    decay : {"exponential", "gaussian", "box"}
        Decay of the effective density with cost.
    scale : float, default 600
        Decay scale in the units of ``weight`` (ignored by ``box``).
    sources : node id or list of node ids, optional
        Nodes to compute; default every node.
    max_snap : float, optional
        Drop opportunities farther than this (CRS units, metres) from every
        node, instead of snapping them to the network's edge.
    progress : bool, optional
        Show a progress bar; default only for >= 20,000 sources on a terminal.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per source node, indexed by node id (``osmid``), with
        ``within_cutoff``, ``effective_density``, ``opportunities`` (the
        amount snapped to the node itself), ``reachable_nodes`` and the node
        point in the graph's CRS. ``attrs`` records the model.

    Raises
    ------
    InputError
        An empty graph, edges without ``weight`` or with
        negative, NaN, infinite or non-numeric costs, a missing column, bad
        masses (NaN, negative, or a total beyond float range) or parameters,
        unknown sources, a ``progress`` that is not a bool or None.
    CRSError
        An unprojected graph (or one without CRS), node coordinates that look
        like lon/lat degrees under the graph's projected CRS, or opportunities
        without CRS.

    Notes
    -----
    A node without edges (possible with ``load_graph(retain_all=True)``, or
    every node of a graph without edges) reaches only itself, as in
    networkx: its ``within_cutoff`` is the amount snapped to it, and
    opportunities snapped to it are reached from no other node. The result
    holds numbers everywhere (no NaN).

    Examples
    --------
    >>> import geopandas as gpd, geoai
    >>> G = geoai.network.load_graph(geoai.sample_osm_path())
    >>> jobs = gpd.GeoDataFrame({"jobs": [500.0, 200.0]}, crs="EPSG:4326",
    ...     geometry=gpd.points_from_xy([24.941, 24.948], [60.170, 60.168]))
    >>> acc = geoai.network.accessibility(G, jobs, "jobs", cutoff=600, scale=300)
    >>> bool(acc["within_cutoff"].max() == 700), acc.index.name
    (True, 'osmid')
    """
    if progress is not None:
        c.flag(progress, "progress")
    net = as_network(G, weight, coords=True)
    crs = graph_crs(G)  # the one net holds (coords=True), known here not to be None
    if not crs.is_projected:
        raise CRSError(
            f"accessibility needs a projected graph (metres) to snap opportunities and to "
            f"measure metric cut-offs, but G is in {crs.name} ({crs.to_string()}). "
            "Project it with osmnx.project_graph(G), or build it with "
            "geoai.network.load_graph(...), which does."
        )
    cut = cutoff_of(cutoff)
    kind, beta = _decay_spec(decay, scale, cut)
    snapped = _snap(net, opportunities, column, max_snap)
    src = net.in_graph_order if sources is None else positions(net, sources, "sources")
    within, effective, reached = _run(
        net, src, snapped.mass, cutoff=cut, kind=kind, beta=beta, progress=progress
    )
    out = gpd.GeoDataFrame(
        {
            "within_cutoff": within,
            "effective_density": effective,
            "opportunities": snapped.mass[src],
            "reachable_nodes": reached,
        },
        geometry=gpd.points_from_xy(net.x[src], net.y[src]),
        crs=crs,
        index=pd.Index(net.ids[src], name="osmid", tupleize_cols=False),
    )
    out.attrs = {
        "model": "accessibility (Hansen 1959) on shortest network paths",
        "weight": weight,
        "cutoff": cut if math.isfinite(cut) else "none",
        "decay": decay,
        "scale": "none" if decay == "box" else float(scale or 0.0),
        "opportunities_total": snapped.total,
        "opportunities_points": snapped.n_points,
        "opportunities_dropped": snapped.n_dropped,
        "max_snap_distance": snapped.max_snap,
    }
    return out


def _run(
    net: Network,
    src: np.ndarray,
    mass: np.ndarray,
    *,
    cutoff: float,
    kind: int,
    beta: float,
    progress: bool | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run the parallel kernel over batches of sources (progress between batches).

    The sources run by position (street neighbours sit close after ``_graph.locality_order``, so
    consecutive searches share what is in cache); results come back in the
    order of ``src``.
    """
    from tqdm import tqdm

    by_position = np.argsort(src, kind="stable")
    src = src[by_position]
    within = np.empty(src.size)
    effective = np.empty(src.size)
    reached = np.empty(src.size, dtype=np.int64)
    chunks = max(1, min(n_threads(), src.size))
    disable = (src.size < 20_000 or None) if progress is None else not progress
    with tqdm(total=src.size, desc="accessibility", unit="node", disable=disable) as bar:
        for start in range(0, src.size, _BATCH):
            sl = slice(start, start + _BATCH)
            within[sl], effective[sl], reached[sl] = kg.accessibility(
                net.indptr, net.indices, net.weights, src[sl], mass, cutoff, kind, beta, chunks
            )
            bar.update(src[sl].size)
    back = np.empty_like(by_position)
    back[by_position] = np.arange(by_position.size)
    return within[back], effective[back], reached[back]
