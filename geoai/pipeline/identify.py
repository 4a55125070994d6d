"""The ``geoai identify`` job: metro roles read from observed history, not simulated.

:func:`identify` reads the UN WUP 2018 panel up to ``as_of`` and writes into
one folder ``identify.gpkg`` (layers ``decline`` and ``roles``: points of the
metros of at least ``min_population`` people at their peak, from
:func:`geoai.roles.decline` and :func:`geoai.classify`; ``markov_paths`` and
``markov_summary``: attribute tables of :func:`geoai.stats.spatial_markov`;
QGIS styles and descriptions with the UN attribution),
``decline_trajectories.png``, ``report.md``/``report.html`` and the manifest
of :mod:`geoai.io._manifest` (a later run with ``overwrite`` replaces only the
files geoai wrote).

The Markov chain steps every 5 years back from ``as_of``: the UN series has
estimates every 5 years and interpolates the years between. The backtest
windows (1970, 1980, 1990, 2000; 25 years, outcomes cut at 2015) judge the test
itself, so they read the estimates to 2015 whatever ``as_of`` is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoai.errors import InputError
from geoai.pipeline._trajectories import FIRST_YEAR as _FIRST_YEAR
from geoai.pipeline._trajectories import LAST_ESTIMATE as _LAST_ESTIMATE
from geoai.pipeline._trajectories import neighbourhood_drag, trajectories_figure

if TYPE_CHECKING:
    from collections.abc import Callable

    from geoai.io.report import Report
    from geoai.roles import BacktestResult
    from geoai.stats import SpatialMarkov

__all__ = [
    "BACKTEST_WINDOWS", "DECLINE_COLOURS", "HORIZON", "MARKOV_STEP", "PLANNED", "IdentifyResult",
    "identify", "neighbourhood_drag", "trajectories_figure",
]  # fmt: skip

#: The backtest windows (``as_of`` years) and horizon (years) of the report.
BACKTEST_WINDOWS = (1970, 1980, 1990, 2000)
HORIZON = 25
#: Years between two states of the Markov chain (the UN estimates' step).
MARKOV_STEP = 5
#: Every file an identify run writes (relative to the output folder).
PLANNED = frozenset({"identify.gpkg", "decline_trajectories.png", "report.md", "report.html"})
#: Colours of the ``verdict`` categories of the decline layer (dark to light).
DECLINE_COLOURS = {"detroit_path": "#542788", "below_peak": "#f1a340", "at_peak": "#92c5de",
                   "not_judged": "#e0e0e0"}  # fmt: skip
_LAST_YEAR = 2035
_TOP = 20
_COMMAND = "identify"


@dataclass(frozen=True)
class _Settings:
    """One run's checked settings; ``kind`` and ``data_note`` say whether ``as_of`` is observed."""

    as_of: int
    min_population: float
    allow_projections: bool

    @property
    def kind(self) -> str:
        return "estimate" if self.as_of <= _LAST_ESTIMATE else "projection"

    @property
    def data_note(self) -> str:
        if self.kind == "estimate":
            return f"observed: UN estimates {_FIRST_YEAR}-{self.as_of}"
        return f"UN estimates to {_LAST_ESTIMATE}, projections to {self.as_of} read as observed"


@dataclass
class IdentifyResult:
    """What :func:`identify` computed and wrote.

    Attributes
    ----------
    out : Path
        The output folder as given.
    files : list of Path
        The files written, at their final paths (the manifest not included).
    decline : pandas.DataFrame
        :func:`geoai.roles.decline` rows of the reported metros, best score first.
    roles : geopandas.GeoDataFrame
        :func:`geoai.classify` on the panel up to ``as_of``, the reported metros.
    markov : geoai.stats.SpatialMarkov
        The spatial Markov chain of all the UN agglomerations.
    backtests : dict of int to geoai.roles.BacktestResult
        One per window of :data:`BACKTEST_WINDOWS`.
    manifest : Path or None
        The manifest, written last.

    Examples
    --------
    :func:`identify` returns one (its example runs the whole job, about a second):

    >>> import dataclasses
    >>> [f.name for f in dataclasses.fields(IdentifyResult)][:4]
    ['out', 'files', 'decline', 'roles']
    >>> BACKTEST_WINDOWS
    (1970, 1980, 1990, 2000)
    """

    out: Path
    files: list[Path]
    decline: pd.DataFrame
    roles: gpd.GeoDataFrame
    markov: SpatialMarkov
    backtests: dict[int, BacktestResult] = field(repr=False)
    manifest: Path | None = None


