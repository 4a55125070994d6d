from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from geoai import InputError, flows

AUSTRIA = pd.read_csv(Path(__file__).parents[1] / "data" / "austria_migration.csv")
FORMS = [
    (c, d) for c in ("none", "production", "attraction", "doubly") for d in ("power", "exponential")
]


def variables(constraint):
    ov = ["origin_mass"] if constraint in ("none", "attraction") else []
    dv = ["dest_mass"] if constraint in ("none", "production") else []
    return ov, dv


def fit(df, constraint, decay, cost="distance_km", origin="origin", destination="destination"):
    ov, dv = variables(constraint) if "origin_mass" in df else ([], [])
    return flows.calibrate(
        df,
        flow="flow",
        origin=origin,
        destination=destination,
        cost=cost,
        origin_vars=ov,
        dest_vars=dv,
        constraint=constraint,
        decay=decay,
    )


def statsmodels_fit(
    df, constraint, decay, cost="distance_km", origin="origin", destination="destination"
):
    """The same model as a GLM with explicit dummy columns."""
    ov, dv = variables(constraint) if "origin_mass" in df else ([], [])
    x = pd.DataFrame(index=df.index)
    if constraint == "none":
        x["const"] = 1.0
    for c in (*ov, *dv):
        x[c] = np.log(df[c])
    x[cost] = np.log(df[cost]) if decay == "power" else df[cost]
    if constraint in ("production", "doubly"):
        x = x.join(pd.get_dummies(df[origin], prefix="o", dtype=float))
    if constraint in ("attraction", "doubly"):
        dummies = pd.get_dummies(df[destination], prefix="d", dtype=float)
        x = x.join(dummies.iloc[:, 1:] if constraint == "doubly" else dummies)
    return sm.GLM(df["flow"], x, family=sm.families.Poisson()).fit(tol=1e-13)


@pytest.mark.parametrize(("constraint", "decay"), FORMS)
def test_austria_matches_statsmodels(constraint, decay):
    ours = fit(AUSTRIA, constraint, decay)
    ref = statsmodels_fit(AUSTRIA, constraint, decay)
    names = list(ours.coef.index)
    np.testing.assert_allclose(ours.coef, ref.params[names], rtol=1e-6)
    np.testing.assert_allclose(ours.std_err, ref.bse[names], rtol=1e-6)
    np.testing.assert_allclose(ours.loglik, ref.llf, rtol=1e-6)
    np.testing.assert_allclose(ours.aic, ref.aic, rtol=1e-6)
    np.testing.assert_allclose(ours.deviance, ref.deviance, rtol=1e-6)
    np.testing.assert_allclose(ours.fitted, ref.fittedvalues, rtol=1e-6)
    assert ours.coef[names[-1]] < 0  # decaying interaction


@pytest.mark.parametrize(("constraint", "decay"), FORMS)
def test_austria_matches_spint(constraint, decay):
    from spint.gravity import Attraction, Doubly, Gravity, Production

    f = AUSTRIA["flow"].to_numpy().reshape(-1, 1)
    c = AUSTRIA["distance_km"].to_numpy().reshape(-1, 1)
    om = AUSTRIA["origin_mass"].to_numpy(float).reshape(-1, 1)
    dm = AUSTRIA["dest_mass"].to_numpy(float).reshape(-1, 1)
    o = np.asarray(AUSTRIA["origin"], dtype=object).reshape(-1, 1)
    d = np.asarray(AUSTRIA["destination"], dtype=object).reshape(-1, 1)
    func = "pow" if decay == "power" else "exp"
    model = {
        "none": lambda: Gravity(f, om, dm, c, func),
        "production": lambda: Production(f, o, dm, c, func),
        "attraction": lambda: Attraction(f, d, om, c, func),
        "doubly": lambda: Doubly(f, o, d, c, func),
    }[constraint]()
    ours = fit(AUSTRIA, constraint, decay)
    k = len(ours.coef) - (1 if constraint == "none" else 0)  # spint puts FE/const first
    np.testing.assert_allclose(ours.coef.to_numpy()[-k:], model.params.ravel()[-k:], rtol=1e-6)
    np.testing.assert_allclose(ours.loglik, model.llf, rtol=1e-6)
    np.testing.assert_allclose(ours.pseudo_r2, model.pseudoR2, rtol=1e-6)
    np.testing.assert_allclose(ours.srmse, model.SRMSE, rtol=1e-6)
    np.testing.assert_allclose(ours.ssi, model.SSI, rtol=1e-6)


