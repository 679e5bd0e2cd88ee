"""Norm family: LayerNorm, BatchNorm (batch and running statistics), GroupNorm / instance norm;
float32, named errors, values, gradients and running-statistics updates from numpy formulas."""
from __future__ import annotations

import numpy as np

import minigrad.functional as F
from minigrad import Tensor
from minigrad.errors import DTypeError, RangeError, ShapeError
from tests.minigrad.ops.common import f32, r

F32_CASES = {
    "LayerNorm": lambda: (F.LayerNorm, (f32(2, 3, 4), f32(4, seed=2), f32(4, seed=3)), (0, 1, 2)),
    "BatchNorm": lambda: (F.BatchNorm, (f32(5, 3, 2), f32(3, seed=2), f32(3, seed=3)),
                          (0, 1, 2)),
    "GroupNorm": lambda: (F.GroupNorm, (f32(2, 4, 3), f32(4, seed=2), f32(4, seed=3)),
                          (0, 1, 2)),
}

I = np.arange(6).reshape(2, 3)  # an int array

ERROR_CASES = [
    ("LayerNorm", "shape", lambda: F.layer_norm(r(2, 3), (4,)), ShapeError,
     ["x.shape[-1:]", "normalized_shape (4,)", "(2, 3)"]),
    ("LayerNorm", "weight", lambda: F.layer_norm(r(2, 3), 3, weight=r(4)), ShapeError,
     ["weight", "(3,)", "(4,)"]),
    ("LayerNorm", "no shape", lambda: F.LayerNorm.apply(r(2, 3)), ShapeError,
     ["normalized_shape must be given"]),
    ("LayerNorm", "int x", lambda: F.layer_norm(I, 3), DTypeError, ["x", "float", "int64"]),
    ("LayerNorm", "dtype", lambda: F.layer_norm(r(2, 3), 3, r(3).astype(np.float32)),
     DTypeError, ["share one dtype", "float64", "float32"]),
    ("LayerNorm", "eps", lambda: F.layer_norm(r(2, 3), 3, eps=-1.0), RangeError, ["eps", ">= 0"]),
    ("BatchNorm", "one value", lambda: F.batch_norm(r(1, 3), None, None, training=True),
     ShapeError, ["more than 1 value per channel", "(1, 3)"]),
    ("BatchNorm", "eval no stats", lambda: F.batch_norm(r(4, 3), None, None), ShapeError,
     ["running_mean and running_var", "training=False"]),
    ("BatchNorm", "1-D", lambda: F.batch_norm(r(4), None, None, training=True), ShapeError,
     ["at least 2-D", "(4,)"]),
    ("BatchNorm", "stats shape", lambda: F.batch_norm(r(4, 3), r(2), r(3)), ShapeError,
     ["running_mean", "(C,)", "(2,)"]),
    ("BatchNorm", "int stats", lambda: F.batch_norm(r(4, 3), np.zeros(3, int), r(3)),
     DTypeError, ["running_mean", "float", "int64"]),
    ("BatchNorm", "momentum", lambda: F.batch_norm(r(4, 3), None, None, training=True,
                                                   momentum=1.5), RangeError, ["momentum", "1.5"]),
    ("BatchNorm", "bias", lambda: F.batch_norm(r(4, 3), r(3), r(3), bias=r(4)), ShapeError,
     ["bias", "(3,)", "(4,)"]),
    ("GroupNorm", "groups", lambda: F.group_norm(r(2, 6, 3), 4), ShapeError,
     ["num_groups", "divisor of C = 6", "4"]),
    ("GroupNorm", "1-D", lambda: F.group_norm(r(6), 2), ShapeError, ["at least 2-D", "(6,)"]),
    ("GroupNorm", "instance 1 value", lambda: F.instance_norm(r(2, 3, 1)), ShapeError,
     ["instance_norm", "more than one spatial value", "(2, 3, 1)"]),
]


