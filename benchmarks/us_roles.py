"""US AI roles from observed talent, side by side with the Brookings (2025) tiers.

Run from the repository root::

    .venv/bin/python benchmarks/us_roles.py

It classifies the 393 US MSAs of ``geoai.load_us_metros()`` (BLS OEWS May
2025: jobs and AI talent observed), compares the roles with the tiers that
Brookings Metro gives the metros it names (Muro & Methkupally 2025, see
:data:`BROOKINGS`), measures how the superstar set and the hub count move
with the thresholds, lists the world's superstar candidates on
``geoai.load_metros()`` and counts the roles on the three default inputs.
It writes ``docs/us_ai_roles.md`` atomically (temporary sibling, then
``os.replace``). Everything but the timing table is deterministic.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

import geoai
from geoai.io._atomic import atomic_path

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "docs" / "us_ai_roles.md"

#: Metros whose Brookings tier we cite, by CBSA code: (short name, tier, where the name is
#: quoted). The tiers are the report's (Muro & Methkupally 2025); the report tiers 195
#: metros (2 superstars, 28 star hubs, 14 emerging centres, 29 focused movers, 79 nascent
#: adopters, 43 others), and only the names that press coverage of the report quotes
#: (sources in SOURCES) are used here; the others are left out rather than guessed.
BROOKINGS = {
    "41860": ("San Francisco", "superstar", "S, R"),
    "41940": ("San Jose", "superstar", "S, R"),
    "42660": ("Seattle", "star hub", "S, K, G"),
    "47900": ("Washington", "star hub", "S, R"),
    "12420": ("Austin", "star hub", "S, R, G, F"),
    "35620": ("New York", "star hub", "R"),
    "16980": ("Chicago", "star hub", "R"),
    "14460": ("Boston", "star hub", "K, G"),
    "31080": ("Los Angeles", "star hub", "J"),
    "33100": ("Miami", "star hub", "K"),
    "12060": ("Atlanta", "star hub", "F"),
    "19740": ("Denver", "star hub", "F"),
    "33460": ("Minneapolis-St. Paul", "star hub", "F"),
    "38300": ("Pittsburgh", "emerging centre", "G, M"),
    "19820": ("Detroit", "emerging centre", "M, J"),
    "31540": ("Madison", "emerging centre", "G, M"),
}
SOURCES = {
    "S": "Sherwood News, 'Charted and mapped: Which American cities are the most ready for "
    "AI?', July 2025, https://sherwood.news/tech/charted-and-mapped-which-american-cities-"
    "are-the-most-ready-for-ai (quotes the six tier definitions and counts)",
    "R": "Route Fifty, 'Usual cities dominate AI readiness, but more are rising', July 2025, "
    "https://www.route-fifty.com/artificial-intelligence/2025/07/usual-cities-dominate-ai-"
    "readiness-more-are-rising/406762",
    "G": "Governing, 'Want AI to boost your local economy? It's time to strategize', July "
    "2025, https://www.governing.com/workforce/want-ai-to-boost-your-local-economy-its-time-"
    "to-strategize",
    "K": "kiadev.net, 'Mapping the future of AI hubs across the US: insights from four key "
    "charts', 16 July 2025, https://kiadev.net/news/2025-07-16-future-ai-hubs-us-brookings-"
    "report",
    "F": "Full Stack Saint Paul, 'Twin Cities emerges as AI-ready star hub', 2025, "
    "https://fullstacksaintpaul.com/twin-cities-emerges-as-ai-ready-star-hub/",
    "M": "mission10k.com, 'Charted and mapped: which U.S. cities are actually ready for the "
    "AI boom', 2025",
    "J": "justtainowai.com, 'Is your city about to get a Silicon Valley upgrade? Mapping "
    "America's AI race', 2025",
}
REFERENCE = (
    "Muro, M. & Methkupally, S. (2025). *Mapping the AI economy: Which regions are ready for "
    "the next technology leap.* Brookings Metro, July 2025 (195 metros in six tiers from 14 "
    "indicators of AI talent, innovation and adoption)."
)
THRESHOLDS = geoai.RoleThresholds()
FAST = geoai.RoleThresholds(permutations=0)  # roles never depend on Gi*: sweeps skip it


def markdown(frame: pd.DataFrame) -> str:
    """A pipe table of ``frame`` (index dropped)."""
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.to_numpy()]
    return "\n".join(lines)


def _pct(x: float) -> str:
    return f"{100 * x:.2f} %"


def _lq(x: float) -> str:
    return f"{x:.2f}×"


def roles_table(roles: pd.DataFrame) -> pd.DataFrame:
    """The US superstars and hubs, by score, with the Brookings tier where cited."""
    top = roles[roles["role"].isin(["superstar", "hub"])].sort_values("ai_score", ascending=False)
    return pd.DataFrame(
        {
            "metro (MSA)": top["name"],
            "CBSA": top.index,
            "our role": top["role"].astype(str),
            "share of US AI talent": top["ai_share"].map(_pct),
            "intensity (LQ)": top["ai_lq"].map(_lq),
            "scale × intensity": top["ai_score"].map(lambda x: f"{x:.4f}"),
            "role score": top["role_score"].map(lambda x: f"{x:.2f}"),
            "Brookings tier (cited)": [BROOKINGS.get(c, ("", "—"))[1] for c in top.index],
        }
    )


def _agrees(ours: str, tier: str) -> str:
    if tier == "superstar":
        return "same tier" if ours == "superstar" else "no"
    if tier == "star hub":
        if ours == "hub":
            return "same tier"
        return "superstar or hub" if ours == "superstar" else "no"
    return "hub (broader)" if ours == "hub" else ("no" if ours == "superstar" else "not a hub")


def comparison(roles: pd.DataFrame) -> pd.DataFrame:
    """Every cited Brookings metro: its tier, our role, the numbers and the verdict."""
    rows = []
    for cbsa, (short, tier, src) in BROOKINGS.items():
        r = roles.loc[cbsa]
        rows.append(
            {
                "metro": short,
                "CBSA": cbsa,
                "Brookings tier": tier,
                "named in": src,
                "our role": str(r["role"]),
                "share": _pct(r["ai_share"]),
                "LQ": _lq(r["ai_lq"]),
                "agreement": _agrees(str(r["role"]), tier),
            }
        )
    return pd.DataFrame(rows)


def counts(table: pd.DataFrame) -> dict[str, int]:
    """Agreement counts of :func:`comparison`."""
    tier, ours = table["Brookings tier"], table["our role"]
    return {
        "superstars": int((tier == "superstar").sum()),
        "superstars, ours too": int(((tier == "superstar") & (ours == "superstar")).sum()),
        "star hubs": int((tier == "star hub").sum()),
        "star hubs, our superstar or hub": int(
            ((tier == "star hub") & ours.isin(["superstar", "hub"])).sum()
        ),
        "star hubs, our hub": int(((tier == "star hub") & (ours == "hub")).sum()),
        "emerging centres": int((tier == "emerging centre").sum()),
        "emerging centres, our hub": int(((tier == "emerging centre") & (ours == "hub")).sum()),
    }


def sensitivity(us: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Superstars by (quantile, gap) and hub counts by hub quantile."""
    short = {c: v[0] for c, v in BROOKINGS.items()}
    rows = []
    for q in (0.01, 0.015, 0.02, 0.03, 0.04):
        row = {"top q (scale and intensity)": f"{100 * q:g} %"}
        for gap in (1.0, 1.1, 1.2, 1.3):
            t = geoai.RoleThresholds(
                permutations=0, superstar_scale_q=q, superstar_intensity_q=q, superstar_gap=gap
            )
            r = geoai.classify(us, thresholds=t)
            stars = r.sort_values("ai_score", ascending=False)
            names = [short.get(c, str(n).split("-")[0]) for c, n in
                     stars.loc[stars["role"] == "superstar", "name"].items()]  # fmt: skip
            row[f"gap ≥ {gap:g}×"] = ", ".join(names) or "none"
        rows.append(row)
    hubs = []
    for hq in (0.05, 0.075, 0.10, 0.15):
        r = geoai.classify(us, thresholds=geoai.RoleThresholds(permutations=0, hub_q=hq))
        cited = r.loc[[c for c, v in BROOKINGS.items() if v[1] == "star hub"]]
        hubs.append(
            {
                "hub q": f"{100 * hq:g} %",
                "superstars": int((r["role"] == "superstar").sum()),
                "hubs": int((r["role"] == "hub").sum()),
                "hubs, share of metros": f"{100 * (r['role'] == 'hub').mean():.1f} %",
                "cited star hubs that are superstar or hub": int(
                    cited["role"].isin(["superstar", "hub"]).sum()
                ),
            }
        )
    return pd.DataFrame(rows), pd.DataFrame(hubs)


