"""gradcheck holds the Function under test to the backward contract the engine would paper over."""
from __future__ import annotations

import numpy as np
import pytest

from minigrad import Function, Tensor
from minigrad.functional.validate import unbroadcast
from minigrad.testing import GradcheckError, check_function, gradcheck
from minigrad.testing.strategies import broadcastable_pairs, float_arrays

RNG = np.random.default_rng(0)
A = RNG.standard_normal((2, 3))
B = RNG.standard_normal(3)


class UnreducedAdd(Function):
    """a + b, broadcasting; backward forgets to reduce b's gradient (the bug)."""

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, dout):
        return dout, dout


class ReducedAdd(Function):
    """a + b, broadcasting; backward reduces both gradients (correct)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = a.shape, b.shape
        return a + b

    @staticmethod
    def backward(ctx, dout):
        return unbroadcast(dout, ctx.shapes[0]), unbroadcast(dout, ctx.shapes[1])


class Float32Grad(Function):
    """2 x; backward returns float32 whatever x's dtype (the bug)."""

    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, dout):
        return (2 * dout).astype(np.float32)


class Float64Grad(Function):
    """2 x; backward promotes a float32 gradient to float64 (the bug)."""

    @staticmethod
    def forward(ctx, x):
        ctx.shape = x.shape
        return 2 * x

    @staticmethod
    def backward(ctx, dout):
        return dout * np.full(ctx.shape, 2.0)  # a float64 constant


class Square(Function):
    """x ** 2, written with an optional bug in backward."""

    mode = "ok"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @classmethod
    def grad(cls, x, dout):
        if cls.mode == "imul":
            dout *= 2 * x
            return dout
        if cls.mode == "out=":
            return np.multiply(dout, 2 * x, out=dout)
        if cls.mode == "slice":
            dout[...] = dout * 2 * x
            return dout
        return dout * 2 * x

    @staticmethod
    def backward(ctx, dout):
        (x,) = ctx.saved_tensors
        return Square.grad(x, dout)


