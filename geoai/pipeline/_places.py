"""A user's own places for a run or a command: read, checked, given ids and countries.

A CSV with coordinate columns (named by ``lon``/``lat``, in ``crs``), or any
vector file GDAL/OGR reads (GeoPackage, FlatGeobuf, GeoJSON) or GeoParquet,
each carrying its own CRS. :func:`read_places` checks the columns a caller
names (id, name, population, country) and says which exist when one does not;
:func:`to_metros` turns the places into the metros a scenario starts from;
:func:`fit_grid` fits a potential grid to their extent; :func:`attribution`
credits the user's file, not the UN or GeoNames.

Ids: the ``id`` column when named (unique, no empty cell), else a
``metro_id`` column when the file has one, else ``place_id`` = 1, 2, ... in
row order, the ``fid`` a GeoPackage of the places gets, so joins by id are
never off by one.

Countries (the scenario needs each metro's ISO3 code for its income, AI
investment and NIIP): one code for every place (``country``), a column of
ISO3 or ISO2 codes (``country_column``, default ``country_iso3`` when the
file has it), or else located on the shipped Natural Earth 1:110m countries:
the polygon holding the point, or the nearest within 100 km (coastal cities
fall in the sea at that scale). Located countries are modelled, and the
``country_source`` column says so row by row: at 1:110m a small state can lie
inside its neighbour's polygon (Singapore in Malaysia), so give a column where
that matters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from geoai.errors import InputError

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from geoai._typing import PathLike

__all__ = [
    "NEAREST_KM",
    "PlaceColumns",
    "attribution",
    "fit_grid",
    "load",
    "read_places",
    "to_metros",
]

#: The farthest a place may lie from the Natural Earth polygon it is given (km).
NEAREST_KM = 100.0
#: How many cells the longer side of a fitted grid has (about).
_FIT_CELLS = 400
_NE_WITHIN = "modelled: inside its Natural Earth 1:110m country polygon"
_NE_NEAREST = f"modelled: nearest Natural Earth 1:110m country polygon (<= {NEAREST_KM:g} km)"
_COUNTRY_SOURCES = (
    "World Bank GDP per capita (PDDL), Stanford HAI AI Index 2025 (CC BY-ND 4.0), "
    "External Wealth of Nations (Lane & Milesi-Ferretti)"
)


@dataclass(frozen=True)
class PlaceColumns:
    """How to read a user's places: coordinate, id, name, population and country columns.

    Attributes
    ----------
    lon, lat : str
        Coordinate columns of a CSV (x/y in ``crs``).
    crs : str or None
        CRS of a CSV's coordinates (default EPSG:4326); a vector file carries its own,
        which must then agree.
    layer : str or None
        Layer of a multi-layer file.
    id : str or None
        Id column (unique); default ``metro_id`` when present, else ``place_id`` 1..n.
    name : str or None
        Name column; default ``name`` when present, else the id.
    population : str
        Population column (people).
    country : str or None
        One ISO3 code for every place.
    country_column : str or None
        Column of ISO3 (or ISO2) codes; default ``country_iso3`` when present.
    prefix : str
        How messages name the settings: ``"--"`` (``--population``) for the command
        line, ``"data."`` (``data.population``) for a job file.
    """

    lon: str = "lon"
    lat: str = "lat"
    crs: str | None = None
    layer: str | None = None
    id: str | None = None
    name: str | None = None
    population: str = "population"
    country: str | None = None
    country_column: str | None = None
    prefix: str = "--"

    def label(self, setting: str) -> str:
        """Return how the user spells ``setting`` here (``--country-column``, ``data.id``)."""
        return self.prefix + (setting.replace("_", "-") if self.prefix == "--" else setting)


class _PlacesJob(Protocol):
    """What :func:`load` reads of a job (:class:`geoai.pipeline.job.Job`)."""

    @property
    def metros(self) -> str: ...
    @property
    def min_population(self) -> float: ...
    @property
    def start(self) -> int: ...
    def place_columns(self) -> PlaceColumns: ...


def _columns_text(gdf: pd.DataFrame) -> str:
    """Return the columns a file has, for a message (at most 20, long names cut)."""
    names = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    shown = [n if len(n) <= 30 else n[:27] + "..." for n in names[:20]]
    return repr(shown) + (f" and {len(names) - 20} more" if len(names) > 20 else "")


def _require(gdf: gpd.GeoDataFrame, column: str, setting: str, cols: PlaceColumns, p: Path) -> None:
    if column not in gdf.columns or column == gdf.geometry.name:
        raise InputError(
            f"{p.name} has no column {column!r} ({cols.label(setting)}); its columns: "
            f"{_columns_text(gdf)}; name one of them with {cols.label(setting)}."
        )


def _rows(bad: object, p: Path) -> str:
    """Name the first bad rows: CSV line numbers (header = line 1), else 1-based rows."""
    import numpy as np

    at = np.flatnonzero(np.asarray(bad))[:5]
    return (
        f"lines {(at + 2).tolist()}" if p.suffix.lower() == ".csv" else f"rows {(at + 1).tolist()}"
    )


def _numeric(gdf: gpd.GeoDataFrame, column: str, setting: str, cols: PlaceColumns, p: Path) -> None:
    """Turn ``column`` into float64 people; refuse text, empty cells, infinities, negatives."""
    import numpy as np
    import pandas as pd

    values = pd.to_numeric(gdf[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        raise InputError(
            f"{p.name}: column {column!r} ({cols.label(setting)}) has {int(bad.sum())} "
            f"non-numeric, empty, infinite or negative value(s) (first on {_rows(bad, p)}); "
            "fix those rows or name another column."
        )
    gdf[column] = values


def read_places(
    path: PathLike, columns: PlaceColumns | None = None, *, population: bool = True
) -> gpd.GeoDataFrame:
    r"""Read a user's places and check the columns named in ``columns``.

    Parameters
    ----------
    path : path-like
        A CSV with coordinate columns, a GeoPackage, FlatGeobuf, GeoJSON or GeoParquet.
    columns : PlaceColumns, optional
        The columns to use (defaults: ``lon``, ``lat``, ``population``).
    population : bool, default True
        Require the population column (numbers >= 0, made float64).

    Returns
    -------
    geopandas.GeoDataFrame
        The places in their CRS, every column kept (``place_id`` = 1..n added when
        there is no id column). ``attrs``: ``id_column``, ``population_column``
        (or None), ``file`` (the file's name) and ``source`` (``"your data: <file>"``).

    Raises
    ------
    InputError
        A named column missing (the message lists the file's columns), a population
        that is not a number >= 0, ids empty or repeated, or any refusal of
        :func:`geoai.io.read_points` (missing file, unreadable format).
    CRSError
        ``crs`` is not a CRS, contradicts a CSV's coordinates or a vector file's own CRS.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> csv = pathlib.Path(tempfile.mkdtemp()) / "towns.csv"
    >>> _ = csv.write_text("town,x,y,pop\nLyon,4.84,45.76,1.7e6\nTurin,7.69,45.07,1.8e6\n")
    >>> towns = read_places(csv, PlaceColumns(lon="x", lat="y", id="town", population="pop"))
    >>> towns["town"].tolist(), towns.attrs["id_column"], towns.attrs["source"]
    (['Lyon', 'Turin'], 'town', 'your data: towns.csv')
    """
    from geoai import _validate as v
    from geoai.errors import CRSError
    from geoai.io.vector import read_points

    cols = columns or PlaceColumns()
    p = v.check_input_file(path, "places file")
    gdf = read_points(p, layer=cols.layer, lon=cols.lon, lat=cols.lat, crs=cols.crs)
    if cols.crs is not None and p.suffix.lower() != ".csv":
        given = v.as_crs(cols.crs, cols.label("crs"))
        if gdf.crs is not None and not given.equals(gdf.crs):
            raise CRSError(
                f"{p.name} is in {gdf.crs.to_string()}, not {cols.label('crs')} {cols.crs}; "
                f"a {p.suffix} file carries its CRS: drop {cols.label('crs')}."
            )
    for setting in ("id", "name", "country_column"):
        if (column := getattr(cols, setting)) is not None:
            _require(gdf, column, setting, cols, p)
    if population:
        _require(gdf, cols.population, "population", cols, p)
        _numeric(gdf, cols.population, "population", cols, p)
    id_column = cols.id or ("metro_id" if "metro_id" in gdf.columns else None)
    if id_column is None:
        id_column = "place_id"
        gdf.insert(0, id_column, range(1, len(gdf) + 1))
    ids = gdf[id_column]
    empty = ids.isna() | (ids.astype(str).str.strip() == "")
    repeated = ids.duplicated(keep=False) & ~empty
    if empty.any() or repeated.any():
        what = "empty" if empty.any() else "repeated"
        raise InputError(
            f"{p.name}: id column {id_column!r} ({cols.label('id')}) has {what} ids (first on "
            f"{_rows(empty if empty.any() else repeated, p)}); ids must be unique: name another "
            f"column with {cols.label('id')}."
        )
    gdf.attrs = {
        "id_column": id_column,
        "population_column": cols.population if population else None,
        "file": p.name,
        "source": f"your data: {p.name}",
    }
    return gdf


def _located(points: gpd.GeoSeries, shapes: gpd.GeoDataFrame) -> tuple[pd.Series, pd.Series]:
    """ISO3 of the Natural Earth polygon holding each point, else the nearest within 100 km."""
    import geopandas as gpd
    import pandas as pd

    pts = gpd.GeoDataFrame(geometry=points.to_crs(4326).reset_index(drop=True))
    inside = gpd.sjoin(pts, shapes, how="left", predicate="within")
    inside = inside[~inside.index.duplicated(keep="first")]
    code = inside["iso3"].reindex(pts.index)
    source = pd.Series(_NE_WITHIN, index=pts.index, dtype=object)
    lost = code.isna()
    if lost.any():  # coastal cities fall in the sea at 1:110m: the nearest polygon, if close
        equal_area = 8857  # Equal Earth: distances in metres, good enough at 100 km
        near = gpd.sjoin_nearest(
            pts[lost].to_crs(equal_area),
            shapes.to_crs(equal_area),
            how="left",
            max_distance=NEAREST_KM * 1000,
        )
        near = near[~near.index.duplicated(keep="first")]
        code.loc[near.index] = near["iso3"]
        source.loc[near.index] = _NE_NEAREST
    return code, source


def _country_codes(gdf: gpd.GeoDataFrame, cols: PlaceColumns, countries: pd.DataFrame) -> None:
    """Add ``country_iso3`` and ``country_source`` (given, a column, or located)."""
    import pandas as pd

    file = gdf.attrs.get("file", "the places")
    known = countries["gdp_pc_usd"].dropna()
    if cols.country is not None:
        code = cols.country.strip().upper()
        if code not in known.index:
            raise InputError(
                f"{cols.label('country')} {cols.country!r} is not an ISO3 code with GDP data; "
                "give one such as FRA, DEU or USA."
            )
        gdf["country_iso3"], gdf["country_source"] = code, f"given: {cols.label('country')}"
        return
    column = cols.country_column or ("country_iso3" if "country_iso3" in gdf.columns else None)
    if column is not None:
        text = gdf[column].astype("string").str.strip().str.upper()
        iso2 = pd.Series(countries.index, index=countries["iso2"].astype("string").str.upper())
        codes = text.where(text.str.len() != 2, text.map(iso2[~iso2.index.duplicated()]))
        source = pd.Series(f"input: column {column}", index=gdf.index, dtype=object)
    else:
        from geoai.datasets import load_countries

        world = load_countries(geometry=True)
        shapes = world[world.geometry.notna()].reset_index(names="iso3")[["iso3", "geometry"]]
        located, source = _located(gdf.geometry, shapes)
        codes = pd.Series(located.to_numpy(), index=gdf.index, dtype="string")
        source.index = gdf.index
    bad = ~codes.isin(known.index).fillna(value=False).to_numpy(dtype=bool)
    if bad.any():
        how = (
            f"column {column!r} has codes that are not ISO3 countries with GDP data"
            if column
            else f"places lie farther than {NEAREST_KM:g} km from any Natural Earth country"
        )
        raise InputError(
            f"{file}: {int(bad.sum())} {how} (first on {_rows(bad, Path(file))}); give a "
            f"country column ({cols.label('country_column')}) or one code for all "
            f"({cols.label('country')} FRA)."
        )
    gdf["country_iso3"], gdf["country_source"] = codes.astype(str).to_numpy(), source.to_numpy()


def to_metros(
    places: gpd.GeoDataFrame,
    columns: PlaceColumns | None = None,
    *,
    countries: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Turn places read by :func:`read_places` into the metros a scenario starts from.

    Parameters
    ----------
    places : geopandas.GeoDataFrame
        As :func:`read_places` returns them (its ``attrs`` name the id column).
    columns : PlaceColumns, optional
        The columns used to read them (name, population, country).
    countries : pandas.DataFrame, optional
        The countries table (default :func:`geoai.datasets.load_countries`).

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326 points with ``metro_id`` (the user's ids, as text), ``name``,
        ``country_iso3``, ``country_source``, ``population`` (people, > 0) and,
        unless the file had them, the modelled job columns of
        :func:`geoai.labour.model_jobs` with ``gdp_pc_usd`` and ``labour_source``;
        the user's other columns are kept. ``attrs["source"]`` credits the file.

    Raises
    ------
    InputError
        A population of 0, or a country that cannot be found (see the module text).
    """
    import numpy as np

    from geoai.datasets import load_countries
    from geoai.labour import MODELLED_SOURCE, model_jobs

    cols = columns or PlaceColumns()
    table = load_countries() if countries is None else countries
    attrs = dict(places.attrs)
    gdf = places.to_crs(4326) if places.crs is not None else places.copy()
    population = gdf[cols.population].to_numpy(dtype=float)
    if (population <= 0).any():
        raise InputError(
            f"{attrs.get('file', 'the places')}: {int((population <= 0).sum())} place(s) have "
            f"population 0 (first on {_rows(population <= 0, Path(attrs.get('file', '')))}); "
            "a scenario needs people in every metro: drop them."
        )
    ids = gdf[attrs.get("id_column", "metro_id")]
    names = gdf[cols.name] if cols.name else gdf["name"] if "name" in gdf.columns else ids
    gdf.attrs = attrs
    _country_codes(gdf, cols, table)
    lead = {
        "metro_id": ids.astype(str).to_numpy(),
        "name": names.astype(str).to_numpy(),
        "country_iso3": gdf.pop("country_iso3").to_numpy(),
        "country_source": gdf.pop("country_source").to_numpy(),
        "population": population,
    }
    for key in lead:
        if key in gdf.columns:
            gdf = gdf.drop(columns=key)
    for k, (key, values) in enumerate(lead.items()):
        gdf.insert(k, key, values)
    if not {"jobs_routine", "jobs_augmentable", "jobs_local"} <= set(gdf.columns):
        y = gdf["country_iso3"].map(table["gdp_pc_usd"]).to_numpy(dtype=float)
        jobs = model_jobs(population, y)
        for col in jobs.columns:
            gdf[col] = jobs[col].to_numpy()
        gdf["gdp_pc_usd"] = y
        gdf["labour_source"] = MODELLED_SOURCE
    geometry = gdf.geometry.name
    gdf = gdf[[c for c in gdf.columns if c != geometry] + [geometry]]
    located = bool(np.char.startswith(gdf["country_source"].to_numpy(str), "modelled").any())
    gdf.attrs = {**attrs, "source": attribution(attrs.get("file"), located=located)}
    return gdf


def attribution(file: str | None, *, located: bool = False) -> str:
    """Return the attribution line of outputs made from a user's places.

    Parameters
    ----------
    file : str or None
        The places file's name (None: the embedded metros, credited as
        :data:`geoai.datasets.ATTRIBUTION`).
    located : bool, default False
        Whether countries were located on Natural Earth (then credited too).

    Returns
    -------
    str
        ``"Places: your data: <file>; countries: World Bank ..."``, naming every
        source the run still used: the countries' income, AI investment and NIIP.

    Examples
    --------
    >>> attribution("towns.csv").split(";")[0]
    'Places: your data: towns.csv'
    >>> "Natural Earth" in attribution("towns.csv", located=True)
    True
    """
    if file is None:
        from geoai.datasets import ATTRIBUTION

        return ATTRIBUTION
    text = f"Places: your data: {Path(file).name}; countries: {_COUNTRY_SOURCES}"
    return text + ("; country borders: Made with Natural Earth (public domain)" if located else "")


def _nice(step: float) -> float:
    """Round a cell size down to 1, 2 or 5 × 10^k (0.25° too: the world grid's)."""
    k = math.floor(math.log10(step))
    for m in (5.0, 2.5, 2.0, 1.0):
        if m * 10.0**k <= step:
            return m * 10.0**k
    return 10.0**k  # pragma: no cover - m = 1 always fits


def fit_grid(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    crs: str | None = None,
    cells: int = _FIT_CELLS,
    margin: float = 0.1,
    min_margin_km: float = 50.0,
) -> tuple[tuple[float, float, float, float], float, str]:
    """Fit a grid to the points' extent: bounds with a margin, and a cell size for them.

    Parameters
    ----------
    points : geopandas.GeoDataFrame or GeoSeries
        The places (any CRS).
    crs : str, optional
        The grid's CRS (default: the points').
    cells : int, default 400
        About how many cells the longer side gets.
    margin : float, default 0.1
        Margin on every side, as a share of the longer side of the extent.
    min_margin_km : float, default 50
        Smallest margin (km; degrees at 111.32 km each in a geographic CRS).

    Returns
    -------
    bounds : tuple of float
        ``(xmin, ymin, xmax, ymax)`` in the grid's CRS, on multiples of the cell size
        (latitudes within ±90°).
    resolution : float
        Cell size in the grid's units: 1, 2, 2.5 or 5 × 10^k.
    crs : str
        The grid's CRS (``"EPSG:4326"``, or the CRS as ``authority:code``/WKT).

    Examples
    --------
    >>> import geopandas as gpd
    >>> pts = gpd.GeoSeries.from_xy([-9.1, 2.35, 13.4, 23.7], [38.7, 48.9, 52.5, 37.98], crs=4326)
    >>> bounds, res, crs = fit_grid(pts)
    >>> bounds, res, crs
    ((-12.4, 34.65, 27.0, 55.8), 0.05, 'EPSG:4326')
    """
    import numpy as np

    from geoai import _validate as v

    target = v.as_crs(crs, "crs") if crs is not None else points.crs
    if target is None:
        raise InputError("the places have no CRS; give --crs (the CRS of their coordinates).")
    geom = points.geometry if hasattr(points, "geometry") else points
    xmin, ymin, xmax, ymax = (float(b) for b in geom.to_crs(target).total_bounds)
    unit_km = 111.32 if target.is_geographic else target.axis_info[0].unit_conversion_factor / 1e3
    pad = max(margin * max(xmax - xmin, ymax - ymin), min_margin_km / unit_km)
    step = _nice((max(xmax - xmin, ymax - ymin) + 2 * pad) / max(int(cells), 1))
    box = np.array([xmin - pad, ymin - pad, xmax + pad, ymax + pad]) / step
    box = np.round(np.concatenate([np.floor(box[:2]), np.ceil(box[2:])]) * step, 9)
    if target.is_geographic:
        box = np.clip(box, [-180.0, -90.0, -180.0, -90.0], [180.0, 90.0, 180.0, 90.0])
    code = target.to_authority()
    name = f"{code[0]}:{code[1]}" if code else target.to_wkt()
    return (float(box[0]), float(box[1]), float(box[2]), float(box[3])), step, name


def load(job: _PlacesJob) -> gpd.GeoDataFrame:
    """Return the metros a run starts from: the embedded ones, or the job's own places.

    Parameters
    ----------
    job : geoai.pipeline.job.Job
        ``metros`` ("embedded" or a file), ``min_population`` and ``start`` (embedded
        only) and :meth:`~geoai.pipeline.job.Job.place_columns` (a file).

    Returns
    -------
    geopandas.GeoDataFrame
        :func:`geoai.datasets.load_metros` of the job, or :func:`to_metros` of
        :func:`read_places` of its file (``attrs["source"]`` is the attribution).
    """
    if job.metros == "embedded":
        from geoai.datasets import load_metros

        return load_metros(job.min_population, year=job.start)
    cols = job.place_columns()
    return to_metros(read_places(job.metros, cols), cols)
