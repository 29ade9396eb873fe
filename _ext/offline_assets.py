"""Sphinx extension: the built site loads every asset from its own origin.

Readers meet the book as a static site, sometimes offline (a classroom, a plane, a firewall).
Jupyter Book's defaults would fetch MathJax from jsDelivr, ipywidgets' require.js and HTML
manager from cdnjs/unpkg, and configure Thebe to load from unpkg. This extension:

* copies the MathJax 3 files the book needs (the ``tex-mml-chtml`` component, its CHTML fonts,
  the TeX extensions it may autoload, the menu and accessibility components, and SRE's English
  speech rules) from the ``django-static-mathjax`` package into ``_static/mathjax`` of the build,
  and checks that ``mathjax_path`` points there (set in ``_config.yml``);
* switches off ``sphinx_thebe``, which Jupyter Book always loads (its scripts and Binder
  configuration would be dead weight pointing at unpkg; the launch buttons that
  ``_ext/publishing.py`` adds on a deployed build are plain links to Colab and Binder);
* checks that MyST-NB's ``nb_ipywidgets_js`` is empty (no require.js from a CDN);
* warns, and so fails the ``-W`` build, when any page still asks for an off-site script,
  stylesheet, image, frame or font;
* styles the static explorers of :mod:`nag_lib.widgets` (``static/nag-explorer.css``) and the
  code cells, so that 88 columns fit the page (``static/nag-book.css``);
* typesets ``$...$`` in bibliography entries (a BibTeX title such as Nesterov's "convergence
  rate $O(1/k^2)$" would otherwise show raw TeX), loading MathJax on that page.

MathJax itself is not committed: it is installed from PyPI (``pyproject.toml``, ``[book]``
extra) and copied at build time, with its Apache-2.0 licence.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: ``mathjax_path`` for the local copy, relative to the build's ``_static`` folder.
LOCAL_MATHJAX_PATH = "mathjax/tex-mml-chtml.js"

#: What the site needs from MathJax's ``es5`` folder (about 4 MB of its 24 MB).
MATHJAX_FILES = (
    "tex-mml-chtml.js",  # TeX and MathML input, CommonHTML output, menu, assistive MathML
    "output/chtml",  # the CHTML fonts (woff2), loaded relative to the component
    "input/tex/extensions",  # autoloaded TeX packages (\cancel, \color, \boldsymbol, ...)
    "input/mml/extensions",
    "ui",  # context menu, lazy typesetting
    "a11y",  # explorer, semantic enrichment, complexity (loaded from the menu)
    "sre/mathmaps/base.json",  # speech rules for the accessibility explorer: English only
    "sre/mathmaps/en.json",
)

_OFF_SITE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//")
# Tags whose src/href/srcset/data makes the browser fetch something as the page loads.
_FETCHING_TAG = re.compile(
    r"<(script|img|link|iframe|source|video|audio|embed|object|track|image|use)\b[^>]*>",
    re.IGNORECASE,
)
_URL_ATTR = re.compile(r"""\s(?:src|href|srcset|data|poster)\s*=\s*["']?([^"'\s>]+)""", re.I)
_CSS_URL = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])((?:[a-zA-Z][\w+.-]*:)?//[^"')\s]+)""")


def mathjax_source() -> Path:
    """The ``es5`` folder of the MathJax 3 copy installed by ``django-static-mathjax``."""
    try:
        import mathjax  # type: ignore[import-not-found]  # django-static-mathjax
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ExtensionError(
            "offline_assets: MathJax is not installed; run "
            "`pip install 'django-static-mathjax>=3.2.2,<4'` (it is in the [book] extra)"
        ) from exc
    es5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    if not (es5 / "tex-mml-chtml.js").is_file():  # pragma: no cover
        raise ExtensionError(f"offline_assets: no MathJax 3 component in {es5}")
    return es5


def stage_mathjax(dest: Path, source: Path | None = None) -> Path:
    """Copy :data:`MATHJAX_FILES` (and MathJax's licence) from ``source`` into ``dest``.

    The copy is skipped when ``dest`` already holds the same selection of the same version.
    Returns ``dest``.
    """
    src = source if source is not None else mathjax_source()
    stamp = dest / ".staged"
    want = "\n".join([_mathjax_version(src), *MATHJAX_FILES])
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == want:
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    for rel in MATHJAX_FILES:
        item = src / rel
        if item.is_dir():
            shutil.copytree(item, dest / rel)
        elif item.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(item, dest / rel)
        else:
            raise ExtensionError(f"offline_assets: MathJax file {rel!r} not found in {src}")
    licence = src.parent / "LICENSE"
    if licence.is_file():
        shutil.copy2(licence, dest / "LICENSE")
    stamp.write_text(want, encoding="utf-8")
    return dest


def _mathjax_version(es5: Path) -> str:
    package = es5.parent / "package.json"
    if package.is_file():
        match = re.search(r'"version"\s*:\s*"([^"]+)"', package.read_text(encoding="utf-8"))
        if match:
            return match.group(1)
    return "unknown"  # pragma: no cover


def off_site_urls(html_text: str) -> list[str]:
    """The URLs in ``html_text`` that a browser would fetch from another origin on page load.

    Links (``<a href>``) are not fetched and are ignored; ``<link rel="canonical|next|...">``
    that only names a page is ignored too. Example::

        >>> off_site_urls('<script src="https://cdn.example/x.js"></script><a href="https://doi.org/1">')
        ['https://cdn.example/x.js']
    """
    found = []
    for match in _FETCHING_TAG.finditer(html_text):
        tag, name = match.group(0), match.group(1).lower()
        if name == "link" and not re.search(
            r"""rel\s*=\s*["']?[^"'>]*\b(stylesheet|preload|icon|modulepreload|prefetch|manifest)""",
            tag,
            re.I,
        ):
            continue
        for url in _URL_ATTR.findall(tag):
            for part in url.split(","):
                candidate = part.strip().split(" ")[0]
                if _OFF_SITE.match(candidate):
                    found.append(candidate)
    found += _CSS_URL.findall(html_text)
    return found


def _on_config_inited(app: Sphinx, config: Config) -> None:
    path = str(config.mathjax_path or "")
    if _OFF_SITE.match(path):
        logger.warning(
            "offline_assets: mathjax_path is %r, an off-site URL; set it to %r",
            path,
            LOCAL_MATHJAX_PATH,
        )
    if getattr(config, "nb_ipywidgets_js", None):
        logger.warning(
            "offline_assets: nb_ipywidgets_js loads %s from a CDN; set it to {} "
            "(the static explorers need no widget manager)",
            ", ".join(config.nb_ipywidgets_js),
        )
    launch = (config.html_theme_options or {}).get("launch_buttons", {}) or {}
    if not launch.get("thebe"):
        _switch_off_thebe(app)


def _switch_off_thebe(app: Sphinx) -> None:
    """Disconnect sphinx_thebe (always loaded by Jupyter Book) and drop its stylesheet."""
    for listeners in app.events.listeners.values():
        listeners[:] = [
            lis for lis in listeners if getattr(lis.handler, "__module__", "") != "sphinx_thebe"
        ]
    app.registry.css_files = [
        (name, attrs) for name, attrs in app.registry.css_files if name != "sphinx-thebe.css"
    ]


#: The extension's own static files (the explorers' stylesheet).
STATIC_DIR = Path(__file__).parent / "static"


def _on_builder_inited(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    staged = Path(app.doctreedir).parent / "offline-static"
    stage_mathjax(staged / "mathjax")
    app.config.html_static_path.extend([str(staged), str(STATIC_DIR)])
    app.add_css_file("nag-explorer.css")
    app.add_css_file("nag-book.css")
    # The live explorers (plain JavaScript, from this site): each script finds its own
    # ``div.nag-live[data-explorer=...]`` elements and does nothing on other pages.
    app.add_css_file("nag-live.css")
    app.add_js_file("nag-live-momentum.js", defer="defer")
    app.add_js_file("nag-live-adam.js", defer="defer")


def _on_page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    assets = [str(getattr(js, "filename", js) or "") for js in context.get("script_files", [])]
    assets += [str(getattr(css, "filename", css) or "") for css in context.get("css_files", [])]
    urls = [a for a in assets if _OFF_SITE.match(a)]
    urls += off_site_urls(str(context.get("body", "")))
    for url in sorted(set(urls)):
        logger.warning(
            "offline_assets: page %r would load %s from another origin; serve it locally "
            "or switch it off",
            pagename,
            url,
            location=pagename,
        )


_DOLLAR_MATH = re.compile(r"(?<!\\)\$([^$\n]+?)(?<!\\)\$")


def _typeset_citation_math(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Turn ``$...$`` in bibliography entries into math nodes (MathJax typesets them)."""
    found = False
    for citation in list(doctree.findall(nodes.citation)):
        for text in list(citation.findall(nodes.Text)):
            parent = text.parent
            raw = str(text)
            if parent is None or isinstance(parent, (nodes.literal, nodes.math, nodes.raw)):
                continue
            if not _DOLLAR_MATH.search(raw):
                continue
            pieces: list[nodes.Node] = []
            pos = 0
            for match in _DOLLAR_MATH.finditer(raw):
                if match.start() > pos:
                    pieces.append(nodes.Text(raw[pos : match.start()]))
                pieces.append(nodes.math(match.group(0), match.group(1)))
                pos = match.end()
            if pos < len(raw):
                pieces.append(nodes.Text(raw[pos:]))
            parent.replace(text, pieces)
            found = True
    if found:
        app.env.get_domain("math").data["has_equations"][docname] = True


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", _on_config_inited, priority=900)
    app.connect("doctree-resolved", _typeset_citation_math)
    app.connect("builder-inited", _on_builder_inited)
    app.connect("html-page-context", _on_page_context, priority=990)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