class PassThrough(Function):
    """x (a copy); backward returns dout itself, which is allowed (never written)."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, dout):
        return dout


class SplitHalves(Function):
    """(x[:k], x[k:]) with reduced, correctly typed gradients: multi-output passes."""

    @staticmethod
    def forward(ctx, x, k=1):
        ctx.k, ctx.shape = k, x.shape
        return x[:k].copy(), x[k:].copy()

    @staticmethod
    def backward(ctx, d0, d1):
        return np.concatenate([d0, d1])


def test_unreduced_broadcast_gradient_fails_naming_everything():
    with pytest.raises(GradcheckError) as info:
        gradcheck(UnreducedAdd, [A, B])
    msg = str(info.value)
    assert "UnreducedAdd input 'b' (#1)" in msg
    assert "shape (2, 3) dtype float64" in msg and "input of shape (3,) dtype float64" in msg
    assert "'a' (#0)" not in msg  # a's gradient had the right shape


def test_the_engine_still_reduces_in_normal_use():
    a, b = Tensor(A, requires_grad=True), Tensor(B, requires_grad=True)
    UnreducedAdd.apply(a, b).sum().backward()
    np.testing.assert_array_equal(b.grad, np.full(3, 2.0))
    assert UnreducedAdd.backward is not ReducedAdd.backward  # gradcheck left the class alone
    assert UnreducedAdd.__dict__["backward"].__func__.__name__ == "backward"


def test_reduced_broadcast_gradient_passes():
    report = gradcheck(ReducedAdd, [A, B])
    assert report.passed and report.max_rel_error < 1e-7
    check_function(ReducedAdd, broadcastable_pairs().flatmap(
        lambda s: float_arrays(s[0]).flatmap(lambda a: float_arrays(s[1]).map(
            lambda b: (a, b)))), max_examples=10)()


def test_unreduced_broadcast_fails_check_function():
    strategy = float_arrays((2, 3)).map(lambda a: (a, np.ones(3)))
    with pytest.raises(GradcheckError, match="UnreducedAdd input 'b'"):
        check_function(UnreducedAdd, strategy, max_examples=3)()


def test_wrong_dtype_gradient_fails():
    with pytest.raises(GradcheckError) as info:
        gradcheck(Float32Grad, [A])
    msg = str(info.value)
    assert "Float32Grad input 'x' (#0)" in msg
    assert "dtype float32 for an input of shape (2, 3) dtype float64" in msg


def test_float64_gradient_for_a_float32_input_fails():
    x32 = A.astype(np.float32)
    with pytest.raises(GradcheckError, match=r"Float64Grad input 'x' \(#0\).*dtype float64 "
                                             r"for an input of shape \(2, 3\) dtype float32"):
        gradcheck(Float64Grad, [x32])
    report = gradcheck(Float64Grad, [A])  # in float64 the same backward is right
    assert report.passed
    x = Tensor(x32, requires_grad=True)
    Float64Grad.apply(x).sum().backward()
    assert x.grad.dtype == np.float32  # the engine casts, which is why the checker must not


@pytest.mark.parametrize("mode", ["imul", "out=", "slice"])
def test_backward_writing_into_dout_fails(mode, monkeypatch):
    monkeypatch.setattr(Square, "mode", mode)
    with pytest.raises(GradcheckError, match="Square: backward modified dout"):
        gradcheck(Square, [A])
    report = gradcheck(Square, [A], raise_exception=False)
    assert not report.passed and "modified dout" in report.failures[0]


def test_correct_backwards_pass():
    for fn, inputs in ((Square, [A]), (Square, [A.astype(np.float32)]), (PassThrough, [A]),
                       (SplitHalves, [np.arange(1.0, 5.0)]), (ReducedAdd, [A, B[:1]])):
        report = gradcheck(fn, inputs, raise_exception=False)
        assert report.passed, (fn.__name__, report.failures)


def test_only_the_function_under_test_is_strict():
    b = Tensor(B)  # a callable composite is checked through the engine's usual rules
    report = gradcheck(lambda a: UnreducedAdd.apply(a, b) * 2.0, [A])
    assert report.passed


class MakesDoutWriteable(Function):
    """(x[:1], x[1:]); backward turns its read-only second dout writeable and doubles it."""

    @staticmethod
    def forward(ctx, x):
        return x[:1].copy(), x[1:].copy()

    @staticmethod
    def backward(ctx, d0, d1):
        d1.flags.writeable = True  # numpy allows it on a view of writeable memory
        d1 *= 2.0
        return np.concatenate([d0, d1 / 2.0])


def test_a_write_after_making_dout_writeable_again_is_caught_and_numbered():
    with pytest.raises(GradcheckError, match=r"MakesDoutWriteable: backward modified dout #1 "
                                             "in place"):
        gradcheck(MakesDoutWriteable, [np.arange(1.0, 5.0)])


class RaisesValueError(Function):
    """x; backward raises a ValueError of its own (not a write into dout)."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, dout):
        raise ValueError("operands could not be broadcast together")


def test_an_unrelated_value_error_in_backward_is_not_reported_as_a_dout_write():
    with pytest.raises(ValueError, match="could not be broadcast") as info:
        gradcheck(RaisesValueError, [A])
    assert not isinstance(info.value, GradcheckError) and "dout" not in str(info.value)


def test_a_gradient_for_an_input_without_grad_is_not_checked():
    """The engine drops it, so its shape does not matter (b is a constant here)."""
    report = gradcheck(UnreducedAdd, [A, B], requires_grad=[True, False])
    assert report.passed and list(report.rel_errors) == ["'a' (#0)"]


class Float64Only(Function):
    """2 x for float64 x only; its backward would return float64 (never reached for float32)."""

    @staticmethod
    def forward(ctx, x):
        if x.dtype != np.float64:
            raise TypeError(f"Float64Only: x must be float64, got {x.dtype}")
        return 2 * x

    @staticmethod
    def backward(ctx, dout):
        return 2.0 * dout.astype(np.float64)


def test_the_native_float32_run_is_skipped_when_forward_refuses_float32():
    report = gradcheck(Float64Only, [A.astype(np.float32)])
    assert report.passed and report.converted == [0]


def test_the_strict_class_is_made_once_and_runs_the_current_backward(monkeypatch):
    from minigrad.testing.gradcheck import _strict

    assert _strict(PassThrough) is _strict(PassThrough)
    assert _strict(PassThrough).__name__ == "PassThrough"
    assert gradcheck(PassThrough, [A]).passed
    monkeypatch.setattr(PassThrough, "backward", staticmethod(lambda ctx, dout: 3.0 * dout))
    report = gradcheck(PassThrough, [A], raise_exception=False)
    assert not report.passed and "analytic" in report.failures[0]
