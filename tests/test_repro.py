"""nag_lib.repro: one call seeds every generator, fixes torch's thread count (from
$NAG_BOOK_THREADS) and turns on deterministic kernels; bad values are refused by name."""

from __future__ import annotations

import random
from collections.abc import Iterator

import matplotlib as mpl
import numpy as np
import pytest
import torch

from nag_lib.plotting import PALETTE
from nag_lib.repro import THREADS_ENV, seed_everything, setup


@pytest.fixture(autouse=True)
def _restore_torch_globals() -> Iterator[None]:
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    yield
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(deterministic)
    mpl.rcdefaults()


def _draws() -> tuple[float, float, float]:
    return random.random(), float(np.random.rand()), float(torch.rand(()))  # noqa: NPY002


def test_seed_everything_makes_python_numpy_and_torch_repeat() -> None:
    seed_everything(7)
    first = _draws()
    seed_everything(7)
    assert _draws() == first
    seed_everything(8)
    assert _draws() != first


def test_setup_reads_the_thread_count_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(THREADS_ENV, "2")
    assert setup() == 2 and torch.get_num_threads() == 2
    monkeypatch.delenv(THREADS_ENV)
    assert setup() == 1 and torch.get_num_threads() == 1
    assert setup(threads=2) == 2


def test_setup_turns_on_deterministic_kernels_seeds_and_the_book_style() -> None:
    torch.use_deterministic_algorithms(False)
    mpl.rcdefaults()
    setup(seed=3, threads=1)
    assert torch.are_deterministic_algorithms_enabled()
    first = _draws()
    setup(seed=3, threads=1)
    assert _draws() == first
    assert mpl.rcParams["axes.prop_cycle"].by_key()["color"] == list(PALETTE)


def test_setup_turns_on_the_same_flags_as_torchs_public_switch() -> None:
    """setup sets the deterministic flag itself (to skip an Inductor import): the kernels' flag,
    never warn-only, and Inductor's flag where Inductor is loaded, as torch's own switch does."""
    import torch._inductor.config as inductor_config

    torch.use_deterministic_algorithms(False)
    assert not inductor_config.deterministic
    setup(threads=1)
    assert torch.are_deterministic_algorithms_enabled()
    assert not torch.is_deterministic_algorithms_warn_only_enabled()
    assert inductor_config.deterministic
    torch.use_deterministic_algorithms(True, warn_only=True)
    setup(threads=1)
    assert not torch.is_deterministic_algorithms_warn_only_enabled()


@pytest.mark.parametrize("raw", ["two", "1.5", ""])
def test_a_bad_thread_variable_is_named(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(THREADS_ENV, raw)
    with pytest.raises(ValueError, match=THREADS_ENV):
        setup()


@pytest.mark.parametrize("threads", [0, -1, True, 1.0])
def test_a_bad_thread_count_is_refused(threads: object) -> None:
    with pytest.raises(ValueError, match="threads"):
        setup(threads=threads)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seed", "error"), [(-1, ValueError), (2**32, ValueError), (1.0, TypeError), (True, TypeError)]
)
def test_a_bad_seed_is_refused(seed: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="seed"):
        seed_everything(seed)  # type: ignore[arg-type]


@pytest.mark.parametrize("display", [True, False])
@pytest.mark.parametrize("value", ["0.95 ± 0.01", 3.25, 1234, [1, 2]])
def test_glue_emits_exactly_what_myst_nb_glue_emits(monkeypatch, value, display) -> None:
    import IPython.display
    import myst_nb.ext.glue as reference

    from nag_lib.repro import glue

    calls: dict[str, list] = {"ours": [], "myst_nb": []}
    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: calls["ours"].append((a, k)))
    monkeypatch.setattr(reference, "ipy_display", lambda *a, **k: calls["myst_nb"].append((a, k)))
    glue("key", value, display=display)
    reference.glue("key", value, display=display)
    assert calls["ours"] == calls["myst_nb"] and len(calls["ours"]) == 1


def test_glue_refuses_a_name_that_is_not_a_string_by_type() -> None:
    from nag_lib.repro import glue

    with pytest.raises(TypeError, match="name must be a str"):
        glue(3, "x")  # type: ignore[arg-type]
