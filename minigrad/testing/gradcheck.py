"""`gradcheck`: a Function's backward against central differences in float64.

Full mode perturbs every element of every differentiable input and compares the numerical
vector-Jacobian product with the analytic one (random upstream gradients on every output);
fast mode compares directional derivatives along a few random directions. Both also check
the invariants: grad shape and dtype, two backwards on fresh graphs agree exactly, and for
multi-output Functions, backward with one output unused matches the numerics.

A Function class under test is held to its contract strictly (`_strict`): its backward gets
read-only douts (writing into one fails the check) and must return, for every input, a
gradient of exactly that input's shape and dtype, although the engine would unbroadcast or
cast it. Float32 inputs are also run once natively so a float64 gradient for them shows.
"""
from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from minigrad.engine import _where as engine_where
from minigrad.errors import GradientError, MinigradError
from minigrad.function import Context, Function
from minigrad.grad_mode import no_grad
from minigrad.tensor import Tensor

FAST_THRESHOLD = 2000  # differentiable elements above which fast=None picks random directions
TINY = 1e-12  # floor of the denominator of the element-wise relative error
N_DIRECTIONS = 3  # random directions per input in fast mode


class GradcheckError(AssertionError):
    """A gradient disagrees with the numerics, or an invariant of backward is broken."""


@dataclass
class GradcheckReport:
    """What gradcheck measured: max element-wise relative error per differentiable input."""

    fn: str
    mode: str  # "full" or "fast"
    rel_errors: dict[str, float] = field(default_factory=dict)  # input label -> max rel error
    abs_errors: dict[str, float] = field(default_factory=dict)  # input label -> max |a - n|
    converted: list[int] = field(default_factory=list)  # float32/16 inputs checked in float64
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def max_rel_error(self) -> float:
        """The worst relative error over all inputs (0.0 if nothing was compared)."""
        return max(self.rel_errors.values(), default=0.0)


