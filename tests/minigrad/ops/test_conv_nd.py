"""1-D and 3-D convolutions and pooling, max_pool indices (torch's flat plane index), max_unpool2d,
max pooling of ±inf, NaN and integer inputs, and the torch error types: float32, named errors,
values from pixel-by-pixel loops written from torch's documented rules."""
from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor
from minigrad.errors import (
    DTypeError,
    RangeError,
    RangeRuntimeError,
    ShapeError,
    ShapeRuntimeError,
)
from minigrad.testing import gradcheck
from tests.minigrad.ops.common import f32, r

F32_CASES = {  # (Fn, arrays, diff, keyword constants)
    "Conv3d": lambda: (F.Conv3d, (f32(2, 4, 3, 4, 5), f32(6, 2, 2, 3, 2), f32(6)), (0, 1, 2),
                       {"stride": (1, 2, 1), "padding": 1, "groups": 2}),
    "ConvTranspose1d": lambda: (F.ConvTranspose1d, (f32(2, 4, 5), f32(4, 3, 3), f32(6)),
                                (0, 1, 2),
                                {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}),
    "ConvTranspose3d": lambda: (F.ConvTranspose3d, (f32(1, 2, 2, 3, 2), f32(2, 3, 2, 2, 3),
                                                    f32(3)), (0, 1, 2),
                                {"stride": 2, "dilation": (1, 1, 2)}),
    "MaxPool1d": lambda: (F.MaxPool1d, (f32(2, 3, 7),), (0,),
                          {"kernel_size": 3, "stride": 2, "padding": 1, "return_indices": True}),
    "MaxPool3d": lambda: (F.MaxPool3d, (f32(2, 2, 4, 5, 3),), (0,),
                          {"kernel_size": 2, "stride": 1, "ceil_mode": True}),
    "AvgPool1d": lambda: (F.AvgPool1d, (f32(2, 3, 7),), (0,),
                          {"kernel_size": 3, "stride": 2, "padding": 1,
                           "count_include_pad": False}),
    "AvgPool3d": lambda: (F.AvgPool3d, (f32(2, 2, 4, 5, 3),), (0,),
                          {"kernel_size": (2, 3, 2), "padding": 1}),
    "MaxUnpool2d": lambda: (F.MaxUnpool2d, (f32(2, 3, 2, 2), np.array([0, 3, 10, 15])
                                            .reshape(1, 1, 2, 2).repeat(2, 0).repeat(3, 1)),
                            (0,), {"kernel_size": 2}),
}

