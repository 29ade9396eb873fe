r"""What one optimizer step costs: gradient evaluations, arithmetic, optimizer memory and time.

The cost of a training step splits into two parts that have nothing to do with each other:

* computing the gradient: one forward and one backward pass (backpropagation), whose cost is a
  small constant multiple of the forward pass whatever optimizer will use the result
  (the "cheap gradient principle", Griewank & Walther 2008, §3; Baydin et al. 2018);
* the optimizer's update: a handful of elementwise operations per parameter, plus the state it
  keeps between steps (0, 1 or 2 parameter-sized buffers for SGD, momentum/NAG and Adam/NAdam;
  3 for Adam with AMSGrad).

The helpers here measure each part deterministically (counts of calls, FLOPs, elements written,
floats stored), and :func:`relative_times` measures time (wall-clock or CPU) as ratios only.

Example
-------
>>> import torch
>>> w = torch.nn.Parameter(torch.ones(3))
>>> opt = torch.optim.SGD([w], lr=0.1, momentum=0.9, nesterov=True)
>>> def closure():
...     opt.zero_grad()
...     loss = (w ** 2).sum()
...     loss.backward()
...     return loss
>>> grad_evals_per_step(opt, closure, steps=2)
[1, 1]
>>> state_buffers_per_parameter(opt)
1.0
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

from nag_lib._checks import Closure, _check_positive_int
from nag_lib.optim import CountingClosure

__all__ = [
    "PassCounter",
    "grad_evals_per_step",
    "matmul_flops",
    "optimizer_state_floats",
    "parameter_count",
    "relative_times",
    "state_buffers_per_parameter",
    "step_bytes_per_parameter",
    "step_writes_per_parameter",
]


def _check_optimizer(optimizer: object) -> torch.optim.Optimizer:
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}"
        )
    return optimizer


def parameter_count(optimizer: torch.optim.Optimizer) -> int:
    """Number of scalar parameters (floats) the optimizer updates, over all its param groups.

    >>> parameter_count(torch.optim.SGD(torch.nn.Linear(3, 2).parameters(), lr=0.1))
    8
    """
    opt = _check_optimizer(optimizer)
    return sum(int(p.numel()) for g in opt.param_groups for p in g["params"])


def grad_evals_per_step(
    optimizer: torch.optim.Optimizer, closure: Closure, steps: int = 1
) -> list[int]:
    """Call ``optimizer.step(closure)`` ``steps`` times; return how often each step ran the closure.

    A closure runs one forward and one backward pass, so each count is the number of gradient
    evaluations that step cost: 1 for SGD, momentum, NAG, Adam and NAdam; up to ``max_iter``
    (default 20) for ``torch.optim.LBFGS``, whose step is a whole inner minimisation
    (Liu & Nocedal 1989).

    >>> w = torch.nn.Parameter(torch.ones(2))
    >>> opt = torch.optim.Adam([w])
    >>> def closure():
    ...     opt.zero_grad()
    ...     loss = (w ** 2).sum()
    ...     loss.backward()
    ...     return loss
    >>> grad_evals_per_step(opt, closure)
    [1]
    """
    opt = _check_optimizer(optimizer)
    if not callable(closure):
        raise TypeError(f"closure must be callable, got {type(closure).__name__}")
    steps = _check_positive_int("steps", steps)
    counts = []
    for _ in range(steps):
        counted = CountingClosure(closure)
        opt.step(counted)  # type: ignore[arg-type]
        counts.append(counted.calls)
    return counts


def _state_tensors(value: object) -> list[Tensor]:
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _state_tensors(v)]
    return []


def optimizer_state_floats(optimizer: torch.optim.Optimizer, include_scalars: bool = False) -> int:
    """Number of floats the optimizer keeps in ``optimizer.state`` between steps.

    Counts every tensor in the per-parameter state dicts, including tensors inside lists (as in
    ``torch.optim.LBFGS``'s curvature history). Zero-dimensional tensors (step counters, scalar
    products) are left out unless ``include_scalars`` is true, so the result is the size of the
    parameter-sized buffers: 0 for plain SGD, one parameter's worth per parameter for momentum
    and NAG (``momentum_buffer``), two for Adam and NAdam (``exp_avg``, ``exp_avg_sq``).

    >>> lin = torch.nn.Linear(10, 10)
    >>> opt = torch.optim.Adam(lin.parameters())
    >>> lin(torch.ones(1, 10)).sum().backward()
    >>> _ = opt.step()
    >>> optimizer_state_floats(opt)
    220
    """
    opt = _check_optimizer(optimizer)
    if not isinstance(include_scalars, bool):
        raise TypeError(f"include_scalars must be a bool, got {type(include_scalars).__name__}")
    total = 0
    for state in opt.state.values():
        for value in state.values():
            for t in _state_tensors(value):
                if t.ndim > 0 or include_scalars:
                    total += int(t.numel())
    return total


def state_buffers_per_parameter(optimizer: torch.optim.Optimizer) -> float:
    """:func:`optimizer_state_floats` divided by :func:`parameter_count`: parameter-sized buffers.

    Call it after at least one ``step()`` (torch optimizers create their state lazily).
    """
    return optimizer_state_floats(optimizer) / parameter_count(optimizer)


#: Operators that only allocate memory (they compute nothing and are not counted).
_ALLOCATIONS = frozenset(
    {
        torch.ops.aten.empty.memory_format,
        torch.ops.aten.empty_like.default,
        torch.ops.aten.empty_strided.default,
    }
)


class _WriteCounter(TorchDispatchMode):  # type: ignore[no-untyped-call]
    """Sum the elements an ATen operator writes: its outputs (views and bare allocations
    excluded) and the arguments its schema marks as mutated (``Tensor(a!)``, as in
    :mod:`nag_lib.fused`'s single-pass steps, which return nothing), each tensor once per call;
    and, in ``bytes``, what it reads and writes: every tensor argument (read), except ``out=``
    arguments, plus what it writes, in bytes. 0-dimensional tensors (scalars) are left out."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.elements = 0
        self.bytes = 0

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        if getattr(func, "is_view", False) or func in _ALLOCATIONS:
            return out
        written: dict[int, Tensor] = {id(t): t for t in _state_tensors(out)}
        read: dict[int, Tensor] = {}
        for i, arg in enumerate(func._schema.arguments):
            value = args[i] if i < len(args) else kwargs.get(arg.name)
            tensors = _state_tensors(value)
            if arg.alias_info is not None and arg.alias_info.is_write:
                written.update((id(t), t) for t in tensors)
            if arg.name != "out":
                read.update((id(t), t) for t in tensors)
        big = [t for t in written.values() if t.ndim > 0]
        self.elements += sum(int(t.numel()) for t in big)
        moved = big + [t for t in read.values() if t.ndim > 0]
        self.bytes += sum(int(t.numel()) * t.element_size() for t in moved)
        return out


def _count_step(optimizer: torch.optim.Optimizer) -> _WriteCounter:
    opt = _check_optimizer(optimizer)
    missing = [i for g in opt.param_groups for i, p in enumerate(g["params"]) if p.grad is None]
    if missing:
        raise ValueError(
            f"parameters {missing} have no gradient: call loss.backward() before measuring a step"
        )
    counter = _WriteCounter()
    with counter:
        opt.step()
    return counter


def step_bytes_per_parameter(optimizer: torch.optim.Optimizer) -> float:
    """Bytes one ``optimizer.step()`` reads and writes, per parameter: its memory traffic.

    Every ATen operator the step launches is intercepted, and the tensors it reads (its tensor
    arguments) and writes (its outputs and mutated arguments) are added up, each once per
    operator, in bytes; 0-dimensional scalars, views and bare allocations are left out. This is
    the traffic of the operators as written, before any cache saves some of it: an elementwise
    pass over tensors larger than the cache does move these bytes. With float32 parameters,
    ``torch.optim``'s loop: SGD 12, heavy ball 32, NAG 44, Adam 72; a single pass
    (:mod:`nag_lib.fused`) moves the least a step can: 20 for heavy ball and NAG (read
    parameter, gradient and buffer; write parameter and buffer), 28 for Adam and NAdam.

    >>> w = torch.nn.Parameter(torch.ones(4))
    >>> opt = torch.optim.SGD([w], lr=0.1)
    >>> w.grad = torch.ones(4)
    >>> step_bytes_per_parameter(opt)  # read w and its gradient, write w: 3 floats
    12.0
    """
    opt = _check_optimizer(optimizer)
    return _count_step(opt).bytes / parameter_count(opt)


def step_writes_per_parameter(optimizer: torch.optim.Optimizer) -> float:
    """Elements written by one ``optimizer.step()``, per parameter: its elementwise passes.

    The gradients must already be in ``.grad`` (call ``loss.backward()`` first). Every ATen
    operator the step launches is intercepted; the sizes of the tensors it writes (views, bare
    allocations and 0-dimensional scalars excluded) are summed and divided by
    :func:`parameter_count`. With ``torch.optim`` on CPU: SGD 1 (``p -= lr*g``), heavy ball 3,
    NAG 4, Adam 7, NAdam 8. A single-pass step writes each tensor it updates once: parameter
    and buffer for heavy ball and NAG (2), parameter and both moments for Adam and NAdam (3).
    Each pass costs one or two floating-point operations per parameter, against the hundreds of
    FLOPs per parameter of a forward and backward pass over a batch.

    >>> w = torch.nn.Parameter(torch.ones(4))
    >>> opt = torch.optim.SGD([w], lr=0.1)
    >>> w.grad = torch.ones(4)
    >>> step_writes_per_parameter(opt)
    1.0
    """
    opt = _check_optimizer(optimizer)
    return _count_step(opt).elements / parameter_count(opt)


def matmul_flops(fn: Callable[[], object]) -> int:
    """Floating-point operations of the matrix products (and convolutions) that ``fn()`` runs.

    Counted by ``torch.utils.flop_counter.FlopCounterMode`` (2 per multiply-add; elementwise
    operations are not counted), so the number is exact and machine-independent. For a linear
    layer with a batch of ``B`` the forward pass costs ``2*B*in*out``; backward costs twice that
    (gradients for the weight and for the input), once only for the first layer, whose input
    needs no gradient.

    >>> lin = torch.nn.Linear(3, 2)
    >>> matmul_flops(lambda: lin(torch.ones(5, 3)))
    60
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    with FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())


class PassCounter:
    """Count the forward and backward passes through ``model`` inside a ``with`` block.

    A forward pass is a call of ``model``; a backward pass is one accumulation of gradients into
    the parameters (counted on every parameter; the largest count is reported), so a step that
    re-ran backpropagation would show 2.

    >>> lin = torch.nn.Linear(3, 1)
    >>> with PassCounter(lin) as passes:
    ...     lin(torch.ones(2, 3)).sum().backward()
    >>> passes.forward, passes.backward
    (1, 1)
    """

    def __init__(self, model: nn.Module) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
        self.model = model
        self.forward = 0
        self._grads: dict[int, int] = {}
        self._handles: list[Any] = []

    @property
    def backward(self) -> int:
        """Number of backward passes that reached the parameters."""
        return max(self._grads.values(), default=0)

    def _on_forward(self, *_: object) -> None:
        self.forward += 1

    def _on_grad(self, p: Tensor) -> None:
        self._grads[id(p)] = self._grads.get(id(p), 0) + 1

    def __enter__(self) -> PassCounter:
        self._handles.append(self.model.register_forward_hook(self._on_forward))
        for p in self.model.parameters():
            if p.requires_grad:
                self._handles.append(
                    p.register_post_accumulate_grad_hook(self._on_grad)  # type: ignore[no-untyped-call]
                )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for h in self._handles:
            h.remove()
        self._handles.clear()


def relative_times(
    fns: Mapping[str, Callable[[], object]],
    baseline: str,
    repeats: int = 5,
    rounds: int = 5,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """Time of each callable divided by that of ``fns[baseline]``.

    Each round times ``repeats`` calls of every callable in turn (interleaved, so a slow-down of
    the machine hits all of them alike); the median over ``rounds`` is taken per callable. Only
    ratios are returned: absolute times depend on the machine and never belong in a stored
    notebook output. Call every function once beforehand to warm up.

    ``clock`` is wall-clock time by default; ``time.process_time`` (CPU time of this process)
    is much less disturbed by other programs competing for a busy machine.

    >>> r = relative_times({"a": lambda: None, "b": lambda: None}, baseline="a", rounds=1)
    >>> r["a"]
    1.0
    """
    if not isinstance(fns, Mapping) or not fns:
        raise ValueError("fns must be a non-empty mapping of names to callables")
    for name, fn in fns.items():
        if not callable(fn):
            raise TypeError(f"fns[{name!r}] must be callable, got {type(fn).__name__}")
    if baseline not in fns:
        raise ValueError(f"Invalid baseline value: {baseline!r} (use one of {list(fns)})")
    if not callable(clock):
        raise TypeError(f"clock must be callable, got {type(clock).__name__}")
    repeats = _check_positive_int("repeats", repeats)
    rounds = _check_positive_int("rounds", rounds)
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            t0 = clock()
            for _ in range(repeats):
                fn()
            samples[name].append(clock() - t0)
    med = {name: statistics.median(s) for name, s in samples.items()}
    base = med[baseline]
    if base <= 0.0:
        raise ValueError(f"baseline {baseline!r} took no measurable time; raise repeats")
    return {name: m / base for name, m in med.items()}
