"""Benchmark geoai.network accessibility side by side with pandana 0.8 (and networkx).

Run: ``python benchmarks/bench_network.py [--quick] [--graphs helsinki,city,region]``
(prints one markdown table; needs ``pip install pandana==0.8``).

Three graphs, all directed (one-way streets kept), the same arrays given to
every tool:

* ``helsinki``: the shipped OSM extract's walk network
  (``load_graph(sample_osm_path(), network_type="walk")``, 4.8 km/h);
* ``city``: the synthetic grid city of 224 × 224 = 50,176 intersections
  (100 m blocks, arterials every 8th street, one-way streets, 60-100 %
  congestion per segment) of the earlier version of this benchmark;
* ``region``: a generated 448 × 448 = 200,704-node planar road network with a
  hierarchy: intersections jittered by up to ±30 m, local streets (30 km/h,
  20 % of the segments missing, so blocks are irregular and some streets dead
  ends, 10 % one-way, a diagonal street in 8 % of the blocks), collectors
  every 6th line (40 km/h), arterials every 24th (60 km/h), expressways every
  96th (90 km/h); lengths are the jittered straight lines × a 0-15 % detour.
  Its node ids are in random order, as OSM ids (and so osmnx graphs) carry
  little locality; the grid city keeps its row-major order (the best case
  for a tool that does not renumber).

Opportunities are clustered job sites snapped to their nearest node
(same rule for every tool). Edge costs are travel times in **whole
centiseconds** (``max(1, round(100 t))``): pandana stores costs as integer
thousandths of the unit (``unsigned int(w * 1000)``, at least 1) and returns
range distances as float32; with whole-number costs both tools add exact
integers, so the values can be compared to 1e-9 on every node.

What pandana 0.8 computes (read from its C++, ``src/accessibility.cpp``,
``src/graphalg.cpp``, ``contraction_hierarchies/.../SimpleCHQuery.h``):
``Network(...)`` builds a contraction hierarchy (used for routing and
``nearest_pois``, **not** for ``aggregate``) and a plain copy of the graph;
``aggregate(R, type="sum", decay=...)`` runs, per node in parallel (OpenMP),
``RangeQuery``: Dijkstra on the plain graph with a binary heap with
decrease-key on integer costs, keeping costs ``<= R`` (inclusive), then sums
``flat``: ``v``; ``exp``: ``v * exp(-d / R)``; ``linear``: ``v * (1 - d / R)``
over the reached nodes (``v`` stored as float32, the sum in double). So
pandana's ``exp`` is geoai's ``decay="exponential"`` with ``scale = cutoff``,
and ``flat`` is geoai's ``within_cutoff``; both cut-offs are inclusive.

Cases (each in a fresh process: peak memory is per case):

* pandana: ``Network(...)`` (preprocessing, timed apart), ``set`` and
  ``aggregate`` flat and exp for all nodes (each a full pass: pandana has no
  call that returns both);
* geoai: the CSR copy of the networkx graph, renumbered for locality (its
  preprocessing), and the kernel on all nodes (both sums in one pass), which
  is what ``geoai.network.accessibility`` runs; and the same in G's node
  order without renumbering (the kernel before #18), to show what that step
  wins;
* networkx ``single_source_dijkstra_path_length`` on a DiGraph (the naive
  way), timed on a sample of sources and extrapolated.

Compile time of the graph kernels is measured apart with an empty Numba cache.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Self

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Timer, isolated, load

BLOCK_M = 100.0
CRS = "EPSG:32635"  # a metric UTM zone; the synthetic graphs sit near its false origin
X0, Y0 = 380_000.0, 6_660_000.0
TICKS = 100.0  # cost unit: centiseconds
#: default cut-off per graph, minutes (walk, grid city, region)
MINUTES = {"helsinki": 15.0, "city": 30.0, "region": 10.0}
#: intersections a side of the synthetic graphs: (full, --quick)
SIDES = {"helsinki": (0, 0), "city": (224, 60), "region": (448, 120)}


# ------------------------------------------------------------------ graphs as arrays
def grid_city(side: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    """The synthetic grid city: ``(x, y, tail, head, seconds)`` arrays."""
    rng = np.random.default_rng(seed)
    ids = np.arange(side * side).reshape(side, side)  # row-major: rows are y, columns x
    x = (X0 + np.tile(np.arange(side), side) * BLOCK_M).astype(float)
    y = (Y0 + np.repeat(np.arange(side), side) * BLOCK_M).astype(float)
    tail, head, secs = [], [], []

    def street(u: int, v: int, *, arterial: bool) -> None:
        kph = (50.0 if arterial else 30.0) * rng.uniform(0.6, 1.0)
        tail.append(u)
        head.append(v)
        secs.append(BLOCK_M / (kph / 3.6))

    for r in range(side):  # east-west streets along row r
        arterial, one_way = r % 8 == 0, r % 8 == 4
        for c in range(side - 1):
            a, b = int(ids[r, c]), int(ids[r, c + 1])
            if not one_way or (r // 8) % 2 == 0:
                street(a, b, arterial=arterial)
            if not one_way or (r // 8) % 2 == 1:
                street(b, a, arterial=arterial)
    for c in range(side):  # north-south streets along column c
        arterial, one_way = c % 8 == 0, c % 8 == 4
        for r in range(side - 1):
            a, b = int(ids[r, c]), int(ids[r + 1, c])
            if not one_way or (c // 8) % 2 == 0:
                street(a, b, arterial=arterial)
            if not one_way or (c // 8) % 2 == 1:
                street(b, a, arterial=arterial)
    return x, y, np.array(tail), np.array(head), np.array(secs)


def _class_of(line: np.ndarray) -> np.ndarray:
    """Road class of a grid line: 0 local, 1 collector, 2 arterial, 3 expressway."""
    return (line % 6 == 0).astype(int) + (line % 24 == 0) + (line % 96 == 0)


def region(side: int, seed: int = 2) -> tuple[np.ndarray, ...]:
    """The hierarchical planar road network: ``(x, y, tail, head, seconds)`` arrays."""
    rng = np.random.default_rng(seed)
    r, c = np.divmod(np.arange(side * side), side)
    x = X0 + c * BLOCK_M + rng.uniform(-30, 30, r.size)
    y = Y0 + r * BLOCK_M + rng.uniform(-30, 30, r.size)
    kph = np.array([30.0, 40.0, 60.0, 90.0])
    u_parts, v_parts, cls_parts = [], [], []
    east = c < side - 1  # segment node -> node + 1 along row r (class of row r)
    u_parts.append(np.flatnonzero(east))
    v_parts.append(u_parts[-1] + 1)
    cls_parts.append(_class_of(r[east]))
    north = r < side - 1  # segment node -> node + side along column c
    u_parts.append(np.flatnonzero(north))
    v_parts.append(u_parts[-1] + side)
    cls_parts.append(_class_of(c[north]))
    diag = east & north & (rng.random(r.size) < 0.08)  # a local diagonal across a block
    flip = rng.random(r.size) < 0.5
    du = np.flatnonzero(diag)
    u_parts.append(np.where(flip[du], du + 1, du))
    v_parts.append(np.where(flip[du], du + side, du + side + 1))
    cls_parts.append(np.zeros(du.size, dtype=int))
    u, v, cls = (np.concatenate(p) for p in (u_parts, v_parts, cls_parts))
    keep = (cls > 0) | (rng.random(u.size) >= 0.20)  # irregular blocks, dead ends
    u, v, cls = u[keep], v[keep], cls[keep]
    length = np.hypot(x[u] - x[v], y[u] - y[v]) * rng.uniform(1.0, 1.15, u.size)
    speed = kph[cls] * np.where(cls > 0, rng.uniform(0.6, 1.0, u.size), 1.0)
    secs = length / (speed / 3.6)
    one_way = (cls == 0) & (rng.random(u.size) < 0.10)
    fwd = ~one_way | (rng.random(u.size) < 0.5)
    bwd = ~one_way | ~fwd
    tail = np.concatenate([u[fwd], v[bwd]])
    head = np.concatenate([v[fwd], u[bwd]])
    return x, y, tail, head, np.concatenate([secs[fwd], secs[bwd]])


def helsinki() -> tuple[np.ndarray, ...]:
    """The shipped walk network: ``(x, y, tail, head, seconds)`` arrays (node positions)."""
    import geoai
    from geoai import network

    G = network.load_graph(geoai.sample_osm_path(), network_type="walk")
    pos = {node: k for k, node in enumerate(G.nodes)}
    x = np.array([d["x"] for _, d in G.nodes(data=True)])
    y = np.array([d["y"] for _, d in G.nodes(data=True)])
    u, v, t = zip(*G.edges(data="travel_time"), strict=True)
    return x, y, np.array([pos[a] for a in u]), np.array([pos[b] for b in v]), np.array(t)


def build(name: str, side: int) -> dict:
    """One benchmark graph (``side`` intersections a side if synthetic), costs and masses."""
    if name == "helsinki":
        x, y, tail, head, secs = helsinki()
    elif name == "city":
        x, y, tail, head, secs = grid_city(side)
    else:  # node ids in random order, as OSM ids carry little locality
        x, y, tail, head, secs = region(side)
        label = np.random.default_rng(3).permutation(x.size)  # new id of each node
        x[label], y[label] = x.copy(), y.copy()
        tail, head = label[tail], label[head]
    cost = np.maximum(1.0, np.round(secs * TICKS))
    n_sites = max(300, x.size // 10)
    return {"x": x, "y": y, "tail": tail, "head": head, "cost": cost,
            "mass": node_mass(x, y, n_sites)}  # fmt: skip


def node_mass(x: np.ndarray, y: np.ndarray, n_sites: int, seed: int = 1) -> np.ndarray:
    """Whole jobs per node: sites around a CBD and two sub-centres, snapped to the nearest node."""
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    lo, hi = np.array([x.min(), y.min()]), np.array([x.max(), y.max()])
    centres = lo + np.array([[0.5, 0.5], [0.25, 0.7], [0.75, 0.3]]) * (hi - lo)
    pick = rng.choice(3, size=n_sites, p=[0.6, 0.2, 0.2])
    spread = np.array([0.08, 0.05, 0.05])[pick, None] * (hi - lo)
    xy = np.clip(centres[pick] + rng.normal(size=(n_sites, 2)) * spread, lo, hi)
    _, node = cKDTree(np.column_stack([x, y])).query(xy)
    return np.bincount(node, weights=np.round(rng.lognormal(3.0, 1.0, n_sites)), minlength=x.size)


def as_networkx(g: dict, *, multi: bool = True):
    """The graph as an osmnx-style networkx graph with a ``cost`` edge attribute."""
    import networkx as nx

    G = nx.MultiDiGraph(crs=CRS) if multi else nx.DiGraph(crs=CRS)
    xy = zip(g["x"].tolist(), g["y"].tolist(), strict=True)
    G.add_nodes_from((k, {"x": a, "y": b}) for k, (a, b) in enumerate(xy))
    order = np.argsort(-g["cost"], kind="stable")  # a DiGraph keeps the last: the cheapest
    arcs = (g["tail"][order].tolist(), g["head"][order].tolist(), g["cost"][order].tolist())
    G.add_weighted_edges_from(zip(*arcs, strict=True), weight="cost")
    return G


class Quiet:
    """Silence the C++ progress lines pandana prints on file descriptor 1."""

    def __enter__(self) -> Self:
        sys.stdout.flush()
        self.saved = os.dup(1)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
        return self

    def __exit__(self, *exc: object) -> None:
        os.dup2(self.saved, 1)
        os.close(self.saved)


# ------------------------------------------------------------------ cases
def pandana_case(name: str, side: int, radius: float) -> tuple[Timer, dict]:
    import pandana
    import pandas as pd

    g = build(name, side)
    n = g["x"].size
    idx = pd.RangeIndex(n)
    with Quiet(), Timer() as prep:
        net = pandana.Network(
            pd.Series(g["x"], index=idx),
            pd.Series(g["y"], index=idx),
            pd.Series(g["tail"]),
            pd.Series(g["head"]),
            pd.DataFrame({"cost": g["cost"]}),
            twoway=False,
        )
    has = np.flatnonzero(g["mass"])
    with Quiet(), Timer() as total:
        net.set(pd.Series(has), variable=pd.Series(g["mass"][has]), name="jobs")
        with Timer() as flat:
            within = net.aggregate(radius, type="sum", decay="flat", name="jobs").to_numpy()
        with Timer() as expo:
            effective = net.aggregate(radius, type="sum", decay="exp", name="jobs").to_numpy()
    return total, {"prep": prep.seconds, "flat": flat.seconds, "exp": expo.seconds,
                   "within": within, "effective": effective}  # fmt: skip


def geoai_case(name: str, side: int, radius: float, renumber: int) -> tuple[Timer, dict]:
    """geoai on all nodes: renumbered as ``geoai.network`` does (1), or in G's order (0)."""
    import numba

    from geoai.kernels import decay as kd
    from geoai.kernels import graph as kg
    from geoai.network import _access, _graph

    g = build(name, side)
    G = as_networkx(g)
    small = _graph.as_network(G.subgraph(range(50)).copy(), "cost", coords=True)  # warm up
    warm = (np.arange(small.n), np.ones(small.n), 10.0, kd.EXPONENTIAL, 0.1, 1)
    kg.accessibility(small.indptr, small.indices, small.weights, *warm)
    spec = {"cutoff": radius, "kind": kd.EXPONENTIAL, "beta": 1.0 / radius, "progress": False}
    if renumber:
        with Timer() as prep:
            net = _graph.as_network(G, "cost", coords=True)
        with Timer() as query:  # what geoai.network.accessibility runs, results in G's order
            within, effective, reached = _access._run(  # noqa: SLF001 - the kernel path, unsnapped
                net, net.in_graph_order, g["mass"][net.order], **spec
            )
    else:  # the CSR in G's node order, as before the renumbering
        with Timer() as prep:
            pos = {node: k for k, node in enumerate(G.nodes)}
            csr = kg.csr_from_arcs(len(pos), *_graph._arcs(G, "cost", pos))  # noqa: SLF001
        src = np.arange(len(pos), dtype=np.int64)
        with Timer() as query:
            within, effective, reached = kg.accessibility(
                *csr, src, g["mass"], radius, kd.EXPONENTIAL, 1.0 / radius,
                numba.get_num_threads(),
            )  # fmt: skip
    return query, {"prep": prep.seconds, "within": within, "effective": effective,
                   "reach": float(reached.mean()), "threads": numba.get_num_threads()}  # fmt: skip


