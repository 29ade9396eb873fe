"""nag_lib.activations: Leaky ReLU is PyTorch's leaky_relu, the source posts' formula does not leak,
the classic derivatives obey their textbook bounds, the derivatives of ELU, GELU and SiLU equal
autograd's, and each activation's variance-preserving gain keeps a unit second moment."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from nag_lib.activations import (
    VARIANCE_GAIN_ACTIVATIONS,
    elu_grad,
    gaussian_expectation,
    gelu_grad,
    leaky_relu,
    leaky_relu_gain,
    leaky_relu_grad,
    sigmoid_grad,
    silu_grad,
    source_leaky_formula,
    source_leaky_formula_grad,
    tanh_grad,
    variance_gain,
)

DTYPES = {"float32": (np.float32, torch.float32), "float64": (np.float64, torch.float64)}
slopes = st.floats(min_value=0.0, max_value=1.0, exclude_max=True, allow_nan=False)
positive_slopes = st.floats(min_value=1e-3, max_value=10.0, allow_nan=False)


@st.composite
def tensors(draw: st.DrawFn, low: float = -1e3, high: float = 1e3) -> torch.Tensor:
    """Finite float32 or float64 tensors of 1 to 3 dimensions, zeros included."""
    np_dtype, _ = DTYPES[draw(st.sampled_from(sorted(DTYPES)))]
    elements = st.floats(
        min_value=low, max_value=high, allow_nan=False, width=np.dtype(np_dtype).itemsize * 8
    )
    shape = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6)
    return torch.from_numpy(draw(arrays(np_dtype, shape, elements=elements)))


@settings(max_examples=60, deadline=None)
@given(x=tensors(), a=slopes)
def test_leaky_relu_equals_torch_functional_leaky_relu_and_max_x_ax(
    x: torch.Tensor, a: float
) -> None:
    ours = leaky_relu(x, a)
    assert ours.dtype == x.dtype and ours.shape == x.shape
    assert torch.equal(ours, F.leaky_relu(x, a))
    assert torch.equal(ours, torch.maximum(x, a * x))


def test_default_negative_slope_is_pytorchs_001() -> None:
    x = torch.linspace(-3, 3, 61, dtype=torch.float64)
    assert torch.equal(leaky_relu(x), F.leaky_relu(x))
    assert torch.equal(leaky_relu(x), F.leaky_relu(x, 0.01))
    assert torch.nn.LeakyReLU().negative_slope == 0.01


def test_leaky_relu_is_x_on_the_positive_side_and_alpha_x_on_the_negative_side() -> None:
    x = torch.tensor([-4.0, -0.5, 0.0, 0.5, 4.0], dtype=torch.float64)
    assert leaky_relu(x, 0.25).tolist() == [-1.0, -0.125, 0.0, 0.5, 4.0]
    assert leaky_relu(x, 0.0).tolist() == F.relu(x).tolist()


@settings(max_examples=60, deadline=None)
@given(x=tensors(), a=slopes)
def test_leaky_relu_grad_equals_autograd_of_torch_leaky_relu(x: torch.Tensor, a: float) -> None:
    xr = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(F.leaky_relu(xr, a).sum(), xr)
    assert torch.equal(leaky_relu_grad(x, a), g)


@settings(max_examples=40, deadline=None)
@given(x=tensors(), a=slopes)
def test_leaky_relu_grad_is_one_or_alpha_never_zero_for_positive_alpha(
    x: torch.Tensor, a: float
) -> None:
    g = leaky_relu_grad(x, a)
    assert torch.all((g == 1) | (g == torch.tensor(a, dtype=x.dtype)))
    assert torch.all(g[x > 0] == 1)
    if torch.tensor(a, dtype=x.dtype) > 0:  # a slope that does not underflow in x's dtype
        assert torch.all(g != 0)


@settings(max_examples=60, deadline=None)
@given(x=tensors(low=-1e3, high=-(2.0**-10)), a=positive_slopes)
def test_source_formula_has_zero_output_and_zero_gradient_for_negative_inputs(
    x: torch.Tensor, a: float
) -> None:
    xr = x.clone().requires_grad_(True)
    y = source_leaky_formula(xr, a)
    (g,) = torch.autograd.grad(y.sum(), xr)
    assert torch.all(y == 0) and torch.all(g == 0)
    assert torch.all(source_leaky_formula_grad(x, a) == 0)
    assert torch.all(leaky_relu_grad(x, 0.01) == torch.tensor(0.01, dtype=x.dtype))


@settings(max_examples=60, deadline=None)
@given(x=tensors(), a=positive_slopes, b=st.floats(-5.0, 5.0, allow_nan=False))
def test_source_formula_grad_equals_autograd_and_is_zero_below_minus_b_over_alpha(
    x: torch.Tensor, a: float, b: float
) -> None:
    xr = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(source_leaky_formula(xr, a, b).sum(), xr)
    ours = source_leaky_formula_grad(x, a, b)
    assert torch.equal(ours, g)
    assert torch.all(ours[a * x + b < 0] == 0)


def test_source_formula_shrinks_the_positive_branch_slope_to_alpha() -> None:
    x = torch.tensor([0.5, 1.0, 7.0], dtype=torch.float64)
    assert source_leaky_formula_grad(x, 0.01).tolist() == [0.01, 0.01, 0.01]
    assert leaky_relu_grad(x, 0.01).tolist() == [1.0, 1.0, 1.0]
    assert source_leaky_formula(x, 0.01).tolist() == pytest.approx([0.005, 0.01, 0.07])


@settings(max_examples=60, deadline=None)
@given(x=tensors(low=-50.0, high=50.0))
def test_sigmoid_grad_is_at_most_one_quarter_and_equals_autograd(x: torch.Tensor) -> None:
    xr = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(torch.sigmoid(xr).sum(), xr)
    ours = sigmoid_grad(x)
    tol = 1e-6 if x.dtype == torch.float32 else 1e-12
    assert torch.allclose(ours, g, rtol=tol, atol=tol)
    assert torch.all(ours <= 0.25) and torch.all(ours >= 0)


def test_sigmoid_grad_reaches_one_quarter_at_zero_and_tanh_grad_one() -> None:
    zero = torch.zeros(1, dtype=torch.float64)
    assert sigmoid_grad(zero).item() == 0.25
    assert tanh_grad(zero).item() == 1.0
    x = torch.linspace(-8, 8, 1601, dtype=torch.float64)
    assert sigmoid_grad(x).max().item() == 0.25


@settings(max_examples=60, deadline=None)
@given(x=tensors(low=-20.0, high=20.0))
def test_tanh_grad_is_at_most_one_and_equals_autograd(x: torch.Tensor) -> None:
    xr = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(torch.tanh(xr).sum(), xr)
    ours = tanh_grad(x)
    tol = 1e-6 if x.dtype == torch.float32 else 1e-12
    assert torch.allclose(ours, g, rtol=tol, atol=tol)
    assert torch.all(ours <= 1) and torch.all(ours >= 0)


@settings(max_examples=60, deadline=None)
@given(a=slopes)
def test_leaky_relu_gain_equals_torch_calculate_gain(a: float) -> None:
    assert leaky_relu_gain(a) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", a), rel=1e-15
    )


def test_leaky_relu_gain_keeps_the_second_moment_of_a_he_initialised_layer() -> None:
    g = torch.Generator().manual_seed(0)
    z = torch.randn(400_000, dtype=torch.float64, generator=g)
    for a in (0.0, 0.01, 0.3):
        second_moment = (leaky_relu(z, a) ** 2).mean().item()
        assert second_moment * leaky_relu_gain(a) ** 2 == pytest.approx(1.0, abs=0.01)
    assert leaky_relu_gain(0.0) == math.sqrt(2.0)


@pytest.mark.parametrize(
    "fn",
    [
        leaky_relu,
        leaky_relu_grad,
        source_leaky_formula,
        source_leaky_formula_grad,
        elu_grad,
        gelu_grad,
        silu_grad,
    ],
)
def test_non_tensor_and_integer_inputs_are_rejected_with_a_named_argument(
    fn: Callable[..., torch.Tensor],
) -> None:
    with pytest.raises(TypeError, match=r"x must be a torch\.Tensor"):
        fn([1.0, -1.0])
    with pytest.raises(TypeError, match="x must be a floating-point tensor"):
        fn(torch.tensor([1, -1]))


@pytest.mark.parametrize("fn", [sigmoid_grad, tanh_grad])
def test_derivatives_reject_non_tensors(fn: Callable[..., torch.Tensor]) -> None:
    with pytest.raises(TypeError, match=r"x must be a torch\.Tensor"):
        fn(0.5)


@pytest.mark.parametrize("bad", [1.0, 1.5, -0.1, float("nan")])
def test_negative_slope_outside_zero_one_is_a_value_error(bad: float) -> None:
    x = torch.ones(2)
    with pytest.raises(ValueError, match="negative_slope"):
        leaky_relu(x, bad)
    with pytest.raises(ValueError, match="negative_slope"):
        leaky_relu_grad(x, bad)
    with pytest.raises(ValueError, match="negative_slope"):
        leaky_relu_gain(bad)


@pytest.mark.parametrize("bad", [True, "0.1", None, torch.tensor(0.1)])
def test_negative_slope_of_the_wrong_type_is_a_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="negative_slope"):
        leaky_relu(torch.ones(2), bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="negative_slope"):
        leaky_relu_gain(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "kwargs"), [("alpha", {"alpha": "0.1"}), ("b", {"b": None})])
def test_source_formula_names_a_bad_coefficient(name: str, kwargs: dict[str, object]) -> None:
    with pytest.raises(TypeError, match=name):
        source_leaky_formula(torch.ones(2), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=name):
        source_leaky_formula_grad(torch.ones(2), **kwargs)  # type: ignore[arg-type]


def test_source_formula_rejects_non_finite_coefficients() -> None:
    with pytest.raises(ValueError, match="slope"):
        source_leaky_formula(torch.ones(2), slope=float("inf"))
    with pytest.raises(ValueError, match="b"):
        source_leaky_formula_grad(torch.ones(2), b=float("nan"))


def _autograd(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    xr = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(fn(xr).sum(), xr)
    return g


SMOOTH_GRADS: list[tuple[str, Callable[..., torch.Tensor], Callable[..., torch.Tensor]]] = [
    ("elu", elu_grad, F.elu),
    ("gelu", gelu_grad, F.gelu),
    ("gelu_tanh", lambda x: gelu_grad(x, "tanh"), lambda x: F.gelu(x, approximate="tanh")),
    ("silu", silu_grad, F.silu),
]


@pytest.mark.parametrize(
    ("name", "ours", "torch_fn"), SMOOTH_GRADS, ids=[g[0] for g in SMOOTH_GRADS]
)
@settings(max_examples=40, deadline=None)
@given(x=tensors(low=-30.0, high=30.0))
def test_elu_gelu_and_silu_derivatives_equal_autograd(
    name: str,
    ours: Callable[..., torch.Tensor],
    torch_fn: Callable[..., torch.Tensor],
    x: torch.Tensor,
) -> None:
    got, want = ours(x), _autograd(torch_fn, x)
    assert got.dtype == x.dtype and got.shape == x.shape
    tol = 1e-5 if x.dtype == torch.float32 else 1e-12
    assert torch.allclose(got, want, rtol=tol, atol=tol), name


@settings(max_examples=30, deadline=None)
@given(x=tensors(low=-30.0, high=30.0), alpha=st.floats(0.05, 5.0))
def test_elu_grad_is_one_above_zero_and_alpha_exp_x_below(x: torch.Tensor, alpha: float) -> None:
    got = elu_grad(x, alpha)
    tol = 1e-5 if x.dtype == torch.float32 else 1e-12
    assert torch.allclose(got, _autograd(lambda v: F.elu(v, alpha), x), rtol=tol, atol=tol)
    assert torch.all(got[x > 0] == 1)
    assert torch.allclose(got[x <= 0], alpha * torch.exp(x[x <= 0]), rtol=tol, atol=0)


def test_smooth_derivatives_take_their_textbook_values() -> None:
    x = torch.linspace(-8, 8, 16001, dtype=torch.float64)
    zero = torch.zeros(1, dtype=torch.float64)
    assert gelu_grad(zero).item() == 0.5 and silu_grad(zero).item() == 0.5
    assert gelu_grad(zero, "tanh").item() == 0.5 and elu_grad(zero).item() == 1.0
    # both dip below zero on the negative side and overshoot 1 on the positive side
    for g, low, peak in ((gelu_grad(x), -0.7518, 1.1289), (silu_grad(x), -1.2785, 1.0998)):
        assert g.max().item() == pytest.approx(peak, abs=1e-4)
        assert x[g < 0].max().item() == pytest.approx(low, abs=1e-3)
    # the tanh approximation stays close to the exact GELU derivative
    assert (gelu_grad(x, "tanh") - gelu_grad(x)).abs().max().item() < 5e-3
    # SiLU(x) - SiLU(-x) = x, so the two derivatives add to 1
    assert torch.allclose(silu_grad(x) + silu_grad(-x), torch.ones_like(x), atol=1e-15)


def test_gaussian_expectation_integrates_the_normal_moments_and_known_expectations() -> None:
    assert gaussian_expectation(lambda z: torch.ones_like(z)) == pytest.approx(1.0, abs=1e-14)
    assert gaussian_expectation(lambda z: z) == pytest.approx(0.0, abs=1e-14)
    assert gaussian_expectation(lambda z: z**2) == pytest.approx(1.0, abs=1e-13)
    assert gaussian_expectation(lambda z: z**6) == pytest.approx(15.0, abs=1e-11)
    # E[exp(z)] = exp(1/2)
    assert gaussian_expectation(torch.exp) == pytest.approx(math.exp(0.5), rel=1e-13)
    # E[GELU(z)] = E[z Phi(z)] = E[Phi'(z)] = 1 / (2 sqrt(pi))
    assert gaussian_expectation(F.gelu) == pytest.approx(1 / (2 * math.sqrt(math.pi)), abs=1e-14)


def test_gaussian_expectation_is_exact_across_the_kink_at_zero() -> None:
    """Kinks and steps at 0 (ReLU, Leaky ReLU, ELU's derivative) cost nothing: the rule splits
    there. Closed forms: E[leaky(z)^2] = (1 + a^2) / 2, P(z > 0) = 1/2, and for ELU
    E[elu(z)^2] = 1 + e^2 Phi(-2) - 2 sqrt(e) Phi(-1), E[elu'(z)^2] = 1/2 + e^2 Phi(-2)."""

    def cdf(t: float) -> float:
        return 0.5 * math.erfc(-t / math.sqrt(2))

    for a in (0.0, 0.01, 0.25):
        got = gaussian_expectation(lambda z, a=a: F.leaky_relu(z, a) ** 2)
        assert got == pytest.approx((1 + a * a) / 2, abs=1e-14)
    assert gaussian_expectation(lambda z: (z > 0).double()) == pytest.approx(0.5, abs=1e-14)
    elu2 = 1 + math.e**2 * cdf(-2) - 2 * math.exp(0.5) * cdf(-1)
    assert gaussian_expectation(lambda z: F.elu(z) ** 2) == pytest.approx(elu2, abs=1e-14)
    delu2 = 0.5 + math.e**2 * cdf(-2)
    assert gaussian_expectation(lambda z: elu_grad(z) ** 2) == pytest.approx(delu2, abs=1e-14)
    # a single Gauss-Hermite rule of as many nodes is far off across the kink
    nodes, weights = np.polynomial.hermite_e.hermegauss(128)
    hermite = float((weights * np.where(nodes > 0, 1.0, np.exp(nodes)) ** 2).sum())
    assert abs(hermite / math.sqrt(2 * math.pi) - delu2) > 1e-4


def _second_moment_by_scipy(phi: Callable[[torch.Tensor], torch.Tensor]) -> float:
    from scipy import integrate

    def f(z: float) -> float:
        v = float(phi(torch.tensor(z, dtype=torch.float64)))
        return v * v * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)

    parts = (integrate.quad(f, -math.inf, 0.0), integrate.quad(f, 0.0, math.inf))
    return sum(p[0] for p in parts)


@pytest.mark.parametrize(
    ("name", "phi"),
    [("elu", F.elu), ("gelu", F.gelu), ("silu", F.silu), ("relu", F.relu)],
)
def test_variance_gain_is_one_over_the_root_second_moment_under_a_standard_normal(
    name: str, phi: Callable[[torch.Tensor], torch.Tensor]
) -> None:
    second = _second_moment_by_scipy(phi)
    assert variance_gain(name) == pytest.approx(1 / math.sqrt(second), rel=1e-10)


@settings(max_examples=30, deadline=None)
@given(a=slopes)
def test_variance_gain_of_the_relu_family_is_he_et_als_and_torchs(a: float) -> None:
    want = torch.nn.init.calculate_gain("leaky_relu", a)
    assert variance_gain("leaky_relu", a) == pytest.approx(want, rel=1e-15)
    assert variance_gain("prelu", a) == pytest.approx(want, rel=1e-15)
    assert variance_gain("relu") == pytest.approx(torch.nn.init.calculate_gain("relu"), rel=1e-15)


@pytest.mark.parametrize("name", VARIANCE_GAIN_ACTIVATIONS)
def test_a_layer_initialised_with_the_gain_keeps_a_unit_second_moment(name: str) -> None:
    phi = {
        "relu": F.relu,
        "leaky_relu": lambda z: F.leaky_relu(z, 0.01),
        "prelu": lambda z: F.leaky_relu(z, 0.25),
        "elu": F.elu,
        "gelu": F.gelu,
        "silu": F.silu,
    }[name]
    gain = variance_gain(name, 0.25 if name == "prelu" else 0.01)
    g = torch.Generator().manual_seed(0)
    n = 256
    z = torch.randn(4096, n, dtype=torch.float64, generator=g)
    w = torch.randn(n, n, dtype=torch.float64, generator=g) * gain / math.sqrt(n)
    assert (phi(z) @ w.T).pow(2).mean().item() == pytest.approx(1.0, abs=0.05)


def test_calculate_gain_has_no_entry_for_elu_gelu_or_silu() -> None:
    """Why variance_gain exists: if PyTorch adds these, compare the two and say so in chapter 2."""
    for name in ("elu", "gelu", "silu"):
        with pytest.raises(ValueError, match="Unsupported nonlinearity"):
            torch.nn.init.calculate_gain(name)  # type: ignore[arg-type]


def test_bad_arguments_of_the_new_functions_are_named() -> None:
    x = torch.ones(2)
    with pytest.raises(ValueError, match=r"Invalid alpha value: 0\.0"):
        elu_grad(x, 0.0)
    with pytest.raises(TypeError, match="alpha must be a real number"):
        elu_grad(x, "1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Invalid approximate value: 'erf'"):
        gelu_grad(x, "erf")
    with pytest.raises(ValueError, match="Invalid activation value: 'swish'"):
        variance_gain("swish")
    with pytest.raises(ValueError, match="negative_slope"):
        variance_gain("gelu", 1.5)
    with pytest.raises(TypeError, match="fn must be callable"):
        gaussian_expectation(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Invalid points value: 0"):
        gaussian_expectation(torch.exp, points=0)
    with pytest.raises(TypeError, match="points must be an int"):
        gaussian_expectation(torch.exp, points=2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fn must return a tensor of shape"):
        gaussian_expectation(lambda z: z.sum())
