"""nag_lib.ensemble: every member of a vectorised ensemble ends where the same network trained alone
with nag_lib.training ends, for every optimizer kind, with and without batch norm; a diverged
member is stopped and named while the others go on; bad input is refused by name."""

from __future__ import annotations

import math

import pytest
import torch

from nag_lib import ensemble
from nag_lib.data import Split, digits
from nag_lib.ensemble import Member, StackedMLP
from nag_lib.models import MLP
from nag_lib.optim import make_optimizer
from nag_lib.repro import seed_everything
from nag_lib.training import DivergenceError, History, train

FULL = digits(val_fraction=0.2)
# float64 data: the comparison is about arithmetic, not float32 rounding
DATA = Split(
    FULL.x_train[:200].double(),
    FULL.y_train[:200],
    FULL.x_test[:90].double(),
    FULL.y_test[:90],
    FULL.x_val[:60].double(),  # type: ignore[index]
    FULL.y_val[:60],  # type: ignore[index]
)
KIND_LRS = {"sgd": [0.1], "heavy_ball": [0.02], "nag": [0.02], "adam": [0.003], "nadam": [0.003]}


def _alone(build, m: Member, data: Split, epochs: int, batch_size: int) -> tuple[MLP, History]:
    seed_everything(m.seed)
    net = build(m).double()
    opt = make_optimizer(m.kind, net.parameters(), lr=m.lr, momentum=m.momentum)
    hist = train(
        net, opt, data, epochs, batch_size, seed=m.seed, record_grad_norms=True, grad_norm_every=1
    )
    return net, hist


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / b.norm())


@pytest.mark.parametrize(
    ("activation", "norm"),
    [
        ("leaky_relu", None),
        ("sigmoid", "batch"),
        ("tanh", None),
        ("relu", "batch"),
        ("elu", None),
        ("gelu", "batch"),
        ("silu", None),
    ],
)
def test_every_member_ends_where_it_ends_alone(activation: str, norm: str | None) -> None:
    def build(_: Member) -> MLP:
        return MLP(64, 10, depth=3, width=16, activation=activation, init="he", norm=norm)

    members = ensemble.grid(KIND_LRS, seeds=[0, 3])  # every kind, two initialisations
    hist = ensemble.train(build, members, DATA, epochs=3, batch_size=32, dtype=torch.float64)
    assert hist.diverged == {}
    for i, m in enumerate(members):
        net, ref = _alone(build, m, DATA, epochs=3, batch_size=32)
        lins = [mod for mod in net.modules() if isinstance(mod, torch.nn.Linear)]
        for k, lin in enumerate(lins):
            assert _rel(hist.model.weights[k][i].detach(), lin.weight.detach()) <= 1e-6
        # all of the member's parameters at once (a bias before batch norm gets a gradient of
        # rounding noise, ~1e-19, which no elementwise relative difference can compare)
        bns = [mod for mod in net.modules() if isinstance(mod, torch.nn.BatchNorm1d)]
        theirs = torch.cat(  # the flat buffer's order: weights, biases, then each norm's pair
            [lin.weight.detach().flatten() for lin in lins]
            + [lin.bias.detach() for lin in lins]
            + [p.detach() for bn in bns for p in (bn.weight, bn.bias)]
        )
        assert _rel(hist.model.flat[i], theirs) <= 1e-6
        steps = torch.tensor(ref.step_loss, dtype=torch.float64)
        assert ((hist.step_loss[:, i] - steps).abs() / steps).max() <= 1e-6
        assert (
            _rel(hist.train_loss[:, i], torch.tensor(ref.train_loss, dtype=torch.float64)) <= 1e-6
        )
        norms = torch.tensor(ref.grad_norms, dtype=torch.float64)
        assert ((hist.grad_norms[:, i] - norms).abs() / norms).max() <= 1e-6
        assert float(hist.test_accuracy[-1, i]) == pytest.approx(ref.test_accuracy[-1], abs=1e-6)
        for j, bn in enumerate(bns):  # running statistics, used at evaluation, match too
            assert _rel(getattr(hist.model, f"running_0_{j}_var")[i], bn.running_var) <= 1e-6


