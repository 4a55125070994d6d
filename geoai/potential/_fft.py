"""FFT path of :mod:`geoai.potential`: masses on a projected grid convolved with the kernel.

The kernel is sampled at the grid's cell offsets, ``K[i, j] = f(hypot(i hy,
j hx))`` (``f(0)``, or ``f(own distance)`` for the power decay, at the centre),
truncated at the cut radius, and convolved with a mass canvas by zero-padded
real FFTs (:mod:`scipy.fft`), overlap-add over blocks of the canvas so memory
stays bounded and empty blocks cost nothing. Point masses are spread onto the
four nearest cell centres first (cloud-in-cell); raster masses already sit on
them, which makes the raster path exact up to rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from geoai.errors import CRSError, InputError
from geoai.kernels.decay import decay_array
from geoai.kernels.potential import deposit_bilinear
from geoai.potential._inputs import check_total

if TYPE_CHECKING:
    import xarray as xr

    from geoai._typing import FloatArray, PathLike
    from geoai.grid import Grid
    from geoai.potential._inputs import Masses, Model

__all__ = [
    "fft_bytes",
    "fft_bytes_raster",
    "fft_cost",
    "mass_values",
    "points_fft",
    "raster_fft",
    "read_mass_raster",
]

#: Smallest block edge of the overlap-add (cells).
_MIN_BLOCK = 512


@dataclass(frozen=True)
class _Plan:
    """Canvas and kernel geometry of one FFT convolution."""

    top: int  # canvas row 0 is grid row `top` (<= 0)
    left: int
    ch: int  # canvas shape
    cw: int
    ki: int  # kernel half extents (cells)
    kj: int

    def blocks(self) -> tuple[int, int, int, int]:
        """Block shape and FFT shape of the overlap-add."""
        from scipy.fft import next_fast_len

        kh, kw = 2 * self.ki + 1, 2 * self.kj + 1
        bh = min(self.ch, max(kh, _MIN_BLOCK))
        bw = min(self.cw, max(kw, _MIN_BLOCK))
        return bh, bw, next_fast_len(bh + kh - 1, real=True), next_fast_len(bw + kw - 1, real=True)

    def nbytes(self, out_cells: int) -> int:
        _, _, fh, fw = self.blocks()
        return 8 * (self.ch * self.cw + out_cells) + 16 * 3 * fh * (fw // 2 + 1) + 8 * fh * fw

    def cost(self) -> float:
        """Rough seconds: FFT work of every block on this machine's scale."""
        bh, bw, fh, fw = self.blocks()
        n_blocks = math.ceil(self.ch / bh) * math.ceil(self.cw / bw)
        return 1.5e-9 * (n_blocks + 1) * fh * fw * math.log2(fh * fw)


def _cell_km(grid: Grid) -> tuple[float, float]:
    k = grid.km_per_unit
    return grid.res[0] * k, grid.res[1] * k


def _half(rcut: float, h_km: float, limit: int) -> int:
    if not math.isfinite(rcut):
        return limit
    return int(min(limit, math.ceil(rcut / h_km)))


