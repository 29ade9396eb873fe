"""`make lab` gives a reader live explorers: JupyterLab, started by that very target on a copy of
chapter 3, runs the chapter in headless Chromium; the live slider opens on the same setting as
the static twin below it, and moving it with the keyboard redraws the figure.

The server is the one ``make lab`` starts (the Makefile's own recipe, with its exported
variables and the ones it removes), on 127.0.0.1, a free port and a token chosen here
(``LAB_DIR``, ``LAB_ARGS`` and ``$JUPYTER_TOKEN``); Jupyter's configuration, data, runtime and
workspace folders are temporary, so nothing is read from or written to the user's. Needs
a Chromium (found by ``tests.browser_setup``) and about 25 s, most of it the chapter's
experiment; on failure a screenshot and the server's log go to ``test-artifacts/``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.site_check import ARTIFACTS, CHROMIUM_ARGS, ROOT, chromium_path

pytestmark = [pytest.mark.browser, pytest.mark.lab]

NOTEBOOK = "03-momentum-nesterov.ipynb"
START_S = 90  # the server answering
RUN_S = 240  # the whole chapter run, on a busy 2-core machine (about 15 s alone)
REDRAW_S = 60  # one new figure after the slider moved (well under a second alone)
FALLBACK = "open this notebook in JupyterLab"  # what show_live prints when headless
KERNEL_READY = re.compile(r"^(?!No Kernel).+ \| Idle$")  # the status bar's kernel item
# Front-end settings of the test's browser (not of the server that make lab starts): every cell
# stays in the page, so an output below the fold can be found; no news or update checks.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


@dataclass
class Lab:
    url: str
    token: str
    log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as err:
        return err.code
    except OSError:
        return 0


def _make_lab(lab_dir: Path, port: int) -> list[str]:
    """The ``make lab`` command line for ``lab_dir`` and ``port``, after checking with ``make -n``
    that it starts JupyterLab on loopback and nothing else.

    ``STAMP=`` drops the target's ``.venv`` prerequisite: this test already runs in that venv
    (``make test`` brings it up to date first), and a reinstall has no place in a browser test.
    """
    args = f"--no-browser --ServerApp.port={port} --ServerApp.port_retries=0"
    if os.geteuid() == 0:  # CI containers run as root, which Jupyter refuses unless told
        args += " --allow-root"
    cmd = [
        "make",
        "--no-print-directory",
        "lab",
        "STAMP=",
        f"LAB_DIR={lab_dir}",
        f"LAB_ARGS={args}",
    ]
    dry = subprocess.run(
        [*cmd[:2], "-n", *cmd[2:]], cwd=ROOT, capture_output=True, text=True, check=True
    )
    lines = dry.stdout.strip().splitlines()
    assert len(lines) == 1 and " lab " in lines[0], (
        f"make lab would run more than JupyterLab: {lines}"
    )
    words = shlex.split(lines[0])
    assert "--ServerApp.ip=127.0.0.1" in words, f"make lab must listen on loopback only: {lines[0]}"
    return cmd


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    """JupyterLab started by ``make lab`` on a temporary copy of the chapter; shut down after."""
    chapters = tmp_path / "chapters"
    chapters.mkdir()
    shutil.copy(ROOT / "chapters" / NOTEBOOK, chapters / NOTEBOOK)
    port, token = _free_port(), secrets.token_hex(16)
    jupyter = {
        "JUPYTER_CONFIG_DIR": "config",
        "JUPYTER_DATA_DIR": "data",
        "JUPYTER_RUNTIME_DIR": "runtime",
        "JUPYTERLAB_SETTINGS_DIR": "settings",
        "JUPYTERLAB_WORKSPACES_DIR": "workspaces",
        "IPYTHONDIR": "ipython",
    }
    for plugin, values in LAB_SETTINGS.items():
        path = tmp_path / "settings" / f"{plugin.replace(':', '/')}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    env = {**os.environ, **{k: str(tmp_path / v) for k, v in jupyter.items()}}
    env["JUPYTER_TOKEN"] = token
    log = tmp_path / "lab.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            _make_lab(chapters, port),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # make, the server and its kernels: one process group
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_S
        while _status(f"{url}/api/status?token={token}") != 200:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"make lab did not start JupyterLab:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield Lab(url, token, log)
    finally:
        with contextlib.suppress(OSError):
            request = urllib.request.Request(f"{url}/api/shutdown?token={token}", method="POST")
            urllib.request.urlopen(request, timeout=10).close()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)  # any kernel the shutdown left behind


# The live explorer's figure and its slider's readout (ipywidgets 8 in JupyterLab 4).
_LIVE_STATE_JS = """() => {
  const box = document.querySelector('.widget-interact');
  if (!box) { return null; }
  const img = box.querySelector('.widget-output img');
  const readout = box.querySelector('.widget-readout');
  return {src: img ? img.getAttribute('src') : null,
          readout: readout ? readout.textContent.trim() : null};
}"""


def _numbers(text: str) -> list[float]:
    """The numbers a readout shows: the slider's "0.90" and the twin's "0.9" are one setting."""
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text)]


def _menu(page: Any, menu: str, item: str) -> None:
    """Click ``item`` in JupyterLab's ``menu`` of the main menu bar."""
    page.locator(".lm-MenuBar-itemLabel").get_by_text(menu, exact=True).click()
    page.locator(".lm-Menu-itemLabel").get_by_text(item, exact=True).click()


