"""The explorers: the static twin embeds every frame and a slider that swaps them without a
kernel or a CDN; the live one is an ipywidgets ``interactive``; both are built from one
description of the controls and open on its defaults; all refuse bad arguments."""

from __future__ import annotations

import base64
import html
import json
import math
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from nag_lib import widgets
from nag_lib.widgets import (
    Control,
    Explorer,
    StaticExplorer,
    live_explorer,
    show_live,
    static_explorer,
)


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
        ({"dpi": 0}, ValueError, "dpi must be positive and finite, got 0"),
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
    show_live(draw, Control("beta", (0.0, 0.9, 0.1), 0.5))
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


# --------------------------------------------------------------------------------------------
# One description of the controls: Control and Explorer
# --------------------------------------------------------------------------------------------
def draw4(
    lr: float = 1.0, momentum: float = 0.9, kappa: float = 50.0, problem: str = "q"
) -> Figure:
    """Chapter 3's explorer in miniature: four controls, defaults in the signature."""
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([lr, momentum, kappa / 100])
    ax.set_title(f"{problem} {lr:g} {momentum:g} {kappa:g}")
    return fig


CONTROLS = [
    Control(
        "momentum", (0.0, 0.99, 0.01), 0.9, label="momentum β", frames=[0.0, 0.3, 0.5, 0.9, 0.99]
    ),
    Control("lr", (0.05, 2.5, 0.05), 1.0, label="learning rate α", fmt=lambda v: f"{v:g}/L"),
    Control("kappa", [10.0, 50.0, 100.0, 1000.0], 50.0, label="κ"),
    Control("problem", ["q", "rosenbrock"], "q"),
]


def _controls_of(w) -> dict[str, object]:
    return {c.description: c for c in w.children[:-1]}


def test_each_control_becomes_the_widget_its_values_call_for_at_its_default() -> None:
    import ipywidgets

    found = {
        name: (type(w), w.value)
        for name, w in _controls_of(Explorer(draw4, CONTROLS, alt="a").live()).items()
    }
    assert found == {
        "momentum β": (ipywidgets.FloatSlider, 0.9),
        "learning rate α": (ipywidgets.FloatSlider, 1.0),
        "κ": (ipywidgets.SelectionSlider, 50.0),  # a list of numbers is a slider, not a menu
        "problem": (ipywidgets.Dropdown, "q"),
    }
    steps = Control("steps", (10, 40, 10), 20).widget()
    assert isinstance(steps, ipywidgets.IntSlider)
    assert (steps.min, steps.max, steps.step, steps.value) == (10, 40, 10, 20)
    plt.close("all")


def test_sliders_show_their_settings_as_the_description_writes_them() -> None:
    lr, kappa = CONTROLS[1].widget(), CONTROLS[2].widget()
    assert (lr.min, lr.max, lr.step, lr.readout_format) == (0.05, 2.5, 0.05, ".2f")
    assert [label for label, _ in kappa.options] == ["10", "50", "100", "1000"]  # fmt
    assert kappa.continuous_update is False and lr.continuous_update is False
    assert Control("t", (0.0, 1.0, 0.5), 0.5).widget().readout_format == ".1f"
    assert Control("t", (0.0, 1.0, 0.001), 0.5).widget().readout_format == ".3f"


def test_the_live_explorer_draws_its_first_figure_at_the_defaults_and_redraws_on_a_move() -> None:
    calls: list[dict[str, object]] = []

    def spy(**kwargs: object) -> Figure:
        calls.append(kwargs)
        return draw4(**kwargs)  # type: ignore[arg-type]

    w = live_explorer(spy, *CONTROLS)
    assert calls == [{"momentum": 0.9, "lr": 1.0, "kappa": 50.0, "problem": "q"}]
    _controls_of(w)["κ"].value = 100.0
    assert calls[-1] == {"momentum": 0.9, "lr": 1.0, "kappa": 100.0, "problem": "q"}
    plt.close("all")


def twin_setting(twin: StaticExplorer, control: Control) -> object:
    """The setting of the frame the static twin shows first."""
    assert control.frames is not None
    return control.frames[twin.start]


