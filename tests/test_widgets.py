"""The explorers: the static twin embeds every frame and a slider that swaps them without a
kernel or a CDN; the live one is an ipywidgets ``interactive``; both refuse bad arguments."""

from __future__ import annotations

import base64
import html
import json
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from nag_lib import widgets
from nag_lib.widgets import StaticExplorer, live_explorer, show_live, static_explorer


def draw(beta: float) -> Figure:
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([beta**k for k in range(10)])
    ax.set_title(f"beta = {beta}")
    return fig


@pytest.fixture(scope="module")
def explorer() -> StaticExplorer:
    return static_explorer(draw, [0.5, 0.9, 0.99], name="momentum β", alt="Powers of β decay")


def _frames_in_script(page: str) -> list[str]:
    match = re.search(r"var f=(\[.*?\]);", page, re.S)
    assert match, "the explorer's script holds no frame list"
    frames: list[str] = json.loads(match.group(1))
    return frames


def test_static_explorer_renders_one_png_frame_per_value(explorer) -> None:
    assert len(explorer.frames) == 3
    for frame in explorer.frames:
        assert frame.startswith("data:image/png;base64,")
        assert base64.b64decode(frame.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(set(explorer.frames)) == 3, "different settings must give different frames"
    assert explorer.labels == ["0.5", "0.9", "0.99"]


def test_static_explorer_closes_every_figure_it_draws() -> None:
    before = len(plt.get_fignums())
    static_explorer(draw, [0.1, 0.2], name="closing", alt="figures are closed")
    assert len(plt.get_fignums()) == before


def test_frames_are_deterministic_so_nbval_can_compare_the_page() -> None:
    a = static_explorer(draw, [0.3, 0.6], name="same", alt="same figure")
    b = static_explorer(draw, [0.3, 0.6], name="same", alt="same figure")
    assert a.frames == b.frames and a._repr_html_() == b._repr_html_()


def test_html_is_an_accessible_slider_over_the_embedded_frames(explorer) -> None:
    page = explorer._repr_html_()
    uid = explorer.uid
    assert f'<label for="{uid}-range"' in page, "the slider needs a visible label"
    assert 'type="range"' in page and 'class="nag-explorer-slider"' in page
    assert 'min="0" max="2" step="1" value="1"' in page, "starts on the middle frame"
    assert 'aria-valuetext="0.9"' in page, "screen readers hear the setting, not the index"
    assert 'aria-live="polite"' in page
    img = re.search(r'<img class="nag-explorer-frame"[^>]*>', page)
    assert img and f'src="{explorer.frames[1]}"' in img.group(0)
    assert 'alt="Powers of β decay: 0.9"' in html.unescape(img.group(0))
    assert 'width="160" height="120"' in img.group(0), "2 x 1.5 inches at 80 dpi"
    assert _frames_in_script(page) == explorer.frames
    assert 'addEventListener("input",show)' in page


def test_html_makes_no_request_to_another_origin(explorer) -> None:
    page = explorer._repr_html_()
    assert "http://" not in page and "https://" not in page and 'src="//' not in page
    assert page.count("<script") == 1 and "<script src" not in page


def test_png_size_reads_the_header_and_refuses_other_data(explorer) -> None:
    assert widgets._png_size(explorer.frames[0]) == (160, 120)
    assert widgets._png_size("data:image/png;base64,A") is None  # not even base64
    assert widgets._png_size("data:image/png;base64," + "A" * 40) is None  # not a PNG


def test_label_text_cannot_break_out_of_the_script() -> None:
    ex = StaticExplorer(
        ["data:image/png;base64,AAAA", "data:image/png;base64,BBBB"],
        ["</script><b>x</b>", "a & b"],
        name="escape <me>",
        alt='say "hi"',
    )
    script = ex._repr_html_().split("<script>", 1)[1]
    assert script.count("</script>") == 1, "a label closed the script element early"
    assert "escape &lt;me&gt;" in ex._repr_html_()


def test_repr_names_the_explorer_and_its_range(explorer) -> None:
    assert repr(explorer) == "StaticExplorer('momentum β', 3 frames: 0.5 … 0.99)"


def test_fmt_formats_the_labels_and_start_picks_the_first_frame() -> None:
    ex = static_explorer(draw, [0.25, 0.5], name="fmt", alt="a", fmt=lambda v: f"{v:.1f}", start=0)
    assert ex.labels == ["0.2", "0.5"] and ex.start == 0
    assert 'value="0"' in ex._repr_html_()


def test_element_ids_depend_on_name_and_labels_only() -> None:
    a = StaticExplorer(
        ["data:image/png;base64,AA", "data:image/png;base64,BB"], ["1", "2"], "n", "a"
    )
    b = StaticExplorer(
        ["data:image/png;base64,CC", "data:image/png;base64,DD"], ["1", "2"], "n", "a"
    )
    c = StaticExplorer(
        ["data:image/png;base64,AA", "data:image/png;base64,BB"], ["1", "2"], "m", "a"
    )
    assert a.uid == b.uid != c.uid
    assert "width=" not in a._repr_html_(), "no size is claimed for data that is not a PNG"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"draw": 3}, TypeError, "draw must be callable, got int"),
        ({"fmt": "x"}, TypeError, "fmt must be callable, got str"),
        ({"values": [0.5]}, ValueError, "between 2 and 60 settings, got 1"),
        ({"values": [0.5] * 61}, ValueError, "between 2 and 60 settings, got 61"),
        ({"name": " "}, ValueError, "name must be a non-empty string"),
        ({"alt": ""}, ValueError, "alt must be a non-empty description"),
        ({"dpi": 0}, ValueError, "dpi must be positive, got 0"),
        ({"start": 5}, ValueError, r"start must be an index in \[0, 1\], got 5"),
        (
            {"draw": lambda v: "no figure"},
            TypeError,
            r"draw\(0.1\) must return a matplotlib Figure",
        ),
    ],
)
def test_static_explorer_rejects_bad_arguments(kwargs, error, message) -> None:
    args = {"draw": draw, "values": [0.1, 0.2], "name": "n", "alt": "a", **kwargs}
    with pytest.raises(error, match=message):
        static_explorer(**args)
    plt.close("all")


