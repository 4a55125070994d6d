"""geoai.potential against brute-force NumPy references (tests/reference_potential.py).

Tolerances (the documented accuracy of each method):
- direct, no cut: 1e-9 relative per cell (observed ~1e-13);
- direct with the rtol cut: 0 <= reference - direct <= rtol * sum(weights);
- fft of point masses: within 1e-3 of the surface peak for cells <= scale / 150;
- fft of a raster (masses on cell centres): 1e-9 of the peak;
- dask: equal to direct, bit for bit.
"""

from __future__ import annotations

import logging
import math

import geopandas as gpd
import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st

import geoai
from geoai import CRSError, Grid, InputError, ResourceError
from geoai import potential as P  # noqa: N812 - P, the potential's usual symbol
from geoai.kernels import potential as kp
from tests.reference_potential import huff_reference, potential_reference

RTOL = 1e-9
MODELS = [
    ("exponential", {"scale_km": 400.0}),
    ("gaussian", {"scale_km": 700.0}),
    ("power", {"beta": 2.0}),
    ("power", {"beta": 1.0}),
    ("power", {"beta": 1.7}),
    ("box", {"scale_km": 1200.0}),
]


def _points(x, y, w=None, crs="EPSG:4326"):
    w = np.ones(len(x)) if w is None else w
    return gpd.GeoDataFrame({"w": w}, geometry=gpd.points_from_xy(x, y), crs=crs)


@pytest.fixture(scope="module")
def world_masses():
    """Masses inside and outside a geographic grid, across the antimeridian."""
    rng = np.random.default_rng(7)
    lon = np.concatenate([rng.uniform(-180, 180, 25), [179.9, -179.9, 0.1, 12.0]])
    lat = np.concatenate([rng.uniform(-70, 80, 25), [10.0, 10.2, 89.0, -5.0]])
    w = rng.uniform(1.0, 1e6, lon.size)
    return lon, lat, w


GEO_GRIDS = {
    "world": Grid.from_bounds((-180, -90, 180, 90), 6.0, crs="EPSG:4326"),
    "0-360": Grid.from_bounds((0, -60, 360, 80), 5.0, crs="EPSG:4326"),
    "regional": Grid.from_bounds((-20, -10, 40, 50), (1.5, 2.0), crs="EPSG:4326"),
    "one-row": Grid.from_bounds((-30, 9, 30, 11), 2.0, crs="EPSG:4326"),
}


def _rel_err(a, b):
    return np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))


# ------------------------------------------------------------ kernel math
def test_polynomial_asin_matches_arcsin():
    q = np.concatenate([np.linspace(0.0, 4.0, 3001), np.logspace(-18, 0.6, 1000)])
    got = np.array([kp.chord_sq_to_km(x) for x in q])
    ref = 2 * 6371.0088 * np.arcsin(np.minimum(0.5 * np.sqrt(q), 1.0))
    ok = ref > 0
    assert np.max(np.abs(got[ok] - ref[ok]) / ref[ok]) < 2e-15
    assert got[q == 0].max() == 0.0


# ------------------------------------------------------------ direct, exact
@pytest.mark.parametrize(("decay", "kw"), MODELS)
@pytest.mark.parametrize("grid_name", list(GEO_GRIDS))
def test_direct_geographic_matches_reference(world_masses, decay, kw, grid_name):
    lon, lat, w = world_masses
    grid = GEO_GRIDS[grid_name]
    s = P.surface(_points(lon, lat, w), "w", grid, decay=decay, rtol=0, method="direct", **kw)
    ref = potential_reference(lon, lat, w, grid, decay, **kw)
    if decay == "box":
        np.testing.assert_allclose(s.values, ref, rtol=RTOL, atol=0)
    else:
        assert _rel_err(s.values, ref) < RTOL
    assert s.attrs["method"] == "direct"
    assert s.attrs["error_bound"] == 0.0


