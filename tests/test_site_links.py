"""Every internal link of the built site resolves: each relative ``href``/``src`` names a file
of the build, and each ``#anchor`` names an id on the target page. External links (papers, DOIs)
are not followed: they are not requests the site makes, and CI has no network.

Needs ``make book`` first (or ``NAG_BOOK_SITE=/path/to/_build/html``); a missing build fails.
"""

from __future__ import annotations

import posixpath
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.site_check import PageSource, html_pages, read_page

pytestmark = pytest.mark.browser  # needs the built site, like the browser sweep


def broken_links(html_dir: Path) -> list[str]:
    """``page: tag attr=URL (reason)`` for every internal reference that does not resolve."""

    @cache
    def page(path: str) -> PageSource:
        return read_page(html_dir, path)

    problems = []
    for path in html_pages(html_dir):
        for tag, attr, url in page(path).refs:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc or url.startswith(("//", "#!")):
                continue  # external (checked by the browser sweep when it is fetched)
            target = unquote(parts.path)
            if target:
                target = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
                if target.startswith("../") or target == "..":
                    problems.append(f"{path}: {tag} {attr}={url} (leaves the site)")
                    continue
                full = html_dir / target
                if full.is_dir():
                    target, full = posixpath.join(target, "index.html"), full / "index.html"
                if not full.is_file():
                    problems.append(f"{path}: {tag} {attr}={url} (no such file)")
                    continue
            else:
                target = path
            anchor = unquote(parts.fragment)
            if anchor and target.endswith(".html") and anchor not in page(target).ids:
                problems.append(f"{path}: {tag} {attr}={url} (no id {anchor!r} on {target})")
    return problems


def test_every_internal_link_and_anchor_resolves(built_site: Path) -> None:
    problems = broken_links(built_site)
    assert not problems, "\n".join(problems[:50])


def test_the_link_check_catches_a_missing_page_and_a_missing_anchor(
    built_site: Path, tmp_path: Path
) -> None:
    import shutil

    copy = tmp_path / "html"
    shutil.copytree(built_site, copy, ignore=shutil.ignore_patterns("_static", "_sources"))
    page = copy / "intro.html"
    text = page.read_text(encoding="utf-8")
    bad = '<a href="chapters/no-such-page.html">x</a><a href="intro.html#no-such-id">y</a>'
    page.write_text(text.replace("</body>", bad + "</body>"), encoding="utf-8")
    found = "\n".join(broken_links(copy))
    assert "intro.html: a href=chapters/no-such-page.html (no such file)" in found
    assert "intro.html: a href=intro.html#no-such-id (no id 'no-such-id' on intro.html)" in found


def test_the_landing_page_links_to_every_chapter_and_the_claims_page(built_site: Path) -> None:
    from tests.site_check import toc_pages

    linked = {
        posixpath.normpath(urlsplit(url).path)
        for tag, attr, url in read_page(built_site, "intro.html").refs
        if tag == "a" and not urlsplit(url).scheme
    }
    missing = [p for p in toc_pages()[1:] if p not in linked]
    assert not missing, f"intro.html does not link to {missing}"
