"""The report of a ``geoai run``: the start, the presets side by side, assumptions, data.

:func:`write_report` writes ``report.md`` and ``report.html`` into the run's
staging folder; the sections on the scenarios' headlines, their sensitivity
bands and the seeds' own arithmetic come from
:mod:`geoai.scenario.reporting`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from collections.abc import Callable

    import geopandas as gpd
    from distributed import Client

    from geoai.io.report import Report
    from geoai.pipeline.job import Job
    from geoai.scenario.simulation import Simulation

__all__ = ["job_bands", "write_report"]


def _labour_note(final: pd.DataFrame, *, embedded: bool) -> str:
    """Say which metros' job columns are observed and which modelled."""
    from geoai.labour import INCOME_GROUPS, LabourAssumptions

    column = "start_jobs_source" if "start_jobs_source" in final else "labour_source"
    sources = final[column] if column in final else pd.Series(dtype=str)
    observed = int(sources.astype(str).str.startswith("observed").sum())
    a = LabourAssumptions().resolved()
    groups = ", ".join(
        f"{g}: employment {e:.2f} of adults, {ex:.0%} exposed, {c:.0%} complementary"
        for g, e, ex, c in zip(
            INCOME_GROUPS,
            a.employment_15plus,
            a.exposed_share,
            a.complementary_share,
            strict=True,
        )
    )
    population = (
        "Populations are UN estimates up to 2015 and UN projections after."
        if embedded
        else "Populations are the input's own."
    )
    return (
        f"Starting jobs by type: observed for {observed} of {len(final)} metros (US metros: "
        "BLS OEWS May 2025 occupations x Eloundou et al. 2024 LLM exposure), modelled for "
        "the others from population and national income (geoai.labour; ILO employment "
        "rates, IMF SDN/2024/001 exposure groups, a size rule fitted on the US metros; "
        f"{groups}). {population}"
    )


def _start_section(rep: Report, sim: Simulation) -> None:
    """Add the observed start: who holds the AI roles, and from which source."""
    from geoai.scenario._format import fmt_number
    from geoai.scenario.start import AI_SOURCE_COUNTRY

    panel = sim.panel[sim.panel["year"] == sim.start].set_index("metro_id")
    final = sim.final
    iso = final["country_iso3"].reindex(panel.index)
    share = panel["ai_jobs"].groupby(iso).sum() / panel["ai_jobs"].sum()
    rep.heading(f"The start: the observed world of {sim.start}")
    lines = []
    for code, label in (("USA", "The US"), ("CHN", "China")):
        if code in share.index:
            src = final.loc[final["country_iso3"] == code, "ai_jobs_source"].astype(str)
            lines.append(
                f"{label} holds {share[code]:.1%} of the AI-leveraged roles of these metros "
                f"({src.value_counts().index[0]})."
            )
    lines.append(
        f"Country shares: {AI_SOURCE_COUNTRY} (Stanford HAI, AI Index Report 2025, Figures "
        "4.3.8, 4.3.9 and 4.3.2); within the US, each metro's share of the nation's AI "
        "talent (BLS OEWS May 2025); elsewhere its share of the country's modelled office jobs."
    )
    lines += list(sim.notes[1:])
    rep.bullets(lines)
    top = panel["ai_jobs"].nlargest(15)
    table = pd.DataFrame(
        {
            "metro": final["name"].reindex(top.index) if "name" in final else top.index,
            "country": iso.reindex(top.index),
            "AI-leveraged roles": [fmt_number(x, "jobs", with_unit=False) for x in top],
            "AI talent": [
                fmt_number(x, "people", with_unit=False) for x in panel["talent"].reindex(top.index)
            ],
            "source": final["ai_jobs_source"].reindex(top.index),
        }
    )
    table.index = pd.RangeIndex(1, len(table) + 1, name="rank")
    rep.table(table, f"The 15 metros with most AI-leveraged roles in {sim.start}")


