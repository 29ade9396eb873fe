"""Shared pytest set-up: one hypothesis profile for CI, torch pinned to one thread.

The ``ci`` profile (the default) derandomizes hypothesis, so ``make test`` draws the same
examples on every machine and a failure is reproducible from a fresh clone; ``dev`` explores more
and at random (``HYPOTHESIS_PROFILE=dev make unit``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev", deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Unit tests run single-threaded (the notebooks choose their own count via nag_lib.repro.setup).
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def built_site() -> Path:
    """The built site (``_build/html``, or ``$NAG_BOOK_SITE``); fails, never skips, if absent."""
    from tests.site_check import site_dir

    html = site_dir()
    if not (html / "intro.html").is_file():
        pytest.fail(f"no built site in {html}: run make book first")
    return html
