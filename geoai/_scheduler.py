"""How geoai uses the machine: a checked Dask connection, the cores, idle threads, the exit.

The cores a process may use (:func:`usable_cores`), OpenMP threads that sleep
when idle (:func:`passive_waits`) and the fast end of geoai's own processes
(:func:`leave`) are here beside the scheduler, whose connection is the rest.

``distributed.Client(address)`` waits 30 s (Dask's connect timeout) for a
scheduler that is not there, then raises a bare ``OSError``; and an address
where something other than a Dask scheduler answers (an HTTP proxy, a web
server) can make it read the answer's first 8 bytes as a frame length and
try to allocate exabytes. :func:`connect` checks the address's form, then,
for ``tcp://``, opens a plain socket and waits at most ``timeout_s`` for the
handshake a Dask scheduler sends as soon as a connection opens (a small
msgpack frame naming its ``pickle-protocol``). Only when that handshake
arrives is a ``Client`` created, with the same timeout. Every failure is a
:class:`~geoai.errors.BackendUnavailableError` naming the address, the
timeout and the fix; a malformed address is an
:class:`~geoai.errors.InputError`.

Addresses accepted: ``tcp://host:port`` (or a bare ``host:port``, read as
``tcp://``), ``tls://host:port`` (only a TCP connection is probed; TLS and
the handshake are left to the ``Client``), and ``inproc://...`` (a scheduler
in this process, as a ``LocalCluster(processes=False)`` makes). A
scheduler file (``--scheduler-file``) is not taken: read its ``address``
and pass that. The empty string and None mean local threads: no client.
"""

from __future__ import annotations

import contextlib
import math
import re
import socket
import struct
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, NoReturn

from geoai._optional import optional
from geoai.errors import BackendUnavailableError, InputError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from distributed import Client

__all__ = [
    "LOCAL",
    "check_address",
    "connect",
    "connected",
    "leave",
    "passive_waits",
    "usable_cores",
]

#: Names of Dask's local schedulers that :func:`connected` passes through unchanged.
LOCAL = ("threads", "processes", "sync", "synchronous")

_FIX = (
    "start the scheduler (`dask scheduler`), check the address, or leave the scheduler "
    'empty ("") for local threads'
)
_FORM = 'a dask.distributed address such as "tcp://10.0.0.5:8786", or "" for local threads'
_HOST = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252}))$")
#: A Dask handshake is about 60 bytes; anything claiming more than this is not one.
_MAX_HANDSHAKE = 1 << 16


def usable_cores() -> int:
    """Return the cores this process may run on (its CPU affinity where the OS tells), >= 1.

    Examples
    --------
    >>> usable_cores() >= 1
    True
    """
    import os

    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def passive_waits(env: dict[str, str] | None = None) -> None:
    """Let idle OpenMP threads sleep (``OMP_WAIT_POLICY=PASSIVE``) unless already chosen.

    Numba's parallel kernels run on OpenMP where it is installed, and GNU
    OpenMP keeps a finished region's threads spinning on a core for a while,
    waiting for the next one. A ``geoai run`` has three processes on the
    cores (the run, its sensitivity bands and QGIS): the spinning threads of
    one take the cores the others need. Passive waits cut the warm default
    run from 24.2 to 22.1 CPU-s on two cores (about 0.9 s of wall time). Set
    before the OpenMP runtime starts (the ``geoai`` command calls this first,
    and the bands' process gets it in its environment); a value already in
    the environment, such as ``OMP_WAIT_POLICY=ACTIVE``, is kept.

    Parameters
    ----------
    env : dict, optional
        The environment to set it in (a child's); default this process's ``os.environ``.

    Examples
    --------
    >>> env = {"OMP_WAIT_POLICY": "ACTIVE"}
    >>> passive_waits(env); env["OMP_WAIT_POLICY"]
    'ACTIVE'
    >>> env = {}
    >>> passive_waits(env); env["OMP_WAIT_POLICY"]
    'PASSIVE'
    """
    import os

    (os.environ if env is None else env).setdefault("OMP_WAIT_POLICY", "PASSIVE")


