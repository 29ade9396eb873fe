"""nag_lib.problems: the test problems have the gradients, minimisers and condition numbers they
claim, and every textbook rate equals the spectral radius NumPy computes for the method's
iteration matrix (and the iterates the methods actually produce)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nag_lib import problems as P
from nag_lib.paper import gradient_descent, heavy_ball, nesterov_1983

KAPPAS = st.floats(min_value=1.5, max_value=1e6)
BETAS = st.floats(min_value=0.0, max_value=0.99)


def _fd_grad(fun, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central finite differences of a scalar function."""
    out = np.empty_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        out[i] = (fun(x + e) - fun(x - e)) / (2 * h)
    return out


# --------------------------------------------------------------------------------------------
# quadratics
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("rotate", [False, True])
def test_quadratic_has_the_requested_kappa_minimiser_and_exact_gradient(rotate: bool) -> None:
    q = P.quadratic(250.0, dim=6, mu=0.5, rotate=rotate, seed=3)
    assert q.dim == 6 and q.kappa == pytest.approx(250.0) and q.mu == 0.5
    assert np.allclose(np.linalg.eigvalsh(q.hessian()), q.eigenvalues)
    assert q.value(q.minimizer) == 0.0 and np.all(q.grad(q.minimizer) == 0.0)
    x = np.random.default_rng(0).standard_normal(6)
    assert np.allclose(q.grad(x), _fd_grad(q.value, x), rtol=1e-6, atol=1e-6)
    xs = np.stack([x, 2 * x, q.minimizer])
    assert np.allclose(q.values(xs), [q.value(r) for r in xs])


def test_quadratic_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="kappa"):
        P.quadratic(0.5)
    with pytest.raises(ValueError, match="mu"):
        P.quadratic(10.0, mu=0.0)
    with pytest.raises(TypeError, match="dim"):
        P.quadratic(10.0, dim=2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="dim"):
        P.quadratic(10.0, dim=1)
    assert P.quadratic(1.0, dim=1).kappa == 1.0


def test_convex_quadratic_is_convex_but_not_strongly_convex() -> None:
    q = P.convex_quadratic(20, L=4.0, smallest=1e-6, seed=1)
    assert q.mu == 0.0 and q.L == 4.0 and math.isinf(q.kappa)
    assert q.eigenvalues[1] == pytest.approx(4e-6) and np.all(np.diff(q.eigenvalues) > 0)
    assert q.minimizer[0] == 0.0 and q.value(q.minimizer) == 0.0
    # f does not depend on the zero-curvature coordinate: a whole line of minimisers
    shifted = q.minimizer.copy()
    shifted[0] = 7.0
    assert q.value(shifted) == 0.0
    with pytest.raises(ValueError, match="dim"):
        P.convex_quadratic(1)
    with pytest.raises(TypeError, match="dim"):
        P.convex_quadratic(True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="smallest"):
        P.convex_quadratic(5, smallest=0.0)
    with pytest.raises(ValueError, match="L"):
        P.convex_quadratic(5, L=-1.0)


def test_nesterov_1983_and_gd_meet_their_convex_bounds_at_every_step() -> None:
    q = P.convex_quadratic(50, smallest=1e-7)
    x0 = np.zeros(q.dim)
    r2 = float(np.sum((x0 - q.minimizer) ** 2))
    k = np.arange(801)
    nag = q.values(nesterov_1983(q.grad, x0, 1 / q.L, 800))
    gd = q.values(gradient_descent(q.grad, x0, 1 / q.L, 800))
    assert np.all(nag <= 2 * q.L * r2 / (k + 1) ** 2)
    assert np.all(gd[1:] <= q.L * r2 / (2 * k[1:]))
    assert nag[-1] < gd[-1] / 10


