"""The live momentum explorer (``_ext/static/nag-live-momentum.js``) computes what ``nag_lib``
computes, in a real browser, offline.

A minimal harness page in ``tmp_path`` loads copies of the script and of ``nag-live.css`` and holds
one ``<div class="nag-live" data-explorer="momentum">``, so these tests need no book build. Headless
Chromium (Debian's package, driven by Playwright, as in ``tests/site_check.py``) moves the
explorer's controls as a reader would (sliders with ``input`` events and the arrow keys, typed
numbers, the problem menu, the method checkboxes, the two "optimal" buttons), and after each move
:func:`compare_momentum_explorer` checks ``element.nagLive.iterates()`` against chapter 3's
``run_all`` (:func:`nag_lib.paper.gradient_descent`, :func:`~nag_lib.paper.heavy_ball`,
:func:`~nag_lib.paper.nesterov_1983` on :func:`nag_lib.problems.quadratic` or
:func:`~nag_lib.problems.rosenbrock_grad`), and the rates it shows against
:func:`nag_lib.problems.spectral_radii`. A copy of the script with one sign flipped in NAG's
look-ahead must fail that comparison.

:func:`compare_momentum_explorer` takes any page and element, so the same check can run on the
built chapter (``_build/html/chapters/03-momentum-nesterov.html``).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nag_lib.paper import gradient_descent, heavy_ball, nesterov_1983
from nag_lib.problems import (
    heavy_ball_optimal,
    nag_optimal,
    quadratic,
    rosenbrock_grad,
    spectral_radii,
)
from tests.site_check import ROOT, launch_chromium, serve

pytestmark = pytest.mark.browser

STATIC = ROOT / "_ext" / "static"
SCRIPT = "nag-live-momentum.js"
STYLE = "nag-live.css"
SELECTOR = 'div.nag-live[data-explorer="momentum"]'
#: Largest relative difference allowed between the browser's and NumPy's float64 iterates.
RTOL = 1e-12
#: The look-ahead line of NAG in the script, put there to be flipped by the broken-copy test.
NAG_LOOKAHEAD = "y[i] = x[i] + beta * ("

HARNESS = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>momentum explorer harness</title>
<link rel="stylesheet" href="nag-live.css">
<script defer src="nag-live-momentum.js"></script></head>
<body><main>
<p><a href="#top" id="before">before the explorer</a></p>
<div class="nag-live" data-explorer="momentum"{attrs}>The live explorer needs JavaScript.</div>
<p><a href="#top" id="after">after the explorer</a></p>
</main></body></html>
"""

# Chapter 3's teaching example, where the explorer opens.
OPENING = {"problem": "quadratic", "lr": 1.0, "momentum": 0.9, "kappa": 50.0}
ALL_ON = {"gd": True, "heavy_ball": True, "nag": True}


def chapter3_iterates(problem: str, lr: float, momentum: float, kappa: float) -> dict[str, Any]:
    """The iterates of chapter 3's ``run_all(lr, momentum, kappa, problem)``."""
    if problem == "rosenbrock":  # the slider is in units of 1e-3, about 1/L near (1, 1)
        grad, start, a, n = rosenbrock_grad, [-1.2, 1.0], lr * 1e-3, 3000
    else:
        q = quadratic(kappa, mu=1.0 / kappa)  # eigenvalues 1/kappa and 1: L = 1
        grad, start, a, n = q.grad, [-3.0, 2.0], lr, 150
    with np.errstate(all="ignore"):
        return {
            "gd": gradient_descent(grad, start, a, n),
            "heavy_ball": heavy_ball(grad, start, a, momentum, n),
            "nag": nesterov_1983(grad, start, a, n, momentum=momentum),
        }


def _eigenvalues(problem: str, kappa: float) -> list[float]:
    """The curvatures the explorer's rates use: the quadratic's, or Rosenbrock's at (1, 1)."""
    if problem == "rosenbrock":
        return np.linalg.eigvalsh(np.array([[802.0, -400.0], [-400.0, 200.0]])).tolist()
    q = quadratic(kappa, mu=1.0 / kappa)
    return [q.mu, q.L]


