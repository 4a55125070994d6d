"""Benchmark flows on a Dask cluster against the threaded kernel, in one run.

Run: ``python benchmarks/bench_cluster.py [--quick] [--workers 2]`` (prints one table).

The totals of ``flows.aggregate`` (``F @ [w_d; w_o]``, two products, power
decay beta = 1.7) and a top-10 table for N = 20,000 GeoNames places, three ways:

* the chunked NumPy way (a block of origins at a time: haversine, decay, sums),
  the naive reference (totals only);
* geoai's threaded kernels (``symmetric_matmat``, ``top_k_rows``) on all cores;
* geoai's cluster path (``geoai.flows._cluster``) on a ``LocalCluster`` of
  ``--workers`` worker processes of one thread each: the peer measured, and the
  overhead of tiling, scattering and streaming partial sums against the same cores.

Every case runs in a fresh process. Compile time is apart: each case first
runs its kernels on 50 places (cached on disk after the first run); the
cluster's start-up is timed apart too. Peak memory is the client's process
(imports included) and, for the cluster, the largest worker's.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Timer, isolated, load
from bench_flows import numpy_aggregate, places

SPEC = (0, 1.7, 0.0)  # power decay, beta = 1.7
TOP_K = 10


def _inputs(n: int):
    from geoai._geodesy import kernel_points

    lon, lat, mass = places(n)
    pts = kernel_points((lon, lat), crs=4326)
    return pts, np.full(n, np.nan), np.vstack((mass, mass))


def threaded(n: int, what: str) -> tuple[Timer, dict]:
    from geoai.kernels import interaction as ki
    from geoai.kernels import n_threads

    pts, own, v = _inputs(n)
    small, own_s, v_s = _inputs(50)
    t0 = time.perf_counter()
    ki.symmetric_matmat(small.xyz, small.geo, own_s, *SPEC, v_s, n_threads())
    ki.top_k_rows(small.xyz, small.geo, own_s, *SPEC, v_s[0], TOP_K)
    warm = time.perf_counter() - t0
    with Timer() as t:
        if what == "totals":
            out = ki.symmetric_matmat(pts.xyz, pts.geo, own, *SPEC, v, n_threads())
        else:
            out = ki.top_k_rows(pts.xyz, pts.geo, own, *SPEC, v[0], TOP_K).column
    return t, {"out": out, "warm_s": warm, "workers_mib": float("nan")}


def _vm_hwm_mib(status: str) -> float:
    line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024  # kB


def cluster(n: int, what: str, workers: int) -> tuple[Timer, dict]:
    import logging

    import distributed

    from geoai.flows import _cluster as fc

    pts, own, v = _inputs(n)
    small, own_s, v_s = _inputs(50)
    t0 = time.perf_counter()
    with (
        distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        ) as lc,
        distributed.Client(lc) as client,
    ):
        start = time.perf_counter() - t0
        t0 = time.perf_counter()
        fc.cluster_matmat(small, own_s, SPEC, v_s, scheduler=client, block=10, progress=False)
        fc.cluster_top_k(small, own_s, SPEC, v_s[0], TOP_K, scheduler=client, block=10)
        warm = time.perf_counter() - t0
        with Timer() as t:
            if what == "totals":
                out = fc.cluster_matmat(pts, own, SPEC, v, scheduler=client, progress=False)
            else:
                out = fc.cluster_top_k(pts, own, SPEC, v[0], TOP_K, scheduler=client)[0]
        # VmHWM, the peak of the worker's own address space (ru_maxrss would count the
        # client's memory at the fork that preceded the worker's exec)
        status = client.run(Path("/proc/self/status").read_text)
        peaks = {w: _vm_hwm_mib(text) for w, text in status.items()}
    return t, {
        "out": out,
        "warm_s": warm,
        "start_s": start,
        "workers_mib": max(peaks.values()),
        "block": fc.block_size(n, workers),
    }


def reference(n: int) -> tuple[Timer, dict]:
    t, res = numpy_aggregate(n, "none")
    return t, {**res, "warm_s": 0.0, "workers_mib": float("nan")}


def row(name: str, r: dict, naive: dict | None, peer: dict | None, pairs: float) -> str:
    if r["error"]:
        return f"| {name} | failed: {r['error']} | | | | | | |"

    def ratio(ref: dict | None) -> str:
        ok = ref is not None and not ref["error"]
        return f"{ref['seconds'] / r['seconds']:.2f}×" if ok else ""

    res = r["result"]
    return (
        f"| {name} | {r['seconds']:.2f} | {pairs / r['seconds'] / 1e6:,.0f} | {ratio(naive)} "
        f"| {ratio(peer)} | {res['warm_s']:.2f} | {r['peak_mib']:,.0f} "
        f"| {res['workers_mib']:,.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="N = 4,000, for a smoke test")
    parser.add_argument("--workers", type=int, default=2, help="cluster workers (1 thread each)")
    args = parser.parse_args()
    n = 4_000 if args.quick else 20_000

    import numba

    print(
        f"# geoai flows on a cluster: N = {n:,}, {args.workers} workers vs "
        f"{numba.get_num_threads()} threads, load before {load()}\n"
    )
    naive = isolated(reference, n)
    rows = [
        (
            "| case | seconds | M pairs/s | vs chunked NumPy | vs threaded kernel | warm-up s "
            "| peak MiB (client) | peak MiB (worker) |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        row(f"totals N={n:,}, chunked NumPy (naive)", naive, None, None, n * n),
    ]
    notes = []
    for what in ("totals", f"top-{TOP_K}"):
        kind = "totals" if what == "totals" else "top"
        mine = isolated(threaded, n, kind)
        dist = isolated(cluster, n, kind, args.workers)
        ref = naive if what == "totals" else None
        rows.append(row(f"{what} N={n:,}, threaded kernel", mine, ref, None, n * n))
        rows.append(
            row(f"{what} N={n:,}, Dask LocalCluster {args.workers}×1", dist, ref, mine, n * n)
        )
        if not mine["error"] and not dist["error"]:
            a, b = mine["result"]["out"], dist["result"]["out"]
            if kind == "totals":
                agree = f"max relative difference {np.max(np.abs(a - b) / np.abs(a)):.1e}"
            else:
                agree = f"indices equal: {bool(np.array_equal(a, b))}"
            notes.append(
                f"{what}: {agree}; cluster start {dist['result']['start_s']:.1f} s, "
                f"block {dist['result']['block']:,}"
            )
    print("\n".join(rows))
    print()
    print("\n".join(notes))
    print(f"\nload after: {load()}")


if __name__ == "__main__":
    main()