# --------------------------------------------------------------------------------------------
# Rosenbrock
# --------------------------------------------------------------------------------------------
def test_rosenbrock_points_is_rosenbrock_on_every_point_and_its_torch_gradient_is_exact() -> None:
    pts = np.random.default_rng(0).uniform(-2, 2, size=(5, 3, 2))
    values = P.rosenbrock_points(pts, a=1.5, b=50.0)
    assert values.shape == (5, 3)
    expected = [[P.rosenbrock(q, 1.5, 50.0) for q in row] for row in pts]
    assert np.array_equal(values, np.array(expected))  # the same arithmetic, to the bit
    for q in pts[0]:
        t = torch.tensor(q, dtype=torch.float64, requires_grad=True)
        value = P.rosenbrock_points(t, 1.5, 50.0)
        value.backward()
        assert t.grad is not None and value.item() == P.rosenbrock(q, 1.5, 50.0)
        assert np.allclose(t.grad.numpy(), P.rosenbrock_grad(q, 1.5, 50.0), rtol=1e-12)


@given(st.floats(-2, 2), st.floats(-1, 3), st.floats(0.5, 2), st.floats(1, 200))
@settings(max_examples=40)
def test_rosenbrock_gradient_matches_autograd(x0: float, x1: float, a: float, b: float) -> None:
    t = torch.tensor([x0, x1], dtype=torch.float64, requires_grad=True)
    ((a - t[0]) ** 2 + b * (t[1] - t[0] ** 2) ** 2).backward()
    assert t.grad is not None
    assert np.allclose(P.rosenbrock_grad([x0, x1], a, b), t.grad.numpy(), rtol=1e-12, atol=1e-9)
    assert P.rosenbrock([x0, x1], a, b) == pytest.approx(
        (a - x0) ** 2 + b * (x1 - x0 * x0) ** 2, rel=1e-12, abs=1e-12
    )


def test_rosenbrock_minimum_is_at_a_a_squared_and_shape_is_checked() -> None:
    assert P.rosenbrock([2.0, 4.0], a=2.0) == 0.0
    assert np.all(P.rosenbrock_grad([2.0, 4.0], a=2.0) == 0.0)
    with pytest.raises(ValueError, match="shape"):
        P.rosenbrock([1.0, 2.0, 3.0])


# --------------------------------------------------------------------------------------------
# tuned parameters and their rates
# --------------------------------------------------------------------------------------------
@given(KAPPAS)
@settings(max_examples=40)
def test_gd_optimal_rate_is_the_spectral_radius(kappa: float) -> None:
    t = P.gd_optimal(kappa, 1.0)
    assert t.lr == pytest.approx(2 / (kappa + 1)) and t.momentum == 0.0
    assert t.rate == pytest.approx((kappa - 1) / (kappa + 1))
    lam = np.linspace(1.0, kappa, 101)
    assert P.spectral_radius("gd", t.lr, 0.0, lam) == pytest.approx(t.rate, abs=1e-12)
    # no other step does better
    for lr in (0.9 * t.lr, 1.1 * t.lr):
        assert P.spectral_radius("gd", lr, 0.0, [1.0, kappa]) > t.rate


@given(KAPPAS)
@settings(max_examples=40)
def test_heavy_ball_optimal_rate_is_the_spectral_radius_and_sqrt_beta(kappa: float) -> None:
    t = P.heavy_ball_optimal(kappa, 1.0)
    sk = math.sqrt(kappa)
    assert t.rate == pytest.approx((sk - 1) / (sk + 1)) and t.rate == pytest.approx(
        math.sqrt(t.momentum)
    )
    lam = np.linspace(1.0, kappa, 201)
    # eigenvalues of a defective (double-root) 2x2 matrix carry ~sqrt(eps) error at the ends
    assert P.spectral_radius("heavy_ball", t.lr, t.momentum, lam) == pytest.approx(t.rate, abs=1e-6)
    assert np.allclose(P.spectral_radii("heavy_ball", t.lr, t.momentum, lam[1:-1]), t.rate)


