"""Tensor arithmetic, dtype preservation, in-place rules, detach, and no_grad / enable_grad."""
from __future__ import annotations

import operator

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor, enable_grad, is_grad_enabled, no_grad
from minigrad.errors import DTypeError, GraphError
from tests.minigrad.ops.common import all_f32_cases

RNG = np.random.default_rng(0)
A = RNG.standard_normal((2, 3)) + 3.0  # kept away from 0 for division
B = RNG.standard_normal((2, 3)) + 3.0

BINARY = [
    (operator.add, lambda a, b, g: (g, g)),
    (operator.sub, lambda a, b, g: (g, -g)),
    (operator.mul, lambda a, b, g: (g * b, g * a)),
    (operator.truediv, lambda a, b, g: (g / b, -g * a / b ** 2)),
]


# ----- arithmetic ----------------------------------------------------------------------------
@pytest.mark.parametrize("op, grads", BINARY)
@pytest.mark.parametrize("left, right", [("T", "T"), ("T", "n"), ("n", "T"), ("T", "a"),
                                         ("a", "T"), ("T", "f"), ("f", "T")])
def test_binary_ops_with_tensor_array_or_number_on_either_side(op, grads, left, right):
    def make(kind, value):
        return {"T": Tensor(value, requires_grad=True), "a": value.copy(),
                "n": 2.5, "f": 2}[kind]

    a, b = make(left, A), make(right, B)
    out = op(a, b)
    assert isinstance(out, Tensor)
    av, bv = (np.asarray(getattr(v, "data", v), dtype=float) for v in (a, b))  # no __array__
    np.testing.assert_allclose(out.data, op(av, bv))
    g = RNG.standard_normal(out.shape)
    out.backward(g)
    ga, gb = grads(av, bv, g)
    for t, expected in ((a, ga), (b, gb)):
        if isinstance(t, Tensor):
            np.testing.assert_allclose(t.grad, np.broadcast_to(expected, t.shape))


def test_ndarray_on_the_left_gives_a_tensor_and_records():
    x = Tensor(A, requires_grad=True)
    for out in (A + x, A - x, A * x, A / x, A @ x.T):
        assert isinstance(out, Tensor)
        assert out.requires_grad and out.grad_fn is not None
    (A @ x.T).sum().backward()
    np.testing.assert_allclose(x.grad, np.ones((2, 2)) @ A)


def test_matmul_and_rmatmul():
    x = Tensor(A, requires_grad=True)
    w = Tensor(B.T.copy(), requires_grad=True)  # (3, 2)
    g = RNG.standard_normal((2, 2))
    (x @ w).backward(g)
    np.testing.assert_allclose(x.grad, g @ w.data.T)
    np.testing.assert_allclose(w.grad, x.data.T @ g)
    v = Tensor(np.arange(3.0), requires_grad=True)
    out = A @ v  # (2,)
    np.testing.assert_allclose(out.data, A @ v.data)
    out.sum().backward()
    np.testing.assert_allclose(v.grad, A.sum(axis=0))


def test_neg_pow_and_unary_methods():
    x = Tensor(A, requires_grad=True)
    ((-x) + x ** 2 + 2.0 ** x + x.exp() + x.log() + x.tanh() + x.sigmoid() + x.relu()).sum(
    ).backward()
    a = A
    s = 1 / (1 + np.exp(-a))
    expected = (-1 + 2 * a + np.log(2.0) * 2.0 ** a + np.exp(a) + 1 / a + (1 - np.tanh(a) ** 2)
                + s * (1 - s) + (a > 0))
    np.testing.assert_allclose(x.grad, expected)


