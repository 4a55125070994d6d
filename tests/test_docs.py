"""The documentation builds offline and strictly, and the API pages cover the public face.

The site is built once per test session with ``mkdocs build --strict`` in a subprocess, with
proxies pointing at a closed port, so anything that tried to reach the network would fail the
build. The API pages are checked against each documented module's ``__all__``, read from the
source with :mod:`ast` (nothing of geoai is imported).
"""

from __future__ import annotations

import ast
import doctest
import importlib.util
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BUILD_TIMEOUT_S = 300

#: API page (``docs/api/<page>.md``) -> the modules it documents.
API_PAGES: dict[str, tuple[str, ...]] = {
    "geoai": ("errors", "datasets", "grid", "delineation", "labour"),
    "flows": ("flows",),
    "potential": ("potential",),
    "stats": ("stats",),
    "roles": ("roles",),
    "network": ("network",),
    "scenario": ("scenario",),
    "io": ("io",),
    "pipeline": ("pipeline",),
    "viz": ("viz",),
}

#: Subpackages kept out of the reference on purpose: pure Numba cores behind the subjects.
UNDOCUMENTED = frozenset({"kernels", "cli"})  # Numba internals; the CLI is documented by --help

#: A few functions every reader looks for, and the page that must show each.
KNOWN = {
    "flows": ["aggregate", "interaction", "calibrate"],
    "potential": ["surface", "dominance"],
    "stats": ["local_moran", "getis_ord", "weights"],
    "scenario": ["simulate", "ScenarioParams"],
    "roles": ["classify", "decline", "backtest"],
    "io": ["write_raster", "write_vector"],
    "pipeline": ["run"],
    "network": ["accessibility"],
    "viz": ["roles_map"],
    "geoai": ["load_metros", "InputError", "Grid", "metros_from_places"],
}


def _module_source(name: str) -> Path:
    """The file that defines ``geoai.<name>``: a module or a package's ``__init__``."""
    module = ROOT / "geoai" / f"{name}.py"
    return module if module.exists() else ROOT / "geoai" / name / "__init__.py"


