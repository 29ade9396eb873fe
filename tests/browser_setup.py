"""Find the Chromium (or Chrome) that the browser tests drive, and install one if there is none.

``make browser``, ``make axe`` and so ``make test`` run ``python -m tests.browser_setup`` first.
The browser is, in this order:

1. ``$NAG_BOOK_CHROMIUM``, when set (it must name an executable file);
2. the Chromium that Playwright installed (``python -m playwright install chromium``);
3. the system's Chromium or Chrome: on the ``PATH`` (``chromium``, ``chromium-browser``,
   ``google-chrome``, ``google-chrome-stable``), then the usual Linux and macOS locations.

When none is found it installs one: Playwright's installer where the network allows, else
Debian's ``chromium`` package with ``apt-get`` when running as root on Debian. The Chinese pages
also need a CJK font (``fc-list :lang=zh``); on Debian as root ``fonts-noto-cjk`` is installed
when it is missing. When no install route works, it stops with one line saying what to run.
"""

from __future__ import annotations

import functools
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

#: Environment variable naming the browser executable; it is used first when set.
CHROMIUM_ENV = "NAG_BOOK_CHROMIUM"

#: Names looked up on the PATH, in order.
PATH_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

#: Where Linux distributions and macOS put Chromium or Chrome when the PATH does not say.
SYSTEM_PATHS = (
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/snap/bin/chromium",
    "/usr/bin/google-chrome",
    "/opt/google/chrome/chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
)

#: The one line printed when there is no browser and no way to install one here.
NO_BROWSER = (
    "no Chromium or Chrome found, and none could be installed: run "
    "`.venv/bin/python -m playwright install chromium` (needs the internet), or install your "
    "system's chromium package, or set NAG_BOOK_CHROMIUM=/path/to/chrome; then rerun make test"
)

#: The one line printed when the Chinese pages would have no font to draw with.
NO_CJK_FONT = (
    "no CJK font found (fc-list :lang=zh is empty), which the Chinese pages need: install "
    "Noto Sans CJK (Debian: apt-get install fonts-noto-cjk); then rerun make test"
)


def _executable(path: str | Path) -> bool:
    return Path(path).is_file() and os.access(path, os.X_OK)


def playwright_chromium() -> str | None:
    """The Chromium that Playwright installed, if it is there.

    Asked in a subprocess: Playwright's sync API cannot start inside another Playwright session,
    and the browser tests ask from within theirs.
    """
    code = (
        "from playwright.sync_api import sync_playwright\n"
        "with sync_playwright() as pw: print(pw.chromium.executable_path)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    path = done.stdout.strip()
    return path if done.returncode == 0 and path and _executable(path) else None


def system_chromium(
    which: Callable[[str], str | None] = shutil.which, paths: Sequence[str] = SYSTEM_PATHS
) -> str | None:
    """The system's Chromium or Chrome: on the PATH first, then in the usual places."""
    for name in PATH_NAMES:
        found = which(name)
        if found:
            return found
    return next((p for p in paths if _executable(p)), None)


def find_chromium(
    env: dict[str, str] | None = None,
    playwright: Callable[[], str | None] = playwright_chromium,
    system: Callable[[], str | None] = system_chromium,
) -> str | None:
    """The browser to drive, in the order of the module's docstring, or None.

    A ``$NAG_BOOK_CHROMIUM`` that names no executable is an error, not a reason to look further:
    the user asked for that browser.
    """
    env = os.environ.copy() if env is None else env
    chosen = env.get(CHROMIUM_ENV)
    if chosen:
        if not _executable(chosen):
            raise FileNotFoundError(f"{CHROMIUM_ENV}={chosen} is not an executable file")
        return chosen
    return playwright() or system()


@functools.cache
def chromium_path() -> str:
    """The browser the tests drive (see :func:`find_chromium`); fails with the one clear line."""
    found = find_chromium()
    if found is None:
        raise FileNotFoundError(NO_BROWSER)
    return found


def _debian_root() -> bool:
    return (
        platform.system() == "Linux"
        and Path("/etc/debian_version").is_file()
        and hasattr(os, "geteuid")
        and os.geteuid() == 0
        and shutil.which("apt-get") is not None
    )


def _run(cmd: list[str], timeout: float) -> bool:
    print("browser setup:", " ".join(cmd), flush=True)
    try:
        done = subprocess.run(cmd, timeout=timeout, check=False, stdout=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _apt_install(packages: list[str]) -> bool:
    env_cmd = ["env", "DEBIAN_FRONTEND=noninteractive"]
    return _run([*env_cmd, "apt-get", "update", "-qq"], 600) and _run(
        [*env_cmd, "apt-get", "install", "-y", "-qq", *packages], 1200
    )


def has_cjk_font() -> bool:
    """Whether fontconfig knows a font with Chinese glyphs (no fontconfig: assume the system
    draws CJK text, as macOS does)."""
    if shutil.which("fc-list") is None:
        return True
    out = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False)
    return bool(out.stdout.strip())


def ensure(
    find: Callable[[], str | None] = find_chromium,
    install_playwright: Callable[[], bool] = lambda: _run(
        [sys.executable, "-m", "playwright", "install", "chromium"], 600
    ),
    debian_root: Callable[[], bool] = _debian_root,
    apt_install: Callable[[list[str]], bool] = _apt_install,
    cjk_font: Callable[[], bool] = has_cjk_font,
) -> int:
    """Find or install a browser (and a CJK font); print what is used. Returns the exit status."""
    browser = find()
    if browser is None and not install_playwright():
        if debian_root():
            apt_install(["chromium"])
    browser = browser or find()
    if browser is None:
        print(NO_BROWSER, file=sys.stderr)
        return 1
    if not cjk_font() and not (debian_root() and apt_install(["fonts-noto-cjk"]) and cjk_font()):
        print(NO_CJK_FONT, file=sys.stderr)
        return 1
    print(f"browser: {browser}")
    return 0


if __name__ == "__main__":
    sys.exit(ensure())
