"""Engine contracts (DESIGN §3): order, accumulation, multi-output, freeing, versions, checks."""
from __future__ import annotations

import gc
import sys
import weakref

import numpy as np
import pytest

from minigrad import Function, Tensor
from minigrad.errors import GradientError, GraphError, ShapeError
from minigrad.functional import LSTMStep, MatMul, Mul, affine, rnn


def _leaf(shape, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)


# ----- topological order ---------------------------------------------------------------------
def test_10000_step_mul_chain_has_no_recursion_error():
    x = Tensor(np.array(1.0), requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # a recursive engine would need > 10,000 frames
    try:
        y.backward()
    finally:
        sys.setrecursionlimit(limit)
    np.testing.assert_allclose(x.grad, 1.0001 ** 10_000, rtol=1e-10)
    del y
    gc.collect()  # freeing a 10,000-deep graph must not blow the C stack either


def test_10000_step_tanh_chain_matches_the_hand_derivative():
    x0 = 0.5
    x = Tensor(np.array(x0), requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y.tanh()
    y.backward()
    v, d = x0, 1.0
    for _ in range(10_000):
        v = np.tanh(v)
        d *= 1 - v * v
    np.testing.assert_allclose(y.data, v, rtol=1e-12)
    np.testing.assert_allclose(x.grad, d, rtol=1e-9)


def test_diamond_graph_accumulates_both_paths():
    x = _leaf((3,))
    a = x * 3.0
    y = (a * a + a).sum()  # dy/dx = (2a + 1) * 3
    y.backward()
    np.testing.assert_allclose(x.grad, (2 * 3 * x.data + 1) * 3)


def test_same_leaf_twice_in_one_function():
    x = _leaf((4,))
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.data)
    y = _leaf((4,), 1)
    (y + y).sum().backward()
    np.testing.assert_array_equal(y.grad, np.full(4, 2.0))


# ----- leaf-only accumulation ----------------------------------------------------------------
def test_only_leaves_keep_grad_unless_retain_grad():
    x = _leaf((2, 3))
    h = x * 2.0
    k = (x * 3.0).retain_grad()
    (h.sum() + (k * k).sum()).backward()
    assert h.grad is None
    np.testing.assert_allclose(k.grad, 2 * k.data)
    np.testing.assert_allclose(x.grad, 2.0 + 2 * k.data * 3.0)
    assert x.is_leaf and not h.is_leaf


def test_grads_accumulate_across_two_backward_calls():
    x = _leaf((3,))
    (x * 2.0).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, 2.0 + 2 * x.data)


def test_leaf_grad_is_private_not_an_alias_of_an_upstream_array():
    x = _leaf((3,))
    g = np.ones(3)
    (x + 0.0).backward(g)
    (x + 0.0).backward(g)
    np.testing.assert_array_equal(g, np.ones(3))
    np.testing.assert_array_equal(x.grad, np.full(3, 2.0))


def test_tensors_without_requires_grad_get_no_grad():
    x, c = _leaf((3,)), Tensor(np.ones(3))
    (x * c).sum().backward()
    assert c.grad is None and x.grad is not None


# ----- multi-output Functions ----------------------------------------------------------------
def _lstm_inputs(seed=3):
    N, D, H = 2, 3, 4
    return [_leaf(s, seed + i) for i, s in enumerate(
        [(N, D), (N, H), (N, H), (D, 4 * H), (H, 4 * H), (4 * H,)])]


@pytest.mark.parametrize("used", [0, 1])
def test_unused_output_of_multi_output_function_gets_zeros(used):
    a, b = _lstm_inputs(), _lstm_inputs()
    dout = np.random.default_rng(9).standard_normal((2, 4))
    outs = LSTMStep.apply(*a)
    outs[used].backward(dout)
    both = LSTMStep.apply(*b)
    zero = Tensor(np.zeros((2, 4)))
    ((both[used] * Tensor(dout)).sum() + (both[1 - used] * zero).sum()).backward()
    for ta, tb in zip(a, b, strict=True):
        np.testing.assert_allclose(ta.grad, tb.grad, rtol=1e-12, atol=1e-14)
        assert np.abs(ta.grad).sum() > 0


def test_multi_output_with_both_used_adds_both_contributions():
    a = _lstm_inputs()
    h, c = LSTMStep.apply(*a)
    (h.sum() + c.sum()).backward()
    b = _lstm_inputs()
    h2, _ = LSTMStep.apply(*b)
    h2.sum().backward()
    c_inputs = _lstm_inputs()
    _, c3 = LSTMStep.apply(*c_inputs)
    c3.sum().backward()
    for ta, tb, tc in zip(a, b, c_inputs, strict=True):
        np.testing.assert_allclose(ta.grad, tb.grad + tc.grad, rtol=1e-12, atol=1e-14)


