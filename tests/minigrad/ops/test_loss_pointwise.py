"""loss_pointwise family: torch's mse, l1, smooth_l1, huber, binary_cross_entropy (with logits)
losses; float32, named errors, values and gradients from numpy formulas, broadcasting."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor
from minigrad.errors import DTypeError, RangeError, ShapeError
from tests.minigrad.ops.common import f32, r

P = np.abs(f32(3, 4, seed=4)) * 0.9 + 0.05  # probabilities in (0, 1)

F32_CASES = {
    "MSELoss": lambda: (F.MSELoss, (f32(3, 4), f32(3, 4, seed=2)), (0, 1)),
    "L1Loss": lambda: (F.L1Loss, (f32(3, 4), f32(3, 4, seed=2)), (0, 1)),
    "SmoothL1Loss": lambda: (F.SmoothL1Loss, (f32(3, 4), f32(3, 4, seed=2)), (0, 1)),
    "HuberLoss": lambda: (F.HuberLoss, (f32(3, 4), f32(3, 4, seed=2)), (0, 1)),
    "BCELoss": lambda: (F.BCELoss, (P, f32(3, 4, seed=2) + 0.5), (0, 1)),
    "BCEWithLogitsLoss": lambda: (F.BCEWithLogitsLoss, (f32(3, 4), P), (0, 1)),
}

ERROR_CASES = [
    ("MSELoss", "broadcast", lambda: F.mse_loss(r(3, 4), r(3)), ShapeError,
     ["broadcast", "(3, 4)", "(3,)"]),
    ("MSELoss", "dtype", lambda: F.mse_loss(r(3), f32(3)), DTypeError,
     ["share one dtype", "float64", "float32"]),
    ("L1Loss", "int input", lambda: F.l1_loss(np.arange(3), r(3)), DTypeError,
     ["input", "float", "int64"]),
    ("L1Loss", "reduction", lambda: F.l1_loss(r(3), r(3), reduction=None), RangeError,
     ["reduction", "None"]),
    ("SmoothL1Loss", "beta", lambda: F.smooth_l1_loss(r(3), r(3), beta=-1.0), RangeError,
     ["beta", ">= 0", "-1.0"]),
    ("HuberLoss", "delta", lambda: F.huber_loss(r(3), r(3), delta=0.0), RangeError,
     ["delta", "> 0", "0.0"]),
    ("BCELoss", "range", lambda: F.binary_cross_entropy(r(3), np.ones(3)), RangeError,
     ["input", "[0, 1]"]),
    ("BCELoss", "weight", lambda: F.binary_cross_entropy(np.full(3, 0.5), np.ones(3),
                                                         weight=np.ones(4)), ShapeError,
     ["weight", "(3,)", "(4,)"]),
    ("BCEWithLogitsLoss", "pos_weight", lambda: F.binary_cross_entropy_with_logits(
        r(2, 3), np.ones((2, 3)), pos_weight=np.ones(2)), ShapeError, ["pos_weight", "(2,)"]),
    ("BCEWithLogitsLoss", "nan", lambda: F.binary_cross_entropy_with_logits(
        np.array([np.nan]), np.ones(1)), RangeError, ["input", "finite", "1 NaN"]),
]


def test_mse_l1_values_and_gradients():
    x = Tensor(r(3, 4), requires_grad=True)
    t = Tensor(r(3, 4, seed=2), requires_grad=True)
    d = x.data - t.data
    assert F.mse_loss(x, t).item() == pytest.approx((d ** 2).mean(), abs=1e-14)
    assert F.l1_loss(x, t, reduction="sum").item() == pytest.approx(np.abs(d).sum(), abs=1e-13)
    F.mse_loss(x, t).backward()
    np.testing.assert_allclose(x.grad, 2 * d / 12, atol=1e-15)
    np.testing.assert_allclose(t.grad, -2 * d / 12, atol=1e-15)


def test_mse_broadcasts_and_sums_gradients_back():
    x = Tensor(r(3, 1), requires_grad=True)
    t = Tensor(r(4, seed=2), requires_grad=True)
    d = x.data - t.data  # (3, 4)
    loss = F.mse_loss(x, t, reduction="none")
    np.testing.assert_allclose(loss.data, d ** 2, atol=1e-15)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad, (2 * d).sum(1, keepdims=True), atol=1e-14)
    np.testing.assert_allclose(t.grad, (-2 * d).sum(0), atol=1e-14)


def test_smooth_l1_and_huber_piecewise():
    d = np.array([-3.0, -0.5, 0.0, 0.25, 2.0])
    t = np.zeros(5)
    beta = 0.8
    sl1 = np.where(np.abs(d) < beta, 0.5 * d ** 2 / beta, np.abs(d) - 0.5 * beta)
    np.testing.assert_allclose(F.smooth_l1_loss(d, t, "none", beta=beta).data, sl1)
    hub = np.where(np.abs(d) < beta, 0.5 * d ** 2, beta * (np.abs(d) - 0.5 * beta))
    np.testing.assert_allclose(F.huber_loss(d, t, "none", delta=beta).data, hub)
    np.testing.assert_allclose(hub, beta * sl1)  # huber = delta * smooth_l1(beta = delta)
    np.testing.assert_allclose(F.smooth_l1_loss(d, t, "none", beta=0.0).data, np.abs(d))
    x = Tensor(d, requires_grad=True)
    F.huber_loss(x, t, reduction="sum", delta=beta).backward()
    np.testing.assert_allclose(x.grad, np.clip(d, -beta, beta))


def test_bce_values_clamped_logs_and_gradients():
    p = Tensor(np.array([0.1, 0.5, 0.9, 0.3]), requires_grad=True)
    t = Tensor(np.array([0.0, 1.0, 1.0, 0.25]), requires_grad=True)
    w = np.array([1.0, 2.0, 0.5, 1.0])
    per = -w * (t.data * np.log(p.data) + (1 - t.data) * np.log(1 - p.data))
    loss = F.binary_cross_entropy(p, t, weight=w)
    assert loss.item() == pytest.approx(per.mean(), abs=1e-14)
    loss.backward()
    np.testing.assert_allclose(p.grad, w * (p.data - t.data) / (p.data * (1 - p.data)) / 4)
    np.testing.assert_allclose(t.grad, w * (np.log(1 - p.data) - np.log(p.data)) / 4)
    # log(0) is clamped at -100 as torch: finite loss for certain-but-wrong predictions
    edge = F.binary_cross_entropy(np.array([0.0, 1.0]), np.array([1.0, 0.0]), reduction="none")
    np.testing.assert_array_equal(edge.data, [100.0, 100.0])


def test_bce_with_logits_is_stable_and_matches_the_formula():
    x = Tensor(np.array([-1000.0, -2.0, 0.5, 3.0, 1000.0]), requires_grad=True)
    t = np.array([1.0, 0.0, 1.0, 0.3, 0.0])
    pw = 2.5
    sig = 1 / (1 + np.exp(-np.clip(x.data, -50, 50)))
    with np.errstate(divide="ignore"):
        log_sig = np.where(x.data > -50, np.log(sig), x.data)
        log_1m = np.where(x.data < 50, np.log(1 - sig), -x.data)
    per = -(pw * t * log_sig + (1 - t) * log_1m)
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none", pos_weight=np.array(pw))
    np.testing.assert_allclose(loss.data, per, rtol=1e-12)
    assert np.isfinite(loss.data).all()
    loss.sum().backward()
    lw = 1 + (pw - 1) * t
    np.testing.assert_allclose(x.grad, (1 - t) - lw * (1 - sig), atol=1e-12)
    # without pos_weight the gradient is sigmoid(x) - t
    x2 = Tensor(r(5), requires_grad=True)
    F.binary_cross_entropy_with_logits(x2, t, reduction="sum").backward()
    np.testing.assert_allclose(x2.grad, 1 / (1 + np.exp(-x2.data)) - t, atol=1e-15)


def test_losses_keep_float32_with_float64_constants():
    w = np.array([1.0, 2.0, 0.5])
    assert F.binary_cross_entropy_with_logits(f32(2, 3), P[:2, :3], weight=w,
                                              pos_weight=w).dtype == np.float32
