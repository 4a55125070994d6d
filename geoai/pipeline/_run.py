"""``run``: the main job, staged and swapped in safely (see :mod:`geoai.pipeline`)."""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geoai.pipeline.job import Job, load_job

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd
    from distributed import Client

    from geoai.pipeline._background import BackgroundBands
    from geoai.scenario.simulation import Simulation

__all__ = ["RunResult", "run"]

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    """What a run wrote and computed.

    Attributes
    ----------
    out : pathlib.Path
        The output folder as given.
    files : list of pathlib.Path
        The files written, at their final paths under ``out`` (the manifest not included).
    job : Job
        The validated job that ran.
    summary : pandas.DataFrame
        Headline figures: ``unit``, then one column per preset (as
        :func:`geoai.scenario.compare`).
    simulations : dict of str to Simulation
        The simulation of every preset.
    manifest : pathlib.Path or None
        ``out/.geoai-run.json``, the record of what the run wrote.

    Examples
    --------
    One preset over two years on the 37 largest metros, the GeoPackage and panel only:

    >>> import pathlib, tempfile, geoai
    >>> job = {"data": {"min_population": 10_000_000},
    ...        "scenario": {"presets": ["baseline"], "end": 2026},
    ...        "outputs": {"maps": False, "report": False, "rasters": False,
    ...                    "qgis_project": False, "sensitivity": False, "formats": ["gpkg"]}}
    >>> result = geoai.run(job, pathlib.Path(tempfile.mkdtemp()) / "out", progress=False)
    >>> sorted(p.name for p in result.files), result.manifest.name  # and the data dictionary
    (['README.md', 'fields.csv', 'geoai.gpkg', 'panel.parquet'], '.geoai-run.json')
    >>> result.summary.columns.tolist(), list(result.simulations)
    (['unit', 'baseline'], ['baseline'])
    """

    out: Path
    files: list[Path]
    job: Job
    summary: pd.DataFrame
    simulations: dict[str, Simulation] = field(repr=False, default_factory=dict)
    manifest: Path | None = None


class _Stages:
    """Progress display for the stages (rich), silent when ``progress`` is off."""

    def __init__(self, *, progress: bool, total: int) -> None:
        self.progress = None
        self.began = self.last = time.perf_counter()
        self.cpu = time.process_time()
        self.current = ""
        #: Wall-clock seconds of every stage, in order (logged at the end of the run).
        self.seconds: dict[str, float] = {}
        #: CPU seconds of the process (all its threads) in every stage.
        self.cpu_seconds: dict[str, float] = {}
        if progress:
            from rich.progress import Progress

            self.progress = Progress(transient=False)
            self.task = self.progress.add_task("geoai run", total=total)
            self.progress.start()

    def step(self, text: str) -> None:
        self._lap()
        self.current = text
        log.info(text)
        if self.progress is not None:
            self.progress.update(self.task, advance=1, description=text)

    def note(self, text: str) -> None:
        """Print a finding of the run (what was scaled or assumed), even without progress."""
        if self.progress is not None:
            self.progress.console.print(f"[dim]{text}[/dim]")
        else:
            log.warning(text)

    def mark(self, text: str) -> None:
        """Start timing a part of the current stage (logged, not shown as progress)."""
        self._lap()
        self.current = text

    def _lap(self) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        if self.current:
            key = self.current
            self.seconds[key] = self.seconds.get(key, 0.0) + now - self.last
            self.cpu_seconds[key] = self.cpu_seconds.get(key, 0.0) + cpu - self.cpu
        self.last, self.cpu = now, cpu

    def close(self) -> None:
        self._lap()
        self.current = ""
        if self.progress is not None:
            self.progress.stop()
        total = time.perf_counter() - self.began
        laps = ", ".join(
            f"{k} {t:.1f} s (CPU {self.cpu_seconds[k]:.1f} s)" for k, t in self.seconds.items()
        )
        log.info("run took %.1f s: %s", total, laps)


