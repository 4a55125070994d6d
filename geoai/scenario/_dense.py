"""Dense deterrence matrices for the scenario's metros: each run's flows as matrix products.

A scenario run calls the talent and capital flows twice a year and the talent
potential once, each an ``O(n^2)`` pass over the metro pairs, and a
sensitivity analysis runs the same ``n`` metros a hundred times. For the
few hundred metros of a scenario, the pairwise distances (``n x n`` floats,
3.4 MB at ``n = 653``) are computed once per set of coordinates and kept,
the deterrence matrix of one decay once per decay (each pair's exponential
once, :func:`geoai.kernels.scenario.deterrence_matrix`), and each call is then
two passes over that matrix (:func:`geoai.kernels.scenario.deterrence_sums`,
one thread: a threaded BLAS product of this size slows down many times over
when the machine is busy) instead of distances, exponentials and sums
recomputed per pair:

``F_ij = ((1 - r) exp(-d_ij / lam) + r) * (border if c_i != c_j else 1)``,
``F_ii = 1`` (the self term), and with the destination weights ``W``:

- ``s = F W + w_out`` (the denominator of :mod:`geoai.kernels.scenario`),
- ``abroad_i = (O_i / s_i) sum_{j: c_j != c_i} F_ij W_j``,
- ``inflow_j = W_j ((F t)_j - t_j)`` with ``t = O / s`` (``F`` is symmetric).

The values are those of :func:`geoai.kernels.scenario.mobility_flows` to
rounding (NumPy's ``arcsin`` against the kernels' own, within a few ulp, and
sums in another order); above :data:`DENSE_MAX` metros, and whenever the largest
destinations are asked for, the engine calls that kernel instead.

Each pass is read from L3 cache or memory (the matrix is larger than a core's
L2), so runs stepped side by side share them: the flows are written as
*programs*, generators that yield the :class:`Product` each pass needs and are
sent its sums. :func:`serve` runs one program (each pass on its own);
:func:`serve_many` runs a sweep's runs year by year together and makes all the
passes over one matrix in one read of it
(:func:`geoai.kernels.scenario.deterrence_sums_many`), each vector's sums
added in the same order as alone, so every run's numbers are the same bit for
bit.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, NamedTuple, TypeAlias, TypeVar

import numpy as np

from geoai.kernels.distance import EARTH_RADIUS_KM
from geoai.kernels.scenario import (
    MobilityFlows,
    deterrence_matrix,
    deterrence_sums,
    deterrence_sums_many,
)
from geoai.scenario._kept import Kept

if TYPE_CHECKING:
    from collections.abc import Generator

    from geoai._typing import FloatArray

_T = TypeVar("_T")

__all__ = [
    "DENSE_MAX",
    "Product",
    "Program",
    "dense_denominator",
    "dense_flows",
    "dense_potential",
    "flows_program",
    "pair_distances",
    "serve",
    "serve_many",
]

#: Most metros for which the engine keeps dense ``n x n`` matrices (2,000: 32 MB each).
DENSE_MAX = 2000
#: Bytes of deterrence matrices kept at once, over all decays (distances not included).
_BUDGET = 256 * 2**20


def _held(entry: tuple[FloatArray, ...]) -> int:
    """Bytes of one cached entry, each distinct array counted once."""
    return sum(a.nbytes for a in {id(a): a for a in entry}.values())


# one world per run; two for a caller alternating worlds
_DISTANCES: Kept[str, FloatArray] = Kept(most=2)
# deterrence (and potential) matrices, by decay: oldest first, the newest always kept
_MATRICES: Kept[tuple[object, ...], tuple[FloatArray, ...]] = Kept(budget=_BUDGET, size=_held)
# the digests of the last few read-only worlds, by the identity of their arrays
_KEYS: Kept[tuple[int, int, bool], tuple[FloatArray, np.ndarray | None, str]] = Kept(most=8)


def _key(xyz: FloatArray, geo: bool, country: np.ndarray | None) -> str:  # noqa: FBT001 - mirrors the kernels' positional flag
    """Return a digest of a world's points (and countries): the same for equal arrays.

    A run passes the same array objects every year, so the digest of the
    last few objects is remembered (they are kept alive with it, so their
    ids stay theirs) and hashing the bytes happens once per world.
    """
    ident = (id(xyz), id(country), bool(geo))
    known = _KEYS.get(ident)
    if known is not None and known[0] is xyz and known[1] is country:
        return known[2]
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(np.ascontiguousarray(xyz, dtype=np.float64).tobytes())
    digest.update(str(xyz.shape).encode())
    digest.update(bytes([bool(geo)]))
    if country is not None:
        digest.update(np.ascontiguousarray(country, dtype=np.int64).tobytes())
    key = digest.hexdigest()
    if not xyz.flags.writeable and (country is None or not country.flags.writeable):
        _KEYS.put(ident, (xyz, country, key))  # read-only arrays cannot change behind the digest
    return key


def pair_distances(xyz: FloatArray, geo: bool) -> FloatArray:  # noqa: FBT001 - mirrors the kernels' positional flag
    """Distances (km) between all pairs of kernel points, as the kernels measure them.

    Parameters
    ----------
    xyz : numpy.ndarray, shape (3, n) or (2, n)
        Unit vectors (``geo``) or planar coordinates in km.
    geo : bool
        Great-circle distances through the chord (True) or planar ones.

    Returns
    -------
    numpy.ndarray of float64, shape (n, n)
        Symmetric, with an exact 0 on the diagonal.

    Examples
    --------
    >>> import numpy as np
    >>> pair_distances(np.array([[0.0, 3.0], [0.0, 4.0]]), False).tolist()
    [[0.0, 5.0], [5.0, 0.0]]
    """
    pts = np.asarray(xyz, dtype=np.float64)
    rows = pts[:3] if geo else pts[:2]
    gap = rows[:, :, None] - rows[:, None, :]
    chord = np.sqrt(np.einsum("kij,kij->ij", gap, gap))
    if not geo:
        return np.asarray(chord, dtype=np.float64)
    return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(0.5 * chord, 1.0)))


def _distances(xyz: FloatArray, geo: bool) -> FloatArray:  # noqa: FBT001 - mirrors the kernels' positional flag
    """:func:`pair_distances` of a world's points, computed once and kept."""
    key = _key(xyz, geo, None)
    known = _DISTANCES.get(key)
    return known if known is not None else _DISTANCES.put(key, pair_distances(xyz, geo))


