"""Numba's on-disk cache, keyed on every kernel module, not on the kernel's own file only.

Numba keeps a compiled function beside a stamp of the source file it is
defined in, and reuses it while that file is unchanged. A kernel's machine
code also holds every kernel it calls from *other* modules (compiled into it,
inlined or not), so after an edit or a ``git pull`` that changes only
``tree_bounds.py``, the cached ``tree_dual`` kernels would keep running the
old bounds: a silently wrong answer. Here the stamp of every kernel is that
of its whole folder, the content hash of each of its modules (kernels import
nothing but each other, see :mod:`geoai.kernels`): a change to any kernel
module recompiles all of them, once (``geoai warmup`` does it in parallel).

The mechanism is Numba's own extension point, the cache *locator* (the class
``NUMBA_CACHE_LOCATOR_CLASSES`` names), set on geoai's dispatchers only: the
cache folders stay Numba's (``NUMBA_CACHE_DIR`` when set, else ``__pycache__``
beside the source, else the user-wide folder), and a user's own Numba
functions are untouched.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

from numba.core import caching

__all__ = ["folder_stamp", "package_cache"]


@functools.cache
def folder_stamp(folder: str) -> str:
    """Return the SHA-256 of the names and contents of the ``.py`` modules in ``folder``.

    Computed once per process (the modules a process runs are those it imported).

    Parameters
    ----------
    folder : str
        A package folder.

    Returns
    -------
    str
        A hex digest; it changes when any module is added, removed, renamed or edited.
    """
    digest = hashlib.sha256()
    for path in sorted(Path(folder).glob("*.py")):
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


class _FolderStamped:
    """Locator mixin: the source stamp of the function's whole folder (see the module notes)."""

    _py_file: str

    def get_source_stamp(self) -> str:
        return folder_stamp(str(Path(self._py_file).resolve().parent))


class _UserProvided(_FolderStamped, caching.UserProvidedCacheLocator):
    """``NUMBA_CACHE_DIR``, folder-stamped."""


class _InTree(_FolderStamped, caching.InTreeCacheLocator):
    """``__pycache__`` beside the source, folder-stamped."""


class _UserWide(_FolderStamped, caching.UserWideCacheLocator):
    """The user-wide cache folder (a read-only install), folder-stamped."""


class _Impl(caching.CompileResultCacheImpl):
    _locator_classes = [_UserProvided, _InTree, _UserWide]  # noqa: RUF012 - Numba's own name


class _Cache(caching.FunctionCache):
    _impl_class = _Impl


def package_cache(dispatcher: Any) -> Any:  # noqa: ANN401 - a Numba dispatcher
    """Give a ``cache=True`` dispatcher the folder-stamped cache; return it.

    Parameters
    ----------
    dispatcher : numba.core.registry.CPUDispatcher
        Just made by ``numba.jit(cache=True)``, not yet compiled.

    Returns
    -------
    numba.core.registry.CPUDispatcher
        The same dispatcher.
    """
    dispatcher._cache = _Cache(dispatcher.py_func)  # type: ignore[no-untyped-call]  # noqa: SLF001 - as enable_caching sets it
    return dispatcher