def test_sum_mean_reshape_transpose_and_indexing():
    x = Tensor(A, requires_grad=True)
    np.testing.assert_allclose(x.sum().data, A.sum())
    np.testing.assert_allclose(x.mean(axis=0).data, A.mean(axis=0))
    np.testing.assert_allclose(x.sum(axis=1, keepdims=True).data, A.sum(axis=1, keepdims=True))
    assert x.reshape(3, 2).shape == (3, 2) and x.reshape((6,)).shape == (6,)
    np.testing.assert_array_equal(x.T.data, A.T)
    np.testing.assert_array_equal(x[1, 1:].data, A[1, 1:])
    y = (x.T.reshape(6) * np.arange(6.0)).sum() + x.mean() + x[0, [0, 0, 2]].sum()
    y.backward()
    expected = np.arange(6.0).reshape(3, 2).T + 1 / 6
    expected[0, 0] += 2
    expected[0, 2] += 1
    np.testing.assert_allclose(x.grad, expected)


def test_indexing_with_a_tensor_index_and_boolean_mask():
    x = Tensor(np.arange(5.0), requires_grad=True)
    idx = Tensor(np.array([4, 4, 1]))
    (x[idx].sum() + x[np.array([True, False, True, False, False])].sum()).backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0, 1.0, 0.0, 2.0])


def test_max_ties_share_the_gradient():
    x = Tensor(np.array([[1.0, 3.0, 3.0], [2.0, 0.0, -1.0]]), requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0.5, 0.5], [1, 0, 0]])


# ----- dtypes --------------------------------------------------------------------------------
F32_EXPRS = {
    "add": lambda t: t + 1.5, "radd": lambda t: 1.5 + t, "sub": lambda t: t - 0.5,
    "rsub": lambda t: 0.5 - t, "mul": lambda t: t * 2.5, "rmul": lambda t: 2.5 * t,
    "div": lambda t: t / 3.0, "rdiv": lambda t: 3.0 / t, "pow": lambda t: t ** 2,
    "powf": lambda t: t ** 1.5, "neg": lambda t: -t, "exp": lambda t: t.exp(),
    "log": lambda t: t.log(), "tanh": lambda t: t.tanh(), "sigmoid": lambda t: t.sigmoid(),
    "relu": lambda t: t.relu(), "sum": lambda t: t.sum(), "mean": lambda t: t.mean(axis=0),
    "max": lambda t: t.max(axis=1), "reshape": lambda t: t.reshape(3, 2), "T": lambda t: t.T,
    "getitem": lambda t: t[:, [0, 0]], "matmul": lambda t: t @ t.T,
    "concat": lambda t: F.concat([t, t], axis=1), "stack": lambda t: F.stack([t, t]),
    "cast": lambda t: t.astype(np.float64).astype(np.float32),
}


@pytest.mark.parametrize("name", sorted(F32_EXPRS))
def test_float32_is_preserved_through_ops_and_gradients(name):
    t = Tensor(np.abs(A).astype(np.float32), requires_grad=True)
    out = F32_EXPRS[name](t)
    assert out.dtype == np.float32, out.dtype
    out.sum().backward()
    assert t.grad.dtype == np.float32 and t.grad.shape == t.shape


def _f32(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32) * 0.5