@given(KAPPAS)
@settings(max_examples=40)
def test_nag_optimal_rate_is_one_minus_inverse_sqrt_kappa(kappa: float) -> None:
    t = P.nag_optimal(kappa, 1.0)
    assert t.lr == pytest.approx(1 / kappa)
    lam = np.linspace(1.0, kappa, 201)
    assert P.spectral_radius("nag", t.lr, t.momentum, lam) == pytest.approx(t.rate, abs=1e-6)
    assert t.rate == pytest.approx(1 - 1 / math.sqrt(kappa))
    # between heavy ball's and gradient descent's
    assert P.heavy_ball_optimal(kappa, 1.0).rate < t.rate < P.gd_optimal(kappa, 1.0).rate


@pytest.mark.parametrize("fn", [P.gd_optimal, P.heavy_ball_optimal, P.nag_optimal])
def test_tuned_parameters_reject_bad_constants(fn) -> None:
    with pytest.raises(ValueError, match="mu"):
        fn(1.0, 2.0)
    with pytest.raises(ValueError, match="L"):
        fn(0.0, 1.0)
    with pytest.raises(TypeError, match="mu"):
        fn(1.0, "0.5")


# --------------------------------------------------------------------------------------------
# iteration matrices and spectral radii
# --------------------------------------------------------------------------------------------
@given(BETAS.filter(lambda b: b > 1e-3), st.floats(0.01, 0.99))
@settings(max_examples=60)
def test_heavy_ball_complex_roots_have_modulus_sqrt_beta(beta: float, where: float) -> None:
    s = math.sqrt(beta)
    a_lam = (1 - s) ** 2 + where * ((1 + s) ** 2 - (1 - s) ** 2)  # inside the complex band
    roots = np.linalg.eigvals(P.iteration_matrix("heavy_ball", 1.0, beta, a_lam))
    assert np.all(np.abs(roots.imag) > 0)
    assert np.allclose(np.abs(roots), s, atol=1e-12)


@given(BETAS)
@settings(max_examples=40)
def test_heavy_ball_is_stable_exactly_for_alpha_lambda_in_0_to_2_plus_2beta(beta: float) -> None:
    edge = 2 + 2 * beta
    for a_lam, stable in (
        (1e-3, True),
        (edge * (1 - 1e-4), True),
        (edge * (1 + 1e-4), False),
        (-1e-3, False),
    ):
        rho = P.spectral_radius("heavy_ball", 1.0, beta, a_lam)
        assert (rho < 1) == stable, (a_lam, rho)


def test_gradient_descent_diverges_just_past_two_over_l() -> None:
    q = P.quadratic(10.0, dim=4)
    assert P.spectral_radius("gd", 1.99 / q.L, 0.0, q.eigenvalues) < 1
    assert P.spectral_radius("gd", 2.01 / q.L, 0.0, q.eigenvalues) > 1
    x0 = np.zeros(4)
    below = q.values(gradient_descent(q.grad, x0, 1.99 / q.L, 1000))[-1]
    above = q.values(gradient_descent(q.grad, x0, 2.01 / q.L, 1000))[-1]
    assert below < 1e-6 * q.value(x0) and above > 1e6 * q.value(x0)


@pytest.mark.parametrize("method", ["heavy_ball", "nag"])
def test_iteration_matrix_propagates_the_errors_the_method_produces(method: str) -> None:
    lam, lr, beta, xstar = 3.0, 0.2, 0.6, 1.5
    grad = lambda x: lam * (x - xstar)  # noqa: E731
    if method == "heavy_ball":
        xs = heavy_ball(grad, [4.0], lr, beta, 30)[:, 0]
    else:
        xs = nesterov_1983(grad, [4.0], lr, 30, momentum=beta)[:, 0]
    e = xs - xstar
    T = P.iteration_matrix(method, lr, beta, lam)
    for k in range(1, 30):
        assert np.allclose(T @ [e[k], e[k - 1]], [e[k + 1], e[k]], rtol=1e-12, atol=1e-12)


