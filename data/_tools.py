"""Helpers shared by the data build scripts: atomic writes and generated README blocks.

Each ``data/<source>/build.py`` puts this folder on ``sys.path`` and imports
from here, so the scripts stay runnable as ``python data/<source>/build.py``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from geoai.io._atomic import atomic_path

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a temporary sibling of ``path``, then move it onto ``path``."""
    with atomic_path(path, overwrite=True) as tmp:
        write(tmp)


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text with Unix line ends, atomically."""
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8", newline="\n"))


def replace_block(text: str, marker: str, body: str, *, where: str = "README") -> str:
    """Replace what stands between ``<!-- marker:start -->`` and ``<!-- marker:end -->``."""
    pattern = re.compile(rf"(<!-- {marker}:start -->\n).*?(<!-- {marker}:end -->)", re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"{where} lacks the {marker} markers")
    return pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)