# ---- what a reader does ---------------------------------------------------------------------
# An action is (kind, control name, value): "slider" sets a range input's value and fires
# 'input'; "type" fills a number field; "key" presses a key on a slider; "select" picks a problem;
# "check" ticks or clears a method; "click" presses a button.
Action = tuple[str, str, Any]


@dataclass(frozen=True)
class Step:
    """Some reader actions, and the parameters the explorer must then report (a subset)."""

    what: str
    actions: tuple[Action, ...]
    expect: dict[str, Any] = field(default_factory=dict)


def _nag_opt(kappa: float) -> dict[str, float]:
    q = quadratic(kappa, mu=1.0 / kappa)
    t = nag_optimal(q.L, q.mu)
    return {"lr": t.lr, "momentum": t.momentum}


def _polyak_opt(kappa: float) -> dict[str, float]:
    q = quadratic(kappa, mu=1.0 / kappa)
    t = heavy_ball_optimal(q.L, q.mu)
    return {"lr": t.lr, "momentum": t.momentum}


_CHECK_ALL: tuple[Action, ...] = (
    ("check", "gradient descent", True),
    ("check", "heavy ball", True),
    ("check", "NAG", True),
)

#: The settings :func:`compare_momentum_explorer` visits: both problems, all three methods,
#: stable and unstable steps (finite blow-up on the quadratic, overflow to NaN on Rosenbrock).
READER_STEPS: tuple[Step, ...] = (
    Step(
        "chapter 3's example, typed in",
        (
            ("select", "problem", "quadratic"),
            *_CHECK_ALL,
            ("type", "condition number", 50),
            ("type", "learning rate", 1),
            ("type", "momentum", 0.9),
        ),
        {**OPENING, "methods": ALL_ON},
    ),
    Step(
        "chapter 3's exercise: kappa 1000, momentum 0.94",
        (("type", "condition number", 1000), ("type", "momentum", 0.94)),
        {"kappa": 1000.0, "momentum": 0.94, "lr": 1.0},
    ),
    Step(
        "kappa slider at 10^2.5, lr 1.5: past NAG's edge 2(1+b)/(1+2b) = 1.36 at b = 0.9",
        (
            ("slider", "condition number", 2.5),
            ("slider", "learning rate", 1.5),
            ("slider", "momentum", 0.9),
        ),
        {"kappa": 316.0, "lr": 1.5, "momentum": 0.9},
    ),
    Step(
        "lr 2.5 past gradient descent's edge 2, momentum 0.3, kappa 7",
        (
            ("type", "condition number", 7),
            ("slider", "learning rate", 2.5),
            ("slider", "momentum", 0.3),
        ),
        {"kappa": 7.0, "lr": 2.5, "momentum": 0.3},
    ),
    Step(
        "the left arrow key on the momentum slider",
        (("key", "momentum", "ArrowLeft"),),
        {"momentum": 0.29},
    ),
    Step(
        "heavy ball alone",
        (("check", "gradient descent", False), ("check", "NAG", False)),
        {"methods": {"gd": False, "heavy_ball": True, "nag": False}},
    ),
    Step(
        "Nesterov's optimal parameters at kappa 100",
        (*_CHECK_ALL, ("type", "condition number", 100), ("click", "Optimal for NAG", None)),
        {"kappa": 100.0, **_nag_opt(100.0), "methods": ALL_ON},
    ),
    Step(
        "Polyak's optimal parameters at kappa 100",
        (("click", "Optimal for heavy ball", None),),
        {"kappa": 100.0, **_polyak_opt(100.0)},
    ),
    Step(
        "Rosenbrock at lr 1e-3, momentum 0.9",
        (
            ("select", "problem", "rosenbrock"),
            ("type", "learning rate", 1),
            ("type", "momentum", 0.9),
        ),
        {"problem": "rosenbrock", "lr": 1.0, "momentum": 0.9},
    ),
    Step(
        "Rosenbrock at 2.5e-3, momentum 0.95 (NAG overflows), without gradient descent",
        (
            ("slider", "learning rate", 2.5),
            ("slider", "momentum", 0.95),
            ("check", "gradient descent", False),
        ),
        {"lr": 2.5, "momentum": 0.95, "methods": {"gd": False, "heavy_ball": True, "nag": True}},
    ),
    Step(
        "Rosenbrock at 4e-3, momentum 0.9 (heavy ball and NAG overflow to NaN)",
        (
            ("check", "gradient descent", True),
            ("slider", "learning rate", 4),
            ("slider", "momentum", 0.9),
        ),
        {"lr": 4.0, "momentum": 0.9, "methods": ALL_ON},
    ),
    Step(
        "back to the quadratic, keeping lr 4: all three diverge",
        (("select", "problem", "quadratic"),),
        {"problem": "quadratic", "lr": 4.0, "kappa": 100.0},
    ),
)

