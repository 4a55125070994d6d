"""Own data on the command line: the place options, and the flow models behind ``geoai flows``.

The options (``--lon --lat --crs --layer --id --name --population --country
--country-column``) read a user's places the same way in ``run``, ``flows``,
``potential`` and ``classify`` (:mod:`geoai.pipeline._places`). ``flows``
offers the four Wilson forms: unconstrained and production-constrained
matrix-free (:func:`geoai.flows.aggregate`), attraction- and doubly-constrained
on the dense ``n × n`` model (:func:`geoai.flows.interaction`, refused up front
when it would not fit in memory), and calibration of the decay and mass
exponents on observed flows by Poisson maximum likelihood
(:func:`geoai.flows.calibrate`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from geoai.errors import InputError

if TYPE_CHECKING:
    from pathlib import Path

    import geopandas as gpd
    import numpy as np
    import pandas as pd

    from geoai.pipeline._places import PlaceColumns

__all__ = [
    "CONSTRAINTS",
    "Country",
    "CountryColumn",
    "Crs",
    "IdColumn",
    "Lat",
    "Layer",
    "Lon",
    "NameColumn",
    "Population",
    "calibrated",
    "masses_of",
    "model_flows",
    "place_columns",
]

#: The flow constraints ``geoai flows`` takes.
CONSTRAINTS = ("none", "production", "attraction", "doubly")

Lon = Annotated[str, typer.Option("--lon", help="CSV: longitude (or x) column.")]
Lat = Annotated[str, typer.Option("--lat", help="CSV: latitude (or y) column.")]
Crs = Annotated[
    str | None,
    typer.Option("--crs", help="CSV: CRS of the coordinates [EPSG:4326]; files carry their own."),
]
Layer = Annotated[str | None, typer.Option("--layer", help="Layer of a multi-layer file.")]
IdColumn = Annotated[
    str | None,
    typer.Option("--id", help="Unique id column, used in every output [metro_id, else 1, 2, ...]."),
]
NameColumn = Annotated[str | None, typer.Option("--name", help="Name column [name].")]
Population = Annotated[str, typer.Option("--population", help="Population column (people).")]
Country = Annotated[
    str | None, typer.Option("--country", help="One ISO3 country code for every place.")
]
CountryColumn = Annotated[
    str | None,
    typer.Option(
        "--country-column",
        help="Column of ISO3/ISO2 codes [country_iso3]; without it or --country, countries "
        "are located on Natural Earth 1:110m (modelled).",
    ),
]


def place_columns(**given: str | None) -> PlaceColumns:
    """Return the :class:`~geoai.pipeline._places.PlaceColumns` of the command's options."""
    from geoai.pipeline._places import PlaceColumns

    return PlaceColumns(**{k: x for k, x in given.items() if x is not None}, prefix="--")


