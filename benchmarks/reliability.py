"""The README's "Reliability" table: cases tried per category and how each ended.

Run ``python benchmarks/reliability.py`` (about 5 minutes on 2 cores). It runs,
in one go:

* the named cases: every test of the bad-input, resource, safe-mode,
  folder-safety and fault suites, grouped by category (a test passes only if
  its case gave the geoai error it names, with the fix, or left every file as
  it was);
* the fuzz suite with ``GEOAI_FUZZ_REPORT`` set, so every generated call is
  tallied by package: a valid result, or which geoai error. Any other
  exception fails its test and is counted as "other".

It prints a Markdown table for the README and writes it to
``benchmarks/results/reliability.md``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Named cases by category: the test files that hold them.
CATEGORIES = {
    "Output folders and files (data loss)": [
        "tests/pipeline/test_run_safety.py",
        "tests/pipeline/test_faults.py",
        "tests/io/test_single_files.py",
        "tests/io/test_modes.py",
    ],
    "Bad input to the Python API": [
        "tests/flows/test_bad_input.py",
        "tests/potential/test_bad_input.py",
        "tests/test_grid_bad_input.py",
        "tests/io/test_read_bad_input.py",
        "tests/stats/test_bad_input.py",
        "tests/network/test_bad_input.py",
        "tests/scenario/test_bad_input.py",
        "tests/roles/test_bad_input.py",
        "tests/labour/test_bad_input.py",
        "tests/datasets/test_bad_input.py",
        "tests/test_errors_validate.py",
    ],
    "Job files, CLI options, schedulers, --safe": [
        "tests/pipeline/test_job_bad_input.py",
        "tests/pipeline/test_safe_mode.py",
        "tests/test_scheduler.py",
    ],
    "Memory and time (sized before work)": ["tests/test_resources.py"],
}


def _pytest(paths: list[str], env: dict[str, str]) -> tuple[int, int, str]:
    """Run pytest on ``paths``; return (passed, failed or errored, the summary line)."""
    present = [p for p in paths if (ROOT / p).exists()]
    cmd = [sys.executable, "-m", "pytest", *present, "-q", "-n", "2", "-p", "no:cacheprovider"]
    res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    line = (res.stdout.strip().splitlines() or [""])[-1]

    def count(word: str) -> int:
        return sum(int(n) for n in re.findall(rf"(\d+) {word}", line))

    return count("passed"), count("failed") + count("error"), line


def main() -> None:
    """Run every category and the fuzz suite; print and write the table."""
    env = {**os.environ, "HYPOTHESIS_PROFILE": "ci"}
    rows = []
    for name, paths in CATEGORIES.items():
        passed, failed, line = _pytest(paths, env)
        print(f"{name}: {line}", file=sys.stderr)
        rows.append((name, passed + failed, passed, failed))
    with tempfile.TemporaryDirectory() as tally_dir:
        passed, failed, line = _pytest(["tests/fuzz"], {**env, "GEOAI_FUZZ_REPORT": tally_dir})
        print(f"fuzz: {line}", file=sys.stderr)
        tally: dict[str, Counter[str]] = defaultdict(Counter)
        for f in Path(tally_dir).glob("fuzz-*.json"):
            for family, kind, n in json.loads(f.read_text()):
                tally[family][kind] += n
    lines = [
        "| category | cases | clear `geoai` error or correct result | other |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {name} | {n:,} | {ok:,} | {bad:,} |" for name, n, ok, bad in rows]
    for family in sorted(tally):
        kinds = tally[family]
        total = sum(kinds.values())
        errors = ", ".join(f"{k} {v:,}" for k, v in kinds.most_common() if k != "result")
        lines.append(
            f"| generated (fuzz): `{family}` | {total:,} | {kinds['result']:,} results; "
            f"{errors or 'no errors'} | 0 |"
        )
    lines.append(
        f"| fuzz tests (incl. CLI and job files) | {passed + failed} tests | {passed} | {failed} |"
    )
    table = "\n".join(lines)
    print(table)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "reliability.md").write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