def run(
    job: str | Path | dict[str, Any] | Job | None = None,
    out: str | Path = "out",
    *,
    overwrite: bool = False,
    scheduler: str | None = None,
    progress: bool = True,
    safe: bool | None = None,
) -> RunResult:
    """Run the whole pipeline and write its outputs to ``out``.

    Every run leaves ``out/.geoai-run.json``, a manifest of the files it wrote
    (path, size, SHA-256) and the folders it created. geoai only ever
    replaces or removes files listed there whose bytes still match; any other
    file in ``out`` is left as it is.

    Parameters
    ----------
    job : path, dict, Job or None
        A TOML job file (``geoai init-job`` writes a commented example), the
        same tables as a dict, or None for the defaults.
    out : path
        Output folder: a new folder, an empty one, or the folder of an earlier
        run (with ``overwrite``). ``~`` is expanded and symlinks are resolved.
    overwrite : bool
        Replace the outputs of an earlier run in ``out``: the files its
        manifest lists are replaced, those this run does not write again are
        removed if unchanged; files geoai did not write are never touched.
    scheduler : str, optional
        A ``dask.distributed`` address for the potential grids (overrides the job).
    progress : bool
        Show stage-by-stage progress.
    safe : bool or None, default None
        Read the job inside a trust boundary (:func:`geoai.pipeline.job.load_job`):
        None is automatic (safe when the job file belongs to another user).

    Returns
    -------
    RunResult
        ``files`` lists the outputs at their final paths under ``out``.

    Raises
    ------
    InputError
        Before any computation, if ``out`` is the filesystem root, the current
        folder or one of its ancestors, the home folder or one of its
        ancestors, or a folder holding the job file or an input data file; if
        it holds files and no manifest; if it holds a manifest and
        ``overwrite`` is False; or if an output would replace a file geoai did
        not write or one changed since geoai wrote it.

    Examples
    --------
    >>> import pathlib, tempfile, geoai
    >>> job = {"data": {"min_population": 10_000_000},
    ...        "scenario": {"presets": ["baseline"], "end": 2026},
    ...        "outputs": {"maps": False, "report": False, "rasters": False,
    ...                    "qgis_project": False, "sensitivity": False}}
    >>> result = geoai.run(job, pathlib.Path(tempfile.mkdtemp()) / "out", progress=False)
    >>> import pyogrio
    >>> layers = pyogrio.list_layers(result.out / "geoai.gpkg")[:, 0]
    >>> layers.tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['metros_baseline', 'flows_talent_baseline', 'flows_capital_baseline', 'panel_baseline',
     'countries', 'panel', 'layer_styles']
    >>> try:  # the folder now holds a run: replacing it needs overwrite=True
    ...     geoai.run(job, result.out, progress=False)
    ... except ValueError as exc:
    ...     print("overwrite" in str(exc))
    True
    """
    from geoai._scheduler import connected
    from geoai.io._outputs import OutputFolder

    cfg = load_job(job, safe=safe)
    target = Path(out).expanduser()
    folder = OutputFolder(
        target,
        command="run",
        overwrite=overwrite,
        inputs=cfg.input_paths(),
        planned=_planned(cfg),
        note=log.warning,
    )
    banded = cfg.report and cfg.sensitivity
    local = (scheduler or cfg.scheduler or None) is None
    steps = 4 + 2 * len(cfg.presets) + (int(banded) if local else len(cfg.presets))
    stages = _Stages(progress=progress, total=steps)
    folder.note = stages.note
    try:
        with folder, connected(scheduler or cfg.scheduler or None) as live:
            result = _run_into(cfg, folder.stage, stages, live)
            job_file = cfg.input_paths().get("job file")
            job_info = {"job": cfg.as_dict(), "job_file": job_file and str(job_file.resolve())}
            result.manifest = target / folder.commit(job_info).name
    finally:
        stages.close()
    result.out = target
    result.files = sorted(target / f.relative_to(folder.stage) for f in result.files)
    return result


def _planned(cfg: Job) -> set[str]:
    """Every relative path a run of ``cfg`` may write (a superset: some maps are optional)."""
    from geoai.pipeline._exports import planned_exports
    from geoai.pipeline._maps import map_names
    from geoai.pipeline._project import layout_pdf_names

    names = {"geoai.gpkg", "panel.parquet", "fields.csv", "README.md"}
    names |= planned_exports(cfg.presets, cfg.formats)
    for p in cfg.presets:
        if cfg.rasters:
            names |= {f"{k}_{p}.{x}" for k in ("potential", "market_areas") for x in ("tif", "qml")}
    if cfg.maps:
        names |= {*map_names(cfg.presets, cfg.map_formats), "map.html"}
    if cfg.qgis_project:
        names |= {"project.qgz", *layout_pdf_names(cfg)}
    if cfg.report:
        names |= {"report.md", "report.html"}
    return names


def _run_into(cfg: Job, folder: Path, stages: _Stages, scheduler: str | Client | None) -> RunResult:
    from geoai.datasets import load_countries
    from geoai.pipeline._places import load as load_places

    stages.step("loading metros")
    metros = load_places(cfg)
    countries = load_countries()
    background = _start_bands(cfg, metros, countries, scheduler)
    try:
        return _compute_and_write(
            cfg,
            folder,
            stages,
            scheduler=scheduler,
            places=(metros, countries),
            background=background,
        )
    finally:
        if background is not None:
            background.cancel()


def _start_bands(
    cfg: Job, metros: gpd.GeoDataFrame, countries: pd.DataFrame, scheduler: str | Client | None
) -> BackgroundBands | None:
    """Start the report's sensitivity bands in a second process (local scheduler only)."""
    from geoai.pipeline._background import BackgroundBands

    if not (cfg.report and cfg.sensitivity) or scheduler is not None:
        return None  # none to compute, or a Dask cluster computes them in their turn
    from geoai._scheduler import usable_cores

    if usable_cores() < 2:
        return None  # one core: nothing to overlap, the bands run in their turn
    try:
        return BackgroundBands(cfg, metros, countries)
    except OSError as exc:  # no second process here: the bands run in their turn
        log.warning("sensitivity bands in this process (%s)", exc)
        return None


