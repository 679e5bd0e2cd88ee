"""Matrix products: MatMul (np.matmul semantics), Affine (CS231n) and TemporalAffine."""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import ShapeError
from minigrad.function import Context, Function
from minigrad.functional import validate as v


class MatMul(Function):
    """a @ b with numpy's matmul rules (1-D operands, broadcast batch dimensions)."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> np.ndarray:
        a = np.asarray(v.as_array("MatMul", "a", a))
        b = np.asarray(v.as_array("MatMul", "b", b))
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError(f"MatMul: operands must be at least 1-D, got a {a.shape} and "
                             f"b {b.shape}")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ShapeError(f"MatMul: a.shape[-1] must equal b.shape[{-2 if b.ndim > 1 else 0}], "
                             f"got a {a.shape} and b {b.shape}")
        ctx.save_for_backward(a, b)
        try:
            return np.matmul(a, b)
        except ValueError:
            raise ShapeError(f"MatMul: batch dimensions must broadcast, got a {a.shape} and "
                             f"b {b.shape}") from None

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        a, b = ctx.saved_tensors
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        d2 = dout
        if b.ndim == 1:  # first, so that a 0-d dout of vector @ vector becomes (1, 1)
            d2 = np.expand_dims(d2, -1)
        if a.ndim == 1:
            d2 = np.expand_dims(d2, -2)
        da = db = None
        if ctx.needs_input_grad[0]:
            da = np.matmul(d2, np.swapaxes(b2, -1, -2))
            if a.ndim == 1:
                da = da[..., 0, :]
        if ctx.needs_input_grad[1]:
            db = np.matmul(np.swapaxes(a2, -1, -2), d2)
            if b.ndim == 1:
                db = db[..., 0]
        return da, db


class Affine(Function):
    """x.reshape(N, D) @ w + b: x (N, d1..dk), w (D, M), b (M,) -> (N, M), as CS231n affine."""

    @staticmethod
    def forward(ctx: Context, x: Any, w: Any, b: Any) -> np.ndarray:
        x, w, b = (v.floating("Affine", n, a) for n, a in (("x", x), ("w", w), ("b", b)))
        if x.ndim < 2:
            raise ShapeError(f"Affine: x must be at least 2-D (N, d1, ...), got shape {x.shape}")
        v.ndim("Affine", "w", w, 2, "(D, M)")
        v.ndim("Affine", "b", b, 1, "(M,)")
        x2 = x.reshape(x.shape[0], -1)  # (N, D)
        v.same_dim("Affine", "x.reshape(N, -1)", x2, 1, "w", w, 0)
        v.same_dim("Affine", "b", b, 0, "w", w, 1)
        v.same_dtype("Affine", ("x", "w", "b"), x, w, b)
        ctx.save_for_backward(x2, w)
        ctx.x_shape = x.shape
        return x2 @ w + b  # (N, M)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        x2, w = ctx.saved_tensors
        dx = (dout @ w.T).reshape(ctx.x_shape) if ctx.needs_input_grad[0] else None
        dw = x2.T @ dout if ctx.needs_input_grad[1] else None
        db = dout.sum(axis=0) if ctx.needs_input_grad[2] else None
        return dx, dw, db


class TemporalAffine(Function):
    """x @ w + b at every time step: x (N, T, D), w (D, M), b (M,) -> (N, T, M)."""

    @staticmethod
    def forward(ctx: Context, x: Any, w: Any, b: Any) -> np.ndarray:
        x, w, b = (v.floating("TemporalAffine", n, a) for n, a in (("x", x), ("w", w), ("b", b)))
        v.ndim("TemporalAffine", "x", x, 3, "(N, T, D)")
        v.ndim("TemporalAffine", "w", w, 2, "(D, M)")
        v.ndim("TemporalAffine", "b", b, 1, "(M,)")
        v.same_dim("TemporalAffine", "x", x, -1, "w", w, 0)
        v.same_dim("TemporalAffine", "b", b, 0, "w", w, 1)
        v.same_dtype("TemporalAffine", ("x", "w", "b"), x, w, b)
        N, T, D = x.shape
        ctx.time_major = is_time_major(x)
        x2 = x.transpose(1, 0, 2).reshape(T * N, D) if ctx.time_major else x.reshape(N * T, D)
        ctx.save_for_backward(x2, w)
        ctx.x_shape = x.shape
        out = x2 @ w  # (N*T, M) or (T*N, M)
        out += b
        if ctx.time_major:
            return out.reshape(T, N, -1).transpose(1, 0, 2)  # (N, T, M) view, time-major
        return out.reshape(N, T, -1)  # (N, T, M)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        x2, w = ctx.saved_tensors
        N, T, D = ctx.x_shape
        if ctx.time_major:
            d2 = dout.transpose(1, 0, 2).reshape(T * N, -1)  # (T*N, M)
        else:
            d2 = dout.reshape(N * T, -1)  # (N*T, M)
        dx = None
        if ctx.needs_input_grad[0]:
            dx = d2 @ w.T
            dx = dx.reshape(T, N, D).transpose(1, 0, 2) if ctx.time_major else dx.reshape(N, T, D)
        dw = x2.T @ d2 if ctx.needs_input_grad[1] else None
        db = d2.sum(axis=0) if ctx.needs_input_grad[2] else None
        return dx, dw, db


def is_time_major(x: np.ndarray) -> bool:
    """Whether a (N, T, ...) array is a view of time-major (T, N, ...) contiguous memory."""
    return not x.flags.c_contiguous and x.swapaxes(0, 1).flags.c_contiguous


def matmul(a: Any, b: Any) -> Any:
    """a @ b."""
    return MatMul.apply(a, b)


def affine(x: Any, w: Any, b: Any) -> Any:
    """(N, d1..dk), (D, M), (M,) -> (N, M)."""
    return Affine.apply(x, w, b)


def temporal_affine(x: Any, w: Any, b: Any) -> Any:
    """(N, T, D), (D, M), (M,) -> (N, T, M)."""
    return TemporalAffine.apply(x, w, b)


__all__ = ["MatMul", "Affine", "TemporalAffine", "matmul", "affine", "temporal_affine"]

TENSOR_METHODS = {
    "__matmul__": lambda self, o: MatMul.apply(self, o),
    "__rmatmul__": lambda self, o: MatMul.apply(o, self),
}
