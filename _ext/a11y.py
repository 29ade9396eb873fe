"""Sphinx extension: markup fixes that make every page pass axe-core's WCAG 2.1 A/AA rules
(``tests/test_site_axe.py``), applied to the written HTML once the build has finished.

What the theme, docutils and myst-nb write, and what is written instead:

* **The search field and the colour-mode switch** (pydata-sphinx-theme). The search field is
  named "Search" (``aria-label``) but shows "Search Ctrl+K", and the colour-mode button is named
  "Color mode" while its visible icon carries the title "Light" or "Dark"; axe reports both as
  ``label-content-name-mismatch`` (WCAG 2.5.3, label in name: the name must contain the visible
  text). The search field loses its ``aria-label`` and is named by the text it shows (which stays
  right when the theme writes ⌘ for Ctrl on a Mac); both search buttons declare their shortcut
  with ``aria-keyshortcuts``. The colour-mode icons are decorations of a named button: their
  titles go and they are hidden from assistive technology (``aria-hidden="true"``); the button
  keeps its name and its "Color mode" tooltip.
* **Code cells folded by ``hide-input``** (myst-nb): ``<summary aria-label="Toggle hidden
  content">`` shows "Show code cell source"; the label is dropped, so the summary is named by
  the text it shows.
* **The bibliography** (docutils): each entry of the ``role="list"`` citation list has the
  deprecated DPUB role ``doc-biblioentry`` (``aria-deprecated-role``); as a role axe no longer
  accepts it, the DOI link and the typeset math of an entry counted as children of the list
  that are not list items (``aria-required-children``). Entries get ``role="listitem"``.
* **The proof and module indexes** (``prf-prf.html``, ``py-modindex.html``): a table used to lay
  out a grouped list of links, with no header cells (``td-has-header``); marked as a layout table
  (``role="presentation"``).

Colour fixes (link contrast in admonitions, the index tables' caption rows in dark mode) are in
``_ext/static/nag-book.css``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

_NOT_PAGES = ("_static", "_sources", "_images", "_downloads", "jupyter_execute")


def _add_attr(tag: str, attr: str) -> str:
    """``tag`` (an opening tag) with ``attr`` added before its ``>``, unless already there."""
    name = attr.split("=", 1)[0]
    if re.search(rf"\s{re.escape(name)}=", tag):
        return tag
    return tag[:-1].rstrip() + f" {attr}>"


def _drop_attr(tag: str, name: str) -> str:
    """``tag`` (an opening tag) without its ``name="..."`` attribute."""
    return re.sub(rf'\s{re.escape(name)}="[^"]*"', "", tag)


#: (what it fixes, pattern, replacement), applied in order to every page.
FIXES: list[tuple[str, re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        "search field named by its text",
        re.compile(r'<button class="[^"]*\bsearch-button-field\b[^"]*"[^>]*>'),
        lambda m: _drop_attr(m.group(0), "aria-label"),
    ),
    (
        "search button shortcut declared",
        re.compile(r'<button class="[^"]*\bsearch-button__button\b[^"]*"[^>]*>'),
        lambda m: _add_attr(m.group(0), 'aria-keyshortcuts="Control+K"'),
    ),
    (
        "colour-mode icons decorative",
        re.compile(r'<i class="theme-switch\b[^"]*"[^>]*>'),
        lambda m: _add_attr(_drop_attr(m.group(0), "title"), 'aria-hidden="true"'),
    ),
    (
        "hide-input summary named by its text",
        re.compile(r'<summary aria-label="Toggle hidden content">'),
        lambda m: "<summary>",
    ),
    (
        "bibliography entries as list items",
        re.compile(r'(<div class="citation" id="[^"]*" )role="doc-biblioentry"'),
        lambda m: m.group(1) + 'role="listitem"',
    ),
    (
        "index tables as layout tables",
        re.compile(r'<table class="indextable modindextable"[^>]*>'),
        lambda m: _add_attr(m.group(0), 'role="presentation"'),
    ),
]


def _apply(
    html: str, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str]
) -> tuple[str, int]:
    """``html`` with ``pattern`` replaced, and how many matches that changed."""
    changed = 0

    def sub(match: re.Match[str]) -> str:
        nonlocal changed
        out = repl(match)
        changed += out != match.group(0)
        return out

    return pattern.sub(sub, html), changed


def fix_html(html: str) -> tuple[str, dict[str, int]]:
    """``html`` with every fix applied, and how many places each one changed (a page already
    fixed is returned as it is, with no counts)."""
    counts: dict[str, int] = {}
    for what, pattern, repl in FIXES:
        html, n = _apply(html, pattern, repl)
        if n:
            counts[what] = n
    return html, counts


def fix_site(outdir: Path) -> dict[str, int]:
    """Apply :func:`fix_html` to every page under ``outdir`` in place; totals per fix."""
    totals: dict[str, int] = {}
    for path in sorted(Path(outdir).rglob("*.html")):
        if path.relative_to(outdir).parts[0] in _NOT_PAGES:
            continue
        text = path.read_text(encoding="utf-8")
        fixed, counts = fix_html(text)
        if fixed != text:
            path.write_text(fixed, encoding="utf-8")
        for what, n in counts.items():
            totals[what] = totals.get(what, 0) + n
    return totals


def _on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    totals = fix_site(Path(app.outdir))
    if totals:
        logger.info("a11y: " + ", ".join(f"{what} ({n})" for what, n in totals.items()))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("build-finished", _on_build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
