"""Joining, splitting and rearranging: split, chunk, pad, flip, roll, tile, repeat."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from minigrad.errors import (
    DTypeError,
    RangeError,
    ShapeError,
    ShapeRuntimeError,
    UnsupportedError,
)
from minigrad.function import Context, Function
from minigrad.functional.padding import _PAD_MODES, _pad_source, torch_pad_limits
from minigrad.functional.shape import (
    GetItem,
    _array,
    _shape_of,
    _sizes,
    axes_tuple,
    axis_index,
    concat,
    reshape,
)
from minigrad.functional.validate import alias
from minigrad.tensor import Tensor


def _ints(fn: str, name: str, values: Any) -> tuple:
    """A sequence of Python ints, or a DTypeError naming `name`."""
    arr = np.asarray(values.data if isinstance(values, Tensor) else values)
    if arr.dtype.kind not in "iu" and not (arr.size == 0 and arr.dtype.kind == "f"):
        raise DTypeError(f"{fn}: {name} must be ints, got {values!r}")
    return tuple(int(v) for v in arr.reshape(-1))


class Split(Function):
    """x cut along `axis` into pieces: an int gives pieces of that size (the last may be
    smaller), a list gives the sizes (torch.split); returns a tuple of views."""

    @staticmethod
    def forward(ctx: Context, x: Any, split_size_or_sections: Any = 1, axis: int = 0) -> tuple:
        x = _array("Split", x)
        ax = axis_index("Split", axis, x.shape)
        n, s = x.shape[ax], split_size_or_sections
        if isinstance(s, (int, np.integer)) and not isinstance(s, bool):
            if s < 1 and not (s == 0 and n == 0):
                raise RangeError(f"Split: split size must be positive, got {s} for x of shape "
                                 f"{x.shape}")
            sizes = [s] * (n // s) + ([n % s] if n % s else []) if n else [0]
        else:
            sizes = list(_ints("Split", "sections", s))
            if any(k < 0 for k in sizes) or sum(sizes) != n:
                raise ShapeError(f"Split: sections {sizes} must be non-negative and sum to "
                                 f"x.shape[{ax}] = {n}, got x of shape {x.shape}")
        ctx.axis = ax
        return tuple(np.split(x, np.cumsum(sizes)[:-1], axis=ax))

    @staticmethod
    def backward(ctx: Context, *douts: np.ndarray) -> np.ndarray:
        return np.concatenate(douts, axis=ctx.axis)


class Pad(Function):
    """x padded as torch F.pad: `pad` = (left, right) pairs from the LAST dim backwards
    (negative values crop); mode constant (with `value`), reflect, replicate, circular (numpy's
    edge, wrap, symmetric too; any width, as numpy). A copied mode maps every output position,
    cropped ones included, into the whole input as torch does. Copies' gradients accumulate."""

    @staticmethod
    def forward(ctx: Context, x: Any, pad: Any = (), mode: str = "constant",
                value: float = 0.0) -> np.ndarray:
        x = _array("Pad", x)
        pad = _ints("Pad", "pad", pad)
        if len(pad) % 2 or len(pad) // 2 > x.ndim:
            raise ShapeError(f"Pad: pad must hold (before, after) pairs for at most x.ndim = "
                             f"{x.ndim} dims, got {pad} for x of shape {x.shape}")
        if mode not in _PAD_MODES:
            raise UnsupportedError(f"Pad: mode must be one of {sorted(_PAD_MODES)}, got "
                                   f"{mode!r}")
        given, mode = mode, _PAD_MODES[mode]
        if not isinstance(value, (int, float, np.number)) or isinstance(value, bool):
            raise DTypeError(f"Pad: value must be a number, got {value!r}")
        widths = [(0, 0)] * x.ndim
        for k in range(len(pad) // 2):
            widths[x.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
        if min((n + b + a for (b, a), n in zip(widths, x.shape, strict=True)), default=0) < 0:
            raise ShapeError(f"Pad: negative pad {pad} crops more than x of shape {x.shape} has")
        ctx.shape, ctx.mode, ctx.dtype = x.shape, mode, x.dtype
        if mode == "constant":
            crop = tuple(slice(max(-b, 0), n - max(-a, 0)) for (b, a), n in zip(widths, x.shape,
                                                                                 strict=True))
            xc = x[crop]
            pw = [(max(b, 0), max(a, 0)) for b, a in widths]
            ctx.crop = crop
            ctx.inner = tuple(slice(b, b + n) for (b, _), n in zip(pw, xc.shape, strict=True))
            out = np.full([n + b + a for (b, a), n in zip(pw, xc.shape, strict=True)], value,
                          dtype=x.dtype)
            out[ctx.inner] = xc
            return out
        ctx.maps = []
        out = x
        for d, ((b, a), n) in enumerate(zip(widths, x.shape, strict=True)):
            if b or a:
                if n == 0 and n + b + a > 0:
                    raise ShapeError(f"Pad: mode {given!r} cannot pad the empty dim {d} of x "
                                     f"(shape {x.shape})")
                ctx.maps.append((d, n, b, a, _pad_source(mode, n, b, a)))
                out = np.take(out, ctx.maps[-1][4], axis=d)
        return out

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        if ctx.mode == "constant":
            g = dout[ctx.inner]
            if g.shape == ctx.shape:
                return g
            dx = np.zeros(ctx.shape, dtype=ctx.dtype)
            dx[ctx.crop] = g
            return dx
        g = dout
        for d, n, b, a, src in reversed(ctx.maps):
            gm = np.moveaxis(g, d, 0)
            if b >= 0 and a >= 0:  # the interior maps to itself; add the copied borders
                acc = gm[b:b + n].copy()
                border = np.r_[0:b, b + n:len(src)]
            else:
                acc = np.zeros((n,) + gm.shape[1:], dtype=dout.dtype)
                border = np.arange(len(src))
            np.add.at(acc, src[border], gm[border])
            g = np.moveaxis(acc, 0, d)
        return g


class Flip(Function):
    """x reversed along `axis` (an int or tuple; None: every axis), a view (torch flip(dims))."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Any = None) -> np.ndarray:
        x = _array("Flip", x)
        ctx.axes = tuple(range(x.ndim)) if axis is None else axes_tuple("Flip", axis, x.shape)
        return np.flip(x, ctx.axes)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        return np.flip(dout, ctx.axes)


class Roll(Function):
    """x rolled by `shifts` along `axis` (ints or tuples); axis None rolls the flattened x."""

    @staticmethod
    def forward(ctx: Context, x: Any, shifts: Any = 0, axis: Any = None) -> np.ndarray:
        x = _array("Roll", x)
        shifts = _ints("Roll", "shifts", shifts)
        if axis is None:
            if len(shifts) != 1:
                raise ShapeRuntimeError(f"Roll: axis=None needs one shift, got shifts {shifts}")
            ctx.shifts, ctx.axes = shifts[0], None
        else:
            axes = axes_tuple("Roll", axis, x.shape)
            if len(shifts) == 1:
                shifts = shifts * len(axes)
            if len(shifts) != len(axes):
                raise ShapeRuntimeError(f"Roll: shifts {shifts} and axis {axis} must have the "
                                        "same length")
            ctx.shifts, ctx.axes = shifts, axes
        return np.roll(x, ctx.shifts, ctx.axes)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        neg = -ctx.shifts if ctx.axes is None else tuple(-s for s in ctx.shifts)
        return np.roll(dout, neg, ctx.axes)


class Tile(Function):
    """x repeated `reps` times along each axis (numpy tile: shorter reps gain leading 1s, longer
    reps give x leading axes); torch Tensor.repeat is this with len(reps) >= x.ndim."""

    @staticmethod
    def forward(ctx: Context, x: Any, reps: Any = ()) -> np.ndarray:
        x = _array("Tile", x)
        reps = _ints("Tile", "reps", reps)
        if any(r < 0 for r in reps):
            raise RangeError(f"Tile: reps must be non-negative, got {reps}")
        d = max(len(reps), x.ndim)
        ctx.padded = (1,) * (d - x.ndim) + x.shape
        ctx.reps = (1,) * (d - len(reps)) + reps
        ctx.shape = x.shape
        return np.tile(x, reps)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        inter = [v for pair in zip(ctx.reps, ctx.padded, strict=True) for v in pair]
        g = dout.reshape(inter).sum(axis=tuple(range(0, len(inter), 2)))
        return g.reshape(ctx.shape)


class RepeatInterleave(Function):
    """Each element of x repeated along `axis` (numpy repeat): `repeats` an int or one count per
    element; axis None repeats the flattened x."""

    @staticmethod
    def forward(ctx: Context, x: Any, repeats: Any = 1, axis: Any = None) -> np.ndarray:
        x = _array("RepeatInterleave", x)
        ctx.shape = x.shape
        xa = x.reshape(-1) if axis is None else x
        ax = 0 if axis is None else axis_index("RepeatInterleave", axis, x.shape)
        n = xa.shape[ax]
        counts = np.asarray(_ints("RepeatInterleave", "repeats", repeats))
        if np.ndim(repeats) == 0:
            counts = counts.reshape(())
        if counts.ndim and counts.size == 1:
            counts = np.full(n, counts[0])
        if counts.ndim and counts.size != n:
            raise ShapeError(f"RepeatInterleave: repeats must be one int or {n} counts (one per "
                             f"element along the axis), got {counts.size} for x of shape "
                             f"{x.shape}")
        if (counts < 0).any():
            raise RangeError(f"RepeatInterleave: repeats must be non-negative, got {counts}")
        ctx.axis, ctx.n, ctx.counts = ax, n, counts
        return np.repeat(xa, counts, axis=ax)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        ax, n = ctx.axis, ctx.n
        if ctx.counts.ndim == 0:
            shape = dout.shape[:ax] + (n, int(ctx.counts)) + dout.shape[ax + 1:]
            g = dout.reshape(shape).sum(axis=ax + 1)
        else:
            gm = np.moveaxis(dout, ax, 0)
            acc = np.zeros((n,) + gm.shape[1:], dtype=dout.dtype)
            np.add.at(acc, np.repeat(np.arange(n), ctx.counts), gm)
            g = np.moveaxis(acc, 0, ax)
        return g.reshape(ctx.shape)


def _axis_len(fn: str, x: Any, axis: Any) -> tuple[int, int]:
    shape = _shape_of(x)
    ax = axis_index(fn, axis, shape)
    return ax, shape[ax]


def split(x: Any, split_size_or_sections: Any, axis: int | None = None,
          dim: int | None = None) -> tuple:
    """torch.split: pieces of an int size (the last smaller) or of the listed sizes."""
    return Split.apply(x, split_size_or_sections=split_size_or_sections,
                       axis=alias("split", "axis", axis, "dim", dim, 0))


def chunk(x: Any, chunks: int, axis: int | None = None, dim: int | None = None) -> tuple:
    """torch.chunk: at most `chunks` pieces of size ceil(n / chunks)."""
    ax, n = _axis_len("chunk", x, alias("chunk", "axis", axis, "dim", dim, 0))
    if not isinstance(chunks, (int, np.integer)) or chunks < 1:
        raise RangeError(f"chunk: chunks must be a positive int, got {chunks!r}")
    size = math.ceil(n / chunks)
    return Split.apply(x, split_size_or_sections=[0] * chunks if n == 0 else size, axis=ax)


def _split_at(fn: str, x: Any, ax: int, n: int, indices: Any) -> list:
    """Pieces x[i_k:i_k+1] along `ax` for split points `indices` (numpy slice rules)."""
    bounds = [0, *_ints(fn, "indices", indices), n]
    ranges = [slice(a, b).indices(n)[:2] for a, b in zip(bounds, bounds[1:], strict=False)]
    sizes = [max(b - a, 0) for a, b in ranges]
    if all(a == sum(sizes[:k]) or not sizes[k] for k, (a, _) in enumerate(ranges)) \
            and sum(sizes) == n:
        return list(Split.apply(x, split_size_or_sections=sizes, axis=ax))
    lead = (slice(None),) * ax
    return [GetItem.apply(x, index=(*lead, slice(a, b))) for a, b in ranges]


def np_split(x: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """numpy split: an int number of equal sections, or a list of split points; a list."""
    ax, n = _axis_len("np_split", x, axis)
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k < 1 or n % k:
            raise ShapeError(f"np_split: {k} sections do not divide x.shape[{ax}] = {n} "
                             "equally (use array_split)")
        return list(Split.apply(x, split_size_or_sections=[n // k] * k, axis=ax))
    return _split_at("np_split", x, ax, n, indices_or_sections)


def array_split(x: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """numpy array_split: like np_split, but an int need not divide (first pieces one longer)."""
    ax, n = _axis_len("array_split", x, axis)
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k < 1:
            raise RangeError(f"array_split: the number of sections must be positive, got {k}")
        sizes = [n // k + 1] * (n % k) + [n // k] * (k - n % k)
        return list(Split.apply(x, split_size_or_sections=sizes, axis=ax))
    return _split_at("array_split", x, ax, n, indices_or_sections)


def pad(x: Any, pad: Any, mode: str = "constant", value: float | None = None) -> Any:
    """torch F.pad: (left, right) pairs from the last dim; constant/reflect/replicate/circular,
    with torch's limits: reflect pads < the side, circular ones <= it and not negative."""
    pad = _ints("pad", "pad", pad)
    torch_pad_limits(pad, mode, tuple(_shape_of(x)))
    return Pad.apply(x, pad=pad, mode=mode, value=0.0 if value is None else value)


def np_pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: float = 0) -> Any:
    """numpy pad: pad_width per axis (int, (b, a) or one pair per axis); modes constant, edge,
    reflect, wrap, symmetric."""
    shape = _shape_of(x)
    if mode not in ("constant", "edge", "reflect", "wrap", "symmetric"):
        raise RangeError(f"np_pad: mode must be constant, edge, reflect, wrap or symmetric, "
                         f"got {mode!r}")
    try:
        widths = np.broadcast_to(np.asarray(pad_width), (len(shape), 2))
    except ValueError:
        raise ShapeError(f"np_pad: pad_width {pad_width!r} does not fit x of shape "
                         f"{tuple(shape)}") from None
    if widths.dtype.kind not in "iu" or (widths < 0).any():
        raise ShapeError(f"np_pad: pad_width must be non-negative ints, got {pad_width!r}")
    flat = tuple(int(v) for b, a in widths[::-1] for v in (b, a))
    return Pad.apply(x, pad=flat, mode=mode, value=constant_values)


def flip(x: Any, axis: Any = None, dims: Any = None) -> Any:
    """x reversed along `axis`/`dims` (all axes if None)."""
    return Flip.apply(x, axis=alias("flip", "axis", axis, "dims", dims))


def roll(x: Any, shifts: Any, axis: Any = None, dims: Any = None) -> Any:
    """x rolled by `shifts` along `axis`/`dims` (flattened if None); one shift rolls every
    axis given (numpy), except with torch's dims=, where shifts and dims pair up."""
    if dims is not None and axis is None and np.size(shifts) != np.size(dims):
        raise ShapeRuntimeError(f"roll: shifts {shifts} and dims {dims} must have the same "
                                "length")
    return Roll.apply(x, shifts=shifts, axis=alias("roll", "axis", axis, "dims", dims))


def tile(x: Any, *reps: Any) -> Any:
    """numpy tile / torch tile: tile(x, (2, 3)) or tile(x, 2, 3)."""
    return Tile.apply(x, reps=_sizes(reps))


def repeat(x: Any, *sizes: Any) -> Any:
    """torch Tensor.repeat: tile with len(sizes) >= x.ndim (new dims lead)."""
    sizes, shape = _sizes(sizes), _shape_of(x)
    if len(sizes) < len(shape):
        raise ShapeError(f"repeat: sizes {sizes} must have at least x.ndim = {len(shape)} "
                         f"entries for x of shape {tuple(shape)} (use tile to prepend 1s)")
    return Tile.apply(x, reps=sizes)


def repeat_interleave(x: Any, repeats: Any, axis: Any = None, dim: Any = None) -> Any:
    """Repeat each element (numpy repeat; torch repeat_interleave); flattened if axis is None."""
    repeats = repeats.data if isinstance(repeats, Tensor) else repeats
    return RepeatInterleave.apply(x, repeats=repeats,
                                  axis=alias("repeat_interleave", "axis", axis, "dim", dim))


def _at_least(x: Any, n: int) -> Any:
    """x reshaped as numpy's atleast_1d/2d/3d (n = 1, 2, 3) do."""
    shape = tuple(_shape_of(x))
    if len(shape) >= n:
        return x
    if not shape:
        return reshape(x, (1,) * n)
    if n == 2 or len(shape) == 1 and n == 3:
        shape = (1, *shape)
    return reshape(x, shape + (1,) * (n - len(shape)))


def hstack(xs: list) -> Any:
    """numpy hstack: concatenate 1-D inputs along 0, others along 1."""
    xs = [_at_least(x, 1) for x in xs]
    return concat(xs, axis=0 if xs and len(_shape_of(xs[0])) == 1 else 1)


def vstack(xs: list) -> Any:
    """numpy vstack: inputs made at least 2-D, concatenated along 0."""
    return concat([_at_least(x, 2) for x in xs], axis=0)


def dstack(xs: list) -> Any:
    """numpy dstack: inputs made at least 3-D, concatenated along 2."""
    return concat([_at_least(x, 3) for x in xs], axis=2)


def _flip_method(self: Any, *dims: Any, axis: Any = None) -> Any:
    """t.flip(0), t.flip(0, 1), t.flip((0, 1)); no dims flips every axis."""
    return Flip.apply(self, axis=_sizes(dims) if dims else axis)


__all__ = ["Split", "Pad", "Flip", "Roll", "Tile", "RepeatInterleave", "split", "chunk",
           "np_split", "array_split", "pad", "np_pad", "flip", "roll", "tile", "repeat",
           "repeat_interleave", "hstack", "vstack", "dstack"]

TENSOR_METHODS = {
    "split": split, "chunk": chunk, "pad": pad, "flip": _flip_method, "roll": roll,
    "tile": tile, "repeat": repeat, "repeat_interleave": repeat_interleave,
}
