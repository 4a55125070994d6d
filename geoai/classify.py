"""Explainable metro roles: superstar, hub, hinterland, Detroit-path, stable.

Every metro gets exactly one role, a score in [0, 1] and the reasons, from
explicit rules (DESIGN §6) applied in this order, the first that fires wins:

1. **superstar**: among the ``superstar_top_n`` largest shares of the world's
   AI jobs, with at least ``superstar_min_share`` of them, *and* a significant
   Getis-Ord Gi* hot spot of agglomeration potential (FDR-controlled).
2. **hub**: high AI growth below superstar: among the ``hub_top_n`` largest
   AI-job gains over the panel (the largest AI-job shares on a snapshot), with
   at least ``hub_min_share`` of the world's AI jobs.
3. **detroit_path** (needs a trajectory): over the panel (or its last
   ``decline_years``),
   jobs fall by at least ``decline_jobs`` and population by at least
   ``decline_population``, falling in most years, *and* a net talent outflow
   or a fiscal buffer exceeded (``fracture > 0``).
4. **hinterland**: the destination of its largest talent outflow is a
   superstar or hub (Nystuen & Dacey 1961), or it lies in a superstar's or
   hub's Huff (1963) market area with probability at least
   ``hinterland_min_probability`` while its own potential is at most
   ``hinterland_max_potential_ratio`` of that centre's.
5. **stable**: none of the above.

Indicators are taken from the table when present and computed otherwise:
``ai_jobs`` (the AI-leveraged roles of the scenario; on the embedded data
without a scenario, ``jobs_augmentable`` stands in and the reasons say so),
``potential`` (Hansen potential of the AI jobs at the metros, exponential
decay of ``potential_scale_km``), and talent flows (a production-constrained
gravity model of ``talent`` (or ``jobs_augmentable``) toward AI jobs).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoai import _validate as v
from geoai.errors import InputError

__all__ = ["ROLES", "RoleThresholds", "classify"]

#: The roles, in the order their rules are tried.
ROLES = ("superstar", "hub", "detroit_path", "hinterland", "stable")

_JOB_PARTS = ("jobs_routine", "jobs_augmentable", "jobs_local", "ai_jobs")


@dataclass(frozen=True)
class RoleThresholds:
    """Thresholds of the role rules (all shares are fractions, not percent).

    Attributes
    ----------
    superstar_top_n : int
        Rank by share of the world's AI jobs a superstar must reach (seed 000:
        "3-5 hyper-metropolises").
    superstar_min_share : float
        Minimum share of the world's AI jobs of a superstar.
    fdr : float
        False-discovery rate of the Gi* hot-spot test (Benjamini–Hochberg).
    gi_k : int
        Neighbours of the Gi* weights (k nearest metros, great-circle).
    permutations : int
        Conditional permutations of the Gi* test.
    hub_top_n : int
        Rank by AI-job gain (panel) or share (snapshot) a hub must reach.
    hub_min_growth : float
        On a panel, minimum relative growth of a hub's AI jobs over the panel
        (0.1 = +10%): a ranking of zero gains is no growth.
    hub_min_share : float
        Minimum share of the world's AI jobs of a hub.
    decline_years : int, optional
        Window (years) of the Detroit-path trajectory rule, counted back from
        the final year; ``None`` (default) takes the whole panel.
    decline_jobs, decline_population : float
        Minimum relative fall of total jobs and population over the window.
    hinterland_min_probability : float
        Minimum Huff probability of the dominant superstar or hub.
    hinterland_max_potential_ratio : float
        Own potential at most this fraction of the dominant centre's.
    potential_scale_km : float
        Decay scale (km) of the potential and of the default talent flows.
    seed : int
        Seed of the permutation test.
    """

    superstar_top_n: int = 5
    superstar_min_share: float = 0.02
    fdr: float = 0.05
    gi_k: int = 8
    permutations: int = 999
    hub_top_n: int = 25
    hub_min_share: float = 0.004
    hub_min_growth: float = 0.1
    decline_years: int | None = None
    decline_jobs: float = 0.05
    decline_population: float = 0.02
    hinterland_min_probability: float = 0.5
    hinterland_max_potential_ratio: float = 0.5
    potential_scale_km: float = 300.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("superstar_top_n", "gi_k", "hub_top_n", "decline_years"):
            value = getattr(self, name)
            if name == "decline_years" and value is None:
                continue
            if not isinstance(value, int | np.integer) or value < 1:
                raise InputError(f"RoleThresholds.{name} must be an integer >= 1; got {value!r}.")
        for name in (
            "superstar_min_share",
            "hub_min_share",
            "decline_jobs",
            "decline_population",
            "hinterland_min_probability",
            "hinterland_max_potential_ratio",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise InputError(f"RoleThresholds.{name} must be in [0, 1]; got {value!r}.")
        if not self.hub_min_growth >= 0.0:
            raise InputError(
                f"RoleThresholds.hub_min_growth must be >= 0; got {self.hub_min_growth!r}."
            )
        if not 0.0 < self.fdr < 1.0:
            raise InputError(f"RoleThresholds.fdr must be in (0, 1); got {self.fdr!r}.")
        v.check_positive(self.potential_scale_km, "RoleThresholds.potential_scale_km")
        if self.permutations < 0:
            raise InputError(f"RoleThresholds.permutations must be >= 0; got {self.permutations}.")


# ------------------------------------------------------------------- inputs
def _snapshot_and_history(data: Any, metros: Any) -> tuple[gpd.GeoDataFrame, pd.DataFrame | None]:
    """Split the input into the final state (indexed by metro id) and the panel (or None)."""
    if not isinstance(data, pd.DataFrame):
        raise InputError(
            f"classify takes a metros GeoDataFrame or a metro × year panel; got "
            f"{type(data).__name__}."
        )
    v.check_nonempty(len(data), "metros")
    if "year" not in data.columns:
        snap = data.copy()
        if "metro_id" in snap.columns:
            snap = snap.set_index("metro_id", drop=False)
        if snap.index.has_duplicates:
            raise InputError("metro ids must be unique; drop duplicate rows or pass a panel.")
        return _geo(snap, metros), None
    if "metro_id" not in data.columns:
        raise InputError("a panel needs a 'metro_id' column next to 'year'.")
    panel = data.sort_values(["metro_id", "year"])
    if panel.duplicated(["metro_id", "year"]).any():
        raise InputError("the panel has repeated (metro_id, year) rows; keep one per year.")
    last = panel["year"].max()
    snap = panel[panel["year"] == last].set_index("metro_id", drop=False)
    return _geo(snap, metros), pd.DataFrame(panel.drop(columns="geometry", errors="ignore"))


def _geo(snap: pd.DataFrame, metros: Any) -> gpd.GeoDataFrame:
    if isinstance(snap, gpd.GeoDataFrame) and snap.geometry.name in snap.columns:
        v.require_crs(snap, "metros")
        return snap
    if metros is None:
        raise InputError(
            "the table has no geometry; pass metros=geoai.load_metros() (or your metro points) "
            "so classify can place them."
        )
    v.require_crs(metros, "metros")
    geo = metros.set_index("metro_id") if "metro_id" in metros.columns else metros
    missing = snap.index.difference(geo.index)
    if len(missing):
        raise InputError(
            f"{len(missing)} metro id(s) of the table are not in metros, e.g. "
            f"{list(missing[:5])}; pass the matching metros."
        )
    extra = [c for c in geo.columns if c not in snap.columns and c != geo.geometry.name]
    joined = snap.join(geo[extra]) if extra else snap
    return gpd.GeoDataFrame(joined, geometry=geo.geometry.reindex(snap.index).values, crs=geo.crs)


def _column(df: pd.DataFrame, name: str) -> np.ndarray:
    x = pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(x) | (x < 0)
    if bad.any():
        raise InputError(
            f"column {name!r} must be finite and >= 0; {bad.sum()} value(s) are not, e.g. "
            f"for metros {list(df.index[bad][:5])}."
        )
    return x


def _ai_jobs(snap: pd.DataFrame) -> tuple[np.ndarray, str]:
    for name, label in (("ai_jobs", "AI-job share"), ("jobs_augmentable", "augmentable-job share")):
        if name in snap.columns:
            x = _column(snap, name)
            if x.sum() > 0:
                return x, label
    raise InputError(
        "classify needs an 'ai_jobs' column (from a scenario) or 'jobs_augmentable' "
        "(geoai.load_metros() has it) with a positive total."
    )


def _total_jobs(df: pd.DataFrame) -> pd.Series:
    if "jobs" in df.columns:
        return pd.Series(df["jobs"], index=df.index, dtype=float)
    parts = [c for c in _JOB_PARTS if c in df.columns]
    if not parts:
        raise InputError(f"the panel needs a 'jobs' column or job columns among {_JOB_PARTS}.")
    return pd.Series(df[parts].sum(axis=1), index=df.index, dtype=float)


def _potential(snap: gpd.GeoDataFrame, potential: Any, ai_pull: np.ndarray) -> Any:
    """Return the potential used for Gi*: the user's, or by default the AI-job ``ai_pull``."""
    if potential is None:
        return ai_pull
    if isinstance(potential, str):
        if potential not in snap.columns:
            raise InputError(f"potential={potential!r} is not a column of the metros.")
        return _column(snap, potential)
    if hasattr(potential, "rio"):  # a raster from geoai.potential.surface: sample the cells
        pts = snap.geometry.to_crs(potential.rio.crs)
        sampled = potential.sel(
            x=_points_indexer(pts.x.to_numpy()),
            y=_points_indexer(pts.y.to_numpy()),
            method="nearest",
        ).to_numpy()
        return np.nan_to_num(np.asarray(sampled, dtype=np.float64), nan=0.0)
    return v.as_mass(potential, "potential", n=len(snap))