# ----- freed graph, retain_graph -------------------------------------------------------------
def test_second_backward_raises_graph_error_naming_retain_graph():
    x = _leaf((3,))
    y = (x * x).sum()
    y.backward()
    first = x.grad.copy()
    with pytest.raises(GraphError, match="retain_graph"):
        y.backward()
    np.testing.assert_array_equal(x.grad, first)


def test_retain_graph_allows_a_second_backward_that_doubles_grads():
    x = _leaf((3,))
    w = _leaf((3, 2), 1)
    y = (x @ w).tanh().sum()
    y.backward(retain_graph=True)
    gx, gw = x.grad.copy(), w.grad.copy()
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * gx)
    np.testing.assert_allclose(w.grad, 2 * gw)
    with pytest.raises(GraphError, match="retain_graph"):
        y.backward()


class _SaveBig(Function):
    """x * k where k is a fresh array only backward needs; records a weakref to it."""

    refs: list = []

    @staticmethod
    def forward(ctx, x):
        k = np.full(x.shape, 3.0)
        _SaveBig.refs.append(weakref.ref(k))
        ctx.save_for_backward(k)
        return x * k

    @staticmethod
    def backward(ctx, dout):
        (k,) = ctx.saved_tensors
        return dout * k


def test_saved_arrays_are_freed_after_backward():
    _SaveBig.refs.clear()
    x = _leaf((5,))
    y = _SaveBig.apply(x)
    ctx = y._ctx
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, np.full(5, 3.0))
    assert ctx._saved == ()
    assert _SaveBig.refs[0]() is None  # nothing holds the saved array any more
    with pytest.raises(GraphError, match="retain_graph"):
        _ = ctx.saved_tensors


def test_retain_graph_keeps_saved_arrays():
    _SaveBig.refs.clear()
    x = _leaf((5,))
    y = _SaveBig.apply(x)
    y.sum().backward(retain_graph=True)
    assert _SaveBig.refs[0]() is not None
    assert y._ctx.saved_tensors[0] is _SaveBig.refs[0]()


# ----- version counter -----------------------------------------------------------------------
def _edit_setitem(t):
    from minigrad import no_grad
    with no_grad():
        t[0] = 5.0


def _edit_add(t):
    from minigrad import no_grad
    with no_grad():
        t.add_(1.0)


def _edit_copy(t):
    from minigrad import no_grad
    with no_grad():
        t.copy_(np.zeros(t.shape))


@pytest.mark.parametrize("edit", [_edit_setitem, _edit_add, _edit_copy])
def test_in_place_edit_of_saved_input_raises_before_any_grad(edit):
    a = _leaf((3,), 1)
    w = _leaf((3,), 2)
    c = _leaf((3,), 3)  # c requires grad, so Mul saves w for dc
    # the Add path through `a` would be reached first; nothing may be accumulated
    y = (a * 2.0).sum() + (w * c).sum()
    edit(w)
    with pytest.raises(GraphError, match="modified in place") as info:
        y.backward()
    assert "Mul" in str(info.value)
    assert a.grad is None and w.grad is None and c.grad is None


@pytest.mark.parametrize("edit", [_edit_setitem, _edit_add, _edit_copy])
def test_an_input_no_gradient_needs_may_be_edited(edit):
    """w * k (k constant) keeps only k, as torch does: editing w afterwards is harmless."""
    w = _leaf((3,), 2)
    k = np.array([1.0, 2.0, 3.0])
    y = (w * Tensor(k)).sum()
    edit(w)
    y.backward()
    np.testing.assert_array_equal(w.grad, k)


def test_in_place_edit_of_non_grad_input_saved_as_a_view_is_caught():
    x = Tensor(np.ones((2, 3)))  # Affine saves x.reshape(N, -1), a view
    w = _leaf((3, 4))
    y = affine(x, w, Tensor(np.zeros(4))).sum()
    x[0, 0] = 7.0
    with pytest.raises(GraphError, match="Affine"):
        y.backward()
    assert w.grad is None


@pytest.mark.parametrize("view", [lambda c: c.reshape(3, 2), lambda c: c.T])
@pytest.mark.parametrize("edit", ["recorded", "no_grad", "copy_"])
def test_in_place_edit_through_another_tensor_sharing_the_memory_is_caught(view, edit):
    from minigrad import no_grad
    x, w = _leaf((2, 3), 1), _leaf((3, 2), 2)
    c = x * 1.0
    v = view(c)  # shares c's buffer; Mul below saves v's data
    assert np.shares_memory(v.data, c.data)
    y = (v * w).sum()
    if edit == "recorded":
        c += 1.0
    elif edit == "no_grad":
        with no_grad():
            c.mul_(2.0)
    else:
        with no_grad():
            c.copy_(np.zeros((2, 3)))
    with pytest.raises(GraphError, match="Mul: .*sharing its memory"):
        y.backward()
    assert x.grad is None and w.grad is None


