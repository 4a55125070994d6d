"""Private investment in AI by country: the Stanford HAI *AI Index Report 2025*.

The country figures of the report's Chapter 4 (Economy), read offline from
``data/ai_index/ai_investment.csv`` (built by ``data/ai_index/build.py`` from
the hand-transcribed figures in ``data/ai_index/source/``; see
``data/ai_index/README.md`` for where each figure was read, the license and
what the "rest of world" residual is).

* :func:`load_ai_investment`: the 18 countries of Figures 4.3.8 (2024) and
  4.3.9 (2013–24), with the world total in ``attrs``.

The figures are the report's (from Quid's investment data), observed, not
modelled. Each chart lists only its top 15 countries, so a country outside one
chart's top 15 is NaN in that column; the world total minus the listed
countries (``attrs["rest_of_world_2024_usd"]``) is what the unlisted
countries received together.
"""

from __future__ import annotations

import functools
import math

import pandas as pd

__all__ = ["AI_INDEX_SOURCE", "AI_INVESTMENT_COLUMNS", "load_ai_investment"]

#: Citation of the report; its CC BY-ND 4.0 license asks for attribution.
AI_INDEX_SOURCE = (
    'Maslej et al., "The AI Index 2025 Annual Report", AI Index Steering Committee, '
    "Institute for Human-Centered AI, Stanford University, April 2025 (CC BY-ND 4.0); "
    "data: Quid"
)
#: The two measures, in current USD.
AI_INVESTMENT_COLUMNS = (
    "private_ai_investment_2024_usd",
    "private_ai_investment_2013_2024_usd",
)
_TABLE = "ai_index/ai_investment.csv"
_TOTALS = "ai_index/world_totals.csv"


@functools.lru_cache(maxsize=1)
def _read() -> tuple[pd.DataFrame, pd.DataFrame]:
    from geoai._shipped import data_path

    table = pd.read_csv(data_path(_TABLE), index_col="iso3", keep_default_na=False, na_values=[""])
    for col in AI_INVESTMENT_COLUMNS:
        table[col] = table[col].astype(float)
    totals = pd.read_csv(data_path(_TOTALS), index_col="measure", na_values=[""])
    return table, totals


def _total(totals: pd.DataFrame, measure: str, column: str) -> float:
    value = totals.loc[measure, column] if measure in totals.index else math.nan
    return float(value) if pd.notna(value) else math.nan


def load_ai_investment() -> pd.DataFrame:
    """Private investment in AI by country, 2024 and 2013–24 (AI Index 2025).

    Returns
    -------
    pandas.DataFrame
        One row per country (18), indexed by ISO3 code, with ``name`` (as the
        report prints it), ``private_ai_investment_2024_usd`` (Figure 4.3.8)
        and ``private_ai_investment_2013_2024_usd`` (Figure 4.3.9, the sum
        of 2013–2024), both in current USD, and ``source`` (which figure each
        value comes from). Each figure lists the top 15 countries; a country
        outside one figure's top 15 is NaN there (it received no more than that
        figure's 15th country). ``attrs``:

        * ``"source"``: the citation to carry with anything made from it;
        * ``"world_total_2024_usd"``: global private investment in AI in
          2024 (Figure 4.3.2), USD;
        * ``"rest_of_world_2024_usd"``: that total minus the 15 countries
          of Figure 4.3.8, USD (>= 0): what every other country received;
        * ``"world_total_2013_2024_usd"`` and
          ``"rest_of_world_2013_2024_usd"``: NaN, because the report states
          no world total for 2013–24.

    Examples
    --------
    >>> ai = load_ai_investment()
    >>> usd_2024 = ai["private_ai_investment_2024_usd"]
    >>> usd_2024["USA"] > usd_2024["CHN"] > usd_2024["GBR"]
    np.True_
    >>> ai.attrs["rest_of_world_2024_usd"] >= 0
    True
    """
    table, totals = _read()
    out = table.copy()
    out.attrs = {
        "source": AI_INDEX_SOURCE,
        "world_total_2024_usd": _total(totals, AI_INVESTMENT_COLUMNS[0], "world_usd"),
        "rest_of_world_2024_usd": _total(totals, AI_INVESTMENT_COLUMNS[0], "rest_of_world_usd"),
        "world_total_2013_2024_usd": _total(totals, AI_INVESTMENT_COLUMNS[1], "world_usd"),
        "rest_of_world_2013_2024_usd": _total(
            totals, AI_INVESTMENT_COLUMNS[1], "rest_of_world_usd"
        ),
    }
    return out
