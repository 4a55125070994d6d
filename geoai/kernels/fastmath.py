"""Branch-free exp, log and asin that LLVM can vectorise.

Numba on this platform has no SVML, so ``np.exp``, ``np.log`` and
``np.arcsin`` are scalar libm calls (23-62 cycles each) that also stop a loop
from being vectorised. These versions use only arithmetic, selects, bit
casts and fused multiply-adds, so a loop over them compiles to AVX2 code (four
doubles at a time). Accuracy, checked in the tests against NumPy over the
ranges the kernels use: relative error below 2e-15 (a few ulp).

* ``exp(x)``: ``x = k ln2 + r`` with ``|r| <= ln2 / 2`` (Cody-Waite, the
  low part of ``ln 2`` subtracted with a fused multiply-add that fast-math
  cannot fold into the high part), a degree-12 Taylor polynomial for ``e^r``,
  and ``2^k`` added to its exponent bits (results below ``2^-1000`` are built
  ``2^600`` higher and scaled down by one multiplication, so subnormal results
  are rounded once); ``+inf`` above 709.78, 0 below -745.1 (as libm).
* ``log(x)`` for finite ``x > 0``: ``x = 2^e m`` with ``m`` in
  ``[sqrt(1/2), sqrt(2))``, ``log m = 2 atanh(s)``, ``s = (m-1)/(m+1)``,
  ``|s| <= 0.172``, summed to ``s^23``. Subnormal inputs are read as if
  their exponent were -1023, so ``log(0)`` returns ``-1023 ln 2`` = -709.09
  and not ``-inf``: callers that need ``d^-beta = inf`` at ``d = 0`` (power
  decay) set it explicitly, as :func:`geoai.kernels.decay.apply_decay` does.
* ``asin(x)`` for ``x`` in ``[0, 1]``: ``asin y = y g(y^2)`` on ``[0, 1/2]``
  with ``g(z) = asin(sqrt z) / sqrt z`` replaced by its degree-12 Chebyshev
  interpolant on ``z`` in ``[0, 1/4]`` (13 nodes, computed once in 50-digit
  arithmetic with mpmath and rounded to float64; interpolation error 1.6e-17,
  against 26 terms of the Maclaurin series for the same accuracy), and
  ``asin x = pi/2 - 2 asin(sqrt((1 - x) / 2))`` above.

Polynomials are evaluated by Estrin's scheme (pairs of terms, then pairs of
pairs with ``z^2``, ``z^4``, ``z^8``) rather than Horner's: the same number
of multiply-adds, but a dependency chain of 4-5 of them instead of 12-13. A
pair distance costs one asin, one log and one exp in a row (power decay on the
sphere), about 40 dependent multiply-adds by Horner: the loop was bound by
that latency, not by the FMA ports. The round-to-integer step uses ``floor``
rather than the "add 1.5 * 2^52" trick, which fast-math reassociation would
fold away. The polynomials are written out (one line a level): a loop left
inside the caller's loop would be its innermost loop and stop it from
vectorising.
"""

from __future__ import annotations

import struct
from math import factorial
from typing import TYPE_CHECKING

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from geoai.kernels import JIT_DISABLED, jit

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeAlias

    from numba.core.base import BaseContext
    from numba.core.typing.context import Context
    from numba.core.typing.templates import Signature

    # what an intrinsic returns beside its signature: (context, builder, signature, args) -> value
    Codegen: TypeAlias = Callable[[BaseContext, ir.IRBuilder, Signature, list[ir.Value]], ir.Value]

__all__ = ["fast_asin", "fast_exp", "fast_log"]

_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.4426950408889634
_HALF_PI = 1.5707963267948966
_TWO52 = 4503599627370496.0
_SHIFT = 6755399441055744.0  # 1.5 * 2^52: k + SHIFT holds the integer k in its low bits

# Taylor coefficients 1/n! of e^r, lowest degree first (Estrin order)
_E = tuple(1.0 / factorial(n) for n in range(13))
# 1/(2k+1) for the atanh series of log, lowest first
_L = tuple(1.0 / k for k in range(1, 24, 2))
# asin(sqrt z) / sqrt z on [0, 1/4]: the degree-12 Chebyshev interpolant in monomials of z,
# lowest first (see the module notes; the tests check the accuracy it buys)
_G = (
    1.0,
    0.16666666666664942,
    0.07500000000385201,
    0.044642856805998936,
    0.03038195969768514,
    0.022371749733164054,
    0.01735977964134998,
    0.01388484282640208,
    0.012170138592391726,
    0.0065293020047365695,
    0.019513468251252167,
    -0.016187392271599134,
    0.03187962140081284,
)
_TINY = 2.0**-600  # scale of the results below 2^-1000 (see fast_exp)

if JIT_DISABLED:  # NUMBA_DISABLE_JIT=1 (the coverage run): plain-Python twins

    def _bits(x: float) -> int:
        """Reinterpret a float64 as int64 (no conversion)."""
        return int(struct.unpack("<q", struct.pack("<d", x))[0])

    def _float(i: int) -> float:
        """Reinterpret an int64 as float64 (no conversion); ``i`` wraps to 64 bits as in Numba."""
        return float(struct.unpack("<d", struct.pack("<q", (int(i) + 2**63) % 2**64 - 2**63))[0])

    def _fma(x: float, y: float, z: float) -> float:
        """``x * y + z`` (two roundings in Python; Python evaluates it as written)."""
        return x * y + z

