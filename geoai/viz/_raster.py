"""Nearest-cell resampling of a surface image to the canvas: one index plane, not RGBA floats.

matplotlib draws an image with ``interpolation="nearest"`` by colouring its
cells, turning the 8-bit colours into 32-bit floats, resampling those four
planes to the canvas's pixels and back to bytes. With the nearest filter each
pixel is a copy of one cell, so the same pixels come from resampling a single
plane that holds every cell's number (a float32 whose bits are the number) and
looking each pixel's cell up in a table of the cells' final colours (the
colours after matplotlib's float round trip, worked out on the cells, not on
the pixels). The resampling is matplotlib's own (``_resample``: the same
transform, edge rule and filter), so the pixels are those matplotlib draws.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.image import AxesImage
    from matplotlib.transforms import Bbox, BboxBase, Transform

__all__ = ["nearest_image"]

#: Bits of float32 1.0: cell ``i`` is numbered by the float whose bits are ``_ONE + i + 1``
#: (a float in [1, 2), copied bit for bit by the nearest filter), 0.0 is no cell.
_ONE = 0x3F800000
#: Cells numbered so (the 23 bits of the significand).
_MAX_CELLS = 2**23 - 1
#: Below this many canvas pixels per cell matplotlib colours before resampling (its rule).
_RGBA_STAGE_BELOW = 3.0


def _pixel_box(clipped: BboxBase, magnification: float) -> tuple[float, float, float, float]:
    """Round the clipped image box out to whole canvas pixels, as matplotlib's images align."""
    left, bottom, right, top = (float(v) * magnification for v in clipped.extents)
    return (
        float(np.floor(left + 0.5)),
        float(np.ceil(bottom - 0.5 - 1e-8)),
        float(np.floor(right + 0.5 + 1e-8)),
        float(np.ceil(top - 0.5)),
    )


def _cell_to_pixel(
    image: AxesImage, shape: tuple[int, int], in_bbox: Bbox, box: tuple[float, ...], mag: float
) -> Transform:
    """Affine map from cell (column, row) space, rows from the top, to the output pixels."""
    from matplotlib.transforms import Affine2D

    rows, cols = shape
    to_data: Transform = (
        Affine2D()
        .scale(in_bbox.width / cols, in_bbox.height / rows)
        .translate(in_bbox.x0, in_bbox.y0)
    )
    if image.origin == "upper":  # row 0 at the top
        to_data = Affine2D().translate(0, -rows).scale(1, -1) + to_data
    to_pixels = Affine2D().scale(mag).translate(-box[0], -box[1])
    return to_data + image.get_transform() + to_pixels


def _round_trip(rgba: np.ndarray) -> np.ndarray:
    """Make the bytes matplotlib's RGBA stage makes of 8-bit colours (floats, premultiplied)."""
    f = np.divide(rgba, 0xFF, dtype=np.float32)
    alpha = f[..., 3].copy()
    if (alpha != 1).any():
        f *= alpha[..., None]
        f[..., 3] = alpha
    f /= np.where(alpha != 0, alpha, np.float32(1))[..., None]
    f[..., 3] = alpha
    return np.asarray(f * 255, dtype=np.float32).astype(np.uint8)


#: :func:`_round_trip` of an opaque colour, by channel value (0-255).
_OPAQUE = _round_trip(np.repeat(np.arange(256, dtype=np.uint8), 4).reshape(256, 1, 4))[:, 0, 0]
#: Whether that round trip keeps every value (float32 does, on the machines tried).
_IDENTITY = bool((np.arange(256) == _OPAQUE).all())


def _colour_table(rgba: np.ndarray) -> np.ndarray:
    """Make the cells' final colours as RGBA words, after a slot 0 for "no cell" (transparent).

    Each is :func:`_round_trip` of the cell's colour: by a 256-entry table of
    channel values where every colour is opaque or clear (a colour map's; a
    clear one becomes ``(0, 0, 0, 0)``), else by the round trip itself.
    """
    rgba = np.ascontiguousarray(rgba)
    alpha = rgba[..., 3].ravel()
    clear = alpha == 0
    table = np.zeros(alpha.size + 1, dtype=np.uint32)
    if not (clear | (alpha == 0xFF)).all():
        table[1:] = _round_trip(rgba).view(np.uint32).ravel()
        return table
    final = rgba if _IDENTITY else np.ascontiguousarray(_OPAQUE[rgba])
    table[1:] = final.view(np.uint32).ravel()
    np.putmask(table[1:], clear, 0)
    return table


def nearest_image(
    image: AxesImage,
    colours: np.ndarray,
    *,
    in_bbox: Bbox,
    out_bbox: BboxBase,
    clip_bbox: BboxBase,
    magnification: float,
) -> tuple[np.ndarray | None, float, float, Transform | None] | None:
    """Resample an image's cell colours to the canvas with the nearest filter.

    Parameters
    ----------
    image : matplotlib.image.AxesImage
        The image (``interpolation="nearest"``, an affine transform, no alpha
        of its own).
    colours : numpy.ndarray (rows, cols, 4) of uint8
        Its cells' colours (``to_rgba(data, bytes=True)``).
    in_bbox, out_bbox, clip_bbox : matplotlib.transforms.Bbox
        The image's extent in data space, in pixels, and the clip box in pixels
        (as ``AxesImage.make_image`` passes them).
    magnification : float
        The renderer's image magnification.

    Returns
    -------
    tuple or None
        ``(pixels (h, w, 4) uint8, x, y, transform)`` as matplotlib's
        ``_make_image`` returns them; None where this path does not apply (a
        cell count or a resolution at which matplotlib colours the resampled
        data instead): draw the image matplotlib's way then.
    """
    from matplotlib.image import _resample  # type: ignore[attr-defined]
    from matplotlib.transforms import Bbox

    rows, cols = colours.shape[:2]
    if rows * cols > _MAX_CELLS or colours.dtype != np.uint8:
        return None
    clipped = Bbox.intersection(out_bbox, clip_bbox)
    if clipped is None:
        return None, 0.0, 0.0, None
    box = _pixel_box(clipped, magnification)
    width, height = int(box[2] - box[0]), int(box[3] - box[1])
    if width <= 0 or height <= 0:
        return None, 0.0, 0.0, None
    t = _cell_to_pixel(image, (rows, cols), in_bbox, box, magnification)
    corners = t.transform(np.array([[0.0, 0.0], [cols, rows]]))
    per_cell = np.abs(np.diff(corners, axis=0))[0] / (cols, rows)
    stage = image.get_interpolation_stage()
    if stage == "data" or (stage != "rgba" and min(per_cell) >= _RGBA_STAGE_BELOW):
        return None  # matplotlib resamples the data, then colours it: its own path
    numbers = np.arange(_ONE + 1, _ONE + 1 + rows * cols, dtype=np.int32).view(np.float32)
    plane = _resample(image, numbers.reshape(rows, cols), (height, width), t)
    picked = plane.view(np.int32) - np.int32(_ONE)
    np.maximum(picked, 0, out=picked)  # 0.0 (no cell) has the bits 0
    table = _colour_table(colours)
    pixels = table[picked].view(np.uint8).reshape(height, width, 4)
    return pixels, box[0] / magnification, box[1] / magnification, t
