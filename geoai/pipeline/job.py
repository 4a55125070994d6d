"""Job files: what ``geoai run`` does, as a validated TOML document.

Every table and key is checked: an unknown key or a bad value is an
``InputError`` naming the key and what is allowed. ``EXAMPLE_JOB`` is the
commented example ``geoai init-job`` writes; with no job at all the defaults
below run (the world's >= 1 M metros, three presets, 2025-2050, a 0.25° world
potential grid).

``[outputs] sensitivity`` (default true, used only with ``report = true``)
gives every headline of the report a ±20 % band over the preset's three most
influential parameters, found by one-at-a-time screening with the job's
metros, years, seed and Dask scheduler (:mod:`geoai.scenario.sensitivity`):
about ``2 k + 9`` extra simulations per preset for ``k`` screened parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from geoai import _validate as v
from geoai.errors import GeoAIError, InputError
from geoai.scenario.params import ScenarioParams
from geoai.scenario.presets import PRESETS

__all__ = ["EXAMPLE_JOB", "Job", "load_job"]

EXAMPLE_JOB = """\
# geoai job file: `geoai run job.toml --out out/`
# Every key is optional; the values shown are the defaults.

[data]
metros = "embedded"          # or your metros: .gpkg / .parquet / .csv with lon, lat
min_population = 1_000_000   # embedded metros only: size floor (people)

[scenario]
presets = ["concentration", "exodus", "divergence"]   # any of these and "baseline"
start = 2025
end = 2050
seed = 0

# parameter overrides for every preset (names: geoai.scenario.ScenarioParams().describe())
[scenario.overrides]
# ai_pool_max = 5e6          # seed 000's company arithmetic instead of 100 M

# overrides for one preset only
# [scenario.preset_overrides.exodus]
# remote_share = 0.4

[grid]
bounds = [-180.0, -60.0, 180.0, 78.0]   # xmin, ymin, xmax, ymax in the grid CRS
resolution = 0.25                        # cell size in CRS units
crs = "EPSG:4326"

[potential]
weight = "ai_jobs"           # final-year column used as mass: ai_jobs, talent, population, capital
decay = "exponential"        # exponential, gaussian, power, box
scale_km = 300.0             # decay scale (km); for decay = "power" give beta instead
# beta = 1.0
method = "auto"              # auto, direct, fft, dask

[outputs]
maps = true                  # maps/*.png
report = true                # report.md and report.html
rasters = true               # potential_<preset>.tif and market_areas_<preset>.tif (COG + .qml)
qgis_project = true          # project.qgz
top_flows = 300              # flow lines per preset in the GeoPackage
sensitivity = true           # report: ±20 % band on each headline over the 3 most influential
                             # parameters (one-at-a-time screening; ~80 extra runs per preset)

[dask]
scheduler = ""               # "" = local threads; or a dask.distributed address, tcp://host:8786
"""

_WEIGHTS = ("ai_jobs", "talent", "population", "capital", "jobs")


def _check_keys(table: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise InputError(f"unknown key(s) {unknown} in [{where}]; allowed: {', '.join(allowed)}.")


_T = TypeVar("_T")

_KIND_NAMES: dict[type, str] = {
    bool: "true or false",
    str: "a string",
    int: "an integer",
    list: "a list",
    dict: "a table",
}


def _typed(value: object, kind: type[_T], key: str) -> _T:
    """Return ``value`` if it is a ``kind`` (a bool only where ``kind`` is bool); else refuse."""
    wanted = _KIND_NAMES.get(kind, "a number")
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
        raise InputError(f"{key} has the wrong type: expected {wanted}, got {value!r}.")
    return value


def _number(value: object, key: str) -> float:
    """Return an int or a float ``value`` (not a bool) as a float; else refuse."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{key} has the wrong type: expected a number, got {value!r}.")
    return float(value)


