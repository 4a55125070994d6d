"""The PyQGIS probe: a Python with PyQGIS is started once per process, one without each time."""

from __future__ import annotations

import stat

from geoai.io import _layout
from geoai.io.project import qgis_python


def _interpreter(folder, name, status):
    """An executable that logs each start and exits with ``status`` (0: "imports qgis.core")."""
    exe = folder / name
    log = folder / f"{name}.log"
    exe.write_text(f"#!/bin/sh\necho started >> '{log}'\nexit {status}\n", encoding="utf-8")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return str(exe), log


def test_a_python_with_qgis_is_probed_once(tmp_path, monkeypatch):
    monkeypatch.setattr(_layout, "_WITH_QGIS", set())
    exe, log = _interpreter(tmp_path, "good", 0)
    assert qgis_python(exe) == exe
    assert qgis_python(exe) == exe
    monkeypatch.setenv("GEOAI_QGIS_PYTHON", exe)
    assert qgis_python() == exe
    assert log.read_text().count("started") == 1


def test_a_python_without_qgis_is_probed_again(tmp_path, monkeypatch):
    monkeypatch.setattr(_layout, "_WITH_QGIS", set())
    exe, log = _interpreter(tmp_path, "bad", 1)
    assert qgis_python(exe) is None
    assert qgis_python(exe) is None
    assert log.read_text().count("started") == 2
    assert qgis_python(str(tmp_path / "missing")) is None
