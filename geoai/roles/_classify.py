"""``classify``: explainable metro roles (superstar, hub, hinterland, Detroit-path, stable).

Every metro gets exactly one role, a score in [0, 1] and the reasons, with
the deciding numbers, from explicit rules applied in this order (the first
that fires wins). No rule counts a fixed number of metros: every bar is a
quantile of the metros' own values or a documented ratio
(:class:`RoleThresholds`).

The **AI indicator** is ``ai_jobs`` (a scenario), else ``ai_talent``
(observed for the US MSAs of :func:`geoai.load_us_metros` and the US
agglomerations of :func:`geoai.load_metros`, modelled elsewhere: the reasons
say which), else ``jobs_augmentable`` (the reasons say it stands in). Its
*scale* is the metro's share of the total; its *intensity* the location
quotient (the indicator's share of the metro's jobs over the total's share).

1. **superstar**: in the top ``superstar_scale_q`` on scale *and* the top
   ``superstar_intensity_q`` on intensity, *and* in the leading group by
   scale × intensity with a clear gap: the superstars are the first ``m``
   metros by that score, all in both top quantiles, where ``m`` is the
   largest for which the ``m``-th scores at least ``superstar_gap`` times the
   next metro. Gi* of the raw indicator is reported, not required.
2. **hub**: strong on one (top ``hub_q`` on scale or on intensity) and solid
   on the other (scale at least the median, or intensity at least
   ``hub_min_lq``). On a panel a hub must also grow: never a shrinking metro.
3. **detroit_path**: on an observed population history, the verdict of
   :func:`geoai.roles.decline` (backtest-calibrated), with the spatial-Markov
   reason when the neighbourhood dragged the metro down a class; on a
   simulated panel (or a snapshot with change columns), jobs and population
   falling by ``decline_jobs`` and ``decline_population``, in most years,
   with a net talent outflow (its own cause) or its country's fiscal buffer
   exceeded (a national cause, worded as such).
4. **hinterland**: the destination of its largest talent outflow is a
   superstar or hub (Nystuen & Dacey 1961), or it lies in a superstar's or
   hub's Huff (1963) market area with probability at least
   ``hinterland_min_probability`` while its own potential is at most
   ``hinterland_max_potential_ratio`` of that centre's.
5. **stable**: none of the above; the reasons say which condition of each
   rule failed, with the numbers.

Scores use the scale of :func:`geoai.roles.decline`: each condition's
strength is ``x / (x + bar)`` (0.5 at its bar) and a role's score is the
weakest of its conditions; ``stable`` scores one minus the strongest
evidence found for another role. The comparison with the Brookings (2025)
tiers is in ``docs/us_ai_roles.md`` (``benchmarks/us_roles.py``).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from geoai import _validate as v
from geoai._decay import decay_spec
from geoai.errors import InputError
from geoai.kernels.interaction import distance_matrix
from geoai.potential._surface import potential_at
from geoai.roles._classify_ai import (
    Bars,
    Words,
    hub,
    indicators,
    observed_growth,
    simulated_growth,
    superstar,
)
from geoai.roles._classify_history import (
    drag_columns,
    observed_detroit,
    observed_history,
    simulated_detroit,
    snapshot_trajectory,
    trajectory,
)
from geoai.roles._classify_inputs import Inputs, ai_indicator, column, read_inputs, size
from geoai.roles._classify_thresholds import ROLES, RoleThresholds
from geoai.roles._classify_verdicts import Verdicts, pct, times

if TYPE_CHECKING:
    from collections.abc import Hashable

    import geopandas as gpd
    import xarray as xr
    from numpy.typing import ArrayLike

    from geoai._geodesy import KernelPoints
    from geoai._typing import FloatArray, IntArray
    from geoai.flows._aggregate import AggregateResult

__all__ = ["classify"]

_DECLINE_COLUMNS = (
    "peak_year",
    "peak_population",
    "change_since_peak",
    "years_in_decline",
    "country_urban_change",
    "relative_change",
    "detroit_score",
)


def classify(
    metros_or_panel: gpd.GeoDataFrame | pd.DataFrame,
    *,
    flows: AggregateResult | pd.DataFrame | ArrayLike | None = None,
    potential: str | xr.DataArray | ArrayLike | None = None,
    thresholds: RoleThresholds | None = None,
    metros: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Give every metro exactly one role, a score and the reasons.

    The rules and their order are in :mod:`geoai.classify`; the thresholds,
    with the figures that set them, in :class:`RoleThresholds`.

    Parameters
    ----------
    metros_or_panel : geopandas.GeoDataFrame or pandas.DataFrame
        One of:

        * a snapshot, one row per metro (``metro_id`` or ``cbsa``, a point
          geometry, an AI column ``ai_jobs``, ``ai_talent`` or
          ``jobs_augmentable``, and jobs ``jobs``, ``jobs_total``,
          ``employment`` or the job columns; optional ``population``,
          ``talent``, ``fracture``, ``labour_source``, and ``jobs_change``,
          ``population_change``, ``net_talent`` for a Detroit-path test),
          e.g. :func:`geoai.load_us_metros` or :func:`geoai.load_metros`;
        * a simulated metro × year panel (``metro_id``, ``year``,
          ``population``, ``jobs`` or the job columns, ``ai_jobs``; optional
          ``net_talent`` or ``talent_in``/``talent_out``, ``fracture``,
          ``talent``), as ``geoai.scenario.simulate(...).panel`` gives;
        * an observed population history (``metro_id``, ``year``,
          ``population``, optional ``population_kind``), e.g.
          :func:`geoai.load_metro_panel`: its last observed year is
          classified, the Detroit path comes from
          :func:`geoai.roles.decline`.
    flows : geoai.flows.AggregateResult, pandas.DataFrame or array-like, optional
        Talent flows: a dense ``(n, n)`` matrix, a long table (``origin``,
        ``destination``, ``flow``) or a :class:`geoai.flows.AggregateResult`
        with ``top_k >= 1``, in the order/ids of the metros. Default: a
        production-constrained gravity model of talent (``talent``, else
        ``jobs_augmentable``, else size) toward the AI indicator.
    potential : str, array-like or xarray.DataArray, optional
        Agglomeration potential per metro for the hinterland rule (a column
        name, values in metro order, or a raster from
        :func:`geoai.potential.surface` sampled at the metros). Default: the
        Hansen potential of the AI indicator (exponential decay,
        ``thresholds.potential_scale_km``).
    thresholds : RoleThresholds, optional
        Rule thresholds (defaults documented on the class).
    metros : geopandas.GeoDataFrame, optional
        Metro points (and columns) for a table without geometry, matched on
        ``metro_id``. Default for UN ids (``"wup:..."``):
        ``geoai.load_metros(0)``, which also brings ``ai_talent``.

    Returns
    -------
    geopandas.GeoDataFrame
        The classified metros indexed by ``metro_id`` (``cbsa`` for the US
        MSAs) with the indicators used: ``ai_share`` (fraction of the
        indicator's total), ``ai_rank``, ``ai_lq`` (location quotient),
        ``ai_lq_rank``, ``ai_score`` (share × LQ), ``superstar_candidate``,
        ``gi_z``, ``gi_p``, ``gi_label`` (Gi* of the raw indicator),
        ``potential``, ``largest_talent_to``, ``huff_centre``,
        ``huff_probability``, ``jobs_change``, ``population_change``,
        ``net_talent`` over ``n_years`` (NaN on a snapshot without them);
        for an observed history also ``peak_year``, ``peak_population``,
        ``change_since_peak``, ``years_in_decline``,
        ``country_urban_change``, ``relative_change``, ``detroit_score``,
        ``markov_class``, ``markov_lag_class``, ``markov_drag_moves``. Then
        ``role`` (one of :data:`ROLES`), ``role_score`` in [0, 1] (strength
        of the evidence for that role: >= 0.5 where every condition holds
        with a margin, see the rules) and ``reasons`` (words with the
        deciding numbers, for every role). ``attrs``: ``thresholds``,
        ``ai_indicator`` (the column), ``input_kind``, ``as_of``, ``bars``
        (the quantile bars, fractions and LQs) and ``markov``.

    Raises
    ------
    InputError
        Missing columns or geometry, negative or NaN indicators, unknown ids,
        too few metros for Gi*, bad thresholds.

    Examples
    --------
    >>> import geoai
    >>> roles = geoai.classify(geoai.load_us_metros())
    >>> roles.set_index("name").loc["San Jose-Sunnyvale-Santa Clara, CA", "role"]
    'superstar'
    >>> bool(roles["reasons"].str.len().gt(0).all()), roles.attrs["ai_indicator"]
    (True, 'ai_talent')
    """
    t = RoleThresholds() if thresholds is None else thresholds
    if not isinstance(t, RoleThresholds):
        raise InputError(f"thresholds must be a RoleThresholds; got {type(t).__name__}.")
    inp = read_inputs(metros_or_panel, metros)
    snap = inp.snap
    if len(snap) < t.gi_k + 1:
        raise InputError(
            f"{len(snap)} metros are too few for Gi* with gi_k={t.gi_k} neighbours; "
            f"lower RoleThresholds(gi_k=...) below {len(snap)}."
        )
    ai, jobs, ind = ai_indicator(snap, inp.kind)
    out = indicators(inp, ai, jobs, t)
    pull = decay_spec("exponential", scale=t.potential_scale_km)
    ai_pull = potential_at(inp.pts.xyz, inp.pts.geo, ai, pull)  # default potential, Huff
    out["potential"] = _potential(snap, potential, ai_pull)
    bars = Bars.of(out["ai_share"].to_numpy(), out["ai_lq"].to_numpy(), t)

    verdicts = Verdicts(len(out))
    words = Words(out, ind)
    out["superstar_candidate"] = superstar(out, verdicts, bars, words, t)
    history = None
    if inp.kind == "observed":
        panel, as_of = inp.history()
        history = observed_history(panel, out, as_of, t)
        traj = history
        hub(out, verdicts, bars, words, t, growth=observed_growth(history, t))
        observed_detroit(history, verdicts)
    else:
        if inp.kind == "simulated":
            panel, _ = inp.history()
            traj = trajectory(panel, out.index, t)
            hub(out, verdicts, bars, words, t, growth=simulated_growth(traj, t))
        else:
            traj = snapshot_trajectory(out)
            hub(out, verdicts, bars, words, t, growth=None)
        simulated_detroit(out, traj, verdicts, t)
    for col in ("jobs_change", "population_change", "net_talent", "n_years"):
        out[col] = traj[col].to_numpy() if col in traj.columns else np.nan
    if history is not None:
        for col in (*_DECLINE_COLUMNS, *drag_columns(history)):
            out[col] = history[col].to_numpy()
    _hinterland(
        out, inp, verdicts, t, flows_in=flows, ai=ai, ai_pull=ai_pull, jobs=jobs, words=words
    )
    rest = np.flatnonzero(verdicts.open())
    verdicts.give_all(
        rest, "stable", 1.0 - verdicts.near[rest], [verdicts.why_not[i] for i in rest]
    )

    out["role"] = pd.Categorical(verdicts.role, categories=list(ROLES))
    out["role_score"] = verdicts.score
    out["reasons"] = ["; ".join(r) for r in verdicts.reasons]
    out.attrs["thresholds"] = asdict(t)
    out.attrs["ai_indicator"] = ind.column
    out.attrs["input_kind"] = inp.kind
    out.attrs["as_of"] = inp.as_of
    out.attrs["bars"] = asdict(bars)
    out.attrs["markov"] = history.attrs.get("markov", "") if history is not None else ""
    return out


