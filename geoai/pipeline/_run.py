"""``run``: the main job, staged and swapped in safely (see :mod:`geoai.pipeline`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geoai.errors import InputError
from geoai.pipeline.job import Job, load_job

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd
    from distributed import Client

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
    ...                    "qgis_project": False, "sensitivity": False}}
    >>> result = geoai.run(job, pathlib.Path(tempfile.mkdtemp()) / "out", progress=False)
    >>> sorted(p.name for p in result.files), result.manifest.name
    (['geoai.gpkg', 'panel.parquet'], '.geoai-run.json')
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
        if progress:
            from rich.progress import Progress

            self.progress = Progress(transient=False)
            self.task = self.progress.add_task("geoai run", total=total)
            self.progress.start()

    def step(self, text: str) -> None:
        log.info(text)
        if self.progress is not None:
            self.progress.update(self.task, advance=1, description=text)

    def note(self, text: str) -> None:
        """Print a finding of the run (what was scaled or assumed), even without progress."""
        if self.progress is not None:
            self.progress.console.print(f"[dim]{text}[/dim]")
        else:
            log.warning(text)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def _metros(job: Job) -> gpd.GeoDataFrame:
    from geoai.datasets import load_countries, load_metros
    from geoai.io.vector import read_points
    from geoai.labour import MODELLED_SOURCE, model_jobs

    if job.metros == "embedded":
        return load_metros(job.min_population, year=job.start)
    pts = read_points(job.metros)
    need = {"metro_id", "country_iso3", "population"}
    missing = need - set(pts.columns)
    if missing:
        raise InputError(
            f"{job.metros} lacks column(s) {sorted(missing)}; metros need metro_id, "
            "country_iso3 and population."
        )
    pts = pts.to_crs(4326)
    if not {"jobs_routine", "jobs_augmentable", "jobs_local"} <= set(pts.columns):
        countries = load_countries()
        y = pts["country_iso3"].map(countries["gdp_pc_usd"])
        if y.isna().any():
            bad = pts.loc[y.isna(), "country_iso3"].unique()[:5].tolist()
            raise InputError(f"no GDP per capita for countries {bad}; fix country_iso3.")
        jobs = model_jobs(pts["population"].to_numpy(float), y.to_numpy(float))
        pts = pts.join(jobs.set_index(pts.index))
        pts["gdp_pc_usd"] = y
        pts["labour_source"] = MODELLED_SOURCE
    return pts


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
    >>> pyogrio.list_layers(result.out / "geoai.gpkg")[:, 0].tolist()
    ['metros_baseline', 'flows_baseline', 'panel', 'layer_styles']
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
    stages = _Stages(progress=progress, total=4 + 3 * len(cfg.presets))
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
    names = {"geoai.gpkg", "panel.parquet"}
    for p in cfg.presets:
        if cfg.rasters:
            names |= {f"{k}_{p}.{x}" for k in ("potential", "market_areas") for x in ("tif", "qml")}
        if cfg.maps:
            names |= {f"maps/roles_{p}.png", f"maps/flows_{p}.png", f"maps/potential_{p}.png"}
    if cfg.maps:
        names.add("maps/comparison.png")
    if cfg.qgis_project:
        names.add("project.qgz")
    if cfg.report:
        names |= {"report.md", "report.html"}
    return names


def _run_into(cfg: Job, folder: Path, stages: _Stages, scheduler: str | Client | None) -> RunResult:
    from geoai import scenario
    from geoai.datasets import load_countries
    from geoai.pipeline._layers import flow_lines, write_vectors
    from geoai.pipeline._maps import write_maps
    from geoai.pipeline._project import write_project_file
    from geoai.pipeline._rasters import write_rasters
    from geoai.pipeline._report import job_bands, write_report

    stages.step("loading metros")
    metros = _metros(cfg)
    countries = load_countries()
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
    rasters = write_rasters(cfg, sims, folder, stages.step)
    stages.step("writing the GeoPackage and panel")
    lines = flow_lines(cfg, sims)
    files = write_vectors(cfg, sims, lines, folder)
    if cfg.maps:
        stages.step("drawing maps")
        files += write_maps(cfg, sims, lines, rasters, folder)
    if cfg.qgis_project:
        files.append(write_project_file(cfg, rasters, folder))
    summary = scenario.compare(sims)
    if cfg.report:
        bands = job_bands(cfg, metros, countries, scheduler, stages.step)
        stages.step("writing the report")
        files += write_report(cfg, sims, bands, folder)
    files += [p for pair in rasters.values() for p in pair]
    files += [p.with_suffix(".qml") for pair in rasters.values() for p in pair]
    return RunResult(out=folder, files=files, job=cfg, summary=summary, simulations=sims)
