"""Open every page of the built site in a real browser and list what is wrong with it.

Used by ``tests/test_site_browser.py`` on ``_build/html`` (or ``$NAG_BOOK_SITE``), and on a
deliberately broken copy of it to prove that the sweep catches a CDN asset and a broken image.

For each page, served from ``127.0.0.1`` by :func:`serve`, :func:`sweep_site` checks that

* every request the page makes is answered with HTTP 200, and none goes to another origin
  (such requests are aborted before they leave the machine, and reported);
* the browser console shows no error and no script throws;
* every ``<img>`` loads with a non-zero natural width;
* math is typeset: no raw ``$…$``, ``$$``, ``\\(`` or ``\\[`` is left in the visible text, a page
  with math elements holds MathJax's ``mjx-container`` output, and MathJax reports no error;
* every explorer slider (``input.nag-explorer-slider``) changes the displayed frame, both with
  the keyboard and when its value is set and an ``input`` event fires;
* a page marked Chinese (``lang="zh-CN"``) draws its CJK text with a system font, and no page
  fetches a web font other than the theme's icons and MathJax's own;
* no displayed code cell contains ``glue(`` bookkeeping or scrolls sideways at 1280 pixels;
* exercise solutions are folded until the reader clicks their title, and then open;
* the "next" (and "previous") links follow the order of ``_toc.yml``.

A page with a problem is saved as a full-page screenshot under ``test-artifacts/``.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import yaml

from tests.browser_setup import chromium_path

ROOT = Path(__file__).resolve().parents[1]
#: Environment variable naming the built site to check (default ``_build/html``).
SITE_ENV = "NAG_BOOK_SITE"
ARTIFACTS = ROOT / "test-artifacts"
# Without the background-networking flags Chromium contacts Google hosts on its own.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
_NOT_PAGES = ("_static/", "_sources/", "_images/", "_downloads/", "jupyter_execute/")

# Runs in the page: waits until MathJax has typeset and every image has loaded or failed.
_SETTLE_JS = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  if (document.fonts && document.fonts.ready) { await document.fonts.ready; }
  const imgs = Array.from(document.images);
  imgs.forEach(i => { if (i.loading === 'lazy') { i.loading = 'eager'; } });
  await Promise.all(imgs.map(i => i.complete ? null :
    new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })));
  return true;
}"""

_IMAGES_JS = """() => Array.from(document.images)
  .filter(i => !i.complete || i.naturalWidth === 0)
  .map(i => (i.getAttribute('src') || '').slice(0, 120))"""

# Visible text outside code, with MathJax's own output removed, plus the math counts.
_MATH_JS = """() => {
  const root = document.querySelector('main') || document.body;
  const clone = root.cloneNode(true);
  clone.querySelectorAll('pre, code, kbd, samp, script, style, textarea, mjx-container, '
    + 'mjx-assistive-mml, .highlight, [aria-hidden="true"]').forEach(e => e.remove());
  return {
    text: clone.textContent,
    math: document.querySelectorAll('.math').length,
    typeset: document.querySelectorAll('mjx-container').length,
    errors: Array.from(document.querySelectorAll('mjx-merror'))
      .map(e => (e.getAttribute('data-mjx-error') || e.textContent).slice(0, 80)),
  };
}"""
_RAW_TEX = re.compile(
    r"\\\(|\\\[|\$\$|\\begin\{|(?<![\w$\\])\$(?=[^\s$])[^$\n]{1,200}?(?<=[^\s$\\])\$(?![\w$])"
)

# Sets one slider to each of its values in turn, firing 'input' each time; returns every frame
# shown (its src and natural width once decoded).
_SWEEP_SLIDER_JS = """async (id) => {
  const r = document.getElementById(id);
  const box = r.closest('.nag-explorer') || r.parentElement;
  const img = box.querySelector('img');
  const shown = [];
  for (let v = +r.min; v <= +r.max; v += 1) {
    r.value = String(v);
    r.dispatchEvent(new Event('input', {bubbles: true}));
    if (img) { try { await img.decode(); } catch (e) { } }
    shown.push({value: v, src: img ? img.src : null, width: img ? img.naturalWidth : 0});
  }
  return shown;
}"""