def _points_indexer(values: np.ndarray) -> Any:
    """Pointwise (vectorised) xarray indexer along a ``points`` dimension."""
    import xarray as xr

    return xr.DataArray(values, dims="points")


def _talent_flows(snap: gpd.GeoDataFrame, flows_in: Any, ai: np.ndarray, t: RoleThresholds) -> Any:
    """Id of the destination of each metro's largest talent outflow (None for none)."""
    from geoai import flows, stats

    size = pd.Series(_column(snap, "population"), index=snap.index)
    if flows_in is None:
        movers_col = "talent" if "talent" in snap.columns else "jobs_augmentable"
        movers = _column(snap, movers_col) if movers_col in snap.columns else size.to_numpy()
        flows_in = flows.aggregate(
            snap,
            np.maximum(movers, 1e-9),
            ai + 1e-9 * ai.max(),
            decay="exponential",
            beta=1.0 / t.potential_scale_km,
            constraint="production",
            top_k=1,
            ids=snap.index.to_numpy(),
        )
    table = stats.dominant_flows(flows_in, size)
    return table["largest_to"].reindex(snap.index)


def _huff(
    snap: gpd.GeoDataFrame,
    ai: np.ndarray,
    ai_pull: np.ndarray,
    centres: np.ndarray,
    t: RoleThresholds,
) -> tuple[np.ndarray, np.ndarray]:
    """Dominant centre per metro (position, -1 none) and its Huff probability.

    ``P(i -> j) = X_j f(d_ij) / sum_k X_k f(d_ik)`` with the sum over *all*
    metros, the metro itself included (``f(0) = 1``): ``ai_pull``, the
    AI-job potential at every metro. A remote metro keeps its own market even
    when every centre is far away.
    """
    from geoai import flows

    n = len(snap)
    if not centres.size:
        return np.full(n, -1), np.zeros(n)
    km = flows.cost_matrix(snap.geometry, snap.geometry.iloc[centres])  # n × centres only
    km[centres, np.arange(centres.size)] = 0.0
    pull = ai[centres][None, :] * np.exp(-km / t.potential_scale_km)
    best = pull.argmax(axis=1)
    top = pull[np.arange(n), best]
    prob = np.divide(top, ai_pull, out=np.zeros(n), where=ai_pull > 0)
    return np.where(top > 0, centres[best], -1), np.minimum(prob, 1.0)