def test_make_lab_runs_chapter_3_with_a_live_slider_that_redraws_the_figure(lab: Lab) -> None:
    from playwright.sync_api import sync_playwright

    assert _status(f"{lab.url}/api/contents") == 403, (
        "the server must refuse requests without the token"
    )
    started = time.monotonic()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path(),
            headless=True,
            args=[a for a in CHROMIUM_ARGS if a != "--headless"],  # headless=True passes it
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.route(lambda u: not u.startswith(lab.url + "/"), lambda route: route.abort())
        page = context.new_page()
        page.set_default_timeout(START_S * 1000)
        try:
            page.goto(f"{lab.url}/lab/tree/{NOTEBOOK}?token={lab.token}")
            # The kernel started and connected ("Python 3 (ipykernel) | Idle"), not before.
            page.locator(".jp-StatusBar-TextItem").filter(has_text=KERNEL_READY).wait_for()
            # The stored outputs go first: whatever appears next comes from this run.
            _menu(page, "Edit", "Clear Outputs of All Cells")
            _menu(page, "Run", "Run All Cells")
            live = page.locator(".widget-interact")
            fallback = page.get_by_text(FALLBACK)
            live.or_(fallback).first.wait_for(state="attached", timeout=RUN_S * 1000)
            assert fallback.count() == 0, (
                "the kernel ran headless: make lab must not pass NAG_BOOK_HEADLESS to it"
            )
            page.wait_for_function(
                f"() => {{ const s = ({_LIVE_STATE_JS})(); return s && s.src && s.readout; }}",
                timeout=RUN_S * 1000,
            )
            before = page.evaluate(_LIVE_STATE_JS)
            # The static twin of the same description, rendered below by the same run.
            twin = page.locator(".nag-explorer .nag-explorer-value").first
            twin.wait_for(state="attached", timeout=RUN_S * 1000)
            shown = _numbers(twin.text_content() or "")
            assert shown and _numbers(before["readout"]) == shown, (
                "the live slider must open on the static twin's setting",
                before["readout"],
                twin.text_content(),
            )
            handle = live.locator(".noUi-handle").first
            handle.focus()
            page.keyboard.press("ArrowRight")
            page.wait_for_function(
                f"(old) => {{ const s = ({_LIVE_STATE_JS})(); "
                "return s && s.src && s.src !== old; }",
                arg=before["src"],
                timeout=REDRAW_S * 1000,
            )
            after = page.evaluate(_LIVE_STATE_JS)
        except Exception:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(Exception):
                page.screenshot(path=str(ARTIFACTS / "lab-chapter-3.png"), full_page=True)
            shutil.copy(lab.log, ARTIFACTS / "lab-chapter-3.log")
            raise
        finally:
            browser.close()
    print(f"\nmake lab: chapter 3 run and slider moved in {time.monotonic() - started:.1f} s")
    assert after["readout"] != before["readout"], "the slider's readout did not move"
    assert after["src"].startswith("data:image/png;base64,") and after["src"] != before["src"]
    assert f"{lab.url}/lab" in lab.log.read_text(), "the server's own URL is on 127.0.0.1"