def _normalise(x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


# ----- LayerNorm ------------------------------------------------------------------------------
def test_layer_norm_values_over_the_last_axes():
    x, w, b = r(2, 3, 4, 5), r(4, 5, seed=1), r(4, 5, seed=2)
    out = F.layer_norm(x, (4, 5), w, b, eps=1e-3)
    np.testing.assert_allclose(out.data, _normalise(x, (2, 3), 1e-3) * w + b, atol=1e-12)
    out1 = F.layer_norm(x, 5)  # an int normalized_shape, no affine
    np.testing.assert_allclose(out1.data, _normalise(x, (3,), 1e-5), atol=1e-12)
    # weight alone fixes the shape
    np.testing.assert_allclose(F.LayerNorm.apply(x, w, b).data, _normalise(x, (2, 3), 1e-5) * w
                               + b, atol=1e-12)


def test_layer_norm_gradients():
    x = Tensor(r(3, 6), requires_grad=True)
    w, b = Tensor(r(6, seed=1), requires_grad=True), Tensor(r(6, seed=2), requires_grad=True)
    dout = r(3, 6, seed=3)
    F.layer_norm(x, 6, w, b).backward(dout)
    xhat = _normalise(x.data, (1,), 1e-5)
    np.testing.assert_allclose(w.grad, (dout * xhat).sum(0), atol=1e-12)
    np.testing.assert_allclose(b.grad, dout.sum(0), atol=1e-12)
    # the output is invariant to shifting a row, so each row's gradient sums to 0
    np.testing.assert_allclose(x.grad.sum(1), 0, atol=1e-12)
    # and to scaling it (eps aside): <dx, x - mean> = 0 when eps = 0
    x2 = Tensor(r(3, 6), requires_grad=True)
    F.layer_norm(x2, 6, eps=0.0).backward(dout)
    xc = x2.data - x2.data.mean(1, keepdims=True)
    np.testing.assert_allclose((x2.grad * xc).sum(1), 0, atol=1e-12)


# ----- BatchNorm ------------------------------------------------------------------------------
def test_batch_norm_training_uses_batch_statistics_and_updates_running_ones():
    x = r(6, 3, 4) + np.array([1.0, -2.0, 5.0])[:, None]
    w, b = r(3, seed=1), r(3, seed=2)
    rm, rv = np.array([0.5, 0.0, -1.0]), np.array([1.0, 2.0, 0.5])
    rm0, rv0 = rm.copy(), rv.copy()
    out = F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.3, eps=1e-4)
    expect = _normalise(x, (0, 2), 1e-4) * w[:, None] + b[:, None]
    np.testing.assert_allclose(out.data, expect, atol=1e-12)
    mean, var_unbiased = x.mean(axis=(0, 2)), x.var(axis=(0, 2), ddof=1)
    np.testing.assert_allclose(rm, 0.7 * rm0 + 0.3 * mean, atol=1e-14)
    np.testing.assert_allclose(rv, 0.7 * rv0 + 0.3 * var_unbiased, atol=1e-14)


def test_batch_norm_eval_uses_running_statistics_and_its_gradients():
    x = Tensor(r(4, 3, 2, 2), requires_grad=True)
    w, b = Tensor(r(3, seed=1), requires_grad=True), Tensor(r(3, seed=2), requires_grad=True)
    rm, rv = np.array([0.5, 0.0, -1.0]), np.array([1.0, 2.0, 0.5])
    out = F.batch_norm(x, rm, rv, w, b, training=False, eps=1e-3)
    view = (1, 3, 1, 1)
    inv = 1 / np.sqrt(rv + 1e-3).reshape(view)
    xhat = (x.data - rm.reshape(view)) * inv
    np.testing.assert_allclose(out.data, xhat * w.data.reshape(view) + b.data.reshape(view),
                               atol=1e-12)
    dout = r(4, 3, 2, 2, seed=4)
    out.backward(dout)
    np.testing.assert_allclose(x.grad, dout * w.data.reshape(view) * inv, atol=1e-12)
    np.testing.assert_allclose(w.grad, (dout * xhat).sum((0, 2, 3)), atol=1e-12)
    np.testing.assert_allclose(b.grad, dout.sum((0, 2, 3)), atol=1e-12)
    np.testing.assert_array_equal(rm, [0.5, 0.0, -1.0])  # eval leaves the statistics alone


