"""Tensor as a Python object: iteration, scalars, casts, clone, in place on non-leaves."""
from __future__ import annotations

import operator

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor, no_grad
from minigrad.errors import DTypeError, GraphError, ShapeError

RNG = np.random.default_rng(0)
A = RNG.standard_normal((2, 3)) + 3.0  # away from 0 for division
B = RNG.standard_normal((2, 3)) + 3.0


def leaf(a: np.ndarray) -> Tensor:
    return Tensor(a, requires_grad=True)


# ----- iteration and unpacking ---------------------------------------------------------------
def test_iterating_yields_rows_through_the_graph():
    x = leaf(A)
    rows = list(x)
    assert len(rows) == 2 and all(isinstance(r, Tensor) for r in rows)
    assert all(r.grad_fn is F.GetItem for r in rows)
    np.testing.assert_array_equal(rows[1].data, A[1])
    (rows[0] * 2.0 + rows[1] * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [[2.0] * 3, [3.0] * 3])


def test_unpacking_a_tensor():
    x = leaf(A)
    a, b = x
    (a * b).sum().backward()
    np.testing.assert_allclose(x.grad, A[::-1])
    with pytest.raises(ValueError):
        a, b, c = x
    p, q, r = Tensor(np.arange(3))  # rows of a 1-D tensor are 0-d tensors
    assert (p.shape, int(q), int(r)) == ((), 1, 2)


def test_iterating_a_0d_tensor_is_a_type_error():
    with pytest.raises(TypeError, match="0-d tensor"):
        iter(Tensor(1.0))
    with pytest.raises(TypeError):
        a, b = Tensor(1.0)


# ----- Python scalars -------------------------------------------------------------------------
@pytest.mark.parametrize("value, expected", [(0.0, False), (2.5, True), ([[0]], False),
                                             ([True], True)])
def test_bool_of_one_element(value, expected):
    assert bool(Tensor(value)) is expected


def test_bool_of_many_elements_is_ambiguous():
    with pytest.raises(ShapeError, match="ambiguous") as info:
        bool(Tensor(A))
    assert isinstance(info.value, ValueError) and "6 elements" in str(info.value)
    with pytest.raises(ShapeError):
        if Tensor(np.zeros(0)):
            pass


def test_float_int_and_item():
    t = leaf(np.array([[-2.75]]))
    assert float(t) == -2.75 and type(float(t)) is float
    assert int(t) == -2 and int(Tensor(3.9)) == 3  # truncation, as int(float)
    assert t.item() == -2.75 and type(t.item()) is float
    assert type(Tensor(np.int32(7)).item()) is int
    for convert in (float, int, Tensor.item):
        with pytest.raises(ShapeError, match="one-element"):
            convert(Tensor(A))


def test_index_takes_integer_one_element_tensors():
    seq = [10, 20, 30, 40]
    assert seq[Tensor(np.array(2))] == 30
    assert seq[Tensor(np.array([1], dtype=np.int32))] == 20
    assert operator.index(Tensor(np.uint8(3))) == 3
    assert list(range(Tensor(np.array(3)))) == [0, 1, 2]
    for bad in (Tensor(2.0), Tensor(np.array([1, 2]))):
        with pytest.raises(TypeError, match="integer tensors of a single element"):
            operator.index(bad)


def test_tolist_gives_python_numbers():
    assert Tensor(np.array([[1, 2], [3, 4]])).tolist() == [[1, 2], [3, 4]]
    out = leaf(np.array([0.5, 1.5], dtype=np.float32)).tolist()
    assert out == [0.5, 1.5] and all(type(v) is float for v in out)
    assert Tensor(2.0).tolist() == 2.0


def test_numpy_shares_the_data():
    x = leaf(A)
    assert x.numpy() is x.data
    assert x.detach().numpy() is x.data


# ----- casts and clone ------------------------------------------------------------------------
@pytest.mark.parametrize("method, dtype", [("double", np.float64), ("float", np.float32),
                                           ("half", np.float16)])
def test_casts_are_differentiable(method, dtype):
    src = np.float32 if dtype == np.float64 else np.float64
    x = leaf(A.astype(src))
    y = getattr(x, method)()
    assert y.dtype == dtype and y.requires_grad and y.grad_fn is F.Cast
    np.testing.assert_array_equal(y.data, A.astype(src).astype(dtype))
    (y * 3.0).sum().backward()
    assert x.grad.dtype == src
    np.testing.assert_array_equal(x.grad, np.full(A.shape, 3.0, src))


def test_to_casts_and_returns_self_for_the_same_dtype():
    x = leaf(A)
    assert x.to(np.float64) is x and x.double() is x and x.to("float64") is x
    y = x.to("float32")
    assert y.dtype == np.float32 and y.grad_fn is F.Cast
    i = Tensor(np.arange(3)).float()
    assert i.dtype == np.float32 and not i.requires_grad
    np.testing.assert_array_equal(i.data, [0.0, 1.0, 2.0])


