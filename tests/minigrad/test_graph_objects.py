"""How the graph holds its edges: few objects for Python's garbage collector per node, and
`Context.inputs` still giving every backward the edge view it reads (issue 10: engine overhead
in a process that imported torch is mostly full collections rescanning long-lived objects)."""
from __future__ import annotations

import gc

import numpy as np

import minigrad.functional as F
from minigrad import Tensor
from minigrad.function import Context, _Edge


def test_a_recorded_node_keeps_two_objects_tracked_by_the_collector() -> None:
    """Its Context and its inputs tuple: a single-output producer's Context stands in for the
    edge (before: an _Edge object per input too, rescanned by every full collection)."""
    x = Tensor(np.ones(4), requires_grad=True)
    gc.collect()
    before = len(gc.get_objects())
    y = x
    for _ in range(1000):
        y = F.Neg.apply(y)
    gc.collect()  # untracks the tuples of plain values (shapes)
    per_node = (len(gc.get_objects()) - before) / 1000
    assert per_node <= 2.01, per_node
    y.backward(np.ones(4))
    np.testing.assert_array_equal(x.grad, np.ones(4))  # (-1) ** 1000


def test_inputs_gives_edges_leaves_and_none_as_before() -> None:
    w = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    h = F.Neg.apply(w)  # single-output producer
    parts = F.split(F.Neg.apply(w), 1, axis=0)  # tuple-output producer
    out = F.Mul.apply(h, parts[1])
    e0, e1 = out._ctx.inputs
    assert type(e0) is _Edge and type(e1) is _Edge
    assert (e0._ctx, e0._out_idx, e0.shape, e0.dtype) == (h._ctx, 0, (2, 3), np.float32)
    assert (e1._ctx, e1._out_idx, e1.shape) == (parts[1]._ctx, 1, (1, 3))
    assert type(out._ctx._in[0]) is Context  # stored as the producer itself
    assert out._ctx.input_meta(0) == ((2, 3), np.dtype(np.float32))
    assert out._ctx.input_meta(1) == ((1, 3), np.dtype(np.float32))
    leaf = F.Mul.apply(w, 2.0)._ctx.inputs
    assert leaf[0] is w and leaf[1] is None


def test_mixed_edges_backward_matches_hand_gradients() -> None:
    """Leaf, single-output and tuple-output inputs in one graph, one of them used twice."""
    a = np.arange(6, dtype=np.float64).reshape(2, 3) / 7
    w = Tensor(a, requires_grad=True)
    h = F.Neg.apply(w)  # -w
    top, bottom = F.split(w, 1, axis=0)
    loss = (F.Mul.apply(h, h) + F.Mul.apply(bottom, w)).sum()  # w² + w[1] * w, broadcast
    loss.backward()
    expected = 2 * a + np.broadcast_to(a[1], (2, 3))
    expected[1] += a.sum(axis=0)
    np.testing.assert_allclose(w.grad, expected, rtol=1e-12)
    assert top.requires_grad