@given(
    st.sampled_from(P.METHODS),
    st.floats(0.0, 2.0),
    BETAS,
    st.lists(st.floats(-1.0, 10.0), min_size=1, max_size=8),
)
@settings(max_examples=80)
def test_spectral_radii_equal_numpy_eigenvalues(
    method: str, lr: float, beta: float, lam: list[float]
) -> None:
    fast = P.spectral_radii(method, lr, beta, lam)
    slow = [P.spectral_radius(method, lr, beta, v) for v in lam]
    # a (near-)double root costs an eigenvalue solver about half its digits
    assert np.allclose(fast, slow, rtol=1e-6, atol=1e-7)


def test_matrix_helpers_reject_bad_arguments() -> None:
    with pytest.raises(ValueError, match="method"):
        P.iteration_matrix("adam", 0.1, 0.9, 1.0)
    with pytest.raises(ValueError, match="method"):
        P.spectral_radii("adam", 0.1, 0.9, [1.0])
    with pytest.raises(ValueError, match="lr"):
        P.iteration_matrix("gd", -0.1, 0.0, 1.0)
    with pytest.raises(ValueError, match="momentum"):
        P.spectral_radii("nag", 0.1, -0.5, [1.0])
    with pytest.raises(ValueError, match="eigenvalues"):
        P.spectral_radius("gd", 0.1, 0.0, [])
    with pytest.raises(ValueError, match="eigenvalues"):
        P.spectral_radii("gd", 0.1, 0.0, [])
    with pytest.raises(ValueError, match="eigenvalues"):
        P.spectral_radii("gd", 0.1, 0.0, [[1.0, 2.0]])
    with pytest.raises(ValueError, match="eigenvalues"):
        P.spectral_radii("gd", 0.1, 0.0, [1.0, math.inf])


# --------------------------------------------------------------------------------------------
# iteration counts
# --------------------------------------------------------------------------------------------
def test_iterations_to_tolerance_finds_the_first_hit() -> None:
    assert P.iterations_to_tolerance([5.0, 1.0, 0.1, 0.5, 0.01], 0.2) == 2
    assert P.iterations_to_tolerance([5.0, 1.0], 0.2) is None
    with pytest.raises(ValueError, match="tol"):
        P.iterations_to_tolerance([1.0], -1.0)


@pytest.mark.parametrize("kappa", [10.0, 300.0])
def test_gd_iteration_count_matches_its_rate(kappa: float) -> None:
    q = P.quadratic(kappa, dim=2)  # only the two extreme eigenvalues: no easier directions
    n = P.tuned_iterations("gd", q, 1e-10)
    assert n is not None
    predicted = math.log(1e-10) / (2 * math.log(P.gd_optimal(q.L, q.mu).rate))
    assert predicted - 1 <= n <= predicted + 2


def test_nag_and_heavy_ball_counts_grow_like_sqrt_kappa_and_gd_like_kappa() -> None:
    counts = {
        m: [P.tuned_iterations(m, P.quadratic(k, dim=5), 1e-8) for k in (100.0, 1e4)]
        for m in ("heavy_ball", "nag")
    }
    counts["gd"] = [P.tuned_iterations("gd", P.quadratic(k, dim=5), 1e-8) for k in (10.0, 1e3)]
    for m, (small, big) in counts.items():
        assert small is not None and big is not None
        slope = math.log(big / small) / math.log(100.0)
        assert (0.35 < slope < 0.65) if m != "gd" else (0.9 < slope < 1.1), (m, slope)


def test_tuned_iterations_gives_up_within_max_steps_and_checks_arguments() -> None:
    q = P.quadratic(1e3, dim=3)
    assert P.tuned_iterations("gd", q, 1e-8, max_steps=50) is None
    # a start that is not the origin works too, and doubling the run length finds the hit
    assert P.tuned_iterations("heavy_ball", q, 1e-12, x0=np.full(3, -2.0)) is not None
    with pytest.raises(ValueError, match="method"):
        P.tuned_iterations("adam", q, 1e-8)
    with pytest.raises(TypeError, match="problem"):
        P.tuned_iterations("gd", P.LessardFunction(), 1e-8)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tol"):
        P.tuned_iterations("gd", q, 1.5)
    with pytest.raises(ValueError, match="max_steps"):
        P.tuned_iterations("gd", q, 1e-8, max_steps=0)
    with pytest.raises(ValueError, match="x0"):
        P.tuned_iterations("gd", q, 1e-8, x0=q.minimizer)


