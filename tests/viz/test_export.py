"""Map files: 300 dpi PNG, SVG that parses, PDF a real reader opens; the run's maps."""

from __future__ import annotations

import matplotlib as mpl

mpl.use("Agg")

import subprocess
import xml.etree.ElementTree as ET

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from geoai import InputError, viz
from tests.roles.test_classify import world


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    gdf = world()
    labels = pd.DataFrame({"label": ["ns"] * len(gdf)}, index=gdf.index)
    ax = viz.lisa_map(gdf, labels, title="A small map")
    folder = tmp_path_factory.mktemp("maps")
    files = viz.save_map(ax, folder / "lisa.png")
    plt.close(ax.figure)
    return files


def test_three_formats_beside_each_other(written):
    assert [f.name for f in written] == ["lisa.png", "lisa.svg", "lisa.pdf"]
    assert all(f.stat().st_size > 5_000 for f in written)
    assert not [p for p in written[0].parent.iterdir() if ".tmp" in p.name]  # atomic writes


def test_png_is_300_dpi_and_not_blank(written):
    with Image.open(written[0]) as im:
        assert im.info["dpi"] == pytest.approx((300, 300), abs=0.01)
        width, height = im.size
        pixels = np.asarray(im.convert("L"))
    assert width == pytest.approx(11 * 300, abs=2)  # 11 inches wide
    assert height > 1000
    assert pixels.std() > 10  # land, points and text on white, not a blank page
    assert (pixels < 250).mean() > 0.1


def test_svg_parses_and_carries_its_text(written):
    root = ET.parse(written[1]).getroot()  # noqa: S314 - the file this test just wrote
    assert root.tag.endswith("svg")
    text = ET.tostring(root, encoding="unicode")
    assert "A small map" in text  # titles stay text (svg.fonttype none)
    assert "©" in text
    assert len(root.findall(".//{http://www.w3.org/2000/svg}path")) > 100


def test_pdf_has_a_pdf_header_and_its_title(written):
    data = written[2].read_bytes()
    assert data.startswith(b"%PDF-")
    assert b"%%EOF" in data[-64:]
    assert b"A small map" in data  # the document's Title


@pytest.mark.gdal
def test_a_real_reader_opens_the_pdf(written):
    """GDAL's PDF driver (poppler) renders the page."""
    code = (
        "import sys; from osgeo import gdal; gdal.UseExceptions(); "
        "ds = gdal.Open(sys.argv[1]); b = ds.GetRasterBand(1).ReadAsArray(); "
        "print(ds.RasterXSize, ds.RasterYSize, int(b.min()), int(b.max()))"
    )
    res = subprocess.run(
        ["/usr/bin/python3", "-c", code, str(written[2])],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    width, height, low, high = map(int, res.stdout.split())
    assert width > 500
    assert height > 300
    assert low < high  # something is drawn on the page


def test_save_map_refuses_bad_options(tmp_path):
    ax = viz.roles_map(world().assign(role="stable"))
    with pytest.raises(InputError, match="formats"):
        viz.save_map(ax, tmp_path / "x", formats=("gif",))
    with pytest.raises(InputError, match="dpi"):
        viz.save_map(ax, tmp_path / "x", dpi=5)
    viz.save_map(ax, tmp_path / "x", formats=("png",), dpi=50)
    with pytest.raises(InputError):  # an existing file is not replaced without overwrite
        viz.save_map(ax, tmp_path / "x", formats=("png",), dpi=50)
    assert viz.save_map(ax, tmp_path / "x", formats=("png",), dpi=50, overwrite=True)
