"""Benchmark geoai.network.accessibility side by side with networkx and SciPy.

Run: ``python benchmarks/bench_network.py [--quick]`` (prints one table).

The graph is a synthetic grid city of ``side × side`` intersections (224 × 224
= 50,176 nodes, 100 m blocks, about 200,000 directed street segments): local
streets at 30 km/h, every 8th street an arterial at 50 km/h, every 8th street
offset by 4 a one-way street (directions alternating), and a random 60-100 %
congestion factor per segment; ``travel_time`` in seconds as osmnx computes
it. 20,000 job sites (900,000 jobs) are scattered around a central business
district and two sub-centres. Every case computes, for **all nodes**, the jobs
within 30 minutes and the effective density with exponential decay (scale 10
minutes): ``accessibility(G, jobs, "jobs", cutoff=1800, scale=600)``.

Cases (each in a fresh process, so peak memory is per case):

* geoai: the public call, everything included (CSR copy of the graph,
  snapping the jobs, the parallel Numba bounded Dijkstra), with all threads
  and with one thread;
* networkx ``single_source_dijkstra_path_length(G, s, cutoff, weight)`` per
  source plus the decay sum, on the osmnx-style MultiDiGraph and on the
  equivalent DiGraph (parallel edges merged, networkx's fastest form): timed
  on a sample of sources spread over the city and **extrapolated** to all
  nodes (time per source × number of nodes), as the table says;
* SciPy ``csgraph.dijkstra(limit=cutoff)`` on the same CSR arrays, in blocks
  of 256 sources (it returns dense rows), timed on a sample and extrapolated.

The sampled sources of the peers are checked against geoai's values
(relative difference printed). Compile time of the graph kernels is measured
apart, in a fresh process with an empty Numba cache directory (the shared
cache is left alone).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Timer, isolated, load

BLOCK_M = 100.0
CUTOFF_S = 1800.0
SCALE_S = 600.0
CRS = "EPSG:32635"  # a metric UTM zone; the city sits near its false origin


def grid_city(side: int, seed: int = 0):
    """The synthetic city as an osmnx-style MultiDiGraph (x/y in metres, travel_time in s)."""
    import networkx as nx

    rng = np.random.default_rng(seed)
    G = nx.MultiDiGraph(crs=CRS)
    ids = np.arange(side * side).reshape(side, side)  # row-major: rows are y, columns x
    x0, y0 = 380_000.0, 6_660_000.0
    for r in range(side):
        for c in range(side):
            G.add_node(int(ids[r, c]), x=x0 + c * BLOCK_M, y=y0 + r * BLOCK_M)

    def street(u: int, v: int, *, arterial: bool) -> None:
        kph = (50.0 if arterial else 30.0) * rng.uniform(0.6, 1.0)
        G.add_edge(u, v, length=BLOCK_M, speed_kph=kph, travel_time=BLOCK_M / (kph / 3.6))

    for r in range(side):  # east-west streets along row r
        arterial = r % 8 == 0
        one_way = r % 8 == 4
        for c in range(side - 1):
            a, b = int(ids[r, c]), int(ids[r, c + 1])
            if not one_way or (r // 8) % 2 == 0:
                street(a, b, arterial=arterial)
            if not one_way or (r // 8) % 2 == 1:
                street(b, a, arterial=arterial)
    for c in range(side):  # north-south streets along column c
        arterial = c % 8 == 0
        one_way = c % 8 == 4
        for r in range(side - 1):
            a, b = int(ids[r, c]), int(ids[r + 1, c])
            if not one_way or (c // 8) % 2 == 0:
                street(a, b, arterial=arterial)
            if not one_way or (c // 8) % 2 == 1:
                street(b, a, arterial=arterial)
    return G


def job_sites(side: int, n_sites: int, seed: int = 1):
    """Job sites around a CBD and two sub-centres, as a GeoDataFrame in the city's CRS."""
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    extent = (side - 1) * BLOCK_M
    centres = np.array([[0.5, 0.5], [0.25, 0.7], [0.75, 0.3]]) * extent
    pick = rng.choice(3, size=n_sites, p=[0.6, 0.2, 0.2])
    spread = np.array([0.08, 0.05, 0.05])[pick] * extent
    xy = np.clip(centres[pick] + rng.normal(size=(n_sites, 2)) * spread[:, None], 0, extent)
    jobs = np.round(rng.lognormal(3.0, 1.0, n_sites))
    return gpd.GeoDataFrame(
        {"jobs": jobs},
        geometry=gpd.points_from_xy(380_000.0 + xy[:, 0], 6_660_000.0 + xy[:, 1]),
        crs=CRS,
    )