def test_tuned_iterations_uses_the_paper_forms_of_the_methods() -> None:
    q = P.quadratic(50.0, dim=4)
    t = P.nag_optimal(q.L, q.mu)
    xs = nesterov_1983(q.grad, np.zeros(4), t.lr, 400, momentum=t.momentum)
    expected = P.iterations_to_tolerance(q.values(xs) / q.value(np.zeros(4)), 1e-9)
    assert P.tuned_iterations("nag", q, 1e-9) == expected


# --------------------------------------------------------------------------------------------
# the Lessard-Recht-Packard function
# --------------------------------------------------------------------------------------------
@given(st.floats(-5, 5), st.floats(-5, 5))
@settings(max_examples=80)
def test_lessard_gradient_has_slopes_between_mu_and_l(x: float, y: float) -> None:
    f = P.LessardFunction()
    if abs(x - y) < 1e-6:
        return
    slope = float((f.grad([x])[0] - f.grad([y])[0]) / (x - y))
    assert f.mu - 1e-9 <= slope <= f.L + 1e-9


def test_lessard_function_value_gradient_and_minimum() -> None:
    f = P.LessardFunction()
    assert f.kappa == 25.0 and f.value([0.0]) == 0.0 and np.all(f.minimizer(3) == 0.0)
    # continuous value and gradient at the kinks
    for kink in (1.0, 2.0):
        assert f.value([kink - 1e-12]) == pytest.approx(f.value([kink]), abs=1e-9)
        assert f.grad([kink - 1e-12])[0] == pytest.approx(f.grad([kink])[0], abs=1e-9)
    for x in (-3.0, 0.4, 1.5, 2.7, 10.0):  # away from the kinks
        assert f.grad([x])[0] == pytest.approx(_fd_grad(f.value, np.array([x]))[0], rel=1e-6)
        assert f.value([x]) > 0.0
    xs = np.array([[0.5, 1.5], [2.5, -1.0]])
    assert np.allclose(f.phi(xs).sum(axis=1), [f.value(r) for r in xs])
    with pytest.raises(ValueError, match="x"):
        f.value(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="dim"):
        f.minimizer(0)


def test_tuned_heavy_ball_cycles_on_lessard_function_and_nag_converges() -> None:
    f = P.LessardFunction()
    starts = np.linspace(3.07, 3.46, 40)
    hb = P.heavy_ball_optimal(f.L, f.mu)
    xs = heavy_ball(f.grad, starts, hb.lr, hb.momentum, 500)
    assert np.all(np.abs(xs[-3:] - xs[-6:-3]) < 1e-9)  # period 3
    assert np.all(np.abs(xs[-1]) > 0.5)
    assert np.allclose(np.sort(xs[-3:, 0]), [-1.8024, 0.6465, 2.1159], atol=1e-4)
    nag = P.nag_optimal(f.L, f.mu)
    xn = nesterov_1983(f.grad, starts, nag.lr, 100, momentum=nag.momentum)
    assert np.all(np.abs(xn[-1]) < 1e-12)
    # on the two extreme quadratics of the class the same heavy ball converges
    for c in (f.mu, f.L):
        assert abs(heavy_ball(lambda x, c=c: c * x, [3.3], hb.lr, hb.momentum, 500)[-1, 0]) < 1e-12