def _check_args(
    as_of: object, min_population: float, allow_projections: object
) -> tuple[int, float]:
    """Return ``as_of`` and ``min_population`` once checked; refuse with a one-line fix."""
    from geoai import _validate as v

    if not isinstance(allow_projections, bool):
        raise InputError(f"allow_projections must be True or False; got {allow_projections!r}.")
    floor = v.check_positive(min_population, "min_population (--min-population)", allow_zero=True)
    ok = isinstance(as_of, int | np.integer) and not isinstance(as_of, bool)
    first = _FIRST_YEAR + MARKOV_STEP
    last = _LAST_YEAR if allow_projections else _LAST_ESTIMATE
    if not ok or not first <= int(as_of) <= _LAST_YEAR:  # type: ignore[call-overload]
        raise InputError(
            f"--as-of must be a year from {first} to {last} (a history of at least "
            f"{MARKOV_STEP} years from {_FIRST_YEAR}); got {as_of!r}."
        )
    year = int(as_of)  # type: ignore[call-overload]
    if year > last:
        raise InputError(
            f"--as-of {year} reads UN projections (the estimates end in {_LAST_ESTIMATE}); use "
            f"--as-of {_LAST_ESTIMATE} or earlier, or pass --allow-projections."
        )
    return year, floor


def identify(
    out: str | Path,
    *,
    as_of: int = _LAST_ESTIMATE,
    min_population: float = 1_000_000,
    allow_projections: bool = False,
    overwrite: bool = False,
    echo: Callable[[str], None] | None = None,
) -> IdentifyResult:
    """Identify Detroit-path metros, roles and trajectories from the UN history; write them.

    Parameters
    ----------
    out : path
        Output folder: new, empty, or that of an earlier identify run (then
        ``overwrite=True`` replaces the files it wrote and no other file).
    as_of : int, default 2015
        Last year read, 1955–2015 (to 2035 with ``allow_projections``).
    min_population : float, default 1,000,000
        Report the metros of at least this many people (>= 0) at their peak up
        to ``as_of``; all metros still enter the country totals and the chain.
    allow_projections : bool, default False
        Allow ``as_of`` after 2015, reading UN projections as if observed.
    overwrite : bool, default False
        Replace the outputs of an earlier identify run in ``out``.
    echo : callable, optional
        Called with one line of text per stage (progress).

    Returns
    -------
    IdentifyResult

    Raises
    ------
    InputError
        Before any computation: a bad ``as_of`` or ``min_population``, a
        folder with files geoai did not write or the outputs of ``geoai run``,
        an earlier run's folder without ``overwrite``, or a refused location
        (:func:`geoai.io._manifest.check_target`).

    Examples
    --------
    The agglomerations that reached 5 million people by 2015, read from the UN history:

    >>> import pathlib, tempfile
    >>> from geoai.pipeline.identify import identify
    >>> res = identify(pathlib.Path(tempfile.mkdtemp()) / "out", min_population=5_000_000)
    >>> sorted(p.name for p in res.files)
    ['decline_trajectories.png', 'identify.gpkg', 'report.html', 'report.md']
    >>> bool((res.decline["peak_population"] >= 5_000_000).all()), sorted(res.backtests)
    (True, [1970, 1980, 1990, 2000])
    """
    from geoai.datasets import load_metro_panel
    from geoai.io._outputs import OutputFolder

    year, floor = _check_args(as_of, min_population, allow_projections)
    panel = load_metro_panel(_FIRST_YEAR, max(year, _LAST_ESTIMATE))
    if (top := panel.loc[panel["year"] <= year, "population"].max()) < floor:
        raise InputError(f"no metro reaches --min-population {floor:,.0f} people by "
                         f"{year} (the largest has {top:,.0f}); lower it.")  # fmt: skip
    target = Path(out).expanduser()
    say = echo or (lambda _text: None)
    cfg = _Settings(year, floor, allow_projections)
    folder = OutputFolder(
        target, command=_COMMAND, overwrite=overwrite, inputs={}, planned=PLANNED, note=say
    )
    with folder:
        result = _compute(panel, cfg, folder.stage, say)
        info = {"job": {"command": _COMMAND, **asdict(cfg)}, "job_file": None}
        result.manifest = target / folder.commit(info).name
    result.out = target
    result.files = sorted(target / f.relative_to(folder.stage) for f in result.files)
    return result


