"""Single-pass optimizer steps: every parameter element read and written once per step.

An optimizer step is elementwise, so it does almost no arithmetic per byte it moves: a NAG step
reads a parameter, its gradient and its momentum buffer and writes the parameter and the buffer
(20 bytes per float32 parameter) for a handful of floating-point operations. Its time is set by
memory bandwidth, and so by the number of *passes* over memory. Written as tensor operations
(``b.mul_(beta).add_(g)``, ``p.add_(g.add(b, alpha=beta), alpha=-lr)``) the step makes one
pass per operation; the steps here make one pass in all, in one parallel loop over all of a
group's tensors. Chapter 7 ("What a step costs") measures the difference, and
``benchmarks/optim_step.py`` times it against torch's loop, ``foreach`` and fused steps.

The tool, chosen by measurement on the 2-core machine (10 M float32 parameters in 100 tensors,
NAG step, medians of interleaved rounds):

* **a small C++ file, built by torch's own extension tooling** (``torch.utils.cpp_extension``):
  chosen. It builds in about 25 s, once per torch installation (torch caches the library
  under ``$TORCH_EXTENSIONS_DIR``, by default ``~/.cache/torch_extensions``, and rebuilds it
  only when the source changes). ``make book`` and ``make test`` build it before any notebook
  runs (``python -m nag_lib.fused``); a process then loads it in about 0.12 s. It runs on
  torch's own OpenMP thread pool, so ``torch.set_num_threads`` governs it as it governs torch.
  Written with ``std::fma`` exactly where torch's CPU kernels fuse a multiply-add, and compiled
  with ``-ffp-contract=off`` so that the compiler adds none, it gives torch's bits.
* ``torch.compile`` of the tensor-operation form: 21.9 s for the first call with an empty
  Inductor cache and 2.8 s in each later process, for a step of 4.9-6.3 ms against torch's
  fused 4.7-4.8 ms: too slow to start, in every notebook.
* numba 0.68 (``@njit(parallel=True)``, one loop per tensor, measured here): a step of 5.9 ms
  against torch's fused 6.3 ms, but 7.2e-7 away from torch's loop after 5 steps (its
  ``a + alpha * b`` rounds twice where torch's kernel rounds once; matching torch would mean
  writing LLVM's ``fma`` intrinsic by hand), and 2.4 s to import plus about 1 s of compilation
  per dtype and option combination in each process, or a cache of its own.

What the single pass gives: heavy ball and NAG bit for bit as ``torch.optim.SGD``'s loop; Adam,
AdamW, AMSGrad and NAdam bit for bit in their moments, and in their parameters torch's
arithmetic with a correctly rounded square root (torch's loop takes a vectorised library square
root that is not always correctly rounded; torch's own fused Adam differs from its loop in the
same way, and by as much). The tensor-operation forms in :mod:`nag_lib.optim` stay the
specification, and the optimizers take them whenever this path cannot run: no C++ compiler or
``ninja``, tensors that are not dense contiguous CPU float32/float64 tensors of one dtype, or
``fused=False``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import sys
import sysconfig
from pathlib import Path

import torch
from torch import Tensor

__all__ = ["available", "build", "supports", "unavailable_reason"]

_SOURCE = Path(__file__).with_name("_step.cpp")
#: Compiler flags: optimise and vectorise for this CPU, never contract ``a * b + c`` into a fused
#: multiply-add on the compiler's own initiative (the source says where torch has them), and
#: compile ``at::parallel_for`` as OpenMP (without ``-fopenmp`` it runs on one thread). The
#: library then links ``libgomp.so.1``, the runtime torch itself loads, so both share one thread
#: pool and ``torch.set_num_threads`` governs both.
_CFLAGS = ["-O3", "-march=native", "-ffp-contract=off", "-fno-math-errno", "-fopenmp"]
_LDFLAGS = ["-fopenmp"]


def _cached_source() -> tuple[str, Path]:
    """The library's name and a copy of the source that it is built from, in torch's cache.

    The name holds the torch version and a digest of the source, the flags and torch's install
    path, so a library is never reused across torch versions, installations or edits. The copy
    gives every clone of the book that uses one torch installation the same source path: ninja,
    which rebuilds when a command line (which holds the paths) or a timestamp changes, then
    builds once per installation, not once per clone (25 s each time, inside whichever notebook
    came first) or back and forth between two virtual environments.
    """
    from torch.utils import cpp_extension

    text = _SOURCE.read_bytes()
    # torch's headers are found through its own install path: one build per torch installation
    where = str(Path(torch.__file__).parent)
    key = text + " ".join([*_CFLAGS, *_LDFLAGS, where]).encode()
    digest = hashlib.sha256(key).hexdigest()[:12]
    version = "".join(c if c.isalnum() else "_" for c in torch.__version__)
    name = f"nag_lib_step_{version}_{digest}"
    copy = Path(cpp_extension.get_default_build_root()) / f"{name}-source" / "_step.cpp"
    if not copy.exists() or copy.read_bytes() != text:
        copy.parent.mkdir(parents=True, exist_ok=True)
        tmp = copy.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(text)
        os.replace(tmp, copy)  # atomic: a concurrent build reads the old file or the new one
    return name, copy


def _ninja_on_path() -> None:
    """Put ``ninja`` on ``PATH`` if it is installed in this Python's environment but the
    process was started without the environment's ``bin`` directory on ``PATH`` (a Jupyter
    kernel, for instance); torch's extension builder runs ``ninja`` by name."""
    if shutil.which("ninja") is not None:
        return
    scripts = sysconfig.get_path("scripts")
    for folder in (scripts, str(Path(sys.executable).parent)):
        if folder and (Path(folder) / "ninja").exists():
            os.environ["PATH"] = folder + os.pathsep + os.environ.get("PATH", "")
            return


