"""Size before work: every allocation that grows with the input is checked against one budget.

Each blow-up of issue #16 is refused up front, quickly and without allocating,
by a ResourceError that gives the estimate, the budget and the alternative;
a case just under the budget still runs; ``GEOAI_MEMORY_BUDGET`` is parsed
strictly.
"""

from __future__ import annotations

import time
import tracemalloc

import geopandas as gpd
import numpy as np
import pytest
from typer.testing import CliRunner

import geoai
from geoai import Grid, InputError, ResourceError, flows, stats
from geoai import potential as P  # noqa: N812 - P, the potential's usual symbol
from geoai._budget import (
    ENV_VAR,
    available_memory,
    check_memory,
    format_bytes,
    memory_budget,
    parse_budget,
)
from geoai.cli import app
from geoai.kernels import n_threads
from geoai.stats._permutation import check_finished, n_chunks, null_bytes

GiB = 2**30
#: Refusals must come back faster than this (seconds): the work refused takes minutes to
#: hours, so a refusal after it would be far slower; the margin absorbs a loaded CI machine.
QUICK_S = 5.0
#: ... having allocated (NumPy, traced by tracemalloc) less than this (bytes).
LITTLE = 64 * 2**20


@pytest.fixture
def budget_4gib(monkeypatch):
    """A fixed budget, so the refusals do not depend on this machine's memory."""
    monkeypatch.setenv(ENV_VAR, "4GiB")


def refused(call, *args, warm=None, **kwargs) -> tuple[ResourceError, float, int]:
    """Run a call that must raise ResourceError; return it, the seconds and the traced peak.

    ``warm`` runs first, untimed: the same call on a tiny input loads the imports and the
    compiled kernels, one-time costs that are not the refusal's.
    """
    if warm is not None:
        warm()
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        call(*args, **kwargs)
    except ResourceError as exc:
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return exc, seconds, peak
    tracemalloc.stop()
    pytest.fail(f"{getattr(call, '__name__', call)} did not raise ResourceError")


def assert_refusal(exc: ResourceError, seconds: float, peak: int, *, alternative: str) -> None:
    msg = str(exc)
    assert exc.need_bytes is not None
    assert exc.budget_bytes is not None
    assert exc.need_bytes > exc.budget_bytes
    assert f"needs {format_bytes(exc.need_bytes)}" in msg
    assert f"budget {format_bytes(exc.budget_bytes)}" in msg
    assert alternative in msg
    assert "\n" not in msg
    assert seconds < QUICK_S, f"refused after {seconds:.2f} s"
    assert peak < LITTLE, f"allocated {format_bytes(peak)} before refusing"


def random_points(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(-180, 180, n), rng.uniform(-60, 70, n)


# ------------------------------------------------------------------ the error
def test_resource_error_is_a_memory_error_and_a_geoai_error():
    assert issubclass(ResourceError, MemoryError)
    assert issubclass(ResourceError, geoai.GeoAIError)
    assert not issubclass(ResourceError, ValueError)  # bad size, not bad input
    assert geoai.ResourceError is geoai.errors.ResourceError
    assert "ResourceError" in geoai.__all__
    assert "ResourceError" in geoai.errors.__all__


def test_check_memory_message(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(ResourceError) as info:
        check_memory(2**62, "the thing", "do something else.")
    msg = str(info.value)
    assert msg.startswith("the thing needs 4.0 EiB, budget ")
    assert "(50 % of available memory; set GEOAI_MEMORY_BUDGET to change it)" in msg
    assert msg.endswith("; do something else.")
    monkeypatch.setenv(ENV_VAR, "1GiB")
    with pytest.raises(ResourceError, match=r"budget 1\.0 GiB \(GEOAI_MEMORY_BUDGET='1GiB'\)"):
        check_memory(GiB + 1, "the thing", "do something else.")
    check_memory(GiB, "the thing", "do something else.")  # exactly the budget fits


def test_format_bytes_units():
    assert format_bytes(0) == "0 B"
    assert format_bytes(1023) == "1023 B"
    assert format_bytes(1024) == "1.0 KiB"
    assert format_bytes(5.2 * 2**40) == "5.2 TiB"
    assert format_bytes(11.7 * GiB) == "11.7 GiB"


# ------------------------------------------------------------------ the budget
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8GiB", 8 * GiB),
        ("8 gib", 8 * GiB),
        ("500MB", 500 * 10**6),
        ("1.5GB", 1_500_000_000),
        ("2TiB", 2 * 2**40),
        ("100kB", 100_000),
        ("4096B", 4096),
        ("0.8", 800),
        ("1", 1000),
        ("25%", 250),
        ("100%", 1000),
        ("1e3MB", 10**9),
    ],
)
def test_parse_budget_good_values(text, expected):
    assert parse_budget(text, 1000) == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "not a memory size"),
        ("lots", "not a memory size"),
        ("-1GB", "not a memory size"),
        ("8 GiB RAM", "not a memory size"),
        ("0", "must be > 0"),
        ("0GiB", "must be > 0"),
        ("1.5", "has no unit"),
        ("8000000000", "has no unit"),
        ("150%", "at most 100%"),
        ("8parsecs", "unknown unit 'parsecs'"),
    ],
)
def test_parse_budget_bad_values(text, why):
    with pytest.raises(InputError, match=why) as info:
        parse_budget(text, 1000)
    assert "GEOAI_MEMORY_BUDGET" in str(info.value)
    assert "'8GiB'" in str(info.value)  # the fix