def world_candidates(world: pd.DataFrame, n: int = 12) -> pd.DataFrame:
    """The UN metros with the highest scale × intensity, with their roles."""
    top = world.sort_values("ai_score", ascending=False).head(n)
    kind = top["labour_source"].astype(str).str.split(":").str[0]
    return pd.DataFrame(
        {
            "metro": top["name"],
            "country": top["country_iso3"],
            "AI talent": kind,
            "share": top["ai_share"].map(_pct),
            "LQ": top["ai_lq"].map(_lq),
            "scale × intensity": top["ai_score"].map(lambda x: f"{x:.4f}"),
            "both top 2 %": top["superstar_candidate"].map({True: "yes", False: "no"}),
            "role": top["role"].astype(str),
        }
    )


def role_counts(results: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Role counts per input."""
    rows = []
    for label, r in results.items():
        vc = r["role"].astype(str).value_counts()
        rows.append(
            {"input": label, "metros": len(r)} | {k: int(vc.get(k, 0)) for k in geoai.ROLES}
        )
    return pd.DataFrame(rows)


def timings(inputs: dict[str, pd.DataFrame], repeat: int = 3) -> pd.DataFrame:
    """Best-of-``repeat`` wall time of ``geoai.classify`` (default thresholds) on each input."""
    rows = []
    for label, data in inputs.items():
        geoai.classify(data)  # warm the JIT and the caches
        best = np.inf
        for _ in range(repeat):
            start = time.perf_counter()
            geoai.classify(data)
            best = min(best, time.perf_counter() - start)
        rows.append({"input": label, "classify, s (best of 3)": f"{best:.2f}"})
    return pd.DataFrame(rows)


def _rules(us: pd.DataFrame, bars: dict[str, float]) -> str:
    t = THRESHOLDS
    national = us["ai_talent"].sum() / us["jobs_total"].sum()
    return f"""* **Scale**: a metro's share of US AI talent. **Intensity**: its location
  quotient, AI talent's share of its own jobs over the national share
  ({_pct(national)}).
* **Superstar**: scale and intensity both in the top {100 * t.superstar_scale_q:g} % of
  the metros (bars {_pct(bars["star_scale"])} and {_lq(bars["star_lq"])}), and in the
  leading group by scale × intensity that ends with a drop of at least
  {t.superstar_gap:g}× to the next metro.
* **Hub**: strong on one (top {100 * t.hub_q:g} %: at least {_pct(bars["hub_scale"])}
  of US AI talent, or an LQ of {_lq(bars["hub_lq"])}) and solid on the other (at
  least the median share, {_pct(bars["solid_scale"])}, or an LQ of
  {_lq(bars["solid_lq"])})."""


def _differences(roles: pd.DataFrame) -> str:
    sea, sf = roles.loc["42660"], roles.loc["41860"]
    low = ", ".join(_lq(roles.loc[c, "ai_lq"]) for c in ("31080", "16980", "33100"))
    return f"""* **Seattle** is a superstar here: it has more AI talent than San Francisco
  *and* a higher intensity ({_pct(sea["ai_share"])} at {_lq(sea["ai_lq"])} against
  {_pct(sf["ai_share"])} at {_lq(sf["ai_lq"])}), so any rule that rises with both
  scale and intensity and makes San Francisco a superstar makes Seattle one.
  Brookings' other pillars (innovation, adoption) are what set the Bay Area apart.
* **Los Angeles, Chicago and Miami** hold large shares at below-average
  intensity (LQ {low}): a hub needs an LQ of at least
  {_lq(THRESHOLDS.hub_min_lq)} beside its scale."""


def main() -> None:
    """Classify, compare, write ``docs/us_ai_roles.md``."""
    us = geoai.load_us_metros()
    world_metros = geoai.load_metros()
    panel = geoai.load_metro_panel()
    roles = geoai.classify(us, thresholds=THRESHOLDS)
    world = geoai.classify(world_metros, thresholds=THRESHOLDS)
    observed = geoai.classify(panel, thresholds=THRESHOLDS)
    table = comparison(roles)
    agree = counts(table)
    stars, hubs = sensitivity(us)
    n_hubs = sum(1 for v in BROOKINGS.values() if v[1] == "star hub")
    n_emerging = sum(1 for v in BROOKINGS.values() if v[1] == "emerging centre")
    all_counts = role_counts(
        {
            "US MSAs (load_us_metros)": roles,
            "UN metros >= 1 M (load_metros)": world,
            "UN panel 1950-2015, as of 2015 (load_metro_panel)": observed,
        }
    )
    timing = timings({"US MSAs": us, "UN metros >= 1 M": world_metros, "UN panel 1950-2035": panel})
    dragged = int((observed["markov_drag_moves"] > 0).sum())
    sources = "\n".join(f"* {k}: {v}" for k, v in SOURCES.items())
    text = f"""# US AI roles from observed talent, next to the Brookings tiers

Generated by `benchmarks/us_roles.py` (do not edit by hand). Data:
`geoai.load_us_metros()`, {len(roles)} US metropolitan statistical areas, jobs and
AI talent observed (BLS OEWS May 2025; AI talent = jobs in data scientists,
computer and information research scientists, software developers,
statisticians, mathematicians and computer hardware engineers). Roles:
`geoai.classify(geoai.load_us_metros())` with the default `RoleThresholds`.

## The rules, in numbers

{_rules(us, roles.attrs["bars"])}

## Superstars and hubs

{markdown(roles_table(roles))}

## Side by side with Brookings (2025)

Reference: {REFERENCE}

Brookings scores 14 indicators of talent, innovation (publications, patents,
federal contracts, computing) and adoption (job postings, firm use,
start-ups, venture capital); geoai reads only observed AI talent and jobs.
The tiers below are the report's; the names are those quoted from it in press
coverage (column "named in", sources at the end): {n_hubs} of its 28 star hubs
and {n_emerging} of its 14 emerging centres. The others are not listed rather
than guessed.

{markdown(table)}

Agreement: {agree["superstars, ours too"]} of the {agree["superstars"]} Brookings
superstars are superstars here; {agree["star hubs, our superstar or hub"]} of the
{agree["star hubs"]} cited star hubs are a superstar or a hub here
({agree["star hubs, our hub"]} of them a hub); {agree["emerging centres, our hub"]} of
the {agree["emerging centres"]} cited emerging centres come out as hubs (a broader
tier here: a hub is strong on scale *or* intensity, solid on the other).

Where we differ, the numbers say why:

{_differences(roles)}

## How the superstars move with the thresholds

Superstars (by score) for the quantile of both gates and the gap:

{markdown(stars)}

Hubs for the hub quantile (superstars at the defaults):

{markdown(hubs)}

## The world's superstar candidates

`geoai.classify(geoai.load_metros())`: the {len(world)} UN agglomerations of
>= 1 M people (2025); AI talent observed for the US ones, modelled elsewhere
(`labour_source`). Highest scale × intensity first:

{markdown(world_candidates(world))}

## Role counts

{markdown(all_counts)}

On the UN panel the Detroit path is `geoai.roles.decline`'s verdict
(`docs/decline_backtest.md`), with the spatial-Markov reason where the
neighbourhood dragged a metro down a class ({dragged} metros had such a
move, 1950-2015).

## Timing

Measured on the machine that generated this file (not deterministic):

{markdown(timing)}

## Sources of the cited names

{sources}
"""
    with atomic_path(REPORT, overwrite=True) as tmp:
        tmp.write_text(text, encoding="utf-8")
    print(table.to_string(index=False))
    print(agree)


if __name__ == "__main__":
    main()
