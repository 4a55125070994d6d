"""The run's rasters: written on a thread while the next preset computes, always waited for."""

from __future__ import annotations

import threading

import pytest
import rasterio

import geoai.io
import geoai.potential
from geoai import scenario
from geoai.datasets import load_countries, load_metros
from geoai.pipeline._rasters import write_rasters
from geoai.pipeline.job import load_job

JOB = {
    "data": {"min_population": 5_000_000},
    "scenario": {"presets": ["concentration", "exodus", "divergence"], "start": 2025, "end": 2026},
    "grid": {"resolution": 10.0},
}


@pytest.fixture(scope="module")
def job():
    cfg = load_job(JOB)
    metros = load_metros(cfg.min_population, year=cfg.start)
    countries = load_countries()
    sims = {
        name: scenario.simulate(
            metros, countries, params=cfg.params(name), start=cfg.start, end=cfg.end, seed=0
        )
        for name in cfg.presets
    }
    return cfg, sims


def test_the_rasters_are_whole_and_written_off_the_callers_thread(job, tmp_path, monkeypatch):
    cfg, sims = job
    real, threads = geoai.io.write_raster, set()

    def noted(*args, **kwargs):
        threads.add(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(geoai.io, "write_raster", noted)
    out = write_rasters(cfg, sims, tmp_path, lambda _: None)
    assert list(out) == list(cfg.presets)
    assert threading.current_thread().name not in threads
    for pair in out.values():
        for path in pair:
            with rasterio.open(path) as src:
                assert src.read(1).shape == (src.height, src.width)
            assert path.with_suffix(".qml").is_file()


def test_a_failed_write_is_raised_after_every_write_ended(job, tmp_path, monkeypatch):
    cfg, sims = job
    real, ended = geoai.io.write_raster, []

    def failing(da, path, **kwargs):
        if path.name == "market_areas_exodus.tif":
            raise OSError("disk full")
        result = real(da, path, **kwargs)
        ended.append(path.name)
        return result

    monkeypatch.setattr(geoai.io, "write_raster", failing)
    with pytest.raises(OSError, match="disk full"):
        write_rasters(cfg, sims, tmp_path, lambda _: None)
    assert len(ended) == 5  # every other write finished before the error came back


def test_an_error_while_computing_waits_for_the_writes_under_way(job, tmp_path, monkeypatch):
    cfg, sims = job
    real_surface, real_write, calls, ended = (
        geoai.potential.surface_and_dominance, geoai.io.write_raster, [], [],
    )  # fmt: skip

    def surface(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_surface(*args, **kwargs)

    def write(da, path, **kwargs):
        result = real_write(da, path, **kwargs)
        ended.append(path.name)
        return result

    monkeypatch.setattr(geoai.potential, "surface_and_dominance", surface)
    monkeypatch.setattr(geoai.io, "write_raster", write)
    with pytest.raises(KeyboardInterrupt):
        write_rasters(cfg, sims, tmp_path, lambda _: None)
    assert sorted(ended) == ["market_areas_concentration.tif", "potential_concentration.tif"]