@dataclass(frozen=True)
class Job:
    """A validated job (see ``EXAMPLE_JOB`` for every key and its meaning).

    Each field is one key of the job file, named as there (``[scenario] end`` is ``end``);
    ``source`` says where the job came from (``"defaults"``, ``"dict"`` or the file's path).

    Examples
    --------
    >>> Job().presets, Job().end
    (('concentration', 'exodus', 'divergence'), 2050)
    >>> Job(presets=("baseline",), end=2030).source
    'defaults'
    """

    metros: str = "embedded"
    min_population: float = 1_000_000.0
    presets: tuple[str, ...] = ("concentration", "exodus", "divergence")
    start: int = 2025
    end: int = 2050
    seed: int = 0
    overrides: dict[str, float] = field(default_factory=dict)
    preset_overrides: dict[str, dict[str, float]] = field(default_factory=dict)
    bounds: tuple[float, float, float, float] = (-180.0, -60.0, 180.0, 78.0)
    resolution: float = 0.25
    crs: str = "EPSG:4326"
    weight: str = "ai_jobs"
    decay: str = "exponential"
    scale_km: float | None = 300.0
    beta: float | None = None
    method: str = "auto"
    maps: bool = True
    report: bool = True
    rasters: bool = True
    qgis_project: bool = True
    top_flows: int = 300
    sensitivity: bool = True
    scheduler: str = ""
    source: str = "defaults"

    def params(self, preset: str) -> ScenarioParams:
        """Return the parameters of one preset with this job's overrides.

        Parameters
        ----------
        preset : str
            A preset name (a key of :data:`geoai.scenario.PRESETS`).

        Returns
        -------
        ScenarioParams
            The preset, then ``overrides``, then that preset's ``preset_overrides``.

        Examples
        --------
        >>> job = load_job({"scenario": {"presets": ["exodus"], "overrides": {"mobility": 0.1},
        ...                                "preset_overrides": {"exodus": {"remote_share": 0.4}}}})
        >>> p = job.params("exodus")
        >>> p.mobility, p.remote_share, job.params("baseline").remote_share
        (0.1, 0.4, 0.0)
        """
        over = {**self.overrides, **self.preset_overrides.get(preset, {})}
        return PRESETS[preset].params(**over)

    def as_dict(self) -> dict[str, Any]:
        """All settings (for the report).

        Returns
        -------
        dict
            Field name to value, every field in order.

        Examples
        --------
        >>> settings = Job(end=2030).as_dict()
        >>> settings["end"], list(settings)[:3]
        (2030, ['metros', 'min_population', 'presets'])
        """
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def input_paths(self) -> dict[str, Path]:
        r"""Return the files this job reads, by role: its job file and any user data file.

        ``geoai run`` refuses an output folder that holds one of them.

        Returns
        -------
        dict of str to pathlib.Path
            ``"job file"`` and ``"input data file (data.metros)"``, where they apply.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "job.toml"
        >>> _ = path.write_text("[scenario]\nend = 2030\n")
        >>> list(load_job(path).input_paths()), load_job(None).input_paths()
        (['job file'], {})
        """
        paths: dict[str, Path] = {}
        if self.source not in ("defaults", "dict"):
            paths["job file"] = Path(self.source)
        if self.metros != "embedded":
            paths["input data file (data.metros)"] = Path(self.metros)
        return paths


def _data(t: dict[str, Any]) -> dict[str, Any]:
    _check_keys(t, ("metros", "min_population"), "data")
    kw: dict[str, Any] = {}
    if "metros" in t:
        kw["metros"] = str(_typed(t["metros"], str, "data.metros"))
        if kw["metros"] != "embedded" and not Path(kw["metros"]).is_file():
            raise InputError(
                f"data.metros = {kw['metros']!r}: no such file; give a .gpkg, .parquet or .csv "
                'path (relative to where geoai runs) or "embedded".'
            )
    if "min_population" in t:
        kw["min_population"] = _number(t["min_population"], "data.min_population")
    return kw


def _overrides(table: object, where: str) -> dict[str, float]:
    known = tuple(sorted(ScenarioParams().describe().index))
    checked = _typed(table, dict, where)
    _check_keys(checked, known, where)
    return dict(checked)


def _scenario(t: dict[str, Any]) -> dict[str, Any]:
    _check_keys(t, ("presets", "start", "end", "seed", "overrides", "preset_overrides"), "scenario")
    kw: dict[str, Any] = {}
    if "presets" in t:
        names = _typed(t["presets"], list, "scenario.presets")
        bad = [p for p in names if p not in PRESETS]
        if bad or not names:
            raise InputError(
                f"scenario.presets {bad or names} not known; choose among {sorted(PRESETS)}."
            )
        kw["presets"] = tuple(names)
    for key in ("start", "end", "seed"):
        if key in t:
            kw[key] = int(_typed(t[key], int, f"scenario.{key}"))
    if "overrides" in t:
        kw["overrides"] = _overrides(t["overrides"], "scenario.overrides")
    if "preset_overrides" in t:
        per = _typed(t["preset_overrides"], dict, "scenario.preset_overrides")
        _check_keys(per, tuple(sorted(PRESETS)), "scenario.preset_overrides")
        kw["preset_overrides"] = {
            k: _overrides(v, f"scenario.preset_overrides.{k}") for k, v in per.items()
        }
    return kw


