"""Metropolitan delineation: the City Clustering Algorithm on populated places.

Rozenfeld et al. (2008, PNAS 105:18702) define an agglomeration as a maximal
set of populated cells chained together, each within ``link_km`` (their ℓ) of
another. Gazetteers such as GeoNames list *places* (points with a city-proper
population), not cells; :func:`metros_from_places` adapts the CCA to them:

* **Places are discs.** A place of population ``P`` covers a disc of area
  ``P / density`` (``country_density`` sets it per country, ``min_radius_km``
  floors the radius); two places link when the gap between their discs is at
  most ``link_km``: ``d_ij <= link_km + r_i + r_j``. ``density=None`` gives the
  point CCA (``d_ij <= link_km``) without sections.
* **Borders are not crossed.** With a ``country`` column, places of different
  countries never link and are never sections of each other.
* **Sections count once, and only sections.** A smaller place ``j`` at distance
  ``d`` from a larger place ``i`` of the same country (and, with ``admin``, the
  same first-order division) is a *section* of ``i`` (it links but adds no
  population) by the first rule that holds; ``D`` is the disc radius at
  ``density``, ``S`` the radius at ``section_density``:

  1. *city-state*: ``i`` holds ``city_state_share`` of its country's
     population (``country_population``): every place of the country is in it;
  2. *duplicate*: equal populations and ``d < D_i``, or ``d < S_j`` (each
     point in the other's section disc): the same city listed twice;
  3. *ward*: ``d <= D_i + link_km`` and ``j``'s names mark a subdivision
     (:func:`name_marker`) or name ``i`` as its parent ("Hamburg-Wandsbek");
  4. *inside*: ``j`` is unmarked, ``d < D_i``, and ``P_j <= section_share * P_i``
     or ``j``'s section disc lies in ``i``'s (``d + S_j <= S_i``).

  A place named as a city of its own ("…市", "Lungsod ng …") is a section only
  by rules 1–2; any other place counts its own population even inside a
  larger disc (Howrah beside Kolkata, Giza beside Cairo).
* **Naming.** A metro is named after a counted national capital (``capital``),
  else its largest counted place.

Distances are great-circle distances on a sphere of radius 6371.0088 km (the
IUGG mean Earth radius); points in any CRS are converted to longitude/latitude.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, overload

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from geoai import _validate as v
from geoai._geodesy import arc_km, chord_of_km, unit_vectors_rows
from geoai.errors import InputError

__all__ = ["CITY_MARKERS", "WARD_MARKERS", "Delineation", "metros_from_places", "name_marker"]

# Relative slack on the link distance, so a place exactly ℓ km away links even
# after the round trip through chord lengths in floating point.
_LINK_RTOL = 1e-9

#: Name patterns (regular expressions, case-insensitive) that mark a place as a
#: subdivision of a city: English boroughs, Mexico City's delegaciones and
#: alcaldías, Bucharest's sectors, arrondissements, German Bezirke, Budapest's
#: kerületek, English "… District", Vietnamese urban districts (quận), Chinese
#: and Japanese wards (区/區, "-ku"), Korean ones ("-gu"), Chinese subdistricts.
WARD_MARKERS: tuple[str, ...] = (
    r"^(london )?borough of ", r"^(delegaci[oó]n|alcald[ií]a) ", r"^sector(ul)? \d+$",
    r"\barrondissement\b", r"\b(stadt)?bezirk\b", r"\bkerület$", r"\bdistrict$", r"^quận ",
    r"[区區]$", r"街道$", r"-(ku|gu)$",
)  # fmt: skip

#: Name patterns that mark a place as a city of its own: the Chinese and
#: Japanese city suffix 市 (romanised "-shi", Korean "-si"), Filipino "Lungsod
#: ng" and Cebuano "Dakbayan sa", Indonesian "Kota", Vietnamese "Thành phố".
CITY_MARKERS: tuple[str, ...] = (
    r"市$", r"-(shi|si)$", r"^(lungsod ng|dakbayan sa|kota|thành phố) ",
)  # fmt: skip

_WARD_RE = re.compile("|".join(WARD_MARKERS), re.IGNORECASE)
_CITY_RE = re.compile("|".join(CITY_MARKERS), re.IGNORECASE)
_UNKNOWN_ADMIN = frozenset({"", "00", "nan", "None", "<NA>"})
_RULES = ("", "city-state", "duplicate", "ward", "inside")
_SEP = re.compile(r"[\s,\-–]+")
# "Khartoum North", "Santo Domingo Este" are cities of their own, not parts
_COMPASS = frozenset(
    {"north", "south", "east", "west", "nord", "sud", "norte", "sur", "este", "oeste", "ost"}
)


def name_marker(names: Iterable[str] | str) -> Literal["ward", "city", ""]:
    """Classify a place from its names as a ward, a city of its own, or neither.

    Parameters
    ----------
    names : iterable of str, or str
        The place's name and alternate names (GeoNames ``alternatenames``).

    Returns
    -------
    {"ward", "city", ""}
        ``"ward"`` if any name matches :data:`WARD_MARKERS` (this wins: Tokyo's
        wards call themselves "… City" in English but "…区" in Japanese),
        ``"city"`` if any matches :data:`CITY_MARKERS`, else ``""``.

    Examples
    --------
    >>> name_marker(["The Bronx", "Borough of Bronx"]), name_marker(["Foshan", "佛山市"])
    ('ward', 'city')
    """
    names = [names] if isinstance(names, str) else [str(n) for n in names]
    if any(_WARD_RE.search(n) for n in names):
        return "ward"
    if any(_CITY_RE.search(n) for n in names):
        return "city"
    return ""


@dataclass(frozen=True)
class Delineation:
    """The result of :func:`metros_from_places` with ``return_places=True``.

    Attributes
    ----------
    metros : geopandas.GeoDataFrame
        One row per agglomeration (see :func:`metros_from_places`).
    places : geopandas.GeoDataFrame
        The input places that passed ``min_place_pop``, largest first, with ``metro_id``,
        ``is_section``, ``section_of`` (id of the place it is a section of, as str; ``""`` if
        none) and ``section_rule`` (``"city-state"``, ``"duplicate"``, ``"ward"``, ``"inside"``
        or ``""``).

    Examples
    --------
    >>> import geopandas as gpd  # B, 4.4 km from A and 1/40 of its size, is a section of A
    >>> pts = gpd.GeoDataFrame({"name": ["A", "B"], "population": [2e6, 5e4]}, crs=4326,
    ...                        geometry=gpd.points_from_xy([0.0, 0.04], [0.0, 0.0]))
    >>> d = metros_from_places(pts, return_places=True)
    >>> d.metros["population"].tolist(), d.places["section_rule"].tolist()
    ([2000000.0], ['', 'inside'])
    """

    metros: gpd.GeoDataFrame
    places: gpd.GeoDataFrame


def _candidate_pairs(xyz: np.ndarray, reach_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs (i < j) whose points are within ``reach_km[i]`` of each other."""
    tree = cKDTree(xyz)
    neighbours = tree.query_ball_point(xyz, chord_of_km(reach_km), return_sorted=False)
    counts = np.fromiter((len(nb) for nb in neighbours), dtype=np.int64, count=len(xyz))
    i = np.repeat(np.arange(len(xyz)), counts)
    j = np.fromiter((k for nb in neighbours for k in nb), dtype=np.int64, count=counts.sum())
    keep = i < j
    return i[keep], j[keep]


