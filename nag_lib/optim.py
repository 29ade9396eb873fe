"""Optimizers written from their update equations, as ``torch.optim`` optimizers.

:class:`HeavyBall`, :class:`NAG`, :class:`RMSprop`, :class:`Adam` (with AMSGrad),
:class:`AdamW` and :class:`NAdam` train real networks and reproduce ``torch.optim`` step for
step. Every one has the same shape (``torch/optim/sgd.py``'s): the base class's ``step``
evaluates the closure, gathers each group's parameters that have a gradient and calls the
class's ``_update`` for the whole group; ``_update`` is one functional update over lists of
tensors, taken in one pass over memory (:mod:`nag_lib.fused`) where that gives torch's bits.
The same methods as their papers write them, in NumPy, are in :mod:`nag_lib.paper` (re-exported
here under their old names); argument checks are in ``nag_lib._checks``.

This module is over 400 lines for one reason: six optimizers, each with its equations, the
way PyTorch departs from the paper, and a doctest, in its docstring (about half the file).

The equations, with step size :math:`\\alpha` (``lr``) and momentum :math:`\\beta`:

* heavy ball (Polyak 1964): :math:`b_{k+1} = \\beta b_k + g_k`,
  :math:`\\theta_{k+1} = \\theta_k - \\alpha b_{k+1}`;
* Nesterov in PyTorch's form (Bengio, Boulanger-Lewandowski & Pascanu 2013):
  :math:`b_{k+1} = \\beta b_k + g_k`,
  :math:`\\theta_{k+1} = \\theta_k - \\alpha (g_k + \\beta b_{k+1})`.

Example
-------
>>> import torch
>>> w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
>>> opt = NAG([w], lr=0.1, momentum=0.9)
>>> w.grad = torch.tensor([1.0, 1.0])
>>> _ = opt.step()
>>> [round(v, 4) for v in w.tolist()]
[0.81, -2.19]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import torch
from torch import Tensor

from nag_lib import fused as _fused
from nag_lib._checks import (
    Closure,
    Params,
    _check_betas,
    _check_bool,
    _check_fused,
    _check_group_params,
    _check_lr,
    _check_number,
    _check_params,
)
from nag_lib.paper import (
    gradient_descent,
    heavy_ball,
    nesterov_1983,
    nesterov_bengio,
    nesterov_pytorch,
    nesterov_sutskever,
)

__all__ = [
    "NAG",
    "OPTIMIZERS",
    "Adam",
    "AdamW",
    "CountingClosure",
    "HeavyBall",
    "NAdam",
    "RMSprop",
    "gradient_descent",
    "heavy_ball",
    "make_optimizer",
    "nesterov_1983",
    "nesterov_bengio",
    "nesterov_pytorch",
    "nesterov_sutskever",
]


def _scalar(value: float | Tensor) -> float | Tensor:
    """A hyperparameter as torch's loops use it: a 1-element tensor made 0-dimensional."""
    if isinstance(value, Tensor) and value.dim() != 0:
        return value.squeeze()
    return value


class _CheckedOptimizer(torch.optim.Optimizer):
    """An optimizer whose hyperparameters are checked wherever they enter, groups included."""

    #: Builds the checked ``defaults`` dict from keyword hyperparameters (raises on bad ones).
    _hyper: ClassVar[Callable[..., dict[str, Any]]]

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a parameter group, after checking its hyperparameters as ``__init__`` does.

        Nothing changes when a value is invalid: the error is raised before the group is added.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        param_group = _check_group_params(param_group)
        own = {k: v for k, v in param_group.items() if k in self.defaults}
        checked = type(self)._hyper(**{**self.defaults, **own})
        super().add_param_group({**param_group, **{k: checked[k] for k in own}})

    @torch.no_grad()
    def step(self, closure: Closure | None = None) -> Tensor | None:  # type: ignore[override]
        """Take one step; ``closure`` (optional) re-evaluates the loss with gradients enabled.

        Every optimizer here has this one shape, as ``torch/optim/sgd.py`` does: gather each
        group's parameters that have a gradient, then one update of the whole group
        (``_update``, which each class writes).
        """
        loss = self._evaluate(closure)
        for group in self.param_groups:
            params, grads = _with_grads(group)
            if params:
                self._update(group, params, grads)
        return loss

    def _update(self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor]) -> None:
        """Update ``params`` (the group's parameters that have a gradient) in place."""
        raise NotImplementedError

    def _states(
        self,
        params: list[Tensor],
        first: Callable[[Tensor], dict[str, Tensor]],
        extra: tuple[str, ...] = (),
    ) -> list[dict[str, Any]]:
        """Each parameter's state: ``first(p)`` on its first step, then each buffer named in
        ``extra`` (zeros of the parameter's shape) once an option asks for it."""
        states = [self.state[p] for p in params]
        for p, state in zip(params, states, strict=True):
            if not state:
                state.update(first(p))
            for key in extra:
                if key not in state:
                    state[key] = _zeros(p)
        return states

    @staticmethod
    def _evaluate(closure: Closure | None) -> Tensor | None:
        """The loss ``closure`` returns, computed with gradients enabled (``step`` itself runs
        under ``torch.no_grad``); ``None`` without a closure. Every optimizer's ``step`` starts
        here, as ``torch.optim``'s do."""
        if closure is None:
            return None
        with torch.enable_grad():
            return closure()


