"""Classification losses: softmax cross-entropy (torch's cross_entropy, the captioning
MaskedSoftmaxCE, the plain SoftmaxCE) and NLL with torch's reductions; the reduction helpers here
are shared with the elementwise losses (loss_pointwise.py).

Class scores are (N, C) or (N, C, d1, ...) as torch (classes on axis 1), or on any `axis`
(axis=-1 for (N, T, V) scores); targets are class indices of the other axes' shape.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import DTypeError, RangeError, ShapeError, ShapeRuntimeError
from minigrad.function import Context, Function
from minigrad.functional import validate as v
from minigrad.functional.workspace import work_array
from minigrad.tensor import Tensor


def log_softmax_array(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """log softmax shifted by the max, so huge scores do not overflow; keeps x's dtype."""
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


class MaskedSoftmaxCE(Function):
    """Softmax cross-entropy summed over unmasked tokens: x (N, T, V), y (N, T) int,
    mask (N, T) bool -> scalar.

    normalize='batch' divides by N (CS231n); 'tokens' divides by the number of unmasked
    tokens (torch ignore_index style). A batch with no unmasked token gives 0 and zero grads.
    """

    @staticmethod
    def forward(ctx: Context, x: Any, y: Any, mask: Any, normalize: str = "batch") -> np.ndarray:
        fn = "MaskedSoftmaxCE"
        x = v.floating(fn, "x", x)
        v.ndim(fn, "x", x, 3, "(N, T, V)")
        v.nonempty(fn, "x", x)
        y = v.integer(fn, "y", y, high=x.shape[2])
        mask = v.boolean(fn, "mask", mask)
        v.shape(fn, "y", y, x.shape[:2], "(N, T)")
        v.shape(fn, "mask", mask, x.shape[:2], "(N, T)")
        if normalize not in ("batch", "tokens"):
            raise RangeError(f"{fn}: normalize must be 'batch' or 'tokens', got {normalize!r}")
        N, T, V = x.shape
        probs = x - x.max(axis=2, keepdims=True)  # (N, T, V) shifted scores, then probabilities
        picked = np.take_along_axis(probs, y[:, :, None], axis=2)[:, :, 0]  # (N, T)
        np.exp(probs, out=probs)
        total = probs.sum(axis=2, keepdims=True)  # (N, T, 1)
        probs /= total
        logp = picked - np.log(total[:, :, 0])  # log-probability of each target, (N, T)
        denom = N if normalize == "batch" else max(int(mask.sum()), 1)
        loss = -(logp * mask).sum() / denom
        ctx.save_for_backward(probs, y, mask)
        ctx.denom = denom
        return np.asarray(loss, dtype=x.dtype)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        probs, y, mask = ctx.saved_tensors
        dx = probs if ctx.saved_consumable else probs.copy()  # (N, T, V)
        np.put_along_axis(dx, y[:, :, None], np.take_along_axis(dx, y[:, :, None], axis=2) - 1,
                          axis=2)
        dx *= (mask * (dout / ctx.denom))[:, :, None].astype(dx.dtype)
        return dx, None, None


