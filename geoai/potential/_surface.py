"""Potential surfaces, Huff dominance and values at points (the functions of geoai.potential)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from geoai import _validate as v
from geoai._budget import check_memory, fits
from geoai._decay import Decay
from geoai._geodesy import points_of
from geoai.errors import InputError
from geoai.grid import Grid, as_grid
from geoai.kernels import decay as kd
from geoai.kernels import interaction as ki
from geoai.kernels import n_threads
from geoai.potential._direct import check_band, own_distance_km, run_window
from geoai.potential._inputs import (
    DECAYS,
    Masses,
    Model,
    as_dtype,
    build_model,
    masses_from_xy,
    point_masses,
    reproject,
    weights_array,
)

if TYPE_CHECKING:
    import dask.array
    import xarray as xr
    from numpy.typing import ArrayLike, DTypeLike, NDArray

    from geoai._typing import FloatArray, PathLike, Points
    from geoai.grid import GridLike

    #: A computed band: in memory, or lazy tiles (``method="dask"``).
    _Band: TypeAlias = NDArray[Any] | dask.array.Array

__all__ = [
    "DECAYS",
    "FFT_CELL_FRACTION",
    "METHODS",
    "at_points",
    "dominance",
    "from_raster",
    "surface",
    "surface_and_dominance",
]

#: Computation methods.
METHODS = ("auto", "direct", "fft", "dask")
#: Largest cell size, as a fraction of ``scale_km``, for which the FFT path of
#: point masses is documented (and chosen by ``auto``) to stay within 1e-3.
FFT_CELL_FRACTION = 1.0 / 150.0
#: Largest kernel value (relative to the peak) at the cut radius for the FFT of points.
_FFT_MAX_JUMP = 1e-4


# ------------------------------------------------------------------- methods
def _check_memory(need: int, method: str, grid: Grid) -> None:
    """Refuse an in-memory method whose peak exceeds the budget (:mod:`geoai._budget`)."""
    check_memory(
        need,
        f"method={method!r} on the {grid.height:,} x {grid.width:,} grid",
        "pass method='dask' to compute it tile by tile (and write it with "
        "geoai.io.write_raster), or use a coarser grid.",
    )


def _direct_bytes(grid: Grid, dtype: np.dtype[Any], *, huff: bool) -> int:
    per_cell = 8 + (12 if huff else 0)  # float64 from the kernel (+ int32, float64 for Huff)
    if dtype != np.float64:
        per_cell += dtype.itemsize * (2 if huff else 1)
    return grid.n_cells * per_cell


def _fft_applicable(grid: Grid, model: Model) -> str | None:
    """Why the FFT path does not apply to point masses, or None if it does."""
    if grid.is_geographic:
        return "the FFT path needs a projected grid (equal cell spacing in km)"
    if model.decay not in ("exponential", "gaussian"):
        return (
            f"the FFT path spreads point masses onto cell centres, which is accurate only "
            f"for smooth kernels (exponential, gaussian), not decay={model.decay!r}"
        )
    jump = kd.decay_array(np.array([model.rcut]), model.kind, model.beta, 0.0)[0]
    if jump > _FFT_MAX_JUMP:
        return (
            f"cutoff_km={model.cutoff_km} cuts the kernel where it is still {jump:.2g} of "
            "its peak, and point masses spread onto cell centres would land on the wrong "
            "side of that jump"
        )
    return None


def _choose(
    method: str, grid: Grid, model: Model, masses: Masses, *, dtype: np.dtype[Any], huff: bool
) -> str:
    if method != "auto":
        return method
    if not fits(_direct_bytes(grid, dtype, huff=huff)):
        return "dask"
    if huff or _fft_applicable(grid, model) is not None:
        return "direct"
    cell_km = max(grid.res) * grid.km_per_unit
    if cell_km > (model.scale_km or 0.0) * FFT_CELL_FRACTION:
        return "direct"
    from geoai.potential import _fft as pf

    fft_cost = pf.fft_cost(grid, model, masses)
    area = grid.width * grid.height * grid.res[0] * grid.res[1] * grid.km_per_unit**2
    reach = min(1.0, math.pi * model.rcut**2 / area)
    direct_cost = 4e-9 * grid.n_cells * masses.w.size * reach
    return "fft" if fft_cost < direct_cost else "direct"


def _compute(
    grid: Grid,
    masses: Masses,
    model: Model,
    method: str,
    *,
    dtype: np.dtype[Any],
    huff: bool,
    chunks: int | tuple[int, int] | None,
) -> tuple[str, tuple[_Band, ...]]:
    method = _choose(method, grid, model, masses, dtype=dtype, huff=huff)
    if method == "dask":
        from geoai.potential import _dask as pdk

        own = own_distance_km(grid, model)
        return method, pdk.tiles(
            grid, masses, model, dtype=dtype, huff=huff, own=own, chunks=chunks
        )
    if method == "fft":
        why = _fft_applicable(grid, model)
        if why is not None:
            raise InputError(f"method='fft' cannot be used: {why}; use method='direct'.")
        from geoai.potential import _fft as pf

        _check_memory(pf.fft_bytes(grid, model, masses), method, grid)
        band = pf.points_fft(grid, masses, model)
        check_band(band, dtype)
        return method, (band.astype(dtype, copy=False),)
    _check_memory(_direct_bytes(grid, dtype, huff=huff), method, grid)
    rows, cols = slice(0, grid.height), slice(0, grid.width)
    own = own_distance_km(grid, model)
    out = run_window(
        grid, masses, model, rows, cols, dtype=dtype, huff=huff, own_km_=own, parallel=True
    )
    return method, out


# ------------------------------------------------------------------- public
def surface(
    points: Points,
    weights: str | ArrayLike,
    grid: GridLike,
    *,
    decay: str = "exponential",
    scale_km: float | None = None,
    beta: float | None = None,
    cutoff_km: float | None = None,
    rtol: float = 1e-6,
    method: str = "auto",
    dtype: DTypeLike = "float64",
    chunks: int | tuple[int, int] | None = None,
) -> xr.DataArray:
    """Potential surface of point masses on a grid.

    Parameters
    ----------
    points : geopandas.GeoDataFrame or GeoSeries, n rows
        Mass locations (points; other geometries use their representative
        point); reprojected to the grid's CRS when it differs (logged).
    weights : str or array-like, shape (n,)
        Masses (people, jobs, USD), finite and >= 0, or the name of a column
        of ``points``.
    grid : geoai.Grid, xarray object or raster path
        Where to evaluate; geographic grids use great-circle distances,
        projected grids Euclidean distances (km).
    decay : {"exponential", "gaussian", "power", "box"}
        ``exp(-d/scale_km)``, ``exp(-d²/(2 scale_km²))``, ``d^-beta`` (Harris
        market potential with the own-distance rule) or ``1`` within ``scale_km``.
    scale_km : float, optional
        Decay scale in km (for every decay but ``power``; or give ``beta``).
    beta : float, optional
        The decay's parameter instead (one spec for every subject,
        :mod:`geoai._decay`): the exponent of ``power`` (required there),
        ``1 / scale_km`` per km for ``exponential``, ``1 / (2 scale_km²)``
        for ``gaussian``, the cut-off for ``box``.
    cutoff_km : float, optional
        Truncate the model: masses farther than this contribute nothing.
    rtol : float, default 1e-6
        Drop contributions below ``rtol`` times the kernel peak (exponential and
        Gaussian only); the absolute error per cell is at most
        ``rtol * sum(weights)``. ``0`` computes every pair.
    method : {"auto", "direct", "fft", "dask"}
        See the module docstring.
    dtype : {"float64", "float32"}
        Output dtype (sums are always accumulated in float64).
    chunks : int or (int, int), optional
        Tile size of the ``dask`` method, default 2048 × 2048.

    Returns
    -------
    xarray.DataArray, shape (height, width)
        Dims ``("y", "x")`` with cell-centre coordinates, rioxarray CRS and
        transform, NaN nodata, and attrs describing the model (decay, scale,
        cut radius, error bound, method, units). Dask-backed for ``dask``.

    Raises
    ------
    InputError
        Empty points, NaN/negative weights or bad parameters.
    ResourceError
        A grid too large for ``direct``/``fft`` in the memory budget
        (:mod:`geoai._budget`): use ``method="dask"`` or a coarser grid.
    CRSError
        Points or grid without a CRS.

    Examples
    --------
    >>> import geoai
    >>> metros = geoai.load_metros(5_000_000)
    >>> grid = geoai.Grid.from_bounds((-10, 35, 30, 60), 1.0, crs="EPSG:4326")
    >>> s = geoai.potential.surface(metros, "population", grid, scale_km=300)
    >>> s.shape, s.attrs["method"], s.rio.crs.to_epsg()
    ((25, 40), 'direct', 4326)
    """
    g = as_grid(grid)
    model = build_model(decay, scale_km, beta, cutoff_km, rtol)
    dt = as_dtype(dtype)
    v.check_choice(method, METHODS, "method")
    masses = point_masses(points, weights, g)
    used, arrays = _compute(g, masses, model, method, dtype=dt, huff=False, chunks=chunks)
    return _surface_array(g, arrays[0], model, total=masses.total, n=masses.w.size, used=used)


def _surface_array(
    g: Grid, data: _Band, model: Model, *, total: float, n: int, used: str
) -> xr.DataArray:
    attrs = model.attrs(float(total), used, geographic=g.is_geographic)
    attrs["n_masses"] = int(n)
    da = g.to_xarray(data, name="potential", attrs=attrs)
    out: xr.DataArray = da.rio.write_nodata(np.nan, encoded=False, inplace=True)
    return out


def dominance(
    points: Points,
    weights: str | ArrayLike,
    grid: GridLike,
    *,
    decay: str = "exponential",
    scale_km: float | None = None,
    beta: float | None = None,
    cutoff_km: float | None = None,
    rtol: float = 1e-6,
    method: str = "auto",
    dtype: DTypeLike = "float64",
    chunks: int | tuple[int, int] | None = None,
) -> xr.Dataset:
    """Huff (1963) market areas: the dominant centre per cell and its probability.

    One pass of the direct kernel gives, per cell, the total potential, the
    centre ``j`` maximising ``M_j f(d_xj)`` (equivalently the Huff probability
    ``P(x -> j)``; ties go to the lower position) and that probability.
    Parameters are those of :func:`surface`; ``method`` is ``"auto"``,
    ``"direct"`` or ``"dask"`` (an argmax is not a convolution).

    Returns
    -------
    xarray.Dataset
        ``dominant`` (int32 ``(height, width)``: position of the dominant
        centre in ``points``, -1 as nodata where no mass reaches),
        ``probability`` (its Huff probability, NaN where none reaches),
        ``potential`` (the total, as :func:`surface`), and the coordinate
        ``centre_id`` (dim ``centre``): ``points.index`` labels, so
        ``ds.centre_id[ds.dominant]`` names the centres. CRS and transform
        written with rioxarray.

    Examples
    --------
    >>> import geoai
    >>> metros = geoai.load_metros(10_000_000).reset_index(drop=True)
    >>> grid = geoai.Grid.from_bounds((100, 20, 145, 45), 1.0, crs="EPSG:4326")
    >>> ds = geoai.potential.dominance(metros, "population", grid, scale_km=200)
    >>> sorted(ds.data_vars)
    ['dominant', 'potential', 'probability']
    """
    g = as_grid(grid)
    model = build_model(decay, scale_km, beta, cutoff_km, rtol)
    dt = as_dtype(dtype)
    v.check_choice(method, ("auto", "direct", "dask"), "method")
    masses = point_masses(points, weights, g)
    return _dominance(points, g, masses, model, method, dtype=dt, chunks=chunks)


def _dominance(
    points: Points,
    g: Grid,
    masses: Masses,
    model: Model,
    method: str,
    *,
    dtype: np.dtype[Any],
    chunks: int | tuple[int, int] | None,
) -> xr.Dataset:
    """:func:`dominance` of checked inputs."""
    import xarray as xr

    ids = v.index_of(points)
    if ids is not None:  # centre_id names the dominant centres: one label per centre
        v.check_unique_ids(ids, "points.index (the centre ids of dominance)")
    used, (total, dom, prob) = _compute(
        g, masses, model, method, dtype=dtype, huff=True, chunks=chunks
    )
    attrs = model.attrs(masses.total, used, geographic=g.is_geographic)
    attrs["n_masses"] = int(masses.w.size)
    pot = g.to_xarray(total, name="potential", attrs=attrs).rio.write_nodata(np.nan, inplace=True)
    d = g.to_xarray(dom, name="dominant", attrs={"long_name": "Huff dominant centre"})
    p = g.to_xarray(prob, name="probability", attrs={"long_name": "Huff probability"})
    ds = xr.Dataset(
        {
            "dominant": d.rio.write_nodata(-1, encoded=False, inplace=True),
            "probability": p.rio.write_nodata(np.nan, encoded=False, inplace=True),
            "potential": pot,
        },
        attrs=attrs,
    )
    labels = np.asarray(ids if ids is not None else np.arange(len(points)))
    ds = ds.assign_coords(centre_id=("centre", labels))
    out: xr.Dataset = ds.rio.write_crs(g.crs).rio.write_transform(g.transform)
    return out


def surface_and_dominance(
    points: Points,
    weights: str | ArrayLike,
    grid: GridLike,
    *,
    decay: str = "exponential",
    scale_km: float | None = None,
    beta: float | None = None,
    cutoff_km: float | None = None,
    rtol: float = 1e-6,
    method: str = "auto",
) -> tuple[xr.DataArray, xr.Dataset]:
    """:func:`surface` (with ``method``) and :func:`dominance` (``"auto"``) of the same masses.

    Where both take the direct kernel, as they do for a world grid of a few
    hundred metros, the surface is the total of the dominance pass (the same
    sums, to rounding: about 1e-16 relative), so the grid is visited once
    instead of twice; otherwise each is
    computed as its own function would.

    Parameters
    ----------
    points, weights, grid, decay, scale_km, beta, cutoff_km, rtol, method
        As in :func:`surface`.

    Returns
    -------
    (xarray.DataArray, xarray.Dataset)
        What ``surface(..., method=method)`` and ``dominance(...)`` return.

    Examples
    --------
    >>> import geoai
    >>> metros = geoai.load_metros(10_000_000).reset_index(drop=True)
    >>> grid = geoai.Grid.from_bounds((100, 20, 145, 45), 1.0, crs="EPSG:4326")
    >>> surf, areas = surface_and_dominance(metros, "population", grid, scale_km=200)
    >>> surf.attrs["method"], bool((surf == areas["potential"]).all())
    ('direct', True)
    """
    g = as_grid(grid)
    model = build_model(decay, scale_km, beta, cutoff_km, rtol)
    v.check_choice(method, METHODS, "method")
    masses = point_masses(points, weights, g)
    dt = as_dtype("float64")
    areas = _dominance(points, g, masses, model, "auto", dtype=dt, chunks=None)
    total: _Band
    if (
        areas.attrs["method"] == "direct"
        and _choose(method, g, model, masses, dtype=dt, huff=False) == "direct"
    ):
        used, total = "direct", np.asarray(areas["potential"].values)
    else:
        used, (total,) = _compute(g, masses, model, method, dtype=dt, huff=False, chunks=None)
    surf = _surface_array(g, total, model, total=masses.total, n=masses.w.size, used=used)
    return surf, areas


def from_raster(
    source: xr.DataArray | PathLike,
    grid: GridLike | None = None,
    *,
    decay: str = "exponential",
    scale_km: float | None = None,
    beta: float | None = None,
    cutoff_km: float | None = None,
    rtol: float = 1e-6,
    method: str = "auto",
    dtype: DTypeLike = "float64",
    band: int = 1,
    chunks: int | tuple[int, int] | None = None,
) -> xr.DataArray:
    """Potential of a population or job raster (e.g. GHSL, WorldPop).

    Every cell is a mass at its centre; nodata and NaN cells count as zero
    mass. On a projected raster, with ``grid`` omitted (or equal to the
    raster's grid), ``auto`` convolves the raster with the kernel by FFT, which
    is exact up to rounding because the masses sit on cell centres. Otherwise
    (a geographic raster, another ``grid``, or ``method="direct"``/``"dask"``)
    the non-zero cells are summed as point masses by the direct kernel, which
    costs cells × non-zero cells: coarsen or project large rasters first.

    Parameters
    ----------
    source : path-like or xarray.DataArray
        The raster (band ``band`` of a file, or a 2-D DataArray with rioxarray
        CRS and transform).
    grid : geoai.Grid, xarray object or raster path, optional
        Output grid; default the raster's own grid.
    decay, scale_km, beta, cutoff_km, rtol, method, dtype, chunks
        As for :func:`surface`.
    band : int, default 1
        Band of a multi-band file.

    Returns
    -------
    xarray.DataArray, shape (height, width)
        As :func:`surface`.

    Examples
    --------
    >>> import numpy as np
    >>> from geoai import Grid
    >>> grid = Grid.from_bounds((0, 0, 40_000, 40_000), 10_000, crs="EPSG:3857")
    >>> people = grid.to_xarray(np.full(grid.shape, 100.0))
    >>> from_raster(people, scale_km=20).shape
    (4, 4)
    """
    from geoai.potential import _fft as pf

    band = v.check_integer(band, "band", minimum=1)
    da = pf.read_mass_raster(source, band)
    src = as_grid(da)
    g = src if grid is None else as_grid(grid)
    model = build_model(decay, scale_km, beta, cutoff_km, rtol)
    dt = as_dtype(dtype)
    v.check_choice(method, METHODS, "method")
    values = pf.mass_values(da)
    same = g == src
    if same and not g.is_geographic and method in ("auto", "fft"):
        need = pf.fft_bytes_raster(g, model)
        if method == "fft" or fits(need):
            _check_memory(need, "fft", g)
            out = pf.raster_fft(g, values, model, own_distance_km(g, model))
            check_band(out, dt)
            n = int(np.count_nonzero(values))
            return _surface_array(
                g, out.astype(dt, copy=False), model, total=values.sum(), n=n, used="fft"
            )
    elif method == "fft":
        raise InputError(
            "method='fft' needs a projected raster evaluated on its own grid; use "
            "method='direct', or reproject the raster to an equal-area CRS first."
        )
    rows, cols = np.nonzero(values)
    if rows.size == 0:
        raise InputError("the raster holds no positive mass (all cells are 0 or nodata).")
    t = src.transform
    x = t.c + t.a * (cols + 0.5)
    y = t.f + t.e * (rows + 0.5)
    x, y = reproject(x, y, src.crs, g)
    masses = masses_from_xy(g, x, y, values[rows, cols])
    used, arrays = _compute(g, masses, model, method, dtype=dt, huff=False, chunks=chunks)
    return _surface_array(g, arrays[0], model, total=masses.total, n=masses.w.size, used=used)


def at_points(
    points: Points,
    weights: str | ArrayLike,
    *,
    decay: str = "exponential",
    scale_km: float | None = None,
    beta: float | None = None,
    own_km: float | None = None,
) -> FloatArray:
    """Potential at the mass locations themselves, ``P_i = sum_j M_j f(d_ij)``.

    The point-to-point companion of :func:`surface` (same decay parameters),
    computed by the matrix-free kernels of :func:`geoai.flows.aggregate`: no
    ``n × n`` matrix, so it scales to every GeoNames place.

    Parameters
    ----------
    points : geopandas.GeoDataFrame or GeoSeries
        Mass locations with a CRS.
    weights : str or array-like, shape (n,)
        Masses (>= 0) or the name of a column of ``points``.
    decay, scale_km, beta
        As in :func:`surface`.
    own_km : float, optional
        Distance at which a place's own mass counts. Default: 0 for decays
        that are finite at 0 (the own mass counts in full, Hansen
        accessibility); for ``power`` the own term is left out unless an own
        distance is given (Harris market potential takes ``(2/3) sqrt(area/pi)``).

    Returns
    -------
    numpy.ndarray, shape (n,)

    Examples
    --------
    >>> import geoai
    >>> metros = geoai.load_metros(10_000_000)
    >>> p = geoai.potential.at_points(metros, "population", scale_km=300)
    >>> bool(p.min() >= metros["population"].min())
    True
    """
    model = build_model(decay, scale_km, beta, None, 0.0)
    x, y, crs = v.as_coords(points, "points")
    w = weights_array(points, weights, x.size)
    own = None if own_km is None else v.check_positive(own_km, "own_km", allow_zero=True)
    if own == 0.0 and model.kind == kd.POWER:
        raise InputError("decay='power' is infinite at 0 km; give own_km > 0 or leave it None.")
    positive = own or None  # the kernels take a self pair at a positive distance
    pts = points_of(x, y, crs)
    spec = Decay(decay, model.kind, model.beta, 0.0, model.scale_km)
    phi = potential_at(pts.xyz, pts.geo, w, spec, own_km=positive)
    bad = ~np.isfinite(phi)
    if bad.any():
        raise InputError(
            f"the potential is infinite at {int(bad.sum())} point(s) (first at positions "
            f"{np.flatnonzero(bad)[:5].tolist()}): "
            + (
                "a power decay is infinite where places coincide or nearly so; merge them, "
                "or use a decay finite at 0 km (exponential, gaussian, box)."
                if model.kind == kd.POWER
                else "rescale the masses (e.g. to thousands or millions)."
            )
        )
    return phi


def potential_at(
    xyz: FloatArray,
    geo: bool,  # noqa: FBT001 - the scenario engine passes the kernel points' flag by position
    w: FloatArray,
    spec: Decay,
    *,
    own_km: float | None = None,
) -> FloatArray:
    """Compute :func:`at_points` on validated arrays (the core the scenario engine calls yearly).

    Parameters
    ----------
    xyz : numpy.ndarray, shape (3, n) or (2, n)
        Kernel coordinates (:func:`geoai._geodesy.kernel_points`).
    geo : bool
        Whether ``xyz`` are unit vectors (great-circle distances).
    w : numpy.ndarray, shape (n,)
        Masses, finite and >= 0.
    spec : geoai._decay.Decay
        The decay (:func:`geoai._decay.decay_spec`).
    own_km : float, optional
        Own distance (km, > 0) of each point's own mass; without it the own
        mass counts in full (``f(0) = 1``; a power decay leaves it out).

    Returns
    -------
    numpy.ndarray, shape (n,)
        ``sum_j w_j f(d_ij)``.

    Examples
    --------
    >>> from geoai._decay import decay_spec
    >>> from geoai._geodesy import kernel_points
    >>> pts = kernel_points(([0.0, 1.0], [0.0, 0.0]), crs=4326)
    >>> box = decay_spec("box", scale=200.0)
    >>> potential_at(pts.xyz, pts.geo, np.array([1.0, 1.0]), box).tolist()
    [2.0, 2.0]
    """
    n = w.size
    own = np.full(n, np.nan) if own_km is None else np.full(n, float(own_km))
    weights = np.ascontiguousarray(w, dtype=np.float64)[None, :].copy()
    out = ki.symmetric_matmat(xyz, geo, own, spec.kind, spec.beta, spec.a, weights, n_threads())
    phi = np.asarray(out[0], dtype=np.float64)
    if own_km is None and spec.kind != kd.POWER:
        phi = phi + w  # f(0) = 1: the own mass counts in full
    return phi
