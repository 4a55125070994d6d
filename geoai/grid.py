"""Raster grids: shape, affine transform and CRS, with cell centres and areas.

A :class:`Grid` describes a north-up raster without holding any data, so a
30-arc-second world grid (21,600 × 43,200 cells) costs nothing until a
surface is computed on it. Geographic grids (degrees) and projected grids
(metres, feet, ...) are both supported; :attr:`Grid.km_per_unit` converts
projected units to km.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from os import PathLike
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
from affine import Affine
from pyproj import CRS

from geoai import _validate as v
from geoai._budget import check_memory
from geoai._geodesy import EARTH_RADIUS_KM
from geoai.errors import CRSError, InputError

if TYPE_CHECKING:
    import dask.array
    import xarray as xr
    from numpy.typing import DTypeLike, NDArray

    from geoai._typing import CRSLike, FloatArray

__all__ = ["MAX_SIDE", "Grid", "as_grid"]

# A cell count that is a whole number up to this slack is not rounded up.
_SNAP = 1e-9
#: Most cells along one side of a grid: GeoTIFF (and GDAL) dimensions are 32-bit integers.
MAX_SIDE = 2**31 - 1


@dataclass(frozen=True)
class Grid:
    """A north-up raster grid.

    Parameters
    ----------
    width : int
        Number of columns (>= 1).
    height : int
        Number of rows (>= 1).
    transform : affine.Affine
        Maps (col, row) of cell corners to (x, y); ``transform.e < 0`` (north up).
    crs : pyproj.CRS
        Coordinate reference system; required.

    Examples
    --------
    >>> g = Grid.from_bounds((-180, -90, 180, 90), 0.5, crs="EPSG:4326")
    >>> g.shape
    (360, 720)
    """

    width: int
    height: int
    transform: Affine
    crs: CRS

    def __post_init__(self) -> None:
        width = v.check_integer(self.width, "width")
        height = v.check_integer(self.height, "height")
        if width < 1 or height < 1:
            raise InputError(
                f"a grid needs at least one cell; got {height} × {width}. Pass width >= 1 and "
                "height >= 1, or bounds wider than zero."
            )
        if max(width, height) > MAX_SIDE:
            raise InputError(
                f"a grid side may hold at most {MAX_SIDE:,} cells (the GeoTIFF limit); got "
                f"{height:,} × {width:,}. Use a coarser resolution."
            )
        t = self.transform
        if not isinstance(t, Affine):
            raise InputError(
                f"transform must be an affine.Affine; got {type(t).__name__}. Build one with "
                "Affine(xres, 0, xmin, 0, -yres, ymax) or use Grid.from_bounds(...)."
            )
        if not all(map(math.isfinite, tuple(t)[:6])):
            raise InputError(
                f"transform has NaN or infinite terms {tuple(t)[:6]}; pass finite ones."
            )
        if t.b != 0 or t.d != 0 or t.a <= 0 or t.e >= 0:
            raise InputError(
                f"only north-up grids without rotation are supported; got transform {tuple(t)[:6]}."
                " Warp the raster north-up first (gdalwarp)."
            )
        object.__setattr__(self, "width", width)
        object.__setattr__(self, "height", height)
        object.__setattr__(self, "crs", v.as_crs(self.crs, "grid crs"))

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_bounds(
        cls,
        bounds: tuple[float, float, float, float],
        resolution: float | tuple[float, float],
        crs: CRSLike,
    ) -> Grid:
        """Grid covering ``bounds`` with square (or ``(xres, yres)``) cells.

        The grid is anchored at the top-left corner ``(xmin, ymax)``; when the
        extent is not a whole number of cells, it is extended right and down
        by less than one cell.

        Parameters
        ----------
        bounds : (xmin, ymin, xmax, ymax)
            Extent in CRS units (degrees for geographic CRS).
        resolution : float or (float, float)
            Cell size in CRS units.
        crs : str, int or pyproj.CRS
            The grid's CRS, e.g. ``"EPSG:4326"`` or ``"ESRI:54009"``.

        Returns
        -------
        Grid
            The grid, anchored at ``(xmin, ymax)``.

        Examples
        --------
        A 10 km grid over a 95 km × 40 km box: the width is rounded up to whole cells.

        >>> g = Grid.from_bounds((0, 0, 95_000, 40_000), 10_000, crs="EPSG:3035")
        >>> g.shape, g.bounds
        ((4, 10), (0.0, 0.0, 100000.0, 40000.0))
        """
        c = v.as_crs(crs, "crs")
        xmin, ymin, xmax, ymax = _as_bounds(bounds, c)
        xres, yres = _as_resolution(resolution)
        width, height = _cells(xmax - xmin, xres), _cells(ymax - ymin, yres)
        if width is None or height is None:
            raise InputError(
                f"resolution={v.short(resolution)} is too fine for bounds {v.short(bounds)}: a "
                f"side would exceed {MAX_SIDE:,} cells (the GeoTIFF limit). Use a coarser "
                "resolution."
            )
        return cls(width, height, Affine(xres, 0.0, xmin, 0.0, -yres, ymax), c)

    @classmethod
    def from_raster(cls, path: str | PathLike[str]) -> Grid:
        """Build the grid of an existing raster file (GeoTIFF or anything GDAL reads).

        Parameters
        ----------
        path : str or os.PathLike
            The raster file; it must carry a CRS.

        Returns
        -------
        Grid
            The file's width, height, transform and CRS (only the last block
            of pixels is read, to find a truncated file).

        Raises
        ------
        InputError
            The path is missing, a folder, not a raster GDAL reads, or a
            truncated file; the message names the path, never the contents.
        CRSError
            When the file has no CRS.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> from geoai.io import write_raster
        >>> g = Grid.from_bounds((0, 40, 10, 50), 0.5, crs="EPSG:4326")
        >>> path = write_raster(g.to_xarray(fill=1.0), pathlib.Path(tempfile.mkdtemp()) / "g.tif")
        >>> Grid.from_raster(path) == g
        True
        """
        p = v.check_input_file(path, "raster", hint=" (a GeoTIFF or another raster GDAL reads)")
        import rasterio
        from rasterio.errors import NotGeoreferencedWarning, RasterioError
        from rasterio.windows import Window

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NotGeoreferencedWarning)  # CRSError below
                with rasterio.open(p) as src:
                    if src.count < 1:
                        raise InputError(
                            f"raster {str(p)!r} has no bands (a container of subdatasets?); "
                            "pass the path of one subdataset."
                        )
                    # the last block lies at the end of a GeoTIFF: reading it finds truncation
                    src.read(src.count, window=Window(src.width - 1, src.height - 1, 1, 1))
                    width, height, transform, crs = src.width, src.height, src.transform, src.crs
        except (RasterioError, OSError) as exc:  # the library's message may quote the file
            raise InputError(
                f"raster {str(p)!r} cannot be read ({type(exc).__name__}): it is not a raster "
                "GDAL reads, or it is truncated. Pass a GeoTIFF (or another GDAL raster), or "
                "write it again."
            ) from None
        if crs is None:
            raise CRSError(
                f"raster {str(p)!r} has no CRS; assign one with `rio edit-info --crs EPSG:XXXX` "
                "or rasterio before using it as a grid."
            )
        return cls(width, height, transform, CRS.from_user_input(crs))

    @classmethod
    def like(cls, other: GridLike) -> Grid:
        """Build the grid of another Grid, a rioxarray DataArray/Dataset, or a raster path.

        Parameters
        ----------
        other : Grid, xarray.DataArray, xarray.Dataset, str or os.PathLike
            Where to take the grid from; an xarray object needs a rioxarray CRS and transform.

        Returns
        -------
        Grid
            A grid with ``other``'s shape, transform and CRS.

        Examples
        --------
        >>> g = Grid.from_bounds((0, 40, 10, 50), 0.5, crs="EPSG:4326")
        >>> Grid.like(g.to_xarray()) == g
        True
        """
        return cls._like(other)

    @classmethod
    def _like(cls, other: object) -> Grid:
        """Do :meth:`like` for any object (InputError or CRSError for what is not a grid)."""
        if isinstance(other, Grid):
            return cls(other.width, other.height, other.transform, other.crs)
        if isinstance(other, str | PathLike):
            return cls.from_raster(other)
        rio = getattr(other, "rio", None)
        if rio is None:
            raise InputError(
                f"cannot take a grid from {type(other).__name__}; pass a Grid, an "
                "xarray object with rioxarray CRS and transform, or a raster path."
            )
        if rio.crs is None:
            raise CRSError("the xarray object has no CRS; set it with da.rio.write_crs(...).")
        return cls(int(rio.width), int(rio.height), rio.transform(), CRS.from_user_input(rio.crs))

    # ---------------------------------------------------------------- properties
    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)``: rows, columns."""
        return (self.height, self.width)

    @property
    def n_cells(self) -> int:
        """Number of cells."""
        return self.height * self.width

    @property
    def res(self) -> tuple[float, float]:
        """Cell size ``(xres, yres)`` in CRS units, both positive."""
        return (self.transform.a, -self.transform.e)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(xmin, ymin, xmax, ymax)`` of the outer cell edges."""
        t = self.transform
        return (t.c, t.f + t.e * self.height, t.c + t.a * self.width, t.f)

    @property
    def is_geographic(self) -> bool:
        """True for longitude/latitude grids."""
        return bool(self.crs.is_geographic)

    @property
    def km_per_unit(self) -> float:
        """Kilometres per CRS unit along the axes of a projected grid.

        Raises
        ------
        CRSError
            For geographic grids, whose units (degrees) have no fixed length.
        """
        if self.is_geographic:
            raise CRSError(
                "a geographic grid's degrees have no fixed length in km; use great-circle "
                "distances or a projected grid."
            )
        return float(self.crs.axis_info[0].unit_conversion_factor) / 1000.0

    def nbytes(self, dtype: DTypeLike = np.float64) -> int:
        """Memory needed for one band of this grid in ``dtype``.

        Parameters
        ----------
        dtype : numpy dtype, default float64
            The band's element type.

        Returns
        -------
        int
            Bytes: cells × bytes per element.

        Examples
        --------
        The 30-arc-second world grid in float32 takes about 3.7 GB:

        >>> world = Grid.from_bounds((-180, -90, 180, 90), 1 / 120, crs="EPSG:4326")
        >>> world.shape, world.nbytes("float32")
        ((21600, 43200), 3732480000)
        """
        return int(self.n_cells * _as_dtype(dtype).itemsize)

    # --------------------------------------------------------------- geometry
    def cell_centers(self) -> tuple[FloatArray, FloatArray]:
        """Cell-centre coordinates as 1-D arrays.

        Returns
        -------
        x : numpy.ndarray, shape (width,)
            Column centres, west to east.
        y : numpy.ndarray, shape (height,)
            Row centres, north to south.

        Examples
        --------
        >>> x, y = Grid.from_bounds((0, 40, 2, 41), 0.5, crs="EPSG:4326").cell_centers()
        >>> x.tolist(), y.tolist()
        ([0.25, 0.75, 1.25, 1.75], [40.75, 40.25])
        """
        check_memory(
            8 * (self.width + self.height),
            f"the cell centres of the {self.height:,} x {self.width:,} grid",
            "use a coarser grid (a larger resolution).",
        )
        t = self.transform
        x = t.c + t.a * (np.arange(self.width, dtype=np.float64) + 0.5)
        y = t.f + t.e * (np.arange(self.height, dtype=np.float64) + 0.5)
        return x, y

    def cell_area_km2(self) -> FloatArray:
        """Area of the cells of each row in km².

        Returns
        -------
        numpy.ndarray, shape (height,)
            Geographic grids: the exact area of a cell on the sphere of radius
            6371.0088 km, which shrinks toward the poles. Projected grids: the
            planar area in the CRS, the same for every row (equal-area
            projections make this the true area).

        Examples
        --------
        Rows run north to south. A one-degree cell by the equator is about 12,364 km²; one
        by 60° N is cos(59.5°) ≈ 0.51 of that:

        >>> area = Grid.from_bounds((0, -1, 1, 61), 1, crs="EPSG:4326").cell_area_km2()
        >>> round(float(area[-1])), round(float(area[1] / area[-1]), 2)
        (12364, 0.51)
        >>> Grid.from_bounds((0, 0, 5000, 5000), 1000, crs="EPSG:3035").cell_area_km2().tolist()
        [1.0, 1.0, 1.0, 1.0, 1.0]
        """
        check_memory(
            8 * (self.height + 1),
            f"the row areas of the {self.height:,} x {self.width:,} grid",
            "use a coarser grid (a larger resolution).",
        )
        if not self.is_geographic:
            k = self.km_per_unit
            return np.full(self.height, self.res[0] * self.res[1] * k * k)
        t = self.transform
        edges = np.radians(np.clip(t.f + t.e * np.arange(self.height + 1), -90.0, 90.0))
        band = np.abs(np.sin(edges[:-1]) - np.sin(edges[1:]))
        return np.asarray(EARTH_RADIUS_KM**2 * math.radians(self.res[0]) * band)

    # ------------------------------------------------------------------ xarray
    def to_xarray(
        self,
        data: NDArray[Any] | dask.array.Array | None = None,
        *,
        name: str | None = None,
        dtype: DTypeLike = np.float64,
        fill: float = np.nan,
        attrs: dict[str, Any] | None = None,
    ) -> xr.DataArray:
        """Wrap ``data`` (or a new filled array) as an ``xarray.DataArray`` on this grid.

        The result has dims ``("y", "x")``, cell-centre coordinates, and the
        CRS and transform written with rioxarray (``.rio.crs``,
        ``.rio.transform()``).

        Parameters
        ----------
        data : numpy.ndarray or dask.array.Array, shape (height, width), optional
            Values; a new array filled with ``fill`` when omitted.
        name : str, optional
            Variable name.
        dtype : numpy dtype, default float64
            dtype of the new array when ``data`` is omitted.
        fill : float, default NaN
            Fill value of the new array.
        attrs : dict, optional
            Attributes to attach (model description, units).

        Returns
        -------
        xarray.DataArray, shape (height, width)
            The values on this grid, with rioxarray CRS and transform.

        Raises
        ------
        ResourceError
            The new array (cells × itemsize) or the coordinates (8 bytes per
            row and column) exceed the memory budget (:mod:`geoai._budget`):
            pass a Dask array as ``data``, or use a coarser grid.

        Examples
        --------
        >>> g = Grid.from_bounds((0, 40, 10, 50), 0.5, crs="EPSG:4326")
        >>> da = g.to_xarray(fill=0.0, name="jobs", attrs={"units": "jobs"})
        >>> da.dims, da.shape, da.rio.crs.to_epsg(), float(da.sum())
        (('y', 'x'), (20, 20), 4326, 0.0)
        """
        need = 8 * (self.width + self.height)  # the cell-centre coordinates
        if data is None:
            need += self.nbytes(dtype)
            fill = _as_fill(fill)
        elif not hasattr(data, "shape"):
            data = np.asarray(data)
        if attrs is not None and not isinstance(attrs, Mapping):
            raise InputError(f"attrs must be a dict; got {type(attrs).__name__}.")
        check_memory(
            need,
            f"an array on the {self.height:,} x {self.width:,} grid",
            "pass a Dask array as data (dask.array.full(grid.shape, fill, chunks=2048)) or "
            "use a coarser grid (a larger resolution).",
        )
        import rioxarray  # noqa: F401  (registers the .rio accessor)
        import xarray as xr

        if data is None:
            data = np.full(self.shape, fill, dtype=dtype)
        if tuple(data.shape) != self.shape:
            raise InputError(f"data has shape {tuple(data.shape)} but the grid is {self.shape}.")
        x, y = self.cell_centers()
        da = xr.DataArray(
            data, dims=("y", "x"), coords={"y": y, "x": x}, name=name, attrs=dict(attrs or {})
        )
        da.rio.write_crs(self.crs, inplace=True)
        da.rio.write_transform(self.transform, inplace=True)
        return da

    def __repr__(self) -> str:
        auth = self.crs.to_authority()
        crs = ":".join(auth) if auth else self.crs.name
        return (
            f"Grid({self.height} × {self.width}, res={self.res[0]:g}×{self.res[1]:g}, "
            f"bounds={tuple(round(b, 6) for b in self.bounds)}, crs={crs})"
        )


if TYPE_CHECKING:
    #: What :meth:`Grid.like` and :func:`as_grid` take: a grid, an xarray object with
    #: rioxarray CRS and transform, or the path of a raster file.
    GridLike: TypeAlias = Grid | xr.DataArray | xr.Dataset | str | PathLike[str]


def as_grid(grid: object) -> Grid:
    """Return ``grid`` as a :class:`Grid`: a Grid, an xarray object or a raster path.

    Parameters
    ----------
    grid : Grid, xarray.DataArray, xarray.Dataset, str or os.PathLike
        The grid itself, or an object to take it from as in :meth:`Grid.like`.

    Returns
    -------
    Grid
        ``grid`` itself when it is already a Grid.

    Raises
    ------
    InputError
        When ``grid`` is none of those.

    Examples
    --------
    >>> g = Grid.from_bounds((0, 40, 10, 50), 0.5, crs="EPSG:4326")
    >>> as_grid(g) is g, as_grid(g.to_xarray()) == g
    (True, True)
    """
    if isinstance(grid, Grid):
        return grid
    try:
        return Grid._like(grid)  # noqa: SLF001 - like() for any object, in the same module
    except (InputError, CRSError):
        raise
    except (OSError, RuntimeError):  # rasterio's RasterioIOError, rioxarray's RioXarrayError
        raise InputError(
            f"grid must be a geoai.Grid (e.g. Grid.from_bounds(...)), an xarray object with "
            f"rioxarray CRS and transform, or a raster path; got {type(grid).__name__}."
        ) from None


_BOUND_NAMES = ("xmin", "ymin", "xmax", "ymax")


def _as_bounds(bounds: object, crs: CRS) -> tuple[float, float, float, float]:
    """Check ``(xmin, ymin, xmax, ymax)``: four finite numbers, ordered, consistent with ``crs``.

    Raises
    ------
    InputError
        Not four numbers (strings included), NaN or infinite, or not ordered.
    CRSError
        Outside longitude/latitude range on a geographic CRS (more than 360°
        wide included), or degree-like numbers on a projected CRS
        (:func:`geoai._validate.check_coords_crs`).
    """
    fix = "pass bounds=(xmin, ymin, xmax, ymax) as four numbers in the CRS's units"
    values: list[object] = (
        list(np.asarray(bounds, dtype=object).ravel())
        if isinstance(bounds, tuple | list | np.ndarray)
        else []
    )
    if len(values) != len(_BOUND_NAMES):
        raise InputError(f"bounds must be four numbers; got {v.short(bounds)}. {fix.capitalize()}.")
    xmin, ymin, xmax, ymax = (
        v.check_finite_number(b, f"bounds {k}") for b, k in zip(values, _BOUND_NAMES, strict=True)
    )
    if xmin >= xmax or ymin >= ymax:
        raise InputError(
            f"bounds must have xmin < xmax and ymin < ymax; got {v.short(bounds)}. "
            f"{fix.capitalize()}."
        )
    if crs.is_geographic and (
        ymin < -90 or ymax > 90 or xmin < -180 or xmax > 360 or xmax - xmin > 360
    ):
        raise CRSError(
            f"bounds {v.short(bounds)} are not longitude/latitude degrees (lon in [-180, 360] "
            f"spanning at most 360°, lat in [-90, 90]) but the CRS is geographic "
            f"({crs.to_string()}); pass crs= the projected CRS of these bounds."
        )
    if not crs.is_geographic:
        v.check_coords_crs(
            np.array([xmin, xmax]), np.array([ymin, ymax]), crs, "bounds", given_as="xy"
        )
    return xmin, ymin, xmax, ymax


def _as_resolution(resolution: object) -> tuple[float, float]:
    """``(xres, yres)`` from one cell size or a pair, each a finite number > 0."""
    if isinstance(resolution, tuple | list | np.ndarray):
        pair = list(np.asarray(resolution, dtype=object).ravel())
        if len(pair) != 2:
            raise InputError(
                f"resolution must be one cell size or a pair (xres, yres); got "
                f"{v.short(resolution)}."
            )
        return v.check_positive(pair[0], "resolution x"), v.check_positive(pair[1], "resolution y")
    res = v.check_positive(resolution, "resolution")
    return res, res


def _cells(extent: float, res: float) -> int | None:
    """Whole cells covering ``extent`` at ``res`` (>= 1), or None beyond :data:`MAX_SIDE`."""
    ratio = extent / res  # Python floats: inf on overflow, no error
    if not math.isfinite(ratio) or ratio > MAX_SIDE:
        return None
    return max(1, math.ceil(ratio - _SNAP))


def _as_dtype(dtype: object) -> np.dtype[Any]:
    """``numpy.dtype(dtype)``, or an InputError naming it."""
    try:
        return np.dtype(dtype)  # type: ignore[call-overload,no-any-return]  # any object: numpy decides
    except (TypeError, ValueError):
        raise InputError(
            f"dtype={v.short(dtype)} is not a numpy dtype; pass e.g. 'float64' or 'float32'."
        ) from None


def _as_fill(fill: object) -> float:
    """Check the fill value of a new array: a real number, NaN and infinities allowed."""
    if isinstance(fill, str | bytes | bool | np.bool_) or not isinstance(fill, numbers.Real):
        raise InputError(f"fill must be a number (NaN allowed); got {v.short(fill)}.")
    try:
        return float(fill)
    except OverflowError:
        raise InputError(f"fill={v.short(fill)} is beyond float range; pass a float.") from None