def write_report(
    job: Job, sims: dict[str, Simulation], bands: dict[str, pd.DataFrame] | None, folder: Path
) -> list[Path]:
    """Write ``report.md`` and ``report.html`` for a run; return their paths.

    Parameters
    ----------
    job : geoai.pipeline.job.Job
        The run's job.
    sims : dict of str to Simulation
        ``{preset: Simulation}``.
    bands : dict or None
        ``{preset: bands table}`` from
        :func:`job_bands` (None: no bands).
    folder : pathlib.Path
        The staging folder.

    Returns
    -------
    list of pathlib.Path
    """
    from geoai._version import __version__
    from geoai.datasets import ATTRIBUTION
    from geoai.io.report import Report, plain_number
    from geoai.scenario import PRESETS, ScenarioParams
    from geoai.scenario.reporting import report_sections
    from geoai.scenario.seeds import seed_arithmetic

    rep = Report("geoai: where AI sends jobs, talent and capital")
    first = next(iter(sims.values()))
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    rep.text(
        f"geoai {__version__}, run {when}; job: {job.source}. {len(sims)} scenario(s) on "
        f"{len(first.final)} metros, {job.start}-{job.end}. The start year is the observed "
        "world where data exist (each start quantity's *_source column says what it is); "
        "every later figure is modelled from documented assumptions."
    )
    _how_to_read(rep, folder)
    _start_section(rep, first)
    figure = "maps/comparison.png" if job.maps else None
    report_sections(rep, sims, bands, seed_arithmetic(sims), figure=figure)
    for name, sim in sims.items():
        rep.heading(f"{name} ({PRESETS[name].source})")
        rep.text(PRESETS[name].description)
        rep.table(_top_metros(sim), f"The 10 metros with most AI-leveraged roles in {job.end}")
        if job.maps:
            for kind in ("roles", "potential", "flows"):
                if (folder / "maps" / f"{kind}_{name}.png").exists():
                    rep.figure(f"maps/{kind}_{name}.png", f"{kind.title()}: {name}")
    rep.heading("Assumptions")
    countries = first.final["country_iso3"].astype(str)
    niip_known = first.final["fiscal_buffer"].notna() if "fiscal_buffer" in first.final else None
    niip_line = (
        f"NIIP (fiscal buffers): known for the countries of {int(niip_known.sum())} of "
        f"{len(countries)} metros (seed 000's six figures; External Wealth of Nations, Lane & "
        "Milesi-Ferretti, elsewhere); where unknown, the buffer and fracture are NaN, never 0."
        if niip_known is not None
        else "NIIP (fiscal buffers): seed 000's six figures and the External Wealth of Nations."
    )
    rep.bullets(
        [
            _labour_note(first.final, embedded=job.metros == "embedded"),
            (
                "Scenario parameters: the table below (unit and source or 'assumption' each); "
                "shock parameters phase in with AI adoption; amenities are calibrated so the "
                "start year is a spatial equilibrium; equations in docs/model.md."
            ),
            niip_line,
            (
                "Roles: geoai.classify on each panel with the default thresholds "
                "(geoai.RoleThresholds)."
            ),
        ]
    )
    base = ScenarioParams().describe()
    params = pd.concat({name: job.params(name).describe()["value"] for name in job.presets}, axis=1)
    years = base["unit"] == "year"
    params = params.astype(object)
    for col in job.presets:
        params[col] = [
            str(round(float(x))) if is_year else plain_number(float(x))
            for x, is_year in zip(params[col], years, strict=True)
        ]
    params.insert(0, "unit", base["unit"])
    params["source"] = base["source"]
    rep.table(params, "Scenario parameters per preset")
    rep.heading("Data")
    if job.metros == "embedded":
        rep.text(
            f"{ATTRIBUTION}. Metros: the urban agglomerations of the UN World Urbanization "
            "Prospects 2018 (data/README.md)."
        )
    else:  # the user's places: credited as theirs, with the sources the run still used
        from geoai.pipeline._places import attribution

        rep.text(attribution(Path(job.metros).name, located=job.country is None) + ".")
    md, page = folder / "report.md", folder / "report.html"
    md.write_text(rep.markdown(), encoding="utf-8")
    page.write_text(rep.html(folder), encoding="utf-8")  # figures embedded: travels alone
    return [md, page]


