"""What makes a run fast keeps its outputs: bands in a second process, PNG maps, screen copies."""

from __future__ import annotations

import base64
import dataclasses
import io
import logging
import os
import pickle
import re
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import geoai
from geoai import InputError
from geoai.errors import GeoAIError
from geoai.io.report import EMBED_WIDTH, Report
from geoai.pipeline._background import BackgroundBands
from geoai.pipeline._maps import map_names
from geoai.pipeline._report import job_bands
from geoai.pipeline.job import load_job

TINY = {
    "data": {"min_population": 10_000_000},
    "scenario": {"presets": ["concentration"], "start": 2025, "end": 2028},
    "outputs": {"maps": False, "rasters": False, "qgis_project": False, "formats": ["gpkg"]},
}


def test_maps_are_png_by_default_and_vector_on_request():
    assert load_job(None).map_formats == ("png",)
    asked = load_job({"outputs": {"map_formats": ["pdf", "png", "svg", "pdf"]}})
    assert asked.map_formats == ("png", "svg", "pdf")  # the formats' order, once each
    names = map_names(["exodus"], ("png",))
    assert "maps/roles_exodus.png" in names
    assert not any(n.endswith((".svg", ".pdf")) for n in names)


@pytest.mark.parametrize("bad", [[], ["tif"], "png", [1], ["png", "jpeg"]])
def test_bad_map_formats_name_the_key(bad):
    with pytest.raises(InputError, match=r"outputs\.map_formats"):
        load_job({"outputs": {"map_formats": bad}})


@pytest.fixture(scope="module")
def tiny():
    cfg = load_job(TINY)
    return cfg, geoai.load_metros(cfg.min_population, year=cfg.start), geoai.load_countries()


def test_background_bands_equal_those_of_this_process(tiny):
    cfg, metros, countries = tiny
    child = BackgroundBands(cfg, metros, countries)
    here = job_bands(cfg, metros, countries)
    there = child.result()
    assert child.seconds > 0
    assert here is not None
    assert there is not None
    assert list(there) == list(here) == ["concentration"]
    a, b = there["concentration"], here["concentration"]
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs["influence"] == b.attrs["influence"]
    pd.testing.assert_frame_equal(a.attrs["runs"], b.attrs["runs"])


def test_the_childs_error_is_raised_here(tiny):
    cfg, metros, countries = tiny
    bad = dataclasses.replace(cfg, presets=("no such preset",))
    with pytest.raises(InputError, match="no such preset"):
        BackgroundBands(bad, metros, countries).result()


def test_a_child_that_dies_is_reported(tiny, monkeypatch):
    cfg, metros, countries = tiny
    monkeypatch.setattr(sys, "executable", "/bin/false")
    child = BackgroundBands(cfg, metros, countries)
    with pytest.raises(GeoAIError, match="process stopped"):
        child.result()
    with pytest.raises(GeoAIError, match="already collected"):
        child.result()


