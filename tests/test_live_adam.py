"""Chapter 6's live Adam explorer (``_ext/static/nag-live-adam.js``) against ``nag_lib.optim.Adam``.

The explorer computes, in the reader's browser, the size of Adam's step ``t`` after ``t`` steps of
a constant gradient, for gradients from 1e-14 to 1e3. Here a harness page (a copy of the script
and of ``nag-live.css`` around one ``<div class="nag-live" data-explorer="adam">``) is opened in
headless Chromium (Debian's, driven by Playwright as in ``tests/site_check.py``); the controls are
moved as a reader moves them, and every step size the page holds is compared with
``nag_lib.optim.Adam`` run in ``torch.float64`` to 1e-12 relative. A copy of the script with one
operation changed must fail the same comparison. :func:`compare_adam_explorer` also works on the
built chapter page.
"""

from __future__ import annotations

import shutil
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from nag_lib.optim import Adam, HeavyBall
from tests.site_check import ROOT, _local, launch_chromium, serve

pytestmark = pytest.mark.browser

STATIC = ROOT / "_ext" / "static"
JS, CSS = STATIC / "nag-live-adam.js", STATIC / "nag-live.css"
RTOL = 1e-12
#: Chapter 6's example, the explorer's opening values.
CHAPTER = {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "t": 1}

#: What a reader does, setting by setting, from the chapter's example: (control, which of its
#: two inputs, value typed or slider position), and the hyperparameters that must result.
SETTINGS: list[tuple[str, list[tuple[str, str, str]], dict[str, float]]] = [
    ("chapter 6's example", [], CHAPTER),
    ("ε = 1: slider at its right end", [("eps", "range", "0")], {**CHAPTER, "eps": 1.0}),
    ("ε = 1e-16 typed", [("eps", "number", "1e-16")], {**CHAPTER, "eps": 1e-16}),
    (
        "step 37, β = (0.5, 0.99), α = 10^-1.5, ε = 1e-6",
        [
            ("t", "range", "37"),
            ("beta1", "number", "0.5"),
            ("beta2", "range", "2"),
            ("lr", "range", "-1.5"),
            ("eps", "number", "1e-6"),
        ],
        {"lr": 0.0316, "beta1": 0.5, "beta2": 0.99, "eps": 1e-6, "t": 37},
    ),
    (
        "step 100, β = (0, 0.9999), α = 1, ε = 1e-12",
        [
            ("t", "number", "100"),
            ("beta1", "range", "0"),
            ("beta2", "number", "0.9999"),
            ("lr", "number", "1"),
            ("eps", "range", "-12"),
        ],
        {"lr": 1.0, "beta1": 0.0, "beta2": 0.9999, "eps": 1e-12, "t": 100},
    ),
]

# The changes that break the script, each in a line that must occur exactly once: the bias
# correction of the first moment, and ε added before instead of after the one of the second.
BREAKS = {
    "bias correction of m uses t + 1": (
        "var bias1 = 1 - Math.pow(beta1, t);",
        "var bias1 = 1 - Math.pow(beta1, t + 1);",
    ),
    "ε added before the bias correction of v": (
        "var denom = Math.sqrt(v) / Math.pow(bias2, 0.5) + eps;",
        "var denom = (Math.sqrt(v) + eps) / Math.pow(bias2, 0.5);",
    ),
}

_SET_JS = """(e, v) => {
  e.focus();
  e.value = v;
  e.dispatchEvent(new Event('input', {bubbles: true}));
  e.dispatchEvent(new Event('change', {bubbles: true}));
}"""


def adam_steps(
    grads: np.ndarray, lr: float, beta1: float, beta2: float, eps: float, t: int
) -> np.ndarray:
    """|Δθ| of step ``t`` of ``nag_lib.optim.Adam`` (float64), one coordinate per gradient, each
    gradient held constant from the first step (θ is reset to 0 before step t, which the update
    does not depend on, so that Δθ is read without cancellation)."""
    w = torch.zeros(len(grads), dtype=torch.float64, requires_grad=True)
    opt = Adam([w], lr=lr, betas=(beta1, beta2), eps=eps)
    g = torch.tensor(grads, dtype=torch.float64)
    for k in range(t):
        if k == t - 1:
            with torch.no_grad():
                w.zero_()
        w.grad = g.clone()
        opt.step()
    return w.detach().abs().numpy()


def sgd_steps(grads: np.ndarray, lr: float) -> np.ndarray:
    """|Δθ| of one step of gradient descent (``nag_lib.optim.HeavyBall``, momentum 0)."""
    w = torch.zeros(len(grads), dtype=torch.float64, requires_grad=True)
    opt = HeavyBall([w], lr=lr, momentum=0.0)
    w.grad = torch.tensor(grads, dtype=torch.float64)
    opt.step()
    return w.detach().abs().numpy()


