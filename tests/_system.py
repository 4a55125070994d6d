"""The system Python with the Debian GIS stack (PyQGIS, GDAL's utilities) that some tests drive.

Those tests check our files in the real programs a GIS analyst uses. Where the
system packages are missing (a developer's laptop without QGIS), they are
skipped with the reason and the fix; ``.ci/run`` installs the packages, so CI
runs them. Set ``GEOAI_REQUIRE_SYSTEM_GIS=1`` to turn a missing package into
a failure instead.
"""

from __future__ import annotations

import functools
import os
import subprocess

import pytest

SYSTEM_PYTHON = "/usr/bin/python3"

#: What each probe imports, and the Debian packages that provide it.
_PROBES = {
    "qgis": ("import qgis.core", "qgis python3-qgis qgis-providers"),
    "gdal": (
        "import osgeo_utils.samples.validate_cloud_optimized_geotiff",
        "python3-gdal gdal-bin",
    ),
}


@functools.cache
def _missing(kind: str) -> str:
    code, packages = _PROBES[kind]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    try:
        res = subprocess.run(
            [SYSTEM_PYTHON, "-c", code], capture_output=True, text=True, env=env, timeout=120,
            check=False,
        )  # fmt: skip
    except FileNotFoundError:
        return f"{SYSTEM_PYTHON} not found; install the Debian packages {packages} (see .ci/run)"
    if res.returncode != 0:
        return (
            f"{SYSTEM_PYTHON} cannot `{code}` ({res.stderr.strip()[-200:]}); install the Debian "
            f"packages {packages} (see .ci/run)"
        )
    return ""


def require(kind: str) -> None:
    """Skip the calling test, with the reason and the fix, unless ``kind`` (qgis, gdal) is there."""
    why = _missing(kind)
    if not why:
        return
    if os.environ.get("GEOAI_REQUIRE_SYSTEM_GIS") == "1":
        pytest.fail(why)
    pytest.skip(why)