def _remember(key: tuple[object, ...], made: tuple[FloatArray, ...]) -> None:
    for a in made:
        a.setflags(write=False)  # shared by every later call: nobody may change it
    _MATRICES.put(key, made)


def _deterrence(
    xyz: FloatArray,
    geo: bool,  # noqa: FBT001 - mirrors the kernels' positional flag
    country: np.ndarray,
    *,
    lam: float,
    r: float,
    border: float,
) -> FloatArray:
    """``F`` (all pairs, ``F_ii = 1``), kept per decay."""
    world = _key(xyz, geo, country)
    key = ("flows", world, float(lam), float(r), float(border))
    known = _MATRICES.get(key)
    if known is not None:
        return known[0]
    dist = _distances(xyz, geo)
    codes = np.ascontiguousarray(country, dtype=np.int64)
    made = np.empty((codes.size, codes.size))
    deterrence_matrix(dist, codes, float(lam), float(r), float(border), made)
    _remember(key, (made,))
    return made


class Product(NamedTuple):
    """One pass a flows program asks for: ``deterrence_sums(f, codes, w)``.

    Attributes
    ----------
    f : numpy.ndarray of float64, shape (n, n)
        The kept (read-only) deterrence matrix.
    codes : numpy.ndarray of int64, shape (n,)
        Country code of each metro.
    w : numpy.ndarray of float64, shape (n,)
        The vector multiplied.
    """

    f: FloatArray
    codes: np.ndarray
    w: FloatArray


#: A computation that yields the :class:`Product` passes it needs, is sent each
#: pass's ``(total, cross)`` and returns its result (:func:`serve`, :func:`serve_many`).
Program: TypeAlias = "Generator[Product, tuple[FloatArray, FloatArray], _T]"