def rel_error(x: Any, y: Any) -> float:
    """CS231n's relative error: max(|x - y| / max(1e-8, |x| + |y|))."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def numerical_grad(f: Callable[[], Any], x: np.ndarray, dout: Any = None,
                   eps: float = 1e-6) -> np.ndarray:
    """d(sum(f() * dout))/dx by central differences, perturbing `x` in place; same shape as x.

    `f` takes no arguments and reads `x` (CS231n's eval_numerical_gradient_array); `dout`
    defaults to ones of f's output shape.
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    flat = x.reshape(-1)  # a view: x must be contiguous
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_grad: x must be a contiguous array (it is perturbed in place)")
    for j in range(flat.size):
        old = flat[j]
        flat[j] = old + eps
        plus = np.array(_values(f()), dtype=np.float64)
        flat[j] = old - eps
        minus = np.array(_values(f()), dtype=np.float64)
        flat[j] = old
        d = plus - minus
        grad.flat[j] = (d if dout is None else d * dout).sum() / (2 * eps)
    return grad


def _values(out: Any) -> Any:
    """The array behind a Tensor (f may return one), anything else unchanged."""
    return out.data if isinstance(out, Tensor) else out


class _StrictError(GradientError):
    """The Function under test broke the backward contract (shape, dtype, or wrote into dout)."""


def _read_only(d: Any) -> Any:
    if not isinstance(d, np.ndarray):
        return d
    v = d.view()
    v.flags.writeable = False
    return v


@functools.cache
def _strict(fn: type) -> type:
    """A subclass of `fn` whose backward is checked against the contract on every call.

    Only the Function under test gets it, so the engine's hot path stays as it is. Made once
    per class (check_function calls gradcheck per example); `fn.backward` is looked up at
    each call, so a backward patched later is still the one checked.
    """
    name = fn.__name__

    def strict_backward(ctx: Context, *douts: Any) -> Any:
        # the copies also catch a write made after re-enabling the view's writeable flag
        before = [np.array(d, copy=True) for d in douts]
        try:
            result = fn.backward(ctx, *[_read_only(d) for d in douts])
        except ValueError as e:
            if "read-only" not in str(e):
                raise
            raise _StrictError(f"{name}: backward modified dout in place (gradcheck hands it "
                               f"read-only douts; they may be shared): ValueError: {e}") from e
        for k, (d, b) in enumerate(zip(douts, before, strict=True)):
            if not np.array_equal(d, b, equal_nan=True):
                raise _StrictError(f"{name}: backward modified dout #{k} in place")
        grads = result if type(result) is tuple else (result,)
        for i, (g, t, need) in enumerate(zip(grads, ctx.inputs, ctx.needs_input_grad,
                                             strict=False)):
            if g is None or t is None or not need:
                continue
            shape = np.shape(g)
            dtype = g.dtype if hasattr(g, "dtype") else np.asarray(g).dtype
            if shape != t.shape or dtype != t.dtype:
                raise _StrictError(
                    f"{engine_where(ctx, i)}: backward returned a gradient of shape {shape} "
                    f"dtype {dtype} for an input of shape {t.shape} dtype {t.dtype}; a backward "
                    "must return exactly its input's shape and dtype (reduce broadcast axes with "
                    "validate.unbroadcast), even though the engine would fix it silently")
        return result

    return type(name, (fn,), {"backward": staticmethod(strict_backward), "__doc__": fn.__doc__,
                              "__module__": fn.__module__, "__qualname__": fn.__qualname__})


class _Dot(Function):
    """sum_k <outs[k], us[k]> for the chosen outputs: the scalar gradcheck backpropagates."""

    @staticmethod
    def forward(ctx: Context, *outs: np.ndarray, us: tuple = ()) -> np.ndarray:
        ctx.us = us
        return np.asarray(sum(float((o.astype(np.float64) * u).sum())
                              for o, u in zip(outs, us, strict=True)))

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        return tuple(u * dout for u in ctx.us)


def _describe(fn: Any) -> tuple[Callable, str, list[str]]:
    """(callable, display name, forward parameter names) of a Function class or a callable."""
    if isinstance(fn, type) and issubclass(fn, Function):
        call, name, target, skip = fn.apply, fn.__name__, fn.forward, 1
    else:
        call, name, target, skip = fn, getattr(fn, "__name__", type(fn).__name__), fn, 0
    params: list[str] = []
    try:
        for p in list(inspect.signature(target).parameters.values())[skip:]:
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                params.append(p.name)
            elif p.kind is p.VAR_POSITIONAL:
                params.append("*" + p.name)
                break
    except (TypeError, ValueError):
        pass
    return call, name, params


def _label(params: list[str], i: int) -> str:
    """"input 'x' (#0)" from the forward parameter names."""
    if i < len(params) and not params[i].startswith("*"):
        return f"'{params[i]}' (#{i})"
    if params and params[-1].startswith("*") and i >= len(params) - 1:
        return f"'{params[-1][1:]}[{i - len(params) + 1}]' (#{i})"
    return f"#{i}"


def _float_outputs(out: Any) -> list[Tensor]:
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [o for o in outs if isinstance(o, Tensor) and o.data.dtype.kind == "f"]


class _Check:
    """One gradcheck run: the inputs, the function and the failures found so far."""

    def __init__(self, fn: Any, inputs: Sequence[Any], requires_grad: Sequence[bool] | None,
                 kwargs: dict, seed: int, eps: float, atol: float, rtol: float,
                 order: int) -> None:
        self.call, self.name, self.params = _describe(fn)
        self.strict = isinstance(fn, type) and issubclass(fn, Function)
        if self.strict:
            self.call = _strict(fn).apply
        self.originals = [x.data if isinstance(x, Tensor) else x for x in inputs]
        self.kwargs, self.eps, self.atol, self.rtol = kwargs, eps, atol, rtol
        self.order = order
        self.rng = np.random.default_rng(seed)
        self.values: list[Any] = []
        self.diff: list[int] = []
        self.converted: list[int] = []
        if requires_grad is not None and len(requires_grad) != len(inputs):
            raise ValueError(f"gradcheck: requires_grad has {len(requires_grad)} entries for "
                             f"{len(inputs)} inputs")
        for i, x in enumerate(inputs):
            x = x.data if isinstance(x, Tensor) else x
            floating = isinstance(x, np.ndarray) and x.dtype.kind == "f"
            want = floating if requires_grad is None else bool(requires_grad[i])
            if want and not floating:
                raise ValueError(f"gradcheck: {self.name} input {self.label(i)} is marked "
                                 "requires_grad but is not a float array")
            if want:
                if x.dtype != np.float64:
                    self.converted.append(i)
                x = np.array(x, dtype=np.float64)  # private contiguous copy, perturbed in place
                self.diff.append(i)
            self.values.append(x)
        if not self.diff:
            raise ValueError(f"gradcheck: {self.name} has no float input to differentiate")
        self.failures: list[str] = []

    def label(self, i: int) -> str:
        return _label(self.params, i)

    def fail(self, msg: str) -> None:
        self.failures.append(f"gradcheck: {self.name} {msg}")

    def outputs(self) -> list[np.ndarray]:
        """The float outputs at the current input values (no graph)."""
        with no_grad():
            out = self.call(*[Tensor(v) if i in self.diff else v
                              for i, v in enumerate(self.values)], **self.kwargs)
        return [o.data.astype(np.float64) for o in _float_outputs(out)]

    def backward(self, us: list, skip: int | None = None) -> list[np.ndarray] | None:
        """Analytic VJP with upstream grads `us` (output `skip` left unused); None on failure."""
        ts = [Tensor(v, requires_grad=True) if i in self.diff else v
              for i, v in enumerate(self.values)]
        outs = _float_outputs(self.call(*ts, **self.kwargs))
        keep = [k for k in range(len(outs)) if k != skip]
        try:
            _Dot.apply(*[outs[k] for k in keep], us=tuple(us[k] for k in keep)).backward()
        except GradientError as e:
            self.fail(f"backward broke an invariant: {e}")
            return None
        grads = []
        for i in self.diff:
            t = ts[i]
            if t.grad is None:
                grads.append(np.zeros_like(t.data))
                continue
            if t.grad.shape != t.data.shape or t.grad.dtype != t.data.dtype:
                self.fail(f"input {self.label(i)}: grad has shape {t.grad.shape} dtype "
                          f"{t.grad.dtype}, expected the input's {t.data.shape} {t.data.dtype}")
                return None
            grads.append(t.grad.copy())
        return grads

    def native_backward(self, us: list) -> None:
        """One strict backward with float32 inputs in their own dtype (a float64 grad shows)."""
        ts = [Tensor(self.originals[i] if i in self.converted else v, requires_grad=True)
              if i in self.diff else v for i, v in enumerate(self.values)]
        try:
            outs = _float_outputs(self.call(*ts, **self.kwargs))
        except (MinigradError, TypeError, ValueError):
            return  # forward does not take these dtypes: nothing more to check here
        try:
            _Dot.apply(*outs, us=tuple(us)).backward()
        except GradientError as e:
            self.fail(f"backward broke an invariant with the inputs' own dtypes: {e}")

    def compare(self, i: int, analytic: np.ndarray, numeric: np.ndarray, what: str,
                report: GradcheckReport, where: Callable[[int], str]) -> None:
        """Record the relative error of input `i` and a failure if it is outside atol/rtol."""
        diff = np.abs(analytic - numeric)
        rel = diff / np.maximum(np.abs(analytic) + np.abs(numeric), TINY)
        key = self.label(i)
        if rel.size:
            report.rel_errors[key] = max(report.rel_errors.get(key, 0.0), float(rel.max()))
            report.abs_errors[key] = max(report.abs_errors.get(key, 0.0), float(diff.max()))
        bad = diff - (self.atol + self.rtol * np.abs(numeric))
        if bad.size and bad.max() > 0:
            j = int(np.argmax(bad))
            self.fail(f"input {self.label(i)}{what}: {where(j)} analytic {analytic.flat[j]:.10g}"
                      f" vs numerical {numeric.flat[j]:.10g}, rel error {rel.flat[j]:.3g} "
                      f"(atol {self.atol:g}, rtol {self.rtol:g})")


_STENCILS = {2: ((1.0, 1.0),), 4: ((1.0, 8.0), (2.0, -1.0))}  # (offset in eps, weight) pairs
_DIVISORS = {2: 2.0, 4: 12.0}  # sum of weight (f(x + off eps) - f(x - off eps)) / (this eps)


def _derivative(chk: _Check, x: np.ndarray, step: Any, us: list) -> np.ndarray:
    """(K,) numerical d<u_k, out_k>/dt of x + t·step at t = 0 (central differences, in place)."""
    old = np.array(x, copy=True)
    acc = [np.zeros(u.shape) for u in us]
    for offset, weight in _STENCILS[chk.order]:
        x[...] = old + (offset * chk.eps) * step
        plus = chk.outputs()
        x[...] = old - (offset * chk.eps) * step
        for k, (p, m) in enumerate(zip(plus, chk.outputs(), strict=True)):
            acc[k] += weight * (p - m)  # an output that did not move contributes exactly 0
    x[...] = old
    dots = np.array([(a * u).sum() for a, u in zip(acc, us, strict=True)])
    return dots / (_DIVISORS[chk.order] * chk.eps)


def _numeric_full(chk: _Check, us: list) -> dict[int, np.ndarray]:
    """Per input: (K, *shape) numerical VJP of each output k with its upstream grad us[k]."""
    result = {}
    for i in chk.diff:
        x = chk.values[i]
        num = np.zeros((len(us), x.size))
        flat = x.reshape(-1)  # a view: values are private contiguous copies
        for j in range(x.size):
            num[:, j] = _derivative(chk, flat[j:j + 1], 1.0, us)
        result[i] = num.reshape((len(us),) + x.shape)
    return result


def gradcheck(fn: Any, inputs: Sequence[Any], *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, fast: bool | None = None, kwargs: dict | None = None,
              seed: int = 0, raise_exception: bool = True,
              requires_grad: Sequence[bool] | None = None, order: int = 2) -> GradcheckReport:
    """Check `fn`'s backward against central differences in float64; returns a report.

    `fn` is a Function class (called through `fn.apply`) or any callable taking Tensors and
    returning a Tensor or a tuple of Tensors. Float arrays in `inputs` become float64 Tensors
    requiring grad (float32 ones are converted, listed in `report.converted`); int/bool arrays
    and non-arrays are passed as constants; `requires_grad` (one bool per input) overrides.
    `fast=None` picks random directions when the inputs have more than FAST_THRESHOLD float
    elements. `order=4` uses the five-point stencil (error O(eps^4): with eps ~ 1e-3 the
    absolute error is ~1e-13, far below order 2's rounding floor of ~1e-10 at eps = 1e-6).
    A failure raises GradcheckError naming the Function, input and worst element.
    """
    if order not in _STENCILS:
        raise ValueError(f"gradcheck: order must be 2 or 4, got {order!r}")
    chk = _Check(fn, inputs, requires_grad, dict(kwargs or {}), seed, eps, atol, rtol, order)
    n_elem = sum(chk.values[i].size for i in chk.diff)
    fast = n_elem > FAST_THRESHOLD if fast is None else fast
    report = GradcheckReport(chk.name, "fast" if fast else "full", converted=chk.converted)
    outs0 = chk.outputs()
    if not outs0:
        raise ValueError(f"gradcheck: {chk.name} returned no float output")
    us = [chk.rng.standard_normal(o.shape) for o in outs0]
    combos: list[int | None] = [None] + (list(range(len(us))) if len(us) > 1 else [])
    analytic = {}
    for skip in combos:
        g = chk.backward(us, skip)
        if g is None:
            break
        analytic[skip] = g
    if None in analytic:
        again = chk.backward(us)
        if again is not None:
            for i, a, b in zip(chk.diff, analytic[None], again, strict=True):
                if not np.array_equal(a, b):
                    chk.fail(f"input {chk.label(i)}: two backwards on fresh graphs differ "
                             f"(max |diff| {np.abs(a - b).max():.3g})")
        if chk.strict and chk.converted:
            chk.native_backward(us)
    if len(analytic) == len(combos):
        if fast:
            _check_fast(chk, us, analytic, report)
        else:
            _check_full(chk, us, analytic, report)
    report.failures = chk.failures
    if chk.failures and raise_exception:
        raise GradcheckError("\n".join(chk.failures))
    return report


def _unused(skip: int | None, n_out: int) -> str:
    return "" if skip is None else f" (output #{skip} unused, {n_out} outputs)"


def _index(j: int, shape: tuple) -> tuple:
    """The multi-index of flat element `j` as plain ints."""
    return tuple(int(k) for k in np.unravel_index(j, shape)) if shape else ()


def _kept(num: np.ndarray, skip: int | None) -> np.ndarray:
    """Sum of the per-output numerics num (K, ...) over the outputs other than `skip`."""
    return num.sum(axis=0) if skip is None else np.delete(num, skip, axis=0).sum(axis=0)


def _check_full(chk: _Check, us: list, analytic: dict, report: GradcheckReport) -> None:
    numeric = _numeric_full(chk, us)
    for skip, grads in analytic.items():
        for i, a in zip(chk.diff, grads, strict=True):
            num = _kept(numeric[i], skip)
            shape = a.shape
            chk.compare(i, a, num, _unused(skip, len(us)), report,
                        lambda j, s=shape: f"element {_index(j, s)}")


def _check_fast(chk: _Check, us: list, analytic: dict, report: GradcheckReport) -> None:
    for i_pos, i in enumerate(chk.diff):
        vs = [chk.rng.standard_normal(chk.values[i].shape) for _ in range(N_DIRECTIONS)]
        num = np.array([_derivative(chk, chk.values[i], v, us) for v in vs])  # (n_dir, K)
        for skip, grads in analytic.items():
            a = np.array([(grads[i_pos] * v).sum() for v in vs])
            n = _kept(num.T, skip)
            chk.compare(i, a, n, _unused(skip, len(us)), report,
                        lambda j: f"random direction #{j}: u·J·v")
