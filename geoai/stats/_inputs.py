"""The checked inputs of the local statistics (:func:`geoai.stats.local_moran`, ``getis_ord``).

Every argument is checked once here, before weights are built or a kernel
runs: the variable (numeric, finite, not constant, rescaled exactly by a
power of two so values near the float limits stay finite), the inference
options (whole numbers, levels in (0, 1)), the transform and the weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geoai import _validate as v
from geoai.errors import InputError
from geoai.stats import _checks as c
from geoai.stats._weights import (
    TRANSFORMS,
    SpatialWeights,
    as_weights,
    check_k,
    check_transform,
    weights,
)

if TYPE_CHECKING:
    import geopandas as gpd

    from geoai._typing import FloatArray
    from geoai.stats._weights import WeightsLike

__all__ = ["Inputs", "check_denominators", "prepare"]


@dataclass(frozen=True)
class Inputs:
    y: FloatArray
    w: SpatialWeights
    permutations: int
    seed: int
    fdr: float | None
    alpha: float
    transform: str


def _column(gdf: object, column: object) -> FloatArray:
    """Return the column as float64, checked numeric, finite and not constant."""
    if not isinstance(gdf, pd.DataFrame):
        raise InputError(f"gdf must be a (Geo)DataFrame; got {type(gdf).__name__}.")
    v.check_nonempty(len(gdf), "gdf")
    c.hashable(column, "column")
    if column not in gdf.columns:
        cols = [str(c) for c in gdf.columns if c != getattr(gdf, "_geometry_column_name", None)]
        raise InputError(f"column {column!r} is not in gdf; available: {cols[:12]}.")
    col = gdf[column]
    if not pd.api.types.is_numeric_dtype(col.dtype):
        raise InputError(
            f"column {column!r} must be numeric; got dtype {col.dtype}. Convert it with "
            "pandas.to_numeric() first."
        )
    y = col.to_numpy(dtype=np.float64, na_value=np.nan)
    v.check_finite(y, f"column {column!r}")
    if np.ptp(y) == 0:
        raise InputError(
            f"column {column!r} is constant (every value is {y[0]:g}); local statistics "
            "need variation. Pick another column or drop it from the analysis."
        )
    # both statistics are scale-free: a power-of-two rescale (exact) keeps sums of squares of
    # values near the float limits (1e300, 1e-310) finite without changing any result
    return np.asarray(np.ldexp(y, -int(np.frexp(np.abs(y).max())[1])))


def _inference_options(
    permutations: int, seed: int | None, fdr: float | None, alpha: float
) -> tuple[int, int, float | None, float]:
    perms = c.whole(permutations, "permutations", minimum=0, hint="999 is usual, 0 skips inference")
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))
    seed = c.whole(
        seed, "seed", minimum=0, maximum=2**63 - 1,
        hint="seeds are ints in [0, 2**63), or None for fresh entropy",
    )  # fmt: skip
    rate = None if fdr is None else c.level(fdr, "fdr", ", or None for unadjusted p-values")
    return perms, seed, rate, c.level(alpha, "alpha")


def prepare(
    gdf: gpd.GeoDataFrame | pd.DataFrame,
    column: str,
    *,
    k: int,
    w: WeightsLike | None,
    permutations: int,
    seed: int | None,
    fdr: float | None,
    alpha: float,
    transform: str,
    allowed: tuple[str, ...] = TRANSFORMS,
) -> Inputs:
    y = _column(gdf, column)
    perms, seed, rate, a = _inference_options(permutations, seed, fdr, alpha)
    how = check_transform(transform, allowed)
    if w is None:
        if not hasattr(gdf, "geometry"):
            raise InputError(
                "gdf has no geometry to build weights from; pass a GeoDataFrame or weights=."
            )
        v.require_crs(gdf, "gdf")
        check_k(k, len(gdf))
        sw = weights(gdf, k=k, transform=how)
    else:
        sw = as_weights(w, gdf.index)
    return Inputs(y, sw, perms, seed, rate, a, how)


def check_denominators(denom: FloatArray, n: int, *, star: bool, column: str) -> None:
    """Refuse the data for which G (``star=False``) divides by zero: n < 3 or one nonzero value."""
    if not star and n < 3:
        raise InputError(
            f"Getis-Ord G (star=False) needs at least 3 observations (its moments use n - 2); "
            f"got {n}. Pass more observations or star=True."
        )
    if not star and (denom <= 0).any():
        raise InputError(
            f"column {column!r} has a single nonzero value, so G (star=False) of that "
            "observation divides by the zero sum of the others; use star=True (G*) or a "
            "variable with more than one nonzero value."
        )