def test_the_static_twin_opens_on_the_default_frame_with_the_other_controls_held() -> None:
    ex = Explorer(draw4, CONTROLS, alt="Paths")
    twin = ex.static()
    assert twin.labels == ["0", "0.3", "0.5", "0.9", "0.99"] and twin.start == 3  # at 0.9
    assert twin.name == ex.name == "momentum β (learning rate α = 1/L, κ = 50, problem = q)"
    held = static_explorer(
        lambda m: draw4(momentum=m, lr=1.0, kappa=50.0, problem="q"),
        [0.0, 0.3, 0.5, 0.9, 0.99],
        name="x",
        alt="Paths",
    )
    assert twin.frames == held.frames
    live = {c.description: c.value for c in ex.live().children[:-1]}
    assert live["momentum β"] == 0.9 == twin_setting(twin, CONTROLS[0])
    plt.close("all")


def test_live_and_static_open_on_the_same_setting_for_every_first_control() -> None:
    """Whatever the description says, both versions start from it: the widgets hold
    ``defaults`` and the static twin's first frame is the first control's default."""
    for first in (
        CONTROLS[0],
        CONTROLS[2],
        Control("lr", (0.05, 2.5, 0.05), 2.0, frames=[1.0, 2.0]),
    ):
        rest = [c for c in CONTROLS if c.name != first.name]
        ex = Explorer(draw4, [first, *rest], alt="a")
        widgets_at = {
            c.name: w.value for c, w in zip(ex.controls, ex.live().children, strict=False)
        }
        assert widgets_at == ex.defaults
        twin = ex.static()
        assert twin_setting(twin, first) == first.default
        assert twin.labels[twin.start] == first.fmt(first.default)
        plt.close("all")


def test_the_older_keyword_form_opens_at_the_draw_functions_defaults() -> None:
    """Chapter 3's old call opened at lr 1.25, momentum 0.49, κ 10 (ipywidgets' middles and
    first option); it now opens where ``draw`` says, and a list of numbers is a slider."""
    import ipywidgets

    w = live_explorer(
        draw4,
        lr=(0.05, 2.5, 0.05),
        momentum=(0.0, 0.99, 0.01),
        kappa=[10.0, 50.0, 100.0, 1000.0],
        problem=["q", "rosenbrock"],
    )
    assert {k: c.value for k, c in _controls_of(w).items()} == {
        "lr": 1.0,
        "momentum": 0.9,
        "kappa": 50.0,
        "problem": "q",
    }
    assert isinstance(_controls_of(w)["kappa"], ipywidgets.SelectionSlider)
    no_default = _controls_of(live_explorer(draw, beta=[0.5, 0.9]))["beta"]
    assert no_default.value == 0.5, "without a default in draw, the first setting"
    plt.close("all")


def test_as_dict_describes_a_control_for_another_front_end() -> None:
    assert CONTROLS[0].as_dict() == {
        "name": "momentum",
        "label": "momentum β",
        "default": 0.9,
        "min": 0.0,
        "max": 0.99,
        "step": 0.01,
        "frames": [0.0, 0.3, 0.5, 0.9, 0.99],
    }
    assert CONTROLS[2].as_dict()["options"][1] == {"label": "50", "value": 50.0}
    assert "frames" not in CONTROLS[2].as_dict()


def test_a_range_allows_only_its_steps() -> None:
    c = Control("lr", (0.05, 2.5, 0.05), 1.0)
    assert c.allows(0.05) and c.allows(2.5) and c.allows(1.3)
    assert not c.allows(1.27) and not c.allows(2.55) and not c.allows(math.nan)
    assert not Control("a", [0, 1], 0).allows(False), "a bool is not a setting of numbers"