def serve(program: Program[_T]) -> _T:
    """Run one program, each pass by :func:`geoai.kernels.scenario.deterrence_sums`."""
    try:
        ask = next(program)
        while True:
            ask = program.send(deterrence_sums(ask.f, ask.codes, ask.w))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]  # the program's return value


def serve_many(programs: list[Program[_T]]) -> list[_T]:
    """Run programs side by side: passes over the same matrix share one read of it.

    At every round each unfinished program has asked for one pass; the passes
    over one matrix are done together by
    :func:`geoai.kernels.scenario.deterrence_sums_many`, which gives every vector
    the sums :func:`serve` would, bit for bit. A program that raises stops; the
    others run on, and the error of the first program (in list order) that
    raised is raised at the end, as running them one after another would.

    Parameters
    ----------
    programs : list of generators
        As :data:`Program`.

    Returns
    -------
    list
        Each program's result, in order.
    """
    results: dict[int, _T] = {}
    errors: dict[int, Exception] = {}
    asks: dict[int, Product] = {}

    def advance(i: int, reply: tuple[FloatArray, FloatArray] | None) -> None:
        try:
            asks[i] = next(programs[i]) if reply is None else programs[i].send(reply)
        except StopIteration as done:
            results[i] = done.value
        except Exception as err:  # noqa: BLE001 - re-raised below, in list order
            errors[i] = err

    for i in range(len(programs)):
        advance(i, None)
    while asks:
        current = dict(asks)
        groups: dict[int, list[int]] = {}
        asks.clear()
        for i, ask in current.items():  # one matrix object: one world and one decay
            groups.setdefault(id(ask.f), []).append(i)
        for members in groups.values():
            one = current[members[0]]
            if len(members) == 1:
                advance(members[0], deterrence_sums(one.f, one.codes, one.w))
                continue
            stacked = np.stack([current[i].w for i in members])
            total, cross = deterrence_sums_many(one.f, one.codes, stacked)
            for v, i in enumerate(members):
                advance(i, (total[v], cross[v]))
    if errors:
        raise errors[min(errors)]
    return [results[i] for i in range(len(programs))]


def dense_flows(
    xyz: FloatArray,
    geo: bool,  # noqa: FBT001 - mirrors the kernels' positional flag
    country: np.ndarray,
    weight: FloatArray,
    send: FloatArray,
    *,
    lam: float,
    r: float,
    border: float,
    w_out: float,
) -> MobilityFlows:
    """:func:`geoai.kernels.scenario.mobility_flows` without the largest destinations.

    Parameters
    ----------
    xyz : numpy.ndarray, shape (3, n) or (2, n)
        Unit vectors (``geo``) or planar coordinates in km.
    geo : bool
        Great-circle (True) or planar (False) distances.
    country : numpy.ndarray of int, shape (n,)
        Country code of each metro.
    weight : numpy.ndarray, shape (n,)
        Destination weights ``W`` (>= 0).
    send : numpy.ndarray, shape (n,)
        Senders ``O`` (>= 0: people or USD).
    lam : float
        Distance scale of the decay (km, > 0).
    r : float
        Distance-free share of interaction, in [0, 1].
    border : float
        Factor of a flow across a national border, in [0, 1].
    w_out : float
        Weight of leaving the metro system (>= 0).

    Returns
    -------
    MobilityFlows
        As the kernel's, with ``top_index`` and ``top_flow`` of shape ``(n, 0)``.

    Examples
    --------
    Ten movers leave metro 0; metro 2, 200 km away, is across a border (factor 0.5):

    >>> import numpy as np
    >>> xyz = np.array([[0.0, 100.0, 200.0], [0.0, 0.0, 0.0]])  # planar km
    >>> got = dense_flows(xyz, False, np.array([0, 0, 1]), np.ones(3),
    ...                   np.array([10.0, 0.0, 0.0]), lam=100.0, r=0.0, border=0.5, w_out=0.0)
    >>> bool(np.isclose(got.denom[0], 1 + np.exp(-1) + 0.5 * np.exp(-2)))
    True
    >>> bool(np.isclose(got.abroad[0], 10 * 0.5 * np.exp(-2) / got.denom[0]))
    True
    """
    program = flows_program(
        xyz, geo, country, weight, send, lam=lam, r=r, border=border, w_out=w_out
    )
    return serve(program)


