"""interpolate (torch's F.interpolate): float32, named errors, values from the documented
source-index formulas written as loops, torch's float32 nearest indexing and its special cases,
integer inputs for the nearest modes, gradients as the transpose of the forward."""
from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor
from minigrad.errors import (
    DTypeError,
    RangeError,
    ShapeError,
    ShapeRuntimeError,
    UnsupportedError,
)
from minigrad.testing import gradcheck
from tests.minigrad.ops.common import check_float32, f32, r

F32_CASES = {
    "Interpolate": lambda: (F.Interpolate, (f32(2, 3, 5, 4),), (0,),
                            {"size": (7, 3), "mode": "bilinear"}),
}

ERROR_CASES = [
    ("Interpolate", "x ndim", lambda: F.interpolate(r(3, 4), size=2), ShapeError,
     ["x must be 3-D, 4-D or 5-D (N, C, *spatial)", "(3, 4)"]),
    ("Interpolate", "both", lambda: F.interpolate(r(1, 1, 4), size=2, scale_factor=2.0),
     RangeError, ["give exactly one of size or scale_factor", "size=2"]),
    ("Interpolate", "neither", lambda: F.interpolate(r(1, 1, 4)), RangeError,
     ["give exactly one of size or scale_factor"]),
    ("Interpolate", "size length", lambda: F.interpolate(r(1, 1, 4, 4), size=(2, 2, 2)),
     ShapeError, ["size must have one entry per spatial axis", "(2, 2, 2)"]),
    ("Interpolate", "size 0", lambda: F.interpolate(r(1, 1, 4), size=0), ShapeRuntimeError,
     ["output sizes must be > 0", "(0,)"]),
    ("Interpolate", "scale", lambda: F.interpolate(r(1, 1, 4), scale_factor=-1.0), RangeError,
     ["scale_factor must hold positive numbers", "-1.0"]),
    ("Interpolate", "mode", lambda: F.interpolate(r(1, 1, 4), size=2, mode="bicubic"),
     UnsupportedError, ["mode must be one of nearest, nearest-exact, linear", "'bicubic'"]),
    ("Interpolate", "mode rank", lambda: F.interpolate(r(1, 1, 4), size=2, mode="bilinear"),
     ShapeError, ["mode 'bilinear' needs 4-D input", "(1, 1, 4)"]),
    ("Interpolate", "align nearest", lambda: F.interpolate(r(1, 1, 4), size=2,
                                                           align_corners=True),
     RangeError, ["align_corners can only be set with the linear modes"]),
    ("Interpolate", "int linear", lambda: F.interpolate(np.ones((1, 1, 4), int), size=2,
                                                        mode="linear"),
     DTypeError, ["x must be a float array for mode 'linear'", "int64"]),
]


def test_float32_with_scale_factor() -> None:  # F32_CASES covers size= with bilinear
    check_float32(F.Interpolate, (f32(2, 3, 5, 4),), (0,), scale_factor=1.5)


def _linear_1d(x, out, align):
    """Resample the last axis of x: src = o (n-1)/(out-1) or (o + 0.5) n/out - 0.5 (>= 0)."""
    n = x.shape[-1]
    y = np.zeros((*x.shape[:-1], out))
    for o in range(out):
        if align:
            src = o * (n - 1) / (out - 1) if out > 1 else 0.0
        else:
            src = max((o + 0.5) * n / out - 0.5, 0.0)
        i0 = min(math.floor(src), n - 1)
        i1 = min(i0 + 1, n - 1)
        lam = src - i0
        y[..., o] = (1 - lam) * x[..., i0] + lam * x[..., i1]
    return y


@pytest.mark.parametrize("align", [False, True])
def test_bilinear_and_trilinear_are_the_linear_rule_along_each_axis(align) -> None:
    x = r(2, 3, 5, 7)
    ref = np.swapaxes(_linear_1d(np.swapaxes(_linear_1d(x, 4, align), 2, 3), 9, align), 2, 3)
    out = F.interpolate(x, size=(9, 4), mode="bilinear", align_corners=align)
    np.testing.assert_allclose(out.data, ref, rtol=1e-12, atol=1e-13)
    x3 = r(1, 2, 3, 4, 5)
    y = _linear_1d(x3, 2, align)  # last axis, then the middle one, then the first
    y = np.swapaxes(_linear_1d(np.swapaxes(y, 3, 4), 6, align), 3, 4)
    y = np.swapaxes(_linear_1d(np.swapaxes(y, 2, 4), 1, align), 2, 4)
    out3 = F.interpolate(x3, size=(1, 6, 2), mode="trilinear", align_corners=align)
    np.testing.assert_allclose(out3.data, y, rtol=1e-12, atol=1e-13)


def test_nearest_modes_pick_the_documented_source_index() -> None:
    x = np.arange(13.0).reshape(1, 1, 13)
    for out in (9, 5, 20, 26, 13):
        near = F.interpolate(x, size=out).data[0, 0]
        exact = F.interpolate(x, size=out, mode="nearest-exact").data[0, 0]
        np.testing.assert_array_equal(near, [min(math.floor(o * 13 / out), 12)
                                             for o in range(out)])
        np.testing.assert_array_equal(exact, [min(math.floor((o + 0.5) * 13 / out), 12)
                                              for o in range(out)])


