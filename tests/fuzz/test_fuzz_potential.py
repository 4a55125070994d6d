"""Fuzz geoai.potential and geoai.Grid: a valid result or a geoai error, never another exception.

Two families, 300 generated cases each (``FUZZ``): the potential functions
(``surface``, ``dominance``, ``at_points``, ``from_raster`` on tiny grids of
0-12 masses) and the grid (``Grid.from_bounds``, the constructor, and the
methods of what they return). Arguments are valid most of the time and
otherwise drawn from junk; an argument known to be invalid must be refused.
A result must keep the documented promises: the grid's shape, finite
potentials >= 0 (bounded by the total mass for decays with f <= 1), Huff
probabilities in [0, 1] and dominant positions in range.
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from hypothesis import event, given
from hypothesis import strategies as st

from geoai import Grid
from geoai import potential as P  # noqa: N812 - P, the potential's usual symbol
from geoai.grid import MAX_SIDE
from tests.fuzz._harness import FUZZ, Refused, assert_numbers, junk, numbers, outcome, sizes

#: (crs, lon/x range, lat/y range) of the places and grids drawn.
FRAMES = {
    "EPSG:4326": ((-20.0, 40.0), (30.0, 65.0)),
    "EPSG:3035": ((3.0e6, 5.0e6), (2.0e6, 4.0e6)),
}
#: Arguments that are certainly wrong (each must be refused).
BAD_SCALES = [math.nan, -1.0, 0.0, math.inf, "300", None, True, [1, 2], 10**5000]
BAD_DECAYS = ["exponentail", "Power", "", None, 3]
BAD_METHODS = ["fftt", "DIRECT", None, 1]
BAD_DTYPES = ["int8", "complex128", [1, 2], "no-such-type"]


def pick(draw: st.DrawFn, good: st.SearchStrategy[Any], bad: list[Any]) -> tuple[Any, bool]:
    """A value: 90 % ``good``, 5 % certainly ``bad`` (must be refused), 5 % any junk."""
    roll = draw(st.integers(0, 19))
    if roll < 18:
        return draw(good), False
    if roll == 18:
        return draw(st.sampled_from(bad)), True
    return draw(junk()), False


@st.composite
def places(draw: st.DrawFn, crs: str) -> gpd.GeoDataFrame:
    """0-12 places inside the frame of ``crs``, with a column ``w`` of masses."""
    n = draw(sizes())
    (x0, x1), (y0, y1) = FRAMES[crs]
    x = draw(st.lists(st.floats(x0, x1), min_size=n, max_size=n))
    y = draw(st.lists(st.floats(y0, y1), min_size=n, max_size=n))
    w = draw(st.lists(st.one_of(st.floats(1.0, 1e6), st.just(0.0)), min_size=n, max_size=n))
    labels = draw(st.sampled_from(["range", "names", "shuffled"]))
    index: Any = range(n) if labels == "range" else [f"p{i}" for i in range(n)]
    if labels == "shuffled":
        index = list(draw(st.permutations(index)))
    return gpd.GeoDataFrame(
        {"w": w}, geometry=gpd.points_from_xy(x, y), crs=crs, index=pd.Index(index)
    )


@st.composite
def grids(draw: st.DrawFn, crs: str) -> Grid:
    """A grid of 1-8 × 1-8 cells inside the frame of ``crs``."""
    (x0, x1), (y0, y1) = FRAMES[crs]
    xmin = draw(st.floats(x0, x1))
    ymin = draw(st.floats(y0, y1))
    res = draw(st.floats((x1 - x0) / 400, (x1 - x0) / 20))
    w, h = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    return Grid.from_bounds((xmin, ymin, xmin + w * res, ymin + h * res), res, crs=crs)


@st.composite
def weights(draw: st.DrawFn, pts: gpd.GeoDataFrame) -> tuple[Any, bool]:
    """Masses for ``pts`` and whether they are certainly invalid."""
    n = len(pts)
    kind = draw(
        st.sampled_from(["column", "array", "series", "series_shuffled"] * 4 + ["bad", "junk"])
    )
    if kind == "column":
        return "w", n == 0
    if kind == "array":
        return pts["w"].to_numpy(), n == 0
    if kind == "series":
        return pts["w"], n == 0
    if kind == "series_shuffled":
        return pts["w"].sample(frac=1.0, random_state=draw(st.integers(0, 9))), n == 0
    if kind == "bad":
        bad = draw(st.sampled_from(["nan", "negative", "length", "overflow", "missing", "text"]))
        w = pts["w"].to_numpy().copy()
        if bad == "length":
            return np.append(w, 1.0), True
        if bad == "missing":
            return "no_such_column", True
        if bad == "text":
            return ["a"] * n, True
        if n == 0:
            return w, True
        w[draw(st.integers(0, n - 1))] = {"nan": math.nan, "negative": -1.0, "overflow": 1e308}[bad]
        if bad == "overflow":
            w[:] = 1e308  # the sum overflows (one 1e308 alone is a valid mass)
            return w, n >= 2
        return w, True
    return draw(junk()), False


def _model(draw: st.DrawFn) -> tuple[dict[str, Any], bool]:
    """Decay keywords and whether they are certainly invalid."""
    decay, bad_decay = pick(draw, st.sampled_from(P.DECAYS), BAD_DECAYS)
    if bad_decay:
        return {"decay": decay, "scale_km": 100.0}, True
    scale, certainly_bad = pick(draw, st.floats(20.0, 3000.0), BAD_SCALES)
    if decay == "power":  # an exponent near 1-3 from a scale of 20-3000
        good = isinstance(scale, float) and not certainly_bad and 20.0 <= scale <= 3000.0
        return {"decay": decay, "beta": scale / 1000 if good else scale}, certainly_bad
    return {"decay": decay, "scale_km": scale}, certainly_bad


def _check_surface(out: Any, grid: Grid, total: float, decay: str) -> None:
    assert out.shape == grid.shape
    assert_numbers(out.to_numpy(), "surface")
    assert (out.to_numpy() >= 0).all()
    if decay != "power":  # f <= 1: no cell exceeds the total mass
        assert out.to_numpy().max() <= total * (1 + 1e-9) + 1e-300
    assert out.attrs["method"] in P.METHODS


def _check_dominance(ds: Any, grid: Grid, n: int, total: float, decay: str) -> None:
    _check_surface(ds.potential, grid, total, decay)
    dom = ds.dominant.to_numpy()
    prob = ds.probability.to_numpy()
    assert ((dom >= -1) & (dom < n)).all()
    assert_numbers(prob[dom >= 0], "probability")
    assert ((prob[dom >= 0] >= 0) & (prob[dom >= 0] <= 1 + 1e-12)).all()
    assert ds.centre_id.size == n


@FUZZ
@given(st.data())
def test_fuzz_potential(data: st.DataObject) -> None:
    draw = data.draw
    fn = draw(st.sampled_from(["surface", "dominance", "at_points", "from_raster"]))
    crs = draw(st.sampled_from(list(FRAMES)))
    grid = draw(grids(crs))
    model, bad = _model(draw)
    if fn == "from_raster":
        values = draw(st.lists(st.floats(0, 1e4), min_size=grid.n_cells, max_size=grid.n_cells))
        arr = np.array(values).reshape(grid.shape)
        spoil = draw(st.sampled_from(["none"] * 8 + ["nan", "negative", "inf", "zeros"]))
        if spoil != "none":
            arr.flat[0] = {"nan": np.nan, "negative": -1.0, "inf": np.inf, "zeros": 0.0}[spoil]
            if spoil == "zeros":
                arr[:] = 0.0
            bad = bad or spoil in ("negative", "inf", "zeros")
        band, bad_band = pick(draw, st.just(1), [0, -1, 1.5, "1", None])
        bad = bad or bad_band
        result = outcome(P.from_raster, grid.to_xarray(arr), band=band, **model)
        event(f"{fn}: {'refused' if isinstance(result, Refused) else 'result'}")
        if bad:
            assert isinstance(result, Refused), result
        elif not isinstance(result, Refused):
            total = float(np.nansum(arr))
            _check_surface(result, grid, total, model["decay"])
        return
    pts = draw(places(crs))
    w, bad_w = draw(weights(pts))
    bad = bad or bad_w or len(pts) == 0
    if fn == "at_points":
        result = outcome(P.at_points, pts, w, **model)
    else:
        method, bad_method = pick(draw, st.sampled_from(P.METHODS), BAD_METHODS)
        dtype, bad_dtype = pick(draw, st.sampled_from(["float64", "float32"]), BAD_DTYPES)
        rtol, bad_rtol = pick(draw, st.sampled_from([1e-6, 0.0, 1e-3]), [-1.0, 1.0, "0", None])
        other = {"method": method, "dtype": dtype, "rtol": rtol}
        bad = bad or bad_method or bad_dtype or bad_rtol
        if draw(st.booleans()):
            other["cutoff_km"], bad_cut = pick(draw, st.floats(50.0, 5000.0), [-1.0, "x", 0])
            bad = bad or bad_cut
        result = outcome(getattr(P, fn), pts, w, grid, **model, **other)
    event(f"{fn}: {'refused' if isinstance(result, Refused) else 'result'}")
    if bad:
        assert isinstance(result, Refused), result
        return
    if isinstance(result, Refused):
        return
    total = float(pts["w"].sum())
    if fn == "at_points":
        assert result.shape == (len(pts),)
        assert_numbers(result, "at_points")
        if model["decay"] != "power":  # the own mass counts in full
            own = pts["w"].to_numpy() if isinstance(w, str) else None
            if own is not None:
                assert (result >= own * (1 - 1e-12)).all()
    elif fn == "surface":
        _check_surface(result, grid, total, model["decay"])
    else:
        _check_dominance(result, grid, len(pts), total, model["decay"])


# --- the grid -------------------------------------------------------------------------------

BAD_CRS = [None, "junk", "EPSG:999999", 4.5, [4326]]


@st.composite
def bounds_and_resolution(draw: st.DrawFn, crs: Any) -> tuple[Any, Any, bool]:
    """Bounds and resolution for ``crs`` and whether they are certainly invalid."""
    frame = FRAMES.get(crs if isinstance(crs, str) else "", FRAMES["EPSG:4326"])
    (x0, x1), (y0, y1) = frame
    xmin, ymin = draw(st.floats(x0, x1)), draw(st.floats(y0, y1))
    k = draw(st.integers(1, 30))
    res = (x1 - x0) / draw(st.integers(10, 2000))
    bounds: Any = (xmin, ymin, xmin + k * res, ymin + draw(st.integers(1, 30)) * res)
    bad = False
    spoil = draw(st.sampled_from(["none"] * 7 + ["bound", "res", "junk"]))
    if spoil == "bound":
        b = list(bounds)
        b[draw(st.integers(0, 3))] = draw(st.sampled_from(["0", math.nan, math.inf, None]))
        bounds, bad = tuple(b), True
    elif spoil == "res":
        res, bad = draw(st.sampled_from([math.nan, -1.0, 0.0, "1", True, None, (1.0,)])), True
    elif spoil == "junk":
        bounds = draw(st.one_of(junk(), st.just(bounds)))
        res = draw(numbers(good=st.just(res)))
    return bounds, res, bad


def _check_grid(g: Grid) -> None:
    assert isinstance(g.width, int)
    assert 1 <= g.width <= MAX_SIDE
    assert 1 <= g.height <= MAX_SIDE
    assert g.res[0] > 0
    assert g.res[1] > 0
    assert_numbers(g.bounds, "bounds")
    assert g.n_cells == g.width * g.height
    if g.is_geographic:
        assert g.bounds[1] >= -90
        assert g.bounds[3] <= 90 + g.res[1]
    area = g.cell_area_km2() if g.height < 10**6 else None
    if area is not None:
        assert area.shape == (g.height,)
        assert_numbers(area, "cell areas")
        assert (area >= 0).all()


@FUZZ
@given(st.data())
def test_fuzz_grid(data: st.DataObject) -> None:
    draw = data.draw
    crs, bad_crs = pick(draw, st.sampled_from(list(FRAMES)), BAD_CRS)
    way = draw(st.sampled_from(["from_bounds", "from_bounds", "constructor"]))
    if way == "from_bounds":
        bounds, res, bad = draw(bounds_and_resolution(crs))
        g = outcome(Grid.from_bounds, bounds, res, crs=crs)
        if not isinstance(g, Refused) and not isinstance(bounds, tuple | list):
            bad = True  # junk bounds can only be refused
    else:
        width, bad_w = pick(draw, st.integers(1, 50), [0, -1, 1.5, "2", None, MAX_SIDE + 1])
        height, bad_h = pick(draw, st.integers(1, 50), [0, -3, 2.5, "2", None, math.nan])
        a = draw(st.floats(0.01, 2.0))
        transform, bad_t = pick(
            draw,
            st.just(Affine(a, 0, -10.0, 0, -a, 50.0)),
            [
                Affine(1.0, 0.5, 0, 0, -1.0, 50.0),
                Affine(1.0, 0, 0, 0, 1.0, 0.0),
                Affine(-1.0, 0, 0, 0, -1.0, 0.0),
                Affine(math.nan, 0, 0, 0, -1.0, 0.0),
                None,
                "affine",
            ],
        )
        bad = bad_w or bad_h or bad_t
        g = outcome(Grid, width, height, transform, crs)
    event(f"{way}: {'refused' if isinstance(g, Refused) else 'result'}")
    if bad or bad_crs:
        assert isinstance(g, Refused), g
        return
    if isinstance(g, Refused):
        return
    _check_grid(g)
    _exercise_methods(g, draw)


def _exercise_methods(g: Grid, draw: st.DrawFn) -> None:
    """Call the grid's methods with drawn arguments: results or geoai errors."""
    nbytes = outcome(g.nbytes, draw(st.sampled_from(["float32", "uint8", "no-type", None, 3])))
    if not isinstance(nbytes, Refused):
        assert nbytes >= g.n_cells
    km = outcome(lambda: g.km_per_unit)
    assert isinstance(km, Refused) == g.is_geographic
    if g.n_cells <= 10_000:
        x, y = g.cell_centers()
        assert x.shape == (g.width,)
        assert y.shape == (g.height,)
        assert (np.diff(x) > 0).all()
        assert (np.diff(y) < 0).all()
        fill = draw(numbers(good=st.floats(-1e6, 1e6)))
        da = outcome(g.to_xarray, fill=fill)
        if not isinstance(da, Refused):
            assert da.shape == g.shape
            back = Grid.like(da)  # through rioxarray's coordinates: equal up to rounding
            assert back.shape == g.shape
            np.testing.assert_allclose(back.bounds, g.bounds, rtol=1e-9, atol=1e-9 * g.res[0])