def leave(code: object) -> NoReturn:
    """Exit with ``code`` (as ``SystemExit`` reads it) without tearing the interpreter down.

    For the ``geoai`` command and geoai's child processes only, never a
    library call: a user's program decides how it ends.

    After a ``geoai run``, freeing every module and object (Numba's
    dispatchers and types, LLVM's code, pandas and matplotlib) takes about
    0.7 s, work the operating system does at once when the process ends.
    Here the exit handlers run first (``atexit``: logging, temporary folders,
    weak-reference finalizers) and the output is flushed, then the process
    ends. While another non-daemon thread runs, the exit is the usual one
    (``SystemExit``), which waits for it.
    """
    import atexit
    import os

    if any(
        t.is_alive() and not t.daemon
        for t in threading.enumerate()
        if t is not threading.main_thread()
    ):
        raise SystemExit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # SystemExit("message"): the message on stderr, status 1
        sys.stderr.write(f"{code}\n")
        status = 1
    atexit._run_exitfuncs()  # noqa: SLF001 - what the interpreter runs on its way out
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to write
            stream.flush()
    os._exit(status)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_address(address: object, name: str = "scheduler") -> str:
    """Return ``address`` normalised (``""`` for local threads), or raise InputError.

    Parameters
    ----------
    address : object
        As given: None, ``""``, ``"tcp://host:port"``, ``"tls://host:port"``,
        ``"host:port"`` or ``"inproc://..."``.
    name : str, default "scheduler"
        How the caller names it (``"dask.scheduler"``, ``"--scheduler"``), for the message.

    Returns
    -------
    str
        ``""`` for None or an empty string, else the address with its scheme.

    Examples
    --------
    >>> check_address("10.0.0.5:8786"), check_address(None)
    ('tcp://10.0.0.5:8786', '')
    >>> try:
    ...     check_address("tcp://10.0.0.5")
    ... except InputError as exc:
    ...     print(str(exc).split(";")[0])
    scheduler='tcp://10.0.0.5' has no port
    """
    if address is None:
        return ""
    if not isinstance(address, str):
        raise InputError(f"{name} must be a string, {_FORM}; got {_shown(address)}.")
    text = address.strip()
    if not text:
        return ""
    if text in LOCAL:
        raise InputError(
            f"{name}={text!r} is a local Dask scheduler, not an address; leave it empty "
            '("") for local threads, or give a dask.distributed address such as '
            '"tcp://10.0.0.5:8786".'
        )
    if len(text) > 300 or any(not c.isprintable() or c.isspace() for c in text):
        raise InputError(f"{name}={_shown(text)} is not an address; give {_FORM}.")
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "tcp", text
    if scheme == "inproc":
        return text
    if scheme not in ("tcp", "tls"):
        raise InputError(
            f"{name}={_shown(text)} uses the protocol {scheme!r}; geoai connects over tcp://, "
            f"tls:// or inproc://: give {_FORM}."
        )
    host, colon, port = rest.rpartition(":")
    if not colon or not port:
        raise InputError(f"{name}={_shown(text)} has no port; give {_FORM}.")
    if not port.isdigit() or not 1 <= int(port[:6]) <= 65535:
        raise InputError(
            f"{name}={_shown(text)} has the port {_shown(port)}; a port is a whole number "
            "from 1 to 65535 (Dask's default is 8786)."
        )
    if not host or not _HOST.match(host):
        raise InputError(f"{name}={_shown(text)} has no valid host name; give {_FORM}.")
    return f"{scheme}://{host}:{int(port)}"


def _resolve(host: str, port: int, deadline: float) -> tuple[Any, ...]:
    """``getaddrinfo`` under the deadline (it has no timeout of its own)."""
    found: list[Any] = []

    def look() -> None:
        try:
            found.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0])
        except OSError as exc:
            found.append(exc)

    worker = threading.Thread(target=look, daemon=True)
    worker.start()
    worker.join(max(deadline - time.monotonic(), 0.0))
    if not found:
        raise TimeoutError("the host name did not resolve in time")
    if isinstance(found[0], OSError):
        raise found[0]
    entry: tuple[Any, ...] = found[0]  # (family, type, proto, canonname, sockaddr)
    return entry


def _read(sock: socket.socket, n: int, deadline: float) -> bytes:
    data = b""
    while len(data) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no Dask handshake arrived in time")
        sock.settimeout(left)
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionResetError("the connection closed before a Dask handshake")
        data += chunk
    return data


