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
