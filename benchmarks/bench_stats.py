"""Benchmark local spatial statistics side by side with libpysal/esda.

Run: ``python benchmarks/bench_stats.py [--quick]`` (prints one markdown table).

Sizes n = 10^4, 10^5 (beside esda) and 10^6 (geoai alone: esda's
``keep_simulations`` array alone would be n x 999 floats, 8 GB).
``--quick``: n = 2,000 and 10^4, a smoke test of every row.

* weights: KNN k = 8 on great-circle distances, geoai (cKDTree on unit
  vectors) vs ``libpysal.graph.Graph.build_knn(metric="haversine")``.
* local Moran's I, 999 conditional permutations, row-standardised KNN-8:
  the statistic alone (geoai vs ``esda.Moran_Local``, its defaults:
  ``n_jobs=1``, ``keep_simulations=True``, on the same weights and data),
  geoai also on one thread (esda's Moran_Local runs on one core), and
  **weights + statistic** timed together in one call (``local_moran(gdf,
  "value", k=8)`` vs ``Graph.build_knn`` then ``Moran_Local``): the
  acceptance ratio of issue #18 (>= 8x at n = 10^5; n = 10^6 < 40 s, < 2 GiB).
* Getis-Ord Gi*, 999 permutations: geoai vs ``esda.G_Local(star=True)``
  (``n_jobs=1``: its parallel mode re-compiles its Numba code in each worker).

Data: points scattered around the embedded metros (parent metro drawn with
probability ~ sqrt(population), a 60 km Gaussian jitter), with a value that
is the parent's GDP per capita times a distance-decaying premium and
log-normal noise: positive, skewed and spatially autocorrelated, on real
geography. Every case runs in a fresh process (peak memory per case); each
timed call comes after a warm-up call that loads or compiles the Numba code
(compile times are reported on their own rows), as the fastest of ``REPEAT``
runs (the 2-core machine is shared), with the process CPU time of that run
(all threads: CPU s / wall s ~ cores used), which load from other processes
does not inflate. The ratio column divides esda's / libpysal's time by
geoai's in the same run.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Timer, isolated, load

PERMUTATIONS = 999
K = 8
#: Timed runs per case (the fastest is reported: the 2-core machine is shared).
REPEAT = {2_000: 3, 10_000: 3, 100_000: 1, 1_000_000: 1}
#: Largest n run with esda (its simulations array is n x 999 float64).
ESDA_MAX = 100_000


def points(n: int, seed: int = 0):
    """Synthetic autocorrelated points around real metros (GeoDataFrame, EPSG:4326)."""
    import geopandas as gpd

    import geoai

    metros = geoai.load_metros()
    rng = np.random.default_rng(seed)
    p = np.sqrt(metros["population"].to_numpy())
    parent = rng.choice(len(metros), size=n, p=p / p.sum())
    lon0 = metros.geometry.x.to_numpy()[parent]
    lat0 = metros.geometry.y.to_numpy()[parent]
    dy, dx = rng.normal(0, 60, (2, n))  # km
    lat = np.clip(lat0 + dy / 111.2, -89, 89)
    lon = (lon0 + dx / (111.2 * np.cos(np.radians(lat))) + 180) % 360 - 180
    premium = 1 + np.exp(-np.hypot(dx, dy) / 40)
    value = metros["gdp_pc_usd"].to_numpy()[parent] * premium * rng.lognormal(0, 0.3, n)
    return gpd.GeoDataFrame({"value": value}, geometry=gpd.points_from_xy(lon, lat), crs=4326)


def _quiet() -> None:
    warnings.simplefilter("ignore")  # esda notices, geoai's PermutationWarning (n / fdr)


# ------------------------------------------------------------------- weights
def geoai_weights(n: int) -> tuple[Timer, dict]:
    _quiet()
    from geoai import stats

    gdf = points(n)
    stats.weights(gdf.iloc[:50], k=K)
    t, w = best_of(1, lambda: stats.weights(gdf, k=K))
    return t, {"nnz": int(w.indices.size), "cpu": t.cpu}


def libpysal_weights(n: int) -> tuple[Timer, dict]:
    from libpysal.graph import Graph

    gdf = points(n)
    lonlat = np.radians(np.column_stack((gdf.geometry.y, gdf.geometry.x)))  # (lat, lon)
    t, g = best_of(1, lambda: Graph.build_knn(lonlat, K, metric="haversine"))
    return t, {"nnz": int(g.n_edges), "cpu": t.cpu}


# -------------------------------------------------------------- statistics
def best_of(repeat: int, call):
    """Run ``call`` ``repeat`` times; a Timer holding the fastest run (the machine is shared).

    The Timer also gets ``cpu``: the process CPU time (all threads) of that run,
    which other load on the machine does not inflate.
    """
    best = None
    for _ in range(repeat):
        cpu0 = time.process_time()
        with Timer() as t:
            out = call()
        t.cpu = time.process_time() - cpu0
        if best is None or t.seconds < best.seconds:
            best = t
    return best, out


def geoai_stat(kind: str, n: int, threads: int = 0) -> tuple[Timer, dict]:
    _quiet()
    import numba

    from geoai import stats

    if threads:
        numba.set_num_threads(threads)
    gdf = points(n)
    w = stats.weights(gdf, k=K)
    fn = stats.local_moran if kind == "moran" else stats.getis_ord
    fn(gdf.iloc[:200], "value", permutations=9)  # load the compiled kernel
    t, out = best_of(
        REPEAT[n], lambda: fn(gdf, "value", weights=w, permutations=PERMUTATIONS, seed=0)
    )
    return t, {**_summary(out, kind), "cpu": t.cpu}


def esda_stat(kind: str, n: int) -> tuple[Timer, dict]:
    _quiet()
    import esda

    from geoai import stats

    gdf = points(n)
    g = stats.weights(gdf, k=K, transform="o").to_graph()
    y = gdf["value"].to_numpy()
    small = stats.weights(gdf.iloc[:200], k=K, transform="o").to_graph()
    if kind == "moran":
        esda.Moran_Local(y[:200], small, "r", 9, seed=0)  # JIT compile, outside the timing
        t, res = best_of(REPEAT[n], lambda: esda.Moran_Local(y, g, "r", PERMUTATIONS, seed=0))
        return t, {"I": res.Is, "q": res.q, "p_sim": res.p_sim, "cpu": t.cpu}
    esda.G_Local(y[:200], small, "r", 9, star=True, seed=0, n_jobs=1)
    t, res = best_of(
        REPEAT[n], lambda: esda.G_Local(y, g, "r", PERMUTATIONS, star=True, seed=0, n_jobs=1)
    )
    return t, {"G": res.Gs, "z": res.Zs, "p_sim": res.p_sim, "cpu": t.cpu}


def geoai_total(n: int) -> tuple[Timer, dict]:
    """Weights and local Moran in one call: ``local_moran`` builds the KNN-8 weights itself."""
    _quiet()
    from geoai import stats

    gdf = points(n)
    stats.local_moran(gdf.iloc[:200], "value", permutations=9)  # load the compiled kernel
    t, out = best_of(
        REPEAT[n], lambda: stats.local_moran(gdf, "value", k=K, permutations=PERMUTATIONS, seed=0)
    )
    return t, {**_summary(out, "moran"), "cpu": t.cpu}


def esda_total(n: int) -> tuple[Timer, dict]:
    """libpysal's haversine KNN-8 graph, then esda's Moran_Local on it, timed together."""
    _quiet()
    import esda
    from libpysal.graph import Graph

    gdf = points(n)
    lonlat = np.radians(np.column_stack((gdf.geometry.y, gdf.geometry.x)))  # (lat, lon)
    y = gdf["value"].to_numpy()
    small = Graph.build_knn(lonlat[:200], K, metric="haversine")
    esda.Moran_Local(y[:200], small, "r", 9, seed=0)  # JIT compile, outside the timing

    def both():
        g = Graph.build_knn(lonlat, K, metric="haversine")
        return esda.Moran_Local(y, g, "r", PERMUTATIONS, seed=0)

    t, res = best_of(REPEAT[n], both)
    return t, {"I": res.Is, "q": res.q, "p_sim": res.p_sim, "cpu": t.cpu}


def _summary(out, kind: str) -> dict:
    if kind == "moran":
        return {
            "I": out["I"].to_numpy(),
            "q": out["quadrant"].cat.codes.to_numpy() + 1,
            "p_sim": out["p_sim"].to_numpy(),
            "significant": float(out["significant"].mean()),
        }
    return {
        "G": out["G"].to_numpy(),
        "z": out["z"].to_numpy(),
        "p_sim": out["p_sim"].to_numpy(),
        "significant": float(out["significant"].mean()),
    }


def compile_geoai() -> tuple[Timer, dict]:
    _quiet()
    import geoai.kernels as k

    cache = Path(k.__file__).parent / "__pycache__"
    for f in cache.glob("lisa.*.nb[ci]"):
        f.unlink()
    from geoai import stats

    gdf = points(300)
    with Timer() as t:
        stats.local_moran(gdf, "value", permutations=9)
    return t, {}


def compile_esda() -> tuple[Timer, dict]:
    _quiet()
    import esda

    from geoai import stats

    gdf = points(300)
    g = stats.weights(gdf, k=K, transform="o").to_graph()
    with Timer() as t:
        esda.Moran_Local(gdf["value"].to_numpy(), g, "r", 9, seed=0)
    return t, {}


# --------------------------------------------------------------------- table
class Table(list):
    """Rows printed as they are added (long runs show progress)."""

    def append(self, line: str) -> None:
        print(line, flush=True)
        super().append(line)


def row(name: str, r: dict | None, ref: dict | None = None, note: str = "") -> str:
    if r is None:
        return f"| {name} | skipped{note} | | | | | |"
    if r["error"]:
        return f"| {name} | failed: {r['error']} | | | | | |"
    cpu = (r["result"] or {}).get("cpu")
    ratio = cpu_ratio = ""
    if ref and not ref["error"]:
        ratio = f"{ref['seconds'] / r['seconds']:.1f}×"
        ref_cpu = (ref["result"] or {}).get("cpu")
        if cpu and ref_cpu:
            cpu_ratio = f"{ref_cpu / cpu:.1f}×"
    cpu_s = f"{cpu:.2f}" if cpu else ""
    return (
        f"| {name} | {r['seconds']:.2f} | {ratio} | {cpu_s} | {cpu_ratio} | "
        f"{r['peak_mib']:,.0f} | {r['extra_mib']:,.0f} |{note}"
    )


def agreement(kind: str, ours: dict, theirs: dict) -> str:
    """How geoai's result compares with esda's on the same data and weights."""
    if not ours or not theirs or ours["error"] or theirs["error"]:
        return ""
    a, b = ours["result"], theirs["result"]
    dp = np.abs(a["p_sim"] - b["p_sim"])
    if kind == "moran":
        same = bool((a["q"] == b["q"]).all())
        stat = f"max |ΔI| {np.abs(a['I'] - b['I']).max():.0e}, quadrants equal: {same}"
    else:
        stat = f"max |Δz| {np.abs(a['z'] - b['z']).max():.0e}"
    return f" {stat}; mean |Δp_sim| {dp.mean():.4f} (MC); {a['significant']:.0%} significant"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="n = 2,000 and 10^4 (smoke test)")
    parser.add_argument("--sizes", type=int, nargs="+", help="these n only (e.g. 100000)")
    args = parser.parse_args()
    sizes = (2_000, 10_000) if args.quick else (10_000, 100_000, 1_000_000)
    sizes = tuple(args.sizes) if args.sizes else sizes
    for n in sizes:
        REPEAT.setdefault(n, 1)

    import numba

    print(f"# geoai stats benchmark: {numba.get_num_threads()} threads, load before {load()}\n")
    out = Table()
    out.append(
        "| case | wall s | speed-up vs esda/libpysal (same run) | CPU s | CPU speed-up "
        "| peak MiB | extra MiB |"
    )
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    out.append(row("compile geoai permutation kernel (cold cache)", isolated(compile_geoai)))
    out.append(row("compile esda Moran_Local (first call in a process)", isolated(compile_esda)))
    for n in sizes:
        peer = n <= ESDA_MAX
        ref = isolated(libpysal_weights, n) if peer else None
        out.append(row(f"weights KNN-8 great-circle n={n:,}, libpysal haversine", ref,
                       note="" if peer else " (geoai alone at this n)"))  # fmt: skip
        out.append(
            row(f"weights KNN-8 great-circle n={n:,}, geoai", isolated(geoai_weights, n), ref)
        )
        name = f"local Moran n={n:,}, {PERMUTATIONS} perms"
        ref = isolated(esda_stat, "moran", n) if peer else None
        ours = isolated(geoai_stat, "moran", n)
        out.append(
            row(f"{name}, statistic only, esda", ref, note="" if peer else " (esda: n x 999 sims)")
        )
        out.append(row(f"{name}, statistic only, geoai", ours, ref,
                       agreement("moran", ours, ref or {})))  # fmt: skip
        if peer:  # esda runs on one core: geoai on one core too
            one = isolated(geoai_stat, "moran", n, 1)
            out.append(row(f"{name}, statistic only, geoai 1 thread", one, ref))
        ref = isolated(esda_total, n) if peer else None
        ours = isolated(geoai_total, n)
        out.append(row(f"**{name}, weights + statistic, libpysal + esda**", ref,
                       note="" if peer else " (geoai alone at this n)"))  # fmt: skip
        out.append(row(f"**{name}, weights + statistic, geoai**", ours, ref))
    for n in sizes:
        peer = n <= ESDA_MAX
        ref = isolated(esda_stat, "gi", n) if peer else None
        ours = isolated(geoai_stat, "gi", n)
        name = f"Gi* n={n:,}, {PERMUTATIONS} perms"
        out.append(row(f"{name}, esda", ref, note="" if peer else " (geoai alone at this n)"))
        out.append(row(f"{name}, geoai", ours, ref, agreement("gi", ours, ref or {})))
    print(f"\nload after: {load()}")


if __name__ == "__main__":
    main()