ERROR_CASES = [
    ("Conv3d", "x ndim", lambda: F.conv3d(r(2, 3, 4, 4), r(4, 3, 2, 2, 2)), ShapeError,
     ["x must be 5-D (N, C, D, H, W)", "(2, 3, 4, 4)"]),
    ("Conv3d", "too large", lambda: F.conv3d(r(1, 1, 2, 4, 4), r(1, 1, 3, 2, 2)),
     ShapeRuntimeError, ["kernel depth 3 is larger than the padded input depth 2 + 0 + 0"]),
    ("Conv3d", "padding pair", lambda: F.conv3d(r(1, 1, 3, 3, 3), r(1, 1, 2, 2, 2),
                                                padding=(1, 1)),
     ShapeRuntimeError, ["padding must be an int >= 0 or a (d, h, w) triple", "(1, 1)"]),
    ("Conv3d", "negative padding", lambda: F.conv3d(r(1, 1, 3, 3, 3), r(1, 1, 2, 2, 2),
                                                    padding=-1),
     ShapeRuntimeError, ["padding must be an int >= 0", "-1"]),
    ("ConvTranspose1d", "channels", lambda: F.conv_transpose1d(r(1, 3, 4), r(2, 3, 3)),
     ShapeError, ["x.shape[1] must equal w.shape[0]", "(1, 3, 4)"]),
    ("ConvTranspose1d", "stride", lambda: F.conv_transpose1d(r(1, 2, 4), r(2, 3, 3), stride=0),
     ShapeError, ["stride must be an int >= 1 (or a 1-tuple)", "got 0"]),
    ("ConvTranspose3d", "output_padding",
     lambda: F.conv_transpose3d(r(1, 2, 2, 2, 2), r(2, 3, 2, 2, 2), output_padding=1),
     ShapeError, ["output_padding (1, 1, 1) must be smaller than stride (1, 1, 1)"]),
    ("ConvTranspose3d", "w ndim", lambda: F.conv_transpose3d(r(1, 2, 2, 2, 2), r(2, 3, 2, 2)),
     ShapeError, ["w must be 5-D (C, F / groups, kd, kh, kw)", "(2, 3, 2, 2)"]),
    ("MaxPool1d", "x ndim", lambda: F.max_pool1d(r(1, 1, 4, 4), 2), ShapeError,
     ["x must be 3-D (N, C, L)", "(1, 1, 4, 4)"]),
    ("MaxPool1d", "bool", lambda: F.max_pool1d(np.ones((1, 1, 4), bool), 2), DTypeError,
     ["x must be a float or integer array", "bool"]),
    ("MaxPool3d", "padding", lambda: F.max_pool3d(r(1, 1, 4, 4, 4), 2, padding=(0, 1, 2)),
     ShapeRuntimeError, ["padding width 2 must be at most half the kernel width 2"]),
    ("MaxPool3d", "return_indices", lambda: F.max_pool3d(r(1, 1, 4, 4, 4), 2,
                                                         return_indices=1),
     ShapeError, ["return_indices must be a bool", "got 1"]),
    ("AvgPool1d", "kernel pair", lambda: F.avg_pool1d(r(1, 1, 6), (2, 2)), ShapeError,
     ["kernel_size must be an int >= 1 (or a 1-tuple)", "(2, 2)"]),
    ("AvgPool3d", "nan", lambda: F.avg_pool3d(np.full((1, 1, 2, 2, 2), np.nan), 2), RangeError,
     ["x must be finite"]),
    ("MaxUnpool2d", "indices range", lambda: F.max_unpool2d(r(1, 1, 2, 2),
                                                            np.full((1, 1, 2, 2), 16), 2),
     RangeRuntimeError, ["indices must be in [0, 16)", "max 16"]),
    ("MaxUnpool2d", "indices shape", lambda: F.max_unpool2d(r(1, 1, 2, 2),
                                                            np.zeros((1, 1, 2, 3), int), 2),
     ShapeError, ["indices must have shape of x", "(1, 1, 2, 3)"]),
    ("MaxUnpool2d", "output_size", lambda: F.max_unpool2d(r(1, 1, 2, 2), np.zeros((1, 1, 2, 2),
                                                                                  int), 2,
                                                          output_size=(6, 4)),
     ShapeError, ["output_size must be (H', W') or (N, C, H', W')", "(4, 4)", "(6, 4)"]),
    ("MaxUnpool2d", "float indices", lambda: F.max_unpool2d(r(1, 1, 2, 2), r(1, 1, 2, 2), 2),
     DTypeError, ["indices must be an integer array"]),
]


# ----- references: one output position at a time, from torch's documented rules --------------
def naive_conv_nd(x, w, b, stride, pads, dilation, groups):
    """Cross-correlation of (N, C, *sp) with (F, C/g, *k): every output position by a loop."""
    nd = x.ndim - 2
    xp = np.pad(x, ((0, 0), (0, 0), *pads))
    k = w.shape[2:]
    out = tuple((n - d * (ka - 1) - 1) // s + 1
                for n, ka, s, d in zip(xp.shape[2:], k, stride, dilation, strict=True))
    Fo, Cg = w.shape[:2]
    y = np.zeros((x.shape[0], Fo, *out))
    for n, f, *pos in np.ndindex(x.shape[0], Fo, *out):
        g = f // (Fo // groups)
        win = tuple(slice(p * s, p * s + d * (ka - 1) + 1, d)
                    for p, s, d, ka in zip(pos, stride, dilation, k, strict=True))
        y[(n, f, *pos)] = (xp[(n, slice(g * Cg, (g + 1) * Cg), *win)] * w[f]).sum() + b[f]
    assert nd == len(out)
    return y


def test_conv3d_matches_the_voxel_loop_and_central_differences() -> None:
    x, w, b = r(2, 4, 5, 4, 6), r(6, 2, 3, 2, 2, seed=1), r(6, seed=2)
    kw = {"stride": (2, 1, 3), "padding": (1, 0, 2), "dilation": (1, 2, 1), "groups": 2}
    ref = naive_conv_nd(x, w, b, kw["stride"], ((1, 1), (0, 0), (2, 2)), kw["dilation"], 2)
    np.testing.assert_allclose(F.conv3d(x, w, b, **kw).data, ref, rtol=1e-12, atol=1e-12)
    report = gradcheck(F.Conv3d, [r(1, 2, 3, 3, 4), r(2, 2, 2, 2, 2, seed=3), r(2, seed=4)],
                       kwargs={"padding": 1, "stride": (1, 2, 1)}, eps=1e-3, order=4)
    assert report.max_rel_error < 1e-8