def synthetic(n=40, seed=0, *, zeros=True):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 500, (n, 2))
    mass = rng.lognormal(8, 1, n)
    o, d = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    o, d = o.ravel(), d.ravel()
    keep = o != d
    o, d = o[keep], d[keep]
    dist = np.hypot(*(xy[o] - xy[d]).T) + 1.0
    mu = np.exp(-4 + 0.7 * np.log(mass[o]) + 0.8 * np.log(mass[d]) - 1.3 * np.log(dist))
    flow = rng.poisson(mu)
    if not zeros:
        flow = flow + 1
    return pd.DataFrame(
        {
            "origin": [f"p{i}" for i in o],
            "destination": [f"p{j}" for j in d],
            "flow": flow,
            "distance_km": dist,
            "origin_mass": mass[o],
            "dest_mass": mass[d],
        }
    )


@pytest.mark.parametrize(("constraint", "decay"), FORMS)
def test_synthetic_with_zero_flows_matches_statsmodels(constraint, decay):
    df = synthetic()
    assert (df["flow"] == 0).mean() > 0.1
    ours = fit(df, constraint, decay)
    ref = statsmodels_fit(df, constraint, decay)
    names = list(ours.coef.index)
    np.testing.assert_allclose(ours.coef, ref.params[names], rtol=1e-6)
    np.testing.assert_allclose(ours.loglik, ref.llf, rtol=1e-6)
    np.testing.assert_allclose(ours.fitted, ref.fittedvalues, rtol=1e-5, atol=1e-8)


def test_recovers_the_generating_parameters():
    df = synthetic(n=80, seed=4)
    res = fit(df, "doubly", "power")
    assert abs(res.coef["distance_km"] + 1.3) < 4 * res.std_err["distance_km"]
    free = fit(df, "none", "power")
    for name, true in [("origin_mass", 0.7), ("dest_mass", 0.8), ("distance_km", -1.3)]:
        assert abs(free.coef[name] - true) < 4 * free.std_err[name]
    assert free.summary().shape == (4, 3)
    # fitted flows reproduce the constrained margins exactly
    grouped = df.assign(fit=res.fitted).groupby("origin")[["flow", "fit"]].sum()
    np.testing.assert_allclose(grouped["fit"], grouped["flow"], rtol=1e-9)
    assert res.fitted.index.equals(df.index)


def test_goodness_of_fit_formulas():
    res = fit(AUSTRIA, "doubly", "exponential")
    y, mu = AUSTRIA["flow"].to_numpy(float), res.fitted.to_numpy()
    assert res.srmse == pytest.approx(np.sqrt(np.mean((y - mu) ** 2)) / y.mean())
    assert res.ssi == pytest.approx(np.mean(2 * np.minimum(y, mu) / (y + mu)))
    assert 0 < res.pseudo_r2 < 1
    assert res.n_iter >= 1