def test_writes_to_other_memory_or_before_forward_are_not_flagged():
    x, w = _leaf((2, 3), 1), _leaf((3, 2), 2)
    c = x * 1.0
    c += 1.0  # before the forward that saves a view of c: fine
    other = x * 1.0
    y = (c.reshape(3, 2) * w).sum()
    other += 1.0  # a different buffer
    y.backward()
    np.testing.assert_allclose(w.grad, (x.data + 1.0).reshape(3, 2))


def test_in_place_edit_of_an_input_that_is_not_saved_is_allowed():
    x = _leaf((3,))
    c = Tensor(np.ones(3))
    y = (x + c).sum()  # Add saves nothing
    c.add_(1.0)
    y.backward()
    np.testing.assert_array_equal(x.grad, np.ones(3))


# ----- refusals ------------------------------------------------------------------------------
def test_create_graph_raises():
    x = _leaf((3,))
    with pytest.raises(GraphError, match="first-order"):
        (x * x).sum().backward(create_graph=True)


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(GraphError, match="does not require grad"):
        (Tensor(np.ones(3)) * 2.0).sum().backward()


def test_non_scalar_backward_without_grad_raises_shape_error():
    x = _leaf((2, 3))
    with pytest.raises(ShapeError, match=r"scalar.*\(2, 3\)"):
        (x * 2.0).backward()


def test_backward_with_grad_of_wrong_shape_raises_shape_error():
    x = _leaf((2, 3))
    with pytest.raises(ShapeError, match=r"\(2, 3\).*\(3, 2\)"):
        (x * 2.0).backward(np.ones((3, 2)))


def test_non_scalar_backward_with_explicit_grad():
    x = _leaf((2, 3))
    g = np.random.default_rng(1).standard_normal((2, 3))
    (x * 2.0).backward(g)
    np.testing.assert_allclose(x.grad, 2 * g)


# ----- the engine's checks of what backward returns ------------------------------------------
def _returning(grads, name="Bad"):
    """A two-input Function whose backward returns `grads(a, b, dout)`."""

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    def backward(ctx, dout):
        a, b = ctx.saved_tensors
        return grads(a, b, dout)

    return type(name, (Function,), {"forward": staticmethod(forward),
                                    "backward": staticmethod(backward)})


def test_wrong_gradient_shape_names_function_input_and_shapes():
    Fn = _returning(lambda a, b, d: (d, d[:, :1].copy()[:1]), "MyProduct")
    a, b = _leaf((2, 3)), _leaf((2, 3), 1)
    with pytest.raises(GradientError) as info:
        Fn.apply(a, b).sum().backward()
    msg = str(info.value)
    for part in ("MyProduct", "'b'", "(1, 1)", "(2, 3)"):
        assert part in msg, (part, msg)


def test_non_broadcastable_gradient_shape_raises():
    Fn = _returning(lambda a, b, d: (d, np.ones((4, 3))), "Grow")
    a, b = _leaf((2, 3)), _leaf((2, 3), 1)
    with pytest.raises(GradientError, match=r"Grow input 'b'.*\(4, 3\).*\(2, 3\)"):
        Fn.apply(a, b).sum().backward()


def test_integer_gradient_raises_gradient_error():
    Fn = _returning(lambda a, b, d: (np.ones(a.shape, dtype=np.int64), d * a), "IntGrad")
    a, b = _leaf((2, 3)), _leaf((2, 3), 1)
    with pytest.raises(GradientError, match=r"IntGrad input 'a'.*int64.*float64"):
        Fn.apply(a, b).sum().backward()


def test_non_array_gradient_raises_gradient_error():
    Fn = _returning(lambda a, b, d: ("oops", d * a), "StrGrad")
    with pytest.raises(GradientError, match="StrGrad input 'a'.*str"):
        Fn.apply(_leaf((2,)), _leaf((2,), 1)).sum().backward()


@pytest.mark.parametrize("grads", [lambda a, b, d: (d * b,), lambda a, b, d: (d, d, d)])
def test_wrong_number_of_gradients_raises(grads):
    Fn = _returning(grads, "Count")
    with pytest.raises(GradientError, match=r"Count\.backward returned \d gradient\(s\), "
                                            "expected 2"):
        Fn.apply(_leaf((2,)), _leaf((2,), 1)).sum().backward()


def test_float64_gradient_for_float32_input_is_cast():
    Fn = _returning(lambda a, b, d: ((d * b).astype(np.float64), (d * a).astype(np.float64)))
    a, b = _leaf((2, 3), 0, np.float32), _leaf((2, 3), 1, np.float32)
    out = Fn.apply(a, b)
    assert out.dtype == np.float32
    out.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float32
    np.testing.assert_allclose(a.grad, b.data, rtol=1e-6)


