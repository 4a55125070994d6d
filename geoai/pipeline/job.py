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
With the local scheduler they run in a second process while the run writes
its files (:mod:`geoai.pipeline._background`).

``[outputs] map_formats`` (default ``["png"]``) lists the formats of the maps:
300 dpi PNG, and SVG and PDF for print on request (each format is a full
drawing of every map, so the three take about three times as long).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from geoai import _validate as v
from geoai._decay import decay_spec
from geoai._scheduler import check_address
from geoai.errors import CRSError, GeoAIError, InputError
from geoai.pipeline import _jobfile as jf
from geoai.pipeline._exports import check_formats
from geoai.pipeline._job_example import EXAMPLE_JOB
from geoai.pipeline._places import PlaceColumns
from geoai.scenario._checks import FIRST_START, LAST_END, LAST_START, MAX_SEED
from geoai.scenario.params import ScenarioParams
from geoai.scenario.presets import PRESETS

__all__ = ["EXAMPLE_JOB", "Job", "load_job"]


_WEIGHTS = ("ai_jobs", "talent", "population", "capital", "jobs")
_DECAYS = ("exponential", "gaussian", "power", "box")
_METHODS = ("auto", "direct", "fft", "dask")
#: The formats of the run's maps (:func:`geoai.viz.save_map`); ``[outputs] map_formats``.
MAP_FORMATS = ("png", "svg", "pdf")


@dataclass(frozen=True)
class Job:
    """A validated job (see ``EXAMPLE_JOB`` for every key and its meaning).

    Each field is one key of the job file, named as there (``[scenario] end`` is ``end``);
    ``source`` says where the job came from (``"defaults"``, ``"dict"`` or the file's path)
    and ``safe`` whether it was read in safe mode (:func:`load_job`; the run's manifest
    records both through :meth:`as_dict`).

    Examples
    --------
    >>> Job().presets, Job().end
    (('concentration', 'exodus', 'divergence'), 2050)
    >>> Job(presets=("baseline",), end=2030).source
    'defaults'
    """

    metros: str = "embedded"
    min_population: float = 1_000_000.0
    lon: str = "lon"
    lat: str = "lat"
    places_crs: str | None = None
    layer: str | None = None
    id_column: str | None = None
    name_column: str | None = None
    population_column: str = "population"
    country: str | None = None
    country_column: str | None = None
    presets: tuple[str, ...] = ("concentration", "exodus", "divergence")
    start: int = 2025
    end: int = 2050
    seed: int = 0
    overrides: dict[str, float] = field(default_factory=dict)
    preset_overrides: dict[str, dict[str, float]] = field(default_factory=dict)
    bounds: tuple[float, float, float, float] = (-180.0, -60.0, 180.0, 78.0)
    resolution: float = 0.25
    crs: str = "EPSG:4326"
    grid_fitted: bool = False
    weight: str = "ai_jobs"
    decay: str = "exponential"
    scale_km: float | None = 300.0
    beta: float | None = None
    method: str = "auto"
    maps: bool = True
    map_formats: tuple[str, ...] = ("png",)
    report: bool = True
    rasters: bool = True
    qgis_project: bool = True
    formats: tuple[str, ...] = ("gpkg", "parquet", "fgb")
    top_flows: int = 300
    sensitivity: bool = True
    scheduler: str = ""
    source: str = "defaults"
    safe: bool = False
    settings_prefix: str = "data."

    def place_columns(self) -> PlaceColumns:
        """Return how to read this job's own places: its ``[data]`` column keys.

        Examples
        --------
        >>> Job(id_column="town", population_column="pop").place_columns().population
        'pop'
        """
        return PlaceColumns(
            lon=self.lon,
            lat=self.lat,
            crs=self.places_crs,
            layer=self.layer,
            id=self.id_column,
            name=self.name_column,
            population=self.population_column,
            country=self.country,
            country_column=self.country_column,
            prefix=self.settings_prefix,
        )

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
        (2030, ['metros', 'min_population', 'lon'])
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


