"""Fuzz the command line: generated options exit 0 or 2 with one message, never a traceback.

``FUZZ`` examples (300 in ``make test``) of ``geoai init-job``, ``geoai summary`` and
the option parsing of ``geoai run``, ``geoai potential`` and ``geoai flows``: good and bad
numbers (NaN, infinities, negatives, 5,000 digits, words), misspelt choices and broken
job files. ``run``, ``potential`` and ``flows`` are always given an input that fails (a
broken job file, a points file that does not exist), so every case ends before any heavy
work: either an option is refused or the input is.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from geoai.cli import app
from tests.fuzz._harness import FUZZ

NUMBERS = st.sampled_from(
    ["1", "0", "-1", "2.5", "1e6", "nan", "inf", "-inf", "1" * 5000, "abc", "", "0x10", "1e400"]
)
WORDS = st.sampled_from(
    ["exponential", "exponentail", "power", "gaussian", "box", "tanner", "auto", "fft", "none"]
)
BOUNDS = st.sampled_from(
    ["-180,-60,180,78", "0,0,10,10", "1,2,3", "a,b,c,d", "10,0,0,10", "nan,0,1,1", "0,0,1e999,1"]
)
SCHEDULERS = st.sampled_from(["", "tcp://x", "tcp://127.0.0.1:0", "threads", "ws://h:1", "h:99999"])
JOBS = st.sampled_from(["missing", "device", "folder", "not-toml", "latin1", "bad-key", "bad-crs"])
JOB_TEXT = {
    "not-toml": b"[grid\nresolution = 1\n",
    "latin1": b"[scenario]\nend = 2030 # caf\xe9\n",
    "bad-key": b"[scenario]\nends = 2030\n",
    "bad-crs": b'[grid]\ncrs = "EPSG:3035"\n',
}


def _job_path(kind: str, folder) -> str:
    if kind == "missing":
        return str(folder / "none.toml")
    if kind == "device":
        return "/dev/zero"
    if kind == "folder":
        return str(folder)
    path = folder / f"{kind}.toml"
    path.write_bytes(JOB_TEXT[kind])
    return str(path)


@st.composite
def command_lines(draw: st.DrawFn, folder) -> list[str]:
    command = draw(st.sampled_from(["init-job", "summary", "run", "potential", "flows"]))
    opts: list[str] = []

    def maybe(flag: str, values: st.SearchStrategy[str]) -> None:
        if draw(st.booleans()):
            opts.extend([flag, draw(values)])

    if command == "init-job":
        target = str(folder / draw(st.sampled_from(["a.toml", "b.toml", "sub/c.toml"])))
        args = [target] if draw(st.booleans()) else ["-o", target]
        if draw(st.booleans()):
            args.append("--overwrite")
        return [command, *args]
    if command == "summary":
        maybe("--top", NUMBERS)
        maybe("--min-population", NUMBERS)
        return [command, *opts, *draw(st.sampled_from([[], ["--json"], ["-q"]]))]
    if command == "run":
        maybe("--scheduler", SCHEDULERS)
        if draw(st.booleans()):
            opts.append(draw(st.sampled_from(["--safe", "--trusted"])))
        job = _job_path(draw(JOBS), folder)
        return [command, job, "-o", str(folder / "out"), *opts]
    points = str(folder / "points-that-do-not-exist.csv")
    if command == "potential":
        maybe("--resolution", NUMBERS)
        maybe("--scale-km", NUMBERS)
        maybe("--bounds", BOUNDS)
        maybe("--decay", WORDS)
        maybe("--method", WORDS)
        maybe("--crs", st.sampled_from(["EPSG:4326", "EPSG:3035", "nonsense"]))
        return [command, points, "-o", str(folder / "p.tif"), *opts]
    maybe("--decay", WORDS)
    maybe("--constraint", st.sampled_from(["none", "production", "doubly", "prod"]))
    maybe("--top-k", NUMBERS)
    maybe("--top", NUMBERS)
    maybe("--scale-km", NUMBERS)
    maybe("--beta", NUMBERS)
    return [command, points, "-o", str(folder / "f.gpkg"), *opts]


RUNNER = CliRunner()


@FUZZ
@given(data=st.data())
def test_fuzz_cli(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("cli")
    args = data.draw(command_lines(folder), label="args")
    result = RUNNER.invoke(app, args)
    shown = " ".join(a if len(a) < 40 else a[:37] + "..." for a in args)
    assert result.exit_code in (0, 2), (shown, result.exit_code, repr(result.exception))
    assert result.exception is None or isinstance(result.exception, SystemExit), shown
    assert "Traceback" not in result.output, shown
    if result.exit_code == 2:
        assert result.output.strip(), shown  # a refusal says why
    if args[0] in ("run", "potential", "flows"):
        assert result.exit_code == 2, shown  # their inputs always fail, before any work