F32_FUNCTIONS = {
    "Affine": lambda: (F.Affine, (_f32(2, 3), _f32(3, 4), _f32(4)), (0, 1, 2)),
    "TemporalAffine": lambda: (F.TemporalAffine, (_f32(2, 3, 4), _f32(4, 5), _f32(5)),
                               (0, 1, 2)),
    "Embedding": lambda: (F.Embedding, (np.array([[0, 2, 2]]), _f32(4, 3)), (1,)),
    "RNNStep": lambda: (F.RNNStep, (_f32(2, 3), _f32(2, 4), _f32(3, 4), _f32(4, 4), _f32(4)),
                        (0, 1, 2, 3, 4)),
    "LSTMStep": lambda: (F.LSTMStep, (_f32(2, 3), _f32(2, 4), _f32(2, 4), _f32(3, 16),
                                      _f32(4, 16), _f32(16)), (0, 1, 2, 3, 4, 5)),
    "RNNSequence": lambda: (F.RNNSequence, (_f32(2, 3, 3), _f32(2, 4), _f32(3, 4), _f32(4, 4),
                                            _f32(4)), (0, 1, 2, 3, 4)),
    "LSTMSequence": lambda: (F.LSTMSequence, (_f32(2, 3, 3), _f32(2, 4), _f32(3, 16),
                                              _f32(4, 16), _f32(16)), (0, 1, 2, 3, 4)),
    "MaskedSoftmaxCE": lambda: (F.MaskedSoftmaxCE, (_f32(2, 3, 5), np.array([[0, 1, 4],
                                [2, 2, 0]]), np.array([[1, 1, 0], [1, 0, 0]], bool)), (0,)),
    "SoftmaxCE": lambda: (F.SoftmaxCE, (_f32(3, 5), np.array([0, 4, 4])), (0,)),
    "Conv2d": lambda: (F.Conv2d, (_f32(1, 2, 4, 4), _f32(3, 2, 3, 3), _f32(3)), (0, 1, 2)),
    "MaxPool2d": lambda: (F.MaxPool2d, (_f32(1, 2, 4, 4),), (0,)),
}


@pytest.mark.parametrize("name", sorted(F32_FUNCTIONS))
def test_float32_is_preserved_through_every_model_function(name):
    fn, arrays, diff = F32_FUNCTIONS[name]()
    inputs = [Tensor(a, requires_grad=i in diff) for i, a in enumerate(arrays)]
    outs = fn.apply(*inputs)
    outs = outs if isinstance(outs, tuple) else (outs,)
    total = None
    for o in outs:
        assert o.dtype == np.float32, (name, o.dtype)
        total = o.sum() if total is None else total + o.sum()
    total.backward()
    for i in diff:
        assert inputs[i].grad.dtype == np.float32, (name, i)
        assert inputs[i].grad.shape == arrays[i].shape


def test_every_public_function_has_a_float32_case():
    t = Tensor(np.abs(A).astype(np.float32), requires_grad=True)
    covered = ({F32_EXPRS[name](t).grad_fn.__name__ for name in F32_EXPRS} | set(F32_FUNCTIONS)
               | set(all_f32_cases()))
    missing = [n for n in F.__all__ if n[:1].isupper() and n not in covered]
    assert not missing, f"no float32 case for {missing}"


def test_float32_kept_end_to_end_through_a_small_model():
    x = Tensor(_f32(2, 3, 4))
    h0 = Tensor(_f32(2, 5), requires_grad=True)
    Wx, Wh, b = (Tensor(a, requires_grad=True) for a in (_f32(4, 20), _f32(5, 20), _f32(20)))
    Wo, bo = Tensor(_f32(5, 6), requires_grad=True), Tensor(_f32(6), requires_grad=True)
    scores = F.temporal_affine(F.lstm(x, h0, Wx, Wh, b), Wo, bo)
    loss = F.masked_softmax_ce(scores, np.zeros((2, 3), dtype=np.int64), np.ones((2, 3), bool))
    loss = loss * 0.5 + 1.0
    assert loss.dtype == np.float32
    loss.backward()
    for p in (h0, Wx, Wh, b, Wo, bo):
        assert p.grad.dtype == np.float32


def test_int_tensor_cannot_require_grad():
    with pytest.raises(DTypeError, match="int64"):
        Tensor(np.arange(3), requires_grad=True)
    with pytest.raises(DTypeError, match="floating"):
        Tensor(3, requires_grad=True)
    with pytest.raises(DTypeError):
        Tensor(np.arange(3)).requires_grad_()


def test_non_numeric_data_is_refused():
    with pytest.raises(DTypeError, match="numeric"):
        Tensor(np.array(["a", "b"]))


def test_tensor_copies_its_data():
    a = np.ones(3)
    t = Tensor(a)
    a[0] = 5.0
    assert t.data[0] == 1.0