def _codes(values: np.ndarray, unknown: frozenset[str] = frozenset({""})) -> np.ndarray:
    """Integer codes of labels; -1 where the label is missing or in ``unknown``."""
    labels = pd.Series(values, dtype=object).map(lambda s: "" if pd.isna(s) else str(s))
    codes = pd.factorize(labels)[0].astype(np.int64)
    codes[labels.isin(unknown).to_numpy()] = -1
    return np.asarray(codes)


def _words(name: str) -> list[str]:
    """Lower-case words of a name without diacritics ("Kalyān" -> ["kalyan"])."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return [w for w in _SEP.split(bare.strip().lower()) if w]


def _parents(names: list[str]) -> frozenset[str]:
    """Names (squeezed, lower case) of the places that ``names`` say they are part of.

    "Hamburg-Wandsbek" and "Budapest XIII. kerület" give "hamburg" and
    "budapest" (leading words followed by more words, unless the next word is
    a compass point); an alternate name such as Minhang's "Shang-hai" gives
    "shanghai".
    """
    heads = {"".join(_words(nm)) for nm in names[1:]}
    for nm in names:
        w = _words(nm)
        heads.update("".join(w[:k]) for k in range(1, len(w)) if w[k] not in _COMPASS)
    return frozenset(heads)


def _markers(names: np.ndarray, aliases: np.ndarray | None) -> tuple[np.ndarray, list[Any]]:
    """Per place: 0 unmarked, 1 ward, 2 city (:func:`name_marker`), and its parents."""
    marker = np.zeros(names.size, dtype=np.int8)
    if aliases is None:
        return marker, []
    parents = []
    for k, (nm, al) in enumerate(zip(names, aliases, strict=True)):
        if isinstance(al, str):
            alist = al.split(",")
        else:
            alist = list(al) if isinstance(al, Iterable) else []
        every = [str(nm), *map(str, alist)]
        marker[k] = {"": 0, "ward": 1, "city": 2}[name_marker(every)]
        parents.append(_parents(every))
    return marker, parents


def _radii(pop: np.ndarray, density: float, min_radius_km: float) -> np.ndarray:
    return np.maximum(np.sqrt(pop / (np.pi * density)), min_radius_km)


def _check_arguments(country_density: object, numbers: Mapping[str, tuple[object, bool]]) -> None:
    """Check :func:`metros_from_places`' numbers and mappings (ranges, types) up front."""
    if not isinstance(country_density, Mapping | None):
        raise InputError(f"country_density must map ISO3 to people/km²; got {country_density!r}.")
    rho = {f"country_density[{k!r}]": (x, False) for k, x in (country_density or {}).items()}
    for label, (value, zero_ok) in {**numbers, **rho}.items():
        share = v.check_positive(value, label, allow_zero=zero_ok)
        if label in ("section_share", "city_state_share") and share > 1:
            raise InputError(
                f"{label} is a share, <= 1; got {share:g} (for {share:g} % pass /100)."
            )


