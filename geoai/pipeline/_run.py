"""``run``: the main job, staged and swapped in safely (see :mod:`geoai.pipeline`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geoai.pipeline.job import Job, load_job

if TYPE_CHECKING:
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
    from geoai.pipeline._exports import planned_exports
    from geoai.pipeline._maps import map_names
    from geoai.pipeline._project import layout_pdf_names

    names = {"geoai.gpkg", "panel.parquet", "fields.csv", "README.md"}
    names |= planned_exports(cfg.presets, cfg.formats)
    for p in cfg.presets:
        if cfg.rasters:
            names |= {f"{k}_{p}.{x}" for k in ("potential", "market_areas") for x in ("tif", "qml")}
    if cfg.maps:
        names |= {*map_names(cfg.presets), "map.html"}
    if cfg.qgis_project:
        names |= {"project.qgz", *layout_pdf_names(cfg)}
    if cfg.report:
        names |= {"report.md", "report.html"}
    return names


def _run_into(cfg: Job, folder: Path, stages: _Stages, scheduler: str | Client | None) -> RunResult:
    from geoai import scenario
    from geoai.datasets import ATTRIBUTION, load_countries
    from geoai.io._dictionary import write_dictionary
    from geoai.pipeline._exports import export_layers
    from geoai.pipeline._layers import flow_lines, write_vectors
    from geoai.pipeline._maps import write_maps
    from geoai.pipeline._places import load as load_places
    from geoai.pipeline._project import write_layout_pdfs, write_project_file
    from geoai.pipeline._rasters import write_rasters
    from geoai.pipeline._report import job_bands, write_report
    from geoai.pipeline._webmap import write_webmap_file

    stages.step("loading metros")
    metros = load_places(cfg)
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
    files += export_layers(folder / "geoai.gpkg", folder, cfg.formats)
    if cfg.maps:
        stages.step("drawing maps")
        files += write_maps(cfg, sims, lines, rasters, folder)
        files.append(write_webmap_file(cfg, sims, lines, folder))
    if cfg.qgis_project:
        files.append(write_project_file(cfg, rasters, folder))
        files += write_layout_pdfs(cfg, folder, stages.note)
    summary = scenario.compare(sims)
    if cfg.report:
        bands = job_bands(cfg, metros, countries, scheduler, stages.step)
        stages.step("writing the report")
        files += write_report(cfg, sims, bands, folder)
    files += [p for pair in rasters.values() for p in pair]
    files += [p.with_suffix(".qml") for pair in rasters.values() for p in pair]
    source = metros.attrs.get("source") or ATTRIBUTION
    intro = (
        f"What `geoai run` wrote here ({', '.join(cfg.presets)}, {cfg.start}-{cfg.end}). {source}"
    )
    files += write_dictionary(folder, title="Data dictionary", intro=intro)
    return RunResult(out=folder, files=files, job=cfg, summary=summary, simulations=sims)
