"""The ``geoai`` command: thin wrappers over the public functions.

Errors from bad input print one line with the fix and exit with code 2; pass
``-v`` for the full traceback.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from geoai._version import __version__
from geoai.errors import GeoAIError

app = typer.Typer(
    name="geoai",
    help="Computational geography of the AI economy: metros, flows, potential, roles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
_state = {"verbose": False}


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
) -> None:
    _state["verbose"] = verbose
    if version:
        console.print(f"geoai {__version__}")
        raise typer.Exit()


@app.command()
def summary(
    top: Annotated[int, typer.Option(help="How many of the largest metros to list.")] = 15,
    min_population: Annotated[float, typer.Option(help="Metro size floor (people).")] = 1e6,
) -> None:
    """Summarise the embedded data: metros, countries, NIIP, observed and modelled jobs.

    Example: geoai summary --top 20
    """
    from geoai.datasets import ATTRIBUTION, load_countries, load_metros, wup_agglomerations

    metros = load_metros(min_population)
    countries = load_countries()
    all_metros = wup_agglomerations(int(metros.attrs.get("year", 2025)), 0)  # count only
    year = int(metros.attrs.get("year", 2025))
    console.rule(f"[bold]geoai {__version__}: embedded data")
    console.print(
        f"{len(all_metros):,} UN urban agglomerations (World Urbanization Prospects 2018); "
        f"{len(metros):,} of >= {min_population:,.0f} people in {year} in "
        f"{metros['country_iso3'].nunique()} countries, holding "
        f"{metros['population'].sum() / 1e9:.2f} billion people (UN "
        f"{metros.attrs.get('population_kind', 'projection')}s)."
    )
    continents = metros["country_iso3"].map(countries["continent"]).value_counts()
    console.print("By continent: " + ", ".join(f"{k} {n}" for k, n in continents.items()))
    observed = metros["labour_source"].str.startswith("observed")
    console.print(
        f"Jobs by type: observed for {int(observed.sum())} US metros (BLS OEWS May 2025 x "
        f"Eloundou et al. 2024), modelled for the other {int((~observed).sum())}."
    )

    t = Table(title=f"The {top} largest agglomerations in {year}")
    for col, just in [
        ("#", "right"),
        ("metro", "left"),
        ("country", "left"),
        ("population (M)", "right"),
        ("routine office jobs (M)", "right"),
        ("augmentable jobs (M)", "right"),
        ("AI talent (k)", "right"),
        ("jobs are", "left"),
    ]:
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for k, r in enumerate(metros.head(top).itertuples(), 1):
        t.add_row(
            str(k),
            r.name,
            r.country_iso3,
            f"{r.population / 1e6:.1f}",
            f"{r.jobs_routine / 1e6:.2f}",
            f"{r.jobs_augmentable / 1e6:.2f}",
            f"{r.ai_talent / 1e3:,.0f}",
            str(r.labour_source).split(":", 1)[0],
        )
    console.print(t)

    with_data = countries[["population", "gdp_usd"]].notna().all(axis=1).sum()
    console.print(f"{len(countries)} countries, {with_data} with World Bank population and GDP.")
    known = countries.dropna(subset=["niip_usd"]).sort_values("niip_gdp")
    niip = known.iloc[[*range(min(5, len(known))), *range(max(len(known) - 5, 5), len(known))]]
    n = Table(
        title=f"Net international investment position: the 5 largest debtors and creditors "
        f"of GDP ({len(known)} countries known; data/niip/README.md)"
    )
    for col in ("country", "NIIP (USD tn)", "NIIP / GDP", "as of", "source"):
        n.add_column(col)
    for iso3, r in niip.iterrows():
        n.add_row(
            f"{r['name']} ({iso3})",
            f"{r['niip_usd'] / 1e12:+.2f}",
            f"{r['niip_gdp']:+.0%}",
            str(r["niip_as_of"]),
            str(r["niip_source"]),
        )
    console.print(n)
    console.print(f"[dim]{ATTRIBUTION}. Sources and assumptions: data/README.md.[/dim]")


@app.command()
def metros(
    places: Annotated[
        Path,
        typer.Argument(help="Points: GeoPackage, GeoParquet, any OGR file or CSV with lon/lat."),
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Output .gpkg, .parquet or .geojson.")
    ],
    link_km: Annotated[float, typer.Option(help="CCA linking distance ℓ (km).")] = 5.0,
    min_place_pop: Annotated[float, typer.Option(help="Ignore places smaller than this.")] = 15_000,
    density: Annotated[
        float,
        typer.Option(help="People/km² sizing each place's disc; 0 = point CCA."),
    ] = 10_000,
    population: Annotated[str, typer.Option(help="Population column.")] = "population",
    name: Annotated[str, typer.Option(help="Name column.")] = "name",
    overwrite: Annotated[bool, typer.Option(help="Replace OUTPUT if it exists.")] = False,
) -> None:
    """Delineate agglomerations from populated places (City Clustering Algorithm).

    Example: geoai metros places.gpkg -o metros.gpkg --link-km 5
    """
    from geoai.delineation import metros_from_places
    from geoai.io.vector import read_points, write_vector

    gdf = read_points(places)
    result = metros_from_places(
        gdf,
        link_km=link_km,
        min_place_pop=min_place_pop,
        density=density or None,
        population=population,
        name=name,
    )
    write_vector(result, output, layer="metros", overwrite=overwrite)
    console.print(f"wrote {len(result):,} agglomerations from {len(gdf):,} places to {output}")


@app.command()
def access(
    streets: Annotated[
        str,
        typer.Argument(
            help="Street network: an OSM XML file (.osm, .osm.bz2), 'sample' for the shipped "
            "Helsinki extract, or a place name to download (needs the network)."
        ),
    ],
    opportunities: Annotated[
        Path,
        typer.Argument(
            help="Jobs, firms or people as points: GeoPackage, GeoParquet, any OGR file or "
            "CSV with lon/lat."
        ),
    ],
    out: Annotated[
        Path, typer.Option("-o", "--out", help="Output nodes: .gpkg, .parquet or .geojson.")
    ],
    column: Annotated[str, typer.Option(help="Column holding the opportunities.")] = "jobs",
    network_type: Annotated[
        str, typer.Option(help="drive, drive_service, walk, bike, all or all_public.")
    ] = "drive",
    weight: Annotated[
        str, typer.Option(help="Edge cost: travel_time (seconds) or length (metres).")
    ] = "travel_time",
    cutoff: Annotated[float, typer.Option(help="Largest cost counted (weight units).")] = 1800,
    decay: Annotated[str, typer.Option(help="exponential, gaussian or box.")] = "exponential",
    scale: Annotated[float, typer.Option(help="Decay scale (weight units).")] = 600,
    raster: Annotated[
        Path | None, typer.Option(help="Also write the effective density as a COG (.tif).")
    ] = None,
    resolution: Annotated[float, typer.Option(help="Raster cell size (metres).")] = 100,
    max_distance: Annotated[
        float, typer.Option(help="Raster cells farther than this from a node (m) stay empty.")
    ] = 250,
    overwrite: Annotated[bool, typer.Option(help="Replace existing outputs.")] = False,
) -> None:
    """Jobs reachable along the streets from every node: effective density (osmnx).

    Example: geoai access sample jobs.gpkg -o access.gpkg --cutoff 900 --raster access.tif
    """
    from geoai import network
    from geoai.datasets import sample_osm_path
    from geoai.io import read_points, write_raster, write_vector
    from geoai.io._atomic import check_writable

    check_writable(out, overwrite=overwrite)
    if raster is not None:
        check_writable(raster, overwrite=overwrite)
        check_writable(raster.with_suffix(".qml"), overwrite=overwrite)
    points = read_points(opportunities)
    source = sample_osm_path() if streets == "sample" else streets
    G = network.load_graph(source, network_type=network_type)  # noqa: N806
    nodes = network.accessibility(
        G,
        points,
        column,
        weight=weight,
        cutoff=cutoff,
        decay=decay,
        scale=scale,
    )
    write_vector(nodes.reset_index(), out, layer="access", overwrite=overwrite)
    console.print(
        f"wrote {len(nodes):,} {network_type} nodes ({weight} <= {cutoff:g}, {decay} decay, "
        f"{len(points):,} opportunity points) to {out}"
    )
    if raster is not None:
        da = network.nodes_to_raster(nodes, resolution, max_distance=max_distance)
        write_raster(da, raster, overwrite=overwrite)
        console.print(
            f"wrote the effective density raster ({da.shape[0]} x {da.shape[1]}) to {raster}"
        )
    console.print("[dim]Street data © OpenStreetMap contributors (ODbL 1.0).[/dim]")


@app.command()
def run(
    job: Annotated[
        Path | None, typer.Argument(help="Job file (TOML); none = the defaults (geoai init-job).")
    ] = None,
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder.")] = Path("out"),
    overwrite: Annotated[
        bool,
        typer.Option(help="Replace the files an earlier run wrote in OUT (never other files)."),
    ] = False,
    scheduler: Annotated[
        str | None, typer.Option(help="dask.distributed scheduler address for the grids.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
) -> None:
    """Run the main job: scenarios, roles, potential, QGIS layers, maps and a report.

    Example: geoai run job.toml --out out/ --overwrite
    """
    from geoai.pipeline import run as run_job

    try:
        result = run_job(job, out, overwrite=overwrite, scheduler=scheduler, progress=not quiet)
    except GeoAIError as exc:  # one line and exit 2 here too, not only under main()
        if _state["verbose"]:
            raise
        err = Console(stderr=True, soft_wrap=True)
        err.print(f"[bold red]error:[/bold red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    t = Table(title=f"Written to {result.out}")
    t.add_column("file")
    t.add_column("size", justify="right")
    for path in result.files:
        t.add_row(str(path.relative_to(result.out)), f"{path.stat().st_size / 1024:,.0f} KiB")
    console.print(t)
    from geoai.scenario._format import fmt_number

    s = Table(title="Headline figures (modelled; bands in report.md)")
    s.add_column("metric")
    presets = [c for c in result.summary.columns if c != "unit"]
    for name in presets:
        s.add_column(name, justify="right")
    for metric, row in result.summary.iterrows():
        s.add_row(str(metric), *(fmt_number(row[name], str(row["unit"])) for name in presets))
    console.print(s)


@app.command()
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
        bool,
        typer.Option(help="Replace the files an earlier identify wrote in OUTPUT (no others)."),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
) -> None:
    """Identify Detroit-path metros, roles and trajectories from the observed UN history.

    Writes identify.gpkg (decline, roles, markov_paths, markov_summary), the
    trajectories figure, report.md/report.html and the run manifest.

    Example: geoai identify -o identify/ --as-of 2015 --min-population 1000000
    """
    from geoai.datasets import WUP_SOURCE
    from geoai.pipeline.identify import identify as run_identify

    def echo(text: str) -> None:
        console.print(f"[dim]{escape(text)}[/dim]")

    try:
        result = run_identify(
            output,
            as_of=as_of,
            min_population=min_population,
            allow_projections=allow_projections,
            overwrite=overwrite,
            echo=None if quiet else echo,
        )
    except GeoAIError as exc:  # one line and exit 2 here too, not only under main()
        if _state["verbose"]:
            raise
        Console(stderr=True, soft_wrap=True).print(
            f"[bold red]error:[/bold red] {escape(str(exc))}"
        )
        raise typer.Exit(2) from None
    t = Table(title=f"Written to {result.out}")
    t.add_column("file")
    t.add_column("size", justify="right")
    for path in result.files:
        t.add_row(str(path.relative_to(result.out)), f"{path.stat().st_size / 1024:,.0f} KiB")
    console.print(t)
    flagged = result.decline[result.decline["detroit_path"]]
    sm = result.markov
    console.print(
        f"{len(result.decline):,} metros of >= {min_population:,.0f} people at their peak; "
        f"{len(flagged)} on a Detroit path as of {as_of}"
        + (f" (first: {', '.join(flagged['name'].head(5))})" if len(flagged) else "")
        + f". Spatial Markov: LR {sm.LR:.1f}, Q {sm.Q:.1f}, {sm.dof} dof, "
        f"p {sm.LR_p_value:.2g}. Roles: "
        + ", ".join(f"{k} {n}" for k, n in result.roles["role"].astype(str).value_counts().items())
    )
    console.print(f"[dim]Data: {escape(WUP_SOURCE)}.[/dim]")


@app.command("init-job")
def init_job(
    path: Annotated[Path, typer.Argument(help="Where to write the example job (.toml).")],
    overwrite: Annotated[bool, typer.Option(help="Replace an existing file.")] = False,
) -> None:
    """Write a commented example job file with every key and its default.

    Example: geoai init-job job.toml && geoai run job.toml --out out/
    """
    from geoai.io._atomic import atomic_path
    from geoai.pipeline.job import EXAMPLE_JOB

    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_text(EXAMPLE_JOB, encoding="utf-8")
    console.print(f"wrote {path}; edit it, then: geoai run {path} --out out/")


@app.command("classify")
def classify_cmd(
    metros_file: Annotated[
        Path, typer.Argument(help="Metros as points with population and ai_jobs/jobs_augmentable.")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output .gpkg/.parquet.")],
    overwrite: Annotated[bool, typer.Option(help="Replace OUTPUT if it exists.")] = False,
) -> None:
    """Give every metro one role (superstar, hub, hinterland, detroit_path, stable) and why.

    Example: geoai classify metros.gpkg -o roles.gpkg
    """
    from geoai.io.vector import read_points, write_vector
    from geoai.roles import classify

    roles = classify(read_points(metros_file))
    roles["role"] = roles["role"].astype(str)
    write_vector(roles.reset_index(drop="metro_id" in roles.columns), output, overwrite=overwrite)
    console.print(roles["role"].value_counts().to_string())


@app.command("flows")
def flows_cmd(
    points: Annotated[Path, typer.Argument(help="Places as points (GeoPackage, GeoParquet, CSV).")],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Output .gpkg: totals and top-flow lines.")
    ],
    mass: Annotated[str, typer.Option(help="Origin mass column (movers).")] = "population",
    attraction: Annotated[
        str | None, typer.Option(help="Destination mass column (default: --mass).")
    ] = None,
    decay: Annotated[str, typer.Option(help="power, exponential, gaussian, tanner or box.")] = (
        "exponential"
    ),
    beta: Annotated[float, typer.Option(help="Decay parameter (per km for exponential).")] = 1
    / 400,
    constraint: Annotated[str, typer.Option(help="none or production.")] = "production",
    top_k: Annotated[int, typer.Option(help="Largest destinations kept per origin.")] = 3,
    top: Annotated[int, typer.Option(help="Flow lines written (largest first).")] = 500,
    overwrite: Annotated[bool, typer.Option(help="Replace OUTPUT if it exists.")] = False,
) -> None:
    """Spatial-interaction flows between places, matrix-free: totals and top flows as lines.

    Example: geoai flows metros.gpkg -o flows.gpkg --mass jobs_augmentable --beta 0.0025
    """
    from geoai import flows
    from geoai.errors import InputError
    from geoai.io.gpkg import write_layers
    from geoai.io.vector import read_points

    gdf = read_points(points)
    for col in (mass, attraction or mass):
        if col not in gdf.columns:
            raise InputError(f"no column {col!r} in {points}; columns: {list(gdf.columns)}.")
    agg = flows.aggregate(
        gdf,
        gdf[mass],
        gdf[attraction or mass],
        decay=decay,
        beta=beta,
        constraint=constraint,
        top_k=top_k,
    )
    totals = gdf.copy()
    frame = agg.to_frame()
    for col in ("outflow", "inflow", "net"):
        totals[col] = frame[col].to_numpy()
    lines = flows.to_lines(agg, gdf, top=top)
    write_layers(output, {"places": totals, "flows": lines}, overwrite=overwrite)
    console.print(
        f"wrote totals for {len(totals):,} places and {len(lines):,} flow lines to {output}"
    )


@app.command("potential")
def potential_cmd(
    points: Annotated[Path, typer.Argument(help="Mass points (GeoPackage, GeoParquet, CSV).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output COG (.tif).")],
    weight: Annotated[str, typer.Option(help="Mass column.")] = "population",
    resolution: Annotated[float, typer.Option(help="Cell size in CRS units.")] = 0.25,
    bounds: Annotated[
        str, typer.Option(help="xmin,ymin,xmax,ymax in the grid CRS.")
    ] = "-180,-60,180,78",
    crs: Annotated[str, typer.Option(help="Grid CRS.")] = "EPSG:4326",
    decay: Annotated[
        str, typer.Option(help="exponential, gaussian, power or box.")
    ] = "exponential",
    scale_km: Annotated[float, typer.Option(help="Decay scale (km).")] = 300.0,
    method: Annotated[str, typer.Option(help="auto, direct, fft or dask.")] = "auto",
    overwrite: Annotated[bool, typer.Option(help="Replace OUTPUT if it exists.")] = False,
) -> None:
    """Agglomeration potential of point masses on a grid, as a styled COG.

    Example: geoai potential metros.gpkg -o pull.tif --weight population --scale-km 300
    """
    from geoai import potential
    from geoai.errors import InputError
    from geoai.grid import Grid
    from geoai.io import write_raster
    from geoai.io.vector import read_points

    try:
        box = tuple(float(b) for b in bounds.split(","))
    except ValueError:
        raise InputError(
            f"--bounds must be four numbers xmin,ymin,xmax,ymax; got {bounds!r}."
        ) from None
    if len(box) != 4:
        raise InputError(f"--bounds must be four numbers xmin,ymin,xmax,ymax; got {bounds!r}.")
    grid = Grid.from_bounds(box, resolution, crs=crs)
    surf = potential.surface(
        read_points(points), weight, grid, decay=decay, scale_km=scale_km, method=method
    )
    write_raster(surf, output, overwrite=overwrite)
    console.print(f"wrote {output} ({grid.height} x {grid.width}, method {surf.attrs['method']})")


def _terminated(signum: int, frame: object) -> None:
    """Turn SIGTERM into SystemExit so staged outputs are cleaned up on the way out."""
    raise SystemExit(128 + signum)


def main() -> None:
    """Entry point: run the app, turning geoai errors into one-line messages (exit 2)."""
    signal.signal(signal.SIGTERM, _terminated)
    try:
        app()
    except GeoAIError as exc:
        if _state["verbose"]:
            raise
        Console(stderr=True, soft_wrap=True).print(
            f"[bold red]error:[/bold red] {escape(str(exc))}"
        )
        sys.exit(2)
