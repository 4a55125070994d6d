"""The seed documents' own arithmetic, set beside the model's figures.

The three seed documents (``seeds/000``, ``001``, ``002``) motivate the
presets. Their quantitative claims are transcribed here as constants (a
short quote of each, with the figure as the seed gives it), because geoai
never reads the seed files. :func:`seed_arithmetic` recomputes each claim's
arithmetic as written, states any reading that would make it consistent
*labelled as a reading*, and sets the model's corresponding figure beside it,
computed from the simulations and the embedded data. A seed's number is never
corrected silently: the figure as written is always shown.

Seeds 001 and 002 are qualitative (they give no outcome figures); their rows
say so and show the model's measure of the direction they describe.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geoai.scenario._checks import check_countries, check_simulations
from geoai.scenario._format import fmt_number
from geoai.scenario._seed_claims import Context as _Context
from geoai.scenario._seed_claims import Figure as _Figure
from geoai.scenario._seed_claims import SeedClaim

if TYPE_CHECKING:
    from collections.abc import Mapping

    from geoai.scenario.simulation import Simulation

__all__ = ["CLAIMS", "SeedClaim", "seed_arithmetic"]

#: The columns of ``countries`` the claims read.
_COUNTRY_COLUMNS = ("population", "gdp_pc_usd", "niip_usd", "niip_gdp")

#: Seed 000's company arithmetic, as written: companies, verticals, firms per vertical, staff.
COMPANIES, VERTICALS, FIRMS_PER_VERTICAL, STAFF_PER_FIRM = 1_000, 9_000, 5, 100
#: Seed 000's figures, as written.
WHITE_COLLAR = 1.8e9
REPLACED = 0.5
AI_ROLES_BELOW = 100e6
HUBS = (3, 5)
PROFESSIONALS_PER_HUB = (100_000, 200_000)
MILLION_CITIES = 500
DETROIT_SHARE = 0.9
WORKERS_PER_10M = (4e6, 5e6)
WAGES_LOST = (0.3, 0.5)
HUMANITY_SHARE, GDP_SHARE, BY_YEAR = 0.05, 0.7, 2045
LOW_VALUE_LOST = 0.99
COORDINATION = 0.5
NEW_CITY_SIZE, NEW_CITY_DECADE = 100_000, 2050
#: Seed 000's NIIP table (USD, as quoted there).
NIIP_USD = {
    "USA": -26.23e12,
    "JPN": 3.48e12,
    "CHN": 3.18e12,
    "SGP": 0.87e12,
    "FRA": -0.797e12,
    "GBR": -1.121e12,
}


def _n(x: float) -> str:
    return f"{x:,.0f}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _big(x: float) -> str:
    """``4.5 billion``, ``20 million``: a count in words for notes."""
    text = fmt_number(x, "count", with_unit=False)
    for short, word in ((" T", " trillion"), (" B", " billion"), (" M", " million")):
        text = text.replace(short, word)
    return text


def _ends(sim: Simulation) -> tuple[pd.DataFrame, pd.DataFrame]:
    p = sim.panel
    return p[p["year"] == sim.start], p[p["year"] == sim.end]


def _office(frame: pd.DataFrame) -> float:
    return float(frame["jobs_routine"].sum() + frame["jobs_augmentable"].sum())


def _tag(sim: Simulation, year: int | None = None) -> str:
    return f"{sim.preset}, {sim.end if year is None else year}, modelled"


# ----------------------------------------------------------------- model figures
def _pool_reading(pool: float) -> str:
    """Say which of seed 000's figures a pool of AI roles matches, if any."""
    readings = {
        5e6: "the seed's stated 5 million",
        float(_READING): "the 4.5 million reading",
        AI_ROLES_BELOW: "the seed's '< 100 million' bound",
        float(_PRODUCT): "the product as written",
    }
    for figure, what in readings.items():
        if math.isclose(pool, figure, rel_tol=1e-9):
            return what
    return "none of the seed's figures (an assumption)"


