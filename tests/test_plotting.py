"""nag_lib.plotting: one colour-blind-safe palette (Okabe-Ito) and one style for every figure."""

from __future__ import annotations

import re
from collections.abc import Iterator

import matplotlib as mpl
import pytest

from nag_lib.plotting import COLORS, PALETTE, use_book_style


@pytest.fixture(autouse=True)
def _restore_rcparams() -> Iterator[None]:
    yield
    mpl.rcdefaults()


def test_the_palette_is_okabe_ito() -> None:
    okabe_ito = {
        "#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
    }  # fmt: skip
    assert set(PALETTE) == okabe_ito and len(PALETTE) == 8
    assert all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in PALETTE)


def test_every_named_colour_is_from_the_palette_and_methods_are_distinct() -> None:
    assert set(COLORS.values()) <= set(PALETTE)
    methods = ["sgd", "heavy_ball", "nag", "adam", "nadam", "lbfgs"]
    assert len({COLORS[m] for m in methods}) == len(methods)


def test_use_book_style_sets_the_cycle_the_resolution_and_png_output() -> None:
    mpl.rcdefaults()
    use_book_style()
    assert mpl.rcParams["axes.prop_cycle"].by_key()["color"] == list(PALETTE)
    assert mpl.rcParams["figure.dpi"] == 100 and mpl.rcParams["savefig.dpi"] == 100
    assert mpl.rcParams["svg.hashsalt"] == "nag-book"
    assert mpl.rcParams["axes.grid"] is True
