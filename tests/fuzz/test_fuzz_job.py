"""Fuzz the job schema: generated job dicts and TOML texts give a Job or a geoai error.

Two targets of ``FUZZ`` examples each (600 in all): job dicts whose every key is
usually valid and sometimes junk (or a misspelt key, a table where a value belongs),
and TOML texts (the same dicts written out, then sometimes mangled into bytes that are
not UTF-8, not TOML, or nested deeply), read from a file through ``load_job``,
sometimes in safe mode. A Job that comes back is checked against what the schema
promises.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from geoai.pipeline.job import Job, load_job
from geoai.scenario.presets import PRESETS
from tests.fuzz._harness import FUZZ, Refused, junk, outcome

ODD = st.one_of(
    junk(),
    st.text(max_size=12),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
    st.lists(st.integers(-3, 3), max_size=5),
    st.just(10**5000),
)


def _maybe(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually ``good``; sometimes anything."""
    return st.one_of(good, good, good, ODD)


GOOD = {
    "data": {
        "metros": st.sampled_from(["embedded", "nope.csv", "/dev/zero", ".", "/vsicurl/x.csv"]),
        "min_population": st.one_of(st.floats(0, 5e7), st.integers(0, 10**8)),
    },
    "scenario": {
        "presets": st.lists(st.sampled_from(sorted(PRESETS)), min_size=1, max_size=4),
        "start": st.integers(1940, 2040),
        "end": st.integers(2000, 2300),
        "seed": st.integers(-2, 2**64),
        "overrides": st.dictionaries(
            st.sampled_from(["mobility", "remote_share", "ai_pool_max", "mobilty"]),
            st.one_of(st.floats(-1, 10), st.just(math.nan)),
            max_size=2,
        ),
        "preset_overrides": st.dictionaries(
            st.sampled_from(["exodus", "baseline", "exodos"]),
            st.dictionaries(st.just("remote_share"), st.floats(-0.5, 1.5), max_size=1),
            max_size=2,
        ),
    },
    "grid": {
        "bounds": st.one_of(
            st.just([-180.0, -60.0, 180.0, 78.0]),
            st.just([2.5e6, 1.4e6, 6.5e6, 5.4e6]),
            st.lists(st.one_of(st.floats(-400, 400), st.just(math.nan)), min_size=3, max_size=5),
        ),
        "resolution": st.one_of(st.floats(-1, 30), st.sampled_from([0.25, 1e4, 1e-12])),
        "crs": st.sampled_from(["EPSG:4326", "EPSG:3035", "EPSG:3857", "nonsense", ""]),
    },
    "potential": {
        "weight": st.sampled_from(["ai_jobs", "talent", "population", "gdp", "talnet"]),
        "decay": st.sampled_from(["exponential", "gaussian", "power", "box", "tanner", "expo"]),
        "scale_km": st.floats(-10, 2000),
        "beta": st.floats(-1, 5),
        "method": st.sampled_from(["auto", "direct", "fft", "dask", "gpu"]),
    },
    "outputs": {
        "maps": st.booleans(),
        "report": st.booleans(),
        "rasters": st.booleans(),
        "qgis_project": st.booleans(),
        "sensitivity": st.booleans(),
        "top_flows": st.integers(-5, 2_000_000),
    },
    "dask": {
        "scheduler": st.sampled_from(["", "tcp://127.0.0.1:8786", "tcp://x", "threads", "h:1"]),
    },
}


#: Values the schema accepts (alone: some pairs still clash, e.g. end before start).
VALID = {
    "data": {"metros": st.just("embedded"), "min_population": st.floats(0, 5e7)},
    "scenario": {
        "presets": st.lists(st.sampled_from(sorted(PRESETS)), min_size=1, max_size=4, unique=True),
        "start": st.integers(2015, 2030),
        "end": st.integers(2030, 2200),
        "seed": st.integers(0, 2**63 - 1),
        "overrides": st.fixed_dictionaries({}, optional={"mobility": st.floats(0.01, 1)}),
    },
    "grid": {"resolution": st.sampled_from([0.25, 0.5, 1.0, 2.0]), "crs": st.just("EPSG:4326")},
    "potential": {
        "weight": st.sampled_from(["ai_jobs", "talent", "population", "capital"]),
        "decay": st.sampled_from(["exponential", "gaussian", "box"]),
        "scale_km": st.floats(1, 2000),
        "method": st.sampled_from(["auto", "direct", "fft", "dask"]),
    },
    "outputs": {k: st.booleans() for k in ("maps", "report", "rasters", "sensitivity")}
    | {"top_flows": st.integers(0, 1_000_000)},
    "dask": {"scheduler": st.sampled_from(["", "tcp://127.0.0.1:8786", "h:1"])},
}


