"""The engine's flows of talent and capital, and the start-year equilibrium of them.

Private helpers of :mod:`geoai.scenario.engine` (steps 4 and 5 of docs/model.md):
the deterrence of one kind of flow, the per-metro sums that
:func:`geoai.kernels.scenario.mobility_flows` returns, as named fields, and the
amenities that make the start year a spatial equilibrium (each metro's inflow
equals its outflow).
"""

from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from geoai.errors import ConvergenceError
from geoai.kernels.scenario import mobility_flows
from geoai.scenario._dense import DENSE_MAX, dense_denominator, serve
from geoai.scenario._dense import flows_program as dense_program

if TYPE_CHECKING:
    from geoai._typing import FloatArray
    from geoai.kernels.scenario import MobilityFlows
    from geoai.scenario._dense import Program
    from geoai.scenario.start import World

__all__ = [
    "Deterrence",
    "equilibrium_amenity",
    "flows_program",
    "metro_flows",
]


class Deterrence(NamedTuple):
    """How distance and borders deter one kind of flow, in the kernel's argument order.

    Attributes
    ----------
    decay_km : float
        ``lambda``: distance scale of the exponential decay (km, > 0).
    reach : float
        Distance-free share of interaction, in [0, 1] (``capital_reach``; 0 for talent).
    border : float
        Factor of a flow across a national border, in [0, 1] (``border_friction`` for
        talent, ``home_bias`` for capital).
    outside_weight : float
        ``w_out``: weight of leaving the metro system (>= 0; 0 for capital).
    """

    decay_km: float
    reach: float
    border: float
    outside_weight: float


def metro_flows(
    world: World, weight: FloatArray, send: FloatArray, spec: Deterrence, top_k: int = 0
) -> MobilityFlows:
    """Flows from the senders ``send`` toward the destination weights ``weight`` (both (n,)).

    Up to :data:`geoai.scenario._dense.DENSE_MAX` metros and without the
    largest destinations (``top_k=0``, every year but the last), as products
    with the deterrence matrix the run keeps (:mod:`geoai.scenario._dense`).
    """
    return serve(flows_program(world, weight, send, spec, top_k))


def flows_program(
    world: World, weight: FloatArray, send: FloatArray, spec: Deterrence, top_k: int = 0
) -> Program[MobilityFlows]:
    """:func:`metro_flows` as a program of :mod:`geoai.scenario._dense` (its passes asked for)."""
    if top_k == 0 and weight.size <= DENSE_MAX:
        lam, r, border, w_out = spec
        return (
            yield from dense_program(
                world.xyz,
                world.geo,
                world.country,
                weight,
                send,
                lam=lam,
                r=r,
                border=border,
                w_out=w_out,
            )
        )
    flows: MobilityFlows = mobility_flows(
        world.xyz, world.geo, world.country, weight, send, *spec, top_k
    )
    return flows


def _denominator(world: World, weight: FloatArray, spec: Deterrence) -> FloatArray:
    """``metro_flows(world, weight, send, spec).denom``, which does not depend on ``send``."""
    if weight.size <= DENSE_MAX:
        lam, r, border, w_out = spec
        return dense_denominator(
            world.xyz, world.geo, world.country, weight, lam=lam, r=r, border=border, w_out=w_out
        )
    return np.asarray(metro_flows(world, weight, np.zeros_like(weight), spec).denom)


_CALIBRATED: dict[str, FloatArray] = {}
_CACHE_SIZE = 16
_CACHE_LOCK = threading.Lock()  # sweeps run simulations on threads


def equilibrium_amenity(
    world: World, base: FloatArray, send: FloatArray, spec: Deterrence
) -> FloatArray:
    """:func:`_calibrate`, remembered for the same inputs (presets share their start).

    Not a program of :mod:`geoai.scenario._dense`: the runs of a sweep mostly
    share their start, and made one after another, all but the first find it
    here.
    """
    digest = hashlib.sha1(usedforsecurity=False)
    for array in (world.xyz, world.country, base, send, np.asarray(spec)):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(bytes([world.geo]))
    key = digest.hexdigest()
    with _CACHE_LOCK:
        known = _CALIBRATED.get(key)
    if known is None:
        known = _calibrate(world, base, send, spec)
        with _CACHE_LOCK:
            if len(_CALIBRATED) >= _CACHE_SIZE:
                _CALIBRATED.pop(next(iter(_CALIBRATED)))
            _CALIBRATED[key] = known
    return known.copy()


def _calibrate(world: World, base: FloatArray, send: FloatArray, spec: Deterrence) -> FloatArray:
    """Multipliers ``u`` that make the start-year flows toward ``W = u * base`` balanced.

    Detailed balance ``O_i p_ij = O_j p_ji`` of the mover chain
    ``p_ij = W_j f_ij / s_i`` holds, with a symmetric ``f``, exactly when
    ``W_i s_i(W)`` is proportional to ``O_i``; then every metro's inflow
    equals its outflow. ``W <- sqrt(W O / s(W))`` is the symmetric
    Sinkhorn–Knopp iteration for that scaling and converges geometrically.
    """
    if not np.any(send > 0):
        return np.ones_like(base)  # nobody moves: any amenity is an equilibrium
    send = send / send.max()  # the balance condition does not depend on the scale of O
    w = np.where(send > 0, np.sqrt(send), 0.0)
    for _ in range(10_000):
        denom = _denominator(world, w, spec)
        target = np.divide(send, denom, out=np.zeros_like(send), where=denom > 0)
        new = np.sqrt(w * target)
        new /= new.max()
        done = np.max(np.abs(new - w)) <= 1e-13
        w = new
        if done:
            return np.asarray(np.divide(w, base, out=np.zeros_like(w), where=base > 0))
    raise ConvergenceError(
        "could not calibrate the start-year equilibrium of flows; raise talent_decay_km / "
        "capital_decay_km or drop isolated metros."
    )