def networkx_case(name: str, side: int, radius: float, k: int) -> tuple[Timer, dict]:
    import networkx as nx

    g = build(name, side)
    G = as_networkx(g, multi=False)
    picked = np.linspace(0, g["x"].size - 1, k).round().astype(np.int64)
    within = []
    with Timer() as t:
        for s in picked:
            dist = nx.single_source_dijkstra_path_length(G, int(s), cutoff=radius, weight="cost")
            nodes = np.fromiter(dist.keys(), np.int64, len(dist))
            within.append(float(g["mass"][nodes].sum()))
    return t, {"picked": picked, "within": np.array(within), "k": k}


def compile_case() -> tuple[Timer, dict]:
    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="geoai-numba-")
    from geoai.kernels import graph as kg

    tail, head = np.array([0, 1, 1, 2]), np.array([1, 0, 2, 1])
    with Timer() as t:
        ip, ind, w = kg.csr_from_arcs(3, tail, head, np.ones(4))
        kg.accessibility(ip, ind, w, np.arange(3), np.ones(3), 3.0, 1, 0.5, 2)
        kg.single_source(ip, ind, w, 0, 3.0)
    return t, {}


# ------------------------------------------------------------------ table
def rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def ratio(num: float, den: float) -> str:
    if not (np.isfinite(num) and np.isfinite(den)) or den <= 0:
        return ""
    r = num / den
    return f"{r:,.2f}×" if r < 10 else f"{r:,.0f}×"


