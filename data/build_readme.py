"""Rewrite the generated tables of data/README.md from the shipped data.

* The labour model: the modelled job columns of metros outside the US
  (``geoai.labour.model_jobs``) are calibrated to published anchors and to the
  observed US metros. This prints what that calibration is and how the model
  does where it can be checked: on the US metros themselves, modelled from
  their size and US income only, against their observed BLS OEWS × Eloundou
  et al. columns.
* The headline checks against references, copied from the datasets' own
  READMEs (so the index never disagrees with them): the US exposure against
  the paper's figures, and the GeoNames delineation against the UN.
* The country tables (``niip/``, ``ai_index/``): how many countries each
  covers, from which source, and how many of the default metros they reach.

Run last, after every dataset is built (``make data`` does)::

    python data/build_readme.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

import geoai
from geoai.datasets._ai_index import AI_INVESTMENT_COLUMNS, load_ai_investment
from geoai.labour import INCOME_GROUPS, LabourAssumptions, employment_rate, model_jobs, us_anchors

sys.path.insert(0, str(Path(__file__).resolve().parents[0]))  # data/_tools.py
from _tools import replace_block

HERE = Path(__file__).resolve().parent


def anchors_table() -> str:
    a = LabourAssumptions()
    rate = employment_rate(np.asarray(a.income_anchors_usd), a)
    rows = [
        (
            "| income group | GDP per capita (USD) | employment / population 15+ (ILO) | "
            "share aged 15+ (UN WPP) | jobs per resident | exposed (IMF) "
            "| of it complementary (IMF) |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for k, group in enumerate(INCOME_GROUPS):
        rows.append(
            f"| {group} | {a.income_anchors_usd[k]:,.0f} | {a.employment_15plus[k]:.2f} "
            f"| {a.adult_share[k]:.2f} | {rate[k]:.3f} | {a.exposed_share[k]:.0%} "
            f"| {a.complementary_share[k]:.0%} |"
        )
    us = us_anchors()
    rows += [
        "",
        (
            f"US anchors fitted on the {us.n_metros} observed MSAs (BLS OEWS May 2025 × "
            f"Eloundou et al. 2024): routine share {us.routine_share:.4f}, augmentable share "
            f"{us.augmentable_share:.4f}, AI-talent share {us.talent_share:.4f} of jobs; size "
            f"elasticities {us.routine_elasticity:+.3f} (routine), "
            f"{us.augmentable_elasticity:+.3f} (augmentable), {us.talent_elasticity:+.3f} "
            f"(AI talent); reference size {us.reference_jobs:,.0f} jobs, fitted range "
            f"{us.min_jobs:,.0f}–{us.max_jobs:,.0f} jobs."
        ),
    ]
    return "\n".join(rows)


def check_table() -> str:
    us = geoai.load_us_metros()
    y = float(geoai.load_countries().loc["USA", "gdp_pc_usd"])
    rate = employment_rate(np.array([y]))[0]
    jobs = model_jobs(us["jobs_total"].to_numpy() / rate, np.full(len(us), y))
    rows = [
        (
            "| column | national share, observed | national share, modelled | "
            "median abs. log ratio by metro | Spearman by metro |"
        ),
        "|---|---:|---:|---:|---:|",
    ]
    for col in ("jobs_routine", "jobs_augmentable", "ai_talent"):
        observed = us[col].to_numpy() / us["jobs_total"].to_numpy()
        modelled = jobs[col].to_numpy() / jobs["employment"].to_numpy()
        keep = observed > 0
        rows.append(
            f"| `{col}` | {us[col].sum() / us['jobs_total'].sum():.4f} "
            f"| {jobs[col].sum() / jobs['employment'].sum():.4f} "
            f"| {np.median(np.abs(np.log(modelled[keep] / observed[keep]))):.3f} "
            f"| {spearmanr(observed, modelled).statistic:.2f} |"
        )
    return "\n".join(rows)


def country_tables() -> str:
    countries = geoai.load_countries()
    niip = countries.dropna(subset=["niip_usd"])
    source = niip["niip_source"]
    official = source.str.startswith("official IIP").sum()
    estimate = source.str.startswith("estimate by the EWN").sum()
    seed = len(niip) - official - estimate
    metros = geoai.load_metros()
    reached = metros["country_iso3"].isin(niip.index)
    ai = load_ai_investment()
    both = ai[list(AI_INVESTMENT_COLUMNS)].notna().all(axis=1).sum()
    rows = [
        "| folder | what | countries | of which | default metros (>= 1 M) reached |",
        "|---|---|---:|---|---:|",
        (
            f"| [`niip/`](niip/README.md) | net international investment position | {len(niip)} "
            f"| seed 000: {seed}; EWN official IIP: {official}; EWN estimate: {estimate} "
            f"| {int(reached.sum())} of {len(metros)} |"
        ),
        (
            f"| [`ai_index/`](ai_index/README.md) | private investment in AI, 2024 and 2013–24 "
            f"| {len(ai)} | in both charts: {both}; 2024 world total "
            f"{ai.attrs['world_total_2024_usd'] / 1e9:.2f} bn USD, of it "
            f"{ai.attrs['rest_of_world_2024_usd'] / 1e9:.2f} bn outside the listed 15 "
            f"| {int(metros['country_iso3'].isin(ai.index).sum())} of {len(metros)} |"
        ),
    ]
    return "\n".join(rows)


def block(path: Path, marker: str) -> str:
    """Return the generated block ``marker`` of another README (without its markers)."""
    text = path.read_text(encoding="utf-8")
    found = re.search(rf"<!-- {marker}:start -->\n(.*?)\n?<!-- {marker}:end -->", text, re.DOTALL)
    if found is None:
        raise SystemExit(f"{path} lacks the {marker} markers; rebuild that dataset first")
    return found.group(1).rstrip("\n")


def main() -> None:
    readme = HERE / "README.md"
    text = readme.read_text(encoding="utf-8")
    text = replace_block(text, "labour-anchors", anchors_table())
    text = replace_block(text, "labour-check", check_table())
    us_readme = HERE / "us_oews_2025" / "README.md"
    text = replace_block(text, "exposure-national", block(us_readme, "exposure_national"))
    text = replace_block(text, "geonames-vs-wup", block(HERE / "geonames" / "README.md", "wup"))
    text = replace_block(text, "country-tables", country_tables())
    readme.write_text(text, encoding="utf-8")
    print(anchors_table())
    print(check_table())
    print(country_tables())


if __name__ == "__main__":
    main()