def sample_sources(n: int, k: int) -> np.ndarray:
    return np.linspace(0, n - 1, k).round().astype(np.int64)


# ------------------------------------------------------------------ cases
def geoai_case(side: int, n_sites: int, threads: int | None) -> tuple[Timer, dict]:
    import numba

    from geoai import network

    if threads:
        numba.set_num_threads(threads)
    G = grid_city(side)
    jobs = job_sites(side, n_sites)
    network.accessibility(G.subgraph(list(G.nodes)[:50]).copy(), jobs.head(5), "jobs")  # warm
    with Timer() as t:
        acc = network.accessibility(G, jobs, "jobs", cutoff=CUTOFF_S, scale=SCALE_S)
    picked = sample_sources(len(G), 64)
    return t, {
        "threads": numba.get_num_threads(),
        "reach": float(acc["reachable_nodes"].mean()),
        "sample": acc["effective_density"].to_numpy()[picked].tolist(),
        "sample_within": acc["within_cutoff"].to_numpy()[picked].tolist(),
    }


def node_mass(G, jobs) -> np.ndarray:  # noqa: N803 - G, networkx's name for a graph
    """Jobs per node, snapped to the nearest intersection (same rule as geoai)."""
    from scipy.spatial import cKDTree

    xy = np.array([(d["x"], d["y"]) for _, d in G.nodes(data=True)])
    _, node = cKDTree(xy).query(np.column_stack([jobs.geometry.x, jobs.geometry.y]))
    return np.bincount(node, weights=jobs["jobs"].to_numpy(), minlength=len(G))


def networkx_case(side: int, n_sites: int, k: int, *, simple: bool) -> tuple[Timer, dict]:
    import networkx as nx

    G = grid_city(side)
    mass = node_mass(G, job_sites(side, n_sites))
    if simple:  # merge parallel edges to the cheapest: networkx's fastest form
        D = nx.DiGraph()
        D.add_nodes_from(G.nodes)
        for u, v, t in G.edges(data="travel_time"):
            if not D.has_edge(u, v) or D[u][v]["travel_time"] > t:
                D.add_edge(u, v, travel_time=t)
        G = D
    picked = sample_sources(len(G), k)
    out, within = [], []
    with Timer() as t:
        for s in picked:
            dist = nx.single_source_dijkstra_path_length(
                G, int(s), cutoff=CUTOFF_S, weight="travel_time"
            )
            nodes = np.fromiter(dist.keys(), np.int64, len(dist))
            cost = np.fromiter(dist.values(), np.float64, len(dist))
            out.append(float((mass[nodes] * np.exp(-cost / SCALE_S)).sum()))
            within.append(float(mass[nodes].sum()))
    return t, {"sample": out, "sample_within": within, "k": k}


def scipy_case(side: int, n_sites: int, k: int, block: int = 256) -> tuple[Timer, dict]:
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import dijkstra

    from geoai.kernels import graph as kg

    G = grid_city(side)
    mass = node_mass(G, job_sites(side, n_sites))
    n = len(G)
    u, v, w = zip(*G.edges(data="travel_time"), strict=True)
    indptr, indices, weights = kg.csr_from_arcs(n, np.array(u), np.array(v), np.array(w))
    # csgraph drops explicit zeros; travel times here are > 0
    A = csr_array((weights, indices, indptr), shape=(n, n))
    picked = sample_sources(n, k)
    out, within = [], []
    with Timer() as t:
        for start in range(0, k, block):
            d = dijkstra(A, directed=True, indices=picked[start : start + block], limit=CUTOFF_S)
            reach = np.isfinite(d)
            f = np.where(reach, np.exp(-np.where(reach, d, 0.0) / SCALE_S), 0.0)
            out += (f @ mass).tolist()
            within += (reach @ mass).tolist()
    return t, {"sample": out, "sample_within": within, "k": k}