def test_clone_is_a_differentiable_copy():
    x = leaf(A)
    c = x.clone()
    assert c.requires_grad and c.grad_fn is not None and c.dtype == x.dtype
    assert not np.shares_memory(c.data, x.data)
    np.testing.assert_array_equal(c.data, A)
    with no_grad():
        c.data[0, 0] = 100.0
    assert x.data[0, 0] == A[0, 0]
    (c * c).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * c.data)  # d/dx sum(clone(x)^2) evaluated at c
    p = Tensor(np.arange(3)).clone()
    assert p.dtype == np.int64 and not p.requires_grad


# ----- in place on non-leaf tensors (recorded, as torch) -------------------------------------
@pytest.mark.parametrize("name, apply, dc, dy", [
    ("+=", lambda c, y: operator.iadd(c, y), lambda c, y: 1.0, lambda c, y: 1.0),
    ("-=", lambda c, y: operator.isub(c, y), lambda c, y: 1.0, lambda c, y: -1.0),
    ("*=", lambda c, y: operator.imul(c, y), lambda c, y: y, lambda c, y: c),
    ("/=", lambda c, y: operator.itruediv(c, y), lambda c, y: 1 / y, lambda c, y: -c / y ** 2),
    ("add_", lambda c, y: c.add_(y), lambda c, y: 1.0, lambda c, y: 1.0),
    ("add_ alpha", lambda c, y: c.add_(y, alpha=0.5), lambda c, y: 1.0, lambda c, y: 0.5),
    ("sub_", lambda c, y: c.sub_(y), lambda c, y: 1.0, lambda c, y: -1.0),
    ("mul_", lambda c, y: c.mul_(y), lambda c, y: y, lambda c, y: c),
    ("div_", lambda c, y: c.div_(y), lambda c, y: 1 / y, lambda c, y: -c / y ** 2),
])
def test_in_place_on_a_non_leaf_is_recorded(name, apply, dc, dy):
    x, y = leaf(A), leaf(B)
    c = x * 2.0  # non-leaf; Mul saved x and 2.0, not c
    buf, view, version = c.data, c.data[0], c._version
    out = apply(c, y)
    assert out is c and c.data is buf and c._version == version + 1
    old = 2.0 * A
    expected = {"+=": old + B, "-=": old - B, "*=": old * B, "/=": old / B, "add_": old + B,
                "add_ alpha": old + 0.5 * B, "sub_": old - B, "mul_": old * B,
                "div_": old / B}[name]
    np.testing.assert_allclose(c.data, expected)
    np.testing.assert_allclose(view, expected[0])  # views of the buffer see the new values
    assert c.requires_grad and not c.is_leaf
    g = RNG.standard_normal(A.shape)
    c.backward(g)
    np.testing.assert_allclose(x.grad, 2.0 * g * dc(old, B))
    np.testing.assert_allclose(y.grad, g * dy(old, B))


def test_in_place_with_numbers_and_arrays_is_recorded():
    x = leaf(A)
    c = x + 0.0
    c += 1.0
    c *= np.full(3, 2.0)
    c /= 4.0
    c -= B
    assert c.grad_fn is F.Sub
    np.testing.assert_allclose(c.data, (A + 1.0) * 2.0 / 4.0 - B)
    c.sum().backward()
    np.testing.assert_allclose(x.grad, np.full(A.shape, 0.5))


def test_a_function_that_saved_the_old_value_refuses_to_backward():
    x = leaf(A)
    c = x * 1.0
    d = c * c  # Mul saves c's buffer
    c += 1.0
    with pytest.raises(GraphError, match="modified in place"):
        d.sum().backward()
    e = x.exp()  # Exp saves its own output
    e *= 2.0
    with pytest.raises(GraphError, match="Exp"):
        e.sum().backward()


def test_the_in_place_node_keeps_the_old_value_it_saved():
    x = leaf(A)
    c = x * 1.0
    c *= c  # Mul must see the old c twice, not the overwritten buffer
    np.testing.assert_allclose(c.data, A * A)
    (c * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad, 6 * A)
    s = leaf(np.arange(1.0, 10.0).reshape(3, 3))
    m = s * 1.0
    m.mul_(m.T)  # the other operand is a view of the buffer being overwritten
    m.sum().backward()
    np.testing.assert_allclose(s.grad, 2 * s.data.T)


def test_later_uses_see_the_new_value():
    x = leaf(A)
    c = x * 2.0
    c += x
    d = c * c
    d.sum().backward()
    np.testing.assert_allclose(x.grad, 2 * (3 * A) * 3)


def test_plain_tensor_plus_tensor_requiring_grad_joins_the_graph():
    acc = Tensor(np.zeros(3))
    x = leaf(np.array([1.0, 2.0, 3.0]))
    acc += x
    acc += x * x
    assert acc.requires_grad and acc.grad_fn is F.Add
    acc.sum().backward()
    np.testing.assert_allclose(x.grad, 1 + 2 * x.data)


