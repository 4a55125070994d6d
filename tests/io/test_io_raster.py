"""geoai.io.write_raster: COG layout, round trips, GDAL validation, atomicity, Dask streaming."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
import rasterio
import rioxarray
import xarray as xr

from geoai import CRSError, Grid, InputError
from geoai.io import raster as io_raster
from geoai.io import write_raster
from tests._system import SYSTEM_PYTHON, require


def _surface(shape=(700, 1100), dtype="float32"):
    """A smooth field on a geographic grid, large enough to get internal overviews."""
    h, w = shape
    grid = Grid.from_bounds((-20, 30, -20 + w * 0.05, 30 + h * 0.05), 0.05, crs="EPSG:4326")
    y, x = np.mgrid[0:h, 0:w]
    data = (np.exp(-((x - w / 3) ** 2 + (y - h / 2) ** 2) / 5e4) * 1e6).astype(dtype)
    data[:3, :3] = np.nan
    da = grid.to_xarray(data, name="potential", attrs={"decay": "exponential", "scale_km": 300.0})
    return da.rio.write_nodata(np.nan, encoded=False)


def _validate_cog(path):
    """Run GDAL's COG validator with the system Python (python3-gdal)."""
    code = (
        "import sys\n"
        "try:\n"
        "    from osgeo_utils.samples import validate_cloud_optimized_geotiff as v\n"
        "except ImportError as e:\n"
        "    sys.exit(f'NOGDAL {e}')\n"
        "warnings, errors, details = v.validate(sys.argv[1], full_check=True)\n"
        "print('ERRORS', errors); print('WARNINGS', warnings)\n"
        "sys.exit(1 if errors else 0)\n"
    )
    require("gdal")
    res = subprocess.run([SYSTEM_PYTHON, "-c", code, str(path)], capture_output=True,
                         text=True, timeout=120, check=False)  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.gdal
def test_cog_round_trip_layout_and_gdal_validation(tmp_path):
    da = _surface()
    path = write_raster(da, tmp_path / "pot.tif")
    assert path == tmp_path / "pot.tif"
    with rasterio.open(path) as src:
        assert src.driver == "GTiff"
        assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert src.tags(ns="IMAGE_STRUCTURE")["COMPRESSION"] == "DEFLATE"
        assert src.tags(ns="IMAGE_STRUCTURE")["PREDICTOR"] == "3"
        assert src.profile["tiled"]
        assert src.block_shapes == [(512, 512)]
        assert src.overviews(1)[:1] == [2]  # internal overviews, halving
        assert src.read(1, out_shape=(350, 550)).shape == (350, 550)  # read from overview
        assert src.crs.to_epsg() == 4326
        assert src.transform == da.rio.transform()
        assert np.isnan(src.nodata)
        assert src.tags()["decay"] == "exponential"
        assert src.descriptions == ("potential",)
        np.testing.assert_array_equal(src.read(1), da.values)
    back = rioxarray.open_rasterio(path).squeeze("band", drop=True)
    np.testing.assert_array_equal(back.values, da.values)
    np.testing.assert_allclose(back.x.values, da.x.values, atol=1e-12)  # rioxarray computes
    np.testing.assert_allclose(back.y.values, da.y.values, atol=1e-12)  # them its own way
    assert back.rio.crs == da.rio.crs
    _validate_cog(path)
    assert (tmp_path / "pot.qml").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".geoai-files.json", "pot.qml", "pot.tif"]


@pytest.mark.gdal
def test_integer_raster_keeps_nodata_and_projected_crs(tmp_path):
    grid = Grid.from_bounds((3.8e6, 2.8e6, 4.4e6, 3.4e6), 1_000, crs="EPSG:3035")
    data = np.arange(grid.n_cells, dtype=np.int32).reshape(grid.shape) % 7 - 1
    da = grid.to_xarray(data, name="dominant").rio.write_nodata(-1, encoded=False)
    path = write_raster(da, tmp_path / "dom.tif")
    with rasterio.open(path) as src:
        assert src.nodata == -1
        assert src.dtypes == ("int32",)
        assert src.crs.to_epsg() == 3035
        assert src.overviews(1)  # 600 x 600 > one tile
        np.testing.assert_array_equal(src.read(1), data)
    _validate_cog(path)
    assert 'colorRampType="EXACT"' in (tmp_path / "dom.qml").read_text()


