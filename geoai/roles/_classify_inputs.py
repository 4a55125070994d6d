"""What :func:`geoai.classify` reads: the final state, the history, the AI indicator.

The input is one of three kinds:

* ``"snapshot"``: one row per metro (no ``year`` column);
* ``"simulated"``: a metro × year panel with job columns (``jobs``,
  ``ai_jobs``, ``jobs_routine`` ..., ``talent`` or ``net_talent``), as
  ``geoai.scenario.simulate(...).panel`` gives; the final year is classified;
* ``"observed"``: a population history (``metro_id``, ``year``,
  ``population``, no job columns), such as :func:`geoai.load_metro_panel`;
  its last *observed* year (before the first projection) is classified.

Metros are identified by ``metro_id``, else ``cbsa`` (the US MSAs of
:func:`geoai.load_us_metros`), else the table's index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from geoai import _validate as v
from geoai._geodesy import KernelPoints, points_of
from geoai.errors import GeoAIError, InputError

if TYPE_CHECKING:
    from numpy.typing import NDArray
    from pyproj import CRS

    from geoai._typing import FloatArray

__all__ = [
    "AI_COLUMNS",
    "JOB_PARTS",
    "Indicator",
    "Inputs",
    "ai_indicator",
    "column",
    "read_inputs",
    "size",
    "total_jobs",
]

#: The AI indicator, first present wins: column, words in reasons.
AI_COLUMNS = (("ai_jobs", "AI jobs"), ("ai_talent", "AI talent"), ("jobs_augmentable", ""))
#: Job columns that add up to total jobs where no total is given.
JOB_PARTS = ("jobs_routine", "jobs_augmentable", "jobs_local", "ai_jobs")
_SIMULATED = {"jobs", "talent", "net_talent", "talent_in", "talent_out", *JOB_PARTS}
_TOTALS = ("jobs", "jobs_total", "employment")


@dataclass(frozen=True)
class Indicator:
    """The AI indicator of a classification and how reasons word it.

    Attributes
    ----------
    column : str
        Its column (``ai_jobs``, ``ai_talent`` or ``jobs_augmentable``).
    label : str
        Its name in reasons ("AI talent").
    scope : str
        Whose total the scale is a share of ("US" or "all metros'").
    intensity : str
        What an LQ of 1 is ("the national intensity").
    denominator : str
        The jobs column of the intensity (or ``population``: per resident).
    kind : numpy.ndarray of object (str), shape (n,)
        Per metro: "observed", "modelled", "simulated" or "" (as given).
    stand_in : bool
        True when ``jobs_augmentable`` stands in for a missing AI column.
    """

    column: str
    label: str
    scope: str
    intensity: str
    denominator: str
    kind: NDArray[np.object_]
    stand_in: bool

    def share_text(self, i: int, rank: int, extra: str = "") -> str:
        """'of US AI talent (observed, rank 3; <extra>)' for metro position ``i``."""
        inside = f"{self.kind[i]}, rank {rank}" if self.kind[i] else f"rank {rank}"
        if extra:
            inside += f"; {extra}"
        return f"of {self.scope} {self.label} ({inside})"


@dataclass(frozen=True)
class Inputs:
    """The validated input of one classification.

    Attributes
    ----------
    snap : geopandas.GeoDataFrame
        The classified state (final or ``as_of`` year), indexed by metro id.
    panel : pandas.DataFrame or None
        The long panel (``kind`` ``"simulated"`` or ``"observed"``), else None.
    kind : str
        ``"snapshot"``, ``"simulated"`` or ``"observed"``.
    as_of : int or None
        The classified year of a panel.
    x, y : numpy.ndarray, shape (n,)
        The metros' coordinates in ``crs`` (validated once, here).
    crs : pyproj.CRS
        The metros' CRS.
    pts : geoai._geodesy.KernelPoints
        The same points as kernel input (unit vectors or planar km).
    """

    snap: gpd.GeoDataFrame
    panel: pd.DataFrame | None
    kind: str
    as_of: int | None
    x: FloatArray
    y: FloatArray
    crs: CRS
    pts: KernelPoints

    @classmethod
    def of(
        cls, snap: gpd.GeoDataFrame, panel: pd.DataFrame | None, kind: str, as_of: int | None
    ) -> Inputs:
        """Validate the metros' geometry, the one time a classification does."""
        x, y, crs = v.as_coords(snap, "metros")
        return cls(snap, panel, kind, as_of, x, y, crs, points_of(x, y, crs))

    def history(self) -> tuple[pd.DataFrame, int]:
        """Return the long panel and its classified year (``kind`` ``"simulated"``, ``"observed"``).

        Raises
        ------
        GeoAIError
            On a snapshot, which has neither (an internal error: the caller checks ``kind``).
        """
        if self.panel is None or self.as_of is None:
            raise GeoAIError(
                f"internal error: a {self.kind!r} input carries no panel; please report it."
            )
        return self.panel, self.as_of