@pytest.mark.parametrize("L", [25.0, 26.0, 40.0])
def test_nag_meets_nesterovs_strongly_convex_bound_on_lessard_function(L: float) -> None:
    f = P.LessardFunction()
    starts = np.linspace(-10, 10, 81)
    t = P.nag_optimal(L, f.mu)  # f is L-smooth for every L >= 25
    xs = nesterov_1983(f.grad, starts, t.lr, 150, momentum=t.momentum)
    bound = t.rate ** np.arange(151)[:, None] * (f.phi(starts) + f.mu / 2 * starts**2)
    assert np.all(f.phi(xs) <= bound * (1 + 1e-12))


# --------------------------------------------------------------------------------------------
# Nesterov's worst function (Nesterov 2004, section 2.1.2)
# --------------------------------------------------------------------------------------------
def _worst_value_by_the_book(x: np.ndarray, L: float) -> float:
    """f_n written out term by term, as in the book: an independent copy of the definition."""
    s = x[0] ** 2 + x[-1] ** 2
    for i in range(x.size - 1):
        s += (x[i] - x[i + 1]) ** 2
    return L / 4 * (0.5 * s - x[0])


@pytest.mark.parametrize(("n", "L"), [(1, 1.0), (2, 3.0), (7, 1.0), (40, 8.0)])
def test_worst_case_has_the_books_minimiser_minimum_and_spectrum(n: int, L: float) -> None:
    f = P.nesterov_worst_case(n, L=L)
    i = np.arange(1, n + 1)
    assert f.dim == n and f.L == L
    assert np.array_equal(f.minimizer, 1 - i / (n + 1))  # Lemma 2.1.3
    assert f.f_star == pytest.approx(-L / 8 * (1 - 1 / (n + 1)), rel=1e-15)
    assert f.value(f.minimizer) == pytest.approx(f.f_star, rel=1e-12)
    assert np.abs(f.grad(f.minimizer)).max() < 1e-14 * L
    H = f.hessian()
    assert np.allclose(np.linalg.eigvalsh(H), f.eigenvalues, rtol=0, atol=1e-12 * L)
    assert np.all(f.eigenvalues > 0) and np.all(f.eigenvalues < L)  # convex and L-smooth
    assert np.allclose(H @ f.minimizer, L / 4 * np.eye(n)[0])  # gradient (L/4)(T x - e1) = 0


@given(st.integers(1, 30), st.floats(0.1, 10.0), st.integers(0, 2**31 - 1))
@settings(max_examples=40)
def test_worst_case_value_gradient_and_gap_agree_with_the_definition(
    n: int, L: float, seed: int
) -> None:
    f = P.nesterov_worst_case(n, L=L)
    x = np.random.default_rng(seed).standard_normal(n)
    assert f.value(x) == pytest.approx(_worst_value_by_the_book(x, L), rel=1e-12, abs=1e-12)
    assert np.allclose(f.grad(x), _fd_grad(f.value, x), rtol=1e-6, atol=1e-6)
    assert np.allclose(f.grad(x), f.hessian() @ x - L / 4 * np.eye(n)[0], rtol=0, atol=1e-12)
    xs = np.stack([x, 2 * x, f.minimizer])
    assert np.allclose(f.values(xs), [f.value(r) for r in xs], rtol=1e-12, atol=1e-12)
    gaps = f.gaps(xs)
    assert np.allclose(gaps, f.values(xs) - f.f_star, rtol=1e-9, atol=1e-12)
    assert np.all(gaps >= 0) and gaps[-1] == 0.0


def test_worst_case_gradient_uncovers_one_coordinate_at_a_time() -> None:
    f = P.nesterov_worst_case(12)
    for j in range(12):
        x = np.zeros(12)
        x[:j] = np.arange(1.0, j + 1)  # zero beyond coordinate j
        g = f.grad(x)
        assert np.all(g[j + 1 :] == 0.0) and g[j] != 0.0


