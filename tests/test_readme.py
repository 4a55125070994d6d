"""The README's Python examples run as written, each in a fresh interpreter.

A block right after ``<!-- not run by the tests: WHY -->`` is skipped by this
test with that reason (it needs the reader's own data or a cluster); every
other ``python`` block must run from a fresh ``import`` in an empty folder.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
_BLOCK = re.compile(
    r"(?:<!-- not run by the tests: (?P<why>[^>]*?) -->\n)?```python\n(?P<code>.*?)```", re.DOTALL
)


def _blocks() -> list[tuple[str, str, str]]:
    text = README.read_text(encoding="utf-8")
    out = []
    for m in _BLOCK.finditer(text):
        line = text.count("\n", 0, m.start("code")) + 1
        out.append((f"README.md:{line}", m.group("code"), m.group("why") or ""))
    return out


BLOCKS = _blocks()


def test_the_readme_has_examples_and_says_why_a_block_is_not_run():
    assert len(BLOCKS) >= 7
    assert sum(1 for *_, why in BLOCKS if why) <= 3
    assert all(len(why) > 10 for *_, why in BLOCKS if why)


@pytest.mark.parametrize(("where", "code"), [(w, c) for w, c, why in BLOCKS if not why])
def test_readme_example_runs_as_written(where, code, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    res = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert res.returncode == 0, f"{where} failed:\n{res.stderr[-3000:]}"