def test_conv_transpose_is_the_input_gradient_of_the_conv() -> None:
    # <conv(z, w), y> = <z, conv_transpose(y, w)> for every z: the adjoint, written as loops
    for nd, kw in ((1, {"stride": 2, "padding": 1, "dilation": 2}),
                   (3, {"stride": (2, 1, 2), "padding": (1, 0, 0), "dilation": (1, 2, 1)})):
        w = r(3, 2, *(2,) * nd, seed=5)  # conv: 2 -> 3 channels; transposed: 3 -> 2
        z = r(1, 2, *(7,) * nd, seed=6)
        conv = {1: F.conv1d, 3: F.conv3d}[nd](z, w, **kw).data
        y = r(*conv.shape, seed=7)
        convt = {1: F.conv_transpose1d, 3: F.conv_transpose3d}[nd]
        # 7 = (L' - 1) s - 2 p + d (k - 1) + output_padding + 1 fixes output_padding
        op = tuple(7 - ((o - 1) * s - 2 * p + d + 1) for o, s, p, d in zip(
            conv.shape[2:], *(np.broadcast_to(kw[a], nd) for a in ("stride", "padding",
                                                                   "dilation")), strict=True))
        back = convt(y, w, output_padding=op[0] if nd == 1 else op, **kw).data
        assert back.shape == z.shape
        np.testing.assert_allclose((conv * y).sum(), (z * back).sum(), rtol=1e-12)


def _taps(o, k, s, p, d, n):
    return [c for c in (o * s - p + a * d for a in range(k)) if 0 <= c < n]


def naive_max_pool_nd(x, k, s, p, d):
    """(values, flat indices): the first max of each window in row-major order, NaN wins."""
    nd = x.ndim - 2
    sp = x.shape[2:]
    out = tuple((n + 2 * pa - da * (ka - 1) - 1) // sa + 1
                for n, ka, sa, pa, da in zip(sp, k, s, p, d, strict=True))
    vals, idx = np.zeros((*x.shape[:2], *out)), np.zeros((*x.shape[:2], *out), np.int64)
    for n, c, *pos in np.ndindex(*x.shape[:2], *out):
        cells = list(np.ndindex(*[len(_taps(o, ka, sa, pa, da, m)) for o, ka, sa, pa, da, m
                                  in zip(pos, k, s, p, d, sp, strict=True)]))
        taps = [_taps(o, ka, sa, pa, da, m) for o, ka, sa, pa, da, m
                in zip(pos, k, s, p, d, sp, strict=True)]
        best, arg = -math.inf, None
        for cell in cells:
            at = tuple(t[i] for t, i in zip(taps, cell, strict=True))
            val = x[(n, c, *at)]
            if arg is None or val > best or math.isnan(val):
                best, arg = val, at
        vals[(n, c, *pos)] = best
        idx[(n, c, *pos)] = np.ravel_multi_index(arg, sp)
    assert nd == len(out)
    return vals, idx


@pytest.mark.parametrize("fn, xs, k, s, p, d", [
    (F.max_pool1d, (2, 2, 9), (3,), (2,), (1,), (2,)),
    (F.max_pool2d, (1, 2, 7, 8), (3, 2), (2, 3), (1, 1), (1, 2)),
    (F.max_pool3d, (1, 2, 5, 4, 6), (2, 3, 2), (1, 2, 2), (1, 1, 0), (2, 1, 1)),
])
def test_max_pool_values_indices_and_gradient_follow_the_window_loop(fn, xs, k, s, p, d) -> None:
    x = np.random.default_rng(0).integers(-3, 3, xs).astype(np.float64)  # many ties
    x.flat[::7] = -np.inf
    x.flat[5] = np.inf
    x.flat[11] = np.nan
    ref_v, ref_i = naive_max_pool_nd(x, k, s, p, d)
    t = Tensor(x, requires_grad=True)
    vals, idx = fn(t, k, s, p, d, return_indices=True)
    np.testing.assert_array_equal(vals.data, ref_v)
    np.testing.assert_array_equal(idx.data, ref_i)
    assert idx.dtype == np.int64 and not idx.requires_grad
    g = r(*vals.shape, seed=1)
    vals.backward(g)
    planes = xs[0] * xs[1]
    expect = np.zeros((planes, math.prod(xs[2:])))
    np.add.at(expect, (np.arange(planes)[:, None], ref_i.reshape(planes, -1)),
              g.reshape(planes, -1))
    np.testing.assert_array_equal(t.grad, expect.reshape(xs))


def test_max_pool_indices_match_torch_on_ties_and_padding() -> None:
    torch = pytest.importorskip("torch")
    ones = np.ones((1, 1, 6, 6))
    stripes = np.tile(np.array([1.0, 2.0]), (1, 1, 6, 3))
    for x, kw in ((ones, {"kernel_size": 3, "stride": 1}), (stripes, {"kernel_size": 2,
                                                                      "stride": 1}),
                  (r(1, 1, 7, 7), {"kernel_size": 2, "stride": 2, "ceil_mode": True}),
                  (r(1, 1, 5, 5), {"kernel_size": 3, "padding": 1})):
        _, idx = F.max_pool2d(x, return_indices=True, **kw)
        _, ref = torch.nn.functional.max_pool2d(torch.from_numpy(x), return_indices=True, **kw)
        np.testing.assert_array_equal(idx.data, ref.numpy())


