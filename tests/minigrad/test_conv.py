"""Conv2d / MaxPool2d: forward vs naive loops, float64 numerical gradients, tie rule, errors.

Output sizes floor like torch: windows that do not tile the input are cropped, not an error.
"""
from __future__ import annotations

import numpy as np
import pytest

from minigrad import Tensor
from minigrad.errors import DTypeError, RangeError, ShapeError
from minigrad.functional import (
    Conv1d,
    Conv2d,
    ConvTranspose2d,
    MaxPool2d,
    conv1d,
    conv2d,
    conv_transpose2d,
    max_pool2d,
)
from minigrad.testing import gradcheck


def naive_conv(x, w, b, stride, pad):
    """CS231n conv_forward_naive: explicit loops over every output pixel."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    Ho = 1 + (H + 2 * pad - HH) // stride
    Wo = 1 + (W + 2 * pad - WW) // stride
    out = np.zeros((N, F, Ho, Wo), dtype=x.dtype)
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    patch = xp[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = (patch * w[f]).sum() + b[f]
    return out


def naive_pool(x, k, stride):
    N, C, H, W = x.shape
    Ho, Wo = 1 + (H - k) // stride, 1 + (W - k) // stride
    out = np.zeros((N, C, Ho, Wo), dtype=x.dtype)
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i * stride:i * stride + k, j * stride:j * stride + k].max(
                axis=(2, 3))
    return out


def numerical_grad(f, arrays, idx, eps=1e-6):
    """Central differences of the scalar f(*arrays) with respect to arrays[idx] (float64)."""
    a = arrays[idx]
    g = np.zeros_like(a)
    it = np.nditer(a, flags=["multi_index"])
    for _ in it:
        k = it.multi_index
        old = a[k]
        a[k] = old + eps
        fp = f(*arrays)
        a[k] = old - eps
        fm = f(*arrays)
        a[k] = old
        g[k] = (fp - fm) / (2 * eps)
    return g


CONV_CASES = [  # x shape, w shape, stride, pad
    ((2, 3, 5, 5), (4, 3, 3, 3), 1, 0),
    ((2, 3, 5, 5), (4, 3, 3, 3), 2, 1),
    ((1, 2, 6, 7), (3, 2, 3, 2), 1, 1),
    ((2, 1, 7, 7), (2, 1, 3, 3), 2, 0),
    ((1, 2, 4, 4), (2, 2, 1, 1), 1, 0),
    ((1, 2, 4, 4), (2, 2, 4, 4), 1, 0),
]


@pytest.mark.parametrize("xs, ws, stride, pad", CONV_CASES)
def test_conv_forward_matches_naive(xs, ws, stride, pad):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    out = conv2d(x, w, b, stride=stride, pad=pad)
    np.testing.assert_allclose(out.data, naive_conv(x, w, b, stride, pad), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("xs, ws, stride, pad", CONV_CASES)
def test_conv_gradients_match_central_differences(xs, ws, stride, pad):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])]
    out_shape = naive_conv(*arrays, stride, pad).shape
    dout = rng.standard_normal(out_shape)

    def f(x, w, b):
        return float((Conv2d.apply(x, w, b, stride=stride, pad=pad).data * dout).sum())

    ts = [Tensor(a, requires_grad=True) for a in arrays]
    Conv2d.apply(*ts, stride=stride, pad=pad).backward(dout)
    for i, t in enumerate(ts):
        assert t.grad.shape == arrays[i].shape and t.grad.dtype == np.float64
        np.testing.assert_allclose(t.grad, numerical_grad(f, arrays, i), rtol=1e-6, atol=1e-8,
                                   err_msg=f"input {i}")


@pytest.mark.parametrize("xs, ws, stride, pad", CONV_CASES[:3])
def test_conv_passes_minigrad_gradcheck(xs, ws, stride, pad):
    rng = np.random.default_rng(7)
    args = [rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])]
    report = gradcheck(Conv2d, args, kwargs={"stride": stride, "pad": pad}, fast=False,
                       eps=1e-3, order=4)
    assert report.passed and report.max_rel_error < 1e-7


def test_conv_only_some_inputs_need_grad():
    rng = np.random.default_rng(2)
    x = Tensor(rng.standard_normal((1, 2, 4, 4)), requires_grad=True)
    w, b = rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)
    conv2d(x, w, b, pad=1).sum().backward()
    full = [Tensor(a, requires_grad=True) for a in (x.data, w, b)]
    conv2d(*full, pad=1).sum().backward()
    np.testing.assert_allclose(x.grad, full[0].grad)


POOL_CASES = [  # x shape, kernel, stride
    ((2, 2, 4, 4), 2, 2),
    ((1, 2, 5, 5), 3, 2),  # overlapping windows
    ((1, 1, 4, 6), 2, 1),
    ((2, 3, 6, 6), 3, 3),
    ((1, 1, 3, 3), 1, 1),
]


def distinct(rng, shape):
    """Values spaced >= 0.01 apart so that eps-perturbations never change a window's argmax."""
    return rng.permutation(np.arange(np.prod(shape))).reshape(shape) * 0.01 - 1.0


