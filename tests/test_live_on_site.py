"""The live explorers as the built book serves them: on the chapter pages of ``_build/html``
(not a test harness), each explorer loads, computes what ``nag_lib`` computes, and the page stays
clean (no console error, no request leaving the site).

The comparisons are the ones the explorers' own tests use (``tests/test_live_momentum.py``,
``tests/test_live_adam.py``), driven here through the real pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.site_check import launch_chromium, serve
from tests.test_live_adam import compare_adam_explorer
from tests.test_live_momentum import Step, compare_momentum_explorer

pytestmark = pytest.mark.browser

MOMENTUM = 'div.nag-live[data-explorer="momentum"]'
ADAM = 'div.nag-live[data-explorer="adam"]'


@pytest.fixture(scope="module")
def site(built_site: Path) -> Iterator[tuple[Any, str]]:
    """A browser and the built site served from 127.0.0.1 (other origins are refused)."""
    from playwright.sync_api import sync_playwright

    with serve(built_site) as origin, sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            yield browser, origin
        finally:
            browser.close()


def _open(site: tuple[Any, str], path: str, selector: str) -> tuple[Any, Any, list[str]]:
    browser, origin = site
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    problems: list[str] = []
    page.route(lambda url: not url.startswith(origin), lambda route: route.abort())
    page.on("request", lambda r: None if r.url.startswith(origin) else problems.append(r.url))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
    page.goto(f"{origin}/{path}", wait_until="load")
    box = page.locator(selector)
    assert box.count() == 1, f"{path}: {box.count()} explorers {selector}"
    page.wait_for_function(f"document.querySelector('{selector}').nagLive !== undefined")
    return page, box, problems


def test_chapter_3s_explorer_matches_nag_lib_on_the_built_page(site: tuple[Any, str]) -> None:
    page, box, problems = _open(site, "chapters/03-momentum-nesterov.html", MOMENTUM)
    found = compare_momentum_explorer(page, box)
    page.close()
    assert not found.problems, found.problems
    assert found.entries > 0 and not problems, problems


def test_chapter_4s_explorer_opens_on_nags_tuning_and_matches_nag_lib(
    site: tuple[Any, str],
) -> None:
    page, box, problems = _open(site, "chapters/04-rates.html", MOMENTUM)
    found = compare_momentum_explorer(page, box, (Step("as the page opens", ()),))
    params = found.settings[0]
    page.close()
    assert not found.problems, found.problems
    assert params["kappa"] == 100 and params["lr"] == 1.0 and not problems, (params, problems)


def test_chapter_6s_explorer_matches_nag_lib_on_the_built_page(site: tuple[Any, str]) -> None:
    page, box, problems = _open(site, "chapters/06-adam-nadam.html", ADAM)
    found = compare_adam_explorer(page, box)
    page.close()
    assert not found.problems, found.problems
    assert not problems, problems