def _worst(ours: np.ndarray, ref: np.ndarray) -> float:
    return float(np.max(np.abs(ours / ref - 1.0)))


@dataclass
class Comparison:
    """What :func:`compare_adam_explorer` found: problems (empty: agreement) and, per setting,
    the largest relative difference of Adam's step from ``nag_lib``."""

    problems: list[str] = field(default_factory=list)
    worst: dict[str, float] = field(default_factory=dict)


def compare_adam_explorer(
    page: Any, locator: Any, settings: list | None = None, rtol: float = RTOL
) -> Comparison:
    """Drive the Adam explorer in ``locator`` (a ``div.nag-live[data-explorer="adam"]`` on
    ``page``) through ``settings`` (default :data:`SETTINGS`) by setting its inputs and firing
    ``input`` and ``change`` events, and compare what it computed with ``nag_lib.optim.Adam``
    in float64. Each setting starts from chapter 6's example."""
    out = Comparison()
    locator.wait_for()
    for name, actions, expected in settings if settings is not None else SETTINGS:
        locator.evaluate("(e, p) => e.nagLive.set(p)", CHAPTER)
        for key, kind, value in actions:
            box = locator.locator(f'input[type="{kind}"][data-key="{key}"]')
            box.evaluate(_SET_JS, value)
        params = locator.evaluate("e => e.nagLive.params()")
        if params != pytest.approx(expected, rel=1e-12, abs=0):
            out.problems.append(f"{name}: the controls set {params}, not {expected}")
            continue
        steps = locator.evaluate("e => e.nagLive.steps()")
        grads = np.array(steps["grads"])
        expected_grid = np.logspace(-14, 3, 137)
        if grads.shape != expected_grid.shape or _worst(grads, expected_grid) > rtol:
            out.problems.append(f"{name}: the gradient grid is not 10^-14 … 10^3, 8 a decade")
            continue
        ours, ref = np.array(steps["adam"]), adam_steps(grads, **params)
        out.worst[name] = worst = _worst(ours, ref)
        if not worst <= rtol:
            i = int(np.nanargmax(np.abs(ours / ref - 1.0)))
            out.problems.append(
                f"{name}: Adam's step differs from nag_lib by {worst:.3g} relative "
                f"(|g| = {grads[i]:.3g}: page {float(ours[i])!r}, nag_lib {float(ref[i])!r})"
            )
        sgd = _worst(np.array(steps["sgd"]), sgd_steps(grads, params["lr"]))
        if not sgd <= rtol:
            out.problems.append(f"{name}: gradient descent's step differs by {sgd:.3g}")
        lr, b1, b2, eps, t = (params[k] for k in ("lr", "beta1", "beta2", "eps", "t"))
        closed = lr * (1 - b1**t) * grads / (np.sqrt(1 - b2**t) * grads + eps)
        unc = _worst(np.array(steps["uncorrected"]), closed)
        if not unc <= 1e-9:  # a loop of t lerps against a closed form: rounding grows with t
            out.problems.append(f"{name}: the step without bias correction is off by {unc:.3g}")
    return out


# ---- the harness --------------------------------------------------------------------------

_HARNESS = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Adam explorer harness</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="nag-live.css">
<script src="nag-live-adam.js" defer></script>
</head><body><main style="max-width: 44rem; margin: 1rem auto; font-family: sans-serif">
<div class="nag-live" data-explorer="adam" id="explorer">
<p>Without JavaScript, the figure above shows the same curves for a few values of ε.</p>
</div>
<div class="nag-live" data-explorer="adam" id="second" data-eps="1e-4" data-t="5"
 data-beta2="0.99" data-lr="oops"></div>
</main></body></html>
"""


@dataclass
class Harness:
    page: Any
    explorer: Any
    requests: list[str]
    errors: list[str]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = launch_chromium(pw)
        try:
            yield b
        finally:
            b.close()


@contextmanager
def open_harness(
    browser: Any, folder: Path, js: str, viewport: tuple[int, int] = (900, 1000)
) -> Iterator[Harness]:
    """Serve the harness with ``js`` as the script from ``folder`` to a browser window of
    ``viewport`` (width, height) CSS px; yield it once loaded."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text(_HARNESS, encoding="utf-8")
    (folder / "nag-live-adam.js").write_text(js, encoding="utf-8")
    shutil.copy(CSS, folder / "nag-live.css")
    with serve(folder) as origin:
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        requests: list[str] = []
        errors: list[str] = []
        context.route(lambda url: not _local(url, origin), lambda route: route.abort())
        page = context.new_page()
        page.on("request", lambda r: requests.append(r.url.removeprefix(origin)))
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
        try:
            page.goto(f"{origin}/index.html", wait_until="load")
            explorer = page.locator("#explorer")
            page.wait_for_function("() => !!document.getElementById('explorer').nagLive")
            yield Harness(page, explorer, requests, errors)
        finally:
            context.close()


