"""Every public Function refuses bad input with a named error: Function, argument, expected, got."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor
from minigrad.errors import (
    DTypeError,
    EmptyReductionError,
    GradientError,
    GraphError,
    IndexRangeError,
    MinigradError,
    RangeError,
    ShapeError,
    ShapeRuntimeError,
)
from tests.minigrad.ops.common import all_error_cases, check_named_error, r


def nan_at(a):
    """`a` with one NaN."""
    a = a.copy()
    a.flat[0] = np.nan
    return a


def ids(*shape, high=5):
    return np.random.default_rng(1).integers(0, high, size=shape)


def lstm_args(**change):
    """Valid LSTMStep args (N=2, D=3, H=4) with some replaced."""
    a = dict(x=r(2, 3), prev_h=r(2, 4), prev_c=r(2, 4), Wx=r(3, 16), Wh=r(4, 16), b=r(16))
    a.update(change)
    return tuple(a.values())


def rnn_args(**change):
    a = dict(x=r(2, 3), prev_h=r(2, 4), Wx=r(3, 4), Wh=r(4, 4), b=r(4))
    a.update(change)
    return tuple(a.values())


def seq_args(G=1, **change):
    a = dict(x=r(2, 5, 3), h0=r(2, 4), Wx=r(3, G * 4), Wh=r(4, G * 4), b=r(G * 4))
    a.update(change)
    return tuple(a.values())


def ce_args(**change):
    a = dict(x=r(2, 3, 5), y=ids(2, 3), mask=np.array([[1, 1, 0], [1, 0, 0]], bool))
    a.update(change)
    return tuple(a.values())


def conv_args(**change):
    a = dict(x=r(2, 3, 5, 5), w=r(4, 3, 3, 3), b=r(4))
    a.update(change)
    return tuple(a.values())


# (Function, case id, thunk, error class, substrings the message must contain)
CASES = [
    # elementwise: shapes that do not broadcast, non-numeric input
    ("Add", "shapes", lambda: F.Add.apply(Tensor(r(2, 3)), r(4)), ShapeError,
     ["a", "b", "broadcast", "(2, 3)", "(4,)"]),
    ("Add", "str", lambda: F.Add.apply(r(2), "x"), DTypeError, ["b", "array", "str"]),
    ("Sub", "shapes", lambda: F.Sub.apply(r(3, 2), r(3)), ShapeError, ["(3, 2)", "(3,)"]),
    ("Mul", "shapes", lambda: F.Mul.apply(r(2, 3), Tensor(r(2, 2))), ShapeError,
     ["a", "b", "(2, 3)", "(2, 2)"]),
    ("Mul", "none", lambda: F.Mul.apply(None, r(2)), DTypeError, ["a", "array", "NoneType"]),
    ("Div", "shapes", lambda: F.Div.apply(r(5), r(4)), ShapeError, ["(5,)", "(4,)"]),
    ("Pow", "shapes", lambda: F.Pow.apply(r(2, 3), r(2)), ShapeError,
     ["x", "p", "(2, 3)", "(2,)"]),
    ("Neg", "str", lambda: F.Neg.apply(np.array(["a"])), DTypeError, ["x", "numeric", "<U1"]),
    ("Exp", "str", lambda: F.Exp.apply("1.0"), DTypeError, ["x", "array", "str"]),
    ("Log", "object", lambda: F.Log.apply(np.array([object()])), DTypeError,
     ["x", "numeric", "object"]),
    ("Tanh", "none", lambda: F.Tanh.apply(None), DTypeError, ["x", "array", "NoneType"]),
    ("Sigmoid", "str", lambda: F.Sigmoid.apply(np.array(["a", "b"])), DTypeError,
     ["x", "numeric", "<U1"]),
    ("ReLU", "dict", lambda: F.ReLU.apply({}), DTypeError, ["x", "array", "dict"]),
    ("Cast", "str", lambda: F.Cast.apply(np.array(["a"]), dtype=np.float32), DTypeError,
     ["x", "numeric", "<U1"]),
    # reductions
    ("Sum", "axis", lambda: F.sum(r(2, 3), axis=2), IndexRangeError, ["axis 2", "x", "(2, 3)"]),
    ("Mean", "axis", lambda: F.mean(r(2, 3), axis=-3), IndexRangeError, ["axis -3", "(2, 3)"]),
    ("Max", "empty", lambda: F.max(r(0, 3)), EmptyReductionError, ["axis 0", "size 0", "(0, 3)"]),
    ("Max", "axis", lambda: F.max(r(2, 3), axis=(0, 5)), IndexRangeError, ["axis 5", "(2, 3)"]),
    # shape ops
    ("Reshape", "size", lambda: F.reshape(r(2, 3), (4,)), ShapeError,
     ["x", "(2, 3)", "6 elements", "(4,)"]),
    ("Transpose", "axes", lambda: F.transpose(r(2, 3), (0, 3)), ShapeError,
     ["axes", "range(2)", "(0, 3)"]),
    ("Transpose", "repeat", lambda: F.transpose(r(2, 3), (1, 1)), ShapeError,
     ["axes", "range(2)", "(1, 1)"]),
    ("GetItem", "range", lambda: Tensor(r(3))[5], IndexRangeError,
     ["index", "x", "(3,)", "5"]),
    ("Concat", "shapes", lambda: F.concat([r(2, 3), r(2, 4)], axis=0), ShapeError,
     ["(2, 3)", "(2, 4)", "axis 0"]),
    ("Concat", "empty", lambda: F.concat([]), ShapeError, ["at least one"]),
    ("Stack", "shapes", lambda: F.stack([r(2, 3), r(3, 2)]), ShapeError,
     ["one shape", "(2, 3)", "(3, 2)"]),
    ("Stack", "axis", lambda: F.stack([r(2), r(2)], axis=3), IndexRangeError,
     ["axis", "3", "(2,)"]),
    # linear
    ("MatMul", "inner", lambda: Tensor(r(2, 3)) @ r(4, 5), ShapeRuntimeError,
     ["a.shape[-1]", "b.shape[-2]", "(2, 3)", "(4, 5)"]),
    ("MatMul", "batch", lambda: F.matmul(r(2, 3, 4), r(5, 4, 6)), ShapeRuntimeError,
     ["batch", "(2, 3, 4)", "(5, 4, 6)"]),
    ("MatMul", "scalar", lambda: F.matmul(r(), r(3)), ShapeRuntimeError, ["1-D", "()", "(3,)"]),
    ("Affine", "inner", lambda: F.affine(r(2, 3), r(4, 5), r(5)), ShapeError,
     ["x", "w.shape[0]", "(2, 3)", "(4, 5)"]),
    ("Affine", "bias", lambda: F.affine(r(2, 4), r(4, 5), r(6)), ShapeError,
     ["b.shape[0]", "w.shape[1]", "(6,)", "(4, 5)"]),
    ("Affine", "x1d", lambda: F.affine(r(4), r(4, 5), r(5)), ShapeError, ["x", "2-D", "(4,)"]),
    ("Affine", "dtype", lambda: F.affine(r(2, 4, dtype=np.float32), r(4, 5), r(5)), DTypeError,
     ["x float32", "w float64"]),
    ("Affine", "int", lambda: F.affine(np.ones((2, 4), int), r(4, 5), r(5)), DTypeError,
     ["x", "float", "int64"]),
    ("Affine", "nan", lambda: F.affine(r(2, 4), nan_at(r(4, 5)), r(5)), RangeError,
     ["w", "finite", "1 NaN", "(4, 5)"]),
    ("TemporalAffine", "design", lambda: F.temporal_affine(r(2, 5, 7), r(6, 3), r(3)), ShapeError,
     ["x.shape[", "w.shape[0]", "got x (2, 5, 7) and w (6, 3)"]),
    ("TemporalAffine", "ndim", lambda: F.temporal_affine(r(5, 7), r(7, 3), r(3)), ShapeError,
     ["x", "3-D", "(N, T, D)", "(5, 7)"]),
    ("TemporalAffine", "dtype", lambda: F.temporal_affine(r(2, 5, 7), r(7, 3),
                                                          r(3, dtype=np.float32)),
     DTypeError, ["w float64", "b float32"]),
    ("TemporalAffine", "bias", lambda: F.temporal_affine(r(2, 5, 7), r(7, 3), r(3, 1)),
     ShapeError, ["b", "1-D", "(M,)", "(3, 1)"]),
    # embedding
    ("Embedding", "range", lambda: F.embedding(np.array([[0, 7]]), r(5, 3)), RangeError,
     ["idx", "[0, 5)", "max 7"]),
    ("Embedding", "negative", lambda: F.embedding(np.array([[-1, 2]]), r(5, 3)), RangeError,
     ["idx", "[0, 5)", "min -1"]),
    ("Embedding", "float ids", lambda: F.embedding(np.array([[0.0, 1.0]]), r(5, 3)), DTypeError,
     ["idx", "integer", "float64"]),
    ("Embedding", "int W", lambda: F.embedding(ids(2, 3), np.ones((5, 3), int)), DTypeError,
     ["W", "float", "int64"]),
    ("Embedding", "W ndim", lambda: F.embedding(ids(2, 3), r(5)), ShapeError,
     ["W", "2-D", "(V, W)", "(5,)"]),
    ("Embedding", "nan W", lambda: F.embedding(ids(2, 3), nan_at(r(5, 3))), RangeError,
     ["W", "finite", "NaN"]),
    # recurrent steps
    ("RNNStep", "x ndim", lambda: F.rnn_step(*rnn_args(x=r(3))), ShapeError,
     ["x", "2-D", "(N, D)", "(3,)"]),
    ("RNNStep", "Wx", lambda: F.rnn_step(*rnn_args(Wx=r(5, 4))), ShapeError,
     ["Wx", "(D, H)", "(3, 4)", "(5, 4)"]),
    ("RNNStep", "Wh", lambda: F.rnn_step(*rnn_args(Wh=r(4, 3))), ShapeError,
     ["Wh", "(H, H)", "(4, 4)", "(4, 3)"]),
    ("RNNStep", "batch", lambda: F.rnn_step(*rnn_args(prev_h=r(3, 4))), ShapeError,
     ["x.shape[0]", "prev_h.shape[0]", "(2, 3)", "(3, 4)"]),
    ("RNNStep", "dtype", lambda: F.rnn_step(*rnn_args(Wh=r(4, 4, dtype=np.float32))),
     DTypeError, ["x float64", "Wh float32"]),
    ("RNNStep", "nan", lambda: F.rnn_step(*rnn_args(x=nan_at(r(2, 3)))), RangeError,
     ["x", "finite", "NaN", "(2, 3)"]),
    ("RNNStep", "int", lambda: F.rnn_step(*rnn_args(x=np.ones((2, 3), int))), DTypeError,
     ["x", "float", "int64"]),
    ("RNNStep", "empty", lambda: F.rnn_step(*rnn_args(x=r(0, 3), prev_h=r(0, 4))), ShapeError,
     ["x", "non-empty", "(0, 3)"]),
    ("LSTMStep", "Wx", lambda: F.lstm_step(*lstm_args(Wx=r(3, 4))), ShapeError,
     ["Wx", "(D, 4H)", "(3, 16)", "(3, 4)"]),
    ("LSTMStep", "b", lambda: F.lstm_step(*lstm_args(b=r(4))), ShapeError,
     ["b", "(4H,)", "(16,)", "(4,)"]),
    ("LSTMStep", "prev_c", lambda: F.lstm_step(*lstm_args(prev_c=r(2, 5))), ShapeError,
     ["prev_c", "(N, H)", "(2, 4)", "(2, 5)"]),
    ("LSTMStep", "batch", lambda: F.lstm_step(*lstm_args(x=r(3, 3))), ShapeError,
     ["x.shape[0]", "prev_h.shape[0]", "(3, 3)", "(2, 4)"]),
    ("LSTMStep", "dtype", lambda: F.lstm_step(*lstm_args(prev_c=r(2, 4, dtype=np.float32))),
     DTypeError, ["prev_h float64", "prev_c float32"]),
    ("LSTMStep", "dtype x", lambda: F.lstm_step(*lstm_args(x=r(2, 3, dtype=np.float32))),
     DTypeError, ["x float32", "Wx float64"]),
    ("LSTMStep", "inf", lambda: F.lstm_step(*lstm_args(b=np.full(16, np.inf))), RangeError,
     ["b", "finite", "16 inf"]),
    # fused sequences (and the helpers that call them)
    ("RNNSequence", "x ndim", lambda: F.rnn(*seq_args(x=r(2, 3))), ShapeError,
     ["x", "3-D", "(N, T, D)", "(2, 3)"]),
    ("RNNSequence", "batch", lambda: F.rnn(*seq_args(h0=r(3, 4))), ShapeError,
     ["x.shape[0]", "h0.shape[0]", "(2, 5, 3)", "(3, 4)"]),
    ("RNNSequence", "dtype", lambda: F.rnn(*seq_args(x=r(2, 5, 3, dtype=np.float32))),
     DTypeError, ["x float32", "h float64"]),
    ("RNNSequence", "empty", lambda: F.rnn(*seq_args(x=r(0, 5, 3), h0=r(0, 4))), ShapeError,
     ["x", "non-empty", "(0, 5, 3)"]),
    ("LSTMSequence", "Wx", lambda: F.lstm(*seq_args(G=1)), ShapeError,
     ["Wh", "(H, 4H)", "(4, 16)", "(4, 4)"]),
    ("LSTMSequence", "h0 ndim", lambda: F.lstm(*seq_args(G=4, h0=r(4))), ShapeError,
     ["h0", "2-D", "(N, H)", "(4,)"]),
    ("LSTMSequence", "dtype", lambda: F.lstm(*seq_args(G=4, b=r(16, dtype=np.float32))),
     DTypeError, ["Wh float64", "b float32"]),
    ("LSTMSequence", "nan", lambda: F.lstm(*seq_args(G=4, h0=nan_at(r(2, 4)))), RangeError,
     ["h0", "finite", "1 NaN"]),
    ("rnn", "unfused", lambda: F.rnn(*seq_args(h0=r(3, 4)), fused=False), ShapeError,
     ["h0.shape[0]", "(2, 5, 3)", "(3, 4)"]),
    ("lstm", "unfused", lambda: F.lstm(*seq_args(G=4, Wx=r(2, 16)), fused=False), ShapeError,
     ["Wx", "(D, 4H)", "(3, 16)", "(2, 16)"]),
    # losses
    ("MaskedSoftmaxCE", "y range", lambda: F.masked_softmax_ce(*ce_args(y=np.full((2, 3), 5))),
     RangeError, ["y", "[0, 5)", "max 5"]),
    ("MaskedSoftmaxCE", "float y", lambda: F.masked_softmax_ce(*ce_args(y=np.zeros((2, 3)))),
     DTypeError, ["y", "integer", "float64"]),
    ("MaskedSoftmaxCE", "float mask",
     lambda: F.masked_softmax_ce(*ce_args(mask=np.ones((2, 3)))), DTypeError,
     ["mask", "bool", "float64"]),
    ("MaskedSoftmaxCE", "mask shape",
     lambda: F.masked_softmax_ce(*ce_args(mask=np.ones((3, 2), bool))), ShapeError,
     ["mask", "(N, T)", "(2, 3)", "(3, 2)"]),
    ("MaskedSoftmaxCE", "batch", lambda: F.masked_softmax_ce(*ce_args(y=ids(3, 3))), ShapeError,
     ["y", "(N, T)", "(2, 3)", "(3, 3)"]),
    ("MaskedSoftmaxCE", "int x", lambda: F.masked_softmax_ce(*ce_args(x=ids(2, 3, 5))),
     DTypeError, ["x", "float", "int64"]),
    ("MaskedSoftmaxCE", "nan x", lambda: F.masked_softmax_ce(*ce_args(x=nan_at(r(2, 3, 5)))),
     RangeError, ["x", "finite", "NaN", "(2, 3, 5)"]),
    ("MaskedSoftmaxCE", "x ndim", lambda: F.masked_softmax_ce(*ce_args(x=r(2, 5))), ShapeError,
     ["x", "3-D", "(N, T, V)", "(2, 5)"]),
    ("MaskedSoftmaxCE", "empty", lambda: F.masked_softmax_ce(r(0, 3, 5), ids(0, 3),
                                                             np.ones((0, 3), bool)),
     ShapeError, ["x", "non-empty", "(0, 3, 5)"]),
    ("MaskedSoftmaxCE", "normalize",
     lambda: F.masked_softmax_ce(*ce_args(), normalize="mean"), RangeError,
     ["normalize", "'batch'", "'tokens'", "'mean'"]),
    ("SoftmaxCE", "y range", lambda: F.softmax_ce(r(3, 4), np.array([0, 4, 1])), RangeError,
     ["y", "[0, 4)", "max 4"]),
    ("SoftmaxCE", "batch", lambda: F.softmax_ce(r(3, 4), np.array([0, 1])), ShapeError,
     ["y", "(N,)", "(3,)", "(2,)"]),
    ("SoftmaxCE", "float y", lambda: F.softmax_ce(r(3, 4), np.zeros(3)), DTypeError,
     ["y", "integer", "float64"]),
    ("SoftmaxCE", "empty", lambda: F.softmax_ce(r(0, 4), np.zeros(0, int)), ShapeError,
     ["x", "non-empty", "(0, 4)"]),
    # convolution (CS231n layouts: x (N, C, H, W), w (F, C, HH, WW), b (F,))
    ("Conv2d", "x ndim", lambda: F.conv2d(*conv_args(x=r(3, 5, 5))), ShapeError,
     ["x", "4-D", "(N, C, H, W)", "(3, 5, 5)"]),
    ("Conv2d", "channels", lambda: F.conv2d(*conv_args(x=r(2, 2, 5, 5))), ShapeError,
     ["x.shape[1]", "w.shape[1]", "(2, 2, 5, 5)", "(4, 3, 3, 3)"]),
    ("Conv2d", "bias", lambda: F.conv2d(*conv_args(b=r(3))), ShapeError,
     ["b.shape[0]", "w.shape[0]", "(3,)", "(4, 3, 3, 3)"]),
    ("Conv2d", "dtype", lambda: F.conv2d(*conv_args(w=r(4, 3, 3, 3, dtype=np.float32))),
     DTypeError, ["x float64", "w float32"]),
    ("Conv2d", "stride", lambda: F.conv2d(*conv_args(), stride=0), ShapeError,
     ["stride", ">= 1", "0"]),
    ("Conv2d", "empty", lambda: F.conv2d(*conv_args(x=r(0, 3, 5, 5))), ShapeError,
     ["x", "non-empty", "(0, 3, 5, 5)"]),
    ("MaxPool2d", "x ndim", lambda: F.max_pool2d(r(4, 4)), ShapeError,
     ["x", "4-D", "(N, C, H, W)", "(4, 4)"]),
    ("MaxPool2d", "kernel", lambda: F.max_pool2d(r(1, 1, 2, 2), kernel=3, stride=1), ShapeError,
     ["kernel", "3", "2"]),
    ("MaxPool2d", "bool", lambda: F.max_pool2d(np.ones((1, 1, 4, 4), bool)), DTypeError,
     ["x", "bool"]),
    ("MaxPool2d", "padding", lambda: F.max_pool2d(r(1, 1, 6, 6), 3, padding=2),
     ShapeRuntimeError, ["at most half the kernel"]),
]


@pytest.mark.parametrize("fn, _case, thunk, error, parts",
                         CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_bad_input_raises_a_named_error(fn, _case, thunk, error, parts):
    check_named_error(fn, thunk, error, parts)


def test_every_public_function_has_a_bad_input_case():
    functions = [n for n in F.__all__ if n[:1].isupper()]
    covered = {c[0] for c in CASES} | {c[0] for c in all_error_cases()}
    missing = [n for n in functions if n not in covered]
    assert not missing, f"no bad-input case for {missing}"
    for name in functions:
        assert isinstance(getattr(F, name), type)


def test_error_classes_subclass_the_builtins_a_numpy_user_catches():
    assert issubclass(ShapeError, ValueError) and issubclass(RangeError, ValueError)
    assert issubclass(DTypeError, TypeError)
    assert issubclass(GradientError, RuntimeError) and issubclass(GraphError, RuntimeError)
    for cls in (ShapeError, DTypeError, RangeError, GradientError, GraphError):
        assert issubclass(cls, MinigradError)


def test_validation_happens_before_any_graph_is_recorded():
    W = Tensor(r(5, 3), requires_grad=True)
    with pytest.raises(RangeError):
        F.embedding(np.array([[9]]), W)
    out = F.embedding(np.array([[1, 1]]), W)
    out.sum().backward()
    np.testing.assert_array_equal(W.grad[1], np.full(3, 2.0))


def test_torch_error_types_are_also_raised():
    """Errors where torch raises IndexError / RuntimeError subclass those builtins too."""
    assert issubclass(IndexRangeError, (ShapeError, IndexError))
    assert issubclass(ShapeRuntimeError, ShapeError) and issubclass(ShapeRuntimeError, RuntimeError)
    with pytest.raises(IndexError):
        F.sum(r(2, 3), axis=2)
    with pytest.raises(RuntimeError):
        F.matmul(r(2, 3), r(4, 5))


def test_mean_over_an_empty_axis_is_nan_like_torch():
    out = F.mean(Tensor(r(0, 3)), axis=0)
    assert out.shape == (3,) and np.isnan(out.data).all()
