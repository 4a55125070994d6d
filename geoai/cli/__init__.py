"""The ``geoai`` command: thin wrappers over the public functions.

Every command that writes takes the same options: ``-o/--output`` (``--out``
too where it was spelled so before), ``--overwrite``, ``-v/--verbose`` (show
tracebacks), ``-q/--quiet`` (no progress, no tables: only errors) and
``--json`` (a machine-readable summary of what was written and the headline
figures on stdout, nothing else there). Errors from bad input print one line
with the fix on stderr and exit with code 2.

The module imports only typer and geoai's light modules; numpy, pandas and
everything else heavy load inside the command bodies, so ``geoai --help`` and
``geoai CMD --help`` start at once. rich loads on first use too.
"""

from __future__ import annotations

from geoai.cli import _data, _jobs, _warmup  # noqa: F401  (importing them registers the commands)
from geoai.cli._app import app, main

__all__ = ["app", "main"]
