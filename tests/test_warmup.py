"""``geoai warmup`` fills Numba's on-disk cache, and a second run loads from it.

Each test runs the command in a subprocess, as a user would, with
``NUMBA_CACHE_DIR`` pointed at a fresh folder, so the shared cache beside the
kernels is neither used nor touched. The cold runs warm a subset of families
(``--only``) to keep the suite short on two cores; the full warm-up is timed
in ``benchmarks/``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from geoai.errors import InputError
from geoai.pipeline._warmup import FAMILIES, cache_dir, families

GEOAI = [sys.executable, "-c", "from geoai.cli import main; main()"]

#: The kernel modules each family compiles entry points of (their cache files start so).
MODULES = {"stats": {"lisa", "distance"}, "network": {"graph"}}


def geoai(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    """Run ``geoai ARGS`` with ``cache`` as ``NUMBA_CACHE_DIR``; return the finished process."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "NUMBA_DISABLE_JIT": "0"}
    return subprocess.run(
        [*GEOAI, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def cached_modules(cache: Path) -> set[str]:
    """Return the kernel modules with a Numba cache index (``*.nbi``) under ``cache``."""
    return {p.name.split(".", 1)[0] for p in cache.rglob("*.nbi")}


def test_warmup_fills_the_cache_and_a_second_run_loads_from_it(tmp_path):
    cache = tmp_path / "numba"
    t0 = time.perf_counter()
    cold = geoai("warmup", "--only", "stats,network", "--json", cache=cache)
    cold_s = time.perf_counter() - t0
    assert cold.returncode == 0, cold.stderr
    assert cached_modules(cache) >= MODULES["stats"] | MODULES["network"]
    doc = json.loads(cold.stdout)
    assert doc["command"] == "warmup"
    assert Path(doc["cache_dir"]) == cache
    assert list(doc["figures"]) == ["stats", "network"]
    index = {p: p.stat().st_mtime_ns for p in cache.rglob("*.nbi")}

    t0 = time.perf_counter()
    warm = geoai("warmup", "--only", "network,stats", "--json", cache=cache)
    warm_s = time.perf_counter() - t0
    assert warm.returncode == 0, warm.stderr
    figures = json.loads(warm.stdout)["figures"]
    assert list(figures) == ["stats", "network"]  # reported in the family order
    # loaded, not compiled again: no index rewritten, every family faster than cold
    assert {p: p.stat().st_mtime_ns for p in cache.rglob("*.nbi")} == index
    assert all(figures[f] < doc["figures"][f] for f in figures), (figures, doc["figures"])
    assert warm_s < cold_s


def test_warmup_shows_a_bar_and_the_cache_folder(tmp_path):
    cache = tmp_path / "numba"
    done = geoai("warmup", "--only", "network", "--workers", "1", cache=cache)
    assert done.returncode == 0, done.stderr
    assert "network:" in done.stdout
    assert "1/1" in done.stdout
    assert "warmed 1 kernel families" in done.stdout
    assert str(cache) in done.stdout.replace("\n", "")
    assert "graph" in cached_modules(cache)


def test_warmup_help_lists_the_options():
    done = subprocess.run(
        [*GEOAI, "warmup", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    for option in ("--only", "--workers", "--quiet", "--json"):
        assert option in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--only", "flows,maps"], "unknown kernel family: maps"),
        (["--only", ","], "unknown kernel family: none"),
        (["--workers", "0"], "--workers must be a whole number from 1"),
    ],
)
def test_bad_options_give_one_line_and_exit_2(tmp_path, args, message):
    done = geoai("warmup", *args, cache=tmp_path / "numba")
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not cached_modules(tmp_path / "numba")  # refused before anything compiled


def test_families_keep_their_order_and_refuse_unknown_names():
    assert families() == list(FAMILIES)
    assert families(["scenario", " flows", "scenario"]) == ["flows", "scenario"]
    with pytest.raises(InputError, match="choose from flows"):
        families(["flow"])


def test_cache_dir_follows_numba_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert cache_dir() == tmp_path
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    assert cache_dir().parent.name == "kernels"


def test_a_family_whose_extra_is_missing_is_skipped_and_said(tmp_path):
    """`make run` installs geoai[viz,dask] only: without networkx the network family is skipped."""
    shadow = tmp_path / "shadow" / "networkx"  # first on the path of every worker process:
    shadow.mkdir(parents=True)  # importing networkx fails as if geoai[osm] were not installed
    (shadow / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'networkx'\", name='networkx')\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache"), "NUMBA_DISABLE_JIT": "0"}
    env["PYTHONPATH"] = os.pathsep.join([str(shadow.parent), env.get("PYTHONPATH", "")])
    res = subprocess.run(
        [*GEOAI, "warmup", "--only", "network,stats", "--json"],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-800:]
    assert "network: skipped (needs networkx)" in res.stderr
    assert set(json.loads(res.stdout)["figures"]) == {"stats"}


@pytest.mark.needs_jit  # counts the signatures Numba compiled; plain Python has none
def test_row_kernels_compile_one_signature_whatever_the_caller():
    """Every caller passes the row range and the table row as int64, not a literal or uint64.

    A literal ``0`` (Numba's ``Literal[int](0)``) or a parallel loop's unsigned index
    gives the row kernels a second signature, compiled again at warm-up (other callers
    in this process may add their own, legitimate, signatures: only these two are refused).
    """
    import numpy as np

    from geoai.kernels import interaction, rows, triangle
    from geoai.kernels.decay import POWER

    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 40))
    x /= np.linalg.norm(x, axis=0)
    own = np.full(40, np.nan)
    v = rng.random((2, 40))
    geo = True  # great-circle rows (the sphere kernel)
    dense = interaction.decay_matrix(x, geo, own, POWER, 1.7, 0.0, np.empty((40, 40)))
    product = interaction.symmetric_matmat(x, geo, own, POWER, 1.7, 0.0, v, 2)
    total, top = interaction.symmetric_matmat_top_k(x, geo, own, POWER, 1.7, 0.0, v, v[0], 3, 2)
    assert np.allclose(product, v @ dense, rtol=1e-12)
    assert np.allclose(total, product, rtol=1e-12)
    best = np.sort(dense * v[0][None, :], axis=1)[:, ::-1][:, :3]
    assert np.allclose(top.value, best, rtol=1e-12)
    for kernel in (rows._decay_row, rows._decay_row_sphere, triangle.merge_rows):
        odd = [str(s) for s in kernel.signatures if "Literal" in str(s) or "uint64" in str(s)]
        assert not odd, f"{kernel.__name__} compiled for a literal or unsigned row: {odd}"