def _markov_years(as_of: int) -> range:
    """Years of the chain: every :data:`MARKOV_STEP` years back from ``as_of`` to >= 1950."""
    start = as_of - MARKOV_STEP * ((as_of - _FIRST_YEAR) // MARKOV_STEP)
    return range(start, as_of + 1, MARKOV_STEP)


def _compute(
    panel: pd.DataFrame, cfg: _Settings, folder: Path, say: Callable[[str], None]
) -> IdentifyResult:
    import matplotlib.pyplot as plt

    from geoai import roles, stats
    from geoai.datasets import wup_agglomerations

    def upto(year: int) -> pd.DataFrame:
        frame = panel[panel["year"] <= year].reset_index(drop=True)
        frame.attrs = dict(panel.attrs)
        return frame

    cut = upto(cfg.as_of)
    say(f"Detroit path: geoai.roles.decline up to {cfg.as_of}")
    table = roles.decline(cut, as_of=cfg.as_of, allow_projections=cfg.allow_projections)
    reported = table[table["peak_population"] >= cfg.min_population].reset_index(drop=True)
    say(f"backtest: windows {', '.join(map(str, BACKTEST_WINDOWS))}")
    observed = upto(_LAST_ESTIMATE)
    backtests = {w: roles.backtest(observed, as_of=w, horizon=HORIZON)
                 for w in BACKTEST_WINDOWS}  # fmt: skip
    say(f"spatial Markov chain (k = 5, relative, 8 neighbours, every {MARKOV_STEP} years)")
    years = _markov_years(cfg.as_of)
    markov = stats.spatial_markov(cut, years=years, projections=cfg.allow_projections)
    say("roles: geoai.classify on the panel")
    points = wup_agglomerations(_LAST_ESTIMATE, 0)
    classified = roles.classify(cut)
    ids = (
        classified.index
        if "metro_id" not in classified.columns
        else pd.Index(classified["metro_id"])
    )
    classified = classified[ids.isin(reported["metro_id"])]
    res = IdentifyResult(folder, [], reported, classified, markov, backtests)
    say("writing identify.gpkg, the figure and the report")
    res.files.append(_geopackage(res, cfg, points, folder))
    fig = trajectories_figure(cut, reported, min_population=cfg.min_population)
    res.files.append(folder / "decline_trajectories.png")
    fig.savefig(res.files[-1], dpi=120, metadata={"Software": None})
    plt.close(fig)
    res.files += _report(res, cfg, folder)
    return res


# ------------------------------------------------------------------ layers
def _verdicts(table: pd.DataFrame) -> np.ndarray:
    from geoai.roles import MIN_PEAK

    tests = [table["detroit_path"], table["peak_population"] < MIN_PEAK,
             table["years_in_decline"] > 0]  # fmt: skip
    return np.select([t.to_numpy() for t in tests], ["detroit_path", "not_judged", "below_peak"],
                     "at_peak")  # fmt: skip


def _plain(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns GeoPackage can hold: objects and categories as text, ``None`` as ''."""
    out = frame.copy()
    for col in out.columns.drop(out.geometry.name):
        if isinstance(out[col].dtype, pd.CategoricalDtype) or out[col].dtype.kind == "O":
            out[col] = out[col].astype(str).replace({"None": "", "nan": ""})
    return out


def _geopackage(
    res: IdentifyResult, cfg: _Settings, points: gpd.GeoDataFrame, folder: Path
) -> Path:
    from geoai.datasets import ATTRIBUTION, WUP_SOURCE
    from geoai.io.gpkg import write_layers
    from geoai.io.qgis import categorized_points_style
    from geoai.viz import ROLE_COLOURS

    reported, markov = res.decline, res.markov
    decline = reported.assign(verdict=_verdicts(reported), as_of=cfg.as_of,
                              population_kind=cfg.kind)  # fmt: skip
    where = points.set_index("metro_id").geometry.reindex(decline["metro_id"]).to_numpy()
    decline_layer = gpd.GeoDataFrame(decline, geometry=where, crs=points.crs)
    roles = res.roles.reset_index(drop="metro_id" in res.roles.columns)
    role_layer = _plain(gpd.GeoDataFrame(roles, geometry=res.roles.geometry.name,
                                         crs=res.roles.crs))  # fmt: skip
    names = reported.set_index("metro_id")[["name", "country_iso3"]]
    paths = names.join(markov.paths().set_index("metro_id"), how="inner").reset_index()
    lower = paths["lag_class"] < paths["class"]
    paths["dragged_down"] = (
        (paths["next_class"] >= 0) & (paths["next_class"] < paths["class"]) & lower
    )
    paths[["class", "lag_class"]] += 1  # 1 = smallest, as the roles layer's markov_class
    paths["next_class"] = (paths["next_class"] + 1).where(paths["next_class"] >= 0).astype("Int64")
    summary = _summary(markov)
    summary = summary.assign(**summary.attrs).reset_index()
    summary.attrs = {}
    layers = {"decline": decline_layer, "roles": role_layer, "markov_paths": paths,
              "markov_summary": summary}  # fmt: skip
    styles = {
        "decline": categorized_points_style("verdict", DECLINE_COLOURS,
                                            **_size(decline_layer, "peak_population")),
        "roles": categorized_points_style("role", ROLE_COLOURS, **_size(role_layer, "population")),
    }  # fmt: skip
    chain = f"every {MARKOV_STEP} years {markov.years[0]}-{markov.years[-1]}"
    about = {
        "decline": f"Detroit-path test (geoai.roles.decline) as of {cfg.as_of}, metros of >= "
        f"{cfg.min_population:,.0f} people at their peak",
        "roles": f"geoai.classify on the panel up to {min(cfg.as_of, _LAST_ESTIMATE)} (it "
        "reads observed years only), the same metros; jobs and AI talent observed for US metros "
        f"and modelled elsewhere (labour_source); {ATTRIBUTION}",
        "markov_paths": f"spatial Markov classes (k={markov.k} pooled quantiles of population "
        f"relative to the year's mean, 8-nearest-neighbour lag), {chain}; classes 1 (smallest) "
        f"to {markov.k}; dragged_down: moved down a class while its neighbours' class was below "
        "its own",
        "markov_summary": "spatial Markov regimes (all moves, then by the lag's class) and the "
        f"LR/Q tests of spatial dependence (Rey 2001; Bickenbach & Bode 2003), {chain}",
    }
    about = {k: f"{k}: {text}; {cfg.data_note}. {WUP_SOURCE}." for k, text in about.items()}
    return write_layers(folder / "identify.gpkg", layers, styles=styles, descriptions=about)


def _summary(sm: SpatialMarkov) -> pd.DataFrame:
    """:meth:`SpatialMarkov.summary` with classes counted from 1 (1 = smallest)."""
    table = sm.summary()
    table.index = pd.Index(["all"] + [f"lag class {c + 1}" for c in range(sm.k)], name="regime")
    return table.rename(columns={f"steady_{c}": f"steady_{c + 1}" for c in range(sm.k)})


def _size(layer: pd.DataFrame, column: str) -> dict[str, Any]:
    """Circle sizes by ``column`` (area proportional) where the layer has it."""
    values = pd.to_numeric(layer.get(column, pd.Series(dtype=float)), errors="coerce").dropna()
    if not len(values):
        return {}
    return {"size_field": column, "size_domain": (float(values.min()), float(values.max()))}


# ------------------------------------------------------------------ tables and figures
# ------------------------------------------------------------------ report
def _pct(x: float) -> str:
    return f"{x * 100:+.1f} %"


def _report(res: IdentifyResult, cfg: _Settings, folder: Path) -> list[Path]:
    from geoai._version import __version__
    from geoai.datasets import ATTRIBUTION, WUP_SOURCE
    from geoai.io.report import Report

    rep = Report(f"geoai identify: roles from observed history, as of {cfg.as_of}")
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    flagged = res.decline[res.decline["detroit_path"]]
    rep.text(
        f"geoai {__version__}, run {when}. Data: {cfg.data_note}. Reported: the "
        f"{len(res.decline):,} metros of >= {cfg.min_population:,.0f} people at their peak; "
        f"{len(flagged)} of them are on a Detroit path."
    )
    _decline_section(rep, res, cfg)
    _markov_section(rep, res)
    rep.heading("Roles (geoai.classify)")
    rep.text("AI talent: observed for US metros, modelled elsewhere (labour_source says which).")
    roles = res.roles
    counts = roles["role"].astype(str).value_counts().rename_axis("role").to_frame("metros")
    rep.table(counts, f"Roles of the {len(roles):,} reported metros")
    cols = [c for c in ("name", "country_iso3", "role", "role_score", "reasons") if c in roles]
    lead = roles[roles["role"].astype(str) != "stable"].sort_values("role_score", ascending=False)
    if len(lead):
        rep.table(pd.DataFrame(lead[cols].head(_TOP)).set_index(cols[0]),
                  "Highest-scoring roles other than stable")  # fmt: skip
    rep.heading("Data")
    rep.text(f"{WUP_SOURCE}. Roles: {ATTRIBUTION}. Sources and assumptions: data/README.md.")
    md, page = folder / "report.md", folder / "report.html"
    md.write_text(rep.markdown(), encoding="utf-8")
    page.write_text(rep.html(), encoding="utf-8")
    return [md, page]


def _decline_section(rep: Report, res: IdentifyResult, cfg: _Settings) -> None:
    from geoai.roles import CALIBRATION_WINDOWS, DeclineThresholds

    rep.heading("Detroit path (geoai.roles.decline)")
    th = DeclineThresholds()
    rep.text(
        f"A metro is on a Detroit path when it lost >= {th.min_loss * 100:g} % of its peak, fell "
        f">= {th.min_relative_loss * 100:g} % behind its country's cities over the same years, "
        f"and peaked >= {th.min_years} year(s) before {cfg.as_of}. Thresholds calibrated by the "
        f"backtest on the windows {', '.join(map(str, CALIBRATION_WINDOWS))} "
        "(docs/decline_backtest.md)."
    )
    top = res.decline.head(_TOP)
    frame = pd.DataFrame(
        {
            "metro": top["name"], "country": top["country_iso3"], "peak year": top["peak_year"],
            "peak (M)": (top["peak_population"] / 1e6).map("{:.2f}".format),
            "change since peak": top["change_since_peak"].map(_pct),
            "vs country's cities": top["relative_change"].map(_pct),
            "Detroit path": top["detroit_path"].map({True: "yes", False: "no"}),
            "score": top["detroit_score"].map("{:.2f}".format), "reasons": top["reasons"],
        }
    ).set_axis(pd.RangeIndex(1, len(top) + 1, name="#"))  # fmt: skip
    rep.table(frame, f"The {len(top)} highest Detroit-path scores")
    rep.figure("decline_trajectories.png", "Detroit-path metros against their countries' cities")
    rep.heading("Backtest (geoai.roles.backtest)")
    rep.text(
        f"Flag with the data up to as_of only, then score against the next {HORIZON} years "
        f"(cut at {_LAST_ESTIMATE}: projections are never outcomes). Declining: the metro "
        "shrank or grew less than its country's cities. The windows judge the test itself, "
        f"so they read the estimates to {_LAST_ESTIMATE} whatever --as-of is."
    )
    table = pd.DataFrame([r.summary() for r in res.backtests.values()]).set_index("as_of")
    table.insert(1, "role", ["calibration" if w in CALIBRATION_WINDOWS else "out of sample"
                             for w in table.index])  # fmt: skip
    table.insert(table.columns.get_loc("precision") + 1, "lift",
                 table["precision"] / table["base_rate"])  # fmt: skip
    rep.table(
        table, "Backtest windows (outcome: declining; lift = precision ÷ base rate)", "{:.3f}"
    )


def _markov_section(rep: Report, res: IdentifyResult) -> None:
    sm = res.markov
    rep.heading("Spatial Markov trajectories (geoai.stats.spatial_markov)")
    lows = np.concatenate(([0.0], sm.cutoffs))
    pairs = enumerate(zip(lows[:-1], sm.cutoffs, strict=True), 1)
    labels = [f"{c} ({lo:.2f}-{hi:.2f})" for c, (lo, hi) in pairs]
    labels.append(f"{sm.k} (> {lows[-1]:.2f})")
    dependent = max(sm.LR_p_value, sm.Q_p_value) < 0.05
    verdict = "the moves depend" if dependent else "no evidence at 5 % that the moves depend"
    rep.text(
        f"{len(sm.metro_ids):,} UN agglomerations, population relative to the year's mean, "
        f"{sm.k} pooled quantile classes (1 = smallest), every {MARKOV_STEP} years "
        f"{sm.years[0]}-{sm.years[-1]}; spatial lag: the 8 nearest metros. LR = {sm.LR:.1f}, "
        f"Q = {sm.Q:.1f} ({sm.dof} dof; p = {sm.LR_p_value:.2g} and {sm.Q_p_value:.2g}): "
        f"{verdict} on the neighbourhood's class."
    )
    index = pd.Index(labels, name="from class (size ÷ mean)")
    matrix = pd.DataFrame(sm.p, index=index, columns=[f"to {c + 1}" for c in range(sm.k)])
    rep.table(matrix, "Transition probabilities, all moves", "{:.3f}")
    rep.table(sm.homogeneity().set_index("test"), "Tests of spatial dependence", "{:.4g}")
    rep.table(_summary(sm), "Regimes: all moves, then by the lag's class", "{:.3f}")
    drag = neighbourhood_drag(sm)
    names = res.decline.set_index("metro_id")["name"]
    drag = drag[drag["metro_id"].isin(names.index)].head(_TOP)
    drag.insert(0, "metro", names.reindex(drag["metro_id"]).to_numpy())
    rep.table(
        drag.drop(columns=["metro_id", "last_y"]).set_index("metro"),
        "Reported metros that moved down a class while their neighbours' class was below their own",
    )