@pytest.mark.parametrize("xs, k, stride", POOL_CASES)
def test_pool_forward_matches_naive(xs, k, stride):
    x = np.random.default_rng(3).standard_normal(xs)
    np.testing.assert_array_equal(max_pool2d(x, kernel=k, stride=stride).data,
                                  naive_pool(x, k, stride))


@pytest.mark.parametrize("xs, k, stride", POOL_CASES[:3])
def test_pool_passes_minigrad_gradcheck(xs, k, stride):
    x = distinct(np.random.default_rng(8), xs)
    report = gradcheck(MaxPool2d, [x], kwargs={"kernel": k, "stride": stride}, fast=False,
                       eps=1e-3, order=4)
    assert report.passed and report.max_rel_error < 1e-7


@pytest.mark.parametrize("xs, k, stride", POOL_CASES)
def test_pool_gradient_matches_central_differences(xs, k, stride):
    rng = np.random.default_rng(4)
    x = distinct(rng, xs)
    dout = rng.standard_normal(naive_pool(x, k, stride).shape)

    def f(a):
        return float((MaxPool2d.apply(a, kernel=k, stride=stride).data * dout).sum())

    t = Tensor(x, requires_grad=True)
    MaxPool2d.apply(t, kernel=k, stride=stride).backward(dout)
    np.testing.assert_allclose(t.grad, numerical_grad(f, [x], 0, eps=1e-4), rtol=1e-6, atol=1e-8)


def test_pool_tie_gradient_goes_to_first_max_in_row_major_order():
    x = Tensor(np.array([[[[1.0, 3.0, 2.0, 2.0],
                           [3.0, 0.0, 2.0, 2.0]]]]), requires_grad=True)
    max_pool2d(x, kernel=2, stride=2).sum().backward()
    expected = np.array([[[[0.0, 1.0, 1.0, 0.0],
                           [0.0, 0.0, 0.0, 0.0]]]])
    np.testing.assert_array_equal(x.grad, expected)


def test_pool_overlapping_windows_accumulate_on_a_shared_max():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 5.0  # the max of all four 2x2 windows at stride 1
    t = Tensor(x, requires_grad=True)
    max_pool2d(t, kernel=2, stride=1).sum().backward()
    expected = np.zeros((1, 1, 3, 3))
    expected[0, 0, 1, 1] = 4.0
    np.testing.assert_array_equal(t.grad, expected)