def _probe(scheme: str, hostport: str, deadline: float) -> None:
    """Open a TCP connection; for tcp://, read and check the scheduler's handshake."""
    host, _, port = hostport.rpartition(":")
    host = host.strip("[]")
    family, kind, proto, _, sockaddr = _resolve(host, int(port), deadline)
    with socket.socket(family, kind, proto) as sock:
        sock.settimeout(max(deadline - time.monotonic(), 1e-3))
        sock.connect(sockaddr)
        if scheme != "tcp":
            return
        (size,) = struct.unpack("<Q", _read(sock, 8, deadline))
        if not 0 < size <= _MAX_HANDSHAKE:
            raise ConnectionError("what answers there is not a Dask scheduler")
        frames = _read(sock, size, deadline)
        if b"pickle-protocol" not in frames:
            raise ConnectionError("what answers there is not a Dask scheduler")


def _check_timeout(timeout_s: object) -> float:
    bad = isinstance(timeout_s, bool) or not isinstance(timeout_s, int | float)
    if bad or not math.isfinite(float(timeout_s)) or not 0 < float(timeout_s) <= 600:  # type: ignore[arg-type]
        raise InputError(
            f"timeout_s must be a number of seconds in (0, 600]; got {_shown(timeout_s)}. "
            "Pass e.g. timeout_s=5."
        )
    return float(timeout_s)  # type: ignore[arg-type]  # a real number, checked above


def connect(address: str | None, *, timeout_s: float = 5.0) -> Client | None:
    """Connect to a Dask scheduler within ``timeout_s``, or say why not.

    Parameters
    ----------
    address : str or None
        A scheduler address (module docstring); None or ``""``: local threads.
    timeout_s : float, default 5.0
        Longest wait (seconds) for the connection and the scheduler's handshake, in (0, 600].

    Returns
    -------
    distributed.Client or None
        A connected client (the default scheduler from now on; close it when
        done, or use :func:`connected`), or None for local threads.

    Raises
    ------
    InputError
        A malformed address or timeout.
    BackendUnavailableError
        ``distributed`` is not installed, or no Dask scheduler answered at the
        address within ``timeout_s``.

    Examples
    --------
    >>> connect(""), connect(None)
    (None, None)
    >>> import socket
    >>> with socket.socket() as s:  # a port that nothing listens on
    ...     s.bind(("127.0.0.1", 0))
    ...     port = s.getsockname()[1]
    >>> try:
    ...     connect(f"tcp://127.0.0.1:{port}", timeout_s=1)
    ... except ImportError as exc:
    ...     print(type(exc).__name__, "leave the scheduler empty" in str(exc))
    BackendUnavailableError True
    """
    text = check_address(address)
    wait = _check_timeout(timeout_s)
    if not text:
        return None
    distributed = optional("distributed", f"the Dask scheduler {text}")
    scheme, _, rest = text.partition("://")
    deadline = time.monotonic() + wait
    try:
        if scheme != "inproc":
            _probe(scheme, rest, deadline)
        client: Client = distributed.Client(text, timeout=max(deadline - time.monotonic(), 0.5))
    except Exception as exc:  # noqa: BLE001 - every failure to connect gets the one answer
        why = "no answer in time" if isinstance(exc, TimeoutError) else str(exc).strip()
        why = why or type(exc).__name__
        why = why if len(why) <= 120 else why[:117] + "..."
        raise BackendUnavailableError(
            f"no Dask scheduler answered at {text} within {wait:g} s ({why}); {_FIX}."
        ) from None
    return client


@contextlib.contextmanager
def connected(
    scheduler: str | Client | None, *, timeout_s: float = 5.0
) -> Iterator[str | Client | None]:
    """Use a scheduler for a block: an address is connected (:func:`connect`) and closed after.

    Parameters
    ----------
    scheduler : None, str or distributed.Client
        What :func:`geoai.scenario.sweep` takes: None or ``""`` (local threads),
        a local scheduler's name (:data:`LOCAL`), an address, or a Client.
    timeout_s : float, default 5.0
        As in :func:`connect`.

    Yields
    ------
    None, str or distributed.Client
        None for local threads; a local name or a Client given as they were
        (a given Client is not closed); for an address, the connected Client,
        closed when the block ends.

    Examples
    --------
    >>> with connected(None) as s, connected("sync") as t:
    ...     print(s, t)
    None sync
    """
    dist = sys.modules.get("distributed")
    if dist is not None and isinstance(scheduler, dist.Client):
        yield scheduler
        return
    if isinstance(scheduler, str) and scheduler.strip() in LOCAL:
        yield scheduler.strip()
        return
    client = connect(scheduler, timeout_s=timeout_s)  # type: ignore[arg-type]  # checked there
    try:
        yield client
    finally:
        if client is not None:
            client.close()  # type: ignore[no-untyped-call]  # untyped dependency
