"""Street graphs as compressed sparse rows for :mod:`geoai.network`, checked once.

A networkx graph is copied into CSR arrays (:class:`Network`) after its edge
costs, node ids and node coordinates have been checked: every bad graph ends
in an :class:`~geoai.errors.InputError` or :class:`~geoai.errors.CRSError`
that names the problem and the fix, before any shortest path runs.

The CSR positions are not the graph's node order: nodes are renumbered in
reverse Cuthill-McKee order of the undirected street pattern
(:func:`locality_order`), so that nodes near each other on the streets sit
near each other in memory. A bounded search then touches a few contiguous
stretches of the cost and arc arrays instead of the whole of them (OSM node
ids, and so osmnx's node order, carry little locality): for street graphs
in random node order the all-node searches run 1.5-2× faster renumbered at
40,000-50,000 nodes and 3.3× at 200,000 (benchmarks/bench_network.py).
Renumbering changes no cost (the same sums of the same arc costs), only
which of two equal-cost nodes is settled first.
"""

# ruff: noqa: N803  (G is the networkx/osmnx name of a graph)
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

import numpy as np
import pandas as pd

from geoai import _validate as v
from geoai.errors import CRSError, InputError
from geoai.kernels import graph as kg
from geoai.stats import _checks as c

if TYPE_CHECKING:
    from collections.abc import Hashable

    import networkx as nx
    from numpy.typing import NDArray
    from pyproj import CRS

    #: Node ids of a graph: one id, or several (a tuple is one id, as in networkx).
    NodeIds: TypeAlias = Hashable | list[Hashable] | NDArray[np.generic] | pd.Index | pd.Series

__all__ = ["Network", "as_network", "cutoff_of", "graph_crs", "locality_order", "positions"]


@dataclass(frozen=True)
class Network:
    """A validated graph in CSR form with node ids and coordinates."""

    ids: np.ndarray  # node ids in position order (see locality_order: not G's order)
    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray
    x: np.ndarray
    y: np.ndarray
    crs: CRS | None  # None unless built with coords=True
    weight: str
    order: np.ndarray  # order[k]: the index in G.nodes of the node at position k

    @property
    def n(self) -> int:
        return int(self.ids.size)

    @property
    def in_graph_order(self) -> np.ndarray:
        """Positions of G's nodes in the order ``G.nodes`` lists them, shape (n,), int64."""
        return np.argsort(self.order, kind="stable")


def graph_crs(G: nx.Graph) -> CRS:
    crs = G.graph.get("crs")
    if crs is None:
        raise CRSError(
            "the graph has no CRS (G.graph['crs']); build it with geoai.network.load_graph or "
            "osmnx, or set G.graph['crs'] to the CRS of its node x/y coordinates."
        )
    return v.as_crs(crs, "G.graph['crs']")


def as_network(G: nx.Graph, weight: str, *, coords: bool) -> Network:
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
    tail, head, cost = _arcs(G, weight, pos)
    order = locality_order(len(pos), tail, head)
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    indptr, indices, weights = kg.csr_from_arcs(len(pos), rank[tail], rank[head], cost)
    x = y = np.empty(0)
    crs = None
    if coords:
        crs = graph_crs(G)
        x, y = _node_coords(G, crs)
        x, y = x[order], y[order]
    return Network(ids[order], indptr, indices, weights, x, y, crs, weight, order)


def locality_order(n: int, tail: np.ndarray, head: np.ndarray) -> np.ndarray:
    """Renumber the nodes so that street neighbours stay close: reverse Cuthill-McKee order.

    Cuthill and McKee (1969) number the nodes breadth first from a
    peripheral node, neighbours by increasing degree, which keeps the
    bandwidth ``max |position(u) - position(v)|`` over the arcs small; the
    reversed order (George 1971) is SciPy's ``reverse_cuthill_mckee``, run on
    the undirected pattern of the arcs (every connected part in turn).

    Parameters
    ----------
    n : int
        Number of nodes (positions ``0 .. n - 1``).
    tail, head : ndarray, shape (m,), integer
        Arc ends, as positions.

    Returns
    -------
    ndarray, shape (n,), int64
        ``order[k]`` is the old position of the node placed at ``k`` (a
        permutation of ``0 .. n - 1``).

    Examples
    --------
    >>> import numpy as np
    >>> # a path 0 - 2 - 1 - 3 stored out of order: renumbered, neighbours are adjacent
    >>> order = locality_order(4, np.array([0, 2, 1]), np.array([2, 1, 3]))
    >>> rank = np.argsort(order)
    >>> sorted(abs(int(rank[a]) - int(rank[b])) for a, b in [(0, 2), (2, 1), (1, 3)])
    [1, 1, 1]
    """
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import reverse_cuthill_mckee

    a = csr_array(
        (np.ones(2 * tail.size, dtype=np.int32), (np.r_[tail, head], np.r_[head, tail])),
        shape=(n, n),
    )
    return np.asarray(reverse_cuthill_mckee(a, symmetric_mode=True), dtype=np.int64)