@st.composite
def job_docs(draw: st.DrawFn) -> dict[Any, Any]:
    if draw(st.booleans()):  # half the jobs are built of accepted values only
        return {
            table: draw(st.fixed_dictionaries({}, optional=keys))
            for table, keys in VALID.items()
            if draw(st.booleans())
        }
    doc: dict[Any, Any] = {}
    for table in draw(st.lists(st.sampled_from([*GOOD, "grids"]), unique=True, max_size=7)):
        if table not in GOOD or draw(st.integers(0, 19)) == 0:
            doc[table] = draw(ODD)  # an unknown table, or a value where a table belongs
            continue
        keys = draw(st.lists(st.sampled_from([*GOOD[table], "typo"]), unique=True, max_size=4))
        doc[table] = {
            k: draw(_maybe(GOOD[table][k])) if k in GOOD[table] else draw(ODD) for k in keys
        }
    return doc


def _check_job(job: Job) -> None:
    assert isinstance(job, Job)
    assert job.presets
    assert set(job.presets) <= set(PRESETS)
    assert len(set(job.presets)) == len(job.presets)
    assert 1950 <= job.start <= job.end <= 2200
    assert 0 <= job.seed < 2**63
    assert math.isfinite(job.resolution)
    assert job.resolution > 0
    xmin, ymin, xmax, ymax = job.bounds
    assert all(map(math.isfinite, job.bounds))
    assert xmin < xmax
    assert ymin < ymax
    assert job.min_population >= 0
    assert 0 <= job.top_flows <= 1_000_000
    assert job.scale_km is None or (math.isfinite(job.scale_km) and job.scale_km > 0)
    assert job.beta is None or (math.isfinite(job.beta) and job.beta > 0)
    assert job.scheduler == "" or job.scheduler.startswith(("tcp://", "tls://", "inproc://"))
    for value in job.overrides.values():
        assert math.isfinite(value)
    for name in job.presets:
        job.params(name)


@FUZZ
@given(doc=job_docs(), safe=st.sampled_from([None, False, True]))
def test_fuzz_job_dicts(doc, safe):
    result = outcome(load_job, doc, safe=safe)
    if not isinstance(result, Refused):
        _check_job(result)
        assert result.safe is bool(safe)
        if safe:
            assert result.scheduler == ""


def _toml_value(value: Any) -> str | None:
    """``value`` in TOML, or None where TOML has no spelling for it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) < 10**4000 else "9" * 5000  # too long to read
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else ("inf" if value > 0 else "-inf")
            if math.isinf(value)
            else repr(value)
        )
    if isinstance(value, str):
        return (
            '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
            if value.isprintable()
            else None
        )
    if isinstance(value, list | tuple):
        items = [_toml_value(v) for v in value]
        return None if None in items else "[" + ", ".join(items) + "]"  # type: ignore[arg-type]
    if isinstance(value, dict):
        items = [(k, _toml_value(v)) for k, v in value.items()]
        if any(v is None or not str(k).isidentifier() for k, v in items):
            return None
        return "{" + ", ".join(f"{k} = {v}" for k, v in items) + "}"
    return None


def _toml(doc: dict[Any, Any]) -> str:
    lines = []
    for table, body in doc.items():
        if not isinstance(body, dict):
            text = _toml_value(body)
            if text is not None and str(table).isidentifier():
                lines.insert(0, f"{table} = {text}")
            continue
        lines.append(f"[{table}]")
        for key, value in body.items():
            text = _toml_value(value)
            if text is not None and str(key).isidentifier():
                lines.append(f"{key} = {text}")
    return "\n".join(lines) + "\n"


MANGLE = st.sampled_from(["none", "none", "none", "latin1", "truncate", "bomb", "garbage", "bom"])


@FUZZ
@given(doc=job_docs(), how=MANGLE, cut=st.integers(0, 200), safe=st.sampled_from([None, True]))
def test_fuzz_job_files(tmp_path_factory, doc, how, cut, safe):
    raw = _toml(doc).encode()
    if how == "latin1":
        raw = raw[:cut] + b"\xe9\xff" + raw[cut:]
    elif how == "truncate":
        raw = raw[:cut]
    elif how == "bomb":
        raw += b"x = " + b"[" * 3000 + b"]" * 3000 + b"\n"
    elif how == "garbage":
        raw = raw[:cut] + b'= [ "\x00 \n[[' + raw[cut:]
    elif how == "bom":
        raw = b"\xef\xbb\xbf" + raw
    path = tmp_path_factory.mktemp("job") / "job.toml"
    path.write_bytes(raw)
    result = outcome(load_job, path, safe=safe)
    if isinstance(result, Refused):
        assert "\n" not in str(result.error)
    else:
        _check_job(result)
        assert result.source == str(path)
