"""Fuzz geoai.flows: aggregate, interaction, radiation, deterrence, cost_matrix,
balance_matrix_free, calibrate and to_lines on up to 12 places.

Each example draws places (lon/lat, or metres in EPSG:3035), masses and one
parameter that may be junk. The result must hold finite, non-negative flows
of the promised shape, or the call raises a geoai error.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from hypothesis import event, given
from hypothesis import strategies as st

from geoai import flows
from tests.fuzz._harness import FUZZ, Refused, assert_numbers, junk, numbers, outcome

DECAYS = ["power", "exponential", "gaussian", "tanner", "powr", 3]


def _places(rng: np.random.Generator, n: int, *, projected: bool) -> gpd.GeoDataFrame:
    ids = [f"m{i}" for i in range(n)]
    gdf = gpd.GeoDataFrame(
        {"metro_id": ids, "population": rng.lognormal(12, 1, n)},
        geometry=gpd.points_from_xy(rng.uniform(-5, 25, n), rng.uniform(38, 58, n)),
        crs=4326,
        index=pd.Index(ids, name="name"),
    )
    return gdf.to_crs(3035) if projected else gdf


def _decay_kw(data) -> dict[str, object]:
    decay = data.draw(st.sampled_from(DECAYS[:3] * 3 + DECAYS[3:]))
    if decay == "power":
        return {"decay": decay, "beta": data.draw(numbers(good=st.floats(0.5, 3.0)))}
    return {"decay": decay, "scale_km": data.draw(numbers(good=st.floats(10, 1000)))}


def _mass(data, rng, n, name):
    kind = data.draw(st.sampled_from(["ok"] * 5 + ["nan", "neg", "short", "shuffled", "zeros"]))
    m = rng.lognormal(10, 1, n)
    if kind == "nan" and n:
        m[0] = np.nan
    elif kind == "neg" and n:
        m[0] = -1
    elif kind == "short":
        m = m[:-1]
    elif kind == "zeros":
        m = np.zeros(n)
    elif kind == "shuffled":
        return pd.Series(m, index=[f"m{i}" for i in range(n)]).sample(frac=1, random_state=1)
    event(f"{name} {kind}")
    return m


def _check_matrix(t, n, what):
    assert t.shape == (n, n), (what, t.shape)
    assert_numbers(t, what)
    assert (t >= 0).all(), what


def _aggregate(data, rng, n, pts):
    kw = _decay_kw(data)
    top_k = data.draw(numbers(good=st.integers(0, 3)))
    got = outcome(flows.aggregate, pts, _mass(data, rng, n, "mass_o"), top_k=top_k, **kw)
    if not isinstance(got, Refused):
        assert_numbers(got.outflow, "outflow")
        assert_numbers(got.inflow, "inflow")
        assert got.outflow.shape == (n,)
        np.testing.assert_allclose(got.outflow.sum(), got.inflow.sum(), rtol=1e-9, atol=1e-6)
    return got


def _interaction(data, rng, n, pts):
    cost = outcome(flows.cost_matrix, pts)
    if isinstance(cost, Refused):
        return cost
    assert cost.shape == (n, n)
    assert np.isinf(np.diag(cost)).all()  # self pairs excluded, as documented
    off = ~np.eye(n, dtype=bool)
    assert_numbers(cost[off], "cost_matrix off the diagonal")
    constraint = data.draw(st.sampled_from(["none", "production", "attraction", "doubly", "dubly"]))
    mo, md = _mass(data, rng, n, "mass_o"), _mass(data, rng, n, "mass_d")
    got = outcome(flows.interaction, mo, md, cost, constraint=constraint, **_decay_kw(data))
    if not isinstance(got, Refused):
        _check_matrix(got, n, "interaction")
        if constraint == "production":
            np.testing.assert_allclose(got.sum(axis=1), np.asarray(mo, float), rtol=1e-8)
    return got


def _radiation(data, rng, n, pts):
    got = outcome(
        flows.radiation,
        pts,
        _mass(data, rng, n, "mass"),
        finite_size=data.draw(st.one_of(st.booleans(), junk())),
    )
    if not isinstance(got, Refused):
        _check_matrix(got, n, "radiation")
    return got


def _deterrence(data, rng, n, _pts):
    cost = data.draw(st.sampled_from(["ok", "nan", "neg", "1d", "junk"]))
    c = rng.uniform(0, 500, (n, n))
    if cost == "nan" and n:
        c[0, 0] = np.nan
    elif cost == "neg" and n:
        c[0, 0] = -1
    arg = {"ok": c, "nan": c, "neg": c, "1d": c.ravel(), "junk": data.draw(junk())}[cost]
    got = outcome(flows.deterrence, arg, **_decay_kw(data))
    if not isinstance(got, Refused):
        assert_numbers(got, "deterrence")
        assert ((got >= 0) & (got <= 1 + 1e-12)).all() or got.size == 0
    return got


def _balance(data, rng, n, pts):
    o = _mass(data, rng, n, "outflows")
    d = np.asarray(o, dtype=float)[::-1].copy() if isinstance(o, np.ndarray) else o
    tol = data.draw(numbers(good=st.just(1e-6)))
    got = outcome(flows.balance_matrix_free, pts, o, d, tol=tol, max_iter=500, **_decay_kw(data))
    if not isinstance(got, Refused):
        assert_numbers(got.outflows, "balanced outflows")
        assert_numbers(got.a, "a")
    return got


def _calibrate(data, rng, n, _pts):
    k = max(n, 2)
    o, d = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    cost = rng.uniform(10, 500, (k, k))
    flow = rng.poisson(1e3 * np.exp(-cost / 200)).astype(float)
    df = pd.DataFrame({"o": o.ravel(), "d": d.ravel(), "c": cost.ravel(), "f": flow.ravel()})
    spoil = data.draw(st.sampled_from(["none"] * 3 + ["nan", "neg", "column", "strings"]))
    if spoil == "nan":
        df.loc[0, "f"] = np.nan
    elif spoil == "neg":
        df.loc[0, "c"] = -1.0
    elif spoil == "strings":
        df["f"] = df["f"].astype(str)
    col = "flow" if spoil == "column" else "f"
    constraint = data.draw(st.sampled_from(["none", "production", "doubly"]))
    decay = data.draw(st.sampled_from(["power", "exponential"]))
    got = outcome(
        flows.calibrate,
        df,
        flow=col,
        origin="o",
        destination="d",
        cost="c",
        constraint=constraint,
        decay=decay,
        max_iter=data.draw(numbers(good=st.just(50))),
    )
    if spoil != "none":
        assert isinstance(got, Refused), f"calibrate accepted {spoil}"
    return got


def _lines(data, rng, n, pts):
    kind = data.draw(st.sampled_from(["matrix", "frame", "bad"]))
    t = rng.uniform(0, 10, (n, n))
    if kind == "frame":
        arg = pd.DataFrame(
            {
                "origin": pts["metro_id"],
                "destination": pts["metro_id"][::-1].to_numpy(),
                "flow": rng.uniform(0, 5, n),
            }
        )
    else:
        arg = t if kind == "matrix" else data.draw(junk())
    got = outcome(
        flows.to_lines, arg, pts.to_crs(4326), top=data.draw(numbers(good=st.integers(1, 5)))
    )
    if not isinstance(got, Refused):
        assert_numbers(got["flow"], "line flows")
    return got


TARGETS = {
    "aggregate": _aggregate,
    "interaction": _interaction,
    "radiation": _radiation,
    "deterrence": _deterrence,
    "balance": _balance,
    "calibrate": _calibrate,
    "to_lines": _lines,
}


@FUZZ
@given(
    target=st.sampled_from(sorted(TARGETS)),
    n=st.integers(1, 12),
    projected=st.booleans(),
    seed=st.integers(0, 2**16),
    data=st.data(),
)
def test_fuzz_flows(target, n, projected, seed, data):
    rng = np.random.default_rng(seed)
    got = TARGETS[target](data, rng, n, _places(rng, n, projected=projected))
    event(f"{target} {'refused' if isinstance(got, Refused) else 'ok'}")
