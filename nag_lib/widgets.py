"""Explorers: a live ipywidgets version for readers who run the notebook, and a static twin that
still moves on the published site (precomputed PNG frames behind a plain HTML range slider, no
kernel, no CDN, no JavaScript library)."""

from __future__ import annotations

import base64
import hashlib
import html
import io
import os
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

__all__ = ["HEADLESS_ENV", "StaticExplorer", "live_explorer", "show_live", "static_explorer"]

#: Set (to anything non-empty) when notebooks run without a front-end: ``make execute``, nbval.
#: Widget views carry random model ids and need a kernel, so they are not stored in outputs.
HEADLESS_ENV = "NAG_BOOK_HEADLESS"

_SCRIPT = """<script>(function(){{var r=document.getElementById("{uid}-range");
var im=document.getElementById("{uid}-img");var lb=document.getElementById("{uid}-label");
var f={frames};var l={labels};function show(){{var i=+r.value;im.src=f[i];lb.textContent=l[i];
im.alt={alt}+" "+l[i];}}r.addEventListener("input",show);}})();</script>"""


class StaticExplorer:
    """An HTML slider over precomputed frames; displays itself in Jupyter and on the static site."""

    def __init__(self, frames: list[str], labels: list[str], name: str, alt: str) -> None:
        self.frames, self.labels, self.name, self.alt = frames, labels, name, alt
        self.uid = "nagx-" + hashlib.sha1(name.encode()).hexdigest()[:10]

    def _repr_html_(self) -> str:
        import json

        uid, mid = self.uid, len(self.frames) // 2
        return (
            f'<div class="nag-explorer" id="{uid}">'
            f'<label for="{uid}-range">{html.escape(self.name)}: '
            f'<span id="{uid}-label">{html.escape(self.labels[mid])}</span></label><br>'
            f'<input type="range" class="nag-explorer-slider" id="{uid}-range" min="0" '
            f'max="{len(self.frames) - 1}" step="1" value="{mid}" '
            f'aria-label="{html.escape(self.name)}"><br>'
            f'<img class="nag-explorer-frame" id="{uid}-img" src="{self.frames[mid]}" '
            f'alt="{html.escape(self.alt)} {html.escape(self.labels[mid])}">'
            + _SCRIPT.format(uid=uid, frames=json.dumps(self.frames),
                             labels=json.dumps(self.labels), alt=json.dumps(self.alt))
            + "</div>"
        )

    def __repr__(self) -> str:
        return f"StaticExplorer({self.name!r}, {len(self.frames)} frames: {self.labels[0]} … {self.labels[-1]})"


def _png_data_uri(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def static_explorer(draw: Callable[[Any], Figure], values: Sequence[Any], name: str,
                    alt: str, fmt: Callable[[Any], str] = str) -> StaticExplorer:
    """Render ``draw(v)`` for every ``v`` in ``values`` and return a slider over the frames.

    ``draw`` must return a new matplotlib Figure (it is closed after rendering). ``name`` labels
    the slider; ``alt`` is the image's alternative text (the frame's label is appended).
    """
    if not callable(draw):
        raise TypeError(f"draw must be callable, got {type(draw).__name__}")
    vals = list(values)
    if len(vals) < 2:
        raise ValueError(f"values must hold at least 2 settings, got {len(vals)}")
    if not name or not alt:
        raise ValueError("name and alt must be non-empty strings")
    frames = []
    for v in vals:
        fig = draw(v)
        if not isinstance(fig, Figure):
            raise TypeError(f"draw({v!r}) must return a matplotlib Figure, got {type(fig).__name__}")
        frames.append(_png_data_uri(fig))
    return StaticExplorer(frames, [f"{fmt(v)}" for v in vals], name, alt)


def live_explorer(draw: Callable[..., Figure], **controls: Any) -> Any:
    """``ipywidgets.interactive`` over ``draw`` with one control per keyword (a widget, a
    ``(min, max, step)`` tuple or a list of options). Needs a running kernel."""
    import ipywidgets

    def show(**kwargs: Any) -> None:
        fig = draw(**kwargs)
        plt.show()
        plt.close(fig)

    return ipywidgets.interactive(show, **controls)


def show_live(draw: Callable[..., Figure], **controls: Any) -> None:
    """Display :func:`live_explorer` in JupyterLab; when headless (``$NAG_BOOK_HEADLESS`` set, as
    under ``make execute`` and nbval) print one line pointing to the static twin instead."""
    if os.environ.get(HEADLESS_ENV):
        print("Live explorer: open this notebook in JupyterLab (make lab) to move the sliders; "
              "the precomputed explorer below works on the static page.")
        return
    from IPython.display import display

    display(live_explorer(draw, **controls))