#: ``[data]`` keys naming columns of the user's places -> their Job field.
_PLACE_KEYS = {
    "lon": "lon",
    "lat": "lat",
    "crs": "places_crs",
    "layer": "layer",
    "id": "id_column",
    "name": "name_column",
    "population": "population_column",
    "country": "country",
    "country_column": "country_column",
}


def _data(t: dict[str, Any]) -> dict[str, Any]:
    jf.check_keys(t, ("metros", "places", "min_population", *_PLACE_KEYS), "data")
    if "metros" in t and "places" in t:
        raise InputError("[data] gives both places and metros (the same key); keep one.")
    file_key = "data.places" if "places" in t else "data.metros"
    t = {("metros" if k == "places" else k): x for k, x in t.items()}
    kw: dict[str, Any] = {}
    for key, name in _PLACE_KEYS.items():
        if key in t:
            kw[name] = jf.typed(t[key], str, f"data.{key}")
            if not kw[name].strip():
                raise InputError(f"data.{key} is empty; name a column (or leave the key out).")
    if "crs" in t:
        v.as_crs(kw["places_crs"], "data.crs")
    if "metros" in t:
        given = jf.typed(t["metros"], str, file_key)
        base = jf.safe_base()
        if given == "embedded":
            kw["metros"] = given
        elif base is None:
            kw["metros"] = jf.file_kind(given, file_key)
        else:
            kw["metros"] = jf.confine(given, base, file_key)
    if "min_population" in t:
        kw["min_population"] = jf.number(t["min_population"], "data.min_population", low=0)
    return kw


def _overrides(table: object, where: str) -> dict[str, float]:
    known = tuple(sorted(ScenarioParams().describe().index))
    checked = jf.typed(table, dict, where)
    jf.check_keys(checked, known, where)
    return {k: jf.number(x, f"{where}.{k}") for k, x in checked.items()}


def _presets(given: object) -> tuple[str, ...]:
    names = jf.typed(given, list, "scenario.presets")
    known = tuple(sorted(PRESETS))
    if not names:
        raise InputError(f"scenario.presets [] not known; choose among {list(known)}.")
    for p in names:
        if not isinstance(p, str) or p not in PRESETS:
            raise InputError(
                f"scenario.presets {jf.shown(p)} not known; choose among {list(known)}."
                + jf.suggest(p, known)
            )
    if len(set(names)) < len(names):
        raise InputError("scenario.presets names a preset twice; list each once.")
    return tuple(names)


def _scenario(t: dict[str, Any]) -> dict[str, Any]:
    jf.check_keys(
        t, ("presets", "start", "end", "seed", "overrides", "preset_overrides"), "scenario"
    )
    kw: dict[str, Any] = {}
    if "presets" in t:
        kw["presets"] = _presets(t["presets"])
    if "start" in t:
        kw["start"] = jf.whole(
            t["start"], "scenario.start", low=FIRST_START, high=LAST_START, example=2025
        )
    if "end" in t:
        kw["end"] = jf.whole(t["end"], "scenario.end", low=FIRST_START, high=LAST_END, example=2050)
    if "seed" in t:
        kw["seed"] = jf.whole(t["seed"], "scenario.seed", low=0, high=MAX_SEED, example=0)
    if "overrides" in t:
        kw["overrides"] = _overrides(t["overrides"], "scenario.overrides")
    if "preset_overrides" in t:
        per = jf.typed(t["preset_overrides"], dict, "scenario.preset_overrides")
        jf.check_keys(per, tuple(sorted(PRESETS)), "scenario.preset_overrides")
        kw["preset_overrides"] = {
            k: _overrides(x, f"scenario.preset_overrides.{k}") for k, x in per.items()
        }
    return kw


