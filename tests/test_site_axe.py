"""The built site measured with axe-core, the standard accessibility engine: every page, in the
light and in the dark colour mode, with every exercise solution unfolded, must pass all of axe's
WCAG 2.1 level A and AA rules (tags ``wcag2a``, ``wcag2aa``, ``wcag21a``, ``wcag21aa``), its
experimental ones included (``label-content-name-mismatch``, ``td-has-header``, ...). No rule is
disabled; what the theme and Sphinx write is fixed by ``_ext/a11y.py`` and ``nag-book.css``.

axe-core's JavaScript comes from the ``axe-playwright-python`` package (it ships ``axe.min.js``),
so nothing is fetched at test time; the pages are served from 127.0.0.1 and any request to
another origin is aborted, as in ``tests/site_check.py``. One Chromium, pages one after another.

A second test proves the check can fail: a copy of the landing page with an ``<img>`` without
alternative text and a ``<button>`` without a name must be reported by the same sweep.

Needs ``make book`` first (or ``NAG_BOOK_SITE=/path/to/_build/html``); a missing build fails.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.site_check import (
    _SETTLE_JS,
    CHROMIUM_ARGS,
    chromium_path,
    html_pages,
    serve,
)

# Outside `make test` (about 4 minutes on the 2-core box, over its budget): run it with `make axe`.
pytestmark = pytest.mark.axe

#: axe-core's tags for the WCAG 2.0 and 2.1 success criteria of levels A and AA.
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
MODES = ("light", "dark")

# Before any script of the page runs: the theme reads the reader's choice from localStorage
# ("mode" and "theme") in an inline script in <head> and sets <html data-theme=...>.
# (about:blank has no localStorage: the script must not throw there.)
_MODE_JS = (
    "try {{ localStorage.setItem('mode', '{0}'); localStorage.setItem('theme', '{0}'); }}"
    " catch (e) {{}}"
)

# Opens every folded part of the page as a reader would: the exercise solutions (togglebutton
# admonitions, opened by clicking their title) and any <details>; then waits for the fade-in.
_UNFOLD_JS = """async () => {
  document.querySelectorAll('.toggle.toggle-hidden > .admonition-title')
    .forEach(t => t.click());
  document.querySelectorAll('details:not([open]) > summary').forEach(s => s.click());
  document.querySelectorAll('details:not([open])').forEach(d => { d.open = true; });
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  await Promise.all(document.getAnimations().map(a => a.finished.catch(() => null)));
  return {
    solutions: document.querySelectorAll('.solution').length,
    folded: document.querySelectorAll('.toggle-hidden, details:not([open])').length,
  };
}"""

# The colour mode the page is really drawn in: the theme's attribute and the page background.
_DRAWN_MODE_JS = """() => {
  const rgb = getComputedStyle(document.body).backgroundColor.match(/[\\d.]+/g).map(Number);
  const lum = (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255;
  return {theme: document.documentElement.dataset.theme || '', luminance: lum};
}"""

# Every rule axe lists under the tags, its experimental ones included (label-content-name-mismatch,
# p-as-heading, td-has-header, ...: a plain run by tag leaves them out).
_RUN_AXE_JS = """async (tags) => {
  const rules = axe.getRules(tags).map(r => r.ruleId);
  const r = await axe.run(document, {
    runOnly: {type: 'rule', values: rules},
    resultTypes: ['violations'],
  });
  return {
    version: axe.version,
    rules: rules.length,
    violations: r.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => ({target: n.target.map(String),
                                summary: (n.failureSummary || '').slice(0, 300)})),
    })),
  };
}"""


@dataclass
class AxeSweep:
    """axe's violations per (page, mode), and what the sweep saw along the way."""

    violations: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # the sweep itself went wrong
    solutions: int = 0  # exercise solutions unfolded, all pages, per mode
    axe_version: str = ""
    rules_run: int = 0  # axe rules run on each page
    total_s: float = 0.0

    def report(self) -> list[str]:
        """One line per (page, mode, rule): rule id, impact, node count and first targets."""
        lines = []
        for (path, mode), found in self.violations.items():
            for v in found:
                targets = "; ".join(" ".join(n["target"]) for n in v["nodes"][:3])
                lines.append(
                    f"{path} [{mode}] {v['id']} ({v['impact']}, {len(v['nodes'])} nodes): "
                    f"{v['help']} -- {targets}"
                )
        return lines

    def rules(self) -> dict[str, int]:
        """Rule id -> number of (page, mode) pairs where it fired."""
        counts: dict[str, int] = {}
        for found in self.violations.values():
            for v in found:
                counts[v["id"]] = counts.get(v["id"], 0) + 1
        return counts


