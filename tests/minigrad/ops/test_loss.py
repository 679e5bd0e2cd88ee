"""Loss family: torch's cross_entropy and nll_loss; float32, named errors, values and gradients
from numpy formulas, torch's reduction, weighting and error-type rules."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor
from minigrad.errors import DTypeError, RangeError, ShapeError, ShapeRuntimeError
from tests.minigrad.ops.common import f32, r

Y = np.array([0, 2, 1, 2])  # class ids for (4, 3) scores

MASK = np.array([[True, True, False], [False, False, False]])  # (N=2, T=3), one empty row

F32_CASES = {
    "MaskedAffineSoftmaxCE": lambda: (F.MaskedAffineSoftmaxCE,
                                      (f32(2, 3, 4), f32(4, 5), f32(5), np.ones((2, 3), int),
                                       MASK), (0, 1, 2)),
    "CrossEntropy": lambda: (F.CrossEntropy, (f32(4, 3), Y), (0,)),
    "NLLLoss": lambda: (F.NLLLoss, (f32(4, 3), Y), (0,)),
}

def _affine_ce(**over):
    args = {"x": r(2, 3, 4), "w": r(4, 5), "b": r(5), "y": np.ones((2, 3), int), "mask": MASK}
    args.update(over)
    return F.masked_affine_softmax_ce(*args.values())


ERROR_CASES = [
    ("MaskedAffineSoftmaxCE", "w rows", lambda: _affine_ce(w=r(3, 5)), ShapeError,
     ["x.shape[2]", "w.shape[0]", "(3, 5)"]),
    ("MaskedAffineSoftmaxCE", "y range", lambda: _affine_ce(y=np.full((2, 3), 5)), RangeError,
     ["y", "[0, 5)"]),
    ("MaskedAffineSoftmaxCE", "mask shape", lambda: _affine_ce(mask=MASK[:, :2]), ShapeError,
     ["mask", "(2, 3)", "(2, 2)"]),
    ("MaskedAffineSoftmaxCE", "normalize",
     lambda: F.masked_affine_softmax_ce(r(2, 3, 4), r(4, 5), r(5), np.ones((2, 3), int), MASK,
                                        normalize="mean"), RangeError, ["normalize", "'mean'"]),
    ("MaskedAffineSoftmaxCE", "dtype", lambda: _affine_ce(b=r(5, dtype=np.float32)), DTypeError,
     ["float32"]),
    ("CrossEntropy", "target range", lambda: F.cross_entropy(r(4, 3), np.array([0, 3, 1, -1])),
     RangeError, ["[0, 3)", "ignore_index -100", "-1 .. 3"]),
    ("CrossEntropy", "target shape", lambda: F.cross_entropy(r(4, 3), np.zeros(3, int)),
     ShapeError, ["target", "(4,)", "(3,)"]),
    ("CrossEntropy", "target ndim", lambda: F.cross_entropy(r(4, 3), np.zeros((4, 1), int)),
     ShapeRuntimeError, ["target", "(4,)", "(4, 1)"]),
    ("CrossEntropy", "reduction", lambda: F.cross_entropy(r(4, 3), Y, reduction="avg"),
     RangeError, ["reduction", "'avg'"]),
    ("CrossEntropy", "smoothing", lambda: F.cross_entropy(r(4, 3), Y, label_smoothing=1.5),
     RangeError, ["label_smoothing", "1.5"]),
    ("CrossEntropy", "axis", lambda: F.cross_entropy(r(4, 3), Y, axis=2), ShapeError,
     ["axis 2", "out of range", "(4, 3)"]),
    ("CrossEntropy", "weight", lambda: F.cross_entropy(r(4, 3), Y, weight=r(4)), ShapeError,
     ["weight", "(3,)", "(4,)"]),
    ("CrossEntropy", "probs shape", lambda: F.cross_entropy(r(4, 3), r(4, 2)), ShapeRuntimeError,
     ["target", "(4, 3)", "(4, 2)"]),
    ("CrossEntropy", "int input", lambda: F.cross_entropy(np.ones((4, 3), int), Y), DTypeError,
     ["input", "float", "int64"]),
    ("CrossEntropy", "empty", lambda: F.cross_entropy(np.zeros((0, 3)), Y[:0]), ShapeError,
     ["non-empty", "(0, 3)"]),
    ("NLLLoss", "float target", lambda: F.nll_loss(r(4, 3), r(4, 3)), DTypeError,
     ["target", "integer", "float64"]),
    ("NLLLoss", "target range", lambda: F.nll_loss(r(4, 3), Y + 1), RangeError, ["[0, 3)"]),
]


def _logp(x, axis=1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return np.log(e / e.sum(axis=axis, keepdims=True))


def _softmax(x, axis=1):
    return np.exp(_logp(x, axis))


# ----- cross_entropy / nll_loss ----------------------------------------------------------------
def test_cross_entropy_mean_sum_none_and_gradient():
    x = Tensor(r(4, 3), requires_grad=True)
    per = -_logp(x.data)[np.arange(4), Y]
    assert F.cross_entropy(x, Y).item() == pytest.approx(per.mean(), abs=1e-14)
    assert F.cross_entropy(x, Y, reduction="sum").item() == pytest.approx(per.sum(), abs=1e-14)
    np.testing.assert_allclose(F.cross_entropy(x, Y, reduction="none").data, per, atol=1e-14)
    F.cross_entropy(x, Y).backward()
    np.testing.assert_allclose(x.grad, (_softmax(x.data) - np.eye(3)[Y]) / 4, atol=1e-14)


def test_cross_entropy_weight_and_ignore_index_follow_torch():
    x = Tensor(r(5, 3), requires_grad=True)
    y = np.array([0, 2, -100, 1, 2])
    w = np.array([0.5, 2.0, 1.5])
    keep = y != -100
    yk = np.where(keep, y, 0)
    per = -_logp(x.data)[np.arange(5), yk] * w[yk] * keep
    loss = F.cross_entropy(x, y, weight=w)
    assert loss.item() == pytest.approx(per.sum() / (w[yk] * keep).sum(), abs=1e-14)
    loss.backward()
    expect = (_softmax(x.data) - np.eye(3)[yk]) * (w[yk] * keep)[:, None] / (w[yk] * keep).sum()
    np.testing.assert_allclose(x.grad, expect, atol=1e-14)
    assert not x.grad[2].any()  # the ignored row gets no gradient
    # another ignore_index value
    y7 = np.where(keep, y, 7)
    assert F.cross_entropy(x, y7, weight=w, ignore_index=7).item() == pytest.approx(loss.item())


def test_cross_entropy_all_ignored_is_zero_with_zero_gradient():
    x = Tensor(r(3, 4), requires_grad=True)
    loss = F.cross_entropy(x, np.full(3, -100))
    assert loss.item() == 0.0
    loss.backward()
    np.testing.assert_array_equal(x.grad, np.zeros((3, 4)))


def test_cross_entropy_label_smoothing_formula():
    x, C, eps = r(4, 3), 3, 0.2
    lp = _logp(x)
    per = (1 - eps) * -lp[np.arange(4), Y] + eps / C * -lp.sum(1)
    got = F.cross_entropy(x, Y, label_smoothing=eps).item()
    assert got == pytest.approx(per.mean(), abs=1e-14)
    # the same as probability targets (1 - eps) onehot + eps / C
    soft = (1 - eps) * np.eye(3)[Y] + eps / C
    assert F.cross_entropy(x, soft).item() == pytest.approx(per.mean(), abs=1e-14)


def test_cross_entropy_probability_targets_are_differentiable():
    x = Tensor(r(2, 3, 4), requires_grad=True)  # classes on axis 1
    t = Tensor(np.abs(r(2, 3, 4, seed=2)), requires_grad=True)
    loss = F.cross_entropy(x, t)
    lp = _logp(x.data)
    assert loss.item() == pytest.approx(-(lp * t.data).sum() / 8, abs=1e-14)  # / (N * d1)
    loss.backward()
    np.testing.assert_allclose(t.grad, -lp / 8, atol=1e-14)
    expect = (_softmax(x.data) * t.data.sum(1, keepdims=True) - t.data) / 8
    np.testing.assert_allclose(x.grad, expect, atol=1e-14)


def test_cross_entropy_classes_on_any_axis():
    x = r(2, 5, 4)  # (N, T, V)
    y = np.random.default_rng(3).integers(0, 4, (2, 5))
    y[0, 1] = -100
    a = F.cross_entropy(x, y, axis=-1, reduction="none").data
    b = F.cross_entropy(np.moveaxis(x, -1, 1), y, reduction="none").data
    np.testing.assert_allclose(a, b, atol=1e-15)
    assert a.shape == (2, 5) and a[0, 1] == 0
    assert F.cross_entropy(x, y, dim=2).item() == pytest.approx(F.cross_entropy(
        x, y, axis=-1).item(), abs=1e-15)
    with pytest.raises(TypeError, match="axis or dim"):
        F.cross_entropy(x, y, axis=-1, dim=2)


def test_cross_entropy_matches_masked_softmax_ce_token_mean():
    x = r(2, 5, 4)
    y = np.random.default_rng(3).integers(0, 4, (2, 5))
    mask = np.random.default_rng(4).random((2, 5)) > 0.3
    ref = F.masked_softmax_ce(x, y, mask, normalize="tokens").item()
    got = F.cross_entropy(x, np.where(mask, y, -100), axis=-1).item()
    assert got == pytest.approx(ref, abs=1e-14)


def test_cross_entropy_unbatched_and_huge_scores():
    x = np.array([1.0, 3.0, -2.0])
    assert F.cross_entropy(x, np.array(1)).item() == pytest.approx(-_logp(x, 0)[1])
    big = np.array([[1000.0, 0.0], [0.0, -1000.0]])
    np.testing.assert_allclose(F.cross_entropy(big, np.array([1, 1]), reduction="none").data,
                               [1000.0, 1000.0])


def test_nll_loss_picks_weighted_log_probabilities():
    x = Tensor(r(4, 3, 2), requires_grad=True)
    y = np.array([[0, 1], [2, -100], [1, 1], [0, 2]])
    w = np.array([1.0, 0.5, 3.0])
    keep = y != -100
    yk = np.where(keep, y, 0)
    picked = np.take_along_axis(x.data, yk[:, None], axis=1)[:, 0]
    loss = F.nll_loss(x, y, weight=w)
    wk = w[yk] * keep
    assert loss.item() == pytest.approx(-(picked * wk).sum() / wk.sum(), abs=1e-14)
    loss.backward()
    expect = np.zeros((4, 3, 2))
    np.put_along_axis(expect, yk[:, None], (-wk / wk.sum())[:, None], axis=1)
    np.testing.assert_allclose(x.grad, expect, atol=1e-15)
    # log_softmax + nll_loss == cross_entropy
    xs = r(4, 3)
    assert F.nll_loss(_logp(xs), Y).item() == pytest.approx(F.cross_entropy(xs, Y).item())


def test_losses_keep_float32_with_float64_constants():
    w = np.array([1.0, 2.0, 0.5])
    assert F.cross_entropy(f32(4, 3), Y, weight=w).dtype == np.float32


# ----- masked_affine_softmax_ce ----------------------------------------------------------------
@pytest.mark.parametrize("full", [False, True])
def test_masked_affine_softmax_ce_values_and_grads_from_numpy(full: bool):
    rng = np.random.default_rng(3)
    x, w, b = r(3, 4, 5), r(5, 6, seed=1), r(6, seed=2)
    y = rng.integers(0, 6, size=(3, 4))
    mask = rng.random((3, 4)) < 0.6
    mask[1] = False  # a row of padding only
    mask[0, 0] = True
    if full:  # every token counts (the no-copy path)
        mask[...] = True
    for normalize, denom in (("batch", 3), ("tokens", mask.sum())):
        xt, wt, bt = (Tensor(a, requires_grad=True) for a in (x, w, b))
        loss = F.masked_affine_softmax_ce(xt, wt, bt, y, mask, normalize=normalize)
        s = x @ w + b  # (N, T, V), numpy
        p = _softmax(s, axis=2)
        lp = _logp(s, axis=2)
        pick = np.take_along_axis(lp, y[:, :, None], axis=2)[:, :, 0]
        assert loss.item() == pytest.approx(-(pick * mask).sum() / denom, abs=1e-13)
        loss.backward()
        ds = (p - np.eye(6)[y]) * mask[:, :, None] / denom
        np.testing.assert_allclose(xt.grad, ds @ w.T, atol=1e-14)
        np.testing.assert_allclose(wt.grad, np.einsum("ntd,ntv->dv", x, ds), atol=1e-14)
        np.testing.assert_allclose(bt.grad, ds.sum(axis=(0, 1)), atol=1e-14)
        assert full or not xt.grad[1].any()  # masked tokens get no gradient


def test_masked_affine_softmax_ce_all_masked_is_zero_and_float32_stays():
    x = Tensor(f32(2, 3, 4), requires_grad=True)
    loss = F.masked_affine_softmax_ce(x, f32(4, 5), f32(5), np.ones((2, 3), int),
                                      np.zeros((2, 3), bool))
    assert loss.item() == 0.0 and loss.dtype == np.float32
    loss.backward()
    assert x.grad.dtype == np.float32 and not x.grad.any()