@pytest.mark.parametrize(
    ("frames", "labels", "message"),
    [
        (["data:image/png;base64,AA"], ["1"], "at least 2 images, got 1"),
        (["data:image/png;base64,AA"] * 2, ["1"], "got 1 labels for 2 frames"),
        (["https://cdn.example/a.png", "data:image/png;base64,AA"], ["1", "2"], r"frames\[0\]"),
    ],
)
def test_static_explorer_class_rejects_inconsistent_frames(frames, labels, message) -> None:
    with pytest.raises(ValueError, match=message):
        StaticExplorer(frames, labels, "n", "a")


def test_show_live_prints_one_line_when_headless(monkeypatch, capsys) -> None:
    monkeypatch.setenv(widgets.HEADLESS_ENV, "1")
    show_live(draw, beta=(0.0, 0.9, 0.1))
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "make lab" in out


def test_show_live_displays_the_interactive_widget_with_a_front_end(monkeypatch) -> None:
    import IPython.display

    shown = []
    monkeypatch.delenv(widgets.HEADLESS_ENV, raising=False)
    monkeypatch.setattr(IPython.display, "display", shown.append)
    show_live(draw, beta=(0.0, 0.9, 0.1))
    assert len(shown) == 1 and type(shown[0]).__name__ == "interactive"
    plt.close("all")


def test_live_explorer_has_one_control_per_keyword() -> None:
    w = live_explorer(draw, beta=(0.0, 0.9, 0.1))
    assert [c.description for c in w.children[:-1]] == ["beta"]
    plt.close("all")


def test_live_explorers_refuse_bad_arguments() -> None:
    with pytest.raises(TypeError, match="draw must be callable"):
        live_explorer("draw", beta=(0.0, 1.0, 0.1))
    with pytest.raises(ValueError, match="at least one control"):
        live_explorer(draw)
    with pytest.raises(TypeError, match="draw must be callable"):
        show_live(None)


def test_static_explorer_class_needs_a_name_and_alt_text() -> None:
    frames = ["data:image/png;base64,AA", "data:image/png;base64,BB"]
    with pytest.raises(ValueError, match="name must be a non-empty string"):
        StaticExplorer(frames, ["1", "2"], "", "a")
    with pytest.raises(ValueError, match="alt must be a non-empty description"):
        StaticExplorer(frames, ["1", "2"], "n", "  ")