def test_memory_budget_default_and_override(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    avail = available_memory()
    assert 0.4 * avail <= memory_budget() <= 0.6 * avail  # half of what is free now
    monkeypatch.setenv(ENV_VAR, "500MB")
    assert memory_budget() == 500 * 10**6
    monkeypatch.setenv(ENV_VAR, "0.25")
    assert 0.2 * available_memory() <= memory_budget() <= 0.3 * available_memory()
    monkeypatch.setenv(ENV_VAR, "  ")  # blank: the default
    assert memory_budget() <= 0.6 * available_memory()


def test_a_bad_budget_is_an_input_error_where_it_is_used(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "eight gigs")
    grid = Grid.from_bounds((0, 0, 10, 10), 1.0, crs="EPSG:4326")
    with pytest.raises(InputError, match="GEOAI_MEMORY_BUDGET='eight gigs' is not a memory size"):
        grid.to_xarray()


# ------------------------------------------------------------- the blow-ups
def test_grid_to_xarray_of_a_trillion_cells_is_refused(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)  # the default budget: 7.3 TiB fits no machine
    grid = Grid.from_bounds((0, 0, 1e6, 1e6), 1.0, crs="EPSG:3035")
    assert grid.n_cells == 10**12
    small = Grid.from_bounds((0, 0, 10, 10), 1.0, crs="EPSG:3035")
    exc, seconds, peak = refused(grid.to_xarray, warm=small.to_xarray)
    assert_refusal(exc, seconds, peak, alternative="use a coarser grid")
    assert exc.need_bytes >= 8 * 10**12
    assert "1,000,000 x 1,000,000 grid" in str(exc)
    assert "Dask array" in str(exc)


@pytest.mark.usefixtures("budget_4gib")
def test_dense_interaction_at_100k_is_refused():
    n = 100_000
    cost = np.broadcast_to(np.float64(50.0), (n, n))  # a view: no memory of its own
    mass = np.ones(n)
    kwargs = {"decay": "exponential", "beta": 0.01}
    exc, seconds, peak = refused(
        flows.interaction, mass, mass, cost, **kwargs,
        warm=lambda: flows.interaction(mass[:2], mass[:2], cost[:2, :2], **kwargs),
    )  # fmt: skip
    assert_refusal(exc, seconds, peak, alternative="flows.aggregate()")
    assert "flows.balance_matrix_free()" in str(exc)
    assert exc.need_bytes >= 3 * 8 * n * n  # f(c) and two products, not just the result
    assert "100,000 x 100,000" in str(exc)


@pytest.mark.usefixtures("budget_4gib")
def test_deterrence_counts_the_contiguous_copy():
    n = 40_000  # 12 GiB of results: refused; the broadcast view must be copied first
    cost = np.broadcast_to(np.float64(5.0), (n, n))
    exc, seconds, peak = refused(
        flows.deterrence, cost, decay="exponential", beta=0.1,
        warm=lambda: flows.deterrence(cost[:2, :2], decay="exponential", beta=0.1),
    )  # fmt: skip
    assert_refusal(exc, seconds, peak, alternative="flows.aggregate()")
    assert exc.need_bytes == 2 * 8 * n * n


@pytest.mark.usefixtures("budget_4gib")
@pytest.mark.parametrize("what", ["cost_matrix", "radiation"])
def test_dense_point_matrices_are_refused(what):
    lon, lat = random_points(100_000)
    tiny = (lon[:3], lat[:3])
    if what == "cost_matrix":
        exc, seconds, peak = refused(
            flows.cost_matrix, (lon, lat), crs=4326, warm=lambda: flows.cost_matrix(tiny, crs=4326)
        )
    else:
        exc, seconds, peak = refused(
            flows.radiation, (lon, lat), np.ones(lon.size), crs=4326,
            warm=lambda: flows.radiation(tiny, np.ones(3), crs=4326),
        )  # fmt: skip
    assert_refusal(exc, seconds, peak, alternative="flows.aggregate()")
    assert exc.need_bytes >= 8 * lon.size**2


@pytest.mark.usefixtures("budget_4gib")
def test_huge_top_k_is_clamped_then_refused():
    lon, lat = random_points(100_000)
    kwargs = {"crs": 4326, "decay": "exponential", "scale_km": 300, "top_k": 10**12}
    exc, seconds, peak = refused(
        flows.aggregate, (lon, lat), np.ones(lon.size), **kwargs,
        warm=lambda: flows.aggregate((lon[:3], lat[:3]), np.ones(3), **kwargs),
    )  # fmt: skip
    assert_refusal(exc, seconds, peak, alternative="smaller top_k")
    assert "top-100,000 table of 100,000 places" in str(exc)  # clamped to n, not 10**12
    assert exc.need_bytes >= 16 * lon.size**2


@pytest.mark.usefixtures("budget_4gib")
def test_float32_furness_storage_is_refused():
    lon, lat = random_points(50_000)
    mass = np.ones(lon.size)
    kwargs = {"crs": 4326, "storage": "float32", "decay": "exponential", "scale_km": 3000}
    exc, seconds, peak = refused(
        flows.balance_matrix_free, (lon, lat), mass, mass, **kwargs,
        warm=lambda: flows.balance_matrix_free((lon[:3], lat[:3]), mass[:3], mass[:3], **kwargs),
    )  # fmt: skip
    assert_refusal(exc, seconds, peak, alternative="storage='recompute'")
    assert exc.need_bytes >= 4 * lon.size**2


def test_auto_storage_respects_the_budget(monkeypatch):
    lon, lat = random_points(200, seed=4)
    mass = np.ones(lon.size)
    kwargs = {"crs": 4326, "decay": "exponential", "scale_km": 2000, "tol": 1e-8}
    stored = flows.balance_matrix_free((lon, lat), mass, mass, **kwargs)
    assert stored.storage == "float32"
    monkeypatch.setenv(ENV_VAR, f"{4 * lon.size**2 - 1}B")  # a byte short of the matrix
    again = flows.balance_matrix_free((lon, lat), mass, mass, **kwargs)
    assert again.storage == "recompute"
    np.testing.assert_allclose(again.a * again.b[0], stored.a * stored.b[0], rtol=1e-6)


@pytest.mark.usefixtures("budget_4gib")
@pytest.mark.parametrize("method", ["direct", "fft"])
def test_potential_surface_asks_for_dask(method):
    grid = Grid.from_bounds((0, 0, 2e6, 2e6), 50.0, crs="EPSG:3035")  # 1.6e9 cells
    pts = gpd.GeoDataFrame({"w": [1.0]}, geometry=gpd.points_from_xy([1e6], [1e6]), crs=3035)
    small = Grid.from_bounds((0, 0, 2e6, 2e6), 1e5, crs="EPSG:3035")
    exc, seconds, peak = refused(
        P.surface, pts, "w", grid, scale_km=20, method=method,
        warm=lambda: P.surface(pts, "w", small, scale_km=2000, method="direct"),
    )  # fmt: skip
    assert_refusal(exc, seconds, peak, alternative="method='dask'")
    assert "40,000 x 40,000 grid" in str(exc)


@pytest.mark.usefixtures("budget_4gib")
def test_dominance_and_from_raster_ask_for_dask():
    grid = Grid.from_bounds((0, 0, 2e6, 2e6), 50.0, crs="EPSG:3035")
    pts = gpd.GeoDataFrame({"w": [1.0]}, geometry=gpd.points_from_xy([1e6], [1e6]), crs=3035)
    small = Grid.from_bounds((0, 0, 4e4, 4e4), 1e4, crs="EPSG:3035")
    exc, seconds, peak = refused(
        P.dominance, pts, "w", grid, scale_km=20, method="direct",
        warm=lambda: P.dominance(pts, "w", small, scale_km=20, method="direct"),
    )  # fmt: skip
    assert_refusal(exc, seconds, peak, alternative="method='dask'")
    people = small.to_xarray(np.full(small.shape, 100.0))
    exc, seconds, peak = refused(
        P.from_raster, people, grid, scale_km=20, method="direct",
        warm=lambda: P.from_raster(people, small, scale_km=20, method="direct"),
    )  # fmt: skip
    assert_refusal(exc, seconds, peak, alternative="method='dask'")


@pytest.mark.usefixtures("budget_4gib")
def test_cli_potential_refuses_a_fine_resolution_before_computing(tmp_path):
    runner = CliRunner()
    places = tmp_path / "places.csv"
    places.write_text("name,lon,lat,population\nLyon,4.84,45.76,520000\nTurin,7.69,45.07,870000\n")
    args = ["potential", str(places), "-o", str(tmp_path / "out.tif")]
    args += ["--bounds", "-180,-60,180,78"]  # the world, not the two places' extent
    runner.invoke(app, [*args, "--resolution", "0.001"])  # warm up the imports
    t0 = time.perf_counter()
    result = runner.invoke(app, [*args, "--resolution", "0.001"])
    seconds = time.perf_counter() - t0
    assert result.exit_code == 2, result.output
    out = " ".join(result.output.split())
    assert "--resolution 0.001 (138,000 x 360,000 = 49,680,000,000 cells) needs 370.1 GiB" in out
    assert 'method="dask"' in out
    assert "budget 4.0 GiB" in out
    assert seconds < QUICK_S
    assert not (tmp_path / "out.tif").exists()


def _gdf(n: int, seed: int = 1) -> gpd.GeoDataFrame:
    lon, lat = random_points(n, seed)
    y = np.random.default_rng(seed).lognormal(size=n)
    return gpd.GeoDataFrame({"y": y}, geometry=gpd.points_from_xy(lon, lat), crs=4326)


@pytest.mark.usefixtures("budget_4gib")
@pytest.mark.parametrize("statistic", ["local_moran", "getis_ord"])
def test_a_billion_permutations_are_refused_not_nan(statistic):
    gdf = _gdf(30)
    run = getattr(stats, statistic)
    run(gdf, "y", k=4, permutations=0)  # warm up: weights, imports
    exc, seconds, peak = refused(run, gdf, "y", k=4, permutations=10**9)
    assert_refusal(exc, seconds, peak, alternative="fewer permutations")
    at_once = min(n_chunks(30), n_threads())
    assert exc.need_bytes >= at_once * 8 * 10**9  # the simulated values of each thread


@pytest.mark.parametrize("statistic", ["local_moran", "getis_ord"])
def test_permutations_just_under_the_budget_run(monkeypatch, statistic):
    n, k, perms = 30, 4, 999
    gdf = _gdf(n, seed=2)
    run = getattr(stats, statistic)
    need = null_bytes(np.full(n, k), perms, min(n_chunks(n), n_threads()))
    monkeypatch.setenv(ENV_VAR, f"{need}B")
    table = run(gdf, "y", k=k, permutations=perms, fdr=None)
    assert table["p_sim"].notna().all()
    assert (table["p_sim"] >= 1 / (perms + 1)).all()
    monkeypatch.setenv(ENV_VAR, f"{need - 1}B")
    with pytest.raises(ResourceError, match="null of 999 permutations"):
        run(gdf, "y", k=k, permutations=perms, fdr=None)


def test_null_bytes_counts_the_shuffle_scratch():
    few = null_bytes(np.full(10, 2), 100, 1)  # 2 * 2 <= 9: marks only
    many = null_bytes(np.full(10, 6), 100, 1)  # 2 * 6 > 9: the int64 scratch too
    assert many - few == 8 * 9 + 8 * (6 - 2)
    assert null_bytes(np.full(10, 2), 100, 3) - few == 2 * (few - 32 * 10)


def test_an_unfinished_kernel_result_is_not_returned_as_nan():
    card = np.array([3, 0, 2, 2])
    check_finished(np.array([5, -1, 0, 7]), card)  # only the island holds -1
    with pytest.raises(ResourceError, match="left 2 of 4 observations unfinished"):
        check_finished(np.array([5, -1, -1, -1]), card)


# ------------------------------------------------------- just under budget
def test_grid_just_under_the_budget_runs(monkeypatch):
    grid = Grid.from_bounds((0, 0, 100, 50), 1.0, crs="EPSG:4326")  # 50 x 100
    need = grid.nbytes("float32") + 8 * (grid.width + grid.height)
    monkeypatch.setenv(ENV_VAR, f"{need}B")
    da = grid.to_xarray(dtype="float32", fill=0.0)
    assert da.shape == (50, 100)
    assert da.dtype == np.float32
    assert da.nbytes + da.x.nbytes + da.y.nbytes == need  # the estimate is the real size
    monkeypatch.setenv(ENV_VAR, f"{need - 1}B")
    with pytest.raises(ResourceError, match="50 x 100 grid"):
        grid.to_xarray(dtype="float32", fill=0.0)
    monkeypatch.setenv(ENV_VAR, f"{8 * (grid.width + grid.height)}B")
    grid.to_xarray(np.zeros(grid.shape))  # given data: only the coordinates are new


@pytest.mark.parametrize("constraint", ["none", "production", "attraction", "doubly"])
def test_interaction_just_under_the_budget_runs(monkeypatch, constraint):
    rng = np.random.default_rng(3)
    n = 600  # 2.9 MB an array: NumPy's constant ufunc buffers are small beside it
    cost = rng.uniform(1.0, 100.0, (n, n))
    mass = rng.uniform(1.0, 10.0, n)
    need = 3 * 8 * n * n  # float64 cost: no copy
    monkeypatch.setenv(ENV_VAR, f"{need}B")
    kwargs = {"decay": "exponential", "beta": 0.05, "constraint": constraint}
    flows.interaction(mass[:3], mass[:3], cost[:3, :3], **kwargs)  # warm up the kernels
    tracemalloc.start()
    flows_ = flows.interaction(mass, mass, cost, **kwargs)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert flows_.shape == (n, n)
    assert peak <= need + 2**18  # the arrays of the estimate, plus O(n) vectors and buffers
    monkeypatch.setenv(ENV_VAR, f"{need - 1}B")
    with pytest.raises(ResourceError, match="600 x 600 interaction"):
        flows.interaction(mass, mass, cost, decay="exponential", beta=0.05, constraint=constraint)
    monkeypatch.setenv(ENV_VAR, f"{need + 8 * n * n - 1}B")  # float32 cost adds a float64 copy
    with pytest.raises(ResourceError):
        flows.interaction(mass, mass, cost.astype(np.float32), decay="exponential", beta=0.05)


def test_top_k_above_n_is_clamped_to_n():
    lon, lat = random_points(6, seed=5)
    mass = np.arange(1.0, 7.0)
    kwargs = {"crs": 4326, "decay": "exponential", "scale_km": 5000}
    big = flows.aggregate((lon, lat), mass, top_k=1000, **kwargs)
    exact = flows.aggregate((lon, lat), mass, top_k=6, **kwargs)
    assert big.top_index.shape == (6, 6)
    np.testing.assert_array_equal(big.top_index, exact.top_index)
    np.testing.assert_allclose(big.top_flow, exact.top_flow)
    assert (big.top_index[:, -1] == -1).all()  # self pairs excluded: 5 destinations each
    assert (big.top_index[:, :5] >= 0).all()
    own = flows.aggregate((lon, lat), mass, top_k=1000, own_distance=10.0, **kwargs)
    assert (own.top_index >= 0).all()  # with the self pair every column is used


def test_top_k_just_under_the_budget_runs(monkeypatch):
    lon, lat = random_points(400, seed=6)
    mass = np.ones(lon.size)
    # the table, a distance row per thread, and the private tables of the fused exact pass
    need = 16 * 400 * 50 + 8 * 400 * n_threads() + 16 * 400 * 50 * n_threads()
    monkeypatch.setenv(ENV_VAR, f"{need}B")
    agg = flows.aggregate((lon, lat), mass, crs=4326, decay="exponential", scale_km=3000, top_k=50)
    assert agg.top_flow.shape == (400, 50)
    assert (np.diff(agg.top_flow, axis=1) <= 0).all()  # still sorted after the in-place scale
    monkeypatch.setenv(ENV_VAR, f"{need - 1}B")
    with pytest.raises(ResourceError, match="top-50 table of 400 places"):
        flows.aggregate((lon, lat), mass, crs=4326, decay="exponential", scale_km=3000, top_k=50)
