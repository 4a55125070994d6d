"""Potential surfaces: a raster in the map's projection, log colour scale, unit on the bar."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

from geoai.errors import InputError
from geoai.viz._basemap import country_layer
from geoai.viz._canvas import finish, label_places, lonlat, open_map
from geoai.viz._credits import credit_line
from geoai.viz._projection import MapFrame, project
from geoai.viz._raster import nearest_image

if TYPE_CHECKING:
    from collections.abc import Iterable

    import geopandas as gpd
    import xarray as xr
    from matplotlib.axes import Axes
    from matplotlib.image import AxesImage
    from matplotlib.transforms import Bbox, BboxBase, Transform
    from numpy.typing import ArrayLike

    from geoai._typing import FloatArray

__all__ = ["potential_map"]


def _outline(surface: xr.DataArray) -> tuple[FloatArray, FloatArray]:
    """Lon/lat of a 9 × 9 lattice over the raster's bounds (to choose the map's frame)."""
    x0, y0, x1, y1 = surface.rio.bounds()
    gx, gy = np.meshgrid(np.linspace(x0, x1, 9), np.linspace(y0, y1, 9))
    if surface.rio.crs.is_geographic:
        return gx.ravel(), gy.ravel()
    from pyproj import Transformer

    t = Transformer.from_crs(surface.rio.crs, "EPSG:4326", always_xy=True)
    lon, lat = t.transform(gx.ravel(), gy.ravel())
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


#: The last map grid's lookup (:func:`_lookup`): a run's presets share the raster's grid
#: and the map's frame, so the second and third potential maps skip the transforms.
_LAST: dict[tuple[object, ...], tuple[np.ndarray, np.ndarray, tuple[int, int]]] = {}


def _lookup(
    surface: xr.DataArray, frame: MapFrame, extent: tuple[float, float, float, float]
) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """Return which raster cell each map cell takes, for :func:`_resampled`.

    Returns the flat indices of the map cells that take one, the flat raster
    indices they take, and the map grid's shape ``(ny, nx)``. Each map cell's
    centre goes back to lon/lat and to the raster's CRS and takes the raster
    cell it falls in. Cells beyond the projection's globe
    (whose centre does not return to itself) and outside the raster take none.
    Depends only on the raster's grid, the frame and the extent: the last one
    is kept for the next map on the same grid.
    """
    from pyproj import Transformer

    src_crs = surface.rio.crs
    t = surface.rio.transform()
    shape = (surface.sizes["y"], surface.sizes["x"])
    key = (*frame.key, extent, src_crs.to_wkt(), tuple(t), shape)
    if key in _LAST:
        return _LAST[key]
    x0, x1, y0, y1 = extent
    nx = int(np.clip(1.5 * surface.sizes["x"], 300, 1600))
    ny = max(round(nx * (y1 - y0) / (x1 - x0)), 2)
    xs = x0 + (np.arange(nx) + 0.5) * (x1 - x0) / nx
    ys = y1 - (np.arange(ny) + 0.5) * (y1 - y0) / ny
    x, y = np.meshgrid(xs, ys)
    lon, lat = Transformer.from_crs(frame.crs, "EPSG:4326", always_xy=True).transform(x, y)
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    x2, y2 = project(frame, lon, lat)
    with np.errstate(invalid="ignore"):
        inside = np.hypot(x2 - x, y2 - y) < 1e-3 * (x1 - x0) / nx
    if src_crs.is_geographic:
        sx, sy = lon, lat
    else:
        sx, sy = Transformer.from_crs("EPSG:4326", src_crs, always_xy=True).transform(lon, lat)
        sx, sy = np.asarray(sx, dtype=float), np.asarray(sy, dtype=float)
    if src_crs.is_geographic:  # longitudes in the raster's 360° window
        sx = (sx - t.c) % 360.0 + t.c
    with np.errstate(invalid="ignore"):
        col = np.floor((sx - t.c) / t.a)
        row = np.floor((sy - t.f) / t.e)
    ok = inside & np.isfinite(col) & np.isfinite(row)
    ok &= (col >= 0) & (col < shape[1]) & (row >= 0) & (row < shape[0])
    cells = np.flatnonzero(ok)
    source = row.ravel()[cells].astype(np.int64) * shape[1] + col.ravel()[cells].astype(np.int64)
    _LAST.clear()
    _LAST[key] = (cells, source, (ny, nx))
    return _LAST[key]


def _resampled(
    surface: xr.DataArray, frame: MapFrame, extent: tuple[float, float, float, float]
) -> FloatArray:
    """Resample the raster to a grid of the map's CRS over ``extent`` (nearest cell).

    Map cells beyond the projection's globe and outside the raster are NaN
    (see :func:`_lookup`).

    Returns
    -------
    numpy.ndarray (ny, nx)
        Rows from the top (north) down.
    """
    cells, source, shape = _lookup(surface, frame, extent)
    values = np.asarray(surface.values, dtype=float)
    out = np.full(shape[0] * shape[1], np.nan)
    out[cells] = values.ravel()[source]
    return out.reshape(shape)


@functools.cache
def _image_class() -> type[AxesImage]:
    """Build the surface's image class (matplotlib is imported only when a map is drawn)."""
    from matplotlib.image import AxesImage

    class SurfaceImage(AxesImage):
        """An image of the surface whose colours are 8-bit when drawn, as the file keeps them.

        Drawn on a raster canvas, matplotlib colours the data at its own
        resolution (the map grid) and resamples the colours to the screen's
        pixels; its colours are 64-bit floats there. Here they are the
        colour map's 8-bit colours (``to_rgba(bytes=True)``), and with the
        nearest filter one plane of cell numbers is resampled in place of
        their four float planes (:func:`geoai.viz._raster.nearest_image`):
        the same pixels in the file, in a fifth of the time. The image keeps
        its data, norm and colour map (``get_array``, the colour bar); other
        calls of ``to_rgba`` are matplotlib's own.
        """

        def to_rgba(  # matplotlib's signature, positional flags and all
            self,
            x: ArrayLike,
            alpha: ArrayLike | None = None,
            bytes: bool = False,  # noqa: A002, FBT001, FBT002
            norm: bool = True,  # noqa: FBT001, FBT002
        ) -> np.ndarray:
            if x is self.get_array() and alpha is None and not bytes and norm:
                return np.asarray(super().to_rgba(x, bytes=True))
            return np.asarray(super().to_rgba(x, alpha, bytes, norm))  # type: ignore[arg-type]

        def _make_image(  # noqa: PLR0917 - matplotlib's (private) signature
            self,
            A: np.ndarray,  # noqa: N803
            in_bbox: Bbox,
            out_bbox: BboxBase,
            clip_bbox: BboxBase,
            magnification: float = 1.0,
            unsampled: bool = False,  # noqa: FBT001, FBT002
            round_to_pixel_border: bool = True,  # noqa: FBT001, FBT002
        ) -> tuple[np.ndarray | None, float, float, Transform | None]:
            """Resample one plane of cell numbers, not four of colours (:mod:`._raster`)."""
            fast = None
            if (
                A is self.get_array()
                and A.ndim == 2
                and not unsampled
                and round_to_pixel_border
                and self.get_interpolation() == "nearest"
                and self.get_alpha() is None
                and self.get_transform().is_affine
            ):
                self.norm.autoscale_None(A)
                colours = np.asarray(super().to_rgba(A, bytes=True))
                fast = nearest_image(
                    self,
                    colours,
                    in_bbox=in_bbox,
                    out_bbox=out_bbox,
                    clip_bbox=clip_bbox,
                    magnification=magnification,
                )
            if fast is not None:
                return fast
            return super()._make_image(  # type: ignore[misc, no-any-return]
                A, in_bbox, out_bbox, clip_bbox, magnification, unsampled, round_to_pixel_border
            )

    SurfaceImage.__qualname__ = SurfaceImage.__name__ = "_SurfaceImage"  # pickle finds it here
    return SurfaceImage