class MaskedAffineSoftmaxCE(Function):
    """masked_softmax_ce(temporal_affine(x, w, b), y, mask) with scores made only for the
    unmasked tokens: x (N, T, D), w (D, V), b (V,), y (N, T) int, mask (N, T) bool -> scalar.

    Masked positions change neither the loss nor any gradient (their dx rows are 0), so
    skipping their (V,) scores gives the same values with less work and memory.
    """

    @staticmethod
    def forward(ctx: Context, x: Any, w: Any, b: Any, y: Any, mask: Any,
                normalize: str = "batch") -> np.ndarray:
        fn = "MaskedAffineSoftmaxCE"
        x, w, b = (v.floating(fn, n, a) for n, a in (("x", x), ("w", w), ("b", b)))
        v.ndim(fn, "x", x, 3, "(N, T, D)")
        v.ndim(fn, "w", w, 2, "(D, V)")
        v.ndim(fn, "b", b, 1, "(V,)")
        v.nonempty(fn, "x", x)
        v.nonempty(fn, "w", w)
        v.same_dim(fn, "x", x, -1, "w", w, 0)
        v.same_dim(fn, "b", b, 0, "w", w, 1)
        v.same_dtype(fn, ("x", "w", "b"), x, w, b)
        y = v.integer(fn, "y", y, high=w.shape[1])
        mask = v.boolean(fn, "mask", mask)
        v.shape(fn, "y", y, x.shape[:2], "(N, T)")
        v.shape(fn, "mask", mask, x.shape[:2], "(N, T)")
        if normalize not in ("batch", "tokens"):
            raise RangeError(f"{fn}: normalize must be 'batch' or 'tokens', got {normalize!r}")
        N, T, D = x.shape
        sel = None if mask.all() else np.flatnonzero(mask.T)  # rows taken in time order
        xt = x.transpose(1, 0, 2)  # (T, N, D), contiguous for time-major x
        if xt.flags.c_contiguous:
            xm = xt.reshape(T * N, D)
        else:  # kept buffers (workspace): fresh big arrays fault their pages in every step;
            xm = work_array("ce.rows", xt.shape, x.dtype)  # dead after forward: dx reuses it
            np.copyto(xm, xt)
            xm = xm.reshape(T * N, D)
        ym = y.T.reshape(-1)  # (T*N,)
        if sel is not None:
            xm = np.take(xm, sel, axis=0, out=work_array("ce.x_sel", (len(sel), D), x.dtype))
            ym = ym[sel]
        probs = np.matmul(xm, w, out=work_array("ce.scores", (len(ym), w.shape[1]), x.dtype))
        probs += b  # (M, V) scores, then probabilities
        probs -= probs.max(axis=1, keepdims=True)
        rows = np.arange(len(ym))
        picked = probs[rows, ym]
        np.exp(probs, out=probs)
        total = probs.sum(axis=1)
        probs /= total[:, None]
        denom = N if normalize == "batch" else max(len(ym), 1)
        loss = -(picked - np.log(total)).sum() / denom
        ctx.save_for_backward(xm, w, probs, ym, sel)
        ctx.denom, ctx.x_shape = denom, x.shape
        return np.asarray(loss, dtype=x.dtype)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        xm, w, probs, ym, sel = ctx.saved_tensors
        ds = probs if ctx.saved_consumable else probs.copy()  # (M, V) d(scores)
        ds[np.arange(len(ym)), ym] -= 1
        ds *= (dout / ctx.denom).astype(ds.dtype)
        need = ctx.needs_input_grad
        dx = None
        dw = xm.T @ ds if need[1] else None
        db = ds.sum(axis=0) if need[2] else None
        if need[0]:
            N, T, D = ctx.x_shape
            if sel is None:  # every token counts
                dx = np.matmul(ds, w.T, out=work_array("ce.rows", (T * N, D), ds.dtype))
            else:  # the selected rows' dx, into xm's buffer (ours) once dw has used it
                dxm = np.matmul(ds, w.T, out=xm if ctx.saved_consumable else None)
                dx = work_array("ce.rows", (T * N, D), ds.dtype)
                dx.fill(0)
                dx[sel] = dxm
            dx = dx.reshape(T, N, D).transpose(1, 0, 2)  # (N, T, D), time-major memory
        return dx, dw, db, None, None


class SoftmaxCE(Function):
    """Mean softmax cross-entropy over a batch: x (N, C) scores, y (N,) int -> scalar."""

    @staticmethod
    def forward(ctx: Context, x: Any, y: Any) -> np.ndarray:
        x = v.floating("SoftmaxCE", "x", x)
        v.ndim("SoftmaxCE", "x", x, 2, "(N, C)")
        v.nonempty("SoftmaxCE", "x", x)
        y = v.integer("SoftmaxCE", "y", y, high=x.shape[1])
        v.shape("SoftmaxCE", "y", y, x.shape[:1], "(N,)")
        logp = log_softmax_array(x, axis=1)  # (N, C)
        ctx.save_for_backward(logp, y)
        return np.asarray(-logp[np.arange(len(y)), y].mean(), dtype=x.dtype)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        logp, y = ctx.saved_tensors
        dx = np.exp(logp)  # (N, C)
        dx[np.arange(len(y)), y] -= 1
        dx *= dout / len(y)
        return dx, None


