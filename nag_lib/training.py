"""Training loops that are correct, and a small experiment grid built on them.

:func:`fit` is the loop the book recommends copying: it trains on the training split, scores the
*validation* split after every epoch, stops early when the validation loss has stopped improving
(and restores the best weights), warms the learning rate up linearly and then anneals it along a
cosine (:func:`warmup_cosine`), clips the gradient norm, and can save a checkpoint after every
epoch from which an interrupted run resumes **bit for bit**. It never touches the test set.

:func:`train` is the minimal loop (no validation, no early stopping) that the other chapters use:
it trains with an optimizer that the caller built once over ``model.parameters()``, the test set
is only ever evaluated, batches are seeded, and a loss that turns NaN or infinite stops the run
with an error naming the step. :func:`run_grid` repeats :func:`train` over settings x optimizers
x learning rates x seeds, and :func:`best_lr` picks each optimizer's learning rate from the
*training* loss (never from the test set).

Size: over 400 lines because its two loops (:func:`train`, and :func:`fit` with validation,
early stopping, schedules, clipping and checkpoints) and the grid built on them share one set of
argument checks, one divergence rule and one way of drawing batches.

Example
-------
>>> from nag_lib.data import digits
>>> from nag_lib.models import MLP
>>> d = digits()
>>> model = MLP(64, 10, depth=2, width=16)
>>> hist = train(model, torch.optim.SGD(model.parameters(), lr=0.1), d, epochs=1)
>>> len(hist.train_loss), hist.steps
(1, 22)
>>> v = digits(val_fraction=0.2)
>>> model = MLP(64, 10, depth=2, width=16)
>>> opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
>>> h = fit(model, opt, v, epochs=3, warmup_epochs=1, max_grad_norm=1.0, patience=2)
>>> len(h.val_loss), h.steps, h.val_loss[h.best_epoch] == min(h.val_loss)
(3, 51, True)
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torch.optim.lr_scheduler import LambdaLR

from nag_lib._checks import _check_int, _check_model, _check_number, _check_positive_int
from nag_lib.data import Split
from nag_lib.gradflow import layer_grad_norms
from nag_lib.optim import make_optimizer
from nag_lib.repro import one_thread, seed_everything

__all__ = [
    "DivergenceError",
    "EarlyStopping",
    "FitHistory",
    "History",
    "Run",
    "accuracy",
    "best_lr",
    "best_runs",
    "cosine",
    "evaluate",
    "fit",
    "run_grid",
    "train",
    "warmup_cosine",
]


class DivergenceError(RuntimeError):
    """Raised when the training loss becomes NaN or infinite; the message names the step.

    ``history`` holds what :func:`train` or :func:`fit` had recorded before the failing step (or
    ``None``).
    """

    def __init__(self, message: str, history: History | FitHistory | None = None) -> None:
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


def warmup_cosine(step: int, total_steps: int, warmup_steps: int) -> float:
    """Learning-rate factor at optimizer step ``step`` (counted from 0) of ``total_steps``:
    a linear warm-up over the first ``warmup_steps`` steps, then cosine annealing to 0.

    During the warm-up the factor is ``(step + 1) / warmup_steps``, so the first step already
    moves and step ``warmup_steps - 1`` runs at the full rate (Goyal et al. 2017, "gradual
    warmup"); afterwards it is :func:`cosine` of the progress through the remaining steps,
    ``(step - warmup_steps) / (total_steps - warmup_steps)`` (Loshchilov & Hutter 2017), which
    reaches 0 at ``step == total_steps``. With ``warmup_steps = 0`` it is ``cosine(step /
    total_steps)``, the schedule of :func:`train`. Use it with PyTorch's ``LambdaLR``, which
    multiplies each param group's initial rate by the factor:
    ``LambdaLR(opt, lambda k: warmup_cosine(k, total_steps, warmup_steps))``.

    >>> [round(warmup_cosine(k, 10, 4), 3) for k in range(11)]
    [0.25, 0.5, 0.75, 1.0, 1.0, 0.933, 0.75, 0.5, 0.25, 0.067, 0.0]
    """
    total = _check_int("total_steps", total_steps, low=1)
    warm = _check_int("warmup_steps", warmup_steps)
    k = _check_int("step", step)
    if warm >= total:
        raise ValueError(
            f"Invalid warmup_steps value: {warm} (must be < total_steps = {total}, so that "
            "some steps remain to anneal)"
        )
    if k > total:
        raise ValueError(f"Invalid step value: {k} (must be <= total_steps = {total})")
    if k < warm:
        return (k + 1) / warm
    return cosine((k - warm) / (total - warm))


def _eval_logits(model: nn.Module, x: Tensor, y: Tensor) -> Tensor:
    """``model(x)`` in eval mode and without gradients (the mode is restored afterwards), after
    checking that ``x`` and ``y`` are non-empty and of one length."""
    _check_model(model)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must have the same length, got {x.shape[0]} and {y.shape[0]}")
    if x.shape[0] == 0:
        raise ValueError("x is empty")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            logits: Tensor = model(x)
            return logits
    finally:
        model.train(was_training)


def accuracy(model: nn.Module, x: Tensor, y: Tensor) -> float:
    """Share of rows of ``x`` whose arg-max logit equals the label in ``y``.

    Evaluated in eval mode and without gradients; the model's train/eval mode is restored
    afterwards. Raises ``ValueError`` if ``x`` and ``y`` differ in length or are empty.

    >>> m = nn.Linear(2, 2)
    >>> 0.0 <= accuracy(m, torch.zeros(4, 2), torch.zeros(4, dtype=torch.long)) <= 1.0
    True
    """
    logits = _eval_logits(model, x, y)
    return float((logits.argmax(dim=1) == y).float().mean())


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
        diverged = True
        hist = err.history if isinstance(err.history, History) else History()
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


# --------------------------------------------------------------------------------------------
# the recommended loop: validation, early stopping, warm-up + cosine, clipping, checkpoints
# --------------------------------------------------------------------------------------------
def evaluate(model: nn.Module, x: Tensor, y: Tensor) -> tuple[float, float]:
    """Mean cross-entropy and accuracy (share of arg-max predictions equal to ``y``) of ``model``
    on ``(x, y)``, in eval mode and without gradients; the model's mode is restored afterwards.

    >>> m = nn.Linear(2, 2)
    >>> loss, acc = evaluate(m, torch.zeros(4, 2), torch.zeros(4, dtype=torch.long))
    >>> loss > 0 and 0.0 <= acc <= 1.0
    True
    """
    logits = _eval_logits(model, x, y)
    loss = float(F.cross_entropy(logits, y))
    return loss, float((logits.argmax(dim=1) == y).float().mean())


class EarlyStopping:
    """Stop training when the validation loss has not improved for ``patience`` epochs, and keep
    the weights of the best epoch so that they can be restored.

    An epoch *improves* when its validation loss is lower than the best so far by more than
    ``min_delta``; a NaN loss never improves. ``patience=None`` never stops but still keeps the
    best weights. :meth:`state_dict` and :meth:`load_state_dict` let a checkpoint carry the
    state (best loss, best epoch, epochs without improvement, best weights).

    >>> stopper, net = EarlyStopping(patience=2), nn.Linear(1, 1)
    >>> [stopper.step(v, net) for v in (0.9, 0.7, 0.8, 0.75)]
    [False, False, False, True]
    >>> stopper.best_epoch, stopper.best
    (1, 0.7)
    """

    def __init__(self, patience: int | None = 10, min_delta: float = 0.0) -> None:
        if patience is not None:
            _check_positive_int("patience", patience)
        self.patience = patience
        self.min_delta = _check_number("min_delta", min_delta, low=0.0)
        self.best = math.inf
        self.best_epoch = -1
        self.epochs = 0
        self.bad_epochs = 0
        self.stopped = False
        self.best_state: dict[str, Tensor] | None = None

    def step(self, val_loss: float, model: nn.Module) -> bool:
        """Record one epoch's validation loss (copying ``model``'s weights if it is the best so
        far); return whether training should stop."""
        if isinstance(val_loss, bool) or not isinstance(val_loss, (int, float)):
            raise TypeError(f"val_loss must be a real number, got {type(val_loss).__name__}")
        _check_model(model)
        if val_loss < self.best - self.min_delta:  # False for NaN
            self.best, self.best_epoch, self.bad_epochs = float(val_loss), self.epochs, 0
            self.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            self.bad_epochs += 1
        self.epochs += 1
        self.stopped = self.patience is not None and self.bad_epochs >= self.patience
        return self.stopped

    def restore(self, model: nn.Module) -> None:
        """Load the best epoch's weights into ``model`` (nothing happens before the first
        improvement)."""
        _check_model(model)
        if self.best_state is not None:
            model.load_state_dict(self.best_state)

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue, for a checkpoint."""
        return {
            "best": self.best,
            "best_epoch": self.best_epoch,
            "epochs": self.epochs,
            "bad_epochs": self.bad_epochs,
            "stopped": self.stopped,
            "best_state": self.best_state,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue from :meth:`state_dict`'s output."""
        self.best, self.best_epoch = float(state["best"]), int(state["best_epoch"])
        self.epochs, self.bad_epochs = int(state["epochs"]), int(state["bad_epochs"])
        self.stopped, self.best_state = bool(state["stopped"]), state["best_state"]


@dataclass
class FitHistory:
    """What :func:`fit` records.

    Per epoch: ``train_loss`` (mean mini-batch loss), ``val_loss`` and ``val_accuracy`` (the
    validation split, scored after the epoch). Per optimizer step: ``step_loss``, ``lr`` (the
    first param group's learning rate used by the step) and ``grad_norm`` (the total gradient
    norm *before* clipping). ``best_epoch``: index of the epoch with the lowest validation loss,
    whose weights the model holds when :func:`fit` returns; ``stopped_early``: whether early
    stopping ended the run; ``interrupted``: whether ``stop_after`` ended it (nothing restored).
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    best_epoch: int = -1
    stopped_early: bool = False
    interrupted: bool = False

    @property
    def epochs(self) -> int:
        """Epochs trained."""
        return len(self.train_loss)

    @property
    def steps(self) -> int:
        """Optimizer steps taken."""
        return len(self.step_loss)


def _check_path(name: str, value: object) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or os.PathLike), got {type(value).__name__}")
    if os.fspath(value) == "":
        raise ValueError(f"Invalid {name} value: '' ({name} must be a file path)")
    return Path(value)


def _check_optimizer_for(model: nn.Module, optimizer: object) -> torch.optim.Optimizer:
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}"
        )
    model_params = {id(p) for p in model.parameters()}
    opt_params = {id(p) for g in optimizer.param_groups for p in g["params"]}
    if not opt_params <= model_params or not opt_params:
        raise ValueError(
            "optimizer must be built over model.parameters() of the model being trained"
        )
    return optimizer


def _fit_config(
    optimizer: torch.optim.Optimizer, data: Split, **settings: object
) -> dict[str, object]:
    return {
        "optimizer": type(optimizer).__name__,
        "n_train": int(data.x_train.shape[0]),
        **settings,
    }


def _load_checkpoint(path: Path, config: Mapping[str, object]) -> dict[str, Any]:
    if not path.is_file():
        raise FileNotFoundError(f"resume_from: no checkpoint file at {path}")
    state: dict[str, Any] = torch.load(path, weights_only=True)
    saved = state.get("config", {})
    for key, value in config.items():
        if saved.get(key) != value:
            raise ValueError(
                f"resume_from: the checkpoint was written with {key}={saved.get(key)!r}, "
                f"but this call has {key}={value!r}; resume with the settings of the "
                "interrupted run"
            )
    return state


def fit(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    data: Split,
    epochs: int,
    batch_size: int = 64,
    seed: int = 0,
    warmup_epochs: int = 1,
    max_grad_norm: float | None = 1.0,
    patience: int | None = 10,
    min_delta: float = 0.0,
    checkpoint: str | os.PathLike[str] | None = None,
    resume_from: str | os.PathLike[str] | None = None,
    stop_after: int | None = None,
) -> FitHistory:
    """Train ``model`` by mini-batch cross-entropy on ``data``'s training split, choosing the
    weights on its validation split: the loop the book recommends copying.

    Every epoch draws a fresh order of the training images from a generator seeded with
    ``seed`` and takes one ``optimizer`` step per batch of ``batch_size``: ``zero_grad``,
    forward, loss, ``backward``, gradient clipping to total norm ``max_grad_norm``
    (``torch.nn.utils.clip_grad_norm_``; ``None``: no clipping), ``step``, then a
    ``LambdaLR`` scheduler step. The learning rate follows :func:`warmup_cosine`: linear
    warm-up over ``warmup_epochs`` epochs, then cosine annealing to 0 at the end of the
    ``epochs`` budget. After every epoch the validation split is scored (:func:`evaluate`) and
    :class:`EarlyStopping` (``patience``, ``min_delta``) decides whether to stop; at the end the
    weights of the epoch with the lowest validation loss are restored. The test split is never
    used. Training runs on one intra-op thread (:func:`nag_lib.repro.one_thread`), so the
    numbers do not depend on the machine; the optimizer's learning rates are restored to their
    base values afterwards.

    ``checkpoint``: a file written (atomically) after every epoch with everything the run
    depends on: model and optimizer state, scheduler position, epoch, early-stopping state, the
    batch generator's state, torch's global generator state, the history and the settings.
    ``resume_from``: a checkpoint to continue from, into a freshly built model and optimizer;
    the settings must match the interrupted run's (else ``ValueError``), and the result is
    bit-for-bit that of the uninterrupted run. ``stop_after``: return after that many epochs
    in total, as if the job were killed (nothing is restored; ``interrupted`` is set).

    Raises :class:`DivergenceError` at the first non-finite training loss, naming epoch and
    step; ``TypeError``/``ValueError`` naming the argument for bad arguments.
    """
    _check_model(model)
    _check_optimizer_for(model, optimizer)
    if not isinstance(data, Split):
        raise TypeError(f"data must be a nag_lib.data.Split, got {type(data).__name__}")
    if data.x_val is None or data.y_val is None:
        raise ValueError(
            "data has no validation split: early stopping and the choice of weights need one "
            "(use nag_lib.data.digits(val_fraction=0.2))"
        )
    if data.x_train.shape[0] == 0:
        raise ValueError("data.x_train is empty: x must hold at least one training example")
    _check_positive_int("epochs", epochs)
    _check_positive_int("batch_size", batch_size)
    _check_int("seed", seed)
    _check_int("warmup_epochs", warmup_epochs)
    if warmup_epochs >= epochs:
        raise ValueError(
            f"Invalid warmup_epochs value: {warmup_epochs} (must be < epochs = {epochs})"
        )
    if max_grad_norm is not None:
        _check_number("max_grad_norm", max_grad_norm, low=0.0, low_open=True)
    stopper = EarlyStopping(patience, min_delta)
    if stop_after is not None:
        _check_positive_int("stop_after", stop_after)
    save_to = _check_path("checkpoint", checkpoint)
    load_from = _check_path("resume_from", resume_from)
    config = _fit_config(
        optimizer,
        data,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        warmup_epochs=warmup_epochs,
        max_grad_norm=max_grad_norm,
        patience=patience,
        min_delta=min_delta,
    )
    state = _load_checkpoint(load_from, config) if load_from is not None else None
    try:
        with one_thread():
            return _fit_loop(model, optimizer, data, config, stopper, state, save_to, stop_after)
    finally:
        for g in optimizer.param_groups:
            g["lr"] = g.pop("initial_lr", g["lr"])


def _fit_loop(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    data: Split,
    config: dict[str, Any],
    stopper: EarlyStopping,
    state: dict[str, Any] | None,
    save_to: Path | None,
    stop_after: int | None,
) -> FitHistory:
    assert data.x_val is not None and data.y_val is not None
    x, y = data.x_train, data.y_train
    n, batch_size, epochs = int(x.shape[0]), config["batch_size"], config["epochs"]
    per_epoch = math.ceil(n / batch_size)
    total, warm = epochs * per_epoch, config["warmup_epochs"] * per_epoch
    scheduler = LambdaLR(optimizer, lambda k: warmup_cosine(k, total, warm))
    gen = torch.Generator().manual_seed(config["seed"])
    hist, start = FitHistory(), 0
    if state is not None:  # resume: every piece of state the run depends on
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        stopper.load_state_dict(state["early_stopping"])
        gen.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        hist, start = FitHistory(**state["history"]), int(state["epoch"])
    clip = config["max_grad_norm"]
    params = [p for p in model.parameters() if p.requires_grad]
    for epoch in range(start, epochs):
        if stopper.stopped:  # resumed from the checkpoint of a run that had stopped
            break
        model.train()
        total_loss = 0.0
        order = torch.randperm(n, generator=gen)
        for first in range(0, n, batch_size):
            idx = order[first : first + batch_size]
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x[idx]), y[idx])
            value = float(loss.detach())
            if not math.isfinite(value):
                raise DivergenceError(
                    f"training diverged: loss = {value} at epoch {epoch}, step {hist.steps} "
                    "(lower the learning rate)",
                    history=hist,
                )
            loss.backward()  # type: ignore[no-untyped-call]
            if clip is None:
                norm = torch.nn.utils.get_total_norm([p.grad for p in params if p.grad is not None])
            else:
                norm = torch.nn.utils.clip_grad_norm_(params, clip)
            hist.lr.append(float(optimizer.param_groups[0]["lr"]))
            optimizer.step()
            scheduler.step()
            hist.step_loss.append(value)
            hist.grad_norm.append(float(norm))
            total_loss += value * len(idx)
        hist.train_loss.append(total_loss / n)
        val_loss, val_acc = evaluate(model, data.x_val, data.y_val)
        hist.val_loss.append(val_loss)
        hist.val_accuracy.append(val_acc)
        hist.stopped_early = stopper.step(val_loss, model)
        hist.best_epoch = stopper.best_epoch
        if save_to is not None:
            _save_checkpoint(
                save_to, model, optimizer, scheduler, stopper, gen, epoch + 1, hist, config
            )
        if stopper.stopped:
            break
        if stop_after is not None and stop_after <= epoch + 1 < epochs:
            hist.interrupted = True  # as if the job were killed here: nothing restored
            return hist
    stopper.restore(model)
    return hist


def _save_checkpoint(
    path: Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: LambdaLR,
    stopper: EarlyStopping,
    gen: torch.Generator,
    epoch: int,
    hist: FitHistory,
    config: dict[str, Any],
) -> None:
    state = {
        "config": config,
        "epoch": epoch,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "early_stopping": stopper.state_dict(),
        "generator": gen.get_state(),
        "torch_rng": torch.get_rng_state(),
        "history": asdict(hist),
    }
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)  # a crash while saving leaves the previous checkpoint intact
