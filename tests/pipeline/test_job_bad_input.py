"""Job files at the boundary: every bad value is one geoai error naming the key and the fix.

Each case of issue #16 in this area is a named test: a non-UTF-8 job file, strings in
bounds, nested presets, a bad seed, a 5,000-digit integer, a grid CRS that contradicts its
bounds, degree bounds on a projected grid, unknown keys, wrong types, a data path that is a
folder, missing or a device, a huge job file and a TOML bomb.
"""

from __future__ import annotations

import math
import time

import pytest

from geoai import CRSError, GeoAIError, InputError
from geoai.pipeline._jobfile import MAX_JOB_BYTES, shown
from geoai.pipeline.job import EXAMPLE_JOB, load_job

HUGE = 10**5000


def _id(value):
    """A test id that never prints a 5,000-digit integer (its str() would raise)."""
    text = shown(value)
    return text if len(text) < 50 else text[:47] + "..."


def _refused(doc, *fragments, kind=InputError):
    with pytest.raises(kind) as info:
        load_job(doc)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert "\n" not in message
    assert len(message) < 600
    return message


def test_non_utf8_job_file(tmp_path):
    path = tmp_path / "job.toml"
    path.write_bytes(b"[scenario]\nend = 2030\n# caf\xe9 latin-1\n")
    message = _refused(path, "not UTF-8", "line 3", "save the job file as UTF-8")
    assert "caf" not in message  # the file is never quoted


def test_a_utf8_bom_is_read():
    job = load_job({"scenario": {"end": 2030}})
    assert job.end == 2030


def test_bom_file(tmp_path):
    path = tmp_path / "job.toml"
    path.write_bytes(b"\xef\xbb\xbf[scenario]\nend = 2031\n")
    assert load_job(path).end == 2031


@pytest.mark.parametrize("bounds", [["a", 0, 1, 1], [0, 0, 1, "1"], [0, 0, [1], 1]])
def test_strings_or_lists_in_bounds(bounds):
    _refused({"grid": {"bounds": bounds}}, "grid.bounds[", "expected a number")


@pytest.mark.parametrize("bounds", [[0, 0, 1], [0, 0, 1, 1, 1], [], "0,0,1,1", 5])
def test_bounds_of_the_wrong_shape(bounds):
    with pytest.raises(InputError, match=r"grid\.bounds"):
        load_job({"grid": {"bounds": bounds}})


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, HUGE], ids=_id)
def test_non_finite_bounds(bad):
    _refused({"grid": {"bounds": [0, 0, bad, 10]}}, "grid.bounds[2]", "finite")


@pytest.mark.parametrize("presets", [[["exodus"]], [{"a": 1}], [1], [None], "exodus", [], {}])
def test_nested_or_non_string_presets(presets):
    _refused({"scenario": {"presets": presets}}, "scenario.presets")


def test_a_misspelt_preset_gets_a_suggestion():
    _refused({"scenario": {"presets": ["exodos"]}}, "not known", "Did you mean 'exodus'?")


def test_a_repeated_preset():
    _refused({"scenario": {"presets": ["exodus", "exodus"]}}, "twice")


@pytest.mark.parametrize("seed", [-1, 1.5, 2**63, HUGE, "0", True, None, math.nan], ids=_id)
def test_bad_seeds_name_the_key_and_the_range(seed):
    message = _refused({"scenario": {"seed": seed}}, "scenario.seed", "seed = 0")
    assert "numpy" not in message


def test_whole_floats_are_whole_numbers():
    assert load_job({"scenario": {"seed": 7.0, "end": 2030.0}}).seed == 7


@pytest.mark.parametrize(
    "doc",
    [
        {"scenario": {"seed": HUGE}},
        {"scenario": {"start": HUGE}},
        {"scenario": {"end": -HUGE}},
        {"scenario": {"overrides": {"mobility": HUGE}}},
        {"scenario": {"preset_overrides": {"exodus": {"remote_share": HUGE}}}},
        {"grid": {"resolution": HUGE}},
        {"grid": {"bounds": [0, 0, HUGE, 1]}},
        {"data": {"min_population": HUGE}},
        {"potential": {"scale_km": HUGE}},
        {"potential": {"beta": HUGE}},
        {"outputs": {"top_flows": HUGE}},
        {"potential": {"weight": HUGE}},
        {"dask": {"scheduler": HUGE}},
        {"outputs": {"maps": HUGE}},
    ],
    ids=lambda doc: next(iter(doc)) + "." + next(iter(next(iter(doc.values())))),
)
def test_a_5000_digit_integer_anywhere(doc):
    message = _refused(doc, "an integer of about 5001 digits")
    assert "1" * 50 not in message


def test_a_5000_digit_integer_in_a_job_file(tmp_path):
    path = tmp_path / "job.toml"
    path.write_text("[scenario]\nseed = " + "9" * 5000 + "\n")
    message = _refused(path, "too long to read")
    assert "9" * 50 not in message