def _pool(sim: Simulation) -> float:
    return float(getattr(sim.params, "ai_pool_max", math.nan))


def _white_collar(ctx: _Context) -> _Figure:
    from geoai.labour import national_jobs

    c = ctx.countries
    known = c[np.isfinite(pd.to_numeric(c["population"], errors="coerce"))]
    jobs = national_jobs(known["population"], known["gdp_pc_usd"])
    x = float(jobs["jobs_routine"].sum() + jobs["jobs_augmentable"].sum())
    gdp = pd.to_numeric(c.get("gdp_usd", pd.Series(0.0, index=c.index)), errors="coerce")
    missing = gdp.drop(known.index).fillna(0.0).sort_values(ascending=False).index.tolist()
    return _Figure(
        x,
        "jobs",
        f"{fmt_number(x, 'office jobs')} in {len(known)} countries (routine-exposed + "
        "augmentable, modelled: geoai.labour.national_jobs)",
        f"{len(missing)} territories without a population figure are not counted "
        f"(e.g. {', '.join(missing[:3])}).",
    )


def _lost(sim: Simulation) -> tuple[float, str]:
    """Routine-exposed jobs lost, start minus end year, and the gross automated count if any."""
    first, last = _ends(sim)
    lost = float(first["jobs_routine"].sum() - last["jobs_routine"].sum())
    if "jobs_automated" not in last.columns:
        return lost, ""
    gross = float(last["jobs_automated"].sum())
    return lost, f" Gross automated by {sim.end} (jobs_automated): {fmt_number(gross, 'jobs')}."


def _office_lost(ctx: _Context) -> _Figure:
    sim = ctx.sim("concentration")
    first = _ends(sim)[0]
    lost, gross = _lost(sim)
    share = lost / max(_office(first), 1.0)
    return _Figure(
        share,
        "share",
        f"{fmt_number(share, 'share')} of {sim.start} office jobs lost as routine-exposed jobs "
        f"by {sim.end} ({fmt_number(lost, 'jobs')} in the run's {len(first)} metros; "
        f"{_tag(sim)})",
        f"Routine-exposed jobs lost (start minus end) over start office jobs.{gross}",
    )


def _ai_roles(ctx: _Context) -> _Figure:
    sim = ctx.sim("concentration")
    x, pool = float(_ends(sim)[1]["ai_jobs"].sum()), _pool(sim)
    return _Figure(
        x,
        "jobs",
        f"{fmt_number(x, 'AI-leveraged roles')} in the metros ({_tag(sim)}); world pool "
        f"parameter ai_pool_max {fmt_number(pool, 'jobs')}",
        f"Below 100 million: {x < AI_ROLES_BELOW}. The run's pool is {_pool_reading(pool)}.",
    )


def _top5(ctx: _Context) -> _Figure:
    sim = ctx.sim("concentration")
    last = _ends(sim)[1].nlargest(5, "ai_jobs")
    x = float(last["ai_jobs"].sum())
    final = sim.final
    ids = final["metro_id"] if "metro_id" in final.columns else final.index.to_series()
    if "name" in final.columns:
        names = pd.Series(final["name"].to_numpy(), index=ids.to_numpy())
        where = ": " + "; ".join(str(names.get(i, i)) for i in last["metro_id"])
    else:
        where = ""
    return _Figure(
        x, "jobs", f"{fmt_number(x, 'AI roles')} in the top 5 metros{where} ({_tag(sim)})"
    )


def _million_cities(ctx: _Context) -> _Figure:
    from geoai.datasets import load_metros

    sim = ctx.first()
    year = 2025 if sim is None else sim.start
    n = float(len(load_metros(1_000_000, year=year)))
    return _Figure(
        n,
        "metros",
        f"{_n(n)} UN agglomerations of >= 1 M people in {year} (observed: UN WUP 2018, "
        "estimate or projection)",
        f"The UN count is {n / MILLION_CITIES:.2f} times the seed's {MILLION_CITIES}.",
    )


