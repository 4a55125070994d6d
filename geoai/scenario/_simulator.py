"""The engine's yearly step: one scenario's state, its pieces and its step (docs/model.md).

Private to :mod:`geoai.scenario.engine`, which runs it year by year (the
module docstring there describes the model); split off to keep each module
short.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from geoai._decay import decay_spec
from geoai.scenario._gravity import Deterrence, equilibrium_amenity, flows_program
from geoai.scenario._kept import Kept
from geoai.scenario.start import World, natural_growth

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from geoai._typing import FloatArray, IntArray
    from geoai.kernels.scenario import MobilityFlows
    from geoai.scenario._dense import Program
    from geoai.scenario.params import ScenarioParams

__all__ = ["adoption"]

_TOP_K = 3  #: largest destinations kept per origin in the final year
_MAX_DECAY_KM = 20_000.0


def adoption(years: ArrayLike, p: ScenarioParams, start: int) -> FloatArray:
    """``s(t)`` in [0, 1] per year of ``years`` (shape kept): logistic adoption, 0 at ``start``."""
    t = np.asarray(years, dtype=float)

    def logistic(x: FloatArray) -> FloatArray:
        return 1.0 / (1.0 + np.exp(-p.adoption_steepness * (x - p.adoption_midpoint)))

    s0 = logistic(np.asarray(float(start)))
    return np.asarray((logistic(t) - s0) / (1.0 - s0))


class _YearFlows(NamedTuple):
    """What one year's step moved (``n`` metros).

    Attributes
    ----------
    talent, capital : MobilityFlows
        Talent (people) and capital (USD) flows, steps 4 and 5.
    arrivals : numpy.ndarray of float64, shape (n,)
        Workers from outside the metro system who filled vacancies (step 6).
    leavers : numpy.ndarray of float64, shape (n,)
        Jobless workers who left the metro system (step 6).
    """

    talent: MobilityFlows
    capital: MobilityFlows
    arrivals: FloatArray
    leavers: FloatArray


def _waterfill(total: float, weight: FloatArray, cap: FloatArray) -> FloatArray:
    """Allocate ``total`` in proportion to ``weight`` without exceeding ``cap``."""
    out = np.zeros_like(weight)
    free = (weight > 0) & (cap > 0)
    left = min(total, float(cap[weight > 0].sum()))
    for _ in range(weight.size + 1):
        if left <= 0 or not free.any():
            break
        share = left * weight * free / weight[free].sum()
        over = free & (out + share > cap)
        if not over.any():
            out += share
            break
        left -= float((cap[over] - out[over]).sum())
        out[over] = cap[over]
        free &= ~over
    return out


_GROWTH: Kept[tuple[str, bytes, float], FloatArray] = Kept(most=8)


def _growth(world: World, years: IntArray, halflife: float) -> FloatArray:
    """:func:`natural_growth` of the world's metros, kept (read-only) for a sweep's runs.

    The runs of a sweep share their metros and years; keyed by a digest of the
    metro ids, the years and the half-life, so equal inputs find it.
    """
    ids = world.metros["metro_id"].astype(str)
    digest = hashlib.sha1("\n".join(ids.tolist()).encode(), usedforsecurity=False).hexdigest()
    key = (digest, np.asarray(years, dtype=np.int64).tobytes(), float(halflife))
    known = _GROWTH.get(key)
    if known is None:
        known = natural_growth(ids, years, halflife=halflife)
        known.setflags(write=False)
        _GROWTH.put(key, known)
    return known


@dataclass
class _State:
    """Stocks per metro and fracture per country."""

    population: FloatArray
    routine: FloatArray
    augmentable: FloatArray
    local: FloatArray
    ai: FloatArray
    talent: FloatArray
    capital: FloatArray
    unemployed: FloatArray
    fracture: FloatArray


class _Simulator:
    """One scenario: the start state, the calibrated amenities and the yearly step."""

    def __init__(self, world: World, p: ScenarioParams, years: IntArray, seed: int) -> None:
        from geoai.labour import job_wages

        self.world, self.p, self.years = world, p, years
        self.s = adoption(years, p, int(years[0]))
        self.rng = np.random.default_rng(seed)
        self.growth = _growth(world, years, p.growth_halflife)
        self.scale = world.world_share
        self.wage = job_wages()
        ai = np.minimum(p.ai_jobs_start * world.ai_share, 0.5 * world.augmentable)
        augmentable = world.augmentable - ai
        capital = p.capital_world * world.capital_share
        self.state = _State(
            world.population.copy(),
            world.routine.copy(),
            augmentable,
            world.local.copy(),
            ai,
            world.talent.copy(),
            capital,
            np.zeros(world.population.size),
            np.zeros(world.country_ids.size),
        )
        self.ai_start, self.capital_start = ai.copy(), capital.copy()
        self.ai_demand = ai.copy()
        self.vacancies = np.zeros_like(ai)
        self.routine_base = world.routine.copy()  # R^0 N(t): routine jobs without automation
        self.local_base = world.local.copy()  # L^0 N(t)
        self.income_base = self.income(self.state)
        office = world.routine + world.augmentable
        rho = np.divide(world.routine, office, out=np.zeros_like(office), where=office > 0)
        mean_rho = float(np.sum(rho * office) / max(float(office.sum()), 1e-300))
        self.exposure = np.power(
            np.maximum(rho, 1e-12) / max(mean_rho, 1e-12), p.exposure_elasticity
        )
        self.cheapness = world.income_ref / world.gdp_pc[world.country]
        self.capacity = self._fiscal_capacity()
        self.decay = decay_spec(
            "exponential", scale=p.potential_scale_km, scale_name="potential_scale_km"
        )
        self.phi_start = self.potential(self.state.talent)
        self.phi = self.phi_start
        self.niip = np.nan_to_num(world.niip_gdp, nan=0.0)  # unknown NIIP is neutral
        #: the last stability: (year, the fracture it was computed from, value)
        self._stability: tuple[int, FloatArray, FloatArray] | None = None
        stable = self.stability(0)
        self.stability_start = stable
        self.capital_spec = Deterrence(p.capital_decay_km, p.capital_reach, p.home_bias, 0.0)
        ones = np.ones(world.population.size)
        base = self.talent_weight(0, ones)
        self.u_talent = equilibrium_amenity(
            world, base, p.mobility * self.state.talent, self.talent_spec(0, base)
        )
        self.u_capital = equilibrium_amenity(
            world, self.capital_weight(0), p.investable_share * capital, self.capital_spec
        )

    # ----------------------------------------------------------- pieces
    def ramp(self, start_value: float, value: float, k: int) -> float:
        """Return a shock parameter in year ``k``: from its start value toward its value."""
        return float(start_value + (value - start_value) * self.s[k])

    def potential(self, talent: FloatArray) -> FloatArray:
        """Talent potential, on the world's validated coordinates (no re-validation each year)."""
        from geoai.potential._surface import potential_at
        from geoai.scenario._dense import DENSE_MAX, dense_potential

        mass = np.maximum(talent, 0.0)
        if mass.size <= DENSE_MAX:  # the same sum, as a product with the kept decay matrix
            return dense_potential(self.world.xyz, self.world.geo, mass, self.decay.beta)
        return potential_at(self.world.xyz, self.world.geo, mass, self.decay)

    def income(self, st: _State) -> FloatArray:
        """Residents' wage income from tradable work and the displaced's replacement (USD)."""
        w = self.wage
        return (
            w.routine * st.routine
            + w.augmentable * st.augmentable
            + w.ai_talent * st.ai
            + self.p.income_replacement * w.routine * st.unemployed
        )

    def _fiscal_capacity(self) -> FloatArray:
        w, p = self.world, self.p
        ref = w.income_ref
        cap = (
            p.fiscal_base
            + p.fiscal_niip * np.maximum(w.niip_gdp, -1.0)
            + p.fiscal_income * np.log(w.gdp_pc / ref)
        )
        return np.where(np.isfinite(cap), np.maximum(cap, 0.005), np.nan)

    def stability(self, k: int) -> FloatArray:
        """Per-country stability multiplier (unknown NIIP and fracture are neutral)."""
        known, now = self._stability, self.state.fracture
        if known is not None and known[0] == k and known[1] is now:
            return known[2]  # the same year and fracture: AI roles and capital ask in turn
        kappa = self.ramp(0.0, self.p.stability_weight, k)
        fracture = np.nan_to_num(now, nan=0.0)
        value = np.asarray(np.exp(kappa * self.niip) * (1.0 - self.p.fracture_penalty * fracture))
        value.setflags(write=False)  # shared by its callers
        self._stability = (k, now, value)
        return value

    def talent_weight(self, k: int, noise: FloatArray) -> FloatArray:
        st, p = self.state, self.p
        psi = self.ramp(0.0, p.congestion, k)
        roles = np.maximum(st.ai, self.ai_demand)  # filled and open AI roles
        opportunity = np.power(
            roles / np.maximum(st.talent, 1e-9) + p.opportunity_floor, p.attractiveness_exponent
        )
        return np.asarray(
            opportunity * np.power(np.maximum(st.population, 1.0) / 1e6, -psi) * noise
        )

    def capital_weight(self, k: int) -> FloatArray:
        p, st = self.p, self.state
        floor = p.capital_floor * float(self.ai_start.mean())
        w = np.power(st.ai + floor, p.attractiveness_exponent)
        stab = self.stability(k)[self.world.country]
        return np.asarray(w * stab * np.power(self.cheapness, self.ramp(0.0, p.cost_seeking, k)))

    def talent_spec(self, k: int, weight: FloatArray) -> Deterrence:
        r = self.ramp(0.0, self.p.remote_share, k)
        lam = min(self.p.talent_decay_km / max(1.0 - r, 1e-9), _MAX_DECAY_KM)
        w_out = self.p.outside_pull * r * float(weight.sum())
        return Deterrence(lam, 0.0, self.p.border_friction, w_out)

    def ai_target(self, k: int, pool: float) -> FloatArray:
        """Target AI roles: the start allocation moved by potential, premium, capital, stability.

        The target is the world pool in proportion to those weights, each
        metro filling at most its own augmentable jobs (the rest goes to the
        others, :func:`_waterfill`); the uncapped demand is kept in
        ``ai_demand``, and the roles a metro could not fill draw talent
        (step 4).
        """
        st, p, w = self.state, self.p, self.world
        theta0 = p.colocation_premium_start
        theta = self.ramp(theta0, p.colocation_premium, k)
        phi = np.maximum(self.phi, 1e-300)
        change = np.power(phi / np.maximum(self.phi_start, 1e-300), theta0)
        premium = np.power(phi / phi.max(), theta - theta0)
        stab = (self.stability(k) / self.stability_start)[w.country]
        grown = self.capital_start * (1.0 + p.capital_growth) ** (k - 1)
        ratio = np.divide(st.capital, grown, out=np.ones_like(grown), where=grown > 0)
        capital = np.power(np.maximum(ratio, 1e-300), p.capital_elasticity)
        zeta = self.ramp(0.0, p.specialisation_elasticity, k)
        special = np.power(np.maximum(w.specialisation, 1e-12), zeta)
        weight = self.ai_start * change * premium * stab * capital * special
        if weight.sum() <= 0:
            weight = st.talent.copy()
        remote = self.ramp(0.0, p.remote_share, k)
        demand = (1.0 - remote) * pool * weight / weight.sum()
        if remote > 0 and st.talent.sum() > 0:
            demand = demand + remote * pool * st.talent / st.talent.sum()
        self.ai_demand = np.asarray(demand)
        # roles a metro cannot fill from its own workforce go where they can be filled
        cap = st.ai + st.augmentable
        target = (1.0 - remote) * _waterfill(pool, weight, cap)
        if remote > 0 and st.talent.sum() > 0:
            target = target + _waterfill(remote * pool, st.talent, np.maximum(cap - target, 0.0))
        return target

    # ------------------------------------------------------------- step
    def step(self, k: int, top_k: int, capital_top_k: int | None = None) -> Program[_YearFlows]:
        """Advance to year ``k``; return its flows (a program: it asks for its matrix passes)."""
        st, p, world = self.state, self.p, self.world
        n = st.talent.size
        # 1. natural growth
        g = 1.0 + self.growth[k]
        st.population = st.population * g
        st.augmentable, st.talent = st.augmentable * g, st.talent * g
        st.unemployed = st.unemployed * g
        self.routine_base = self.routine_base * g
        self.local_base = self.local_base * g
        self.income_base = self.income_base * g
        previous = st.routine * g
        # 2. automation
        routine = self.routine_base * (
            1.0 - np.minimum(1.0, p.automation_ceiling * self.s[k] * self.exposure)
        )
        st.routine = np.minimum(routine, previous)
        # 3. potential and AI roles (converted from augmentable jobs)
        self.phi = self.potential(st.talent)
        pool = self.scale * self.ramp(p.ai_jobs_start, p.ai_pool_max, k)
        target = self.ai_target(k, pool)
        d_ai = p.ai_adjustment * (target - st.ai)
        d_ai = np.clip(d_ai, -st.ai, st.augmentable)
        st.ai, st.augmentable = st.ai + d_ai, st.augmentable - d_ai
        # 4-5. talent and capital flows
        noise = np.exp(self.rng.normal(0.0, p.shock_sd, n)) if p.shock_sd > 0 else np.ones(n)
        tw = self.u_talent * self.talent_weight(k, noise)
        talent = yield from flows_program(
            world, tw, p.mobility * st.talent, self.talent_spec(k, tw), top_k
        )
        cw = self.u_capital * self.capital_weight(k)
        capital = yield from flows_program(
            world,
            cw,
            p.investable_share * st.capital,
            self.capital_spec,
            top_k if capital_top_k is None else capital_top_k,
        )
        net = talent.inflow - talent.outflow
        st.talent = np.maximum(st.talent + net, 0.0)
        st.augmentable = np.maximum(st.augmentable + net, 0.0)  # talent carries its job
        st.population = np.maximum(st.population + p.household_size * net, 0.0)
        st.capital = np.maximum(
            (st.capital + capital.inflow - capital.outflow) * (1.0 + p.capital_growth), 0.0
        )
        # 6. labour closure
        arrivals, leavers = self.close_labour_market()
        return _YearFlows(talent, capital, arrivals, leavers)

    def labour_force(self) -> FloatArray:
        return np.asarray(self.world.labour_rate * self.state.population)

    def close_labour_market(self) -> tuple[FloatArray, FloatArray]:
        """Local jobs from income, within the labour force; migrants answer vacancies and jobs lost.

        Returns the workers who arrived from outside the metro system to fill
        vacancies and the jobless who left it (both with their households).
        """
        st, p, rate = self.state, self.p, self.world.labour_rate
        ratio = np.divide(
            self.income(st),
            self.income_base,
            out=np.ones_like(st.local),
            where=self.income_base > 0,
        )
        ratio = np.clip(ratio, 0.0, 1e3)  # beyond a thousandfold, the labour force binds anyway
        demand = self.local_base * np.power(ratio, p.local_income_elasticity)
        tradable = st.routine + st.augmentable + st.ai
        gap = tradable + demand - self.labour_force()
        arrivals = np.minimum(  # workers; the outside is not an endless reservoir
            p.vacancy_inmigration * np.maximum(gap, 0.0),
            p.max_inmigration * st.population * rate,
        )
        leavers = p.unemployed_outmigration * np.maximum(-gap, 0.0)
        st.population = np.maximum(st.population + (arrivals - leavers) / rate, 0.0)
        lf = self.labour_force()
        over = np.maximum(tradable - lf, 0.0)
        left = over.copy()  # tradable jobs left unfilled: augmentable, then AI, then routine
        for name in ("augmentable", "ai", "routine"):
            stock = getattr(st, name)
            cut = np.minimum(stock, left)
            setattr(st, name, stock - cut)
            left -= cut
        tradable = st.routine + st.augmentable + st.ai
        st.local = np.clip(demand, 0.0, np.maximum(lf - tradable, 0.0))
        self.vacancies = np.maximum(tradable + demand - lf, 0.0) + over
        st.unemployed = np.maximum(lf - tradable - st.local, 0.0)
        return np.asarray(arrivals), np.asarray(leavers)

    def stress(self) -> tuple[FloatArray, FloatArray]:
        """Unemployment over the metros' own labour force against capacity, per country."""
        st, world = self.state, self.world
        c = world.country_ids.size
        unemployed = np.bincount(world.country, st.unemployed, c)
        lf = np.bincount(world.country, self.labour_force(), c)
        rate = np.divide(unemployed, lf, out=np.zeros(c), where=lf > 0)
        ratio = rate / self.capacity
        st.fracture = np.clip(ratio - 1.0, 0.0, 1.0)  # NaN stays NaN where the buffer is unknown
        return np.asarray(ratio), np.asarray(self.capacity)

    def record(self, flows: _YearFlows | None) -> dict[str, FloatArray]:
        st, c = self.state, self.world.country
        stress, capacity = self.stress()
        zero = np.zeros(st.talent.size)
        t_in, t_out, t_outside, t_abroad = (
            (flows.talent.inflow, flows.talent.outflow, flows.talent.outside, flows.talent.abroad)
            if flows is not None
            else (zero, zero, zero, zero)
        )
        c_in, c_out = (
            (flows.capital.inflow, flows.capital.outflow) if flows is not None else (zero, zero)
        )
        lf = self.labour_force()
        jobs = st.routine + st.augmentable + st.local + st.ai
        return {
            "population": st.population.copy(),
            "labour_force": lf,
            "jobs_routine": st.routine.copy(),
            "jobs_automated": np.maximum(self.routine_base - st.routine, 0.0),
            "jobs_augmentable": st.augmentable.copy(),
            "jobs_local": st.local.copy(),
            "ai_jobs": st.ai.copy(),
            "ai_demand": self.ai_demand.copy(),
            "jobs": jobs,
            "vacancies": self.vacancies.copy(),
            "talent": st.talent.copy(),
            "capital": st.capital.copy(),
            "talent_potential": self.phi.copy(),
            "talent_in": t_in,
            "talent_out": t_out,
            "talent_abroad": t_abroad,
            "talent_to_outside": t_outside,
            "net_talent": t_in - t_out,
            "capital_in": c_in,
            "capital_out": c_out,
            "unemployed": st.unemployed.copy(),
            "unemployment_rate": np.divide(st.unemployed, lf, out=np.zeros_like(lf), where=lf > 0),
            "fiscal_buffer": capacity[c],
            "fiscal_stress": stress[c],
            "fracture": st.fracture[c],
        }
