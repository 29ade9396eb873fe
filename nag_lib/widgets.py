"""Explorers: a live ipywidgets version for readers who run the notebook, and a static twin that
still moves on the published site (precomputed PNG frames behind a plain HTML range slider, no
kernel, no CDN, no JavaScript library).

A chapter defines one drawing function and describes its controls once, in an :class:`Explorer`;
both versions are built from that description, so they open on the same settings::

    def draw(beta: float) -> Figure:
        fig, ax = plt.subplots(figsize=(5, 3))
        ...
        return fig

    explorer = Explorer(
        draw,
        [Control("beta", (0.0, 0.99, 0.01), 0.9, label="momentum β",
                 frames=[0.0, 0.5, 0.9, 0.99])],
        alt="Iterates of heavy ball on a quadratic",
    )
    explorer.show_live()   # JupyterLab: a live slider that opens at β = 0.9 (needs a kernel)
    explorer.static()      # the page: precomputed frames, opens at β = 0.9, any browser

The static twin is accessible: the slider has a visible ``<label>``, announces the setting it
shows (``aria-valuetext``, a live ``<output>``), moves with the arrow keys, and every frame has
alternative text.

Size: over 400 lines because the live explorer and its static twin (which writes its own
accessible HTML slider over precomputed frames) are built from one description of each setting,
:class:`Control`, and are kept beside it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import inspect
import io
import json
import math
import os
import struct
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

__all__ = [
    "HEADLESS_ENV",
    "MAX_FRAMES",
    "Control",
    "Explorer",
    "StaticExplorer",
    "live_explorer",
    "show_live",
    "static_explorer",
]

HEADLESS_ENV = "NAG_BOOK_HEADLESS"
"""Name of the environment variable that marks a run without a front-end.

``make execute`` and nbval set it; :func:`show_live` then prints a note instead of displaying a
widget, because widget views carry random model ids and need a kernel, so they must not be stored
in the committed outputs.
"""

MAX_FRAMES = 60
"""The most frames one static explorer embeds (each frame is a PNG inside the page)."""

_PNG_PREFIX = "data:image/png;base64,"

# Runs once where the explorer is displayed (static page or trusted notebook output): the slider
# swaps the frame, its alt text, the visible label and the value announced to screen readers.
_SCRIPT = """<script>(function(){{var r=document.getElementById("{uid}-range");
var im=document.getElementById("{uid}-img");var lb=document.getElementById("{uid}-label");
if(!r||!im||!lb){{return;}}var f={frames};var l={labels};var a={alt};
function show(){{var i=Math.max(0,Math.min(f.length-1,Math.round(+r.value)));im.src=f[i];
im.alt=a+": "+l[i];lb.textContent=l[i];r.setAttribute("aria-valuetext",l[i]);}}
r.addEventListener("input",show);r.addEventListener("change",show);}})();</script>"""


def _check_figure(name: object, alt: object, dpi: object) -> None:
    """The checks every static figure's arguments share: a title, a description, a resolution."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError(f"alt must be a non-empty description of the figure, got {alt!r}")
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)):
        raise TypeError(f"dpi must be a number, got {type(dpi).__name__}: {dpi!r}")
    if not (dpi > 0 and math.isfinite(dpi)):
        raise ValueError(f"dpi must be positive and finite, got {dpi!r}")