def masses_of(
    gdf: gpd.GeoDataFrame, mass: str, attraction: str | None, file: Path
) -> tuple[np.ndarray, np.ndarray]:
    """Return the origin and destination masses as float arrays, or refuse a bad column."""
    import numpy as np
    import pandas as pd

    out = []
    for col, option in ((mass, "--mass"), (attraction or mass, "--attraction")):
        if col not in gdf.columns:
            cols = [str(c) for c in gdf.columns if c != gdf.geometry.name][:20]
            raise InputError(f"{file.name} has no column {col!r} ({option}); its columns: {cols}.")
        values = pd.to_numeric(gdf[col], errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(values).all():
            raise InputError(
                f"{file.name}: column {col!r} ({option}) has empty or non-numeric values; fix "
                "them or name another column."
            )
        out.append(values)
    return out[0], out[1]


def _pair_km(gdf: gpd.GeoDataFrame, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Distances (km) of the pairs ``(i, j)`` of rows, as the flow kernels measure them."""
    import numpy as np

    from geoai._geodesy import arc_km, kernel_points

    pts = kernel_points(gdf)
    chord = np.sqrt(((pts.xyz[:, i] - pts.xyz[:, j]) ** 2).sum(axis=0))
    return np.asarray(arc_km(chord) if pts.geo else chord)


def _read_table(path: Path) -> pd.DataFrame:
    """Read an observed-flows table: CSV or Parquet."""
    import pandas as pd

    from geoai import _validate as v

    p = v.check_input_file(path, "--observed file")
    try:
        return pd.read_parquet(p) if p.suffix.lower() == ".parquet" else pd.read_csv(p)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise InputError(
            f"{p.name} is not a CSV or Parquet table pandas can read ({type(exc).__name__}); "
            "give one row per origin-destination pair."
        ) from None


def calibrated(
    gdf: gpd.GeoDataFrame,
    ids: pd.Series,
    masses: tuple[np.ndarray, np.ndarray],
    observed: Path,
    columns: tuple[str, str, str],
    *,
    constraint: str,
    decay: str,
) -> dict[str, float]:
    """Calibrate the flow model on observed flows between the places (Poisson ML).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The places, ``n`` rows.
    ids : pandas.Series
        Their ids, which the observed table's origin and destination columns use.
    masses : tuple of numpy.ndarray, shape (n,)
        Origin and destination masses (entered as logarithms where the form takes them).
    observed : pathlib.Path
        CSV or Parquet table, one row per observed pair.
    columns : tuple of str
        Its origin, destination and flow columns.
    constraint : {"none", "production", "attraction", "doubly"}
        The model form.
    decay : {"power", "exponential"}
        The cost covariate: ``log(km)`` or ``km``.

    Returns
    -------
    dict of str to float
        ``beta`` (the decay's parameter: power exponent, or per km), ``alpha`` and
        ``gamma`` (mass exponents, 1 where the form's fixed effects absorb them),
        ``k`` (the unconstrained scale, else 1), ``pairs``, ``pseudo_r2``, ``srmse``.
    """
    import numpy as np
    import pandas as pd

    from geoai import flows

    if decay not in ("power", "exponential"):
        raise InputError(
            f"--observed calibrates a power or exponential decay; got --decay {decay}."
        )
    table = _read_table(observed)
    origin, destination, flow = columns
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(
            f"{observed.name} has no column(s) {missing}; its columns: "
            f"{[str(c) for c in table.columns][:20]}; name them with --observed-origin, "
            "--observed-destination and --observed-flow."
        )
    pos = pd.Series(np.arange(len(ids)), index=ids.astype(str).to_numpy())
    i = table[origin].astype(str).map(pos)
    j = table[destination].astype(str).map(pos)
    unknown = i.isna() | j.isna()
    if unknown.any():
        raise InputError(
            f"{observed.name}: {int(unknown.sum())} pair(s) name ids that are not places (first "
            f"on lines {(np.flatnonzero(unknown)[:5] + 2).tolist()}); use the places' --id."
        )
    i, j = i.to_numpy(int), j.to_numpy(int)
    df = pd.DataFrame(
        {
            "o": i,
            "d": j,
            "km": _pair_km(gdf, i, j),
            "mass_o": masses[0][i],
            "mass_d": masses[1][j],
            "flow": pd.to_numeric(table[flow], errors="coerce").to_numpy(dtype=float),
        }
    )
    df = df[df["o"] != df["d"]]
    o_vars = ["mass_o"] if constraint in ("none", "attraction") else []
    d_vars = ["mass_d"] if constraint in ("none", "production") else []
    fit = flows.calibrate(
        df,
        flow="flow",
        origin="o",
        destination="d",
        cost="km",
        origin_vars=o_vars,
        dest_vars=d_vars,
        constraint=constraint,
        decay=decay,
    )
    coef = fit.coef
    return {
        "beta": float(-coef["km"]),
        "alpha": float(coef.get("mass_o", 1.0)),
        "gamma": float(coef.get("mass_d", 1.0)),
        "k": float(np.exp(coef["const"])) if "const" in coef else 1.0,
        "pairs": len(df),
        "pseudo_r2": float(fit.pseudo_r2),
        "srmse": float(fit.srmse),
    }


def model_flows(
    gdf: gpd.GeoDataFrame,
    ids: pd.Series,
    masses: tuple[np.ndarray, np.ndarray],
    *,
    constraint: str,
    top_k: int,
    top: int,
    model: dict[str, Any],
) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Run one of the four flow forms; return the totals per place and the top flow lines.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The places, ``n`` rows.
    ids : pandas.Series
        Their ids (the lines' ``origin`` and ``destination``).
    masses : tuple of numpy.ndarray, shape (n,)
        Origin and destination masses (the margins of the constrained forms; the
        doubly-constrained inflows are scaled to the outflows' total).
    constraint : {"none", "production", "attraction", "doubly"}
        The form.
    top_k : int
        Largest destinations kept per origin (matrix-free forms).
    top : int
        Flow lines returned, largest first.
    model : dict
        ``decay``, ``beta``, ``scale_km``, ``alpha``, ``gamma``, ``k``.

    Returns
    -------
    totals : pandas.DataFrame
        ``outflow``, ``inflow``, ``net`` in the places' row order.
    lines : geopandas.GeoDataFrame
        ``origin``, ``destination``, ``flow`` and the LineStrings.
    """
    import numpy as np
    import pandas as pd

    from geoai import flows

    keyed = gdf.assign(_id=ids.to_numpy())
    mass_o, mass_d = masses
    if constraint in ("none", "production"):
        agg = flows.aggregate(
            keyed, mass_o, mass_d, constraint=constraint, top_k=top_k, ids=ids.to_numpy(), **model
        )
        frame = agg.to_frame().reset_index(drop=True)
        return frame, flows.to_lines(agg, keyed, top=top, id_column="_id")
    inflows = mass_d * (mass_o.sum() / mass_d.sum()) if mass_d.sum() > 0 else mass_d
    t = flows.interaction(
        mass_o,
        mass_d,
        flows.cost_matrix(keyed),
        constraint=constraint,
        inflows=inflows if constraint == "doubly" else None,
        **model,
    )
    out, into = t.sum(axis=1), t.sum(axis=0)
    frame = pd.DataFrame({"outflow": out, "inflow": into, "net": into - out})
    lines = flows.to_lines(np.asarray(t), keyed, top=top, id_column="_id")
    return frame, lines
