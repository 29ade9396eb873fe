"""Sphinx extension: what a published site needs that a local build does not.

Two addresses drive it, each set once in ``_config.yml`` (``html.baseurl``, the site's address,
and ``repository.url``, the repository's), or, while they are empty there, taken from the
environment: ``NAG_BOOK_BASEURL`` and ``NAG_BOOK_REPOSITORY_URL``, which the deploy workflow
(``.github/workflows/book.yml``) sets from GitHub's own record of the Pages address and the
repository. A local build has neither, and stays a site with no outside links of this kind.

* **Page descriptions for search engines and link previews** (always): ``sphinxext-opengraph``
  writes the Open Graph title, type, site name and description of every page, and this
  extension the same description as ``<meta name="description">``. A chapter is described by
  its "The short answer" box (what the chapter settles, written for exactly this); other pages
  by their first paragraph, as ``sphinxext-opengraph`` finds it. No social-card images are drawn
  (matplotlib would draw one a page; the text is what previews need).
* **With the site's address:** ``html_baseurl`` (canonical links), absolute ``og:url``, and
  ``sitemap.xml`` listing every page (``sphinx-sitemap``). Without it, no sitemap (its URLs must
  be absolute) and no ``og:url`` (a relative one is invalid Open Graph).
* **With the repository's address:** the theme's launch buttons, Colab and Binder, on every
  chapter (``repository.branch``, default ``main``, names the branch they open).

Both extensions are well kept, pure Python and need nothing from the network at build time.
"""

from __future__ import annotations

import html
import os
import re
import textwrap
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config

#: The title of the box that opens every chapter with its conclusions.
SUMMARY = "The short answer"

#: Generated pages that search engines should not list: the search page and the indexes.
NOT_INDEXED = ("search.html", "genindex.html", "py-modindex.html", "prf-prf.html")

#: Where the launch buttons open a chapter, once the repository's address is known.
LAUNCH = {"colab_url": "https://colab.research.google.com", "binderhub_url": "https://mybinder.org"}


def address(configured: object, variable: str) -> str:
    """The address set in ``_config.yml`` or, when that is empty, in ``variable``; '' if none.

    It must be an http(s) URL. (The site's address is given a trailing slash where it is used:
    sitemap and Open Graph URLs are the address followed by the page's path.)
    """
    url = str(configured or "").strip() or os.environ.get(variable, "").strip()
    if url and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", url):
        raise ValueError(f"{variable} (or its _config.yml key) must be an http(s) URL, got {url!r}")
    return url


def _raw(app: Sphinx, name: str) -> Any:
    return app.config._raw_config.get(name)  # read before the values are set


def setup(app: Sphinx) -> dict[str, Any]:
    site = address(_raw(app, "html_baseurl"), "NAG_BOOK_BASEURL")
    if site:
        app.setup_extension("sphinx_sitemap")  # only with an address: it warns without one
    app.setup_extension("sphinxext.opengraph")
    app.connect("config-inited", lambda app, config: _configure(config, site), priority=400)
    app.connect("html-page-context", describe, priority=450)  # before opengraph's (500)
    app.connect("html-page-context", finish_tags, priority=600)  # after it
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def _configure(config: Config, site: str) -> None:
    if site:
        config.html_baseurl = site.rstrip("/") + "/"
        config.sitemap_url_scheme = "{link}"  # no language or version folder in the path
        config.sitemap_excludes = list(NOT_INDEXED)
    config.ogp_site_url = config.html_baseurl if site else ""
    config.ogp_social_cards = {"enable": False}
    config.ogp_site_name = config.html_title or config.project
    config.ogp_enable_meta_description = False  # finish_tags writes it, from og:description
    options = dict(config.html_theme_options)
    repo = address(options.get("repository_url"), "NAG_BOOK_REPOSITORY_URL")
    if repo:
        options["repository_url"] = repo.rstrip("/")
        options["launch_buttons"] = {**options.get("launch_buttons", {}), **LAUNCH}
    config.html_theme_options = options


#: TeX commands that the chapters' short answers use, as the characters a preview can show.
TEX = {
    "alpha": "α", "beta": "β", "kappa": "κ", "lambda": "λ", "mu": "μ", "rho": "ρ",
    "varphi": "φ", "theta": "θ", "nabla": "∇", "sqrt": "√", "times": "×", "cdot": "·",
    "approx": "≈", "le": "≤", "ge": "≥", "ll": "≪", "to": "→", "infty": "∞",
}  # fmt: skip


def tex_to_text(tex: str) -> str:
    """A short TeX formula as plain text: ``\\sqrt\\kappa`` becomes ``√κ``; commands not in
    :data:`TEX` lose their backslash, and braces and spacing commands go."""
    text = re.sub(r"\\(?:operatorname|mathrm|mathbf|mathcal|text)\{([^}]*)\}", r"\1", tex)
    text = re.sub(r"\\([A-Za-z]+)", lambda m: TEX.get(m.group(1), m.group(1)), text)
    text = re.sub(r"\\[,;:! ]", " ", text)
    return " ".join(text.replace("{", "").replace("}", "").split())


def _plain(paragraph: nodes.Element) -> str:
    """A paragraph's text, with its formulas as plain text."""
    parts = []
    for node in paragraph.findall(lambda n: isinstance(n, (nodes.math, nodes.Text))):
        if isinstance(node, nodes.math):
            parts.append(tex_to_text(node.astext()))
        elif not isinstance(node.parent, nodes.math):
            parts.append(str(node))
    return "".join(parts)


def short_answer(doctree: nodes.Node) -> str:
    """The text of the page's "The short answer" box, on one line; '' if it has none."""
    for box in doctree.findall(nodes.admonition):
        title = box.next_node(nodes.title)
        if title is not None and title.astext().strip() == SUMMARY:
            text = " ".join(_plain(p) for p in box.findall(nodes.paragraph))
            return textwrap.shorten(" ".join(text.split()), width=200, placeholder=" ...")
    return ""


def describe(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """A chapter's description is its short answer (sphinxext-opengraph's ``og:description``
    field, which overrides the first paragraph it would take: a list of learning objectives)."""
    text = short_answer(doctree) if doctree is not None else ""
    if text:
        context["meta"] = {**(context.get("meta") or {}), "og:description": text}


def finish_tags(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """``<meta name="description">`` from the page's ``og:description``; without the site's
    address, no ``og:url`` (sphinxext-opengraph would write a relative one)."""
    tags = context.get("metatags", "")
    if not app.config.ogp_site_url:
        tags = re.sub(r'\s*<meta property="og:url"[^>]*>', "", tags)
    found = re.search(r'<meta property="og:description" content="([^"]*)"', tags)
    if found and '<meta name="description"' not in tags:
        text = html.unescape(found.group(1))
        tags += f'<meta name="description" content="{html.escape(text, quote=True)}" />\n'
    context["metatags"] = tags