def query_ratios(pd_: dict, seconds: float) -> str:
    """Pandana's query time over geoai's: both sums (two passes), and flat alone."""
    if pd_["error"]:
        return ""
    p = pd_["result"]
    return f"{ratio(p['flat'] + p['exp'], seconds)} (flat alone {ratio(p['flat'], seconds)})"


def graph_rows(name: str, side: int, minutes: float, k: int) -> list[str]:
    """Run every case on one graph; return its table rows."""
    radius = minutes * 60 * TICKS
    peer = isolated(pandana_case, name, side, radius)
    ours = {
        "geoai, renumbered (as geoai.network runs)": isolated(geoai_case, name, side, radius, 1),
        "geoai, in G's node order (before #18)": isolated(geoai_case, name, side, radius, 0),
    }
    naive_run = isolated(networkx_case, name, side, radius, k)
    label = f"{name} ({minutes:g} min)"
    base = ours["geoai, renumbered (as geoai.network runs)"]
    if base["error"]:
        return [f"| {label} | geoai failed: {base['error']} | | | | | | |"]
    r = base["result"]
    n = r["within"].size
    rows = []
    naive = float("nan")
    if not naive_run["error"]:
        nr = naive_run["result"]
        naive = naive_run["seconds"] / k * n
        same = np.array_equal(nr["within"], r["within"][nr["picked"]])
        rows.append(
            f"| {label}: networkx DiGraph (naive) | | {naive:,.1f} | | {naive:,.1f} | 1× "
            f"| {naive_run['peak_mib']:,.0f} | extrapolated from {k} sources; within-cutoff "
            f"{'equal' if same else 'DIFFERENT'} |"
        )
    peer_total = float("nan")
    if peer["error"]:
        rows.append(f"| {label}: pandana 0.8 | failed: {peer['error']} | | | | | | |")
    else:
        p = peer["result"]
        peer_total = p["prep"] + peer["seconds"]
        rows.append(
            f"| {label}: pandana 0.8 | {p['prep']:,.2f} | {p['flat']:,.2f} + {p['exp']:,.2f} "
            f"| | {peer_total:,.2f} | {ratio(naive, peer_total)} | {peer['peak_mib']:,.0f} "
            f"| OpenMP, {n:,} nodes |"
        )
    for case, run in ours.items():
        if run["error"]:
            rows.append(f"| {label}: {case} | failed: {run['error']} | | | | | | |")
            continue
        q = run["result"]
        total = q["prep"] + run["seconds"]
        check = f"mean {q['reach']:,.0f} nodes within cut-off"
        if not peer["error"]:
            check += (
                f"; vs pandana on all nodes: flat {rel_diff(q['within'], p['within']):.0e}, "
                f"exp {rel_diff(q['effective'], p['effective']):.0e} max rel. diff"
            )
        rows.append(
            f"| {label}: {case}, {q['threads']} threads | {q['prep']:,.2f} "
            f"| {run['seconds']:,.2f} | {query_ratios(peer, run['seconds'])} | {total:,.2f} "
            f"| {ratio(naive, total)}, {ratio(peer_total, total)} pandana "
            f"| {run['peak_mib']:,.0f} | {check} |"
        )
    return rows


