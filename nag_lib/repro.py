"""Reproducibility: one call at the top of every notebook fixes seeds, threads and style; `glue`
hands a computed value to the book's prose."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch

from nag_lib._checks import _check_seed

__all__ = ["GLUE_PREFIX", "THREADS_ENV", "glue", "one_thread", "seed_everything", "setup"]

#: Environment variable that sets torch's intra-op thread count (default 1). The determinism
#: check re-runs every notebook with 1 and with 2 threads and compares the same stored outputs.
THREADS_ENV = "NAG_BOOK_THREADS"

#: The MIME-type prefix MyST-NB reads a glued value from (papermill's record format).
GLUE_PREFIX = "application/papermill.record/"


def glue(name: str, variable: Any, display: bool = True) -> None:
    """Store ``variable``'s display value under ``name`` for ``{glue:}`name``` in the prose.

    The same output as ``myst_nb.glue`` (MyST-NB's documented glue format; a test compares the
    two), without importing ``myst_nb.ext.glue``, whose ``nbformat`` and ``jsonschema`` imports
    cost every notebook more than a second on the book's 2-core machine.

    >>> glue("ch0_answer", "42", display=False)  # outside a kernel nothing is shown
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}: {name!r}")
    if not name:
        raise ValueError("name must be a non-empty str, got ''")
    from IPython.core.formatters import format_display_data
    from IPython.display import display as ipy_display

    bundle, metadata = format_display_data(variable)  # type: ignore[no-untyped-call]
    prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    ipy_display(  # type: ignore[no-untyped-call]
        {prefix + k: v for k, v in bundle.items()}, raw=True, metadata=metadata
    )


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's generators with ``seed``.

    >>> seed_everything(0)
    """
    _check_seed(seed)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - seeds the legacy global generator that code may use
    torch.manual_seed(seed)


def _deterministic_kernels() -> None:
    """Turn on torch's deterministic kernels, as ``torch.use_deterministic_algorithms(True)``.

    torch's public switch also sets TorchInductor's ``deterministic`` flag, and importing
    ``torch._inductor.config`` for that costs 2.4 s (measured on the book's 2-core machine, a
    tenth of a notebook's budget), in every kernel, for a compiler the book never uses. So this
    sets the kernels' flag itself, and Inductor's too where something has already imported it.
    """
    import sys

    torch._C._set_deterministic_algorithms(True, warn_only=False)
    if "torch._inductor.config" in sys.modules:  # already paid for: set it as torch would
        import torch._inductor.config as inductor_config

        inductor_config.deterministic = True


def setup(seed: int = 0, threads: int | None = None) -> int:
    """Prepare a notebook: seeds, a fixed torch thread count, deterministic kernels, book style.

    ``threads`` defaults to ``$NAG_BOOK_THREADS`` or 1. Returns the thread count in use.
    """
    if threads is None:
        raw = os.environ.get(THREADS_ENV, "1")
        try:
            threads = int(raw)
        except ValueError:
            raise ValueError(f"{THREADS_ENV} must be an integer, got {raw!r}") from None
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"Invalid threads value: {threads!r} (threads must be an int >= 1)")
    torch.set_num_threads(threads)
    _deterministic_kernels()
    seed_everything(seed)
    from nag_lib.plotting import use_book_style

    use_book_style()
    return threads


@contextmanager
def one_thread() -> Iterator[None]:
    """Run the block on one intra-op thread, then restore the caller's thread count.

    Training runs use it so that their numbers do not depend on the machine: the thread count
    changes how reductions (a weight gradient summed over the batch, say) are split, hence their
    last bits, and over many steps those bits grow into visibly different results.

    >>> with one_thread():
    ...     torch.get_num_threads()
    1
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
