"""The radiation model of mobility (Simini et al. 2012), the one kernel that sorts each row.

Re-exported by :mod:`geoai.kernels.interaction`, where the flows code finds it.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from geoai.kernels import jit
from geoai.kernels.distance import coordinate_rows, fill_distances

__all__ = ["radiation_matrix"]


@jit(parallel=True)
def radiation_matrix(
    x: np.ndarray, geo: bool, mass: np.ndarray, outflows: np.ndarray, finite_size: bool
) -> np.ndarray:
    """Radiation-model flows ``(n, n)`` (Simini et al. 2012).

    ``T_ij = O_i m_i m_j / ((m_i + s_ij)(m_i + m_j + s_ij))`` with ``s_ij`` the
    mass strictly closer to ``i`` than ``j`` is, excluding ``i`` and ``j``.
    Distances of each origin are sorted once (``O(n log n)`` per row). With
    ``finite_size`` rows are divided by ``1 - m_i / M`` (Masucci et al. 2013)
    so they sum to ``O_i`` exactly.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0, 3.0, 0.0], [0.0, 0.0, 4.0]])  # three planar points (km)
    >>> t = radiation_matrix(x, False, np.array([100.0, 50.0, 50.0]), np.full(3, 10.0), True)
    >>> t.sum(axis=1).round(12).tolist(), t.diagonal().tolist()
    ([10.0, 10.0, 10.0], [0.0, 0.0, 0.0])
    """
    n = x.shape[1]
    cx, cy, cz = coordinate_rows(x)
    total = mass.sum()
    out = np.zeros((n, n))
    for i in prange(n):
        d = np.empty(n)
        fill_distances(cx[i], cy[i], cz[i], cx, cy, cz, 0, n, geo, d)
        d[i] = -1.0
        order = np.argsort(d)
        mi = mass[i]
        scale = outflows[i]
        if finite_size:
            rest = 1.0 - mi / total
            scale = scale / rest if rest > 0.0 else 0.0
        closer = 0.0  # mass strictly closer than the current distance group
        p = 1  # order[0] is i itself (distance -1)
        while p < n:
            q = p
            group = 0.0
            while q < n and d[order[q]] == d[order[p]]:
                group += mass[order[q]]
                q += 1
            for r in range(p, q):
                j = order[r]
                mj = mass[j]
                denom = (mi + closer) * (mi + mj + closer)
                out[i, j] = scale * mi * mj / denom if denom > 0.0 else 0.0
            closer += group
            p = q
    return out