@functools.cache
def _load() -> str | None:
    """Build (if needed) and load the extension; ``None`` on success, else the reason."""
    if os.environ.get("NAG_LIB_NO_FUSED"):
        return "NAG_LIB_NO_FUSED is set"
    _ninja_on_path()
    try:
        from torch.utils import cpp_extension

        name, source = _cached_source()
        cpp_extension.load(
            name,
            [str(source)],
            extra_cflags=_CFLAGS,
            extra_ldflags=_LDFLAGS,
            is_python_module=False,
            verbose=False,
        )
    except Exception as exc:  # no compiler, no ninja, a read-only cache: use the reference
        lines = str(exc).splitlines() or [""]
        errors = [line for line in lines if "error" in line.lower()][-1:]
        return " ".join([f"{type(exc).__name__}: {lines[0][:200]}", *errors])
    return None


def build() -> None:
    """Build and load the extension now, or raise ``RuntimeError`` saying why it cannot be.

    ``make book`` and ``make test`` call this (``python -m nag_lib.fused``) so that no notebook
    pays for the build.
    """
    reason = _load()
    if reason is not None:
        raise RuntimeError(f"nag_lib's single-pass optimizer steps cannot be built: {reason}")


def available() -> bool:
    """Whether the single-pass steps are built and loaded (building them on first call)."""
    return _load() is None


def unavailable_reason() -> str | None:
    """Why the single-pass steps cannot run here, or ``None`` when they can."""
    return _load()


def supports(*lists: list[Tensor]) -> bool:
    """Whether the single-pass step can update these tensors (and is available).

    ``lists`` are the parameters, then their gradients and state buffers, each list as long as
    the first. Every tensor must be a dense, contiguous, real CPU tensor of the first tensor's
    dtype (float32 or float64), with as many elements as its parameter. The check runs in C++:
    in Python it cost 0.3 ms for 300 tensors, 6 % of a 10 M-parameter step. Raises
    ``TypeError`` (naming ``lists``) when an argument is not a list of tensors.
    """
    for tensors in lists:
        if not isinstance(tensors, (list, tuple)):
            raise TypeError(f"lists must be lists of Tensors, got {type(tensors).__name__}")
    if not lists or not lists[0]:
        return False
    if _load() is not None:
        if not all(isinstance(t, Tensor) for ts in lists for t in ts):
            raise TypeError("lists must be lists of Tensors, got an element that is not")
        return False
    if any(len(tensors) != len(lists[0]) for tensors in lists):
        return False
    try:  # the elements are checked in C++ (a Python loop over them costs 70 us per step)
        return bool(torch.ops.nag_lib.supported([t for ts in lists for t in ts], len(lists)))
    except (RuntimeError, TypeError):
        raise TypeError("lists must be lists of Tensors, got an element that is not") from None