# ---------------------------------------------------------------- trajectory
def _trajectory(panel: pd.DataFrame, index: pd.Index, t: RoleThresholds) -> pd.DataFrame:
    """Per metro over the last ``decline_years``: job and population change, years falling."""
    years = np.sort(panel["year"].unique())
    window = years if t.decline_years is None else years[-(t.decline_years + 1) :]
    part = panel[panel["year"].isin(window)].copy()
    part["_jobs"] = _total_jobs(part)
    wide_jobs = part.pivot(index="metro_id", columns="year", values="_jobs").reindex(index)
    wide_pop = part.pivot(index="metro_id", columns="year", values="population").reindex(index)
    first, last = wide_jobs.columns[0], wide_jobs.columns[-1]
    out = pd.DataFrame(index=index)
    out["jobs_change"] = wide_jobs[last] / wide_jobs[first] - 1.0
    out["population_change"] = wide_pop[last] / wide_pop[first] - 1.0
    steps = max(len(wide_jobs.columns) - 1, 1)
    out["falling_share"] = (wide_jobs.diff(axis=1).iloc[:, 1:] < 0).sum(axis=1) / steps
    if "ai_jobs" in panel.columns:
        ai = panel.pivot(index="metro_id", columns="year", values="ai_jobs").reindex(index)
        out["ai_gain"] = ai[years[-1]] - ai[years[0]]
        out["ai_growth"] = out["ai_gain"] / ai[years[0]].where(ai[years[0]] > 0)
        out["ai_growth"] = out["ai_growth"].fillna(np.inf).where(out["ai_gain"] > 0, 0.0)
    else:
        out["ai_gain"] = np.nan
        out["ai_growth"] = np.nan
    if "net_talent" in panel.columns:
        out["net_talent"] = part.groupby("metro_id")["net_talent"].sum().reindex(index)
    elif {"talent_in", "talent_out"} <= set(panel.columns):
        net = part["talent_in"] - part["talent_out"]
        out["net_talent"] = net.groupby(part["metro_id"]).sum().reindex(index)
    else:
        out["net_talent"] = np.nan
    out["n_years"] = len(window) - 1
    return out


