"""Superstars and hubs from the AI indicator's scale and intensity.

* **Scale** ``s_i = A_i / sum(A)``: the metro's share of the AI indicator.
* **Intensity** ``LQ_i = (A_i / J_i) / (sum(A) / sum(J))``: its location
  quotient, with ``J`` the metro's jobs (population where no jobs are given).
* **Score** ``s_i * LQ_i``.

A **superstar** is in the top ``superstar_scale_q`` on scale *and* in the top
``superstar_intensity_q`` on intensity, *and* in the leading group by score
with a clear gap: sort the metros by score; the superstars are the first
``m`` of them, all in both top quantiles, where ``m`` is the largest for
which the ``m``-th scores at least ``superstar_gap`` times the ``m + 1``-th.
A **hub** is strong on one (top ``hub_q``) and solid on the other (scale at
or above the ``hub_solid_q`` quantile, or ``LQ >= hub_min_lq``); on a panel
it must also grow (see :class:`~geoai.roles._classify_thresholds.RoleThresholds`).
Gi* of the raw indicator is a supporting reason, never a gate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd

from geoai.roles._classify_verdicts import Verdicts, pct, signed_pct, strength, times

if TYPE_CHECKING:
    from collections.abc import Hashable

    from geoai._typing import BoolArray, FloatArray, IntArray
    from geoai.roles._classify_inputs import Indicator, Inputs
    from geoai.roles._classify_thresholds import RoleThresholds

__all__ = [
    "Bars",
    "Growth",
    "Words",
    "hub",
    "indicators",
    "observed_growth",
    "simulated_growth",
    "superstar",
]


@dataclass(frozen=True)
class Bars:
    """The bars of the superstar and hub rules, computed from the metros' own values.

    Attributes
    ----------
    star_scale : float
        Superstar share bar (fraction): the ``1 - superstar_scale_q`` quantile of the shares.
    star_lq : float
        Superstar intensity bar (LQ): the ``1 - superstar_intensity_q`` quantile of the LQs, at
        least ``hub_min_lq``.
    hub_scale : float
        Hub share bar (fraction): the ``1 - hub_q`` quantile of the shares.
    hub_lq : float
        Hub intensity bar (LQ): the ``1 - hub_q`` quantile of the LQs, at least ``hub_min_lq``.
    solid_scale : float
        Share bar of a solid hub (fraction): the ``hub_solid_q`` quantile of the shares.
    solid_lq : float
        Intensity bar of a solid hub (LQ): ``hub_min_lq``.
    """

    star_scale: float
    star_lq: float
    hub_scale: float
    hub_lq: float
    solid_scale: float
    solid_lq: float

    @classmethod
    def of(cls, share: FloatArray, lq: FloatArray, t: RoleThresholds) -> Bars:
        """Bars of the shares and LQs (shape (n,)) under thresholds ``t``."""
        q = np.quantile
        return cls(
            star_scale=float(q(share, 1.0 - t.superstar_scale_q)),
            star_lq=max(float(q(lq, 1.0 - t.superstar_intensity_q)), t.hub_min_lq),
            hub_scale=float(q(share, 1.0 - t.hub_q)),
            hub_lq=max(float(q(lq, 1.0 - t.hub_q)), t.hub_min_lq),
            solid_scale=float(q(share, t.hub_solid_q)),
            solid_lq=float(t.hub_min_lq),
        )


class Growth(NamedTuple):
    """The growth test of a hub on a panel, per metro (each of shape (n,)).

    Attributes
    ----------
    grows : numpy.ndarray of bool, shape (n,)
        Whether the metro passes the test (never a shrinking metro).
    words : list of str, length n
        The words that say so, or why not, with the numbers.
    strength : numpy.ndarray of float64, shape (n,)
        Strength of its growth in [0, 1] (0 for a shrinking metro).
    """

    grows: BoolArray
    words: list[str]
    strength: FloatArray


def _top(q: float) -> str:
    return f"top {100 * q:g} %"


def indicators(
    inp: Inputs, ai: FloatArray, jobs: FloatArray, t: RoleThresholds
) -> gpd.GeoDataFrame:
    """Scale, intensity, score, their ranks and Gi* of the raw indicator, per metro.

    Parameters
    ----------
    inp : Inputs
        The validated metros (``n`` rows of ``inp.snap``, indexed by metro id).
    ai : numpy.ndarray, shape (n,)
        The AI indicator.
    jobs : numpy.ndarray, shape (n,)
        The jobs (or population) that its intensity (LQ) is taken over.
    t : RoleThresholds
        ``gi_k``, ``permutations``, ``seed`` and ``fdr`` of the Gi* test.

    Returns
    -------
    geopandas.GeoDataFrame
        ``snap`` with ``ai_share`` (fraction), ``ai_rank``, ``ai_lq`` (LQ),
        ``ai_lq_rank``, ``ai_score`` (share × LQ), ``gi_z``, ``gi_p`` and
        ``gi_label`` (Gi* of the raw indicator, ``gi_k`` nearest metros).
    """
    from geoai.stats._local import getis_ord_core
    from geoai.stats._weights import check_k, weights_of

    snap = inp.snap
    out = gpd.GeoDataFrame(snap.copy(), geometry=snap.geometry, crs=snap.crs)
    out.index.name = "metro_id"
    share = ai / ai.sum()
    intensity = np.divide(ai, jobs, out=np.zeros_like(ai), where=jobs > 0)
    lq = intensity / (ai.sum() / jobs.sum())
    out["ai_share"] = share
    out["ai_rank"] = _rank(share)
    out["ai_lq"] = lq
    out["ai_lq_rank"] = _rank(lq)
    out["ai_score"] = share * lq
    raw = pd.DataFrame({"ai": ai}, index=out.index)
    knn = weights_of(inp.x, inp.y, inp.crs, out.index, k=check_k(t.gi_k, len(out)))
    # RoleThresholds.permutations sets the p floor and gi_p shows it: no floor warning
    gi = getis_ord_core(
        raw, "ai", weights=knn, permutations=t.permutations, seed=t.seed, fdr=t.fdr,
        warn_floor=False,
    )  # fmt: skip
    out["gi_z"] = gi["z"].to_numpy()
    out["gi_p"] = gi["p_sim"].to_numpy() if t.permutations else gi["p_norm"].to_numpy()
    out["gi_label"] = gi["label"].to_numpy()
    return out


def _rank(x: FloatArray) -> IntArray:
    return np.asarray(pd.Series(-x).rank(method="min").to_numpy().astype(np.int64))


class Words:
    """The words of every metro's scale, intensity and Gi*, formatted once per classification.

    Parameters
    ----------
    out : pandas.DataFrame
        The metros with the columns of :func:`indicators` (``n`` rows).
    ind : Indicator
        The AI indicator and how reasons word it.
    """

    def __init__(self, out: pd.DataFrame, ind: Indicator) -> None:
        self.ind = ind
        self.share = [pct(x) for x in out["ai_share"].tolist()]
        self.rank = [int(r) for r in out["ai_rank"].tolist()]
        self.lq = [times(x) for x in out["ai_lq"].tolist()]
        self.lq_rank = out["ai_lq_rank"].tolist()
        self.gi_z = [float(z) for z in out["gi_z"].tolist()]
        self.gi_p = [float(p) for p in out["gi_p"].tolist()]
        self.gi_label = out["gi_label"].to_numpy().tolist()
        # to_numpy keeps each value as a row lookup gives it (a missing name stays NaN / NA)
        names = out["name"].to_numpy() if "name" in out.columns else None
        self.names = None if names is None else [str(x) for x in names]
        self.ids = out.index
        self.position = {metro: k for k, metro in enumerate(out.index.to_numpy())}

    def name(self, i: int) -> str:
        """Return the name of metro position ``i`` (its id where the table has no names)."""
        return self.names[i] if self.names is not None else str(self.ids[i])

    def name_of(self, metro: Hashable) -> str:
        """Return the name of the metro with id ``metro`` (its id where the table has no names)."""
        return str(metro) if self.names is None else self.names[self.position[metro]]

    def scale(self, i: int, extra: str = "") -> str:
        """'4.7 % of US AI talent (observed, rank 3; <extra>)' for metro position ``i``."""
        return f"{self.share[i]} {self.ind.share_text(i, self.rank[i], extra)}"

    def intensity(self, i: int, extra: str = "") -> str:
        """'3.2× the national intensity (rank 5; <extra>)' for metro position ``i``."""
        inside = f"rank {self.lq_rank[i]}" + (f"; {extra}" if extra else "")
        return f"{self.lq[i]} {self.ind.intensity} ({inside})"

    def gi(self, i: int, fdr: float) -> str:
        """Word the Gi* reason of metro position ``i`` (supporting, never a gate)."""
        z, p, label = self.gi_z[i], self.gi_p[i], self.gi_label[i]
        where = f"in a Gi* {label} spot" if label in ("hot", "cold") else "no significant Gi* spot"
        return f"{where} of the raw values at FDR {100 * fdr:g} % (z = {z:.1f}, p = {p:.2g})"


def superstar(
    out: pd.DataFrame, verdicts: Verdicts, bars: Bars, words: Words, t: RoleThresholds
) -> BoolArray:
    """Give the superstars their role; return the candidates (both top quantiles), shape (n,)."""
    share, lq, score = (out[c].to_numpy() for c in ("ai_share", "ai_lq", "ai_score"))
    n = share.size
    gate = (share >= bars.star_scale) & (lq >= bars.star_lq) & (share > 0)
    order = np.lexsort((out.index.to_numpy().astype(str), -score))
    m = 0
    for j, i in enumerate(order):
        if not gate[i]:
            break
        after = score[order[j + 1]] if j + 1 < n else 0.0
        if score[i] > 0 and score[i] >= t.superstar_gap * after:
            m = j + 1
    best = score[order[m]] if m < n else 0.0
    best_name = words.name(order[m]) if m < n else "none"
    q_s, q_i = _top(t.superstar_scale_q), _top(t.superstar_intensity_q)
    for i in order[:m].tolist():
        gap = score[i] / best if best > 0 else np.inf
        evidence = np.minimum.reduce(
            [
                strength(share[i], bars.star_scale),
                strength(lq[i], bars.star_lq),
                strength(gap, t.superstar_gap),
            ]
        )
        verdicts.give(
            i,
            "superstar",
            float(evidence),
            words.scale(i, f"{q_s}: ≥ {pct(bars.star_scale)}"),
            words.intensity(i, f"{q_i}: ≥ {times(bars.star_lq)}"),
            f"scale × intensity {score[i]:.3g}, {times(gap)} the best metro outside the leading "
            f"group ({best_name}, {best:.3g}; needs ≥ {times(t.superstar_gap)})",
            words.gi(i, t.fdr),
        )
    lead = order[0]
    for i in np.flatnonzero(gate & verdicts.open()).tolist():
        rank = int(np.flatnonzero(order == i)[0])
        if not gate[order[:rank]].all():
            ahead = next(j for j in order[:rank] if not gate[j])
            why = (
                f"in the {q_s} on scale and on intensity, but {words.name(ahead)} (outside them) "
                f"scores higher ({score[ahead]:.3g} against {score[i]:.3g}): not in the "
                f"leading group"
            )
        else:
            nxt = score[order[rank + 1]] if rank + 1 < n else 0.0
            why = (
                f"in the {q_s} on scale and on intensity, but no clear gap: scale × intensity "
                f"{score[i]:.3g}, {times(score[i] / nxt if nxt > 0 else np.inf)} the next metro "
                f"(needs ≥ {times(t.superstar_gap)}, and {words.name(lead)} leads)"
            )
        verdicts.miss(i, 0.0, why)
    return np.asarray(gate)


def hub(
    out: pd.DataFrame,
    verdicts: Verdicts,
    bars: Bars,
    words: Words,
    t: RoleThresholds,
    *,
    growth: Growth | None,
) -> None:
    """Give the hubs their role; record why the others are not hubs.

    ``growth`` is None on a snapshot, else the panel's :class:`Growth` test
    per metro: whether it grows, the words that say so (or why not) and the
    strength of its growth in [0, 1].
    """
    share, lq = out["ai_share"].to_numpy(), out["ai_lq"].to_numpy()
    positive = share > 0
    by_scale = (share >= bars.hub_scale) & (lq >= bars.solid_lq) & positive
    by_lq = (lq >= bars.hub_lq) & (share >= bars.solid_scale) & positive
    ev = np.maximum(
        np.minimum(strength(share, bars.hub_scale), strength(lq, bars.solid_lq)),
        np.minimum(strength(lq, bars.hub_lq), strength(share, bars.solid_scale)),
    )
    ev = np.where(positive, ev, 0.0)
    grows = np.ones(share.size, dtype=bool) if growth is None else growth.grows
    score = ev if growth is None else np.minimum(ev, growth.strength)
    open_ = verdicts.open()
    meets = open_ & (by_scale | by_lq)
    q = _top(t.hub_q)
    strong_scale = f"{q}: ≥ {pct(bars.hub_scale)}"
    strong_lq = f"{q}: ≥ {times(bars.hub_lq)}"
    solid_scale = f"needs ≥ {pct(bars.solid_scale)}, the {_quantile_name(t.hub_solid_q)}"
    solid_lq = f"needs ≥ {times(bars.solid_lq)}"
    bars_ = f"(hub bars ≥ {pct(bars.hub_scale)} or ≥ {times(bars.hub_lq)})"

    def bar(i: int) -> str:
        if by_scale[i]:
            return f"{words.scale(i, strong_scale)} and {words.intensity(i, solid_lq)}"
        return f"{words.intensity(i, strong_lq)} and {words.scale(i, solid_scale)}"

    # meets the bar but does not grow: no hub, and the words say why
    if growth is not None:
        stalled = np.flatnonzero(meets & ~grows)
        verdicts.miss_all(
            stalled,
            score[stalled],
            [f"meets the hub bar but {growth.words[i]}" for i in stalled.tolist()],
        )
    # the hubs: the bar, why the earlier rules did not fire, Gi*, and the growth
    hubs = np.flatnonzero(meets & grows)
    rows = []
    for i in hubs.tolist():
        row = [bar(i), *verdicts.why_not[i], words.gi(i, t.fdr)]
        if growth is not None:
            row.append(growth.words[i])
        verdicts.why_not[i].clear()
        rows.append(row)
    verdicts.give_all(hubs, "hub", score[hubs], rows)
    # the others: which bar each one misses, with the numbers
    rest = np.flatnonzero(open_ & ~(by_scale | by_lq))
    texts = []
    for i in rest.tolist():
        if share[i] >= bars.hub_scale and positive[i]:
            texts.append(
                f"{words.scale(i, q)} but {words.intensity(i)}: below the hub bar ({solid_lq})"
            )
        elif lq[i] >= bars.hub_lq and positive[i]:
            texts.append(
                f"{words.intensity(i, q)} but {words.scale(i)}: below the hub bar ({solid_scale})"
            )
        else:
            texts.append(f"{words.scale(i)} and {words.intensity(i)}: neither in the {q} {bars_}")
    verdicts.miss_all(rest, ev[rest], texts)


def _quantile_name(q: float) -> str:
    return "median" if q == 0.5 else f"{100 * q:g}th percentile"


def simulated_growth(traj: pd.DataFrame, t: RoleThresholds) -> Growth:
    """Growth test of a hub on a simulated panel (see :func:`hub`)."""
    ai = traj["ai_growth"].to_numpy(dtype=np.float64)
    jobs = traj["jobs_change"].to_numpy(dtype=np.float64)
    pop = traj["population_change"].to_numpy(dtype=np.float64)
    years = traj["n_years"].to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore"):
        shrinking = jobs < 0
        slow = np.isfinite(ai) & (ai < t.hub_min_growth)
    grows = ~shrinking & ~slow
    ev = np.where(shrinking, 0.0, np.where(np.isfinite(ai), strength(ai, t.hub_min_growth), 1.0))
    known = np.isfinite(ai).tolist()
    needs = f"below the hub growth (needs ≥ {signed_pct(t.hub_min_growth)})"
    texts = []
    values = zip(ai.tolist(), jobs.tolist(), pop.tolist(), years.tolist(), strict=True)
    for i, (a, j, p, y) in enumerate(values):
        span = f"over {y:.0f} years"
        if shrinking[i]:
            texts.append(
                f"jobs {signed_pct(j)} and population {signed_pct(p)} {span}: a "
                "shrinking metro is never a hub"
            )
            continue
        ai_text = f"AI jobs {signed_pct(a)}" if known[i] else "AI jobs"
        if slow[i]:
            texts.append(f"{ai_text} {span}: {needs}")
        else:
            texts.append(
                f"{ai_text}, jobs {signed_pct(j)} and population {signed_pct(p)} {span}: growing"
            )
    return Growth(grows, texts, ev)


def observed_growth(history: pd.DataFrame, t: RoleThresholds) -> Growth:
    """Growth test of a hub on an observed population history (see :func:`hub`)."""
    change = history["change_since_peak"].to_numpy(dtype=np.float64)
    peak = history["peak_year"].to_numpy()
    shrinking = -change >= t.history.min_loss
    ev = np.where(shrinking, 0.0, 1.0)
    texts = [
        f"population {pct(-c)} below its {y} peak: a shrinking metro is never a hub"
        if s
        else (
            f"population at its {y} peak: not shrinking"
            if c == 0
            else f"population {pct(-c)} below its {y} peak (under {pct(t.history.min_loss)}): "
            "not shrinking"
        )
        for c, y, s in zip(change, peak, shrinking, strict=True)
    ]
    return Growth(~shrinking, texts, ev)
