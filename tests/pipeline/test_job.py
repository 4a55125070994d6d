"""Job files: defaults, the example, overrides and clear errors."""

from __future__ import annotations

import tomllib

import pytest

from geoai import InputError
from geoai.pipeline.job import EXAMPLE_JOB, Job, load_job


def test_defaults_and_example_agree(tmp_path):
    path = tmp_path / "job.toml"
    path.write_text(EXAMPLE_JOB)
    job = load_job(path)
    defaults = load_job(None)
    for key, value in defaults.as_dict().items():
        if key != "source":
            assert getattr(job, key) == value, key
    assert job.presets == ("concentration", "exodus", "divergence")
    assert (job.start, job.end, job.resolution) == (2025, 2050, 0.25)
    assert tomllib.loads(EXAMPLE_JOB)["grid"]["crs"] == "EPSG:4326"


def test_overrides_reach_the_presets():
    job = load_job(
        {
            "scenario": {
                "presets": ["exodus", "baseline"],
                "overrides": {"ai_pool_max": 5e6},
                "preset_overrides": {"exodus": {"remote_share": 0.4}},
            },
            "potential": {"decay": "power", "beta": 1.0},
        }
    )
    assert job.params("exodus").remote_share == 0.4
    assert job.params("exodus").ai_pool_max == 5e6
    assert job.params("baseline").remote_share == 0.0
    assert job.scale_km is None
    assert isinstance(job, Job)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"grids": {}}, r"unknown key\(s\) \['grids'\] in \[top level\]; allowed: data"),
        ({"grid": {"resolutoin": 1}}, r"\['resolutoin'\] in \[grid\]; allowed: bounds, resolution"),
        ({"grid": {"resolution": 0}}, "must be > 0"),
        ({"grid": {"bounds": [10, 0, 0, 10]}}, "min < max"),
        ({"scenario": {"presets": ["utopia"]}}, "not known; choose among"),
        ({"scenario": {"start": 2030, "end": 2029}}, "before scenario.start"),
        ({"scenario": {"overrides": {"warp": 1}}}, r"\['warp'\] in \[scenario.overrides\]"),
        ({"scenario": {"overrides": {"remote_share": 2.0}}}, "share and must lie in"),
        ({"potential": {"weight": "gdp"}}, "choose one of"),
        ({"outputs": {"maps": "yes"}}, "wrong type"),
        ({"potential": {"decay": "gaussian", "scale_km": None}}, "wrong type"),
    ],
)
def test_bad_jobs_name_the_key(doc, message):
    with pytest.raises(InputError, match=message):
        load_job(doc)


def test_missing_or_broken_file(tmp_path):
    with pytest.raises(InputError, match="init-job"):
        load_job(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[grid\nresolution = 1")
    with pytest.raises(InputError, match="not valid TOML"):
        load_job(bad)