def _heavy_ball_hyper(
    lr: object,
    momentum: object,
    dampening: object,
    weight_decay: object,
    maximize: object,
    fused: object = None,
) -> dict[str, Any]:
    return {
        "lr": _check_lr(lr),
        "momentum": _check_number("momentum", momentum, low=0.0, high=1.0, high_open=True),
        "dampening": _check_number("dampening", dampening, low=0.0, high=1.0),
        "weight_decay": _check_number("weight_decay", weight_decay, low=0.0),
        "maximize": _check_bool("maximize", maximize),
        "fused": _check_fused(fused),
    }


def _nag_hyper(
    lr: object, momentum: object, weight_decay: object, maximize: object, fused: object = None
) -> dict[str, Any]:
    mom = _check_number("momentum", momentum, low=0.0, high=1.0, high_open=True)
    if mom == 0.0:
        raise ValueError("Invalid momentum value: 0.0 (Nesterov momentum requires momentum > 0)")
    return {
        "lr": _check_lr(lr),
        "momentum": mom,
        "weight_decay": _check_number("weight_decay", weight_decay, low=0.0),
        "maximize": _check_bool("maximize", maximize),
        "fused": _check_fused(fused),
    }


def _moments_hyper(
    lr: object, betas: object, eps: object, weight_decay: object, maximize: object
) -> dict[str, Any]:
    """The hyperparameters that Adam, AdamW and NAdam share, checked."""
    return {
        "lr": _check_lr(lr),
        "betas": _check_betas(betas),
        "eps": _check_number("eps", eps, low=0.0),
        "weight_decay": _check_number("weight_decay", weight_decay, low=0.0),
        "maximize": _check_bool("maximize", maximize),
    }


def _adam_hyper(
    lr: object,
    betas: object,
    eps: object,
    weight_decay: object,
    amsgrad: object,
    maximize: object,
    fused: object = None,
) -> dict[str, Any]:
    return {
        **_moments_hyper(lr, betas, eps, weight_decay, maximize),
        "amsgrad": _check_bool("amsgrad", amsgrad),
        "fused": _check_fused(fused),
    }


def _nadam_hyper(
    lr: object,
    betas: object,
    eps: object,
    weight_decay: object,
    momentum_decay: object,
    maximize: object,
    decoupled_weight_decay: object = False,
    fused: object = None,
) -> dict[str, Any]:
    return {
        **_moments_hyper(lr, betas, eps, weight_decay, maximize),
        "momentum_decay": _check_number("momentum_decay", momentum_decay, low=0.0),
        "decoupled_weight_decay": _check_bool("decoupled_weight_decay", decoupled_weight_decay),
        "fused": _check_fused(fused),
    }


def _rmsprop_hyper(
    lr: object,
    alpha: object,
    eps: object,
    weight_decay: object,
    momentum: object,
    centered: object,
    maximize: object,
) -> dict[str, Any]:
    return {
        "lr": _check_lr(lr),
        "alpha": _check_number("alpha", alpha, low=0.0, high=1.0, high_open=True),
        "eps": _check_number("eps", eps, low=0.0),
        "weight_decay": _check_number("weight_decay", weight_decay, low=0.0),
        "momentum": _check_number("momentum", momentum, low=0.0, high=1.0, high_open=True),
        "centered": _check_bool("centered", centered),
        "maximize": _check_bool("maximize", maximize),
    }


def _with_grads(group: dict[str, Any]) -> tuple[list[Tensor], list[Tensor]]:
    """The group's parameters that have a gradient, and those gradients (sparse ones refused)."""
    params = [p for p in group["params"] if p.grad is not None]
    grads = [p.grad for p in params]
    if any(g.is_sparse for g in grads):
        raise RuntimeError("nag_lib optimizers do not support sparse gradients")
    return params, grads


def _single_pass(fused: bool | None, default: bool, *lists: list[Tensor]) -> bool:
    """Whether a group's step takes :mod:`nag_lib.fused`'s single pass over memory.

    ``fused=None`` takes it when ``default`` is true (heavy ball and NAG, whose single pass
    gives ``torch.optim``'s own bits) and it can run on these tensors; ``fused=False`` never
    does; ``fused=True`` must, or raises ``RuntimeError`` saying why it cannot.
    """
    if fused is False or (fused is None and not default):
        return False
    if _fused.supports(*lists):
        return True
    if fused:
        reason = _fused.unavailable_reason() or (
            "it takes dense, contiguous CPU float32 or float64 tensors, all of one dtype"
        )
        raise RuntimeError(f"fused=True, but the single-pass step cannot run: {reason}")
    return False


