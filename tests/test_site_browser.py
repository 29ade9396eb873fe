"""The built site, opened page by page in headless Chromium (Debian's package, driven by
Playwright): no request leaves the site's origin, nothing fails to load, math is typeset, the
explorers move, and "next" follows the table of contents. See ``tests/site_check.py``.

Needs ``make book`` first (or ``NAG_BOOK_SITE=/path/to/_build/html``); a missing build fails.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.site_check import SiteReport, html_pages, sweep_site, toc_pages

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sweep(built_site: Path) -> SiteReport:
    return sweep_site(built_site)


def test_every_page_loads_cleanly_in_a_real_browser(sweep: SiteReport) -> None:
    slow = sweep.slowest
    print(
        f"\nswept {len(sweep.pages)} pages in {sweep.total_s:.1f} s; slowest: {slow.path} "
        f"({slow.load_s:.2f} s to load, typeset and settle)"
    )
    assert not sweep.problems, "\n".join(
        ["problems (screenshots in test-artifacts/):", *sweep.problems]
    )


def test_the_sweep_visits_every_page_including_the_whole_reading_order(
    sweep: SiteReport, built_site: Path
) -> None:
    visited = [p.path for p in sweep.pages]
    assert visited == html_pages(built_site)
    missing = [p for p in toc_pages() if p not in visited]
    assert not missing, f"pages of _toc.yml missing from the build: {missing}"
    assert all(p.requests > 0 for p in sweep.pages)


def _broken_copy(built_site: Path, tmp_path: Path) -> tuple[Path, str, str]:
    """A copy of the site whose landing page asks a CDN for a script, shows a missing image,
    leaves TeX untypeset, and holds one explorer whose slider works and one whose does not.
    Returns the copy and the slider ids of the working and the dead explorer."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nag_lib.widgets import static_explorer

    def draw(k: int) -> plt.Figure:
        fig, ax = plt.subplots(figsize=(2, 1.5))
        ax.plot(range(k + 2))
        return fig

    good_ex = static_explorer(draw, [1, 2, 3], name="working slider", alt="A line")
    dead_ex = static_explorer(draw, [1, 2, 3], name="dead slider", alt="A line")
    good, dead = good_ex._repr_html_(), dead_ex._repr_html_()
    dead = dead[: dead.index("<script>")] + "</div>"  # the slider no longer swaps frames
    copy = tmp_path / "html"
    shutil.copytree(built_site, copy)
    page = copy / "intro.html"
    text = page.read_text(encoding="utf-8")
    text = text.replace(
        "</head>",
        '<script src="https://cdn.jsdelivr.net/npm/left-pad@1.3.0/index.js"></script></head>',
    )
    main = text.index("<main")
    at = text.index(">", main) + 1
    code = (
        '<div class="cell_input docutils container"><div class="highlight"><pre>'
        + 'glue("ch0_key", 1, display=False)  # '
        + "x" * 300
        + "</pre></div></div>"
    )
    injected = (
        f'<p>Raw $x^2$ left.</p><img src="missing.png" alt="a missing figure">{good}{dead}{code}'
    )
    page.write_text(text[:at] + injected + text[at:], encoding="utf-8")
    return copy, f"{good_ex.uid}-range", f"{dead_ex.uid}-range"


def test_the_sweep_fails_on_a_cdn_asset_a_broken_image_raw_tex_a_dead_slider_and_glue_code(
    built_site: Path, tmp_path: Path
) -> None:
    copy, good_id, dead_id = _broken_copy(built_site, tmp_path)
    shots = tmp_path / "shots"
    # Two browsers in parallel: the broken page, and an untouched one as the control.
    report = sweep_site(
        copy, pages=["intro.html", "chapters/claims.html"], artifacts=shots, workers=2
    )
    assert [p.path for p in report.pages] == ["intro.html", "chapters/claims.html"]
    assert not report.pages[1].problems, report.pages[1].problems
    found = "\n".join(report.problems)
    assert "another origin: https://cdn.jsdelivr.net/npm/left-pad" in found, found
    assert "image did not load" in found and "missing.png" in found, found
    assert "HTTP 404 for /missing.png" in found, found
    assert "raw TeX left in the text: " in found and "$x^2$" in found, found
    assert f"explorer {dead_id}: ArrowLeft did not change the displayed frame" in found or (
        f"explorer {dead_id}: ArrowRight did not change the displayed frame" in found
    ), found
    assert f"explorer {dead_id}: setting the value + 'input' never changed the frame" in found
    assert "code cell 0 shows glue bookkeeping" in found, found
    assert "code cell 0 scrolls sideways" in found, found
    assert f"explorer {good_id}" not in found, found
    assert (shots / "intro.html.png").is_file(), "a failing page must leave a screenshot"
    assert not (shots / "chapters__claims.html.png").exists()


def test_the_sweep_fails_a_chinese_page_drawn_without_a_cjk_font(
    built_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A font configuration with only the Latin fonts Chromium depends on: no CJK font.
    latin = [d for d in ("/usr/share/fonts/truetype",) if Path(d).is_dir()]
    assert latin, "expected Debian's Latin fonts in /usr/share/fonts/truetype"
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        + "".join(f"<dir>{d}</dir>" for d in latin)
        + f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))
    report = sweep_site(built_site, pages=["zh/index.html", "intro.html"], artifacts=None)
    zh, en = report.pages
    assert any("CJK text is drawn as empty boxes" in p for p in zh.problems), zh.problems
    assert not any("CJK" in p for p in en.problems), en.problems


def test_the_sweep_refuses_a_missing_site_and_a_bad_worker_count(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="run make book first"):
        sweep_site(tmp_path)
    (tmp_path / "intro.html").write_text("<html></html>")
    with pytest.raises(ValueError, match="workers must be a positive int, got 0"):
        sweep_site(tmp_path, workers=0)


def phone_problems(html_dir: Path, pages: list[str]) -> list[str]:
    """Pages that scroll sideways in a 390-pixel-wide window, with the elements that widen them:
    the sweep's own phone check (:func:`tests.site_check.phone_overflow`) on ``pages``."""
    report = sweep_site(html_dir, pages=pages, artifacts=None)
    return [p.phone for p in report.pages if p.phone]


def test_no_page_scrolls_sideways_on_a_390_px_phone(sweep: SiteReport) -> None:
    # Measured by the sweep on every page it visits, after the desktop checks, in the same tab
    # resized to 390 x 844 (one visit per page instead of two).
    problems = [p.phone for p in sweep.pages if p.phone]
    assert not problems, "\n".join(problems)


def test_the_phone_check_catches_a_page_wider_than_the_phone(
    built_site: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "html"
    shutil.copytree(built_site, copy)
    page = copy / "intro.html"
    text = page.read_text(encoding="utf-8")
    at = text.index(">", text.index("<main")) + 1
    wide = '<p><code style="white-space: nowrap">' + "x" * 200 + "</code></p>"
    page.write_text(text[:at] + wide + text[at:], encoding="utf-8")
    problems = phone_problems(copy, ["intro.html", "chapters/claims.html"])
    assert len(problems) == 1 and problems[0].startswith("intro.html"), problems