def test_refuses_to_clobber_without_overwrite(tmp_path):
    da = _surface((40, 50))
    target = tmp_path / "a.tif"
    target.write_bytes(b"precious")
    with pytest.raises(InputError, match="already exists"):
        write_raster(da, target)
    assert target.read_bytes() == b"precious"
    assert not (tmp_path / "a.qml").exists()
    (tmp_path / "b.qml").write_text("mine")
    with pytest.raises(InputError, match="already exists"):
        write_raster(da, tmp_path / "b.tif")
    assert not (tmp_path / "b.tif").exists()
    assert (tmp_path / "b.qml").read_text() == "mine"
    with pytest.raises(InputError, match="no record of writing it"):  # not geoai's, even so
        write_raster(da, target, overwrite=True)
    assert target.read_bytes() == b"precious"
    target = tmp_path / "c.tif"
    write_raster(da, target)
    write_raster(da, target, overwrite=True)  # geoai's own file
    with rasterio.open(target) as src:
        np.testing.assert_array_equal(src.read(1), da.values)


def test_failure_leaves_nothing_behind(tmp_path, monkeypatch):
    da = _surface((40, 50))
    target = tmp_path / "keep.tif"
    write_raster(da, target)
    before = target.read_bytes()

    def boom(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(rasterio.shutil, "copy", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        write_raster(da * 2, target, overwrite=True)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".geoai-files.json",
        "keep.qml",
        "keep.tif",
    ]


@pytest.mark.gdal
def test_dask_array_is_streamed_block_by_block(tmp_path, monkeypatch):
    da = _surface((1100, 900))
    lazy = da.chunk({"y": 512, "x": 512})
    seen = []
    real = io_raster._dask_blocks

    def spy(data):
        for off, block in real(data):
            seen.append(block.shape)
            yield off, block

    monkeypatch.setattr(io_raster, "_dask_blocks", spy)
    path = write_raster(lazy, tmp_path / "lazy.tif")
    assert len(seen) == 3 * 2
    assert max(s[0] * s[1] for s in seen) == 512 * 512
    with rasterio.open(path) as src:
        np.testing.assert_array_equal(src.read(1), da.values)
    _validate_cog(path)


def test_dask_array_on_a_distributed_client(tmp_path):
    distributed = pytest.importorskip("distributed")
    da = _surface((600, 700)).chunk({"y": 256, "x": 256})
    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                 dashboard_address=None) as cluster,
        distributed.Client(cluster),
    ):  # fmt: skip
        path = write_raster(da, tmp_path / "dist.tif")
    with rasterio.open(path) as src:
        np.testing.assert_array_equal(src.read(1), da.values)


def test_band_stack_and_no_style(tmp_path):
    da = _surface((30, 40))
    stack = xr.concat([da, da * 2], dim="band").assign_coords(band=[1, 2])
    path = write_raster(stack, tmp_path / "stack.tif", style=False)
    with rasterio.open(path) as src:
        assert src.count == 2
        np.testing.assert_array_equal(src.read(2), stack.values[1])
    assert not (tmp_path / "stack.qml").exists()


def test_bad_rasters_are_refused(tmp_path):
    da = _surface((20, 20))
    with pytest.raises(CRSError, match="no CRS"):
        write_raster(xr.DataArray(np.zeros((3, 3)), dims=("y", "x")), tmp_path / "x.tif")
    with pytest.raises(InputError, match=r"\.tif"):
        write_raster(da, tmp_path / "x.png")
    with pytest.raises(InputError, match="dims"):
        write_raster(da.rename({"x": "lon"}), tmp_path / "x.tif")
    ints = Grid.from_bounds((0, 0, 2, 2), 1, crs=4326).to_xarray(np.ones((2, 2), dtype=np.int16))
    with pytest.raises(InputError, match="nodata"):
        write_raster(ints, tmp_path / "i.tif")
    with pytest.raises(InputError, match="does not exist"):
        write_raster(da, tmp_path / "missing" / "x.tif")
    with pytest.raises(InputError, match="DataArray"):
        write_raster(da.values, tmp_path / "x.tif")