def test_float32_stays_float32():
    rng = np.random.default_rng(5)
    x64, w64, b64 = (rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((4, 3, 3, 3)),
                     rng.standard_normal(4))
    ts = [Tensor(a.astype(np.float32), requires_grad=True) for a in (x64, w64, b64)]
    out = max_pool2d(conv2d(*ts, stride=1, pad=1))
    assert out.dtype == np.float32 and out.shape == (2, 4, 3, 3)
    out.sum().backward()
    assert all(t.grad.dtype == np.float32 for t in ts)
    ref = naive_pool(naive_conv(x64, w64, b64, 1, 1), 2, 2)
    np.testing.assert_allclose(out.data, ref, rtol=1e-4, atol=1e-4)


def _conv_args():
    rng = np.random.default_rng(6)
    return rng.standard_normal((2, 3, 5, 5)), rng.standard_normal((4, 3, 3, 3)), np.zeros(4)


@pytest.mark.parametrize("change, kwargs, error, words", [
    (lambda x, w, b: (x[0], w, b), {}, ShapeError, "x must be 4-D"),
    (lambda x, w, b: (x, w[0], b), {}, ShapeError, "w must be 4-D"),
    (lambda x, w, b: (x, w, b[None]), {}, ShapeError, "b must be 1-D"),
    (lambda x, w, b: (x[:, :2], w, b), {}, ShapeError, "x.shape[1] must equal w.shape[1]"),
    (lambda x, w, b: (x, w, b[:3]), {}, ShapeError, "b.shape[0] must equal w.shape[0]"),
    (lambda x, w, b: (x[:, :, :2, :2], w, b), {}, ShapeError, "larger than the padded input"),
    (lambda x, w, b: (x, w, b), {"stride": 0}, ShapeError, "stride must be an int >= 1"),
    (lambda x, w, b: (x, w, b), {"pad": -1}, ShapeError, "pad must be an int >= 0"),
    (lambda x, w, b: (x, w, b), {"stride": 1.0}, ShapeError, "stride must be an int"),
    (lambda x, w, b: (x[:0], w, b), {}, ShapeError, "non-empty"),
    (lambda x, w, b: (x.astype(np.float32), w, b), {}, DTypeError, "x float32, w float64"),
    (lambda x, w, b: (x.astype(np.int64), w, b), {}, DTypeError, "x must be a float array"),
    (lambda x, w, b: (np.where(x > 1, np.nan, x), w, b), {}, RangeError, "x must be finite"),
    (lambda x, w, b: (x, w, b + np.array([np.inf, 0, 0, 0])), {}, RangeError, "b must be finite"),
])
def test_conv_bad_inputs_raise_named_errors(change, kwargs, error, words):
    with pytest.raises(error, match="^Conv2d: ") as info:
        conv2d(*change(*_conv_args()), **kwargs)
    assert words in str(info.value)


