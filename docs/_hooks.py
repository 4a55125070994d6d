"""MkDocs hook: Sphinx roles in the docstrings become cross-references or inline code.

The docstrings are written for numpydoc and use Sphinx roles (``:func:`surface```,
``:class:`~geoai.errors.InputError```, ``:mod:`geoai.io.qgis```). Python-Markdown knows no roles:
it renders the backticks as code and leaves the role name in the text, so a page would read
``:func:surface``. This hook rewrites every role in the built HTML, once all pages exist and
before mkdocs-autorefs resolves cross-references (its ``on_env`` runs at priority -50):

* a target that names an object shown in the API reference becomes an autorefs
  cross-reference, which autorefs turns into a link (a wrong target fails the strict build);
* any other target (a private module, the undocumented ``geoai.kernels``, ``scipy.fft``)
  becomes plain inline code.

A short target (``surface``, ``Simulation.summary``) is looked up as Python would from the object
whose docstring holds it: in that object, then its class, module and packages. A function that
shares its module's name (``geoai.scenario.sweep.sweep``) answers to the module's name too. A
target found nowhere on that path (a re-export such as ``geoai.classify``, an imported name such
as ``InputError``) falls back to the one documented object with the same trailing name, if there
is exactly one. A leading ``~`` shows only the last component, as in Sphinx.
"""

from __future__ import annotations

import bisect
import re
from html import escape
from typing import TYPE_CHECKING

from mkdocs.plugins import event_priority

if TYPE_CHECKING:
    from jinja2 import Environment
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files

__all__ = ["ROLES", "on_env", "resolve", "rewrite_roles"]

#: The Sphinx roles the docstrings use.
ROLES = ("func", "class", "mod", "data", "meth", "attr")

#: A role as Python-Markdown renders it: the role name, then the target as inline code.
_ROLE = re.compile(rf":(?:{'|'.join(ROLES)}):<code>(?P<target>[^<]+)</code>")

#: The heading that mkdocstrings writes for every documented object.
_HEADING = re.compile(r'<h\d\b[^>]*\bid="(?P<id>geoai(?:\.\w+)*)"[^>]*class="doc doc-heading')


def _headings(html: str) -> tuple[list[int], list[str]]:
    """Positions and identifiers of the object headings of one page, in page order."""
    found = [(m.start(), m["id"]) for m in _HEADING.finditer(html)]
    return [pos for pos, _ in found], [ident for _, ident in found]


def resolve(target: str, context: str | None, documented: set[str]) -> str | None:
    """Find the documented object a role target names.

    Parameters
    ----------
    target : str
        The role's target without ``~``, e.g. ``"surface"`` or ``"geoai.io.write_raster"``.
    context : str or None
        Dotted path of the object whose docstring holds the role (``None`` outside any object).
    documented : set of str
        Dotted paths of every object with a heading in the built API reference.

    Returns
    -------
    str or None
        The dotted path to link to, or ``None`` when no documented object matches.

    Examples
    --------
    >>> shown = {"geoai.potential", "geoai.potential.surface", "geoai.roles.classify"}
    >>> resolve("surface", "geoai.potential.dominance", shown)
    'geoai.potential.surface'
    >>> resolve("geoai.classify", None, shown)
    'geoai.roles.classify'
    >>> resolve("sweep", "geoai.scenario", {"geoai.scenario.sweep.sweep"})
    'geoai.scenario.sweep.sweep'
    >>> resolve("geoai.kernels.decay", None, shown) is None
    True
    """
    target = target.lstrip(".")
    scopes = context.split(".") if context else []
    # innermost scope first, as Python looks names up; the bare target last
    candidates = [".".join([*scopes[:depth], target]) for depth in range(len(scopes), -1, -1)]
    for candidate in candidates:
        if candidate in documented:
            return candidate
        same_name = f"{candidate}.{candidate.rsplit('.', 1)[-1]}"  # module sweep, function sweep
        if same_name in documented:
            return same_name
    tail = "." + target.removeprefix("geoai.")
    matches = [path for path in documented if path.endswith(tail)]
    return matches[0] if len(matches) == 1 else None


def rewrite_roles(html: str, documented: set[str]) -> str:
    """Replace every Sphinx role in one page's HTML.

    Parameters
    ----------
    html : str
        The page body as Python-Markdown and mkdocstrings rendered it.
    documented : set of str
        Dotted paths of every object with a heading in the built API reference.

    Returns
    -------
    str
        The page body with each role replaced by an ``<autoref>`` element (resolved into a link
        by mkdocs-autorefs) or by plain ``<code>``.

    Examples
    --------
    >>> heading = '<h2 id="geoai.flows" class="doc doc-heading">flows</h2>'
    >>> page = heading + " see :func:<code>aggregate</code>"
    >>> print(rewrite_roles(page, {"geoai.flows", "geoai.flows.aggregate"}).split("see ")[1])
    <autoref identifier="geoai.flows.aggregate"><code>aggregate</code></autoref>
    >>> rewrite_roles(":mod:<code>~scipy.fft</code>", set())
    '<code>fft</code>'
    """
    positions, identifiers = _headings(html)

    def replace(match: re.Match[str]) -> str:
        written = match["target"]
        target = written.removeprefix("~")
        title = target.rsplit(".", 1)[-1] if written.startswith("~") else target
        before = bisect.bisect_right(positions, match.start()) - 1
        context = identifiers[before] if before >= 0 else None
        path = resolve(target, context, documented)
        if path is None:
            return f"<code>{title}</code>"
        return f'<autoref identifier="{escape(path)}"><code>{title}</code></autoref>'

    return _ROLE.sub(replace, html)


@event_priority(50)  # before mkdocs-autorefs (-50) turns the <autoref> elements into links
def on_env(
    env: Environment,
    config: MkDocsConfig,  # noqa: ARG001 - MkDocs passes every hook argument by name
    files: Files,
) -> Environment:
    """Rewrite the Sphinx roles of every built page (the MkDocs ``on_env`` event).

    Parameters
    ----------
    env : jinja2.Environment
        The template environment, returned unchanged.
    config : mkdocs.config.defaults.MkDocsConfig
        The site configuration (unused).
    files : mkdocs.structure.files.Files
        The site's files; each page's rendered ``content`` is rewritten in place.

    Returns
    -------
    jinja2.Environment
        ``env``, unchanged.
    """
    pages = [file.page for file in files if file.page is not None and file.page.content]
    documented = {ident for page in pages for ident in _headings(page.content or "")[1]}
    for page in pages:
        page.content = rewrite_roles(page.content or "", documented)
    return env