def test_retain_grad_follows_the_in_place_tensor():
    x = leaf(A)
    c = (x * 2.0).retain_grad()
    c += 1.0
    (c * 3.0).sum().backward()
    np.testing.assert_allclose(c.grad, np.full(A.shape, 3.0))
    np.testing.assert_allclose(x.grad, np.full(A.shape, 6.0))


def test_in_place_keeps_shape_and_dtype():
    x = leaf(np.ones(3, dtype=np.float32))
    c = x * 2.0
    c += leaf(np.ones(3))  # float64 operand: the float32 buffer keeps its dtype
    assert c.dtype == np.float32
    c.sum().backward()
    assert x.grad.dtype == np.float32
    with pytest.raises(ShapeError, match="does not fit in place"):
        c2 = x * 2.0
        c2 += np.ones((2, 3))
    i = Tensor(np.arange(3))
    with pytest.raises(DTypeError, match="int64"):
        i += x


@pytest.mark.parametrize("edit", [lambda t: t.div_(2.0), lambda t: operator.itruediv(t, 2.0),
                                  lambda t: operator.imul(t, leaf(A))])
def test_in_place_on_a_leaf_requiring_grad_still_raises(edit):
    t = leaf(A)
    with pytest.raises(GraphError, match="leaf"):
        edit(t)
    np.testing.assert_array_equal(t.data, A)
    assert t._version == 0


def test_in_place_on_a_view_of_a_leaf_requiring_grad_raises():
    w = leaf(A)
    v = w.T  # shares w's memory
    with pytest.raises(GraphError, match="view of one"):
        v += 1.0
    np.testing.assert_array_equal(w.data, A)


def test_in_place_outside_recording_is_plain():
    x = leaf(A)
    c = x * 2.0
    fn = c.grad_fn
    with no_grad():
        c += 1.0
        c /= 2.0
    assert c.grad_fn is fn and c._version == 2
    np.testing.assert_allclose(c.data, (2 * A + 1) / 2)
    y = Tensor(A.copy())
    y.div_(2.0)
    y *= 3.0
    np.testing.assert_allclose(y.data, A * 1.5)
    assert y._version == 2 and not y.requires_grad


def test_setitem_on_a_non_leaf_requiring_grad_still_raises():
    c = leaf(A) * 1.0
    with pytest.raises(GraphError, match="in-place"):
        c[0] = 1.0


# ----- numpy scalars are weak, like Python numbers -------------------------------------------
S64 = np.float64(0.5)
WEAK = {
    "t * s": lambda t: t * S64, "s * t": lambda t: S64 * t, "t + s": lambda t: t + S64,
    "s + t": lambda t: S64 + t, "t - s": lambda t: t - S64, "s - t": lambda t: S64 - t,
    "t / s": lambda t: t / S64, "s / t": lambda t: S64 / t, "t ** s": lambda t: t ** np.float64(2),
    "int s * t": lambda t: np.int64(3) * t, "F.mul": lambda t: F.mul(t, S64),
    "F.add reflected": lambda t: F.add(S64, t), "np.multiply": lambda t: np.multiply(t, S64),
    "np.multiply(s, t)": lambda t: np.multiply(S64, t),
    "ndarray left": lambda t: np.full(3, 2.0, np.float32) * t * S64,
    "ndarray left, s right": lambda t: np.full(3, 2.0, np.float32) + S64 * t,
    "in place": lambda t: (t * 1.0).mul_(S64),
}


@pytest.mark.parametrize("name", sorted(WEAK))
def test_numpy_scalars_do_not_promote_float32(name):
    t = leaf(np.array([1.0, 2.0, 3.0], dtype=np.float32))
    out = WEAK[name](t)
    assert isinstance(out, Tensor) and out.dtype == np.float32, out
    out.sum().backward()
    assert t.grad.dtype == np.float32


# ----- numpy's method spellings ---------------------------------------------------------------
def test_ravel_and_copy_are_graph_ops():
    c = RNG.standard_normal((2, 3, 4))
    x = leaf(c)
    r = x.ravel()
    np.testing.assert_array_equal(r.data, c.ravel())
    assert r.grad_fn is not None
    y = x.copy()
    assert y.data is not x.data and y.grad_fn is not None
    (r * 2.0).sum().backward()
    (y * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full(c.shape, 5.0))


def test_mT_swaps_the_last_two_axes():
    c = RNG.standard_normal((2, 3, 4))
    x = leaf(c)
    np.testing.assert_array_equal(x.mT.data, c.mT)
    x.mT.sum(axis=0).backward(np.arange(12.0).reshape(4, 3))
    np.testing.assert_array_equal(x.grad, np.broadcast_to(np.arange(12.0).reshape(4, 3).T,
                                                          c.shape))
    with pytest.raises(ShapeError, match="at least 2-D"):
        _ = leaf(np.ones(3)).mT


def test_real_conj_and_sizes_of_a_real_tensor():
    x = leaf(A)
    assert x.real is x and x.conj() is x and x.conjugate() is x
    assert x.nbytes == A.nbytes == 48 and x.itemsize == 8
    assert Tensor(A.astype(np.float32)).itemsize == 4
