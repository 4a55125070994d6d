"""Metropolitan delineation: the City Clustering Algorithm on populated places.

Rozenfeld et al. (2008, PNAS 105:18702) define an agglomeration as a maximal
set of populated cells that are chained together, each within a distance
``link_km`` (their ℓ) of another. Gazetteers such as GeoNames list populated
*places* (points with a city-proper population), not cells, so two
adaptations are needed and both are explicit parameters here:

* **Places are discs, not points.** A place of population ``P`` is taken to
  cover a disc of area ``P / density`` around its point. Two places are linked
  when the gap between their discs is at most ``link_km``, i.e. when
  ``d_ij <= link_km + r_i + r_j``. Without this, a 10-million city represented
  by a single point would never chain to suburbs 15 km away although the
  built-up area between them is continuous. ``density=None`` gives the classic
  point CCA (``d_ij <= link_km``).
* **Sections are not counted twice.** Gazetteers list wards and districts
  (e.g. Tokyo's 23 special wards) beside the city that already contains their
  population. A place whose point falls inside the disc of a larger place is
  treated as a section of it: it links as usual but adds no population.

Distances are great-circle distances on a sphere of radius 6371.0088 km (the
IUGG mean Earth radius); points in any CRS are converted to longitude/latitude.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, overload

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from geoai import _validate as v
from geoai._constants import EARTH_RADIUS_KM
from geoai.errors import InputError

__all__ = ["Delineation", "metros_from_places"]

# Relative slack on the link distance, so a place exactly ℓ km away links even
# after the round trip through chord lengths in floating point.
_LINK_RTOL = 1e-9


@dataclass(frozen=True)
class Delineation:
    """The result of :func:`metros_from_places` with ``return_places=True``.

    Attributes
    ----------
    metros : geopandas.GeoDataFrame
        One row per agglomeration (see :func:`metros_from_places`).
    places : geopandas.GeoDataFrame
        The input places that passed ``min_place_pop``, with ``metro_id`` and
        ``is_section`` columns added.
    """

    metros: gpd.GeoDataFrame
    places: gpd.GeoDataFrame


def _unit_vectors(lon_deg: np.ndarray, lat_deg: np.ndarray) -> np.ndarray:
    lon, lat = np.radians(lon_deg), np.radians(lat_deg)
    cos_lat = np.cos(lat)
    return np.column_stack((cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)))


def _chord(km: np.ndarray | float) -> np.ndarray:
    angle = np.minimum(np.asarray(km, dtype=np.float64) / EARTH_RADIUS_KM, np.pi)
    return 2.0 * np.sin(angle / 2.0)


def _arc_km(chord: np.ndarray) -> np.ndarray:
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0))


def _candidate_pairs(xyz: np.ndarray, reach_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs (i < j) whose points are within ``reach_km[i]`` of each other."""
    tree = cKDTree(xyz)
    neighbours = tree.query_ball_point(xyz, _chord(reach_km), return_sorted=False)
    counts = np.fromiter((len(nb) for nb in neighbours), dtype=np.int64, count=len(xyz))
    i = np.repeat(np.arange(len(xyz)), counts)
    j = np.fromiter((k for nb in neighbours for k in nb), dtype=np.int64, count=counts.sum())
    keep = i < j
    return i[keep], j[keep]


@overload
def metros_from_places(
    places: gpd.GeoDataFrame,
    *,
    link_km: float = ...,
    min_place_pop: float = ...,
    density: float | None = ...,
    population: str = ...,
    name: str = ...,
    place_id: str | None = ...,
    country: str | None = ...,
    return_places: Literal[False] = ...,
) -> gpd.GeoDataFrame: ...


@overload
def metros_from_places(
    places: gpd.GeoDataFrame,
    *,
    link_km: float = ...,
    min_place_pop: float = ...,
    density: float | None = ...,
    population: str = ...,
    name: str = ...,
    place_id: str | None = ...,
    country: str | None = ...,
    return_places: Literal[True],
) -> Delineation: ...