def _bump(*lists: list[Tensor]) -> None:
    """Advance the autograd version counter of each written tensor, as in-place torch ops do,
    so that autograd still detects a tensor changed after it was saved for backward."""
    for tensors in lists:
        if tensors:
            torch.autograd.graph.increment_version(tensors)


def _increment_steps(steps: list[Tensor]) -> list[float]:
    """``step += 1`` for each one-element step count (as torch's loop does it, in the count's
    own dtype), in one call; returns the new counts. Callers check :func:`available` first."""
    try:
        torch.ops.nag_lib.increment_steps(steps)
    except RuntimeError:  # a count of another dtype (a loaded state, say): torch's own way
        torch._foreach_add_(steps, 1)
    return [s.item() for s in steps]


def _sgd_step(
    params: list[Tensor],
    grads: list[Tensor],
    bufs: list[Tensor],
    *,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    maximize: bool,
    first: bool,
) -> None:
    """One SGD / heavy-ball / Nesterov step in place, as ``torch.optim.SGD``'s loop computes it.

    ``first=True`` writes each buffer as the (decayed) gradient, torch's ``b_1 = g_0``; ``bufs``
    is empty when ``momentum == 0``. Callers check :func:`supports` first (the C++ step refuses,
    with ``RuntimeError``, what :func:`supports` refuses and lists of unequal length).
    """
    torch.ops.nag_lib.sgd_step(
        params, grads, bufs, lr, momentum, dampening, weight_decay, nesterov, maximize, first
    )
    _bump(params, bufs)


def _adam_step(
    params: list[Tensor],
    grads: list[Tensor],
    exp_avgs: list[Tensor],
    exp_avg_sqs: list[Tensor],
    max_exp_avg_sqs: list[Tensor],
    step_sizes: list[float],
    bc2_sqrts: list[float],
    *,
    shrink: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    amsgrad: bool,
    maximize: bool,
    decoupled: bool,
) -> None:
    """One Adam / AMSGrad / AdamW step in place, in the order of ``torch.optim.Adam``'s loop.

    Per tensor ``i`` at its step ``t``: ``step_sizes[i] = lr / (1 - beta1^t)`` and
    ``bc2_sqrts[i] = (1 - beta2^t) ** 0.5``; ``shrink = 1 - lr * weight_decay`` (AdamW). Each
    computed as torch computes it (in double, or in the learning rate's dtype when it is a
    tensor). ``max_exp_avg_sqs`` is empty unless ``amsgrad``.
    """
    torch.ops.nag_lib.adam_step(
        params,
        grads,
        exp_avgs,
        exp_avg_sqs,
        max_exp_avg_sqs,
        step_sizes,
        bc2_sqrts,
        shrink,
        beta1,
        beta2,
        eps,
        weight_decay,
        amsgrad,
        maximize,
        decoupled,
    )
    _bump(params, exp_avgs, exp_avg_sqs, max_exp_avg_sqs)


def _nadam_step(
    params: list[Tensor],
    grads: list[Tensor],
    exp_avgs: list[Tensor],
    exp_avg_sqs: list[Tensor],
    bias_corrections2: list[float],
    grad_coefs: list[float],
    avg_coefs: list[float],
    *,
    shrink: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
    decoupled: bool,
) -> None:
    """One NAdam step in place, in the order of ``torch.optim.NAdam``'s loop.

    Per tensor ``i``: ``1 - beta2^t`` and the two step coefficients,
    ``-lr (1 - mu_t) / (1 - prod mu)`` for the gradient and
    ``-lr mu_{t+1} / (1 - prod mu mu_{t+1})`` for the first moment.
    """
    torch.ops.nag_lib.nadam_step(
        params,
        grads,
        exp_avgs,
        exp_avg_sqs,
        bias_corrections2,
        grad_coefs,
        avg_coefs,
        shrink,
        beta1,
        beta2,
        eps,
        weight_decay,
        maximize,
        decoupled,
    )
    _bump(params, exp_avgs, exp_avg_sqs)


if __name__ == "__main__":
    build()
    print(f"nag_lib.fused: built and loaded ({_SOURCE.name})")
