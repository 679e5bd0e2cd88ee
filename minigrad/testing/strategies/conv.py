"""Input strategies for the conv family: each entry draws (args, kwargs) for one Function."""
from __future__ import annotations

from typing import Any, Callable

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import _dims, _weights, float_arrays


def _as_pair(draw: Callable, a: int, b: int) -> Any:
    """a or (a, b): the int form only when both sides agree and a coin says so."""
    return a if a == b and draw(st.booleans()) else (a, b)


@st.composite
def conv2d_inputs(draw: Callable) -> tuple:
    """x (N, C, H, W), w (F, C / groups, kh, kw), b (F,) or None; stride, padding (int, pair,
    'valid' or 'same'), dilation, groups; H, W need not tile (the last rows are cropped)."""
    groups = draw(st.sampled_from([1, 1, 2]))
    N, Cg, Fg = draw(_dims(3, 1, 2))
    kh, kw = draw(_dims(2, 1, 3))
    (sh, sw), (dh, dw) = draw(_dims(2, 1, 3)), draw(_dims(2, 1, 2))
    kinds = ["int", "pair", "valid"] + (["same"] if (sh, sw) == (1, 1) else [])
    kind = draw(st.sampled_from(kinds))
    if kind in ("valid", "same"):
        padding: Any = kind
        tot_h, tot_w = (dh * (kh - 1), dw * (kw - 1)) if kind == "same" else (0, 0)
    else:
        ph, pw = draw(_dims(2, 0, 2))
        ph = pw if kind == "int" else ph
        padding = pw if kind == "int" else (ph, pw)
        tot_h, tot_w = 2 * ph, 2 * pw
    H = max(1, dh * (kh - 1) + 1 - tot_h) + draw(st.integers(0, 2))
    W = max(1, dw * (kw - 1) + 1 - tot_w) + draw(st.integers(0, 2))
    C, F = Cg * groups, Fg * groups
    b = draw(st.one_of(st.none(), _weights((F,))))
    args = (draw(float_arrays((N, C, H, W))), draw(_weights((F, Cg, kh, kw))), b)
    kwargs = {"stride": _as_pair(draw, sh, sw), "padding": padding,
              "dilation": _as_pair(draw, dh, dw), "groups": groups}
    return args, kwargs


@st.composite
def conv1d_inputs(draw: Callable) -> tuple:
    """x (N, C, L), w (F, C / groups, k), b (F,) or None; stride, padding (int, 1-tuple, 'valid'
    or 'same'), dilation, groups; L need not tile."""
    groups = draw(st.sampled_from([1, 2]))
    N, Cg, Fg = draw(_dims(3, 1, 2))
    k, s, d = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    padding: Any = draw(st.sampled_from(["valid", 0, 1, (2,)] + (["same"] if s == 1 else [])))
    total = {"valid": 0, "same": d * (k - 1)}.get(padding) if isinstance(padding, str) else \
        2 * (padding[0] if isinstance(padding, tuple) else padding)
    L = max(1, d * (k - 1) + 1 - total) + draw(st.integers(0, 3))
    C, F = Cg * groups, Fg * groups
    b = draw(st.one_of(st.none(), _weights((F,))))
    args = (draw(float_arrays((N, C, L))), draw(_weights((F, Cg, k))), b)
    return args, {"stride": s, "padding": padding, "dilation": d, "groups": groups}


@st.composite
def conv_transpose2d_inputs(draw: Callable) -> tuple:
    """x (N, C, H, W), w (C, F / groups, kh, kw), b (F,) or None; stride, padding,
    output_padding (< stride or dilation), dilation, groups (pairs or ints)."""
    groups = draw(st.sampled_from([1, 1, 2]))
    N, Cg, Fg = draw(_dims(3, 1, 2))
    H, W = draw(_dims(2, 1, 3))
    k, s, d = draw(_dims(2, 1, 3)), draw(_dims(2, 1, 3)), draw(_dims(2, 1, 2))
    op = tuple(draw(st.integers(0, max(sa, da) - 1)) for sa, da in zip(s, d, strict=True))
    full = [(n - 1) * sa + da * (ka - 1) + 1 + o
            for n, sa, da, ka, o in zip((H, W), s, d, k, op, strict=True)]
    p = tuple(draw(st.integers(0, min(2, (f - 1) // 2))) for f in full)
    C, F = Cg * groups, Fg * groups
    b = draw(st.one_of(st.none(), _weights((F,))))
    args = (draw(float_arrays((N, C, H, W))), draw(_weights((C, Fg, *k))), b)
    kwargs = {"stride": _as_pair(draw, *s), "padding": _as_pair(draw, *p),
              "output_padding": _as_pair(draw, *op), "groups": groups,
              "dilation": _as_pair(draw, *d)}
    return args, kwargs


INPUTS: dict[str, Callable[[], SearchStrategy]] = {
    "Conv2d": conv2d_inputs, "Conv1d": conv1d_inputs,
    "ConvTranspose2d": conv_transpose2d_inputs}
