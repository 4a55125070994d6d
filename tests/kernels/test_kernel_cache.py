"""Numba's cache is stamped with every kernel module: an edit to a callee recompiles its callers."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from geoai.kernels._cache import folder_stamp

CALLER = """
from geoai.kernels import jit
from kern.callee import step

@jit()
def twice(x):
    return 2.0 * step(x)
"""

RUN = """
import sys
sys.path.insert(0, sys.argv[1])
from kern.caller import twice
print(twice(1.0), sum(twice.stats.cache_hits.values()))
"""


def _callee(offset: float) -> str:
    return f"from geoai.kernels import jit\n\n@jit()\ndef step(x):\n    return x + {offset}\n"


def _run(root):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["NUMBA_DISABLE_JIT"] = "0"
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(root)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    )
    value, hits = done.stdout.split()
    return float(value), int(hits)


def test_a_callees_edit_recompiles_the_cached_caller(tmp_path):
    package = tmp_path / "kern"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "caller.py").write_text(textwrap.dedent(CALLER), encoding="utf-8")
    (package / "callee.py").write_text(_callee(1.0), encoding="utf-8")
    assert _run(tmp_path) == (4.0, 0)  # compiled, and cached beside the source
    assert _run(tmp_path) == (4.0, 1)  # loaded from the cache
    (package / "callee.py").write_text(_callee(2.0), encoding="utf-8")  # caller.py unchanged
    assert _run(tmp_path) == (6.0, 0)  # recompiled, not the stale 4.0
    assert _run(tmp_path) == (6.0, 1)


def test_the_folder_stamp_follows_every_module_and_nothing_else(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "b.py").write_text("y = 2\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a module\n", encoding="utf-8")
    stamps = []
    for step in ("start", "edit", "add", "rename", "txt"):
        if step == "edit":
            (tmp_path / "a.py").write_text("x = 3\n", encoding="utf-8")
        elif step == "add":
            (tmp_path / "c.py").write_text("", encoding="utf-8")
        elif step == "rename":
            (tmp_path / "c.py").rename(tmp_path / "d.py")
        elif step == "txt":
            (tmp_path / "notes.txt").write_text("changed\n", encoding="utf-8")
        folder_stamp.cache_clear()
        stamps.append(folder_stamp(str(tmp_path)))
    assert len(set(stamps[:4])) == 4  # every change to a module changes the stamp
    assert stamps[4] == stamps[3]  # other files do not


def test_geoais_kernels_carry_the_folder_stamped_cache():
    from geoai.kernels import JIT_DISABLED, decay
    from geoai.kernels._cache import _Cache

    if JIT_DISABLED:  # the kernels run as Python: nothing compiled, nothing cached
        assert not hasattr(decay.decay_array, "_cache")
        return
    assert isinstance(decay.decay_array._cache, _Cache)
    stamp = decay.decay_array._cache._impl.locator.get_source_stamp()
    assert stamp == folder_stamp(str(Path(decay.__file__).resolve().parent))