def _top_metros(sim: Simulation, n: int = 10) -> pd.DataFrame:
    """Return the ``n`` metros with most AI-leveraged roles in the final year, for reading."""
    from geoai.pipeline._layers import role_label
    from geoai.scenario._format import fmt_number

    top = sim.roles.sort_values("ai_jobs", ascending=False).head(n)
    table = pd.DataFrame(index=pd.RangeIndex(1, len(top) + 1, name="rank"))
    for col, head in (("name", "metro"), ("country_iso3", "country")):
        if col in top.columns:
            table[head] = top[col].astype(str).to_numpy()
    if "role" in top.columns:
        table["role"] = [role_label(r) for r in top["role"]]
    table["AI-leveraged roles"] = [fmt_number(x, "jobs", with_unit=False) for x in top["ai_jobs"]]
    if "ai_share" in top.columns:
        table["share of all AI roles"] = [fmt_number(x, "share") for x in top["ai_share"]]
    if "reasons" in top.columns:
        table["why this role"] = top["reasons"].astype(str).to_numpy()
    return table


def _how_to_read(rep: Report, folder: Path) -> None:
    """Add the section that tells a reader what the report, maps and files are."""
    rep.heading("How to read this report")
    rep.bullets(
        [
            (
                "Every figure after the start year is modelled: a scenario is an 'if these "
                "assumptions hold' experiment, not a forecast. Start-year figures are observed "
                "where a source exists (each metro's *_source fields say which)."
            ),
            (
                "Numbers are rounded to three significant digits: 12.3 M is 12.3 million, 4.5 B "
                "is 4.5 billion, 1.2 T is 1.2 trillion; shares are percentages; years are years."
            ),
            (
                "A preset is one seed document's story, set as parameters (table 'Scenario "
                "parameters per preset'); the presets are compared side by side, then one by one."
            ),
            (
                "Roles: a hub gains AI-leveraged roles, a superstar leads them, a Detroit-path "
                "metro loses jobs and people, a hinterland depends on a hub; stable is none of "
                "these."
            ),
            (
                "Maps: metros coloured by role and sized by population; potential shows how many "
                "AI-leveraged roles are within reach of each place; flows are the largest moves of "
                "talent (people) and capital (USD) in the final year."
            ),
            (
                "Files: geoai.gpkg and project.qgz open in QGIS; README.md and fields.csv (the "
                "data dictionary) say what every layer, field and band holds, with its unit and "
                "source."
            ),
        ]
    )
    if (folder / "map.html").is_file():
        rep.link("map.html", "Open the interactive map", "(map.html, beside this report; offline)")


def job_bands(
    job: Job,
    metros: gpd.GeoDataFrame,
    countries: pd.DataFrame,
    scheduler: str | Client | None = None,
    step: Callable[[str], None] | None = None,
) -> dict[str, pd.DataFrame] | None:
    """Run :func:`~geoai.scenario.sensitivity.sensitivity` for every preset of a job.

    Nothing runs, and None comes back, when the job's ``[outputs] sensitivity``
    is false.

    Parameters
    ----------
    job : geoai.pipeline.job.Job
        The job: its presets, overrides, years and seed.
    metros : geopandas.GeoDataFrame
        The run's metros, as passed to :func:`geoai.scenario.simulate`.
    countries : pandas.DataFrame
        The run's countries, likewise.
    scheduler : None, str or distributed.Client
        The run's Dask scheduler (None: local threads), as in :func:`geoai.scenario.sweep`;
        an address is connected once, with a short timeout (:func:`geoai._scheduler.connected`).
    step : callable, optional
        Called with a progress message before each preset.

    Returns
    -------
    dict or None
        ``{preset: bands table}``.
    """
    from geoai._scheduler import connected
    from geoai.scenario.sensitivity import candidates, sensitivity

    if not job.sensitivity:
        return None
    out: dict[str, pd.DataFrame] = {}
    with connected(scheduler) as live:  # one checked connection for every preset
        for name in job.presets:
            if step is not None:
                step(f"sensitivity {name}")
            over = {**job.overrides, **job.preset_overrides.get(name, {})}
            _, out[name] = sensitivity(
                name,
                metros=metros,
                countries=countries,
                start=job.start,
                end=job.end,
                seed=job.seed,
                scheduler=live,
                overrides=over,
                parameters=candidates(name),
            )
    return out
