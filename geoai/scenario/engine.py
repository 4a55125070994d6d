"""The year-by-year simulation (MODEL.md), vectorised over metros.

State per metro: population ``P``, routine / augmentable / local jobs
``R, A, L``, AI-leveraged jobs ``X``, talent ``H`` and AI capital ``K``; per
country: the pool of displaced workers not re-employed, fiscal capacity,
fracture and stability. One step per year:

1. automation: ``R_i(t) = R_i(t0) (1 - min(1, a(t) e_i))``, ``a(t)`` the
   logistic adoption curve times the ceiling, ``e_i`` the exposure
   ``(rho_i / mean rho)^elasticity`` of the metro's routine share ``rho_i``;
   a share of the displaced is re-employed locally each year, a share leaves
   the metro system;
2. agglomeration potential of talent ``Phi_i = sum_j H_j exp(-d_ij / lambda)``
   (own term included, :func:`geoai.potential.at_points`, matrix-free);
3. AI roles: the pool ``G(t)`` is allocated in proportion to
   ``Phi^theta(t) S_c (K / K0)^omega``, except a remote share ``r(t)`` of it
   that is done wherever talent lives (in proportion to ``H``), and ``X``
   adjusts partially toward that target;
4. talent flows: ``mobility * H`` movers per metro, production-constrained
   gravity with staying, remote-work share, border friction and an outside
   option (:func:`geoai.kernels.scenario.mobility_flows`);
5. capital flows: ``investable_share * K`` toward ``(X + floor)^alpha S_c``
   (or low cost), home bias, long reach;
6. fiscal stress: unemployment pool over national labour force against a
   capacity from NIIP/GDP and income; beyond it, fracture lowers stability;
7. update of stocks (talent carries its augmentable job; households move).

Two choices go beyond MODEL.md and are documented in the report: **shock
parameters phase in** with adoption (so all presets start from the same
state), and **amenities are calibrated** so the start year is a spatial
equilibrium (each metro's talent and capital inflows equal its outflows at
start, the Rosen–Roback reading of the observed distribution); without them
the model would drift with no shock at all and ``baseline`` would not be a
baseline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import pandas as pd

from geoai._coords import kernel_points
from geoai.errors import ConvergenceError, InputError
from geoai.kernels.scenario import mobility_flows
from geoai.labour import employment_rate
from geoai.scenario.params import ScenarioParams

__all__ = ["PANEL_COLUMNS", "Flows", "World", "prepare_world", "run"]

#: Columns of the metro × year panel, besides ``metro_id`` and ``year``.
PANEL_COLUMNS = (
    "population",
    "jobs_routine",
    "jobs_augmentable",
    "jobs_local",
    "ai_jobs",
    "jobs",
    "talent",
    "capital",
    "talent_potential",
    "talent_in",
    "talent_out",
    "talent_to_outside",
    "net_talent",
    "capital_in",
    "capital_out",
    "unemployed",
    "fiscal_stress",
    "fracture",
)

_MAX_METROS = 20_000
_TOP_K = 3


@dataclass(frozen=True)
class World:
    """The start state: metros and their countries, as arrays."""

    metros: Any  # GeoDataFrame, EPSG:4326, indexed 0..n-1
    xyz: np.ndarray
    geo: bool
    country: np.ndarray  # (n,) country code per metro
    country_ids: np.ndarray  # (c,) iso3
    labour_force: np.ndarray  # (c,) national labour force
    gdp_pc: np.ndarray  # (c,) USD
    niip_gdp: np.ndarray  # (c,) NIIP / GDP, 0 where unknown
    niip_known: np.ndarray  # (c,) bool
    population_known: np.ndarray  # (c,) bool: False where the metros stand in


def prepare_world(metros: Any, countries: pd.DataFrame) -> World:
    """Check and align metros and countries for the engine."""
    need = ("metro_id", "country_iso3", "population", "jobs_routine", "jobs_augmentable")
    missing = [c for c in (*need, "jobs_local") if c not in metros.columns]
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
    for col in ("population", "jobs_routine", "jobs_augmentable", "jobs_local"):
        x = pd.to_numeric(metros[col], errors="coerce").to_numpy(dtype=float)
        if not np.all(np.isfinite(x)) or (x < 0).any():
            raise InputError(f"metros column {col!r} must be finite and >= 0.")
    iso = metros["country_iso3"].astype(str).to_numpy()
    unknown = sorted(set(iso) - set(countries.index))
    if unknown:
        raise InputError(
            f"countries lacks {len(unknown)} ISO3 code(s) used by metros, e.g. {unknown[:5]}."
        )
    ids, code = np.unique(iso, return_inverse=True)
    c = countries.loc[ids]
    gdp_pc = pd.to_numeric(c["gdp_pc_usd"], errors="coerce").to_numpy(dtype=float)
    pop = pd.to_numeric(c["population"], errors="coerce").to_numpy(dtype=float)
    # no national figure (e.g. Taiwan in World Bank data): the metros' own values stand in
    metro_pop = np.bincount(code, metros["population"].to_numpy(dtype=float), ids.size)
    pop_known = np.isfinite(pop) & (pop > 0)
    pop = np.where(pop_known, pop, metro_pop)
    if "gdp_pc_usd" in metros.columns:
        weights = metros["population"].to_numpy(dtype=float)
        metro_y = pd.to_numeric(metros["gdp_pc_usd"], errors="coerce").to_numpy(dtype=float)
        ok = np.isfinite(metro_y)
        total = np.bincount(code[ok], (weights * metro_y)[ok], ids.size)
        mean_y = total / np.maximum(np.bincount(code[ok], weights[ok], ids.size), 1e-300)
        gdp_pc = np.where(np.isfinite(gdp_pc) & (gdp_pc > 0), gdp_pc, mean_y)
    bad = ~np.isfinite(gdp_pc) | (gdp_pc <= 0) | ~(pop > 0)
    if bad.any():
        raise InputError(
            f"countries {list(ids[bad][:5])} lack population or GDP per capita; fill them "
            "(see data/README.md) or drop their metros."
        )
    lf = employment_rate(gdp_pc)
    niip = pd.to_numeric(c.get("niip_gdp"), errors="coerce").to_numpy(dtype=float)
    known = np.isfinite(niip)
    pts = kernel_points(metros)
    return World(
        metros=metros.reset_index(drop=True),
        xyz=pts.xyz,
        geo=pts.geo,
        country=code.astype(np.int64),
        country_ids=ids,
        labour_force=pop * lf,
        gdp_pc=gdp_pc,
        niip_gdp=np.where(known, np.clip(niip, -2.0, 2.0), 0.0),
        niip_known=known,
        population_known=pop_known,
    )


def adoption(years: np.ndarray, p: ScenarioParams, start: int) -> np.ndarray:
    """``s(t)`` in [0, 1]: the logistic adoption curve, 0 in the start year."""
    t = np.asarray(years, dtype=float)

    def logistic(x: Any) -> Any:
        return 1.0 / (1.0 + np.exp(-p.adoption_steepness * (x - p.adoption_midpoint)))

    s0 = logistic(float(start))
    return np.asarray((logistic(t) - s0) / (1.0 - s0))


@dataclass
class Flows:
    """Top flows of one kind in the final year (for maps and the flows layer)."""

    origin: np.ndarray
    destination: np.ndarray
    flow: np.ndarray


def _flows(
    world: World,
    weight: np.ndarray,
    send: np.ndarray,
    spec: tuple[float, float, float, float],
    top_k: int = 0,
) -> tuple[np.ndarray, ...]:
    lam, r, border, w_out = spec
    return mobility_flows(
        world.xyz, world.geo, world.country, weight, send, lam, r, border, w_out, top_k
    )


def _equilibrium_amenity(
    world: World, base: np.ndarray, send: np.ndarray, spec: tuple[float, float, float, float]
) -> np.ndarray:
    """Multipliers ``u`` that make the start-year flows toward ``W = u * base`` balanced.

    Detailed balance ``O_i p_ij = O_j p_ji`` of the mover chain
    ``p_ij = W_j f_ij / s_i`` holds, with a symmetric ``f``, exactly when
    ``W_i s_i(W)`` is proportional to ``O_i``; then every metro's inflow
    equals its outflow. ``W <- sqrt(W O / s(W))`` is the symmetric
    Sinkhorn–Knopp iteration for that scaling and converges geometrically.
    """
    if not np.any(send > 0):
        return np.ones_like(base)  # nobody moves: any amenity is an equilibrium
    send = send / send.max()  # the balance condition does not depend on the scale of O
    w = np.where(send > 0, np.sqrt(send), 0.0)
    for _ in range(10_000):
        *_, denom, _, _ = _flows(world, w, send, spec)
        target = np.divide(send, denom, out=np.zeros_like(send), where=denom > 0)
        new = np.sqrt(w * target)
        new /= new.max()
        done = np.max(np.abs(new - w)) <= 1e-13
        w = new
        if done:
            return np.divide(w, base, out=np.zeros_like(w), where=base > 0)
    raise ConvergenceError(
        "could not calibrate the start-year equilibrium of flows; raise talent_decay_km / "
        "capital_decay_km or drop isolated metros."
    )


def _stability(world: World, p: ScenarioParams, kappa: float, fracture: np.ndarray) -> np.ndarray:
    return np.exp(kappa * world.niip_gdp) * (1.0 - p.fracture_penalty * fracture)


def _fiscal_capacity(world: World, p: ScenarioParams) -> np.ndarray:
    ref = np.exp(np.mean(np.log(world.gdp_pc)))
    cap = (
        p.fiscal_base
        + p.fiscal_niip * np.maximum(world.niip_gdp, -1.0)
        + p.fiscal_income * np.log(world.gdp_pc / ref)
    )
    return np.maximum(cap, 0.005)


@dataclass
class _State:
    """Stocks per metro (MODEL.md symbols in brackets) and per country."""

    population: np.ndarray  # P
    routine: np.ndarray  # R
    augmentable: np.ndarray  # A
    local: np.ndarray  # L
    ai: np.ndarray  # X
    talent: np.ndarray  # H
    capital: np.ndarray  # K
    jobless: np.ndarray  # displaced, not re-employed, still in the metro
    fracture: np.ndarray  # phi per country


class _Simulator:
    """One scenario: the start state, the calibrated amenities and the yearly step."""

    def __init__(self, world: World, p: ScenarioParams, years: np.ndarray, seed: int) -> None:
        self.world, self.p, self.years = world, p, years
        self.s = adoption(years, p, int(years[0]))
        self.rng = np.random.default_rng(seed)
        m = world.metros
        n = len(m)
        routine = m["jobs_routine"].to_numpy(dtype=float).copy()
        augmentable = m["jobs_augmentable"].to_numpy(dtype=float).copy()
        local = m["jobs_local"].to_numpy(dtype=float).copy()
        population = m["population"].to_numpy(dtype=float).copy()
        employment = routine + augmentable + local
        talent = (
            p.talent_share
            * augmentable
            * np.power(np.maximum(population, 1.0) / 1e6, p.talent_scaling)
        )
        income = world.gdp_pc[world.country]
        weight = income * np.power(np.maximum(population, 1.0), p.capital_scaling)
        capital = p.capital_world * weight / weight.sum()
        self.routine_start, self.capital_start = routine.copy(), capital.copy()
        rho = np.divide(routine, employment, out=np.zeros(n), where=employment > 0)
        self.exposure = np.power(
            np.maximum(rho, 1e-12) / max(rho.mean(), 1e-12), p.exposure_elasticity
        )
        self.cheapness = np.exp(np.mean(np.log(income))) / income
        self.capacity = _fiscal_capacity(world, p)
        no_fracture = np.zeros(world.country_ids.size)
        self.state = _State(
            population,
            routine,
            augmentable,
            local,
            np.zeros(n),
            talent,
            capital,
            np.zeros(n),
            no_fracture,
        )
        self.phi = self.potential(talent)
        ai = self.allocate(
            p.ai_jobs_start, self.phi, p.colocation_premium_start, np.ones(no_fracture.size)
        )
        self.state.ai = ai
        self.state.augmentable = np.maximum(augmentable - ai, 0.0)  # today's AI roles
        ones, stable = np.ones(n), np.ones(no_fracture.size)
        self.capital_spec = (p.capital_decay_km, p.capital_reach, p.home_bias, 0.0)
        base = self.talent_weight(0, ones)
        self.u_talent = _equilibrium_amenity(
            world, base, p.mobility * talent, self.talent_spec(0, base)
        )
        self.u_capital = _equilibrium_amenity(
            world, self.capital_weight(0, stable), p.investable_share * capital, self.capital_spec
        )

    def ramp(self, start_value: float, value: float, k: int) -> float:
        """Return a shock parameter in year ``k``: from its start value toward its value."""
        return float(start_value + (value - start_value) * self.s[k])

    def potential(self, talent: np.ndarray) -> np.ndarray:
        from geoai import potential as pot

        return np.asarray(
            pot.at_points(self.world.metros, talent, scale_km=self.p.potential_scale_km)
        )

    def allocate(self, total: float, phi: np.ndarray, theta: float, stab: np.ndarray) -> np.ndarray:
        w = np.power(phi / phi.max(), theta) * stab[self.world.country]
        w = w * np.power(self.state.capital / self.capital_start, self.p.capital_elasticity)
        return np.asarray(total * w / w.sum())

    def talent_weight(self, k: int, noise: np.ndarray) -> np.ndarray:
        st, p = self.state, self.p
        psi = self.ramp(0.0, p.congestion, k)
        opportunity = np.power(
            st.ai / np.maximum(st.talent, 1e-9) + p.opportunity_floor, p.attractiveness_exponent
        )
        return opportunity * np.power(np.maximum(st.population, 1.0) / 1e6, -psi) * noise

    def capital_weight(self, k: int, stab: np.ndarray) -> np.ndarray:
        p = self.p
        w = np.power(self.state.ai + p.capital_floor, p.attractiveness_exponent)
        return (
            w
            * stab[self.world.country]
            * np.power(self.cheapness, self.ramp(0.0, p.cost_seeking, k))
        )

    def talent_spec(self, k: int, weight: np.ndarray) -> tuple[float, float, float, float]:
        r = self.ramp(0.0, self.p.remote_share, k)
        w_out = self.p.outside_pull * r * float(weight.sum())
        return (self.p.talent_decay_km, r, self.p.border_friction, w_out)

    def step(self, k: int, top_k: int) -> dict[str, Any]:
        """Advance to year ``k`` (MODEL steps 1-5 and 7); return its flows."""
        st, p, world = self.state, self.p, self.world
        n = st.talent.size
        # 1. automation and the displaced
        routine = self.routine_start * (
            1.0 - np.minimum(1.0, p.automation_ceiling * self.s[k] * self.exposure)
        )
        displaced = np.maximum(st.routine - routine, 0.0)
        st.routine = routine
        jobless = st.jobless + displaced
        reemployed = p.reemployment_rate * jobless
        leavers = p.unemployed_outmigration * (jobless - reemployed)
        st.jobless = jobless - reemployed - leavers
        # 2-3. potential and AI roles
        self.phi = self.potential(st.talent)
        stab = _stability(world, p, self.ramp(0.0, p.stability_weight, k), st.fracture)
        target = self.allocate(
            self.ramp(p.ai_jobs_start, p.ai_pool_max, k),
            self.phi,
            self.ramp(p.colocation_premium_start, p.colocation_premium, k),
            stab,
        )
        # remote work: a share r of AI roles is done from wherever the talent lives
        remote = self.ramp(0.0, p.remote_share, k)
        pool = float(target.sum())
        target = (1.0 - remote) * target + remote * pool * st.talent / st.talent.sum()
        d_ai = p.ai_adjustment * (target - st.ai)
        st.ai = st.ai + d_ai
        # 4-5. talent and capital flows
        noise = np.exp(self.rng.normal(0.0, p.shock_sd, n)) if p.shock_sd > 0 else np.ones(n)
        tw = self.u_talent * self.talent_weight(k, noise)
        t_out, t_in, t_outside, _, t_idx, t_top = _flows(
            world, tw, p.mobility * st.talent, self.talent_spec(k, tw), top_k
        )
        cw = self.u_capital * self.capital_weight(k, stab)
        c_out, c_in, _, _, c_idx, c_top = _flows(
            world, cw, p.investable_share * st.capital, self.capital_spec, top_k
        )
        # 7. stocks (talent carries its augmentable job; households move with it)
        net = t_in - t_out
        st.talent = np.maximum(st.talent + net, 0.0)
        st.augmentable = np.maximum(st.augmentable + net, 0.0)
        st.population = np.maximum(st.population + p.household_size * (net - leavers), 0.0)
        st.capital = np.maximum((st.capital + c_in - c_out) * (1.0 + p.capital_growth), 0.0)
        st.local = np.maximum(
            st.local
            + p.local_multiplier * d_ai
            + reemployed
            - p.local_loss_per_displaced * displaced,
            0.0,
        )
        return {
            "talent": (t_in, t_out, t_outside, t_idx, t_top),
            "capital": (c_in, c_out, c_idx, c_top),
            "leavers": leavers,
        }

    def stress(self) -> np.ndarray:
        """MODEL step 6: unemployment over labour force against capacity, per country."""
        st, world = self.state, self.world
        unemployed = np.bincount(world.country, st.jobless, world.country_ids.size)
        ratio = unemployed / world.labour_force / self.capacity
        st.fracture = np.clip(ratio - 1.0, 0.0, 1.0)
        return np.asarray(ratio)

    def record(self, flows: dict[str, Any] | None, stress: np.ndarray) -> dict[str, np.ndarray]:
        st, c = self.state, self.world.country
        zero = np.zeros(st.talent.size)
        t_in, t_out, t_outside = flows["talent"][:3] if flows else (zero, zero, zero)
        c_in, c_out = flows["capital"][:2] if flows else (zero, zero)
        return {
            "population": st.population.copy(),
            "jobs_routine": st.routine.copy(),
            "jobs_augmentable": st.augmentable.copy(),
            "jobs_local": st.local.copy(),
            "ai_jobs": st.ai.copy(),
            "jobs": st.routine + st.augmentable + st.local + st.ai,
            "talent": st.talent.copy(),
            "capital": st.capital.copy(),
            "talent_potential": self.phi.copy(),
            "talent_in": t_in,
            "talent_out": t_out,
            "talent_to_outside": t_outside,
            "net_talent": t_in - t_out,
            "capital_in": c_in,
            "capital_out": c_out,
            "unemployed": st.jobless.copy(),
            "fiscal_stress": stress[c],
            "fracture": st.fracture[c],
        }


def run(
    world: World, p: ScenarioParams, *, start: int, end: int, seed: int, progress: bool = False
) -> tuple[pd.DataFrame, dict[str, Flows], pd.DataFrame]:
    """Simulate ``start..end``; return the panel, final-year top flows and the sink per year."""
    if end < start:
        raise InputError(f"end ({end}) must not be before start ({start}).")
    years = np.arange(start, end + 1)
    sim = _Simulator(world, p, years, seed)
    rows = [sim.record(None, sim.stress())]
    sink: list[dict[str, float]] = []
    top: dict[str, Flows] = {}
    steps: Any = range(1, len(years))
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc="scenario", unit="year")
    for k in steps:
        last = k == len(years) - 1
        flows = sim.step(k, _TOP_K if last else 0)
        rows.append(sim.record(flows, sim.stress()))
        t_in, t_out, t_outside, t_idx, t_top = flows["talent"]
        c_in, c_out, c_idx, c_top = flows["capital"]
        sink.append(
            {
                "year": int(years[k]),
                "talent_to_outside": float(t_outside.sum()),
                "talent_out": float(t_out.sum()),
                "talent_in": float(t_in.sum()),
                "jobless_leaving": float(flows["leavers"].sum()),
                "capital_out": float(c_out.sum()),
                "capital_in": float(c_in.sum()),
            }
        )
        if last:
            top = {"talent": _top_flows(t_idx, t_top), "capital": _top_flows(c_idx, c_top)}
    panel = _panel(world.metros["metro_id"].to_numpy(), years, rows)
    return panel, top, pd.DataFrame(sink)


def _top_flows(index: np.ndarray, flow: np.ndarray) -> Flows:
    rows, cols = np.nonzero(index >= 0)
    return Flows(origin=rows, destination=index[rows, cols], flow=flow[rows, cols])


def _panel(ids: np.ndarray, years: np.ndarray, rows: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    n = ids.size
    data: dict[str, Any] = {
        "metro_id": np.tile(ids, years.size),
        "year": np.repeat(years, n),
    }
    for col in PANEL_COLUMNS:
        data[col] = np.concatenate([r[col] for r in rows])
    return pd.DataFrame(data)


def n_threads() -> int:
    """Numba threads available to the kernels (for reports)."""
    return int(numba.get_num_threads())
