"""A kd-tree of the kernel coordinates for certified Barnes-Hut sums and exact top-k.

Points are the kernels' coordinates (:mod:`geoai.kernels.distance`): ``(3, n)``
unit vectors (the tree is then a 3-D kd-tree of the sphere's embedding, and
the Euclidean distance is the chord ``c``) or ``(2, n)`` planar km. The tree
is arrays, not objects:

* ``perm`` (n,): the points in tree order; node ``q`` holds
  ``perm[start[q]:stop[q]]``;
* ``left`` (n_nodes,): first child (the second is ``left + 1``), -1 for a leaf;
* ``centre`` (3, n_nodes) and ``radius`` (n_nodes,): a ball holding the node's
  points (centre of the bounding box, largest distance to it).

Masses live apart (:func:`node_moments`), since one tree serves several
right-hand sides: per node and row ``k`` the mass ``W``, its centre of mass,
the second moment ``s2 = sum_j v_kj |y_j - y_com|^2`` and the largest single
mass. :func:`geoai.kernels.tree_sums.tree_matmat` evaluates the products
``F @ v[k]`` for a set of origins with a per-node error bound (bounds in
:mod:`geoai.kernels.tree_bounds`, derivation in
:func:`geoai.flows._tree.tree_matmat`);
:func:`geoai.kernels.tree_sums.tree_top_k` is an exact branch-and-bound twin
of :func:`geoai.kernels.interaction.top_k_rows`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import prange

from geoai.kernels import jit
from geoai.kernels.distance import coordinate_rows

__all__ = ["Moments", "Tree", "TreeSums", "build_tree", "node_moments"]

_STACK = 256  # deeper than any median-split tree of < 2^120 points


class Tree(NamedTuple):
    """A kd-tree of ``n`` points (see the module notes); coordinates in tree order."""

    perm: np.ndarray  #: (n,) int64: point of each tree position
    pos: np.ndarray  #: (n,) int64: tree position of each point (inverse of perm)
    start: np.ndarray  #: (n_nodes,) int64: first tree position of the node
    stop: np.ndarray  #: (n_nodes,) int64: one past its last
    left: np.ndarray  #: (n_nodes,) int64: first child, -1 for a leaf
    centre: np.ndarray  #: (3, n_nodes): centre of the node's ball
    radius: np.ndarray  #: (n_nodes,): radius of the ball
    sx: np.ndarray  #: (n,): first coordinate in tree order
    sy: np.ndarray  #: (n,): second coordinate in tree order
    sz: np.ndarray  #: (n,): third coordinate in tree order (0 for planar points)


class Moments(NamedTuple):
    """Per-node moments of ``m`` mass rows (see :func:`node_moments`)."""

    mass: np.ndarray  #: (m, n_nodes): total mass W
    com: np.ndarray  #: (m, 3, n_nodes): centre of mass (the ball's centre where W = 0)
    s2: np.ndarray  #: (m, n_nodes): sum of mass times squared distance to the centre of mass
    peak: np.ndarray  #: (m, n_nodes): largest single mass
    v: np.ndarray  #: (m, n): the masses in tree order
    quad: np.ndarray  #: (m, 6, n_nodes): sum w delta delta^T (xx, yy, zz, xy, xz, yz)
    s1: np.ndarray  #: (m, n_nodes): an upper bound of sum w |delta|
    s3: np.ndarray  #: (m, n_nodes): an upper bound of sum w |delta|^3


class TreeSums(NamedTuple):
    """Approximate products of :func:`tree_matmat`, all ``(m, n_origins)``."""

    value: np.ndarray  #: the estimate of ``(F @ v[k])[i]``
    error: np.ndarray  #: a bound on ``|value - exact|`` (exact arithmetic)
    lower: np.ndarray  #: a lower bound on the exact product
    sources: np.ndarray  #: (n_o,) int64: nodes summed as one source, per origin
    pairs: np.ndarray  #: (n_o,) int64: pairs summed exactly (leaves opened), per origin


@jit()
def build_tree(x: np.ndarray, leaf_size: int) -> Tree:
    """Build a median-split kd-tree of the points ``x`` ``(d, n)`` with leaves of <= ``leaf_size``.

    Each node is split at the median of its widest coordinate (points that
    all coincide are split by position), so the depth is ``ceil(log2(n /
    leaf_size))`` and the build is ``O(n log^2 n)``.

    Parameters
    ----------
    x : ndarray, shape (3, n) or (2, n)
        Unit vectors (great-circle) or planar coordinates in km.
    leaf_size : int
        Most points in a leaf (at least 1).

    Returns
    -------
    Tree
        The nodes (root first, children after their parent) and the
        coordinates in tree order.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0, 1.0, 2.0, 3.0], [0.0, 0.0, 0.0, 0.0]])
    >>> t = build_tree(x, 2)
    >>> t.left.tolist(), t.start.tolist(), t.stop.tolist()
    ([1, -1, -1], [0, 0, 2], [4, 2, 4])
    >>> sorted(t.perm[:2].tolist()), float(t.radius[0])
    ([0, 1], 1.5)
    """
    d, n = x.shape
    leaf_size = max(leaf_size, 1)
    cap = 4 * (n // leaf_size + 1) + 8
    start = np.zeros(cap, np.int64)
    stop = np.zeros(cap, np.int64)
    left = np.full(cap, -1, np.int64)
    perm = np.arange(n)
    stack = np.zeros(_STACK, np.int64)
    stop[0] = n
    n_nodes = 1
    top = 1
    while top > 0:
        top -= 1
        q = stack[top]
        s, e = start[q], stop[q]
        if e - s <= leaf_size:
            continue
        best, width = 0, -1.0
        for k in range(d):
            lo, hi = np.inf, -np.inf
            for p in range(s, e):
                c = x[k, perm[p]]
                lo = min(lo, c)
                hi = max(hi, c)
            if hi - lo > width:
                best, width = k, hi - lo
        if width > 0.0:
            seg = perm[s:e].copy()
            order = np.argsort(x[best][seg], kind="mergesort")
            perm[s:e] = seg[order]
        mid = (s + e) // 2
        left[q] = n_nodes
        start[n_nodes], stop[n_nodes] = s, mid
        start[n_nodes + 1], stop[n_nodes + 1] = mid, e
        stack[top] = n_nodes
        stack[top + 1] = n_nodes + 1
        top += 2
        n_nodes += 2
    start, stop, left = start[:n_nodes].copy(), stop[:n_nodes].copy(), left[:n_nodes].copy()
    centre, radius = _balls(x, perm, start, stop)
    pos = np.empty(n, np.int64)
    for p in range(n):
        pos[perm[p]] = p
    cx, cy, cz = coordinate_rows(x)
    return Tree(perm, pos, start, stop, left, centre, radius, cx[perm], cy[perm], cz[perm])


@jit(parallel=True)
def _balls(
    x: np.ndarray, perm: np.ndarray, start: np.ndarray, stop: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Centre (of the bounding box) and radius of a ball around each node's points."""
    d = x.shape[0]
    n_nodes = start.size
    centre = np.zeros((3, n_nodes))
    radius = np.zeros(n_nodes)
    for q in prange(n_nodes):
        s, e = start[q], stop[q]
        for k in range(d):
            lo, hi = np.inf, -np.inf
            for p in range(s, e):
                lo = min(lo, x[k, perm[p]])
                hi = max(hi, x[k, perm[p]])
            centre[k, q] = 0.5 * (lo + hi)
        r2 = 0.0
        for p in range(s, e):
            t = 0.0
            for k in range(d):
                u = x[k, perm[p]] - centre[k, q]
                t += u * u
            r2 = max(r2, t)
        radius[q] = np.sqrt(r2)
    return centre, radius


