"""The ``geoai`` command: thin wrappers over the public functions.

Errors from bad input print one line with the fix and exit with code 2; pass
``-v`` for the full traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from geoai import __version__
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
    """Summarise the embedded data: metros, countries, NIIP, modelled jobs.

    Example: geoai summary --top 20
    """
    from geoai.datasets import ATTRIBUTION, load_countries, load_metros

    metros = load_metros(min_population)
    countries = load_countries()
    all_metros = load_metros(100_000)
    console.rule(f"[bold]geoai {__version__}: embedded data")
    console.print(
        f"{len(all_metros):,} agglomerations of >= 100,000 people; {len(metros):,} of >= "
        f"{min_population:,.0f} in {metros['country_iso3'].nunique()} countries, holding "
        f"{metros['population'].sum() / 1e9:.2f} billion people."
    )
    continents = metros["country_iso3"].map(countries["continent"]).value_counts()
    console.print("By continent: " + ", ".join(f"{k} {n}" for k, n in continents.items()))

    t = Table(title=f"The {top} largest agglomerations (jobs are modelled: assumptions)")
    for col, just in [
        ("#", "right"),
        ("metro", "left"),
        ("country", "left"),
        ("population (M)", "right"),
        ("places", "right"),
        ("routine office jobs (M)", "right"),
        ("augmentable jobs (M)", "right"),
    ]:
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for k, r in enumerate(metros.head(top).itertuples(), 1):
        t.add_row(
            str(k),
            r.name,
            r.country_iso3,
            f"{r.population / 1e6:.1f}",
            str(r.n_places),
            f"{r.jobs_routine / 1e6:.2f}",
            f"{r.jobs_augmentable / 1e6:.2f}",
        )
    console.print(t)

    with_data = countries[["population", "gdp_usd"]].notna().all(axis=1).sum()
    console.print(f"{len(countries)} countries, {with_data} with World Bank population and GDP.")
    niip = countries.dropna(subset=["niip_usd"]).sort_values("niip_gdp")
    n = Table(title="Net international investment position (sourced figures only)")
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
    console.print(f"[dim]{ATTRIBUTION}. Job columns are modelled: see data/README.md.[/dim]")


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


def main() -> None:
    """Entry point: run the app, turning geoai errors into one-line messages (exit 2)."""
    try:
        app()
    except GeoAIError as exc:
        if _state["verbose"]:
            raise
        Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/bold red] {exc}")
        sys.exit(2)