@pytest.fixture(scope="module")
def harness(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    with open_harness(browser, tmp_path_factory.mktemp("adam"), JS.read_text("utf-8")) as h:
        yield h


# ---- the tests ----------------------------------------------------------------------------


def test_explorer_steps_match_nag_lib_adam_to_1e12_as_a_reader_moves_the_controls(
    harness: Harness,
) -> None:
    found = compare_adam_explorer(harness.page, harness.explorer)
    print("\nworst relative difference per setting:", found.worst)
    assert not found.problems, "\n".join(found.problems)
    assert len(found.worst) == len(SETTINGS)


@pytest.mark.parametrize("broken", list(BREAKS))
def test_a_copy_with_one_operation_changed_fails_the_comparison(
    browser: Any, tmp_path: Path, broken: str
) -> None:
    old, new = BREAKS[broken]
    js = JS.read_text("utf-8")
    assert js.count(old) == 1, f"the line to break is not in the script exactly once: {old}"
    with open_harness(browser, tmp_path, js.replace(old, new)) as h:
        found = compare_adam_explorer(h.page, h.explorer)
        assert not h.errors
    differs = [p for p in found.problems if "Adam's step differs from nag_lib" in p]
    assert differs, f"the broken copy ({broken}) passed: {found.worst}"
    assert max(found.worst.values()) > 1e3 * RTOL


def test_the_pure_function_agrees_with_nag_lib_on_any_gradients(harness: Harness) -> None:
    grads = [3e-9, 1e-8, 2.5e-8, 0.7, 42.0]
    p = {"lr": 0.01, "beta1": 0.8, "beta2": 0.95, "eps": 1e-8, "t": 12}
    got = harness.page.evaluate("p => window.nagLiveAdam.run(p)", {**p, "grads": grads})
    assert _worst(np.array(got["adam"]), adam_steps(np.array(grads), **p)) <= RTOL
    bad = harness.page.evaluate(
        "() => { try { window.nagLiveAdam.run({lr: 1e-3, beta1: 1, beta2: 0.9, eps: 1e-8, t: 1});"
        " return 'accepted'; } catch (e) { return e.name + ': ' + e.message; } }"
    )
    assert bad == "RangeError: Invalid beta1: 1"


def test_the_explorer_opens_on_the_chapter_example_or_its_data_attributes(
    harness: Harness,
) -> None:
    assert harness.page.evaluate("() => window.nagLiveAdam.defaults") == CHAPTER
    second = harness.page.locator("#second").evaluate("e => e.nagLive.params()")
    # data-lr="oops" is ignored (with a warning), the valid attributes are used
    assert second == {**CHAPTER, "eps": 1e-4, "t": 5, "beta2": 0.99}
    assert "Without JavaScript" not in harness.explorer.inner_text()


def test_controls_have_accessible_names_and_move_with_the_keyboard(harness: Harness) -> None:
    box = harness.explorer
    box.evaluate("(e, p) => e.nagLive.set(p)", CHAPTER)
    for name in ("ε", "learning rate α", "β₁", "β₂", "steps t"):
        assert box.get_by_role("spinbutton", name=name, exact=True).count() == 1, name
        assert box.get_by_role("slider", name=name + " slider", exact=False).count() == 1, name
    eps = box.get_by_role("slider", name="ε slider", exact=False)
    eps.focus()
    harness.page.keyboard.press("ArrowRight")
    assert box.evaluate("e => e.nagLive.params().eps") == pytest.approx(1.78e-8, rel=1e-12)
    harness.page.keyboard.press("End")
    assert box.evaluate("e => e.nagLive.params().eps") == 1.0
    assert eps.get_attribute("aria-valuetext") == "ε = 1"
    assert box.get_by_role("spinbutton", name="ε", exact=True).input_value() == "1"
    t = box.get_by_role("spinbutton", name="steps t", exact=True)
    t.fill("250")  # out of range: flagged, not applied
    assert t.get_attribute("aria-invalid") == "true"
    assert box.evaluate("e => e.nagLive.params().t") == 1
    figure = box.locator("svg[role=img]")
    assert "Log-log plot" in (figure.get_attribute("aria-label") or "")
    summary = box.locator("[aria-live=polite]")
    harness.page.wait_for_function(
        "() => document.querySelector('#explorer [aria-live]').textContent.includes('ε = 1 ')"
    )
    assert "Adam's step" in summary.inner_text()


def test_redraw_time_is_measured(harness: Harness) -> None:
    """Reports the redraw time (compute and SVG update) of 50 slider moves; not a timed
    assert, only a check that the measurement exists."""
    times = harness.explorer.evaluate(
        """e => {
          const r = e.querySelector('input[type=range][data-key=t]'), out = [];
          for (let k = 1; k <= 100; k += 2) {
            r.value = String(k); r.dispatchEvent(new Event('input', {bubbles: true}));
            out.push(e.nagLive.lastRedrawMs);
          }
          return out;
        }"""
    )
    print(f"\nredraw: median {statistics.median(times):.2f} ms, max {max(times):.2f} ms (t ≤ 99)")
    assert len(times) == 50 and all(x >= 0 for x in times)


def test_no_console_error_and_no_request_outside_the_harness(harness: Harness) -> None:
    harness.page.wait_for_timeout(300)  # the live region's delayed update, late messages
    assert not harness.errors, harness.errors
    assert sorted(set(harness.requests)) == ["/index.html", "/nag-live-adam.js", "/nag-live.css"]


def _luminance(rgb: str) -> float:
    r, g, b = (int(x) / 255 for x in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3])
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def test_the_figure_text_contrasts_at_least_4_5_to_1_with_its_white_background(
    harness: Harness,
) -> None:
    fills = harness.explorer.evaluate(
        "e => Array.from(e.querySelectorAll('svg text')).map(t => getComputedStyle(t).fill)"
    )
    assert len(fills) > 20  # tick labels, axis labels, title, legend, the ε marker
    assert (
        harness.explorer.evaluate("e => getComputedStyle(e.querySelector('svg')).backgroundColor")
        == "rgb(255, 255, 255)"
    )
    worst = min((1.05) / (_luminance(f) + 0.05) for f in set(fills))
    assert worst >= 4.5, f"text colours {sorted(set(fills))}: contrast {worst:.2f}:1"


