"""Argument checks and shared types for every module of nag_lib (private).

One checker per kind of argument: a real number in a range (:func:`_check_number`), a positive
int, a bool, a learning rate (a number or a one-element tensor), the ``fused`` option, the
``params`` of an optimizer (tensors, named tensors or param-group dicts), Adam's ``betas``, a
model, a list of seeds. Each raises ``TypeError`` for a value of the wrong type and
``ValueError`` for an impossible one, with a message that names the argument as a word
(``tests/test_invalid_inputs.py`` checks every public entry point against these rules).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
from torch import Tensor, nn

Params: TypeAlias = Iterable[Tensor] | Iterable[dict[str, Any]]
Closure: TypeAlias = Callable[[], Tensor]
FloatArray: TypeAlias = npt.NDArray[np.float64]
GradFn: TypeAlias = Callable[[FloatArray], FloatArray]


def _check_number(
    name: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a float, or raise an error that names ``name`` and the value."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}: {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"Invalid {name} value: {v} ({name} must be finite)")
    if low is not None and (v < low or (low_open and v == low)):
        bound = f"> {low}" if low_open else f">= {low}"
        raise ValueError(f"Invalid {name} value: {v} ({name} must be {bound})")
    if high is not None and (v > high or (high_open and v == high)):
        bound = f"< {high}" if high_open else f"<= {high}"
        raise ValueError(f"Invalid {name} value: {v} ({name} must be {bound})")
    return v


def _check_int(name: str, value: object, low: int = 0) -> int:
    """Return ``value`` if it is an int >= ``low``, or raise an error that names ``name``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}: {value!r}")
    if value < low:
        raise ValueError(f"Invalid {name} value: {value} ({name} must be >= {low})")
    return value


def _check_seed(seed: object) -> int:
    """Return ``seed`` if it is an int in [0, 2**32), the range every generator accepts."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}: {seed!r}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"Invalid seed value: {seed} (seed must be in [0, 2**32))")
    return seed


def _check_positive_int(name: str, value: object) -> int:
    """Return ``value`` if it is an int >= 1, or raise an error that names ``name``."""
    return _check_int(name, value, low=1)


def _check_bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}: {value!r}")
    return value


def _check_lr(lr: object) -> float | Tensor:
    """Return ``lr``: a finite number >= 0, or a one-element floating-point tensor holding one
    (kept as a tensor, as ``torch.optim`` keeps it; the steps compute with it as torch does)."""
    if isinstance(lr, Tensor):
        if lr.numel() != 1:
            raise ValueError(f"Tensor lr must be 1-element, got {lr.numel()} elements")
        if not lr.is_floating_point():
            raise TypeError(f"lr must be a floating-point tensor, got dtype {lr.dtype}")
        _check_number("lr", float(lr), low=0.0)
        return lr
    return _check_number("lr", lr, low=0.0)


def _scalar(value: float | Tensor) -> float | Tensor:
    """A hyperparameter as torch's loops use it: a 1-element tensor made 0-dimensional."""
    if isinstance(value, Tensor) and value.dim() != 0:
        return value.squeeze()
    return value


def _check_fused(fused: object) -> bool | None:
    if fused is not None and not isinstance(fused, bool):
        raise TypeError(f"fused must be None, True or False, got {type(fused).__name__}")
    return fused


def _check_params(params: object) -> list[Any]:
    """Materialise ``params`` (tensors, or param-group dicts) and check every tensor in it.

    Group dicts are copied with their ``"params"`` made a list, so a generator is not consumed
    twice. Raises ``TypeError``/``ValueError`` naming ``params``.
    """
    if isinstance(params, Tensor):
        raise TypeError(
            "params argument given to the optimizer should be an iterable of Tensors or dicts, "
            f"such as model.parameters(), but got a single Tensor of shape {tuple(params.shape)}"
        )
    if isinstance(params, (str, bytes)) or not isinstance(params, Iterable):
        raise TypeError(
            "params argument given to the optimizer should be an iterable of Tensors or dicts, "
            f"such as model.parameters(), but got {type(params).__name__}"
        )
    items: list[Any] = list(params)
    if not items:
        raise ValueError("params is empty: the optimizer got an empty parameter list")
    if any(isinstance(item, dict) for item in items):
        if not all(isinstance(item, dict) for item in items):
            raise TypeError("params must hold either only Tensors or only param-group dicts")
        items = [_check_group_params(group) for group in items]
    else:
        _check_tensors(items)
    return items


def _check_group_params(group: dict[str, Any]) -> dict[str, Any]:
    if "params" not in group:
        raise ValueError("params: a param-group dict needs a 'params' entry")
    tensors = group["params"]
    tensors = [tensors] if isinstance(tensors, Tensor) else list(_check_iterable(tensors))
    if not tensors:
        raise ValueError("params is empty: a param group has an empty parameter list")
    _check_tensors(tensors)
    return {**group, "params": tensors}


def _check_iterable(value: object) -> Iterable[Any]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"params of a param group must be an iterable of Tensors, got {value!r}")
    return value


def _check_tensors(tensors: list[Any]) -> None:
    """Check each tensor, or each ``(name, tensor)`` pair (``model.named_parameters()``, which
    ``torch.optim`` accepts: the base class keeps the names in ``param_names``)."""
    for t in tensors:
        if isinstance(t, tuple) and len(t) == 2 and isinstance(t[0], str):
            t = t[1]
        if not isinstance(t, Tensor):
            raise TypeError(
                "params must hold Tensors (use model.parameters()), "
                f"got an element of type {type(t).__name__}"
            )
        if not t.is_floating_point():
            raise TypeError(f"params must be floating-point tensors, got dtype {t.dtype}")
        if not t.is_leaf:
            raise ValueError("params must be leaf tensors (can't optimize a non-leaf Tensor)")


def _check_betas(betas: object) -> tuple[float, float]:
    """Return ``betas`` as two floats in [0, 1); messages as ``torch.optim``'s, plus the name."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    tensors = [isinstance(b, Tensor) for b in betas]
    if any(tensors):
        if not all(tensors):
            raise ValueError("betas must be either both floats or both Tensors")
        raise TypeError("betas must be floats: nag_lib does not take tensor betas")
    out = []
    for i, beta in enumerate(betas):
        v = _check_number(f"betas[{i}]", beta)
        if not 0.0 <= v < 1.0:
            raise ValueError(
                f"Invalid beta parameter at index {i}: {beta} (betas[{i}] must be in [0, 1))"
            )
        out.append(v)
    return (out[0], out[1])


def _check_model(model: object) -> nn.Module:
    """Return ``model`` if it is an ``nn.Module``; else ``TypeError`` naming ``model``."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    return model
