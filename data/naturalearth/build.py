"""Build data/naturalearth/countries_110m.parquet, the country polygons drawn under geoai's maps.

Source: Natural Earth 1:110m Cultural Vectors, Admin 0 - Countries, version
4.1.0 (public domain; "Made with Natural Earth"). It is read offline from the
copy that the installed ``pyogrio`` wheel ships as a test fixture
(``pyogrio/tests/fixtures/naturalearth_lowres/``); that copy keeps five of
Natural Earth's attribute columns and the original geometry file byte for
byte (see ``README.md`` in this folder for how the version was established).

The build keeps ``iso3``, ``name``, ``continent`` and the geometry (EPSG:4326,
repaired with ``shapely.make_valid`` where invalid), fills the ISO 3166 codes
that Natural Earth leaves at ``-99`` by name (France, Norway, Kosovo), and
leaves the two disputed areas without a code empty but flagged in
``iso3_source`` and ``iso3_note``. Any other ``-99`` stops the build. Rows
are sorted by ``iso3`` (uncoded last) and ``name``; the output is written
atomically and the same input gives the same file::

    python data/naturalearth/build.py
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "countries_110m.parquet"
#: Natural Earth release of the fixture (ne_110m_admin_0_countries.VERSION.txt).
NE_VERSION = "4.1.0"
#: SHA-256 of ne_110m_admin_0_countries.shp in the Natural Earth 4.1.0 zip, which
#: is the fixture's naturalearth_lowres.shp byte for byte.
SHP_SHA256 = "08e341606e8391e458c3f08deb312de664b56bfae376064c5aa0aee6681a5f55"
MISSING = "-99"

#: ISO 3166 codes assigned by Natural Earth name where the file has -99.
ISO3_BY_NAME: dict[str, tuple[str, str]] = {
    "France": (
        "FRA",
        "Natural Earth -99; its France unit also holds French Guiana. ISO 3166 code FRA",
    ),
    "Norway": (
        "NOR",
        "Natural Earth -99; its Norway unit also holds Svalbard. ISO 3166 code NOR",
    ),
    "Kosovo": (
        "XKX",
        (
            "Natural Earth -99; Kosovo has no ISO 3166 code. XKX is the user-assigned code "
            "used by GeoNames and the World Bank (and data/countries.csv)"
        ),
    ),
}
#: Disputed areas that have no ISO 3166 code: kept, drawn, but left without one.
NO_CODE: dict[str, str] = {
    "N. Cyprus": "disputed: self-administered, claimed by Cyprus; no ISO 3166 code, left empty",
    "Somaliland": "disputed: self-administered, claimed by Somalia; no ISO 3166 code, left empty",
}
COLUMNS = ["iso3", "name", "continent", "iso3_source", "iso3_note", "geometry"]


def fixture_path() -> Path:
    """Return the Natural Earth shapefile shipped inside the installed pyogrio."""
    path = Path(pyogrio.__file__).parent / "tests/fixtures/naturalearth_lowres"
    shp = path / "naturalearth_lowres.shp"
    if not shp.exists():
        raise SystemExit(f"{shp} not found: install pyogrio with its test fixtures (a wheel).")
    return shp


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Repair an invalid geometry and keep only its polygonal parts."""
    if shapely.is_valid(geom):
        return geom
    fixed = shapely.make_valid(geom)
    parts = [p for p in shapely.get_parts(fixed) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


def build(shp: Path | None = None) -> tuple[gpd.GeoDataFrame, dict[str, object]]:
    """Return the countries table and a summary of what the build did."""
    shp = shp or fixture_path()
    raw = gpd.read_file(shp, engine="pyogrio")
    if raw.crs is None or raw.crs.to_epsg() != 4326:
        raise SystemExit(f"{shp}: expected EPSG:4326, got {raw.crs}")
    iso3 = raw["iso_a3"].astype(object).copy()
    source = pd.Series("natural_earth", index=raw.index, dtype=object)
    note = pd.Series("", index=raw.index, dtype=object)
    for name, (code, why) in ISO3_BY_NAME.items():
        row = raw.index[raw["name"] == name]
        if len(row) != 1 or raw.loc[row[0], "iso_a3"] != MISSING:
            raise SystemExit(f"expected one {name!r} with iso_a3 -99 in {shp}")
        iso3[row[0]], source[row[0]], note[row[0]] = code, "name_map", why
    for name, why in NO_CODE.items():
        row = raw.index[raw["name"] == name]
        if len(row) != 1 or raw.loc[row[0], "iso_a3"] != MISSING:
            raise SystemExit(f"expected one {name!r} with iso_a3 -99 in {shp}")
        iso3[row[0]], source[row[0]], note[row[0]] = None, "none", why
    left = raw.loc[iso3 == MISSING, "name"].tolist()
    if left:
        raise SystemExit(f"iso_a3 -99 without a documented fix: {left}; add them to build.py")
    coded = iso3.dropna()
    if coded.duplicated().any():
        raise SystemExit(f"duplicate iso3 codes: {sorted(coded[coded.duplicated()])}")

    invalid = int((~raw.geometry.is_valid).sum())
    geometry = [_polygonal(g) for g in raw.geometry]
    table = gpd.GeoDataFrame(
        {
            "iso3": iso3,
            "name": raw["name"],
            "continent": raw["continent"],
            "iso3_source": source,
            "iso3_note": note,
        },
        geometry=geometry,
        crs="EPSG:4326",
    )
    if not table.geometry.is_valid.all():
        raise SystemExit("geometries still invalid after make_valid")
    table["_uncoded"] = table["iso3"].isna()
    table = table.sort_values(["_uncoded", "iso3", "name"], kind="stable").reset_index(drop=True)
    table = table.drop(columns="_uncoded")[COLUMNS]
    digest = sha256(shp)
    summary: dict[str, object] = {
        "input": f"{shp} (pyogrio {pyogrio.__version__})",
        "shp sha256": digest
        + ("" if digest == SHP_SHA256 else f" (differs from Natural Earth 4.1.0 {SHP_SHA256})"),
        "countries": len(table),
        "iso3 as shipped": int((table["iso3_source"] == "natural_earth").sum()),
        "iso3 by name": int((table["iso3_source"] == "name_map").sum()),
        "no iso3 (disputed)": int((table["iso3_source"] == "none").sum()),
        "invalid geometries repaired": invalid,
        "polygon parts": int(shapely.get_num_geometries(table.geometry.to_numpy()).sum()),
    }
    return table, summary


def write(table: gpd.GeoDataFrame, path: Path) -> None:
    """Write GeoParquet atomically (temp file in the same folder, then os.replace)."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        table.to_parquet(tmp, index=False, schema_version="1.0.0")
        tmp.chmod(0o644)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def coverage(table: gpd.GeoDataFrame) -> str:
    """How many rows of data/countries.csv get a polygon."""
    countries = pd.read_csv(HERE.parent / "countries.csv", keep_default_na=False, na_values=[""])
    have = countries["iso3"].isin(table["iso3"].dropna())
    return f"{int(have.sum())} of {len(countries)} (without: {int((~have).sum())})"


def main() -> None:
    table, summary = build()
    write(table, OUTPUT)
    summary["rows of data/countries.csv with a polygon"] = coverage(table)
    summary["output"] = f"{OUTPUT.name}: {OUTPUT.stat().st_size:,} bytes, sha256 {sha256(OUTPUT)}"
    for key, value in summary.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