def test_members_may_differ_in_their_leaky_relu_slope() -> None:
    def build(m: Member) -> MLP:
        slope = float(m.setting)  # type: ignore[arg-type]
        act = "relu" if slope == 0 else "leaky_relu"
        return MLP(64, 10, depth=2, width=16, activation=act, init="he", negative_slope=slope)

    members = [Member("sgd", 0.1, seed=1, setting=a) for a in (0.0, 0.01, 0.3)]
    hist = ensemble.train(build, members, DATA, epochs=2, dtype=torch.float64)
    for i, m in enumerate(members):
        net, _ = _alone(build, m, DATA, epochs=2, batch_size=64)
        assert _rel(hist.model.weights[0][i].detach(), net.hidden[0][0].weight.detach()) <= 1e-6


def test_a_diverged_member_is_stopped_and_named_and_the_others_go_on() -> None:
    def build(_: Member) -> MLP:
        return MLP(64, 10, depth=2, width=16, activation="relu", init="he")

    members = [Member("sgd", 1e30, seed=0), Member("nag", 0.02, seed=0)]
    hist = ensemble.train(build, members, DATA, epochs=2, dtype=torch.float64)
    assert list(hist.diverged) == [0]
    message = hist.diverged[0]
    assert "member 0" in message and "sgd" in message and "lr=1e+30" in message
    with pytest.raises(DivergenceError, match=r"step (\d+)") as info:  # alone, it stops there too
        _alone(build, members[0], DATA, epochs=2, batch_size=64)
    step = int(str(info.value).split("step ")[1].split(" ")[0])
    assert f"step {step};" in message
    assert math.isnan(float(hist.step_loss[-1, 0])) and math.isnan(float(hist.test_accuracy[-1, 0]))
    net, ref = _alone(build, members[1], DATA, epochs=2, batch_size=64)
    assert _rel(hist.model.weights[0][1].detach(), net.hidden[0][0].weight.detach()) <= 1e-6
    assert hist.test_accuracy[-1, 1] == pytest.approx(ref.test_accuracy[-1], abs=1e-6)


def test_the_numbers_do_not_depend_on_the_thread_count() -> None:
    def build(_: Member) -> MLP:
        return MLP(64, 10, depth=2, width=16, activation="sigmoid", norm="batch")

    members = ensemble.grid({"adam": [0.003], "nag": [0.05]}, seeds=[0, 1])
    before = torch.get_num_threads()
    runs = []
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            runs.append(ensemble.train(build, members, DATA, epochs=2))
            assert torch.get_num_threads() == threads  # restored afterwards
    finally:
        torch.set_num_threads(before)
    assert torch.equal(runs[0].model.flat, runs[1].model.flat)


def test_validation_and_test_scores_are_recorded_when_asked() -> None:
    def build(_: Member) -> MLP:
        return MLP(64, 10, depth=2, width=16, activation="relu", init="he")

    members = ensemble.grid({"adam": [0.01]}, seeds=[0, 1])
    hist = ensemble.train(build, members, DATA, epochs=4, eval_every=2, grad_norm_every=3)
    assert hist.eval_epochs == [2, 4] and hist.grad_norm_steps == list(
        range(0, 4 * 4, 3)
    )  # 200 images: 4 steps per epoch
    assert hist.val_accuracy.shape == (2, 2) and hist.test_accuracy.shape == (1, 2)  # test: once
    assert (hist.val_accuracy[-1] > 0.3).all()  # chance is 0.1
    assert (hist.val_loss[-1] < hist.val_loss[0]).all()
    assert (hist.test_accuracy[-1] > 0.3).all()
    assert (hist.layer_shift[-1] > hist.layer_shift[0]).all()  # the weights kept moving
    no_val = Split(DATA.x_train, DATA.y_train, DATA.x_test, DATA.y_test)
    assert torch.isnan(ensemble.train(build, members, no_val, epochs=1).val_loss).all()
    assert hist.select(kind="adam", seed=1) == [1]
    with pytest.raises(ValueError, match="colour"):
        hist.select(colour="red")