def test_batch_norm_training_gradient_matches_the_closed_form():
    x = Tensor(r(5, 2), requires_grad=True)
    dout = r(5, 2, seed=3)
    F.batch_norm(x, None, None, training=True, eps=1e-5).backward(dout)
    xhat = _normalise(x.data, (0,), 1e-5)
    inv = 1 / np.sqrt(x.data.var(0) + 1e-5)
    expect = inv / 5 * (5 * dout - dout.sum(0) - xhat * (dout * xhat).sum(0))
    np.testing.assert_allclose(x.grad, expect, atol=1e-12)


def test_batch_norm_buffers_are_updated_in_place_and_keep_their_dtype():
    rm = Tensor(np.zeros(3, np.float32))
    rv = Tensor(np.ones(3, np.float32))
    data_before = rm.data
    x = f32(8, 3)
    out = F.batch_norm(x, rm, rv, training=True)
    assert out.dtype == np.float32 and rm.data is data_before and rm.dtype == np.float32
    assert rm._version == 1 and rv._version == 1
    np.testing.assert_allclose(rm.data, 0.1 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(rv.data, 0.9 + 0.1 * x.var(0, ddof=1), rtol=1e-5)
    # float32 x with float64 running statistics stays float32 in eval
    assert F.batch_norm(x, np.zeros(3), np.ones(3)).dtype == np.float32


def test_batch_norm_momentum_one_and_zero():
    x = r(4, 2)
    rm, rv = np.full(2, 9.0), np.full(2, 9.0)
    F.batch_norm(x, rm, rv, training=True, momentum=1.0)
    np.testing.assert_allclose(rm, x.mean(0), atol=1e-14)
    np.testing.assert_allclose(rv, x.var(0, ddof=1), atol=1e-14)
    F.batch_norm(x + 1, rm, rv, training=True, momentum=0.0)
    np.testing.assert_allclose(rm, x.mean(0), atol=1e-14)


# ----- GroupNorm / instance norm -------------------------------------------------------------
def test_group_norm_values():
    x, w, b = r(2, 6, 3, 2), r(6, seed=1), r(6, seed=2)
    out = F.group_norm(x, 3, w, b, eps=1e-4)
    xg = _normalise(x.reshape(2, 3, -1), (2,), 1e-4).reshape(x.shape)
    np.testing.assert_allclose(out.data, xg * w[:, None, None] + b[:, None, None], atol=1e-12)


def test_instance_norm_normalises_each_sample_and_channel():
    x = r(2, 3, 5)
    np.testing.assert_allclose(F.instance_norm(x).data, _normalise(x, (2,), 1e-5), atol=1e-12)
    x = Tensor(r(2, 3, 5), requires_grad=True)
    F.instance_norm(x).backward(r(2, 3, 5, seed=2))
    np.testing.assert_allclose(x.grad.sum(2), 0, atol=1e-12)


def test_instance_norm_running_statistics_follow_torch_rule():
    x = r(4, 3, 6) * 2 + 1
    rm, rv = np.array([0.5, 0.0, -1.0]), np.array([1.0, 2.0, 0.5])
    rm0, rv0 = rm.copy(), rv.copy()
    F.instance_norm(x, rm, rv, momentum=0.2)
    # the batch mean of each instance's mean and unbiased variance
    np.testing.assert_allclose(rm, 0.8 * rm0 + 0.2 * x.mean(2).mean(0), atol=1e-14)
    np.testing.assert_allclose(rv, 0.8 * rv0 + 0.2 * x.var(2, ddof=1).mean(0), atol=1e-14)
    # use_input_stats=False normalises with them, per channel
    out = F.instance_norm(x, rm, rv, use_input_stats=False, eps=1e-3).data
    np.testing.assert_allclose(out, (x - rm[:, None]) / np.sqrt(rv[:, None] + 1e-3), atol=1e-12)