# Heights of the bodies of the exercise solutions (folded: 0) and how many there are.
# On a Chinese page: are CJK characters drawn by a real font? Without one, Chromium draws every
# character as the same empty box (the glyph of an unassigned code point).
_CJK_JS = """() => {
  const el = document.querySelector('main p') || document.body;
  const family = getComputedStyle(el).fontFamily;
  const canvas = document.createElement('canvas');
  canvas.width = 48; canvas.height = 48;
  const ctx = canvas.getContext('2d');
  const shape = ch => {
    ctx.clearRect(0, 0, 48, 48); ctx.font = '32px ' + family; ctx.fillText(ch, 4, 36);
    return Array.from(ctx.getImageData(0, 0, 48, 48).data).join(',');
  };
  const a = shape('梯'), b = shape('度'), none = shape(String.fromCodePoint(0x10FFFD));
  return {lang: document.documentElement.lang, rendered: a !== b && a !== none && b !== none};
}"""
#: Font files a page may load: the theme's icon font and MathJax's own fonts, from this site.
#: Anything else (a CJK web font, say) is a web font the pages should not need.
_ALLOWED_FONTS = ("/_static/vendor/fontawesome/", "/_static/mathjax/")
_FONT_FILE = re.compile(r"\.(woff2?|ttf|otf|eot)$", re.I)

# Every code cell the page shows (folded ones included): its text and whether it scrolls sideways.
_CODE_JS = """() => Array.from(document.querySelectorAll('div.cell_input pre')).map(p => ({
  text: p.textContent,
  overflow: p.offsetWidth > 0 && p.scrollWidth > p.clientWidth + 1,
}))"""

_SOLUTIONS_JS = """() => Array.from(document.querySelectorAll('.solution')).map(s =>
  Array.from(s.children).filter(c => !c.classList.contains('admonition-title'))
    .reduce((h, c) => h + c.offsetHeight, 0))"""

_SLIDER_STATE_JS = """(id) => {
  const r = document.getElementById(id);
  const box = r.closest('.nag-explorer') || r.parentElement;
  const img = box.querySelector('img');
  return {value: +r.value, min: +r.min, max: +r.max, src: img ? img.src : null,
          label: (box.querySelector('output, .nag-explorer-value') || {}).textContent || ''};
}"""


@dataclass
class PageResult:
    """What the sweep found on one page."""

    path: str
    load_s: float = 0.0
    requests: int = 0
    problems: list[str] = field(default_factory=list)
    phone: str | None = None  # set when the page scrolls sideways on a phone (see phone_overflow)


@dataclass
class SiteReport:
    """The sweep over a site: one :class:`PageResult` per page, in the order visited."""

    pages: list[PageResult]
    total_s: float

    @property
    def problems(self) -> list[str]:
        """Every problem, prefixed with its page."""
        return [f"{p.path}: {msg}" for p in self.pages for msg in p.problems]

    @property
    def slowest(self) -> PageResult:
        """The page that took longest to load and settle."""
        return max(self.pages, key=lambda p: p.load_s)


def site_dir() -> Path:
    """The built site to check: ``$NAG_BOOK_SITE`` or ``_build/html``."""
    return Path(os.environ.get(SITE_ENV) or ROOT / "_build" / "html")


def launch_chromium(pw: Any) -> Any:
    """Headless Chromium (:func:`tests.browser_setup.chromium_path`) through a running
    Playwright ``pw``, with the book's flags."""
    exe = chromium_path()
    return pw.chromium.launch(
        executable_path=exe,
        headless=True,
        args=[a for a in CHROMIUM_ARGS if a != "--headless"],
    )


def html_pages(html_dir: Path) -> list[str]:
    """Every HTML page of the site (not the theme's or Sphinx's asset folders), as posix paths."""
    pages = [p.relative_to(html_dir).as_posix() for p in sorted(html_dir.rglob("*.html"))]
    return [p for p in pages if not p.startswith(_NOT_PAGES)]


