"""The report's background process shares the cores: half the thread pools each."""

from __future__ import annotations

import os

import pytest

from geoai.pipeline import _background


@pytest.mark.parametrize("cores", [1, 2, 3, 16])
@pytest.mark.parametrize("given", [None, "1", "64", "junk"])
def test_the_child_gets_half_the_cores_or_what_the_user_set_if_fewer(monkeypatch, cores, given):
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(cores)), raising=False)
    for pool in _background._THREAD_POOLS:
        if given is None:
            monkeypatch.delenv(pool, raising=False)
        else:
            monkeypatch.setenv(pool, given)
    env = _background._child_env()
    half = max(1, cores // 2)
    want = min(int(given), half) if given is not None and given.isdigit() else half
    for pool in _background._THREAD_POOLS:
        assert env[pool] == str(want)
        if given is not None:
            assert os.environ[pool] == given  # this process's own pools are left alone


@pytest.mark.parametrize("given", [None, "ACTIVE", "PASSIVE"])
def test_the_childs_idle_openmp_threads_sleep_unless_the_user_chose(monkeypatch, given):
    if given is None:
        monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    else:
        monkeypatch.setenv("OMP_WAIT_POLICY", given)
    env = _background._child_env()
    assert env["OMP_WAIT_POLICY"] == (given or "PASSIVE")
    assert os.environ.get("OMP_WAIT_POLICY") == given  # this process's environment is unchanged


@pytest.mark.parametrize(("share", "want"), [("1", "sync"), ("2", "threads"), ("junk", "sync")])
def test_the_childs_sweeps_run_on_its_share_of_the_cores(monkeypatch, share, want):
    import dask

    monkeypatch.setenv("NUMBA_NUM_THREADS", share)
    before = dask.config.get("num_workers", None)
    with _background._sweep_pool() as scheduler:
        assert scheduler == want
        if want == "threads":
            assert dask.config.get("num_workers") == int(share)
    assert dask.config.get("num_workers", None) == before
