"""The site is self-contained: ``_ext/offline_assets.py`` serves MathJax from the build, and no
page or stylesheet of the built site asks another origin for a script, style, image or font.

The first tests check the extension's pieces; the last ones read the built site (``make book``
first, or ``NAG_BOOK_SITE=/path/to/_build/html``; a missing build fails). The browser sweep
(``tests/test_site_browser.py``) checks the same promise on the wire.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
import yaml
from docutils import nodes
from docutils.frontend import get_default_settings
from docutils.parsers.rst import Parser
from docutils.utils import new_document

from tests.site_check import ROOT, html_pages


def _load_extension() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "offline_assets", ROOT / "_ext" / "offline_assets.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("offline_assets", module)
    spec.loader.exec_module(module)
    return module


ext = _load_extension()


def test_off_site_urls_finds_fetched_assets_but_not_links() -> None:
    page = """
    <script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>
    <link rel="stylesheet" href="//fonts.googleapis.com/css?family=Lato">
    <img src="http://example.org/a.png" alt="x"><img src="_images/b.png" alt="y">
    <style>@import "https://fonts.example/x.css";
    .a { background: url(https://x.example/i.svg) }</style>
    <a href="https://doi.org/10.1000/1">a paper</a><link rel="canonical" href="https://book.example/">
    <script src="_static/mathjax/tex-mml-chtml.js?v=1"></script><img src="data:image/png;base64,AA">
    """
    assert ext.off_site_urls(page) == [
        "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js",
        "//fonts.googleapis.com/css?family=Lato",
        "http://example.org/a.png",
        "https://fonts.example/x.css",
        "https://x.example/i.svg",
    ]


def test_stage_mathjax_copies_the_component_its_fonts_and_licence_once(tmp_path: Path) -> None:
    dest = ext.stage_mathjax(tmp_path / "mathjax")
    assert (dest / "tex-mml-chtml.js").stat().st_size > 500_000
    fonts = sorted(p.name for p in (dest / "output/chtml/fonts/woff-v2").glob("*.woff"))
    assert "MathJax_Main-Regular.woff" in fonts and len(fonts) > 20
    assert (dest / "input/tex/extensions/cancel.js").is_file()
    assert (dest / "sre/mathmaps/en.json").is_file() and (dest / "LICENSE").is_file()
    assert not (dest / "tex-svg.js").exists(), "only the files the site needs are copied"
    size = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file())
    assert size < 6_000_000, f"staged MathJax is {size / 1e6:.1f} MB"
    marker = dest / "tex-mml-chtml.js"
    mtime = marker.stat().st_mtime_ns
    ext.stage_mathjax(dest)
    assert marker.stat().st_mtime_ns == mtime, "an up-to-date copy is not copied again"


def test_stage_mathjax_names_a_missing_file(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    with pytest.raises(Exception, match=r"MathJax file 'tex-mml-chtml\.js' not found"):
        ext.stage_mathjax(tmp_path / "out", source=tmp_path / "src")


def test_dollar_math_in_a_bibliography_entry_becomes_a_math_node() -> None:
    doc = new_document("bib", get_default_settings(Parser))
    entry = nodes.citation("", nodes.paragraph("", "A method with rate $O(1/k^2)$, costing $5."))
    doc += entry
    seen = {}
    app = SimpleNamespace(
        env=SimpleNamespace(get_domain=lambda name: SimpleNamespace(data={"has_equations": seen}))
    )
    ext._typeset_citation_math(app, doc, "chapters/bibliography")
    maths = list(doc.findall(nodes.math))
    assert [m.astext() for m in maths] == ["O(1/k^2)"]
    assert entry.astext() == "A method with rate O(1/k^2), costing $5."
    assert seen == {"chapters/bibliography": True}, "the page must load MathJax"


def test_the_book_config_points_mathjax_and_widgets_at_local_files() -> None:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    sphinx = config["sphinx"]
    assert sphinx["local_extensions"]["offline_assets"] == "_ext"
    assert sphinx["config"]["mathjax_path"] == ext.LOCAL_MATHJAX_PATH
    assert sphinx["config"]["nb_ipywidgets_js"] == {}
    assert config["launch_buttons"]["thebe"] is False


@pytest.mark.browser
def test_no_page_or_stylesheet_fetches_from_another_origin(built_site: Path) -> None:
    bad = [
        f"{path}: {url}"
        for path in html_pages(built_site)
        for url in ext.off_site_urls((built_site / path).read_text(encoding="utf-8"))
    ]
    for css in sorted((built_site / "_static").rglob("*.css")):
        text = re.sub(
            r"/\*.*?\*/", "", css.read_text(encoding="utf-8", errors="replace"), flags=re.S
        )
        bad += [f"{css.relative_to(built_site)}: {url}" for url in ext.off_site_urls(text)]
    assert not bad, "\n".join(bad)


@pytest.mark.browser
def test_mathjax_and_its_fonts_are_served_from_the_build(built_site: Path) -> None:
    mathjax = built_site / "_static" / "mathjax"
    assert (mathjax / "tex-mml-chtml.js").is_file()
    assert (mathjax / "output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff").is_file()
    assert not list(mathjax.rglob(".staged")), "the staging stamp must not be published"
    intro = (built_site / "intro.html").read_text(encoding="utf-8")
    assert re.search(r'<script defer="defer" src="_static/mathjax/tex-mml-chtml\.js\?v=', intro)
    for name in ("thebe", "unpkg.com", "require.min.js", "cdn.jsdelivr"):
        assert name not in intro, f"intro.html still mentions {name}"