def test_max_pool_takes_integer_inputs_forward_only() -> None:
    x = np.arange(-8, 16, dtype=np.int32).reshape(1, 2, 3, 4)
    out = F.max_pool2d(x, 2, padding=1)
    assert out.dtype == np.int32 and not out.requires_grad
    expect = np.array([[[-8, -6, -5], [0, 2, 3]], [[4, 6, 7], [12, 14, 15]]], np.int32)
    np.testing.assert_array_equal(out.data[0], expect)
    u8 = F.max_pool1d(np.array([[[3, 200, 7, 9]]], np.uint8), 2)
    assert u8.dtype == np.uint8 and u8.data.tolist() == [[[200, 9]]]


def test_max_unpool2d_puts_values_back_and_gathers_the_gradient() -> None:
    x = r(2, 3, 6, 7)
    vals, idx = F.max_pool2d(x, 2, return_indices=True)
    t = Tensor(vals.data, requires_grad=True)
    up = F.max_unpool2d(t, idx, 2, output_size=(6, 7))
    assert up.shape == (2, 3, 6, 7)
    expect = np.zeros_like(x)
    for n, c, i, j in np.ndindex(vals.shape):
        expect[n, c].flat[idx.data[n, c, i, j]] = vals.data[n, c, i, j]
    np.testing.assert_array_equal(up.data, expect)
    g = r(*up.shape, seed=2)
    up.backward(g)
    np.testing.assert_array_equal(t.grad, np.take_along_axis(
        g.reshape(6, -1), idx.data.reshape(6, -1), 1).reshape(vals.shape))
    square = F.max_pool2d(x[..., :6], 2, return_indices=True)
    assert F.max_unpool2d(*square, 2).shape == (2, 3, 6, 6)  # default (H - 1) s - 2 p + k
    with pytest.raises(RuntimeError, match="indices must be in"):  # 7 columns do not fit 6
        F.max_unpool2d(vals, idx, 2)
    inf = np.array([[[[np.inf, -np.inf, np.nan], [1.0, 2.0, 3.0]]]])
    np.testing.assert_array_equal(F.max_unpool2d(*F.max_pool2d(inf, 2, return_indices=True),
                                                 2).data, [[[[np.inf, 0.0], [0.0, 0.0]]]])


@pytest.mark.parametrize("fn, nd", [(F.avg_pool1d, 1), (F.avg_pool3d, 3)])
def test_avg_pool_nd_matches_the_window_loop(fn, nd) -> None:
    xs = (2, 2, 7) if nd == 1 else (1, 2, 5, 4, 6)
    k, s, p = (3,) * nd, (2,) * nd, (1,) * nd
    x = r(*xs)
    out = fn(x, k, s, p, ceil_mode=True, count_include_pad=False).data
    for n, c, *pos in np.ndindex(out.shape):
        taps = [_taps(o, ka, sa, pa, 1, m) for o, ka, sa, pa, m
                in zip(pos, k, s, p, xs[2:], strict=True)]
        cells = [x[(n, c, *(t[i] for t, i in zip(taps, cell, strict=True)))]
                 for cell in np.ndindex(*[len(t) for t in taps])]
        np.testing.assert_allclose(out[(n, c, *pos)], np.mean(cells), rtol=1e-13)


def test_conv_error_types_are_runtime_errors_as_torch() -> None:
    with pytest.raises(RuntimeError, match="larger than the padded input"):
        F.conv2d(r(2, 16, 2, 2), r(32, 16, 3, 3))
    with pytest.raises(RuntimeError, match="padding"):
        F.conv2d(r(2, 16, 5, 5), r(32, 16, 3, 3), padding=(1, 1, 1))
    with pytest.raises(ValueError, match="padding"):  # ShapeRuntimeError is a ValueError too
        F.max_pool2d(r(1, 1, 5, 5), 2, padding=(1, 1, 1))


@pytest.mark.parametrize("name", ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d",
                                  "ConvTranspose2d", "ConvTranspose3d", "MaxPool1d", "MaxPool2d",
                                  "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d"])
def test_argument_errors_name_the_function_not_its_shared_base(name) -> None:
    # the 1d/3d Functions inherit forward from a private _ConvNd / _MaxPoolNd / ...
    fn = getattr(F, name)
    with pytest.raises(TypeError, match=rf"^{name}\.forward\(\) got an unexpected keyword "
                                        r"argument 'kernal'"):
        fn.apply(r(1, 1, 4, 4), kernal=2)
    assert fn.forward.__qualname__ == f"{name}.forward"
