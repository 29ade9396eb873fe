"""A minimal training loop that is correct, and a small experiment grid built on it.

:func:`train` trains with an optimizer that the caller built once over ``model.parameters()``;
the test set is only ever evaluated, batches are seeded, and a loss that turns NaN or infinite
stops the run with an error naming the step. :func:`run_grid` repeats :func:`train` over
settings x optimizers x learning rates x seeds, and :func:`best_lr` picks each optimizer's
learning rate from the *training* loss (never from the test set).

Example
-------
>>> from nag_lib.data import digits
>>> from nag_lib.models import MLP
>>> d = digits()
>>> model = MLP(64, 10, depth=2, width=16)
>>> hist = train(model, torch.optim.SGD(model.parameters(), lr=0.1), d, epochs=1)
>>> len(hist.train_loss), hist.steps
(1, 22)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from nag_lib.data import Split
from nag_lib.gradflow import layer_grad_norms
from nag_lib.optim import _check_number, _check_positive_int, make_optimizer
from nag_lib.repro import one_thread, seed_everything

__all__ = [
    "DivergenceError",
    "History",
    "Run",
    "accuracy",
    "best_lr",
    "best_runs",
    "cosine",
    "run_grid",
    "train",
]


class DivergenceError(RuntimeError):
    """Raised when the training loss becomes NaN or infinite; the message names the step.

    ``history`` holds what :func:`train` had recorded before the failing step (or ``None``).
    """

    def __init__(self, message: str, history: History | None = None) -> None:
        super().__init__(message)
        self.history = history


@dataclass
class History:
    """What :func:`train` records.

    ``train_loss`` and ``test_accuracy``: one value per epoch (mean mini-batch loss, accuracy on
    the held-out set). ``step_loss``: the loss of every mini-batch, in order. ``grad_norms``: the
    per-layer gradient norms (:func:`nag_lib.gradflow.layer_grad_norms`) recorded before the
    optimizer step at the steps listed in ``grad_norm_steps``. ``steps``: optimizer steps taken.
    """

    train_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    grad_norms: list[list[float]] = field(default_factory=list)
    grad_norm_steps: list[int] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)
    steps: int = 0


def cosine(progress: float) -> float:
    """Cosine annealing (Loshchilov & Hutter 2017, without restarts): the learning-rate factor
    ``(1 + cos(pi * progress)) / 2``, from 1 at the start of training to 0 at its end.

    Annealing the rate to zero makes a run end at a point instead of in the noise ball that a
    constant rate leaves a stochastic method in, so "has the run converged?" has an answer.

    >>> [round(cosine(p), 3) for p in (0.0, 0.5, 0.9)]
    [1.0, 0.5, 0.024]
    """
    p = _check_number("progress", progress, low=0.0, high=1.0)
    return 0.5 * (1.0 + math.cos(math.pi * p))


def _check_model(model: object) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")


def accuracy(model: nn.Module, x: Tensor, y: Tensor) -> float:
    """Share of rows of ``x`` whose arg-max logit equals the label in ``y``.

    Evaluated in eval mode and without gradients; the model's train/eval mode is restored
    afterwards. Raises ``ValueError`` if ``x`` and ``y`` differ in length or are empty.

    >>> m = nn.Linear(2, 2)
    >>> 0.0 <= accuracy(m, torch.zeros(4, 2), torch.zeros(4, dtype=torch.long)) <= 1.0
    True
    """
    _check_model(model)
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


def train(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    data: Split,
    epochs: int,
    batch_size: int = 64,
    seed: int = 0,
    record_grad_norms: bool = False,
    grad_norm_every: int | None = None,
    schedule: Callable[[float], float] | None = None,
) -> History:
    """Train ``model`` with ``optimizer`` on ``data.x_train`` by mini-batch cross-entropy.

    ``optimizer`` must have been built over this model's parameters (checked). The batches are
    shuffled by a generator seeded with ``seed``. After every epoch the model is scored on the
    held-out ``data.x_test``; the test set never reaches the optimizer. With
    ``record_grad_norms`` the per-layer gradient norms are recorded before the optimizer step,
    on the first batch of every epoch, or every ``grad_norm_every`` steps when that is given.
    ``schedule`` (optional) anneals the learning rate: before step ``k`` of ``n`` each param
    group's rate is its initial rate times ``schedule(k / n)`` (for example :func:`cosine`); the
    groups' rates are restored afterwards.
    Raises :class:`DivergenceError` at the first non-finite loss, naming epoch and step.
    """
    _check_model(model)
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}"
        )
    _check_positive_int("epochs", epochs)
    _check_positive_int("batch_size", batch_size)
    if grad_norm_every is not None:
        _check_positive_int("grad_norm_every", grad_norm_every)
    if data.x_train.shape[0] == 0:
        raise ValueError("data.x_train is empty: x must hold at least one training example")
    model_params = {id(p) for p in model.parameters()}
    opt_params = {id(p) for g in optimizer.param_groups for p in g["params"]}
    if not opt_params <= model_params or not opt_params:
        raise ValueError(
            "optimizer must be built over model.parameters() of the model being trained"
        )
    if schedule is not None and not callable(schedule):
        raise TypeError(f"schedule must be callable, got {type(schedule).__name__}")
    base_lrs = [g["lr"] for g in optimizer.param_groups]
    try:
        return _train_loop(
            model,
            optimizer,
            data,
            epochs,
            batch_size,
            seed,
            record_grad_norms,
            grad_norm_every,
            schedule,
            base_lrs,
        )
    finally:
        for g, lr in zip(optimizer.param_groups, base_lrs, strict=True):
            g["lr"] = lr


def _train_loop(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    data: Split,
    epochs: int,
    batch_size: int,
    seed: int,
    record_grad_norms: bool,
    grad_norm_every: int | None,
    schedule: Callable[[float], float] | None,
    base_lrs: list[float],
) -> History:
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(seed)
    hist = History()
    n = data.x_train.shape[0]
    total_steps = epochs * math.ceil(n / batch_size)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(n, generator=gen)
        total, count = 0.0, 0
        for b, start in enumerate(range(0, n, batch_size)):
            idx = order[start : start + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(data.x_train[idx]), data.y_train[idx])
            value = float(loss.detach())
            if not math.isfinite(value):
                raise DivergenceError(
                    f"training diverged: loss = {value} at epoch {epoch}, step {hist.steps} "
                    "(lower the learning rate)",
                    history=hist,
                )
            loss.backward()
            due = b == 0 if grad_norm_every is None else hist.steps % grad_norm_every == 0
            if record_grad_norms and due:
                hist.grad_norms.append(layer_grad_norms(model))
                hist.grad_norm_steps.append(hist.steps)
            if schedule is not None:
                factor = schedule(hist.steps / total_steps)
                for g, lr in zip(optimizer.param_groups, base_lrs, strict=True):
                    g["lr"] = lr * factor
            optimizer.step()
            hist.steps += 1
            hist.step_loss.append(value)
            total += value * len(idx)
            count += len(idx)
        hist.train_loss.append(total / count)
        hist.test_accuracy.append(accuracy(model, data.x_test, data.y_test))
    return hist


@dataclass(frozen=True)
class Run:
    """One cell of :func:`run_grid`: the setting, optimizer, learning rate and seed, what
    :func:`train` recorded, whether it diverged, and ``layer_shift``, the relative distance
    ``||W_end - W_start|| / ||W_start||`` that each ``nn.Linear`` weight travelled."""

    setting: str
    optimizer: str
    lr: float
    seed: int
    history: History
    diverged: bool
    layer_shift: list[float]

    @property
    def final_loss(self) -> float:
        """Last epoch's mean training loss (``inf`` if the run diverged)."""
        if self.diverged or not self.history.train_loss:
            return math.inf
        return self.history.train_loss[-1]

    @property
    def final_accuracy(self) -> float:
        """Last epoch's test accuracy (``nan`` if the run diverged)."""
        if self.diverged or not self.history.test_accuracy:
            return math.nan
        return self.history.test_accuracy[-1]


