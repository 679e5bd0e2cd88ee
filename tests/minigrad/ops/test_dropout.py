"""Dropout family: inverted dropout with a given or seeded mask; float32, named errors, values
and gradients from the mask, the identity cases and p = 1."""
from __future__ import annotations

import numpy as np

import minigrad.functional as F
from minigrad import Tensor
from minigrad.errors import DTypeError, RangeError, ShapeError
from tests.minigrad.ops.common import f32, r

MASK = np.random.default_rng(5).random((3, 4)) >= 0.5

F32_CASES = {"Dropout": lambda: (F.Dropout, (f32(3, 4), MASK), (0,))}

ERROR_CASES = [
    ("Dropout", "p > 1", lambda: F.dropout(r(3), p=1.5), RangeError, ["p", "[0, 1]", "1.5"]),
    ("Dropout", "p < 0", lambda: F.Dropout.apply(r(3), np.ones(3, bool), p=-0.1), RangeError,
     ["p", "-0.1"]),
    ("Dropout", "p str", lambda: F.dropout(r(3), p="0.5"), DTypeError, ["p", "number", "str"]),
    ("Dropout", "p nan", lambda: F.dropout(r(3), p=float("nan")), RangeError, ["p", "nan"]),
    ("Dropout", "mask shape", lambda: F.dropout(r(3, 4), mask=np.ones((4, 3), bool)),
     ShapeError, ["mask", "(4, 3)", "(3, 4)"]),
    ("Dropout", "mask grows x", lambda: F.dropout(r(4), mask=np.ones((2, 4), bool)),
     ShapeError, ["mask", "(2, 4)", "(4,)"]),
    ("Dropout", "float mask", lambda: F.dropout(r(3), mask=np.full(3, 0.5)), DTypeError,
     ["mask", "bool", "float64"]),
    ("Dropout", "int x", lambda: F.dropout(np.arange(3), mask=np.ones(3, bool)), DTypeError,
     ["x", "float", "int64"]),
    ("Dropout", "rng", lambda: F.dropout(r(3), rng=np.random.RandomState(0)), TypeError,
     ["rng", "Generator", "RandomState"]),
]


def test_dropout_with_a_given_mask_scales_kept_values():
    x = Tensor(r(3, 4), requires_grad=True)
    out = F.dropout(x, p=0.25, mask=MASK)
    np.testing.assert_allclose(out.data, np.where(MASK, x.data / 0.75, 0.0), atol=1e-15)
    dout = r(3, 4, seed=2)
    out.backward(dout)
    np.testing.assert_allclose(x.grad, np.where(MASK, dout / 0.75, 0.0), atol=1e-15)


def test_dropout_mask_comes_from_the_generator():
    x = np.ones((4, 5))
    out = F.dropout(x, p=0.4, rng=np.random.default_rng(7))
    keep = np.random.default_rng(7).random((4, 5)) >= 0.4
    np.testing.assert_array_equal(out.data, keep / 0.6)
    again = F.dropout(x, p=0.4, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(out.data, again.data)
    np.testing.assert_array_equal(F.dropout_mask((4, 5), 0.4, np.random.default_rng(7)), keep)


def test_dropout_statistics():
    out = F.dropout(np.ones(200_000), p=0.3, rng=np.random.default_rng(0)).data
    zero_fraction = (out == 0).mean()
    assert abs(zero_fraction - 0.3) < 0.005  # 5 sigma of a binomial(2e5, 0.3) fraction is 0.005
    assert abs(out.mean() - 1.0) < 0.01  # inverted dropout keeps the expectation
    assert set(np.unique(out)) == {0.0, 1 / 0.7}


def test_dropout_identity_in_eval_and_for_p_zero():
    x = Tensor(r(3, 4), requires_grad=True)
    assert F.dropout(x, p=0.5, training=False) is x
    assert F.dropout(x, p=0.0) is x
    y = F.dropout(r(2), training=False)
    assert isinstance(y, Tensor)


def test_dropout_p_one_gives_zeros_and_zero_gradient():
    x = Tensor(r(3, 4), requires_grad=True)
    out = F.dropout(x, p=1.0, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(out.data, np.zeros((3, 4)))
    out.backward(np.ones((3, 4)))
    np.testing.assert_array_equal(x.grad, np.zeros((3, 4)))
    assert not np.isnan(out.data).any()


def test_dropout_broadcast_mask_drops_whole_channels():
    x = r(2, 3, 5)
    mask = np.array([[True], [False], [True]])[None].repeat(2, 0)  # (2, 3, 1)
    out = F.dropout(x, p=0.5, mask=mask).data
    np.testing.assert_array_equal(out[:, 1], 0)
    np.testing.assert_allclose(out[:, 0], 2 * x[:, 0], atol=1e-15)


def test_dropout_float32_mask_scale_stays_float32():
    out = F.dropout(f32(3, 4), p=0.1, rng=np.random.default_rng(1))
    assert out.dtype == np.float32
