"""The job commands: run, identify, init-job (thin wrappers over geoai.pipeline)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from geoai.cli._app import _command, _in_range, _overwrite, _Say
from geoai.cli._own import (  # noqa: TC001 - typer evaluates the command annotations at run time
    Country,
    CountryColumn,
    Crs,
    IdColumn,
    Layer,
    NameColumn,
)
from geoai.errors import InputError

__all__ = ["identify", "init_job", "run"]


@_command("run")
def run(
    job: Annotated[
        Path | None, typer.Argument(help="Job file (TOML); none = the defaults (geoai init-job).")
    ] = None,
    output: Annotated[Path, typer.Option("-o", "--output", "--out", help="Output folder.")] = Path(
        "out"
    ),
    overwrite: Annotated[
        bool, _overwrite("Replace the files an earlier run wrote in OUTPUT (never other files).")
    ] = False,
    scheduler: Annotated[
        str | None,
        typer.Option(help="dask.distributed scheduler address (tcp://host:8786) for the grids."),
    ] = None,
    safe: Annotated[
        bool | None,
        typer.Option(
            "--safe/--trusted",
            help="--safe: read the job as untrusted (data only from its folder, no VRT, URL or "
            "scheduler in it). Default: safe when the job file belongs to another user; "
            "--trusted turns that off.",
            show_default=False,
        ),
    ] = None,
    places: Annotated[
        Path | None,
        typer.Option(
            help="Your places instead of the embedded metros: CSV (with --lon/--lat), "
            "GeoPackage, GeoParquet or FlatGeobuf; replaces the job's [data] file.",
            show_default=False,
        ),
    ] = None,
    lon: Annotated[str | None, typer.Option(help="CSV: longitude (or x) column [lon].")] = None,
    lat: Annotated[str | None, typer.Option(help="CSV: latitude (or y) column [lat].")] = None,
    crs: Crs = None,
    layer: Layer = None,
    id_column: IdColumn = None,
    name: NameColumn = None,
    population: Annotated[
        str | None, typer.Option(help="Population column (people) [population].")
    ] = None,
    country: Country = None,
    country_column: CountryColumn = None,
    formats: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            help="Main layers also as: parquet (GeoParquet), fgb (FlatGeobuf); repeat the "
            "option. The GeoPackage is always written. Default: the job's [outputs] formats.",
            show_default=False,
        ),
    ] = None,
    *,
    say: _Say,
) -> None:
    """Run the main job: scenarios, roles, potential, QGIS layers, maps and a report.

    A job file is trusted like code unless --safe (the default for a job file owned by
    another user). Example: geoai run job.toml -o out/ --overwrite (--json for a summary).
    Your own places, no job file needed (the grid fits their extent):
    geoai run --places my.csv --lon lon --lat lat --crs EPSG:4326 --id name --population pop
    """
    from geoai._scheduler import check_address
    from geoai.pipeline import run as run_job
    from geoai.pipeline._exports import check_formats
    from geoai.pipeline._places import attribution
    from geoai.pipeline.job import load_job

    address = check_address(scheduler, "--scheduler") or None
    given = {"places": None if places is None else str(places), "lon": lon, "lat": lat}
    given |= {"crs": crs, "layer": layer, "id": id_column, "name": name}
    given |= {"population": population, "country": country, "country_column": country_column}
    data = {k: x for k, x in given.items() if x is not None}
    if data and "places" not in data:
        first = next(iter(data)).replace("_", "-")
        raise InputError(f"--{first} reads your places: add --places FILE.")
    # every error in the job (and in the places it names) before any work or output
    cfg = load_job(job, safe=safe, data=data or None)
    if formats is not None:
        cfg = dataclasses.replace(cfg, formats=check_formats(formats))
    progress = say.human  # rich's progress display writes to stdout
    result = run_job(
        cfg, output, overwrite=overwrite, scheduler=address, progress=progress, safe=cfg.safe
    )
    say.files(result.out, result.files)
    presets = [c for c in result.summary.columns if c != "unit"]
    from geoai.scenario._format import summary_figures, summary_rows

    if say.human:
        columns, rows = summary_rows(result.summary)
        say.table("Headline figures (modelled; bands in report.md)", columns, rows)
    figures = summary_figures(result.summary)
    written = [*result.files, *([result.manifest] if result.manifest else [])]
    own = None if cfg.metros == "embedded" else Path(cfg.metros).name
    extent = {"bounds": list(cfg.bounds), "resolution": cfg.resolution, "crs": cfg.crs}
    say.done(
        written,
        figures,
        out=result.out,
        presets=presets,
        kind="modelled",
        attribution=attribution(own, located=cfg.country is None),
        grid={**extent, "fitted": cfg.grid_fitted},
    )


@_command("identify")
def identify(
    output: Annotated[
        Path,
        typer.Option("-o", "--output", help="Output folder: new, empty, or an earlier identify's."),
    ],
    as_of: Annotated[
        int, typer.Option("--as-of", help="Last year read (UN estimates end in 2015).")
    ] = 2015,
    min_population: Annotated[
        float, typer.Option(help="Report the metros of at least this many people at their peak.")
    ] = 1_000_000,
    allow_projections: Annotated[
        bool, typer.Option(help="Allow --as-of after 2015 (UN projections read as observed).")
    ] = False,
    overwrite: Annotated[
        bool, _overwrite("Replace the files an earlier identify wrote in OUTPUT (no others).")
    ] = False,
    *,
    say: _Say,
) -> None:
    """Identify Detroit-path metros, roles and trajectories from the observed UN history.

    Writes identify.gpkg (decline, roles, markov_paths, markov_summary), the
    trajectories figure, report.md/report.html and the run manifest.

    Example: geoai identify -o identify/ --as-of 2015 --min-population 1000000
    """
    from geoai.datasets import WUP_SOURCE
    from geoai.pipeline.identify import identify as run_identify

    _in_range(min_population, "--min-population")

    result = run_identify(
        output,
        as_of=as_of,
        min_population=min_population,
        allow_projections=allow_projections,
        overwrite=overwrite,
        echo=None if say.quiet else say.progress,
    )
    say.files(result.out, result.files)
    flagged = result.decline[result.decline["detroit_path"]]
    sm = result.markov
    roles = result.roles["role"].astype(str).value_counts()
    say.show(
        f"{len(result.decline):,} metros of >= {min_population:,.0f} people at their peak; "
        f"{len(flagged)} on a Detroit path as of {as_of}"
        + (f" (first: {', '.join(flagged['name'].head(5))})" if len(flagged) else "")
        + f". Spatial Markov: LR {sm.LR:.1f}, Q {sm.Q:.1f}, {sm.dof} dof, "
        f"p {sm.LR_p_value:.2g}. Roles: " + ", ".join(f"{k} {n}" for k, n in roles.items())
    )
    say.show(f"Data: {WUP_SOURCE}.")
    written = [*result.files, *([result.manifest] if result.manifest else [])]
    figures = {
        "as_of": as_of,
        "metros": len(result.decline),
        "detroit_path": len(flagged),
        "detroit_path_metros": flagged["name"].astype(str).tolist(),
        "spatial_markov": {"LR": sm.LR, "Q": sm.Q, "dof": sm.dof, "LR_p_value": sm.LR_p_value},
        "roles": roles.to_dict(),
    }
    say.done(written, figures, out=result.out, kind="observed", data=WUP_SOURCE)


def _one_path(path: Path | None, output: Path | None) -> Path:
    """Return the one target of PATH and ``-o``; refuse neither, or two different ones."""
    if path is None and output is None:
        raise InputError("say where to write the job: geoai init-job job.toml (or -o job.toml).")
    if path is not None and output is not None and path != output:
        raise InputError(f"PATH {path} and -o {output} differ; give one of them.")
    return path if path is not None else output  # type: ignore[return-value]


@_command("init-job")
def init_job(
    path: Annotated[
        Path | None, typer.Argument(help="Where to write the example job (.toml); or use -o.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Same as PATH.", show_default=False)
    ] = None,
    overwrite: Annotated[bool, _overwrite("Replace an existing file.")] = False,
    *,
    say: _Say,
) -> None:
    """Write a commented example job file with every key and its default.

    Example: geoai init-job job.toml && geoai run job.toml -o out/
    """
    from geoai.io._atomic import atomic_path
    from geoai.pipeline.job import EXAMPLE_JOB

    target = _one_path(path, output)
    with atomic_path(target, overwrite=overwrite) as tmp:
        tmp.write_text(EXAMPLE_JOB, encoding="utf-8")
    say.show(f"wrote {target}; edit it, then: geoai run {target} -o out/")
    say.done([target], {})
