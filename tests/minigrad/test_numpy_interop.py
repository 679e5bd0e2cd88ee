"""numpy calls on Tensors: listed ones run minigrad Functions, the rest never drop the graph."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor, no_grad
from minigrad.nn import Parameter
from minigrad.numpy_dispatch import ARRAY_ONLY, FUNCTIONS, UFUNCS
from minigrad.testing import gradcheck

RNG = np.random.default_rng(0)
SIGNS = np.array([[1, -1, 1, -1], [-1, 1, 1, -1], [1, 1, -1, 1]], dtype=float)
X = SIGNS * RNG.uniform(0.6, 1.4, (3, 4))  # |x| in [0.6, 1.4]: away from 0, ties and +-0.5
Y = -SIGNS * RNG.uniform(0.6, 1.4, (3, 4))
P = RNG.uniform(0.5, 1.5, (3, 4))  # positive
W = RNG.standard_normal((4, 2))
V = RNG.standard_normal(4)
C3 = RNG.standard_normal((2, 3, 4))
COND = np.array([[True, False, True, True], [False, False, True, False],
                 [True, True, False, True]])

# label -> (numpy call, input arrays (all differentiable), functional names it needs)
CASES = {
    "exp": (lambda x: np.exp(x), (X,), ("exp",)),
    "log": (lambda p: np.log(p), (P,), ("log",)),
    "tanh": (lambda x: np.tanh(x), (X,), ("tanh",)),
    "sqrt": (lambda p: np.sqrt(p), (P,), ("sqrt",)),
    "abs": (lambda x: np.abs(x), (X,), ("abs",)),
    "square": (lambda x: np.square(x), (X,), ("square",)),
    "sin": (lambda x: np.sin(x), (X,), ("sin",)),
    "negative": (lambda x: np.negative(x), (X,), ("neg",)),
    "power": (lambda p: np.power(p, 3), (P,), ("pow",)),
    "ndarray + t": (lambda x: Y + x, (X,), ("add",)),
    "ndarray - t": (lambda x: Y - x, (X,), ("sub",)),
    "ndarray * t": (lambda x: Y * x, (X,), ("mul",)),
    "ndarray / t": (lambda x: Y / x, (X,), ("div",)),
    "ndarray @ t": (lambda w: X @ w, (W,), ("matmul",)),
    "np.add(t, u)": (lambda x, y: np.add(x, y), (X, Y), ("add",)),
    "maximum": (lambda x: np.maximum(x, 0), (X,), ("maximum",)),
    "minimum": (lambda x, y: np.minimum(x, y), (X, Y), ("minimum",)),
    "sum axis=0": (lambda x: np.sum(x, axis=0), (X,), ("sum",)),
    "sum keepdims": (lambda x: np.sum(x, axis=1, keepdims=True), (X,), ("sum",)),
    "mean": (lambda x: np.mean(x), (X,), ("mean",)),
    "mean axes": (lambda x: np.mean(x, axis=(0, 1)), (C3,), ("mean",)),
    "max": (lambda x: np.max(x, axis=1), (X,), ("amax",)),
    "min": (lambda x: np.min(x), (X,), ("amin",)),
    "prod": (lambda x: np.prod(x, axis=0), (X,), ("prod",)),
    "var": (lambda x: np.var(x), (X,), ("var",)),
    "var ddof=1 axis": (lambda x: np.var(x, axis=0, ddof=1), (X,), ("var",)),
    "std": (lambda x: np.std(x, axis=1, keepdims=True), (X,), ("std",)),
    "cumsum flat": (lambda x: np.cumsum(x), (X,), ("cumsum", "reshape")),
    "cumsum axis": (lambda x: np.cumsum(x, axis=1), (X,), ("cumsum",)),
    "concatenate": (lambda x, y: np.concatenate([x, y]), (X, Y), ("concat",)),
    "concatenate axis=1": (lambda x, y: np.concatenate((x, y), axis=1), (X, Y), ("concat",)),
    "concatenate axis=None": (lambda x, y: np.concatenate([x, y], axis=None), (X, Y),
                              ("concat", "reshape")),
    "stack": (lambda x, y: np.stack([x, y], axis=1), (X, Y), ("stack",)),
    "where": (lambda x, y: np.where(COND, x, y), (X, Y), ("where",)),
    "dot 2-D": (lambda x, w: np.dot(x, w), (X, W), ("matmul",)),
    "dot 1-D": (lambda v, u: np.dot(v, u), (V, V[::-1].copy()), ("matmul",)),
    "dot N-D": (lambda c, w: np.dot(c, w), (C3, W), ("matmul",)),
    "dot N-D x N-D": (lambda c, d: np.dot(c, d), (C3, C3.transpose(0, 2, 1).copy()),
                      ("tensordot",)),
    "matmul": (lambda x, w: np.matmul(x, w), (X, W), ("matmul",)),
    "einsum": (lambda x, w: np.einsum("ij,jk->ik", x, w), (X, W), ("einsum",)),
    "tensordot": (lambda c, w: np.tensordot(c, w, axes=([2], [0])), (C3, W), ("tensordot",)),
    "outer": (lambda v, x: np.outer(v, x), (V, X), ("outer", "reshape")),
    "transpose": (lambda x: np.transpose(x), (X,), ("transpose",)),
    "transpose axes": (lambda c: np.transpose(c, (1, 0, 2)), (C3,), ("transpose",)),
    "reshape": (lambda x: np.reshape(x, (4, 3)), (X,), ("reshape",)),
    "reshape -1": (lambda x: np.reshape(x, -1), (X,), ("reshape",)),
    "ravel": (lambda c: np.ravel(c), (C3,), ("reshape",)),
    "squeeze": (lambda x: np.squeeze(x[None], axis=0), (X,), ("squeeze",)),
    "expand_dims": (lambda x: np.expand_dims(x, 1), (X,), ("expand_dims",)),
    "broadcast_to": (lambda v: np.broadcast_to(v, (3, 4)), (V,), ("broadcast_to",)),
    "swapaxes": (lambda c: np.swapaxes(c, 0, 2), (C3,), ("swapaxes",)),
    "moveaxis": (lambda c: np.moveaxis(c, 0, -1), (C3,), ("moveaxis",)),
    "clip": (lambda x: np.clip(x, -0.5 - 0.5, 0.5 + 0.5), (X,), ("clip",)),
    "clip one side": (lambda x: np.clip(x, None, 1.0), (X,), ("clip",)),
    "repeat flat": (lambda x: np.repeat(x, 2), (X,), ("repeat_interleave",)),
    "repeat axis": (lambda x: np.repeat(x, [1, 3, 2, 1], axis=1), (X,), ("repeat_interleave",)),
    "tile": (lambda x: np.tile(x, (2, 1)), (X,), ("tile",)),
    "split": (lambda x: np.split(x, 2, axis=1), (X,), ("np_split",)),
    "split at": (lambda x: np.split(x, [1], axis=0), (X,), ("np_split",)),
    "pad": (lambda x: np.pad(x, ((1, 0), (0, 2))), (X,), ("np_pad",)),
    "pad value": (lambda x: np.pad(x, 1, constant_values=3.0), (X,), ("np_pad",)),
    "flip": (lambda x: np.flip(x, axis=1), (X,), ("flip",)),
    "roll": (lambda x: np.roll(x, 1, axis=0), (X,), ("roll",)),
    "tril": (lambda x: np.tril(x, -1), (X,), ("tril",)),
    "triu": (lambda x: np.triu(x), (X,), ("triu",)),
    "copy": (lambda x: np.copy(x), (X,), ("cast",)),
    "round": (lambda x: np.round(x), (X,), ("round",)),
    "rint": (lambda x: np.rint(x), (X,), ("round",)),
    "sign": (lambda x: np.sign(x), (X,), ("sign",)),
    "comparison": (lambda x, y: np.where(np.greater(x, y), x, y), (X, Y), ("gt", "where")),
}


def _missing(needs: tuple) -> list:
    return [n for n in needs if not hasattr(F, n)]


def _float_outputs(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


@pytest.mark.parametrize("label", sorted(CASES))
def test_numpy_call_on_tensors_stays_in_the_graph(label):
    call, arrays, needs = CASES[label]
    missing = _missing(needs)
    if missing:
        pytest.skip(f"minigrad.functional has no {missing} yet")
    ts = [Tensor(a, requires_grad=True) for a in arrays]
    outs = _float_outputs(call(*ts))
    expected = _float_outputs(call(*arrays))  # numpy itself on the arrays
    assert len(outs) == len(expected)
    for o, e in zip(outs, expected, strict=True):
        assert isinstance(o, Tensor), type(o)
        assert o.requires_grad and o.grad_fn is not None
        assert o.shape == e.shape and o.dtype == e.dtype
        np.testing.assert_allclose(o.data, e, rtol=1e-12, atol=1e-12)
    report = gradcheck(call, list(arrays))
    assert report.passed


@pytest.mark.parametrize("label", sorted(k for k in CASES if not k.startswith("ndarray")))
def test_float32_stays_float32_through_numpy(label):  # (a float64 ndarray operand promotes)
    call, arrays, needs = CASES[label]
    if _missing(needs):
        pytest.skip(f"minigrad.functional has no {_missing(needs)} yet")
    ts = [Tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    with np.errstate(all="ignore"):
        outs = _float_outputs(call(*ts))
    assert all(o.dtype == np.float32 for o in outs), [o.dtype for o in outs]


def test_var_is_numpys_ddof_0_by_default():
    if _missing(("var",)):
        pytest.skip("minigrad.functional has no var yet")
    t = Tensor(X, requires_grad=True)
    out = np.var(t)
    np.testing.assert_allclose(out.data, ((X - X.mean()) ** 2).mean())
    assert not np.isclose(out.data, ((X - X.mean()) ** 2).sum() / (X.size - 1))
    out.backward()
    np.testing.assert_allclose(t.grad, 2 * (X - X.mean()) / X.size)


def test_repeat_has_numpys_semantics():
    if _missing(("repeat_interleave",)):
        pytest.skip("minigrad.functional has no repeat_interleave yet")
    t = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    np.testing.assert_array_equal(np.repeat(t, 2).data, [1, 1, 2, 2, 3, 3, 4, 4])
    out = np.repeat(t, [2, 1], axis=0)
    np.testing.assert_array_equal(out.data, [[1, 2], [1, 2], [3, 4]])
    out.sum().backward()
    np.testing.assert_array_equal(t.grad, [[2, 2], [1, 1]])


def test_reflected_ndarray_ops_and_numpy_scalars_give_tensors():
    x = Tensor(X, requires_grad=True)
    for out in (Y + x, Y - x, Y * x, Y / x, P ** x, np.float64(2.0) * x, X.T @ x):
        assert isinstance(out, Tensor) and out.grad_fn is not None
    ((Y - x) * np.float64(3.0)).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full(X.shape, -3.0))


def test_parameters_dispatch_too():
    p = Parameter(X)
    out = np.sum(np.exp(p), axis=0)
    assert isinstance(out, Tensor)
    out.sum().backward()
    np.testing.assert_allclose(p.grad, np.exp(X))


# ----- unsupported numpy calls ----------------------------------------------------------------
UNSUPPORTED = {
    "numpy.linalg.norm": lambda t: np.linalg.norm(t),
    "numpy.median": lambda t: np.median(t),
    "numpy.add.reduce": lambda t: np.add.reduce(t),
    "numpy.multiply.accumulate": lambda t: np.multiply.accumulate(t),
    "numpy.exp": lambda t: np.exp(t, out=np.empty(t.shape)),
    "numpy.sum": lambda t: np.sum(t, dtype=np.float32),
    "numpy.cumprod": lambda t: np.cumprod(t, axis=0),
    "numpy.hstack": lambda t: np.hstack([t, t]),
}


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_unsupported_call_on_a_tensor_requiring_grad_raises(name):
    t = Tensor(X, requires_grad=True)
    with pytest.raises(TypeError) as info:
        UNSUPPORTED[name](t)
    msg = str(info.value)
    assert msg.startswith(name + " ") and "requires grad" in msg
    assert "t.detach()" in msg and "t.data" in msg


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_unsupported_call_without_grad_computes_on_the_arrays(name):
    expected = UNSUPPORTED[name](X.copy())
    for t in (Tensor(X), Tensor(X, requires_grad=True)):
        with no_grad():  # under no_grad nothing is recorded, so nothing can be dropped
            got = UNSUPPORTED[name](t)
        got = got.data if isinstance(got, Tensor) else got
        np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
    got = UNSUPPORTED[name](Tensor(X))
    np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))


def test_ufunc_out_into_a_tensor_writes_it_in_place():
    t = Tensor(X.copy())
    buf = t.data
    out = np.exp(t, out=t)
    assert out is t and t.data is buf and t._version == 1
    np.testing.assert_allclose(t.data, np.exp(X))


def test_ndarray_in_place_with_a_tensor():
    a = Y.copy()
    a += Tensor(X)
    np.testing.assert_allclose(a, Y + X)
    with pytest.raises(TypeError, match="numpy.add .*out"):
        a += Tensor(X, requires_grad=True)


def test_functions_without_gradient_run_on_the_arrays():
    t = Tensor(X, requires_grad=True)
    assert np.shape(t) == (3, 4) and np.ndim(t) == 2 and np.size(t) == 12
    assert np.allclose(t, t) and np.array_equal(t, X)
    np.testing.assert_array_equal(np.isfinite(t), np.ones((3, 4), bool))
    np.testing.assert_array_equal(np.nonzero(t > 0 if hasattr(F, "gt") else t.data > 0)[0],
                                  np.nonzero(X > 0)[0])
    np.testing.assert_array_equal(np.where(COND), np.nonzero(COND))
    assert int(np.count_nonzero(t)) == 12


def test_a_name_is_looked_up_when_called(monkeypatch):
    t = Tensor(X, requires_grad=True)
    monkeypatch.setattr(F, "exp", lambda x: "the op in minigrad.functional now")
    assert np.exp(t) == "the op in minigrad.functional now"
    monkeypatch.delattr(F, "exp")
    with pytest.raises(TypeError, match="numpy.exp .*minigrad.functional has no 'exp'"):
        np.exp(t)
    np.testing.assert_allclose(np.exp(Tensor(X)), np.exp(X))  # no grad: on the arrays


def test_tables_name_only_functional_spellings():
    names = set(UFUNCS.values())
    assert {"add", "exp", "maximum", "matmul", "eq"} <= names
    assert np.var in FUNCTIONS and np.repeat in FUNCTIONS and np.pad in FUNCTIONS
    assert np.isfinite in ARRAY_ONLY and np.exp not in ARRAY_ONLY


# ----- np.array / __array__ -------------------------------------------------------------------
@pytest.mark.parametrize("convert", [np.array, np.asarray, lambda t: t.__array__(),
                                     lambda t: np.r_[t, t], lambda t: np.asarray([t, t]),
                                     lambda t: np.array(t, dtype=np.float32)])
def test_converting_a_tensor_requiring_grad_raises(convert):
    t = Tensor(X, requires_grad=True)
    with pytest.raises(TypeError, match=r"t\.detach\(\)\.numpy\(\)"):
        convert(t)
    with no_grad():
        np.testing.assert_allclose(np.asarray(convert(t), dtype=float).ravel()[:12],
                                   X.ravel(), rtol=1e-7)
    np.testing.assert_allclose(np.asarray(convert(t.detach()), dtype=float).ravel()[:12],
                               X.ravel(), rtol=1e-7)


def test_escape_hatches_and_tensors_without_grad():
    t = Tensor(X, requires_grad=True)
    assert t.data is t.numpy() and np.asarray(t.detach()) is t.data
    np.testing.assert_array_equal(np.r_[Tensor(V), Tensor(V)], np.r_[V, V])
    u = (t * 2.0).detach()
    assert np.asarray(u) is u.data