def _fractional(grid: Grid, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fractional (column, row) of points in cell-centre units."""
    t = grid.transform
    return (x - t.c) / t.a - 0.5, (y - t.f) / t.e - 0.5


def _plan_points(grid: Grid, model: Model, masses: Masses) -> tuple[_Plan, np.ndarray]:
    hx, hy = _cell_km(grid)
    u, w = _fractional(grid, masses.x, masses.y)
    big = 10 * (grid.height + grid.width)
    ki = _half(model.rcut, hy, big)
    kj = _half(model.rcut, hx, big)
    keep = (u >= -kj - 1) & (u <= grid.width + kj) & (w >= -ki - 1) & (w <= grid.height + ki)
    if keep.any():
        top = min(0, math.floor(w[keep].min()))
        left = min(0, math.floor(u[keep].min()))
        bottom = max(grid.height - 1, math.floor(w[keep].max()) + 1)
        right = max(grid.width - 1, math.floor(u[keep].max()) + 1)
    else:
        top, left, bottom, right = 0, 0, grid.height - 1, grid.width - 1
    ch, cw = bottom - top + 1, right - left + 1
    return _Plan(top, left, ch, cw, min(ki, ch - 1), min(kj, cw - 1)), keep


def fft_bytes(grid: Grid, model: Model, masses: Masses) -> int:
    """Memory (bytes) of :func:`points_fft`."""
    return _plan_points(grid, model, masses)[0].nbytes(grid.n_cells)


def fft_cost(grid: Grid, model: Model, masses: Masses) -> float:
    """Rough run time (s) of :func:`points_fft`, for ``method="auto"``."""
    return _plan_points(grid, model, masses)[0].cost()


def _plan_raster(grid: Grid, model: Model) -> _Plan:
    hx, hy = _cell_km(grid)
    ki = _half(model.rcut, hy, grid.height - 1)
    kj = _half(model.rcut, hx, grid.width - 1)
    return _Plan(0, 0, grid.height, grid.width, ki, kj)


def fft_bytes_raster(grid: Grid, model: Model) -> int:
    """Memory (bytes) of :func:`raster_fft`."""
    return _plan_raster(grid, model).nbytes(grid.n_cells)


def _kernel(grid: Grid, plan: _Plan, model: Model, centre_km: float) -> np.ndarray:
    hx, hy = _cell_km(grid)
    di = np.arange(-plan.ki, plan.ki + 1, dtype=np.float64)[:, None] * hy
    dj = np.arange(-plan.kj, plan.kj + 1, dtype=np.float64)[None, :] * hx
    d = np.hypot(di, dj)
    d[plan.ki, plan.kj] = centre_km
    f = decay_array(d, model.kind, model.beta, 0.0)
    f[d > model.rcut] = 0.0
    return f


def _convolve(
    canvas: np.ndarray, kern: np.ndarray, plan: _Plan, shape: tuple[int, int]
) -> np.ndarray:
    """``out[r, c] = sum canvas[i, j] K[r - top - i, c - left - j]`` by overlap-add."""
    from scipy.fft import irfft2, rfft2

    h, w = shape
    kh, kw = kern.shape
    r_off, c_off = plan.ki - plan.top, plan.kj - plan.left
    bh, bw, fh, fw = plan.blocks()
    kf = rfft2(kern, s=(fh, fw))
    out = np.zeros(shape)
    for bi in range(0, plan.ch, bh):
        for bj in range(0, plan.cw, bw):
            block = canvas[bi : bi + bh, bj : bj + bw]
            if not block.any():
                continue
            # rows of the full convolution this block reaches, clipped to the output
            p0, p1 = max(0, r_off - bi), min(block.shape[0] + kh - 1, r_off + h - bi)
            q0, q1 = max(0, c_off - bj), min(block.shape[1] + kw - 1, c_off + w - bj)
            if p0 >= p1 or q0 >= q1:
                continue
            conv = irfft2(rfft2(block, s=(fh, fw)) * kf, s=(fh, fw))
            out[bi + p0 - r_off : bi + p1 - r_off, bj + q0 - c_off : bj + q1 - c_off] += conv[
                p0:p1, q0:q1
            ]
    np.maximum(out, 0.0, out=out)  # round-off below zero where nothing reaches
    return out


def points_fft(grid: Grid, masses: Masses, model: Model) -> FloatArray:
    """Potential ``(height, width)`` of point masses by cloud-in-cell and FFT."""
    plan, keep = _plan_points(grid, model, masses)
    u, w = _fractional(grid, masses.x[keep], masses.y[keep])
    canvas = np.zeros((plan.ch, plan.cw))
    deposit_bilinear(u - plan.left, w - plan.top, masses.w[keep], canvas)
    return _convolve(canvas, _kernel(grid, plan, model, 0.0), plan, grid.shape)


def raster_fft(grid: Grid, values: FloatArray, model: Model, own_km: FloatArray) -> FloatArray:
    """Potential ``(height, width)`` of a mass raster on its own projected grid."""
    plan = _plan_raster(grid, model)
    centre = float(own_km[0]) if model.decay == "power" else 0.0
    return _convolve(values, _kernel(grid, plan, model, centre), plan, grid.shape)


def read_mass_raster(source: xr.DataArray | PathLike, band: int) -> xr.DataArray:
    """Open a raster path (or take an xarray object) as a 2-D DataArray, NaN for nodata."""
    import xarray as xr

    da: xr.DataArray | xr.Dataset | list[xr.Dataset]
    if isinstance(source, xr.DataArray):
        da = source
    elif isinstance(source, xr.Dataset):
        raise InputError(
            "source is an xarray.Dataset; pass one of its variables, e.g. ds['population']."
        )
    else:
        import rioxarray
        from rasterio.errors import RasterioError

        from geoai.grid import Grid

        Grid.from_raster(source)  # InputError/CRSError for what is no readable raster
        try:
            da = rioxarray.open_rasterio(source, masked=True)
        except (RasterioError, OSError) as exc:  # the library's message may quote the file
            raise InputError(
                f"cannot read the raster {str(source)!r} ({type(exc).__name__}); pass a "
                "GeoTIFF or another raster GDAL reads."
            ) from None
    if not isinstance(da, xr.DataArray):
        raise InputError(f"{str(source)!r} opens as several datasets; pass one subdataset path.")
    if "band" in da.dims:
        if band not in da["band"].values:
            raise InputError(f"band={band} is not in the raster (bands {da['band'].values}).")
        da = da.sel(band=band)
    if da.ndim != 2:
        raise InputError(f"the mass raster must be 2-D (y, x); got dims {da.dims}.")
    if da.rio.crs is None:
        raise CRSError(
            "the mass raster has no CRS; set it with da.rio.write_crs('EPSG:XXXX') or "
            "`rio edit-info --crs` before computing its potential."
        )
    return da


def mass_values(da: xr.DataArray) -> FloatArray:
    """Masses per cell as float64 ``(height, width)``: nodata and NaN -> 0; negatives refused."""
    from rasterio.errors import RasterioError

    try:
        values = np.array(da.values, dtype=np.float64)
    except (RasterioError, OSError):  # a block of the file cannot be read
        raise InputError(
            "the mass raster's pixels cannot be read (a truncated or damaged file?); write "
            "it again, or check it with `gdalinfo -checksum`."
        ) from None
    except (TypeError, ValueError):
        raise InputError(
            f"the mass raster must hold numbers; got dtype {da.dtype}. Convert it with "
            "da.astype(float)."
        ) from None
    for nd in {da.rio.nodata, da.rio.encoded_nodata}:
        if nd is not None and not np.isnan(nd):
            values[values == nd] = np.nan
    if np.isinf(values).any():
        raise InputError("the mass raster has infinite values; mask or fill them first.")
    values = np.nan_to_num(values, nan=0.0)
    neg = int((values < 0).sum())
    if neg:
        raise InputError(
            f"the mass raster has {neg} negative cell(s); masses must be >= 0 (set them "
            "to nodata or 0)."
        )
    if check_total(values.ravel(), "the mass raster's cells") <= 0:
        raise InputError(
            "the mass raster holds no positive mass (all cells are 0 or nodata); pass a "
            "raster of people or jobs."
        )
    return values