def _grid(t: dict[str, Any]) -> dict[str, Any]:
    jf.check_keys(t, ("bounds", "resolution", "crs"), "grid")
    kw: dict[str, Any] = {}
    if "bounds" in t:
        b = jf.typed(t["bounds"], list, "grid.bounds")
        if len(b) != 4:
            raise InputError(
                f"grid.bounds must be [xmin, ymin, xmax, ymax], min < max; got {jf.shown(b)}."
            )
        box = tuple(jf.number(x, f"grid.bounds[{i}]") for i, x in enumerate(b))
        if not (box[0] < box[2] and box[1] < box[3]):
            raise InputError(f"grid.bounds must be [xmin, ymin, xmax, ymax], min < max; got {b}.")
        kw["bounds"] = box
    if "resolution" in t:
        kw["resolution"] = jf.number(t["resolution"], "grid.resolution", low=0, above=True)
    if "crs" in t:
        kw["crs"] = jf.typed(t["crs"], str, "grid.crs")
        try:
            v.as_crs(kw["crs"], "grid.crs")
        except GeoAIError:
            raise InputError(
                f"grid.crs = {jf.shown(kw['crs'])} is not a CRS; give one such as "
                '"EPSG:4326" (longitude/latitude) or "EPSG:3035" (projected, metres).'
            ) from None
    return kw


def _check_grid(job: Job) -> None:
    """Refuse bounds that contradict the CRS, or a grid that cannot be described."""
    import numpy as np

    crs = v.as_crs(job.crs, "grid.crs")
    x, y = np.array(job.bounds[0::2]), np.array(job.bounds[1::2])
    # a job's grid is never smaller than 360 m x 180 m: such bounds in a projected CRS are degrees
    flagged = crs.is_projected and bool((np.abs(x) <= 180).all() and (np.abs(y) <= 90).all())
    try:
        v.check_coords_crs(x, y, crs, "grid.bounds", given_as="xy")
    except CRSError:
        flagged = True
    if not flagged:
        _describe_grid(job)
        return
    if crs.is_geographic:
        raise CRSError(
            f"grid.bounds {list(job.bounds)} are not longitude/latitude degrees, but "
            f"grid.crs = {jf.shown(job.crs)} is geographic; give bounds in degrees, or the "
            'projected CRS they are in (e.g. crs = "EPSG:3035").'
        )
    raise CRSError(
        f"grid.bounds {list(job.bounds)} look like longitude/latitude degrees, but grid.crs "
        f"= {jf.shown(job.crs)} is projected ({crs.axis_info[0].unit_name}s); give the "
        'bounds in its units, or crs = "EPSG:4326".'
    )


def _describe_grid(job: Job) -> None:
    from geoai.grid import Grid

    try:
        Grid.from_bounds(job.bounds, job.resolution, crs=job.crs)
    except GeoAIError as exc:
        raise type(exc)(f"[grid] {exc}") from None


def _potential(t: dict[str, Any]) -> dict[str, Any]:
    jf.check_keys(t, ("weight", "decay", "scale_km", "beta", "method"), "potential")
    kw: dict[str, Any] = {}
    if "weight" in t:
        kw["weight"] = jf.choice(t["weight"], _WEIGHTS, "potential.weight")
    if "decay" in t:
        kw["decay"] = jf.choice(t["decay"], _DECAYS, "potential.decay")
    if "method" in t:
        kw["method"] = jf.choice(t["method"], _METHODS, "potential.method")
    for key in ("scale_km", "beta"):
        if key in t:
            kw[key] = jf.number(t[key], f"potential.{key}", low=0, above=True)
    if "scale_km" not in t and (kw.get("decay") == "power" or "beta" in t):
        kw["scale_km"] = None  # the decay's parameter is beta
    return kw