def test_repr_of_control_and_explorer() -> None:
    assert repr(CONTROLS[2]) == "Control('kappa', [10.0, 50.0, 100.0, 1000.0], default=50.0)"
    assert repr(Explorer(draw, Control("beta", [0.5, 0.9], 0.9), alt="a")) == (
        "Explorer('beta', controls=['beta'])"
    )


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ((3, [1, 2], 1), {}, TypeError, "name must be a string, got int"),
        (("not a name", [1, 2], 1), {}, ValueError, "name must be a keyword of draw"),
        (("a", [1, 2], 1), {"label": 5}, TypeError, "label must be a string"),
        (("a", [1, 2], 1), {"fmt": "x"}, TypeError, "fmt must be callable"),
        (("a", (0.0, 1.0), 0.5), {}, TypeError, r"a range is a tuple of three numbers"),
        (("a", (0.0, "1", 0.1), 0.5), {}, TypeError, r"a range is a tuple of three numbers"),
        (("a", (1.0, 0.0, 0.1), 0.5), {}, ValueError, "need lo < hi"),
        (("a", (0.0, 1.0, 0.0), 0.5), {}, ValueError, "need lo < hi and 0 < step"),
        (("a", (0.0, math.inf, 0.1), 0.5), {}, ValueError, "need lo < hi"),
        (("a", "ab", "a"), {}, TypeError, "must be .lo, hi, step. or a list"),
        (("a", 3, 1), {}, TypeError, "must be .lo, hi, step. or a list"),
        (("a", [1], 1), {}, ValueError, "at least 2 settings, got 1"),
        (("a", [0.1, 0.1], 0.1), {}, ValueError, "must read differently"),
        (("a", [1, 2], 3), {}, ValueError, r"default of control 'a' must be one of its values"),
        (("a", (0.0, 1.0, 0.1), 0.25), {}, ValueError, "0 to 1 in steps of 0.1, got 0.25"),
        (("a", (0.0, 1.0, 0.1), 0.5), {"frames": 0.5}, TypeError, "frames of control 'a'"),
        (("a", (0.0, 1.0, 0.1), 0.5), {"frames": [0.5, 2.0]}, ValueError, "got 2.0"),
        (("a", (0.0, 1.0, 0.1), 0.5), {"frames": [0.1, 0.2]}, ValueError, "include its default"),
    ],
)
def test_control_rejects_bad_arguments(args, kwargs, error, message) -> None:
    with pytest.raises(error, match=message):
        Control(*args, **kwargs)


def test_explorer_and_live_explorer_reject_bad_descriptions() -> None:
    beta = Control("beta", [0.5, 0.9], 0.9)
    cases = [
        (lambda: Explorer(3, beta, alt="a"), TypeError, "draw must be callable"),
        (lambda: Explorer(draw, [], alt="a"), ValueError, "at least one control"),
        (lambda: Explorer(draw, [beta, beta], alt="a"), ValueError, "different keywords"),
        (lambda: Explorer(draw, [(0, 1, 0.1)], alt="a"), TypeError, "Control objects"),
        (lambda: Explorer(draw, Control("gamma", [1, 2], 1), alt="a"), TypeError, "draw does"),
        (
            lambda: Explorer(draw, Control("beta", (0.0, 1.0, 0.1), 0.5), alt="a"),
            ValueError,
            "frames of the first control, 'beta'",
        ),
        (lambda: Explorer(draw, beta, alt=" "), ValueError, "alt must be a non-empty"),
        (lambda: Explorer(draw, beta, alt="a", name=""), ValueError, "name must be a non-empty"),
        (lambda: Explorer(draw, beta, alt="a", dpi="72"), TypeError, "dpi must be a number"),
        (lambda: Explorer(draw, beta, alt="a", dpi=math.inf), ValueError, "positive and finite"),
        (lambda: live_explorer(draw, beta=beta), TypeError, "pass Control 'beta' positionally"),
        (lambda: live_explorer(draw, beta="0.5"), TypeError, "control 'beta' must be"),
        (lambda: live_explorer(draw, beta=[]), TypeError, "control 'beta' must be"),
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=message):
            call()


def test_show_live_checks_the_controls_even_when_headless(monkeypatch) -> None:
    monkeypatch.setenv(widgets.HEADLESS_ENV, "1")
    with pytest.raises(ValueError, match="different keywords of draw"):
        show_live(draw, Control("beta", (0.0, 0.9, 0.1), 0.5), beta=[0.5, 0.9])


def test_explorer_show_live_displays_the_live_version(monkeypatch) -> None:
    import IPython.display

    shown = []
    monkeypatch.delenv(widgets.HEADLESS_ENV, raising=False)
    monkeypatch.setattr(IPython.display, "display", shown.append)
    Explorer(draw, Control("beta", [0.5, 0.9], 0.9), alt="a").show_live()
    assert len(shown) == 1 and shown[0].children[0].value == 0.9
    plt.close("all")


def test_a_draw_function_without_a_signature_is_not_refused() -> None:
    ex = Explorer(max, Control("key", [abs, len], abs, fmt=lambda f: f.__name__), alt="a")
    assert ex.defaults == {"key": abs}