def test_conv_windows_that_do_not_tile_are_cropped_like_torch():
    x, w, b = _conv_args()  # 5x5 input, 3x3 kernel, stride 3: (5 - 3) / 3 is not an integer
    out = conv2d(x, w, b, stride=3)
    assert out.shape == (2, 4, 1, 1)
    np.testing.assert_allclose(out.data, naive_conv(x, w, b, 3, 0), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("xs, k, stride", [((1, 1, 5, 4), 2, 2), ((1, 2, 4, 5), 2, 2),
                                           ((2, 1, 7, 6), 3, 2)])
def test_pool_windows_that_do_not_tile_are_cropped_like_torch(xs, k, stride):
    x = np.random.default_rng(9).standard_normal(xs)
    out = max_pool2d(x, kernel=k, stride=stride)
    assert out.shape[2:] == ((xs[2] - k) // stride + 1, (xs[3] - k) // stride + 1)
    np.testing.assert_array_equal(out.data, naive_pool(x, k, stride))


def test_conv_padding_makes_a_large_kernel_fit():
    x, w, b = _conv_args()
    assert conv2d(x[:, :, :2, :2], w, b, pad=1).shape == (2, 4, 2, 2)


@pytest.mark.parametrize("x, kwargs, error, words", [
    (np.zeros((4, 4)), {}, ShapeError, "x must be 4-D"),
    (np.zeros((1, 1, 2, 2)), {"kernel": 3, "stride": 1}, ShapeError, "larger than the padded"),
    (np.zeros((1, 1, 4, 4)), {"kernel": 0}, ShapeError, "kernel must be an int >= 1"),
    (np.zeros((1, 1, 4, 4), dtype=bool), {}, DTypeError, "float or integer array"),
    (np.zeros((0, 1, 4, 4)), {}, ShapeError, "non-empty"),
])
def test_pool_bad_inputs_raise_named_errors(x, kwargs, error, words):
    with pytest.raises(error, match="^MaxPool2d: ") as info:
        max_pool2d(x, **kwargs)
    assert words in str(info.value)


# ----- layers: torch's names and reprs, CS231n's positional form -------------------------------
def test_conv2d_layer_takes_torch_names_and_prints_like_torch():
    from minigrad.nn import Conv2d

    conv = Conv2d(in_channels=4, out_channels=6, kernel_size=(3, 2), stride=2, dilation=2,
                  groups=2, bias=False, dtype=np.float64)
    assert repr(conv) == ("Conv2d(4, 6, kernel_size=(3, 2), stride=(2, 2), dilation=(2, 2), "
                          "groups=2, bias=False)")
    assert [n for n, _ in conv.named_parameters()] == ["weight"] and conv.bias is None
    assert conv.weight.shape == (6, 2, 3, 2)
    assert np.abs(conv.weight.data).max() <= 1 / np.sqrt(2 * 3 * 2)  # torch's bound, fan_in/groups
    x = np.random.default_rng(0).standard_normal((1, 4, 9, 8))
    np.testing.assert_allclose(conv(x).data, conv2d(x, conv.weight.data, None, stride=2,
                                                    dilation=2, groups=2).data)
    assert repr(Conv2d(3, 16, 3, padding=1)) == ("Conv2d(3, 16, kernel_size=(3, 3), "
                                                 "stride=(1, 1), padding=(1, 1))")
    assert repr(Conv2d(3, 4, 3, padding="same")).endswith("padding=same)")


def test_conv2d_layer_keeps_the_cs231n_positional_form_and_its_weights():
    from minigrad.nn import Conv2d

    old = Conv2d(3, 5, 3, 1, 1, np.float64, np.random.default_rng(4))
    new = Conv2d(3, 5, 3, stride=1, pad=1, dtype=np.float64, rng=np.random.default_rng(4))
    rng, bound = np.random.default_rng(4), 1 / np.sqrt(27)
    w, b = rng.uniform(-bound, bound, (5, 3, 3, 3)), rng.uniform(-bound, bound, 5)
    for conv in (old, new):
        assert conv.padding == (1, 1) and conv.weight.dtype == np.float64
        np.testing.assert_array_equal(conv.weight.data, w)  # same draws as before: weight, bias
        np.testing.assert_array_equal(conv.bias.data, b)


@pytest.mark.parametrize("kwargs, error, words", [
    ({"groups": 2}, ShapeError, "divisible by groups 2"),
    ({"padding_mode": "reflect"}, ShapeError, "padding_mode='zeros'"),
    ({"padding": 1, "pad": 1}, TypeError, "not both"),
    ({"stride": 2, "padding": "same"}, ShapeError, "needs stride 1"),
    ({"kernel_size": 0}, ShapeError, "kernel_size must be an int >= 1"),
])
def test_conv2d_layer_bad_settings_raise_named_errors(kwargs, error, words):
    from minigrad.nn import Conv2d

    args = {"in_channels": 3, "out_channels": 4, "kernel_size": 3, **kwargs}
    with pytest.raises(error, match="^Conv2d: ") as info:
        Conv2d(**args)
    assert words in str(info.value)


def test_pool_layers_take_torch_names_and_print_like_torch():
    from minigrad.nn import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d

    x = np.random.default_rng(1).standard_normal((2, 3, 7, 6))
    pool = MaxPool2d((3, 2), stride=1, padding=1, ceil_mode=True)
    assert repr(pool) == ("MaxPool2d(kernel_size=(3, 2), stride=1, padding=1, dilation=1, "
                          "ceil_mode=True)")
    np.testing.assert_array_equal(pool(x).data, max_pool2d(x, (3, 2), 1, 1, ceil_mode=True).data)
    assert repr(MaxPool2d(kernel=2)) == ("MaxPool2d(kernel_size=2, stride=2, padding=0, "
                                         "dilation=1, ceil_mode=False)")
    avg = AvgPool2d(3, 2, 1, count_include_pad=False)
    assert repr(avg) == "AvgPool2d(kernel_size=3, stride=2, padding=1)"
    from minigrad.functional import adaptive_avg_pool2d, avg_pool2d

    np.testing.assert_array_equal(avg(x).data, avg_pool2d(x, 3, 2, 1, count_include_pad=False).data)
    ada = AdaptiveAvgPool2d((1, None))
    assert repr(ada) == "AdaptiveAvgPool2d(output_size=(1, None))"
    np.testing.assert_allclose(ada(x).data, x.mean(axis=2, keepdims=True), atol=1e-15)
    np.testing.assert_allclose(adaptive_avg_pool2d(x, 1).data, x.mean(axis=(2, 3), keepdims=True),
                               atol=1e-15)
    vals, idx = MaxPool2d(2, return_indices=True)(x)
    ref_v, ref_i = max_pool2d(x, 2, return_indices=True)
    np.testing.assert_array_equal(vals.data, ref_v.data)
    np.testing.assert_array_equal(idx.data, ref_i.data)
    with pytest.raises(ShapeError, match="^MaxPool2d: return_indices must be a bool"):
        MaxPool2d(2, return_indices="yes")
    with pytest.raises(TypeError, match="^AvgPool2d: kernel_size is required"):
        AvgPool2d()
    with pytest.raises(ShapeError, match="^AdaptiveAvgPool2d: output_size"):
        AdaptiveAvgPool2d((2, 0))


def test_upsample_layer_is_interpolate_and_prints_like_torch():
    from minigrad.functional import interpolate
    from minigrad.nn import Upsample

    x = np.random.default_rng(2).standard_normal((1, 2, 3, 4))
    up = Upsample(scale_factor=2)
    assert repr(up) == "Upsample(scale_factor=2.0, mode='nearest')"
    np.testing.assert_array_equal(up(x).data, np.repeat(np.repeat(x, 2, axis=2), 2, axis=3))
    bil = Upsample(size=(5, 7), mode="bilinear", align_corners=True)
    assert repr(bil) == "Upsample(size=(5, 7), mode='bilinear')"
    np.testing.assert_array_equal(bil(x).data, interpolate(x, (5, 7), mode="bilinear",
                                                           align_corners=True).data)
    assert repr(Upsample(scale_factor=(2, 1.5))) == "Upsample(scale_factor=(2.0, 1.5), " \
                                                     "mode='nearest')"


# ----- conv1d, conv_transpose2d: pixel loops from torch's definitions ---------------------------
def naive_conv1d(x, w, b, stride, pads, dilation, groups):
    xp = np.pad(x, ((0, 0), (0, 0), pads))
    F, Cg, k = w.shape
    Lo = (xp.shape[2] - dilation * (k - 1) - 1) // stride + 1
    out = np.zeros((x.shape[0], F, Lo))
    for n, f, i in np.ndindex(x.shape[0], F, Lo):
        g = f // (F // groups)
        taps = xp[n, g * Cg:(g + 1) * Cg, i * stride:i * stride + dilation * (k - 1) + 1:dilation]
        out[n, f, i] = (taps * w[f]).sum() + (0.0 if b is None else b[f])
    return out


def naive_conv_transpose(x, w, b, stride, padding, output_padding, groups, dilation):
    """Each input pixel scatters x · w into the output at (h s + i d, w s + j d), then crop."""
    N, C, H, W = x.shape
    _, Fg, kh, kw = w.shape
    s, p, op, d = stride, padding, output_padding, dilation
    full = np.zeros((N, Fg * groups, (H - 1) * s + d * (kh - 1) + 1 + op,
                     (W - 1) * s + d * (kw - 1) + 1 + op))
    for n, c, h, q, i, j in np.ndindex(N, C, H, W, kh, kw):
        g = c // (C // groups)
        full[n, g * Fg:(g + 1) * Fg, h * s + i * d, q * s + j * d] += x[n, c, h, q] * w[c, :, i, j]
    out = full[:, :, p:full.shape[2] - p, p:full.shape[3] - p]
    return out if b is None else out + b[:, None, None]


@pytest.mark.parametrize("xs, ws, kwargs, pads", [
    ((2, 4, 9), (6, 2, 3), {"stride": 2, "padding": 1, "groups": 2}, (1, 1)),
    ((2, 3, 7), (4, 3, 2), {"padding": "same", "dilation": 3}, (1, 2)),
    ((1, 2, 8), (3, 2, 3), {"stride": (3,), "dilation": (2,), "padding": (1,)}, (1, 1)),
])
def test_conv1d_matches_the_loop_and_gradcheck(xs, ws, kwargs, pads):
    rng = np.random.default_rng(10)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    ref = naive_conv1d(x, w, b, _one(kwargs.get("stride", 1)), pads,
                       _one(kwargs.get("dilation", 1)), kwargs.get("groups", 1))
    np.testing.assert_allclose(conv1d(x, w, b, **kwargs).data, ref, rtol=1e-12, atol=1e-12)
    for args in ([x, w, b], [x, w, None]):
        report = gradcheck(Conv1d, args, kwargs=kwargs, eps=1e-3, order=4)
        assert report.max_rel_error < 1e-8, report.rel_errors


def _one(v):
    return v[0] if isinstance(v, tuple) else v


@pytest.mark.parametrize("xs, ws, kwargs", [
    ((2, 3, 4, 5), (3, 4, 3, 3), {"stride": 2, "padding": 1, "output_padding": 1}),
    ((2, 4, 3, 3), (4, 2, 2, 2), {"stride": 3, "output_padding": 2, "groups": 2}),
    ((1, 2, 3, 4), (2, 3, 3, 2), {"padding": 1, "output_padding": 1, "dilation": 2}),
])
def test_conv_transpose2d_matches_the_scatter_loop_and_gradcheck(xs, ws, kwargs):
    rng = np.random.default_rng(11)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    b = rng.standard_normal(ws[1] * kwargs.get("groups", 1))
    ref = naive_conv_transpose(x, w, b, kwargs.get("stride", 1), kwargs.get("padding", 0),
                               kwargs["output_padding"], kwargs.get("groups", 1),
                               kwargs.get("dilation", 1))
    out = conv_transpose2d(x, w, b, **kwargs)
    assert out.shape == ref.shape
    np.testing.assert_allclose(out.data, ref, rtol=1e-12, atol=1e-12)
    for args in ([x, w, b], [x, w, None]):
        report = gradcheck(ConvTranspose2d, args, kwargs=kwargs, eps=1e-3, order=4)
        assert report.max_rel_error < 1e-8, report.rel_errors


def test_conv_transpose2d_is_the_input_gradient_of_conv2d():
    rng = np.random.default_rng(12)
    w, dout = rng.standard_normal((3, 2, 3, 3)), rng.standard_normal((2, 3, 5, 5))
    x = Tensor(rng.standard_normal((2, 2, 9, 9)), requires_grad=True)  # (9 + 2 - 3) / 2 + 1 = 5
    conv2d(x, w, None, stride=2, padding=1).backward(dout)
    ref = conv_transpose2d(dout, w, stride=2, padding=1)  # (5 - 1) 2 - 2 + 3 = 9
    np.testing.assert_allclose(x.grad, ref.data, atol=1e-12)