_SET_RANGE_JS = """(r, v) => {
  r.value = v;
  r.dispatchEvent(new Event('input', {bubbles: true}));
}"""


def _act(box: Any, action: Action) -> None:
    kind, name, value = action
    label = re.compile("^" + re.escape(name))
    if kind == "slider":
        box.get_by_role("slider", name=label).evaluate(_SET_RANGE_JS, str(value))
    elif kind == "type":
        box.get_by_role("spinbutton", name=label).fill(str(value))
    elif kind == "key":
        box.get_by_role("slider", name=label).press(value)
    elif kind == "select":
        box.get_by_role("combobox", name=label).select_option(value)
    elif kind == "check":
        box.get_by_role("checkbox", name=label).set_checked(value)
    elif kind == "click":
        box.get_by_role("button", name=label).click()
    else:  # pragma: no cover - a typo in READER_STEPS
        raise ValueError(f"unknown action kind {kind!r}")


@dataclass
class Comparison:
    """What :func:`compare_momentum_explorer` found."""

    problems: list[str] = field(default_factory=list)
    #: iterate coordinates compared, how many were bitwise equal, how many were non-finite
    entries: int = 0
    exact: int = 0
    nonfinite: int = 0
    settings: list[dict[str, Any]] = field(default_factory=list)


def _decode(rows: list[list[Any]]) -> np.ndarray:
    """The explorer's JSON-safe iterates ("NaN", "Infinity", "-Infinity" for non-finite)."""
    return np.array([[float(v) for v in row] for row in rows], dtype=np.float64).reshape(-1, 2)


def _compare_iterates(
    where: str, method: str, got: np.ndarray, want: np.ndarray, out: Comparison
) -> None:
    if got.shape != want.shape:
        out.problems.append(f"{where}: {method} has shape {got.shape}, nag_lib {want.shape}")
        return
    fin_got, fin_want = np.isfinite(got), np.isfinite(want)
    out.entries += got.size
    out.nonfinite += int((~fin_want).sum())
    if (fin_got != fin_want).any():
        k = int(np.argwhere(fin_got != fin_want)[0][0])
        out.problems.append(
            f"{where}: {method} is non-finite at other places than nag_lib's, first at step "
            f"{k}: browser {got[k].tolist()}, nag_lib {want[k].tolist()}"
        )
        return
    g, w = got[fin_want], want[fin_want]
    out.exact += int((g == w).sum())
    bad = np.abs(g - w) > RTOL * np.maximum(np.abs(g), np.abs(w))
    if bad.any():
        rows = np.argwhere(fin_want)[bad][:, 0]
        k = int(rows[0])
        worst = float(np.max(np.abs(g - w)[bad] / np.maximum(np.abs(g), np.abs(w))[bad]))
        out.problems.append(
            f"{where}: {method} differs from nag_lib from step {k} on "
            f"(browser {got[k].tolist()}, nag_lib {want[k].tolist()}; "
            f"worst relative difference {worst:.2e} > {RTOL:g})"
        )


