"""The data dictionary of a run: every layer, field and band it wrote, described.

:func:`data_dictionary` reads the outputs themselves (GeoPackage layers,
GeoParquet and FlatGeobuf files, Parquet tables, the bands of every GeoTIFF),
so nothing is described that was not written; each field is looked up in the
catalogue below (meaning, unit, observed or modelled, source) and each raster
band reads its own description, unit and metadata. :func:`write_dictionary`
writes it as ``fields.csv`` (one row per field) and ``README.md`` (the same,
grouped by file, for people).

A field the catalogue does not know is still listed, with an empty meaning,
so a test (``tests/io/test_dictionary.py``) catches it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["COLUMNS", "FieldInfo", "data_dictionary", "describe_field", "write_dictionary"]

#: The dictionary's columns, in order.
COLUMNS = ("file", "layer", "field", "meaning", "unit", "kind", "source")

_SIM = "geoai scenario (geoai.scenario.simulate)"
_START = "the start metros (UN WUP 2018 and the shipped data, or the job's own metros file)"
_MIXED = "observed at the start where its *_source says so, modelled after"


@dataclass(frozen=True)
class FieldInfo:
    """What one field holds.

    Attributes
    ----------
    meaning : str
        One sentence a reader understands.
    unit : str
        The unit (``"people"``, ``"USD"``, ``"share (0-1)"``, ``"text"``, ...).
    kind : str
        ``"observed"``, ``"modelled"``, ``"observed, else modelled"`` or ``"label"``.
    source : str
        Where the values come from.
    """

    meaning: str
    unit: str
    kind: str
    source: str


def _label(meaning: str, source: str = _START, unit: str = "text") -> FieldInfo:
    return FieldInfo(meaning, unit, "label", source)


def _model(meaning: str, unit: str, source: str = _SIM) -> FieldInfo:
    return FieldInfo(meaning, unit, "modelled", source)


_SOURCE_COL = "text (observed: ... or modelled: ...)"
_GEOMETRY = {
    "metros": _label("the metro's point (WGS 84 longitude, latitude)", unit="degrees (EPSG:4326)"),
    "panel": _label("the metro's point (WGS 84 longitude, latitude)", unit="degrees (EPSG:4326)"),
    "flows": _label(
        "the flow's line from origin to destination (WGS 84)",
        "geoai.flows.to_lines",
        "degrees (EPSG:4326)",
    ),
}

#: Fields of the metros_<preset> layers (final-year values unless said otherwise).
_METROS: dict[str, FieldInfo] = {
    "metro_id": _label("the metro's identifier (wup:<UN code> for the shipped metros)"),
    "name": _label("the metro's name"),
    "country_iso3": _label("the metro's country, ISO 3166-1 alpha-3"),
    "role": _model("the metro's role in the final year, in words", "category", "geoai.classify"),
    "role_label": _model("the role as a reader says it", "category", "geoai.classify"),
    "role_score": _model("strength of the role verdict (0 weak, 1 clear)", "score (0-1)"),
    "reasons": _model("why the metro has its role, in words", "text", "geoai.classify"),
    "population": _model("residents in the final year", "people"),
    "jobs": _model("jobs held in the metro in the final year", "jobs"),
    "jobs_routine": _model("routine-exposed office jobs (automatable)", "jobs"),
    "jobs_augmentable": _model("office jobs AI augments rather than replaces", "jobs"),
    "jobs_local": _model("local service jobs (shops, care, building)", "jobs"),
    "ai_jobs": _model("AI-leveraged roles held in the metro", "jobs"),
    "ai_share": _model("the metro's share of all metros' AI-leveraged roles", "share (0-1)"),
    "ai_rank": _model("rank of the metro by AI-leveraged roles (1 = most)", "rank"),
    "talent": _model("AI talent living in the metro", "people"),
    "capital": _model("AI capital located in the metro", "USD"),
    "potential": _model(
        "AI-leveraged roles within reach of the metro (accessibility potential)",
        "jobs, distance-weighted",
        "geoai.classify (geoai.potential)",
    ),
    "gi_z": _model("Getis-Ord Gi* z-score of AI-leveraged roles", "z-score", "geoai.classify"),
    "gi_p": _model("p-value of the Gi* z-score", "probability (0-1)", "geoai.classify"),
    "gi_label": _model("hot spot, cold spot or not significant (FDR 5 %)", "category"),
    "jobs_change": _model("change of jobs from the start to the final year", "share (0-1)"),
    "population_change": _model("change of residents, start to final year", "share (0-1)"),
    "net_talent": _model("AI talent moving in minus moving out in the final year", "people"),
    "unemployment_rate": _model("unemployed as a share of the labour force", "share (0-1)"),
    "fracture": _model("political fracture of the metro's country (0 none, 1 full)", "index (0-1)"),
    "fiscal_buffer": _model(
        "the country's capacity to absorb unemployment (from NIIP/GDP and income)",
        "share of the labour force",
        _SIM + "; NIIP: External Wealth of Nations (Lane & Milesi-Ferretti)",
    ),
    "fiscal_stress": _model("unemployment beyond the fiscal buffer", "share of the labour force"),
    "huff_centre": _model("metro_id of the metro whose Huff market area holds this metro", "text"),
    "huff_probability": _model("Huff probability of that dominant metro", "probability (0-1)"),
    "largest_talent_to": _model("metro_id receiving most of this metro's talent", "text"),
    "cbsa": _label("US Core Based Statistical Area code (US metros only)", "US Census Bureau"),
    "statistical_concept": _label("UN city concept: city proper, agglomeration or metro area"),
    "population_source": _label("where the start population comes from", unit=_SOURCE_COL),
    "start_jobs_source": _label("where the start jobs by type come from", unit=_SOURCE_COL),
    "labour_source": _label("where the start jobs by type come from", unit=_SOURCE_COL),
    "talent_source": _label("where the start AI talent comes from", unit=_SOURCE_COL),
    "ai_jobs_source": _label("where the start AI-leveraged roles come from", unit=_SOURCE_COL),
    "capital_source": _label("where the start AI capital comes from", unit=_SOURCE_COL),
    "preset": _label("the scenario preset", "geoai.scenario.PRESETS"),
    "modelled": _label("which values are modelled and which observed", "geoai run"),
    "year": _label("calendar year of the values", "geoai run", "year"),
}

#: Fields of the flows layers (one line per flow of the final year).
_FLOWS: dict[str, FieldInfo] = {
    "origin": _label("metro_id (or name) of the origin metro", "geoai.flows.to_lines"),
    "destination": _label("metro_id (or name) of the destination metro", "geoai.flows.to_lines"),
    "origin_name": _label("name of the origin metro", "geoai.flows.to_lines"),
    "destination_name": _label("name of the destination metro", "geoai.flows.to_lines"),
    "flow": _model(
        "what moved in the final year: people for talent, USD for capital (see kind, unit)",
        "people (talent) or USD (capital)",
    ),
    "kind": _label("talent (people) or capital (USD)", _SIM, "category"),
    "unit": _label("the unit of flow", _SIM),
    "distance_km": _model("great-circle distance between the two metros", "km", "geoai.flows"),
    "rank": _model("rank of the flow among its kind (1 = largest)", "rank"),
    "preset": _METROS["preset"],
    "year": _METROS["year"],
}

#: Fields of the panel (one row per preset, metro and year).
_PANEL: dict[str, FieldInfo] = {
    "preset": _METROS["preset"],
    "metro_id": _METROS["metro_id"],
    "name": _METROS["name"],
    "year": _METROS["year"],
    "population": FieldInfo("residents", "people", _MIXED, _START + "; " + _SIM),
    "labour_force": FieldInfo(
        "residents of working age in the labour force", "people", _MIXED, _SIM
    ),
    "jobs_routine": FieldInfo("routine-exposed office jobs left", "jobs", _MIXED, _START),
    "jobs_automated": _model("routine-exposed jobs automated so far", "jobs"),
    "jobs_augmentable": FieldInfo("office jobs AI augments", "jobs", _MIXED, _START),
    "jobs_local": FieldInfo("local service jobs", "jobs", _MIXED, _START),
    "ai_jobs": FieldInfo("AI-leveraged roles filled", "jobs", _MIXED, _START),
    "ai_demand": _model("AI-leveraged roles firms want in the metro", "jobs"),
    "jobs": FieldInfo("all jobs held", "jobs", _MIXED, _START),
    "vacancies": _model("AI-leveraged roles not filled", "jobs"),
    "talent": FieldInfo("AI talent living in the metro", "people", _MIXED, _START),
    "capital": FieldInfo("AI capital in the metro", "USD", _MIXED, _START),
    "talent_potential": _model("talent within reach (accessibility potential)", "people, weighted"),
    "talent_in": _model("AI talent moving in during the year", "people"),
    "talent_out": _model("AI talent moving out during the year", "people"),
    "talent_abroad": _model("AI talent moving to another country's metros", "people"),
    "talent_to_outside": _model("AI talent leaving the metro system", "people"),
    "net_talent": _METROS["net_talent"],
    "capital_in": _model("AI capital moving in during the year", "USD"),
    "capital_out": _model("AI capital moving out during the year", "USD"),
    "unemployed": _model("residents without a job in the labour force", "people"),
    "unemployment_rate": _METROS["unemployment_rate"],
    "fiscal_buffer": _METROS["fiscal_buffer"],
    "fiscal_stress": _METROS["fiscal_stress"],
    "fracture": _METROS["fracture"],
    "jobs_change": _METROS["jobs_change"],
    "year_start": _label(
        "1 January of the year, for QGIS's temporal controller", "geoai run", "date"
    ),
    "net_talent_total": _model("net AI talent over all years of the run", "people"),
    "max_fracture": _model("the largest fracture over the run", "index (0-1)"),
}

#: QGIS's own style table in the GeoPackage.
_STYLES: dict[str, FieldInfo] = {
    name: _label(f"QGIS layer style table: {name}", "geoai.io.gpkg (QGIS layer_styles)")
    for name in (
        "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName",
        "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time",
    )
}  # fmt: skip

_COUNTRIES: dict[str, FieldInfo] = {
    "geometry": _label("country outline", "Natural Earth 1:110m (public domain)", "degrees"),
    "name": _label("country name", "Natural Earth 1:110m (public domain)"),
    "iso3": _label("ISO 3166-1 alpha-3 code", "Natural Earth 1:110m (public domain)"),
    "country_iso3": _label("ISO 3166-1 alpha-3 code", "Natural Earth 1:110m (public domain)"),
    "continent": _label("continent", "Natural Earth 1:110m (public domain)"),
}

_PER_YEAR = re.compile(r"^(?P<field>[a-z_]+)_(?P<year>\d{4})$")


def _family(layer: str) -> str:
    """Return the kind of a layer from its name: metros, flows, panel, styles, countries, other."""
    for prefix in ("metros", "flows", "panel", "countries", "basemap"):
        if layer == prefix or layer.startswith(prefix + "_"):
            return "countries" if prefix == "basemap" else prefix
    return "styles" if layer == "layer_styles" else "other"


def describe_field(layer: str, field: str) -> FieldInfo | None:
    """Describe one field of one layer, or None if the catalogue does not know it.

    Parameters
    ----------
    layer : str
        The layer (``metros_<preset>``, ``flows_<...>``, ``panel``...) or file stem.
    field : str
        The field's name; ``<field>_<year>`` reads as ``field`` in that year.

    Returns
    -------
    FieldInfo or None

    Examples
    --------
    >>> describe_field("metros_exodus", "talent").unit
    'people'
    >>> describe_field("panel", "jobs_2050").meaning
    'all jobs held, in 2050'
    >>> describe_field("metros_exodus", "no_such_field") is None
    True
    """
    family = _family(layer)
    if field in {"geometry", "geom"}:
        return _GEOMETRY.get(family, _COUNTRIES["geometry"] if family == "countries" else None)
    tables = {
        "metros": (_METROS,),
        "flows": (_FLOWS,),
        "panel": (_PANEL,),
        "styles": (_STYLES,),
        "countries": (_COUNTRIES,),
    }.get(family, (_METROS, _FLOWS, _PANEL))
    for table in tables:
        if field in table:
            return table[field]
    match = _PER_YEAR.match(field)
    if match is not None:
        base = describe_field(layer, match["field"])
        if base is not None:
            year = match["year"]
            return FieldInfo(f"{base.meaning}, in {year}", base.unit, base.kind, base.source)
    return None


def _vector_fields(path: Path) -> Iterator[tuple[str, str]]:
    """(layer, field) of every layer of a GeoPackage or FlatGeobuf, geometry included."""
    import pyogrio

    for layer, geometry_type in pyogrio.list_layers(path):
        info = pyogrio.read_info(path, layer=layer)
        for name in info["fields"]:
            yield str(layer), str(name)
        if geometry_type is not None:
            yield str(layer), "geometry"


def _parquet_fields(path: Path) -> Iterator[tuple[str, str]]:
    import pyarrow.parquet as pq

    for name in pq.read_schema(path).names:
        if not name.startswith("__index_level_"):
            yield path.stem, name


def _raster_rows(path: Path, rel: str) -> Iterator[dict[str, str]]:
    """One row per band of a GeoTIFF, from the band's own description, unit and metadata."""
    import rasterio

    with rasterio.Env(GDAL_PAM_ENABLED="NO"), rasterio.open(path) as src:
        for band in range(1, src.count + 1):
            tags = src.tags(band)
            yield {
                "file": rel,
                "layer": path.stem,
                "field": f"band {band}",
                "meaning": str(src.descriptions[band - 1] or "")
                + (f": {tags['meaning']}" if tags.get("meaning") else ""),
                "unit": str(src.units[band - 1] or ""),
                "kind": tags.get("kind", ""),
                "source": tags.get("source", ""),
            }


