"""Input strategies for the pool family: each entry draws (args, kwargs) for one Function."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import _dims, float_arrays
from minigrad.testing.strategies.conv import _as_pair


def _spatial(draw: Callable, values: tuple, nd: int) -> Any:
    """An int (all equal and a coin says so), or the tuple; a 1-D value is an int."""
    if nd == 1:
        return values[0]
    if nd == 2:
        return _as_pair(draw, *values)
    return values[0] if len(set(values)) == 1 and draw(st.booleans()) else values


@st.composite
def _pool_geometry(draw: Callable, dilation: bool, nd: int = 2) -> tuple:
    """(N, C, *spatial) and the kwargs of one pooling call: kernel, stride (or None), padding
    at most half the kernel, dilation (max pooling), ceil_mode; sides need not tile."""
    hi = 3 if nd < 3 else 2
    k = draw(_dims(nd, 1, hi))
    stride = draw(st.one_of(st.none(), _dims(nd, 1, hi)))
    p = tuple(draw(st.integers(0, ka // 2)) for ka in k)
    d = draw(_dims(nd, 1, 2)) if dilation else (1,) * nd
    # sides >= dilation: no window lies wholly in the padding (torch gives -inf and no gradient)
    sp = tuple(max(da, da * (ka - 1) + 1 - 2 * pa) + draw(st.integers(0, 2 if nd < 3 else 1))
               for ka, pa, da in zip(k, p, d, strict=True))
    kwargs: dict[str, Any] = {
        "kernel_size": _spatial(draw, k, nd),
        "stride": None if stride is None else _spatial(draw, stride, nd),
        "padding": _spatial(draw, p, nd), "ceil_mode": draw(st.booleans())}
    if dilation:
        kwargs["dilation"] = _spatial(draw, d, nd)
    N, C = draw(_dims(2, 1, 2)) if nd < 3 else (1, draw(st.integers(1, 2)))
    return (N, C, *sp), kwargs


@st.composite
def max_pool_inputs(draw: Callable, nd: int = 2) -> tuple:
    """x (N, C, *spatial) with distinct values (no ties), max pooling's kwargs and sometimes
    return_indices=True (the int64 indices are a second, non-differentiable output)."""
    shape, kwargs = draw(_pool_geometry(dilation=True, nd=nd))
    if draw(st.booleans()):
        kwargs["return_indices"] = True
    return (draw(float_arrays(shape, distinct=True)),), kwargs


def max_pool2d_inputs() -> SearchStrategy:
    """x (N, C, H, W) with distinct values (no ties) and max_pool2d's kwargs."""
    return max_pool_inputs(2)


@st.composite
def avg_pool_inputs(draw: Callable, nd: int = 2) -> tuple:
    """x (N, C, *spatial) and average pooling's kwargs (count_include_pad, divisor_override)."""
    shape, kwargs = draw(_pool_geometry(dilation=False, nd=nd))
    kwargs["count_include_pad"] = draw(st.booleans())
    kwargs["divisor_override"] = draw(st.sampled_from([None, None, 3]))
    return (draw(float_arrays(shape)),), kwargs


def avg_pool2d_inputs() -> SearchStrategy:
    """x (N, C, H, W) and avg_pool2d's kwargs (count_include_pad, divisor_override too)."""
    return avg_pool_inputs(2)


@st.composite
def adaptive_avg_pool2d_inputs(draw: Callable) -> tuple:
    """x (N, C, H, W) and output_size (an int, a pair, or a pair with None), smaller or larger
    than the input (overlapping windows)."""
    N, C, H, W = draw(_dims(4, 1, 4))
    Ho, Wo = draw(_dims(2, 1, 5))
    size = draw(st.sampled_from([Ho, (Ho, Wo), (None, Wo), (Ho, None)]))
    return (draw(float_arrays((N, C, H, W))),), {"output_size": size}


@st.composite
def max_unpool2d_inputs(draw: Callable) -> tuple:
    """x (N, C, H, W) and the indices max_pool2d returns for a (N, C, H', W') image pooled
    with stride >= kernel (distinct indices, so every x value lands somewhere); kernel, stride,
    padding and sometimes output_size = (H', W')."""
    from minigrad.functional import max_pool2d

    k = draw(_dims(2, 1, 3))
    s = tuple(ka + draw(st.integers(0, 1)) for ka in k)
    p = tuple(draw(st.integers(0, (ka - 1) // 2)) for ka in k)  # k - 2 p >= 1
    N, C = draw(_dims(2, 1, 2))
    out = draw(_dims(2, 1, 2))
    sp = tuple((o - 1) * sa - 2 * pa + ka  # the default unpooled size
               for o, sa, pa, ka in zip(out, s, p, k, strict=True))
    image = draw(float_arrays((N, C, *sp), distinct=True))
    vals, idx = max_pool2d(image, k, s, p, return_indices=True)
    kwargs: dict[str, Any] = {"kernel_size": k, "stride": s, "padding": p}
    if draw(st.booleans()):
        kwargs["output_size"] = draw(st.sampled_from([sp, (N, C, *sp)]))
    return (draw(float_arrays(vals.shape)), np.asarray(idx.data)), kwargs


INPUTS: dict[str, Callable[[], SearchStrategy]] = {
    "MaxPool1d": lambda: max_pool_inputs(1), "MaxPool2d": max_pool2d_inputs,
    "MaxPool3d": lambda: max_pool_inputs(3), "AvgPool1d": lambda: avg_pool_inputs(1),
    "AvgPool2d": avg_pool2d_inputs, "AvgPool3d": lambda: avg_pool_inputs(3),
    "AdaptiveAvgPool2d": adaptive_avg_pool2d_inputs, "MaxUnpool2d": max_unpool2d_inputs}
