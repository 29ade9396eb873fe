"""A minimal training loop that is correct: the optimizer is built once by the caller over
``model.parameters()``, the test set is only ever evaluated, batches are seeded, and a loss that
turns NaN or infinite stops the run with an error naming the step."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from nag_lib.data import Split
from nag_lib.gradflow import layer_grad_norms

__all__ = ["DivergenceError", "History", "accuracy", "train"]


class DivergenceError(RuntimeError):
    """Raised when the training loss becomes NaN or infinite; the message names the step."""


@dataclass
class History:
    """What :func:`train` records: per-epoch mean training loss and test accuracy, and
    (optionally) the per-layer gradient norms of the first batch of every epoch."""

    train_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    grad_norms: list[list[float]] = field(default_factory=list)
    steps: int = 0


def accuracy(model: nn.Module, x: Tensor, y: Tensor) -> float:
    """Share of rows of ``x`` whose arg-max logit equals the label in ``y`` (evaluated in eval mode,
    without gradients; the model's train/eval mode is restored afterwards)."""
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must have the same length, got {x.shape[0]} and {y.shape[0]}")
    if x.shape[0] == 0:
        raise ValueError("x is empty")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return float((model(x).argmax(dim=1) == y).float().mean())
    finally:
        model.train(was_training)


def train(model: nn.Module, optimizer: torch.optim.Optimizer, data: Split, epochs: int,
          batch_size: int = 64, seed: int = 0, record_grad_norms: bool = False) -> History:
    """Train ``model`` with ``optimizer`` on ``data.x_train`` by mini-batch cross-entropy.

    ``optimizer`` must have been built over this model's parameters (checked). After every epoch
    the model is scored on the held-out ``data.x_test``; the test set never reaches the optimizer.
    Raises :class:`DivergenceError` at the first non-finite loss, naming epoch and step.
    """
    for name, v in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{name} must be an int, got {type(v).__name__}: {v!r}")
        if v < 1:
            raise ValueError(f"Invalid {name} value: {v} ({name} must be >= 1)")
    model_params = {id(p) for p in model.parameters()}
    opt_params = {id(p) for g in optimizer.param_groups for p in g["params"]}
    if not opt_params <= model_params or not opt_params:
        raise ValueError("optimizer must be built over model.parameters() of the model being trained")
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(seed)
    hist = History()
    n = data.x_train.shape[0]
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(n, generator=gen)
        total, count = 0.0, 0
        for b, start in enumerate(range(0, n, batch_size)):
            idx = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(data.x_train[idx]), data.y_train[idx])
            value = float(loss.detach())
            if not math.isfinite(value):
                raise DivergenceError(
                    f"training diverged: loss = {value} at epoch {epoch}, step {hist.steps} "
                    "(lower the learning rate)"
                )
            loss.backward()
            if record_grad_norms and b == 0:
                hist.grad_norms.append(layer_grad_norms(model))
            optimizer.step()
            hist.steps += 1
            total += value * len(idx)
            count += len(idx)
        hist.train_loss.append(total / count)
        hist.test_accuracy.append(accuracy(model, data.x_test, data.y_test))
    return hist