# ----- in-place ops and detach ---------------------------------------------------------------
@pytest.mark.parametrize("edit", [
    lambda t: t.add_(1.0), lambda t: t.sub_(1.0), lambda t: t.mul_(2.0),
    lambda t: t.copy_(np.zeros(3)), lambda t: t.zero_(), lambda t: t.__setitem__(0, 1.0),
])
def test_in_place_on_a_leaf_requiring_grad_while_recording_raises(edit):
    t = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(GraphError, match="in-place"):
        edit(t)
    np.testing.assert_array_equal(t.data, np.ones(3))
    assert t._version == 0
    with no_grad():
        edit(t)  # allowed for optimizer steps
    assert t._version == 1


def test_iadd_on_tensor_requiring_grad_raises():
    t = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(GraphError):
        t += 1.0


def test_in_place_on_plain_tensor_changes_data_and_version():
    t = Tensor(np.ones(3))
    t.add_(np.full(3, 2.0), alpha=0.5)
    t[1] = 7.0
    np.testing.assert_array_equal(t.data, [2.0, 7.0, 2.0])
    assert t._version == 2


def test_detach_shares_data_and_cuts_the_graph():
    x = Tensor(A, requires_grad=True)
    y = x * 2.0
    d = y.detach()
    assert d.data is y.data and not d.requires_grad and d.grad_fn is None and d.is_leaf
    (d * x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * A)


# ----- no_grad / enable_grad -----------------------------------------------------------------
def test_no_grad_context_records_nothing():
    x = Tensor(A, requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        y = (x * 2.0).sum()
        Wx, Wh = Tensor(_f32(2, 12).astype(float), True), Tensor(_f32(3, 12).astype(float), True)
        h, c = F.lstm_step(np.ones((2, 2)), x, x, Wx, Wh, np.zeros(12))
    assert is_grad_enabled()
    for t in (y, h, c):
        assert not t.requires_grad and t._ctx is None
    with pytest.raises(GraphError):
        y.backward()


def test_no_grad_decorator_records_nothing_and_keeps_the_function():
    @no_grad()
    def step(t: Tensor) -> Tensor:
        """Docstring kept."""
        assert not is_grad_enabled()
        return t * 3.0

    x = Tensor(A, requires_grad=True)
    y = step(x)
    assert not y.requires_grad and y._ctx is None
    assert step.__name__ == "step" and step.__doc__ == "Docstring kept."
    assert is_grad_enabled()


def test_enable_grad_inside_no_grad_records_again():
    x = Tensor(A, requires_grad=True)
    with no_grad():
        with enable_grad():
            y = (x * 2.0).sum()
        z = x * 2.0
        assert not is_grad_enabled()
    assert y.requires_grad and y._ctx is not None and z._ctx is None
    y.backward()
    np.testing.assert_allclose(x.grad, np.full(A.shape, 2.0))


def test_enable_grad_as_decorator_inside_no_grad():
    @enable_grad()
    def f(t):
        return t * 2.0

    x = Tensor(A, requires_grad=True)
    with no_grad():
        assert f(x).requires_grad


def test_nested_grad_modes_restore_on_exception():
    assert is_grad_enabled()
    with pytest.raises(KeyError):
        with no_grad():
            with enable_grad():
                with no_grad():
                    raise KeyError("boom")
    assert is_grad_enabled()
    with no_grad():
        with pytest.raises(ValueError):
            with enable_grad():
                assert is_grad_enabled()
                raise ValueError
        assert not is_grad_enabled()
    assert is_grad_enabled()

    @no_grad()
    def fails():
        raise RuntimeError

    with pytest.raises(RuntimeError):
        fails()
    assert is_grad_enabled()


def test_a_grad_mode_object_can_be_reused():
    ng = no_grad()
    with ng:
        pass
    with ng:
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_numpy_conversion_copies_only_when_asked():
    t = Tensor(np.ones(3))
    a = np.array(t)
    a[0] = 5.0
    assert t.data[0] == 1.0
    assert np.asarray(t) is t.data
    assert np.array(t, dtype=np.float32).dtype == np.float32
