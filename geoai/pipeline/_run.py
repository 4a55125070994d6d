"""``run``: the main job, staged and swapped in safely (see :mod:`geoai.pipeline`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from geoai.errors import GeoAIError, InputError
from geoai.pipeline.job import Job, load_job

if TYPE_CHECKING:
    from distributed import Client
    from matplotlib.axes import Axes

    from geoai.scenario.simulation import Simulation

__all__ = ["RunResult", "run"]

log = logging.getLogger(__name__)

_METRO_COLUMNS = (
    "metro_id",
    "name",
    "country_iso3",
    "role",
    "role_score",
    "reasons",
    "population",
    "jobs",
    "jobs_routine",
    "jobs_augmentable",
    "jobs_local",
    "ai_jobs",
    "ai_share",
    "ai_rank",
    "talent",
    "capital",
    "potential",
    "gi_z",
    "gi_p",
    "gi_label",
    "jobs_change",
    "population_change",
    "net_talent",
    "unemployment_rate",
    "fracture",
    "fiscal_buffer",
    "fiscal_stress",
    "huff_centre",
    "huff_probability",
    "largest_talent_to",
    "cbsa",
    "statistical_concept",
    "population_source",
    "start_jobs_source",
    "talent_source",
    "ai_jobs_source",
    "capital_source",
)


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
    rasters = _potential(cfg, sims, folder, stages)
    stages.step("writing the GeoPackage and panel")
    lines = _flow_lines(cfg, sims)
    files = _vectors(cfg, sims, lines, folder)
    if cfg.maps:
        stages.step("drawing maps")
        files += _maps(cfg, sims, lines, rasters, folder)
    if cfg.qgis_project:
        files.append(_project(cfg, rasters, folder))
    summary = scenario.compare(sims)
    if cfg.report:
        bands = job_bands(cfg, metros, countries, scheduler, stages.step)
        stages.step("writing the report")
        files += write_report(cfg, sims, bands, folder)
    files += [p for pair in rasters.values() for p in pair]
    files += [p.with_suffix(".qml") for pair in rasters.values() for p in pair]
    return RunResult(out=folder, files=files, job=cfg, summary=summary, simulations=sims)


def _potential(
    cfg: Job, sims: dict[str, Simulation], folder: Path, stages: _Stages
) -> dict[str, tuple[Path, Path]]:
    """Write the potential and market-area rasters of every preset (on the active scheduler)."""
    from geoai import potential
    from geoai.grid import Grid
    from geoai.io import write_raster

    if not cfg.rasters:
        return {}
    grid = Grid.from_bounds(cfg.bounds, cfg.resolution, crs=cfg.crs)
    out: dict[str, tuple[Path, Path]] = {}
    for name, sim in sims.items():
        stages.step(f"potential {name}")
        final = sim.final
        kw: dict[str, Any] = {"decay": cfg.decay, "scale_km": cfg.scale_km, "beta": cfg.beta}
        surf = potential.surface(final, cfg.weight, grid, method=cfg.method, **kw)
        areas = potential.dominance(final, cfg.weight, grid, **kw)
        surf.attrs["assumption"] = "modelled: scenario output, not observed"
        p1, p2 = folder / f"potential_{name}.tif", folder / f"market_areas_{name}.tif"
        write_raster(surf, p1)
        write_raster(areas["dominant"], p2)
        out[name] = (p1, p2)
    return out


def _metro_layer(sim: Simulation) -> gpd.GeoDataFrame:
    """Return the final-year metros with role, reasons and key indicators for QGIS."""
    keep_index = "metro_id" not in sim.roles.columns
    roles = sim.roles.reset_index(drop=not keep_index)
    if "labour_source" in roles.columns and "start_jobs_source" not in roles.columns:
        roles = roles.rename(columns={"labour_source": "start_jobs_source"})
    cols = [c for c in _METRO_COLUMNS if c in roles.columns]
    layer = gpd.GeoDataFrame(roles[cols], geometry=roles.geometry.values, crs=roles.crs)
    layer["role"] = layer["role"].astype(str)
    for col in layer.columns:
        if layer[col].dtype == object and col != "geometry":
            layer[col] = layer[col].astype(str).replace({"None": "", "nan": ""})
    layer["preset"] = sim.preset
    layer["modelled"] = (
        f"{sim.end} values modelled (assumptions); the {sim.start} start is observed where its "
        "*_source says so"
    )
    return layer


def _flow_lines(cfg: Job, sims: dict[str, Simulation]) -> dict[str, dict[str, gpd.GeoDataFrame]]:
    """Draw the largest final-year flows of every preset and kind as lines, once for all uses."""
    from geoai import flows

    return {
        name: {
            kind: flows.to_lines(table, sim.final.reset_index(drop=True), top=cfg.top_flows)
            for kind, table in sim.flows.items()
            if len(table)
        }
        for name, sim in sims.items()
    }


def _vectors(
    cfg: Job,
    sims: dict[str, Simulation],
    lines: dict[str, dict[str, gpd.GeoDataFrame]],
    folder: Path,
) -> list[Path]:
    from geoai.io.gpkg import write_layers
    from geoai.io.qgis import categorized_points_style, flow_lines_style
    from geoai.viz import ROLE_COLOURS

    layers: dict[str, pd.DataFrame] = {}
    styles: dict[str, str] = {}
    panels = []
    for name, sim in sims.items():
        metro_layer = _metro_layer(sim)
        layers[f"metros_{name}"] = metro_layer
        pop = metro_layer["population"].to_numpy(float)
        styles[f"metros_{name}"] = categorized_points_style(
            "role",
            dict(ROLE_COLOURS),
            size_field="population",
            size_domain=(float(pop.min()), float(pop.max())),
        )
        if lines[name]:
            parts = [part.assign(kind=kind) for kind, part in lines[name].items()]
            both = pd.concat(parts, ignore_index=True)
            layers[f"flows_{name}"] = gpd.GeoDataFrame(both, geometry="geometry", crs=4326)
            styles[f"flows_{name}"] = flow_lines_style("flow", both["flow"].to_numpy(float))
        panel = sim.panel.copy()
        panel.insert(0, "preset", name)
        panels.append(panel)
    panel = pd.concat(panels, ignore_index=True)
    summary = _panel_summary(panel, cfg)
    layers["panel"] = summary
    about = _layer_descriptions(cfg, layers)
    path = write_layers(folder / "geoai.gpkg", layers, styles=styles, descriptions=about)
    parquet = folder / "panel.parquet"
    panel.to_parquet(parquet, index=False)
    return [path, parquet]


def _layer_descriptions(cfg: Job, layers: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Say what each GeoPackage layer holds and where its start values come from."""
    from geoai.datasets import ATTRIBUTION

    start = (
        "Start: UN World Urbanization Prospects 2018 agglomerations; jobs observed for US "
        "metros (start_jobs_source), modelled elsewhere."
        if cfg.metros == "embedded"
        else f"Start: the metros in {cfg.metros}."
    )
    text = f"Scenario output, {cfg.start}-{cfg.end}: modelled, not observed. {start} {ATTRIBUTION}."
    return {name: f"{name}: {text}" for name in layers}