@pytest.mark.parametrize("n", [5, 21])
def test_krylov_gap_is_the_minimum_over_the_first_k_coordinates(n: int) -> None:
    f = P.nesterov_worst_case(n, L=2.0)
    for k in range(n + 1):
        x = np.zeros(n)
        if k:  # minimise over the first k coordinates: (L/4) T_k u = (L/4) e_1
            x[:k] = np.linalg.solve(f.hessian()[:k, :k], f.L / 4 * np.eye(k)[0])
        assert f.krylov_gap(k) == pytest.approx(f.value(x) - f.f_star, rel=1e-9, abs=1e-14)
    assert f.krylov_gap(n) == 0.0


@pytest.mark.parametrize("k", [1, 2, 5, 20, 60])
def test_gradient_methods_respect_nesterovs_lower_bound_and_nag_its_upper_bound(k: int) -> None:
    f = P.nesterov_worst_case(2 * k + 1, L=3.0)
    x0 = np.zeros(f.dim)
    r2 = float(np.sum(f.minimizer**2))
    lower = 3 * f.L * r2 / (32 * (k + 1) ** 2)  # Theorem 2.1.7
    assert f.krylov_gap(k) == pytest.approx(f.L / (16 * (k + 1)))
    assert f.krylov_gap(k) >= lower
    nag = f.gaps(nesterov_1983(f.grad, x0, 1 / f.L, k))[-1]
    gd = f.gaps(gradient_descent(f.grad, x0, 1 / f.L, k))[-1]
    hb = f.gaps(heavy_ball(f.grad, x0, 1 / f.L, 0.5, k))[-1]
    assert min(nag, gd, hb) >= f.krylov_gap(k) * (1 - 1e-12)
    assert nag <= 2 * f.L * r2 / (k + 1) ** 2


def test_worst_case_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="n"):
        P.nesterov_worst_case(0)
    with pytest.raises(TypeError, match="n"):
        P.nesterov_worst_case(3.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="n"):
        P.nesterov_worst_case(True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="L"):
        P.nesterov_worst_case(3, L=0.0)
    with pytest.raises(ValueError, match="L"):
        P.nesterov_worst_case(3, L=math.inf)
    f = P.nesterov_worst_case(3)
    with pytest.raises(ValueError, match="x must have shape"):
        f.value(np.zeros(4))
    with pytest.raises(ValueError, match="x must have shape"):
        f.grad(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="xs must have shape"):
        f.values(np.zeros(3))
    with pytest.raises(ValueError, match="xs must have shape"):
        f.gaps(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="k"):
        f.krylov_gap(4)
    with pytest.raises(ValueError, match="k"):
        f.krylov_gap(-1)
    with pytest.raises(TypeError, match="k"):
        f.krylov_gap(1.0)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# power-law fits
# --------------------------------------------------------------------------------------------
@given(st.floats(-3, 3), st.floats(0.01, 100))
@settings(max_examples=40)
def test_fit_power_law_recovers_exponent_and_prefactor(p: float, c: float) -> None:
    x = np.array([1.0, 3.0, 10.0, 30.0])
    got_p, got_c = P.fit_power_law(x, c * x**p)
    assert got_p == pytest.approx(p, abs=1e-9) and got_c == pytest.approx(c, rel=1e-9)


def test_fit_power_law_rejects_bad_data() -> None:
    with pytest.raises(ValueError, match="equal length"):
        P.fit_power_law([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="distinct"):
        P.fit_power_law([2, 2], [1, 3])
    with pytest.raises(ValueError, match="positive"):
        P.fit_power_law([1, 2], [0, 3])
    with pytest.raises(ValueError, match="positive"):
        P.fit_power_law([1, math.nan], [1, 3])


def test_grads_of_many_runs_are_each_runs_gradient() -> None:
    q = P.quadratic(50.0, dim=4, rotate=True, seed=3)
    xs = np.random.default_rng(0).standard_normal((7, 4))
    rows = np.array([q.grad(x) for x in xs])
    assert q.grads(xs).shape == (7, 4)
    assert np.allclose(q.grads(xs), rows, rtol=1e-13, atol=1e-13)
    assert np.array_equal(q.grads(np.tile(q.minimizer, (3, 1))), np.zeros((3, 4)))
