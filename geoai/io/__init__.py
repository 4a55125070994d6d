"""Readers and writers: vector layers, rasters, QGIS styles and projects, reports.

Every writer is atomic: it writes a temporary file beside the target and
renames it into place only when complete, so a crash never leaves a
half-written output and never destroys an existing one.
"""

from __future__ import annotations

from geoai.io._atomic import atomic_path
from geoai.io.gpkg import read_styles, write_layers
from geoai.io.project import ProjectLayer, write_project
from geoai.io.raster import write_raster
from geoai.io.vector import read_points, write_vector

__all__ = [
    "ProjectLayer",
    "atomic_path",
    "read_points",
    "read_styles",
    "write_layers",
    "write_project",
    "write_raster",
    "write_vector",
]