def _potential(
    snap: gpd.GeoDataFrame, potential: str | xr.DataArray | ArrayLike | None, ai_pull: FloatArray
) -> FloatArray:
    """Return the potential of the hinterland rule: the user's, or by default ``ai_pull``."""
    if potential is None:
        return ai_pull
    if isinstance(potential, str):
        if potential not in snap.columns:
            raise InputError(f"potential={v.short(potential)} is not a column of the metros.")
        return column(snap, potential)
    if hasattr(potential, "rio"):  # a raster from geoai.potential.surface: sample the cells
        import xarray as xr

        raster = cast("xr.DataArray", potential)  # rioxarray's accessor: a raster, not values
        pts = snap.geometry.to_crs(raster.rio.crs)
        sampled = raster.sel(
            x=xr.DataArray(pts.x.to_numpy(), dims="points"),
            y=xr.DataArray(pts.y.to_numpy(), dims="points"),
            method="nearest",
        ).to_numpy()
        return np.nan_to_num(np.asarray(sampled, dtype=np.float64), nan=0.0)
    # a Series is aligned to the metros by label (metro id), never used by position by surprise
    values = v.as_mass(potential, "potential", index=snap.index, allow_zero_sum=True)
    return np.asarray(values, dtype=np.float64)


def _talent_flows(
    inp: Inputs,
    flows_in: AggregateResult | pd.DataFrame | ArrayLike | None,
    ai: FloatArray,
    jobs: FloatArray,
    t: RoleThresholds,
) -> pd.DataFrame:
    """Largest talent outflow of each metro: destination id (None for none) and size."""
    from geoai import stats
    from geoai.flows._aggregate import aggregate_points

    snap = inp.snap
    metro_size = pd.Series(size(snap, jobs), index=snap.index)
    if flows_in is None:
        movers_col = "talent" if "talent" in snap.columns else "jobs_augmentable"
        movers = column(snap, movers_col) if movers_col in snap.columns else metro_size.to_numpy()
        pull = decay_spec("exponential", scale=t.potential_scale_km)
        flows_in = aggregate_points(
            inp.pts,
            np.maximum(movers, 1e-9),
            ai + 1e-9 * ai.max(),
            decay=(pull.kind, pull.beta, pull.a),
            constraint="production",
            top_k=1,
            ids=snap.index.to_numpy(),
        )
    table = stats.dominant_flows(flows_in, metro_size)
    return table[["largest_to", "largest_flow", "dominant_id"]].reindex(snap.index)


