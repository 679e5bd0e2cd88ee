"""conv2d (stride, padding, dilation, groups), max/avg/adaptive pooling as torch has them:
float32, named errors, values from pixel-by-pixel loops written from torch's documented rules."""
from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor
from minigrad.errors import DTypeError, RangeError, ShapeError, ShapeRuntimeError
from minigrad.testing import gradcheck
from tests.minigrad.ops.common import f32, r

F32_CASES = {  # (Fn, arrays, diff, keyword constants)
    "Conv2d": lambda: (F.Conv2d, (f32(2, 4, 5, 6), f32(6, 2, 3, 2), f32(6)), (0, 1, 2),
                       {"stride": (2, 1), "padding": 1, "dilation": (1, 2), "groups": 2}),
    "MaxPool2d": lambda: (F.MaxPool2d, (f32(2, 3, 5, 5),), (0,),
                          {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    "AvgPool2d": lambda: (F.AvgPool2d, (f32(2, 3, 5, 6),), (0,),
                          {"kernel_size": 3, "stride": 2, "padding": 1,
                           "count_include_pad": False}),
    "AdaptiveAvgPool2d": lambda: (F.AdaptiveAvgPool2d, (f32(2, 3, 5, 7),), (0,),
                                  {"output_size": (2, 3)}),
    "Conv1d": lambda: (F.Conv1d, (f32(2, 4, 7), f32(6, 2, 3), f32(6)), (0, 1, 2),
                       {"stride": 2, "padding": 1, "groups": 2}),
    "ConvTranspose2d": lambda: (F.ConvTranspose2d, (f32(2, 4, 3, 4), f32(4, 3, 2, 3), f32(6)),
                                (0, 1, 2),
                                {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}),
}


def _conv(**over):
    args = {"x": r(2, 4, 5, 5), "w": r(6, 2, 3, 3, seed=1), "b": r(6, seed=2)}
    args.update(over)
    return tuple(args.values())


ERROR_CASES = [
    ("Conv2d", "C groups", lambda: F.conv2d(*_conv(x=r(2, 3, 5, 5)), groups=2), ShapeError,
     ["x's channels C = 3 must be divisible by groups = 2", "(2, 3, 5, 5)"]),
    ("Conv2d", "F groups", lambda: F.conv2d(*_conv(w=r(5, 2, 3, 3), b=r(5)), groups=2),
     ShapeError, ["w's filters F = 5 must be divisible by groups = 2"]),
    ("Conv2d", "w channels", lambda: F.conv2d(*_conv(), groups=1), ShapeError,
     ["x.shape[1] must equal w.shape[1] * groups = 2 * 1 = 2", "(6, 2, 3, 3)"]),
    ("Conv2d", "groups 0", lambda: F.conv2d(*_conv(), groups=0), ShapeError,
     ["groups must be an int >= 1", "got 0"]),
    ("Conv2d", "dilation", lambda: F.conv2d(*_conv(), groups=2, dilation=3),
     ShapeRuntimeError,
     ["kernel height 3 (dilation 3: extent 7) is larger than the padded input height",
      "5 + 0 + 0 = 5"]),
    ("Conv2d", "same strided", lambda: F.conv2d(*_conv(), groups=2, padding="same", stride=2),
     ShapeError, ["padding='same' needs stride 1", "(2, 2)"]),
    ("Conv2d", "padding str", lambda: F.conv2d(*_conv(), groups=2, padding="full"), ShapeError,
     ["padding must be an int >= 0, an (h, w) pair, 'valid' or 'same'", "'full'"]),
    ("Conv2d", "stride pair", lambda: F.conv2d(*_conv(), groups=2, stride=(1, 0)), ShapeError,
     ["stride must be an int >= 1 or an (h, w) pair of them", "(1, 0)"]),
    ("Conv2d", "padding triple", lambda: F.conv2d(*_conv(), groups=2, padding=(1, 1, 1)),
     ShapeRuntimeError, ["padding must be an int >= 0", "(1, 1, 1)"]),
    ("Conv2d", "pad and padding", lambda: F.conv2d(*_conv(), groups=2, padding=1, pad=1),
     TypeError, ["give padding or pad, not both"]),
    ("Conv2d", "no bias dtype", lambda: F.conv2d(r(2, 2, 4, 4), r(3, 2, 3, 3, dtype=np.float32)),
     DTypeError, ["x float64, w float32"]),
    ("Conv2d", "b ndim", lambda: F.conv2d(*_conv(b=r(6, 1)), groups=2), ShapeError,
     ["b must be 1-D (F,)", "(6, 1)"]),
    ("Conv2d", "w inf", lambda: F.conv2d(*_conv(w=np.full((6, 2, 3, 3), np.inf)), groups=2),
     RangeError, ["w must be finite"]),
    ("Conv1d", "x ndim", lambda: F.conv1d(r(2, 3, 4, 4), r(4, 3, 3)), ShapeError,
     ["x must be 3-D (N, C, L)", "(2, 3, 4, 4)"]),
    ("Conv1d", "stride pair", lambda: F.conv1d(r(2, 3, 7), r(4, 3, 3), stride=(1, 2)), ShapeError,
     ["stride must be an int >= 1 (or a 1-tuple)", "(1, 2)"]),
    ("Conv1d", "too long", lambda: F.conv1d(r(2, 3, 4), r(4, 3, 3), dilation=2),
     ShapeRuntimeError,
     ["kernel length 3 (dilation 2: extent 5) is larger than the padded input length"]),
    ("Conv1d", "groups", lambda: F.conv1d(r(2, 3, 7), r(4, 1, 3), groups=3), ShapeError,
     ["w's filters F = 4 must be divisible by groups = 3"]),
    ("ConvTranspose2d", "channels", lambda: F.conv_transpose2d(r(1, 3, 4, 4), r(2, 3, 3, 3)),
     ShapeError, ["x.shape[1] must equal w.shape[0]", "(1, 3, 4, 4)", "(2, 3, 3, 3)"]),
    ("ConvTranspose2d", "bias", lambda: F.conv_transpose2d(r(1, 4, 3, 3), r(4, 3, 3, 3), r(3),
                                                           groups=2),
     ShapeError, ["b.shape[0] must equal w.shape[1] * groups = 6", "(3,)"]),
    ("ConvTranspose2d", "output_padding",
     lambda: F.conv_transpose2d(r(1, 2, 3, 3), r(2, 3, 3, 3), stride=2, output_padding=2),
     ShapeError, ["output_padding (2, 2) must be smaller than stride (2, 2) or dilation"]),
    ("ConvTranspose2d", "padding", lambda: F.conv_transpose2d(r(1, 2, 2, 2), r(2, 3, 2, 2),
                                                              padding=2),
     ShapeError, ["output size (-1, -1) must be positive"]),
    ("MaxPool2d", "padding", lambda: F.max_pool2d(r(1, 1, 6, 6), 3, padding=2),
     ShapeRuntimeError,
     ["padding height 2 must be at most half the kernel height 3"]),
    ("MaxPool2d", "kernel twice", lambda: F.max_pool2d(r(1, 1, 4, 4), 2, kernel=2), TypeError,
     ["give kernel_size or kernel, not both"]),
    ("MaxPool2d", "ceil_mode", lambda: F.max_pool2d(r(1, 1, 4, 4), 2, ceil_mode=1), ShapeError,
     ["ceil_mode must be a bool", "got 1"]),
    ("MaxPool2d", "dilation", lambda: F.max_pool2d(r(1, 1, 4, 4), 2, dilation=0), ShapeError,
     ["dilation must be an int >= 1"]),
    ("MaxPool2d", "kernel triple", lambda: F.max_pool2d(r(1, 1, 4, 4), (2, 2, 2)), ShapeError,
     ["kernel_size must be an int >= 1 or an (h, w) pair", "(2, 2, 2)"]),
    ("MaxPool2d", "dilated kernel", lambda: F.max_pool2d(r(1, 1, 4, 4), 2, dilation=4),
     ShapeError, ["kernel height 2 (dilation 4: extent 5) is larger than the padded input"]),
    ("AvgPool2d", "no kernel", lambda: F.avg_pool2d(r(1, 1, 4, 4)), TypeError,
     ["kernel_size is required"]),
    ("AvgPool2d", "divisor 0", lambda: F.avg_pool2d(r(1, 1, 4, 4), 2, divisor_override=0),
     ShapeError, ["divisor_override must be a nonzero int or None", "got 0"]),
    ("AvgPool2d", "padding", lambda: F.avg_pool2d(r(1, 1, 6, 6), (2, 4), padding=(1, 3)),
     ShapeRuntimeError, ["padding width 3 must be at most half the kernel width 4"]),
    ("AvgPool2d", "count_include_pad", lambda: F.avg_pool2d(r(1, 1, 4, 4), 2,
                                                            count_include_pad="no"),
     ShapeError, ["count_include_pad must be a bool"]),
    ("AvgPool2d", "too large", lambda: F.avg_pool2d(r(1, 1, 3, 3), 4), ShapeError,
     ["kernel height 4 is larger than the padded input height 3 + 0 + 0 = 3"]),
    ("AvgPool2d", "x ndim", lambda: F.avg_pool2d(r(3, 4, 4), 2), ShapeError,
     ["x must be 4-D (N, C, H, W)", "(3, 4, 4)"]),
    ("AvgPool2d", "int x", lambda: F.avg_pool2d(np.ones((1, 1, 4, 4), np.int64), 2), DTypeError,
     ["x must be a float array"]),
    ("AdaptiveAvgPool2d", "size 0", lambda: F.adaptive_avg_pool2d(r(1, 1, 4, 4), 0), ShapeError,
     ["output_size must be an int >= 1 or an (h, w) pair", "got 0"]),
    ("AdaptiveAvgPool2d", "size triple", lambda: F.adaptive_avg_pool2d(r(1, 1, 4, 4), (1, 2, 3)),
     ShapeError, ["output_size", "(1, 2, 3)"]),
    ("AdaptiveAvgPool2d", "x ndim", lambda: F.adaptive_avg_pool2d(r(4, 4), 2), ShapeError,
     ["x must be 4-D (N, C, H, W)", "(4, 4)"]),
    ("AdaptiveAvgPool2d", "nan", lambda: F.adaptive_avg_pool2d(np.full((1, 1, 2, 2), np.nan), 1),
     RangeError, ["x must be finite", "NaN"]),
]


# ----- references: one output pixel at a time, from torch's documented rules ------------------
def _pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


def _out_len(n, k, s, p, d=1, ceil=False):
    """torch's output size: floor((n + 2p - d(k-1) - 1) / s) + 1 (ceil: last start in bounds)."""
    num = n + 2 * p - d * (k - 1) - 1
    o = (math.ceil(num / s) if ceil else num // s) + 1
    return o - 1 if ceil and (o - 1) * s >= n + p else o


def naive_conv(x, w, b=None, stride=1, pads=((0, 0), (0, 0)), dilation=1, groups=1):
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    N, C, H, W = x.shape
    Fo, Cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), pads[0], pads[1]))
    Ho = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    Wo = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((N, Fo, Ho, Wo))
    for n, f, i, j in np.ndindex(N, Fo, Ho, Wo):
        g = f // (Fo // groups)
        patch = xp[n, g * Cg:(g + 1) * Cg, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                   j * sw:j * sw + dw * (kw - 1) + 1:dw]
        out[n, f, i, j] = (patch * w[f]).sum() + (0.0 if b is None else b[f])
    return out