@overload
def metros_from_places(
    places: gpd.GeoDataFrame,
    *,
    link_km: float = ...,
    min_place_pop: float = ...,
    density: float | None = ...,
    min_radius_km: float = ...,
    country_density: Mapping[str, float] | None = ...,
    section_density: float = ...,
    section_share: float = ...,
    section_test: Literal["disc", "centre"] = ...,
    population: str = ...,
    name: str = ...,
    place_id: str | None = ...,
    country: str | None = ...,
    admin: str | None = ...,
    aliases: str | None = ...,
    capital: str | None = ...,
    country_population: Mapping[str, float] | None = ...,
    city_state_share: float = ...,
    cross_border: bool = ...,
    return_places: Literal[False] = ...,
) -> gpd.GeoDataFrame: ...


@overload
def metros_from_places(
    places: gpd.GeoDataFrame,
    *,
    link_km: float = ...,
    min_place_pop: float = ...,
    density: float | None = ...,
    min_radius_km: float = ...,
    country_density: Mapping[str, float] | None = ...,
    section_density: float = ...,
    section_share: float = ...,
    section_test: Literal["disc", "centre"] = ...,
    population: str = ...,
    name: str = ...,
    place_id: str | None = ...,
    country: str | None = ...,
    admin: str | None = ...,
    aliases: str | None = ...,
    capital: str | None = ...,
    country_population: Mapping[str, float] | None = ...,
    city_state_share: float = ...,
    cross_border: bool = ...,
    return_places: Literal[True],
) -> Delineation: ...


