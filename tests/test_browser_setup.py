"""tests.browser_setup: the browser is found in the documented order ($NAG_BOOK_CHROMIUM, then
Playwright's, then the system's), installed when missing (Playwright's installer, else apt-get on
Debian as root), and when nothing works the run stops with one line saying what to run."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests import browser_setup as bs
from tests.notebooks import ROOT
from tests.test_notebook_policy import make_dry_run


def _exe(tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_the_environment_variable_comes_first(tmp_path: Path) -> None:
    mine = _exe(tmp_path, "my-chrome")
    found = bs.find_chromium({bs.CHROMIUM_ENV: mine}, lambda: "/pw/chrome", lambda: "/usr/bin/x")
    assert found == mine


def test_an_environment_variable_naming_no_executable_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=bs.CHROMIUM_ENV):
        bs.find_chromium({bs.CHROMIUM_ENV: str(tmp_path / "absent")}, lambda: None, lambda: None)


def test_playwrights_browser_comes_before_the_systems() -> None:
    assert bs.find_chromium({}, lambda: "/pw/chrome", lambda: "/usr/bin/chromium") == "/pw/chrome"
    assert bs.find_chromium({}, lambda: None, lambda: "/usr/bin/chromium") == "/usr/bin/chromium"
    assert bs.find_chromium({}, lambda: None, lambda: None) is None


def test_the_system_browser_is_looked_up_on_the_path_then_in_the_usual_places(
    tmp_path: Path,
) -> None:
    on_path = {"google-chrome": "/somewhere/google-chrome"}
    assert bs.system_chromium(on_path.get, []) == "/somewhere/google-chrome"
    first = {"chromium": "/a/chromium", "google-chrome": "/b/google-chrome"}
    assert bs.system_chromium(first.get, []) == "/a/chromium"  # the PATH names' order
    mac = _exe(tmp_path, "Google Chrome")
    assert bs.system_chromium(lambda _: None, [str(tmp_path / "absent"), mac]) == mac
    assert bs.system_chromium(lambda _: None, [str(tmp_path / "absent")]) is None
    assert any(p.startswith("/Applications/") for p in bs.SYSTEM_PATHS)  # macOS
    assert "/usr/bin/chromium" in bs.SYSTEM_PATHS  # Debian


def _ensure(
    found: list[str | None], *, playwright_ok: bool, debian: bool, font: bool
) -> tuple[int, list[str]]:
    calls: list[str] = []
    answers = iter(found)

    def apt(packages: list[str]) -> bool:
        calls.append("apt " + " ".join(packages))
        return True

    def install() -> bool:
        calls.append("playwright")
        return playwright_ok

    status = bs.ensure(
        find=lambda: next(answers),
        install_playwright=install,
        debian_root=lambda: debian,
        apt_install=apt,
        cjk_font=lambda: font or any(c.endswith("fonts-noto-cjk") for c in calls),
    )
    return status, calls


def test_a_found_browser_installs_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert _ensure(["/usr/bin/chromium"], playwright_ok=False, debian=True, font=True) == (0, [])
    assert capsys.readouterr().out == "browser: /usr/bin/chromium\n"


def test_playwrights_installer_is_tried_first_then_apt_get_on_debian_as_root() -> None:
    status, calls = _ensure([None, "/pw/chrome"], playwright_ok=True, debian=True, font=True)
    assert (status, calls) == (0, ["playwright"])
    status, calls = _ensure(
        [None, "/usr/bin/chromium"], playwright_ok=False, debian=True, font=True
    )
    assert (status, calls) == (0, ["playwright", "apt chromium"])


def test_a_missing_cjk_font_is_installed_on_debian_as_root() -> None:
    status, calls = _ensure(["/usr/bin/chromium"], playwright_ok=False, debian=True, font=False)
    assert (status, calls) == (0, ["apt fonts-noto-cjk"])


def test_with_no_install_route_the_run_stops_with_one_clear_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, calls = _ensure([None, None], playwright_ok=False, debian=False, font=True)
    assert (status, calls) == (1, ["playwright"])
    err = capsys.readouterr().err
    assert err == bs.NO_BROWSER + "\n" and "playwright install chromium" in err
    status, _ = _ensure(["/usr/bin/chromium"], playwright_ok=False, debian=False, font=False)
    assert status == 1 and capsys.readouterr().err == bs.NO_CJK_FONT + "\n"


def test_the_browser_targets_set_up_the_browser_first() -> None:
    for target in ("browser", "axe"):
        lines = make_dry_run("-o", "book", target)
        setup = [i for i, line in enumerate(lines) if "-m tests.browser_setup" in line]
        tests = [i for i, line in enumerate(lines) if "-m pytest" in line]
        assert setup and tests and setup[0] < tests[0], target
    assert (ROOT / "tests" / "browser_setup.py").is_file()


def test_playwrights_browser_can_be_asked_for_inside_a_playwright_session() -> None:
    """The browser tests look the browser up from within their own Playwright session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright():
        found = bs.playwright_chromium()
    assert found is None or Path(found).is_file()