def _detroit(ctx: _Context) -> _Figure:
    sim = ctx.sim("concentration")
    if "role" not in sim.roles.columns:
        return _Figure(math.nan, "share", "n/a", "The run did not classify roles.")
    roles = sim.roles["role"].astype(str)
    k = int((roles == "detroit_path").sum())
    share = k / max(len(roles), 1)
    return _Figure(
        share,
        "share",
        f"{fmt_number(share, 'share')} ({k} of {len(roles)} metros) end on detroit_path "
        f"({_tag(sim)})",
    )


def _workers(ctx: _Context) -> _Figure:
    sim = ctx.sim(None)
    first, last = _ends(sim)
    big = first.loc[first["population"] >= 10e6, "metro_id"]
    if big.empty:
        return _Figure(math.nan, "jobs per resident", "n/a", "No metro of >= 10 M in the input.")
    rate = float(first.set_index("metro_id").loc[big, "jobs"].sum()) / max(
        float(first.set_index("metro_id").loc[big, "population"].sum()), 1.0
    )
    end = last.set_index("metro_id").loc[big]
    rate_end = float(end["jobs"].sum()) / max(float(end["population"].sum()), 1.0)
    return _Figure(
        rate,
        "jobs per resident",
        f"{rate:.2f} jobs per resident in the {len(big)} metros of >= 10 M in {sim.start} "
        f"({rate_end:.2f} in {sim.end}, {sim.preset}; modelled)",
    )


def _humanity(ctx: _Context) -> _Figure:
    sim = ctx.sim("concentration")
    p = sim.panel
    if BY_YEAR not in set(p["year"]):
        return _Figure(math.nan, "share", "n/a", f"The run does not reach {BY_YEAR}.")
    year = p[p["year"] == BY_YEAR].nlargest(10, "ai_jobs")
    world = float(pd.to_numeric(ctx.countries["population"], errors="coerce").sum())
    share = float(year["population"].sum()) / world
    return _Figure(
        share,
        "share",
        f"{fmt_number(share, 'share')} of the world's {fmt_number(world, 'people')} live in the "
        f"10 metros with most AI roles in {BY_YEAR} ({_tag(sim, BY_YEAR)}; world population of "
        "the start data)",
    )


def _not_modelled(ctx: _Context) -> _Figure:  # noqa: ARG001 - every claim's model takes the context
    return _Figure(math.nan, "", "not modelled")


def _niip(ctx: _Context) -> _Figure:
    c = ctx.countries
    usd = pd.to_numeric(c.get("niip_usd"), errors="coerce").reindex(list(NIIP_USD))
    ratio = pd.to_numeric(c.get("niip_gdp"), errors="coerce").reindex(list(NIIP_USD))
    parts = [
        f"{iso} {fmt_number(usd[iso], 'USD')} ({fmt_number(ratio[iso], 'share')} of GDP)"
        for iso in NIIP_USD
    ]
    seed = np.array(list(NIIP_USD.values()))
    gap = np.abs(usd.to_numpy(float) - seed) / np.abs(seed)
    known = int(pd.to_numeric(c.get("niip_usd"), errors="coerce").notna().sum())
    if np.all(gap <= 1e-9):
        note = "The model's six figures are the seed's own."
    elif np.isnan(gap).any():
        note = "The model's country data lack some of the six."
    else:
        worst = list(NIIP_USD)[int(np.nanargmax(gap))]
        note = (
            f"The model's figures differ from the seed's by up to {fmt_number(gap.max(), 'share')} "
            f"({worst})."
        )
    return _Figure(
        float(ratio.get("USA", math.nan)),
        "share of GDP",
        "; ".join(parts),
        f"{note} NIIP known for {known} of {len(c)} countries in the start data.",
    )


def _routine_lost(ctx: _Context) -> _Figure:
    sim = ctx.sim("concentration")
    start = float(_ends(sim)[0]["jobs_routine"].sum())
    lost, gross = _lost(sim)
    share = lost / max(start, 1.0)
    return _Figure(
        share,
        "share",
        f"{fmt_number(share, 'share')} of {sim.start} routine-exposed jobs lost by {sim.end} "
        f"({_tag(sim)})",
        f"Start minus end over start.{gross}",
    )