def metros_from_places(
    places: gpd.GeoDataFrame,
    *,
    link_km: float = 5.0,
    min_place_pop: float = 15_000,
    density: float | None = 10_000.0,
    population: str = "population",
    name: str = "name",
    place_id: str | None = None,
    country: str | None = None,
    return_places: bool = False,
) -> gpd.GeoDataFrame | Delineation:
    """Group populated places into agglomerations with the City Clustering Algorithm.

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
        Urban density in people per km² that sizes each place's disc
        (radius ``sqrt(P / (pi * density))``) for linking and section
        detection. ``None`` gives the classic point CCA without sections.
    population, name : str
        Column names of the population and the place name.
    place_id : str, optional
        Column with a unique place identifier; the index is used if omitted.
    country : str, optional
        Column with the place's country code.
    return_places : bool, default False
        Also return the places with their ``metro_id`` and ``is_section`` flag.

    Returns
    -------
    geopandas.GeoDataFrame or Delineation
        One row per agglomeration, largest first, in EPSG:4326, with columns
        ``metro_id`` (the id of its largest place, as str), ``name`` (the name
        of its largest place), ``country`` (the largest place's, when
        ``country`` is given) and ``countries`` (all, ``;``-separated),
        ``population`` (sum over places that are not sections), ``n_places``,
        ``n_sections``, ``places`` (the five largest place names) and
        ``geometry`` (population-weighted centroid).

    Raises
    ------
    InputError
        Empty input, a missing column, NaN or negative populations, duplicate
        ids, or non-positive ``link_km`` / ``density``.
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
    link_km = v.check_positive(link_km, "link_km")
    min_place_pop = v.check_positive(min_place_pop, "min_place_pop", allow_zero=True)
    if density is not None:
        density = v.check_positive(density, "density")
    for col in (population, name, place_id, country):
        if col is not None and col not in places.columns:
            raise InputError(
                f"places has no column {col!r}; available columns: {list(places.columns)}."
            )
    x, y, crs = v.as_coords(places, "places")
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
    pop = pop_all[order]
    xyz = _unit_vectors(x[order], y[order])
    radius = np.zeros_like(pop) if density is None else np.sqrt(pop / (np.pi * density))

    reach = (link_km + radius + radius.max()) * (1.0 + _LINK_RTOL)
    i, j = _candidate_pairs(xyz, reach)
    dist = _arc_km(np.linalg.norm(xyz[i] - xyz[j], axis=1))
    linked = dist <= (link_km + radius[i] + radius[j]) * (1.0 + _LINK_RTOL)

    # i < j in sorted order, so place i is at least as large as place j.
    is_section = np.zeros(pop.size, dtype=bool)
    is_section[j[dist < radius[i]]] = True

    n = pop.size
    graph = coo_matrix((np.ones(int(linked.sum())), (i[linked], j[linked])), shape=(n, n))
    _, label = connected_components(graph, directed=False)

    table = pd.DataFrame(
        {
            "label": label,
            "rank": np.arange(n),
            "section": is_section,
            "name": places[name].to_numpy()[order],
            "id": ids_all[order],
            "country": places[country].to_numpy()[order] if country else "",
        }
    )
    result, first = _summarise(
        table, np.where(is_section, 0.0, pop), xyz, with_country=bool(country)
    )
    if not return_places:
        return result

    label_to_id = dict(zip(first.index, first["id"].astype(str), strict=True))
    out_places = places.iloc[order].copy()
    out_places["metro_id"] = [label_to_id[lab] for lab in label]
    out_places["is_section"] = is_section
    return Delineation(metros=result, places=out_places)


def _summarise(
    table: pd.DataFrame, counted: np.ndarray, xyz: np.ndarray, *, with_country: bool
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """One row per component: largest place, summed population, weighted centroid."""
    table = table.assign(
        pop=counted, wx=counted * xyz[:, 0], wy=counted * xyz[:, 1], wz=counted * xyz[:, 2]
    )
    groups = table.groupby("label", sort=False)
    first = groups.first()  # rows are in size order, so first() is the largest place
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
            "places": top_names.reindex(first.index),
        }
    )
    if with_country:
        metros.insert(2, "country", first["country"])
        countries = groups["country"].agg(lambda s: ";".join(sorted(set(map(str, s)))))
        metros.insert(3, "countries", countries)
    result = gpd.GeoDataFrame(metros, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    result["_rank"] = first["rank"]
    result = result.sort_values(["population", "_rank"], ascending=[False, True])
    result = result.drop(columns="_rank").reset_index(drop=True)
    result[["n_places", "n_sections"]] = result[["n_places", "n_sections"]].astype("int64")
    return result, first