@jit()
def node_moments(tree: Tree, v: np.ndarray) -> Moments:
    """Mass, centre of mass, moments and largest mass of every node, for each row of ``v``.

    ``v`` is ``(m, n)`` in the points' own order, entries >= 0. Leaves are
    summed directly (two passes); parents combine their children by the
    parallel-axis rule (``s2 = sum_c (s2_c + W_c |com_c - com|^2)``, a sum of
    non-negative terms, so no cancellation; likewise the tensor ``M``), and
    the upper bounds ``s1``, ``s3`` by ``|a + e|^p <= (|a| + |e|)^p``.

    Parameters
    ----------
    tree : Tree
        From :func:`build_tree`.
    v : ndarray, shape (m, n)
        Masses per row, in the points' own order, entries >= 0.

    Returns
    -------
    Moments
        Per node and row: mass, centre of mass, second moments (coordinate
        units squared times mass), largest mass, and the masses in tree order.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0, 1.0, 2.0, 3.0], [0.0, 0.0, 0.0, 0.0]])
    >>> mo = node_moments(build_tree(x, 2), np.array([[1.0, 1.0, 1.0, 1.0]]))
    >>> mo.mass[0].tolist(), float(mo.com[0, 0, 0]), float(mo.s2[0, 0])
    ([4.0, 2.0, 2.0], 1.5, 5.0)
    """
    m = v.shape[0]
    n_nodes = tree.start.size
    vp = np.empty((m, tree.perm.size))
    for k in range(m):
        vp[k] = v[k][tree.perm]
    z = np.zeros((m, n_nodes))
    mo = Moments(
        z.copy(), np.zeros((m, 3, n_nodes)), z.copy(), z.copy(), vp,
        np.zeros((m, 6, n_nodes)), z.copy(), z.copy(),
    )  # fmt: skip
    for q in range(n_nodes - 1, -1, -1):
        for k in range(m):
            if tree.left[q] < 0:
                _leaf_moments(tree, mo, k, q)
            else:
                _parent_moments(tree, mo, k, q)
    return mo


