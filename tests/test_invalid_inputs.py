"""Every public entry point of nag_lib refuses bad arguments before it does anything: the error is
a ``TypeError`` (wrong type) or a ``ValueError`` (right type, impossible value) whose message
names the argument, and nothing changed (parameters, optimizer state, data, the random
generators).

``ENTRIES`` lists one row per (entry point, argument): a call that passes a drawn bad value for
that argument and valid values for the rest, and the *kind* of the argument, which fixes the bad
values hypothesis draws (see ``KINDS``). Ambiguous values are not drawn: ``True`` for a number
(``bool`` is an ``int`` in Python), ``None`` for an optional argument.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from nag_lib import (
    activations,
    cost,
    data,
    ensemble,
    evidence,
    fused,
    gradflow,
    models,
    noisy,
    optim,
    paper,
    problems,
    recurrent,
    repro,
    training,
    widgets,
)

# --------------------------------------------------------------------------------------------
# shared, small objects that no failed call may change
# --------------------------------------------------------------------------------------------
torch.manual_seed(0)
MODEL = models.MLP(4, 3, depth=2, width=5, activation="relu", init="he")
OPT = optim.NAG(MODEL.parameters(), lr=0.1)
X = torch.randn(6, 4)
Y = torch.tensor([0, 1, 2, 0, 1, 2])
SPLIT = data.Split(X, Y, X.clone(), Y.clone())
VSPLIT = data.Split(X, Y, X.clone(), Y.clone(), X.clone(), Y.clone())  # with a validation split
NORMS = [1.0, 0.5, 0.25]
QUAD = problems.quadratic(10.0, dim=2)
WORST = problems.nesterov_worst_case(2)  # a Nesterov worst function in 2 variables
X0 = np.array([1.0, -1.0])
NQ, nz = noisy.noisy_quadratic(10.0, dim=2), noisy  # nag_lib.noisy's rows


def _grad(x: np.ndarray) -> np.ndarray:
    return 2.0 * x


def _closure() -> torch.Tensor:
    OPT.zero_grad()
    loss = nn.functional.cross_entropy(MODEL(X), Y)
    loss.backward()
    return loss


def _draw(v: float) -> Any:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [0, v])
    return fig


SLIDER = widgets.Control("v", [1.0, 2.0], 1.0)  # a valid control of _draw
LINEAR_ONLY = nn.Sequential(nn.Linear(4, 2))


def _small_mlp() -> nn.Module:
    return models.MLP(4, 3, depth=1, width=4)


def _leaf() -> torch.Tensor:
    return torch.zeros(3, requires_grad=True)


def _snapshot() -> list[Any]:
    """Everything a failed call must leave alone."""
    return [
        [p.detach().clone() for p in MODEL.parameters()],
        [p.grad.clone() if p.grad is not None else None for p in MODEL.parameters()],
        {k: {n: v.clone() for n, v in s.items()} for k, s in OPT.state_dict()["state"].items()},
        [dict(g) for g in OPT.state_dict()["param_groups"]],
        [t.clone() for t in (X, Y, SPLIT.x_test, SPLIT.y_test)],
        [p.detach().clone() for p in LINEAR_ONLY.parameters()],
        X0.copy(),
        torch.get_rng_state(),
        np.random.get_state()[1].copy(),  # noqa: NPY002
        random.getstate(),
    ]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.shape == b.shape and torch.equal(a, b)
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and np.array_equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


# --------------------------------------------------------------------------------------------
# kinds of argument, and the bad values drawn for each: (wrong types, impossible values)
# --------------------------------------------------------------------------------------------
NOT_A_NUMBER = st.sampled_from(["0.5", [0.5], 1j, object()])
NAN_INF = st.sampled_from([math.nan, math.inf, -math.inf])
negative = st.floats(max_value=-1e-6, allow_nan=False)


def _ints_below(low: int) -> st.SearchStrategy[int]:
    return st.integers(max_value=low - 1, min_value=-(2**40))


KINDS: dict[str, tuple[st.SearchStrategy[Any] | None, st.SearchStrategy[Any] | None]] = {
    "real": (NOT_A_NUMBER, NAN_INF),
    "real>=0": (NOT_A_NUMBER, NAN_INF | negative),
    "real>0": (NOT_A_NUMBER, NAN_INF | negative | st.just(0.0)),
    "[0,1)": (NOT_A_NUMBER, NAN_INF | negative | st.floats(1.0, 1e9)),
    "(0,1)": (NOT_A_NUMBER, NAN_INF | negative | st.sampled_from([0.0, 1.0, 2.5])),
    "[0,1]": (NOT_A_NUMBER, NAN_INF | negative | st.floats(1.0 + 1e-6, 1e9)),
    "int>=1": (st.sampled_from([1.5, "2", [2], 2.0]), _ints_below(1)),
    "int>=0": (st.sampled_from([1.5, "2", [2], 2.0]), _ints_below(0)),
    "bool": (st.sampled_from([0, 1, "yes", None, 1.0]), None),
    "bool|None": (st.sampled_from([0, 1, "yes", 1.0]), None),
    "tensors": (st.sampled_from([5, None, "abc", [1.0, 2.0]]), None),
    "callable": (st.sampled_from([3, "f", [len]]), None),
    "tensor": (st.sampled_from([[1.0, 2.0], "x", None, 3.0]), None),
    "module": (st.sampled_from([[1.0], "net", None, 3]), None),
    "optimizer": (st.sampled_from([[1.0], "sgd", None, MODEL]), None),
    "params": (st.sampled_from([5, None, "abc", _leaf(), [1.0, 2.0]]), st.just([])),
    "choice": (None, st.sampled_from(["", "nope", "NAG ", "relu6", "adamw"])),
    "name": (None, st.just("")),
    "vector": (None, st.sampled_from([np.zeros((2, 2)), np.zeros(0), [[1.0]]])),
}


@dataclass(frozen=True)
class Entry:
    """``call(bad)`` calls one entry point with ``bad`` for ``arg`` and valid other arguments."""

    where: str
    arg: str
    kind: str
    call: Callable[[Any], Any]

    def __str__(self) -> str:
        return f"{self.where}({self.arg})"


def _e(where: str, arg: str, kind: str, call: Callable[[Any], Any]) -> Entry:
    return Entry(where, arg, kind, call)


o, pr, ac, gf, tr, wd, co = optim, problems, activations, gradflow, training, widgets, cost
fu = fused
pa = paper
en, ev, rc = ensemble, evidence, recurrent


def _tiny(_: Any) -> models.MLP:
    return models.MLP(4, 3, depth=1, width=4)


ONE = [ensemble.Member("sgd", 0.1)]
TWO_ARCHITECTURES = [models.MLP(4, 3, depth=1), models.MLP(4, 3, depth=2)]
STACK_OF_ONE = ensemble.StackedMLP([_tiny(None)])
RC_SPLIT = recurrent.adding_problem(4, n_train=4, n_val=2, n_test=2)
RC_MIXED = [recurrent.RecurrentNet("rnn", 2, 3), recurrent.RecurrentNet("lstm", 2, 3)]
RC_STACK = recurrent.StackedRecurrent(RC_MIXED[:1])


def _rnn(_: Any) -> recurrent.RecurrentNet:
    return recurrent.RecurrentNet("rnn", 2, 3)


ENTRIES = [
    # nag_lib.optim: torch optimizers (a fresh parameter each call) and paper forms
    _e("HeavyBall", "params", "params", lambda v: o.HeavyBall(v, lr=0.1)),
    _e("HeavyBall", "lr", "real>=0", lambda v: o.HeavyBall([_leaf()], lr=v)),
    _e("HeavyBall", "momentum", "[0,1)", lambda v: o.HeavyBall([_leaf()], lr=0.1, momentum=v)),
    _e("HeavyBall", "dampening", "[0,1]", lambda v: o.HeavyBall([_leaf()], 0.1, dampening=v)),
    _e("HeavyBall", "weight_decay", "real>=0", lambda v: o.HeavyBall([_leaf()], 0.1, weight_decay=v)),
    _e("HeavyBall", "maximize", "bool", lambda v: o.HeavyBall([_leaf()], 0.1, maximize=v)),
    _e("NAG", "params", "params", lambda v: o.NAG(v, lr=0.1)),
    _e("NAG", "lr", "real>=0", lambda v: o.NAG([_leaf()], lr=v)),
    _e("NAG", "momentum", "(0,1)", lambda v: o.NAG([_leaf()], lr=0.1, momentum=v)),
    _e("NAG", "weight_decay", "real>=0", lambda v: o.NAG([_leaf()], 0.1, weight_decay=v)),
    _e("NAG", "maximize", "bool", lambda v: o.NAG([_leaf()], 0.1, maximize=v)),
    _e("NAG.add_param_group", "lr", "real>=0", lambda v: OPT.add_param_group({"params": [_leaf()], "lr": v})),
    _e("NAG.add_param_group", "momentum", "(0,1)", lambda v: OPT.add_param_group({"params": [_leaf()], "momentum": v})),
    _e("Adam", "params", "params", lambda v: o.Adam(v)),
    _e("Adam", "lr", "real>=0", lambda v: o.Adam([_leaf()], lr=v)),
    _e("Adam", "eps", "real>=0", lambda v: o.Adam([_leaf()], eps=v)),
    _e("Adam", "betas[0]", "[0,1)", lambda v: o.Adam([_leaf()], betas=(v, 0.999))),
    _e("Adam", "betas[1]", "[0,1)", lambda v: o.Adam([_leaf()], betas=(0.9, v))),
    _e("Adam", "amsgrad", "bool", lambda v: o.Adam([_leaf()], amsgrad=v)),
    _e("Adam", "fused", "bool|None", lambda v: o.Adam([_leaf()], fused=v)),
    _e("HeavyBall", "fused", "bool|None", lambda v: o.HeavyBall([_leaf()], 0.1, fused=v)),
    _e("NAG", "fused", "bool|None", lambda v: o.NAG([_leaf()], 0.1, fused=v)),
    _e("NAdam", "fused", "bool|None", lambda v: o.NAdam([_leaf()], fused=v)),
    _e("NAdam", "decoupled_weight_decay", "bool", lambda v: o.NAdam([_leaf()], decoupled_weight_decay=v)),
    _e("AdamW", "fused", "bool|None", lambda v: o.AdamW([_leaf()], fused=v)),
    _e("supports", "lists", "tensors", lambda v: fu.supports(v)),
    _e("step_bytes_per_parameter", "optimizer", "optimizer", lambda v: co.step_bytes_per_parameter(v)),
    _e("AdamW", "params", "params", lambda v: o.AdamW(v)),
    _e("AdamW", "lr", "real>=0", lambda v: o.AdamW([_leaf()], lr=v)),
    _e("AdamW", "weight_decay", "real>=0", lambda v: o.AdamW([_leaf()], weight_decay=v)),
    _e("AdamW", "betas[1]", "[0,1)", lambda v: o.AdamW([_leaf()], betas=(0.9, v))),
    _e("AdamW", "amsgrad", "bool", lambda v: o.AdamW([_leaf()], amsgrad=v)),
    _e("RMSprop", "params", "params", lambda v: o.RMSprop(v)),
    _e("RMSprop", "lr", "real>=0", lambda v: o.RMSprop([_leaf()], lr=v)),
    _e("RMSprop", "alpha", "[0,1)", lambda v: o.RMSprop([_leaf()], alpha=v)),
    _e("RMSprop", "eps", "real>=0", lambda v: o.RMSprop([_leaf()], eps=v)),
    _e("RMSprop", "weight_decay", "real>=0", lambda v: o.RMSprop([_leaf()], weight_decay=v)),
    _e("RMSprop", "momentum", "[0,1)", lambda v: o.RMSprop([_leaf()], momentum=v)),
    _e("RMSprop", "centered", "bool", lambda v: o.RMSprop([_leaf()], centered=v)),
    _e("RMSprop", "maximize", "bool", lambda v: o.RMSprop([_leaf()], maximize=v)),
    _e("NAdam", "momentum_decay", "real>=0", lambda v: o.NAdam([_leaf()], momentum_decay=v)),
    _e("NAdam", "weight_decay", "real>=0", lambda v: o.NAdam([_leaf()], weight_decay=v)),
    _e("CountingClosure", "closure", "callable", lambda v: o.CountingClosure(v)),
    _e("make_optimizer", "name", "choice", lambda v: o.make_optimizer(v, [_leaf()], lr=0.1)),
    _e("make_optimizer", "lr", "real>=0", lambda v: o.make_optimizer("nag", [_leaf()], lr=v)),
    _e("gradient_descent", "grad", "callable", lambda v: o.gradient_descent(v, X0, 0.1, 5)),
    _e("gradient_descent", "x0", "vector", lambda v: o.gradient_descent(_grad, v, 0.1, 5)),
    _e("gradient_descent", "lr", "real>0", lambda v: o.gradient_descent(_grad, X0, v, 5)),
    _e("gradient_descent", "steps", "int>=0", lambda v: o.gradient_descent(_grad, X0, 0.1, v)),
    _e("heavy_ball", "momentum", "[0,1)", lambda v: o.heavy_ball(_grad, X0, 0.1, v, 5)),
    _e("nesterov_1983", "momentum", "[0,1)", lambda v: o.nesterov_1983(_grad, X0, 0.1, 5, v)),
    _e("nesterov_1983", "lr", "real>0", lambda v: o.nesterov_1983(_grad, X0, v, 5)),
    _e("adam", "lr", "real>0", lambda v: pa.adam(_grad, X0, v, 5)),
    _e("adam", "x0", "vector", lambda v: pa.adam(_grad, v, 0.1, 5)),
    _e("adam", "beta1", "[0,1)", lambda v: pa.adam(_grad, X0, 0.1, 5, beta1=v)),
    _e("adam", "beta2", "[0,1)", lambda v: pa.adam(_grad, X0, 0.1, 5, beta2=v)),
    _e("adam", "eps", "real>=0", lambda v: pa.adam(_grad, X0, 0.1, 5, eps=v)),
    _e("nadam", "steps", "int>=0", lambda v: pa.nadam(_grad, X0, 0.1, v)),
    _e("nadam", "momentum_decay", "real>=0", lambda v: pa.nadam(_grad, X0, 0.1, 5, momentum_decay=v)),
    _e("nadam", "schedule", "bool", lambda v: pa.nadam(_grad, X0, 0.1, 5, schedule=v)),
    _e("nesterov_sutskever", "momentum", "[0,1)", lambda v: o.nesterov_sutskever(_grad, X0, 0.1, v, 5)),
    _e("nesterov_bengio", "steps", "int>=0", lambda v: o.nesterov_bengio(_grad, X0, 0.1, 0.5, v)),
    _e("nesterov_pytorch", "lr", "real>0", lambda v: o.nesterov_pytorch(_grad, X0, v, 0.5, 5)),
    # nag_lib.problems
    _e("quadratic", "kappa", "real", lambda v: pr.quadratic(v)),
    _e("quadratic", "mu", "real>0", lambda v: pr.quadratic(10.0, mu=v)),
    _e("quadratic", "dim", "int>=1", lambda v: pr.quadratic(1.0, dim=v)),
    _e("convex_quadratic", "L", "real>0", lambda v: pr.convex_quadratic(5, L=v)),
    _e("nesterov_worst_case", "n", "int>=1", lambda v: pr.nesterov_worst_case(v)),
    _e("nesterov_worst_case", "L", "real>0", lambda v: pr.nesterov_worst_case(5, L=v)),
    _e("WorstCaseQuadratic.grad", "x", "vector", lambda v: WORST.grad(v)),
    _e("WorstCaseQuadratic.value", "x", "vector", lambda v: WORST.value(v)),
    _e("WorstCaseQuadratic.krylov_gap", "k", "int>=0", lambda v: WORST.krylov_gap(v)),
    _e("convex_quadratic", "smallest", "(0,1)", lambda v: pr.convex_quadratic(5, smallest=v * 2 - 1 if v == 1.0 else v)),
    _e("rosenbrock", "a", "real", lambda v: pr.rosenbrock([0.0, 0.0], a=v)),
    _e("rosenbrock_grad", "b", "real", lambda v: pr.rosenbrock_grad([0.0, 0.0], b=v)),
    _e("rosenbrock_points", "a", "real", lambda v: pr.rosenbrock_points(np.zeros((3, 2)), a=v)),
    _e("gd_optimal", "L", "real>0", lambda v: pr.gd_optimal(v, 1e-9)),
    _e("heavy_ball_optimal", "mu", "real>0", lambda v: pr.heavy_ball_optimal(1.0, v)),
    _e("nag_optimal", "L", "real>0", lambda v: pr.nag_optimal(v, 1e-9)),
    _e("iteration_matrix", "method", "choice", lambda v: pr.iteration_matrix(v, 0.1, 0.5, 1.0)),
    _e("iteration_matrix", "lr", "real>=0", lambda v: pr.iteration_matrix("nag", v, 0.5, 1.0)),
    _e("iteration_matrix", "eigenvalue", "real", lambda v: pr.iteration_matrix("gd", 0.1, 0.0, v)),
    _e("spectral_radius", "momentum", "real>=0", lambda v: pr.spectral_radius("heavy_ball", 0.1, v, [1.0])),
    _e("spectral_radius", "eigenvalues", "vector", lambda v: pr.spectral_radius("gd", 0.1, 0.0, v)),
    _e("iterations_to_tolerance", "tol", "real>=0", lambda v: pr.iterations_to_tolerance([1.0, 0.1], v)),
    _e("tuned_iterations", "method", "choice", lambda v: pr.tuned_iterations(v, QUAD, 1e-3)),
    _e("tuned_iterations", "tol", "(0,1)", lambda v: pr.tuned_iterations("gd", QUAD, v)),
    _e("tuned_iterations", "max_steps", "int>=1", lambda v: pr.tuned_iterations("gd", QUAD, 1e-3, max_steps=v)),
    # nag_lib.activations
    _e("leaky_relu", "x", "tensor", lambda v: ac.leaky_relu(v)),
    _e("leaky_relu", "negative_slope", "[0,1)", lambda v: ac.leaky_relu(X, v)),
    _e("leaky_relu_grad", "negative_slope", "[0,1)", lambda v: ac.leaky_relu_grad(X, v)),
    _e("leaky_relu_gain", "negative_slope", "[0,1)", lambda v: ac.leaky_relu_gain(v)),
    _e("sigmoid_grad", "x", "tensor", lambda v: ac.sigmoid_grad(v)),
    _e("tanh_grad", "x", "tensor", lambda v: ac.tanh_grad(v)),
    _e("source_leaky_formula", "slope", "real", lambda v: ac.source_leaky_formula(X, slope=v)),
    _e("source_leaky_formula_grad", "b", "real", lambda v: ac.source_leaky_formula_grad(X, b=v)),
    _e("elu_grad", "x", "tensor", lambda v: ac.elu_grad(v)),
    _e("elu_grad", "alpha", "real>0", lambda v: ac.elu_grad(X, alpha=v)),
    _e("gelu_grad", "x", "tensor", lambda v: ac.gelu_grad(v)),
    _e("gelu_grad", "approximate", "choice", lambda v: ac.gelu_grad(X, approximate=v)),
    _e("silu_grad", "x", "tensor", lambda v: ac.silu_grad(v)),
    _e("gaussian_expectation", "fn", "callable", lambda v: ac.gaussian_expectation(v)),
    _e("gaussian_expectation", "points", "int>=1", lambda v: ac.gaussian_expectation(torch.exp, v)),
    _e("variance_gain", "activation", "choice", lambda v: ac.variance_gain(v)),
    _e("variance_gain", "negative_slope", "[0,1)", lambda v: ac.variance_gain("prelu", v)),
    # nag_lib.gradflow
    _e("layer_grad_norms", "model", "module", lambda v: gf.layer_grad_norms(v)),
    _e("layer_grad_norms", "per_element", "bool", lambda v: gf.layer_grad_norms(MODEL, per_element=v)),
    _e("gradient_profile", "model", "module", lambda v: gf.gradient_profile(v, X, Y)),
    _e("gradient_profile", "loss_fn", "callable", lambda v: gf.gradient_profile(MODEL, X, Y, loss_fn=v)),
    _e("dead_fraction", "activations", "tensor", lambda v: gf.dead_fraction(v)),
    _e("dead_unit_fraction", "model", "module", lambda v: gf.dead_unit_fraction(v, X)),
    _e("first_last_ratio", "include_head", "bool", lambda v: gf.first_last_ratio(NORMS, include_head=v)),
    # nag_lib.models
    _e("MLP", "in_features", "int>=1", lambda v: models.MLP(v, 3)),
    _e("MLP", "depth", "int>=1", lambda v: models.MLP(4, 3, depth=v)),
    _e("MLP", "width", "int>=1", lambda v: models.MLP(4, 3, width=v)),
    _e("MLP", "activation", "choice", lambda v: models.MLP(4, 3, activation=v)),
    _e("MLP", "init", "choice", lambda v: models.MLP(4, 3, init=v)),
    _e("MLP", "negative_slope", "[0,1)", lambda v: models.MLP(4, 3, negative_slope=v)),
    _e("MLP", "norm", "choice", lambda v: models.MLP(4, 3, norm=v)),
    _e("MLP", "residual", "bool", lambda v: models.MLP(4, 3, residual=v)),
    _e("MLP", "weight_scale", "real>0", lambda v: models.MLP(4, 3, weight_scale=v)),
    # nag_lib.training
    _e("train", "epochs", "int>=1", lambda v: tr.train(MODEL, OPT, SPLIT, epochs=v)),
    _e("train", "batch_size", "int>=1", lambda v: tr.train(MODEL, OPT, SPLIT, 1, batch_size=v)),
    _e("train", "grad_norm_every", "int>=1", lambda v: tr.train(MODEL, OPT, SPLIT, 1, grad_norm_every=v)),
    _e("train", "model", "module", lambda v: tr.train(v, OPT, SPLIT, 1)),
    _e("train", "optimizer", "optimizer", lambda v: tr.train(MODEL, v, SPLIT, 1)),
    _e("accuracy", "model", "module", lambda v: tr.accuracy(v, X, Y)),
    _e("run_grid", "epochs", "int>=1", lambda v: tr.run_grid({"m": _small_mlp}, {"sgd": [0.1]}, [0], SPLIT, v)),
    _e("fit", "model", "module", lambda v: tr.fit(v, OPT, VSPLIT, 2)),
    _e("fit", "optimizer", "optimizer", lambda v: tr.fit(MODEL, v, VSPLIT, 2)),
    _e("fit", "epochs", "int>=1", lambda v: tr.fit(MODEL, OPT, VSPLIT, v, warmup_epochs=0)),
    _e("fit", "batch_size", "int>=1", lambda v: tr.fit(MODEL, OPT, VSPLIT, 2, batch_size=v)),
    _e("fit", "seed", "int>=0", lambda v: tr.fit(MODEL, OPT, VSPLIT, 2, seed=v)),
    _e("fit", "warmup_epochs", "int>=0", lambda v: tr.fit(MODEL, OPT, VSPLIT, 2, warmup_epochs=v)),
    _e("fit", "max_grad_norm", "real>0", lambda v: tr.fit(MODEL, OPT, VSPLIT, 2, max_grad_norm=v)),
    _e("fit", "patience", "int>=1", lambda v: tr.fit(MODEL, OPT, VSPLIT, 2, patience=v)),
    _e("fit", "min_delta", "real>=0", lambda v: tr.fit(MODEL, OPT, VSPLIT, 2, min_delta=v)),
    _e("fit", "stop_after", "int>=1", lambda v: tr.fit(MODEL, OPT, VSPLIT, 2, stop_after=v)),
    _e("fit", "checkpoint", "name", lambda v: tr.fit(MODEL, OPT, VSPLIT, 2, checkpoint=v)),
    _e("fit", "resume_from", "name", lambda v: tr.fit(MODEL, OPT, VSPLIT, 2, resume_from=v)),
    _e("evaluate", "model", "module", lambda v: tr.evaluate(v, X, Y)),
    _e("warmup_cosine", "step", "int>=0", lambda v: tr.warmup_cosine(v, 10, 2)),
    _e("warmup_cosine", "total_steps", "int>=1", lambda v: tr.warmup_cosine(0, v, 0)),
    _e("warmup_cosine", "warmup_steps", "int>=0", lambda v: tr.warmup_cosine(0, 10, v)),
    _e("EarlyStopping", "patience", "int>=1", lambda v: tr.EarlyStopping(v)),
    _e("EarlyStopping", "min_delta", "real>=0", lambda v: tr.EarlyStopping(3, v)),
    _e("EarlyStopping.step", "model", "module", lambda v: tr.EarlyStopping(3).step(1.0, v)),
    # nag_lib.widgets
    _e("static_explorer", "draw", "callable", lambda v: wd.static_explorer(v, [1, 2], name="v", alt="a")),
    _e("static_explorer", "fmt", "callable", lambda v: wd.static_explorer(_draw, [1, 2], name="v", alt="a", fmt=v)),
    _e("static_explorer", "name", "name", lambda v: wd.static_explorer(_draw, [1, 2], name=v, alt="a")),
    _e("static_explorer", "alt", "name", lambda v: wd.static_explorer(_draw, [1, 2], name="v", alt=v)),
    _e("static_explorer", "dpi", "real>0", lambda v: wd.static_explorer(_draw, [1, 2], name="v", alt="a", dpi=v)),
    _e("show_live", "draw", "callable", lambda v: wd.show_live(v, SLIDER)),
    _e("live_explorer", "draw", "callable", lambda v: wd.live_explorer(v, v=(0.0, 1.0, 0.5))),
    _e("Control", "name", "name", lambda v: wd.Control(v, [1.0, 2.0], 1.0)),
    _e("Control", "fmt", "callable", lambda v: wd.Control("v", [1.0, 2.0], 1.0, fmt=v)),
    _e("Control", "default", "choice", lambda v: wd.Control("v", ["relu", "tanh"], v)),
    _e("Explorer", "draw", "callable", lambda v: wd.Explorer(v, SLIDER, alt="a")),
    _e("Explorer", "alt", "name", lambda v: wd.Explorer(_draw, SLIDER, alt=v)),
    _e("Explorer", "name", "name", lambda v: wd.Explorer(_draw, SLIDER, alt="a", name=v)),
    _e("Explorer", "dpi", "real>0", lambda v: wd.Explorer(_draw, SLIDER, alt="a", dpi=v)),
    # nag_lib.cost
    _e("grad_evals_per_step", "optimizer", "optimizer", lambda v: co.grad_evals_per_step(v, _closure)),
    _e("grad_evals_per_step", "closure", "callable", lambda v: co.grad_evals_per_step(OPT, v)),
    _e("grad_evals_per_step", "steps", "int>=1", lambda v: co.grad_evals_per_step(OPT, _closure, v)),
    _e("matmul_flops", "fn", "callable", lambda v: co.matmul_flops(v)),
    _e("optimizer_state_floats", "optimizer", "optimizer", lambda v: co.optimizer_state_floats(v)),
    _e("optimizer_state_floats", "include_scalars", "bool", lambda v: co.optimizer_state_floats(OPT, v)),
    _e("parameter_count", "optimizer", "optimizer", lambda v: co.parameter_count(v)),
    _e("PassCounter", "model", "module", lambda v: co.PassCounter(v)),
    _e("relative_times", "repeats", "int>=1", lambda v: co.relative_times({"a": len}, "a", repeats=v)),
    _e("relative_times", "clock", "callable", lambda v: co.relative_times({"a": len}, "a", clock=v)),
    # nag_lib.data and nag_lib.repro
    _e("digits", "test_fraction", "(0,1)", lambda v: data.digits(test_fraction=v)),
    _e("digits", "seed", "int>=0", lambda v: data.digits(seed=v)),
    _e("digits", "standardize", "bool", lambda v: data.digits(standardize=v)),
    _e("digits", "val_fraction", "[0,1)", lambda v: data.digits(val_fraction=v)),
    _e("seed_everything", "seed", "int>=0", lambda v: repro.seed_everything(v)),
    _e("glue", "name", "name", lambda v: repro.glue(v, 1, display=False)),
    _e("train", "schedule", "callable", lambda v: tr.train(MODEL, OPT, SPLIT, 1, schedule=v)),
    _e("cosine", "progress", "[0,1]", lambda v: tr.cosine(v)),
    # nag_lib.ensemble
    _e("Member", "kind", "choice", lambda v: en.Member(v, 0.1)),
    _e("Member", "lr", "real>0", lambda v: en.Member("sgd", v)),
    _e("Member", "seed", "int>=0", lambda v: en.Member("sgd", 0.1, seed=v)),
    _e("Member", "momentum", "[0,1)", lambda v: en.Member("heavy_ball", 0.1, momentum=v)),
    _e("Member", "betas[0]", "[0,1)", lambda v: en.Member("adam", 0.1, betas=(v, 0.999))),
    _e("grid", "momentum", "[0,1)", lambda v: en.grid({"heavy_ball": [0.1]}, [0], momentum=v)),
    _e("members", "lr", "real>0", lambda v: en.members(["sgd"], [v], [0])),
    _e("StackedMLP", "models", "module", lambda v: en.StackedMLP(v)),
    _e("train", "build", "callable", lambda v: en.train(v, ONE, SPLIT, 1)),
    _e("train", "epochs", "int>=1", lambda v: en.train(_tiny, ONE, SPLIT, v)),
    _e("train", "batch_size", "int>=1", lambda v: en.train(_tiny, ONE, SPLIT, 1, batch_size=v)),
    _e("train", "eval_every", "int>=1", lambda v: en.train(_tiny, ONE, SPLIT, 1, eval_every=v)),
    _e("train", "schedule", "callable", lambda v: en.train(_tiny, ONE, SPLIT, 1, schedule=v)),
    # nag_lib.evidence
    _e("mean_ci", "confidence", "(0,1)", lambda v: ev.mean_ci([1.0, 2.0], confidence=v)),
    _e("log_grid", "low", "real>0", lambda v: ev.log_grid(v, 1.0)),
    _e("log_grid", "n", "int>=1", lambda v: ev.log_grid(0.1, 1.0, v)),
    _e("choose", "grid", "callable", lambda v: ev.choose(v, [0.1, 0.2])),
    _e("plateaued", "rel", "real>=0", lambda v: ev.plateaued([2.0, 1.0, 0.5], rel=v)),
    # nag_lib.recurrent
    _e("adding_problem", "length", "int>=1", lambda v: rc.adding_problem(v)),
    _e("adding_problem", "n_train", "int>=1", lambda v: rc.adding_problem(6, n_train=v)),
    _e("adding_problem", "n_test", "int>=1", lambda v: rc.adding_problem(6, n_test=v)),
    _e("adding_problem", "seed", "int>=0", lambda v: rc.adding_problem(6, seed=v)),
    _e("adding_problem", "centre", "bool", lambda v: rc.adding_problem(6, centre=v)),
    _e("RecurrentNet", "cell", "choice", lambda v: rc.RecurrentNet(v, 2, 3)),
    _e("RecurrentNet", "input_size", "int>=1", lambda v: rc.RecurrentNet("rnn", v, 3)),
    _e("RecurrentNet", "hidden_size", "int>=1", lambda v: rc.RecurrentNet("lstm", 2, v)),
    _e("RecurrentNet", "output_size", "int>=1", lambda v: rc.RecurrentNet("rnn", 2, 3, v)),
    _e("RecurrentNet", "recurrent_scale", "real>0", lambda v: rc.RecurrentNet("rnn", 2, 3, recurrent_scale=v)),
    _e("RecurrentNet", "forget_bias", "real", lambda v: rc.RecurrentNet("lstm", 2, 3, forget_bias=v)),
    _e("StackedRecurrent", "nets", "module", lambda v: rc.StackedRecurrent(v)),
    _e("train", "build", "callable", lambda v: rc.train(v, ONE, RC_SPLIT, 1)),
    _e("train", "epochs", "int>=1", lambda v: rc.train(_rnn, ONE, RC_SPLIT, v)),
    _e("train", "batch_size", "int>=1", lambda v: rc.train(_rnn, ONE, RC_SPLIT, 1, batch_size=v)),
    _e("train", "eval_every", "int>=1", lambda v: rc.train(_rnn, ONE, RC_SPLIT, 1, eval_every=v)),
    _e("train", "max_norm[0]", "real>0", lambda v: rc.train(_rnn, ONE * 2, RC_SPLIT, 1, max_norm=[v, 1.0])),
    # nag_lib.noisy
    _e("noisy_quadratic", "kappa", "real", lambda v: nz.noisy_quadratic(v)),
    _e("noisy_quadratic", "dim", "int>=1", lambda v: nz.noisy_quadratic(10.0, dim=v)),
    _e("noisy_quadratic", "noise_scale", "real>=0", lambda v: nz.noisy_quadratic(noise_scale=v)),
    _e("simulate", "method", "choice", lambda v: nz.simulate(NQ, v, 0.1, 0.0, 1, 3, [0])),
    _e("simulate", "lr", "real>0", lambda v: nz.simulate(NQ, "nag", [v], 0.5, 1, 3, [0])),
    _e("simulate", "momentum", "[0,1)", lambda v: nz.simulate(NQ, "nag", 0.1, v, 1, 3, [0])),
    _e("simulate", "batch_size", "int>=1", lambda v: nz.simulate(NQ, "nag", 0.1, 0.5, v, 3, [0])),
    _e("simulate", "steps", "int>=0", lambda v: nz.simulate(NQ, "nag", 0.1, 0.5, 1, v, [0])),
    _e("iterates", "seeds", "int>=0", lambda v: nz.iterates(NQ, "sgd", 0.1, 0.0, 1, 3, [v])),
    _e("expected_loss", "momentum", "[0,1)", lambda v: nz.expected_loss(NQ, "heavy_ball", 0.1, v, 1, 3)),
    _e("expected_loss", "batch_size", "int>=1", lambda v: nz.expected_loss(NQ, "sgd", 0.1, 0.0, v, 3)),
    _e("stationary_loss", "method", "choice", lambda v: nz.stationary_loss(v, 0.1, 0.5, 1.0, 1.0)),
    _e("stationary_loss", "momentum", "[0,1)", lambda v: nz.stationary_loss("nag", 0.1, v, 1.0, 1.0)),
    _e("steps_to_target", "target", "real>0", lambda v: nz.steps_to_target([2.0, 1.0], v)),
    _e("steps_to_target", "window", "[0,1)", lambda v: nz.steps_to_target([2.0, 1.0], 1.0, v)),
    _e("tuned_steps", "method", "choice", lambda v: nz.tuned_steps(NQ, v, 0.0, 1, [0.1, 0.2], 1.0, 3, [0], [1])),
    _e("tuned_steps", "target", "real>0", lambda v: nz.tuned_steps(NQ, "sgd", 0.0, 1, [0.1, 0.2], v, 3, [0], [1])),
    _e("tuned_steps", "window", "[0,1)", lambda v: nz.tuned_steps(NQ, "sgd", 0.0, 1, [0.1, 0.2], 1.0, 3, [0], [1], window=v)),
]  # fmt: skip

CASES = [
    pytest.param(entry, which, id=f"{entry}-{which}")
    for entry in ENTRIES
    for which, strategy in zip(("type", "value"), KINDS[entry.kind], strict=True)
    if strategy is not None
]


def names(message: str, name: str) -> bool:
    """Whether ``message`` names the argument ``name`` as a word of its own: "mu" is not named
    by "must", nor "lr" by "lr_scale"."""
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", message) is not None


@pytest.mark.parametrize(
    ("message", "name", "expected"),
    [
        ("lr must be positive, got -1", "lr", True),
        ("group['lr'] must be positive", "lr", True),
        ("x must be a tensor", "mu", False),
        ("betas must hold two floats", "be", False),
        ("a must be in [0, 1)", "a", True),
        ("the learning rate is wrong", "a", False),
    ],
)
def test_the_name_check_wants_the_argument_as_a_word(
    message: str, name: str, expected: bool
) -> None:
    assert names(message, name) is expected


def _check_refusal(entry: Entry, which: str, bad: Any) -> None:
    expected = TypeError if which == "type" else ValueError
    before = _snapshot()
    with pytest.raises((TypeError, ValueError)) as info:
        entry.call(bad)
    assert isinstance(info.value, expected), (
        f"{entry} given {bad!r} raised {type(info.value).__name__}, expected {expected.__name__}:"
        f" {info.value}"
    )
    named = entry.arg.split("[")[0]
    assert names(str(info.value), named), (
        f"{entry} given {bad!r}: message does not name it: {info.value}"
    )
    assert _same(before, _snapshot()), f"{entry} given {bad!r} changed state before refusing"


@pytest.mark.parametrize(("entry", "which"), CASES)
@settings(max_examples=6)
@given(data=st.data())
def test_every_entry_point_refuses_bad_arguments_by_name_and_changes_nothing(
    entry: Entry, which: str, data: st.DataObject
) -> None:
    strategy = KINDS[entry.kind][0 if which == "type" else 1]
    assert strategy is not None
    _check_refusal(entry, which, data.draw(strategy, label=entry.arg))


def test_every_public_callable_has_a_row() -> None:
    """A new public function or class must come with a row in ENTRIES (or be listed here)."""
    covered = {e.where.split(".")[0] for e in ENTRIES}
    no_arguments_to_check = {
        "use_book_style",
        "setup",
        "Split",
        "History",
        "Run",
        "FitHistory",
        "DivergenceError",
        "Quadratic",
        "TunedParameters",
        "LessardFunction",
        "ResidualBlock",
        "StaticExplorer",
        "best_lr",
        "best_runs",
        "fit_power_law",
        "spectral_radii",
        "state_buffers_per_parameter",
        "step_writes_per_parameter",
        "iteration_matrix",
        "one_thread",
        "EnsembleHistory",
        "Interval",
        "Choice",
        "RecurrentHistory",
        "StateGrads",
        "NoisyQuadratic",
        "TunedSteps",
        "available",
        "build",
        "unavailable_reason",
    }  # fmt: skip  (these take no argument, are data records, or are covered in SPECIAL below)
    for module in (
        fused,
        optim,
        paper,
        problems,
        activations,
        gradflow,
        models,
        training,
        widgets,
        cost,
        data,
        ensemble,
        evidence,
        noisy,
        recurrent,
        repro,
    ):
        for name in module.__all__:
            obj = getattr(module, name)
            if callable(obj) and not isinstance(obj, type(math)):
                assert name in covered | no_arguments_to_check, f"{module.__name__}.{name}: no row"


# Bad inputs that are not one argument's kind: wrong dtypes, empty lists, incompatible shapes.
SPECIAL = [
    ("leaky_relu int tensor", "x", TypeError, lambda: ac.leaky_relu(torch.arange(3))),
    ("gelu_grad int tensor", "x", TypeError, lambda: ac.gelu_grad(torch.arange(3))),
    ("gaussian_expectation fn returns a scalar", "fn", ValueError, lambda: ac.gaussian_expectation(torch.sum)),
    ("NAG on int params", "params", TypeError, lambda: o.NAG([torch.zeros(2, dtype=torch.int64)], 0.1)),
    ("NAG on non-leaf", "params", ValueError, lambda: o.NAG([_leaf() * 2], 0.1)),
    ("NAG on empty group", "params", ValueError, lambda: o.NAG([{"params": []}], 0.1)),
    ("gradient_profile x/y rows", "y", ValueError, lambda: gf.gradient_profile(MODEL, X, Y[:3])),
    ("accuracy x/y rows", "y", ValueError, lambda: tr.accuracy(MODEL, X, Y[:3])),
    ("MLP depth 0", "depth", ValueError, lambda: models.MLP(4, 3, depth=0)),
    ("train empty data", "x", ValueError, lambda: tr.train(MODEL, OPT, data.Split(X[:0], Y[:0], X, Y), 1)),
    ("train foreign optimizer", "optimizer", ValueError, lambda: tr.train(MODEL, o.NAG([_leaf()], 0.1), SPLIT, 1)),
    ("fit without a validation split", "data", ValueError, lambda: tr.fit(MODEL, OPT, SPLIT, 2)),
    ("fit foreign optimizer", "optimizer", ValueError, lambda: tr.fit(MODEL, o.NAG([_leaf()], 0.1), VSPLIT, 2)),
    ("fit warm-up as long as training", "warmup_epochs", ValueError, lambda: tr.fit(MODEL, OPT, VSPLIT, 2, warmup_epochs=2)),
    ("fit data not a Split", "data", TypeError, lambda: tr.fit(MODEL, OPT, (X, Y), 2)),
    ("warmup_cosine past the end", "step", ValueError, lambda: tr.warmup_cosine(11, 10, 2)),
    ("warmup_cosine no steps left to anneal", "warmup_steps", ValueError, lambda: tr.warmup_cosine(0, 10, 10)),
    ("evaluate x/y rows", "y", ValueError, lambda: tr.evaluate(MODEL, X, Y[:3])),
    ("rosenbrock 3-vector", "x", ValueError, lambda: pr.rosenbrock([1.0, 2.0, 3.0])),
    ("Quadratic.grads of one point", "xs", ValueError, lambda: pr.quadratic(4.0).grads([1.0, 2.0])),
    ("rosenbrock_points of 3-vectors", "z", ValueError, lambda: pr.rosenbrock_points(np.zeros((4, 3)))),
    ("rosenbrock_points of a list", "z", TypeError, lambda: pr.rosenbrock_points([1.0, 2.0])),  # type: ignore[call-overload]
    ("fit_power_law lengths", "x", ValueError, lambda: pr.fit_power_law([1.0, 2.0], [1.0])),
    ("krylov_gap beyond n", "k", ValueError, lambda: WORST.krylov_gap(3)),
    ("WorstCaseQuadratic.values of one point", "xs", ValueError, lambda: WORST.values([1.0, 2.0])),
    ("WorstCaseQuadratic.gaps of the wrong width", "xs", ValueError, lambda: WORST.gaps(np.zeros((2, 3)))),
    ("best_lr no runs", "runs", ValueError, lambda: tr.best_lr([])),
    ("spectral_radii empty", "eigenvalues", ValueError, lambda: pr.spectral_radii("gd", 0.1, 0.0, [])),
    ("iteration_matrix nan lr", "lr", ValueError, lambda: pr.iteration_matrix("nag", math.nan, 0.5, 1.0)),
    ("first_last_ratio negative", "norms", ValueError, lambda: gf.first_last_ratio([1.0, -1.0])),
    ("dead_unit_fraction no relu", "model", ValueError, lambda: gf.dead_unit_fraction(LINEAR_ONLY, X)),
    ("relative_times bad baseline", "baseline", ValueError, lambda: co.relative_times({"a": len}, "b")),
    ("ensemble members of two architectures", "architecture", ValueError, lambda: en.StackedMLP(TWO_ARCHITECTURES)),
    ("ensemble start of the wrong size", "start", ValueError, lambda: en.train(_tiny, ONE * 2, SPLIT, 1, start=STACK_OF_ONE)),
    ("members of different lengths", "seeds", ValueError, lambda: en.members(["sgd"], [0.1], [0, 1])),
    ("mean_ci of a diverged run", "values", ValueError, lambda: ev.mean_ci([0.9, math.nan])),
    ("recurrent nets of two architectures", "nets", ValueError, lambda: rc.StackedRecurrent(RC_MIXED)),
    ("forget_bias for a tanh RNN", "forget_bias", ValueError, lambda: rc.RecurrentNet("rnn", 2, 3, forget_bias=1.0)),
    ("recurrent max_norm of the wrong length", "max_norm", ValueError, lambda: rc.train(_rnn, ONE, RC_SPLIT, 1, max_norm=[1.0, 1.0])),
    ("recurrent max_norm as text", "max_norm", TypeError, lambda: rc.train(_rnn, ONE, RC_SPLIT, 1, max_norm="1")),
    ("recurrent train without a validation split", "data", TypeError, lambda: rc.train(_rnn, ONE, SPLIT, 1)),
    ("recurrent train on a classifier's data", "data", ValueError, lambda: rc.train(_rnn, ONE, VSPLIT, 1)),
    ("StackedRecurrent x of the wrong rank", "x", ValueError, lambda: RC_STACK.predict(torch.zeros(3, 2))),
    ("Control default off the range's steps", "default", ValueError, lambda: wd.Control("v", (0.0, 1.0, 0.1), 0.25)),
    ("Control frames without the default", "frames", ValueError, lambda: wd.Control("v", (0.0, 1.0, 0.1), 0.5, frames=[0.1, 0.2])),
    ("Explorer first control without frames", "frames", ValueError, lambda: wd.Explorer(_draw, wd.Control("v", (0.0, 1.0, 0.1), 0.5), alt="a")),
    ("Explorer control draw does not take", "draw", TypeError, lambda: wd.Explorer(_draw, wd.Control("w", [1.0, 2.0], 1.0), alt="a")),
    ("live_explorer two controls of one name", "keywords", ValueError, lambda: wd.live_explorer(_draw, SLIDER, SLIDER)),
    ("simulate on a problem that is not a NoisyQuadratic", "problem", TypeError, lambda: nz.simulate(QUAD, "sgd", 0.1, 0.0, 1, 3, [0])),
    ("simulate schedule of the wrong length", "schedule", ValueError, lambda: nz.simulate(NQ, "sgd", 0.1, 0.0, 1, 3, [0], schedule=[1.0])),
    ("simulate negative schedule factor", "schedule", ValueError, lambda: nz.simulate(NQ, "sgd", 0.1, 0.0, 1, 2, [0], schedule=[1.0, -1.0])),
    ("simulate sgd with momentum", "momentum", ValueError, lambda: nz.simulate(NQ, "sgd", 0.1, 0.5, 1, 3, [0])),
    ("simulate no learning rate", "lr", ValueError, lambda: nz.simulate(NQ, "sgd", [], 0.0, 1, 3, [0])),
    ("simulate no seeds", "seeds", ValueError, lambda: nz.simulate(NQ, "sgd", 0.1, 0.0, 1, 3, [])),
    ("stationary_loss negative lr", "lr", ValueError, lambda: nz.stationary_loss("sgd", -0.1, 0.0, 1.0, 1.0)),
    ("stationary_loss lr as text", "lr", TypeError, lambda: nz.stationary_loss("sgd", "0.1", 0.0, 1.0, 1.0)),
    ("stationary_loss zero curvature", "curvature", ValueError, lambda: nz.stationary_loss("sgd", 0.1, 0.0, [1.0, 0.0], 1.0)),
    ("stationary_loss negative noise", "noise", ValueError, lambda: nz.stationary_loss("sgd", 0.1, 0.0, 1.0, -1.0)),
    ("steps_to_target no steps", "losses", ValueError, lambda: nz.steps_to_target([], 1.0)),
    ("tuned_steps with shared seeds", "report_seeds", ValueError, lambda: nz.tuned_steps(NQ, "sgd", 0.0, 1, [0.1, 0.2], 1.0, 3, [0], [0])),
    ("noisy_quadratic of one direction and kappa > 1", "dim", ValueError, lambda: nz.noisy_quadratic(10.0, dim=1)),
    ("NoisyQuadratic.loss of the wrong length", "theta", ValueError, lambda: NQ.loss([1.0, 2.0, 3.0])),
]  # fmt: skip


@pytest.mark.parametrize(("label", "name", "error", "call"), SPECIAL, ids=[s[0] for s in SPECIAL])
def test_wrong_dtypes_empty_inputs_and_incompatible_shapes_are_refused(
    label: str, name: str, error: type[Exception], call: Callable[[], Any]
) -> None:
    before = _snapshot()
    with pytest.raises(error) as info:
        call()
    assert names(str(info.value), name), f"{label}: message does not name {name}: {info.value}"
    assert _same(before, _snapshot()), f"{label} changed state before refusing"
