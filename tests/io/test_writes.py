"""Writes on a thread: in order, bounded, always waited for, their first error raised."""

from __future__ import annotations

import threading
import time

import pytest

from geoai.io._writes import Writes


def test_writes_run_in_order_off_the_callers_thread():
    done, threads = [], set()

    def write(k):
        threads.add(threading.current_thread().name)
        time.sleep(0.01 * (3 - k))  # the first is the slowest: order is kept anyway
        done.append(k)

    with Writes(name="geoai-test") as writes:
        for k in range(3):
            writes.submit(write, k)
    assert done == [0, 1, 2]
    assert len(threads) == 1
    assert next(iter(threads)).startswith("geoai-test")


def test_submit_waits_for_room():
    gate, started = threading.Event(), threading.Event()
    with Writes(waiting=1) as writes:
        writes.submit(gate.wait)
        second = threading.Thread(target=lambda: (started.set(), writes.submit(lambda: None)))
        second.start()
        started.wait()
        second.join(0.2)
        assert second.is_alive()  # one write unfinished: no room yet
        gate.set()
        second.join(5)
        assert not second.is_alive()


def test_the_first_error_comes_after_every_write():
    done = []

    def fail(message):
        raise OSError(message)

    def three_writes():
        with Writes() as writes:
            writes.submit(fail, "first")
            writes.submit(fail, "second")
            writes.submit(done.append, "third")

    with pytest.raises(OSError, match="first"):
        three_writes()
    assert done == ["third"]


def test_an_error_on_its_way_waits_for_the_writes_and_goes_on():
    gate, done = threading.Event(), []

    def slow():
        gate.wait(5)
        done.append("written")

    def interrupted():
        with Writes() as writes:
            writes.submit(slow)
            writes.submit(lambda: (_ for _ in ()).throw(OSError("a write's error")))
            threading.Timer(0.1, gate.set).start()
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert done == ["written"]