def _arcs(
    G: nx.Graph, weight: str, pos: dict[Hashable, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(tail, head, cost)`` of every arc (an undirected edge is two), checked."""
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
    cost = _edge_costs([e[2] for e in edges], weight)
    bad = np.flatnonzero(~np.isfinite(cost) | (cost < 0))
    if bad.size:
        u, w, first = edges[bad[0]][0], edges[bad[0]][1], cost[bad[0]]
        raise InputError(
            f"{bad.size} edge(s) have a negative, NaN or infinite {weight!r} (e.g. "
            f"{c.shown(u)} -> {c.shown(w)}: {first}); shortest paths need finite costs >= 0. "
            "Fix or drop those edges."
        )
    with np.errstate(over="ignore"):
        total = cost.sum()
    if not np.isfinite(total):
        raise InputError(
            f"the edges' {weight!r} add up beyond the float range, so path costs would "
            "overflow; rescale them (e.g. seconds to hours)."
        )
    tail = np.fromiter((pos[e[0]] for e in edges), dtype=np.int64, count=len(edges))
    head = np.fromiter((pos[e[1]] for e in edges), dtype=np.int64, count=len(edges))
    if not G.is_directed():  # an undirected edge is two arcs
        tail, head, cost = np.r_[tail, head], np.r_[head, tail], np.r_[cost, cost]
    return tail, head, cost


def _node_coords(G: nx.Graph, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    """Return the nodes' ``x`` and ``y`` (float64, shape (n,)), checked against ``crs``."""
    n = len(G)
    try:
        x = np.fromiter((d["x"] for _, d in G.nodes(data=True)), np.float64, count=n)
        y = np.fromiter((d["y"] for _, d in G.nodes(data=True)), np.float64, count=n)
    except (KeyError, TypeError, ValueError, OverflowError):
        raise InputError(
            "every node needs numeric 'x' and 'y' coordinates (osmnx graphs have them)."
        ) from None
    v.check_finite(x, "node x coordinates")
    v.check_finite(y, "node y coordinates")
    try:
        v.check_coords_crs(x, y, crs, "G", given_as="xy")
    except CRSError as exc:
        raise CRSError(
            f"{str(exc).split(';')[0]}; set G.graph['crs'] to the CRS of the node x/y "
            "coordinates, then project the graph with osmnx.project_graph(G)."
        ) from None
    return x, y


def _edge_costs(values: list[object], weight: str) -> np.ndarray:
    """Return the edge costs as float64, refusing strings, bools and numbers beyond float range."""
    odd = next((x for x in values if isinstance(x, str | bytes | bool | np.bool_)), None)
    if odd is not None:
        raise InputError(
            f"edge attribute {weight!r} must be numeric; got {type(odd).__name__} "
            f"{c.shown(odd)}. Convert it, e.g. after osmnx.load_graphml pass "
            "edge_dtypes={" + repr(weight) + ": float}."
        )
    try:
        return np.array(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise InputError(
            f"edge attribute {weight!r} must hold one finite number per edge; convert it, e.g. "
            "after osmnx.load_graphml pass edge_dtypes={" + repr(weight) + ": float}."
        ) from None


def positions(net: Network, nodes: NodeIds, name: str) -> np.ndarray:
    """Positions of node ids in ``net`` (InputError naming the unknown ones)."""
    listed = list(nodes) if isinstance(nodes, list | np.ndarray | pd.Index | pd.Series) else [nodes]
    v.check_nonempty(len(listed), name)
    for node in listed:
        c.hashable(node, name)
    wanted = np.empty(len(listed), dtype=object)
    for k, node in enumerate(listed):
        wanted[k] = node
    pos = pd.Index(net.ids, tupleize_cols=False).get_indexer(
        pd.Index(wanted, dtype=object, tupleize_cols=False)
    )
    if (pos < 0).any():
        bad = ", ".join(c.shown(b) for b in wanted[pos < 0][:5])
        raise InputError(
            f"{name} has {int((pos < 0).sum())} node id(s) not in G, e.g. [{bad}]; pass ids of "
            "G's nodes (list(G.nodes))."
        )
    return np.asarray(pos.astype(np.int64))


def cutoff_of(cutoff: float | None) -> float:
    return math.inf if cutoff is None else c.positive(cutoff, "cutoff", allow_zero=True)