def test_none_gradient_leaves_input_grad_unset():
    Fn = _returning(lambda a, b, d: (d * b, None), "HalfNone")
    a, b = _leaf((2,)), _leaf((2,), 1)
    Fn.apply(a, b).sum().backward()
    np.testing.assert_allclose(a.grad, b.data)
    assert b.grad is None


@pytest.mark.parametrize("bshape", [(4,), (1, 4)])
def test_broadcast_bias_gradient_is_summed(bshape):
    rng = np.random.default_rng(4)
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = Tensor(rng.standard_normal(bshape), requires_grad=True)
    g = rng.standard_normal((3, 4))
    (x + b).backward(g)
    assert b.grad.shape == bshape
    np.testing.assert_allclose(b.grad, g.sum(axis=0).reshape(bshape))
    np.testing.assert_allclose(x.grad, g)


def test_broadcast_gradient_over_leading_and_inner_axes():
    rng = np.random.default_rng(5)
    x = Tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    s = Tensor(rng.standard_normal((3, 1)), requires_grad=True)
    g = rng.standard_normal((2, 3, 4))
    (x * s).backward(g)
    np.testing.assert_allclose(s.grad, (g * x.data).sum(axis=(0, 2))[:, None])
    np.testing.assert_allclose(x.grad, g * s.data)


def test_matmul_batch_broadcast_gradient():
    rng = np.random.default_rng(6)
    a = Tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    w = Tensor(rng.standard_normal((4, 5)), requires_grad=True)
    g = rng.standard_normal((2, 3, 5))
    MatMul.apply(a, w).backward(g)
    np.testing.assert_allclose(w.grad, np.einsum("nij,nik->jk", a.data, g))
    np.testing.assert_allclose(a.grad, g @ w.data.T)


def test_function_with_numpy_and_number_inputs_records_only_tensors():
    x = _leaf((3,))
    y = Mul.apply(np.full(3, 2.0), x)
    assert y._ctx.needs_input_grad == (False, True)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, np.full(3, 2.0))


@pytest.mark.parametrize("op", [
    lambda x: x.tanh(), lambda x: x.exp(), lambda x: x.sigmoid(), lambda x: x.relu(),
    lambda x: x.max(axis=1),
    lambda x: rnn(x.reshape(1, 2, 3), np.zeros((1, 2)), np.ones((3, 2)), np.ones((2, 2)),
                  np.zeros(2)),
])
def test_in_place_edit_of_an_output_its_function_saved_raises(op):
    from minigrad import no_grad
    x = _leaf((2, 3))
    y = op(x)
    with no_grad():
        y.mul_(0.5)
    with pytest.raises(GraphError, match="modified in place"):
        y.sum().backward()
    assert x.grad is None


def test_leaf_grad_never_aliases_a_saved_array():
    class Twice(Function):
        @staticmethod
        def forward(ctx, x):
            k = np.full(x.shape, 2.0)
            ctx.save_for_backward(k)
            return x * k

        @staticmethod
        def backward(ctx, dout):
            (k,) = ctx.saved_tensors
            return k  # right only for dout == 1, and returned without a copy

    x = _leaf((3,))
    y = Twice.apply(x)
    for _ in range(3):
        y.backward(np.ones(3), retain_graph=True)
    np.testing.assert_array_equal(x.grad, np.full(3, 6.0))
    np.testing.assert_array_equal(y._ctx.saved_tensors[0], np.full(3, 2.0))


def test_backward_on_a_leaf_does_not_alias_the_given_grad():
    x = _leaf((3,))
    g = np.ones(3)
    x.backward(g)
    x.backward(g)
    np.testing.assert_array_equal(g, np.ones(3))
    np.testing.assert_array_equal(x.grad, np.full(3, 2.0))
    assert x.grad is not g


@pytest.mark.parametrize("which", ["embedding", "masked_ce", "ce"])
def test_in_place_edit_of_integer_ids_after_forward_raises(which):
    import minigrad.functional as F
    W = _leaf((5, 3))
    ids = Tensor(np.array([[0, 1, 1]]))
    if which == "embedding":
        y = F.embedding(ids, W).sum()
    elif which == "masked_ce":
        y = F.masked_softmax_ce(F.embedding(np.zeros((1, 3), int), W), ids, np.ones((1, 3), bool))
    else:
        y = F.softmax_ce(W, Tensor(np.array([0, 1, 2, 2, 1])))
        ids = y._ctx.inputs[1]
    ids[0] = 2
    with pytest.raises(GraphError, match="modified in place"):
        y.backward()
    assert W.grad is None