def _coordination(ctx: _Context) -> _Figure:
    sim = ctx.sim(None)
    first = _ends(sim)[0]
    routine = float(first["jobs_routine"].sum())
    share = routine / max(float(first["jobs"].sum()), 1.0)
    office = routine / max(_office(first), 1.0)
    return _Figure(
        share,
        "share",
        f"{fmt_number(share, 'share')} of metro jobs are routine-exposed office jobs in "
        f"{sim.start} ({fmt_number(office, 'share')} of office jobs; start data, modelled "
        "outside the US)",
    )


def _outside(ctx: _Context) -> _Figure:
    sim = ctx.sim("exodus")
    x = float(sim.outside["talent_to_outside"].sum())
    return _Figure(
        x,
        "people",
        f"{fmt_number(x, 'people')} of talent leave the metros for the outside option by "
        f"{sim.end} ({_tag(sim)})",
    )


def _top_share(ctx: _Context) -> _Figure:
    sim = ctx.sim("divergence")
    a, b = sim.top_share(5, sim.start), sim.top_share(5, sim.end)
    return _Figure(
        b,
        "share",
        f"top-5 share of AI roles {fmt_number(a, 'share')} in {sim.start}, "
        f"{fmt_number(b, 'share')} in {sim.end} ({_tag(sim)})",
    )


# ------------------------------------------------------------------ the claims
_PRODUCT = COMPANIES * VERTICALS * FIRMS_PER_VERTICAL * STAFF_PER_FIRM
_READING = VERTICALS * FIRMS_PER_VERTICAL * STAFF_PER_FIRM
_HUB_LOW, _HUB_HIGH = HUBS[0] * PROFESSIONALS_PER_HUB[0], HUBS[1] * PROFESSIONALS_PER_HUB[1]

