"""How long a user waits for a first result: import, --help, warm-up (cold, warm), run.

Every case runs as a fresh command line (what a user types), with its own
Numba cache folder, so compile time is measured apart from run time:
``geoai warmup --only`` the four families ``make run`` warms, into an empty
``NUMBA_CACHE_DIR`` (cold), then ``geoai run`` on the defaults with that cache
(warm): "first make run" is the two, what ``make run`` does once after
install; then ``geoai warmup`` of every family (the others cold), and again
(all warm).

With ``--baseline DIR`` (a source tree of an earlier version, e.g.
``git archive <commit> | tar -x -C DIR``) each case also runs on that tree in
the same session, side by side, for the ratio. CPU is user + system time of
the command and its children (the run's second process included); peak
memory is the largest resident set of any command run so far in the session.

Run: ``.venv/bin/python benchmarks/bench_first_result.py [--baseline DIR] [--skip-run]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import load

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _timed(cmd: list[str], env: dict[str, str]) -> dict[str, float]:
    """Wall, CPU (user + system, children included) and peak RSS of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "peak_mib": after.ru_maxrss / 1024, "stderr": done.stderr}


def _import_seconds(env: dict[str, str]) -> float:
    """Cumulative ``-X importtime`` of ``import geoai`` (s)."""
    out = _timed([sys.executable, "-X", "importtime", "-c", "import geoai"], env)["stderr"]
    last = [ln for ln in str(out).splitlines() if ln.rstrip().endswith("| geoai")]
    return int(last[-1].split("|")[1]) / 1e6 if last else float("nan")


#: The families ``make run`` warms before its run (the Makefile's RUN_STAMP).
MAKE_RUN_FAMILIES = "flows,potential,stats,scenario"


def _cases(tree: Path | None, *, with_run: bool) -> dict[str, dict[str, float]]:
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    cache = Path(tempfile.mkdtemp(prefix="geoai-bench-numba-"))
    out = Path(tempfile.mkdtemp(prefix="geoai-bench-out-")) / "out"
    env["NUMBA_CACHE_DIR"] = str(cache)
    geoai = [sys.executable, "-c", "import sys; from geoai.cli import main; sys.exit(main())"]
    rows: dict[str, dict[str, float]] = {}
    try:
        rows["import geoai"] = {"wall": _import_seconds(env), "cpu": float("nan"), "peak_mib": 0}
        helps = [_timed([*geoai, "--help"], env) for _ in range(3)]
        rows["geoai --help"] = min(helps, key=lambda r: r["wall"])
        cold = _timed([*geoai, "warmup", "--only", MAKE_RUN_FAMILIES], env)
        rows[f"geoai warmup --only {MAKE_RUN_FAMILIES} (make run), cold cache"] = cold
        if with_run:
            run = _timed([*geoai, "run", "--out", str(out), "--overwrite"], env)
            rows["geoai run (defaults), warm cache"] = run
            rows["first make run (that warm-up + the run)"] = {
                "wall": cold["wall"] + run["wall"],
                "cpu": cold["cpu"] + run["cpu"],
                "peak_mib": max(cold["peak_mib"], run["peak_mib"]),
            }
        rows["geoai warmup (every family): the others cold"] = _timed([*geoai, "warmup"], env)
        rows["geoai warmup (every family), warm cache"] = _timed([*geoai, "warmup"], env)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(out.parent, ignore_errors=True)
    return rows


def main() -> None:
    """Print one markdown table: each case, and against the baseline tree if given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="source tree of an earlier version")
    parser.add_argument("--skip-run", action="store_true", help="no geoai run (minutes)")
    args = parser.parse_args()
    before = load()
    new = _cases(ROOT, with_run=not args.skip_run)
    old = _cases(args.baseline, with_run=not args.skip_run) if args.baseline else {}
    after = load()
    head = "| case | wall s | CPU s | peak MiB |"
    rule = "|---|---:|---:|---:|"
    if old:
        head += " baseline wall s | baseline CPU s | speed-up (wall) |"
        rule += "---:|---:|---:|"
    print(head)
    print(rule)
    for case, r in new.items():
        line = f"| {case} | {r['wall']:.2f} | {r['cpu']:.1f} | {r['peak_mib']:.0f} |"
        if old and case in old:
            o = old[case]
            line += f" {o['wall']:.2f} | {o['cpu']:.1f} | {o['wall'] / r['wall']:.1f}x |"
        print(line)
    print(f"\nload before: {before}; after: {after}; {os.cpu_count()} CPUs")
    print("peak MiB: the largest resident set of any command so far (getrusage of children)")


if __name__ == "__main__":
    main()
