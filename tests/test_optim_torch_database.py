"""torch.optim's own test database (``OptimizerInfo`` in
``torch.testing._internal.common_optimizers``), run against nag_lib's optimizers.

Each sample configuration torch lists for SGD, Adam, AdamW and NAdam on the CPU trains a small
model for 10 steps with torch's optimizer (its loop path) and with ours: the default path gives
the same bits, and so does the single pass (``fused=True``) for heavy ball and NAG; for the Adam
family the single pass stays within a few roundings (its square root is correctly rounded,
torch's loop's is not; see ``tests/test_fused.py``). Each error input torch lists raises the same
error type, with a message that matches torch's, except the inputs that set ``foreach``, an
execution mode of torch's that nag_lib does not have (refused as an unexpected keyword).

torch's ``SGD`` maps to :class:`~nag_lib.optim.NAG` when ``nesterov=True`` and to
:class:`~nag_lib.optim.HeavyBall` otherwise, with SGD's defaults made explicit (``lr=1e-3``,
``momentum=0``): ``HeavyBall`` has no default ``lr`` and a default momentum of 0.9.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import torch
from torch import nn

from nag_lib import optim as nopt

common_optimizers = pytest.importorskip("torch.testing._internal.common_optimizers")
OptimizerErrorEnum = common_optimizers.OptimizerErrorEnum

DB = {info.optim_cls.__name__: info for info in common_optimizers.optim_db}
NAMES = ("SGD", "Adam", "AdamW", "NAdam")
OURS = {"Adam": nopt.Adam, "AdamW": nopt.AdamW, "NAdam": nopt.NAdam}
STEPS = 10


def _ours(name: str, kwargs: dict[str, Any]) -> tuple[type[torch.optim.Optimizer], dict[str, Any]]:
    """Our optimizer class and keyword arguments for torch's ``name`` with ``kwargs``."""
    if name != "SGD":
        return OURS[name], dict(kwargs)
    kw = {"lr": 1e-3, "momentum": 0.0, **kwargs}
    if kw.pop("nesterov", False):
        return nopt.NAG, kw
    return nopt.HeavyBall, kw


def _configs(name: str) -> list[Any]:
    return DB[name].optim_inputs_func("cpu", torch.float32)


CONFIGS = [pytest.param(name, c, id=f"{name}-{c.desc}") for name in NAMES for c in _configs(name)]


def _model(dtype: torch.dtype) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 1)).to(dtype)


def _train(make: Any, dtype: torch.dtype) -> list[torch.Tensor]:
    model = _model(dtype)
    opt = make(model.parameters())
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(16, 6, generator=gen, dtype=dtype)
    y = torch.randn(16, 1, generator=gen, dtype=dtype)
    for _ in range(STEPS):
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    return [p.detach() for p in model.parameters()]


def _clone_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Each run gets its own tensor hyperparameters (a tensor lr is state a scheduler edits)."""
    return {k: v.clone() if isinstance(v, torch.Tensor) else v for k, v in kwargs.items()}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("name", "config"), CONFIGS)
def test_torchs_sample_configurations_give_torchs_results(
    name: str, config: Any, dtype: torch.dtype
) -> None:
    torch_cls = DB[name].optim_cls
    cls, kw = _ours(name, config.kwargs)
    theirs = _train(lambda ps: torch_cls(ps, foreach=False, **_clone_kwargs(config.kwargs)), dtype)
    ours = _train(lambda ps: cls(ps, **_clone_kwargs(kw)), dtype)
    assert all(torch.equal(a, b) for a, b in zip(ours, theirs, strict=True))
    single = _train(lambda ps: cls(ps, fused=True, **_clone_kwargs(kw)), dtype)
    diff = max(float((a - b).abs().max()) for a, b in zip(single, theirs, strict=True))
    if cls in (nopt.NAG, nopt.HeavyBall):
        assert diff == 0.0
    else:
        assert diff <= 16 * torch.finfo(dtype).eps


ERRORS = [
    pytest.param(name, e, id=f"{name}-{e.optimizer_error_input.desc}")
    for name in NAMES
    for e in DB[name].optim_error_inputs_func("cpu", torch.float32)
]


@pytest.mark.parametrize(("name", "error"), ERRORS)
def test_torchs_error_inputs_are_refused_as_torch_refuses_them(name: str, error: Any) -> None:
    given = error.optimizer_error_input
    assert error.error_on == OptimizerErrorEnum.CONSTRUCTION_ERROR  # all of them, on the CPU
    params = given.params
    if params is None:
        params = [nn.Parameter(torch.randn(2, 3)), nn.Parameter(torch.randn(3))]
    cls, kw = _ours(name, given.kwargs)
    if "foreach" in kw:  # torch's execution mode: not ours, refused as an unknown argument
        with pytest.raises(TypeError, match="foreach"):
            cls(params, **kw)
        return
    if issubclass(error.error_type, Warning):
        with pytest.warns(error.error_type, match=error.error_regex):
            cls(params, **kw)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an error, not a warning followed by success
        with pytest.raises(error.error_type, match=error.error_regex):
            cls(params, **kw)


def test_named_parameters_are_accepted_and_their_names_kept() -> None:
    model = _model(torch.float32)
    opt = nopt.NAG(model.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == [n for n, _ in model.named_parameters()]
    assert all(isinstance(p, torch.Tensor) for p in opt.param_groups[0]["params"])
