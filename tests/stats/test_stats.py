from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from geoai import CRSError, InputError, flows, stats
from geoai.errors import GeoAIWarning
from geoai.kernels.lisa import BLOCK_SLOTS, TOKEN_MARKS_MAX, permutation_null
from geoai.stats import _weights
from geoai.stats._fdr import _bh_adjusted
from tests import reference_stats as ref

EXAMPLES = Path(libpysal.__file__).parent / "examples"


def quiet(fn, *args, **kwargs):
    """Call esda/libpysal with their own warnings (deprecations, Gi* self-weight) silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def autocorrelated(n, seed=0, crs="EPSG:4326"):
    """Points over Europe with a smooth positive field of five 'cities' plus noise."""
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(-10, 30, n), rng.uniform(35, 60, n)
    cx, cy = rng.uniform(-10, 30, 5), rng.uniform(35, 60, 5)
    field = np.exp(-((lon[:, None] - cx) ** 2 + (lat[:, None] - cy) ** 2) / 20).sum(axis=1)
    value = 10 * field + rng.gamma(2.0, 0.5, n)
    return gpd.GeoDataFrame(
        {"value": value, "label": [f"m{i}" for i in range(n)]},
        geometry=gpd.points_from_xy(lon, lat),
        crs=crs,
    )


@pytest.fixture(scope="module")
def baltim():
    return gpd.read_file(EXAMPLES / "baltim" / "baltim.shp").set_crs("EPSG:3857")


@pytest.fixture(scope="module")
def columbus():
    gdf = gpd.read_file(EXAMPLES / "columbus" / "columbus.shp")
    gdf.index = gdf["POLYID"].astype(str)
    fh = libpysal.io.open(str(EXAMPLES / "columbus" / "columbus.gal"))
    try:
        w = fh.read()
    finally:
        fh.close()
    return gdf, w


def dense(w, how):
    return stats.SpatialWeights(w.indptr, w.indices, w.values, w.ids, how).sparse.toarray()


# ------------------------------------------------------------------- weights
def test_knn_geographic_matches_haversine_brute_force():
    gdf = autocorrelated(300, seed=1)
    w = stats.weights(gdf, k=6)
    expect = ref.knn_brute(gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy(), 6)
    got = w.indices.reshape(300, 6)
    assert (np.sort(got, axis=1) == np.sort(expect, axis=1)).all()
    assert w.ids.equals(gdf.index)


def test_knn_ties_go_to_lower_position(baltim):
    # baltim has integer coordinates: many equal distances
    x, y = baltim.geometry.x.to_numpy(), baltim.geometry.y.to_numpy()
    for k in (1, 4, 8):
        w = stats.weights(baltim, k=k)
        got = np.sort(w.indices.reshape(-1, k), axis=1)
        assert (got == np.sort(ref.knn_planar(x, y, k), axis=1)).all()


def test_knn_lattice_and_duplicates_never_include_self():
    xy = np.array([(i, j) for i in range(6) for j in range(6)] * 2, dtype=float) * 1000
    gdf = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:3857")
    w = stats.weights(gdf, k=3)
    nbr = w.indices.reshape(-1, 3)
    assert (nbr != np.arange(72)[:, None]).all()
    assert (np.sort(nbr, axis=1) == np.sort(ref.knn_planar(xy[:, 0], xy[:, 1], 3), axis=1)).all()


def test_projected_crs_uses_km(make_places):
    lon = np.array([0.0, 0.5, 1.0, 5.0])
    lat = np.zeros(4)
    geo = make_places(lon, lat, np.ones(4))
    utm = geo.to_crs(geo.estimate_utm_crs())
    for g in (geo, utm):
        w = stats.weights(g, distance_km=60)  # 0.5 degree ~ 55.6 km
        assert w.cardinalities.tolist() == [1, 2, 1, 0]
        assert w.islands.tolist() == [False, False, False, True]


def test_distance_band_matches_haversine_brute_force():
    gdf = autocorrelated(250, seed=2)
    w = stats.weights(gdf, distance_km=150)
    expect = ref.band_brute(gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy(), 150)
    assert (dense(w, "b") > 0).tolist() == expect.tolist()
    assert w.islands.any()


@pytest.mark.parametrize("how", ["r", "b", "d", "v", "o"])
def test_transforms_match_libpysal(how):
    gdf = autocorrelated(120, seed=3)
    w = stats.weights(gdf, k=5)  # W.from_sparse would drop islands: have none
    rng = np.random.default_rng(0)
    w = stats.SpatialWeights(w.indptr, w.indices, rng.uniform(0.5, 2, w.values.size), w.ids)  # noqa: PD011 - SpatialWeights, not pandas
    lw = quiet(libpysal.weights.W.from_sparse, sp.csr_array(dense(w, "o")))
    lw.silence_warnings = True
    lw.transform = how
    np.testing.assert_allclose(dense(w, how), lw.sparse.toarray(), rtol=1e-12)


def test_weights_bad_arguments():
    gdf = autocorrelated(10)
    with pytest.raises(InputError, match="transform"):
        stats.weights(gdf, transform="x")
    with pytest.raises(InputError, match="k must be"):
        stats.weights(gdf, k=0)
    with pytest.raises(InputError, match="at least k"):
        stats.weights(gdf, k=10)
    with pytest.raises(InputError, match="distance_km"):
        stats.weights(gdf, distance_km=-1)
    with pytest.raises(CRSError):
        stats.weights(gdf.set_crs(None, allow_override=True))


def test_user_weights_align_by_label(columbus):
    gdf, w = columbus
    shuffled = gdf.sample(frac=1.0, random_state=0)
    a = stats.local_moran(gdf, "CRIME", weights=w, permutations=0)
    b = stats.local_moran(shuffled, "CRIME", weights=w, permutations=0)
    pd.testing.assert_frame_equal(a.loc[shuffled.index], b)
    g = libpysal.graph.Graph.from_W(w)
    c = stats.local_moran(shuffled, "CRIME", weights=g, permutations=0)
    pd.testing.assert_frame_equal(b, c)
    with pytest.raises(InputError, match="do not match"):
        stats.local_moran(gdf.set_index(gdf.index + "x"), "CRIME", weights=w)
    with pytest.raises(InputError, match="observations"):
        stats.local_moran(gdf.iloc[:40], "CRIME", weights=w)
    with pytest.raises(InputError, match="SpatialWeights"):
        stats.local_moran(gdf, "CRIME", weights=np.eye(49))


def test_graph_round_trip():
    gdf = autocorrelated(50)
    w = stats.weights(gdf, k=4, transform="b")
    g = w.to_graph()
    assert (g.cardinalities.to_numpy() == 4).all()
    back = _weights.as_weights(g, gdf.index)
    assert (back.indices == w.indices).all()
    assert (back.indptr == w.indptr).all()


# ---------------------------------------------------------- local Moran: esda
@pytest.mark.parametrize("how", ["r", "b", "v", "d"])
def test_local_moran_matches_esda_statistic(baltim, how):
    import esda

    w = stats.weights(baltim, k=8)
    ours = stats.local_moran(baltim, "PRICE", k=8, permutations=0, transform=how)
    theirs = quiet(esda.Moran_Local, baltim["PRICE"].to_numpy(), w.to_graph(), how, 0)
    np.testing.assert_allclose(ours["I"], theirs.Is, rtol=0, atol=1e-10)
    assert (ours["quadrant"].cat.codes.to_numpy() + 1 == theirs.q).all()


def test_local_moran_matches_esda_on_columbus_gal(columbus):
    import esda

    gdf, w = columbus
    ours = stats.local_moran(gdf, "CRIME", weights=w, permutations=0)
    theirs = quiet(esda.Moran_Local, gdf["CRIME"].to_numpy(), w, "r", 0)
    np.testing.assert_allclose(ours["I"], theirs.Is, rtol=0, atol=1e-10)
    assert (ours["quadrant"].cat.codes.to_numpy() + 1 == theirs.q).all()


def test_local_moran_matches_dense_reference():
    gdf = autocorrelated(200, seed=4)
    w = stats.weights(gdf, k=5)
    out = stats.local_moran(gdf, "value", weights=w, permutations=0, transform="v")
    moran, q = ref.local_moran_dense(gdf["value"].to_numpy(), dense(w, "v"))
    np.testing.assert_allclose(out["I"], moran, atol=1e-12)
    assert (out["quadrant"].cat.codes.to_numpy() + 1 == q).all()


def binomial_close(p, q, perms_p, perms_q, sds=4.5):
    """|p - q| within `sds` standard errors of the difference of two MC estimates."""
    mid = np.clip((p + q) / 2, 1 / perms_p, 0.5)
    se = np.sqrt(mid * (1 - mid) / perms_p + mid * (1 - mid) / perms_q)
    return np.abs(p - q) <= sds * se + 2.0 / min(perms_p, perms_q)


@pytest.mark.slow
@pytest.mark.needs_jit  # esda's own Numba code uses numba types as NumPy dtypes
def test_pvalues_match_esda_within_monte_carlo_error(baltim):
    # real esda permutations (its numba code compiles on first use: ~30 s)
    import esda

    g = stats.weights(baltim, k=8, transform="o").to_graph()
    y = baltim["PRICE"].to_numpy()
    ours = stats.local_moran(baltim, "PRICE", permutations=9999, seed=7)
    lm = quiet(esda.Moran_Local, y, g, "r", 9999, seed=3)
    assert binomial_close(ours["p_sim"].to_numpy(), lm.p_sim, 9999, 9999).all()
    # z_sim: standard error ~ sqrt((1 + z^2 / 2) / permutations) per side
    se = np.sqrt((1 + lm.z_sim**2 / 2) * 2 / 9999)
    assert (np.abs(ours["z_sim"] - lm.z_sim) <= 5 * se).all()
    gi = stats.getis_ord(baltim, "PRICE", permutations=9999, seed=7)
    lg = quiet(esda.G_Local, y, g, "r", 9999, star=True, seed=3, n_jobs=1)
    assert binomial_close(gi["p_sim"].to_numpy(), lg.p_sim, 9999, 9999).all()
    # fdr=None: the same draws, and esda's own significant set (p_sim < alpha) up to
    # Monte Carlo error, which only matters for p-values close to alpha
    for alpha in (0.01, 0.05):
        un = stats.local_moran(baltim, "PRICE", permutations=9999, seed=7, fdr=None, alpha=alpha)
        np.testing.assert_array_equal(un["p_sim"], ours["p_sim"])
        differ = un["significant"].to_numpy() != (lm.p_sim < alpha)
        assert differ.sum() <= 0.05 * differ.size
        near = 4.5 * np.sqrt(alpha * (1 - alpha) / 9999)
        assert (np.abs(lm.p_sim[differ] - alpha) <= near).all()
        assert (np.abs(un["p_sim"].to_numpy()[differ] - alpha) <= near).all()


# --------------------------------------------- permutation kernel: references
def kernel_inputs(n, card, seed=0, *, equal=True):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    indptr = np.arange(0, n * card + 1, card, dtype=np.int64)
    wts = np.full(n * card, 1 / card) if equal else rng.uniform(0.2, 1.0, n * card)
    a = rng.uniform(0.5, 1.5, n)
    b = rng.normal(size=n) * 0.1
    obs = a * rng.normal(size=n) * 0.3 + b
    return x, indptr, wts, a, b, obs


@pytest.mark.parametrize(("n", "card"), [(40, 3), (200, 40), (12, 8), (9, 6)])
def test_kernel_matches_python_mirror_exactly(n, card):
    # marked rejection while 2 card <= n - 1; Fisher-Yates for (12, 8) and (9, 6)
    x, indptr, wts, a, b, obs = kernel_inputs(n, card, equal=False)
    perms, seed = 25, 12345
    n_ge, n_le, mean, sd = permutation_null(x, indptr, wts, a, b, obs, np.zeros(n), perms, seed, 3)
    for i in range(n):
        d = ref.draws(seed, i, n, card, perms)
        assert (d != i).all()
        assert all(len(set(r)) == card for r in d)
        sims = a[i] * (x[d] @ wts[indptr[i] : indptr[i + 1]]) + b[i]
        assert n_ge[i] == (sims >= obs[i]).sum()
        assert n_le[i] == (sims <= obs[i]).sum()
        np.testing.assert_allclose([mean[i], sd[i]], [sims.mean(), sims.std()], rtol=1e-10)


@pytest.mark.jit_heavy
def test_kernel_blocks_of_draws_match_python_mirror_exactly():
    # 200 samples of 25 slots exceed BLOCK_SLOTS: draws are gathered block by block, and the
    # random streams must run on across the blocks exactly as slot by slot
    n, card, perms, seed = 60, 25, 200, 99
    assert perms * card > BLOCK_SLOTS
    x, indptr, wts, a, b, obs = kernel_inputs(n, card, seed=7, equal=False)
    n_ge, n_le, mean, sd = permutation_null(x, indptr, wts, a, b, obs, np.zeros(n), perms, seed, 4)
    for i in (0, 1, 31, 59):
        d = ref.draws(seed, i, n, card, perms)
        sims = a[i] * (x[d] @ wts[indptr[i] : indptr[i + 1]]) + b[i]
        assert (n_ge[i], n_le[i]) == ((sims >= obs[i]).sum(), (sims <= obs[i]).sum())
        np.testing.assert_allclose([mean[i], sd[i]], [sims.mean(), sims.std()], rtol=1e-10)


def test_kernel_cardinality_wider_than_a_block_matches_python_mirror():
    # one observation draws more slots than BLOCK_SLOTS / 2: one sample per block; the
    # others are islands (skipped), so the case stays small
    card = BLOCK_SLOTS // 2 + 3
    n, perms, seed = 2 * card + 1, 3, 5
    rng = np.random.default_rng(8)
    x = rng.normal(size=n)
    indptr = np.full(n + 1, card, dtype=np.int64)
    indptr[0] = 0
    wts = rng.uniform(0.2, 1.0, card)
    ones = np.ones(n)
    n_ge, n_le, mean, sd = permutation_null(
        x, indptr, wts, ones, 0 * ones, 0 * ones, 0 * ones, perms, seed, 2
    )
    assert (n_ge[1:] == -1).all()  # islands keep the fill
    d = ref.draws(seed, 0, n, card, perms)
    assert all(len(set(r)) == card and 0 not in r for r in d)
    sims = x[d] @ wts
    assert (n_ge[0], n_le[0]) == ((sims >= 0).sum(), (sims <= 0).sum())
    np.testing.assert_allclose([mean[0], sd[0]], [sims.mean(), sims.std()], rtol=1e-10)


def test_kernel_bitmap_marks_match_python_mirror_exactly():
    # n - 1 > TOKEN_MARKS_MAX: duplicates are found through the bitmap. A row of 3,000 slots
    # repeats values ~17 times a sample (redraws) and fills one block per sample (the stream's
    # spare half crosses blocks); the rows of 7 and 1 slot share bitmap words with nothing.
    n = TOKEN_MARKS_MAX + 2
    rows = {0: 3000, n // 2: 7, n - 1: 1}
    cards = np.zeros(n, dtype=np.int64)
    for i, c in rows.items():
        cards[i] = c
    indptr = np.concatenate([[0], np.cumsum(cards)])
    rng = np.random.default_rng(21)
    x = rng.normal(size=n)
    wts = rng.uniform(0.2, 1.0, int(indptr[-1]))
    ones = np.ones(n)
    perms, seed = 4, 77
    n_ge, n_le, mean, sd = permutation_null(
        x, indptr, wts, ones, 0 * ones, 0 * ones, 0 * ones, perms, seed, 3
    )
    assert (n_ge[cards == 0] == -1).all()
    for i, card in rows.items():
        d = ref.draws(seed, i, n, card, perms)
        assert all(len(set(r)) == card and i not in r for r in d)
        sims = x[d] @ wts[indptr[i] : indptr[i + 1]]
        assert (n_ge[i], n_le[i]) == ((sims >= 0).sum(), (sims <= 0).sum())
        np.testing.assert_allclose([mean[i], sd[i]], [sims.mean(), sims.std()], rtol=1e-10)


@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=6, max_size=40),
    st.integers(1, 5),
)
def test_knn_csr_matches_brute_force_with_ties_and_duplicates(cells, k):
    # integer lattice points: equal distances everywhere, and duplicated points
    xy = np.array(cells, dtype=float) * 1000
    if len(xy) < k + 1:
        k = len(xy) - 1
    gdf = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:3857")
    w = stats.weights(gdf, k=k)
    n = len(xy)
    np.testing.assert_array_equal(w.indptr, np.arange(n + 1) * k)
    nbr = w.indices.reshape(n, k)
    assert (np.diff(nbr, axis=1) > 0).all()  # sorted within rows, no repeats
    assert (nbr != np.arange(n)[:, None]).all()
    expect = np.sort(ref.knn_planar(xy[:, 0], xy[:, 1], k), axis=1)
    np.testing.assert_array_equal(nbr, expect)


@pytest.mark.jit_heavy
def test_kernel_moments_match_exact_conditional_moments():
    x, indptr, wts, a, b, obs = kernel_inputs(300, 8, seed=1, equal=False)
    perms = 4000
    _, _, mean, sd = permutation_null(x, indptr, wts, a, b, obs, np.zeros(300), perms, 1, 4)
    for i in range(0, 300, 15):
        m, s = ref.conditional_moments(x, i, wts[indptr[i] : indptr[i + 1]], a[i], b[i])
        assert abs(mean[i] - m) < 5 * s / np.sqrt(perms)
        assert abs(sd[i] / s - 1) < 0.08


def test_kernel_pvalues_match_exact_enumeration():
    n, card, perms = 9, 3, 20000
    x, indptr, wts, a, b, obs = kernel_inputs(n, card, seed=2, equal=False)
    n_ge, n_le, _, _ = permutation_null(x, indptr, wts, a, b, obs, np.zeros(n), perms, 5, 2)
    p = (np.minimum(n_ge, n_le) + 1) / (perms + 1)
    for i in range(n):
        exact = ref.exact_null(x, i, wts[indptr[i] : indptr[i + 1]], a[i], b[i], obs[i])
        se = np.sqrt(max(exact * (1 - exact), 1e-4) / perms)
        assert abs(p[i] - exact) < 5 * se + 1 / perms


@pytest.mark.jit_heavy
def test_kernel_draws_are_uniform_over_the_others():
    # x = indicator of one position j: the mean of the sum is P(j drawn) = card / (n - 1)
    n, card, perms = 50, 4, 5000
    for j in (0, 17, 49):
        x = np.zeros(n)
        x[j] = 1.0
        indptr = np.arange(0, n * card + 1, card, dtype=np.int64)
        ones = np.ones(n)
        _, _, mean, _ = permutation_null(
            x, indptr, np.ones(n * card), ones, 0 * ones, ones, 0 * ones, perms, 9, 2
        )
        assert mean[j] == 0  # never draws itself
        p = card / (n - 1)
        others = np.delete(mean, j)
        assert np.abs(others - p).max() < 5 * np.sqrt(p * (1 - p) / perms)


def test_kernel_marks_survive_token_wrap():
    # one chunk draws 40 x 2000 samples: the uint16 sample tokens wrap around once
    x, indptr, wts, a, b, obs = kernel_inputs(40, 3, seed=4)
    tol = np.zeros(40)
    one = permutation_null(x, indptr, wts, a, b, obs, tol, 2000, 8, 1)
    each = permutation_null(x, indptr, wts, a, b, obs, tol, 2000, 8, 40)
    for u, v in zip(one, each, strict=True):
        np.testing.assert_array_equal(u, v)


@pytest.mark.jit_heavy
def test_kernel_is_reproducible_and_thread_independent():
    x, indptr, wts, a, b, obs = kernel_inputs(500, 6, seed=3)
    tol = np.zeros(500)
    one = permutation_null(x, indptr, wts, a, b, obs, tol, 199, 42, 1)
    many = permutation_null(x, indptr, wts, a, b, obs, tol, 199, 42, 13)
    other = permutation_null(x, indptr, wts, a, b, obs, tol, 199, 43, 13)
    for u, v in zip(one, many, strict=True):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(one[0], other[0])


# ------------------------------------------------- local Moran: behaviour
@pytest.mark.jit_heavy
def test_local_moran_finds_planted_clusters_and_labels_are_consistent():
    gdf = autocorrelated(400, seed=5)
    out = stats.local_moran(gdf, "value", permutations=7999, seed=1)
    assert out.index.equals(gdf.index)
    assert out["significant"].sum() > 40
    np.testing.assert_array_equal(out["significant"], stats.fdr(out["p_sim"], 0.05))
    sig = out["significant"].to_numpy()
    assert (out["label"].astype(str)[sig] == out["quadrant"].astype(str)[sig]).all()
    assert (out["label"][~sig] == "ns").all()
    assert set(out["label"][sig]) <= {"HH", "LL", "HL", "LH"}
    assert {"HH", "LL"} <= set(out["label"][sig])
    assert ((out["p_sim"] >= 1 / 8000) & (out["p_sim"] <= 0.5 + 1 / 8000)).all()


def test_local_moran_seed_reproducible():
    gdf = autocorrelated(150, seed=6)
    a = stats.local_moran(gdf, "value", permutations=99, seed=3, fdr=None)
    b = stats.local_moran(gdf, "value", permutations=99, seed=3, fdr=None)
    c = stats.local_moran(gdf, "value", permutations=99, seed=4, fdr=None)
    pd.testing.assert_frame_equal(a, b)
    assert not a["p_sim"].equals(c["p_sim"])


def test_islands_are_excluded_with_a_warning():
    import esda

    gdf = autocorrelated(200, seed=7)
    w = stats.weights(gdf, distance_km=120)
    assert w.islands.any()
    tested = f"0.05/{(~w.islands).sum()} "  # islands are not in the FDR count
    with (
        pytest.warns(stats.IslandWarning, match="no neighbours"),
        pytest.warns(stats.PermutationWarning, match=tested),
    ):
        out = stats.local_moran(gdf, "value", weights=w, permutations=99)
    isl = w.islands
    assert out["p_fdr"][isl].isna().all()
    assert out["p_fdr"][~isl].notna().all()
    assert out.loc[isl, ["I", "z_sim", "p_sim"]].isna().all().all()
    assert out["quadrant"][isl].isna().all()
    assert (out["label"][isl] == "ns").all()
    assert not out["significant"][isl].any()
    assert out.loc[~isl, ["I", "p_sim"]].notna().all().all()
    theirs = quiet(esda.Moran_Local, gdf["value"].to_numpy(), w.to_graph(), "r", 0)
    np.testing.assert_allclose(out["I"][~isl], theirs.Is[~isl], atol=1e-10)
    with pytest.warns(stats.IslandWarning), pytest.warns(stats.PermutationWarning, match=tested):
        gi = stats.getis_ord(gdf, "value", weights=w, permutations=99)
    assert gi.loc[isl, ["G", "z", "p_sim"]].isna().all().all()


def test_permutations_zero_skips_inference():
    out = stats.local_moran(autocorrelated(60), "value", k=4, permutations=0)
    assert out["p_sim"].isna().all()
    assert not out["significant"].any()
    assert (out["label"] == "ns").all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"column": "nope"}, "not in gdf"),
        ({"column": "label"}, "numeric"),
        ({"column": "const"}, "constant"),
        ({"column": "gap"}, "NaN"),
        ({"k": 30}, "at least k"),
        ({"permutations": -1}, "permutations"),
        ({"permutations": 9.5}, "permutations"),
        ({"fdr": 0}, "fdr"),
        ({"fdr": 1.5}, "fdr"),
        ({"fdr": "5%"}, "fdr must be a number"),
        ({"fdr": None, "alpha": 0}, "alpha"),
        ({"alpha": 1.0}, "alpha"),
        ({"alpha": None}, "alpha must be a number"),
        ({"transform": "q"}, "transform"),
        ({"seed": -3}, "seed"),
    ],
)
def test_bad_input_is_a_clear_error(kwargs, match):
    gdf = autocorrelated(30)
    gdf["const"] = 2.0
    gdf["gap"] = gdf["value"].where(gdf.index != 3)
    args = {"column": "value", **kwargs}
    for fn in (stats.local_moran, stats.getis_ord):
        with pytest.raises(InputError, match=match):
            fn(gdf, **args)


def test_missing_crs_and_non_frame():
    gdf = autocorrelated(20).set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="no CRS"):
        stats.local_moran(gdf, "value")
    with pytest.raises(InputError, match="DataFrame"):
        stats.local_moran(np.arange(20.0), "value")
    with pytest.raises(InputError, match="geometry"):
        stats.local_moran(pd.DataFrame({"value": np.arange(20.0)}), "value")


# ------------------------------------------- significance: fdr=None and the floor
ESDA_CLUSTER = {"HH": "High-High", "LH": "Low-High", "LL": "Low-Low", "HL": "High-Low",
                "ns": "Insignificant"}  # fmt: skip


def bh_adjusted_loop(p):
    """BH-adjusted p-values by the definition: min over ranks s >= r of m p_(s) / s."""
    p = np.asarray(p, float)
    ranked = sorted((i for i in range(p.size) if not np.isnan(p[i])), key=lambda i: p[i])
    m = len(ranked)
    out = np.full(p.size, np.nan)
    for r, i in enumerate(ranked, start=1):
        out[i] = min(1.0, *(p[j] * m / s for s, j in enumerate(ranked, start=1) if s >= r))
    return out


def permutations_needed(level, *, strict=False):
    """Smallest P whose floor 1 / (P + 1) reaches ``level``, by counting up."""
    p = 0
    while not (1 / (p + 1) < level if strict else 1 / (p + 1) <= level):
        p += 1
    return p


@pytest.mark.jit_heavy
@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.1])
def test_fdr_none_is_esdas_rule_on_the_same_pvalues(columbus, alpha):
    import esda

    gdf, w = columbus
    ours = stats.local_moran(gdf, "CRIME", weights=w, permutations=4999, seed=2, fdr=None,
                             alpha=alpha)  # fmt: skip
    np.testing.assert_array_equal(ours["significant"], ours["p_sim"] < alpha)
    assert ours["p_fdr"].isna().all()
    # esda's labelling, on its own quadrants (seed-free) and our p-values
    lm = quiet(esda.Moran_Local, gdf["CRIME"].to_numpy(), w, "r", 0)
    lm.p_sim = ours["p_sim"].to_numpy()
    labels = ours["label"].astype(str).map(ESDA_CLUSTER).to_numpy()
    assert (labels == lm.get_cluster_labels(alpha)).all()
    assert ours["significant"].any()
    assert not ours["significant"].all()
    # and the BH set is never larger than the unadjusted one
    bh = stats.local_moran(gdf, "CRIME", weights=w, permutations=4999, seed=2, fdr=alpha)
    np.testing.assert_array_equal(bh["p_sim"], ours["p_sim"])
    assert (ours["significant"] | ~bh["significant"]).all()


@pytest.mark.jit_heavy
@pytest.mark.parametrize("fn", [stats.local_moran, stats.getis_ord])
def test_fdr_set_is_hand_computed_bh_when_permutations_suffice(fn):
    gdf = autocorrelated(300, seed=11)
    perms = permutations_needed(0.05 / 300)  # 1 / (P + 1) <= 0.05 / 300: no warning
    out = fn(gdf, "value", permutations=perms, seed=5)
    p = out["p_sim"].to_numpy()
    assert p.min() >= 1 / (perms + 1)
    assert p.min() <= 0.05 / 300
    np.testing.assert_array_equal(out["significant"], ref.bh(p, 0.05))
    np.testing.assert_allclose(out["p_fdr"], bh_adjusted_loop(p), rtol=1e-12)
    np.testing.assert_array_equal(out["significant"], out["p_fdr"] <= 0.05)
    assert 20 < out["significant"].sum() < 300
    # esda's FDR cut-off (p_sim < esda.fdr) on our p-values selects the same set
    import esda

    np.testing.assert_array_equal(out["significant"], p < esda.fdr(p, 0.05))


@pytest.mark.jit_heavy
@pytest.mark.parametrize("fn", [stats.local_moran, stats.getis_ord])
@pytest.mark.parametrize("n", [40, 120])
def test_permutation_floor_warning_fires_exactly_below_the_first_bh_step(fn, n):
    gdf = autocorrelated(n, seed=12)
    need = permutations_needed(0.05 / n)
    with pytest.warns(stats.PermutationWarning, match=rf"permutations >= {need}\.") as rec:
        short = fn(gdf, "value", k=4, permutations=need - 1)
    assert len(rec) == 1
    assert issubclass(stats.PermutationWarning, GeoAIWarning)
    text = str(rec[0].message)
    assert f"1/{need} " in text
    assert f"0.05/{n} " in text
    assert "fdr=None" in text
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        enough = fn(gdf, "value", k=4, permutations=need)
        fn(gdf, "value", k=4, permutations=0)  # no inference, no floor
        fn(gdf, "value", k=4, permutations=need - 1, fdr=None)  # unadjusted: 1/need < 0.05
    assert short["p_sim"].min() >= 1 / need
    assert enough["p_sim"].min() >= 1 / (need + 1)


def test_permutation_floor_warning_counts_the_discoveries_still_possible():
    gdf = autocorrelated(200, seed=13)
    # 199 permutations: floor 1/200 = 0.005; BH needs r with 0.005 <= r 0.05 / 200, r >= 20
    with pytest.warns(stats.PermutationWarning, match="at least 20 observations") as rec:
        out = stats.local_moran(gdf, "value", permutations=199)
    assert f">= {permutations_needed(0.05 / 200)}." in str(rec[0].message)
    p = out["p_sim"].to_numpy()
    assert out["significant"].sum() in {0} | set(range(20, 201))  # none, or at least 20
    np.testing.assert_array_equal(out["significant"], ref.bh(p, 0.05))
    # fewer permutations than 1 / fdr: nothing can be significant at all
    with pytest.warns(stats.PermutationWarning, match="no observation can be significant"):
        none = stats.local_moran(gdf, "value", permutations=9)
    assert not none["significant"].any()


@pytest.mark.parametrize("fn", [stats.local_moran, stats.getis_ord])
def test_unadjusted_floor_warning(fn):
    gdf = autocorrelated(50, seed=14)
    for alpha in (0.05, 0.1):
        need = permutations_needed(alpha, strict=True)  # p_sim < alpha needs 1/(P+1) < alpha
        with pytest.warns(stats.PermutationWarning, match=rf"alpha={alpha:g}.*>= {need}\."):
            out = fn(gdf, "value", k=4, permutations=need - 1, fdr=None, alpha=alpha)
        assert not out["significant"].any()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fn(gdf, "value", k=4, permutations=need, fdr=None, alpha=alpha)


@pytest.mark.jit_heavy
def test_getis_ord_fdr_none_and_normal_p_fdr():
    gdf = autocorrelated(200, seed=15)
    un = stats.getis_ord(gdf, "value", permutations=999, seed=3, fdr=None, alpha=0.1)
    np.testing.assert_array_equal(un["significant"], un["p_sim"] < 0.1)
    assert un["p_fdr"].isna().all()
    sig = un["significant"].to_numpy()
    assert set(un["label"][sig]) == {"hot", "cold"}
    assert (un["label"][~sig] == "ns").all()
    norm = stats.getis_ord(gdf, "value", permutations=0)
    np.testing.assert_allclose(norm["p_fdr"], bh_adjusted_loop(norm["p_norm"]), rtol=1e-12)
    assert norm["p_sim"].isna().all()
    norm_un = stats.getis_ord(gdf, "value", permutations=0, fdr=None)
    np.testing.assert_array_equal(norm_un["significant"], norm["p_norm"] < 0.05)


@given(
    st.lists(st.one_of(st.floats(0, 1), st.just(float("nan"))), min_size=1, max_size=40),
    st.sampled_from([0.01, 0.05, 0.2]),
)
def test_adjusted_pvalues_match_the_definition_and_bh(p, alpha):
    adj = _bh_adjusted(np.asarray(p, float))
    expect = bh_adjusted_loop(p)
    np.testing.assert_allclose(adj, expect, rtol=1e-12)
    assert (np.isnan(adj) == np.isnan(p)).all()
    valid = ~np.isnan(adj)
    assert (adj[valid] >= np.asarray(p)[valid] * (1 - 1e-12)).all()
    assert (adj[valid] <= 1).all()
    clear = valid & ~np.isclose(adj, alpha, rtol=1e-9, atol=0)  # rounding at exact ties
    np.testing.assert_array_equal((adj <= alpha)[clear], stats.fdr(p, alpha)[clear])


# ------------------------------------------------------------------ Getis-Ord
@pytest.mark.parametrize("star", [True, False])
@pytest.mark.parametrize("how", ["r", "b"])
def test_getis_ord_matches_esda(baltim, star, how):
    import esda

    g = stats.weights(baltim, k=8, transform="o").to_graph()
    ours = stats.getis_ord(baltim, "PRICE", star=star, transform=how, permutations=0)
    theirs = quiet(esda.G_Local, baltim["PRICE"].to_numpy(), g, how, 0, star)
    np.testing.assert_allclose(ours["G"], theirs.Gs, rtol=1e-12)
    np.testing.assert_allclose(ours["z"], theirs.Zs, rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours["p_norm"], theirs.p_norm, rtol=0, atol=1e-12)


def test_getis_ord_matches_dense_reference_with_user_diagonal(columbus):
    gdf, w = columbus
    y = gdf["HOVAL"].to_numpy()
    ours = stats.getis_ord(gdf, "HOVAL", weights=w, star=True, transform="b", permutations=0)
    W = (w.sparse.toarray() > 0).astype(float)
    pos = pd.Index(w.id_order).get_indexer(gdf.index)
    W = W[np.ix_(pos, pos)] + np.eye(49)
    G, z = ref.g_local_dense(y, W, star=True)
    np.testing.assert_allclose(ours["G"], G, rtol=1e-12)
    np.testing.assert_allclose(ours["z"], z, atol=1e-10)
    # a diagonal given by the user is kept with star=True and dropped with star=False
    half = sp.csr_array(W * np.where(np.eye(49) > 0, 0.5, 1.0))
    kept = stats.getis_ord(gdf, "HOVAL", weights=half, star=True, transform="r", permutations=0)
    G, _ = ref.g_local_dense(y, half.toarray() / half.toarray().sum(1, keepdims=True), star=True)
    np.testing.assert_allclose(kept["G"], G, rtol=1e-12)
    plain = stats.getis_ord(gdf, "HOVAL", weights=half, star=False, permutations=0)
    Wn = W - np.eye(49)
    G, _ = ref.g_local_dense(y, Wn / Wn.sum(1, keepdims=True), star=False)
    np.testing.assert_allclose(plain["G"], G, rtol=1e-12)


@pytest.mark.jit_heavy
def test_getis_ord_hot_and_cold_spots():
    gdf = autocorrelated(400, seed=8)
    out = stats.getis_ord(gdf, "value", permutations=7999, seed=2)
    sig = out["significant"].to_numpy()
    np.testing.assert_array_equal(sig, stats.fdr(out["p_sim"], 0.05))
    hot = (out["label"] == "hot").to_numpy()
    assert hot.sum() > 20
    assert (out["label"] == "cold").sum() > 20
    assert gdf["value"][hot].mean() > 2 * gdf["value"][out["label"] == "cold"].mean()
    norm = stats.getis_ord(gdf, "value", permutations=0)
    lab = norm["label"].astype(str)
    assert (lab[norm["z"] > 0] != "cold").all()
    assert (lab[norm["z"] < 0] != "hot").all()
    np.testing.assert_array_equal(norm["significant"], stats.fdr(norm["p_norm"], 0.05))


def test_getis_ord_rejects_negative_values_and_other_transforms():
    gdf = autocorrelated(30)
    gdf["signed"] = gdf["value"] - gdf["value"].mean()
    with pytest.raises(InputError, match="non-negative"):
        stats.getis_ord(gdf, "signed")
    with pytest.raises(InputError, match="transform"):
        stats.getis_ord(gdf, "value", transform="v")


# ------------------------------------------------------------------------ FDR
def test_fdr_hand_computed():
    p = [0.001, 0.008, 0.039, 0.041, 0.042, 0.060, 0.074, 0.205, np.nan, 0.5]
    # m = 9 (NaN excluded); thresholds r * 0.05 / 9 = .0056 .0111 .0167 .0222 .0278 ...
    # p_(1)=.001 <= .0056, p_(2)=.008 <= .0111, p_(3)=.039 > .0167, ... none later pass
    assert stats.fdr(p, 0.05).tolist() == [True, True] + [False] * 8
    # at alpha = 0.1 (r * .0111): p_(7)=.074 <= .0778 is the largest passing rank,
    # so p_(3..6) pass too although p_(3)=.039 > .0333 (step-up)
    assert stats.fdr(p, 0.1).tolist() == [True] * 7 + [False] * 3
    assert not stats.fdr([np.nan, np.nan], 0.05).any()
    assert stats.fdr([], 0.05).size == 0


@given(
    st.lists(st.one_of(st.floats(0, 1), st.just(float("nan"))), min_size=1, max_size=40),
    st.sampled_from([0.01, 0.05, 0.2]),
)
def test_fdr_matches_textbook_loop(p, alpha):
    np.testing.assert_array_equal(stats.fdr(p, alpha), ref.bh(p, alpha))


def test_fdr_bad_input():
    with pytest.raises(InputError, match="alpha"):
        stats.fdr([0.1], 1.0)
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        stats.fdr([0.1, 1.2], 0.05)
    with pytest.raises(InputError, match="one-dimensional"):
        stats.fdr([[0.1]], 0.05)


# -------------------------------------------------------------- dominant flows
def test_dominant_flows_hand_example():
    f = np.array(
        [
            [0, 5, 1, 0, 0],  # 0 -> 1 (larger): subordinate
            [2, 0, 9, 0, 0],  # 1 -> 2 (larger)
            [1, 3, 0, 0, 0],  # 2 -> 1 (smaller): root
            [0, 0, 4, 0, 4],  # 3: tie 2 / 4 -> lower position 2, larger: subordinate
            [0, 0, 0, 0, 0],  # 4 sends nothing: root
        ],
        dtype=float,
    )
    out = stats.dominant_flows(f, [10, 50, 100, 5, 5])
    assert out["dominant"].tolist() == [1, 2, -1, 2, -1]
    assert out["root"].tolist() == [2, 2, 2, 2, 4]
    assert out["depth"].tolist() == [2, 1, 0, 1, 0]
    assert out["is_root"].tolist() == [False, False, True, False, True]
    assert out["largest_to"].tolist() == [1, 2, 1, 2, None]
    # equal size is not subordination
    assert stats.dominant_flows(f, [10, 50, 50, 5, 5])["dominant"].tolist() == [1, -1, -1, 2, -1]


def test_dominant_flows_long_table_matches_dense():
    rng = np.random.default_rng(0)
    n = 30
    f = rng.integers(0, 50, (n, n)).astype(float)
    ids = [f"c{i}" for i in range(n)]
    size = pd.Series(rng.uniform(1, 100, n), index=ids)
    o, d = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    table = pd.DataFrame({"from": np.array(ids)[o.ravel()], "to": np.array(ids)[d.ravel()],
                          "n": f.ravel()}).sample(frac=1, random_state=1)  # fmt: skip
    long = stats.dominant_flows(table, size, origin="from", destination="to", flow="n")
    wide = stats.dominant_flows(f, size)
    assert long.index.tolist() == ids
    pd.testing.assert_frame_equal(long, wide)
    halves = pd.concat([table.assign(n=table["n"] / 2)] * 2)  # repeated pairs add up
    split = stats.dominant_flows(halves, size, origin="from", destination="to", flow="n")
    pd.testing.assert_frame_equal(split, wide)


def test_dominant_flows_from_aggregate():
    gdf = autocorrelated(60, seed=9)
    mass = gdf["value"].to_numpy()
    agg = flows.aggregate(gdf, mass, decay="exponential", beta=1 / 300, top_k=2, ids=gdf["label"])
    T = flows.interaction(mass, mass, flows.cost_matrix(gdf), decay="exponential", beta=1 / 300)
    size = pd.Series(mass, index=gdf["label"])
    a = stats.dominant_flows(agg, size)
    b = stats.dominant_flows(T, mass)
    assert a["dominant"].tolist() == b["dominant"].tolist()
    assert a["root_id"].tolist() == [gdf["label"][r] for r in b["root"]]


@given(st.integers(2, 25), st.integers(0, 10_000))
def test_dominant_flows_chain_properties(n, seed):
    rng = np.random.default_rng(seed)
    f = rng.integers(0, 5, (n, n)).astype(float)
    size = rng.integers(1, 6, n).astype(float)  # many equal sizes
    out = stats.dominant_flows(f, size)
    dom, root, depth = (out[c].to_numpy() for c in ("dominant", "root", "depth"))
    for i in range(n):
        if dom[i] >= 0:
            assert size[dom[i]] > size[i]
            assert depth[i] == depth[dom[i]] + 1
            assert root[i] == root[dom[i]]
        else:
            assert root[i] == i
            assert depth[i] == 0
    assert (out["is_root"] == (dom < 0)).all()


def test_dominant_flows_bad_input():
    with pytest.raises(InputError, match="square"):
        stats.dominant_flows(np.ones((2, 3)), [1, 2])
    with pytest.raises(InputError, match=">= 0"):
        stats.dominant_flows(-np.ones((2, 2)), [1, 2])
    with pytest.raises(InputError, match="size has"):
        stats.dominant_flows(np.ones((2, 2)), [1, 2, 3])
    table = pd.DataFrame({"origin": ["a"], "destination": ["b"], "flow": [1.0]})
    with pytest.raises(InputError, match="without a size"):
        stats.dominant_flows(table, pd.Series([1.0], index=["a"]))
    with pytest.raises(InputError, match="lacks columns"):
        stats.dominant_flows(table.rename(columns={"flow": "n"}), pd.Series([1.0, 2], ["a", "b"]))


@pytest.mark.jit_heavy
@given(st.floats(0.01, 1e6), st.floats(-1e6, 1e6))
def test_local_moran_is_invariant_to_positive_affine_rescaling(scale, shift):
    gdf = autocorrelated(40, seed=10)
    w = stats.weights(gdf, k=4)
    base = stats.local_moran(gdf, "value", weights=w, permutations=49, seed=1, fdr=None)
    gdf["moved"] = gdf["value"] * scale + shift
    moved = stats.local_moran(gdf, "moved", weights=w, permutations=49, seed=1, fdr=None)
    np.testing.assert_allclose(moved["I"], base["I"], rtol=1e-6, atol=1e-9)
    assert (moved["quadrant"] == base["quadrant"]).all()
    np.testing.assert_allclose(moved["p_sim"], base["p_sim"], atol=0.021)


def test_permutation_warning_points_at_the_caller():
    gdf = _random_points_for_warning()
    for fn in (stats.local_moran, stats.getis_ord):
        with pytest.warns(stats.PermutationWarning) as record:
            fn(gdf, "v", permutations=19)
        assert record[0].filename == __file__, fn.__name__


def _random_points_for_warning():
    import geopandas as gpd

    rng = np.random.default_rng(3)
    return gpd.GeoDataFrame(
        {"v": rng.random(60)},
        geometry=gpd.points_from_xy(rng.uniform(0, 10, 60), rng.uniform(0, 10, 60)),
        crs="EPSG:4326",
    )
