"""The run's maps: roles, talent and capital flows and potential of every preset, three formats."""

from __future__ import annotations

import matplotlib as mpl

mpl.use("Agg")

import dataclasses
import time
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from geoai import scenario
from geoai.datasets import load_countries, load_metros
from geoai.pipeline._layers import flow_lines
from geoai.pipeline._maps import map_names, run_sources, write_maps
from geoai.pipeline._rasters import write_rasters
from geoai.pipeline.job import load_job

JOB = {
    "data": {"min_population": 5_000_000},
    "scenario": {"presets": ["concentration"], "start": 2025, "end": 2027},
    "grid": {"resolution": 10.0},
    "outputs": {"top_flows": 20, "map_formats": ["png", "svg", "pdf"]},  # PNG only by default
}


@pytest.fixture(scope="module")
def run_maps(tmp_path_factory):
    cfg = load_job(JOB)
    metros = load_metros(cfg.min_population, year=cfg.start)
    countries = load_countries()
    sims = {}
    for name in cfg.presets:
        sims[name] = scenario.simulate(
            metros, countries, params=cfg.params(name), start=cfg.start, end=cfg.end, seed=0
        )
        sims[name].preset = name
    folder = tmp_path_factory.mktemp("run")
    rasters = write_rasters(cfg, sims, folder, lambda _: None)
    lines = flow_lines(cfg, sims)
    started = time.perf_counter()
    files = write_maps(cfg, sims, lines, rasters, folder)
    return cfg, folder, files, time.perf_counter() - started


def test_every_map_in_three_formats_and_only_planned_names(run_maps):
    cfg, folder, files, seconds = run_maps
    names = {f.relative_to(folder).as_posix() for f in files}
    planned = map_names(cfg.presets, cfg.map_formats)
    assert names <= planned
    for p in cfg.presets:
        for stem in (f"roles_{p}", f"flows_talent_{p}", f"flows_capital_{p}", f"potential_{p}"):
            assert {f"maps/{stem}.{x}" for x in ("png", "svg", "pdf")} <= names
    assert {"maps/comparison.png", "maps/comparison.pdf"} <= names
    assert all(f.is_file() and f.stat().st_size > 5_000 for f in files)
    assert seconds < 120


def test_run_maps_are_300_dpi_and_credit_the_run_sources(run_maps):
    _, folder, files, _ = run_maps
    for f in files:
        if f.suffix == ".png":
            with Image.open(f) as im:
                assert im.info["dpi"] == pytest.approx((300, 300), abs=0.01)
    svg = (folder / "maps" / "flows_capital_concentration.svg").read_text(encoding="utf-8")
    ET.fromstring(svg)  # noqa: S314 - the file the run just wrote
    assert "capital flow (USD)" in svg
    assert "US$" in svg
    assert "© UN DESA" in svg.replace("&#169;", "©")
    talent = (folder / "maps" / "flows_talent_concentration.svg").read_text(encoding="utf-8")
    assert "talent flow (people)" in talent
    potential = (folder / "maps" / "potential_concentration.svg").read_text(encoding="utf-8")
    assert "AI jobs, distance-weighted" in potential


def test_own_metros_are_credited_by_file_name():
    cfg = load_job({**JOB, "data": {}})
    assert "un" in run_sources(cfg)
    own = dataclasses.replace(cfg, metros="/somewhere/my_cities.csv")
    sources = run_sources(own)
    assert "Metros: my_cities.csv" in sources
    assert "un" not in sources
    assert "geonames" not in sources
