"""Optional dependencies, imported one way: on first use, with the extra that installs them.

Every subject that needs a package of an extra (``dask``, ``osm``, ``viz``)
calls :func:`optional`, which returns the module or raises
:class:`~geoai.errors.BackendUnavailableError` naming the package, what
needed it and the ``pip install`` that fixes it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from geoai.errors import BackendUnavailableError

if TYPE_CHECKING:
    from types import ModuleType

__all__ = ["EXTRAS", "optional"]

#: The extra of ``pyproject.toml`` that installs each optional top-level package.
EXTRAS = {
    "dask": "dask",
    "distributed": "dask",
    "osmnx": "osm",
    "osmium": "osm",
    "matplotlib": "viz",
}


def optional(module: str, purpose: str) -> ModuleType:
    """Import ``module`` (e.g. ``"dask.array"``) for ``purpose``, or say how to install it.

    Parameters
    ----------
    module : str
        Dotted module name; its top-level package must be in :data:`EXTRAS`.
    purpose : str
        What needs it, for the message (e.g. ``"method='dask'"``).

    Returns
    -------
    types.ModuleType

    Raises
    ------
    BackendUnavailableError
        When the package is not installed.

    Examples
    --------
    >>> optional("matplotlib.pyplot", "maps").__name__
    'matplotlib.pyplot'
    """
    top = module.split(".", maxsplit=1)[0]
    extra = EXTRAS[top]
    try:
        return importlib.import_module(module)
    except ImportError:
        raise BackendUnavailableError(
            f"{purpose} needs {top}, which is not installed; install it with "
            f"pip install 'geoai[{extra}]'."
        ) from None
