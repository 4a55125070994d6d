"""Explainable metro roles: superstar, hub, hinterland, Detroit-path, stable.

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

The implementation lives in ``geoai.roles._classify*``; this module keeps
the public names.
"""

from __future__ import annotations

from geoai.roles._classify import classify
from geoai.roles._classify_thresholds import ROLES, RoleThresholds

__all__ = ["ROLES", "RoleThresholds", "classify"]