def test_a_child_whose_parent_is_gone_stops_and_cleans_up(tiny, tmp_path):
    """A parent killed (SIGKILL: no cleanup of its own) leaves no child computing, no folder."""
    folder = tmp_path / "geoai-bands-x"
    folder.mkdir()
    with (folder / "input.pickle").open("wb") as fh:
        pickle.dump(tiny, fh)
    gone = os.getppid()  # not the child's parent (that is this process): as if ours had died
    done = subprocess.run(
        [sys.executable, "-P", "-m", "geoai.pipeline._background", str(folder), str(gone)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert not folder.exists()


def test_a_script_without_a_main_guard_runs_once(tmp_path):
    """The bands' process is no multiprocessing worker: it never re-runs the caller's script."""
    script = tmp_path / "script.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import pathlib, geoai
            pathlib.Path({str(tmp_path / "count")!r}).open("a").write("x")
            geoai.run({TINY!r}, {str(tmp_path / "out")!r}, progress=False)
            """
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "count").read_text() == "x"
    page = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "Sensitivity bands" in page


def test_a_run_logs_the_time_of_each_stage(tmp_path, caplog):
    job = {**TINY, "outputs": {**TINY["outputs"], "sensitivity": False}}
    with caplog.at_level(logging.INFO, logger="geoai.pipeline._run"):
        geoai.run(job, tmp_path / "out", progress=False)
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("run took"))
    laps = dict(re.findall(r"([a-z][^,:]*?) ([\d.]+) s \(CPU", line))
    assert {"loading metros", "scenario concentration", "writing the report"} <= set(laps)
    total = float(line.split()[2])
    assert sum(map(float, laps.values())) <= total + 0.1


def _png(width: int, height: int) -> bytes:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    pixels[:, : width // 2] = 255  # half white, as a map's sea
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def _embedded(page: str) -> Image.Image:
    data = re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page)
    assert data is not None
    return Image.open(io.BytesIO(base64.b64decode(data.group(1))))


def test_the_page_embeds_a_screen_copy_of_a_print_png(tmp_path):
    wide = _png(2 * EMBED_WIDTH + 300, 400)
    (tmp_path / "map.png").write_bytes(wide)
    rep = Report("t")
    rep.figure("map.png", "a map")
    with _embedded(rep.html(tmp_path)) as img:
        assert img.size == ((2 * EMBED_WIDTH + 300) // 2, 200)
    assert (tmp_path / "map.png").read_bytes() == wide  # the print file is untouched


def test_a_small_png_is_embedded_as_it_is(tmp_path):
    small = _png(EMBED_WIDTH, 300)
    (tmp_path / "map.png").write_bytes(small)
    rep = Report("t")
    rep.figure("map.png", "a map")
    page = rep.html(tmp_path)
    assert base64.b64encode(small).decode("ascii") in page


def _pixels(path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img)


def test_one_layout_pass_per_map_gives_the_same_pixels_and_restores_the_engine(tmp_path):
    """save_map lays a constrained figure out once; plain savefig (twice) draws the same."""
    import matplotlib.pyplot as plt

    from geoai.viz._export import save_map

    metros = geoai.load_metros(min_population=5_000_000)
    grid = geoai.Grid.from_bounds((-180, -60, 180, 78), 5.0, crs="EPSG:4326")
    surf = geoai.potential.surface(metros, "population", grid, decay="exponential", scale_km=300)
    plain_ax = geoai.viz.potential_map(surf, points=metros, unit="people")
    plain_ax.figure.savefig(tmp_path / "plain.png", dpi=80)
    # a fresh, equal figure: matplotlib's own layout moves when one figure is saved twice
    ax = geoai.viz.potential_map(surf, points=metros, unit="people")
    fig = ax.figure
    engine = fig.get_layout_engine()
    assert engine is not None  # the maps use constrained layout
    (ours,) = save_map(ax, tmp_path / "ours", formats=("png",), dpi=80)
    assert fig.get_layout_engine() is engine
    plain, mine = _pixels(tmp_path / "plain.png"), _pixels(ours)
    assert plain.shape == mine.shape
    assert np.array_equal(plain, mine)
    plt.close(fig)
    plt.close(plain_ax.figure)


def test_the_map_grid_lookup_is_reused_only_on_the_same_grid():
    """Potential maps of the same grid share the resampling lookup, with the same values."""
    import matplotlib.pyplot as plt

    from geoai.viz import _potential
    from geoai.viz._canvas import open_map

    metros = geoai.load_metros(min_population=5_000_000)
    grid = geoai.Grid.from_bounds((-180, -60, 180, 78), 5.0, crs="EPSG:4326")
    surf = geoai.potential.surface(metros, "population", grid, decay="exponential", scale_km=300)
    ax, frame = open_map(None, *_potential._outline(surf), crs=None)
    extent = (*ax.get_xlim(), *ax.get_ylim())
    _potential._LAST.clear()
    fresh = _potential._resampled(surf, frame, extent)
    assert len(_potential._LAST) == 1
    kept = _potential._resampled(surf * 3.0, frame, extent)  # same grid: the kept lookup
    np.testing.assert_array_equal(kept, 3.0 * fresh)
    _potential._LAST.clear()
    np.testing.assert_array_equal(_potential._resampled(surf * 3.0, frame, extent), kept)
    finer = geoai.Grid.from_bounds((-180, -60, 180, 78), 2.5, crs="EPSG:4326")
    other = geoai.potential.surface(metros, "population", finer, decay="exponential", scale_km=300)
    again = _potential._resampled(other, frame, extent)  # another grid: a new lookup
    assert again.shape != fresh.shape or not np.array_equal(again, fresh, equal_nan=True)
    assert np.isfinite(again).any()
    plt.close(ax.figure)