def _sgd_single_pass(
    state: dict[Tensor, Any],
    params: list[Tensor],
    grads: list[Tensor],
    group: dict[str, Any],
    *,
    nesterov: bool,
) -> bool:
    """Take a heavy-ball or NAG step with :mod:`nag_lib.fused` if the group's
    ``fused`` option and its tensors allow; return whether it did. Missing momentum buffers
    are created as torch creates them (``b_1 = g_0``)."""
    mom = group["momentum"]
    states = [state[p] for p in params] if mom != 0 else []  # no state without momentum
    bufs: list[Tensor | None] = [s.get("momentum_buffer") for s in states]
    new = [i for i, b in enumerate(bufs) if b is None]
    full = [
        torch.empty_like(grads[i], memory_format=torch.contiguous_format) if b is None else b
        for i, b in enumerate(bufs)
    ]
    if not _single_pass(group["fused"], True, params, grads, *([full] if mom != 0 else [])):
        return False
    options = {
        "lr": float(_scalar(group["lr"])),
        "momentum": mom,
        "dampening": group.get("dampening", 0.0),
        "weight_decay": group["weight_decay"],
        "nesterov": nesterov,
        "maximize": group["maximize"],
    }
    old = [i for i in range(len(bufs)) if bufs[i] is not None] if mom != 0 else []
    for first, idx in ((True, new), (False, old)):
        if idx:
            pick = [params[i] for i in idx], [grads[i] for i in idx], [full[i] for i in idx]
            _fused._sgd_step(*pick, first=first, **options)
    if mom == 0:
        _fused._sgd_step(params, grads, [], first=False, **options)
    for i in new:
        states[i]["momentum_buffer"] = full[i]
    return True


class HeavyBall(_CheckedOptimizer):
    r"""Polyak's heavy-ball momentum, in the buffer form that ``torch.optim.SGD`` uses.

    .. math::
        g_k &= \nabla f(\theta_k) + \lambda \theta_k, \qquad
        b_{k+1} = \beta b_k + (1-\tau) g_k \quad (b_1 = g_0), \\
        \theta_{k+1} &= \theta_k - \alpha\, b_{k+1}

    with step size :math:`\alpha` (``lr``), momentum :math:`\beta`, dampening :math:`\tau` and
    weight decay :math:`\lambda`. This is Polyak (1964)'s
    :math:`\theta_{k+1} = \theta_k - \alpha \nabla f(\theta_k) + \beta (\theta_k - \theta_{k-1})`
    for :math:`\tau = 0`. It reproduces ``torch.optim.SGD(momentum=beta, dampening=tau)``, bit for
    bit; with ``momentum=0`` it is plain gradient descent and keeps no state. As :class:`NAG`,
    it takes one pass over memory by default (``fused=None``; :mod:`nag_lib.fused`), with the
    same bits; ``fused=False`` takes the tensor-operation form, ``fused=True`` requires the pass.

    Example
    -------
    >>> w = torch.nn.Parameter(torch.ones(3))
    >>> opt = HeavyBall([w], lr=0.1, momentum=0.9)
    """

    _hyper = staticmethod(_heavy_ball_hyper)

    def __init__(
        self,
        params: Params,
        lr: float | Tensor,
        momentum: float = 0.9,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        maximize: bool = False,
        fused: bool | None = None,
    ) -> None:
        items = _check_params(params)
        super().__init__(
            items, _heavy_ball_hyper(lr, momentum, dampening, weight_decay, maximize, fused)
        )

    def _update(self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor]) -> None:
        if _sgd_single_pass(self.state, params, grads, group, nesterov=False):
            return
        lr, mom, damp = float(_scalar(group["lr"])), group["momentum"], group["dampening"]
        wd, maximize = group["weight_decay"], group["maximize"]
        for p, g in zip(params, grads, strict=True):
            if maximize:
                g = torch.neg(g)
            if wd != 0:
                g = g.add(p, alpha=wd)
            if mom == 0:
                p.add_(g, alpha=-lr)
                continue
            state = self.state[p]
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = torch.clone(g).detach()
            else:
                buf.mul_(mom).add_(g, alpha=1 - damp)
            p.add_(buf, alpha=-lr)


