"""The book's one plotting style and its colour-blind-safe palette.

The palette is Okabe & Ito's (2008) "Color Universal Design" set, distinguishable under the
common forms of colour-vision deficiency (Wong 2011, *Nature Methods* 8:441).
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib as mpl
from cycler import cycler

__all__ = ["COLORS", "PALETTE", "use_book_style"]

#: Okabe-Ito colours, in the order the book uses them.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)

#: Fixed colours for the methods and activations that recur across chapters.
COLORS: dict[str, str] = {
    "gd": PALETTE[7],
    "sgd": PALETTE[7],
    "heavy_ball": PALETTE[1],
    "nag": PALETTE[0],
    "adam": PALETTE[2],
    "nadam": PALETTE[4],
    "lbfgs": PALETTE[3],
    "sigmoid": PALETTE[3],
    "tanh": PALETTE[4],
    "relu": PALETTE[1],
    "leaky_relu": PALETTE[0],
}


def use_book_style() -> None:
    """Apply the book's matplotlib style (inline PNG at 100 dpi, Okabe-Ito colour cycle, grid)."""
    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 3.6),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "axes.prop_cycle": cycler(color=list(PALETTE)),
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 10,
            "legend.frameon": False,
            "svg.hashsalt": "nag-book",
        }
    )
    try:
        from matplotlib_inline import backend_inline
    except ImportError:  # pragma: no cover - matplotlib-inline comes with ipykernel
        return
    # PNG only: nbval does not compare images, and SVG text would differ between machines.
    set_formats: Callable[..., None] = backend_inline.set_matplotlib_formats
    set_formats("png")