@pytest.mark.parametrize(("decay", "kw"), MODELS)
def test_direct_projected_matches_reference(decay, kw):
    rng = np.random.default_rng(3)
    x = rng.uniform(3.0e6, 6.0e6, 30)  # metres, EPSG:3035 (partly outside the grid)
    y = rng.uniform(1.5e6, 4.5e6, 30)
    w = rng.uniform(1, 100, 30)
    grid = Grid.from_bounds((3.5e6, 2.0e6, 5.5e6, 4.0e6), (40_000, 50_000), crs="EPSG:3035")
    s = P.surface(_points(x, y, w, crs=3035), "w", grid, decay=decay, rtol=0, method="direct",
                  **kw)  # fmt: skip
    ref = potential_reference(x, y, w, grid, decay, **kw)
    np.testing.assert_allclose(s.values, ref, rtol=RTOL, atol=0)


def test_own_distance_rule_has_no_infinities():
    grid = Grid.from_bounds((0, 0, 10, 10), 1.0, crs="EPSG:4326")
    centre = _points([2.5, 2.5], [7.5, 7.5], [1.0, 2.0])  # two masses on a cell centre
    s = P.surface(centre, "w", grid, decay="power", beta=2.0, rtol=0)
    assert np.isfinite(s.values).all()
    d_own = (2 / 3) * math.sqrt(grid.cell_area_km2()[2] / math.pi)
    assert s.values[2, 2] == pytest.approx(3.0 / d_own**2, rel=1e-12)


# ------------------------------------------------------------ cuts
@pytest.mark.parametrize(("decay", "scale"), [("exponential", 300.0), ("gaussian", 500.0)])
@pytest.mark.parametrize("rtol", [1e-2, 1e-4])
def test_rtol_cut_within_documented_bound(world_masses, decay, scale, rtol):
    lon, lat, w = world_masses
    grid = GEO_GRIDS["world"]
    s = P.surface(_points(lon, lat, w), "w", grid, decay=decay, scale_km=scale, rtol=rtol)
    ref = potential_reference(lon, lat, w, grid, decay, scale_km=scale)
    bound = s.attrs["error_bound"]
    assert bound == pytest.approx(rtol * w.sum())
    diff = ref - s.values
    assert diff.min() >= -1e-9 * ref.max()  # one-sided: only contributions are dropped
    assert diff.max() <= bound
    assert diff.max() > 0  # something was actually cut
    expected_r = scale * math.log(1 / rtol) if decay == "exponential" else scale * math.sqrt(
        2 * math.log(1 / rtol))  # fmt: skip
    assert s.attrs["rcut_km"] == pytest.approx(expected_r)


@pytest.mark.parametrize(("decay", "kw"), MODELS)
def test_cutoff_truncates_model_exactly(world_masses, decay, kw):
    lon, lat, w = world_masses
    grid = GEO_GRIDS["regional"]
    s = P.surface(_points(lon, lat, w), "w", grid, decay=decay, cutoff_km=2500, rtol=0, **kw)
    ref = potential_reference(lon, lat, w, grid, decay, cutoff_km=2500, **kw)
    np.testing.assert_allclose(s.values, ref, rtol=RTOL, atol=0)
    assert (ref == 0).any() == (s.values == 0).any()


# ------------------------------------------------------------ Huff dominance
@pytest.mark.parametrize(("decay", "kw"), [MODELS[0], MODELS[2], MODELS[5]])
@pytest.mark.parametrize("cutoff", [None, 1500.0])
def test_dominance_matches_reference(world_masses, decay, kw, cutoff):
    lon, lat, w = world_masses
    grid = GEO_GRIDS["regional"]
    pts = _points(lon, lat, w)
    pts.index = [f"m{i}" for i in range(len(pts))]
    ds = P.dominance(pts, "w", grid, decay=decay, rtol=0, cutoff_km=cutoff, **kw)
    dom, prob, total = huff_reference(lon, lat, w, grid, decay, cutoff_km=cutoff, **kw)
    np.testing.assert_array_equal(ds.dominant.values, dom)
    np.testing.assert_allclose(ds.probability.values, prob, rtol=RTOL, equal_nan=True)
    np.testing.assert_allclose(ds.potential.values, total, rtol=RTOL, atol=0)
    assert ds.dominant.dtype == np.int32
    assert ds.dominant.rio.nodata == -1
    assert (ds.dominant.values == -1).any() == (total == 0).any()
    reached = ds.dominant.values[ds.dominant.values >= 0]
    assert set(ds.centre_id.values[reached]) <= set(pts.index)