def test_degree_bounds_on_a_projected_grid():
    _refused(
        {"grid": {"crs": "EPSG:3035", "bounds": [-10, 35, 30, 70], "resolution": 1000}},
        "look like longitude/latitude degrees",
        "EPSG:3035",
        'crs = "EPSG:4326"',
        kind=CRSError,
    )


def test_a_projected_crs_with_the_default_world_bounds():
    # the CRS alone was changed: the default bounds are degrees
    _refused({"grid": {"crs": "EPSG:3857"}}, "grid.bounds", "EPSG:3857", kind=CRSError)


def test_metre_bounds_on_a_geographic_grid():
    _refused(
        {"grid": {"bounds": [0, 0, 5e6, 5e6]}},
        "not longitude/latitude degrees",
        "EPSG:4326",
        kind=CRSError,
    )


def test_projected_bounds_in_metres_are_accepted():
    job = load_job(
        {"grid": {"crs": "EPSG:3035", "bounds": [2.5e6, 1.4e6, 6.5e6, 5.4e6], "resolution": 1e4}}
    )
    assert job.crs == "EPSG:3035"
    assert job.bounds == (2.5e6, 1.4e6, 6.5e6, 5.4e6)


def test_a_grid_too_fine_to_describe():
    _refused({"grid": {"resolution": 1e-9}}, "[grid]", "resolution")


@pytest.mark.parametrize(
    ("doc", "key", "suggestion"),
    [
        ({"scenrio": {}}, "[top level]", "scenario"),
        ({"grid": {"resolutin": 1}}, "[grid]", "resolution"),
        ({"potential": {"weigth": "ai_jobs"}}, "[potential]", "weight"),
        ({"outputs": {"map": True}}, "[outputs]", "maps"),
        ({"scenario": {"overrides": {"mobilty": 0.1}}}, "[scenario.overrides]", "mobility"),
        ({"dask": {"schedular": ""}}, "[dask]", "scheduler"),
    ],
)
def test_unknown_keys_get_a_did_you_mean(doc, key, suggestion):
    _refused(doc, "unknown key(s)", key, f"Did you mean {suggestion!r}?")


@pytest.mark.parametrize(
    ("doc", "key"),
    [
        ({"potential": {"decay": "exponentail"}}, "potential.decay"),
        ({"potential": {"method": "ftt"}}, "potential.method"),
        ({"potential": {"weight": "talnet"}}, "potential.weight"),
    ],
)
def test_misspelt_choices_get_a_did_you_mean(doc, key):
    _refused(doc, key, "choose one of", "Did you mean")


WRONG_TYPES = [
    ("data", "metros", 5),
    ("data", "places", 5),
    ("data", "id", 3),
    ("data", "population", ["pop"]),
    ("data", "min_population", "many"),
    ("scenario", "presets", {"a": 1}),
    ("scenario", "start", "2025"),
    ("scenario", "end", [2050]),
    ("scenario", "seed", {"x": 1}),
    ("scenario", "overrides", [1]),
    ("scenario", "preset_overrides", "exodus"),
    ("grid", "bounds", {"x": 1}),
    ("grid", "resolution", "fine"),
    ("grid", "crs", 4326),
    ("potential", "weight", 1),
    ("potential", "decay", ["power"]),
    ("potential", "scale_km", "300"),
    ("potential", "beta", True),
    ("potential", "method", None),
    ("outputs", "maps", "yes"),
    ("outputs", "report", 1),
    ("outputs", "rasters", None),
    ("outputs", "qgis_project", {"a": 1}),
    ("outputs", "top_flows", 2.5),
    ("outputs", "formats", "parquet"),
    ("outputs", "map_formats", "png"),
    ("outputs", "sensitivity", "false"),
    ("dask", "scheduler", {"address": "tcp://x:1"}),
]


@pytest.mark.parametrize(("table", "key", "value"), WRONG_TYPES)
def test_wrong_types_for_every_field(table, key, value):
    _refused({table: {key: value}}, f"{table}.{key}")


def test_every_field_has_a_wrong_type_case():
    import tomllib

    example = tomllib.loads(EXAMPLE_JOB)
    covered = {(t, k) for t, k, _ in WRONG_TYPES}
    listed = {(t, k) for t, keys in example.items() for k in keys if not isinstance(keys[k], dict)}
    listed |= {("scenario", "preset_overrides"), ("potential", "beta")}
    assert listed <= covered, listed - covered


@pytest.mark.parametrize("table", ["data", "scenario", "grid", "potential", "outputs", "dask"])
def test_a_table_that_is_not_a_table(table):
    _refused({table: [1, 2]}, table, "expected a table")


def test_a_scalar_where_a_nested_table_is_expected():
    _refused({"scenario": {"preset_overrides": {"exodus": 0.4}}}, "preset_overrides.exodus")


