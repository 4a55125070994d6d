"""The maps' backdrop (graticule and land), drawn once per canvas layout and then copied.

A run draws a dozen maps of one frame: the same meridians, parallels and
countries, on a canvas of the same size with the axes in the same place. On
an Agg canvas the first map's pixels under the axes, once its graticule and
land are drawn, are kept; a later map whose backdrop would draw the very same
pixels copies them back instead of drawing them again.

"The very same" is checked, not assumed: the key holds the canvas (size,
dpi), the axes' pixel box and data limits, the face colours of the figure and
the axes, the layers' styles and a checksum of every vertex they draw, and a
backdrop is only copied where nothing else is drawn before it (its axes is
the figure's first, no other artist of the axes lies beneath the land).
Other renderers (SVG, PDF) draw the layers as usual.
"""

from __future__ import annotations

import functools
import zlib
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.collections import Collection, LineCollection, PatchCollection

__all__ = ["backdrop_layers", "forget"]

#: Kept backdrops (key: the pixels' region), the last two (a run's maps and potential maps).
_KEPT: dict[tuple[Any, ...], Any] = {}
_KEEP = 2
#: Extra pixels kept around the axes box (Agg's rounding of the box to whole pixels).
_PAD = 2
#: The renderer and key of the backdrop just copied (the land layer then draws nothing).
_COPIED: list[Any] = [None, None]
#: Settings that change how Agg draws paths.
_RC: tuple[Any, ...] = (
    "path.simplify",
    "path.simplify_threshold",
    "path.snap",
    "agg.path.chunksize",
)


def _style(layer: Any) -> tuple[Any, ...]:  # noqa: ANN401 - a LineCollection or PatchCollection
    """How a layer draws: colours, widths, alpha, order, clipping, and a checksum of its paths."""
    paths = layer.get_paths()
    vertices = [np.ascontiguousarray(p.vertices, dtype=float) for p in paths]
    codes = [p.codes for p in paths if p.codes is not None]
    crc = zlib.crc32(np.concatenate(vertices).tobytes()) if vertices else 0
    crc = zlib.crc32(np.concatenate(codes).tobytes(), crc) if codes else crc
    return (
        type(layer).__name__,
        layer.get_facecolor().tobytes(),
        layer.get_edgecolor().tobytes(),
        np.asarray(layer.get_linewidths(), dtype=float).tobytes(),
        str(layer.get_linestyles()),
        layer.get_alpha(),
        layer.get_zorder(),
        layer.get_visible(),
        layer.get_clip_on(),
        layer.get_hatch(),
        layer._joinstyle,  # noqa: SLF001 - no getter for collections
        layer._capstyle,  # noqa: SLF001
        tuple(layer.get_antialiased()),
        np.asarray(layer.get_offsets(), dtype=float).tobytes(),
        len(layer.get_transforms()),
        len(paths),
        tuple(len(v) for v in vertices[:3]),
        crc,
    )


def _patch_style(patch: Artist) -> tuple[Any, ...]:
    return (
        patch.get_visible(),
        tuple(patch.get_facecolor()),  # type: ignore[attr-defined]
        tuple(patch.get_edgecolor()),  # type: ignore[attr-defined]
        patch.get_linewidth(),  # type: ignore[attr-defined]
        patch.get_alpha(),
    )


