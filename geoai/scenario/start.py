"""The scenario's start: the observed world, with every start quantity's source.

:func:`prepare_world` turns metros (default ``geoai.load_metros(year=start)``:
UN agglomerations, observed US labour columns, modelled ones elsewhere) and
countries into the arrays the engine steps. What is observed and what is
modelled is carried per metro in :attr:`World.sources`:

* **population**: the UN's estimate or projection for the start year (or the
  user's column);
* **jobs**: BLS OEWS × Eloundou et al. for US metros, the labour model
  elsewhere (``labour_source``); where a metro's observed jobs exceed
  ``max_employment_rate`` × residents (the MSA is larger than the UN
  agglomeration) they are scaled down to it, and the source says so;
* **AI roles and AI capital**: the world's AI activity is split among
  countries by the Stanford AI Index 2025 (private AI investment 2013-2024;
  countries outside its list share the residual by GDP), then within a
  country by the metro's share of the nation's AI talent (observed, US) or of
  its office jobs (modelled elsewhere). The input metros hold part of each
  country's total; the engine's world pools are scaled by that share, so a
  run on 30 cities of one's own gives those cities' share, not the world's;
* **natural growth**: each UN agglomeration's own annual growth from the UN
  projections to 2035, then its 2030-2035 rate fading with a half-life.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geoai._geodesy import kernel_points
from geoai.errors import InputError

if TYPE_CHECKING:
    import geopandas as gpd
    from numpy.typing import ArrayLike

    from geoai._typing import BoolArray, FloatArray, IntArray

__all__ = ["World", "natural_growth", "prepare_world"]

_MAX_METROS = 20_000
_NEED = ("metro_id", "country_iso3", "population", "jobs_routine", "jobs_augmentable", "jobs_local")

TALENT_FALLBACK = "modelled: augmentable jobs × the US ratio of AI talent to augmentable jobs"
AI_SOURCE_COUNTRY = "Stanford AI Index 2025, private AI investment 2013-2024"
AI_SOURCE_ESTIMATED = (
    "modelled: AI Index 2025 figure for 2024 × the 2013-2024 / 2024 ratio of listed countries"
)
AI_SOURCE_RESIDUAL = "modelled: AI Index 2025 rest of the world, shared by GDP"


@dataclass(frozen=True)
class World:
    """The start state of a run, as arrays aligned with ``metros`` (n rows) and countries (c).

    Attributes
    ----------
    metros : geopandas.GeoDataFrame
        The metros, indexed ``0..n-1``.
    xyz : numpy.ndarray, shape (3, n) or (2, n)
        Kernel coordinates (unit vectors on the sphere, or planar km).
    geo : bool
        Whether ``xyz`` are unit vectors (great-circle distances).
    country : numpy.ndarray of int64, shape (n,)
        Index of each metro's country in ``country_ids``.
    country_ids : numpy.ndarray, shape (c,)
        ISO3 codes.
    gdp_pc : numpy.ndarray, shape (c,)
        GDP per capita (USD).
    income_ref : float
        The world's population-weighted geometric mean GDP per capita (USD),
        from the whole countries table: the reference of the fiscal capacity's
        income term and of the cost advantage, so neither depends on which
        metros a run includes.
    niip_gdp : numpy.ndarray, shape (c,)
        Net international investment position over GDP; NaN where unknown.
    population : numpy.ndarray, shape (n,)
        Start population (people).
    routine : numpy.ndarray, shape (n,)
        Start routine jobs (jobs).
    augmentable : numpy.ndarray, shape (n,)
        Start augmentable jobs (jobs).
    local : numpy.ndarray, shape (n,)
        Start local (non-exposed) jobs (jobs).
    talent : numpy.ndarray, shape (n,)
        Start AI talent (people).
    labour_rate : numpy.ndarray, shape (n,)
        Start jobs per resident (at most ``max_employment_rate``): the
        metro's labour force is this share of its residents.
    ai_share : numpy.ndarray, shape (n,)
        Each metro's share of the world's AI-leveraged roles at the start (the
        shares sum to the input's share of the world, < 1).
    capital_share : numpy.ndarray, shape (n,)
        Each metro's share of the world's AI capital at the start, likewise.
    specialisation : numpy.ndarray, shape (n,)
        AI roles per job at the start over the job-weighted mean (1 = average).
    sources : pandas.DataFrame
        Per metro, ``*_source`` columns saying what is observed and what is
        modelled.
    notes : list of str
        What was scaled or assumed at the start (for the report).

    Examples
    --------
    >>> import geoai
    >>> from geoai.scenario.start import prepare_world
    >>> world = prepare_world(geoai.load_metros(10_000_000), geoai.load_countries(),
    ...                       max_employment_rate=0.7)
    >>> world.population.shape == (len(world.metros),), world.xyz.shape[0], world.geo
    (True, 3, True)
    >>> bool(0 < world.world_share < 1), bool(abs(world.ai_share.sum() - world.world_share) < 1e-12)
    (True, True)
    """

    metros: gpd.GeoDataFrame
    xyz: FloatArray
    geo: bool
    country: IntArray
    country_ids: np.ndarray
    gdp_pc: FloatArray
    income_ref: float
    niip_gdp: FloatArray
    population: FloatArray
    routine: FloatArray
    augmentable: FloatArray
    local: FloatArray
    talent: FloatArray
    labour_rate: FloatArray
    ai_share: FloatArray
    capital_share: FloatArray
    specialisation: FloatArray
    sources: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def niip_known(self) -> BoolArray:
        """Whether each country's NIIP is known, shape (c,)."""
        return np.asarray(np.isfinite(self.niip_gdp))

    @property
    def world_share(self) -> float:
        """Share of the world's AI-leveraged roles the input metros hold at the start."""
        return float(self.ai_share.sum())


def _check_metros(metros: pd.DataFrame) -> None:
    missing = [c for c in _NEED if c not in metros.columns]
    if missing:
        raise InputError(
            f"metros lack column(s) {missing}; use geoai.load_metros() or add the modelled job "
            "columns with geoai.labour.model_jobs."
        )
    if len(metros) == 0:
        raise InputError("metros is empty; lower min_population or pass your metro points.")
    if len(metros) > _MAX_METROS:
        raise InputError(
            f"{len(metros):,} metros is more than the scenario handles ({_MAX_METROS:,}); "
            "raise min_population."
        )
    if metros["metro_id"].duplicated().any():
        raise InputError("metro_id values must be unique.")
    for col in ("population", "jobs_routine", "jobs_augmentable", "jobs_local", "ai_talent"):
        if col not in metros.columns:
            continue
        x = pd.to_numeric(metros[col], errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(x).all() or (x < 0).any():
            raise InputError(f"metros[{col!r}] must be finite and >= 0 in every row.")
    if not (pd.to_numeric(metros["population"], errors="coerce") > 0).all():
        raise InputError("every metro needs a population > 0; drop the empty ones.")


def _countries(
    metros: pd.DataFrame, countries: object
) -> tuple[np.ndarray, IntArray, pd.DataFrame]:
    if not isinstance(countries, pd.DataFrame):
        raise InputError("countries must be a DataFrame indexed by ISO3 (geoai.load_countries()).")
    iso = metros["country_iso3"].astype(str).to_numpy()
    unknown = sorted(set(iso) - set(countries.index.astype(str)))
    if unknown:
        raise InputError(
            f"country_iso3 {unknown[:5]} not in countries; use ISO3 codes of "
            "geoai.load_countries()."
        )
    ids, code = np.unique(iso, return_inverse=True)
    c = countries.loc[ids].copy()
    gdp_pc = pd.to_numeric(c.get("gdp_pc_usd"), errors="coerce").to_numpy(dtype=float)
    pop = pd.to_numeric(c.get("population"), errors="coerce").to_numpy(dtype=float)
    # no national figure (e.g. Taiwan in World Bank data): the metros' own values stand in
    weights = metros["population"].to_numpy(dtype=float)
    pop = np.where(np.isfinite(pop) & (pop > 0), pop, np.bincount(code, weights, ids.size))
    if "gdp_pc_usd" in metros.columns:
        metro_y = pd.to_numeric(metros["gdp_pc_usd"], errors="coerce").to_numpy(dtype=float)
        ok = np.isfinite(metro_y)
        total = np.bincount(code[ok], (weights * metro_y)[ok], ids.size)
        mean_y = total / np.maximum(np.bincount(code[ok], weights[ok], ids.size), 1e-300)
        gdp_pc = np.where(np.isfinite(gdp_pc) & (gdp_pc > 0), gdp_pc, mean_y)
    c["population"], c["gdp_pc_usd"] = pop, gdp_pc
    bad = ~np.isfinite(gdp_pc) | (gdp_pc <= 0) | ~(pop > 0)
    if bad.any():
        raise InputError(
            f"countries {list(ids[bad][:5])} lack population or GDP per capita; fill them "
            "(see data/README.md) or drop their metros."
        )
    return ids, code.astype(np.int64), c


def ai_investment_stock() -> tuple[pd.Series, pd.Series, float]:
    """Private AI investment 2013-2024 by country (USD), with its source, and the world total.

    The AI Index 2025 lists the top 15 countries of 2013-2024 (Figure 4.3.9)
    and of 2024 (Figure 4.3.8), and the 2024 world total (Figure 4.3.2) but
    none for 2013-2024. A country in the 2024 list only gets its 2024 figure
    times the 2013-2024 / 2024 ratio of the countries in both lists (at most
    the 15th country of Figure 4.3.9, since it is not in that list); the
    world stock is the listed sum over one minus the rest of the world's 2024
    share. Both estimates are labelled modelled.

    Returns
    -------
    stock : pandas.Series
        USD per listed country (ISO3 index).
    source : pandas.Series
        Where each value comes from.
    world : float
        Estimated world total, USD.
    """
    from geoai.datasets import load_ai_investment

    table = load_ai_investment()
    flow = table["private_ai_investment_2024_usd"]
    stock = table["private_ai_investment_2013_2024_usd"]
    both = flow.notna() & stock.notna()
    ratio = float(stock[both].sum() / flow[both].sum())
    source = pd.Series(AI_SOURCE_COUNTRY, index=table.index)
    estimated = stock.isna() & flow.notna()
    source[estimated] = AI_SOURCE_ESTIMATED
    smallest = float(stock.min())  # outside the 2013-2024 top 15: below its 15th country
    stock = stock.fillna(np.minimum(flow * ratio, smallest)).astype(float)
    rest_share = table.attrs["rest_of_world_2024_usd"] / table.attrs["world_total_2024_usd"]
    world = float(table["private_ai_investment_2013_2024_usd"].sum()) / (1.0 - rest_share)
    return stock, source, max(world, float(stock.sum()))


def country_ai_weights(countries: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Every country's share of the world's AI activity, and its source.

    Parameters
    ----------
    countries : pandas.DataFrame
        Indexed by ISO3 with ``gdp_usd`` (or ``population`` × ``gdp_pc_usd``).

    Returns
    -------
    share : pandas.Series
        Share of the world's private AI investment 2013-2024
        (:func:`ai_investment_stock`; the rest of the world's part shared by
        GDP among the countries the AI Index does not list). Sums to at most
        1 over ``countries`` (less when listed countries are missing).
    source : pandas.Series
        Where each country's share comes from.
    """
    stock, stock_source, world = ai_investment_stock()
    listed = stock.reindex(countries.index)
    known = listed.notna()
    population = pd.to_numeric(countries["population"], errors="coerce").astype(float)
    fallback = population * pd.to_numeric(countries["gdp_pc_usd"], errors="coerce").astype(float)
    if "gdp_usd" in countries.columns:
        gdp = pd.to_numeric(countries["gdp_usd"], errors="coerce").astype(float).fillna(fallback)
    else:
        gdp = fallback
    gdp = gdp.fillna(0.0).clip(lower=0.0)
    residual = max(world - float(stock.sum()), 0.0)
    rest = gdp.where(~known, 0.0)
    others = float(rest.sum())
    share_rest = residual * rest / others if others > 0 else rest * 0.0
    amount = (listed.fillna(0.0) + share_rest).astype(float)
    source = stock_source.reindex(countries.index).fillna(AI_SOURCE_RESIDUAL)
    return amount / world, source


def _within_country(
    metros: pd.DataFrame, code: IntArray, c: pd.DataFrame, office: FloatArray, talent: FloatArray
) -> tuple[FloatArray, BoolArray]:
    """Each metro's share of its country's AI activity, and whether it is observed."""
    from geoai.labour import national_jobs, us_national_ai_talent

    nat = national_jobs(c["population"].astype(float), c["gdp_pc_usd"].astype(float))
    nat_office = (nat["jobs_routine"] + nat["jobs_augmentable"]).to_numpy(dtype=float)
    share = office / nat_office[code]
    src = metros.get("labour_source")
    observed = np.zeros(len(metros), dtype=bool)
    if src is not None:
        observed = src.astype(str).str.startswith("observed").to_numpy() & (
            metros["country_iso3"].astype(str).to_numpy() == "USA"
        )
    if observed.any():
        share[observed] = talent[observed] / us_national_ai_talent()
    total = np.bincount(code, share, c.shape[0])
    over = total > 1.0  # the metros hold more than the model's nation: they are the nation
    share = share / np.where(over, total, 1.0)[code]
    return share, observed


def _cap_jobs(
    metros: pd.DataFrame, p_max: float
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    pop = metros["population"].to_numpy(dtype=float)
    cols = [metros[c].to_numpy(dtype=float) for c in ("jobs_routine", "jobs_augmentable")]
    local = metros["jobs_local"].to_numpy(dtype=float)
    if "ai_talent" in metros.columns:
        talent = metros["ai_talent"].to_numpy(dtype=float)
    else:  # the observed US ratio of AI talent to augmentable jobs stands in
        from geoai.labour import us_anchors

        us = us_anchors()
        talent = cols[1] * us.talent_share / us.augmentable_share
    jobs = cols[0] + cols[1] + local
    factor = np.minimum(1.0, p_max * pop / np.maximum(jobs, 1e-300))
    return pop, cols[0] * factor, cols[1] * factor, local * factor, talent * factor, factor


def prepare_world(
    metros: gpd.GeoDataFrame, countries: pd.DataFrame, *, max_employment_rate: float
) -> World:
    """Check and align metros and countries; build the observed start.

    Parameters
    ----------
    metros : geopandas.GeoDataFrame
        ``metro_id``, ``country_iso3``, ``population``, ``jobs_routine``,
        ``jobs_augmentable``, ``jobs_local`` (optional ``ai_talent``,
        ``labour_source``, ``population_kind``).
    countries : pandas.DataFrame
        Indexed by ISO3 with ``population``, ``gdp_pc_usd`` (and
        ``gdp_usd``, ``niip_gdp``).
    max_employment_rate : float
        Most jobs per resident (share): observed jobs above it are scaled down.

    Returns
    -------
    World

    Examples
    --------
    >>> import geoai
    >>> from geoai.scenario.start import prepare_world
    >>> world = prepare_world(geoai.load_metros(10_000_000), geoai.load_countries(),
    ...                       max_employment_rate=0.7)
    >>> jobs = world.routine + world.augmentable + world.local
    >>> bool((jobs <= 0.7 * world.population + 1e-6).all())  # capped at max_employment_rate
    True
    >>> world.sources.columns[:3].tolist()
    ['metro_id', 'population_source', 'start_jobs_source']
    """
    _check_metros(metros)
    m = metros.reset_index(drop=True)
    crs = getattr(m, "crs", None)
    if crs is not None and not crs.is_geographic:  # great-circle distances, whatever the CRS
        m = m.to_crs(4326)
    ids, code, c = _countries(m, countries)
    pop, routine, augmentable, local, talent, factor = _cap_jobs(m, max_employment_rate)
    jobs = routine + augmentable + local
    filled = countries.copy()
    filled.loc[ids, "population"] = c["population"].to_numpy(dtype=float)
    filled.loc[ids, "gdp_pc_usd"] = c["gdp_pc_usd"].to_numpy(dtype=float)
    share_c, source_c = country_ai_weights(filled)
    within, observed = _within_country(m, code, c, routine + augmentable, talent)
    ai_share = share_c.reindex(ids).to_numpy(dtype=float)[code] * within
    intensity = np.divide(ai_share, jobs, out=np.zeros_like(jobs), where=jobs > 0)
    mean = float(np.sum(ai_share) / max(float(jobs.sum()), 1e-300))
    niip = pd.to_numeric(c.get("niip_gdp"), errors="coerce").to_numpy(dtype=float)
    sources = _sources(m, factor, observed, source_c.reindex(ids).to_numpy()[code])
    pts = kernel_points(m)
    notes = _start_notes(m, factor, ai_share, ids=ids, code=code, niip=niip)
    for fixed in (pts.xyz, code):  # the runs' flows key their kept matrices on these
        fixed.setflags(write=False)
    return World(
        metros=m,
        xyz=pts.xyz,
        geo=pts.geo,
        country=code,
        country_ids=ids,
        gdp_pc=c["gdp_pc_usd"].to_numpy(dtype=float),
        income_ref=_world_income(countries),
        niip_gdp=np.where(np.isfinite(niip), np.clip(niip, -2.0, 2.0), np.nan),
        population=pop,
        routine=routine,
        augmentable=augmentable,
        local=local,
        talent=talent,
        labour_rate=jobs / pop,
        ai_share=ai_share,
        capital_share=ai_share.copy(),
        specialisation=intensity / mean if mean > 0 else np.ones_like(jobs),
        sources=sources,
        notes=notes,
    )


def _world_income(countries: pd.DataFrame) -> float:
    """Population-weighted geometric mean GDP per capita of every country with both (USD)."""
    pop = pd.to_numeric(countries.get("population"), errors="coerce").astype(float)
    y = pd.to_numeric(countries.get("gdp_pc_usd"), errors="coerce").astype(float)
    ok = (pop > 0) & (y > 0)
    if not ok.any():
        raise InputError("countries has no row with both population and gdp_pc_usd > 0.")
    return float(np.exp(np.average(np.log(y[ok]), weights=pop[ok])))


def _sources(
    m: pd.DataFrame, factor: FloatArray, observed: BoolArray, country_src: np.ndarray
) -> pd.DataFrame:
    n = len(m)
    kind = m.get("population_kind", pd.Series(["input"] * n))
    population = np.where(
        kind.astype(str).to_numpy() == "input",
        "input",
        "UN WUP 2018 " + kind.astype(str).to_numpy(),
    )
    labour = m.get("labour_source", pd.Series(["input"] * n)).astype(str).to_numpy()
    scaled = factor < 1.0
    jobs = np.where(
        scaled,
        np.char.add(labour.astype(str), "; scaled to max_employment_rate × residents"),
        labour,
    )
    within = np.where(
        observed,
        "observed: share of US AI talent (BLS OEWS May 2025)",
        "modelled: share of the country's office jobs",
    )
    ai = np.char.add(np.char.add(country_src.astype(str), " × "), within)
    return pd.DataFrame(
        {
            "metro_id": m["metro_id"].to_numpy(),
            "population_source": population,
            "start_jobs_source": jobs,
            "talent_source": labour if "ai_talent" in m.columns else TALENT_FALLBACK,
            "ai_jobs_source": ai,
            "capital_source": ai,
        }
    )


def _start_notes(
    m: pd.DataFrame,
    factor: FloatArray,
    ai_share: FloatArray,
    *,
    ids: np.ndarray,
    code: IntArray,
    niip: FloatArray,
) -> list[str]:
    notes = []
    scaled = factor < 1.0
    if scaled.any():
        names = m.loc[scaled, "name"] if "name" in m.columns else m.loc[scaled, "metro_id"]
        notes.append(
            f"{int(scaled.sum())} metro(s) had more observed jobs than max_employment_rate × "
            f"residents (the MSA is larger than the UN agglomeration) and were scaled down: "
            + ", ".join(map(str, names.head(8)))
            + ("…" if scaled.sum() > 8 else "")
        )
    notes.append(
        f"The {len(m):,} metros hold {ai_share.sum():.1%} of the world's AI-leveraged roles and "
        "AI capital at the start; the world pools (ai_jobs_start, ai_pool_max, capital_world) "
        "are scaled to that share."
    )
    no_un = ~m["metro_id"].astype(str).str.startswith("wup:").to_numpy()
    if no_un.any():
        notes.append(
            f"{int(no_un.sum())} metro(s) are not UN agglomerations (no wup: metro_id): they have "
            "no UN projection, so their natural growth is 0."
        )
    unknown = ~np.isfinite(niip)
    if unknown.any():
        metros_unknown = int(unknown[code].sum())
        notes.append(
            f"NIIP unknown for {int(unknown.sum())} of {ids.size} countries ({metros_unknown} "
            "metros): their fiscal buffer and fracture are NaN (not modelled), and capital's "
            "stability preference treats them as neutral."
        )
    return notes


def natural_growth(metro_ids: ArrayLike, years: ArrayLike, *, halflife: float) -> FloatArray:
    """Annual natural growth of each metro's population, shape (len(years), n).

    Row ``k`` is the growth from ``years[k] - 1`` to ``years[k]`` (row 0 is
    0). UN agglomerations (``wup:`` ids) follow the UN WUP 2018 series to
    2035; after it their mean 2030-2035 rate halves every ``halflife``
    years. Other metros get 0 (no projection is known).

    Parameters
    ----------
    metro_ids : array-like of str, shape (n,)
        The metros; UN agglomerations have ``wup:`` ids.
    years : array-like of int, shape (t,)
        Consecutive years of the run.
    halflife : float
        Years in which the growth rate after 2035 halves.

    Returns
    -------
    numpy.ndarray, shape (t, n)
        Growth rates (share per year).

    Examples
    --------
    Tokyo (UN id ``wup:21671``) shrinks; past 2035 its rate halves every 10 years:

    >>> import numpy as np
    >>> g = natural_growth(["wup:21671", "us:1"], np.arange(2034, 2038), halflife=10)
    >>> g.shape, bool(g[1, 0] < 0), g[:, 1].tolist()
    ((4, 2), True, [0.0, 0.0, 0.0, 0.0])
    >>> bool(np.isclose(g[2, 0] / g[3, 0], 2 ** (1 / 10)))
    True
    """
    ids = pd.Index(pd.Series(metro_ids).astype(str))
    years = np.asarray(years, dtype=int)
    out = np.zeros((years.size, ids.size))
    wup = ids.str.startswith("wup:")
    if not wup.any() or years.size < 2:
        return out
    all_rates, all_tail = _un_growth()
    rate = all_rates.reindex(columns=ids[wup], fill_value=0.0)
    tail = all_tail.reindex(ids[wup], fill_value=0.0).to_numpy()
    last = int(rate.index.max())
    for k, y in enumerate(years[1:], start=1):
        if y <= last and y in rate.index:
            out[k, wup] = rate.loc[y].to_numpy()
        elif y > last:
            out[k, wup] = tail * 0.5 ** ((y - last) / halflife)
    return out


@functools.cache
def _un_growth() -> tuple[pd.DataFrame, pd.Series]:
    """Every UN agglomeration's annual growth (year x metro) and 2030-2035 mean rate, once.

    The same for every run: a sensitivity screening simulates a hundred
    times, and the pivot of the 159,960-row panel need not be redone each time.
    Callers must not change the frames.
    """
    from geoai.datasets import load_metro_panel

    wide = load_metro_panel().pivot(index="year", columns="metro_id", values="population")
    last = int(wide.index.max())
    rate = (wide / wide.shift(1) - 1.0).fillna(0.0)
    tail = ((wide.loc[last] / wide.loc[last - 5]) ** (1 / 5) - 1.0).fillna(0.0)
    return rate, tail
