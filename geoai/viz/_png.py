"""A plain PNG writer for rendered maps: 8-bit RGBA rows, no filter, zlib, text and pHYs chunks.

Pillow's PNG encoder tries five row filters on every row and keeps the
best; on a 300 dpi map (11 × 5.7 inches, 17 Mpx of mostly flat colour) that
search is most of the time of a save. The rows of a map compress as well
unfiltered (flat areas are long runs of one pixel), so here they are stored
with filter type 0 and deflated once by :mod:`zlib`: a valid PNG (ISO/IEC
15948) any reader decodes to the same pixels, written in about half the time.
"""

from __future__ import annotations

import struct
import zlib
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

from geoai.errors import GeoAIError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["PNG_SIGNATURE", "png_rows", "write_png", "write_rows"]

#: The eight bytes every PNG file starts with.
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Metres per inch, for the pHYs chunk (pixels per metre).
_INCH_M = 0.0254


def _chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data and the CRC-32 of type and data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _text(key: str, value: str) -> bytes:
    """Make a tEXt chunk (Latin-1), or an iTXt chunk (UTF-8) when the text is not Latin-1."""
    name = key.encode("latin-1")
    try:
        return _chunk(b"tEXt", name + b"\0" + value.encode("latin-1"))
    except UnicodeEncodeError:
        # keyword, no compression (flag 0, method 0), empty language and translated keyword
        return _chunk(b"iTXt", name + b"\0\0\0\0\0" + value.encode("utf-8"))


def write_png(
    out: BinaryIO,
    rgba: np.ndarray,
    *,
    dpi: float,
    text: Mapping[str, str | None] | None = None,
    level: int = 2,
) -> None:
    """Write an RGBA image as a PNG file.

    Parameters
    ----------
    out : binary file
        Where to write (opened for writing).
    rgba : numpy.ndarray (height, width, 4) of uint8
        The pixels, top row first.
    dpi : float
        Resolution recorded in the pHYs chunk (dots per inch).
    text : mapping of str to str or None, optional
        Text chunks (``Title``, ``Copyright``, ...), in order; None values are skipped.
    level : int, default 2
        zlib compression level, 0 (stored) to 9 (smallest, slowest).

    Raises
    ------
    GeoAIError
        ``rgba`` is not an image of 8-bit RGBA pixels.
    """
    write_rows(out, png_rows(rgba), dpi=dpi, text=text, level=level)


def png_rows(rgba: np.ndarray) -> np.ndarray:
    """Copy RGBA pixels into PNG scanlines: each row prefixed by its filter byte (0, none).

    Parameters
    ----------
    rgba : numpy.ndarray (height, width, 4) of uint8
        The pixels, top row first (read once: the result owns its bytes).

    Returns
    -------
    numpy.ndarray (height, 4 width + 1) of uint8
        The rows :func:`write_rows` deflates.

    Raises
    ------
    GeoAIError
        ``rgba`` is not an image of 8-bit RGBA pixels.
    """
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8 or 0 in rgba.shape:
        raise GeoAIError(
            f"a PNG needs (height, width, 4) uint8 pixels; got {rgba.shape} of {rgba.dtype}."
        )
    height, width = rgba.shape[:2]
    rows = np.zeros((height, width * 4 + 1), dtype=np.uint8)  # first byte: filter type 0
    rows[:, 1:] = rgba.reshape(height, width * 4)
    return rows


def write_rows(
    out: BinaryIO,
    rows: np.ndarray,
    *,
    dpi: float,
    text: Mapping[str, str | None] | None = None,
    level: int = 2,
) -> None:
    """Write the scanlines of :func:`png_rows` as a PNG file (zlib releases the GIL meanwhile).

    Parameters
    ----------
    out : binary file
        Where to write (opened for writing).
    rows : numpy.ndarray (height, 4 width + 1) of uint8
        From :func:`png_rows`.
    dpi, text, level
        As in :func:`write_png`.
    """
    height, width = rows.shape[0], (rows.shape[1] - 1) // 4
    per_metre = int(dpi / _INCH_M + 0.5)
    out.write(PNG_SIGNATURE)
    # 8 bits per sample, colour type 6 (RGBA), deflate, adaptive filtering method, no interlace
    out.write(_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)))
    for key, value in (text or {}).items():
        if value is not None:
            out.write(_text(key, value))
    out.write(_chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)))
    out.write(_chunk(b"IDAT", zlib.compress(rows.data, level)))
    out.write(_chunk(b"IEND", b""))