def test_stacked_forward_equals_each_member_forward() -> None:
    nets = [
        MLP(5, 3, depth=3, width=4, activation="tanh", norm="layer", residual=True) for _ in "ab"
    ]
    stacked = StackedMLP(nets)
    x = torch.randn(6, 5)
    out = stacked(x)
    for i, net in enumerate(nets):
        assert torch.allclose(out[i], net(x), atol=1e-6)
    assert [z.shape for z in stacked.hidden_inputs(x)] == [(2, 6, 4)] * 3


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: Member("lbfgs", 0.1), ValueError, "kind"),
        (lambda: Member("sgd", 0.0), ValueError, "lr"),
        (lambda: Member("sgd", -0.1), ValueError, "lr"),
        (lambda: Member("sgd", "0.1"), TypeError, "lr"),  # type: ignore[arg-type]
        (lambda: Member("nag", 0.1, momentum=0.0), ValueError, "momentum"),
        (lambda: Member("nag", 0.1, momentum=1.0), ValueError, "momentum"),
        (lambda: Member("adam", 0.1, betas=(0.9, 1.0)), ValueError, r"betas\[1\]"),
        (lambda: Member("adam", 0.1, betas=[0.9, 0.99]), TypeError, "betas"),  # type: ignore[arg-type]
        (lambda: Member("sgd", 0.1, seed=-1), ValueError, "seed"),
        (lambda: Member("sgd", 0.1, seed=1.0), TypeError, "seed"),  # type: ignore[arg-type]
        (lambda: ensemble.members(["sgd", "nag"], [0.1], [0, 0]), ValueError, "lrs has 1 entries"),
        (lambda: ensemble.members(["sgd"], [0.1], [0, 1]), ValueError, "seeds has 2 entries"),
        (lambda: ensemble.members(["sgd"], [0.1], [0], momenta=[0.9, 0.9]), ValueError, "momenta"),
        (lambda: ensemble.members([], [], []), ValueError, "kinds"),
        (lambda: ensemble.members("sgd", [0.1], [0]), TypeError, "kinds"),
        (lambda: ensemble.grid({}, seeds=[0]), ValueError, "lrs"),
        (lambda: ensemble.grid({"sgd": []}, seeds=[0]), ValueError, "lrs"),
        (lambda: ensemble.grid({"sgd": [0.1]}, seeds=[]), ValueError, "seeds"),
        (lambda: StackedMLP([]), TypeError, "models"),
        (lambda: StackedMLP([torch.nn.Linear(2, 2)]), TypeError, r"models\[0\]"),
        (
            lambda: StackedMLP([MLP(4, 2, depth=1, width=3), MLP(4, 2, depth=2, width=3)]),
            ValueError,
            "architecture",
        ),
    ],
)
def test_bad_input_is_refused_by_name(call, error: type[Exception], name: str) -> None:
    with pytest.raises(error, match=name):
        call()


def _build(_: Member) -> MLP:
    return MLP(64, 10, depth=1, width=4)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"build": 3}, TypeError, "build"),
        ({"members": []}, ValueError, "members"),
        ({"members": [("sgd", 0.1)]}, TypeError, r"members\[0\]"),
        ({"members": "sgd"}, TypeError, "members"),
        ({"data": (1, 2)}, TypeError, "data"),
        ({"epochs": 0}, ValueError, "epochs"),
        ({"batch_size": 1.5}, TypeError, "batch_size"),
        ({"eval_every": 0}, ValueError, "eval_every"),
        ({"grad_norm_every": 0}, ValueError, "grad_norm_every"),
        ({"dtype": torch.int64}, TypeError, "dtype"),
        ({"build": lambda m: torch.nn.Linear(64, 10)}, TypeError, r"models\[0\]"),
        ({"start": 3}, TypeError, "start"),
        ({"start": StackedMLP([MLP(64, 10, depth=1, width=4)] * 2)}, ValueError, "start holds 2"),
    ],
)
def test_bad_arguments_to_train_are_named(kwargs: dict, error: type[Exception], name: str) -> None:
    args = {"build": _build, "members": [Member("sgd", 0.1)], "data": DATA, "epochs": 1}
    with pytest.raises(error, match=name):
        ensemble.train(**{**args, **kwargs})