def axe_sweep(
    html_dir: Path,
    pages: Sequence[str] | None = None,
    modes: Sequence[str] = MODES,
    tags: Sequence[str] = WCAG_TAGS,
    timeout_s: float = 60.0,
) -> AxeSweep:
    """Run axe (``tags`` only) on ``pages`` (default: every page) in each colour mode."""
    from axe_playwright_python.base import AXE_SCRIPT
    from playwright.sync_api import sync_playwright

    html_dir = Path(html_dir)
    exe = chromium_path()
    if not Path(exe).is_file():
        raise FileNotFoundError(f"no Chromium at {exe}: install Debian's chromium package")
    todo = list(pages) if pages is not None else html_pages(html_dir)
    out = AxeSweep()
    start = time.perf_counter()
    with serve(html_dir) as origin, sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=exe,
            headless=True,
            args=[a for a in CHROMIUM_ARGS if a != "--headless"],
        )
        try:
            for mode in modes:
                context = browser.new_context(
                    viewport={"width": 1280, "height": 900},
                    color_scheme=mode,  # type: ignore[arg-type]
                    service_workers="block",
                )
                context.route(
                    lambda url: not url.startswith((origin, "data:", "blob:", "about:")),
                    lambda route: route.abort(),
                )
                context.add_init_script(_MODE_JS.format(mode))
                page = context.new_page()
                page.set_default_timeout(timeout_s * 1000)
                for path in todo:
                    _axe_page(page, origin, html_dir, path, mode, AXE_SCRIPT, tags, out)
                context.close()
        finally:
            browser.close()
    out.solutions //= max(1, len(modes))
    out.total_s = time.perf_counter() - start
    return out


def _axe_page(
    page: Any,
    origin: str,
    html_dir: Path,
    path: str,
    mode: str,
    axe_script: str,
    tags: Sequence[str],
    out: AxeSweep,
) -> None:
    source = (html_dir / path).read_text(encoding="utf-8", errors="replace")
    if re.search(r'http-equiv="refresh"', source, re.I) and "<body" not in source:
        return  # a redirect stub (index.html): its target is swept as a page of its own
    where = f"{path} [{mode}]"
    try:
        page.goto(f"{origin}/{path}", wait_until="load")
        page.evaluate(_SETTLE_JS)
        drawn = page.evaluate(_DRAWN_MODE_JS)
        dark = drawn["luminance"] < 0.25
        if drawn["theme"] != mode or dark != (mode == "dark"):
            out.problems.append(
                f"{where}: drawn as data-theme={drawn['theme']!r}, "
                f"background luminance {drawn['luminance']:.2f}"
            )
        unfolded = page.evaluate(_UNFOLD_JS)
        out.solutions += unfolded["solutions"]
        if unfolded["folded"]:
            out.problems.append(f"{where}: {unfolded['folded']} parts still folded")
        page.evaluate(axe_script)
        result = page.evaluate(_RUN_AXE_JS, list(tags))
    except Exception as exc:  # a timeout or a crashed page is a finding, not a test error
        out.problems.append(f"{where}: could not run axe: {type(exc).__name__}: {exc!s:.300}")
        return
    out.axe_version = result["version"]
    out.rules_run = result["rules"]
    if result["violations"]:
        out.violations[(path, mode)] = result["violations"]


@pytest.fixture(scope="module")
def sweep(built_site: Path) -> AxeSweep:
    return axe_sweep(built_site)


def test_every_page_passes_axe_wcag21_aa_in_light_and_dark_mode(
    sweep: AxeSweep, built_site: Path
) -> None:
    pages = html_pages(built_site)
    print(
        f"\naxe-core {sweep.axe_version}, {sweep.rules_run} rules: "
        f"{len(pages)} pages x {len(MODES)} modes "
        f"({sweep.solutions} exercise solutions unfolded) in {sweep.total_s:.1f} s"
    )
    assert sweep.axe_version, "axe never ran"
    assert not sweep.problems, "\n".join(["the sweep could not check:", *sweep.problems])
    assert not sweep.violations, "\n".join(
        [f"axe WCAG 2.1 A/AA violations {sweep.rules()}:", *sweep.report()]
    )


def test_the_sweep_unfolds_the_exercise_solutions(sweep: AxeSweep, built_site: Path) -> None:
    marked = sum(
        (built_site / p).read_text(encoding="utf-8").count('class="solution')
        for p in html_pages(built_site)
    )
    assert marked > 0
    assert sweep.solutions == marked


def test_the_axe_sweep_reports_an_unnamed_image_and_button(
    built_site: Path, tmp_path: Path
) -> None:
    """The site with a landing page that holds an <img> without alt and an empty <button>:
    the sweep must report both rules on that page, in both modes, and nothing elsewhere new."""
    copy = tmp_path / "html"
    copy.mkdir()
    for entry in built_site.iterdir():  # the rest of the site, linked rather than copied
        if entry.name != "intro.html":
            (copy / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    text = (built_site / "intro.html").read_text(encoding="utf-8")
    main = text.index("<main")
    at = text.index(">", main) + 1
    broken = '<img src="_static/file.png" width="16" height="16"><button type="button"></button>'
    (copy / "intro.html").write_text(text[:at] + broken + text[at:], encoding="utf-8")

    found = axe_sweep(copy, pages=["intro.html"])
    assert not found.problems, found.problems
    for mode in MODES:
        rules = {v["id"] for v in found.violations.get(("intro.html", mode), [])}
        assert {"image-alt", "button-name"} <= rules, (mode, found.report())
