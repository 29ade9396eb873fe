"""Explorers: a live ipywidgets version for readers who run the notebook, and a static twin that
still moves on the published site (precomputed PNG frames behind a plain HTML range slider, no
kernel, no CDN, no JavaScript library).

A chapter defines one drawing function and uses it twice::

    def draw(beta: float) -> Figure:
        fig, ax = plt.subplots(figsize=(5, 3))
        ...
        return fig

    show_live(draw, beta=(0.0, 0.99, 0.01))        # JupyterLab: a live slider (needs a kernel)
    static_explorer(draw, [0.0, 0.5, 0.9, 0.99],   # the page: precomputed frames, any browser
                    name="momentum β", alt="Iterates of heavy ball on a quadratic")

The static twin is accessible: the slider has a visible ``<label>``, announces the setting it
shows (``aria-valuetext``, a live ``<output>``), moves with the arrow keys, and every frame has
alternative text.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import os
import struct
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

__all__ = [
    "HEADLESS_ENV",
    "MAX_FRAMES",
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
    ``alt``, a non-positive ``dpi`` or a ``start`` outside the frames.
    """
    if not callable(draw):
        raise TypeError(f"draw must be callable, got {type(draw).__name__}")
    if not callable(fmt):
        raise TypeError(f"fmt must be callable, got {type(fmt).__name__}")
    vals = list(values)
    if not 2 <= len(vals) <= MAX_FRAMES:
        raise ValueError(f"values must hold between 2 and {MAX_FRAMES} settings, got {len(vals)}")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError(f"alt must be a non-empty description of the figure, got {alt!r}")
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)):
        raise TypeError(f"dpi must be a number, got {type(dpi).__name__}: {dpi!r}")
    if not dpi > 0:
        raise ValueError(f"dpi must be positive, got {dpi!r}")
    frames = []
    for v in vals:
        fig = draw(v)
        if not isinstance(fig, Figure):
            raise TypeError(
                f"draw({v!r}) must return a matplotlib Figure, got {type(fig).__name__}"
            )
        frames.append(_png_data_uri(fig, dpi))
    return StaticExplorer(frames, [str(fmt(v)) for v in vals], name, alt, start)


def live_explorer(draw: Callable[..., Figure], **controls: Any) -> Any:
    """``ipywidgets.interactive`` over ``draw`` with one control per keyword.

    Each control is whatever ``ipywidgets.interactive`` accepts: a widget, a
    ``(min, max, step)`` tuple or a list of options. Needs a running kernel. Example::

        >>> live_explorer(draw, beta=(0.0, 0.99, 0.01))  # doctest: +SKIP
    """
    if not callable(draw):
        raise TypeError(f"draw must be callable, got {type(draw).__name__}")
    if not controls:
        raise ValueError("live_explorer needs at least one control, e.g. beta=(0.0, 0.99, 0.01)")
    import ipywidgets

    def show(**kwargs: Any) -> None:
        fig = draw(**kwargs)
        plt.show()
        plt.close(fig)

    return ipywidgets.interactive(show, **controls)


def show_live(draw: Callable[..., Figure], **controls: Any) -> None:
    """Display :func:`live_explorer` in JupyterLab; when headless print a one-line note instead.

    Headless means ``$NAG_BOOK_HEADLESS`` is set, as under ``make execute`` and nbval: the stored
    output is then one deterministic line pointing to the static twin, not a widget view.
    """
    if not callable(draw):
        raise TypeError(f"draw must be callable, got {type(draw).__name__}")
    if os.environ.get(HEADLESS_ENV):
        print(
            "Live explorer: open this notebook in JupyterLab (make lab) to move the sliders; "
            "the precomputed explorer below works on the static page."
        )
        return
    import importlib

    display: Callable[..., object] = importlib.import_module("IPython.display").display
    display(live_explorer(draw, **controls))