def minutes_of(text: str) -> dict[str, float]:
    """``'city=10,region=5'`` as ``{"city": 10.0, "region": 5.0}``."""
    pairs = (item.split("=") for item in text.split(",") if item.strip())
    return {key.strip(): float(value) for key, value in pairs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small synthetic graphs (smoke)")
    parser.add_argument("--graphs", default="helsinki,city,region", help="comma-separated")
    parser.add_argument(
        "--minutes",
        default="",
        help="cut-offs in minutes, e.g. 'city=10,region=5' (default helsinki=15,city=30,region=10)",
    )
    parser.add_argument("--k", type=int, default=32, help="networkx sampled sources")
    args = parser.parse_args()
    import numba

    print(
        f"# geoai vs pandana: all-node accessibility (flat and exp sums), "
        f"{numba.get_num_threads()} threads, load before {load()}\n"
    )
    comp = isolated(compile_case)
    print(f"Compile (cold Numba cache, graph kernels): {comp['seconds']:.2f} s\n")
    print(
        "| graph: tool | preprocessing s | query s (pandana: flat + exp) | pandana query "
        "/ geoai query | total s | total speed-up vs naive, vs pandana | peak MiB | check |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for name in args.graphs.split(","):
        minutes = {**MINUTES, **minutes_of(args.minutes)}[name]
        for line in graph_rows(name, SIDES[name][args.quick], minutes, args.k):
            print(line, flush=True)
    print(
        f"\nCosts in whole centiseconds; pandana exp = exp(-d / cut-off) = geoai exponential "
        f"with scale = cut-off. Query ratio: pandana's two passes over geoai's one. "
        f"load after: {load()}"
    )


if __name__ == "__main__":
    main()