else:

    @intrinsic
    def _bits(_typingctx: Context, _x: types.Type) -> tuple[Signature, Codegen]:
        """Reinterpret a float64 as int64 (no conversion)."""
        sig = types.int64(types.float64)

        def codegen(
            _context: BaseContext,
            builder: ir.IRBuilder,
            _signature: Signature,
            args: list[ir.Value],
        ) -> ir.Value:
            return builder.bitcast(args[0], ir.IntType(64))

        return sig, codegen

    @intrinsic
    def _float(_typingctx: Context, _i: types.Type) -> tuple[Signature, Codegen]:
        """Reinterpret an int64 as float64 (no conversion)."""
        sig = types.float64(types.int64)

        def codegen(
            _context: BaseContext,
            builder: ir.IRBuilder,
            _signature: Signature,
            args: list[ir.Value],
        ) -> ir.Value:
            return builder.bitcast(args[0], ir.DoubleType())

        return sig, codegen

    @intrinsic
    def _fma(
        _typingctx: Context, _x: types.Type, _y: types.Type, _z: types.Type
    ) -> tuple[Signature, Codegen]:
        """``x * y + z`` rounded once (``llvm.fma``), a call that fast-math leaves alone."""
        sig = types.float64(types.float64, types.float64, types.float64)

        def codegen(
            _context: BaseContext,
            builder: ir.IRBuilder,
            _signature: Signature,
            args: list[ir.Value],
        ) -> ir.Value:
            double = ir.DoubleType()
            fnty = ir.FunctionType(double, [double, double, double])
            fma = builder.module.declare_intrinsic("llvm.fma", [double], fnty)
            return builder.call(fma, args)

        return sig, codegen


@jit(inline="always")
def fast_exp(x: float) -> float:
    """Return ``e**x`` (see the module notes for range and accuracy).

    Examples
    --------
    >>> import math
    >>> math.isclose(fast_exp(1.0), math.e, rel_tol=2e-15), fast_exp(710.0), fast_exp(-746.0)
    (True, inf, 0.0)
    """
    k = np.floor(x * _INV_LN2 + 0.5)
    r = _fma(k, -_LN2_LO, x - k * _LN2_HI)
    c = _E
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    lo = c[0] + c[1] * r + (c[2] + c[3] * r) * r2
    mid = c[4] + c[5] * r + (c[6] + c[7] * r) * r2
    hi = c[8] + c[9] * r + (c[10] + c[11] * r) * r2 + c[12] * r4
    p = lo + mid * r4 + hi * r8  # e^r, in [0.70, 1.42]
    n = _bits(min(max(k, -1080.0), 1030.0) + _SHIFT) - _bits(_SHIFT)
    tiny = n < -1000  # 2^n p would be subnormal: build it 2^600 higher
    y = _float(_bits(p) + ((n + (600 if tiny else 0)) << 52)) * (_TINY if tiny else 1.0)
    y = np.inf if x > 709.782712893384 else y
    return 0.0 if x < -745.1332191019412 else y


@jit(inline="always")
def fast_log(x: float) -> float:
    """Return the natural logarithm of a finite ``x >= 0``.

    Examples
    --------
    >>> import math
    >>> math.isclose(fast_log(10.0), math.log(10.0), rel_tol=2e-15)
    True
    >>> math.isclose(fast_log(0.0), -1023 * math.log(2.0))  # not -inf: see the module notes
    True
    """
    bits = _bits(x)
    m = _float((bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)
    e = _float((bits >> 52) | 0x4330000000000000) - _TWO52 - 1023.0
    big = m > 1.4142135623730951
    m = m * (0.5 if big else 1.0)
    e = e + (1.0 if big else 0.0)
    s = (m - 1.0) / (m + 1.0)
    z = s * s
    c = _L
    z2 = z * z
    z4 = z2 * z2
    z8 = z4 * z4
    lo = c[0] + c[1] * z + (c[2] + c[3] * z) * z2
    mid = c[4] + c[5] * z + (c[6] + c[7] * z) * z2
    hi = c[8] + c[9] * z + (c[10] + c[11] * z) * z2
    p = lo + mid * z4 + hi * z8
    return e * _LN2_HI + (e * _LN2_LO + 2.0 * s * p)


@jit(inline="always")
def fast_asin(x: float) -> float:
    """Return ``arcsin(x)`` for ``x`` in ``[0, 1]``.

    Examples
    --------
    >>> import math
    >>> math.isclose(fast_asin(0.5), math.pi / 6, rel_tol=2e-15), fast_asin(1.0) == math.pi / 2
    (True, True)
    """
    small = x <= 0.5
    y = x if small else np.sqrt((1.0 - x) * 0.5)
    z = y * y
    c = _G
    z2 = z * z
    z4 = z2 * z2
    z8 = z4 * z4
    lo = c[0] + c[1] * z + (c[2] + c[3] * z) * z2
    mid = c[4] + c[5] * z + (c[6] + c[7] * z) * z2
    hi = c[8] + c[9] * z + (c[10] + c[11] * z) * z2 + c[12] * z4
    p = (lo + mid * z4 + hi * z8) * y
    return p if small else _HALF_PI - 2.0 * p