def _panel_summary(panel: pd.DataFrame, cfg: Job) -> pd.DataFrame:
    """Per preset and metro: start and end values and changes (an aspatial table)."""
    first = panel[panel["year"] == cfg.start].set_index(["preset", "metro_id"])
    last = panel[panel["year"] == cfg.end].set_index(["preset", "metro_id"])
    out = pd.DataFrame(index=first.index)
    for col in ("population", "jobs", "jobs_routine", "ai_jobs", "talent", "capital"):
        out[f"{col}_{cfg.start}"] = first[col]
        out[f"{col}_{cfg.end}"] = last[col]
    out["jobs_change"] = last["jobs"] / first["jobs"] - 1
    out["net_talent_total"] = panel.groupby(["preset", "metro_id"])["net_talent"].sum()
    out["max_fracture"] = panel.groupby(["preset", "metro_id"])["fracture"].max()
    return out.reset_index()


def _maps(
    cfg: Job,
    sims: dict[str, Simulation],
    lines: dict[str, dict[str, gpd.GeoDataFrame]],
    rasters: dict[str, tuple[Path, Path]],
    folder: Path,
) -> list[Path]:
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt
    import rioxarray  # noqa: F401  (registers .rio)
    import xarray as xr
    from matplotlib.figure import Figure

    from geoai import scenario, viz

    maps = folder / "maps"
    maps.mkdir()
    files: list[Path] = []

    def save(ax: Axes, name: str) -> None:
        fig = ax.figure
        if not isinstance(fig, Figure):  # every map of geoai.viz is drawn on a whole figure
            raise GeoAIError(f"the map {name} was not drawn on a whole figure; cannot save it.")
        path = maps / name
        fig.savefig(path, dpi=110)
        plt.close(fig)
        files.append(path)

    for name, sim in sims.items():
        save(
            viz.roles_map(sim.roles, title=f"Metro roles, {cfg.end}: {name} (modelled)"),
            f"roles_{name}.png",
        )
        if "talent" in lines[name]:
            save(
                viz.flows_map(
                    lines[name]["talent"],
                    points=sim.final,
                    title=f"Largest talent flows, {cfg.end}: {name} (modelled)",
                ),
                f"flows_{name}.png",
            )
        if name not in rasters:
            continue
        with xr.open_dataarray(rasters[name][0], engine="rasterio") as da:
            surf = da.squeeze("band", drop=True).load() if da.rio.crs.is_geographic else None
        if surf is not None:
            save(
                viz.potential_map(
                    surf,
                    points=sim.final,
                    title=f"AI-job potential, {cfg.end}: {name} (modelled)",
                    label=f"potential of {cfg.weight}",
                ),
                f"potential_{name}.png",
            )
    fig = scenario.compare_figure(sims)
    path = maps / "comparison.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    files.append(path)
    return files


def _project(cfg: Job, rasters: dict[str, tuple[Path, Path]], folder: Path) -> Path:
    from geoai.io.project import ProjectLayer, write_project

    vectors = [  # points over lines over rasters
        ProjectLayer(name=f"{kind} {name}", source="geoai.gpkg", layer=f"{kind}_{name}")
        for kind in ("metros", "flows")
        for name in cfg.presets
    ]
    grids = [
        ProjectLayer(
            name=f"{label} {name}",
            source=path.name,
            kind="raster",
            qml=path.with_suffix(".qml").read_text(),
        )
        for name, (surf, areas) in rasters.items()
        for label, path in (("market areas", areas), ("potential", surf))
    ]
    return write_project(
        folder / "project.qgz",
        vectors + grids,
        crs=cfg.crs,
        title="geoai: AI and the geography of work (modelled scenarios)",
    )