def flows_program(
    xyz: FloatArray,
    geo: bool,  # noqa: FBT001 - mirrors the kernels' positional flag
    country: np.ndarray,
    weight: FloatArray,
    send: FloatArray,
    *,
    lam: float,
    r: float,
    border: float,
    w_out: float,
) -> Program[MobilityFlows]:
    """:func:`dense_flows` as a :data:`Program`: its two passes asked for, not made."""
    f = _deterrence(xyz, geo, country, lam=lam, r=r, border=border)
    codes = np.ascontiguousarray(country, dtype=np.int64)
    w = np.ascontiguousarray(weight, dtype=np.float64)
    o = np.asarray(send, dtype=np.float64)
    n = w.size
    reach, cross = yield Product(f, codes, w)
    denom = reach + w_out
    positive = denom > 0.0
    scale = np.divide(o, denom, out=np.zeros_like(o), where=positive)
    back, _ = yield Product(f, codes, scale)
    inflow = w * (back - scale)
    outflow = np.where(positive, o - scale * w, 0.0)
    return MobilityFlows(
        outflow,
        inflow,
        scale * w_out,
        denom,
        np.full((n, 0), -1, dtype=np.int64),
        np.zeros((n, 0)),
        scale * cross,
    )


def dense_denominator(
    xyz: FloatArray,
    geo: bool,  # noqa: FBT001 - mirrors the kernels' positional flag
    country: np.ndarray,
    weight: FloatArray,
    *,
    lam: float,
    r: float,
    border: float,
    w_out: float,
) -> FloatArray:
    """``denom`` of :func:`dense_flows` alone (one pass over the matrix instead of two).

    Parameters are those of :func:`dense_flows` without the senders; the
    result, shape (n,), equals ``dense_flows(...).denom`` bit for bit.

    Examples
    --------
    >>> import numpy as np
    >>> xyz = np.array([[0.0, 100.0, 200.0], [0.0, 0.0, 0.0]])  # planar km
    >>> got = dense_denominator(xyz, False, np.array([0, 0, 1]), np.ones(3),
    ...                         lam=100.0, r=0.0, border=0.5, w_out=0.0)
    >>> bool(np.isclose(got[0], 1 + np.exp(-1) + 0.5 * np.exp(-2)))
    True
    """
    f = _deterrence(xyz, geo, country, lam=lam, r=r, border=border)
    codes = np.ascontiguousarray(country, dtype=np.int64)
    w = np.ascontiguousarray(weight, dtype=np.float64)
    return np.asarray(deterrence_sums(f, codes, w)[0] + w_out)


def dense_potential(xyz: FloatArray, geo: bool, w: FloatArray, beta: float) -> FloatArray:  # noqa: FBT001 - mirrors the kernels' positional flag
    """``sum_j w_j exp(-beta d_ij)``, the own mass counted in full (``f(0) = 1``).

    Parameters
    ----------
    xyz : numpy.ndarray, shape (3, n) or (2, n)
        Unit vectors (``geo``) or planar coordinates in km.
    geo : bool
        Great-circle (True) or planar (False) distances.
    w : numpy.ndarray, shape (n,)
        Masses (>= 0).
    beta : float
        Rate of the exponential decay (1/km, > 0).

    Returns
    -------
    numpy.ndarray of float64, shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> got = dense_potential(np.array([[0.0, 300.0], [0.0, 0.0]]), False, np.ones(2), 1 / 300)
    >>> bool(np.allclose(got, 1 + np.exp(-1.0)))
    True
    """
    key = ("potential", _key(xyz, geo, None), float(beta))
    known = _MATRICES.get(key)
    if known is None:
        p = np.exp(_distances(xyz, geo) * (-float(beta)))
        np.fill_diagonal(p, 1.0)
        known = (p,)
        _remember(key, known)
    return np.asarray(known[0] @ np.asarray(w, dtype=np.float64))
