"""A bad axis/dim argument (a float, a str, a bool, a float numpy scalar) is a named DTypeError
that shows the value and its type, never numpy's raw error nor a silent truncation; ints and
numpy ints still work."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor
from minigrad.errors import DTypeError, IndexRangeError
from tests.minigrad.ops.common import check_named_error

X = Tensor(np.arange(6.0).reshape(2, 3))
I2 = np.array([0, 1])
G = np.zeros((2, 3), dtype=np.int64)
BAD = [(1.5, "1.5 (float)"), ("a", "'a' (str)"), (True, "True (bool)"),
       (np.float64(0), "(float64)")]

# (Function name in the message, "fn: argument", call with the bad value)
CALLS: list[tuple[str, str, Callable[[Any], Any]]] = [
    ("Transpose", "axes[0]", lambda a: F.transpose(X, a, 0)),
    ("Transpose", "axes[1]", lambda a: X.transpose(0, a)),
    ("Stack", "axis", lambda a: F.stack([X, X], axis=a)),
    ("Stack", "axis", lambda a: F.stack([X, X], dim=a)),
    ("Concat", "axis", lambda a: F.cat([X, X], axis=a)),
    ("Concat", "axis", lambda a: F.concat([X, X], dim=a)),
    ("flatten", "start_dim", lambda a: F.flatten(Tensor(np.float64(2.0)), start_dim=a)),
    ("flatten", "end_dim", lambda a: F.flatten(Tensor(np.float64(2.0)), end_dim=a)),
    ("flatten", "start_dim", lambda a: F.flatten(X, start_dim=a)),
    ("permute", "dims[0]", lambda a: F.permute(X, a, 0)),
    ("IndexSelect", "dim", lambda a: F.index_select(X, a, I2)),
    ("Gather", "dim", lambda a: F.gather(X, a, G)),
    ("Scatter", "dim", lambda a: F.scatter(X, a, G, X)),
    ("Tril", "diagonal", lambda a: F.tril(X, a)),
    ("Triu", "diagonal", lambda a: F.triu(X, a)),
    ("rot90", "k", lambda a: F.rot90(X, a)),
    ("Norm", "axis", lambda a: F.Norm.apply(X, axis=a)),
]


@pytest.mark.parametrize("bad", BAD, ids=[b[1].split()[-1].strip("()") for b in BAD])
@pytest.mark.parametrize(("fn", "arg", "call"), CALLS,
                         ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(CALLS)])
def test_a_bad_axis_is_a_named_error(fn: str, arg: str, call: Callable, bad: tuple) -> None:
    value, shown = bad
    what = "None, an int or a tuple of ints" if fn == "Norm" else "an int"
    check_named_error(fn, lambda: call(value), DTypeError,
                      [f"{arg} must be {what}, got", shown])


def test_transpose_axes_must_be_a_sequence() -> None:
    check_named_error("Transpose", lambda: F.Transpose.apply(X, axes=1), DTypeError,
                      ["axes must be None or a tuple of ints", "1 (int)"])
    check_named_error("rot90", lambda: F.rot90(X, dims=1.5), DTypeError,
                      ["dims must be a pair of ints", "1.5 (float)"])


def test_flatten_of_a_0d_tensor_checks_its_dims_like_torch() -> None:
    s = Tensor(np.float64(2.0))
    for start, end in ((0, -1), (-1, 0), (0, 0)):
        np.testing.assert_array_equal(F.flatten(s, start_dim=start, end_dim=end).data, [2.0])
    check_named_error("flatten", lambda: F.flatten(s, start_dim=1), IndexRangeError,
                      ["start_dim 1 is out of range for x of shape ()"])


def test_numpy_ints_still_work() -> None:
    n0, n1 = np.int64(0), np.int32(1)
    assert F.stack([X, X], axis=n1).shape == (2, 2, 3)
    assert F.cat([X, X], axis=n1).shape == (2, 6)
    assert F.transpose(X, n1, n0).shape == (3, 2)
    assert F.Transpose.apply(X, axes=np.array([1, 0])).shape == (3, 2)
    assert F.index_select(X, n1, I2).shape == (2, 2)
    np.testing.assert_array_equal(F.gather(X, n0, G).data, [[0, 1, 2], [0, 1, 2]])
    np.testing.assert_array_equal(F.tril(X, np.int64(-1)).data, [[0, 0, 0], [3, 0, 0]])
    np.testing.assert_array_equal(F.rot90(X, np.int64(2)).data, X.data[::-1, ::-1])


def test_transpose_keeps_its_own_axes() -> None:
    """A list of axes edited after forward does not change the gradient (a tuple is kept)."""
    x = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    axes = [2, 0, 1]
    out = F.Transpose.apply(x, axes=axes)
    axes[:] = [0, 1, 2]
    g = np.arange(24.0).reshape(4, 2, 3)
    out.backward(g)
    np.testing.assert_array_equal(x.grad, g.transpose(1, 2, 0))