#: Every transcribed claim, in the seeds' order.
CLAIMS: tuple[SeedClaim, ...] = (
    SeedClaim(
        "000",
        "1000 dominant companies with 9,000 specialized vertical",
        f"{_n(COMPANIES)} × {_n(VERTICALS)} × {FIRMS_PER_VERTICAL} × {STAFF_PER_FIRM} = "
        f"{_n(_PRODUCT)}",
        "5 million ('In total, that makes it 5 million')",
        f"as written the product is {_big(_PRODUCT)}; reading (not the text): "
        f"without the 1,000 companies, {_n(VERTICALS)} × {FIRMS_PER_VERTICAL} × "
        f"{STAFF_PER_FIRM} = {_n(_READING)} ({_big(_READING)}), close to the seed's 5 million.",
        _ai_roles,
        "concentration",
    ),
    SeedClaim(
        "000",
        "Global white-collar employment: ~1.8 billion",
        f"~{_n(WHITE_COLLAR)}",
        "1.8 billion",
        "the model's office jobs are employment (ILO rates) times the routine-exposed and "
        "augmentable shares (IMF exposure groups, US anchors); the seed gives no source.",
        _white_collar,
    ),
    SeedClaim(
        "000",
        "Replace 50 % → 900 million jobs gone",
        f"{_n(WHITE_COLLAR)} × {fmt_number(REPLACED, 'share')} = {_n(WHITE_COLLAR * REPLACED)}",
        "900 million (50 % of white-collar jobs)",
        "the seed's arithmetic is consistent; the model counts the jobs of the run's metros "
        "only and automates routine-exposed office jobs, not augmentable ones.",
        _office_lost,
        "concentration",
    ),
    SeedClaim(
        "000",
        "< 100 million are true 'AI-leveraged' roles",
        f"< {_n(AI_ROLES_BELOW)}",
        "< 100 million",
        "an upper bound, not a forecast.",
        _ai_roles,
        "concentration",
    ),
    SeedClaim(
        "000",
        "three to five hyper-metropolises ... 100,000 to 200,000 ... professionals",
        f"{HUBS[0]} × {_n(PROFESSIONALS_PER_HUB[0])} = {_n(_HUB_LOW)} to {HUBS[1]} × "
        f"{_n(PROFESSIONALS_PER_HUB[1])} = {_n(_HUB_HIGH)}",
        "0.3–1.0 million professionals in all",
        f"the seed's figures disagree with each other: < 100 million AI roles in "
        f"{HUBS[0]}–{HUBS[1]} cities would be {_big(AI_ROLES_BELOW / HUBS[1])}–"
        f"{_big(AI_ROLES_BELOW / HUBS[0])} per city, not "
        f"{_n(PROFESSIONALS_PER_HUB[0])}–{_n(PROFESSIONALS_PER_HUB[1])}.",
        _top5,
        "concentration",
    ),
    SeedClaim(
        "000",
        "500 cities in the world ... population size of 1 million plus",
        _n(MILLION_CITIES),
        "500 ('irony of Fortune 500')",
        "an observed count (UN estimates and projections), not modelled.",
        _million_cities,
    ),
    SeedClaim(
        "000",
        "90% of them will lose competitiveness following the path of Detroit",
        f"{fmt_number(DETROIT_SHARE, 'share')} × {MILLION_CITIES} = "
        f"{_n(DETROIT_SHARE * MILLION_CITIES)} cities",
        "90 %",
        "detroit_path is geoai.classify's role for a metro whose jobs and population fall in "
        "most years with a talent outflow or its country's fiscal buffer exceeded "
        "(RoleThresholds); it is not the seed's 'lose competitiveness'.",
        _detroit,
        "concentration",
    ),
    SeedClaim(
        "000",
        "To support a metropolis of 10 million, you need roughly 4–5 million",
        f"{_n(WORKERS_PER_10M[0])}–{_n(WORKERS_PER_10M[1])} ÷ {_n(10e6)} = "
        f"{WORKERS_PER_10M[0] / 10e6:.1f}–{WORKERS_PER_10M[1] / 10e6:.1f} workers per resident",
        "4–5 million active workers per 10 million people",
        "the model's jobs are held by residents (commuting stays inside the agglomeration).",
        _workers,
    ),
    SeedClaim(
        "000",
        "When 30–50 percent of white-collar wages vanish",
        f"{fmt_number(WAGES_LOST[0], 'share')}–{fmt_number(WAGES_LOST[1], 'share')}",
        "30–50 % of white-collar wages",
        "the model counts jobs, not wages: its figure is the share of office jobs lost.",
        _office_lost,
        "concentration",
    ),
    SeedClaim(
        "000",
        "If those ten metros house 5 % of humanity",
        f"{fmt_number(HUMANITY_SHARE, 'share')} of humanity by {BY_YEAR}",
        "5 %",
        "'those ten metros' follows 'three to five politically stable cities' in the seed; the "
        "model takes the 10 metros with most AI roles.",
        _humanity,
        "concentration",
    ),
    SeedClaim(
        "000",
        "yet generate 70 % of global GDP by 2045",
        f"{fmt_number(GDP_SHARE, 'share')} of world GDP by {BY_YEAR}",
        "70 %",
        "not compared: the scenario does not model output (GDP) per metro.",
        _not_modelled,
    ),
    SeedClaim(
        "000",
        "Country / Region Net Investment Position",
        "; ".join(f"{iso} {v / 1e12:+g} T USD" for iso, v in NIIP_USD.items()),
        "the same six figures (BEA, CEIC)",
        "data, not arithmetic: the seed's table of net international investment positions.",
        _niip,
    ),
    SeedClaim(
        "000",
        "A 50-person law firm becomes a 25-person oversight cell",
        "1 ÷ 2 = 50 % kept (prompt engineer); 25 ÷ 50 = 50 % kept (law firm)",
        "a 50 % cut",
        "the seed's arithmetic is consistent; the model automates routine-exposed jobs.",
        _routine_lost,
        "concentration",
    ),
    SeedClaim(
        "000",
        "When 99 percent of low-value work disappears",
        fmt_number(LOW_VALUE_LOST, "share"),
        "99 %",
        "the seed says 50 % of white-collar work elsewhere; 'low-value work' is not defined, "
        "the model's nearest figure is its routine-exposed jobs.",
        _routine_lost,
        "concentration",
    ),
    SeedClaim(
        "000",
        "Roughly half of all urban service employment ... is pure coordination",
        f"~{fmt_number(COORDINATION, 'share')}",
        "about half",
        "the model's nearest figure is the routine-exposed share (automatable office tasks).",
        _coordination,
    ),
    SeedClaim(
        "000",
        "AI integrated small cities ... close to the size of 100,000",
        f"{_n(NEW_CITY_SIZE)} people each, from the {NEW_CITY_DECADE}s",
        "~100,000-person cities from the 2050s",
        "outside the model: the scenario starts no new cities.",
        _not_modelled,
    ),
    SeedClaim(
        "001",
        "a quiet exodus is underway",
        "no figure",
        "no figure (seed 001 is qualitative)",
        "seed 001 gives no quantitative claim; the exodus preset's parameters (remote share, "
        "outside pull) are assumptions.",
        _outside,
        "exodus",
    ),
    SeedClaim(
        "002",
        "a stark 'winner-take-most' geographic concentration",
        "no figure",
        "no figure (seed 002 is qualitative)",
        "seed 002 gives no quantitative claim; the model's measure of concentration is the "
        "top-5 share of AI roles.",
        _top_share,
        "divergence",
    ),
)


