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
from geoai.network._osm import download, graph_from_file, is_file_source, osmnx_module

if TYPE_CHECKING:
    import os
    from collections.abc import Hashable

    import networkx as nx
    from numpy.typing import NDArray
    from pyproj import CRS
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
        read offline), an OSM PBF file (``.osm.pbf``, needs pyosmium), or,
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
        A missing or unreadable file, a file with no ways of that type, an
        unknown ``network_type``, a bad speed.
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
    speed = None if speed_kph is None else v.check_positive(speed_kph, "speed_kph")
    if is_file_source(source):
        G = graph_from_file(Path(source), network_type, retain_all=retain_all, simplify=simplify)
    else:
        G = download(source, network_type, retain_all=retain_all, simplify=simplify)
    if len(G) == 0 or G.number_of_edges() == 0:
        raise InputError(f"the {network_type} graph from {source!r} has no edges.")
    ox = osmnx_module()
    G = ox.project_graph(G, to_crs=to_crs)
    if not _graph_crs(G).is_projected:
        raise CRSError(f"to_crs={to_crs!r} is geographic; pass a projected CRS in metres.")
    speed = speed or _CONSTANT_SPEEDS.get(network_type)
    if speed is not None:
        for _, _, data in G.edges(data=True):
            data["speed_kph"] = speed
    else:
        has_maxspeed = any("maxspeed" in d for _, _, d in G.edges(data=True))
        ox.add_edge_speeds(G, fallback=None if has_maxspeed else _FALLBACK_KPH)
    return ox.add_edge_travel_times(G)


# ------------------------------------------------------------------ the graph as arrays
@dataclass(frozen=True)
class _Network:
    """A validated graph in CSR form with node ids and coordinates."""

    ids: np.ndarray  # node ids in position order
    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray
    x: np.ndarray
    y: np.ndarray
    crs: CRS | None  # None unless built with coords=True
    weight: str

    @property
    def n(self) -> int:
        return int(self.ids.size)


def _graph_crs(G: nx.Graph) -> CRS:
    crs = G.graph.get("crs")
    if crs is None:
        raise CRSError(
            "the graph has no CRS (G.graph['crs']); build it with geoai.network.load_graph or "
            "osmnx, or set G.graph['crs'] to the CRS of its node x/y coordinates."
        )
    return v.as_crs(crs, "G.graph['crs']")