# -------------------------------------------------------------------- rules
def classify(
    metros_or_panel: Any,
    *,
    flows: Any = None,
    potential: Any = None,
    thresholds: RoleThresholds | None = None,
    metros: Any = None,
) -> gpd.GeoDataFrame:
    """Give every metro exactly one role, a score and the reasons.

    Parameters
    ----------
    metros_or_panel : geopandas.GeoDataFrame or pandas.DataFrame
        A snapshot (one row per metro: ``metro_id``, ``population``, geometry,
        ``ai_jobs`` or ``jobs_augmentable``; optional ``talent``,
        ``fracture``, and for a Detroit-path rule without a panel
        ``jobs_change``, ``population_change``, ``net_talent``) or a
        metro × year panel (``metro_id``, ``year``, ``population``, ``jobs``
        or the job columns, ``ai_jobs``; optional ``net_talent`` or
        ``talent_in``/``talent_out``, ``fracture``, ``talent``), as
        ``geoai.scenario.simulate(...).panel`` gives.
    flows : optional
        Talent flows: a dense ``(n, n)`` matrix, a long table (``origin``,
        ``destination``, ``flow``) or a :class:`geoai.flows.AggregateResult`
        with ``top_k >= 1``, in the order/ids of the metros. Default: a
        production-constrained gravity model of talent toward AI jobs.
    potential : str, array-like or xarray.DataArray, optional
        Agglomeration potential per metro (a column name, values in metro
        order, or a raster from :func:`geoai.potential.surface` sampled at
        the metros). Default: the Hansen potential of the AI jobs
        (exponential decay, ``thresholds.potential_scale_km``).
    thresholds : RoleThresholds, optional
        Rule thresholds (defaults documented on the class).
    metros : geopandas.GeoDataFrame, optional
        Metro points for a table without geometry (matched on ``metro_id``).

    Returns
    -------
    geopandas.GeoDataFrame
        The (final-year) metros indexed by ``metro_id`` with the indicators
        used (``ai_share``, ``ai_rank``, ``potential``, ``gi_z``, ``gi_p``,
        ``gi_label``, ``largest_talent_to``, ``huff_centre``,
        ``huff_probability``, and for a panel ``jobs_change``,
        ``population_change``, ``net_talent`` over ``n_years``), ``role`` (one of
        :data:`ROLES`), ``role_score`` in [0, 1] (strength of the evidence
        for that role) and ``reasons``.

    Raises
    ------
    InputError
        Missing columns or geometry, negative or NaN indicators, unknown ids,
        bad thresholds.

    Examples
    --------
    >>> import geoai
    >>> roles = geoai.classify(geoai.load_metros())
    >>> sorted(roles["role"].unique())[:2], bool(roles["role"].notna().all())
    (['hinterland', 'hub'], True)
    """
    from geoai import potential as pot

    t = RoleThresholds() if thresholds is None else thresholds
    if not isinstance(t, RoleThresholds):
        raise InputError(f"thresholds must be a RoleThresholds; got {type(t).__name__}.")
    snap, panel = _snapshot_and_history(metros_or_panel, metros)
    if "population" not in snap.columns:
        raise InputError("classify needs a 'population' column.")
    if len(snap) < t.gi_k + 1:
        raise InputError(
            f"{len(snap)} metros are too few for Gi* with gi_k={t.gi_k} neighbours; "
            f"lower RoleThresholds(gi_k=...) below {len(snap)}."
        )
    ai, ai_label = _ai_jobs(snap)
    ai_pull = pot.at_points(snap, ai, scale_km=t.potential_scale_km)  # Gi* default and Huff
    out = _indicators(snap, ai, _potential(snap, potential, ai_pull), t)
    traj = _trajectory(panel, out.index, t) if panel is not None else _snapshot_trajectory(out)
    for col in ("jobs_change", "population_change", "net_talent", "n_years"):
        out[col] = traj[col].to_numpy()

    verdicts = _Verdicts(len(out), ai_label)
    _superstar(out, verdicts, t)
    _hub(out, traj, verdicts, t, growth=panel is not None)
    _detroit(out, traj, verdicts, t)
    _hinterland(out, snap, verdicts, t, flows_in=flows, ai=ai, ai_pull=ai_pull)
    _stable(out, verdicts, t)

    out["role"] = pd.Categorical(verdicts.role, categories=list(ROLES))
    out["role_score"] = np.clip(verdicts.score, 0.0, 1.0)
    out["reasons"] = ["; ".join(r) for r in verdicts.reasons]
    out.attrs["thresholds"] = asdict(t)
    out.attrs["ai_indicator"] = ai_label
    return out


