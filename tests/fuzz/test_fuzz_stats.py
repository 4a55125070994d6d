"""Fuzz geoai.stats: weights, local_moran, getis_ord, fdr, spatial_markov, dominant_flows.

Each example draws one function and arguments that are usually valid and
sometimes anything (see :func:`tests.fuzz._harness.junk`); the call must
return a result that keeps the documented promises, or raise a geoai error.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
from hypothesis import event, given
from hypothesis import strategies as st

from geoai import stats
from tests.fuzz._harness import FUZZ, Refused, assert_numbers, junk, numbers, outcome, sizes

TRANSFORMS = ("r", "b", "d", "v", "o", "R")
FINITE = st.floats(-1e6, 1e6, allow_nan=False)
ODD = st.sampled_from([np.nan, np.inf, -np.inf, 1e308, -1e308, 5e-324, 0.0])


def clearly_bad(value, *, none_ok=False):
    """Whether a scalar parameter is refused whatever the rest: not a real, finite number."""
    if value is None:
        return not none_ok
    if isinstance(value, bool | np.bool_ | str | list | tuple | complex):
        return True
    return isinstance(value, float | np.floating) and not np.isfinite(value)


def pick(data, good, *, valid):
    """Draw from ``good`` in a valid case, else usually from ``good`` and sometimes junk."""
    return data.draw(good if valid else numbers(good=good))


@st.composite
def places(draw, *, valid, max_n=12):
    """A GeoDataFrame of points with a numeric column ``y``, in lon/lat or metres.

    A valid case has 4-12 points, distinct locations likely, and values that vary; otherwise
    0-12 points, sometimes NaN, infinite, huge or tiny values and repeated index labels.
    """
    n = draw(st.integers(4, max_n) if valid else sizes(max_n))
    geographic = draw(st.booleans())
    span = 10.0 if geographic else 5e5
    xy = st.tuples(st.floats(-span, span), st.floats(-span, span))
    pts = draw(st.lists(xy, min_size=n, max_size=n))
    good = st.floats(0.0, 100.0)
    cell = good if valid else st.one_of(good, good, FINITE, ODD)
    y = np.asarray(draw(st.lists(cell, min_size=n, max_size=n)), dtype=float)
    if valid:
        y = y + np.arange(n)  # never constant
    index = "names" if valid else draw(st.sampled_from(["range", "names", "duplicated"]))
    labels = {
        "range": pd.RangeIndex(n),
        "names": pd.Index([f"p{i}" for i in range(n)]),
        "duplicated": pd.Index([f"p{i // 2}" for i in range(n)]),
    }[index]
    x, yy = np.array([p[0] for p in pts]), np.array([p[1] for p in pts])
    if not geographic:  # metres around the centre of EPSG:3035 (Europe)
        x, yy = x + 4.3e6, yy + 3.4e6
    return gpd.GeoDataFrame(
        {"y": y},
        geometry=gpd.points_from_xy(x, yy),
        crs=4326 if geographic else 3035,
        index=labels,
    )


def _weights(data, valid):
    gdf = data.draw(places(valid=valid))
    kwargs = {"k": pick(data, st.integers(1, 3), valid=valid)}
    if data.draw(st.booleans()):
        kwargs["distance_km"] = pick(data, st.floats(1.0, 2000.0), valid=valid)
    options = ["r", "b", "d", "v", "o", "R"] + ([] if valid else ["x", None])
    kwargs["transform"] = data.draw(st.sampled_from(options))
    w = outcome(stats.weights, gdf, **kwargs)
    band = kwargs.get("distance_km")
    if clearly_bad(band, none_ok=True) or kwargs["transform"] not in TRANSFORMS:
        assert isinstance(w, Refused), f"accepted {kwargs}"
    if isinstance(w, Refused):
        return w
    assert w.n == len(gdf)
    assert w.indptr.shape == (w.n + 1,)
    assert ((w.indices >= 0) & (w.indices < w.n)).all()
    assert_numbers(w.values, "weights values")
    if "distance_km" not in kwargs:
        assert (w.cardinalities == kwargs["k"]).all()  # exactly k neighbours each
    return w


def _inference(data, valid):
    seed = st.one_of(st.none(), st.integers(0, 2**63 - 1))
    rate = st.one_of(st.none(), st.floats(0.01, 0.5))
    return {
        "k": pick(data, st.integers(1, 3), valid=valid),
        "permutations": pick(data, st.integers(0, 49), valid=valid),
        "seed": data.draw(seed if valid else st.one_of(seed, junk())),
        "fdr": data.draw(rate if valid else st.one_of(rate, junk())),
        "alpha": pick(data, st.floats(0.01, 0.5), valid=valid),
    }


def _local(data, valid, fn):
    gdf = data.draw(places(valid=valid))
    kwargs = _inference(data, valid)
    column = "y" if valid else data.draw(st.sampled_from(["y", "y", "nope", ["y"], None]))
    if fn is stats.getis_ord:
        kwargs["star"] = data.draw(st.sampled_from([True, False] + ([] if valid else ["yes", 1])))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = outcome(fn, gdf, column, **kwargs)
    scalars = {k: v for k, v in kwargs.items() if k != "star"}
    bad = [k for k, v in scalars.items() if clearly_bad(v, none_ok=k in ("seed", "fdr"))]
    if bad or column != "y" or kwargs.get("star") not in (None, True, False):
        assert isinstance(res, Refused), f"accepted {bad or column or kwargs['star']}"
    if isinstance(res, Refused):
        return res
    assert res.index.equals(gdf.index)
    stat = "I" if fn is stats.local_moran else "G"
    assert_numbers(res[stat], stat)  # refused data aside, no islands with KNN: all numbers
    assert_numbers(res["p_sim"], "p_sim", allow_nan=True)
    perms = int(kwargs["permutations"])
    if perms:
        p = res["p_sim"].to_numpy()
        assert np.isfinite(p).all(), "p_sim is NaN although every observation has neighbours"
        assert ((p >= 1 / (perms + 1) - 1e-12) & (p <= 1)).all()
    else:
        assert res["p_sim"].isna().all()
    assert res["significant"].dtype == bool
    if fn is stats.getis_ord:
        assert_numbers(res["z"], "z", allow_nan=True)  # NaN where documented (degenerate moments)
    return res


def _fdr(data, valid):
    good = st.lists(st.one_of(st.floats(0, 1), st.just(np.nan)), max_size=20)
    bad = st.one_of(st.lists(st.one_of(st.floats(-1, 2), junk()), max_size=5), junk())
    p = data.draw(good if valid else st.one_of(good, bad))
    alpha = pick(data, st.floats(0.001, 0.5), valid=valid)
    res = outcome(stats.fdr, p, alpha)
    if isinstance(res, Refused):
        return res
    arr = np.asarray(p, dtype=float)
    assert res.shape == arr.shape
    assert res.dtype == bool
    assert (arr[res] <= float(alpha)).all()  # a discovery never exceeds the level
    return res


def _markov(data, valid):
    n = data.draw(st.integers(5, 8) if valid else st.integers(0, 6))
    t = data.draw(st.integers(3, 5) if valid else st.integers(0, 5))
    ids = [f"m{i}" for i in range(n)]
    good = st.floats(1.0, 1e6)
    value = good if valid else st.one_of(good, good, ODD, st.floats(-1, 0))
    rows = [(m, 2000 + 5 * j, data.draw(value)) for m in ids for j in range(t)]
    panel = pd.DataFrame(rows, columns=["metro_id", "year", "population"])
    panel["year"] = panel["year"].astype(np.int64)
    if rows and not valid and data.draw(st.booleans()):
        panel = panel.drop(index=data.draw(st.integers(0, len(panel) - 1)))
    rng = np.random.default_rng(n)
    metros = gpd.GeoDataFrame(
        {"metro_id": ids},
        geometry=gpd.points_from_xy(rng.uniform(0, 20, n), rng.uniform(30, 50, n)),
        crs=4326,
    )
    kwargs = {
        "k": pick(data, st.integers(2, 3), valid=valid),
        "neighbours": pick(data, st.integers(1, 4), valid=valid),
        "relative": data.draw(st.sampled_from([True, False] + ([] if valid else ["yes"]))),
        "metros": metros,
    }
    if not valid and data.draw(st.booleans()):
        kwargs["years"] = data.draw(
            st.one_of(st.lists(st.integers(1995, 2030), max_size=4), junk())
        )
    res = outcome(stats.spatial_markov, panel, **kwargs)
    if isinstance(res, Refused):
        return res
    k = int(kwargs["k"])
    assert res.P.shape == (k, k, k)
    assert_numbers(res.y, "y")
    assert_numbers(res.p, "p")
    rows_p = res.p.sum(axis=1)
    assert np.all(np.isclose(rows_p, 1.0) | (rows_p == 0))
    return res


def _dominant(data, valid):
    n = data.draw(st.integers(1, 8) if valid else sizes(8))
    good_cell = st.floats(0.0, 1e3)
    cell = good_cell if valid else st.one_of(good_cell, good_cell, ODD, st.floats(-5, 0))
    mat = np.asarray(
        data.draw(st.lists(st.lists(cell, min_size=n, max_size=n), min_size=n, max_size=n)),
        dtype=float,
    ).reshape(n, n)
    good = st.lists(st.floats(0.0, 1e6), min_size=n, max_size=n)
    bad = st.one_of(st.lists(st.one_of(st.floats(0.0, 1e6), ODD), min_size=n, max_size=n), junk())
    size = data.draw(good if valid else st.one_of(good, bad))
    shape = data.draw(st.sampled_from(["matrix", "table", "series"]))
    if shape == "matrix":
        res = outcome(stats.dominant_flows, mat, size)
    else:
        ids = pd.Index([f"p{i}" for i in range(n)])
        o, d = np.divmod(np.arange(n * n), max(n, 1))
        long = pd.DataFrame({"origin": ids[o], "destination": ids[d], "flow": mat.ravel()})
        repeated = pd.Index([f"p{i // 2}" for i in range(n)])
        labels = ids if valid or data.draw(st.booleans()) else repeated
        s = pd.Series(size, index=labels) if np.ndim(size) == 1 and len(size) == n else size
        res = outcome(stats.dominant_flows, long if shape == "table" else mat, s)
    if isinstance(res, Refused):
        return res
    assert len(res) == n
    assert (res["depth"] >= 0).all()
    roots = res["root"].to_numpy()
    assert res["is_root"].to_numpy()[roots].all()
    assert_numbers(res["largest_flow"], "largest_flow")
    return res


TARGETS = {
    "weights": _weights,
    "local_moran": lambda data, valid: _local(data, valid, stats.local_moran),
    "getis_ord": lambda data, valid: _local(data, valid, stats.getis_ord),
    "fdr": _fdr,
    "spatial_markov": _markov,
    "dominant_flows": _dominant,
}


@FUZZ
@given(name=st.sampled_from(sorted(TARGETS)), valid=st.booleans(), data=st.data())
def test_stats_functions_return_valid_results_or_geoai_errors(name, valid, data):
    """Half the cases draw only valid arguments (checked results), half mix in junk."""
    got = TARGETS[name](data, valid)
    event(f"{name}: {'refused' if isinstance(got, Refused) else 'result'}")