# ----- torch's classification losses: cross_entropy and nll_loss ------------------------------
def _reduction(fn: str, reduction: Any) -> str:
    if reduction not in ("mean", "sum", "none"):
        raise RangeError(f"{fn}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction


def _const(fn: str, name: str, a: Any, dtype: np.dtype) -> np.ndarray | None:
    """A constant float array (class weights, pos_weight) in the input's dtype, or None."""
    if a is None:
        return None
    a = np.asarray(v.floating(fn, name, np.asarray(a.data if isinstance(a, Tensor) else a)))
    return a.astype(dtype, copy=False)


def _classes(fn: str, input: Any, target: Any, axis: Any, weight: Any, ignore_index: int,
             reduction: str) -> tuple:
    """Validated (scores with classes last, target (classes last if float), weight, axis)."""
    _reduction(fn, reduction)
    x = np.asarray(v.floating(fn, "input", input))
    if x.ndim == 0:
        raise ShapeError(f"{fn}: input must be (C,), (N, C) or (N, C, d1, ...), got shape ()")
    axis = (1 if x.ndim >= 2 else 0) if axis is None else axis
    if not isinstance(axis, (int, np.integer)) or not -x.ndim <= axis < x.ndim:
        raise ShapeError(f"{fn}: axis {axis} is out of range for input of shape {x.shape}")
    axis = int(axis) % x.ndim
    v.nonempty(fn, "input", x)
    xm = np.moveaxis(x, axis, -1)  # (..., C)
    C = xm.shape[-1]
    w = _const(fn, "weight", weight, x.dtype)
    if w is not None:
        v.shape(fn, "weight", w, (C,), "(C,)")
    t = np.asarray(v.as_array(fn, "target", target))
    if t.dtype.kind == "f":
        _target_shape(fn, t, x.shape, "(class probabilities) of input")
        v.same_dtype(fn, ("input", "target"), x, t)
        return xm, np.moveaxis(t, axis, -1), w, axis
    t = v.integer(fn, "target", t)
    _target_shape(fn, t, xm.shape[:-1], "of input without the class axis")
    bad = (t != ignore_index) & ((t < 0) | (t >= C))
    if bad.any():
        raise RangeError(f"{fn}: target values must be in [0, {C}) or ignore_index "
                         f"{ignore_index}, got {t[bad].min()} .. {t[bad].max()} outside")
    return xm, t, w, axis


def _target_shape(fn: str, t: np.ndarray, expected: tuple, letters: str) -> None:
    """Require `t.shape == expected`: a batch-size mismatch is a ShapeError (torch's
    ValueError), any other a ShapeRuntimeError (torch's RuntimeError)."""
    if t.shape == tuple(expected):
        return
    batch = t.ndim and len(expected) and t.ndim == len(expected) and t.shape[0] != expected[0]
    error = ShapeError if batch else ShapeRuntimeError
    raise error(f"{fn}: target must have shape {letters} = {tuple(expected)}, got {t.shape}")


def _pick(t: np.ndarray, ignore_index: int, w: np.ndarray | None, dtype: np.dtype) -> tuple:
    """(safe target ids, kept mask as 0/1 floats, class weight of each target)."""
    keep = (t != ignore_index).astype(dtype)
    tc = np.where(keep != 0, t, 0)
    wy = np.ones(t.shape, dtype) if w is None else w[tc]
    return tc, keep, wy


def _reduce(loss: np.ndarray, reduction: str, denom: float, dtype: np.dtype) -> np.ndarray:
    if reduction == "none":
        return np.asarray(loss, dtype=dtype)
    total = loss.sum()
    if reduction == "mean":
        total = total / denom if denom else total * 0
    return np.asarray(total, dtype=dtype)


def _upstream(ctx: Context, dout: np.ndarray, shape: tuple) -> np.ndarray:
    """The upstream gradient of each element of the unreduced loss (read-only, `shape`)."""
    if ctx.reduction == "mean":
        dout = dout / ctx.denom if ctx.denom else dout * 0
    return np.broadcast_to(np.asarray(dout, dtype=ctx.dtype), shape)


def _store(ctx: Context, dtype: np.dtype, reduction: str, denom: float, **extra: Any) -> None:
    ctx.dtype, ctx.reduction, ctx.denom = dtype, reduction, denom
    ctx.__dict__.update(extra)


class CrossEntropy(Function):
    """torch's cross_entropy: scores input (N, C, d1, ...) (classes on `axis`, default 1) and
    class ids (N, d1, ...) or class probabilities (input's shape) -> scalar, or (N, d1, ...)
    with reduction='none'.

    'mean' divides by the summed class weight of the non-ignored targets (torch); when every
    target is ignored the loss is 0 with zero gradients (torch gives NaN).
    """

    @staticmethod
    def forward(ctx: Context, input: Any, target: Any, *, weight: Any = None,
                ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0,
                axis: Any = None) -> np.ndarray:
        fn = "CrossEntropy"
        xm, t, w, axis = _classes(fn, input, target, axis, weight, ignore_index, reduction)
        w = v.kept(ctx, w)  # backward reads it: a private copy, not the caller's array
        ls, C = label_smoothing, xm.shape[-1]
        if not isinstance(ls, (int, float, np.floating)) or not 0 <= ls <= 1:
            raise RangeError(f"{fn}: label_smoothing must be in [0, 1], got {ls!r}")
        logp = log_softmax_array(xm, axis=-1)  # (..., C)
        wc = 1 if w is None else w
        if t.dtype.kind == "f":
            ts = t * (1 - ls) + ls / C if ls else t
            loss = -(logp * ts * wc).sum(axis=-1)  # (...)
            denom = loss.size
            ctx.save_for_backward(logp, ts)
        else:
            tc, keep, wy = _pick(t, ignore_index, w, xm.dtype)
            loss = -np.take_along_axis(logp, tc[..., None], axis=-1)[..., 0] * (wy * keep)
            if ls:
                loss *= 1 - ls
                loss -= (ls / C) * (logp * wc).sum(axis=-1) * keep
            denom = float((wy * keep).sum())
            ctx.save_for_backward(logp, tc, keep, wy)
        _store(ctx, xm.dtype, reduction, denom, w=w, ls=ls, axis=axis)
        return _reduce(loss, reduction, denom, xm.dtype)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        saved = ctx.saved_tensors
        logp, ls, C = saved[0], ctx.ls, saved[0].shape[-1]
        g = _upstream(ctx, dout, logp.shape[:-1])[..., None]  # (..., 1)
        wc = 1 if ctx.w is None else ctx.w
        dx = np.exp(logp)  # (..., C) probabilities, then the gradient
        if len(saved) == 2:  # class probabilities
            tw = saved[1] * wc
            dx *= tw.sum(axis=-1, keepdims=True)
            dx -= tw
            dx *= g
            dt = -(1 - ls) * wc * logp * g if ctx.needs_input_grad[1] else None
            return (np.moveaxis(dx, -1, ctx.axis),
                    None if dt is None else np.moveaxis(dt, -1, ctx.axis))
        tc, keep, wy = saved[1:]
        gk = g * keep[..., None]
        W = C if ctx.w is None else ctx.w.sum()
        dx *= gk * ((1 - ls) * wy[..., None] + (ls / C) * W)
        idx = tc[..., None]
        np.put_along_axis(dx, idx, np.take_along_axis(dx, idx, axis=-1)
                          - gk * (1 - ls) * wy[..., None], axis=-1)
        if ls:
            dx -= gk * (ls / C) * wc
        return np.moveaxis(dx, -1, ctx.axis), None


class NLLLoss(Function):
    """torch's nll_loss: log-probabilities input (N, C, d1, ...) (classes on `axis`), class ids
    (N, d1, ...) -> scalar, or (N, d1, ...) with reduction='none'; 'mean' as CrossEntropy."""

    @staticmethod
    def forward(ctx: Context, input: Any, target: Any, *, weight: Any = None,
                ignore_index: int = -100, reduction: str = "mean",
                axis: Any = None) -> np.ndarray:
        fn = "NLLLoss"
        xm, t, w, axis = _classes(fn, input, target, axis, weight, ignore_index, reduction)
        if t.dtype.kind == "f":
            raise DTypeError(f"{fn}: target must be an integer array of class ids, got dtype "
                             f"{t.dtype}")
        tc, keep, wy = _pick(t, ignore_index, w, xm.dtype)
        wk = wy * keep
        loss = -np.take_along_axis(xm, tc[..., None], axis=-1)[..., 0] * wk
        denom = float(wk.sum())
        ctx.save_for_backward(tc, wk)
        _store(ctx, xm.dtype, reduction, denom, axis=axis, shape=xm.shape)
        return _reduce(loss, reduction, denom, xm.dtype)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        tc, wk = ctx.saved_tensors
        dx = np.zeros(ctx.shape, dtype=ctx.dtype)  # (..., C)
        g = _upstream(ctx, dout, tc.shape)
        np.put_along_axis(dx, tc[..., None], (-g * wk)[..., None], axis=-1)
        return np.moveaxis(dx, -1, ctx.axis), None


def masked_softmax_ce(x: Any, y: Any, mask: Any, normalize: str = "batch") -> Any:
    """(N, T, V), (N, T) int, (N, T) bool -> scalar loss."""
    return MaskedSoftmaxCE.apply(x, y, mask, normalize=normalize)


def masked_affine_softmax_ce(x: Any, w: Any, b: Any, y: Any, mask: Any,
                             normalize: str = "batch") -> Any:
    """(N, T, D), (D, V), (V,), (N, T) int, (N, T) bool -> scalar; equals
    masked_softmax_ce(temporal_affine(x, w, b), y, mask, normalize) without masked scores."""
    return MaskedAffineSoftmaxCE.apply(x, w, b, y, mask, normalize=normalize)


def softmax_ce(x: Any, y: Any) -> Any:
    """(N, C), (N,) int -> scalar mean loss."""
    return SoftmaxCE.apply(x, y)


def cross_entropy(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0, axis: Any = None,
                  dim: Any = None) -> Any:
    """torch.nn.functional.cross_entropy: scores (N, C, d1, ...) (classes on `axis`/`dim`,
    default 1), ids (N, d1, ...) or probabilities -> loss."""
    axis = v.alias("CrossEntropy", "axis", axis, "dim", dim)
    return CrossEntropy.apply(input, target, weight=weight, ignore_index=ignore_index,
                              reduction=reduction, label_smoothing=label_smoothing, axis=axis)


def nll_loss(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean", axis: Any = None, dim: Any = None) -> Any:
    """torch.nn.functional.nll_loss: log-probabilities (N, C, d1, ...), ids (N, d1, ...)."""
    axis = v.alias("NLLLoss", "axis", axis, "dim", dim)
    return NLLLoss.apply(input, target, weight=weight, ignore_index=ignore_index,
                         reduction=reduction, axis=axis)


__all__ = ["MaskedSoftmaxCE", "MaskedAffineSoftmaxCE", "SoftmaxCE", "masked_softmax_ce",
           "masked_affine_softmax_ce", "softmax_ce",
           "CrossEntropy", "NLLLoss", "cross_entropy", "nll_loss"]

TENSOR_METHODS: dict = {}