@jit()
def _leaf_moments(tree: Tree, mo: Moments, k: int, q: int) -> None:
    """Fill leaf ``q``'s moments of row ``k`` from its points (two passes)."""
    pts = (tree.sx, tree.sy, tree.sz)
    vk = mo.v[k]
    s, e = tree.start[q], tree.stop[q]
    w = 0.0
    mx = 0.0
    for p in range(s, e):
        w += vk[p]
        mx = max(mx, vk[p])
    mo.mass[k, q] = w
    mo.peak[k, q] = mx
    for a in range(3):
        t = 0.0
        for p in range(s, e):
            t += vk[p] * pts[a][p]
        mo.com[k, a, q] = t / w if w > 0.0 else tree.centre[a, q]
    ia = (0, 1, 2, 0, 0, 1)  # the six components of a symmetric 3 x 3 tensor
    ib = (0, 1, 2, 1, 2, 2)
    t1 = 0.0
    t2 = 0.0
    t3 = 0.0
    for p in range(s, e):
        r = 0.0
        for a in range(3):
            u = pts[a][p] - mo.com[k, a, q]
            r += u * u
        t1 += vk[p] * np.sqrt(r)
        t2 += vk[p] * r
        t3 += vk[p] * r * np.sqrt(r)
        for c6 in range(6):
            mo.quad[k, c6, q] += (
                vk[p]
                * (pts[ia[c6]][p] - mo.com[k, ia[c6], q])
                * (pts[ib[c6]][p] - mo.com[k, ib[c6], q])
            )
    mo.s1[k, q] = t1
    mo.s2[k, q] = t2
    mo.s3[k, q] = t3


@jit()
def _parent_moments(tree: Tree, mo: Moments, k: int, q: int) -> None:
    """Fill node ``q``'s moments of row ``k`` from its two children's."""
    c = tree.left[q]
    w = mo.mass[k, c] + mo.mass[k, c + 1]
    mo.mass[k, q] = w
    mo.peak[k, q] = max(mo.peak[k, c], mo.peak[k, c + 1])
    for a in range(3):
        t = mo.mass[k, c] * mo.com[k, a, c] + mo.mass[k, c + 1] * mo.com[k, a, c + 1]
        mo.com[k, a, q] = t / w if w > 0.0 else tree.centre[a, q]
    ia = (0, 1, 2, 0, 0, 1)
    ib = (0, 1, 2, 1, 2, 2)
    t1 = 0.0
    t2 = 0.0
    t3 = 0.0
    for h in (c, c + 1):
        r = 0.0
        for a in range(3):
            u = mo.com[k, a, h] - mo.com[k, a, q]
            r += u * u
        wh = mo.mass[k, h]
        t2 += mo.s2[k, h] + wh * r
        e = np.sqrt(r)  # |delta + e|^p <= (|delta| + |e|)^p, expanded
        t1 += mo.s1[k, h] + wh * e
        t3 += mo.s3[k, h] + 3.0 * e * (mo.s2[k, h] + e * mo.s1[k, h]) + wh * e * r
        for c6 in range(6):
            mo.quad[k, c6, q] += mo.quad[k, c6, h] + wh * (
                mo.com[k, ia[c6], h] - mo.com[k, ia[c6], q]
            ) * (mo.com[k, ib[c6], h] - mo.com[k, ib[c6], q])
    mo.s1[k, q] = t1
    mo.s2[k, q] = t2
    mo.s3[k, q] = t3