def _key(layer: Collection, renderer: Any) -> tuple[Any, ...] | None:  # noqa: ANN401 - a renderer
    """Return the backdrop's key on this canvas, or None where it may not be copied."""
    import matplotlib as mpl
    from matplotlib.axes import Axes
    from matplotlib.backends.backend_agg import RendererAgg

    ax = layer.axes
    if type(renderer) is not RendererAgg or ax is None:
        return None
    fig = ax.get_figure(root=True)
    grid = [c for c in ax.collections if isinstance(c, _classes()[0])]
    land = [c for c in ax.collections if isinstance(c, _classes()[1])]
    if fig is None or len(grid) != 1 or len(land) != 1 or fig.axes[0] is not ax:
        return None
    grid_layer, land_layer = grid[0], land[0]
    if not grid_layer.get_zorder() < land_layer.get_zorder():
        return None
    beneath = [
        a
        for a in ax.get_children()
        if a not in (ax.patch, grid_layer, land_layer) and a.get_zorder() <= land_layer.get_zorder()
    ]
    first = all(  # nothing of the figure is drawn before the axes (later axes come after it)
        a.get_zorder() >= ax.get_zorder() if isinstance(a, Axes) else
        a.get_zorder() > ax.get_zorder()
        for a in fig.get_children() if a is not fig.patch and a is not ax
    )  # fmt: skip
    plain = ax.get_xscale() == "linear" and ax.get_yscale() == "linear"
    for layer_ in (grid_layer, land_layer):  # drawn in data units, clipped to the axes
        clip = layer_.get_clip_path()
        if layer_.get_transform() is not ax.transData or (
            clip is not None and getattr(clip, "_patch", None) is not ax.patch
        ):
            return None
    effects = grid_layer.get_path_effects() or land_layer.get_path_effects()
    if beneath or not first or not plain or effects or ax.get_rasterization_zorder() is not None:
        return None
    return (
        renderer.width,
        renderer.height,
        renderer.dpi,
        tuple(ax.bbox.bounds),
        tuple(ax.viewLim.bounds),
        ax.axison and ax.get_frame_on(),
        _patch_style(fig.patch),
        _patch_style(ax.patch),
        _style(grid_layer),
        _style(land_layer),
        tuple(mpl.rcParams[k] for k in _RC),
    )


def _region_box(layer: Collection, renderer: Any) -> Any:  # noqa: ANN401 - matplotlib's Bbox
    from matplotlib.transforms import Bbox

    x0, y0, x1, y1 = layer.axes.bbox.extents  # type: ignore[union-attr]
    return Bbox.from_extents(
        max(x0 - _PAD, 0.0),
        max(y0 - _PAD, 0.0),
        min(x1 + _PAD, float(renderer.width)),
        min(y1 + _PAD, float(renderer.height)),
    )


@functools.cache
def _classes() -> tuple[type[LineCollection], type[PatchCollection]]:
    """Build the graticule's and the land's collection classes (matplotlib imported on use)."""
    from matplotlib.collections import LineCollection, PatchCollection

    class Graticule(LineCollection):
        """Meridians and parallels: on a known canvas, the kept backdrop is copied instead."""

        def draw(self, renderer: Any) -> None:  # noqa: ANN401 - any renderer
            _COPIED[:] = [None, None]
            key = _key(self, renderer) if self.get_visible() else None
            if key is not None and key in _KEPT:
                renderer.restore_region(_KEPT[key])
                _COPIED[:] = [renderer, key]
                self.stale = False
                return
            super().draw(renderer)

    class Land(PatchCollection):
        """The countries' fill: drawn (and its backdrop kept) unless the graticule copied it."""

        def draw(self, renderer: Any) -> None:  # noqa: ANN401 - any renderer
            copied, _COPIED[:] = list(_COPIED), [None, None]
            key = _key(self, renderer) if self.get_visible() else None
            if key is not None and copied[0] is renderer and copied[1] == key:
                self.stale = False
                return
            super().draw(renderer)
            if key is not None:
                _KEPT[key] = renderer.copy_from_bbox(_region_box(self, renderer))
                while len(_KEPT) > _KEEP:
                    del _KEPT[next(iter(_KEPT))]

    for cls, name in ((Graticule, "_Graticule"), (Land, "_Land")):
        cls.__qualname__ = cls.__name__ = name  # pickle finds them here
        cls.__module__ = __name__
    return Graticule, Land


def backdrop_layers() -> tuple[type[LineCollection], type[PatchCollection]]:
    """Return the collection classes of the graticule and of the land fill (see the notes)."""
    return _classes()


def __getattr__(name: str) -> object:
    """Serve the layers' classes to pickle without importing matplotlib first."""
    if name == "_Graticule":
        return _classes()[0]
    if name == "_Land":
        return _classes()[1]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def forget() -> None:
    """Drop the kept backdrops (memory: one RGBA copy of each axes box)."""
    _KEPT.clear()
    _COPIED[:] = [None, None]