class NAG(_CheckedOptimizer):
    r"""Nesterov's accelerated gradient in the buffer form of ``torch.optim.SGD(nesterov=True)``.

    .. math::
        g_k &= \nabla f(\theta_k) + \lambda \theta_k, \qquad
        b_{k+1} = \beta b_k + g_k \quad (b_1 = g_0), \\
        \theta_{k+1} &= \theta_k - \alpha\,(g_k + \beta\, b_{k+1}).

    This is Bengio, Boulanger-Lewandowski & Pascanu (2013)'s rewriting of Sutskever et al.
    (2013)'s :math:`v_{k+1} = \beta v_k - \alpha \nabla f(\phi_k + \beta v_k)`,
    :math:`\phi_{k+1}=\phi_k + v_{k+1}`,
    with :math:`\theta = \phi + \beta v` and :math:`b = -v/\alpha`. The parameters it stores are the
    look-ahead point, so the gradient it needs is the ordinary one at ``theta``: one gradient per
    step, like plain momentum.

    The arithmetic is that of ``torch.optim.SGD(nesterov=True)``, operation for operation, hence
    the same bits. By default (``fused=None``) the step is one pass over memory
    (:mod:`nag_lib.fused`: read parameter, gradient and buffer, write parameter and buffer, 20
    bytes per float32 parameter) wherever it can run, with the same bits; ``fused=False`` takes
    the tensor-operation form (``_nag_update``, the specification), ``fused=True`` requires the
    single pass. ``benchmarks/optim_step.py`` times both against torch's loop, ``foreach`` and
    fused steps.

    Raises ``ValueError`` for ``momentum == 0``: Nesterov's method needs a momentum.

    Example
    -------
    >>> w = torch.nn.Parameter(torch.ones(3))
    >>> opt = NAG([w], lr=0.1, momentum=0.9)
    """

    _hyper = staticmethod(_nag_hyper)

    def __init__(
        self,
        params: Params,
        lr: float | Tensor,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        maximize: bool = False,
        fused: bool | None = None,
    ) -> None:
        items = _check_params(params)
        super().__init__(items, _nag_hyper(lr, momentum, weight_decay, maximize, fused))

    def _update(self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor]) -> None:
        if _sgd_single_pass(self.state, params, grads, group, nesterov=True):
            return
        states = [self.state[p] for p in params]
        bufs = [s.get("momentum_buffer") for s in states]
        _nag_update(
            params,
            grads,
            bufs,
            lr=float(_scalar(group["lr"])),
            momentum=group["momentum"],
            weight_decay=group["weight_decay"],
            maximize=group["maximize"],
        )
        for state, buf in zip(states, bufs, strict=True):
            state["momentum_buffer"] = buf


