"""The house: rooms import only downward, no circles, no reach into the package root, small rooms.

Read from the source with ``ast`` (nothing is imported), so the test sees
every import, those inside functions and under ``TYPE_CHECKING`` included.
The order of the rooms is docs/architecture.md's layer picture.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "geoai"

#: The rooms, lowest first: a room may import only rooms before it.
ORDER = (
    "kernels",
    "errors",
    "_budget",
    "_typing",
    "_optional",
    "_version",
    "_shipped",
    "_validate",
    "_scheduler",
    "_decay",
    "_geodesy",
    "io",
    "labour",
    "grid",
    "datasets",
    "delineation",
    "flows",
    "potential",
    "stats",
    "viz",
    "network",
    "roles",
    "scenario",
    "pipeline",
    "cli",
)
#: Private modules that may stand at the top of geoai/: they serve every subject.
TOP_PRIVATE = {
    "_budget",
    "_version",
    "_optional",
    "_shipped",
    "_typing",
    "_validate",
    "_scheduler",
    "_decay",
    "_geodesy",
}
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "geoai"


def _imports(path: Path) -> list[tuple[str, str, int]]:
    """``(imported module, imported name or '', line)`` for every geoai import in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            ours = [a.name for a in node.names if a.name.split(".")[0] == "geoai"]
            found += [(name, "", node.lineno) for name in ours]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _ours(node.module):
            found += [(str(node.module), a.name, node.lineno) for a in node.names]
    return found


def _ours(module: str | None) -> bool:
    return bool(module) and str(module).split(".")[0] == "geoai"


def _target(module: str, name: str) -> str:
    sub = f"{module}.{name}" if name else module
    return sub if sub in MODULES else module


def _edges() -> list[tuple[str, str, str]]:
    return [
        (mod, _target(imported, name), f"{path.name}:{line}")
        for mod, path in MODULES.items()
        for imported, name, line in _imports(path)
    ]


def test_every_room_is_in_the_layer_order():
    rooms = {_room(m) for m in MODULES} - {"geoai"}
    assert rooms == set(ORDER), f"rooms not in ORDER: {sorted(rooms ^ set(ORDER))}"


def test_rooms_import_only_downward():
    rank = {room: k for k, room in enumerate(ORDER)}
    upward = [
        f"{a} -> {b} ({where})"
        for a, b, where in _edges()
        if _room(a) != "geoai"
        and _room(a) != _room(b)
        and (_room(b) == "geoai" or rank[_room(b)] >= rank[_room(a)])
    ]
    assert not upward, "imports that do not run downward:\n" + "\n".join(upward)


def test_nothing_imports_the_package_root():
    rooted = [
        f"{a} imports geoai{'.' + name if name else ''} ({path.name}:{line})"
        for a, path in MODULES.items()
        if a != "geoai"
        for imported, name, line in _imports(path)
        if imported == "geoai" and (not name or f"geoai.{name}" not in MODULES)
    ]
    assert not rooted, "\n".join(rooted)


def test_no_import_circle_between_modules():
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for a, b, _ in _edges():
        if a != b and a != "geoai":
            graph[a].add(b)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1:
                return [*stack[stack.index(n) :], n]
            if n not in state and (cycle := visit(n)):
                return cycle
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (cycle := visit(m)):
            pytest.fail("import circle: " + " -> ".join(cycle))


def test_rooms_are_small_and_private_modules_belong_to_a_subject():
    long = {
        m: n
        for m, p in MODULES.items()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) >= MAX_LINES
    }
    assert not long, f"modules of {MAX_LINES}+ lines: {long}"
    top = {p.stem for p in PACKAGE.glob("_*.py") if p.stem != "__init__"}
    assert top <= TOP_PRIVATE, f"private modules at the top of geoai/: {sorted(top - TOP_PRIVATE)}"


def test_the_public_face_is_lazy_and_complete():
    code = (
        "import sys, geoai\n"
        "heavy = {'numpy', 'pandas', 'numba', 'geopandas'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
        "assert sorted(dir(geoai)) == sorted(geoai.__all__)\n"
        "for name in geoai.__all__:\n"
        "    getattr(geoai, name)\n"
        "geoai.io.write_raster\n"
        "assert callable(geoai.classify) and geoai.roles.RoleThresholds\n"
        "assert not [n for n in dir(geoai) if n.startswith('_') and n != '__version__']\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=300
    )
    assert res.returncode == 0, res.stderr
