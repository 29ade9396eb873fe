"""Accessibility basics of the built site: every image has real alternative text, no page skips a
heading level, every form control (the explorers' sliders included) has an accessible name, and
the landing page names and cites the colour-blind-safe palette the figures use.

Needs ``make book`` first (or ``NAG_BOOK_SITE=/path/to/_build/html``); a missing build fails.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.site_check import html_pages, read_page

pytestmark = pytest.mark.browser  # needs the built site, like the browser sweep

#: Alt text that only repeats a file name or path ("../_build/jupyter_execute/abc.png").
PATH_LIKE = re.compile(r"[\w./\\:~-]*\.(png|jpe?g|gif|svg|webp)|[\w.-]*[/\\][\w./\\-]*", re.I)


def is_meaningful_alt(alt: str | None, src: str) -> bool:
    """True if ``alt`` describes an image: not missing, blank, or just a file name or path."""
    if alt is None or not alt.strip():
        return False
    text = alt.strip()
    return text != src and not PATH_LIKE.fullmatch(text)


def heading_skips(levels: list[int]) -> list[tuple[int, int]]:
    """(previous, next) level pairs where a heading goes down more than one level."""
    skips, prev = [], 0
    for level in levels:
        if level > prev + 1:
            skips.append((prev, level))
        prev = level
    return skips


def test_alt_text_check_rejects_paths_and_accepts_sentences() -> None:
    assert not is_meaningful_alt(None, "a.png")
    assert not is_meaningful_alt("  ", "a.png")
    assert not is_meaningful_alt("../_build/jupyter_execute/3f2a.png", "../_images/3f2a.png")
    assert not is_meaningful_alt("figure.png", "x")
    assert not is_meaningful_alt("chapters/fig", "x")
    assert is_meaningful_alt("Loss falls ten times faster with Nesterov's method.", "a.png")
    assert is_meaningful_alt("Powers of β decay geometrically: 0.9", "data:image/png;base64,AA")


def test_heading_check_finds_a_skipped_level() -> None:
    assert heading_skips([1, 2, 3, 2, 3, 1, 2]) == []
    assert heading_skips([1, 3]) == [(1, 3)]
    assert heading_skips([2]) == [(0, 2)]


def test_every_image_has_meaningful_alt_text(built_site: Path) -> None:
    bad = [
        f"{path}: <img src={src[:60]!r} alt={alt!r}>"
        for path in html_pages(built_site)
        for src, alt in read_page(built_site, path).images
        if not is_meaningful_alt(alt, src)
    ]
    assert not bad, "images without a description (set mystnb.image.alt):\n" + "\n".join(bad)


def test_no_page_skips_a_heading_level(built_site: Path) -> None:
    bad = []
    for path in html_pages(built_site):
        headings = read_page(built_site, path).headings
        for prev, level in heading_skips([lvl for lvl, _ in headings]):
            text = next(t for lvl, t in headings if lvl == level)
            bad.append(f"{path}: h{prev} -> h{level} ({text!r})")
    assert not bad, "\n".join(bad)


def test_every_form_control_has_an_accessible_name(built_site: Path) -> None:
    bad = []
    for path in html_pages(built_site):
        page = read_page(built_site, path)
        for desc, cid, named in page.controls:
            if not (named or (cid and cid in page.label_for)):
                bad.append(f"{path}: {desc} id={cid!r} has no label")
    assert not bad, "\n".join(bad)


def test_the_landing_page_names_and_cites_the_colour_blind_safe_palette(built_site: Path) -> None:
    text = (built_site / "intro.html").read_text(encoding="utf-8")
    assert "Okabe" in text and "Ito" in text
    bib = read_page(built_site, "chapters/bibliography.html").ids
    cited = re.findall(r'href="chapters/bibliography\.html#([^"]+)"', text)
    assert len([c for c in cited if c in bib]) >= 2, "cite Okabe & Ito (2008) and Wong (2011)"
