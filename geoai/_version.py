"""geoai's version: the one source (hatch reads it for the wheel, ``geoai --version`` prints it)."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