def test_style_sample_memory_is_bounded():
    stats = io_raster._Stats(n_values=200 * 512 * 512, nodata=float("nan"))
    rng = np.random.default_rng(0)
    for _ in range(200):
        stats.add(rng.random((512, 512), dtype=np.float32))
    held = sum(p.nbytes for p in stats.parts)
    assert held < 4 * 2**20  # a sample, not the blocks
    assert all(p.base is None for p in stats.parts)  # no views pinning whole blocks


def _gdalinfo(path):
    """The system GDAL's (3.6, as QGIS 3.22 reads it) JSON description of a raster."""
    require("gdal")
    res = subprocess.run(["gdalinfo", "-json", str(path)], capture_output=True, text=True,
                         timeout=60, check=True)  # fmt: skip
    import json

    return json.loads(res.stdout)


@pytest.mark.gdal
def test_band_description_unit_and_metadata_reach_gdalinfo(tmp_path):
    da = _surface((60, 80), dtype="float64")
    path = write_raster(
        da, tmp_path / "pot.tif", dtype="float32", description="Potential of AI jobs",
        unit="AI-leveraged jobs, distance-weighted",
        band_metadata={"kind": "modelled", "source": "geoai test"},
        metadata={"TIFFTAG_COPYRIGHT": "© UN DESA"},
    )  # fmt: skip
    info = _gdalinfo(path)
    band = info["bands"][0]
    assert band["type"] == "Float32"  # written narrower than the float64 array
    assert band["description"] == "Potential of AI jobs"
    assert band["unit"] == "AI-leveraged jobs, distance-weighted"
    assert band["noDataValue"] == "NaN"
    assert band["metadata"][""]["kind"] == "modelled"
    assert info["metadata"][""]["TIFFTAG_COPYRIGHT"] == "© UN DESA"
    assert info["metadata"][""]["decay"] == "exponential"  # the array's own attrs stay
    # inside the TIFF, not in a sidecar QGIS could rewrite
    assert not (tmp_path / "pot.tif.aux.xml").exists()
    with rasterio.open(path) as src:
        np.testing.assert_allclose(src.read(1), da.values.astype("float32"), equal_nan=True)


@pytest.mark.gdal
def test_categories_travel_in_the_band_and_in_an_attribute_table(tmp_path):
    grid = Grid.from_bounds((0, 0, 3, 2), 1.0, crs="EPSG:4326")
    values = np.array([[0, 1, 2], [2, -1, 0]], dtype="int32")
    da = grid.to_xarray(values, name="dominant").rio.write_nodata(-1)
    names = {0: "Tokyo", 1: "São Paulo", 2: "A & B <metro>"}
    cats = {v: {"metro_id": f"m{v}", "name": n} for v, n in names.items()}
    path = write_raster(da, tmp_path / "areas.tif", categories=cats, attribute_table=True,
                        description="dominant metro", unit="metro")  # fmt: skip
    band = _gdalinfo(path)["bands"][0]
    assert band["metadata"][""]["value_1"] == "m1 | São Paulo"
    rat = _gdalinfo(path)["rat"]
    cols = [f["name"] for f in rat["fieldDefn"]]
    assert cols == ["Value", "metro_id", "name"]
    assert [f["usage"] for f in rat["fieldDefn"]] == [5, 0, 2]  # GFU_MinMax, GFU_Generic, GFU_Name
    read = {row["f"][0]: row["f"][2] for row in rat["row"]}
    assert read == names  # escaped XML reads back as the names
    with pytest.raises(InputError, match="same columns"):
        io_raster.attribute_table_xml({0: {"name": "a"}, 1: {"id": "b"}})


def test_bad_dtype_and_metadata_keys_are_refused(tmp_path):
    da = _surface((8, 8))
    with pytest.raises(InputError, match="cannot write dtype"):
        write_raster(da, tmp_path / "a.tif", dtype="complex64")
    with pytest.raises(InputError, match="not a plain word"):
        write_raster(da, tmp_path / "b.tif", band_metadata={"a key": 1})
    assert not list(tmp_path.glob("*.tif"))
