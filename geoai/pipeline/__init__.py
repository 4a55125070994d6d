"""The main job: scenarios → roles → potential → styled QGIS layers, maps and a report.

``run(job, out)`` is what ``geoai run`` and ``make run`` do. Stages:

1. data: metros (embedded, or the user's points) and countries;
2. scenarios: each preset simulated year by year, roles from the panel;
3. potential: for each preset, the final-year potential surface and Huff
   market areas on the job's grid (any size: Dask for grids beyond memory);
4. outputs, all in a staging folder: ``geoai.gpkg`` (``metros_<preset>``,
   ``flows_<preset>`` and an aspatial ``panel`` summary, each styled for QGIS
   via ``layer_styles``), ``potential_<preset>.tif`` and
   ``market_areas_<preset>.tif`` (COG + ``.qml``), ``project.qgz``,
   ``maps/*.png``, ``report.md``/``report.html`` and ``panel.parquet``.

Outputs go to a hidden staging folder beside ``out`` and move in only when
every stage succeeded, so an interrupted or failed run leaves the previous
outputs as they were and no staging folder behind. A new ``out`` is the
staging folder renamed; into an existing one the files move one by one
(``os.replace``). Every run writes ``out/.geoai-run.json`` last: geoai's
version, the job, the UTC time, each file written (path, size, SHA-256) and
the folders it created (``geoai.io._manifest``).

geoai never deletes, moves or hides a file it did not write. ``out`` must be
new, empty, or hold a previous run's manifest (then ``overwrite=True``
replaces the files listed there, removes listed files this run no longer
writes if they are unchanged, and leaves every other file alone). Refused
before any computation: the filesystem root, the current folder and its
ancestors, the home folder and its ancestors, a folder holding the job file
or an input data file, a folder with files but no manifest, an output name
taken by a user's file, and a listed file the user changed since.
"""

from __future__ import annotations

from geoai.pipeline._run import (
    RunResult,
    run,
)

__all__ = [
    "RunResult",
    "run",
]
