"""The checked Dask connection: a short timeout, one error type, and a working success path."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from geoai import BackendUnavailableError, InputError
from geoai._scheduler import LOCAL, check_address, connect, connected


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    """A local TCP server that accepts and either stays silent or answers with ``reply``."""

    def __init__(self, reply: bytes | None) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.reply = reply
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            if self.reply is not None:
                conn.sendall(self.reply)

    def close(self) -> None:
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, ""),
        ("", ""),
        ("   ", ""),
        ("10.0.0.5:8786", "tcp://10.0.0.5:8786"),
        ("tcp://scheduler.example.org:8786", "tcp://scheduler.example.org:8786"),
        ("tls://[::1]:8786", "tls://[::1]:8786"),
        ("tcp://localhost:08786", "tcp://localhost:8786"),
    ],
)
def test_well_formed_addresses_are_normalised(given, expected):
    assert check_address(given) == expected


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ("tcp://10.0.0.5", "has no port"),
        ("tcp://10.0.0.5:0", "from 1 to 65535"),
        ("tcp://10.0.0.5:99999", "from 1 to 65535"),
        ("tcp://10.0.0.5:http", "from 1 to 65535"),
        ("ws://10.0.0.5:8786", "protocol 'ws'"),
        ("tcp://:8786", "no valid host"),
        ("tcp://a b:8786", "not an address"),
        ("threads", "local Dask scheduler"),
        (8786, "must be a string"),
        ("tcp://h:" + "1" * 5000, "not an address"),
    ],
)
def test_malformed_addresses_are_input_errors_naming_the_form(given, fragment):
    with pytest.raises(InputError, match=fragment) as info:
        check_address(given, "dask.scheduler")
    assert "dask.scheduler" in str(info.value)
    assert "\n" not in str(info.value)


def test_local_threads_need_no_client():
    assert connect(None) is None
    assert connect("") is None
    with connected(None) as s:
        assert s is None
    for name in LOCAL:
        with connected(name) as s:
            assert s == name


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), True, "5", 601])
def test_bad_timeouts_are_refused(timeout):
    with pytest.raises(InputError, match="timeout_s"):
        connect("tcp://127.0.0.1:8786", timeout_s=timeout)


def test_a_closed_port_is_refused_at_once():
    import distributed  # noqa: F401 - its first import takes a second; time the refusal only

    address = f"tcp://127.0.0.1:{_closed_port()}"
    t0 = time.monotonic()
    with pytest.raises(BackendUnavailableError) as info:
        connect(address, timeout_s=5)
    assert time.monotonic() - t0 < 1.0  # refused, not waited for
    message = str(info.value)
    assert address in message
    assert "5 s" in message
    assert "start the scheduler" in message
    assert "leave the scheduler empty" in message
    assert isinstance(info.value, ImportError)


def test_an_unroutable_address_gives_up_after_the_timeout():
    # here the connection may be dropped, refused, or accepted by a proxy that never
    # speaks Dask (which made distributed try to allocate 3 EiB): each is the same error
    t0 = time.monotonic()
    with pytest.raises(BackendUnavailableError, match=r"10\.255\.255\.1:8786 within 1 s"):
        connect("tcp://10.255.255.1:8786", timeout_s=1)
    assert time.monotonic() - t0 < 3.0


def test_a_silent_server_is_not_a_scheduler():
    server = _Server(reply=None)
    try:
        t0 = time.monotonic()
        with pytest.raises(BackendUnavailableError, match="no answer in time"):
            connect(f"tcp://127.0.0.1:{server.port}", timeout_s=0.5)
        assert time.monotonic() - t0 < 2.0
    finally:
        server.close()


@pytest.mark.parametrize(
    "reply",
    [
        b"HTTP/1.1 400 Bad Request\r\n\r\n",  # read as a frame length: 3.5e18 bytes
        b"\x10\x00\x00\x00\x00\x00\x00\x00" + b"x" * 16,  # a plausible frame, not a handshake
    ],
)
def test_a_server_that_is_not_dask_is_refused_without_allocating(reply):
    server = _Server(reply=reply)
    try:
        with pytest.raises(BackendUnavailableError, match="not a Dask scheduler"):
            connect(f"tcp://127.0.0.1:{server.port}", timeout_s=1)
    finally:
        server.close()


def test_an_unknown_host_is_refused():
    with pytest.raises(BackendUnavailableError, match=r"no-such-host\.invalid"):
        connect("tcp://no-such-host.invalid:8786", timeout_s=1)


@pytest.mark.parametrize("protocol", ["tcp://", "inproc://"])
def test_a_real_scheduler_connects_and_the_block_closes_it(protocol):
    import distributed

    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        protocol=protocol,
        dashboard_address=None,
    ) as cluster:
        with connected(cluster.scheduler_address, timeout_s=5) as client:
            assert isinstance(client, distributed.Client)
            assert client.submit(sum, [1, 2, 3]).result() == 6
        assert client.status == "closed"
        # a Client given in is used as it is and left open
        own = distributed.Client(cluster.scheduler_address)
        try:
            with connected(own) as same:
                assert same is own
            assert own.status == "running"
        finally:
            own.close()


def test_sensitivity_refuses_an_unreachable_scheduler_before_any_run():
    import distributed  # noqa: F401 - its first import takes a second; time the refusal only

    from geoai.scenario.sensitivity import sensitivity

    t0 = time.monotonic()
    with pytest.raises(BackendUnavailableError, match="start the scheduler"):
        sensitivity("concentration", k=1, end=2027, scheduler=f"tcp://127.0.0.1:{_closed_port()}")
    assert time.monotonic() - t0 < 2.0