def _simulate(
    cfg: Job, metros: gpd.GeoDataFrame, countries: pd.DataFrame, stages: _Stages
) -> dict[str, Simulation]:
    """Simulate every preset of the job, in order."""
    from geoai import scenario

    sims: dict[str, Simulation] = {}
    for name in cfg.presets:
        stages.step(f"scenario {name}")
        sims[name] = scenario.simulate(
            metros,
            countries,
            params=cfg.params(name),
            start=cfg.start,
            end=cfg.end,
            seed=cfg.seed,
        )
        sims[name].preset = name
    if cfg.metros != "embedded":  # say what was scaled to the user's metros
        for note in next(iter(sims.values())).notes[1:]:
            stages.note(note)
    return sims


def _compute_and_write(
    cfg: Job,
    folder: Path,
    stages: _Stages,
    *,
    scheduler: str | Client | None,
    places: tuple[gpd.GeoDataFrame, pd.DataFrame],
    background: BackgroundBands | None,
) -> RunResult:
    """Simulate the presets, write every file and collect the report's bands."""
    from geoai import scenario
    from geoai.datasets import ATTRIBUTION
    from geoai.io._dictionary import write_dictionary
    from geoai.pipeline._exports import export_layers
    from geoai.pipeline._layers import flow_lines, write_vectors
    from geoai.pipeline._rasters import write_rasters
    from geoai.pipeline._report import job_bands, write_report

    metros, countries = places
    sims = _simulate(cfg, metros, countries, stages)
    rasters = write_rasters(cfg, sims, folder, stages.step)
    stages.step("writing the GeoPackage and panel")
    lines = flow_lines(cfg, sims)
    files = write_vectors(cfg, sims, lines, folder)
    stages.mark("exporting the layers")
    files += export_layers(folder / "geoai.gpkg", folder, cfg.formats)
    files += _maps_and_layouts(
        cfg, sims, lines=lines, rasters=rasters, folder=folder, stages=stages
    )
    summary = scenario.compare(sims)
    if cfg.report:
        if background is not None:
            stages.step("sensitivity bands (computed in a second process meanwhile)")
            bands = background.result()
            log.info("the sensitivity bands' process took %.1f s", background.seconds)
        else:
            bands = job_bands(cfg, metros, countries, scheduler, stages.step)
        stages.step("writing the report")
        files += write_report(cfg, sims, bands, folder)
    stages.mark("data dictionary")
    files += [p for pair in rasters.values() for p in pair]
    files += [p.with_suffix(".qml") for pair in rasters.values() for p in pair]
    source = metros.attrs.get("source") or ATTRIBUTION
    intro = (
        f"What `geoai run` wrote here ({', '.join(cfg.presets)}, {cfg.start}-{cfg.end}). {source}"
    )
    files += write_dictionary(folder, title="Data dictionary", intro=intro)
    return RunResult(out=folder, files=files, job=cfg, summary=summary, simulations=sims)


def _maps_and_layouts(
    cfg: Job,
    sims: dict[str, Simulation],
    *,
    lines: dict[str, dict[str, gpd.GeoDataFrame]],
    rasters: dict[str, tuple[Path, Path]],
    folder: Path,
    stages: _Stages,
) -> list[Path]:
    """Draw the maps and the web map; write the QGIS project (QGIS prints its layouts meanwhile)."""
    from geoai.pipeline._maps import write_maps
    from geoai.pipeline._project import write_layout_pdfs, write_project_file
    from geoai.pipeline._webmap import write_webmap_file

    files: list[Path] = []
    layouts: Future[list[Path]] | None = None
    if cfg.qgis_project:  # QGIS prints the layouts in its own process while the maps are drawn
        stages.mark("QGIS project")
        files.append(write_project_file(cfg, rasters, folder))
        pool = ThreadPoolExecutor(1, thread_name_prefix="geoai-layouts")
        layouts = pool.submit(write_layout_pdfs, cfg, folder, stages.note)
        pool.shutdown(wait=False)  # the one task runs on; nothing else is queued
    try:
        if cfg.maps:
            shown = "/".join(f.upper() for f in cfg.map_formats)
            vector = "" if "svg" in cfg.map_formats else "; SVG/PDF with [outputs] map_formats"
            stages.step(f"drawing maps ({shown}{vector})")
            files += write_maps(cfg, sims, lines, rasters, folder)
            stages.mark("web map")
            files.append(write_webmap_file(cfg, sims, lines, folder))
    except BaseException:
        if layouts is not None:  # QGIS is writing into the staging folder: let it finish first
            wait([layouts])
        raise
    if layouts is not None:
        stages.mark("QGIS layouts (printed meanwhile)")
        files += layouts.result()
    return files