def _linear_weights(model: nn.Module) -> list[Tensor]:
    return [m.weight.detach().clone() for m in model.modules() if isinstance(m, nn.Linear)]


def _train_and_measure(
    model: nn.Module,
    opt: torch.optim.Optimizer,
    data: Split,
    epochs: int,
    batch_size: int,
    seed: int,
    grad_norm_every: int | None,
) -> tuple[History, bool, list[float]]:
    """One grid cell: train, catch a divergence, and measure how far each weight travelled."""
    start = _linear_weights(model)
    diverged = False
    try:
        hist = train(
            model,
            opt,
            data,
            epochs,
            batch_size,
            seed=seed,
            record_grad_norms=True,
            grad_norm_every=grad_norm_every,
        )
    except DivergenceError as err:
        diverged, hist = True, err.history or History()
    end = _linear_weights(model)
    shift = [float((w1 - w0).norm() / w0.norm()) for w0, w1 in zip(start, end, strict=True)]
    return hist, diverged, shift


def run_grid(
    settings: Mapping[str, Callable[[], nn.Module]],
    lrs: Mapping[str, Sequence[float]],
    seeds: Sequence[int],
    data: Split,
    epochs: int,
    batch_size: int = 64,
    momentum: float = 0.9,
    grad_norm_every: int | None = 1,
) -> list[Run]:
    """Train every setting with every optimizer, learning rate and seed; return the runs.

    ``settings`` maps a name to a function that builds a fresh model; ``lrs`` maps an optimizer
    name of :data:`nag_lib.optim.OPTIMIZERS` to its candidate learning rates. Before each run the
    global generators are seeded with the run's seed (:func:`nag_lib.repro.seed_everything`),
    so a setting and seed give the same initial weights and the same batches to every optimizer.
    A run whose loss turns non-finite is kept with ``diverged=True``.

    The grid runs on one intra-op thread whatever ``torch.get_num_threads()`` says (and
    restores it afterwards): the thread count changes how reductions such as a weight gradient
    over the batch are split, hence their last bits, and over many steps those bits grow into
    visibly different numbers. Small models gain nothing from more threads anyway.

    >>> from nag_lib.data import digits
    >>> from nag_lib.models import MLP
    >>> runs = run_grid({"tiny": lambda: MLP(64, 10, depth=1, width=8)}, {"sgd": [0.1]},
    ...                 seeds=[0], data=digits(), epochs=1)
    >>> [(r.setting, r.optimizer, r.lr, r.seed, r.diverged) for r in runs]
    [('tiny', 'sgd', 0.1, 0, False)]
    """
    _check_positive_int("epochs", epochs)
    if not settings:
        raise ValueError("settings is empty: give at least one model builder")
    if not lrs:
        raise ValueError("lrs is empty: give at least one optimizer and learning rate")
    for name, candidates in lrs.items():
        if not candidates:
            raise ValueError(f"lrs[{name!r}] is empty: give at least one learning rate")
    if not seeds:
        raise ValueError("seeds is empty: give at least one seed")
    runs: list[Run] = []
    with one_thread():
        for setting, build in settings.items():
            for name, candidates in lrs.items():
                for lr, seed in ((lr, seed) for lr in candidates for seed in seeds):
                    seed_everything(seed)
                    model = build()
                    opt = make_optimizer(name, model.parameters(), lr=lr, momentum=momentum)
                    hist, diverged, shift = _train_and_measure(
                        model, opt, data, epochs, batch_size, seed, grad_norm_every
                    )
                    runs.append(Run(setting, name, float(lr), seed, hist, diverged, shift))
    return runs