@pytest.mark.parametrize(("decay", "kw"), [MODELS[0], MODELS[2], MODELS[5]])
@pytest.mark.parametrize("method", ["auto", "direct", "dask", "fft"])
def test_surface_and_dominance_are_the_two_functions(world_masses, decay, kw, method):
    lon, lat, w = world_masses
    grid = GEO_GRIDS["regional"]
    pts = _points(lon, lat, w)
    args = {"decay": decay, "cutoff_km": 1500.0, **kw}
    if method == "fft":  # refused on a geographic grid, as by surface
        with pytest.raises(InputError, match="projected grid"):
            P.surface_and_dominance(pts, "w", grid, method=method, **args)
        return
    surf, areas = P.surface_and_dominance(pts, "w", grid, method=method, **args)
    want_s = P.surface(pts, "w", grid, method=method, **args)
    want_a = P.dominance(pts, "w", grid, **args)
    xr.testing.assert_identical(areas, want_a)
    # one pass or two: the same surface, to the rounding of the Huff pass's sums
    np.testing.assert_allclose(np.asarray(surf), np.asarray(want_s), rtol=1e-14, atol=0)
    xr.testing.assert_identical(surf.copy(data=np.asarray(want_s)), want_s.compute())
    assert surf.rio.nodata != surf.rio.nodata  # NaN nodata, as surface writes it


def test_dominance_ties_go_to_lower_position():
    grid = Grid.from_bounds((0, 0, 4, 4), 1.0, crs="EPSG:4326")
    pts = _points([2.0, 2.0], [2.0, 2.0], [5.0, 5.0])
    ds = P.dominance(pts, "w", grid, scale_km=100)
    assert (ds.dominant.values == 0).all()
    np.testing.assert_allclose(ds.probability.values, 0.5)


@given(
    st.lists(st.tuples(st.floats(-170, 170), st.floats(-60, 60), st.floats(0.5, 1e4)),
             min_size=1, max_size=8),
    st.floats(50.0, 3000.0),
    st.floats(0.1, 100.0),
)  # fmt: skip
def test_huff_and_potential_invariants(masses, scale, factor):
    lon, lat, w = (np.array(a) for a in zip(*masses, strict=True))
    grid = Grid.from_bounds((-180, -80, 180, 80), 20.0, crs="EPSG:4326")
    pts = _points(lon, lat, w)
    ds = P.dominance(pts, "w", grid, scale_km=scale, rtol=0)
    s = P.surface(pts, w * factor, grid, scale_km=scale, rtol=0)
    np.testing.assert_allclose(s.values, factor * ds.potential.values, rtol=1e-12)
    prob = ds.probability.values
    reached = ds.dominant.values >= 0
    assert np.all((prob[reached] >= 1 / len(w) - 1e-12) & (prob[reached] <= 1 + 1e-12))
    assert np.all(ds.potential.values[reached] > 0)


# ------------------------------------------------------------ fft
def _fft_case(n=40, seed=5, res=2_000):
    rng = np.random.default_rng(seed)
    x = rng.uniform(3.6e6, 4.6e6, n)  # some masses outside the grid, within reach
    y = rng.uniform(2.6e6, 3.6e6, n)
    w = rng.lognormal(10, 1.5, n)
    grid = Grid.from_bounds((3.8e6, 2.8e6, 4.4e6, 3.4e6), res, crs="EPSG:3035")
    return _points(x, y, w, crs=3035), grid