def data_dictionary(folder: str | Path) -> pd.DataFrame:
    """Describe every layer, field and band written under ``folder``.

    Parameters
    ----------
    folder : path-like
        A run's output (or staging) folder. Hidden files are left out.

    Returns
    -------
    pandas.DataFrame
        One row per (file, layer, field), columns :data:`COLUMNS`; a field the
        catalogue does not know has an empty ``meaning``.

    Examples
    --------
    >>> import pathlib, tempfile, pandas as pd
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"metro_id": ["a"], "year": [2030], "talent": [1.0]}).to_parquet(
    ...     tmp / "panel.parquet")
    >>> data_dictionary(tmp)[["layer", "field", "unit"]].to_numpy().tolist()
    [['panel', 'metro_id', 'text'], ['panel', 'year', 'year'], ['panel', 'talent', 'people']]
    """
    root = Path(folder)
    rows: list[dict[str, str]] = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        suffix = path.suffix.lower()
        if suffix in (".tif", ".tiff"):
            rows += _raster_rows(path, rel)
            continue
        if suffix in (".gpkg", ".fgb"):
            fields = list(_vector_fields(path))
            if suffix == ".fgb":
                fields = [(path.stem, f) for _, f in fields]
        elif suffix == ".parquet":
            fields = list(_parquet_fields(path))
        else:
            continue
        for layer, name in fields:
            info = describe_field(layer, name) or FieldInfo("", "", "", "")
            rows.append({"file": rel, "layer": layer, "field": name, **info.__dict__})
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _markdown(table: pd.DataFrame, title: str, intro: str) -> str:
    lines = [f"# {title}", "", intro, ""]
    for (file, layer), part in table.groupby(["file", "layer"], sort=False):
        lines += [f"## {file}" + (f" — layer `{layer}`" if file.endswith(".gpkg") else ""), ""]
        lines += ["| field | meaning | unit | kind | source |", "|---|---|---|---|---|"]
        for row in part.itertuples(index=False):
            cells = (row.field, row.meaning, row.unit, row.kind, row.source)
            lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def write_dictionary(
    folder: str | Path, *, title: str = "Data dictionary", intro: str = ""
) -> list[Path]:
    """Write ``fields.csv`` and ``README.md`` describing what ``folder`` holds, atomically.

    Parameters
    ----------
    folder : path-like
        The folder to describe and write into (a run's staging folder).
    title : str, default "Data dictionary"
        The README's heading.
    intro : str, optional
        A paragraph under the heading (what the run was, its attribution).

    Returns
    -------
    list of pathlib.Path
        ``[folder / "fields.csv", folder / "README.md"]``.

    Examples
    --------
    >>> import pathlib, tempfile, pandas as pd
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"metro_id": ["a"], "talent": [1.0]}).to_parquet(tmp / "panel.parquet")
    >>> [p.name for p in write_dictionary(tmp)]
    ['fields.csv', 'README.md']
    """
    from geoai.io._atomic import atomic_path

    root = Path(folder)
    table = data_dictionary(root)
    kinds = (
        "kind: *observed* values come from a named source; *modelled* values are the "
        "scenario's; *label* fields identify or describe; *observed at the start...* "
        "fields are observed in the start year where the metro's *_source column says so."
    )
    text = _markdown(table, title, f"{intro}\n\n{kinds}".strip())
    csv_path, md_path = root / "fields.csv", root / "README.md"
    with atomic_path(csv_path, overwrite=True) as tmp:
        table.to_csv(tmp, index=False)
    with atomic_path(md_path, overwrite=True) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return [csv_path, md_path]