def compile_case() -> tuple[Timer, dict]:
    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="geoai-numba-")
    import networkx as nx

    from geoai.kernels import graph as kg

    G = nx.grid_2d_graph(5, 5)
    with Timer() as t:
        idx = {node: k for k, node in enumerate(G.nodes)}
        tail = np.array([idx[a] for a, _ in G.edges])
        head = np.array([idx[b] for _, b in G.edges])
        ip, ind, w = kg.csr_from_arcs(len(idx), tail, head, np.ones(tail.size))
        kg.accessibility(ip, ind, w, np.arange(len(idx)), np.ones(len(idx)), 3.0, 1, 0.5, 2)
        kg.single_source(ip, ind, w, 0, 3.0)
    return t, {}


# ------------------------------------------------------------------ table
class Table(list):
    """Rows printed as they are added (long runs show progress)."""

    def append(self, line: str) -> None:
        print(line, flush=True)
        super().append(line)


def agreement(ours: dict, theirs: dict) -> str:
    """Largest relative difference over the sampled sources (the same in every case)."""
    a, b = np.array(ours["sample"]), np.array(theirs["sample"])
    rel = np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))
    same = np.array_equal(np.array(ours["sample_within"]), np.array(theirs["sample_within"]))
    return f"max rel. diff {rel:.0e}; within-cutoff {'equal' if same else 'DIFFERENT'}"


def speedup(ref: float | None, seconds: float) -> str:
    if not ref or not np.isfinite(seconds):
        return ""
    r = ref / seconds
    return f"{r:,.1f}×" if r < 10 else f"{r:,.0f}×"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a 60 × 60 city, for a smoke test")
    parser.add_argument("--side", type=int, default=None, help="intersections per side")
    args = parser.parse_args()
    side = args.side or (60 if args.quick else 224)
    n_sites = 2_000 if args.quick else 20_000
    k = 64  # sampled sources of the peers (also the agreement check)
    n = side * side

    import numba

    print(
        f"# geoai network benchmark: {side} × {side} grid city ({n:,} nodes), all nodes as "
        f"sources, 30 min cut-off, {numba.get_num_threads()} threads, load {load()}\n"
    )
    out = Table()
    out.append(
        "| case | seconds (all nodes) | sources/s | speed-up vs networkx | peak MiB "
        "| extra MiB | how timed / check against geoai |"
    )
    out.append("|---|---:|---:|---:|---:|---:|---|")
    comp = isolated(compile_case)
    out.append(f"| compile (cold Numba cache: CSR + accessibility + single source) "
               f"| {comp['seconds']:.2f} | | | | | |")  # fmt: skip

    peers = {
        "networkx, MultiDiGraph (as osmnx returns it)": isolated(
            partial(networkx_case, simple=False), side, n_sites, k
        ),
        "networkx, DiGraph (parallel edges merged)": isolated(
            partial(networkx_case, simple=True), side, n_sites, k
        ),
        "SciPy csgraph.dijkstra(limit=), blocks of 256": isolated(scipy_case, side, n_sites, k),
    }
    ours = {
        "geoai, all threads": isolated(geoai_case, side, n_sites, None),
        "geoai, 1 thread": isolated(geoai_case, side, n_sites, 1),
    }
    base = ours["geoai, all threads"]

    def row(name: str, r: dict, seconds: float, note: str) -> str:
        if r["error"]:
            return f"| {name} | failed: {r['error']} | | | | | |"
        return (
            f"| {name} | {seconds:,.1f} | {n / seconds:,.0f} | {speedup(ref, seconds)} "
            f"| {r['peak_mib']:,.0f} | {r['extra_mib']:,.0f} | {note} |"
        )

    nx_simple = peers["networkx, DiGraph (parallel edges merged)"]
    ref = None if nx_simple["error"] else nx_simple["seconds"] / k * n
    for name, r in peers.items():
        if r["error"]:
            out.append(row(name, r, float("nan"), ""))
            continue
        note = f"extrapolated from {k} sources"
        if not base["error"]:
            note += f"; {agreement(base['result'], r['result'])}"
        out.append(row(name, r, r["seconds"] / k * n, note))
    for name, r in ours.items():
        note = ""
        if not r["error"]:
            note = (
                f"measured, all {n:,} sources ({r['result']['threads']} thread(s)); mean "
                f"{r['result']['reach']:,.0f} nodes within 30 min"
            )
        out.append(row(name, r, r["seconds"], note))
    print(
        "\nExtrapolated rows: time for the sampled sources × (all nodes / sampled sources). "
        f"Speed-up is against networkx on the DiGraph. load after: {load()}"
    )


if __name__ == "__main__":
    main()
