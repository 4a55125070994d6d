"""All Numba code of geoai: arrays and scalars in, arrays out.

Kernels import nothing of geoai but each other, take no pandas objects, CRS or
options objects, and trust their input (validation happens once, at the
public function). The JIT flags are set here, in one place:

* ``cache=True`` so compiled kernels are reused across processes (start-up
  of three kernels drops from ~13 s to ~1 s), each cached kernel stamped
  with every kernel module it may have compiled in (:mod:`geoai.kernels._cache`);
* ``error_model="numpy"`` so divisions do not raise and loops vectorise;
* ``fastmath`` without ``nnan``/``ninf``: reassociation and contraction are
  allowed, but infinities and NaN keep their IEEE meaning.

With ``NUMBA_DISABLE_JIT=1`` (the coverage run) every kernel runs as the
Python function it is written as, with Numba's numeric rules kept where plain
Python differs: float arguments are float64 (``1.0 / 0.0`` is ``inf``, not a
``ZeroDivisionError``), NumPy's floating-point and overflow warnings are off
(the ``numpy`` error model: IEEE results; NumPy integer scalars wrap silently,
as Numba's fixed-width integers do), and scalar results come back as Python
``float``, ``int`` and ``bool``, as Numba boxes them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, Literal, TypeAlias, TypeVar, cast

import numba
import numpy as np

__all__ = ["FASTMATH", "JIT_DISABLED", "Index", "jit", "n_threads"]

F = TypeVar("F", bound=Callable[..., Any])

#: An index or a count in a kernel signature: a Python int, or the NumPy int64 that kernels pass
#: where a literal would make Numba compile a copy typed on that literal value.
Index: TypeAlias = int | np.int64

#: LLVM fast-math flags used by every kernel (no ``nnan``/``ninf``).
FASTMATH = frozenset({"nsz", "arcp", "contract", "afn", "reassoc"})

#: True when Numba's JIT is off (``NUMBA_DISABLE_JIT=1``): kernels then run as plain Python.
JIT_DISABLED = bool(numba.config.DISABLE_JIT)  # type: ignore[attr-defined]  # set from the environment

# True while a kernel runs as Python in this thread (or task): inner kernels skip the set-up.
_INSIDE: ContextVar[bool] = ContextVar("geoai_kernel_running", default=False)


def _boxed(value: Any) -> Any:  # noqa: ANN401 - any kernel result
    """Return a kernel result as Numba boxes it: NumPy scalars as Python scalars, tuples kept."""
    if isinstance(value, np.generic) and not isinstance(value, np.void):
        return value.item()
    if isinstance(value, tuple):
        items = [_boxed(v) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    return value


def _python_twin(fn: F, options: dict[str, Any]) -> F:
    """``fn`` as plain Python with Numba's numeric rules (see the module notes)."""

    @functools.wraps(fn)
    def twin(*args: Any) -> Any:  # noqa: ANN401 - the kernel's own result
        args = tuple(np.float64(a) if type(a) is float else a for a in args)
        if _INSIDE.get():
            return fn(*args)
        token = _INSIDE.set(True)
        try:
            with np.errstate(all="ignore"):
                return _boxed(fn(*args))
        finally:
            _INSIDE.reset(token)

    twin.targetoptions = options  # type: ignore[attr-defined]  # as a Numba dispatcher has
    return cast("F", twin)


def jit(
    *, parallel: bool = False, inline: Literal["never", "always"] = "never"
) -> Callable[[F], F]:
    """Compile a kernel with the project's Numba flags.

    Parameters
    ----------
    parallel : bool, default False
        Enable ``prange`` parallel loops.
    inline : {"never", "always"}, default "never"
        Numba IR inlining, for small device functions called in hot loops.

    Returns
    -------
    callable
        A decorator that compiles a function with ``numba.njit`` and these flags (and
        ``cache=True``, so the function must live in a module file). With the JIT off
        (:data:`JIT_DISABLED`) it returns the Python function, run with Numba's numeric
        rules (see the module notes) and carrying the same ``targetoptions``.

    Examples
    --------
    Every kernel carries the same flags:

    >>> from geoai.kernels.decay import decay_array
    >>> from geoai.kernels.potential import potential_grid
    >>> opts = decay_array.targetoptions
    >>> opts["error_model"], opts["nogil"], opts["fastmath"] == set(FASTMATH)
    ('numpy', True, True)
    >>> opts["parallel"], potential_grid.targetoptions["parallel"]
    (False, True)

    and compiles to machine code unless the JIT is off:

    >>> isinstance(decay_array, numba.core.dispatcher.Dispatcher) != JIT_DISABLED
    True
    """

    def wrap(fn: F) -> F:
        options: dict[str, Any] = {
            "nopython": True,
            "nogil": True,
            "parallel": parallel,
            "error_model": "numpy",
            "fastmath": set(FASTMATH),
            "inline": inline,
        }
        if JIT_DISABLED:
            return _python_twin(fn, options)
        from geoai.kernels._cache import package_cache

        compile_: Any = numba.jit(cache=True, **options)
        return cast("F", package_cache(compile_(fn)))

    return wrap


def n_threads() -> int:
    """Return the number of threads Numba's parallel kernels run on (``NUMBA_NUM_THREADS``).

    Examples
    --------
    >>> n_threads() >= 1
    True
    """
    return int(numba.get_num_threads())