def test_empty_training_data_is_refused() -> None:
    empty = Split(DATA.x_train[:0], DATA.y_train[:0], DATA.x_test, DATA.y_test)
    with pytest.raises(ValueError, match="x_train is empty"):
        ensemble.train(_build, [Member("sgd", 0.1)], empty, epochs=1)


def test_training_can_continue_from_a_trained_ensemble_as_it_would_alone() -> None:
    def build(m: Member) -> MLP:
        return MLP(64, 10, depth=2, width=16, activation="leaky_relu", init="he", norm="batch")

    burst = [Member("adam", 0.05, seed=s) for s in (0, 1)]
    calm = [Member("sgd", 0.1, seed=s) for s in (0, 1)]
    first = ensemble.train(build, burst, DATA, epochs=2, dtype=torch.float64)
    before = first.model.flat.clone()
    second = ensemble.train(build, calm, DATA, epochs=2, start=first.model)
    assert torch.equal(first.model.flat, before)  # the start is copied, not changed
    for i, (b, c) in enumerate(zip(burst, calm, strict=True)):
        net, _ = _alone(build, b, DATA, epochs=2, batch_size=64)
        opt = make_optimizer("sgd", net.parameters(), lr=c.lr)
        train(net, opt, DATA, 2, seed=c.seed)
        lins = [mod for mod in net.modules() if isinstance(mod, torch.nn.Linear)]
        for k, lin in enumerate(lins):
            assert _rel(second.model.weights[k][i].detach(), lin.weight.detach()) <= 1e-6


def test_dead_fractions_and_accuracy_match_the_single_network_measures() -> None:
    from nag_lib.gradflow import dead_unit_fraction
    from nag_lib.training import accuracy

    nets = []
    for seed in (0, 1):
        seed_everything(seed)
        nets.append(MLP(64, 10, depth=3, width=8, activation="relu", weight_scale=3.0).double())
    stacked = StackedMLP(nets)
    x = DATA.x_train
    dead = stacked.dead_fractions(x)
    acc = stacked.accuracy(DATA.x_test, DATA.y_test)
    for i, net in enumerate(nets):
        assert dead[i].tolist() == pytest.approx(dead_unit_fraction(net, x))
        assert float(acc[i]) == pytest.approx(accuracy(net, DATA.x_test, DATA.y_test), abs=1e-6)
    with pytest.raises(ValueError, match="y must be"):
        stacked.accuracy(DATA.x_test, DATA.y_test[:3])


def test_an_annealed_member_ends_where_it_ends_alone_with_the_same_schedule() -> None:
    from nag_lib.training import cosine

    def build(_: Member) -> MLP:
        return MLP(64, 10, depth=2, width=16, activation="sigmoid", norm="batch")

    members = ensemble.grid({"nag": [0.05], "adam": [0.01]}, seeds=[2])
    hist = ensemble.train(build, members, DATA, epochs=3, dtype=torch.float64, schedule=cosine)
    plain = ensemble.train(build, members, DATA, epochs=3, dtype=torch.float64)
    assert not torch.allclose(hist.model.flat, plain.model.flat)  # the schedule did something
    for i, m in enumerate(members):
        seed_everything(m.seed)
        net = build(m).double()
        opt = make_optimizer(m.kind, net.parameters(), lr=m.lr)
        train(net, opt, DATA, 3, seed=m.seed, schedule=cosine)
        assert opt.param_groups[0]["lr"] == m.lr  # restored after training
        lins = [mod for mod in net.modules() if isinstance(mod, torch.nn.Linear)]
        for k, lin in enumerate(lins):
            assert _rel(hist.model.weights[k][i].detach(), lin.weight.detach()) <= 1e-6