def __getattr__(name: str) -> object:
    """Serve ``_SurfaceImage`` (a pickled potential map names it) without importing matplotlib."""
    if name == "_SurfaceImage":
        return _image_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def potential_map(
    surface: xr.DataArray,
    *,
    unit: str | None = None,
    points: gpd.GeoDataFrame | None = None,
    ax: Axes | None = None,
    title: str = "Agglomeration potential",
    label: str = "potential",
    labels: int = 8,
    sources: str | Iterable[str] | None = None,
) -> Axes:
    """Map a potential raster (log colour scale) in the map's projection, optionally with places.

    Parameters
    ----------
    surface : xarray.DataArray
        A raster with a CRS (any; it is reprojected), e.g. from
        :func:`geoai.potential.surface`.
    unit : str, optional
        The potential's unit, written on the colour bar (e.g. "people" when the
        masses are people: Σ M f(d) with a unitless decay f); default
        ``surface.attrs["units"]``.
    points : geopandas.GeoDataFrame, optional
        Places drawn on top (small cyan dots); the most populous are labelled.
    ax : matplotlib.axes.Axes, optional
        Draw here (default: a new figure in the projection chosen from the raster).
    title : str, default "Agglomeration potential"
        Map title.
    label : str, default "potential"
        Colour-bar label (the unit follows in parentheses).
    labels : int, default 8
        Label this many of the most populous ``points``.
    sources : str or iterable of str, optional
        The data's sources for the credit line (see :func:`credit_line`);
        default ``points.attrs["source"]``, else the embedded data's.

    Returns
    -------
    matplotlib.axes.Axes
        The map.

    Raises
    ------
    InputError
        No CRS, no unit, or no positive value to draw.

    Examples
    --------
    >>> import geoai, matplotlib.pyplot as plt
    >>> metros = geoai.load_metros(min_population=5_000_000)
    >>> grid = geoai.Grid.from_bounds((-180, -60, 180, 78), 5.0, crs="EPSG:4326")
    >>> surf = geoai.potential.surface(metros, "population", grid, decay="exponential",
    ...                                scale_km=300)
    >>> ax = geoai.viz.potential_map(surf, points=metros, unit="people")
    >>> ax.get_title(), ax.figure.axes[-1].get_ylabel()
    ('Agglomeration potential', 'potential (people), log scale')
    >>> plt.close(ax.figure)
    """
    from matplotlib.colors import LogNorm

    if surface.rio.crs is None:
        raise InputError("the surface has no CRS; set one with surface.rio.write_crs(...).")
    unit = unit if unit is not None else surface.attrs.get("units")
    if not unit:
        raise InputError("give the potential's unit, e.g. unit='people' when masses are people.")
    if surface.ndim == 3 and surface.shape[0] == 1:
        surface = surface.squeeze(surface.dims[0], drop=True)
    values = np.asarray(surface.values, dtype=float)
    positive = values[np.isfinite(values) & (values > 0)]
    if positive.size == 0:
        raise InputError("the surface has no positive values to draw.")
    lon, lat = _outline(surface)
    crs = surface.rio.crs if surface.rio.crs.is_projected else None
    ax, frame = open_map(ax, lon, lat, crs=crs)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    data = _resampled(surface, frame, (x0, x1, y0, y1))
    top = float(positive.max())
    floor = max(float(np.quantile(positive, 0.02)), top * 1e-6)
    floor = floor if floor < top else top / 10.0  # a flat surface still gets a colour
    image = _image_class()(
        ax,
        cmap="magma",
        norm=LogNorm(vmin=floor, vmax=top),
        interpolation="nearest",
        origin="upper",
        zorder=1,
    )
    image.set_data(np.where(data >= floor, data, np.nan))
    image.set_clip_path(ax.patch)
    ax.add_image(image)
    image.set_extent((x0, x1, y0, y1))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    # the raster hides the land layer where it has values: repeat the borders over it
    ax.add_collection(country_layer(frame, fill=False, zorder=2, alpha=0.5), autolim=False)
    ax.figure.colorbar(image, ax=ax, shrink=0.7, label=f"{label} ({unit}), log scale")
    if points is not None:
        px, py = project(frame, *lonlat(points))
        ax.scatter(px, py, s=2, c="#00e5ff", linewidths=0, zorder=3, label="metros")
        label_places(ax, frame, points, "population", labels)
    source = sources
    if source is None and points is not None:
        source = points.attrs.get("source")
    finish(ax, frame, title, credit_line(source))
    return ax