def _indicators(
    snap: gpd.GeoDataFrame, ai: np.ndarray, potential: np.ndarray, t: RoleThresholds
) -> gpd.GeoDataFrame:
    """AI-job share and rank, potential and its Gi* hot spots."""
    from geoai import stats

    out = gpd.GeoDataFrame(snap.copy(), geometry=snap.geometry, crs=snap.crs)
    out.index.name = "metro_id"
    share = ai / ai.sum()
    out["ai_share"] = share
    out["ai_rank"] = pd.Series(-share, index=out.index).rank(method="min").astype(int)
    out["potential"] = potential
    with warnings.catch_warnings():  # RoleThresholds.permutations sets the p floor; gi_p shows it
        warnings.simplefilter("ignore", stats.PermutationWarning)
        gi = stats.getis_ord(
            out, "potential", k=t.gi_k, permutations=t.permutations, seed=t.seed, fdr=t.fdr
        )
    out["gi_z"] = gi["z"].to_numpy()
    out["gi_p"] = gi["p_sim"].to_numpy() if t.permutations else gi["p_norm"].to_numpy()
    out["gi_label"] = gi["label"].to_numpy()
    return out


class _Verdicts:
    """Role, score and reasons per metro, filled rule by rule (first rule wins)."""

    def __init__(self, n: int, ai_label: str) -> None:
        self.role = np.full(n, "", dtype=object)
        self.score = np.zeros(n)
        self.reasons: list[list[str]] = [[] for _ in range(n)]
        self.ai_label = ai_label

    def open(self) -> np.ndarray:
        """Mask of the metros no rule has claimed yet."""
        return np.asarray(self.role == "")

    def give(self, i: Any, role: str, score: float, *reasons: str) -> None:
        self.role[i] = role
        self.score[i] = score
        self.reasons[i].extend(reasons)


