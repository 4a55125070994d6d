"""Grid potential: the fused direct sum over cells × masses, and Huff dominance.

For every cell centre ``x`` of a grid window the kernels compute the Hansen
(1959) / Stewart accessibility, or Harris (1954) market potential for the
power decay,

    P(x) = sum_j M_j f(d(x, j)),

and, in the same pass when asked, the Huff (1963) dominant centre
``argmax_j M_j f(d(x, j))`` with its probability ``max_j M_j f_j / P(x)``.

Layout of the work
------------------
* **Rows in parallel.** ``potential_grid`` runs one grid row per ``prange``
  iteration in a caller-given ``order`` (interleaved latitudes keep the two
  halves of the world, which hold very different numbers of masses, balanced
  between threads); each row owns its accumulators, so there are no races.
  ``potential_grid_serial`` is the same loop without threads, for Dask tasks
  that already run in parallel.
* **Spatial binning.** Masses come sorted by latitude (geographic) or by y
  (planar). A row only visits the contiguous band of masses within the cut
  radius ``rcut`` in latitude / y (a binary search), and for each of them only
  the columns whose centres can lie within ``rcut`` (one ``arccos`` per row and
  mass on the sphere, a square root in the plane, plus a one-column margin).
  Contributions from farther than ``rcut`` are dropped exactly, by a mask.
* **Vectorised column blocks.** For one mass, a block of up to 1,024 columns
  goes through three flat loops: distances (the chord between unit vectors,
  ``d = 2 R asin(c / 2)`` with the polynomial :func:`chord_sq_to_km`; or the
  planar distance) with the weight masked by ``d <= rcut``; the decay
  (:func:`geoai.kernels.decay.apply_decay`, kind chosen outside the loop, on
  the branch-free :mod:`geoai.kernels.fastmath` functions); and the weighted
  accumulation. All compile to AVX2 code: libm's scalar ``asin``/``exp`` cost
  ~25 ns and ~9 ns per call on this machine, without SVML.
* **Own distance.** With ``own_km[r] > 0`` (the Harris rule for the power
  decay) a mass lying inside cell ``(r, c)`` is taken at distance
  ``own_km[r]`` from that cell's centre instead of its true distance.

All inputs are trusted (the public layer, :mod:`geoai.potential`, validates).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import prange

from geoai.kernels import Index, jit
from geoai.kernels.decay import apply_decay
from geoai.kernels.distance import EARTH_RADIUS_KM

__all__ = [
    "Columns",
    "DecayModel",
    "GridOutputs",
    "Mass",
    "Offset",
    "OwnCell",
    "RowState",
    "SortedMasses",
    "chord_sq_to_km",
    "deposit_bilinear",
    "potential_grid",
    "potential_grid_serial",
]

#: Columns processed per block inside a row (scratch buffers stay in L1).
_BLOCK = 1024

# asin(x) = x + x^3 P(x^2) on 0 <= x <= 1/2, P of degree 11 fitted by Chebyshev
# interpolation (nodes on z = x^2 in [0, 1/4]) of the exact series
# P(z) = sum_n (2n)! / (4^n (n!)^2 (2n + 1)) z^(n-1); max relative error of the
# resulting asin 2.2e-16 on [0, 1/2] (tests/test_potential.py checks it). Twelve
# terms instead of the ~26 of the plain Maclaurin series.
_A = (0.16666666666666619, 0.07500000000040521, 0.044642857081765956,
      0.03038194833069952, 0.022372025446154947, 0.017355552884206794,
      0.013927363305507853, 0.01188567715386549, 0.007782559220989558,
      0.01602156956990558, -0.010612487792968748, 0.027994791666666668)  # fmt: skip
_A0, _A1, _A2, _A3, _A4, _A5, _A6, _A7, _A8, _A9, _A10, _A11 = _A
_TWO_R = 2.0 * EARTH_RADIUS_KM
_HALF_PI = 0.5 * np.pi


@jit(inline="always")
def chord_sq_to_km(q: float) -> float:
    """Great-circle distance (km) from the squared chord ``q`` between unit vectors.

    ``d = 2 R asin(sqrt(q) / 2)``; above ``x = 1/2`` the identity
    ``asin(x) = pi/2 - 2 asin(sqrt((1 - x) / 2))`` keeps the polynomial on
    ``[0, 1/2]``. Written with selects only, so loops calling it vectorise
    (about 1 ns per distance here, against ~25 ns for libm's ``asin``).

    Examples
    --------
    A quarter of a great circle (squared chord 2) and 100 km:

    >>> import math
    >>> math.isclose(chord_sq_to_km(2.0), math.pi * EARTH_RADIUS_KM / 2, rel_tol=1e-14)
    True
    >>> chord = 2 * math.sin(100 / (2 * EARTH_RADIUS_KM))
    >>> math.isclose(chord_sq_to_km(chord * chord), 100.0, rel_tol=1e-13)
    True
    """
    x = min(0.5 * np.sqrt(q), 1.0)
    far = x > 0.5
    z = 0.5 * (1.0 - x) if far else x * x
    s = np.sqrt(z) if far else x
    p = _A0 + z * (_A1 + z * (_A2 + z * (_A3 + z * (_A4 + z * (_A5 + z * (_A6 + z * (
        _A7 + z * (_A8 + z * (_A9 + z * (_A10 + z * _A11))))))))))  # fmt: skip
    p = s + s * z * p
    return _TWO_R * (_HALF_PI - 2.0 * p) if far else _TWO_R * p


# ---------------------------------------------------------------- span passes
# Named tuples keep the argument lists short; Numba passes them without copying.


class Columns(NamedTuple):
    """Per-column geometry of a grid window, each of shape ``(w,)``."""

    pos: np.ndarray  #: column-centre longitude (radians) or x (km), equally spaced, increasing
    cos: np.ndarray  #: cosine of the longitude (geographic; any array otherwise)
    sin: np.ndarray  #: sine of the longitude (geographic; any array otherwise)


class Offset(NamedTuple):
    """Global index of a window's first row and column."""

    row: int
    col: int


class SortedMasses(NamedTuple):
    """The masses, length ``n``, sorted by ``row_pos`` (see :func:`potential_grid`)."""

    row_pos: np.ndarray  #: latitude (radians) or y (km), increasing
    col_pos: np.ndarray  #: longitude (radians) or x (km)
    vec: np.ndarray  #: unit vectors ``(n, 3)`` (geographic)
    w: np.ndarray  #: masses (>= 0)
    ident: np.ndarray  #: original positions (int64)
    cell: np.ndarray  #: global ``(row, col)`` of the cell holding each mass (int64 ``(n, 2)``)


class DecayModel(NamedTuple):
    """The decay of :mod:`geoai.kernels.decay` and the cut radius."""

    kind: int  #: decay code
    beta: float  #: its parameter
    a: float  #: the Tanner exponent (unused by the others)
    rcut: float  #: cut radius (km; ``inf`` for none)


class GridOutputs(NamedTuple):
    """The outputs of :func:`potential_grid`, written in place."""

    potential: np.ndarray  #: float64 ``(h, w)``
    dominant: np.ndarray  #: int32 ``(h, w)`` (``(0, 0)`` without Huff)
    probability: np.ndarray  #: float64 ``(h, w)`` (``(0, 0)`` without Huff)


class Mass(NamedTuple):
    """One mass as seen from one grid row.

    On the sphere, the squared chord to the column at longitude ``lon`` is
    ``(cos_row cos(lon) - x)^2 + (cos_row sin(lon) - y)^2 + rest2``; in the plane
    the squared distance to the column at ``pos`` is ``(pos - x)^2 + rest2``.
    """

    cos_row: float  #: cosine of the row latitude (1 in the plane)
    x: float  #: unit-vector x of the mass (geographic) or its x (km)
    y: float  #: unit-vector y of the mass (geographic; 0 in the plane)
    rest2: float  #: ``(sin(row latitude) - z)^2``, or ``(row y - mass y)^2`` in the plane
    w: float  #: the mass
    ident: int  #: its original position


class OwnCell(NamedTuple):
    """The column of a row's cell holding the current mass (-1: none) and its own distance."""

    col: int
    km: float


class RowState(NamedTuple):
    """Per-row accumulators (shape ``(w,)``, Huff ones ``(0,)`` without Huff) and scratch."""

    acc: np.ndarray  #: potential
    best: np.ndarray  #: largest single contribution (Huff)
    arg: np.ndarray  #: its mass's original position (int64, Huff)
    dbuf: np.ndarray  #: distances, then ``f(d)``, of one column block (``(_BLOCK,)``)
    wbuf: np.ndarray  #: masked weights of one column block (``(_BLOCK,)``)


@jit()
def _distances_sphere(
    state: RowState, n: Index, c0: Index, cols: Columns, mass: Mass, rcut: float
) -> None:
    """Distances (km) of one block of columns on the sphere, and the masked weights."""
    dbuf, wbuf = state.dbuf, state.wbuf
    col_cos, col_sin = cols.cos, cols.sin
    cphi, mx, my, dz2, w = mass.cos_row, mass.x, mass.y, mass.rest2, mass.w
    for k in range(n):
        c = c0 + k
        dx = cphi * col_cos[c] - mx
        dy = cphi * col_sin[c] - my
        d = chord_sq_to_km(dx * dx + dy * dy + dz2)
        dbuf[k] = d
        wbuf[k] = w if d <= rcut else 0.0


@jit()
def _distances_plane(
    state: RowState, n: Index, c0: Index, cols: Columns, mass: Mass, rcut: float
) -> None:
    """Planar distances (km) of one block of columns, and the masked weights."""
    dbuf, wbuf = state.dbuf, state.wbuf
    col_pos = cols.pos
    mx, dy2, w = mass.x, mass.rest2, mass.w
    for k in range(n):
        dx = col_pos[c0 + k] - mx
        d = np.sqrt(dx * dx + dy2)
        dbuf[k] = d
        wbuf[k] = w if d <= rcut else 0.0


@jit(inline="always")
def _take(state: RowState, c: Index, v: float, idx: int, huff: bool) -> None:
    """Add ``v`` to column ``c``; with ``huff``, keep it if it is the largest so far."""
    acc, best, arg = state.acc, state.best, state.arg
    acc[c] += v
    if huff and (v > best[c] or (v == best[c] and v > 0.0 and idx < arg[c])):
        best[c] = v
        arg[c] = idx


@jit()
def _decay_block(dbuf: np.ndarray, n: Index, model: DecayModel) -> None:
    """``f(d)`` in place over ``dbuf[:n]`` (one compiled copy of apply_decay for all callers)."""
    apply_decay(dbuf, 0, n, model.kind, model.beta, model.a)


@jit()
def _accumulate(
    c0: Index,
    c1: Index,
    geographic: bool,
    cols: Columns,
    mass: Mass,
    model: DecayModel,
    huff: bool,
    state: RowState,
) -> None:
    """Add one mass's contributions ``w f(d)`` (0 beyond ``rcut``) to columns ``[c0, c1)``."""
    rcut = model.rcut
    acc, dbuf, wbuf = state.acc, state.dbuf, state.wbuf
    idx = mass.ident
    start = c0
    while start < c1:
        n = min(_BLOCK, c1 - start)
        if geographic:
            _distances_sphere(state, n, start, cols, mass, rcut)
        else:
            _distances_plane(state, n, start, cols, mass, rcut)
        _decay_block(dbuf, n, model)
        if huff:
            for k in range(n):
                _take(state, start + k, wbuf[k] * dbuf[k], idx, True)  # noqa: FBT003 - folds the test
        else:
            for k in range(n):
                acc[start + k] += wbuf[k] * dbuf[k]
        start += n


@jit()
def _mass_on_span(
    c0: Index,
    c1: Index,
    own: OwnCell,
    geographic: bool,
    cols: Columns,
    mass: Mass,
    model: DecayModel,
    huff: bool,
    state: RowState,
) -> None:
    """Process columns ``[c0, c1)``, taking column ``own.col`` (if inside) at ``own.km``."""
    own_c, own_d = own.col, own.km
    if c0 <= own_c < c1:
        _accumulate(c0, own_c, geographic, cols, mass, model, huff, state)
        _accumulate(own_c + 1, c1, geographic, cols, mass, model, huff, state)
        dbuf = state.dbuf
        dbuf[0] = own_d
        _decay_block(dbuf, np.int64(1), model)  # np.int64: no literal-typed recompile
        v = mass.w * dbuf[0] if own_d <= model.rcut else 0.0
        _take(state, own_c, v, mass.ident, huff)
    else:
        _accumulate(c0, c1, geographic, cols, mass, model, huff, state)


@jit(inline="always")
def _col_range(centre: float, half: float, x0: float, dx: float, w: int) -> tuple[int, int]:
    """Half-open column range whose centres lie within ``half`` of ``centre`` (+1 margin)."""
    lo = min(max((centre - half - x0) / dx, -2.0), w + 2.0)
    hi = min(max((centre + half - x0) / dx, -2.0), w + 2.0)
    return max(int(np.ceil(lo)) - 1, 0), min(int(np.floor(hi)) + 2, w)


@jit()
def _plane_mass(
    j: int,
    rp: float,
    everything: bool,
    own: OwnCell,
    geographic: bool,
    cols: Columns,
    masses: SortedMasses,
    model: DecayModel,
    huff: bool,
    state: RowState,
) -> None:
    """Add mass ``j`` to a planar row at ``y = rp``."""
    col_pos = cols.pos
    m_col_pos = masses.col_pos
    w_cols = col_pos.size
    dy = rp - masses.row_pos[j]
    mass = Mass(1.0, m_col_pos[j], 0.0, dy * dy, masses.w[j], masses.ident[j])
    c0: Index = np.int64(0)
    c1: Index = np.int64(w_cols)
    if not everything:
        rcut = model.rcut
        half = np.sqrt(max(rcut * rcut - dy * dy, 0.0))
        dx = col_pos[1] - col_pos[0] if w_cols > 1 else 1.0
        c0, c1 = _col_range(m_col_pos[j], half, col_pos[0], dx, w_cols)
    if c0 < c1:
        _mass_on_span(c0, c1, own, geographic, cols, mass, model, huff, state)


@jit()
def _sphere_mass(
    j: int,
    rp: float,
    everything: bool,
    own: OwnCell,
    geographic: bool,
    cols: Columns,
    masses: SortedMasses,
    model: DecayModel,
    huff: bool,
    state: RowState,
) -> None:
    """Add mass ``j`` to a row of latitude ``rp`` (radians) on the sphere."""
    col_pos = cols.pos
    m_vec = masses.vec
    w_cols = col_pos.size
    dx = col_pos[1] - col_pos[0] if w_cols > 1 else 1.0
    cphi, sphi = np.cos(rp), np.sin(rp)
    mx, my, mz = m_vec[j, 0], m_vec[j, 1], m_vec[j, 2]
    mass = Mass(cphi, mx, my, (sphi - mz) ** 2, masses.w[j], masses.ident[j])
    whole_row = everything
    half = np.pi
    if not whole_row:
        # columns with cos(d / R) >= cos(rcut / R): cos(dlon) >= t
        den = cphi * np.sqrt(mx * mx + my * my)
        if den <= 1e-15:
            whole_row = True  # a pole: every column is at the same distance
        else:
            t = (np.cos(model.rcut / EARTH_RADIUS_KM) - sphi * mz) / den
            half = np.arccos(min(max(t, -1.0), 1.0))
            whole_row = t <= -1.0 or half >= np.pi - 2.0 * abs(dx)
    if whole_row:
        c0: Index = np.int64(0)
        c1: Index = np.int64(w_cols)
        _mass_on_span(c0, c1, own, geographic, cols, mass, model, huff, state)
        return
    for k in range(-1, 2):  # the circle's longitudes, unwrapped by -360, 0, +360 degrees
        c0, c1 = _col_range(masses.col_pos[j] + 2.0 * np.pi * k, half, col_pos[0], dx, w_cols)
        if c0 < c1:
            _mass_on_span(c0, c1, own, geographic, cols, mass, model, huff, state)


@jit()
def _row(
    r: int,
    geographic: bool,
    row_pos: np.ndarray,
    cols: Columns,
    offset: Offset,
    masses: SortedMasses,
    own_km: np.ndarray,
    model: DecayModel,
    huff: bool,
    outs: GridOutputs,
) -> None:
    """Compute row ``r`` of the window: potential, and Huff dominance if ``huff``."""
    w_cols = cols.pos.size
    m_row_pos, m_cell = masses.row_pos, masses.cell
    state = RowState(
        np.zeros(w_cols),
        np.zeros(w_cols if huff else 0),
        np.full(w_cols if huff else 0, -1, dtype=np.int64),
        np.empty(_BLOCK),
        np.empty(_BLOCK),
    )
    rp = row_pos[r]
    band = model.rcut / EARTH_RADIUS_KM if geographic else model.rcut
    everything = np.isinf(band) or (geographic and band >= np.pi)
    lo, hi = 0, m_row_pos.size
    if not everything:  # the band of masses within rcut in latitude / y
        slack = band * 1e-12 + 1e-12
        lo = np.searchsorted(m_row_pos, rp - band - slack)
        hi = np.searchsorted(m_row_pos, rp + band + slack, side="right")
    for j in range(lo, hi):
        own_c = -1
        if own_km[r] > 0.0 and m_cell[j, 0] == offset.row + r:
            own_c = m_cell[j, 1] - offset.col
        own = OwnCell(own_c, own_km[r])
        if geographic:
            _sphere_mass(j, rp, everything, own, geographic, cols, masses, model, huff, state)
        else:
            _plane_mass(j, rp, everything, own, geographic, cols, masses, model, huff, state)
    out, dominant, probability = outs.potential, outs.dominant, outs.probability
    acc, best, arg = state.acc, state.best, state.arg
    for c in range(w_cols):
        out[r, c] = acc[c]
    if huff:
        for c in range(w_cols):
            dominant[r, c] = arg[c]
            probability[r, c] = best[c] / acc[c] if acc[c] > 0.0 else np.nan


@jit(parallel=True)
def potential_grid(
    geographic: bool,
    row_pos: np.ndarray,
    cols: tuple[np.ndarray, ...],
    offset: tuple[int, int],
    masses: tuple[np.ndarray, ...],
    own_km: np.ndarray,
    model: tuple[int, float, float, float],
    huff: bool,
    order: np.ndarray,
    outs: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """Potential (and Huff dominance) on a grid window, rows in parallel.

    Parameters
    ----------
    geographic : bool
        Great-circle distances on the sphere (True) or planar ones (False).
    row_pos : ndarray, shape (h,)
        Row-centre latitude in radians (geographic) or y in km (planar).
    cols : tuple of three ndarrays, shape (w,)
        :class:`Columns` ``(pos, cos, sin)``: column-centre longitude in radians
        (or x in km), equally spaced and increasing, and its cosine and sine
        (geographic; any arrays of shape (w,) otherwise).
    offset : tuple of two ints
        :class:`Offset` ``(row, col)``: global index of the window's first row
        and column (for the mass cells).
    masses : tuple of six ndarrays, length n, **sorted by the first**
        :class:`SortedMasses` ``(row_pos, col_pos, vec, w, ident, cell)``:
        latitude/longitude in radians (or y/x in km), unit vectors ``(n, 3)``
        (geographic), masses (>= 0), original positions (int64, reported by
        ``dominant`` and used to break ties), and the global ``(row, col)`` of
        the cell holding each mass (int64 ``(n, 2)``, -1 when outside the grid).
    own_km : ndarray, shape (h,)
        Own distance per row (km) for masses inside a cell; <= 0 disables the rule.
    model : tuple (int, float, float, float)
        :class:`DecayModel` ``(kind, beta, a, rcut)``: decay code and parameters
        of :mod:`geoai.kernels.decay`, and the cut radius in km (``inf`` for none).
    huff : bool
        Also compute the Huff dominant centre and probability.
    order : ndarray of int64, shape (h,)
        Order in which rows are processed.
    outs : tuple of three ndarrays
        :class:`GridOutputs` ``(potential, dominant, probability)``: the
        potential (float64 ``(h, w)``), the dominant mass's original position
        (int32 ``(h, w)``, -1 where nothing reaches) and its Huff probability
        (float64 ``(h, w)``, NaN where nothing reaches); the last two may be
        ``(0, 0)`` when ``huff`` is False.

    Plain tuples and these named tuples are both accepted.

    Examples
    --------
    Two masses (1 and 3) at the ends of a 20 km row, exponential decay of 10 km, no cut:

    >>> import numpy as np
    >>> from geoai.kernels.decay import EXPONENTIAL
    >>> x_km, y_km = np.array([0.0, 10.0, 20.0]), np.array([0.0])  # one planar row of 3 cells
    >>> masses = (np.zeros(2), np.array([0.0, 20.0]), np.zeros((2, 3)), np.array([1.0, 3.0]),
    ...           np.array([0, 1]), np.full((2, 2), -1))  # y, x, (unused), mass, id, no cell
    >>> outs = (np.empty((1, 3)), np.empty((1, 3), dtype=np.int32), np.empty((1, 3)))
    >>> potential_grid(False, y_km, (x_km, x_km, x_km), (0, 0), masses, np.zeros(1),
    ...                (EXPONENTIAL, 0.1, 0.0, np.inf), True, np.arange(1), outs)
    >>> bool(np.allclose(outs[0][0], np.exp(-0.1 * x_km) + 3 * np.exp(-0.1 * (20 - x_km))))
    True
    >>> outs[1][0].tolist()  # the Huff dominant mass of each cell
    [0, 1, 1]
    """
    cols_ = Columns(cols[0], cols[1], cols[2])
    offset_ = Offset(offset[0], offset[1])
    masses_ = SortedMasses(masses[0], masses[1], masses[2], masses[3], masses[4], masses[5])
    model_ = DecayModel(model[0], model[1], model[2], model[3])
    outs_ = GridOutputs(outs[0], outs[1], outs[2])
    for i in prange(order.size):
        _row(order[i], geographic, row_pos, cols_, offset_, masses_, own_km, model_, huff, outs_)


@jit()
def potential_grid_serial(
    geo: bool,
    row_pos: np.ndarray,
    cols: tuple[np.ndarray, ...],
    offset: tuple[int, int],
    masses: tuple[np.ndarray, ...],
    own_km: np.ndarray,
    model: tuple[int, float, float, float],
    huff: bool,
    order: np.ndarray,
    outs: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """:func:`potential_grid` on one thread, for tasks that already run in parallel.

    Examples
    --------
    The row of :func:`potential_grid`, cut at 15 km, without Huff dominance:

    >>> import numpy as np
    >>> from geoai.kernels.decay import EXPONENTIAL
    >>> x_km, y_km = np.array([0.0, 10.0, 20.0]), np.array([0.0])  # one planar row of 3 cells
    >>> masses = (np.zeros(2), np.array([0.0, 20.0]), np.zeros((2, 3)), np.array([1.0, 3.0]),
    ...           np.array([0, 1]), np.full((2, 2), -1))  # y, x, (unused), mass, id, no cell
    >>> outs = (np.empty((1, 3)), np.empty((0, 0), dtype=np.int32), np.empty((0, 0)))
    >>> potential_grid_serial(False, y_km, (x_km, x_km, x_km), (0, 0), masses, np.zeros(1),
    ...                       (EXPONENTIAL, 0.1, 0.0, 15.0), False, np.arange(1), outs)
    >>> outs[0].round(6).tolist()  # each end cell is more than 15 km from the other mass
    [[1.0, 1.471518, 3.0]]
    """
    cols_ = Columns(cols[0], cols[1], cols[2])
    offset_ = Offset(offset[0], offset[1])
    masses_ = SortedMasses(masses[0], masses[1], masses[2], masses[3], masses[4], masses[5])
    model_ = DecayModel(model[0], model[1], model[2], model[3])
    outs_ = GridOutputs(outs[0], outs[1], outs[2])
    for i in range(order.size):
        _row(order[i], geo, row_pos, cols_, offset_, masses_, own_km, model_, huff, outs_)


@jit()
def deposit_bilinear(u: np.ndarray, v: np.ndarray, w: np.ndarray, canvas: np.ndarray) -> None:
    """Spread masses onto the four nearest cell centres (cloud-in-cell), in place.

    Parameters
    ----------
    u : ndarray, shape (n,)
        Fractional column index of each mass, in cell-centre units (the centre
        of cell ``(i, j)`` is at ``u = j, v = i``).
    v : ndarray, shape (n,)
        Fractional row index of each mass, likewise.
    w : ndarray, shape (n,)
        Masses.
    canvas : ndarray, shape (h, w)
        Receives the masses; parts falling outside are dropped.

    Examples
    --------
    A mass of 4 halfway between two centres, and one of 2 half off the canvas:

    >>> import numpy as np
    >>> canvas = np.zeros((2, 2))
    >>> deposit_bilinear(np.array([0.5, 1.5]), np.array([0.0, 1.0]), np.array([4.0, 2.0]), canvas)
    >>> canvas.tolist()
    [[2.0, 2.0], [0.0, 1.0]]
    """
    h, wc = canvas.shape
    for k in range(w.size):
        j0 = int(np.floor(u[k]))
        i0 = int(np.floor(v[k]))
        fx = u[k] - j0
        fy = v[k] - i0
        for di in range(2):
            i = i0 + di
            if i < 0 or i >= h:
                continue
            wy = fy if di == 1 else 1.0 - fy
            for dj in range(2):
                j = j0 + dj
                if 0 <= j < wc:
                    wx = fx if dj == 1 else 1.0 - fx
                    canvas[i, j] += w[k] * wy * wx