def _cells(o, k, s, p, d, n):
    """Input rows of output row o's window that lie inside the input (padding skipped)."""
    return [c for c in (o * s - p + a * d for a in range(k)) if 0 <= c < n]


def naive_max_pool(x, k, s=None, p=0, d=1, ceil=False, dout=None):
    """(out, dx): dx sends each window's gradient to its first max in row-major order."""
    (kh, kw), (ph, pw), (dh, dw) = _pair(k), _pair(p), _pair(d)
    sh, sw = _pair(k if s is None else s)
    N, C, H, W = x.shape
    Ho, Wo = _out_len(H, kh, sh, ph, dh, ceil), _out_len(W, kw, sw, pw, dw, ceil)
    out, dx = np.zeros((N, C, Ho, Wo)), np.zeros_like(x)
    for n, c, i, j in np.ndindex(N, C, Ho, Wo):
        cells = [(a, b) for a in _cells(i, kh, sh, ph, dh, H) for b in _cells(j, kw, sw, pw, dw, W)]
        vals = [x[n, c, a, b] for a, b in cells]
        best = int(np.argmax(vals))  # np.argmax returns the first maximum
        out[n, c, i, j] = vals[best]
        if dout is not None:
            dx[n, c][cells[best]] += dout[n, c, i, j]
    return out, dx