def _grid(t: dict[str, Any]) -> dict[str, Any]:
    _check_keys(t, ("bounds", "resolution", "crs"), "grid")
    kw: dict[str, Any] = {}
    if "bounds" in t:
        b = _typed(t["bounds"], list, "grid.bounds")
        if len(b) != 4 or not (b[0] < b[2] and b[1] < b[3]):
            raise InputError(f"grid.bounds must be [xmin, ymin, xmax, ymax], min < max; got {b}.")
        kw["bounds"] = tuple(float(x) for x in b)
    if "resolution" in t:
        r = _number(t["resolution"], "grid.resolution")
        if r <= 0:
            raise InputError(f"grid.resolution must be > 0; got {r}.")
        kw["resolution"] = r
    if "crs" in t:
        kw["crs"] = str(_typed(t["crs"], str, "grid.crs"))
        try:
            v.as_crs(kw["crs"], "grid.crs")
        except GeoAIError:
            raise InputError(
                f'grid.crs = {kw["crs"]!r} is not a CRS; give one such as "EPSG:4326" '
                '(longitude/latitude) or "EPSG:3035" (projected, metres).'
            ) from None
    return kw


def _potential(t: dict[str, Any]) -> dict[str, Any]:
    _check_keys(t, ("weight", "decay", "scale_km", "beta", "method"), "potential")
    kw: dict[str, Any] = {}
    if "weight" in t:
        if t["weight"] not in _WEIGHTS:
            raise InputError(f"potential.weight {t['weight']!r}: choose one of {_WEIGHTS}.")
        kw["weight"] = t["weight"]
    for key in ("decay", "method"):
        if key in t:
            kw[key] = str(_typed(t[key], str, f"potential.{key}"))
    for key in ("scale_km", "beta"):
        if key in t:
            kw[key] = _number(t[key], f"potential.{key}")
    if kw.get("decay") == "power" and "scale_km" not in t:
        kw["scale_km"] = None
    return kw


def _outputs(t: dict[str, Any]) -> dict[str, Any]:
    keys = ("maps", "report", "rasters", "qgis_project", "top_flows", "sensitivity")
    _check_keys(t, keys, "outputs")
    kw: dict[str, Any] = {}
    for key in ("maps", "report", "rasters", "qgis_project", "sensitivity"):
        if key in t:
            kw[key] = bool(_typed(t[key], bool, f"outputs.{key}"))
    if "top_flows" in t:
        kw["top_flows"] = int(_typed(t["top_flows"], int, "outputs.top_flows"))
    return kw


def _dask(t: dict[str, Any]) -> dict[str, Any]:
    _check_keys(t, ("scheduler",), "dask")
    return {"scheduler": str(_typed(t["scheduler"], str, "dask.scheduler"))} if t else {}


_TABLES = {
    "data": _data,
    "scenario": _scenario,
    "grid": _grid,
    "potential": _potential,
    "outputs": _outputs,
    "dask": _dask,
}


def _from_doc(doc: dict[str, Any], source: str) -> Job:
    _check_keys(doc, tuple(_TABLES), "top level")
    kw: dict[str, Any] = {"source": source}
    for name, parse in _TABLES.items():
        kw.update(parse(_typed(doc.get(name, {}), dict, name)))
    job = Job(**kw)
    if job.end < job.start:
        raise InputError(f"scenario.end ({job.end}) is before scenario.start ({job.start}).")
    if job.decay != "power" and job.scale_km is None:
        raise InputError(f"potential.decay = {job.decay!r} needs potential.scale_km (km).")
    for name in job.presets:
        job.params(name)  # validates every override value now, not mid-run
    return job


def load_job(job: str | Path | dict[str, Any] | Job | None) -> Job:
    """Read and validate a job: a TOML path, a dict of the same tables, a Job or None.

    Parameters
    ----------
    job : str, pathlib.Path, dict, Job or None
        A TOML job file, the same tables as a dict, a Job (returned as is) or None (the
        defaults).

    Returns
    -------
    Job
        The validated job; every override is checked against its preset here.

    Raises
    ------
    InputError
        An unknown table or key, a value of the wrong type or range, or a missing file.

    Examples
    --------
    >>> job = load_job({"scenario": {"presets": ["exodus"], "overrides": {"mobility": 0.1},
    ...                                "preset_overrides": {"exodus": {"remote_share": 0.4}}}})
    >>> job.presets, job.overrides, job.source
    (('exodus',), {'mobility': 0.1}, 'dict')
    >>> try:
    ...     load_job({"scenario": {"ends": 2030}})
    ... except ValueError as exc:
    ...     print(str(exc).split(";")[0])
    unknown key(s) ['ends'] in [scenario]
    """
    if job is None:
        return Job()
    if isinstance(job, Job):
        return job
    if isinstance(job, dict):
        return _from_doc(job, "dict")
    p = Path(job)
    doc = v.read_toml(p, missing_hint=f"write a job file with `geoai init-job {p.name}`")
    return _from_doc(doc, str(p))