def _huff(
    pts: KernelPoints,
    ai: FloatArray,
    ai_pull: FloatArray,
    centres: IntArray,
    t: RoleThresholds,
) -> tuple[IntArray, FloatArray]:
    """Dominant centre per metro (position, -1 none) and its Huff probability.

    ``P(i -> j) = X_j f(d_ij) / sum_k X_k f(d_ik)`` with the sum over *all*
    metros, the metro itself included (``f(0) = 1``): ``ai_pull``, the
    AI potential at every metro. A remote metro keeps its own market even
    when every centre is far away.
    """
    n = pts.n
    if not centres.size:
        return np.full(n, -1), np.zeros(n)
    to = np.ascontiguousarray(pts.xyz[:, centres])
    km = distance_matrix(pts.xyz, to, pts.geo)  # n × centres only
    km[centres, np.arange(centres.size)] = 0.0
    pull = ai[centres][None, :] * np.exp(-km / t.potential_scale_km)
    best = pull.argmax(axis=1)
    top = pull[np.arange(n), best]
    prob = np.divide(top, ai_pull, out=np.zeros(n), where=ai_pull > 0)
    return np.where(top > 0, centres[best], -1), np.minimum(prob, 1.0)


def _hinterland(
    out: pd.DataFrame,
    inp: Inputs,
    verdicts: Verdicts,
    t: RoleThresholds,
    *,
    flows_in: AggregateResult | pd.DataFrame | ArrayLike | None,
    ai: FloatArray,
    ai_pull: FloatArray,
    jobs: FloatArray,
    words: Words,
) -> None:
    """Nystuen–Dacey dominant flow to a centre, or a Huff market area with a weak own potential."""
    centres = np.flatnonzero(np.isin(verdicts.role, ("superstar", "hub")))
    largest = _talent_flows(inp, flows_in, ai, jobs, t)
    out["largest_talent_to"] = largest["largest_to"].to_numpy()
    huff_pos, huff_p = _huff(inp.pts, ai, ai_pull, centres, t)
    ids = out.index.to_numpy()
    out["huff_centre"] = np.where(huff_pos >= 0, ids[np.maximum(huff_pos, 0)], None)
    out["huff_probability"] = huff_p
    role_of = dict(zip(ids, verdicts.role.tolist(), strict=True))
    pot = out["potential"].to_numpy()
    flow = largest["largest_flow"].to_numpy(dtype=np.float64)
    larger = (largest["dominant_id"] == largest["largest_to"]).to_numpy(dtype=bool)

    idx = np.flatnonzero(verdicts.open())
    dest = out["largest_talent_to"].to_numpy()[idx]
    to_role = np.array([role_of.get(to, "") if to is not None else "" for to in dest], dtype=object)
    # Nystuen–Dacey: the largest outflow goes to a centre, and a larger one
    by_flow = np.isin(to_role, ("superstar", "hub")) & larger[idx]
    # Huff: in a centre's market area, with a weak potential of its own
    j = huff_pos[idx]
    pot_j = pot[np.maximum(j, 0)]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where((j >= 0) & (pot_j > 0), pot[idx] / np.where(pot_j > 0, pot_j, 1.0), np.inf)
    p = huff_p[idx]
    in_area = (j != -1) & (j != idx) & (p >= t.hinterland_min_probability)
    by_area = in_area & (ratio <= t.hinterland_max_potential_ratio)
    flow_score = np.where(by_flow, np.clip(0.5 + 0.5 * p, 0.0, 1.0), 0.0)  # firmer in an area
    area_score = np.zeros_like(p)
    area_score[by_area] = p[by_area] * (1.0 - ratio[by_area])  # ratio is finite there
    score = np.where(by_area, np.maximum(flow_score, area_score), flow_score)

    hit = by_flow | by_area
    rows = []
    for k in np.flatnonzero(hit).tolist():
        i, row = int(idx[k]), []
        if by_flow[k]:
            row.append(
                f"largest talent outflow ({flow[i]:,.0f} people) goes to {words.name_of(dest[k])} "
                f"({to_role[k]})"
            )
        if by_area[k]:
            row.append(
                f"in the market area of {words.name(int(j[k]))} (Huff p = {p[k]:.2f}), own "
                f"potential {pct(ratio[k])} of its"
            )
        rows.append(row)
    verdicts.give_all(idx[hit], "hinterland", score[hit], rows)
    miss = np.flatnonzero(~hit)
    texts = [
        _not_hinterland(
            int(idx[k]),
            head=_flow_head(dest[k], to_role[k], flow[idx[k]], words),
            j=int(j[k]),
            huff_p=float(p[k]),
            ratio=float(ratio[k]),
            centre=words.name(int(j[k])) if j[k] >= 0 else "",
            t=t,
        )
        for k in miss.tolist()
    ]
    verdicts.miss_all(idx[miss], p[miss], texts)