def test_bad_inputs():
    df = AUSTRIA.copy()
    kw = {"flow": "flow", "origin": "origin", "destination": "destination", "cost": "distance_km"}
    with pytest.raises(InputError, match="unknown constraint"):
        flows.calibrate(df, **kw, constraint="total")
    with pytest.raises(InputError, match="unknown decay"):
        flows.calibrate(df, **kw, decay="gaussian")
    with pytest.raises(InputError, match="no column 'flows'"):
        flows.calibrate(df, **{**kw, "flow": "flows"})
    bad = df.copy()
    bad.loc[[3, 7], "flow"] = [-1, -2]
    with pytest.raises(InputError, match=r"negative at rows \[3, 7\]"):
        flows.calibrate(bad, **kw)
    bad = df.copy()
    bad.loc[5, "distance_km"] = np.nan
    with pytest.raises(InputError, match=r"NaN or infinite value\(s\), e.g. at rows \[5\]"):
        flows.calibrate(bad, **kw)
    bad = df.copy()
    bad.loc[[2], "distance_km"] = 0.0
    with pytest.raises(InputError, match=r"must be > 0 \(power decay.*rows \[2\]"):
        flows.calibrate(bad, **kw, decay="power")
    assert flows.calibrate(bad, **kw, decay="exponential").coef["distance_km"] < 0
    with pytest.raises(InputError, match="absorb origin_vars"):
        flows.calibrate(df, **kw, origin_vars=["origin_mass"], constraint="doubly")
    with pytest.raises(InputError, match="absorb dest_vars"):
        flows.calibrate(df, **kw, dest_vars=["dest_mass"], constraint="attraction")
    with pytest.raises(InputError, match="must be numeric"):
        flows.calibrate(df.assign(flow=df["flow"].astype(str)), **kw)
    with pytest.raises(InputError, match="all zero"):
        flows.calibrate(df.assign(flow=0), **kw)
    with pytest.raises(InputError, match="empty"):
        flows.calibrate(df.iloc[:0], **kw)


@pytest.mark.parametrize("decay", ["power", "exponential"])
def test_doubly_profile_route_equals_joint_newton(decay):
    """The dense profile-likelihood route and the joint Newton (Cholesky) route agree."""
    from geoai.flows._calibration import _JointNewton
    from geoai.flows._calibration_doubly import DenseLayout, fit_doubly

    df = synthetic(n=60, seed=2)
    o, d = pd.factorize(df["origin"], sort=True)[0], pd.factorize(df["destination"], sort=True)[0]
    y = df["flow"].to_numpy(float)
    x = np.log(df["distance_km"].to_numpy()) if decay == "power" else df["distance_km"].to_numpy()
    beta, mu, curvature, _, (log_a, log_b) = fit_doubly(
        DenseLayout(y, x, o, d, shape=(60, 60)), 1e-12, 100
    )
    joint = _JointNewton(y, x[:, None], origin=o, dest=d, n_o=60, n_d=60)
    j_beta, j_mu, j_xtwx, _, (j_a, j_b) = joint.fit(np.zeros(1), 1e-12, 100)
    np.testing.assert_allclose(beta, j_beta[0], rtol=1e-9)
    np.testing.assert_allclose(curvature, j_xtwx[0, 0], rtol=1e-8)
    np.testing.assert_allclose(mu, j_mu, rtol=1e-8)
    np.testing.assert_allclose(log_a, j_a, atol=1e-8)
    np.testing.assert_allclose(log_b, j_b, atol=1e-8)
    assert log_b[-1] == 0.0


def test_doubly_effects_match_statsmodels_dummies():
    df = synthetic(n=30, seed=5)
    ours = fit(df, "doubly", "power")
    ref = statsmodels_fit(df, "doubly", "power")
    # statsmodels: one dummy per origin and all destinations but the first
    first_d = min(df["destination"].unique())
    log_b = ours.destination_effects - ours.destination_effects[first_d]
    log_a = ours.origin_effects + ours.destination_effects[first_d]
    np.testing.assert_allclose(
        log_a.to_numpy(), ref.params[[f"o_{i}" for i in log_a.index]], atol=1e-6
    )
    others = log_b.drop(first_d)
    np.testing.assert_allclose(
        others.to_numpy(), ref.params[[f"d_{j}" for j in others.index]], atol=1e-6
    )


def test_repeated_pairs_take_the_long_route_and_match_statsmodels():
    """Several rows for one pair (e.g. two modes with their own cost) cannot be laid out densely."""
    df = synthetic(n=25, seed=6)
    extra = df.sample(40, random_state=1).assign(distance_km=lambda t: t["distance_km"] * 1.5)
    both = pd.concat([df, extra], ignore_index=True)
    ours = fit(both, "doubly", "exponential")
    ref = statsmodels_fit(both, "doubly", "exponential")
    np.testing.assert_allclose(ours.coef, ref.params[list(ours.coef.index)], rtol=1e-6)
    np.testing.assert_allclose(ours.std_err, ref.bse[list(ours.coef.index)], rtol=1e-6)
    np.testing.assert_allclose(ours.loglik, ref.llf, rtol=1e-9)