def compare_momentum_explorer(
    page: Any, locator: Any, steps: tuple[Step, ...] = READER_STEPS
) -> Comparison:
    """Drive the explorer at ``locator`` (on ``page``) through ``steps`` as a reader would, and
    compare what it computes with ``nag_lib`` after each step.

    Checks, per step: the parameters it reports (``element.nagLive.params()`` and the JSON in
    ``data-state``) are those the reader set; ``element.nagLive.iterates()`` holds exactly the
    ticked methods and equals chapter 3's ``run_all`` to :data:`RTOL` (non-finite at the same
    places); its rates (``element.nagLive.radii()``) equal :func:`nag_lib.problems.spectral_radii`.
    Returns a :class:`Comparison`; an empty ``problems`` list means the explorer agrees.
    """
    del page  # the locator knows its page; kept in the signature for callers' clarity
    out = Comparison()
    for step in steps:
        for action in step.actions:
            _act(locator, action)
        params = locator.evaluate("e => e.nagLive.params()")
        state = json.loads(locator.evaluate("e => e.dataset.state"))
        out.settings.append(params)
        where = f"{step.what} ({params})"
        if state != params:
            out.problems.append(f"{where}: data-state {state} is not params()")
        for key, want in step.expect.items():
            got = params.get(key)
            same = (
                got == want
                if not isinstance(want, float)
                else isinstance(got, (int, float)) and abs(got - want) <= 1e-15 * abs(want)
            )
            if not same:
                out.problems.append(f"{where}: {key} is {got!r}, the reader set {want!r}")
        iterates = locator.evaluate("e => e.nagLive.iterates()")
        shown = {m for m, on in params["methods"].items() if on}
        if set(iterates) != shown:
            out.problems.append(f"{where}: iterates for {sorted(iterates)}, shown {sorted(shown)}")
        ref = chapter3_iterates(
            params["problem"], params["lr"], params["momentum"], params["kappa"]
        )
        for method, rows in iterates.items():
            _compare_iterates(where, method, _decode(rows), ref[method], out)
        scale = 1e-3 if params["problem"] == "rosenbrock" else 1.0
        eig = _eigenvalues(params["problem"], params["kappa"])
        radii = locator.evaluate("e => e.nagLive.radii()")
        for method, r in radii.items():
            want = spectral_radii(method, params["lr"] * scale, params["momentum"], eig)
            got = [r["flat"], r["stiff"]]
            if np.abs(got - want).max() > 1e-12 * max(1.0, want.max()) or r["rho"] != max(got):
                out.problems.append(f"{where}: {method} rates {r}, nag_lib {want.tolist()}")
    return out


# ---- the harness ----------------------------------------------------------------------------


