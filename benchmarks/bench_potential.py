"""Benchmark geoai.potential side by side with the per-mass vectorised NumPy sum.

Run with ``.venv/bin/python benchmarks/bench_potential.py`` (a few minutes);
add ``--world`` for the 30-arc-second world grid through Dask and a COG
(~9.3e8 cells; long, not part of CI). Prints one Markdown table.

Scenarios (issue #4):
1. the >= 1 M metros (population as mass) on a 0.5° grid, 60° S - 75° N
   (270 × 720), exponential 300 km: geoai ``direct`` vs NumPy;
2. the 1,000 largest metros on a 0.09° world grid (2,000 × 4,000 = 8 M cells),
   exponential 300 km: geoai ``direct`` (NumPy extrapolated from a subset);
3. ``--world``: the >= 1 M metros on the 30-arc-second world grid
   (21,600 × 43,200), ``method="dask"`` on a 2-worker LocalCluster, written as
   a COG with :func:`geoai.io.write_raster`; peak memory summed over the
   process tree.

Timings are best of ``--repeat`` after a warm-up call; compile time is measured
apart, in fresh processes (cold with an empty Numba cache, and warm from the
on-disk cache). Peak memory: ``tracemalloc`` peak of one run (NumPy and Python
allocations, including every output array), and for ``--world`` the sampled
RSS of the main process plus the Dask workers.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np

import geoai
from geoai import Grid
from geoai import potential as P  # noqa: N812 - P, the potential's usual symbol

R = 6371.0088
SCALE_KM = 300.0


def numpy_naive(lon, lat, w, grid, scale_km):
    """The per-mass vectorised NumPy sum: full-grid haversine + exp, mass by mass."""
    x, y = grid.cell_centers()
    lam, phi = np.meshgrid(np.radians(x), np.radians(y))
    out = np.zeros(grid.shape)
    for lo, la, m in zip(np.radians(lon), np.radians(lat), w, strict=True):
        a = np.sin((phi - la) / 2) ** 2 + np.cos(phi) * np.cos(la) * np.sin((lam - lo) / 2) ** 2
        out += m * np.exp(-2 * R * np.arcsin(np.sqrt(a)) / scale_km)
    return out


def numpy_potential(lon, lat, w, grid, scale_km):
    """A tuned NumPy sum: the haversine terms of rows and columns computed once per mass."""
    x, y = grid.cell_centers()
    lam = np.radians(x)[None, :]
    phi = np.radians(y)[:, None]
    cos_phi = np.cos(phi)
    out = np.zeros(grid.shape)
    for lo, la, m in zip(np.radians(lon), np.radians(lat), w, strict=True):
        a = np.sin((phi - la) / 2) ** 2 + cos_phi * np.cos(la) * np.sin((lam - lo) / 2) ** 2
        d = 2 * R * np.arcsin(np.sqrt(a))
        out += m * np.exp(-d / scale_km)
    return out


def timed(fn, repeat):
    """Best wall time of ``repeat`` calls, the last result, and the tracemalloc peak (bytes)."""
    best = np.inf
    result = None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, result, peak


def compile_times():
    """Seconds to the first small surface in a fresh process: cold (no cache) and cached."""
    code = (
        "import time; t = time.perf_counter(); import geoai; "
        "from geoai import potential as P; "
        "m = geoai.load_metros(5_000_000); "
        "g = geoai.Grid.from_bounds((-10, 35, 30, 60), 1.0, crs='EPSG:4326'); "
        "t1 = time.perf_counter(); P.surface(m, 'population', g, scale_km=300); "
        "print(time.perf_counter() - t1, t1 - t)"
    )
    out = {}
    with tempfile.TemporaryDirectory() as cold:
        for label, env in (
            ("cold", {**os.environ, "NUMBA_CACHE_DIR": cold}),
            ("cached", dict(os.environ)),
        ):
            res = subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            )
            first, _ = (float(v) for v in res.stdout.split())
            out[label] = first
    return out


class TreeRSS:
    """Sample the summed RSS of this process and its children (Dask workers)."""

    def __init__(self, every=0.25):
        import psutil

        self.proc = psutil.Process()
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        import psutil

        while not self._stop.is_set():
            total = 0
            for p in [self.proc, *self.proc.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
            self.peak = max(self.peak, total)
            time.sleep(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def gib(b):
    return f"{b / 2**30:.2f} GiB"


def mib(b):
    return f"{b / 2**20:.0f} MiB"


def world_run(metros, out_dir, res=1 / 120):
    from distributed import Client, LocalCluster

    from geoai.io import write_raster

    grid = Grid.from_bounds((-180, -90, 180, 90), res, crs="EPSG:4326")
    path = Path(out_dir) / "world_potential.tif"
    with TreeRSS() as rss:
        t0 = time.perf_counter()
        with (
            LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                memory_limit="2GiB",
            ) as cluster,
            Client(cluster),
        ):
            surf = P.surface(
                metros, "population", grid, scale_km=SCALE_KM, method="dask", dtype="float32"
            )
            write_raster(surf, path, overwrite=True)
        elapsed = time.perf_counter() - t0
    size = path.stat().st_size
    return grid, elapsed, rss.peak, size, path


def local_rows(args, big, top):
    """Scenarios 1 and 2 (in memory, direct)."""
    lon, lat = big.geometry.x.to_numpy(), big.geometry.y.to_numpy()
    w = big.population.to_numpy()
    rows = []

    # 1. 0.5 degree grid, >= 1 M metros
    g1 = Grid.from_bounds((-180, -60, 180, 75), 0.5, crs="EPSG:4326")
    P.surface(big, "population", g1, scale_km=SCALE_KM)  # warm
    t_nv, ref_nv, m_nv = timed(lambda: numpy_naive(lon, lat, w, g1, SCALE_KM), 1)
    t_np, ref, m_np = timed(lambda: numpy_potential(lon, lat, w, g1, SCALE_KM), 1)
    if not np.allclose(ref, ref_nv, rtol=1e-9):
        msg = "the tuned and the naive NumPy references disagree"
        raise RuntimeError(msg)
    t_d, s, m_d = timed(lambda: P.surface(big, "population", g1, scale_km=SCALE_KM), args.repeat)
    t_0, s0, m_0 = timed(
        lambda: P.surface(big, "population", g1, scale_km=SCALE_KM, rtol=0), args.repeat
    )
    err0 = np.max(np.abs(s0.values - ref) / ref)
    err = np.max(np.abs(s.values - ref)) / s.attrs["error_bound"]
    rows.append((f"1. {len(big)} masses, 0.5° grid {g1.height}×{g1.width}",
                 "NumPy per-mass vectorised (full-grid haversine)", f"{t_nv:.2f} s", "1×",
                 mib(m_nv), "the issue's baseline"))  # fmt: skip
    rows.append(("", "NumPy per-mass, separable haversine terms", f"{t_np:.2f} s",
                 f"{t_nv / t_np:.1f}×", mib(m_np), "reference for the errors"))  # fmt: skip
    rows.append(("", "geoai direct, rtol=1e-6", f"{t_d:.3f} s", f"{t_nv / t_d:.0f}×", mib(m_d),
                 f"max err {err:.2g} × bound; {t_np / t_d:.0f}× tuned NumPy"))  # fmt: skip
    rows.append(("", "geoai direct, rtol=0 (every pair)", f"{t_0:.3f} s", f"{t_nv / t_0:.0f}×",
                 mib(m_0), f"max rel err {err0:.1e}; {t_np / t_0:.0f}× tuned NumPy"))  # fmt: skip

    # 2. 8 M cells, 1,000 masses
    g2 = Grid.from_bounds((-180, -90, 180, 90), 0.09, crs="EPSG:4326")
    t_2, s2, m_2 = timed(lambda: P.surface(top, "population", g2, scale_km=SCALE_KM), args.repeat)
    sub = top.iloc[:: len(top) // 20]
    t_sub, _, m_np2 = timed(
        lambda: numpy_naive(
            sub.geometry.x.to_numpy(),
            sub.geometry.y.to_numpy(),
            sub.population.to_numpy(),
            g2,
            SCALE_KM,
        ),
        1,
    )
    t_np2 = t_sub * len(top) / len(sub)
    rows.append(
        (
            f"2. {len(top)} masses, 0.09° grid {g2.height}×{g2.width} ({g2.n_cells / 1e6:.0f} M)",
            f"NumPy per-mass vectorised (extrapolated from {len(sub)})",
            f"~{t_np2:.0f} s",
            "1×",
            mib(m_np2),
            "",
        )
    )
    rows.append(
        (
            "",
            "geoai direct, rtol=1e-6",
            f"{t_2:.2f} s",
            f"{t_np2 / t_2:.0f}×",
            mib(m_2),
            f"cut at {s2.attrs['rcut_km']:.0f} km",
        )
    )
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--world", action="store_true", help="also run the 30-arc-second world COG")
    ap.add_argument("--world-res", type=float, default=1 / 120, help="cell size (°) of --world")
    ap.add_argument("--world-only", action="store_true", help="skip scenarios 1 and 2")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=None, help="folder for the --world COG (default: temp)")
    args = ap.parse_args()

    load = os.getloadavg()[0]
    print(
        f"# geoai.potential benchmark — {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, load {load:.2f}, numba threads "
        f"{__import__('numba').get_num_threads()}\n"
    )
    big = geoai.load_metros(1_000_000)
    top = geoai.load_metros(100_000).nlargest(1000, "population")

    ct = compile_times() if not args.world_only else None
    rows = [] if args.world_only else local_rows(args, big, top)

    # 3. world 30 arc-seconds through Dask to a COG
    if args.world:
        with tempfile.TemporaryDirectory() as tmp:
            grid, elapsed, peak, size, _ = world_run(big, args.out or tmp, args.world_res)
            rows.append(
                (
                    (
                        f"3. {len(big)} masses, {args.world_res * 3600:.0f}″ world "
                        f"{grid.height}×{grid.width} ({grid.n_cells / 1e9:.2f}e9)"
                    ),
                    "geoai dask (2-worker LocalCluster) → COG",
                    f"{elapsed / 60:.1f} min",
                    "",
                    gib(peak) + " (tree RSS)",
                    f"COG {size / 2**30:.2f} GiB",
                )
            )

    print("| scenario | method | time | speed-up | peak memory | note |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    if ct is None:
        return
    print(
        f"\nNumba compile (fresh process, empty cache): {ct['cold']:.1f} s; "
        f"first call with the on-disk cache: {ct['cached']:.2f} s. "
        f"Load average after the run: {os.getloadavg()[0]:.2f}."
    )


if __name__ == "__main__":
    main()