def test_scale_factor_sets_the_size_and_the_source_scale() -> None:
    x = np.arange(5.0).reshape(1, 1, 5)
    out = F.interpolate(x, scale_factor=1.7, mode="linear").data[0, 0]  # floor(8.5) = 8
    ref = [np.interp(max((o + 0.5) / 1.7 - 0.5, 0), np.arange(5), x[0, 0]) for o in range(8)]
    np.testing.assert_allclose(out, ref, rtol=1e-12)
    again = F.interpolate(x, scale_factor=1.7, mode="linear", recompute_scale_factor=True)
    np.testing.assert_allclose(again.data[0, 0], _linear_1d(x, 8, False)[0, 0], rtol=1e-12)
    same = F.interpolate(x, scale_factor=1.1, mode="linear")  # floor(5.5) = 5: a copy, as torch
    np.testing.assert_array_equal(same.data, x)


def test_torch_nearest_special_cases_and_float32_indexing() -> None:
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    for shape, factor in (((1, 1, 8), 1.109), ((1, 1, 7, 3), (2.056, 1.0)),
                          ((1, 1, 7, 2, 2), (2.056, 1.0, 1.0)), ((1, 1, 8, 3), (1.109, 1.0)),
                          ((1, 1, 10), 0.3), ((1, 1, 3, 3), 3.0)):
        x = np.arange(math.prod(shape), dtype=np.float64).reshape(shape)
        for mode in ("nearest", "nearest-exact"):
            ref = tf.interpolate(torch.from_numpy(x), scale_factor=factor, mode=mode)
            np.testing.assert_array_equal(F.interpolate(x, scale_factor=factor, mode=mode).data,
                                          ref.numpy())


def test_integer_images_resample_with_the_nearest_modes() -> None:
    img = np.arange(64, dtype=np.uint8).reshape(1, 1, 8, 8)
    out = F.interpolate(img, size=(3, 5))
    assert out.dtype == np.uint8 and not out.requires_grad
    rows, cols = [math.floor(o * 8 / 3) for o in range(3)], [math.floor(o * 8 / 5)
                                                             for o in range(5)]
    np.testing.assert_array_equal(out.data[0, 0], img[0, 0][np.ix_(rows, cols)])


def test_uint8_bilinear_rounds_each_pass_as_torch() -> None:
    x = np.array([[[[0, 255], [255, 0]]]], np.uint8)
    out = F.interpolate(x[:, :, :1], size=(1, 4), mode="bilinear")  # 0 + (0.25, 0.75) * 255
    assert out.dtype == np.uint8 and out.data.tolist() == [[[[0, 64, 191, 255]]]]
    torch = pytest.importorskip("torch")
    img = np.random.default_rng(0).integers(0, 256, (2, 3, 64, 61)).astype(np.uint8)
    for kw in ({"size": (10, 10)}, {"size": (100, 37), "align_corners": True},
               {"scale_factor": (0.37, 1.9)}, {"size": (64, 20)}):
        ref = torch.nn.functional.interpolate(torch.from_numpy(img), mode="bilinear", **kw)
        np.testing.assert_array_equal(F.interpolate(img, mode="bilinear", **kw).data,
                                      ref.numpy())


def test_gradient_is_the_transpose_of_the_forward() -> None:
    for kw in ({"size": (7, 3), "mode": "bilinear"}, {"size": (5, 9), "mode": "nearest"},
               {"scale_factor": (2.5, 0.5), "mode": "nearest-exact"},
               {"size": (4, 4), "mode": "bilinear", "align_corners": True}):
        x = r(1, 2, 4, 6)
        t = Tensor(x, requires_grad=True)
        out = F.interpolate(t, **kw)
        g = r(*out.shape, seed=3)
        out.backward(g)
        jac = np.stack([F.interpolate(e.reshape(x.shape), **kw).data.ravel()
                        for e in np.eye(x.size)], axis=1)  # (out, in): the forward's matrix
        np.testing.assert_allclose(t.grad.ravel(), jac.T @ g.ravel(), rtol=1e-12, atol=1e-13)
    report = gradcheck(F.Interpolate, [r(2, 1, 3, 2, 4)], kwargs={"size": (4, 3, 2),
                                                                  "mode": "trilinear"},
                       eps=1e-3, order=4)
    assert report.max_rel_error < 1e-8


def test_inf_reaches_only_the_outputs_that_read_it() -> None:
    x = np.array([[[0.0, 1.0, np.inf, 3.0]]])
    out = F.interpolate(x, size=8, mode="linear").data[0, 0]
    assert np.isfinite(out[:3]).all() and np.isinf(out[4]) and not np.isnan(out[:4]).any()


def test_upsample_aliases() -> None:
    x = r(1, 2, 3, 4)
    np.testing.assert_array_equal(F.upsample_nearest(x, scale_factor=2).data,
                                  F.interpolate(x, scale_factor=2).data)
    np.testing.assert_array_equal(F.upsample_bilinear(x, size=(5, 6)).data,
                                  F.interpolate(x, size=(5, 6), mode="bilinear",
                                                align_corners=True).data)
    np.testing.assert_array_equal(F.upsample(x, size=(5, 6)).data,
                                  F.interpolate(x, size=(5, 6)).data)
