"""Gradient clipping with torch.nn.utils' semantics: clip_grad_norm_ and clip_grad_value_."""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from minigrad.errors import GradientError, RangeError
from minigrad.tensor import Tensor


def _with_grads(where: str, parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    params = list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{where}: parameters[{i}] must be a Tensor, got {type(p).__name__}")
    return [p for p in params if p.grad is not None]


def _scale(p: Tensor, factor: Any) -> None:
    g = p.grad
    if g.flags.writeable:
        np.multiply(g, factor, out=g, casting="unsafe")
    else:
        p.grad = (g * factor).astype(g.dtype, copy=False)


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Scale the grads in place so that their joint `norm_type`-norm is at most `max_norm`;
    returns that norm (before clipping) as a 0-d Tensor in the grads' dtype.

    As torch: the norm of the per-parameter norms ('inf' is the largest |g|); every grad is
    multiplied by min(1, max_norm / (total + 1e-6)); parameters whose grad is None are skipped
    and give 0 when none has one.
    """
    where = "clip_grad_norm_"
    if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float, np.number)):
        raise RangeError(f"{where}: max_norm must be a number, got {max_norm!r:.60}")
    try:
        p_norm, max_norm = float(norm_type), float(max_norm)  # norm_type may be 'inf' (torch)
    except (TypeError, ValueError):
        raise RangeError(f"{where}: norm_type must be a number or 'inf', got "
                         f"{norm_type!r:.60}") from None
    if not (p_norm > 0 or p_norm == math.inf):
        raise RangeError(f"{where}: norm_type must be > 0 or inf, got {norm_type}")
    if not max_norm >= 0:  # a negative max_norm would flip every gradient's sign
        raise RangeError(f"{where}: max_norm must be >= 0, got {max_norm}")
    params = _with_grads(where, parameters)
    if not params:
        return Tensor(np.float32(0.0))
    dtype = np.result_type(*[p.grad.dtype for p in params])
    grads = [np.asarray(p.grad, dtype) for p in params]
    if p_norm == math.inf:
        norms = np.array([np.max(np.abs(g), initial=0) for g in grads], dtype)
        total = norms.max()
    else:
        norms = np.array([np.linalg.norm(g.reshape(-1), p_norm) for g in grads], dtype)
        total = np.linalg.norm(norms, p_norm).astype(dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise GradientError(f"{where}: the total norm of order {norm_type} of the gradients is "
                            f"{total}, so it cannot be clipped; pass error_if_nonfinite=False "
                            "to scale by it anyway")
    coef = min(dtype.type(max_norm) / (total + dtype.type(1e-6)), dtype.type(1.0))
    seen: set[int] = set()
    for p in params:
        if id(p.grad) not in seen:  # one grad array shared by two parameters is scaled once
            seen.add(id(p.grad))
            _scale(p, coef)
    return Tensor(np.asarray(total, dtype))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every grad to [-clip_value, clip_value], in place (grads that are None skipped)."""
    c = float(clip_value)
    if not c >= 0:
        raise RangeError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}")
    for p in _with_grads("clip_grad_value_", parameters):
        g = p.grad
        if g.flags.writeable:
            np.clip(g, -c, c, out=g)
        else:
            p.grad = np.clip(g, -c, c).astype(g.dtype, copy=False)
