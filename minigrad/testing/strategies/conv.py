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


@st.composite
def conv3d_inputs(draw: Callable) -> tuple:
    """x (N, C, D, H, W), w (F, C / groups, kd, kh, kw), b (F,) or None; stride, padding (an
    int, a triple or 'same' at stride 1), dilation, groups; small sides (the Jacobian is full)."""
    groups = draw(st.sampled_from([1, 2]))
    N, Cg, Fg = 1, 1, draw(st.integers(1, 2))
    k, s, d = draw(_dims(3, 1, 2)), draw(_dims(3, 1, 2)), draw(_dims(3, 1, 2))
    same = s == (1, 1, 1) and draw(st.booleans())
    p = (0, 0, 0) if same else draw(_dims(3, 0, 1))
    tot = [da * (ka - 1) if same else 2 * pa for ka, da, pa in zip(k, d, p, strict=True)]
    sp = tuple(max(1, da * (ka - 1) + 1 - t) + draw(st.integers(0, 1))
               for ka, da, t in zip(k, d, tot, strict=True))
    C, F = Cg * groups, Fg * groups
    b = draw(st.one_of(st.none(), _weights((F,))))
    args = (draw(float_arrays((N, C, *sp))), draw(_weights((F, Cg, *k))), b)
    kwargs = {"stride": s, "padding": "same" if same else p, "dilation": d, "groups": groups}
    return args, kwargs


@st.composite
def conv_transpose_nd_inputs(draw: Callable, nd: int) -> tuple:
    """x (N, C, *spatial), w (C, F / groups, *k), b (F,) or None with nd = 1 or 3 spatial axes;
    stride, padding, output_padding (< stride or dilation), dilation, groups."""
    groups = draw(st.sampled_from([1, 2]))
    N, Cg, Fg = 1, draw(st.integers(1, 2)), draw(st.integers(1, 2))
    hi = 3 if nd == 1 else 2
    sp, k = draw(_dims(nd, 1, hi)), draw(_dims(nd, 1, hi))
    s, d = draw(_dims(nd, 1, hi)), draw(_dims(nd, 1, 2))
    op = tuple(draw(st.integers(0, max(sa, da) - 1)) for sa, da in zip(s, d, strict=True))
    full = [(n - 1) * sa + da * (ka - 1) + 1 + o
            for n, sa, da, ka, o in zip(sp, s, d, k, op, strict=True)]
    p = tuple(draw(st.integers(0, min(1, (f - 1) // 2))) for f in full)
    C, F = Cg * groups, Fg * groups
    b = draw(st.one_of(st.none(), _weights((F,))))
    args = (draw(float_arrays((N, C, *sp))), draw(_weights((C, Fg, *k))), b)
    one = (lambda t: t[0]) if nd == 1 else (lambda t: t)
    kwargs = {"stride": one(s), "padding": one(p), "output_padding": one(op), "groups": groups,
              "dilation": one(d)}
    return args, kwargs


INPUTS: dict[str, Callable[[], SearchStrategy]] = {
    "Conv2d": conv2d_inputs, "Conv1d": conv1d_inputs, "Conv3d": conv3d_inputs,
    "ConvTranspose2d": conv_transpose2d_inputs,
    "ConvTranspose1d": lambda: conv_transpose_nd_inputs(1),
    "ConvTranspose3d": lambda: conv_transpose_nd_inputs(3)}