def naive_avg_pool(x, k, s=None, p=0, ceil=False, include=True, override=None, dout=None):
    """(out, dx) with torch's divisor: window clipped to the padded input, or to the input."""
    (kh, kw), (ph, pw) = _pair(k), _pair(p)
    sh, sw = _pair(k if s is None else s)
    N, C, H, W = x.shape
    Ho, Wo = _out_len(H, kh, sh, ph, 1, ceil), _out_len(W, kw, sw, pw, 1, ceil)
    out, dx = np.zeros((N, C, Ho, Wo)), np.zeros_like(x)
    for i, j in np.ndindex(Ho, Wo):
        h0, w0 = i * sh - ph, j * sw - pw
        h1, w1 = min(h0 + kh, H + ph), min(w0 + kw, W + pw)
        pool = (h1 - h0) * (w1 - w0)
        h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, H), min(w1, W)
        div = override or (pool if include else (h1 - h0) * (w1 - w0))
        out[:, :, i, j] = x[:, :, h0:h1, w0:w1].sum(axis=(2, 3)) / div
        if dout is not None:
            dx[:, :, h0:h1, w0:w1] += (dout[:, :, i, j] / div)[:, :, None, None]
    return out, dx


def _backward(fn, x, dout, **kwargs):
    t = Tensor(x, requires_grad=True)
    out = fn(t, **kwargs)
    out.backward(dout)
    return out.data, t.grad


