"""Sphinx extension: the Chinese edition's pages (``zh/``) are marked as Chinese and linked to their
English counterparts.

* A page under ``zh/`` is served with ``<html lang="zh-CN">`` (the theme writes the page's
  ``language`` into the ``lang`` attribute), so that browsers and screen readers treat its text as
  Chinese and pick the system's CJK fonts.
* Every page that has a counterpart in the other language starts with a language switch: English
  pages link to their Chinese page (中文), Chinese pages to their English one (English). The
  counterparts are ``zh/index`` and ``intro``, ``zh/claims`` and ``chapters/claims``, and
  ``zh/<chapter>`` and ``chapters/<chapter>`` for every chapter with a page of the same name.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx

ZH = "zh/"
#: Chinese page -> English page, where the names differ.
RENAMED = {"zh/index": "intro", "zh/claims": "chapters/claims"}


def counterparts(docnames: set[str]) -> dict[str, str]:
    """Both directions: each Chinese page and its English page, among the built ``docnames``."""
    pairs: dict[str, str] = {}
    for doc in sorted(docnames):
        if not doc.startswith(ZH):
            continue
        english = RENAMED.get(doc, "chapters/" + doc.removeprefix(ZH))
        if english in docnames:
            pairs[doc], pairs[english] = english, doc
    return pairs


def switch_html(rel_uri: str, to_chinese: bool) -> str:
    """The language switch: a labelled link to the counterpart page, marked with its language."""
    lang, text, label = ("zh-CN", "中文", "Language") if to_chinese else ("en", "English", "语言")
    return (
        f'<nav class="nag-lang-switch" aria-label="{label}">'
        f'<a href="{rel_uri}" hreflang="{lang}" lang="{lang}">{text}</a></nav>\n'
    )


def _on_page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if pagename.startswith(ZH):
        context["language"] = "zh-CN"
    other = counterparts(set(app.env.found_docs)).get(pagename)
    if other is not None and "body" in context:
        uri = app.builder.get_relative_uri(pagename, other)
        context["body"] = switch_html(uri, not pagename.startswith(ZH)) + context["body"]


def _on_outdated(
    app: Sphinx, env: Any, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """A page whose counterpart appears or disappears must be written again (its switch)."""
    docs = set(env.found_docs)
    pairs = counterparts(docs | removed)
    return sorted(pairs[d] for d in added | removed if d in pairs and pairs[d] in docs)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", _on_page_context)
    app.connect("env-get-outdated", _on_outdated)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