def _superstar(out: pd.DataFrame, verdicts: _Verdicts, t: RoleThresholds) -> None:
    share, rank = out["ai_share"].to_numpy(), out["ai_rank"].to_numpy()
    top = (rank <= t.superstar_top_n) & (share >= t.superstar_min_share)
    hot = out["gi_label"].to_numpy() == "hot"
    for i in np.flatnonzero(top & hot):
        p = float(out["gi_p"].iat[i])
        verdicts.give(
            i,
            "superstar",
            0.5 * (1.0 - (rank[i] - 1) / t.superstar_top_n) + 0.5 * (1.0 - p),
            f"{verdicts.ai_label} {100 * share[i]:.1f}% (rank {rank[i]}, top {t.superstar_top_n})",
            f"Gi* hot spot of potential z={out['gi_z'].iat[i]:.2f}, p={p:.3g}",
        )


def _hub(
    out: pd.DataFrame,
    traj: pd.DataFrame,
    verdicts: _Verdicts,
    t: RoleThresholds,
    *,
    growth: bool,
) -> None:
    share, rank = out["ai_share"].to_numpy(), out["ai_rank"].to_numpy()
    grows = np.ones(len(out), dtype=bool)
    if growth and traj["ai_gain"].notna().all():
        gain = traj["ai_gain"].to_numpy()
        by = pd.Series(-gain).rank(method="min").to_numpy().astype(int)
        grows = traj["ai_growth"].to_numpy() >= t.hub_min_growth
        text = "AI-job gain {g:,.0f} (rank {r}, top {n})"
    else:
        gain, by = share, rank
        text = verdicts.ai_label + " {s:.2f}% (rank {r}, top {n})"
    missed_star = (rank <= t.superstar_top_n) & (share >= t.superstar_min_share)
    candidates = verdicts.open() & (by <= t.hub_top_n) & (share >= t.hub_min_share) & grows
    for i in np.flatnonzero(candidates):
        reasons = [text.format(g=gain[i], s=100 * share[i], r=by[i], n=t.hub_top_n)]
        if missed_star[i]:
            reasons.append(f"top {t.superstar_top_n} but not a significant Gi* hot spot")
        verdicts.give(i, "hub", 1.0 - (by[i] - 1) / t.hub_top_n, *reasons)


def _hinterland(
    out: pd.DataFrame,
    snap: gpd.GeoDataFrame,
    verdicts: _Verdicts,
    t: RoleThresholds,
    *,
    flows_in: Any,
    ai: np.ndarray,
    ai_pull: np.ndarray,
) -> None:
    centres = np.flatnonzero(np.isin(verdicts.role, ("superstar", "hub")))
    out["largest_talent_to"] = _talent_flows(snap, flows_in, ai, t).to_numpy()
    huff_pos, huff_p = _huff(out, ai, ai_pull, centres, t)
    ids = out.index.to_numpy()
    out["huff_centre"] = np.where(huff_pos >= 0, ids[np.maximum(huff_pos, 0)], None)
    out["huff_probability"] = huff_p
    role_of = pd.Series(verdicts.role, index=out.index)
    pot = out["potential"].to_numpy()
    for i in np.flatnonzero(verdicts.open()):
        to = out["largest_talent_to"].iat[i]
        if to is not None and role_of.get(to, "") in ("superstar", "hub"):
            verdicts.give(  # the flow rule, firmer inside a market area
                i,
                "hinterland",
                0.5 + 0.5 * huff_p[i],
                f"largest talent outflow goes to {_name(out, to)} ({role_of[to]})",
            )
        j = huff_pos[i]
        ratio = pot[i] / pot[j] if j >= 0 and pot[j] > 0 else np.inf
        if j in (-1, i) or huff_p[i] < t.hinterland_min_probability:
            continue
        if ratio <= t.hinterland_max_potential_ratio:
            verdicts.give(
                i,
                "hinterland",
                max(verdicts.score[i], huff_p[i] * (1.0 - ratio)),
                f"in the market area of {_name(out, ids[j])} (Huff p={huff_p[i]:.2f}), "
                f"own potential {100 * ratio:.0f}% of its",
            )