def _flow_head(to: Hashable | None, to_role: str, flow: float, words: Words) -> str:
    """Where the largest talent outflow of a metro goes (not a hinterland's), with the numbers."""
    if to is None:
        return "no talent outflow"
    what = "not a superstar or hub"
    if to_role in ("superstar", "hub"):
        what = f"a {to_role}, but not larger: no Nystuen–Dacey dominance"
    return f"largest talent outflow ({flow:,.0f} people) goes to {words.name_of(to)} ({what})"


def _not_hinterland(
    i: int, *, head: str, j: int, huff_p: float, ratio: float, centre: str, t: RoleThresholds
) -> str:
    """Why metro position ``i`` is no hinterland, with the numbers."""
    if j == -1:
        return f"{head}; no superstar or hub to depend on (0 centres)"
    if j == i:
        return f"{head}; a centre of its own market area"
    if huff_p < 0.005:
        return f"{head}; outside every centre's market area (Huff p < 0.005)"
    if huff_p < t.hinterland_min_probability:
        return (
            f"{head}; Huff p = {huff_p:.2f} of {centre}'s market area (needs ≥ "
            f"{t.hinterland_min_probability:.2f})"
        )
    return (
        f"{head}; in {centre}'s market area (Huff p = {huff_p:.2f}) but its own potential is "
        f"{times(ratio)} the centre's (needs ≤ {times(t.hinterland_max_potential_ratio)})"
    )