def test_a_nested_table_where_a_number_is_expected():
    _refused({"scenario": {"overrides": {"mobility": {"value": 0.1}}}}, "overrides.mobility")


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        ({"grid": {"resolution": -1}}, "grid.resolution must be > 0"),
        ({"grid": {"resolution": math.nan}}, "grid.resolution must be a finite"),
        ({"data": {"min_population": -5}}, "data.min_population must be >= 0"),
        ({"potential": {"scale_km": 0}}, "potential.scale_km must be > 0"),
        ({"potential": {"beta": -1.0}}, "potential.beta must be > 0"),
        ({"outputs": {"top_flows": -1}}, "outputs.top_flows must be a whole number"),
        ({"scenario": {"start": 1800}}, "scenario.start must be a whole number from 1950"),
        ({"scenario": {"end": 2025 + 200_000}}, "scenario.end must be a whole number"),
        ({"scenario": {"start": 2030, "end": 2029}}, "before scenario.start"),
    ],
)
def test_ranges(doc, fragment):
    _refused(doc, fragment)


def test_power_decay_with_a_length_scale():
    _refused({"potential": {"decay": "power", "scale_km": 100}}, "[potential]", "beta")


def test_beta_alone_replaces_the_default_scale():
    job = load_job({"potential": {"beta": 0.01}})
    assert (job.scale_km, job.beta) == (None, 0.01)


def test_metros_path_missing(tmp_path):
    _refused({"data": {"metros": str(tmp_path / "none.csv")}}, "data.metros", "no such file")


def test_metros_path_is_a_folder(tmp_path):
    _refused({"data": {"metros": str(tmp_path)}}, "data.metros", "is a folder")


def test_metros_path_is_a_device_and_is_never_read():
    t0 = time.monotonic()
    _refused({"data": {"metros": "/dev/zero"}}, "data.metros", "a device")
    assert time.monotonic() - t0 < 2.0


def test_metros_path_with_a_nul_byte():
    _refused({"data": {"metros": "a\x00b.csv"}}, "data.metros", "not a path")


def test_job_file_is_a_device_folder_or_missing(tmp_path):
    _refused("/dev/zero", "is a device")
    _refused(tmp_path, "is a folder")
    _refused(tmp_path / "job.toml", "init-job")


def test_a_huge_job_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "job.toml"
    path.write_bytes(b"# " + b"x" * (MAX_JOB_BYTES + 10) + b"\n")
    _refused(path, "more than a job file's limit", "1,048,576")


def test_a_toml_bomb_is_refused(tmp_path):
    path = tmp_path / "job.toml"
    path.write_text("a = " + "[" * 50_000 + "]" * 50_000 + "\n")
    t0 = time.monotonic()
    _refused(path, "nest too deeply")
    assert time.monotonic() - t0 < 5.0


def test_a_toml_syntax_error_does_not_quote_the_file(tmp_path):
    path = tmp_path / "job.toml"
    path.write_text('[grid]\nresolution = "secret-token-123\n')
    message = _refused(path, "not valid TOML", "line 2")
    assert "secret-token" not in message


def test_non_string_keys_in_a_dict_job():
    _refused({1: {}}, "unknown key(s)")
    _refused({"grid": {None: 1}}, "unknown key(s)", "[grid]")


def test_a_long_string_is_cut_in_messages():
    message = _refused({"potential": {"method": "x" * 10_000}}, "potential.method")
    assert "x" * 100 not in message


@pytest.mark.parametrize("job", [5, 1.5, ["job.toml"], object()])
def test_a_job_of_no_known_kind(job):
    _refused(job, "job must be")


@pytest.mark.parametrize("safe", ["yes", 1, 0.0])
def test_safe_must_be_a_bool_or_none(safe):
    with pytest.raises(InputError, match="safe must be"):
        load_job(None, safe=safe)


def test_every_error_is_a_geoai_error():
    for doc in ({"grid": {"crs": "EPSG:3035"}}, {"scenario": {"seed": -1}}):
        with pytest.raises(GeoAIError):
            load_job(doc)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["summary", "--top", "-1"], "--top must be a whole number"),
        (["summary", "--min-population", "nan"], "--min-population must be a finite number"),
        (["potential", "p.csv", "-o", "p.tif", "--bounds", "1,2,3"], "--bounds must be four"),
        (["potential", "p.csv", "-o", "p.tif", "--resolution", "inf"], "--resolution must be"),
        (["potential", "p.csv", "-o", "p.tif", "--method", "ftt"], "Did you mean 'fft'?"),
        (["flows", "p.csv", "-o", "f.gpkg", "--decay", "exponentail"], "Did you mean"),
        (["flows", "p.csv", "-o", "f.gpkg", "--top-k", "-3"], "--top-k must be"),
        (["flows", "p.csv", "-o", "f.gpkg", "--beta", "nan"], "--beta must be"),
        (["run", "/dev/zero"], "is a device"),
    ],
)
def test_cli_options_are_range_checked_in_one_line(tmp_path, monkeypatch, args, fragment):
    from typer.testing import CliRunner

    from geoai.cli import app

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert fragment in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) <= 2  # one message (rich may wrap once)
