"""nag_lib.training: the training loop learns, stops on divergence naming the step, refuses an
optimizer built over another model, never trains on the test set, and is reproducible; the grid
runner gives every optimizer the same start and picks learning rates from the training loss."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from nag_lib.data import Split, digits
from nag_lib.models import MLP
from nag_lib.repro import seed_everything
from nag_lib.training import (
    DivergenceError,
    History,
    Run,
    accuracy,
    best_lr,
    best_runs,
    run_grid,
    train,
)

DATA = digits()
SMALL = Split(DATA.x_train[:256], DATA.y_train[:256], DATA.x_test[:100], DATA.y_test[:100])


def _model(seed: int = 0, **kw: object) -> MLP:
    seed_everything(seed)
    return MLP(64, 10, depth=2, width=32, activation="relu", init="he", **kw)  # type: ignore[arg-type]


def test_train_decreases_the_loss_and_learns_digits() -> None:
    model = _model()
    hist = train(model, torch.optim.SGD(model.parameters(), lr=0.1), DATA, epochs=3)
    assert len(hist.train_loss) == len(hist.test_accuracy) == 3
    assert hist.train_loss[-1] < 0.5 * hist.train_loss[0]
    assert hist.test_accuracy[-1] > 0.75  # chance is 0.1
    assert hist.steps == 3 * math.ceil(DATA.x_train.shape[0] / 64) == len(hist.step_loss)


def test_divergence_error_names_the_step_and_keeps_the_history() -> None:
    model = _model()
    with pytest.raises(DivergenceError, match=r"at epoch 0, step \d+") as info:
        train(model, torch.optim.SGD(model.parameters(), lr=1e12), SMALL, epochs=5)
    hist = info.value.history
    assert isinstance(hist, History)
    assert f"step {hist.steps}" in str(info.value)
    assert all(math.isfinite(v) for v in hist.step_loss)


def test_an_optimizer_over_another_model_is_refused() -> None:
    model, other = _model(0), _model(1)
    with pytest.raises(ValueError, match=r"model\.parameters\(\)"):
        train(model, torch.optim.SGD(other.parameters(), lr=0.1), SMALL, epochs=1)


def test_an_optimizer_over_data_is_refused() -> None:
    model = _model()
    data_as_params = SMALL.x_train.clone().requires_grad_()
    with pytest.raises(ValueError, match=r"model\.parameters\(\)"):
        train(model, torch.optim.SGD([data_as_params], lr=0.1), SMALL, epochs=1)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"epochs": 0}, ValueError, "epochs"),
        ({"epochs": 1.5}, TypeError, "epochs"),
        ({"epochs": 1, "batch_size": 0}, ValueError, "batch_size"),
        ({"epochs": 1, "batch_size": True}, TypeError, "batch_size"),
        ({"epochs": 1, "grad_norm_every": 0}, ValueError, "grad_norm_every"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict, error: type[Exception], name: str) -> None:
    model = _model()
    with pytest.raises(error, match=name):
        train(model, torch.optim.SGD(model.parameters(), lr=0.1), SMALL, **kwargs)


def test_the_test_set_never_reaches_the_optimizer() -> None:
    """Scrambling the test labels changes the reported accuracy, never the training."""
    scrambled = Split(SMALL.x_train, SMALL.y_train, SMALL.x_test, (SMALL.y_test + 1) % 10)
    runs = []
    for data in (SMALL, scrambled):
        model = _model()
        train(model, torch.optim.SGD(model.parameters(), lr=0.1), data, epochs=2)
        runs.append([p.detach().clone() for p in model.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(*runs, strict=True))


def test_training_is_reproducible_with_a_seed_and_the_seed_matters() -> None:
    def history(batch_seed: int) -> History:
        model = _model(0)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        return train(model, opt, SMALL, epochs=2, seed=batch_seed, record_grad_norms=True)

    first, again, other = history(3), history(3), history(4)
    assert first == again
    assert first.step_loss != other.step_loss


def test_grad_norms_are_recorded_per_epoch_or_every_k_steps() -> None:
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    per_epoch = train(model, opt, SMALL, epochs=2, batch_size=64, record_grad_norms=True)
    assert per_epoch.grad_norm_steps == [0, 4]
    assert all(len(g) == 3 for g in per_epoch.grad_norms)  # two hidden layers and the head
    every = train(
        model, opt, SMALL, epochs=2, batch_size=64, record_grad_norms=True, grad_norm_every=3
    )
    assert every.grad_norm_steps == [0, 3, 6]
    silent = train(model, opt, SMALL, epochs=1, grad_norm_every=1)
    assert silent.grad_norms == [] and silent.grad_norm_steps == []


def test_accuracy_is_a_share_and_restores_the_mode() -> None:
    model = _model()
    model.train()
    acc = accuracy(model, SMALL.x_test, SMALL.y_test)
    assert 0.0 <= acc <= 1.0 and model.training
    model.eval()
    accuracy(model, SMALL.x_test, SMALL.y_test)
    assert not model.training


def test_accuracy_is_one_for_a_perfect_model_and_zero_for_a_wrong_one() -> None:
    class Oracle(nn.Module):
        def __init__(self, shift: int) -> None:
            super().__init__()
            self.shift = shift

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            labels = (x[:, 0].long() + self.shift) % 3
            return nn.functional.one_hot(labels, 3).float()

    x = torch.tensor([[0.0], [1.0], [2.0], [1.0]])
    y = torch.tensor([0, 1, 2, 1])
    assert accuracy(Oracle(0), x, y) == 1.0
    assert accuracy(Oracle(1), x, y) == 0.0


def test_accuracy_rejects_mismatched_or_empty_inputs() -> None:
    model = _model()
    with pytest.raises(ValueError, match="same length"):
        accuracy(model, SMALL.x_test[:5], SMALL.y_test[:4])
    with pytest.raises(ValueError, match="empty"):
        accuracy(model, SMALL.x_test[:0], SMALL.y_test[:0])


def _grid(**kw: object) -> list[Run]:
    settings = {"relu": lambda: MLP(64, 10, depth=2, width=16, activation="relu", init="he")}
    lrs = kw.pop("lrs", {"sgd": [0.05], "nag": [0.01], "adam": [1e-3]})
    return run_grid(settings, lrs, seeds=[0, 1], data=SMALL, epochs=1, **kw)  # type: ignore[arg-type]


def test_run_grid_gives_every_optimizer_the_same_start() -> None:
    runs = _grid()
    assert len(runs) == 3 * 2
    for seed in (0, 1):
        first = {tuple(r.history.grad_norms[0]) for r in runs if r.seed == seed}
        assert len(first) == 1  # the initial gradient does not depend on the optimizer
    seeds = {tuple(r.history.grad_norms[0]) for r in runs if r.optimizer == "sgd"}
    assert len(seeds) == 2  # but it does depend on the seed


def test_run_grid_records_divergence_and_best_lr_avoids_it() -> None:
    runs = _grid(lrs={"sgd": [0.05, 1e12]})
    diverged = [r for r in runs if r.lr == 1e12]
    assert all(r.diverged and r.final_loss == math.inf for r in diverged)
    assert all(math.isnan(r.final_accuracy) for r in diverged)
    assert best_lr(runs) == {("relu", "sgd"): 0.05}
    chosen = best_runs(runs)[("relu", "sgd")]
    assert [r.seed for r in chosen] == [0, 1] and all(r.lr == 0.05 for r in chosen)


def test_run_grid_layer_shift_is_zero_without_a_step_size() -> None:
    runs = _grid(lrs={"sgd": [0.0, 0.1]})
    still = [r for r in runs if r.lr == 0.0]
    moved = [r for r in runs if r.lr == 0.1]
    assert all(s == 0.0 for r in still for s in r.layer_shift)
    assert all(len(r.layer_shift) == 3 and min(r.layer_shift) > 0 for r in moved)


def _run(lr: float, loss: float, seed: int = 0) -> Run:
    hist = History(train_loss=[loss], test_accuracy=[0.5])
    return Run("s", "sgd", lr, seed, hist, diverged=False, layer_shift=[])


def test_best_lr_takes_the_lowest_mean_training_loss_and_breaks_ties_low() -> None:
    runs = [_run(0.1, 1.0, 0), _run(0.1, 3.0, 1), _run(0.3, 1.5, 0), _run(0.3, 1.6, 1)]
    assert (runs[0].final_loss, runs[0].final_accuracy) == (1.0, 0.5)
    assert best_lr(runs) == {("s", "sgd"): 0.3}
    assert best_lr([_run(0.3, 1.0), _run(0.1, 1.0)]) == {("s", "sgd"): 0.1}
    with pytest.raises(ValueError, match="runs is empty"):
        best_lr([])


@pytest.mark.parametrize(
    ("settings", "lrs", "seeds", "match"),
    [
        ({}, {"sgd": [0.1]}, [0], "settings is empty"),
        ({"a": MLP}, {}, [0], "lrs is empty"),
        ({"a": MLP}, {"sgd": []}, [0], r"lrs\['sgd'\] is empty"),
        ({"a": MLP}, {"sgd": [0.1]}, [], "seeds is empty"),
    ],
)
def test_run_grid_rejects_empty_inputs(settings, lrs, seeds, match) -> None:
    with pytest.raises(ValueError, match=match):
        run_grid(settings, lrs, seeds, SMALL, epochs=1)


def test_run_grid_is_bitwise_the_same_at_any_thread_count_and_restores_it() -> None:
    before = torch.get_num_threads()
    results = []
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            runs = _grid(lrs={"adam": [1e-2]})
            assert torch.get_num_threads() == threads
            results.append([(r.history.step_loss, r.history.grad_norms) for r in runs])
    finally:
        torch.set_num_threads(before)
    assert results[0] == results[1]