def test_hidden_inputs_are_each_members_activation_inputs() -> None:
    nets = []
    for seed, slope in enumerate((0.0, 0.01, 0.3)):
        seed_everything(seed)
        act = "leaky_relu" if slope else "relu"
        nets.append(MLP(6, 3, depth=3, width=5, activation=act, negative_slope=slope).double())
    x = torch.randn(40, 6, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    pre = StackedMLP(nets).hidden_inputs(x)
    assert [tuple(z.shape) for z in pre] == [(3, 40, 5)] * 3
    for m, net in enumerate(nets):
        seen: list[torch.Tensor] = []
        hooks = [
            mod.register_forward_hook(lambda _m, inp, _o, rec=seen.append: rec(inp[0]))
            for mod in net.modules()
            if isinstance(mod, (torch.nn.ReLU, torch.nn.LeakyReLU))
        ]
        net(x)
        for h in hooks:
            h.remove()
        for z, ref in zip(pre, seen, strict=True):
            assert torch.allclose(z[m], ref, rtol=0, atol=1e-12)


def test_members_with_their_own_betas_end_where_they_end_alone() -> None:
    from nag_lib.optim import Adam, NAdam

    def build(_: Member) -> MLP:
        return MLP(64, 10, depth=2, width=16, activation="tanh")

    members = [
        Member("adam", 0.01, seed=1, betas=(0.9, 0.999)),
        Member("adam", 0.01, seed=1, betas=(0.8, 0.99)),
        Member("nadam", 0.01, seed=1, betas=(0.85, 0.995)),
        Member("nadam", 0.01, seed=1, betas=(0.9, 0.999)),
    ]
    hist = ensemble.train(build, members, DATA, epochs=2, dtype=torch.float64)
    for i, m in enumerate(members):
        seed_everything(m.seed)
        net = build(m).double()
        opt = (Adam if m.kind == "adam" else NAdam)(net.parameters(), lr=m.lr, betas=m.betas)
        train(net, opt, DATA, 2, seed=m.seed)
        assert _rel(hist.model.weights[0][i].detach(), net.hidden[0][0].weight.detach()) <= 1e-6


def test_members_of_different_activations_and_norms_train_together_as_alone() -> None:
    settings = {
        "sigmoid": {"activation": "sigmoid"},
        "leaky": {"activation": "leaky_relu", "init": "he"},
        "sigmoid+bn": {"activation": "sigmoid", "norm": "batch"},
        "tanh+ln": {"activation": "tanh", "norm": "layer"},
    }

    def build(m: Member) -> MLP:
        return MLP(64, 10, depth=3, width=16, **settings[m.setting])  # type: ignore[arg-type]

    # kinds in the order the optimizer segments need, settings interleaved within each kind
    members = [
        Member(kind, lr, seed=2, setting=s)
        for kind, lr in (("sgd", 0.1), ("nag", 0.02), ("adam", 0.003), ("nadam", 0.003))
        for s in settings
    ]
    hist = ensemble.train(build, members, DATA, epochs=2, batch_size=32, dtype=torch.float64)
    assert len(hist.model.blocks) == len(members)  # every member its own block here
    for i, m in enumerate(members):
        net, ref = _alone(build, m, DATA, epochs=2, batch_size=32)
        lins = [mod for mod in net.modules() if isinstance(mod, torch.nn.Linear)]
        for k, lin in enumerate(lins):
            assert _rel(hist.model.weights[k][i].detach(), lin.weight.detach()) <= 1e-6, (m, k)
        assert float(hist.test_accuracy[-1, i]) == pytest.approx(ref.test_accuracy[-1], abs=1e-6)
    grouped = sorted(members, key=lambda m: list(settings).index(str(m.setting)))
    blocks = ensemble.train(build, grouped, DATA, epochs=1, dtype=torch.float64).model.blocks
    assert [(b.start, b.stop) for b in blocks] == [(0, 4), (4, 8), (8, 12), (12, 16)]


def test_a_prelu_network_is_refused_by_name_rather_than_stacked_wrongly() -> None:
    nets = [MLP(64, 10, depth=2, width=8, activation="prelu") for _ in range(2)]
    with pytest.raises(ValueError, match="'prelu'"):
        ensemble.StackedMLP(nets)
