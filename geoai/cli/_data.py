"""The data commands: summary, metros, access, classify, flows, potential (thin wrappers)."""

from __future__ import annotations

import math
from pathlib import Path  # noqa: TC003 - typer evaluates the command annotations at run time
from typing import Annotated, Any

import typer

from geoai._version import __version__
from geoai.cli._app import _command, _console, _count, _in_range, _one_of, _overwrite, _Say
from geoai.cli._own import (
    CONSTRAINTS,
    Crs,
    IdColumn,
    Lat,
    Layer,
    Lon,
    NameColumn,
    Population,
    calibrated,
    masses_of,
    model_flows,
    place_columns,
)
from geoai.errors import InputError

__all__ = ["access", "classify_cmd", "flows_cmd", "metros", "potential_cmd", "summary"]


_NETWORK_TYPES = ("drive", "drive_service", "walk", "bike", "all", "all_public")
_FLOW_DECAYS = ("power", "exponential", "gaussian", "tanner", "box")


def _bounds(text: str) -> tuple[float, float, float, float]:
    """Parse ``--bounds`` (four finite numbers, min < max), or refuse it in one line."""
    shown = text if len(text) <= 60 else text[:57] + "..."
    message = (
        f"--bounds must be four finite numbers xmin,ymin,xmax,ymax with min < max; got {shown!r}."
    )
    try:
        box = tuple(float(b) for b in text.split(","))
    except ValueError:
        raise InputError(message) from None
    finite = len(box) == 4 and all(map(math.isfinite, box))
    if not finite or not (box[0] < box[2] and box[1] < box[3]):
        raise InputError(message)
    return box[0], box[1], box[2], box[3]


@_command("summary")
def summary(
    top: Annotated[int, typer.Option(help="How many of the largest metros to list.")] = 15,
    min_population: Annotated[float, typer.Option(help="Metro size floor (people).")] = 1e6,
    *,
    say: _Say,
) -> None:
    """Summarise the embedded data: metros, countries, NIIP, observed and modelled jobs.

    Writes nothing. Example: geoai summary --top 20 (or --json for the figures)
    """
    _count(top, "--top")
    _in_range(min_population, "--min-population")
    from geoai.datasets import ATTRIBUTION, load_countries, load_metros, wup_agglomerations

    metros = load_metros(min_population)
    countries = load_countries()
    year = int(metros.attrs.get("year", 2025))
    n_all = len(wup_agglomerations(year, 0))
    continents = metros["country_iso3"].map(countries["continent"]).value_counts()
    observed = int(metros["labour_source"].str.startswith("observed").sum())
    known = countries.dropna(subset=["niip_usd"]).sort_values("niip_gdp")
    niip = known.iloc[[*range(min(5, len(known))), *range(max(len(known) - 5, 5), len(known))]]
    with_data = countries[["population", "gdp_usd"]].notna().all(axis=1).sum()
    largest = metros.head(top)
    cols = ["name", "country_iso3", "population", "jobs_routine", "jobs_augmentable", "ai_talent"]
    figures = {
        "year": year,
        "agglomerations": n_all,
        "metros": len(metros),
        "min_population": min_population,
        "population": metros["population"].sum(),
        "by_continent": continents.to_dict(),
        "jobs_observed_metros": observed,
        "jobs_modelled_metros": len(metros) - observed,
        "largest": largest[[*cols, "labour_source"]].to_dict("records"),
        "countries": len(countries),
        "countries_with_population_and_gdp": with_data,
        "niip_countries_known": len(known),
        "niip_extremes": niip[["niip_usd", "niip_gdp"]].to_dict("index"),
    }
    say.done([], figures, attribution=ATTRIBUTION)
    if not say.human:
        return
    _console().rule(f"[bold]geoai {__version__}: embedded data")
    kind = metros.attrs.get("population_kind", "projection")
    say.show(
        f"{n_all:,} UN urban agglomerations (World Urbanization Prospects 2018); "
        f"{len(metros):,} of >= {min_population:,.0f} people in {year} in "
        f"{metros['country_iso3'].nunique()} countries, holding "
        f"{metros['population'].sum() / 1e9:.2f} billion people (UN {kind}s)."
    )
    say.show("By continent: " + ", ".join(f"{k} {n}" for k, n in continents.items()))
    say.show(
        f"Jobs by type: observed for {observed} US metros (BLS OEWS May 2025 x Eloundou et al. "
        f"2024), modelled for the other {len(metros) - observed}."
    )
    head = ["#", ">population (M)", ">routine office jobs (M)", ">augmentable jobs (M)"]
    rows = [
        [
            *(str(k), r.name, r.country_iso3, f"{r.population / 1e6:.1f}"),
            *(f"{r.jobs_routine / 1e6:.2f}", f"{r.jobs_augmentable / 1e6:.2f}"),
            *(f"{r.ai_talent / 1e3:,.0f}", str(r.labour_source).split(":", 1)[0]),
        ]
        for k, r in enumerate(largest.itertuples(), 1)
    ]
    columns = [">#", "metro", "country", *head[1:], ">AI talent (k)", "jobs are"]
    say.table(f"The {top} largest agglomerations in {year}", columns, rows)
    say.show(f"{len(countries)} countries, {with_data} with World Bank population and GDP.")
    rows = [
        [
            *(f"{r['name']} ({iso3})", f"{r['niip_usd'] / 1e12:+.2f}", f"{r['niip_gdp']:+.0%}"),
            *(str(r["niip_as_of"]), str(r["niip_source"])),
        ]
        for iso3, r in niip.iterrows()
    ]
    say.table(
        "Net international investment position: the 5 largest debtors and creditors of GDP "
        f"({len(known)} countries known; data/niip/README.md)",
        ["country", "NIIP (USD tn)", "NIIP / GDP", "as of", "source"],
        rows,
    )
    say.show(f"[dim]{ATTRIBUTION}. Sources and assumptions: data/README.md.[/dim]", markup=True)


