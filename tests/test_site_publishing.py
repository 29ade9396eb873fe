"""Search engines, link previews and launch buttons (``_ext/publishing.py``).

The first tests check the extension's pieces, then build a one-chapter book with Sphinx as the
deploy workflow builds the site, with both addresses given: a sitemap of absolute URLs, absolute
Open Graph URLs, the chapter described by its short answer, Colab and Binder buttons that open the
chapter from the repository. The last test reads the real build (``make book``: no addresses),
which must describe every page and hold no sitemap, ``og:url`` or launch link.
"""

from __future__ import annotations

import html
import importlib.util
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest
from docutils import nodes

from tests.site_check import ROOT, html_pages


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("publishing", ROOT / "_ext" / "publishing.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


publishing = _load()


def test_an_address_comes_from_the_config_first_then_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NAG_BOOK_BASEURL", "https://env.example/book/")
    assert (
        publishing.address("https://conf.example/", "NAG_BOOK_BASEURL") == "https://conf.example/"
    )
    assert publishing.address("", "NAG_BOOK_BASEURL") == "https://env.example/book/"
    monkeypatch.delenv("NAG_BOOK_BASEURL")
    assert publishing.address(None, "NAG_BOOK_BASEURL") == ""
    for bad in ("example.org/book", "ftp://example.org", "https://exa mple.org"):
        with pytest.raises(ValueError, match="NAG_BOOK_BASEURL"):
            publishing.address(bad, "NAG_BOOK_BASEURL")


def test_formulas_in_a_description_become_text() -> None:
    assert publishing.tex_to_text(r"\sqrt\kappa") == "√κ"
    assert publishing.tex_to_text(r"\operatorname{diag}(\varphi')\,W") == "diag(φ') W"
    assert publishing.tex_to_text(r"O(1/k^{2})") == "O(1/k^2)"


def _box(title: str, *paragraphs: nodes.Node) -> nodes.admonition:
    return nodes.admonition("", nodes.title(text=title), *paragraphs)


def test_the_short_answer_box_is_the_description_and_only_that_box() -> None:
    formula = nodes.math(text=r"\sqrt\kappa")
    answer = nodes.paragraph("", "", nodes.Text("NAG needs "), formula, nodes.Text(" steps."))
    page = nodes.section(
        "", _box("Note", nodes.paragraph(text="Not this.")), _box("The short answer", answer)
    )
    assert publishing.short_answer(page) == "NAG needs √κ steps."
    assert publishing.short_answer(nodes.section("", _box("Note", nodes.paragraph(text="x")))) == ""
    long = nodes.paragraph(text="word " * 100)
    assert len(publishing.short_answer(_box("The short answer", long))) <= 200


CHAPTER = {
    "cells": [
        {
            "cell_type": "markdown",
            "metadata": {},
            "source": "# A chapter\n\n```{admonition} The short answer\nMomentum needs"
            " $\\sqrt\\kappa$ steps.\n```\n\nIn this chapter you will learn to:\n\n- read.\n",
        },
        {
            "cell_type": "code",
            "metadata": {},
            "source": "1 + 1",
            "outputs": [],
            "execution_count": 1,
        },
    ],
    "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}

CONF = f"""
import sys
sys.path.insert(0, {str(ROOT / "_ext")!r})
project = "Tiny book"
html_title = "Tiny book"
extensions = ["myst_nb", "publishing"]
myst_enable_extensions = ["dollarmath"]
nb_execution_mode = "off"
html_theme = "sphinx_book_theme"
html_theme_options = {{"launch_buttons": {{"notebook_interface": "jupyterlab"}},
                      "repository_branch": "main", "path_to_docs": "book"}}
"""


@pytest.mark.slow
def test_a_deployed_build_has_a_sitemap_absolute_urls_and_launch_buttons(tmp_path: Path) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "conf.py").write_text(CONF)
    (src / "index.md").write_text("# Tiny book\n\nA page.\n\n```{toctree}\nchapter\n```\n")
    (src / "chapter.ipynb").write_text(json.dumps(CHAPTER))
    env = {
        **os.environ,
        "NAG_BOOK_BASEURL": "https://books.example/tiny",
        "NAG_BOOK_REPOSITORY_URL": "https://github.com/someone/tiny-book",
    }
    cmd = [sys.executable, "-m", "sphinx", "-q", "-W", "-b", "html", str(src), str(out)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    urls = {
        loc.text
        for loc in ET.parse(out / "sitemap.xml")
        .getroot()
        .iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
    }
    assert urls == {
        "https://books.example/tiny/index.html",
        "https://books.example/tiny/chapter.html",
    }
    page = (out / "chapter.html").read_text(encoding="utf-8")
    assert '<meta property="og:url" content="https://books.example/tiny/chapter.html"' in page
    said = re.search(r'<meta name="description" content="([^"]*)"', page)
    assert said and html.unescape(said.group(1)) == "Momentum needs √κ steps."
    assert '<link rel="canonical" href="https://books.example/tiny/chapter.html"' in page
    colab = (
        "https://colab.research.google.com/github/someone/tiny-book/blob/main/book/chapter.ipynb"
    )
    assert colab in page
    assert (
        "https://mybinder.org/v2/gh/someone/tiny-book/main?urlpath=lab/tree/book/chapter.ipynb"
        in page
    )


@pytest.mark.browser
def test_the_built_site_describes_every_page_and_names_no_address(built_site: Path) -> None:
    assert not (built_site / "sitemap.xml").exists()  # make book has no address to give it
    undescribed, addressed = [], []
    for rel in html_pages(built_site):
        path = built_site / rel
        page = path.read_text(encoding="utf-8")
        if path.name in publishing.NOT_INDEXED:
            continue  # generated indexes: nothing to describe
        if path.name == "index.html" and 'http-equiv="Refresh"' in page:
            continue  # the root's redirect to the landing page
        if not re.search(r'<meta name="description" content="[^"]{40,}"', page):
            undescribed.append(rel)
        if 'property="og:url"' in page or "colab.research.google.com" in page:
            addressed.append(rel)
    assert not undescribed and not addressed, (undescribed, addressed)
    chapter = (built_site / "chapters" / "04-rates.html").read_text(encoding="utf-8")
    said = re.search(r'<meta name="description" content="([^"]*)"', chapter)
    assert said and html.unescape(said.group(1)).startswith("On smooth strongly convex problems")