def column(df: pd.DataFrame, name: str) -> FloatArray:
    """Return ``df[name]`` as float64, checked numeric (not text), finite and >= 0."""
    values = df[name]
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise InputError(
            f"column {name!r} must be numeric; got dtype {values.dtype}. Convert it with "
            f"pandas.to_numeric(df[{name!r}]) first."
        )
    x = values.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(x) | (x < 0)
    if bad.any():
        raise InputError(
            f"column {name!r} must be finite and >= 0; {bad.sum()} value(s) are not, e.g. "
            f"for metros {list(df.index[bad][:5])}."
        )
    return np.asarray(x)


def read_inputs(data: object, metros: gpd.GeoDataFrame | None) -> Inputs:
    """Split ``data`` into the classified state and its history (see the module notes)."""
    if not isinstance(data, pd.DataFrame):
        raise InputError(
            f"classify takes a metros GeoDataFrame or a metro × year panel; got "
            f"{type(data).__name__}."
        )
    v.check_nonempty(len(data), "metros")
    if "year" not in data.columns:
        snap = data.copy()
        for key in ("metro_id", "cbsa"):
            if key in snap.columns:
                snap = snap.set_index(key, drop=False)
                break
        if snap.index.has_duplicates:
            raise InputError("metro ids must be unique; drop duplicate rows or pass a panel.")
        return Inputs.of(_geo(snap, metros), None, "snapshot", None)
    if "metro_id" not in data.columns:
        raise InputError("a panel needs a 'metro_id' column next to 'year'.")
    panel = data.sort_values(["metro_id", "year"])
    if panel.duplicated(["metro_id", "year"]).any():
        raise InputError("the panel has repeated (metro_id, year) rows; keep one per year.")
    kind = "simulated" if _SIMULATED & set(panel.columns) else "observed"
    if kind == "observed":
        from geoai.roles._panel import check_as_of, check_panel

        frame = check_panel(panel)
        year = check_as_of(None, frame, allow_projections=False)
        panel = frame[frame["year"] <= year]
    else:
        year = int(panel["year"].max())
    snap = panel[panel["year"] == year].set_index("metro_id", drop=False)
    history = pd.DataFrame(panel.drop(columns="geometry", errors="ignore"))
    return Inputs.of(_geo(snap, metros, int(year)), history, kind, int(year))


def _geo(snap: pd.DataFrame, metros: gpd.GeoDataFrame | None, year: int = 2025) -> gpd.GeoDataFrame:
    if isinstance(snap, gpd.GeoDataFrame) and snap.geometry.name in snap.columns:
        return snap  # its geometry and CRS are validated once, by Inputs.of
    if metros is None and all(isinstance(i, str) and i.startswith("wup:") for i in snap.index):
        from geoai.datasets import load_metros

        # the UN agglomerations of the snapshot's year: points, jobs and AI talent of that
        # year's population (the US structure is OEWS May 2025's; labour_source says so)
        metros = load_metros(0, year=min(max(year, 1950), 2035))
    if metros is None:
        raise InputError(
            "the table has no geometry; pass metros=geoai.load_metros() (or your metro points) "
            "so classify can place them."
        )
    v.require_crs(metros, "metros")
    geo = metros.set_index("metro_id") if "metro_id" in metros.columns else metros
    missing = snap.index.difference(geo.index)
    if len(missing):
        raise InputError(
            f"{len(missing)} metro id(s) of the table are not in metros, e.g. "
            f"{list(missing[:5])}; pass the matching metros."
        )
    points = geo.geometry  # one lookup: each one costs geopandas a search of the columns
    have = set(snap.columns)
    extra = [c for c in geo.columns if c not in have and c != points.name]
    joined = snap.join(geo[extra]) if extra else snap
    return gpd.GeoDataFrame(joined, geometry=points.reindex(snap.index).values, crs=geo.crs)