def _nag_update(
    params: list[Tensor],
    grads: list[Tensor],
    bufs: list[Tensor | None],
    *,
    lr: float,
    momentum: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    """One NAG step over lists of tensors, in place; a ``None`` buffer is created (``b_1 = g_0``).

    The operations are those of torch's ``_single_tensor_sgd`` with ``nesterov=True``, in the same
    order: ``g = -g`` (maximize), ``g = g + wd p``, ``b = beta b``, ``b = b + g``,
    ``t = g + beta b``, ``p = p - lr t``. Each is one elementwise kernel, so the result is
    bitwise equal to torch's. This is the specification of the single pass
    (:mod:`nag_lib.fused`), and the path taken when that cannot run.
    """
    for i, (p, g, buf) in enumerate(zip(params, grads, bufs, strict=True)):
        if maximize:
            g = torch.neg(g)
        if weight_decay != 0:
            g = g.add(p, alpha=weight_decay)
        if buf is None:
            buf = bufs[i] = torch.clone(g).detach()
        else:
            buf.mul_(momentum).add_(g)
        p.add_(g.add(buf, alpha=momentum), alpha=-lr)


class RMSprop(_CheckedOptimizer):
    r"""RMSProp (Tieleman & Hinton 2012, lecture 6.5), as ``torch.optim.RMSprop`` computes it.

    The lecture keeps, per weight, a running mean of the squared gradient and divides the
    gradient by its square root:

    .. math::
        v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2, \qquad
        \theta_t = \theta_{t-1} - \alpha\, \frac{g_t}{\sqrt{v_t} + \epsilon}, \qquad v_0 = 0,

    with learning rate :math:`\alpha` (``lr``) and smoothing constant :math:`\beta_2`, which
    PyTorch calls ``alpha`` (0.99 by default; the lecture uses 0.9). Where PyTorch goes beyond
    the lecture:

    * :math:`\epsilon` is added to :math:`\sqrt{v_t}` (the lecture has none);
    * ``centered=True`` (Graves 2013) divides by the running standard deviation instead,
      :math:`\sqrt{v_t - \bar g_t^2}` with :math:`\bar g_t = \beta_2 \bar g_{t-1} +
      (1-\beta_2) g_t`;
    * ``momentum`` :math:`\beta > 0` keeps a buffer of the *scaled* gradient,
      :math:`b_t = \beta b_{t-1} + g_t/(\sqrt{v_t}+\epsilon)`,
      :math:`\theta_t = \theta_{t-1} - \alpha b_t`;
    * ``weight_decay`` :math:`\lambda` adds :math:`\lambda\theta_{t-1}` to the gradient (L2).

    Unlike Adam there is no bias correction: :math:`v_1 = (1-\beta_2) g_1^2`, so on a constant
    gradient the first step is :math:`1/\sqrt{1-\beta_2}` times (10 times, at the default) the
    step :math:`\alpha` it settles to. The arithmetic is torch's single-tensor loop
    (``foreach=False``), operation for operation, hence the same bits. State per parameter:
    ``step``, ``square_avg`` (v), and ``momentum_buffer`` and ``grad_avg`` when those options
    are on.

    Example
    -------
    >>> w = torch.nn.Parameter(torch.tensor([1.0, -1.0]))
    >>> opt = RMSprop([w], lr=0.01)
    >>> w.grad = torch.tensor([2.0, -0.5])
    >>> _ = opt.step()
    >>> [round(v, 4) for v in w.tolist()]  # the first step is lr / sqrt(1 - 0.99) = 0.1
    [0.9, -0.9]
    """

    _hyper = staticmethod(_rmsprop_hyper)

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        maximize: bool = False,
    ) -> None:
        items = _check_params(params)
        super().__init__(
            items,
            _rmsprop_hyper(lr, alpha, eps, weight_decay, momentum, centered, maximize),
        )

    def _update(self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor]) -> None:
        mom, centered = group["momentum"], group["centered"]
        extra = ("momentum_buffer",) * (mom > 0) + ("grad_avg",) * centered
        states = self._states(
            params,
            lambda p: {"step": torch.zeros((), dtype=_scalar_dtype()), "square_avg": _zeros(p)},
            extra,
        )
        _rmsprop_update(
            params,
            grads,
            [s["square_avg"] for s in states],
            [s.get("grad_avg") for s in states],
            [s.get("momentum_buffer") for s in states],
            [s["step"] for s in states],
            lr=float(_scalar(group["lr"])),
            alpha=group["alpha"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            momentum=mom,
            centered=centered,
            maximize=group["maximize"],
        )


def _rmsprop_update(
    params: list[Tensor],
    grads: list[Tensor],
    square_avgs: list[Tensor],
    grad_avgs: list[Tensor | None],
    momentum_buffers: list[Tensor | None],
    steps: list[Tensor],
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    centered: bool,
    maximize: bool,
) -> None:
    """One RMSProp step over lists of tensors, in place.

    The operations of torch's ``_single_tensor_rmsprop``, in its order: ``g = -g`` (maximize),
    ``g = g + wd p``, ``v = alpha v + (1 - alpha) g^2``, ``avg = sqrt(v - gbar^2)`` (centered,
    ``gbar`` a lerp towards ``g``) or ``sqrt(v)``, ``avg += eps``, then ``b = beta b + g / avg``,
    ``p -= lr b`` (momentum) or ``p -= lr g / avg``.
    """
    for i, (p, g) in enumerate(zip(params, grads, strict=True)):
        if maximize:
            g = torch.neg(g)
        steps[i] += 1
        if weight_decay != 0:
            g = g.add(p, alpha=weight_decay)
        v = square_avgs[i]
        v.mul_(alpha).addcmul_(g, g, value=1 - alpha)
        grad_avg = grad_avgs[i]
        if centered and grad_avg is not None:
            grad_avg.lerp_(g, 1 - alpha)
            avg = v.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
        else:
            avg = v.sqrt()
        avg = avg.add_(eps)
        buf = momentum_buffers[i]
        if momentum > 0 and buf is not None:
            buf.mul_(momentum).addcdiv_(g, avg)
            p.add_(buf, alpha=-lr)
        else:
            p.addcdiv_(g, avg, value=-lr)


class Adam(_CheckedOptimizer):
    r"""Adam (Kingma & Ba 2015) with bias correction, as ``torch.optim.Adam`` computes it.

    .. math::
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \\
        \theta_t &= \theta_{t-1} - \frac{\alpha}{1-\beta_1^t}\,
            \frac{m_t}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}.

    The step is about ``lr`` per coordinate whatever the scale of the gradient, until
    :math:`\sqrt{v_t}` falls to the size of :math:`\epsilon`. ``weight_decay`` :math:`\lambda`
    adds :math:`\lambda\theta_{t-1}` to :math:`g_t` (L2 regularisation; :class:`AdamW` decays
    the weights instead).

    ``amsgrad=True`` is AMSGrad (Reddi, Kale & Kumar 2018, Algorithm 2): the denominator uses
    the largest second moment seen so far, :math:`\hat v_t = \max(\hat v_{t-1}, v_t)`, so the
    effective step :math:`\alpha/\sqrt{\hat v_t}` can never grow. Where PyTorch differs from the
    paper: the paper has no bias correction, no :math:`\epsilon` and a decaying step
    :math:`\alpha_t = \alpha/\sqrt t`; PyTorch takes the maximum of the uncorrected
    :math:`v_t` (state ``max_exp_avg_sq``) and divides it by :math:`1-\beta_2^t` like
    :math:`v_t`, and the step follows ``lr`` and its schedule.

    The arithmetic is torch's single-tensor loop (``foreach=False``), operation for operation,
    hence the same bits. State per parameter: ``step``, ``exp_avg`` (m) and ``exp_avg_sq`` (v),
    two buffers the size of the parameter, and ``max_exp_avg_sq`` with ``amsgrad=True``.

    ``fused=True`` takes one pass over memory instead (:mod:`nag_lib.fused`; 28 bytes per
    float32 parameter, 36 with AMSGrad), in the same operations and order, with one difference:
    the square root is the IEEE one, correctly rounded, as in torch's own ``fused=True`` Adam,
    whereas torch's loop takes a vectorised library square root that is not always correctly
    rounded. Parameters then differ from the loop's by as much as torch's fused Adam's do (the
    tests check it); that is why the default (``fused=None``) stays with the loop's bits.

    Example
    -------
    >>> w = torch.nn.Parameter(torch.tensor([1.0, -1.0]))
    >>> opt = Adam([w], lr=0.1, amsgrad=True)
    >>> w.grad = torch.tensor([3.0, -0.01])
    >>> _ = opt.step()
    >>> [round(v, 4) for v in w.tolist()]  # the first step is lr, whatever the gradient's size
    [0.9, -0.9]
    """

    _hyper = staticmethod(_adam_hyper)
    #: Whether ``weight_decay`` shrinks the weights (AdamW) instead of adding to the gradient.
    _decoupled: ClassVar[bool] = False

    def __init__(
        self,
        params: Params,
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        maximize: bool = False,
        fused: bool | None = None,
    ) -> None:
        items = _check_params(params)
        super().__init__(items, _adam_hyper(lr, betas, eps, weight_decay, amsgrad, maximize, fused))

    def _update(self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor]) -> None:
        amsgrad = group["amsgrad"]
        states = self._states(params, _moments_state, ("max_exp_avg_sq",) * amsgrad)
        lists = (
            params,
            grads,
            [s["exp_avg"] for s in states],
            [s["exp_avg_sq"] for s in states],
            [s["max_exp_avg_sq"] for s in states] if amsgrad else [],
        )
        steps = [s["step"] for s in states]
        lr, (beta1, beta2) = _scalar(group["lr"]), group["betas"]
        options = {
            "beta1": beta1,
            "beta2": beta2,
            "eps": group["eps"],
            "weight_decay": group["weight_decay"],
            "amsgrad": amsgrad,
            "maximize": group["maximize"],
            "decoupled": self._decoupled,
        }
        if _single_pass(group["fused"], False, *[ts for ts in lists if ts]):
            ts = _fused._increment_steps(steps)
            _fused._adam_step(
                *lists,
                [float(lr / (1 - beta1**t)) for t in ts],
                [(1 - beta2**t) ** 0.5 for t in ts],
                shrink=float(1 - lr * group["weight_decay"]),
                **options,
            )
            return
        _adam_update(
            *lists[:4],
            [s.get("max_exp_avg_sq") for s in states],
            steps,
            lr=lr,
            **options,
        )


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter 2019): Adam with weight decay decoupled from the gradient.

    Adam's L2 term :math:`\lambda\theta` passes through :math:`\hat m_t/\sqrt{\hat v_t}`, so a
    weight whose gradients have been large is decayed less. Algorithm 2 of the paper decays
    every weight by the same fraction instead, outside the adaptive step:

    .. math::
        \theta_t = \theta_{t-1} - \nu_t \left( \alpha\,
            \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon} + \lambda \theta_{t-1} \right),

    with :math:`\hat m_t, \hat v_t` Adam's bias-corrected moments of the loss's gradient alone and
    :math:`\nu_t` a schedule multiplier. PyTorch (``torch.optim.AdamW``) scales the decay by the
    learning rate instead of by :math:`\nu_t` alone:

    .. math::
        \theta_t = (1 - \alpha\lambda)\, \theta_{t-1}
            - \alpha\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon},

    so its ``weight_decay`` is the paper's :math:`\lambda/\alpha` and changing ``lr`` changes the
    decay too. ``weight_decay`` defaults to ``1e-2``, as in PyTorch. ``amsgrad`` and the state are
    :class:`Adam`'s; the arithmetic is torch's single-tensor loop, hence the same bits.

    Example
    -------
    >>> w = torch.nn.Parameter(torch.tensor([1.0, 100.0]))
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> w.grad = torch.zeros(2)  # no gradient: only the decay acts, the same factor for both
    >>> _ = opt.step()
    >>> [round(v, 4) for v in w.tolist()]  # (1 - 0.1 * 0.5) = 0.95 times each weight
    [0.95, 95.0]
    """

    _decoupled: ClassVar[bool] = True

    def __init__(
        self,
        params: Params,
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        maximize: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize, fused)


def _adam_update(
    params: list[Tensor],
    grads: list[Tensor],
    exp_avgs: list[Tensor],
    exp_avg_sqs: list[Tensor],
    max_exp_avg_sqs: list[Tensor | None],
    steps: list[Tensor],
    *,
    lr: float | Tensor,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    amsgrad: bool,
    maximize: bool,
    decoupled: bool,
) -> None:
    """One Adam, AMSGrad or AdamW step over lists of tensors, in place.

    The operations of torch's ``_single_tensor_adam``, in its order: ``g = -g`` (maximize),
    ``step += 1``, ``p *= 1 - lr wd`` (decoupled) or ``g = g + wd p``, ``m = lerp(m, g, 1 - b1)``,
    ``v = b2 v + (1 - b2) g^2``, ``vmax = max(vmax, v)`` (amsgrad),
    ``p -= lr / (1 - b1^t) * m / (sqrt(v or vmax) / sqrt(1 - b2^t) + eps)``.
    """
    for i, (p, g) in enumerate(zip(params, grads, strict=True)):
        if maximize:
            g = torch.neg(g)
        steps[i] += 1
        t = float(steps[i].item())
        if weight_decay != 0:
            if decoupled:
                p.mul_(float(1 - lr * weight_decay))
            else:
                g = g.add(p, alpha=weight_decay)
        m, v, vmax = exp_avgs[i], exp_avg_sqs[i], max_exp_avg_sqs[i]
        m.lerp_(g, 1 - beta1)
        v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        # With a tensor lr, torch computes the step size in the tensor's dtype: so do we.
        step_size = float(lr / (1 - beta1**t))
        bias_correction2_sqrt = (1 - beta2**t) ** 0.5
        if amsgrad and vmax is not None:
            torch.maximum(vmax, v, out=vmax)
            v = vmax
        denom = (v.sqrt() / bias_correction2_sqrt).add_(eps)
        p.addcdiv_(m, denom, value=-step_size)


def _moments_state(p: Tensor) -> dict[str, Tensor]:
    """Adam's state on a parameter's first step, in torch's order."""
    return {
        "step": torch.tensor(0.0, dtype=_scalar_dtype()),
        "exp_avg": _zeros(p),
        "exp_avg_sq": _zeros(p),
    }


