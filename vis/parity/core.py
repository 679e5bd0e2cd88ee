"""The one comparison every parity check runs: a minigrad call against a torch reference.

`compare_call` feeds the same inputs to both sides, compares every forward output, backs a
random upstream gradient through both and compares every input gradient. The registry runner
(`run_case`), the pytest form (`check_parity`), the one-shot form (`compare`) and the module
form (`compare_modules`, through `Tally`) all judge with it, so a row always says why it failed:
which output or input, its worst element, both values, the error and the tolerance.

Tolerance: each compared array passes when max |minigrad - torch| <= atol + rtol * S, S the
largest |value| over all the torch arrays compared in that call.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from minigrad import Function, Tensor


@dataclass(frozen=True)
class Worst:
    """The worst element of one compared array: its index, both values and |difference|."""

    index: tuple[int, ...]
    minigrad: float
    torch: float
    error: float

    def describe(self) -> str:
        """'element (1, 2): minigrad 0.5 vs torch -0.5, error 1'."""
        return (f"element {self.index}: minigrad {self.minigrad:.10g} vs torch "
                f"{self.torch:.10g}, error {self.error:.3g}")


@dataclass
class ParityRow:
    """One comparison's result: max abs error per output and per input gradient, pass / fail.

    `forward_error` is the worst over the outputs (and the loss, for modules); `grad_errors`
    maps each differentiable input (or parameter) name to its max abs gradient error;
    `problems` (also `reason`) says why a failing row failed.
    """

    label: str
    function: str
    forward_error: float
    grad_errors: dict[str, float]
    tolerance: float
    passed: bool
    note: str = ""
    problems: list[str] = field(default_factory=list)
    output_errors: dict[str, float] = field(default_factory=dict)
    worst: dict[str, Worst] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        """Why the row failed ('' when it passed)."""
        return "; ".join(self.problems)

    def __str__(self) -> str:
        errs = [f"{k} {v:.1e}" for k, v in self.output_errors.items()]
        errs += [f"grad {k} {v:.1e}" for k, v in self.grad_errors.items()]
        name = self.label if self.label == self.function else f"{self.label} ({self.function})"
        head = f"{name}: {', '.join(errs) or 'nothing compared'}"
        verdict = "pass" if self.passed else f"FAIL: {self.reason}"
        return f"{head}; tolerance {self.tolerance:.1e}; {verdict}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; a non-finite number (a shape mismatch, an exception) is a string."""
        return {"label": self.label, "function": self.function,
                "forward_error": _json_float(self.forward_error),
                "grad_errors": {k: _json_float(v) for k, v in self.grad_errors.items()},
                "tolerance": _json_float(self.tolerance), "passed": self.passed,
                "note": self.note, "problems": list(self.problems),
                "output_errors": {k: _json_float(v) for k, v in self.output_errors.items()},
                "worst": {k: {"index": list(w.index), "minigrad": _json_float(w.minigrad),
                              "torch": _json_float(w.torch), "error": _json_float(w.error)}
                          for k, w in self.worst.items()}}


def _json_float(x: float) -> float | str:
    return float(x) if np.isfinite(x) else str(x)


def failed_row(label: str, function: str, tolerance: float, note: str,
               error: BaseException) -> ParityRow:
    """A failing row for a comparison that raised: the reason names the exception."""
    return ParityRow(label, function, float("inf"), {}, tolerance, False, note,
                     [f"{type(error).__name__}: {error}"])


class Tally:
    """Collects compared arrays (by name), the scale S, and the structural problems of one call."""

    def __init__(self) -> None:
        self.worst: dict[str, Worst | None] = {}
        self.errors: dict[str, float] = {}
        self.problems: list[str] = []
        self.scale = 0.0

    def add(self, what: str, mine: np.ndarray, ref: np.ndarray) -> float:
        """Record max |mine - ref| under the name `what` (inf on a shape or dtype mismatch)."""
        mine, ref = np.asarray(mine), np.asarray(ref)
        self.scale = max(self.scale, float(np.abs(ref).max(initial=0.0))
                         if ref.dtype.kind in "fiub" else 0.0)
        if mine.shape != ref.shape:
            self.problems.append(f"{what}: shape {mine.shape} vs torch {ref.shape}")
            self.errors[what] = float("inf")
        elif mine.dtype != ref.dtype:
            self.problems.append(f"{what}: dtype {mine.dtype} vs torch {ref.dtype}")
            self.errors[what] = float("inf")
        elif mine.size == 0:
            self.errors[what] = 0.0
        else:
            m, r = mine.astype(np.float64), ref.astype(np.float64)
            diff = np.nan_to_num(np.abs(m - r), nan=np.inf)
            j = int(np.argmax(diff))
            index = tuple(int(i) for i in np.unravel_index(j, diff.shape))
            self.worst[what] = Worst(index, float(m.flat[j]), float(r.flat[j]), float(diff.flat[j]))
            self.errors[what] = float(diff.flat[j])
        return self.errors[what]

    def missing(self, what: str, message: str) -> None:
        """Record an array that could not be compared (no gradient, ...)."""
        self.problems.append(f"{what}: {message}")
        self.errors[what] = float("inf")

    def row(self, label: str, function: str, outputs: list[str], grads: dict[str, str], *,
            atol: float, rtol: float, note: str = "") -> ParityRow:
        """The row: `outputs` are forward item names, `grads` maps a key to its item name."""
        tol = atol + rtol * self.scale
        problems = list(self.problems)
        for what, err in self.errors.items():
            w = self.worst.get(what)
            if err > tol and w is not None:
                scale = f" = atol {atol:g} + rtol {rtol:g} * {self.scale:.3g}" if rtol else ""
                problems.append(f"{what}: worst {w.describe()} > tolerance {tol:.3g}{scale}")
        out_err = {k: self.errors[k] for k in outputs if k in self.errors}
        grad_err = {k: self.errors[w] for k, w in grads.items() if w in self.errors}
        passed = not problems
        return ParityRow(label, function, max(out_err.values(), default=0.0), grad_err, tol,
                         passed, note, problems, out_err,
                         {k: w for k, w in self.worst.items() if w is not None})