def _json_for_script(value: Any) -> str:
    """JSON that is safe inside an HTML ``<script>`` element (no ``</script>`` can close it)."""
    return (
        json.dumps(value, ensure_ascii=True)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


def _png_size(data_uri: str) -> tuple[int, int] | None:
    """Width and height in pixels of a ``data:image/png;base64,...`` URI (read from its header),
    or ``None`` if the data is not a PNG."""
    try:
        head = base64.b64decode(data_uri[len(_PNG_PREFIX) : len(_PNG_PREFIX) + 32])
    except ValueError:
        return None
    if len(head) < 24 or not head.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


class StaticExplorer:
    """An HTML range slider over precomputed frames, for Jupyter and the static site.

    ``frames`` are PNG data URIs, ``labels`` name the setting each frame shows (same length),
    ``name`` labels the slider (unique on its page: the element ids derive from it and the
    labels), ``alt`` describes what every frame shows (the frame's label is appended), ``start``
    is the index shown first (default: the middle frame). Build one with :func:`static_explorer`;
    Jupyter and MyST-NB display it through ``_repr_html_``. Example::

        >>> import matplotlib.pyplot as plt
        >>> def draw(lr):
        ...     fig, ax = plt.subplots()
        ...     ax.plot([0, 1], [1, 1 - lr])
        ...     return fig
        >>> ex = static_explorer(draw, [0.1, 0.5, 0.9], name="step size", alt="Loss curve")
        >>> ex.labels
        ['0.1', '0.5', '0.9']
    """

    def __init__(
        self,
        frames: Sequence[str],
        labels: Sequence[str],
        name: str,
        alt: str,
        start: int | None = None,
    ) -> None:
        if len(frames) < 2:
            raise ValueError(f"frames must hold at least 2 images, got {len(frames)}")
        if len(labels) != len(frames):
            raise ValueError(
                f"labels must match frames one to one, got {len(labels)} labels "
                f"for {len(frames)} frames"
            )
        for i, frame in enumerate(frames):
            if not (isinstance(frame, str) and frame.startswith(_PNG_PREFIX)):
                raise ValueError(f"frames[{i}] must be a PNG data URI ({_PNG_PREFIX}...)")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        if not isinstance(alt, str) or not alt.strip():
            raise ValueError(f"alt must be a non-empty description of the figure, got {alt!r}")
        mid = len(frames) // 2 if start is None else start
        if not isinstance(mid, int) or not 0 <= mid < len(frames):
            raise ValueError(f"start must be an index in [0, {len(frames) - 1}], got {start!r}")
        self.frames, self.labels = list(frames), [str(lab) for lab in labels]
        self.name, self.alt, self.start = name.strip(), alt.strip(), mid
        key = json.dumps([self.name, self.labels]).encode()
        self.uid = "nagx-" + hashlib.sha1(key).hexdigest()[:10]

    def _repr_html_(self) -> str:
        uid, i, esc = self.uid, self.start, html.escape
        size = _png_size(self.frames[i])
        dims = f'width="{size[0]}" height="{size[1]}" ' if size else ""
        return (
            f'<div class="nag-explorer" id="{uid}">'
            f'<label for="{uid}-range" class="nag-explorer-name">{esc(self.name)}</label> '
            f'<input type="range" class="nag-explorer-slider" id="{uid}-range" min="0" '
            f'max="{len(self.frames) - 1}" step="1" value="{i}" '
            f'aria-valuetext="{esc(self.labels[i])}"> '
            f'<output id="{uid}-label" class="nag-explorer-value" for="{uid}-range" '
            f'aria-live="polite">{esc(self.labels[i])}</output><br>'
            f'<img class="nag-explorer-frame" id="{uid}-img" src="{self.frames[i]}" '
            f'{dims}style="max-width:100%;height:auto" '
            f'alt="{esc(self.alt)}: {esc(self.labels[i])}">'
            f"<noscript>(JavaScript is off: the slider cannot change the frame.)</noscript>"
            + _SCRIPT.format(
                uid=uid,
                frames=_json_for_script(self.frames),
                labels=_json_for_script(self.labels),
                alt=_json_for_script(self.alt),
            )
            + "</div>"
        )

    def __repr__(self) -> str:
        return (
            f"StaticExplorer({self.name!r}, {len(self.frames)} frames: "
            f"{self.labels[0]} … {self.labels[-1]})"
        )


def _png_data_uri(fig: Figure, dpi: float = 80) -> str:
    """Render ``fig`` to a PNG data URI (no timestamp or software metadata) and close it."""
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    finally:
        plt.close(fig)
    return _PNG_PREFIX + base64.b64encode(buf.getvalue()).decode("ascii")


def static_explorer(
    draw: Callable[[Any], Figure],
    values: Sequence[Any],
    name: str,
    alt: str,
    fmt: Callable[[Any], str] = str,
    start: int | None = None,
    dpi: float = 80,
) -> StaticExplorer:
    """Render ``draw(v)`` for every ``v`` in ``values`` and return a slider over the frames.

    The static counterpart of :func:`show_live`: the frames are computed once, when the notebook
    runs, and embedded in the page, so the slider works on the published site without a kernel.
    ``draw`` must return a new matplotlib Figure (it is closed after rendering); ``name`` labels
    the slider and must be unique on its page; ``alt`` describes the figure (the frame's label,
    ``fmt(v)``, is appended); ``start`` is the index shown first (default: the middle one).
    Use it as the last expression of a cell. Example::

        >>> def draw(beta):
        ...     fig, ax = plt.subplots(figsize=(5, 3))
        ...     ax.plot([beta**k for k in range(20)])
        ...     return fig
        >>> static_explorer(draw, [0.5, 0.9, 0.99], name="β", alt="Powers of β decay")
        StaticExplorer('β', 3 frames: 0.5 … 0.99)

    Raises ``TypeError`` if ``draw`` is not callable or returns something other than a Figure,
    ``ValueError`` for fewer than 2 or more than :data:`MAX_FRAMES` values, an empty ``name`` or
    ``alt``, a ``dpi`` that is not positive and finite, or a ``start`` outside the frames.
    """
    if not callable(draw):
        raise TypeError(f"draw must be callable, got {type(draw).__name__}")
    if not callable(fmt):
        raise TypeError(f"fmt must be callable, got {type(fmt).__name__}")
    vals = list(values)
    if not 2 <= len(vals) <= MAX_FRAMES:
        raise ValueError(f"values must hold between 2 and {MAX_FRAMES} settings, got {len(vals)}")
    _check_figure(name, alt, dpi)
    frames = []
    for v in vals:
        fig = draw(v)
        if not isinstance(fig, Figure):
            raise TypeError(
                f"draw({v!r}) must return a matplotlib Figure, got {type(fig).__name__}"
            )
        frames.append(_png_data_uri(fig, dpi))
    return StaticExplorer(frames, [str(fmt(v)) for v in vals], name, alt, start)


def _is_real(value: object) -> bool:
    """A finite int or float, not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _setting(value: Any) -> str:
    """How a setting is written for the reader by default: ``f"{v:g}"`` for numbers."""
    return f"{value:g}" if _is_real(value) else str(value)


def _decimals(step: float) -> int:
    """The decimals needed to write multiples of ``step`` (0.05 -> 2, 0.5 -> 1, 1 -> 0)."""
    for d in range(10):
        if math.isclose(round(step, d), step, rel_tol=1e-9, abs_tol=0.0):
            return d
    return 10


class Control:
    """One setting of an explorer, described once for its live and its static version.

    ``name`` is the keyword of ``draw`` that the control sets. ``values`` are the settings it can
    take: a tuple ``(lo, hi, step)`` for a range, or a list of settings. ``default`` is the
    setting both versions open on. ``label`` is shown beside the control (default: ``name``),
    ``fmt`` writes a setting for the reader (default: ``f"{v:g}"`` for a number), and ``frames``
    are the settings the static twin precomputes when it moves this control (default: a list's
    settings; a range needs them). Each lies in ``values`` and one of them is ``default``.

    In JupyterLab a range becomes a slider (integer or float), a list of numbers a slider over
    its settings, and a list of anything else a drop-down menu. Example::

        >>> beta = Control("momentum", (0.0, 0.99, 0.01), 0.9, label="momentum β",
        ...                frames=[0.0, 0.5, 0.9, 0.99])
        >>> beta.frames, beta.default
        ((0.0, 0.5, 0.9, 0.99), 0.9)
        >>> Control("kappa", [10.0, 50.0, 100.0], 50.0, label="κ").frames
        (10.0, 50.0, 100.0)

    Raises ``TypeError`` for a ``name`` or ``label`` that is not a string, ``values`` or
    ``frames`` of neither form, or a ``fmt`` that is not callable, and ``ValueError`` for a
    ``name`` that is not a Python identifier, a range that is empty, reversed or not finite, fewer
    than 2 settings or two that ``fmt`` writes alike, a ``default`` or frame outside ``values``
    (or off the range's steps), or ``frames`` without ``default``.
    """

    def __init__(
        self,
        name: str,
        values: tuple[float, float, float] | Sequence[Any],
        default: Any,
        label: str | None = None,
        fmt: Callable[[Any], str] = _setting,
        frames: Sequence[Any] | None = None,
    ) -> None:
        if not isinstance(name, str):
            raise TypeError(f"name must be a string, got {type(name).__name__}: {name!r}")
        if not name.isidentifier():
            raise ValueError(f"name must be a keyword of draw (an identifier), got {name!r}")
        if label is None:
            label = name
        if not isinstance(label, str):
            raise TypeError(f"label must be a string, got {type(label).__name__}: {label!r}")
        if not callable(fmt):
            raise TypeError(f"fmt must be callable, got {type(fmt).__name__}")
        self.name, self.label, self.fmt = name, label.strip() or name, fmt
        self.span: tuple[float, float, float] | None = None
        self.options: tuple[Any, ...] | None = None
        if isinstance(values, tuple):
            if len(values) != 3 or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
            ):
                raise TypeError(
                    f"values of control {name!r}: a range is a tuple of three numbers "
                    f"(lo, hi, step), got {values!r}"
                )
            lo, hi, step = values
            if not (all(map(math.isfinite, values)) and lo < hi and 0 < step <= hi - lo):
                raise ValueError(
                    f"values of control {name!r}: need lo < hi and 0 < step <= hi - lo, "
                    f"got {values!r}"
                )
            self.span = (lo, hi, step)
        elif isinstance(values, Sequence) and not isinstance(values, (str, bytes)):
            options = tuple(values)
            if len(options) < 2:
                raise ValueError(
                    f"values of control {name!r} must hold at least 2 settings, got {len(options)}"
                )
            labels = [str(fmt(v)) for v in options]
            if len(set(labels)) != len(labels):
                raise ValueError(
                    f"values of control {name!r} must read differently, fmt writes them as "
                    f"{labels!r}"
                )
            self.options = options
        else:
            raise TypeError(
                f"values of control {name!r} must be (lo, hi, step) or a list of settings, "
                f"got {type(values).__name__}"
            )
        if not self.allows(default):
            raise ValueError(
                f"default of control {name!r} must be one of its values {self._describe()}, "
                f"got {default!r}"
            )
        self.default = default
        if frames is None:
            self.frames: tuple[Any, ...] | None = self.options
        else:
            if isinstance(frames, (str, bytes)) or not isinstance(frames, Sequence):
                raise TypeError(
                    f"frames of control {name!r} must be a list of settings, "
                    f"got {type(frames).__name__}"
                )
            self.frames = tuple(frames)
            outside = [f for f in self.frames if not self.allows(f)]
            if outside:
                raise ValueError(
                    f"frames of control {name!r} must be among its values {self._describe()}, "
                    f"got {outside[0]!r}"
                )
            if default not in self.frames:
                raise ValueError(
                    f"frames of control {name!r} must include its default {default!r}, so the "
                    "static twin can open where the live version does"
                )

    def allows(self, value: Any) -> bool:
        """Whether ``value`` is one of the settings: in the list, or on a step of the range."""
        if self.span is None:
            assert self.options is not None
            return any(
                value == v and isinstance(value, bool) == isinstance(v, bool) for v in self.options
            )
        lo, hi, step = self.span
        if not _is_real(value) or not lo <= value <= hi:
            return False
        k = (value - lo) / step
        return bool(abs(k - round(k)) <= 1e-9 * max(1.0, abs(k)))

    def _describe(self) -> str:
        if self.span is not None:
            lo, hi, step = self.span
            return f"{lo:g} to {hi:g} in steps of {step:g}"
        return repr(list(self.options or ()))

    def widget(self) -> Any:
        """The ipywidgets control, set to ``default`` and labelled ``label``.

        Sliders update the figure when released (or on each arrow key), not while dragged, so a
        slow ``draw`` does not queue up frames in the kernel."""
        import ipywidgets

        common: dict[str, Any] = {
            "description": self.label,
            "style": {"description_width": "initial"},
            "layout": ipywidgets.Layout(width="min(100%, 36em)"),
        }
        if self.span is not None:
            lo, hi, step = self.span
            if all(isinstance(v, int) for v in (lo, hi, step, self.default)):
                slider = ipywidgets.IntSlider
            else:
                slider = ipywidgets.FloatSlider
                common["readout_format"] = f".{_decimals(step)}f"
            return slider(
                value=self.default,
                min=lo,
                max=hi,
                step=step,
                continuous_update=False,
                **common,
            )
        assert self.options is not None
        pairs = [(str(self.fmt(v)), v) for v in self.options]
        if all(_is_real(v) for v in self.options):
            return ipywidgets.SelectionSlider(
                options=pairs, value=self.default, continuous_update=False, **common
            )
        return ipywidgets.Dropdown(options=pairs, value=self.default, **common)

    def as_dict(self) -> dict[str, Any]:
        """The description as JSON-ready data, e.g. for an explorer written in JavaScript.

        >>> Control("beta", (0.0, 0.99, 0.01), 0.9, label="β").as_dict()
        {'name': 'beta', 'label': 'β', 'default': 0.9, 'min': 0.0, 'max': 0.99, 'step': 0.01}
        """
        out: dict[str, Any] = {"name": self.name, "label": self.label, "default": self.default}
        if self.span is not None:
            out |= dict(zip(("min", "max", "step"), self.span, strict=True))
        else:
            out["options"] = [{"label": str(self.fmt(v)), "value": v} for v in self.options or ()]
        if self.frames is not None and self.frames != self.options:
            out["frames"] = list(self.frames)
        return out

    def __repr__(self) -> str:
        values = self.span if self.span is not None else list(self.options or ())
        return f"Control({self.name!r}, {values!r}, default={self.default!r})"


def _from_abbreviation(draw: Callable[..., Figure], name: str, values: Any) -> Control:
    """A :class:`Control` from the older keyword form ``name=(lo, hi, step)`` or
    ``name=[settings]``: its default is ``draw``'s default for ``name``, else the first setting."""
    if isinstance(values, Control):
        raise TypeError(f"pass Control {values.name!r} positionally, not as {name}=Control(...)")
    if not isinstance(values, (tuple, list)) or not values:
        raise TypeError(
            f"control {name!r} must be (lo, hi, step), a list of settings or a Control, "
            f"got {type(values).__name__}: {values!r}"
        )
    try:
        default = inspect.signature(draw).parameters[name].default
    except (KeyError, TypeError, ValueError):
        default = inspect.Parameter.empty
    if default is inspect.Parameter.empty:
        default = values[0]
    return Control(name, values, default)


def _controls(
    draw: Callable[..., Figure], controls: Sequence[Control], abbreviations: dict[str, Any]
) -> list[Control]:
    """Check ``draw`` and the controls, and return them all as :class:`Control` objects."""
    if not callable(draw):
        raise TypeError(f"draw must be callable, got {type(draw).__name__}")
    for c in controls:
        if not isinstance(c, Control):
            raise TypeError(f"controls must be Control objects, got {type(c).__name__}: {c!r}")
    every = [*controls, *(_from_abbreviation(draw, k, v) for k, v in abbreviations.items())]
    if not every:
        raise ValueError(
            'an explorer needs at least one control, e.g. Control("beta", (0.0, 0.99, 0.01), 0.9)'
        )
    names = [c.name for c in every]
    if len(set(names)) != len(names):
        raise ValueError(f"controls must set different keywords of draw, got {names}")
    try:
        inspect.signature(draw).bind_partial(**{c.name: c.default for c in every})
    except ValueError:  # no signature to check (a builtin)
        pass
    except TypeError as err:
        raise TypeError(f"draw does not take the controls {names}: {err}") from None
    return every


def live_explorer(draw: Callable[..., Figure], *controls: Control, **abbreviations: Any) -> Any:
    """``ipywidgets.interactive`` over ``draw``, one widget per control, each at its default.

    Pass :class:`Control` objects (or use :meth:`Explorer.live`). The older keyword form,
    ``beta=(0.0, 0.99, 0.01)`` or ``beta=[0.5, 0.9]``, still works: its default is ``draw``'s
    default for that keyword, else the first setting. Needs a running kernel to redraw. Example::

        >>> live_explorer(draw, Control("beta", (0.0, 0.99, 0.01), 0.9))  # doctest: +SKIP
    """
    every = _controls(draw, controls, abbreviations)
    import ipywidgets

    def show(**kwargs: Any) -> None:
        fig = draw(**kwargs)
        plt.show()
        plt.close(fig)

    return ipywidgets.interactive(show, **{c.name: c.widget() for c in every})


def show_live(draw: Callable[..., Figure], *controls: Control, **abbreviations: Any) -> None:
    """Display :func:`live_explorer` in JupyterLab; when headless print a one-line note instead.

    Headless means ``$NAG_BOOK_HEADLESS`` is set, as under ``make execute`` and nbval: the stored
    output is then one deterministic line pointing to the static twin, not a widget view. The
    controls are checked either way.
    """
    every = _controls(draw, controls, abbreviations)
    if os.environ.get(HEADLESS_ENV):
        print(
            "Live explorer: open this notebook in JupyterLab (make lab) to move the sliders; "
            "the precomputed explorer below works on the static page."
        )
        return
    import importlib

    display: Callable[..., object] = importlib.import_module("IPython.display").display
    display(live_explorer(draw, *every))


class Explorer:
    """One explorer described once: ``draw`` and its controls give the live version
    (:meth:`show_live`, for JupyterLab) and the static twin (:meth:`static`, for the page).

    ``controls`` is one :class:`Control` or a list of them. Both versions open on the controls'
    defaults. The static twin moves the first control over its ``frames`` and holds every other
    control at its default; ``name`` labels its slider (default: the first control's label,
    followed by the settings held fixed), ``alt`` describes its figure (the frame's setting is
    appended), ``dpi`` sets the frames' resolution. Example::

        >>> def draw(beta, steps=20):
        ...     fig, ax = plt.subplots(figsize=(5, 3))
        ...     ax.plot([beta**k for k in range(steps)])
        ...     return fig
        >>> ex = Explorer(draw, [Control("beta", [0.5, 0.9, 0.99], 0.9, label="β"),
        ...                      Control("steps", (10, 40, 10), 20)],
        ...               alt="Powers of β decay")
        >>> ex.defaults, ex.name
        ({'beta': 0.9, 'steps': 20}, 'β (steps = 20)')
        >>> ex.static()
        StaticExplorer('β (steps = 20)', 3 frames: 0.5 … 0.99)

    Raises ``TypeError`` if ``draw`` is not callable or does not take the controls' names, and
    ``ValueError`` for no control, two controls of one name, a first control without
    ``frames`` (or with more than :data:`MAX_FRAMES`), an empty ``alt`` or ``name``, or a ``dpi``
    that is not positive and finite.
    """

    def __init__(
        self,
        draw: Callable[..., Figure],
        controls: Control | Sequence[Control],
        alt: str,
        name: str | None = None,
        dpi: float = 80,
    ) -> None:
        if isinstance(controls, Control):
            controls = [controls]
        self.controls = _controls(draw, list(controls), {})
        self.draw = draw
        moved = self.controls[0]
        if moved.frames is None or not 2 <= len(moved.frames) <= MAX_FRAMES:
            raise ValueError(
                f"frames of the first control, {moved.name!r}, are the static twin's: give it "
                f"between 2 and {MAX_FRAMES} settings, got {moved.frames!r}"
            )
        if name is None:
            held = ", ".join(f"{c.label} = {c.fmt(c.default)}" for c in self.controls[1:])
            name = f"{moved.label} ({held})" if held else moved.label
        _check_figure(name, alt, dpi)
        self.alt, self.name, self.dpi = alt, name, dpi

    @property
    def defaults(self) -> dict[str, Any]:
        """The setting of every control that both versions open on."""
        return {c.name: c.default for c in self.controls}

    def live(self) -> Any:
        """The ipywidgets version (:func:`live_explorer`); needs a kernel to redraw."""
        return live_explorer(self.draw, *self.controls)

    def show_live(self) -> None:
        """Display the live version in JupyterLab, or print a note when headless
        (:func:`show_live`)."""
        show_live(self.draw, *self.controls)

    def static(self) -> StaticExplorer:
        """The static twin (:func:`static_explorer`): the first control over its frames, the
        others at their defaults, opening on the first control's default."""
        moved, held = self.controls[0], self.defaults
        assert moved.frames is not None
        frames = list(moved.frames)

        def frame(value: Any) -> Figure:
            return self.draw(**{**held, moved.name: value})

        return static_explorer(
            frame,
            frames,
            name=self.name,
            alt=self.alt,
            fmt=moved.fmt,
            start=frames.index(moved.default),
            dpi=self.dpi,
        )

    def __repr__(self) -> str:
        return f"Explorer({self.name!r}, controls={[c.name for c in self.controls]})"
