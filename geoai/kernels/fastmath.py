"""Branch-free exp, log and asin that LLVM can vectorise.

Numba on this platform has no SVML, so ``np.exp``, ``np.log`` and
``np.arcsin`` are scalar libm calls (23-62 cycles each) that also stop a loop
from being vectorised. These versions use only arithmetic, selects and bit
casts, so a loop over them compiles to AVX2 code (four doubles at a time).
Accuracy, checked in the tests against NumPy over the ranges the kernels
use: relative error below 2e-15 (a few ulp).

* ``exp(x)``: ``x = k ln2 + r`` with ``|r| <= ln2 / 2``, a degree-12 Taylor
  polynomial for ``e^r`` and ``2^k`` assembled from its bits (as two
  factors, so the largest and the subnormal results are right); ``+inf``
  above 709.78, 0 below -745.1 (as libm).
* ``log(x)`` for finite ``x > 0``: ``x = 2^e m`` with ``m`` in
  ``[sqrt(1/2), sqrt(2))``, ``log m = 2 atanh(s)``, ``s = (m-1)/(m+1)``,
  ``|s| <= 0.172``, summed to ``s^23``. Subnormal inputs are read as if
  their exponent were -1023, so ``log(0)`` returns ``-1023 ln 2`` = -709.09
  and not ``-inf``: callers that need ``d^-beta = inf`` at ``d = 0`` (power
  decay) set it explicitly, as :func:`geoai.kernels.decay.apply_decay` does.
* ``asin(x)`` for ``x`` in ``[0, 1]``: the Maclaurin series to ``x^51`` on
  ``[0, 1/2]``, and ``asin x = pi/2 - 2 asin(sqrt((1 - x) / 2))`` above.

The round-to-integer step uses ``floor`` rather than the "add 1.5 * 2^52"
trick, which fast-math reassociation would fold away. The polynomial loops are
written out (Horner, one line a term): a loop left inside the caller's loop
would be its innermost loop and stop it from vectorising.
"""

from __future__ import annotations

import struct
from math import comb, factorial
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

# Taylor coefficients 1/n! of e^r, highest degree first (Horner order)
_E = tuple(1.0 / factorial(n) for n in range(12, -1, -1))
# 1/(2k+1) for the atanh series of log, highest first
_L = tuple(1.0 / k for k in range(23, 0, -2))
# Maclaurin coefficients of asin: (2n)! / (4^n (n!)^2 (2n+1)), highest first
_A = tuple(comb(2 * n, n) / 4**n / (2 * n + 1) for n in range(25, -1, -1))


if JIT_DISABLED:  # NUMBA_DISABLE_JIT=1 (the coverage run): plain-Python twins

    def _bits(x: float) -> int:
        """Reinterpret a float64 as int64 (no conversion)."""
        return int(struct.unpack("<q", struct.pack("<d", x))[0])

    def _float(i: int) -> float:
        """Reinterpret an int64 as float64 (no conversion); ``i`` wraps to 64 bits as in Numba."""
        return float(struct.unpack("<d", struct.pack("<q", (int(i) + 2**63) % 2**64 - 2**63))[0])

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
    r = (x - k * _LN2_HI) - k * _LN2_LO
    p = _E[0]
    p = p * r + _E[1]
    p = p * r + _E[2]
    p = p * r + _E[3]
    p = p * r + _E[4]
    p = p * r + _E[5]
    p = p * r + _E[6]
    p = p * r + _E[7]
    p = p * r + _E[8]
    p = p * r + _E[9]
    p = p * r + _E[10]
    p = p * r + _E[11]
    p = p * r + _E[12]
    kk = min(max(k, -1080.0), 1030.0)
    n = _bits(kk + _SHIFT) - _bits(_SHIFT)
    half = n >> 1  # 2^n as two factors, so n = 1024 and subnormal results stay exact
    y = p * _float((half + 1023) << 52) * _float((n - half + 1023) << 52)
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
    p = _L[0]
    p = p * z + _L[1]
    p = p * z + _L[2]
    p = p * z + _L[3]
    p = p * z + _L[4]
    p = p * z + _L[5]
    p = p * z + _L[6]
    p = p * z + _L[7]
    p = p * z + _L[8]
    p = p * z + _L[9]
    p = p * z + _L[10]
    p = p * z + _L[11]
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
    p = _A[0]
    p = p * z + _A[1]
    p = p * z + _A[2]
    p = p * z + _A[3]
    p = p * z + _A[4]
    p = p * z + _A[5]
    p = p * z + _A[6]
    p = p * z + _A[7]
    p = p * z + _A[8]
    p = p * z + _A[9]
    p = p * z + _A[10]
    p = p * z + _A[11]
    p = p * z + _A[12]
    p = p * z + _A[13]
    p = p * z + _A[14]
    p = p * z + _A[15]
    p = p * z + _A[16]
    p = p * z + _A[17]
    p = p * z + _A[18]
    p = p * z + _A[19]
    p = p * z + _A[20]
    p = p * z + _A[21]
    p = p * z + _A[22]
    p = p * z + _A[23]
    p = p * z + _A[24]
    p = p * z + _A[25]
    p = p * y
    return p if small else _HALF_PI - 2.0 * p
