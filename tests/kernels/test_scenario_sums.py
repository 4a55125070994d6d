"""The batched deterrence sums equal the one-vector kernel bit for bit, and a plain sum."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from geoai.kernels.scenario import deterrence_sums, deterrence_sums_many


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 70),
    m=st.integers(1, 9),
    countries=st.integers(1, 5),
)
def test_many_vectors_give_each_vector_the_one_vector_sums(seed, n, m, countries):
    rng = np.random.default_rng(seed)
    f = rng.uniform(0.0, 1.0, (n, n))
    f = (f + f.T) / 2
    country = rng.integers(0, countries, n)
    w = rng.uniform(0.0, 1.0, (m, n)) * 10.0 ** rng.uniform(-6, 6, (m, n))
    total, cross = deterrence_sums_many(f, country, w)
    assert total.shape == cross.shape == (m, n)
    for v in range(m):
        one_total, one_cross = deterrence_sums(f, country, w[v])
        np.testing.assert_array_equal(total[v], one_total)
        np.testing.assert_array_equal(cross[v], one_cross)
        # against a sum we did not write: numpy's product and a mask of the other countries
        np.testing.assert_allclose(total[v], f @ w[v], rtol=1e-12)
        other = country[:, None] != country[None, :]
        np.testing.assert_allclose(cross[v], (f * other) @ w[v], rtol=1e-12, atol=1e-300)