def best_lr(runs: Sequence[Run]) -> dict[tuple[str, str], float]:
    """For each (setting, optimizer), the learning rate with the lowest mean final *training*
    loss over seeds (a diverged run counts as ``inf``; ties go to the smaller rate).

    Choosing on the training loss keeps the test set out of every decision.
    """
    if not runs:
        raise ValueError("runs is empty")
    losses: dict[tuple[str, str, float], list[float]] = {}
    for r in runs:
        losses.setdefault((r.setting, r.optimizer, r.lr), []).append(r.final_loss)
    best: dict[tuple[str, str], tuple[float, float]] = {}
    for (setting, opt, lr), values in sorted(losses.items()):
        mean = sum(values) / len(values)
        key = (setting, opt)
        if key not in best or mean < best[key][0]:
            best[key] = (mean, lr)
    return {key: lr for key, (_, lr) in best.items()}


def best_runs(runs: Sequence[Run]) -> dict[tuple[str, str], list[Run]]:
    """The runs (all seeds) at :func:`best_lr`'s learning rate, keyed by (setting, optimizer),
    in the order the settings and optimizers first appear in ``runs``."""
    chosen = best_lr(runs)
    out: dict[tuple[str, str], list[Run]] = {}
    for r in runs:
        key = (r.setting, r.optimizer)
        if r.lr == chosen[key]:
            out.setdefault(key, []).append(r)
    return out
