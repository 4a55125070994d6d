"""Scenario engine: every preset on all UN agglomerations, and a Monte-Carlo sweep.

Run ``python benchmarks/bench_scenario.py`` (add ``--quick`` for a 20-draw
sweep). Rows:

* all four presets on the 1,860 UN agglomerations of >= 300 k people (and on
  the 653 of >= 1 M), 2025-2050, roles included, one after the other in one
  process (target: < 30 s together for the 1,860), after a warm-up run that
  compiles the kernels;
* a 200-draw sweep of ``concentration`` over the co-location premium and the
  remote share on a 2-worker ``dask.distributed`` LocalCluster (target:
  < 10 min).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _harness import Timer, isolated, load

PRESETS = ("baseline", "concentration", "exodus", "divergence")


def all_presets(min_population: float) -> tuple[Timer, dict]:
    import geoai
    from geoai import scenario

    metros = geoai.load_metros(min_population)
    scenario.simulate(metros, preset="baseline", end=2027)  # compile / load the kernel cache
    with Timer() as t:
        sims = [scenario.simulate(metros, preset=p) for p in PRESETS]
    return t, {"n": len(sims[0].final)} | {s.preset: round(s.top_share(5), 3) for s in sims}


def sweep(n: int) -> tuple[Timer, dict]:
    from distributed import Client, LocalCluster

    from geoai import scenario

    ranges = {"colocation_premium": (2.0, 3.0), "remote_share": (0.0, 0.3)}
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster,
        Client(cluster) as client,
    ):
        scenario.sweep("concentration", ranges, n=2, scheduler=client, progress=False)
        with Timer() as t:
            res = scenario.sweep("concentration", ranges, n=n, scheduler=client, progress=False)
    q = res.quantiles()
    key = "top-5 share of AI roles, 2050"
    return t, {
        "top5_p05": round(float(q.loc[key, 0.05]), 3),
        "top5_p95": round(float(q.loc[key, 0.95]), 3),
    }


def main() -> None:
    quick = "--quick" in sys.argv
    n = 20 if quick else 200
    print(f"load before: {load()}")
    print("| run | time | peak memory | result |")
    print("|---|---|---|---|")
    for min_population in (300_000, 1_000_000):
        r = isolated(all_presets, min_population)
        n_metros = r["result"].pop("n", "?") if not r["error"] else "?"
        print(
            f"| the four presets, {n_metros} metros, 2025-2050, roles | "
            f"{r['seconds']:.1f} s | {r['peak_mib']:.0f} MiB | top-5 AI share {r['result']} |"
            if not r["error"]
            else f"| presets | failed | | {r['error']} |"
        )
    r = isolated(sweep, n)
    print(
        f"| sweep of {n} draws, 2-worker LocalCluster | {r['seconds'] / 60:.1f} min | "
        f"{r['peak_mib']:.0f} MiB (client) | {r['result']} |"
        if not r["error"]
        else f"| sweep | failed | | {r['error']} |"
    )
    print(f"load after: {load()}")


if __name__ == "__main__":
    main()
