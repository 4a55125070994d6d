"""Poisson maximum-likelihood calibration of spatial-interaction models.

Flowerdew & Aitkin (1982); PPML (Santos Silva & Tenreyro 2006). The model is
``log mu_ij = x_ij' beta`` plus origin and/or destination fixed effects:

============  ==========================================  ==================
constraint    covariates x_ij                              fixed effects
============  ==========================================  ==================
none          const, log origin_vars, log dest_vars, g(c)  —
production    log dest_vars, g(c)                          origin
attraction    log origin_vars, g(c)                        destination
doubly        g(c)                                         origin, destination
============  ==========================================  ==================

with ``g(c) = log c`` for power decay and ``g(c) = c`` for exponential decay,
so the cost coefficient is ``-beta`` (negative for decaying interaction).

The fixed effects are never expanded into dummy columns. For a given
``beta`` their maximum-likelihood values make the fitted margins equal the
observed ones (the Poisson score equations), so they are *concentrated out*:
in closed form for one set, by Furness balancing for two. ``beta`` is then
found by Newton's method on the profile likelihood, whose Hessian is
``-X~' W X~`` with ``X~`` the covariates with the fixed effects partialled
out under weights ``W = mu`` (Frisch–Waugh–Lovell), with step halving. The
result equals a GLM with explicit dummies (tested against statsmodels and
spint) at a fraction of the cost: 2.25 M pairs fit in about a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import gammaln

from geoai import _validate as v
from geoai.errors import ConvergenceError, InputError
from geoai.kernels import fixed_effects as kfe

__all__ = ["CalibrationResult", "calibrate"]

_CONSTRAINTS = ("none", "production", "attraction", "doubly")


@dataclass(frozen=True)
class CalibrationResult:
    """A calibrated spatial-interaction model.

    Attributes
    ----------
    coef, std_err : pandas.Series
        Coefficients and their model-based standard errors, named after the
        input columns (``const`` for the intercept of the unconstrained form).
    fitted : pandas.Series
        Fitted flows, aligned with the input rows.
    loglik, llnull : float
        Log-likelihood of the model and of the intercept-only model.
    aic : float
        ``-2 loglik + 2 k`` with ``k`` the covariates plus identified fixed effects.
    deviance : float
        Poisson deviance.
    pseudo_r2 : float
        McFadden's ``1 - loglik / llnull``.
    srmse : float
        Standardised root mean square error ``RMSE / mean(flow)``.
    ssi : float
        Sørensen similarity index, mean of ``2 min(y, mu) / (y + mu)`` over
        pairs where either is positive (Lenormand et al. 2016).
    n_iter : int
        Newton iterations.
    n_params : int
        ``k`` used in the AIC.
    constraint, decay : str
        The model form.
    """

    coef: pd.Series
    std_err: pd.Series
    fitted: pd.Series
    loglik: float
    llnull: float
    aic: float
    deviance: float
    pseudo_r2: float
    srmse: float
    ssi: float
    n_iter: int
    n_params: int
    constraint: str
    decay: str
    origin_effects: pd.Series = field(repr=False)
    destination_effects: pd.Series = field(repr=False)

    def summary(self) -> pd.DataFrame:
        """Coefficient table: estimate, standard error and z value."""
        return pd.DataFrame(
            {"coef": self.coef, "std_err": self.std_err, "z": self.coef / self.std_err}
        )


def _rows(df: pd.DataFrame, mask: np.ndarray) -> list[Any]:
    return df.index[mask][:5].tolist()


def _numeric(df: pd.DataFrame, col: str) -> np.ndarray:
    if col not in df.columns:
        raise InputError(f"no column {col!r}; available columns: {list(df.columns)}.")
    if not pd.api.types.is_numeric_dtype(df[col].dtype):
        raise InputError(f"column {col!r} must be numeric; got dtype {df[col].dtype}.")
    x = df[col].to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(x)
    if bad.any():
        raise InputError(
            f"column {col!r} has {bad.sum()} NaN or infinite value(s), e.g. at rows "
            f"{_rows(df, bad)}; drop or fill them."
        )
    return x


def _log_positive(df: pd.DataFrame, col: str, why: str) -> np.ndarray:
    x = _numeric(df, col)
    bad = x <= 0
    if bad.any():
        raise InputError(
            f"column {col!r} must be > 0 ({why}), but {bad.sum()} value(s) are not, e.g. at "
            f"rows {_rows(df, bad)}."
        )
    return np.log(x)


def _codes(df: pd.DataFrame, col: str) -> tuple[np.ndarray, pd.Index]:
    if col not in df.columns:
        raise InputError(f"no column {col!r}; available columns: {list(df.columns)}.")
    if df[col].isna().any():
        raise InputError(
            f"column {col!r} has missing identifiers at rows "
            f"{_rows(df, df[col].isna().to_numpy())}."
        )
    codes, uniques = pd.factorize(df[col], sort=True)
    return codes.astype(np.int64), pd.Index(uniques, name=col)


class _FixedEffects:
    """Origin and/or destination effects handled by concentration, not dummies."""

    def __init__(self, origin: np.ndarray | None, dest: np.ndarray | None, y: np.ndarray):
        self.origin, self.dest = origin, dest
        self.n_o = 0 if origin is None else int(origin.max()) + 1
        self.n_d = 0 if dest is None else int(dest.max()) + 1
        self.y_o = None if origin is None else np.bincount(origin, y, self.n_o)
        self.y_d = None if dest is None else np.bincount(dest, y, self.n_d)
        # kernel views: a zero code and a dummy margin stand in for absent effects
        self._o = origin if origin is not None else np.zeros(y.size, np.int64)
        self._d = dest if dest is not None else np.zeros(y.size, np.int64)
        self._y_o = self.y_o if self.y_o is not None else np.zeros(1)
        self._y_d = self.y_d if self.y_d is not None else np.zeros(1)
        self.log_a = np.zeros(max(self.n_o, 1))
        self.log_b = np.zeros(max(self.n_d, 1))

    @property
    def n_params(self) -> int:
        k_o = 0 if self.y_o is None else int((self.y_o > 0).sum())
        k_d = 0 if self.y_d is None else int((self.y_d > 0).sum())
        return k_o + k_d - (1 if k_o and k_d else 0)

    def fit_margins(
        self, eta_x: np.ndarray, tol: float = 1e-13, max_iter: int = 100_000
    ) -> np.ndarray:
        """``mu`` with effects making the fitted margins equal the observed ones.

        Two-way effects are balanced by Furness sweeps accelerated with
        SQUAREM (Varadhan & Roland 2008) on ``log b``: a sweep is a
        fixed-point map, and the squared extrapolation cuts the sweeps needed
        after a large change of ``beta`` by an order of magnitude.
        """
        if self.origin is None and self.dest is None:
            return np.exp(eta_x)
        shift = eta_x.max()
        e = np.exp(eta_x - shift)
        a, b = np.exp(self.log_a), np.exp(self.log_b)
        use_o, use_d = self.origin is not None, self.dest is not None
        if use_o and use_d:
            b = self._squarem(e, a, b, tol, max_iter)
        kfe.balance_effects(e, self._o, self._d, self._y_o, self._y_d, a, b, use_o, use_d, tol, 1)
        # mu = exp(eta_x - shift) * a * b: fold the shift into the effects
        with np.errstate(divide="ignore"):
            self.log_a = np.log(a) - (shift if use_o else 0.0)
            self.log_b = np.log(b) - (0.0 if use_o else shift)
        return e * a[self._o] * b[self._d]

    def _squarem(
        self,
        e: np.ndarray,
        a: np.ndarray,
        b: np.ndarray,
        tol: float,
        max_iter: int,
    ) -> np.ndarray:
        """Accelerated Furness: returns ``b`` with origin margins within ``tol``."""
        positive = self._y_d > 0

        def sweep(b_in: np.ndarray) -> tuple[np.ndarray, float]:
            b_out = b_in.copy()
            _, residual = kfe.balance_effects(
                e, self._o, self._d, self._y_o, self._y_d, a, b_out, True, True, 0.0, 2
            )
            return b_out, residual

        done = 0
        while done < max_iter:
            b1, r1 = sweep(b)
            if r1 <= tol:
                return b1
            b2, _ = sweep(b1)
            done += 4
            lb, l1, l2 = np.log(b[positive]), np.log(b1[positive]), np.log(b2[positive])
            r, w = l1 - lb, l2 - 2.0 * l1 + lb
            step = -np.sqrt(np.sum(r * r) / max(np.sum(w * w), 1e-300))
            step = min(step, -1.0)
            trial = b.copy()
            trial[positive] = np.exp(lb - 2.0 * step * r + step * step * w)
            b_new, _ = sweep(trial) if np.all(np.isfinite(trial)) else (b2, 0.0)
            b = b_new
        raise ConvergenceError(
            f"the fixed effects did not balance in {max_iter} sweeps; the flows may be "
            "separated (a group with all-zero flows).",
            n_iter=max_iter,
        )

    def partial_out(self, x: np.ndarray, w: np.ndarray, tol: float = 1e-12) -> np.ndarray:
        """``X~``: the columns of ``x`` minus their ``w``-weighted projection on the effects."""
        if self.origin is None and self.dest is None:
            return x
        out = np.array(x, dtype=np.float64, order="F", copy=True)
        use_o, use_d = self.origin is not None, self.dest is not None
        for col in range(out.shape[1]):
            r = np.ascontiguousarray(out[:, col])
            kfe.demean_effects(r, w, self._o, self._d, max(self.n_o, 1), max(self.n_d, 1),
                               use_o, use_d, tol, 100_000)  # fmt: skip
            out[:, col] = r
        return out


def _loglik(y: np.ndarray, mu: np.ndarray) -> float:
    pos = y > 0
    return float(np.sum(y[pos] * np.log(mu[pos])) - mu.sum() - gammaln(y + 1).sum())


def _deviance(y: np.ndarray, mu: np.ndarray) -> float:
    pos = y > 0
    return float(2.0 * (np.sum(y[pos] * np.log(y[pos] / mu[pos])) - np.sum(y - mu)))


def calibrate(
    df: pd.DataFrame,
    *,
    flow: str,
    origin: str,
    destination: str,
    cost: str,
    origin_vars: Sequence[str] = (),
    dest_vars: Sequence[str] = (),
    constraint: str = "none",
    decay: str = "power",
    tol: float = 1e-10,
    max_iter: int = 100,
) -> CalibrationResult:
    """Calibrate a spatial-interaction model by Poisson maximum likelihood.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per origin–destination pair (zero flows allowed).
    flow : str
        Observed flow column (counts or amounts, >= 0).
    origin, destination : str
        Identifier columns of the origin and destination.
    cost : str
        Cost column (km, minutes): ``> 0`` for power decay, finite for
        exponential decay.
    origin_vars, dest_vars : sequence of str
        Mass columns (> 0), entered as logarithms. Only the forms without the
        matching fixed effects take them (see the module table).
    constraint : {"none", "production", "attraction", "doubly"}
        Model form: which margins are reproduced through fixed effects.
    decay : {"power", "exponential"}
        ``log(cost)`` or ``cost`` as the cost covariate.
    tol : float
        Convergence tolerance on the coefficients (relative).
    max_iter : int
        Maximum Newton iterations.

    Returns
    -------
    CalibrationResult

    Raises
    ------
    InputError
        Missing or non-numeric columns, NaN, negative flows, non-positive
        costs under power decay or masses, or variables the fixed effects absorb.
    ConvergenceError
        Newton's method did not converge in ``max_iter`` iterations.
    """
    v.check_choice(constraint, _CONSTRAINTS, "constraint")
    v.check_choice(decay, ("power", "exponential"), "decay")
    v.check_nonempty(len(df), "df")
    if constraint in ("production", "doubly") and origin_vars:
        raise InputError(
            f"constraint={constraint!r} has origin fixed effects, which absorb origin_vars "
            f"{list(origin_vars)}; drop them or use constraint='attraction' or 'none'."
        )
    if constraint in ("attraction", "doubly") and dest_vars:
        raise InputError(
            f"constraint={constraint!r} has destination fixed effects, which absorb dest_vars "
            f"{list(dest_vars)}; drop them or use constraint='production' or 'none'."
        )
    y = _numeric(df, flow)
    neg = y < 0
    if neg.any():
        raise InputError(f"flow column {flow!r} must be >= 0; negative at rows {_rows(df, neg)}.")
    if y.sum() == 0:
        raise InputError(f"flow column {flow!r} is all zero; nothing to calibrate.")
    o_codes, o_names = _codes(df, origin)
    d_codes, d_names = _codes(df, destination)
    if decay == "power":
        g = _log_positive(df, cost, "power decay takes log(cost)")
    else:
        g = _numeric(df, cost)

    names: list[str] = []
    cols: list[np.ndarray] = []
    if constraint == "none":
        names.append("const")
        cols.append(np.ones(len(df)))
    for c in origin_vars:
        names.append(c)
        cols.append(_log_positive(df, c, "mass variables enter as logarithms"))
    for c in dest_vars:
        names.append(c)
        cols.append(_log_positive(df, c, "mass variables enter as logarithms"))
    names.append(cost)
    cols.append(g)
    x = np.column_stack(cols)

    fe = _FixedEffects(
        o_codes if constraint in ("production", "doubly") else None,
        d_codes if constraint in ("attraction", "doubly") else None,
        y,
    )
    beta, mu, xtwx, n_iter = _newton(y, x, fe, tol, max_iter)

    cov = np.linalg.inv(xtwx)
    loglik = _loglik(y, mu)
    llnull = _loglik(y, np.full_like(y, y.mean()))
    k = len(names) + fe.n_params
    resid = y - mu
    both = (y + mu) > 0
    index = df.index
    return CalibrationResult(
        coef=pd.Series(beta, index=names, name="coef"),
        std_err=pd.Series(np.sqrt(np.diag(cov)), index=names, name="std_err"),
        fitted=pd.Series(mu, index=index, name="fitted"),
        loglik=loglik,
        llnull=llnull,
        aic=-2.0 * loglik + 2.0 * k,
        deviance=_deviance(y, mu),
        pseudo_r2=1.0 - loglik / llnull,
        srmse=float(np.sqrt(np.mean(resid**2)) / y.mean()),
        ssi=float(np.mean(2.0 * np.minimum(y, mu)[both] / (y + mu)[both])),
        n_iter=n_iter,
        n_params=k,
        constraint=constraint,
        decay=decay,
        origin_effects=pd.Series(fe.log_a, index=o_names[: fe.n_o], name="log_a")
        if fe.n_o
        else pd.Series(dtype=float),
        destination_effects=pd.Series(fe.log_b, index=d_names[: fe.n_d], name="log_b")
        if fe.n_d
        else pd.Series(dtype=float),
    )


def _newton(
    y: np.ndarray, x: np.ndarray, fe: _FixedEffects, tol: float, max_iter: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Newton's method on the profile Poisson likelihood, with step halving."""
    p = x.shape[1]
    beta = np.zeros(p)
    if fe.origin is None and fe.dest is None:
        beta[0] = np.log(y.mean())  # the constant is the first column of the free form
    mu = fe.fit_margins(x @ beta)
    ll = _loglik(y, mu)
    for it in range(1, max_iter + 1):
        xt = fe.partial_out(x, mu)
        xtwx = xt.T @ (mu[:, None] * xt)
        score = x.T @ (y - mu)
        try:
            step = np.linalg.solve(xtwx, score)
        except np.linalg.LinAlgError:
            raise InputError(
                "the covariates are collinear (or constant within the fixed effects); "
                "drop a variable."
            ) from None
        for _ in range(60):
            trial = beta + step
            mu_t = fe.fit_margins(x @ trial)
            ll_t = _loglik(y, mu_t)
            if np.isfinite(ll_t) and ll_t >= ll - 1e-12 * abs(ll):
                break
            step = step / 2.0
        beta, mu, ll = trial, mu_t, ll_t
        if np.max(np.abs(step)) <= tol * (1.0 + np.max(np.abs(beta))):
            xt = fe.partial_out(x, mu)
            return beta, mu, xt.T @ (mu[:, None] * xt), it
    raise ConvergenceError(
        f"Poisson calibration did not converge in {max_iter} iterations (last step "
        f"{np.max(np.abs(step)):.2e}); rescale the cost (e.g. km instead of m) or raise max_iter.",
        residual=float(np.max(np.abs(step))),
        n_iter=max_iter,
    )