@pytest.mark.jit_heavy
@pytest.mark.parametrize(("decay", "scale"), [("exponential", 300.0), ("gaussian", 300.0)])
def test_fft_within_1e3_of_peak(decay, scale):
    pts, grid = _fft_case()
    assert max(grid.res) / 1000 <= scale * P.FFT_CELL_FRACTION
    d = P.surface(pts, "w", grid, decay=decay, scale_km=scale, rtol=0, method="direct")
    f = P.surface(pts, "w", grid, decay=decay, scale_km=scale, rtol=0, method="fft")
    assert f.attrs["method"] == "fft"
    err = np.abs(f.values - d.values).max() / d.values.max()
    assert err < 1e-3


@pytest.mark.jit_heavy
def test_auto_picks_fft_for_fine_projected_grid():
    pts, grid = _fft_case(n=4000, res=1_000)
    s = P.surface(pts, "w", grid, scale_km=300.0)
    assert s.attrs["method"] == "fft"
    coarse = Grid.from_bounds((3.8e6, 2.8e6, 4.4e6, 3.4e6), 20_000, crs="EPSG:3035")
    assert P.surface(pts, "w", coarse, scale_km=300.0).attrs["method"] == "direct"
    world = GEO_GRIDS["world"]
    assert P.surface(pts, "w", world, scale_km=300.0).attrs["method"] == "direct"


@pytest.mark.jit_heavy
@pytest.mark.parametrize(("decay", "kw"), MODELS)
def test_from_raster_fft_exact_on_cell_centres(decay, kw, tmp_path):
    rng = np.random.default_rng(11)
    grid = Grid.from_bounds((4.0e6, 3.0e6, 4.6e6, 3.5e6), 10_000, crs="EPSG:3035")
    pop = np.where(rng.random(grid.shape) < 0.2, rng.lognormal(8, 1, grid.shape), 0.0)
    pop[0, :5] = -9999.0  # nodata
    da = grid.to_xarray(pop, name="pop").rio.write_nodata(-9999.0)
    path = tmp_path / "pop.tif"
    da.rio.to_raster(path)
    f = P.from_raster(path, decay=decay, rtol=0, **kw)
    assert f.attrs["method"] == "fft"
    d = P.from_raster(da, decay=decay, rtol=0, method="direct", **kw)
    assert d.attrs["method"] == "direct"
    assert np.abs(f.values - d.values).max() <= 1e-9 * d.values.max()
    cx, cy = grid.cell_centers()
    X, Y = np.meshgrid(cx, cy)
    keep = pop > 0
    ref = potential_reference(X[keep], Y[keep], pop[keep], grid, decay, **kw)
    np.testing.assert_allclose(d.values, ref, rtol=RTOL)


def test_from_raster_geographic_and_other_grid():
    grid = Grid.from_bounds((0, 40, 6, 46), 1.0, crs="EPSG:4326")
    pop = np.zeros(grid.shape)
    pop[2, 3] = 1000.0
    pop[4, 1] = np.nan
    da = grid.to_xarray(pop)
    s = P.from_raster(da, scale_km=200, rtol=0)
    assert s.attrs["method"] == "direct"
    ref = potential_reference(np.array([3.5]), np.array([43.5]), np.array([1000.0]), grid,
                              "exponential", scale_km=200)  # fmt: skip
    np.testing.assert_allclose(s.values, ref, rtol=RTOL)
    other = Grid.from_bounds((-2, 38, 8, 48), 0.5, crs="EPSG:4326")
    s2 = P.from_raster(da, other, scale_km=200, rtol=0)
    assert s2.shape == other.shape
    with pytest.raises(InputError, match="negative"):
        P.from_raster(grid.to_xarray(-pop), scale_km=200)
    with pytest.raises(InputError, match="projected raster"):
        P.from_raster(da, scale_km=200, method="fft")
    with pytest.raises(CRSError, match="no CRS"):
        P.from_raster(xr.DataArray(pop, dims=("y", "x")), scale_km=200)


