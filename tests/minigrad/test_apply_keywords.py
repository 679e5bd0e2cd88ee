"""`Fn.apply` with inputs given by keyword: forward's required parameters join the inputs in
their order (backward's gradients line up with them); a Tensor requiring grad left among the
keyword constants is a named error instead of a silently missing gradient."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor


def _grads(call, *arrays):
    ts = [Tensor(a, requires_grad=True) for a in arrays]
    out = call(*ts)
    out.backward(np.arange(out.data.size, dtype=out.data.dtype).reshape(out.shape) + 1.0)
    return out.data, [t.grad for t in ts]


def test_index_by_keyword_matches_positional() -> None:
    """The case that used to fail: backward returned 3 gradients for 2 positional inputs."""
    x = np.arange(6.0).reshape(2, 3)
    idx = np.array([[0], [2]])
    by_name = _grads(lambda t: F.Gather.apply(t, 1, index=idx), x)
    positional = _grads(lambda t: F.Gather.apply(t, 1, idx), x)
    np.testing.assert_array_equal(by_name[0], positional[0])
    np.testing.assert_array_equal(by_name[1][0], [[1, 0, 0], [0, 0, 2]])
    np.testing.assert_array_equal(by_name[1][0], positional[1][0])


def test_every_input_by_keyword_matches_positional() -> None:
    x, w, b = np.ones((2, 3)), np.arange(12.0).reshape(3, 4), np.zeros(4)
    by_name = _grads(lambda tx, tw, tb: F.Affine.apply(tx, w=tw, b=tb), x, w, b)
    positional = _grads(lambda tx, tw, tb: F.Affine.apply(tx, tw, tb), x, w, b)
    for g1, g2 in zip(by_name[1], positional[1], strict=True):
        np.testing.assert_array_equal(g1, g2)
    W = Tensor(np.ones((3, 2)), requires_grad=True)
    F.Embedding.apply(idx=np.array([[0, 0, 2]]), W=W).sum().backward()
    np.testing.assert_array_equal(W.grad, [[2, 2], [0, 0], [1, 1]])


def test_keyword_constants_still_work() -> None:
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    F.Sum.apply(t, axis=0).backward(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(t.grad, [[1, 2, 3], [1, 2, 3]])


def test_a_tensor_requiring_grad_among_the_constants_is_named() -> None:
    c0 = Tensor(np.zeros((1, 4)), requires_grad=True)
    with pytest.raises(TypeError, match=r"LSTMSequence.apply: argument 'c0' is a Tensor that "
                                        r"requires grad, given by keyword.*positionally"):
        F.LSTMSequence.apply(np.ones((1, 2, 3)), np.zeros((1, 4)), np.ones((3, 16)),
                             np.ones((4, 16)), np.zeros(16), c0=c0)


def test_a_missing_input_is_python_s_own_error() -> None:
    with pytest.raises(TypeError, match="index"):
        F.Gather.apply(Tensor(np.ones((2, 3)), requires_grad=True), 1)