def _harness(folder: Path, script: str | None = None, attrs: str = "") -> Path:
    """The harness page in ``folder``, with a copy of the script (or ``script``, a broken one)
    and of the style sheet; ``attrs`` are extra attributes of the explorer's ``<div>``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text(HARNESS.replace("{attrs}", attrs), encoding="utf-8")
    if script is None:
        shutil.copy(STATIC / SCRIPT, folder / SCRIPT)
    else:
        (folder / SCRIPT).write_text(script, encoding="utf-8")
    shutil.copy(STATIC / STYLE, folder / STYLE)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as pw:
        b = launch_chromium(pw)
        try:
            yield b
        finally:
            b.close()


@dataclass
class Opened:
    """A harness page in the browser, and what it did on the way."""

    page: Any
    box: Any
    origin: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def open_harness(browser: Any) -> Iterator[Any]:
    """``open_harness(folder)``: the harness page in ``folder``, served from 127.0.0.1, with
    every request and console error recorded; requests to other origins are aborted."""
    stack: list[Any] = []

    def _open(folder: Path, viewport: tuple[int, int] = (1280, 1000)) -> Opened:
        server = serve(folder)
        origin = server.__enter__()
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        stack.append((server, context))
        page = context.new_page()
        opened = Opened(page, page.locator(SELECTOR), origin)
        context.route(lambda url: not url.startswith(origin), lambda route: route.abort())
        page.on("request", lambda req: opened.requests.append(req.url))
        page.on(
            "console",
            lambda msg: opened.errors.append(msg.text) if msg.type == "error" else None,
        )
        page.on("pageerror", lambda err: opened.errors.append(f"uncaught: {err}"))
        page.goto(f"{origin}/index.html", wait_until="load")
        page.wait_for_function("document.querySelector('.nag-live').nagLive !== undefined")
        return opened

    yield _open
    for server, context in reversed(stack):
        context.close()
        server.__exit__(None, None, None)


# ---- tests ----------------------------------------------------------------------------------


def test_the_explorer_opens_on_chapter_3s_example_and_matches_nag_lib(
    open_harness: Any, tmp_path: Path
) -> None:
    h = open_harness(_harness(tmp_path / "site"))
    params = h.box.evaluate("e => e.nagLive.params()")
    assert params == {**OPENING, "methods": ALL_ON}
    opening = Step("as opened", (), {**OPENING, "methods": ALL_ON})
    found = compare_momentum_explorer(h.page, h.box, (opening,))
    assert not found.problems, "\n".join(found.problems)
    assert found.entries == 3 * 151 * 2 and found.exact == found.entries


def test_every_setting_a_reader_can_reach_gives_nag_libs_iterates(
    open_harness: Any, tmp_path: Path
) -> None:
    h = open_harness(_harness(tmp_path / "site"))
    found = compare_momentum_explorer(h.page, h.box)
    assert not found.problems, "\n".join(found.problems)
    problems = {s["problem"] for s in found.settings}
    assert problems == {"quadratic", "rosenbrock"}
    # the unstable settings were reached: overflow to NaN on Rosenbrock, and on the quadratic
    # iterates that grow without bound (finite after 150 steps, but far from the start)
    assert found.nonfinite > 1000
    blown = h.box.evaluate("e => e.nagLive.iterates()")  # the last step: the quadratic at lr 4
    assert all(np.nanmax(np.abs(_decode(rows))) > 1e20 for rows in blown.values())
    print(
        f"\n{len(found.settings)} settings, {found.entries} coordinates compared: "
        f"{found.exact} bitwise equal, {found.nonfinite} non-finite in both"
    )
    # (c) nothing else happened on the way: no console error, no request off the page's origin
    assert not h.errors, h.errors
    foreign = [u for u in h.requests if not u.startswith(h.origin)]
    assert not foreign, foreign
    assert {u.removeprefix(h.origin) for u in h.requests} == {
        "/index.html",
        "/" + SCRIPT,
        "/" + STYLE,
    }


@pytest.mark.parametrize(
    ("attrs", "want"),
    [
        (' data-kappa="100" data-preset="nag"', {"kappa": 100.0, **_nag_opt(100.0)}),
        (' data-kappa="20" data-preset="heavy_ball"', {"kappa": 20.0, **_polyak_opt(20.0)}),
        (
            ' data-problem="rosenbrock" data-lr="2" data-momentum="0.5" data-methods="nag gd"',
            {
                "problem": "rosenbrock",
                "lr": 2.0,
                "momentum": 0.5,
                "methods": {"gd": True, "heavy_ball": False, "nag": True},
            },
        ),
    ],
)
def test_data_attributes_set_the_opening_view(
    open_harness: Any, tmp_path: Path, attrs: str, want: dict[str, Any]
) -> None:
    h = open_harness(_harness(tmp_path / "site", attrs=attrs))
    opening = Step(f"opened with{attrs}", (), want)
    found = compare_momentum_explorer(h.page, h.box, (opening,))
    assert not found.problems, "\n".join(found.problems)
    assert not h.errors, h.errors


def test_the_global_run_function_gives_the_same_iterates(open_harness: Any, tmp_path: Path) -> None:
    h = open_harness(_harness(tmp_path / "site"))
    for setting in (("quadratic", 1.2, 0.8, 30.0), ("rosenbrock", 4.0, 0.9, 1.0)):
        got = h.page.evaluate("s => window.nagLiveMomentum.run(...s)", list(setting))
        ref = chapter3_iterates(*setting)
        out = Comparison()
        for method in ("gd", "heavy_ball", "nag"):
            _compare_iterates(str(setting), method, _decode(got[method]), ref[method], out)
        assert not out.problems, out.problems


def test_a_copy_with_nags_sign_flipped_fails_the_comparison(
    open_harness: Any, tmp_path: Path
) -> None:
    source = (STATIC / SCRIPT).read_text(encoding="utf-8")
    assert source.count(NAG_LOOKAHEAD) == 1
    broken = source.replace(NAG_LOOKAHEAD, NAG_LOOKAHEAD.replace("+ beta", "- beta"))
    h = open_harness(_harness(tmp_path / "broken", broken))
    found = compare_momentum_explorer(h.page, h.box)
    assert found.problems, "the comparison passed on a broken NAG"
    assert all("nag differs" in p or "nag is non-finite" in p for p in found.problems), (
        found.problems
    )


def test_the_controls_are_named_labelled_and_reachable_by_keyboard(
    open_harness: Any, tmp_path: Path
) -> None:
    h = open_harness(_harness(tmp_path / "site"))
    box = h.box
    for role, names in {
        "slider": ["learning rate", "momentum", "condition number"],
        "spinbutton": ["learning rate", "momentum", "condition number"],
        "combobox": ["problem"],
        "checkbox": ["gradient descent", "heavy ball", "NAG"],
        "button": ["Optimal for NAG", "Optimal for heavy ball"],
    }.items():
        for name in names:
            assert box.get_by_role(role, name=re.compile("^" + name)).count() == 1, (role, name)
    # every drawing is an image with a description that states the setting
    labels = box.locator("svg.nag-live-plot").evaluate_all(
        "els => els.map(e => [e.getAttribute('role'), e.getAttribute('aria-label')])"
    )
    assert len(labels) == 3
    assert all(role == "img" and "κ = 50" in label for role, label in labels[:2]), labels
    live = box.locator("[aria-live=polite]")
    assert live.count() == 1 and "NAG" in live.inner_text()
    # Tab walks from the link before the explorer through its controls to the link after it
    h.page.focus("#before")
    visited = []
    for _ in range(30):
        h.page.keyboard.press("Tab")
        now = h.page.evaluate("document.activeElement.id")
        if now == "after":
            break
        visited.append(now)
    assert now == "after", visited
    assert len(visited) == 3 * 2 + 1 + 3 + 2  # sliders and fields, menu, boxes, buttons


# Text colour against the first opaque background behind it, for every text node of the
# explorer (HTML and SVG text alike).
_CONTRAST_JS = """box => {
  const lum = c => {
    const v = c.match(/[\\d.]+/g).slice(0, 3).map(x => +x / 255)
      .map(x => x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4));
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
  };
  const background = e => {
    for (; e; e = e.parentElement) {
      const c = getComputedStyle(e).backgroundColor;
      const a = c.match(/[\\d.]+/g);
      if (a && (a.length < 4 || +a[3] > 0.99)) { return c; }
    }
    return 'rgb(255, 255, 255)';
  };
  const out = [];
  const walk = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const e = n.parentElement;
    if (!n.textContent.trim() || !e.getClientRects().length) { continue; }
    const s = getComputedStyle(e);
    const fg = e instanceof SVGElement ? s.fill : s.color;
    const a = lum(fg), b = lum(background(e));
    out.push({text: n.textContent.trim().slice(0, 30), ratio:
      (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)});
  }
  return out;
}"""


def test_every_text_of_the_explorer_has_contrast_at_least_4_5(
    open_harness: Any, tmp_path: Path
) -> None:
    h = open_harness(_harness(tmp_path / "site"))
    found = h.box.evaluate(_CONTRAST_JS)
    assert len(found) > 20
    low = [f for f in found if f["ratio"] < 4.5]
    assert not low, low


def test_on_a_390_px_phone_every_text_is_at_least_11_px_and_the_page_does_not_scroll_sideways(
    open_harness: Any, tmp_path: Path
) -> None:
    from tests.test_live_adam import PHONE, phone_problems

    h = open_harness(_harness(tmp_path / "site"), PHONE)
    assert h.page.evaluate("window.innerWidth") == PHONE[0]
    h.page.wait_for_timeout(100)  # the resize observer's first fit
    assert not phone_problems(h.page, h.box), phone_problems(h.page, h.box)
    opening = Step("as opened on a phone", (), {**OPENING, "methods": ALL_ON})
    found = compare_momentum_explorer(h.page, h.box, (opening,))
    assert not found.problems, "\n".join(found.problems)
    assert found.entries == 3 * 151 * 2 and found.exact == found.entries
    # a narrower phone still gets readable text (the panels shrink, their text does not)
    h.page.set_viewport_size({"width": 320, "height": PHONE[1]})
    h.page.wait_for_timeout(200)
    assert not phone_problems(h.page, h.box), phone_problems(h.page, h.box)
    assert not h.errors, h.errors
