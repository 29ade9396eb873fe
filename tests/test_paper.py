"""nag_lib.paper's Adam and Nadam, as their papers write them, against torch.optim."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nag_lib.paper import adam, nadam

RNG = np.random.default_rng(0)
A, B = RNG.standard_normal((30, 10)), RNG.standard_normal(30)
X0 = RNG.standard_normal(10)


def _grad(x: np.ndarray) -> np.ndarray:
    return 2 * A.T @ (A @ x - B) / len(B)


def _torch(make: object, steps: int) -> np.ndarray:
    w = torch.tensor(X0, requires_grad=True)
    opt = make([w])  # type: ignore[operator]
    at, bt = torch.tensor(A), torch.tensor(B)
    out = [w.detach().numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        ((at @ w - bt) ** 2).mean().backward()
        opt.step()
        out.append(w.detach().numpy().copy())
    return np.array(out)


def test_adam_is_torchs_adam_in_another_order_of_operations() -> None:
    xs = adam(_grad, X0, lr=1e-2, steps=100)
    ref = _torch(lambda p: torch.optim.Adam(p, lr=1e-2), 100)
    assert xs.shape == (101, 10) and np.array_equal(xs[0], X0)
    assert np.allclose(xs, ref, rtol=1e-10, atol=0)
    assert not np.array_equal(xs, ref)  # the same method, not the same roundings


def test_nadam_follows_torchs_schedule_and_a_constant_momentum_its_limit() -> None:
    xs = nadam(_grad, X0, lr=2e-3, steps=100)
    ref = _torch(lambda p: torch.optim.NAdam(p, lr=2e-3), 100)
    assert np.allclose(xs, ref, rtol=1e-6, atol=0)  # torch keeps prod(beta1_t) in float32
    constant = nadam(_grad, X0, lr=2e-3, steps=100, schedule=False)
    huge = _torch(lambda p: torch.optim.NAdam(p, lr=2e-3, momentum_decay=1e4), 100)
    assert np.allclose(constant, huge, rtol=1e-5, atol=0)
    assert not np.allclose(constant, xs, rtol=1e-3, atol=0)  # the schedule matters


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_the_first_step_does_not_depend_on_the_gradients_size(scale: float) -> None:
    """Adam's first step is lr; Nadam's is lr (1 + mu_2 (1 - beta1) / (1 - mu_1 mu_2)); both
    times |g| / (|g| + eps), 1 - 1e-5 for the smallest gradient here."""
    ones = np.ones(3)
    first = -adam(lambda x: scale * ones, np.zeros(3), lr=0.1, steps=1)[1]
    assert np.allclose(first, 0.1, rtol=2e-5, atol=0)
    mu1, mu2 = (0.9 * (1 - 0.5 * 0.96 ** (t * 4e-3)) for t in (1, 2))
    first = -nadam(lambda x: scale * ones, np.zeros(3), lr=0.1, steps=1)[1]
    assert np.allclose(first, 0.1 * (1 + mu2 * 0.1 / (1 - mu1 * mu2)), rtol=2e-5, atol=0)