def _is_float(a: Any) -> bool:
    return isinstance(a, np.ndarray) and a.dtype.kind == "f"


def to_torch(a: Any) -> Any:
    """Float arrays -> float64 leaves requiring grad; int/bool arrays -> int64/bool; rest as is."""
    if _is_float(a):
        return torch.tensor(a, dtype=torch.float64, requires_grad=True)
    if isinstance(a, np.ndarray):
        return torch.from_numpy(a.astype(bool if a.dtype == np.bool_ else np.int64))
    return a


def as_tuple(out: Any) -> tuple:
    """A Function's result as a tuple of outputs."""
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def function_name(fn: Any) -> str:
    """Display name of a Function class or a callable."""
    return getattr(fn, "__name__", type(fn).__name__)


def _caller(fn: Any) -> Callable[..., Any]:
    return fn.apply if isinstance(fn, type) and issubclass(fn, Function) else fn


def compare_call(fn: Any, reference: Callable[..., Any], args: dict[str, Any],
                 consts: dict[str, Any], rng: np.random.Generator, *, atol: float = 1e-10,
                 rtol: float = 0.0, label: str | None = None, note: str = "") -> ParityRow:
    """Run `fn(*args, **consts)` (a Function class or a callable on Tensors) and
    `reference(*torch args, **consts)`; compare outputs, then input gradients under upstream
    gradients drawn from `rng` (standard normal, the output's dtype).

    `args` maps input names to values, in call order: float arrays become Tensors requiring
    grad (torch: float64 leaves), int/bool arrays and other values pass unchanged (torch:
    int64/bool tensors, values as is). Integer outputs are compared but not backpropagated.
    """
    name = function_name(fn)
    label = name if label is None else label
    names, arrays = list(args), list(args.values())
    mg_args = [Tensor(a.copy(), requires_grad=True) if _is_float(a)
               else (a.copy() if isinstance(a, np.ndarray) else a) for a in arrays]
    t_args = [to_torch(a) for a in arrays]
    mg_out = as_tuple(_caller(fn)(*mg_args, **consts))
    t_out = as_tuple(reference(*t_args, **consts))

    tally = Tally()
    outputs = [f"output {k}" for k in range(len(mg_out))]
    if len(mg_out) != len(t_out):
        tally.problems.append(f"{len(mg_out)} outputs vs torch {len(t_out)}")
    for what, m, t in zip(outputs, mg_out, t_out, strict=False):
        tally.add(what, m.data if isinstance(m, Tensor) else np.asarray(m),
                  t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t))
    if tally.problems:  # the outputs do not line up: no common upstream gradient to feed
        return tally.row(label, name, outputs, {}, atol=atol, rtol=rtol, note=note)

    diff = [k for k, m in enumerate(mg_out) if isinstance(m, Tensor) and m.requires_grad]
    for k in diff:  # integer outputs (indices) have no gradient on either side
        if not (isinstance(t_out[k], torch.Tensor) and t_out[k].requires_grad):
            tally.problems.append(f"output {k}: differentiable in minigrad but not in torch")
    if tally.problems:
        return tally.row(label, name, outputs, {}, atol=atol, rtol=rtol, note=note)
    upstream = [rng.standard_normal(mg_out[k].data.shape).astype(mg_out[k].data.dtype)
                for k in diff]
    for j, (k, g) in enumerate(zip(diff, upstream, strict=True)):
        mg_out[k].backward(g, retain_graph=j < len(diff) - 1)
    if diff:
        torch.autograd.backward([t_out[k] for k in diff], [torch.from_numpy(g) for g in upstream])

    grads: dict[str, str] = {}
    for n, m, t in zip(names, mg_args, t_args, strict=True):
        if not isinstance(m, Tensor):
            continue
        what = grads[n] = f"grad of input '{n}'"
        ref = np.zeros_like(m.data) if t.grad is None else t.grad.numpy()
        if m.grad is None:
            tally.scale = max(tally.scale, float(np.abs(ref).max(initial=0.0)))
            tally.missing(what, "minigrad gave no gradient")
        else:
            tally.add(what, m.grad, ref)
    return tally.row(label, name, outputs, grads, atol=atol, rtol=rtol, note=note)
