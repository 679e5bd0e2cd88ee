"""Input strategies for the pool family: each entry draws (args, kwargs) for one Function."""
from __future__ import annotations

from typing import Any, Callable

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import _dims, float_arrays
from minigrad.testing.strategies.conv import _as_pair


@st.composite
def _pool_geometry(draw: Callable, dilation: bool) -> tuple:
    """(N, C, H, W) and the kwargs of one pooling call: kernel, stride (or None), padding at
    most half the kernel, dilation (max pooling), ceil_mode; H, W need not tile."""
    kh, kw = draw(_dims(2, 1, 3))
    stride = draw(st.one_of(st.none(), _dims(2, 1, 3)))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    dh, dw = draw(_dims(2, 1, 2)) if dilation else (1, 1)
    # H >= dilation: no window lies wholly in the padding (torch gives -inf and no gradient)
    H = max(dh, dh * (kh - 1) + 1 - 2 * ph) + draw(st.integers(0, 2))
    W = max(dw, dw * (kw - 1) + 1 - 2 * pw) + draw(st.integers(0, 2))
    kwargs: dict[str, Any] = {
        "kernel_size": _as_pair(draw, kh, kw),
        "stride": None if stride is None else _as_pair(draw, *stride),
        "padding": _as_pair(draw, ph, pw), "ceil_mode": draw(st.booleans())}
    if dilation:
        kwargs["dilation"] = _as_pair(draw, dh, dw)
    N, C = draw(_dims(2, 1, 2))
    return (N, C, H, W), kwargs


@st.composite
def max_pool2d_inputs(draw: Callable) -> tuple:
    """x (N, C, H, W) with distinct values (no ties) and max_pool2d's kwargs."""
    shape, kwargs = draw(_pool_geometry(dilation=True))
    return (draw(float_arrays(shape, distinct=True)),), kwargs


@st.composite
def avg_pool2d_inputs(draw: Callable) -> tuple:
    """x (N, C, H, W) and avg_pool2d's kwargs (count_include_pad, divisor_override too)."""
    shape, kwargs = draw(_pool_geometry(dilation=False))
    kwargs["count_include_pad"] = draw(st.booleans())
    kwargs["divisor_override"] = draw(st.sampled_from([None, None, 3]))
    return (draw(float_arrays(shape)),), kwargs


@st.composite
def adaptive_avg_pool2d_inputs(draw: Callable) -> tuple:
    """x (N, C, H, W) and output_size (an int, a pair, or a pair with None), smaller or larger
    than the input (overlapping windows)."""
    N, C, H, W = draw(_dims(4, 1, 4))
    Ho, Wo = draw(_dims(2, 1, 5))
    size = draw(st.sampled_from([Ho, (Ho, Wo), (None, Wo), (Ho, None)]))
    return (draw(float_arrays((N, C, H, W))),), {"output_size": size}


INPUTS: dict[str, Callable[[], SearchStrategy]] = {
    "MaxPool2d": max_pool2d_inputs, "AvgPool2d": avg_pool2d_inputs,
    "AdaptiveAvgPool2d": adaptive_avg_pool2d_inputs}