# ------------------------------------------------------------ dask
@pytest.mark.parametrize("grid_name", ["world", "regional"])
@pytest.mark.parametrize(("decay", "kw"), [MODELS[0], MODELS[2]])
def test_dask_identical_to_direct(world_masses, grid_name, decay, kw):
    lon, lat, w = world_masses
    grid = GEO_GRIDS[grid_name]
    pts = _points(lon, lat, w)
    d = P.surface(pts, "w", grid, decay=decay, method="direct", **kw)
    k = P.surface(pts, "w", grid, decay=decay, method="dask", chunks=(7, 11), **kw)
    assert type(k.data).__module__.startswith("dask")
    assert k.attrs["method"] == "dask"
    np.testing.assert_array_equal(k.values, d.values)
    dd = P.dominance(pts, "w", grid, decay=decay, method="direct", **kw)
    kd = P.dominance(pts, "w", grid, decay=decay, method="dask", chunks=(5, 13), **kw)
    for name in ("dominant", "probability", "potential"):
        np.testing.assert_array_equal(kd[name].values, dd[name].values)


def test_dask_on_a_distributed_cluster(world_masses):
    distributed = pytest.importorskip("distributed")
    lon, lat, w = world_masses
    grid = GEO_GRIDS["regional"]
    pts = _points(lon, lat, w)
    direct = P.surface(pts, "w", grid, scale_km=300)
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                 dashboard_address=None) as cluster,
        distributed.Client(cluster),
    ):  # fmt: skip
        lazy = P.surface(pts, "w", grid, scale_km=300, method="dask", chunks=16)
        np.testing.assert_array_equal(lazy.compute().values, direct.values)


# ------------------------------------------------------------ georeferencing
@pytest.mark.parametrize("method", ["direct", "fft", "dask"])
def test_every_method_keeps_crs_transform_coords(method):
    pts, grid = _fft_case(n=10)
    s = P.surface(pts, "w", grid, scale_km=300.0, method=method, dtype="float32")
    x, y = grid.cell_centers()
    assert s.dims == ("y", "x")
    assert s.rio.crs == grid.crs
    assert s.rio.transform() == grid.transform
    np.testing.assert_array_equal(s.x.values, x)
    np.testing.assert_array_equal(s.y.values, y)
    assert s.dtype == np.float32
    assert s.attrs["method"] == method
    assert {"decay", "scale_km", "units", "rcut_km", "error_bound"} <= set(s.attrs)


def test_dominance_keeps_georeferencing():
    grid = GEO_GRIDS["regional"]
    ds = P.dominance(_points([10.0, 20.0], [20.0, 30.0]), "w", grid, scale_km=500)
    assert ds.rio.crs == grid.crs
    assert ds.dominant.rio.transform() == grid.transform
    np.testing.assert_array_equal(ds.y.values, grid.cell_centers()[1])


# ------------------------------------------------------------ bad input
def test_points_in_another_crs_are_reprojected_and_logged(caplog):
    grid = Grid.from_bounds((3.8e6, 2.8e6, 4.4e6, 3.4e6), 20_000, crs="EPSG:3035")
    projected = _points([4.01e6, 4.23e6], [3.01e6, 3.17e6], [1.0, 3.0], crs=3035)
    lonlat = projected.to_crs(4326)
    with caplog.at_level(logging.INFO, logger="geoai.potential"):
        a = P.surface(lonlat, "w", grid, scale_km=100, rtol=0)
    assert "reprojecting 2 points" in caplog.text
    b = P.surface(projected, "w", grid, scale_km=100, rtol=0)
    np.testing.assert_allclose(a.values, b.values, rtol=1e-7)  # pyproj round trip ~0.3 mm