def _stable(out: pd.DataFrame, verdicts: _Verdicts, t: RoleThresholds) -> None:
    """Give the rest ``stable``, scored by how far each sits from every other rule."""
    share, rank = out["ai_share"].to_numpy(), out["ai_rank"].to_numpy()
    jobs_fall = np.nan_to_num(-out["jobs_change"].to_numpy() / t.decline_jobs, nan=0.0)
    near_hub = np.minimum(share / max(t.hub_min_share, 1e-12), t.hub_top_n / rank)
    huff_p = out["huff_probability"].to_numpy()
    nearest = np.maximum.reduce([np.clip(near_hub, 0, 1), np.clip(jobs_fall, 0, 1), huff_p])
    for i in np.flatnonzero(verdicts.open()):
        verdicts.give(i, "stable", 1.0 - nearest[i], _stable_reason(out, i, verdicts.ai_label, t))


def _name(out: pd.DataFrame, metro: Any) -> str:
    return str(out.at[metro, "name"]) if "name" in out.columns else str(metro)


def _snapshot_trajectory(out: pd.DataFrame) -> pd.DataFrame:
    traj = pd.DataFrame(index=out.index)
    for col in ("jobs_change", "population_change", "net_talent"):
        traj[col] = pd.to_numeric(out[col], errors="coerce") if col in out.columns else np.nan
    traj["falling_share"] = np.where(traj["jobs_change"] < 0, 1.0, 0.0)
    traj["ai_gain"] = np.nan
    traj["ai_growth"] = np.nan
    traj["n_years"] = np.nan
    return traj


def _detroit(out: pd.DataFrame, traj: pd.DataFrame, verdicts: _Verdicts, t: RoleThresholds) -> None:
    jobs = traj["jobs_change"].to_numpy()
    pop = traj["population_change"].to_numpy()
    falling = traj["falling_share"].to_numpy()
    net = traj["net_talent"].to_numpy()
    fracture = (
        pd.to_numeric(out["fracture"], errors="coerce").to_numpy()
        if "fracture" in out.columns
        else np.full(len(out), np.nan)
    )
    with np.errstate(invalid="ignore"):
        decline = (jobs <= -t.decline_jobs) & (pop <= -t.decline_population) & (falling > 0.5)
        outflow = net < 0
        broke = fracture > 0
    for i in np.flatnonzero(verdicts.open() & decline & (outflow | broke)):
        severity = 0.5 * min(1.0, -jobs[i] / (2 * t.decline_jobs))
        severity += 0.5 * min(1.0, -pop[i] / (2 * t.decline_population))
        reasons = [
            f"jobs {100 * jobs[i]:+.1f}% and population {100 * pop[i]:+.1f}% over "
            f"{_span(traj['n_years'].iat[i])}, falling in {100 * falling[i]:.0f}% of the years"
        ]
        if outflow[i]:
            reasons.append(f"net talent outflow {-net[i]:,.0f}")
        if broke[i]:
            reasons.append(f"fiscal buffer exceeded (fracture {fracture[i]:.2f})")
        verdicts.give(i, "detroit_path", severity, *reasons)


def _span(years: float) -> str:
    return f"{years:.0f} years" if np.isfinite(years) else "the period given"


def _stable_reason(out: pd.DataFrame, i: Any, ai_label: str, t: RoleThresholds) -> str:
    share = out["ai_share"].iat[i]
    jobs = out["jobs_change"].iat[i]
    text = f"{ai_label} {100 * share:.2f}% (rank {out['ai_rank'].iat[i]})"
    if np.isfinite(jobs):
        text += f", jobs {100 * jobs:+.1f}% over {_span(out['n_years'].iat[i])}"
    return text + ": no rule fired"
