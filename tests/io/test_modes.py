"""Files and folders geoai writes follow the umask (issue #16); a replaced file keeps its mode."""

from __future__ import annotations

import os
import stat
from contextlib import contextmanager

import pytest

from geoai.io._atomic import atomic_path, file_mode, stage_folder, umask
from geoai.io._manifest import Manifest, write_manifest


@contextmanager
def mask(value):
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("value", "file_bits", "dir_bits"), [(0o022, 0o644, 0o755),
                                                              (0o077, 0o600, 0o700),
                                                              (0o002, 0o664, 0o775)])  # fmt: skip
def test_new_files_and_run_folders_follow_the_umask(tmp_path, value, file_bits, dir_bits):
    with mask(value):
        assert umask() == value
        with atomic_path(tmp_path / "a.txt") as tmp:
            tmp.write_text("x")
        stage = stage_folder(tmp_path / "out")
        manifest = write_manifest(stage, Manifest(files={}), job_file=None, job={})
    assert mode(tmp_path / "a.txt") == file_bits
    assert mode(stage) == dir_bits  # tempfile.mkdtemp alone gives 0700 whatever the umask
    assert mode(manifest) == file_bits


def test_a_replaced_file_keeps_its_own_mode(tmp_path):
    target = tmp_path / "shared.txt"
    with atomic_path(target) as tmp:
        tmp.write_text("old")
    target.chmod(0o640)
    with mask(0o022):
        with atomic_path(target, overwrite=True) as tmp:
            tmp.write_text("new")
        assert file_mode() == 0o644
    assert target.read_text() == "new"
    assert mode(target) == 0o640