def test_bad_inputs_raise_clear_errors():
    grid = GEO_GRIDS["regional"]
    pts = _points([1.0, 2.0], [3.0, 4.0], [1.0, 2.0])
    with pytest.raises(InputError, match="empty"):
        P.surface(pts.iloc[:0], "w", grid, scale_km=100)
    with pytest.raises(InputError, match="NaN"):
        P.surface(pts, [1.0, np.nan], grid, scale_km=100)
    with pytest.raises(InputError, match="negative"):
        P.surface(pts, [1.0, -2.0], grid, scale_km=100)
    with pytest.raises(InputError, match="not a column"):
        P.surface(pts, "population", grid, scale_km=100)
    with pytest.raises(CRSError, match="no CRS"):
        P.surface(pts.set_crs(None, allow_override=True), "w", grid, scale_km=100)
    with pytest.raises(CRSError, match="no CRS"):
        P.surface(pts, "w", xr.DataArray(np.zeros((2, 2)), dims=("y", "x")), scale_km=100)
    for bad in (0, -5, np.nan):
        with pytest.raises(InputError, match="scale_km"):
            P.surface(pts, "w", grid, scale_km=bad)
    with pytest.raises(InputError, match=r"takes scale_km=.* or beta=.*not neither"):
        P.surface(pts, "w", grid)
    with pytest.raises(InputError, match="not both"):
        P.surface(pts, "w", grid, scale_km=100, beta=0.01)
    with pytest.raises(InputError, match="needs beta"):
        P.surface(pts, "w", grid, decay="power")
    with pytest.raises(InputError, match="no length scale"):
        P.surface(pts, "w", grid, decay="power", beta=1.0, scale_km=10)
    with pytest.raises(InputError, match="unknown decay"):
        P.surface(pts, "w", grid, decay="tanner", scale_km=10)
    with pytest.raises(InputError, match="unknown method"):
        P.surface(pts, "w", grid, scale_km=10, method="gpu")
    with pytest.raises(InputError, match="rtol"):
        P.surface(pts, "w", grid, scale_km=10, rtol=1.5)
    with pytest.raises(InputError, match="dtype"):
        P.surface(pts, "w", grid, scale_km=10, dtype="int32")
    with pytest.raises(InputError, match="projected grid"):
        P.surface(pts, "w", grid, scale_km=10, method="fft")
    proj = Grid.from_bounds((0, 0, 1e5, 1e5), 1000, crs="EPSG:3035")
    with pytest.raises(InputError, match="smooth kernels"):
        P.surface(pts, "w", proj, decay="power", beta=2.0, method="fft")


@pytest.mark.parametrize("method", ["direct", "fft"])
def test_grid_too_large_for_memory_asks_for_dask(method):
    huge = Grid.from_bounds((0, 0, 1e9, 1e9), 1.0, crs="EPSG:3035")  # 1e18 cells, metadata only
    pts = _points([10.0], [10.0], crs=3035)
    with pytest.raises(ResourceError, match="method='dask'"):
        P.surface(pts, "w", huge, scale_km=1e5, method=method)


def test_auto_uses_dask_when_the_grid_does_not_fit(monkeypatch):
    monkeypatch.setenv("GEOAI_MEMORY_BUDGET", f"{8 * 100 * 100 - 1}B")  # a byte short of the grid
    grid = Grid.from_bounds((0, 0, 10, 10), 0.1, crs="EPSG:4326")  # 100 x 100 float64
    s = P.surface(_points([5.0], [5.0]), "w", grid, scale_km=100)
    assert s.attrs["method"] == "dask"
    assert type(s.data).__module__.startswith("dask")
    with pytest.raises(ResourceError, match="method='dask'"):
        P.surface(_points([5.0], [5.0]), "w", grid, scale_km=100, method="direct")


def test_surface_on_embedded_metros():
    # >= 500 k: the UN lists the Rhine-Ruhr and the Randstad city by city, and
    # with only the >= 1 M agglomerations Istanbul alone outweighs them
    metros = geoai.load_metros(500_000)
    grid = Grid.from_bounds((-10, 35, 30, 60), 1.0, crs="EPSG:4326")
    s = P.surface(metros, "population", grid, scale_km=300)
    iy, ix = np.unravel_index(np.argmax(s.values), s.shape)
    # the pull of western Europe peaks between London, Paris and the Rhine-Ruhr
    assert -5 <= float(s.x[ix]) <= 12
    assert 45 <= float(s.y[iy]) <= 55
    assert s.attrs["n_masses"] == len(metros)


