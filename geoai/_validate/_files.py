"""File checks of the public boundary: an input path must name an existing file.

Part of :mod:`geoai._validate` (importable from there). Messages name the
path and the fix; they never quote what is inside a file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geoai.errors import InputError

if TYPE_CHECKING:
    from geoai._typing import PathLike

__all__ = ["check_input_file", "read_toml", "short"]


def short(value: object) -> str:
    """``repr(value)``, cut to 60 characters (a 5,000-digit int is not echoed whole)."""
    try:
        text = repr(value)
    except ValueError:  # an int past sys.get_int_max_str_digits()
        return f"an int of {getattr(value, 'bit_length', int)()} bits"
    return text if len(text) <= 60 else f"{text[:40]}... ({len(text)} characters)"


def check_input_file(path: object, name: str, *, hint: str = "") -> Path:
    """Return ``path`` as a :class:`~pathlib.Path` to an existing file, else raise InputError.

    Refused, with a message naming ``name``, the path and the fix: anything
    that is not a ``str`` or ``os.PathLike``, a missing path and a folder.
    The file itself is not opened (its contents never reach a message).

    Examples
    --------
    >>> try:
    ...     check_input_file("/no/such/file.tif", "raster")
    ... except InputError as exc:
    ...     print(exc)
    raster '/no/such/file.tif' does not exist; check the path.
    """
    if not isinstance(path, str | os.PathLike) or not str(path).strip():
        raise InputError(
            f"{name} must be a file path (str or pathlib.Path); got "
            f"{type(path).__name__} {short(path)}."
        )
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{name} {str(p)!r} is a folder; pass the path of a file in it.")
    if not p.is_file():
        raise InputError(f"{name} {str(p)!r} does not exist; check the path{hint}.")
    return p


def read_toml(path: PathLike, *, missing_hint: str = "") -> dict[str, Any]:
    """Parse a TOML file, or raise an ``InputError`` naming the file and the problem."""
    import tomllib

    p = Path(path)
    if not p.is_file():
        raise InputError(
            f"no TOML file at {str(p)!r}{'; ' + missing_hint if missing_hint else ''}."
        )
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{p.name} is not valid TOML: {exc}.") from None