# ---- on a phone ---------------------------------------------------------------------------

#: A phone's viewport (CSS px), and the smallest text size readable on it.
PHONE = (390, 844)
MIN_TEXT_PX = 11.0

#: Every visible text inside an element, and every form control, with the size it renders at
#: in CSS px: the computed font size, times the SVG's scale (from getScreenCTM) for SVG text.
#: Sorted, smallest first.
TEXT_SIZES_JS = """box => {
  const size = e => {
    const px = parseFloat(getComputedStyle(e).fontSize);
    if (!(e instanceof SVGElement)) { return px; }
    const m = e.getScreenCTM();
    return px * Math.sqrt(Math.abs(m.a * m.d - m.b * m.c));
  };
  const out = [];
  const walk = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const e = n.parentElement;
    if (!n.textContent.trim() || !e.getClientRects().length) { continue; }
    out.push({text: n.textContent.trim().slice(0, 40), px: size(e)});
  }
  for (const e of box.querySelectorAll('input, select, button')) {
    if (!e.getClientRects().length) { continue; }
    out.push({text: '<' + e.tagName.toLowerCase() + '>', px: size(e)});
  }
  return out.sort((a, b) => a.px - b.px);
}"""


def phone_problems(page: Any, box: Any) -> list[str]:
    """What makes the explorer in ``box`` hard to read on ``page``: text under
    :data:`MIN_TEXT_PX` CSS px, or a page wider than its window (sideways scrolling)."""
    sizes = box.evaluate(TEXT_SIZES_JS)
    out = [f"{s['text']!r} renders at {s['px']:.2f} px" for s in sizes if s["px"] < MIN_TEXT_PX]
    if len(sizes) < 10:
        out.append(f"only {len(sizes)} texts found")
    wide = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if wide[0] > wide[1]:
        out.append(f"the page is {wide[0]} px wide in a {wide[1]} px window")
    return out


def test_on_a_390_px_phone_every_text_is_at_least_11_px_and_the_page_does_not_scroll_sideways(
    browser: Any, tmp_path: Path
) -> None:
    with open_harness(browser, tmp_path, JS.read_text("utf-8"), PHONE) as h:
        assert h.page.evaluate("window.innerWidth") == PHONE[0]
        assert not phone_problems(h.page, h.explorer), phone_problems(h.page, h.explorer)
        found = compare_adam_explorer(h.page, h.explorer)
        assert not found.problems, "\n".join(found.problems)
        assert len(found.worst) == len(SETTINGS)
        # a window narrowed after loading (a phone turned upright): the figure is redrawn
        h.page.set_viewport_size({"width": 1280, "height": 900})
        h.page.wait_for_timeout(200)
        wide = h.explorer.evaluate("e => e.querySelector('svg').getAttribute('viewBox')")
        assert wide == "0 0 640 380"  # the desktop figure
        h.page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
        h.page.wait_for_timeout(200)
        assert not phone_problems(h.page, h.explorer), phone_problems(h.page, h.explorer)
        assert h.explorer.evaluate("e => e.querySelectorAll('svg').length") == 1
        assert not h.errors, h.errors