def seed_arithmetic(
    sims: Mapping[str, Simulation], countries: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Return every quantitative claim of the seeds beside the model's figure.

    Parameters
    ----------
    sims : mapping of str to Simulation
        ``{preset: Simulation}`` (e.g. the run's simulations). A claim whose
        preset is missing gets NaN and a note saying which preset to run.
    countries : pandas.DataFrame, optional
        Indexed by ISO3 with ``population``, ``gdp_pc_usd``, ``niip_gdp``,
        ``niip_usd``; default :func:`geoai.load_countries`.

    Returns
    -------
    pandas.DataFrame
        One row per claim: ``seed``, ``claim`` (a short quote), ``as_written``
        (the seed's own figure or arithmetic, recomputed), ``seed_says`` (the
        result the seed states), ``model`` (the model's figure, with unit,
        preset and year), ``model_value`` and ``unit`` (the same as a
        number), ``note`` (readings that would make a figure consistent are
        labelled as readings).

    Examples
    --------
    Without simulations the seeds' own arithmetic is still recomputed, and each claim that
    needs a preset says which one to run:

    >>> table = seed_arithmetic({})
    >>> len(table) == len(CLAIMS), table.loc[0, "as_written"]
    (True, '1,000 × 9,000 × 5 × 100 = 4,500,000,000')
    >>> "Preset 'concentration' was not simulated" in table.loc[0, "note"]
    True
    """
    from geoai.datasets import load_countries
    from geoai.scenario.simulation import Simulation

    named = check_simulations(sims, Simulation, allow_empty=True)
    table = load_countries() if countries is None else countries
    ctx = _Context(named, check_countries(table, _COUNTRY_COLUMNS))
    rows = []
    for c in CLAIMS:
        if c.preset is not None and c.preset not in ctx.sims:
            fig = _Figure(math.nan, "", "n/a", f"Preset {c.preset!r} was not simulated; run it.")
        elif c.preset is None and not ctx.sims and c.model in (_workers, _coordination):
            fig = _Figure(math.nan, "", "n/a", "No simulation given.")
        else:
            fig = c.model(ctx)
        rows.append(
            {
                "seed": c.seed,
                "claim": c.claim,
                "as_written": c.as_written,
                "seed_says": c.seed_says,
                "model": fig.text,
                "model_value": fig.value,
                "unit": fig.unit,
                "note": _sentence(" ".join(x for x in (c.note, fig.note) if x)),
            }
        )
    return pd.DataFrame(rows)