def _zeros(p: Tensor) -> Tensor:
    """A state buffer of ``p``'s shape and layout, as torch's optimizers allocate it."""
    return torch.zeros_like(p, memory_format=torch.preserve_format)


class NAdam(_CheckedOptimizer):
    r"""Nadam (Dozat 2016): Adam whose first moment takes a Nesterov-style look-ahead.

    As ``torch.optim.NAdam`` computes it, with the momentum schedule
    :math:`\beta_{1,t} = \beta_1 (1 - \tfrac12 \cdot 0.96^{t\psi})`
    (``momentum_decay`` :math:`\psi`):

    .. math::
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\\
        \theta_t &= \theta_{t-1} - \alpha \left(
            \frac{(1-\beta_{1,t})\, g_t}{1-\prod_{i\le t}\beta_{1,i}}
            + \frac{\beta_{1,t+1}\, m_t}{1-\prod_{i\le t+1}\beta_{1,i}} \right)
            \Big/ \left(\sqrt{v_t/(1-\beta_2^t)} + \epsilon\right).

    It is still Adam (per-coordinate scaling by :math:`\sqrt{v_t}`): "Nadam" is not a name for NAG.

    ``decoupled_weight_decay=True`` decays the weights as :class:`AdamW` does (torch's option of
    the same name). The arithmetic is torch's single-tensor loop, hence the same bits;
    ``fused=True`` takes one pass over memory, with :class:`Adam`'s one difference (the square
    root).
    """

    _hyper = staticmethod(_nadam_hyper)

    def __init__(
        self,
        params: Params,
        lr: float | Tensor = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
        fused: bool | None = None,
    ) -> None:
        items = _check_params(params)
        hyper = _nadam_hyper(
            lr, betas, eps, weight_decay, momentum_decay, maximize, decoupled_weight_decay, fused
        )
        super().__init__(items, hyper)

    def _update(self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor]) -> None:
        states = self._states(
            params,
            lambda p: {
                "step": torch.tensor(0.0, dtype=_scalar_dtype()),
                "mu_product": torch.ones((), dtype=_scalar_dtype()),
                "exp_avg": _zeros(p),
                "exp_avg_sq": _zeros(p),
            },
        )
        lists = (
            params,
            grads,
            [s["exp_avg"] for s in states],
            [s["exp_avg_sq"] for s in states],
        )
        if _single_pass(group["fused"], False, *lists):
            _nadam_single_pass(states, lists, group)
        else:
            _nadam_update(states, lists, group)