@_command("metros")
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
    overwrite: Annotated[bool, _overwrite()] = False,
    *,
    say: _Say,
) -> None:
    """Delineate agglomerations from populated places (City Clustering Algorithm).

    Example: geoai metros places.gpkg -o metros.gpkg --link-km 5 [--json]
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
    say.show(f"wrote {len(result):,} agglomerations from {len(gdf):,} places to {output}")
    figures = {"agglomerations": len(result), "places": len(gdf), "link_km": link_km}
    say.done([output], {**figures, "population": result[population].sum()})


@_command("access")
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
    output: Annotated[
        Path,
        typer.Option("-o", "--output", "--out", help="Output nodes: .gpkg, .parquet or .geojson."),
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
    overwrite: Annotated[bool, _overwrite("Replace existing outputs.")] = False,
    *,
    say: _Say,
) -> None:
    """Jobs reachable along the streets from every node: effective density (osmnx).

    Example: geoai access sample jobs.gpkg -o access.gpkg --cutoff 900 --raster access.tif
    """
    _one_of(network_type, _NETWORK_TYPES, "--network-type")
    _one_of(weight, ("travel_time", "length"), "--weight")
    _one_of(decay, ("exponential", "gaussian", "box"), "--decay")
    for value, option in ((cutoff, "--cutoff"), (scale, "--scale"), (resolution, "--resolution")):
        _in_range(value, option, above=True)
    _in_range(max_distance, "--max-distance", above=True)
    from geoai import network
    from geoai.datasets import sample_osm_path
    from geoai.io import read_points, write_raster, write_vector
    from geoai.io._atomic import check_writable

    check_writable(output, overwrite=overwrite)
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
    write_vector(nodes.reset_index(), output, layer="access", overwrite=overwrite)
    say.show(
        f"wrote {len(nodes):,} {network_type} nodes ({weight} <= {cutoff:g}, {decay} decay, "
        f"{len(points):,} opportunity points) to {output}"
    )
    written = [output]
    figures: dict[str, Any] = {"nodes": len(nodes), "opportunity_points": len(points)}
    figures["effective_density_max"] = nodes["effective_density"].max()
    if raster is not None:
        da = network.nodes_to_raster(nodes, resolution, max_distance=max_distance)
        write_raster(da, raster, overwrite=overwrite)
        say.show(f"wrote the effective density raster ({da.shape[0]} x {da.shape[1]}) to {raster}")
        written += [raster, raster.with_suffix(".qml")]
        figures["raster_shape"] = [int(da.shape[0]), int(da.shape[1])]
    say.show("[dim]Street data © OpenStreetMap contributors (ODbL 1.0).[/dim]", markup=True)
    say.done(written, figures, attribution="Street data © OpenStreetMap contributors (ODbL 1.0)")


@_command("classify")
def classify_cmd(
    metros_file: Annotated[
        Path, typer.Argument(help="Metros as points with population and ai_jobs/jobs_augmentable.")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output .gpkg/.parquet.")],
    overwrite: Annotated[bool, _overwrite()] = False,
    lon: Lon = "lon",
    lat: Lat = "lat",
    crs: Crs = None,
    layer: Layer = None,
    id_column: IdColumn = None,
    population: Population = "population",
    *,
    say: _Say,
) -> None:
    """Give every metro one role (superstar, hub, hinterland, detroit_path, stable) and why.

    Example: geoai classify metros.gpkg -o roles.gpkg [--json]; or a CSV:
    geoai classify my.csv --lon x --lat y --id city --population pop -o roles.gpkg
    """
    from geoai.io.vector import write_vector
    from geoai.pipeline._places import read_places
    from geoai.roles import classify

    cols = place_columns(
        lon=lon, lat=lat, crs=crs, layer=layer, id=id_column, population=population
    )
    places = read_places(metros_file, cols)
    key = places.attrs["id_column"]
    given = (
        places.rename(columns={population: "population"}) if population != "population" else places
    )
    roles = classify(given.assign(metro_id=places[key].to_numpy()))
    roles["role"] = roles["role"].astype(str)
    roles = roles.reset_index(drop="metro_id" in roles.columns)
    if key != "metro_id":  # the user's id column, under its own name, first
        roles = roles.drop(columns=[key], errors="ignore").rename(columns={"metro_id": key})
    write_vector(roles, output, overwrite=overwrite)
    counts = roles["role"].value_counts()
    say.show(counts.to_string())
    say.done(
        [output],
        {"metros": len(roles), "roles": counts.to_dict()},
        attribution=places.attrs["source"],
    )


@_command("flows")
def flows_cmd(
    points: Annotated[Path, typer.Argument(help="Places as points (GeoPackage, GeoParquet, CSV).")],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Output .gpkg: totals and top-flow lines.")
    ],
    mass: Annotated[
        str | None, typer.Option(help="Origin mass column (movers) [--population].")
    ] = None,
    attraction: Annotated[
        str | None, typer.Option(help="Destination mass column (default: --mass).")
    ] = None,
    decay: Annotated[
        str, typer.Option(help="power, exponential, gaussian, tanner, box.")
    ] = "exponential",
    scale_km: Annotated[
        float | None,
        typer.Option(help="Length scale (km) of an exponential, gaussian or box decay [400]."),
    ] = None,
    beta: Annotated[
        float | None,
        typer.Option(help="Or the decay's parameter: power exponent; per km for exponential."),
    ] = None,
    constraint: Annotated[
        str,
        typer.Option(
            help="none, production, attraction or doubly (the last two build the n x n model)."
        ),
    ] = "production",
    observed: Annotated[
        Path | None,
        typer.Option(
            help="Observed flows (CSV/Parquet, one row per pair): calibrate beta (and the mass "
            "exponents the form takes) by Poisson maximum likelihood, then model with them."
        ),
    ] = None,
    observed_origin: Annotated[str, typer.Option(help="Its origin id column.")] = "origin",
    observed_destination: Annotated[
        str, typer.Option(help="Its destination id column.")
    ] = "destination",
    observed_flow: Annotated[str, typer.Option(help="Its flow column.")] = "flow",
    top_k: Annotated[int, typer.Option(help="Largest destinations kept per origin.")] = 3,
    top: Annotated[int, typer.Option(help="Flow lines written (largest first).")] = 500,
    overwrite: Annotated[bool, _overwrite()] = False,
    lon: Lon = "lon",
    lat: Lat = "lat",
    crs: Crs = None,
    layer: Layer = None,
    id_column: IdColumn = None,
    name: NameColumn = None,
    population: Population = "population",
    *,
    say: _Say,
) -> None:
    """Spatial-interaction flows between places: totals and top flows as lines.

    Both layers carry the places' ids (--id; else metro_id; else place_id = 1, 2, ...,
    the places' fid), so they join in QGIS without an offset.
    Example: geoai flows my.csv --id name --mass pop -o flows.gpkg --constraint doubly
    """
    _one_of(decay, _FLOW_DECAYS, "--decay")
    _one_of(constraint, CONSTRAINTS, "--constraint")
    _count(top_k, "--top-k")
    _count(top, "--top")
    if scale_km is not None:
        _in_range(scale_km, "--scale-km", above=True)
    if beta is not None:
        _in_range(beta, "--beta", low=-math.inf)
    from geoai._decay import SCALED
    from geoai.io.gpkg import write_layers
    from geoai.pipeline._places import read_places

    cols = place_columns(
        lon=lon, lat=lat, crs=crs, layer=layer, id=id_column, name=name, population=population
    )
    gdf = read_places(points, cols, population=mass is None)
    key = gdf.attrs["id_column"]
    masses = masses_of(gdf, mass or population, attraction, points)
    scaled = scale_km is None and beta is None and decay in SCALED
    model: dict[str, Any] = {
        "decay": decay,
        "beta": beta,
        "scale_km": 400.0 if scaled else scale_km,
    }
    figures: dict[str, Any] = {}
    if observed is not None:
        fit = calibrated(
            gdf,
            gdf[key],
            masses,
            observed,
            (observed_origin, observed_destination, observed_flow),
            constraint=constraint,
            decay=decay,
        )
        model = {"decay": decay, "beta": fit["beta"], "scale_km": None}
        model |= {"alpha": fit["alpha"], "gamma": fit["gamma"], "k": fit["k"]}
        figures["calibration"] = fit
        say.show(
            f"calibrated on {fit['pairs']:,} observed pairs: beta {fit['beta']:.4g}, "
            f"pseudo-R² {fit['pseudo_r2']:.3f}, SRMSE {fit['srmse']:.3f}"
        )
    frame, lines = model_flows(
        gdf, gdf[key], masses, constraint=constraint, top_k=top_k, top=top, model=model
    )
    totals = gdf.copy()
    for col in ("outflow", "inflow", "net"):
        totals[col] = frame[col].to_numpy()
    label = cols.name or ("name" if "name" in gdf.columns else None)
    if label is not None and label != key:  # names beside the ids, for labels and legends
        names = gdf.set_index(key)[label].astype(str)
        lines.insert(2, "origin_name", lines["origin"].map(names).to_numpy())
        lines.insert(3, "destination_name", lines["destination"].map(names).to_numpy())
    write_layers(output, {"places": totals, "flows": lines}, overwrite=overwrite)
    say.show(f"wrote totals for {len(totals):,} places and {len(lines):,} flow lines to {output}")
    figures |= {"places": len(totals), "flow_lines": len(lines), "constraint": constraint}
    figures |= {"id_column": key, "total_outflow": frame["outflow"].sum()}
    say.done([output], figures, kind="modelled", attribution=gdf.attrs["source"])


@_command("potential")
def potential_cmd(
    points: Annotated[Path, typer.Argument(help="Mass points (GeoPackage, GeoParquet, CSV).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output COG (.tif).")],
    weight: Annotated[str | None, typer.Option(help="Mass column [--population].")] = None,
    resolution: Annotated[
        float | None,
        typer.Option(help="Cell size in grid CRS units [fitted: ~400 cells on the long side]."),
    ] = None,
    bounds: Annotated[
        str | None,
        typer.Option(help="xmin,ymin,xmax,ymax in the grid CRS [the data's extent + margin]."),
    ] = None,
    grid_crs: Annotated[str | None, typer.Option(help="Grid CRS [the data's CRS].")] = None,
    decay: Annotated[
        str, typer.Option(help="exponential, gaussian, power or box.")
    ] = "exponential",
    scale_km: Annotated[float, typer.Option(help="Decay scale (km).")] = 300.0,
    method: Annotated[str, typer.Option(help="auto, direct, fft or dask.")] = "auto",
    overwrite: Annotated[bool, _overwrite()] = False,
    lon: Lon = "lon",
    lat: Lat = "lat",
    crs: Crs = None,
    layer: Layer = None,
    population: Population = "population",
    *,
    say: _Say,
) -> None:
    """Agglomeration potential of point masses on a grid, as a styled COG.

    The grid fits the data's extent (10 % margin, at least 50 km) unless --bounds and
    --resolution say otherwise. Grids too large for memory are refused up front unless
    --method dask is given.
    Example: geoai potential my.csv --lon x --lat y --population pop -o pull.tif
    """
    if resolution is not None:
        _in_range(resolution, "--resolution", above=True)
    _in_range(scale_km, "--scale-km", above=True)
    _one_of(decay, ("exponential", "gaussian", "power", "box"), "--decay")
    _one_of(method, ("auto", "direct", "fft", "dask"), "--method")
    box = _bounds(bounds) if bounds is not None else None
    from geoai._budget import check_memory
    from geoai.grid import Grid
    from geoai.pipeline._places import fit_grid, read_places

    cols = place_columns(lon=lon, lat=lat, crs=crs, layer=layer, population=population)
    gdf = read_places(points, cols, population=weight is None)
    column = weight or population
    if column not in gdf.columns:
        names = [str(c) for c in gdf.columns if c != gdf.geometry.name][:20]
        raise InputError(
            f"{points.name} has no column {column!r} (--weight); its columns: {names}."
        )
    fitted, step, grid_in = fit_grid(gdf, crs=grid_crs)
    grid = Grid.from_bounds(box or fitted, resolution or step, crs=grid_in)
    if method != "dask":  # size before work: the in-memory surface is float64 per cell
        check_memory(
            grid.nbytes("float64"),
            f"--resolution {resolution or step:g} ({grid.height:,} x {grid.width:,} = "
            f"{grid.n_cells:,} cells)",
            'use a coarser --resolution, or --method dask (method="dask": tile by tile, '
            "streamed to the COG).",
        )
    from geoai import potential
    from geoai.io import write_raster

    surf = potential.surface(gdf, column, grid, decay=decay, scale_km=scale_km, method=method)
    write_raster(surf, output, overwrite=overwrite)
    say.show(f"wrote {output} ({grid.height} x {grid.width}, method {surf.attrs['method']})")
    figures = {"height": grid.height, "width": grid.width, "method": surf.attrs["method"]}
    figures |= {"bounds": list(box or fitted), "resolution": resolution or step, "crs": grid_in}
    say.done(
        [output, output.with_suffix(".qml")],
        figures,
        kind="modelled",
        attribution=gdf.attrs["source"],
    )