def _as_network(G: nx.Graph, weight: str, *, coords: bool) -> _Network:
    import networkx as nx

    if not isinstance(G, nx.Graph):
        raise InputError(
            "G must be a networkx graph (as from geoai.network.load_graph); got "
            f"{type(G).__name__}."
        )
    if len(G) == 0:
        raise InputError("the graph is empty (no nodes); load a graph that covers streets.")
    if not isinstance(weight, str):
        raise InputError(f"weight must be the name of an edge attribute; got {weight!r}.")
    nodes = list(G.nodes)
    if all(isinstance(node, int | np.integer) for node in nodes):
        ids = np.array(nodes, dtype=np.int64)
    else:  # tuples, strings, ...: kept as they are
        ids = np.empty(len(nodes), dtype=object)
        for k, node in enumerate(nodes):
            ids[k] = node
    pos = {node: k for k, node in enumerate(G.nodes)}
    edges = list(G.edges(data=weight))
    missing = sum(1 for e in edges if e[2] is None)
    if missing:
        attrs = sorted({k for _, _, d in G.edges(data=True) for k in d})[:12]
        raise InputError(
            f"{missing} of {len(edges)} edges have no {weight!r} attribute (edge attributes: "
            f"{attrs}); add travel times with osmnx.add_edge_speeds(G) and "
            "osmnx.add_edge_travel_times(G) (geoai.network.load_graph does both), or pass "
            "weight='length'."
        )
    try:
        cost = np.array([e[2] for e in edges], dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(
            f"edge attribute {weight!r} must be numeric; convert it, e.g. after "
            "osmnx.load_graphml pass edge_dtypes={" + repr(weight) + ": float}."
        ) from None
    bad = np.flatnonzero(~np.isfinite(cost) | (cost < 0))
    if bad.size:
        u, w, c = edges[bad[0]][0], edges[bad[0]][1], cost[bad[0]]
        raise InputError(
            f"{bad.size} edge(s) have a negative, NaN or infinite {weight!r} (e.g. {u} -> {w}: "
            f"{c}); shortest paths need finite costs >= 0. Fix or drop those edges."
        )
    tail = np.fromiter((pos[e[0]] for e in edges), dtype=np.int64, count=len(edges))
    head = np.fromiter((pos[e[1]] for e in edges), dtype=np.int64, count=len(edges))
    if not G.is_directed():  # an undirected edge is two arcs
        tail, head, cost = np.r_[tail, head], np.r_[head, tail], np.r_[cost, cost]
    indptr, indices, weights = kg.csr_from_arcs(len(pos), tail, head, cost)
    x = y = np.empty(0)
    crs = None
    if coords:
        crs = _graph_crs(G)
        try:
            x = np.fromiter((d["x"] for _, d in G.nodes(data=True)), np.float64, count=len(pos))
            y = np.fromiter((d["y"] for _, d in G.nodes(data=True)), np.float64, count=len(pos))
        except (KeyError, TypeError, ValueError):
            raise InputError(
                "every node needs numeric 'x' and 'y' coordinates (osmnx graphs have them)."
            ) from None
        v.check_finite(x, "node x coordinates")
        v.check_finite(y, "node y coordinates")
    return _Network(ids, indptr, indices, weights, x, y, crs, weight)


def _positions(net: _Network, nodes: NodeIds, name: str) -> np.ndarray:
    """Positions of node ids in ``net`` (InputError naming the unknown ones)."""
    listed = list(nodes) if isinstance(nodes, list | np.ndarray | pd.Index | pd.Series) else [nodes]
    v.check_nonempty(len(listed), name)
    wanted = np.empty(len(listed), dtype=object)
    for k, node in enumerate(listed):
        wanted[k] = node
    pos = pd.Index(net.ids, tupleize_cols=False).get_indexer(
        pd.Index(wanted, dtype=object, tupleize_cols=False)
    )
    if (pos < 0).any():
        bad = wanted[pos < 0][:5].tolist()
        raise InputError(f"{name} has {int((pos < 0).sum())} node id(s) not in G, e.g. {bad}.")
    return np.asarray(pos.astype(np.int64))


def _cutoff(cutoff: float | None) -> float:
    return math.inf if cutoff is None else v.check_positive(cutoff, "cutoff", allow_zero=True)


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
        source itself has cost 0.

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
    net = _as_network(G, weight, coords=False)
    src = _positions(net, [source], "source")[0]
    nodes, costs = kg.single_source(net.indptr, net.indices, net.weights, src, _cutoff(cutoff))
    return pd.Series(costs, index=pd.Index(net.ids[nodes], name="node"), name=weight)


# ------------------------------------------------------------------ accessibility
def _decay_spec(decay: str, scale: float | None, cutoff: float) -> tuple[int, float]:
    """Kernel ``(kind, beta)`` for a decay in cost units (geoai._decay; box: the cut-off)."""
    v.check_choice(decay, DECAYS, "decay")
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
    net: _Network, opportunities: gpd.GeoDataFrame, column: str, max_snap: float | None
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
        keep = dist <= v.check_positive(max_snap, "max_snap", allow_zero=True)
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
        An empty graph, edges without ``weight`` or with negative / NaN
        costs, a missing column, bad masses or parameters, unknown sources.
    CRSError
        An unprojected graph (or one without CRS), or opportunities without CRS.

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
    net = _as_network(G, weight, coords=True)
    crs = _graph_crs(G)  # the one net holds (coords=True), known here not to be None
    if not crs.is_projected:
        raise CRSError(
            f"accessibility needs a projected graph (metres) to snap opportunities and to "
            f"measure metric cut-offs, but G is in {crs.name} ({crs.to_string()}). "
            "Project it with osmnx.project_graph(G), or build it with "
            "geoai.network.load_graph(...), which does."
        )
    cut = _cutoff(cutoff)
    kind, beta = _decay_spec(decay, scale, cut)
    snapped = _snap(net, opportunities, column, max_snap)
    src = (
        np.arange(net.n, dtype=np.int64) if sources is None else _positions(net, sources, "sources")
    )
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
    net: _Network,
    src: np.ndarray,
    mass: np.ndarray,
    *,
    cutoff: float,
    kind: int,
    beta: float,
    progress: bool | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run the parallel kernel over batches of sources (progress between batches)."""
    from tqdm import tqdm

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
    return within, effective, reached
