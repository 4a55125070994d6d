"""The data dictionary: every field of every layer of a small run, described, and nothing more."""

from __future__ import annotations

import pandas as pd
import pyogrio
import pytest
import rasterio

from geoai.errors import InputError
from geoai.io._dictionary import COLUMNS, data_dictionary, describe_field, write_dictionary
from geoai.pipeline import run
from geoai.pipeline._exports import check_formats, planned_exports

SMALL = {
    "data": {"min_population": 5_000_000},
    "scenario": {"presets": ["concentration", "exodus"], "start": 2025, "end": 2027},
    "grid": {"resolution": 10.0},
    "outputs": {"maps": False, "report": False, "qgis_project": False, "sensitivity": False,
                "top_flows": 20},
}  # fmt: skip


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    """A small run with rasters, its main layers also as GeoParquet and FlatGeobuf."""
    folder = tmp_path_factory.mktemp("dict") / "out"
    run(SMALL, folder, progress=False)  # the default formats: gpkg, parquet and fgb
    return folder


def _written_fields(folder):
    """(file, layer, field) of everything written, read independently of the dictionary."""
    found = set()
    gpkg = folder / "geoai.gpkg"
    for layer, geom in pyogrio.list_layers(gpkg):
        cols = pyogrio.read_dataframe(gpkg, layer=layer, max_features=1, read_geometry=False)
        found |= {("geoai.gpkg", layer, c) for c in cols.columns}
        if geom is not None:
            found.add(("geoai.gpkg", layer, "geometry"))
    for path in folder.glob("*.parquet"):
        found |= {(path.name, path.stem, c) for c in pd.read_parquet(path).columns}
    for path in folder.glob("*.fgb"):
        frame = pyogrio.read_dataframe(path, max_features=1)
        found |= {(path.name, path.stem, c) for c in frame.columns}
    for path in folder.glob("*.tif"):
        with rasterio.open(path) as src:
            found |= {(path.name, path.stem, f"band {b}") for b in range(1, src.count + 1)}
    return found


def test_every_written_field_is_described_and_nothing_else(out):
    table = data_dictionary(out)
    assert list(table.columns) == list(COLUMNS)
    listed = set(zip(table["file"], table["layer"], table["field"], strict=True))
    assert listed == _written_fields(out)  # every field, and nothing absent from the outputs
    assert len(listed) == len(table)  # each once
    for col in ("meaning", "unit", "kind", "source"):
        empty = table.loc[table[col].astype(str).str.strip() == "", ["file", "layer", "field"]]
        assert empty.empty, f"no {col} for:\n{empty.to_string()}"
    # every kind of output is covered: vectors, both copies, the panel, every raster
    files = set(table["file"])
    assert {"geoai.gpkg", "panel.parquet", "metros_exodus.parquet", "metros_exodus.fgb"} <= files
    assert any(f.startswith("flows_") and f.endswith(".fgb") for f in files)
    assert {f"{k}_{p}.tif" for k in ("potential", "market_areas") for p in ("exodus",)} <= files


def test_kinds_say_observed_or_modelled(out):
    table = data_dictionary(out).set_index(["file", "layer", "field"])
    mixed = "observed at the start where its *_source says so, modelled after"
    allowed = {"label", "modelled", "observed", mixed}
    assert set(table["kind"]) <= allowed
    assert table.loc[("geoai.gpkg", "metros_exodus", "talent"), "kind"] == "modelled"
    assert table.loc[("geoai.gpkg", "metros_exodus", "talent"), "unit"] == "people"
    assert table.loc[("geoai.gpkg", "metros_exodus", "capital"), "unit"] == "USD"
    assert "observed at the start" in table.loc[("panel.parquet", "panel", "talent"), "kind"]
    band = table.loc[("potential_exodus.tif", "potential_exodus", "band 1")]
    assert band["kind"] == "modelled"
    assert band["unit"].startswith("AI-leveraged jobs")


def test_written_files_match_the_table(out, tmp_path):
    import shutil

    copy = shutil.copytree(out, tmp_path / "copy")
    assert {"fields.csv", "README.md"} <= {p.name for p in copy.iterdir()}  # the run wrote them
    for name in ("fields.csv", "README.md", ".geoai-run.json"):  # a folder without them
        (copy / name).unlink()
    paths = write_dictionary(copy, title="Data of a test run", intro="A small run.")
    assert [p.name for p in paths] == ["fields.csv", "README.md"]
    csv = pd.read_csv(paths[0], keep_default_na=False)
    pd.testing.assert_frame_equal(csv, data_dictionary(copy), check_dtype=False)
    md = paths[1].read_text(encoding="utf-8")
    assert md.startswith("# Data of a test run")
    for row in csv.itertuples():
        assert f"| {row.field} |" in md
    # the dictionary describes itself out: writing it again gives the same table
    assert len(pd.read_csv(write_dictionary(copy)[0])) == len(csv)


def test_unknown_fields_are_not_invented():
    assert describe_field("metros_x", "no_such_field") is None
    assert describe_field("panel", "jobs_2040").meaning.endswith("in 2040")
    assert describe_field("panel", "nothing_2040") is None


def test_formats_are_checked_and_planned():
    assert check_formats(["fgb"]) == ("gpkg", "fgb")
    with pytest.raises(InputError, match="unknown output format"):
        check_formats(["shp"])
    planned = planned_exports(["exodus"], ["gpkg", "parquet"])
    assert "metros_exodus.parquet" in planned
    assert not any(p.endswith(".fgb") for p in planned)


def test_exports_hold_the_geopackage_layers(out):
    import geopandas as gpd

    layers = [str(n) for n, g in pyogrio.list_layers(out / "geoai.gpkg") if g is not None]
    main = [n for n in layers if n.endswith("_exodus") and n.startswith(("metros_", "flows_"))]
    assert "metros_exodus" in main
    assert any(n.startswith("flows_") for n in main)
    for layer in main:
        ref = gpd.read_file(out / "geoai.gpkg", layer=layer)
        for ext in ("parquet", "fgb"):
            path = out / f"{layer}.{ext}"
            got = gpd.read_parquet(path) if ext == "parquet" else gpd.read_file(path)
            assert got.crs.to_epsg() == 4326
            assert list(got.columns) == list(ref.columns)
            assert len(got) == len(ref) > 0
            # FlatGeobuf's spatial index reorders features: compare them in one order
            keys = [c for c in ref.columns if c != "geometry"]
            a, b = (f.sort_values(keys).reset_index(drop=True) for f in (got, ref))
            assert a.geometry.geom_equals_exact(b.geometry, 1e-9).all()
            assert a[keys].astype(str).equals(b[keys].astype(str))
    names = gpd.read_parquet(out / "metros_exodus.parquet")["name"]
    assert names.str.len().gt(0).all()  # names travel, not only ids
