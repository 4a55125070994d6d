"""All Numba code of geoai: arrays and scalars in, arrays out.

Kernels import nothing of geoai but each other, take no pandas objects, CRS or
options objects, and trust their input (validation happens once, at the
public function). The JIT flags are set here, in one place:

* ``cache=True`` so compiled kernels are reused across processes (start-up
  of three kernels drops from ~13 s to ~1 s);
* ``error_model="numpy"`` so divisions do not raise and loops vectorise;
* ``fastmath`` without ``nnan``/``ninf``: reassociation and contraction are
  allowed, but infinities and NaN keep their IEEE meaning.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar, cast

import numba

__all__ = ["FASTMATH", "jit", "n_threads"]

F = TypeVar("F", bound=Callable[..., Any])

#: LLVM fast-math flags used by every kernel (no ``nnan``/``ninf``).
FASTMATH = frozenset({"nsz", "arcp", "contract", "afn", "reassoc"})


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
        ``cache=True``, so the function must live in a module file).

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
    """

    def wrap(fn: F) -> F:
        compile_: Any = numba.njit(
            cache=True,
            nogil=True,
            parallel=parallel,
            error_model="numpy",
            fastmath=set(FASTMATH),
            inline=inline,
        )
        return cast(F, compile_(fn))

    return wrap


def n_threads() -> int:
    """Return the number of threads Numba's parallel kernels run on (``NUMBA_NUM_THREADS``).

    Examples
    --------
    >>> n_threads() >= 1
    True
    """
    return int(numba.get_num_threads())