def toc_pages(root: Path = ROOT) -> list[str]:
    """The pages in reading order (``_toc.yml``), as paths of their HTML files."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    order = [toc["root"]]

    def walk(entries: Sequence[dict[str, Any]]) -> None:
        for entry in entries:
            if "file" in entry:
                order.append(entry["file"])
            walk(entry.get("sections", []))
            for part in entry.get("parts", []):
                walk(part.get("chapters", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    walk(toc.get("chapters", []))
    return [re.sub(r"\.(md|ipynb|rst)$", "", f) + ".html" for f in order]


class _QuietHandler(SimpleHTTPRequestHandler):
    """Static files without log lines. Pages are never cached; the theme's and MathJax's assets
    may be, for the sweep's duration (as a reader's browser would), and never revalidated, so
    every response the browser sees has status 200 (no 304)."""

    def send_head(self) -> Any:
        del self.headers["If-Modified-Since"]
        return super().send_head()

    def end_headers(self) -> None:
        cached = self.path.startswith(("/_static/", "/_images/"))
        self.send_header("Cache-Control", "max-age=600" if cached else "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve(html_dir: Path) -> Iterator[str]:
    """Serve ``html_dir`` on 127.0.0.1 at a free port in a thread; yields the origin URL."""
    handler = partial(_QuietHandler, directory=str(html_dir))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _local(url: str, origin: str) -> bool:
    return url.startswith(("data:", "blob:", "about:")) or _origin(url) == origin


#: A phone's window in CSS pixels (390 x 844): no page may scroll sideways in it.
PHONE = {"width": 390, "height": 844}
#: The sweep's desktop window.
DESKTOP = {"width": 1280, "height": 900}

# The page's own width against the window's; an overflowing element's ancestors must all let it
# overflow (a box that scrolls or clips by itself does not widen the page).
SIDEWAYS_JS = """() => {
  const W = document.documentElement.clientWidth, found = [];
  for (const el of document.querySelectorAll('main *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= W + 1) continue;
    let a = el.parentElement, inside = false;
    while (a) { if (getComputedStyle(a).overflowX !== 'visible') { inside = true; break; }
                a = a.parentElement; }
    if (!inside) found.push(el.tagName.toLowerCase() + '.' + el.className);
  }
  return {scroll: document.documentElement.scrollWidth, width: W, found: found.slice(0, 3)};
}"""


def phone_overflow(page: Any, path: str) -> str | None:
    """Resize ``page`` (loaded and typeset) to :data:`PHONE` and report it if it scrolls sideways
    there, naming the elements that widen it; the window is back to :data:`DESKTOP` after. Two
    animation frames let the explorers redraw for the new width, as they do on ``resize``."""
    page.set_viewport_size(PHONE)
    try:
        page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        info = page.evaluate(SIDEWAYS_JS)
    finally:
        page.set_viewport_size(DESKTOP)
    if info["scroll"] <= info["width"]:
        return None
    return (
        f"{path}: {info['scroll']} px wide in a {info['width']} px window "
        f"({', '.join(info['found'])})"
    )


def sweep_site(
    html_dir: Path,
    pages: Sequence[str] | None = None,
    toc: Sequence[str] | None = None,
    artifacts: Path | None = ARTIFACTS,
    chromium: str | None = None,
    timeout_s: float = 30.0,
    workers: int = 1,
) -> SiteReport:
    """Visit ``pages`` (default: every page of ``html_dir``) in headless Chromium and check each.

    ``toc`` is the reading order used for the next/previous links (default: ``_toc.yml``);
    screenshots of pages with problems go to ``artifacts`` (``None``: no screenshots);
    ``workers`` browsers share the pages (one by default: on a loaded 2-core machine a second
    one did not shorten the sweep, and it doubles each page's measured load time).
    """
    html_dir = Path(html_dir)
    if not (html_dir / "intro.html").is_file() and not (html_dir / "index.html").is_file():
        raise FileNotFoundError(f"no built site in {html_dir}: run make book first")
    exe = chromium or chromium_path()
    if not Path(exe).is_file():
        raise FileNotFoundError(f"no Chromium at {exe}: install Debian's chromium package")
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive int, got {workers!r}")
    todo = list(pages) if pages is not None else html_pages(html_dir)
    order = list(toc) if toc is not None else toc_pages()
    start = time.perf_counter()
    with serve(html_dir) as origin:
        shares = [todo[i::workers] for i in range(min(workers, len(todo)))]
        if len(shares) <= 1:
            done = [_sweep_share(origin, html_dir, todo, order, artifacts, exe, timeout_s)]
        else:
            with ThreadPoolExecutor(len(shares)) as pool:
                jobs = [
                    pool.submit(
                        _sweep_share, origin, html_dir, share, order, artifacts, exe, timeout_s
                    )
                    for share in shares
                ]
                done = [job.result() for job in jobs]
    found = {result.path: result for share in done for result in share}
    return SiteReport([found[path] for path in todo], time.perf_counter() - start)


def _sweep_share(
    origin: str,
    html_dir: Path,
    pages: Sequence[str],
    order: Sequence[str],
    artifacts: Path | None,
    exe: str,
    timeout_s: float,
) -> list[PageResult]:
    """Check ``pages`` one after the other in one fresh browser (one per thread: Playwright's
    sync API must not be shared between threads)."""
    from playwright.sync_api import sync_playwright

    results: list[PageResult] = []
    with (
        sync_playwright() as pw,
        tempfile.TemporaryDirectory(prefix="nag-book-chromium-") as profile,
    ):
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=exe,
            headless=True,
            args=[a for a in CHROMIUM_ARGS if a != "--headless"],  # headless=True passes it
            viewport=DESKTOP,
            service_workers="block",
        )
        blocked: list[str] = []

        def block(route: Any) -> None:
            blocked.append(route.request.url)
            route.abort()

        context.route(lambda url: not _local(url, origin), block)
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(timeout_s * 1000)
            for path in pages:
                blocked.clear()
                results.append(_check_page(page, origin, html_dir, path, order, blocked))
                if results[-1].problems and artifacts is not None:
                    artifacts.mkdir(parents=True, exist_ok=True)
                    shot = artifacts / (path.replace("/", "__") + ".png")
                    with contextlib.suppress(Exception):
                        page.screenshot(path=str(shot), full_page=True)
                source = (html_dir / path).read_text(encoding="utf-8").lower()
                if 'http-equiv="refresh"' not in source:  # a redirect stub is not a page
                    results[-1].phone = phone_overflow(page, path)
        finally:
            context.close()
    return results


def check_site(html_dir: Path, **kwargs: Any) -> list[str]:
    """The problems :func:`sweep_site` finds on the site in ``html_dir`` (empty: all good)."""
    return sweep_site(html_dir, **kwargs).problems


def _check_page(
    page: Any, origin: str, html_dir: Path, path: str, order: Sequence[str], blocked: list[str]
) -> PageResult:
    result = PageResult(path)
    problems = result.problems
    seen: list[str] = []

    def on_request(req: Any) -> None:
        seen.append(req.url)
        if not _local(req.url, origin):
            problems.append(f"request to another origin: {req.url}")
        path = urlsplit(req.url).path
        if _FONT_FILE.search(path) and not path.startswith(_ALLOWED_FONTS):
            problems.append(f"web font fetched: {path}")

    def on_response(resp: Any) -> None:
        if not resp.url.startswith("data:") and resp.status != 200:
            problems.append(f"HTTP {resp.status} for {resp.url.removeprefix(origin)}")

    def on_failed(req: Any) -> None:
        if _local(req.url, origin) and not req.url.startswith("data:"):
            problems.append(f"request failed ({req.failure}): {req.url.removeprefix(origin)}")

    def on_console(msg: Any) -> None:
        if msg.type == "error":
            problems.append(f"console error: {msg.text[:300]}")

    def on_pageerror(err: Any) -> None:
        problems.append(f"uncaught script error: {str(err)[:300]}")

    handlers = {
        "request": on_request,
        "response": on_response,
        "requestfailed": on_failed,
        "console": on_console,
        "pageerror": on_pageerror,
    }
    for event, fn in handlers.items():
        page.on(event, fn)
    try:
        url = f"{origin}/{path}"
        t0 = time.perf_counter()
        response = page.goto(url, wait_until="load")
        if response is None or response.status != 200:
            problems.append(f"page answered HTTP {getattr(response, 'status', None)}")
        source = (html_dir / path).read_text(encoding="utf-8", errors="replace")
        refresh = re.search(r'http-equiv="refresh"[^>]*url=([^"]+)"', source, re.I)
        if refresh:  # a redirect stub (index.html): it must land on an existing page
            target = urljoin(url, refresh.group(1).strip())
            page.wait_for_url(target)
            page.wait_for_load_state("load")
        page.evaluate(_SETTLE_JS)
        result.load_s = time.perf_counter() - t0
        if not refresh:
            _check_images(page, problems)
            _check_math(page, problems)
            _check_explorers(page, problems)
            _check_solutions(page, problems)
            _check_code(page, problems)
            _check_cjk(page, problems)
            _check_navigation(page, url, origin, path, order, problems)
        page.wait_for_timeout(50)  # let late console messages arrive
    except Exception as exc:  # a timeout or a crashed page is a problem, not a test error
        problems.append(f"could not check the page: {type(exc).__name__}: {str(exc)[:300]}")
    finally:
        for event, fn in handlers.items():
            page.remove_listener(event, fn)
    problems.extend(f"blocked request to another origin: {u}" for u in blocked if u not in seen)
    result.requests = len(seen)
    return result


def _check_images(page: Any, problems: list[str]) -> None:
    for src in page.evaluate(_IMAGES_JS):
        problems.append(f"image did not load (naturalWidth 0): {src!r}")


def _check_math(page: Any, problems: list[str]) -> None:
    info = page.evaluate(_MATH_JS)
    for match in list(_RAW_TEX.finditer(info["text"]))[:5]:
        lo, hi = max(0, match.start() - 30), match.end() + 30
        problems.append(f"raw TeX left in the text: {info['text'][lo:hi]!r}")
    if info["math"] and info["typeset"] < info["math"]:
        problems.append(
            f"math not typeset: {info['math']} math elements, "
            f"{info['typeset']} MathJax mjx-container elements"
        )
    for err in info["errors"]:
        problems.append(f"MathJax error: {err}")


def _check_explorers(page: Any, problems: list[str]) -> None:
    ids = page.eval_on_selector_all(
        "input.nag-explorer-slider", "els => els.map((e, i) => e.id || (e.id = 'nag-slider-' + i))"
    )
    for sid in ids:
        state = page.evaluate(_SLIDER_STATE_JS, sid)
        if state["src"] is None:
            problems.append(f"explorer {sid}: no <img> next to the slider")
            continue
        # Keyboard: the slider must move with the arrow keys and swap the frame.
        key = "ArrowLeft" if state["value"] >= state["max"] else "ArrowRight"
        page.focus(f"#{sid}")
        page.keyboard.press(key)
        moved = page.evaluate(_SLIDER_STATE_JS, sid)
        if moved["value"] == state["value"] or moved["src"] == state["src"]:
            problems.append(f"explorer {sid}: {key} did not change the displayed frame")
        if moved["label"] == state["label"] and state["label"]:
            problems.append(f"explorer {sid}: {key} did not change the value shown")
        # Programmatic: every value shows a frame that loads, and the frames differ.
        shown = page.evaluate(_SWEEP_SLIDER_JS, sid)
        for frame in shown:
            if not frame["width"]:
                problems.append(f"explorer {sid}: frame {frame['value']} did not load")
        if len({frame["src"] for frame in shown}) < 2:
            problems.append(f"explorer {sid}: setting the value + 'input' never changed the frame")


def _check_cjk(page: Any, problems: list[str]) -> None:
    """On a page marked Chinese, CJK text must be drawn by a system font, not as empty boxes."""
    info = page.evaluate(_CJK_JS)
    if info["lang"].startswith("zh") and not info["rendered"]:
        problems.append(
            "CJK text is drawn as empty boxes: no system CJK font (install fonts-noto-cjk)"
        )


def _check_code(page: Any, problems: list[str]) -> None:
    """A displayed code cell shows the experiment: no glue bookkeeping, no sideways scrolling."""
    for i, cell in enumerate(page.evaluate(_CODE_JS)):
        first = cell["text"].strip().splitlines()[:1]
        if "glue(" in cell["text"]:
            problems.append(f"code cell {i} shows glue bookkeeping: {first}")
        if cell["overflow"]:
            problems.append(f"code cell {i} scrolls sideways (a line is too long): {first}")


def _check_solutions(page: Any, problems: list[str]) -> None:
    heights = page.evaluate(_SOLUTIONS_JS)
    shown = [i for i, h in enumerate(heights) if h > 0]
    if shown:
        problems.append(f"exercise solutions {shown} are shown before the reader opens them")
    if heights and not shown:  # open the first one as a reader would
        page.locator(".solution .admonition-title").first.click()
        page.wait_for_timeout(100)
        if page.evaluate(_SOLUTIONS_JS)[0] == 0:
            problems.append("clicking a solution's title does not reveal it")


def _check_navigation(
    page: Any, url: str, origin: str, path: str, order: Sequence[str], problems: list[str]
) -> None:
    if path not in order:
        return
    i = order.index(path)
    for selector, j, word in (("a.right-next", i + 1, "next"), ("a.left-prev", i - 1, "previous")):
        hrefs = page.eval_on_selector_all(selector, "els => els.map(a => a.href)")
        want = f"{origin}/{order[j]}" if 0 <= j < len(order) else None
        got = urljoin(url, hrefs[0]).split("#")[0] if hrefs else None
        if got != want:
            show = got.removeprefix(origin + "/") if got else None
            problems.append(f"'{word}' link goes to {show}, expected {order[j] if want else None}")


# ---- Static checks over the HTML files (no browser) -------------------------------------------


@dataclass
class PageSource:
    """What one HTML file declares: its ids, the URLs it refers to, its images and headings."""

    path: str
    ids: set[str] = field(default_factory=set)
    #: (tag, attribute, URL) for every href/src
    refs: list[tuple[str, str, str]] = field(default_factory=list)
    #: (src, alt or None) for every <img>
    images: list[tuple[str, str | None]] = field(default_factory=list)
    #: (level, text) for every <h1>..<h6>, in document order
    headings: list[tuple[int, str]] = field(default_factory=list)
    #: (description, id, has its own accessible name) for every form control
    controls: list[tuple[str, str, bool]] = field(default_factory=list)
    #: ids named by a <label for=...>
    label_for: set[str] = field(default_factory=set)


class _SourceParser(HTMLParser):
    def __init__(self, page: PageSource) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self._heading: list[str] | None = None
        self._level = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("id", "name") if tag in ("a", "span", "div", "section") else ("id",):
            if a.get(key):
                self.page.ids.add(str(a[key]))
        for key in ("href", "src"):
            if a.get(key) is not None:
                self.page.refs.append((tag, key, str(a[key])))
        if tag == "img":
            self.page.images.append((str(a.get("src") or ""), a.get("alt")))
        if tag == "label" and a.get("for"):
            self.page.label_for.add(str(a["for"]))
        kind = str(a.get("type") or "text")
        if tag in ("select", "textarea") or (
            tag == "input" and kind not in ("hidden", "submit", "button", "reset", "image")
        ):
            named = any(a.get(k) for k in ("aria-label", "aria-labelledby", "title"))
            desc = f"<{tag} type={kind} class={a.get('class') or ''}>"
            self.page.controls.append((desc, str(a.get("id") or ""), named))
        if re.fullmatch(r"h[1-6]", tag):
            self._heading, self._level = [], int(tag[1])

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._heading is not None and tag == f"h{self._level}":
            text = " ".join("".join(self._heading).split()).rstrip("#").strip()
            self.page.headings.append((self._level, text))
            self._heading = None


def read_page(html_dir: Path, path: str) -> PageSource:
    """Parse ``html_dir / path`` into a :class:`PageSource`."""
    page = PageSource(path)
    parser = _SourceParser(page)
    parser.feed((html_dir / path).read_text(encoding="utf-8", errors="replace"))
    parser.close()
    return page