def _nadam_schedule(beta1: float, psi: float, t: float) -> tuple[float, float]:
    """NAdam's momentum at step ``t`` and at ``t + 1``: beta1 (1 - 0.96^(t psi) / 2)."""
    return beta1 * (1.0 - 0.5 * 0.96 ** (t * psi)), beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))


def _nadam_update(
    states: list[dict[str, Any]], lists: tuple[list[Tensor], ...], group: dict[str, Any]
) -> None:
    """One NAdam step, tensor by tensor, in the operations and order of torch's
    ``_single_tensor_nadam``: the specification that :func:`_nadam_single_pass` follows."""
    lr, (beta1, beta2), eps = _scalar(group["lr"]), group["betas"], group["eps"]
    wd, psi, maximize = group["weight_decay"], group["momentum_decay"], group["maximize"]
    for state, p, g, m, v in zip(states, *lists, strict=True):
        if maximize:
            g = torch.neg(g)
        state["step"] += 1
        t = float(state["step"].item())
        if wd != 0:
            if group["decoupled_weight_decay"]:
                p.mul_(float(1 - lr * wd))
            else:
                g = g.add(p, alpha=wd)
        beta1_t, beta1_next = _nadam_schedule(beta1, psi, t)
        state["mu_product"] *= beta1_t
        mu_prod = float(state["mu_product"].item())
        m.lerp_(g, 1 - beta1)
        v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        denom = v.div(1 - beta2**t).sqrt().add_(eps)
        p.addcdiv_(g, denom, value=float(-lr * (1.0 - beta1_t) / (1.0 - mu_prod)))
        p.addcdiv_(m, denom, value=float(-lr * beta1_next / (1.0 - mu_prod * beta1_next)))