@pytest.mark.jit_heavy
@pytest.mark.parametrize("method", ["direct", "fft", "dask"])
def test_zero_masses_are_skipped_but_positions_kept(method):
    pts, grid = _fft_case(n=12)
    w = pts["w"].to_numpy().copy()
    w[[0, 3, 7]] = 0.0
    full = P.surface(pts, w, grid, scale_km=300.0, rtol=0, method=method)
    kept = P.surface(pts[w > 0], w[w > 0], grid, scale_km=300.0, rtol=0, method=method)
    np.testing.assert_allclose(full.values, kept.values, rtol=1e-12)
    if method != "fft":
        ds = P.dominance(pts, w, grid, scale_km=300.0, rtol=0, method=method)
        assert not np.isin(ds.dominant.values, [0, 3, 7]).any()
        assert np.isin(ds.dominant.values, np.flatnonzero(w > 0)).all()


def test_fft_overlap_add_matches_full_convolution(monkeypatch):
    """Small blocks (some empty) added back together equal one full convolution."""
    from scipy.signal import convolve2d

    from geoai.potential import _fft as pf

    monkeypatch.setattr(pf, "_MIN_BLOCK", 32)
    rng = np.random.default_rng(4)
    canvas = np.where(rng.random((230, 170)) < 0.01, rng.lognormal(3, 1, (230, 170)), 0.0)
    canvas[:64] = 0.0  # whole empty blocks are skipped
    kern = rng.random((2 * 9 + 1, 2 * 12 + 1))
    plan = pf._Plan(top=-20, left=-7, ch=230, cw=170, ki=9, kj=12)
    assert plan.blocks()[:2] == (32, 32)
    got = pf._convolve(canvas, kern, plan, (200, 150))
    full = convolve2d(canvas, kern, mode="full")
    want = full[9 + 20 : 9 + 20 + 200, 12 + 7 : 12 + 7 + 150]
    np.testing.assert_allclose(got, np.maximum(want, 0.0), rtol=1e-9, atol=1e-9 * want.max())


@pytest.mark.parametrize(("decay", "kw"), [MODELS[0], MODELS[2], MODELS[5]])
def test_from_raster_fft_over_many_blocks_with_a_hard_cut(monkeypatch, decay, kw):
    from geoai.potential import _fft as pf

    monkeypatch.setattr(pf, "_MIN_BLOCK", 64)
    rng = np.random.default_rng(6)
    grid = Grid.from_bounds((4.0e6, 3.0e6, 4.3e6, 3.25e6), 1_000, crs="EPSG:3035")  # 250 x 300
    pop = np.zeros(grid.shape)
    idx = rng.integers(0, 250, size=(2, 150))
    pop[idx[0], idx[1]] = rng.lognormal(8, 1, 150)
    da = grid.to_xarray(pop)
    f = P.from_raster(da, decay=decay, cutoff_km=40.0, rtol=0, **kw)
    d = P.from_raster(da, decay=decay, cutoff_km=40.0, rtol=0, method="direct", **kw)
    assert f.attrs["method"] == "fft"
    assert np.abs(f.values - d.values).max() <= 1e-9 * d.values.max()


def test_fft_of_points_refuses_a_hard_cut_with_a_jump():
    pts, grid = _fft_case(n=5)
    with pytest.raises(InputError, match="jump"):
        P.surface(pts, "w", grid, scale_km=300.0, cutoff_km=200.0, method="fft")
    s = P.surface(pts, "w", grid, scale_km=300.0, cutoff_km=5000.0, method="fft")
    assert s.attrs["method"] == "fft"
