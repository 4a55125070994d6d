"""Bad input to geoai.flows becomes a geoai error that names the argument and the fix.

Each test is a case that used to give a silent wrong answer (or a library
traceback): misaligned pandas Series, lon/lat labelled with a projected CRS,
NaN or negative parameters, truncated counts, coincident places under a power
decay, shuffled rows in to_lines, a calibration that cannot identify its
coefficient, and own distances of the wrong length.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geoai import CRSError, InputError, flows
from geoai import _validate as v
from geoai._geodesy import kernel_points

EXP = {"decay": "exponential", "scale_km": 300.0}


def places(n=6, seed=1, crs=4326):
    """``n`` places in lon/lat around Europe, indexed by name, with a metro_id column."""
    rng = np.random.default_rng(seed)
    names = [f"m{i}" for i in range(n)]
    gdf = gpd.GeoDataFrame(
        {"metro_id": names, "population": rng.lognormal(13, 1, n)},
        geometry=gpd.points_from_xy(rng.uniform(-5, 25, n), rng.uniform(38, 58, n)),
        crs=4326,
        index=pd.Index(names, name="name"),
    )
    return gdf if crs == 4326 else gdf.to_crs(crs)


# --- pandas Series are aligned by label, never used by position by surprise -------------------


@given(st.permutations(range(6)))
def test_shuffled_series_gives_the_numbers_of_the_ordered_array(perm):
    pts = places()
    mass = pts["population"]
    shuffled = mass.iloc[list(perm)]
    ref = flows.aggregate(pts, mass.to_numpy(), 2 * mass.to_numpy(), **EXP, top_k=2)
    got = flows.aggregate(pts, shuffled, 2 * shuffled, **EXP, top_k=2)
    np.testing.assert_allclose(got.outflow, ref.outflow, rtol=1e-12)
    np.testing.assert_allclose(got.inflow, ref.inflow, rtol=1e-12)
    np.testing.assert_array_equal(got.top_index, ref.top_index)
    if list(perm) != sorted(perm):  # used by position, the shuffled values would differ
        by_position = flows.aggregate(pts, shuffled.to_numpy(), 2 * shuffled.to_numpy(), **EXP)
        assert not np.allclose(by_position.outflow, ref.outflow)


@given(st.permutations(range(6)))
def test_shuffled_series_in_radiation_balance_and_interaction(perm):
    pts = places()
    mass = pts["population"]
    shuffled = mass.iloc[list(perm)]
    np.testing.assert_allclose(
        flows.radiation(pts, shuffled), flows.radiation(pts, mass.to_numpy()), rtol=1e-12
    )
    res = flows.balance_matrix_free(pts, shuffled, shuffled, **EXP)
    np.testing.assert_allclose(res.outflows, mass.to_numpy())
    cost = pd.DataFrame(flows.cost_matrix(pts), index=pts.index, columns=pts.index)
    t = flows.interaction(shuffled, shuffled, cost, **EXP, constraint="production")
    np.testing.assert_allclose(t.sum(axis=1), mass.to_numpy(), rtol=1e-12)


def test_series_with_other_labels_is_refused_naming_them():
    pts = places()
    other = pd.Series(pts["population"].to_numpy(), index=[f"x{i}" for i in range(6)])
    with pytest.raises(InputError, match=r"mass_o is a pandas Series whose index") as info:
        flows.aggregate(pts, other, **EXP)
    assert "'m0'" in str(info.value)  # a point label without a value
    assert "'x0'" in str(info.value)  # a label that is no point
    assert "reindex" in str(info.value)  # the fix


def test_default_range_index_is_positional_and_arrays_stay_positional():
    pts = places()
    plain = pd.Series(pts["population"].to_numpy())  # RangeIndex: no labels to align
    np.testing.assert_array_equal(
        flows.aggregate(pts, plain, **EXP).outflow,
        flows.aggregate(pts, pts["population"].to_numpy(), **EXP).outflow,
    )
    idx = pd.Index(["a", "b"])
    assert v.as_mass(np.array([1.0, 2.0]), "w", index=idx).tolist() == [1.0, 2.0]
    with pytest.raises(InputError, match="repeated index labels"):
        v.as_mass(pd.Series([1.0, 2.0], index=["a", "a"]), "w", index=idx)
    with pytest.raises(InputError, match="3 values but 2 points"):
        v.as_mass(pd.Series([1.0, 2.0, 3.0], index=["a", "b", "c"]), "w", n=2, index=idx)


# --- coordinates are checked against their CRS ------------------------------------------------


@pytest.mark.parametrize("crs", ["EPSG:3857", "ESRI:54009", "EPSG:3035", "EPSG:32633"])
def test_lonlat_with_a_projected_crs_is_a_crs_error(crs):
    pts = places()
    mislabelled = pts.set_crs(crs, allow_override=True)
    with pytest.raises(CRSError, match="look like longitude/latitude") as info:
        flows.aggregate(mislabelled, pts["population"], **EXP)
    message = str(info.value)
    assert mislabelled.crs.name in message  # the CRS it was given
    assert "EPSG:4326" in message  # the one it probably is: the fix
    lon, lat = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
    with pytest.raises(CRSError, match="crs='EPSG:4326'"):
        flows.cost_matrix((lon, lat), crs=crs)


def test_real_projected_data_is_never_taken_for_degrees():
    for crs in ("EPSG:3857", "ESRI:54009", "EPSG:3035", "EPSG:32633"):
        pts = places(crs=crs)
        assert flows.cost_matrix(pts).shape == (6, 6)
    # a single point, or one repeated, has no extent to judge
    one = gpd.GeoDataFrame(geometry=gpd.points_from_xy([10.0], [50.0]), crs=3857)
    assert v.as_coords(one)[0].tolist() == [10.0]
    # stations within 100 m of the South Pole in the Antarctic polar stereographic CRS
    pole = ([-80.0, 40.0, 95.0], [60.0, -30.0, 10.0])
    assert kernel_points(pole, crs="EPSG:3031").n == 3
    # a local CRS without an area of use (an engineering grid around a site)
    local = "+proj=aeqd +lat_0=52.5 +lon_0=13.4 +ellps=WGS84 +units=m +no_defs"
    assert kernel_points(([0.0, 50.0, 120.0], [0.0, 30.0, -60.0]), crs=local).n == 3


def test_geographic_crs_with_metres_is_still_refused():
    with pytest.raises(CRSError, match="outside longitude/latitude range"):
        flows.cost_matrix(([5e5, 6e5], [4e6, 4.1e6]), crs=4326)


# --- parameters are range-checked -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"alpha": np.nan}, "alpha"),
        ({"gamma": np.inf}, "gamma"),
        ({"k": -1.0}, "k"),
        ({"k": 0.0}, "k"),
        ({"alpha": "1"}, "alpha"),
        ({"top_k": -1}, "top_k"),
        ({"top_k": 2.7}, "top_k"),
        ({"top_k": True}, "top_k"),
        ({"top_k": np.nan}, "top_k"),
    ],
)
def test_aggregate_parameters(kwargs, argument):
    pts = places()
    with pytest.raises(InputError, match=rf"^{argument} must be"):
        flows.aggregate(pts, pts["population"], **EXP, **kwargs)


def test_fractional_top_k_names_the_neighbouring_integers():
    pts = places()
    with pytest.raises(InputError, match=r"got 2\.7, which would be truncated.*e\.g\. 2 or 3"):
        flows.aggregate(pts, pts["population"], **EXP, top_k=2.7)
    whole = flows.aggregate(pts, pts["population"], **EXP, top_k=3.0)
    assert whole.top_index.shape == (6, 3)
    assert flows.aggregate(pts, pts["population"], **EXP, top_k=np.int32(3)).top_index.shape[1] == 3


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"alpha": np.nan}, "alpha"),
        ({"k": -2.0}, "k"),
        ({"tol": 0.0}, "tol"),
        ({"max_iter": 0}, "max_iter"),
        ({"max_iter": 10.5}, "max_iter"),
    ],
)
def test_interaction_parameters(kwargs, argument):
    cost = np.array([[np.inf, 10.0], [10.0, np.inf]])
    with pytest.raises(InputError, match=rf"^{argument} must be"):
        flows.interaction([1.0, 2.0], [1.0, 2.0], cost, **EXP, **kwargs)


def test_negative_exponent_on_a_zero_mass_is_refused():
    cost = np.array([[np.inf, 10.0], [10.0, np.inf]])
    with pytest.raises(
        InputError, match=r"alpha=-1 is negative but mass_o is 0 at positions \[1\]"
    ):
        flows.interaction([1.0, 0.0], [1.0, 2.0], cost, **EXP, alpha=-1.0)


def test_misspelt_option_gets_a_suggestion():
    with pytest.raises(InputError, match=r"decay='exponentail'.*Did you mean 'exponential'\?"):
        flows.aggregate(places(), places()["population"], decay="exponentail", scale_km=300)
    with pytest.raises(InputError, match=r"Did you mean 'production'\?"):
        flows.interaction([1.0], [1.0], [[1.0]], **EXP, constraint="Production")
    with pytest.raises(InputError, match=r"expected one of 'a', 'b'\.$"):
        v.check_choice("zzz", ("a", "b"), "kind")  # nothing close: no guess
    with pytest.raises(InputError, match="unknown storage"):
        flows.balance_matrix_free(places(), [1.0] * 6, [1.0] * 6, **EXP, storage=np.array([1, 2]))


def test_check_integer_and_finite_number():
    assert v.check_integer(np.int64(4), "n", minimum=0) == 4
    assert v.check_integer(5.0, "n") == 5
    for bad in (True, np.bool_(0), 1.5, np.nan, np.inf, "3", None, [1]):
        with pytest.raises(InputError, match=r"^n must be a whole number"):
            v.check_integer(bad, "n")
    with pytest.raises(InputError, match="n must be <= 3; got 4"):
        v.check_integer(4, "n", maximum=3)
    assert v.check_finite_number(np.float32(0.25), "x") == 0.25
    for bad in (np.nan, -np.inf, True, "1", None):
        with pytest.raises(InputError, match=r"^x must be a finite number"):
            v.check_finite_number(bad, "x")


# --- places at one location under a decay that is infinite at distance 0 -----------------------


def test_duplicate_points_with_power_decay_are_refused():
    pts = places()
    dup = pd.concat([pts, pts.iloc[[2]].rename(index={"m2": "copy"})])
    dup["metro_id"] = dup.index
    mass = dup["population"]
    for call in (
        lambda: flows.aggregate(dup, mass, decay="power", beta=2.0),
        lambda: flows.aggregate(dup, mass, decay="tanner", beta=(-0.5, 0.01)),
        lambda: flows.balance_matrix_free(dup, mass, mass, decay="power", beta=1.0),
    ):
        with pytest.raises(InputError, match=r"positions \[2, 6\].*infinite at distance 0") as e:
            call()
        assert "drop_duplicates" in str(e.value)
    finite = flows.aggregate(dup, mass, **EXP)  # finite at 0: duplicates are fine
    assert np.isfinite(finite.outflow).all()


# --- to_lines -----------------------------------------------------------------------------------


@pytest.mark.parametrize("top", [-5, 2.5, np.nan, "10"])
def test_to_lines_top_must_be_a_count(top):
    pts = places()
    agg = flows.aggregate(pts, pts["population"], **EXP, top_k=2)
    with pytest.raises(InputError, match=r"^top must be"):
        flows.to_lines(agg, pts, top=top)


@given(st.permutations(range(6)))
def test_to_lines_aligns_shuffled_metros_by_id(perm):
    pts = places()
    agg = flows.aggregate(pts, pts["population"], **EXP, top_k=3)
    want = flows.to_lines(agg, pts, top=None)
    got = flows.to_lines(agg, pts.iloc[list(perm)], top=None)
    pd.testing.assert_frame_equal(
        got.drop(columns="geometry"), want.drop(columns="geometry"), check_like=True
    )
    assert got.geometry.geom_equals(want.geometry).all()
    mass = pts["population"]
    matrix = flows.interaction(mass, mass, flows.cost_matrix(pts), **EXP, constraint="production")
    wide = pd.DataFrame(matrix, index=pts["metro_id"], columns=pts["metro_id"])
    by_label = flows.to_lines(wide.iloc[list(perm), list(perm)[::-1]], pts.iloc[list(perm)], top=5)
    by_position = flows.to_lines(matrix, pts, top=5)
    cols = ["origin", "destination", "flow"]
    pd.testing.assert_frame_equal(by_label[cols], by_position[cols])


def test_to_lines_refuses_other_places_and_bad_tables():
    pts = places()
    agg = flows.aggregate(pts, pts["population"], **EXP, top_k=2)
    other = pts.assign(metro_id=[f"z{i}" for i in range(6)])
    with pytest.raises(InputError, match=r"ids do not match metros' ids.*id_column="):
        flows.to_lines(agg, other)
    with pytest.raises(InputError, match=r"metros\['metro_id'\] must be unique"):
        flows.to_lines(agg, pts.assign(metro_id=["a"] * 6))
    with pytest.raises(InputError, match="metros must be a GeoDataFrame"):
        flows.to_lines(agg, pd.DataFrame(pts.drop(columns="geometry")))
    table = pd.DataFrame({"origin": ["m0"], "destination": ["m1"], "flow": ["many"]})
    with pytest.raises(InputError, match="flow column must be numeric"):
        flows.to_lines(table, pts)
    with pytest.raises(InputError, match="needs columns origin, destination, flow"):
        flows.to_lines(pd.DataFrame({"a": [1]}), pts)
    with pytest.raises(InputError, match=r"^min_flow must be a finite number"):
        flows.to_lines(agg, pts, min_flow=np.nan)


# --- calibration --------------------------------------------------------------------------------


def _od(n_o, n_d):
    o, d = np.meshgrid(np.arange(n_o), np.arange(10, 10 + n_d), indexing="ij")
    km = 10.0 + 7.0 * np.abs(o - d + 10).ravel() + np.arange(o.size)
    return pd.DataFrame({"o": o.ravel(), "d": d.ravel(), "km": km, "y": 100.0 * km**-1.2})


@pytest.mark.parametrize(
    ("n_o", "n_d", "constraint"),
    [(1, 4, "doubly"), (4, 1, "doubly"), (3, 1, "production"), (1, 3, "attraction")],
)
def test_calibration_that_cannot_identify_the_cost_is_refused(n_o, n_d, constraint):
    df = _od(n_o, n_d)
    with pytest.raises(InputError, match=rf"constraint='{constraint}' needs at least 2") as e:
        flows.calibrate(df, flow="y", origin="o", destination="d", cost="km", constraint=constraint)
    assert "constraint='none'" in str(e.value)  # the fix


def test_calibration_identified_when_there_are_two_of_each():
    fit = flows.calibrate(
        _od(3, 3), flow="y", origin="o", destination="d", cost="km", constraint="doubly"
    )
    assert fit.coef["km"] == pytest.approx(-1.2, rel=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tol": -1.0}, "^tol must be"),
        ({"max_iter": 2.5}, "^max_iter must be a whole number"),
        ({"dest_vars": "km"}, r"dest_vars must be a list of column names.*\['km'\]"),
        ({"constraint": "doubley"}, "Did you mean 'doubly'"),
        ({"flow": ["y"]}, r"no column \['y'\]"),
    ],
)
def test_calibration_arguments(kwargs, message):
    args = {"flow": "y", "origin": "o", "destination": "d", "cost": "km", **kwargs}
    with pytest.raises(InputError, match=message):
        flows.calibrate(_od(3, 3), **args)
    with pytest.raises(InputError, match="df must be a pandas DataFrame"):
        flows.calibrate(_od(3, 3).to_dict(), flow="y", origin="o", destination="d", cost="km")


# --- own distances ------------------------------------------------------------------------------


def test_cost_matrix_own_distance_length_is_an_input_error():
    pts = places()
    with pytest.raises(InputError, match=r"own_distance has shape \(2,\) but there are 6 points"):
        flows.cost_matrix(pts, own_distance=[1.0, 2.0])
    with pytest.raises(InputError, match="own_distance must be > 0 km"):
        flows.cost_matrix(pts, own_distance=[1.0, 2.0, 0.0, 1.0, 1.0, 1.0])
    with pytest.raises(InputError, match="own_distance must be a number"):
        flows.aggregate(pts, pts["population"], **EXP, own_distance=["near"] * 6)
    own = pd.Series(np.arange(1.0, 7.0), index=pts.index)[::-1]  # aligned by label
    np.testing.assert_array_equal(
        np.diag(flows.cost_matrix(pts, own_distance=own)), np.arange(1, 7)
    )


def test_toy_metres_near_a_regional_false_origin_are_not_degrees():
    # 0-100 m in the Finnish TM35FIN: read as lon/lat they would lie off West Africa, outside
    # the CRS's area of use, so nothing says they are degrees (the nodes_to_raster example)
    toy = gpd.GeoSeries(gpd.points_from_xy([0.0, 50.0, 100.0], [0.0, 0.0, 0.0]), crs="EPSG:3067")
    km = flows.cost_matrix(toy)
    assert km[0, 2] == pytest.approx(0.1)


# --- fuzz finds: mass overflow and huge ints ---------------------------------------------------


@pytest.mark.parametrize("mass", [1e300, 1e101])
def test_masses_that_would_overflow_the_kernels_are_refused(mass):
    """Before: masses of 1e300 overflowed to inf inside the kernels (a RuntimeWarning, then NaN)."""
    pts = places(4)
    big = np.full(4, mass)
    for call in (
        lambda: flows.aggregate(pts, big, **EXP),
        lambda: flows.radiation(pts, big),
        lambda: flows.balance_matrix_free(pts, big, big, **EXP),
        lambda: flows.interaction(big, big, flows.cost_matrix(pts), **EXP),
    ):
        with pytest.raises(InputError, match="beyond 1e\\+100") as info:
            call()
        assert "Rescale" in str(info.value)  # the fix


def test_exponents_that_would_overflow_name_alpha_and_gamma():
    pts = places(4)
    with pytest.raises(InputError, match=r"mass_o\*\*alpha \* mass_d\*\*gamma reaches 1e"):
        flows.aggregate(pts, np.full(4, 1e40), alpha=6.0, **EXP)
    ok = flows.aggregate(pts, np.full(4, 1e40), alpha=2.0, **EXP)  # 1e80 * 1e40: fine
    assert np.isfinite(ok.outflow).all()


def test_a_huge_int_as_flows_is_an_input_error():
    """Fuzz find: to_lines(10**5000, metros) raised OverflowError from numpy."""
    with pytest.raises(InputError, match="flows must be an"):
        flows.to_lines(10**5000, places(3))