def _nadam_single_pass(
    states: list[dict[str, Any]], lists: tuple[list[Tensor], ...], group: dict[str, Any]
) -> None:
    """:func:`_nadam_update` as one pass over memory (:mod:`nag_lib.fused`); the
    per-tensor scalars (steps, the momentum product, the coefficients) computed as there."""
    lr, (beta1, beta2), wd = _scalar(group["lr"]), group["betas"], group["weight_decay"]
    ts = _fused._increment_steps([s["step"] for s in states])
    bc2, coef_g, coef_m = [], [], []
    for state, t in zip(states, ts, strict=True):
        beta1_t, beta1_next = _nadam_schedule(beta1, group["momentum_decay"], t)
        state["mu_product"] *= beta1_t
        mu_prod = float(state["mu_product"].item())
        bc2.append(1 - beta2**t)
        coef_g.append(float(-lr * (1.0 - beta1_t) / (1.0 - mu_prod)))
        coef_m.append(float(-lr * beta1_next / (1.0 - mu_prod * beta1_next)))
    params, grads, exp_avgs, exp_avg_sqs = lists
    _fused._nadam_step(
        params,
        grads,
        exp_avgs,
        exp_avg_sqs,
        bc2,
        coef_g,
        coef_m,
        shrink=float(1 - lr * wd),
        beta1=beta1,
        beta2=beta2,
        eps=group["eps"],
        weight_decay=wd,
        maximize=group["maximize"],
        decoupled=group["decoupled_weight_decay"],
    )


def _scalar_dtype() -> torch.dtype:
    return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32


class CountingClosure:
    """Wrap a loss closure and count how often an optimizer calls it.

    Each call runs one forward and one backward pass, so ``calls`` is the number of gradient
    evaluations a ``step(closure)`` cost.

    Example
    -------
    >>> w = torch.nn.Parameter(torch.ones(2))
    >>> opt = torch.optim.SGD([w], lr=0.1)
    >>> def closure():
    ...     opt.zero_grad()
    ...     loss = (w ** 2).sum()
    ...     loss.backward()
    ...     return loss
    >>> counted = CountingClosure(closure)
    >>> _ = opt.step(counted)
    >>> counted.calls
    1
    """

    def __init__(self, closure: Closure) -> None:
        if not callable(closure):
            raise TypeError(f"closure must be callable, got {type(closure).__name__}")
        self.closure = closure
        self.calls = 0

    def __call__(self) -> Tensor:
        self.calls += 1
        return self.closure()


# --------------------------------------------------------------------------------------------
# functional NumPy forms, as the papers write them
# --------------------------------------------------------------------------------------------
#: Names accepted by :func:`make_optimizer`, and the kinds :mod:`nag_lib.ensemble` can train.
#: :class:`RMSprop` and :class:`AdamW` are built directly: the vectorised ensemble trainer has no
#: rule for them, so they are not listed here.
OPTIMIZERS = ("sgd", "heavy_ball", "nag", "adam", "nadam")


def make_optimizer(
    name: str, params: Params, lr: float, momentum: float = 0.9
) -> torch.optim.Optimizer:
    """Build one of :data:`OPTIMIZERS` by name (``momentum`` is used by heavy ball and NAG only).

    ``"sgd"`` is plain gradient descent (``HeavyBall`` with momentum 0).

    >>> w = torch.nn.Parameter(torch.ones(2))
    >>> type(make_optimizer("nag", [w], lr=0.1)).__name__
    'NAG'
    """
    if name == "sgd":
        return HeavyBall(params, lr=lr, momentum=0.0)
    if name == "heavy_ball":
        return HeavyBall(params, lr=lr, momentum=momentum)
    if name == "nag":
        return NAG(params, lr=lr, momentum=momentum)
    if name == "adam":
        return Adam(params, lr=lr)
    if name == "nadam":
        return NAdam(params, lr=lr)
    raise ValueError(f"Invalid name value: {name!r} (use one of {OPTIMIZERS})")
