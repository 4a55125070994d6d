"""The role names and the thresholds of :func:`geoai.classify`.

Every threshold is relative to the table it is applied to (a quantile of the
metros' own values) or a ratio with a documented meaning; no rule counts a
fixed number of metros. The figures quoted below are measured by
``benchmarks/us_roles.py`` (``docs/us_ai_roles.md``) and, for the observed
Detroit path, by ``benchmarks/backtest_decline.py`` (``docs/decline_backtest.md``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from geoai import _validate as v
from geoai.errors import InputError
from geoai.roles._decline import MIN_PEAK, DeclineThresholds

__all__ = ["MAX_PERMUTATIONS", "ROLES", "RoleThresholds"]

#: The roles, in the order their rules are tried (the first that fires wins).
#: Most permutations of the Gi* test (the p-value resolution is 1 / (permutations + 1)).
MAX_PERMUTATIONS = 1_000_000

ROLES = ("superstar", "hub", "detroit_path", "hinterland", "stable")

_SHARES_OPEN = (  # quantile shares: strictly inside (0, 1)
    "superstar_scale_q",
    "superstar_intensity_q",
    "hub_q",
    "hub_solid_q",
    "fdr",
)
_SHARES_CLOSED = (  # fractions in [0, 1]
    "decline_jobs",
    "decline_population",
    "hinterland_min_probability",
    "hinterland_max_potential_ratio",
)
_COUNTS = ("gi_k", "markov_k", "markov_neighbours", "markov_step")


@dataclass(frozen=True)
class RoleThresholds:
    """Thresholds of the role rules (shares are fractions: 0.1 = 10 %).

    *Scale* is a metro's share of the AI indicator's total over the metros
    classified; *intensity* is its location quotient (LQ): the indicator's
    share of the metro's own jobs over the same share for all the metros
    together (LQ 1 = the average intensity; Isard 1960, *Methods of
    Regional Analysis*, ch. 7). The *score* is scale × intensity.

    Attributes
    ----------
    superstar_scale_q : float, default 0.02
        A superstar's scale is in the top ``superstar_scale_q`` of the
        metros (at or above their ``1 - q`` quantile): 8 of the 393 US MSAs,
        14 of the 653 UN metros of >= 1 M. Brookings (2025) puts 2
        superstars among the 195 metros it tiers (1 %);
        ``docs/us_ai_roles.md`` shows the US superstars for 1 % to 4 %.
    superstar_intensity_q : float, default 0.02
        A superstar's intensity is in the top ``superstar_intensity_q`` too
        (and at least ``hub_min_lq``).
    superstar_gap : float, default 1.1
        The clear gap: the superstars are the leading group by score, every
        one of them in both top quantiles, and the last of them scores at
        least ``superstar_gap`` times the next metro. On the US MSAs the
        group ends at San Francisco (score 1.24 times Washington's, the
        next metro); on the UN metros at Tokyo (1.32 times San Jose's).
        A gap rule on the *largest* relative drop would stop after Seattle
        (1.80) and drop San Francisco, which Brookings names a superstar.
    hub_q : float, default 0.10
        A hub is *strong* on scale or on intensity: in the top decile of the
        metros (40 of the 393 US MSAs on each). Brookings (2025) has 2
        superstars and 28 star hubs among the 195 metros it tiers (15 %).
    hub_solid_q : float, default 0.5
        ... and *solid* on the other: scale at or above the median metro's
        (and > 0), or ...
    hub_min_lq : float, default 1.0
        ... intensity at or above ``hub_min_lq`` (1.0: at least the average
        intensity, the conventional LQ bar of specialisation).
    hub_min_growth : float, default 0.1
        On a simulated panel a hub must grow: its AI jobs up at least this
        much over the panel (0.1 = +10 %; a ranking of zero gains is no
        growth) and neither its jobs nor its population shrinking. On an
        observed population history a hub must not stand at least
        ``history.min_loss`` below its peak. A shrinking metro is never a hub.
    fdr : float, default 0.05
        False-discovery rate of the Gi* hot-spot test (Benjamini–Hochberg),
        a supporting reason for superstars and hubs, not a gate.
    gi_k : int, default 8
        Neighbours of the Gi* weights (k nearest metros, great-circle).
    permutations : int, default 999
        Conditional permutations of the Gi* test (0: normal p-values).
    decline_years : int, optional
        Window (years) of the Detroit-path rule on a *simulated* panel,
        counted back from its final year; ``None`` (default): the whole panel.
    decline_jobs : float, default 0.05
        Simulated panels: smallest fall of total jobs over the window (share;
        DESIGN §6; the concentration preset flags 490 metros at these
        defaults, 247 at 0.15 jobs, 20 at 0.20 jobs and 0.03 population).
    decline_population : float, default 0.02
        Simulated panels: smallest fall of population over the window (share).
    history : DeclineThresholds
        Observed population histories: the Detroit-path thresholds of
        :func:`geoai.roles.decline` (calibrated by its backtest,
        ``docs/decline_backtest.md``).
    min_peak : float, default 300,000
        Observed histories: metros that never reached this many people are
        not judged for the Detroit path (the UN file's 2018 floor).
    markov_k : int, default 5
        Classes (quintiles) of the spatial Markov chain of relative
        population (Rey 2001 uses quintiles of relative income).
    markov_neighbours : int, default 8
        Nearest metros in the Markov chain's spatial lag (as ``gi_k``).
    markov_step : int, default 5
        Years per Markov move: the UN WUP estimates are quinquennial (the
        annual series is interpolated between them).
    hinterland_min_probability : float, default 0.5
        Smallest Huff (1963) probability of the dominant superstar or hub.
    hinterland_max_potential_ratio : float, default 0.5
        A hinterland's own potential is at most this fraction of its centre's.
    potential_scale_km : float, default 300
        Decay scale (km) of the potential and of the default talent flows.
    seed : int, default 0
        Seed of the permutation test.

    Raises
    ------
    InputError
        If a threshold is outside its range.

    Examples
    --------
    >>> RoleThresholds().hub_q, RoleThresholds(hub_q=0.2).hub_q
    (0.1, 0.2)
    """

    superstar_scale_q: float = 0.02
    superstar_intensity_q: float = 0.02
    superstar_gap: float = 1.1
    hub_q: float = 0.10
    hub_solid_q: float = 0.5
    hub_min_lq: float = 1.0
    hub_min_growth: float = 0.1
    fdr: float = 0.05
    gi_k: int = 8
    permutations: int = 999
    decline_years: int | None = None
    decline_jobs: float = 0.05
    decline_population: float = 0.02
    history: DeclineThresholds = field(default_factory=DeclineThresholds)
    min_peak: float = MIN_PEAK
    markov_k: int = 5
    markov_neighbours: int = 8
    markov_step: int = 5
    hinterland_min_probability: float = 0.5
    hinterland_max_potential_ratio: float = 0.5
    potential_scale_km: float = 300.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in _COUNTS:
            _check_count(name, getattr(self, name))
        if self.decline_years is not None:
            _check_count("decline_years", self.decline_years)
        if self.markov_k < 2:
            raise InputError(f"RoleThresholds.markov_k must be >= 2; got {v.short(self.markov_k)}.")
        for name in _SHARES_OPEN:
            value = _number(name, getattr(self, name))
            if not 0.0 < value < 1.0:
                raise InputError(f"RoleThresholds.{name} must be in (0, 1); got {v.short(value)}.")
        for name in _SHARES_CLOSED:
            value = _number(name, getattr(self, name))
            if not 0.0 <= value <= 1.0:
                raise InputError(f"RoleThresholds.{name} must be in [0, 1]; got {v.short(value)}.")
        if not _number("superstar_gap", self.superstar_gap) >= 1.0:
            raise InputError(
                f"RoleThresholds.superstar_gap must be >= 1 (a ratio of scores); got "
                f"{v.short(self.superstar_gap)}."
            )
        v.check_positive(self.hub_min_lq, "RoleThresholds.hub_min_lq")
        v.check_positive(self.hub_min_growth, "RoleThresholds.hub_min_growth", allow_zero=True)
        v.check_positive(self.potential_scale_km, "RoleThresholds.potential_scale_km")
        v.check_positive(self.min_peak, "RoleThresholds.min_peak", allow_zero=True)
        _check_draws(self.permutations, self.seed)
        if not isinstance(self.history, DeclineThresholds):
            raise InputError(
                "RoleThresholds.history must be a geoai.roles.DeclineThresholds; got "
                f"{type(self.history).__name__}."
            )


def _check_draws(permutations: object, seed: object) -> None:
    """Check the permutation count and the seed of the Gi* test (ints in their ranges)."""
    for name, value, top in (
        ("permutations", permutations, MAX_PERMUTATIONS),
        ("seed", seed, 2**63 - 1),
    ):
        whole = isinstance(value, int | np.integer) and not isinstance(value, bool)
        if not whole or not 0 <= value <= top:  # type: ignore[operator]  # an int, checked
            usual = "999 is the usual choice" if name == "permutations" else "e.g. seed=0"
            raise InputError(
                f"RoleThresholds.{name} must be an integer from 0 to "
                f"{'2**63 - 1' if name == 'seed' else f'{top:,}'}; got {v.short(value)}. {usual}."
            )


def _check_count(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InputError(f"RoleThresholds.{name} must be an integer >= 1; got {v.short(value)}.")


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InputError(f"RoleThresholds.{name} must be a number; got {v.short(value)}.")
    try:
        number = float(value)
    except OverflowError:  # an int of hundreds of digits
        number = math.inf
    if not math.isfinite(number):
        raise InputError(f"RoleThresholds.{name} must be finite; got {v.short(value)}.")
    return number