def _outputs(t: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "maps",
        "map_formats",
        "report",
        "rasters",
        "qgis_project",
        "formats",
        "top_flows",
        "sensitivity",
    )
    jf.check_keys(t, keys, "outputs")
    kw: dict[str, Any] = {}
    if "map_formats" in t:
        kw["map_formats"] = _map_formats(t["map_formats"])
    if "formats" in t:
        given = t["formats"]
        if not isinstance(given, list) or not all(isinstance(f, str) for f in given):
            raise InputError(
                'outputs.formats must be a list of format names, e.g. ["gpkg", "parquet", '
                f'"fgb"]; got {jf.shown(given)}.'
            )
        try:
            kw["formats"] = check_formats(given)
        except InputError as exc:
            raise InputError(f"outputs.formats: {exc}") from None
    for key in ("maps", "report", "rasters", "qgis_project", "sensitivity"):
        if key in t:
            kw[key] = jf.typed(t[key], bool, f"outputs.{key}")
    if "top_flows" in t:
        kw["top_flows"] = jf.whole(
            t["top_flows"], "outputs.top_flows", low=0, high=1_000_000, example=300
        )
    return kw


def _map_formats(given: object) -> tuple[str, ...]:
    """Validate ``[outputs] map_formats``: some of png, svg and pdf, in that order."""
    if (
        not isinstance(given, list)
        or not given
        or not all(isinstance(f, str) and f in MAP_FORMATS for f in given)
    ):
        raise InputError(
            f"outputs.map_formats must be a non-empty list of {list(MAP_FORMATS)}, e.g. "
            f'["png", "svg", "pdf"] for print; got {jf.shown(given)}.'
        )
    return tuple(f for f in MAP_FORMATS if f in given)


def _dask(t: dict[str, Any]) -> dict[str, Any]:
    jf.check_keys(t, ("scheduler",), "dask")
    if "scheduler" not in t:
        return {}
    return {
        "scheduler": check_address(
            jf.typed(t["scheduler"], str, "dask.scheduler"), "dask.scheduler"
        )
    }


_TABLES = {
    "data": _data,
    "scenario": _scenario,
    "grid": _grid,
    "potential": _potential,
    "outputs": _outputs,
    "dask": _dask,
}


def _from_doc(doc: dict[str, Any], source: str, prefix: str = "data.") -> Job:
    jf.check_keys(doc, tuple(_TABLES), "top level")
    kw: dict[str, Any] = {"source": source, "settings_prefix": prefix}
    for name, parse in _TABLES.items():
        kw.update(parse(jf.typed(doc.get(name, {}), dict, name)))
    job = Job(**kw)
    grid = doc.get("grid", {})
    if job.metros != "embedded" and "bounds" not in grid:
        job = _fitted(job, keep_resolution="resolution" in grid)
    _check_job(job)
    return job


def _fitted(job: Job, *, keep_resolution: bool) -> Job:
    """Fit the grid to the job's own places (read and checked now, before any work)."""
    from geoai.pipeline._places import fit_grid, read_places

    places = read_places(job.metros, job.place_columns())
    bounds, resolution, _ = fit_grid(places, crs=job.crs)
    if keep_resolution:
        resolution = job.resolution
    return dataclasses.replace(job, bounds=bounds, resolution=resolution, grid_fitted=True)


def _check_job(job: Job) -> None:
    """Check across keys: years in order, the decay's parameter, the grid, every override."""
    if job.end < job.start:
        raise InputError(f"scenario.end ({job.end}) is before scenario.start ({job.start}).")
    if job.decay != "power" and job.scale_km is None and job.beta is None:
        raise InputError(f"potential.decay = {job.decay!r} needs potential.scale_km (km).")
    try:
        decay_spec(job.decay, scale=job.scale_km, beta=job.beta, allowed=_DECAYS)
    except InputError as exc:
        raise InputError(f"[potential] {exc}") from None
    _check_grid(job)
    for name in job.presets:
        job.params(name)  # validates every override value now, not mid-run


def _untrusted(job: Job) -> Job:
    """Safe mode: refuse a scheduler and confine the data path (see :mod:`._jobfile`)."""
    if job.scheduler:
        raise InputError(
            "dask.scheduler is refused in safe mode: a Dask scheduler runs code in this "
            "process and sees the job's data, and this job is not trusted; leave it empty, "
            "give the address yourself (geoai run --scheduler), or run with --trusted."
        )
    base = jf.safe_base()
    metros = job.metros
    if metros != "embedded" and base is not None:
        metros = jf.confine(metros, base, "data.metros")
    return dataclasses.replace(job, metros=metros, safe=True)