def _dunder_all(path: Path) -> list[str]:
    """``__all__`` of a module, read statically."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            return list(ast.literal_eval(node.value))
    raise AssertionError(f"{path} has no __all__")


def _anchors(site: Path, page: str) -> set[str]:
    html = (site / "api" / page / "index.html").read_text(encoding="utf-8")
    return set(re.findall(r'id="(geoai[\w.]*)"', html))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    closed = "http://127.0.0.1:9"  # the discard port: nothing listens, so any download fails
    env = {**os.environ, "HTTP_PROXY": closed, "HTTPS_PROXY": closed, "NO_PROXY": ""}
    env.update(http_proxy=closed, https_proxy=closed, no_proxy="")
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", "mkdocs.yml", "-d", str(out)]
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False
    )
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    return out


def _nav_files(nav: list) -> list[str]:
    files: list[str] = []
    for entry in nav:
        for value in entry.values() if isinstance(entry, dict) else [entry]:
            files.extend(_nav_files(value) if isinstance(value, list) else [value])
    return files


def test_every_nav_page_is_built(site: Path) -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    files = _nav_files(config["nav"])
    assert {f"api/{page}.md" for page in API_PAGES} <= set(files)
    for md in files:
        assert (ROOT / "docs" / md).is_file(), md
        built = site / ("index.html" if md == "index.md" else f"{md[:-3]}/index.html")
        assert built.is_file(), f"{md} was not built"


def test_known_functions_are_on_their_pages(site: Path) -> None:
    for page, names in KNOWN.items():
        anchors = _anchors(site, page)
        suffixes = {a.rsplit(".", 1)[-1] for a in anchors}
        missing = [n for n in names if n not in suffixes]
        assert not missing, f"docs/api/{page}.md lacks {missing}"


def test_api_pages_cover_every_public_name(site: Path) -> None:
    for page, modules in API_PAGES.items():
        anchors = _anchors(site, page)
        for module in modules:
            names = _dunder_all(_module_source(module))
            assert names, f"geoai.{module}.__all__ is empty"
            # a function that shares its module's name is documented from that module
            missing = [
                n
                for n in names
                if f"geoai.{module}.{n}" not in anchors and f"geoai.{module}.{n}.{n}" not in anchors
            ]
            assert not missing, f"docs/api/{page}.md does not show geoai.{module}.{missing}"


def test_every_public_subpackage_has_a_page() -> None:
    documented = {m for modules in API_PAGES.values() for m in modules}
    packages = {
        p.parent.name
        for p in (ROOT / "geoai").glob("*/__init__.py")
        if not p.parent.name.startswith("_")
    }
    assert packages - UNDOCUMENTED - documented == set()


def test_site_loads_nothing_from_the_web(site: Path) -> None:
    pages = list(site.rglob("*.html"))
    assert len(pages) > len(API_PAGES)
    for page in pages:
        html = page.read_text(encoding="utf-8")
        remote = re.findall(r'<(?:script|link|img)\b[^>]*(?:src|href)="(?:https?:)?//[^"]+"', html)
        assert not remote, f"{page.relative_to(site)} loads {remote[:3]}"


#: A Sphinx role as Python-Markdown would render it if the docs/_hooks.py hook did not run.
_RENDERED_ROLE = re.compile(r":(?:func|class|mod|data|meth|attr):(?:<code>|`)")


def test_no_sphinx_role_shows_in_the_api_pages(site: Path) -> None:
    written = sum(
        len(re.findall(r":(?:func|class|mod|data|meth|attr):`", path.read_text(encoding="utf-8")))
        for path in (ROOT / "geoai").rglob("*.py")
    )
    assert written > 0, "no docstring uses a Sphinx role: the hook test below checks nothing"
    for page in API_PAGES:
        html = (site / "api" / page / "index.html").read_text(encoding="utf-8")
        left = _RENDERED_ROLE.findall(html)
        assert not left, f"docs/api/{page}.md still shows {len(left)} Sphinx roles"


def test_roles_to_documented_objects_become_links(site: Path) -> None:
    # geoai/roles/__init__.py's docstring names :func:`decline` and :func:`backtest`, documented
    # on the same page; geoai.load_metro_panel is a root re-export documented on another page
    html = (site / "api" / "roles" / "index.html").read_text(encoding="utf-8")
    link = r'<a class="autorefs[^"]*"[^>]*href="([^"]+)"[^>]*><code>([^<]+)</code></a>'
    targets = {title: href for href, title in re.findall(link, html)}
    assert targets.get("decline") == "#geoai.roles.decline"
    assert targets.get("geoai.load_metro_panel") == "../geoai/#geoai.datasets.load_metro_panel"


def test_the_hook_examples_pass() -> None:
    spec = importlib.util.spec_from_file_location("_docs_hooks", ROOT / "docs" / "_hooks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = doctest.testmod(module)
    assert result.attempted >= 5
    assert result.failed == 0


# ------------------------------------------------------------ project metadata
def _version() -> str:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    source = ROOT / pyproject["tool"]["hatch"]["version"]["path"]
    match = re.search(r'^__version__ = "([^"]+)"', source.read_text(encoding="utf-8"), re.MULTILINE)
    assert match, f"no __version__ in {source}"
    return match.group(1)


def test_citation_matches_the_package() -> None:
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    assert cff["title"] == pyproject["project"]["name"]
    assert cff["version"] == _version()
    assert cff["license"] == pyproject["project"]["license"]["text"] == "MIT"
    titles = " | ".join(ref["title"] for ref in cff["references"])
    for source in ("World Urbanization Prospects", "OEWS", "GPTs are GPTs", "AI Index"):
        assert source in titles
    assert all(ref.get("authors") and ref.get("type") for ref in cff["references"])


def test_license_and_changelog() -> None:
    license_text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert license_text.startswith("MIT License")
    assert "the geoai developers" in license_text
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## \[([^\]]+)\]", changelog, re.MULTILINE)
    assert headings[0] == "Unreleased"
    # the released version is either the current one or the one just before "Unreleased"
    assert _version() in headings


def test_pre_commit_hooks() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {hook["id"] for repo in config["repos"] for hook in repo["hooks"]}
    assert {"ruff-check", "ruff-format", "mypy", "nbstripout"} <= hooks
    for repo in config["repos"]:
        if repo["repo"] != "local":
            assert re.fullmatch(r"v?\d+\.\d+\.\d+", repo["rev"]), repo