# ----- conv2d -----------------------------------------------------------------------------------
CONV = [  # x shape, w shape, kwargs, explicit ((top, bottom), (left, right)) padding
    ((2, 3, 7, 6), (4, 3, 3, 3), {"stride": 3}, ((0, 0), (0, 0))),  # non-tiling: cropped
    ((1, 2, 6, 9), (3, 2, 2, 4), {"stride": (1, 2), "padding": (0, 1)}, ((0, 0), (1, 1))),
    ((2, 2, 8, 7), (3, 2, 3, 2), {"padding": 2, "dilation": (2, 3)}, ((2, 2), (2, 2))),
    ((2, 4, 7, 6), (6, 2, 3, 2), {"stride": (2, 1), "padding": (1, 2), "groups": 2},
     ((1, 1), (2, 2))),
    ((1, 3, 5, 5), (6, 1, 3, 3), {"padding": 1, "groups": 3}, ((1, 1), (1, 1))),  # depthwise
    ((2, 3, 6, 5), (4, 3, 2, 4), {"padding": "same", "dilation": (1, 2)}, ((0, 1), (3, 3))),
    ((2, 3, 5, 6), (4, 3, 3, 3), {"padding": "valid"}, ((0, 0), (0, 0))),
]


@pytest.mark.parametrize("xs, ws, kwargs, pads", CONV)
def test_conv2d_matches_the_pixel_loop(xs, ws, kwargs, pads) -> None:
    x, w, b = r(*xs), r(*ws, seed=1), r(ws[0], seed=2)
    ref = naive_conv(x, w, b, kwargs.get("stride", 1), pads, kwargs.get("dilation", 1),
                     kwargs.get("groups", 1))
    np.testing.assert_allclose(F.conv2d(x, w, b, **kwargs).data, ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(F.conv2d(x, w, **kwargs).data, ref - b[:, None, None],
                               rtol=1e-12, atol=1e-12)  # bias None


@pytest.mark.parametrize("xs, ws, kwargs, pads", CONV)
def test_conv2d_gradients_match_central_differences(xs, ws, kwargs, pads) -> None:
    args = [r(*xs, seed=3), r(*ws, seed=4), r(ws[0], seed=5)]
    report = gradcheck(F.Conv2d, args, kwargs=kwargs, eps=1e-3, order=4)
    assert report.max_rel_error < 1e-8, report.rel_errors
    report = gradcheck(F.Conv2d, args[:2] + [None], kwargs=kwargs, eps=1e-3, order=4)
    assert list(report.rel_errors) and report.max_rel_error < 1e-8


def test_conv2d_same_keeps_the_size_and_pads_the_extra_at_the_end() -> None:
    x, w = r(1, 2, 5, 6), r(3, 2, 4, 2, seed=1)  # totals 3 (1 top, 2 bottom) and 1 (0, 1)
    out = F.conv2d(x, w, padding="same")
    assert out.shape == (1, 3, 5, 6)
    np.testing.assert_allclose(out.data, naive_conv(x, w, pads=((1, 2), (0, 1))), atol=1e-12)


def test_conv2d_pad_is_an_alias_of_padding_and_keeps_the_cs231n_call() -> None:
    x, w, b = r(2, 3, 5, 5), r(4, 3, 3, 3, seed=1), r(4, seed=2)
    ref = naive_conv(x, w, b, 2, ((1, 1), (1, 1)))
    for out in (F.conv2d(x, w, b, stride=2, pad=1), F.conv2d(x, w, b, 2, 1),
                F.Conv2d.apply(x, w, b, stride=2, pad=1)):
        np.testing.assert_allclose(out.data, ref, atol=1e-12)


def test_conv2d_groups_are_independent_convolutions_of_channel_slices() -> None:
    x, w, b = r(2, 6, 5, 5), r(6, 2, 3, 3, seed=1), r(6, seed=2)
    out = F.conv2d(x, w, b, padding=1, groups=3).data
    for g in range(3):
        sl = slice(2 * g, 2 * g + 2)
        np.testing.assert_allclose(out[:, sl], F.conv2d(x[:, sl], w[sl], b[sl], padding=1).data,
                                   atol=1e-12)


def test_conv2d_without_bias_gets_no_bias_gradient() -> None:
    x, w = Tensor(r(1, 2, 4, 4), requires_grad=True), Tensor(r(3, 2, 3, 3), requires_grad=True)
    out = F.conv2d(x, w, None, padding=1)
    assert out.grad_fn is F.Conv2d
    out.backward(np.ones(out.shape))
    assert x.grad.shape == (1, 2, 4, 4)
    xp = np.pad(x.data, ((0, 0), (0, 0), (1, 1), (1, 1)))
    expected = np.array([[[xp[:, c, i:i + 4, j:j + 4].sum() for j in range(3)]
                          for i in range(3)] for c in range(2)])  # ones upstream: window sums
    np.testing.assert_allclose(w.grad, np.broadcast_to(expected, (3, 2, 3, 3)), atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_large_channel_count_uses_the_same_values(dtype) -> None:
    x, w = r(1, 20, 5, 4, dtype=dtype), r(3, 20, 2, 3, seed=1, dtype=dtype)
    t = Tensor(x, requires_grad=True)
    out = F.conv2d(t, w, stride=(2, 1), padding=1)
    out.backward(np.ones(out.shape, dtype))
    assert t.grad.dtype == dtype
    ref = naive_conv(x.astype(np.float64), w.astype(np.float64), None, (2, 1), ((1, 1), (1, 1)))
    np.testing.assert_allclose(out.data, ref, rtol=1e-4 if dtype == np.float32 else 1e-12,
                               atol=1e-4 if dtype == np.float32 else 1e-12)
    dx = np.zeros((1, 20, 7, 6))  # ones upstream: each padded cell counts its covering taps
    for i, j in np.ndindex(out.shape[2:]):
        dx[0, :, 2 * i:2 * i + 2, j:j + 3] += w.astype(np.float64).sum(axis=0)
    np.testing.assert_allclose(t.grad, dx[:, :, 1:6, 1:5], rtol=1e-4, atol=1e-4)


# ----- pooling ----------------------------------------------------------------------------------
def _distinct(*shape, seed=0):
    """Distinct values spaced 0.01 apart (no ties, eps-perturbations keep every argmax)."""
    rng = np.random.default_rng(seed)
    return rng.permutation(np.arange(math.prod(shape))).reshape(shape) * 0.01 - 1.0


MAX = [  # x shape, max_pool2d kwargs
    ((2, 2, 7, 5), {"kernel_size": 2}),  # odd sides: cropped; stride = kernel
    ((1, 2, 6, 7), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ((2, 1, 9, 8), {"kernel_size": (3, 2), "stride": (2, 3), "padding": (1, 1),
                    "dilation": (2, 1)}),
    ((1, 2, 7, 8), {"kernel_size": 3, "stride": 2, "ceil_mode": True}),
    ((1, 1, 5, 5), {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True}),
]


@pytest.mark.parametrize("xs, kwargs", MAX)
def test_max_pool2d_matches_the_pixel_loop(xs, kwargs) -> None:
    x = _distinct(*xs)
    ref, _ = naive_max_pool(x, kwargs["kernel_size"], kwargs.get("stride"),
                            kwargs.get("padding", 0), kwargs.get("dilation", 1),
                            kwargs.get("ceil_mode", False))
    dout = r(*ref.shape, seed=7)
    _, dx = naive_max_pool(x, kwargs["kernel_size"], kwargs.get("stride"),
                           kwargs.get("padding", 0), kwargs.get("dilation", 1),
                           kwargs.get("ceil_mode", False), dout)
    out, grad = _backward(F.max_pool2d, x, dout, **kwargs)
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_allclose(grad, dx, atol=1e-15)


def test_max_pool2d_ties_with_padding_and_overlap_go_to_the_first_max() -> None:
    x = np.array([[[[2.0, 2.0, 1.0],
                    [2.0, 0.0, 2.0],
                    [1.0, 2.0, 2.0]]]])
    dout = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)
    out, grad = _backward(F.max_pool2d, x, dout, kernel_size=2, stride=2, padding=1)
    np.testing.assert_array_equal(out, np.full((1, 1, 2, 2), 2.0))
    _, ref = naive_max_pool(x, 2, 2, 1, dout=dout)
    np.testing.assert_array_equal(grad, ref)
    np.testing.assert_array_equal(grad[0, 0], [[1, 2, 0], [3, 0, 4], [0, 0, 0]])
    out, grad = _backward(F.max_pool2d, x, np.ones((1, 1, 2, 2)), kernel_size=2, stride=1)
    np.testing.assert_array_equal(grad[0, 0], [[1, 1, 0], [1, 0, 1], [0, 0, 0]])


def test_max_pool2d_keeps_the_cs231n_keywords() -> None:
    x = _distinct(1, 2, 6, 6)
    np.testing.assert_array_equal(F.max_pool2d(x, kernel=3).data,
                                  naive_max_pool(x, 3)[0])  # stride defaults to the kernel
    np.testing.assert_array_equal(F.max_pool2d(x).data, naive_max_pool(x, 2)[0])
    np.testing.assert_array_equal(F.MaxPool2d.apply(x, kernel=3, stride=1).data,
                                  naive_max_pool(x, 3, 1)[0])


AVG = [  # x shape, avg_pool2d kwargs
    ((2, 2, 6, 8), {"kernel_size": 2}),
    ((1, 2, 7, 6), {"kernel_size": 3, "stride": 2}),  # overlapping, non-tiling
    ((1, 2, 6, 7), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ((1, 2, 6, 7), {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False}),
    ((2, 1, 7, 9), {"kernel_size": (3, 2), "stride": (2, 3), "padding": (1, 1),
                    "ceil_mode": True, "count_include_pad": False}),
    ((1, 1, 7, 9), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ((1, 2, 6, 6), {"kernel_size": 3, "stride": 2, "padding": 1, "divisor_override": 5}),
]


@pytest.mark.parametrize("xs, kwargs", AVG)
def test_avg_pool2d_matches_the_pixel_loop(xs, kwargs) -> None:
    x = r(*xs)
    opts = (kwargs["kernel_size"], kwargs.get("stride"), kwargs.get("padding", 0),
            kwargs.get("ceil_mode", False), kwargs.get("count_include_pad", True),
            kwargs.get("divisor_override"))
    ref, _ = naive_avg_pool(x, *opts)
    dout = r(*ref.shape, seed=8)
    _, dx = naive_avg_pool(x, *opts, dout=dout)
    out, grad = _backward(F.avg_pool2d, x, dout, **kwargs)
    np.testing.assert_allclose(out, ref, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(grad, dx, rtol=1e-13, atol=1e-14)


def test_avg_pool2d_count_include_pad_changes_only_the_border_divisors() -> None:
    x = np.ones((1, 1, 4, 4))
    with_pad = F.avg_pool2d(x, 3, stride=1, padding=1).data[0, 0]
    without = F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False).data[0, 0]
    np.testing.assert_allclose(without, np.ones((4, 4)), atol=1e-15)  # mean of real ones
    cells = np.array([2, 3, 3, 2])  # real cells per window side: corners 4/9, edges 6/9
    np.testing.assert_allclose(with_pad, np.outer(cells, cells) / 9, atol=1e-15)


@pytest.mark.parametrize("xs, size", [((2, 3, 7, 10), (3, 4)), ((1, 2, 3, 5), (5, None)),
                                      ((1, 1, 6, 6), 3), ((2, 2, 4, 5), 1)])
def test_adaptive_avg_pool2d_matches_torch_window_rule(xs, size) -> None:
    x = r(*xs)
    Ho, Wo = (size, size) if isinstance(size, int) else size
    Wo = xs[3] if Wo is None else Wo
    ref = np.zeros((*xs[:2], Ho, Wo))
    for i, j in np.ndindex(Ho, Wo):  # start floor(i H / Ho), end ceil((i + 1) H / Ho)
        h0, h1 = math.floor(i * xs[2] / Ho), math.ceil((i + 1) * xs[2] / Ho)
        w0, w1 = math.floor(j * xs[3] / Wo), math.ceil((j + 1) * xs[3] / Wo)
        ref[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    np.testing.assert_allclose(F.adaptive_avg_pool2d(x, size).data, ref, rtol=1e-13, atol=1e-14)
    report = gradcheck(F.AdaptiveAvgPool2d, [x], kwargs={"output_size": size}, eps=1e-3, order=4)
    assert report.max_rel_error < 1e-8


@pytest.mark.parametrize("fn, kwargs", [(F.MaxPool2d, {"kernel_size": (3, 2), "stride": 1,
                                                       "padding": 1, "dilation": (1, 2)}),
                                        (F.AvgPool2d, {"kernel_size": 3, "stride": 2,
                                                       "padding": 1, "ceil_mode": True,
                                                       "count_include_pad": False})])
def test_pool_gradients_match_central_differences(fn, kwargs) -> None:
    report = gradcheck(fn, [_distinct(2, 2, 5, 6, seed=3)], kwargs=kwargs, eps=1e-3, order=4)
    assert report.max_rel_error < 1e-8


def test_parity_ties_case_really_has_ties() -> None:
    from vis.parity import CASES, by_label

    case = by_label(CASES)["MaxPool2d[ties]"]
    x = case.build(np.random.default_rng(0)).args["x"]
    win = np.lib.stride_tricks.sliding_window_view(x, (2, 2), axis=(2, 3))
    assert ((win == win.max(axis=(-2, -1), keepdims=True)).sum(axis=(-2, -1)) > 1).any()