def _with_data(doc: dict[str, Any], data: dict[str, str] | None) -> dict[str, Any]:
    """Return ``doc`` with its ``[data]`` keys replaced by the command line's ``data``."""
    if not data:
        return doc
    table = dict(jf.typed(doc.get("data", {}), dict, "data"))
    if "places" in data or "metros" in data:  # the command line's file replaces the job's
        table = {k: x for k, x in table.items() if k not in ("places", "metros")}
    return {**doc, "data": {**table, **data}}


def load_job(
    job: str | Path | dict[str, Any] | Job | None,
    *,
    safe: bool | None = None,
    data: dict[str, str] | None = None,
) -> Job:
    """Read and validate a job: a TOML path, a dict of the same tables, a Job or None.

    Parameters
    ----------
    job : str, pathlib.Path, dict, Job or None
        A TOML job file, the same tables as a dict, a Job (returned as is, or
        checked again in safe mode) or None (the defaults).
    safe : bool or None, default None
        Read the job as untrusted (:mod:`geoai.pipeline._jobfile`): its data
        file must lie in the job file's folder (the current folder for a dict
        or a Job), must not be a URL, a GDAL virtual path, a .vrt or other XML
        file, and the job may not choose a Dask scheduler. None (automatic) is
        safe for a job file owned by another user, trusted otherwise; without
        safe mode a job file is trusted like code. ``Job.safe`` records it.
    data : dict of str to str, optional
        ``[data]`` keys given on the command line (``geoai run --places ...``): they
        replace the job's, and messages name them as options (``--population``).

    Returns
    -------
    Job
        The validated job; every override is checked against its preset here.

    Raises
    ------
    InputError
        An unknown table or key (with a did-you-mean), a value of the wrong type or
        range, a missing file or one that is not a regular file, a job file over
        1 MiB, not UTF-8 or not TOML, or, in safe mode, a refused path or scheduler.
    CRSError
        The grid's bounds contradict its CRS (degrees with a projected CRS, or the reverse).

    Examples
    --------
    >>> job = load_job({"scenario": {"presets": ["exodus"], "overrides": {"mobility": 0.1},
    ...                                "preset_overrides": {"exodus": {"remote_share": 0.4}}}})
    >>> job.presets, job.overrides, job.source, job.safe
    (('exodus',), {'mobility': 0.1}, 'dict', False)
    >>> try:
    ...     load_job({"scenario": {"ends": 2030}})
    ... except ValueError as exc:
    ...     print(str(exc).split(";")[0])
    unknown key(s) ['ends'] in [scenario]
    >>> load_job(None, safe=True).safe
    True
    """
    if safe is not None and not isinstance(safe, bool):
        raise InputError(f"safe must be True, False or None (automatic); got {jf.shown(safe)}.")
    if data and isinstance(job, Job):
        raise InputError("data= applies to a job file or a dict, not to a Job; use replace().")
    if data and job is None:
        job = {}
    prefix = "--" if data else "data."
    if job is None or isinstance(job, Job):
        found = job if job is not None else Job()
        if not safe:
            return found
        from_file = found.source not in ("defaults", "dict")
        with jf.safe_mode(Path(found.source).parent if from_file else Path()):
            return _untrusted(found)
    if isinstance(job, dict):
        with jf.safe_mode(Path() if safe else None):
            found = _from_doc(_with_data(job, data), "dict", prefix)
            return _untrusted(found) if safe else found
    if not isinstance(job, str | Path):
        raise InputError(
            f"job must be a TOML file's path, a dict of its tables, a Job or None; got "
            f"{type(job).__name__}."
        )
    p = Path(job)
    on = jf.is_foreign(p) if safe is None else safe
    with jf.safe_mode(p.parent if on else None):
        doc = jf.read_job_file(p, f"write a job file with `geoai init-job {p.name}`")
        found = _from_doc(_with_data(doc, data), str(p), prefix)
        return _untrusted(found) if on else found
