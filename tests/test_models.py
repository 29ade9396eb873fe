"""nag_lib.models.MLP: each argument changes exactly the thing it names."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from nag_lib.models import ACTIVATIONS, INITS, MLP, ResidualBlock


def _linears(m: nn.Module) -> list[nn.Linear]:
    return [x for x in m.modules() if isinstance(x, nn.Linear)]


def test_mlp_maps_a_batch_to_logits_through_depth_hidden_layers_and_a_head() -> None:
    m = MLP(64, 10, depth=5, width=16)
    assert m(torch.zeros(3, 64)).shape == (3, 10)
    shapes = [tuple(lin.weight.shape) for lin in _linears(m)]
    assert shapes == [(16, 64)] + [(16, 16)] * 4 + [(10, 16)]


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_each_hidden_layer_ends_in_the_requested_activation(activation: str) -> None:
    kind = {
        "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh,
        "relu": nn.ReLU,
        "leaky_relu": nn.LeakyReLU,
        "prelu": nn.PReLU,
        "elu": nn.ELU,
        "gelu": nn.GELU,
        "silu": nn.SiLU,
    }
    assert set(kind) == set(ACTIVATIONS)
    m = MLP(4, 2, depth=3, width=5, activation=activation, negative_slope=0.2)
    acts = [x for x in m.modules() if isinstance(x, kind[activation])]
    assert len(acts) == 3
    assert all(type(block[-1]) is kind[activation] for block in m.hidden)
    if activation == "leaky_relu":
        assert all(a.negative_slope == 0.2 for a in acts)
    if activation == "elu":
        assert all(a.alpha == 1.0 for a in acts)
    if activation == "gelu":
        assert all(a.approximate == "none" for a in acts)


def test_prelu_learns_one_slope_per_unit_starting_from_negative_slope() -> None:
    m = MLP(4, 2, depth=3, width=5, activation="prelu", negative_slope=0.25)
    slopes = [x.weight for x in m.modules() if isinstance(x, nn.PReLU)]
    assert [tuple(w.shape) for w in slopes] == [(5,)] * 3
    assert all(torch.all(w == 0.25) and w.requires_grad for w in slopes)
    relu = MLP(4, 2, depth=3, width=5, activation="relu")
    n_params = sum(p.numel() for p in m.parameters())
    assert n_params == sum(p.numel() for p in relu.parameters()) + 3 * 5
    x = torch.randn(8, 4)
    m(x).sum().backward()
    assert all(w.grad is not None and w.grad.abs().sum() > 0 for w in slopes)


def test_default_init_is_pytorchs_own_linear_initialisation() -> None:
    torch.manual_seed(3)
    m = MLP(6, 2, depth=2, width=4, init="default")
    torch.manual_seed(3)
    ref = [nn.Linear(6, 4), nn.Linear(4, 4), nn.Linear(4, 2)]
    for got, want in zip(_linears(m), ref, strict=True):
        assert torch.equal(got.weight, want.weight) and torch.equal(got.bias, want.bias)


@pytest.mark.parametrize(
    ("init", "activation", "fan_in", "fan_out", "expected"),
    [
        ("xavier", "tanh", 400, 100, 5 / 3 * math.sqrt(2 / 500)),
        ("xavier", "sigmoid", 400, 100, math.sqrt(2 / 500)),
        ("he", "relu", 400, 100, math.sqrt(2 / 400)),
        ("he", "leaky_relu", 400, 100, math.sqrt(2 / (1 + 0.01**2) / 400)),
        # PReLU at its initial slope (0.01 here), and 1 / sqrt(E[phi(z)^2]) for z ~ N(0, 1)
        ("he", "prelu", 400, 100, math.sqrt(2 / (1 + 0.01**2) / 400)),
        ("he", "elu", 400, 100, 1.2451983007 / math.sqrt(400)),
        ("he", "gelu", 400, 100, 1.5335304412 / math.sqrt(400)),
        ("he", "silu", 400, 100, 1.6765324703 / math.sqrt(400)),
        ("xavier", "gelu", 400, 100, 1.5335304412 * math.sqrt(2 / 500)),
    ],
)
def test_variance_preserving_inits_draw_weights_with_the_papers_standard_deviation(
    init: str, activation: str, fan_in: int, fan_out: int, expected: float
) -> None:
    torch.manual_seed(0)
    m = MLP(fan_in, 3, depth=1, width=fan_out, activation=activation, init=init)
    first = _linears(m)[0]
    assert float(first.weight.detach().std()) == pytest.approx(expected, rel=0.02)
    assert float(first.weight.detach().mean()) == pytest.approx(0.0, abs=expected * 0.02)
    assert torch.count_nonzero(first.bias) == 0


def test_output_layer_uses_the_linear_gain() -> None:
    torch.manual_seed(0)
    m = MLP(8, 400, depth=1, width=400, activation="relu", init="he")
    assert float(m.head.weight.detach().std()) == pytest.approx(1 / math.sqrt(400), rel=0.02)


def test_xavier_and_he_coincide_on_square_layers() -> None:
    torch.manual_seed(1)
    xavier = MLP(32, 32, depth=3, width=32, activation="leaky_relu", init="xavier")
    torch.manual_seed(1)
    he = MLP(32, 32, depth=3, width=32, activation="leaky_relu", init="he")
    for a, b in zip(_linears(xavier), _linears(he), strict=True):
        assert torch.allclose(a.weight, b.weight, rtol=1e-6, atol=0)


@pytest.mark.parametrize("init", INITS)
def test_weight_scale_multiplies_every_initial_weight_and_nothing_else(init: str) -> None:
    torch.manual_seed(2)
    base = MLP(8, 3, depth=3, width=8, activation="tanh", init=init)
    torch.manual_seed(2)
    big = MLP(8, 3, depth=3, width=8, activation="tanh", init=init, weight_scale=2.5)
    for a, b in zip(_linears(base), _linears(big), strict=True):
        assert torch.allclose(b.weight, 2.5 * a.weight) and torch.equal(a.bias, b.bias)
    assert big.weight_scale == 2.5


def test_residual_wraps_hidden_layers_two_to_depth_and_adds_the_input_back() -> None:
    torch.manual_seed(0)
    m = MLP(4, 2, depth=4, width=6, activation="tanh", init="xavier", residual=True)
    blocks = list(m.hidden)
    assert not isinstance(blocks[0], ResidualBlock)
    assert all(isinstance(b, ResidualBlock) for b in blocks[1:])
    x = torch.randn(5, 6)
    assert torch.equal(blocks[1](x), x + blocks[1].inner(x))


@pytest.mark.parametrize(("norm", "kind"), [("batch", nn.BatchNorm1d), ("layer", nn.LayerNorm)])
def test_norm_puts_one_normalisation_layer_after_each_hidden_linear(
    norm: str, kind: type[nn.Module]
) -> None:
    m = MLP(4, 2, depth=3, width=6, norm=norm)  # type: ignore[arg-type]
    for block in m.hidden:
        assert isinstance(block[0], nn.Linear) and isinstance(block[1], kind)
    assert sum(isinstance(x, kind) for x in m.modules()) == 3


def test_bias_false_removes_every_bias() -> None:
    m = MLP(4, 2, depth=3, width=6, bias=False, init="he")
    assert all(lin.bias is None for lin in _linears(m))


def test_he_init_keeps_the_forward_signal_of_a_deep_leaky_relu_net_at_scale() -> None:
    torch.manual_seed(0)
    x = torch.randn(512, 64)
    out = {}
    for init in ("default", "he"):
        torch.manual_seed(0)
        m = MLP(64, 10, depth=20, width=64, activation="leaky_relu", init=init, bias=False)
        out[init] = float(m.hidden(x).detach().pow(2).mean())
    assert 0.2 < out["he"] < 5.0  # variance preserved layer after layer (He et al. 2015)
    assert out["default"] < 1e-3  # PyTorch's default std is sqrt(3) times too small for ReLU


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"depth": 0}, ValueError, "Invalid depth value: 0"),
        ({"width": 2.0}, TypeError, "width must be an int"),
        ({"depth": True}, TypeError, "depth must be an int"),
        ({"activation": "swish"}, ValueError, "Invalid activation value: 'swish'"),
        ({"activation": "GELU"}, ValueError, "Invalid activation value: 'GELU'"),
        ({"init": "orthogonal"}, ValueError, "Invalid init value: 'orthogonal'"),
        ({"norm": "group"}, ValueError, "Invalid norm value: 'group'"),
        ({"negative_slope": 1.5}, ValueError, "Invalid negative_slope value: 1.5"),
        ({"negative_slope": "0.1"}, TypeError, "negative_slope must be a real number"),
        ({"residual": 1}, TypeError, "residual must be a bool"),
        ({"bias": None}, TypeError, "bias must be a bool"),
        ({"weight_scale": 0.0}, ValueError, "Invalid weight_scale value: 0.0"),
        ({"weight_scale": float("inf")}, ValueError, "Invalid weight_scale value: inf"),
        ({"weight_scale": "2"}, TypeError, "weight_scale must be a real number"),
    ],
)
def test_bad_arguments_raise_errors_that_name_them(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        MLP(4, 2, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "prelu", "elu", "gelu", "silu"])
def test_he_init_maps_a_unit_second_moment_to_a_unit_second_moment(activation: str) -> None:
    """With the matched gain, a hidden layer fed phi(z), z ~ N(0, 1), makes pre-activations of
    second moment 1 (He et al. 2015's condition, E[z^2] = 1 a fixed point); PyTorch's default
    init, std 1 / sqrt(3 fan_in), makes them about gain^2 / 3 times smaller."""
    second = {}
    for init in ("he", "default"):
        torch.manual_seed(0)
        m = MLP(8, 2, depth=2, width=1024, activation=activation, init=init, bias=False)
        layer, phi = m.hidden[1][0], m.hidden[0][1]
        with torch.no_grad():
            h = phi(torch.randn(4096, 1024))
            second[init] = layer(h).pow(2).mean().item()
    assert second["he"] == pytest.approx(1.0, abs=0.03)
    assert second["default"] < 0.4


def test_prelu_he_init_uses_the_gain_of_its_initial_slope() -> None:
    torch.manual_seed(0)
    m = MLP(400, 3, depth=1, width=100, activation="prelu", init="he", negative_slope=0.25)
    want = math.sqrt(2 / (1 + 0.25**2) / 400)  # He et al. 2015: (1 + a^2) n Var[w] / 2 = 1
    assert float(m.hidden[0][0].weight.detach().std()) == pytest.approx(want, rel=0.02)
    assert abs(want - math.sqrt(2 / 400)) / want > 0.02  # distinguishable from ReLU's gain
