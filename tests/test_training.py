"""nag_lib.training: the training loop learns, stops on divergence naming the step, refuses an
optimizer built over another model, never trains on the test set, and is reproducible; the grid
runner gives every optimizer the same start and picks learning rates from the training loss.
The recommended loop, fit, warms up and anneals its learning rate, clips the gradient norm, stops
early on the validation loss with the best weights restored, and resumes from a checkpoint bit
for bit (and would not if any piece of the checkpoint were missing)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from torch import nn

from nag_lib.data import Split, digits
from nag_lib.models import MLP
from nag_lib.repro import one_thread, seed_everything
from nag_lib.training import (
    DivergenceError,
    EarlyStopping,
    FitHistory,
    History,
    Run,
    accuracy,
    best_lr,
    best_runs,
    cosine,
    evaluate,
    fit,
    run_grid,
    train,
    warmup_cosine,
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


# --------------------------------------------------------------------------------------------
# fit: the recommended loop
# --------------------------------------------------------------------------------------------
VDATA = digits(val_fraction=0.2)
VSMALL = Split(
    VDATA.x_train[:320],
    VDATA.y_train[:320],
    VDATA.x_test[:100],
    VDATA.y_test[:100],
    VDATA.x_val[:100],  # type: ignore[index]
    VDATA.y_val[:100],  # type: ignore[index]
)
FIT = {"epochs": 8, "warmup_epochs": 2, "max_grad_norm": 1.0, "patience": 3}


def _nag(seed: int = 0, lr: float = 0.05) -> tuple[MLP, torch.optim.Optimizer]:
    model = _model(seed)
    return model, torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True)


def _params(model: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def _same(a: nn.Module, b: nn.Module) -> bool:
    return all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


def test_warmup_cosine_rises_linearly_then_follows_the_cosine_to_zero() -> None:
    total, warm = 40, 8
    f = [warmup_cosine(k, total, warm) for k in range(total + 1)]
    assert f[:warm] == [(k + 1) / warm for k in range(warm)]  # linear, from 1/8 up to 1
    assert f[warm - 1] == f[warm] == 1.0
    assert f[warm:] == [cosine((k - warm) / (total - warm)) for k in range(warm, total + 1)]
    assert all(a > b for a, b in zip(f[warm:], f[warm + 1 :], strict=False))
    assert f[-1] == 0.0 and f[total // 2 + warm // 2] == pytest.approx(0.5)
    assert [warmup_cosine(k, 10, 0) for k in range(11)] == [cosine(k / 10) for k in range(11)]


@pytest.mark.parametrize(
    ("args", "name"),
    [((0, 10, 10), "warmup_steps"), ((11, 10, 2), "step"), ((0, 0, 0), "total_steps")],
)
def test_warmup_cosine_refuses_impossible_positions(args: tuple[int, int, int], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        warmup_cosine(*args)


def test_fit_follows_the_warmup_cosine_schedule_and_restores_the_base_rate() -> None:
    model, opt = _nag(lr=0.05)
    hist = fit(model, opt, VSMALL, epochs=6, warmup_epochs=2, patience=None)
    per_epoch = math.ceil(320 / 64)
    total = 6 * per_epoch
    assert hist.lr == [0.05 * warmup_cosine(k, total, 2 * per_epoch) for k in range(total)]
    assert hist.lr[0] == pytest.approx(0.05 / (2 * per_epoch)) and max(hist.lr) == 0.05
    assert opt.param_groups[0]["lr"] == 0.05 and "initial_lr" not in opt.param_groups[0]


def test_fit_without_warmup_clipping_or_stopping_is_train_with_the_cosine_schedule() -> None:
    model_a, opt_a = _nag()
    hist = fit(model_a, opt_a, VSMALL, epochs=4, warmup_epochs=0, max_grad_norm=None, patience=None)
    model_b, opt_b = _nag()
    with one_thread():
        ref = train(model_b, opt_b, VSMALL, epochs=4, schedule=cosine)
    assert hist.step_loss == ref.step_loss and hist.train_loss == ref.train_loss


def test_clipping_bounds_the_gradient_norm_and_so_the_step() -> None:
    """One full-batch step of plain SGD (learning rate 1, no momentum): the parameters move by
    exactly the clipped gradient, whose norm is the threshold c, although the raw norm is larger.
    """
    moves = {}
    for c in (0.05, None):
        model = _model()
        start = _params(model)
        opt = torch.optim.SGD(model.parameters(), lr=1.0)
        kw = {"batch_size": 320, "warmup_epochs": 0, "patience": None, "stop_after": 1}
        hist = fit(model, opt, VSMALL, epochs=2, max_grad_norm=c, **kw)
        assert hist.interrupted and hist.steps == 1 and hist.lr == [1.0]
        step = torch.cat([(p - s).flatten() for p, s in zip(_params(model), start, strict=True)])
        moves[c] = (float(step.norm()), hist.grad_norm[0])
    (clipped, raw_norm), (unclipped, same_norm) = moves[0.05], moves[None]
    assert raw_norm == same_norm > 10 * 0.05  # the clip acted: the raw gradient was longer
    assert clipped == pytest.approx(0.05, rel=1e-4)
    assert unclipped == pytest.approx(raw_norm, rel=1e-4)


def test_early_stopping_counts_epochs_without_improvement_and_keeps_the_best_weights() -> None:
    net = nn.Linear(2, 1)
    stopper = EarlyStopping(patience=2, min_delta=0.01)
    decisions, best_weights = [], None
    for epoch, loss in enumerate([1.0, 0.8, 0.795, float("nan"), 0.7, 0.71, 0.72]):
        with torch.no_grad():
            net.weight.fill_(epoch)
        if epoch == 4:
            best_weights = net.weight.detach().clone()
        decisions.append(stopper.step(loss, net))
    # 0.795 is not better than 0.8 by more than 0.01; NaN never improves; 0.7 resets the count
    assert decisions == [False, False, False, True, False, False, True]
    assert stopper.best_epoch == 4 and stopper.best == 0.7 and stopper.stopped
    stopper.restore(net)
    assert torch.equal(net.weight, best_weights)
    again = EarlyStopping(patience=2, min_delta=0.01)
    again.load_state_dict(stopper.state_dict())
    assert again.state_dict() == stopper.state_dict()


def test_fit_stops_early_and_returns_the_weights_of_the_best_validation_epoch() -> None:
    model, opt = _nag(lr=0.3)  # a high rate on 320 images: the validation loss soon rises
    hist = fit(model, opt, VSMALL, epochs=40, warmup_epochs=1, patience=3)
    assert hist.stopped_early and not hist.interrupted
    assert hist.epochs == hist.best_epoch + 1 + 3 < 40
    assert hist.val_loss[hist.best_epoch] == min(hist.val_loss) < hist.val_loss[-1]
    with one_thread():
        assert evaluate(model, VSMALL.x_val, VSMALL.y_val) == (  # type: ignore[arg-type]
            hist.val_loss[hist.best_epoch],
            hist.val_accuracy[hist.best_epoch],
        )


def _interrupted(tmp_path: Path, k: int) -> Path:
    path = tmp_path / "run.pt"
    model, opt = _nag()
    hist = fit(model, opt, VSMALL, checkpoint=path, stop_after=k, **FIT)  # type: ignore[arg-type]
    assert hist.interrupted and hist.epochs == k
    return path


def _resumed(path: Path) -> tuple[MLP, FitHistory]:
    model, opt = _nag(seed=7)  # fresh objects, even other initial weights: all are overwritten
    return model, fit(model, opt, VSMALL, resume_from=path, **FIT)  # type: ignore[arg-type]


def test_a_resumed_run_is_bit_for_bit_the_uninterrupted_run(tmp_path: Path) -> None:
    model, opt = _nag()
    whole = fit(model, opt, VSMALL, **FIT)  # type: ignore[arg-type]
    assert whole.epochs == 8 and not whole.interrupted
    for k in (1, 3, 6):
        resumed_model, resumed = _resumed(_interrupted(tmp_path, k))
        assert resumed == whole  # every loss, rate, gradient norm and the best epoch
        assert _same(resumed_model, model)


def _fresh_piece(piece: str, state: dict) -> object:
    if piece == "generator":  # the batch order starts again from the seed
        return torch.Generator().manual_seed(0).get_state()
    if piece == "optimizer":  # the momentum buffers are lost
        return {**state["optimizer"], "state": {}}
    if piece == "scheduler":  # the schedule starts again (warm-up once more)
        return {**state["scheduler"], "last_epoch": 0, "_step_count": 1}
    raise AssertionError(piece)


@pytest.mark.parametrize("piece", ["generator", "optimizer", "scheduler"])
def test_the_resume_would_differ_if_a_piece_of_the_checkpoint_were_not_restored(
    tmp_path: Path, piece: str
) -> None:
    """The bit-for-bit test is not vacuous: each saved piece changes the result."""
    path = _interrupted(tmp_path, 3)
    _, faithful = _resumed(path)
    state = torch.load(path, weights_only=True)
    state[piece] = _fresh_piece(piece, state)
    torch.save(state, path)
    _, broken = _resumed(path)
    assert broken.step_loss[:15] == faithful.step_loss[:15]  # the first 3 epochs, as saved
    assert broken.step_loss[15:] != faithful.step_loss[15:]


def test_resuming_with_other_settings_or_without_a_file_is_refused(tmp_path: Path) -> None:
    path = _interrupted(tmp_path, 2)
    model, opt = _nag()
    with pytest.raises(ValueError, match=r"epochs=8.*epochs=9"):
        fit(model, opt, VSMALL, resume_from=path, **{**FIT, "epochs": 9})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"optimizer='SGD'.*optimizer='Adam'"):
        adam = torch.optim.Adam(model.parameters())
        fit(model, adam, VSMALL, resume_from=path, **FIT)  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError, match="resume_from"):
        fit(model, opt, VSMALL, resume_from=tmp_path / "missing.pt", **FIT)  # type: ignore[arg-type]


def test_a_checkpoint_of_a_stopped_run_resumes_to_the_restored_best_weights(
    tmp_path: Path,
) -> None:
    path = tmp_path / "stopped.pt"
    model, opt = _nag(lr=0.3)
    hist = fit(model, opt, VSMALL, epochs=40, warmup_epochs=1, patience=3, checkpoint=path)
    assert hist.stopped_early
    again, opt2 = _nag(seed=3, lr=0.3)
    resumed = fit(again, opt2, VSMALL, 40, warmup_epochs=1, patience=3, resume_from=path)
    assert resumed == hist and _same(again, model)


def test_fit_never_uses_the_test_set() -> None:
    nan_test = Split(
        VSMALL.x_train,
        VSMALL.y_train,
        torch.full_like(VSMALL.x_test, math.nan),
        (VSMALL.y_test + 1) % 10,
        VSMALL.x_val,
        VSMALL.y_val,
    )
    runs = []
    for data in (VSMALL, nan_test):
        model, opt = _nag()
        runs.append((fit(model, opt, data, **FIT), _params(model)))  # type: ignore[arg-type]
    assert runs[0][0] == runs[1][0]
    assert all(torch.equal(a, b) for a, b in zip(runs[0][1], runs[1][1], strict=True))


def test_fit_stops_a_diverging_run_naming_the_step_and_restores_the_rate() -> None:
    model, opt = _nag(lr=1e12)
    with pytest.raises(DivergenceError, match=r"at epoch 0, step \d+") as info:
        fit(model, opt, VSMALL, epochs=3, warmup_epochs=0, max_grad_norm=None)
    hist = info.value.history
    assert isinstance(hist, FitHistory) and f"step {hist.steps}" in str(info.value)
    assert opt.param_groups[0]["lr"] == 1e12


def test_fit_gives_the_same_bits_at_any_thread_count() -> None:
    before, results = torch.get_num_threads(), []
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            model, opt = _nag()
            results.append(fit(model, opt, VSMALL, epochs=3, warmup_epochs=1))
            assert torch.get_num_threads() == threads
    finally:
        torch.set_num_threads(before)
    assert results[0] == results[1]


def test_evaluate_gives_the_cross_entropy_and_the_accuracy() -> None:
    model = _model()
    model.train()
    loss, acc = evaluate(model, VSMALL.x_val, VSMALL.y_val)  # type: ignore[arg-type]
    assert model.training
    assert acc == accuracy(model, VSMALL.x_val, VSMALL.y_val)  # type: ignore[arg-type]
    with torch.no_grad():
        expected = nn.functional.cross_entropy(model(VSMALL.x_val), VSMALL.y_val)
    assert loss == pytest.approx(float(expected), rel=1e-6)
    with pytest.raises(ValueError, match="same length"):
        evaluate(model, VSMALL.x_test[:5], VSMALL.y_test[:4])
    with pytest.raises(ValueError, match="empty"):
        evaluate(model, VSMALL.x_test[:0], VSMALL.y_test[:0])


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"epochs": 0}, ValueError, "epochs"),
        ({"warmup_epochs": 8}, ValueError, "warmup_epochs"),
        ({"warmup_epochs": -1}, ValueError, "warmup_epochs"),
        ({"max_grad_norm": 0.0}, ValueError, "max_grad_norm"),
        ({"max_grad_norm": "1"}, TypeError, "max_grad_norm"),
        ({"patience": 0}, ValueError, "patience"),
        ({"min_delta": -0.1}, ValueError, "min_delta"),
        ({"seed": -1}, ValueError, "seed"),
        ({"stop_after": 0}, ValueError, "stop_after"),
        ({"checkpoint": 3}, TypeError, "checkpoint"),
        ({"resume_from": ""}, ValueError, "resume_from"),
    ],
)
def test_fit_names_a_bad_argument(kwargs: dict, error: type[Exception], name: str) -> None:
    model, opt = _nag()
    with pytest.raises(error, match=name):
        fit(model, opt, VSMALL, **{**FIT, **kwargs})


def test_fit_needs_a_validation_split_and_the_model_s_own_optimizer() -> None:
    model, opt = _nag()
    with pytest.raises(ValueError, match="validation"):
        fit(model, opt, SMALL, epochs=2)
    with pytest.raises(ValueError, match=r"model\.parameters\(\)"):
        fit(model, _nag(1)[1], VSMALL, epochs=2)
    with pytest.raises(TypeError, match="data"):
        fit(model, opt, (VSMALL.x_train, VSMALL.y_train), epochs=2)  # type: ignore[arg-type]


class _Recorder(nn.Module):
    """A linear classifier that records which training rows (by their index, stored in the
    first input column) each forward pass saw, in training mode."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 3)
        self.batches: list[list[int]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            self.batches.append([int(v) for v in x[:, 0]])
        out: torch.Tensor = self.linear(x)
        return out


def _indexed(n: int) -> Split:
    """n training rows whose first feature is the row's index; labels 0, 1, 2, 0, ..."""
    x = torch.stack([torch.arange(n, dtype=torch.float32), torch.ones(n)], dim=1)
    y = torch.arange(n) % 3
    return Split(x, y, x[:3], y[:3])


def test_the_epoch_loss_is_the_mean_over_examples_not_over_batches() -> None:
    """10 rows in batches of 4, 4 and 2: the last batch weighs 2/10, not 1/3."""
    seed_everything(0)
    model = _Recorder()
    hist = train(model, torch.optim.SGD(model.parameters(), lr=0.5), _indexed(10), 2, 4)
    sizes = [len(b) for b in model.batches]
    assert sizes == [4, 4, 2, 4, 4, 2]
    for epoch in range(2):
        steps = hist.step_loss[3 * epoch : 3 * epoch + 3]
        weighted = sum(s * k for s, k in zip(steps, sizes[:3], strict=True)) / 10
        assert hist.train_loss[epoch] == pytest.approx(weighted, rel=1e-12)
        assert abs(weighted - sum(steps) / 3) > 1e-6  # the two means differ here


def test_every_epoch_visits_every_row_once_in_a_new_order_that_the_seed_repeats() -> None:
    orders = []
    for _ in range(2):
        seed_everything(0)
        model = _Recorder()
        train(model, torch.optim.SGD(model.parameters(), lr=0.1), _indexed(12), 3, 4, seed=5)
        epochs = [[i for b in model.batches[3 * e : 3 * e + 3] for i in b] for e in range(3)]
        assert all(sorted(e) == list(range(12)) for e in epochs)  # each row once per epoch
        assert len({tuple(e) for e in epochs}) == 3  # reshuffled every epoch
        orders.append(epochs)
    assert orders[0] == orders[1]  # the same seed, the same orders