def metros_from_places(
    places: gpd.GeoDataFrame,
    *,
    link_km: float = 5.0,
    min_place_pop: float = 15_000,
    density: float | None = 10_000.0,
    min_radius_km: float = 0.0,
    country_density: Mapping[str, float] | None = None,
    section_density: float = 20_000.0,
    section_share: float = 0.05,
    section_test: Literal["disc", "centre"] = "disc",
    population: str = "population",
    name: str = "name",
    place_id: str | None = None,
    country: str | None = None,
    admin: str | None = None,
    aliases: str | None = None,
    capital: str | None = None,
    country_population: Mapping[str, float] | None = None,
    city_state_share: float = 0.9,
    cross_border: bool = False,
    return_places: bool = False,
) -> gpd.GeoDataFrame | Delineation:
    """Group populated places into agglomerations with the City Clustering Algorithm.

    The rules (discs, borders, sections, naming) are set out in the docstring
    of :mod:`geoai.delineation`.

    Parameters
    ----------
    places : geopandas.GeoDataFrame
        Populated places (points; other geometries use their representative
        point) in any CRS, with a population column.
    link_km : float, default 5.0
        The CCA linking distance ℓ in km: places whose discs come within this
        gap are chained into one agglomeration (inclusive).
    min_place_pop : float, default 15,000
        Places smaller than this are ignored (neither linked nor counted).
    density : float or None, default 10,000
        Urban density in people per km² that sizes each place's disc (radius
        ``sqrt(P / (pi * density))`` km), for linking and for rules 2–4.
        ``None`` gives the classic point CCA with no sections at all.
    min_radius_km : float, default 0
        Floor on the linking radius in km.
    country_density : mapping of str to float, optional
        Linking density (people per km²) for the places of some countries
        (keys as in ``country``), replacing ``density`` for linking only.
    section_density : float, default 20,000
        Density in people per km² of the section discs of rules 2 and 4.
    section_share : float, default 0.05
        Rule 4: an unmarked place of at most this share of a larger place's
        population, with its point in that place's disc, is a section of it.
    section_test : {"disc", "centre"}, default "disc"
        Rule 4 as described (``"disc"``), or the rule of geoai 0.1 (``"centre"``): a place
        whose point lies in the section disc of a larger place is a section, whatever its names
        or size. With ``section_density=density``, ``cross_border=True`` and no ``admin``,
        ``aliases``, ``capital`` or ``country_population`` this reproduces geoai 0.1.
    population : str, default "population"
        Column of the place population (people).
    name : str, default "name"
        Column of the place name.
    place_id : str, optional
        Column with a unique place identifier; the index is used if omitted.
    country : str, optional
        Column with the place's country code.
    admin : str, optional
        Column with the first-order administrative division (GeoNames ``admin1code``). Empty,
        missing and ``"00"`` mean unknown and match any division.
    aliases : str, optional
        Column of alternate names (a list or a ``,``-separated string per place), read with
        ``name`` by :func:`name_marker` and rule 3.
    capital : str, optional
        Boolean column marking national capitals, used to name metros.
    country_population : mapping of str to float, optional
        Population of each country (keys as in ``country``), for rule 1.
    city_state_share : float, default 0.9
        Share of its country's population above which a place is a city-state.
    cross_border : bool, default False
        Link places, and find sections, across countries (as geoai 0.1 did).
    return_places : bool, default False
        Also return the places with ``metro_id``, ``is_section``, ``section_of`` and
        ``section_rule``.

    Returns
    -------
    geopandas.GeoDataFrame or Delineation
        One row per agglomeration, largest first, in EPSG:4326, with columns ``metro_id`` (the id of
        its naming place, as str), ``name`` (its naming place: a counted capital, else the largest
        counted place), ``country`` (the naming place's, when ``country`` is given) and
        ``countries`` (all, ``;``-separated), ``population`` (sum over places that are not
        sections), ``n_places`` (counted places), ``n_sections``, ``places`` (the five largest
        counted place names) and ``geometry`` (population-weighted centroid).

    Raises
    ------
    InputError
        Empty input, a missing column, NaN or negative populations, duplicate
        ids, or a non-positive ``link_km``, ``density`` or ``section_density``.
    CRSError
        ``places`` has no CRS.

    Examples
    --------
    >>> import geopandas as gpd
    >>> pts = gpd.GeoDataFrame(
    ...     {"name": ["A", "B", "C"], "population": [2e6, 5e5, 1e6]},
    ...     geometry=gpd.points_from_xy([0.0, 0.04, 3.0], [0.0, 0.0, 0.0]), crs=4326)
    >>> metros_from_places(pts, link_km=5, density=None)[["name", "population"]]
      name  population
    0    A   2500000.0
    1    C   1000000.0
    """
    x, y, crs = v.as_coords(places, "places")
    _check_arguments(
        country_density,
        {"link_km": (link_km, False), "min_place_pop": (min_place_pop, True)}
        | {"min_radius_km": (min_radius_km, True), "section_density": (section_density, False)}
        | {"section_share": (section_share, True), "city_state_share": (city_state_share, False)}
        | ({} if density is None else {"density": (density, False)}),
    )
    v.check_choice(section_test, ("disc", "centre"), "section_test")
    for col in (population, name, place_id, country, admin, aliases, capital):
        if col is not None and (not isinstance(col, str) or col not in places.columns):
            raise InputError(f"places has no column {v.short(col)}: {list(places.columns)[:20]}.")
    pop_all = v.as_mass(places[population], f"places[{population!r}]", allow_zero_sum=True)
    ids_all = places[place_id].to_numpy() if place_id else places.index.to_numpy()
    v.check_unique_ids(ids_all, f"places[{place_id!r}]" if place_id else "places.index")

    if not crs.is_geographic or crs.to_epsg() != 4326:
        lonlat = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=crs).to_crs(4326)
        x, y = lonlat.x.to_numpy(), lonlat.y.to_numpy()

    keep = np.flatnonzero(pop_all >= min_place_pop)
    if keep.size == 0:
        raise InputError(
            f"no place has population >= min_place_pop={min_place_pop:g} (largest is "
            f"{pop_all.max():g}); lower min_place_pop."
        )
    # Largest first; ties broken by input order so the result is deterministic.
    order = keep[np.lexsort((keep, -pop_all[keep]))]
    pop, n = pop_all[order], order.size
    xyz = unit_vectors_rows(x[order], y[order])
    country_vals = places[country].to_numpy()[order] if country else np.full(n, "")
    nation = _codes(country_vals) if country and not cross_border else np.zeros(n, np.int64)
    names = places[name].to_numpy()[order]

    if density is None:
        i, j = _candidate_pairs(xyz, np.full(n, link_km * (1.0 + _LINK_RTOL)))
        dist = arc_km(np.linalg.norm(xyz[i] - xyz[j], axis=1))
        keep_pair = (dist <= link_km * (1.0 + _LINK_RTOL)) & (nation[i] == nation[j])
        i, j = i[keep_pair], j[keep_pair]
        section_of, rule = np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=np.int8)
    else:
        radius = _radii(pop, density, min_radius_km)
        for iso, rho in (country_density or {}).items():
            sel = country_vals.astype(str) == iso
            radius[sel] = _radii(pop[sel], rho, min_radius_km)
        i, j, section_of, rule = _disc_graph(
            xyz, pop, radius, nation,
            disc=np.sqrt(pop / (np.pi * density)),
            sdisc=np.sqrt(pop / (np.pi * section_density)),
            link_km=link_km, share=section_share, test=section_test,
            markers=_markers(names, places[aliases].to_numpy()[order] if aliases else None),
            names=names,
            division=_codes(places[admin].to_numpy()[order], _UNKNOWN_ADMIN) if admin else None,
        )  # fmt: skip
        if country_population is not None and country:
            _city_states(pop, country_vals, country_population, city_state_share, section_of, rule)
        # a section always joins its container's metro
        sec = np.flatnonzero(rule > 0)
        i, j = np.concatenate([i, section_of[sec]]), np.concatenate([j, sec])

    graph = coo_matrix((np.ones(i.size), (i, j)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    is_section = rule > 0
    is_capital = (
        places[capital].eq(other=True).to_numpy(bool)[order] if capital else np.zeros(n, bool)
    )
    table = pd.DataFrame(
        {
            "label": label,
            "rank": np.arange(n),
            "section": is_section,
            "capital": is_capital & ~is_section,
            "name": names,
            "id": ids_all[order],
            "country": country_vals,
        }
    )
    result, first = _summarise(
        table, np.where(is_section, 0.0, pop), xyz, with_country=bool(country)
    )
    if not return_places:
        return result

    label_to_id = dict(zip(first.index, first["id"].astype(str), strict=True))
    ids_str = np.asarray(ids_all[order]).astype(str)
    out = places.iloc[order].copy()
    out["metro_id"] = [label_to_id[lab] for lab in label]
    out["is_section"] = is_section
    out["section_of"] = np.where(section_of >= 0, ids_str[np.maximum(section_of, 0)], "")
    out["section_rule"] = np.asarray(_RULES, dtype=object)[rule]
    return Delineation(metros=result, places=out)


def _disc_graph(
    xyz: np.ndarray,
    pop: np.ndarray,
    radius: np.ndarray,
    nation: np.ndarray,
    *,
    disc: np.ndarray,
    sdisc: np.ndarray,
    link_km: float,
    share: float,
    test: str,
    markers: tuple[np.ndarray, list[Any]],
    names: np.ndarray,
    division: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Linked pairs (i, j) and, per place, its container and section rule (rules 2-4)."""
    n = pop.size
    reach = link_km + np.maximum(radius + radius.max(), np.maximum(disc, sdisc))
    i, j = _candidate_pairs(xyz, reach * (1.0 + _LINK_RTOL))
    dist = arc_km(np.linalg.norm(xyz[i] - xyz[j], axis=1))
    # i < j in size order, so place i is at least as large as place j
    same = nation[i] == nation[j]
    linked = same & (dist <= (link_km + radius[i] + radius[j]) * (1.0 + _LINK_RTOL))
    admin_ok = same.copy()
    if division is not None:
        di, dj = division[i], division[j]
        admin_ok &= (di == dj) | (di < 0) | (dj < 0)
    marker, parents = markers
    duplicate = (same & (pop[i] == pop[j]) & (dist < disc[i])) | (admin_ok & (dist < sdisc[j]))
    near = admin_ok & (dist <= disc[i] + link_km)
    ward = near & (marker[j] == 1)
    if parents:
        squeezed = ["".join(_words(str(nm))) for nm in names]
        for k in np.flatnonzero(near & (marker[j] == 0)):
            ward[k] = squeezed[i[k]] in parents[j[k]]
    if test == "centre":
        inside = admin_ok & (dist < sdisc[i])
    else:
        small = pop[j] <= share * pop[i]
        fits = dist + sdisc[j] <= sdisc[i]
        inside = admin_ok & (marker[j] == 0) & (dist < disc[i]) & (small | fits)
    section_of, rule = np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=np.int8)
    for code, hit in enumerate([duplicate, ward, inside], start=2):
        # the largest qualifying container (smallest i) is recorded
        best = np.full(n, n, dtype=np.int64)
        np.minimum.at(best, j[hit], i[hit])
        new = (best < n) & (rule == 0)
        section_of[new], rule[new] = best[new], code
    return i[linked], j[linked], section_of, rule


def _city_states(  # noqa: PLR0917
    pop: np.ndarray,
    country_vals: np.ndarray,
    country_population: Mapping[str, float],
    share: float,
    section_of: np.ndarray,
    rule: np.ndarray,
) -> None:
    """Rule 1: every place of a country whose largest place holds ``share`` of it."""
    frame = pd.DataFrame({"c": pd.Series(country_vals, dtype=object).astype(str)})
    for code, rows in frame.groupby("c", sort=False).indices.items():
        total = country_population.get(code)
        top = rows.min()  # rows are in size order
        if total and total > 0 and pop[top] >= share * float(total):
            others = rows[rows != top]
            section_of[others], rule[others] = top, 1


def _summarise(
    table: pd.DataFrame, counted: np.ndarray, xyz: np.ndarray, *, with_country: bool
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """One row per component: naming place, summed population, weighted centroid."""
    table = table.assign(
        pop=counted, wx=counted * xyz[:, 0], wy=counted * xyz[:, 1], wz=counted * xyz[:, 2]
    )
    groups = table.groupby("label", sort=False)
    index = groups.size().index
    # the naming place: a counted capital, else the largest counted place
    first = (
        table.sort_values(["section", "capital", "rank"], ascending=[True, False, True])
        .groupby("label", sort=False)
        .first()
        .reindex(index)
    )
    sums = groups[["pop", "wx", "wy", "wz"]].sum()
    n_sections = groups["section"].sum()
    top_names = (
        table[~table["section"]]
        .groupby("label", sort=False)["name"]
        .agg(lambda s: "; ".join(map(str, s.iloc[:5])))
    )
    norm = np.sqrt(sums["wx"] ** 2 + sums["wy"] ** 2 + sums["wz"] ** 2)
    lat = np.degrees(np.arcsin(np.clip(sums["wz"] / norm, -1, 1)))
    lon = np.degrees(np.arctan2(sums["wy"], sums["wx"]))
    metros = pd.DataFrame(
        {
            "metro_id": first["id"].astype(str),
            "name": first["name"],
            "population": sums["pop"],
            "n_places": groups.size() - n_sections,
            "n_sections": n_sections,
            "places": top_names.reindex(index),
        }
    )
    if with_country:
        metros.insert(2, "country", first["country"])
        countries = groups["country"].agg(lambda s: ";".join(sorted(set(map(str, s)))))
        metros.insert(3, "countries", countries)
    result = gpd.GeoDataFrame(metros, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    result["_rank"] = groups["rank"].min()
    result = result.sort_values(["population", "_rank"], ascending=[False, True])
    result = result.drop(columns="_rank").reset_index(drop=True)
    result[["n_places", "n_sections"]] = result[["n_places", "n_sections"]].astype("int64")
    return result, first