def ai_indicator(snap: pd.DataFrame, kind: str) -> tuple[FloatArray, FloatArray, Indicator]:
    """Return the AI indicator, its intensity denominator (shape (n,) each) and their words."""
    found = None
    for name, words in AI_COLUMNS:
        if name in snap.columns:
            ai = column(snap, name)
            if ai.sum() > 0:
                found = name, words
                break
    if found is None:
        raise InputError(
            "classify needs an AI column with a positive total: 'ai_jobs' (a scenario), "
            "'ai_talent' (geoai.load_us_metros(), geoai.load_metros()) or 'jobs_augmentable'."
        )
    name, label = found
    stand_in = name == "jobs_augmentable"
    if stand_in:
        label = "augmentable jobs (standing in for AI jobs)"
    jobs, denominator = _jobs(snap)
    bad = (jobs <= 0) & (ai > 0)
    if bad.any():
        raise InputError(
            f"{denominator!r} is 0 for {bad.sum()} metro(s) with {name} > 0 (e.g. "
            f"{list(snap.index[bad][:3])}); intensity needs their jobs."
        )
    scope, intensity = _scope(snap)
    if denominator == "population":
        intensity = intensity.replace("intensity", "intensity per resident")
    return (
        ai,
        jobs,
        Indicator(name, label, scope, intensity, denominator, _kinds(snap, kind, name), stand_in),
    )


def _jobs(snap: pd.DataFrame) -> tuple[FloatArray, str]:
    for name in _TOTALS:
        if name in snap.columns:
            return column(snap, name), name
    parts = [c for c in JOB_PARTS if c in snap.columns]
    if parts and parts != ["ai_jobs"]:  # AI jobs alone are no denominator
        return np.sum([column(snap, c) for c in parts], axis=0), "+".join(parts)
    if "population" in snap.columns:
        return column(snap, "population"), "population"
    raise InputError(
        "intensity needs jobs: a 'jobs', 'jobs_total' or 'employment' column, the job columns "
        f"{JOB_PARTS}, or at least 'population'."
    )


def _scope(snap: pd.DataFrame) -> tuple[str, str]:
    """('US', 'the national intensity') for a one-country table, else the all-metro words."""
    if "country_iso3" in snap.columns and len(snap):
        counts = snap["country_iso3"].astype(str).value_counts()
        if counts.iloc[0] >= 0.9 * len(snap):
            code = str(counts.index[0])
            return ("US" if code == "USA" else code), "the national intensity"
    return "all metros'", "the all-metro intensity"


def _kinds(snap: pd.DataFrame, kind: str, name: str) -> NDArray[np.object_]:
    n = len(snap)
    if kind == "simulated" and name == "ai_jobs":
        return np.full(n, "simulated", dtype=object)
    if "labour_source" in snap.columns:
        src = snap["labour_source"].astype(str).str.strip().str.lower()
        out = np.where(
            src.str.startswith("observed"),
            "observed",
            np.where(src.str.startswith("modelled"), "modelled", ""),
        )
        return out.astype(object)
    return np.full(n, "", dtype=object)


def size(snap: pd.DataFrame, jobs: FloatArray) -> FloatArray:
    """Metro size for the dominant-flow rule: population, else total jobs, shape (n,)."""
    return column(snap, "population") if "population" in snap.columns else jobs


def total_jobs(df: pd.DataFrame) -> pd.Series:
    """Total jobs per row of a simulated panel: ``jobs`` or the sum of the job columns."""
    if "jobs" in df.columns:
        return pd.Series(df["jobs"], index=df.index, dtype=float)
    parts = [c for c in JOB_PARTS if c in df.columns]
    if not parts:
        raise InputError(f"the panel needs a 'jobs' column or job columns among {JOB_PARTS}.")
    return pd.Series(df[parts].sum(axis=1), index=df.index, dtype=float)
