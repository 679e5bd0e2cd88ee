"""minigrad.testing itself: gradcheck catches wrong backwards and names them; the strategies."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import find
from hypothesis import strategies as st

from minigrad import Function
from minigrad.testing import GradcheckError, check_function, gradcheck, numerical_grad, rel_error
from minigrad.testing import strategies as mst
from minigrad.testing.strategies import float_arrays, shapes

README = Path(__file__).resolve().parents[2] / "README.md"
README_EXAMPLE = re.search(r"```python\n(import numpy as np\nfrom minigrad import Function\n"
                           r".*?)```", README.read_text(), re.S).group(1)  # the Softplus example
_readme: dict = {}
exec(README_EXAMPLE, _readme)  # the README's text, verbatim
Softplus, test_softplus = _readme["Softplus"], _readme["test_softplus"]


def _softplus_with(grad: object) -> type:
    """A Softplus whose backward is `grad(x, dout)` (to plant bugs)."""

    class BadSoftplus(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.logaddexp(0, x)

        @staticmethod
        def backward(ctx, dout):
            (x,) = ctx.saved_tensors
            return grad(x, dout)

    return BadSoftplus


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _flip_one(x: np.ndarray, dout: np.ndarray, where: int = 5) -> np.ndarray:
    g = dout * _sigmoid(x)
    g.flat[where] *= -1
    return g


X = np.linspace(-2, 2, 12).reshape(3, 4)


def test_correct_softplus_passes_with_small_error() -> None:
    report = gradcheck(Softplus, [X])
    assert report.passed and report.mode == "full"
    assert report.max_rel_error < 1e-7
    test_softplus()  # calling the property test runs it
    assert 0 < test_softplus.worst["'x' (#0)"] < 1e-6


def test_check_function_accepts_pairs_tuples_and_arrays() -> None:
    pairs = float_arrays(shapes()).map(lambda x: ((x,), {}))
    for strategy in (pairs, pairs.map(lambda p: p[0]), float_arrays(shapes())):
        test = check_function(Softplus, strategy, max_examples=3)
        assert test.__name__ == "test_gradcheck_Softplus"
        test()
        assert list(test.worst) == ["'x' (#0)"]


def test_wrong_element_is_named_with_both_values() -> None:
    Bad = _softplus_with(_flip_one)
    with pytest.raises(GradcheckError) as info:
        gradcheck(Bad, [X])
    msg = str(info.value)
    assert "BadSoftplus" in msg and "input 'x' (#0)" in msg and "element (1, 1)" in msg
    found = re.search(r"analytic (\S+) vs numerical (\S+), rel error 1 ", msg)
    assert found, msg
    analytic, numeric = float(found[1]), float(found[2])
    assert analytic == pytest.approx(-numeric, rel=1e-8) and analytic != 0  # the flipped sign
    report = gradcheck(Bad, [X], raise_exception=False)
    assert not report.passed and report.rel_errors["'x' (#0)"] == pytest.approx(1.0)


def test_factor_error_fails_check_function() -> None:
    Bad = _softplus_with(lambda x, dout: 1.01 * dout * _sigmoid(x))
    with pytest.raises(GradcheckError, match="BadSoftplus input 'x'"):
        check_function(Bad, float_arrays(shapes()), max_examples=5)()


def test_wrong_shape_backward_is_caught() -> None:
    Bad = _softplus_with(lambda x, dout: (dout * _sigmoid(x))[:1].T)
    with pytest.raises(GradcheckError, match=r"BadSoftplus.*shape \(4, 1\).*\(3, 4\)"):
        gradcheck(Bad, [X])


def test_integer_gradient_is_caught() -> None:
    Bad = _softplus_with(lambda x, dout: np.ones(x.shape, dtype=np.int64))
    with pytest.raises(GradcheckError, match="dtype int64"):
        gradcheck(Bad, [X])


def test_nondeterministic_backward_is_caught() -> None:
    rng = np.random.default_rng(1)
    Bad = _softplus_with(lambda x, dout: dout * _sigmoid(x) + 1e-12 * rng.random(x.shape))
    with pytest.raises(GradcheckError, match="two backwards on fresh graphs differ"):
        gradcheck(Bad, [X])


class SinCos(Function):
    """(sin x, cos x): a two-output Function."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x), np.cos(x)

    @staticmethod
    def backward(ctx, dsin, dcos):
        (x,) = ctx.saved_tensors
        return dsin * np.cos(x) - dcos * np.sin(x)


class SinCosUnusedIsOnes(SinCos):
    """Bug: treats an unused (all-zero) output gradient as ones."""

    @staticmethod
    def backward(ctx, dsin, dcos):
        if not dcos.any():
            dcos = np.ones_like(dcos)
        return SinCos.backward(ctx, dsin, dcos)


def test_multi_output_with_an_unused_output() -> None:
    report = gradcheck(SinCos, [X])
    assert report.max_rel_error < 1e-7
    with pytest.raises(GradcheckError, match=r"SinCosUnusedIsOnes input 'x' \(#0\) \(output #1 "
                                             r"unused, 2 outputs\)"):
        gradcheck(SinCosUnusedIsOnes, [X])


def test_random_direction_mode_catches_one_wrong_element_of_a_large_input() -> None:
    big = np.random.default_rng(0).uniform(-2, 2, (50, 60))  # 3000 elements: auto fast mode
    assert gradcheck(Softplus, [big]).mode == "fast"
    Bad = _softplus_with(lambda x, dout: _flip_one(x, dout, where=1234))
    with pytest.raises(GradcheckError, match="BadSoftplus input 'x' \\(#0\\): random direction"):
        gradcheck(Bad, [big])


def test_callables_constants_and_masks() -> None:
    def scaled_dot(a, b, k):
        return Softplus.apply(a * b) * float(k.sum())

    a, b, k = X, X[::-1].copy(), np.arange(3)  # the int array is a constant
    report = gradcheck(scaled_dot, [a, b, k])
    assert set(report.rel_errors) == {"'a' (#0)", "'b' (#1)"}
    report = gradcheck(scaled_dot, [a, b, k], requires_grad=[True, False, False])
    assert set(report.rel_errors) == {"'a' (#0)"}
    with pytest.raises(ValueError, match="no float input"):
        gradcheck(scaled_dot, [k, k, k])


def test_numerical_grad_and_rel_error() -> None:
    x = X.copy()
    dout = np.arange(12.0).reshape(3, 4)
    num = numerical_grad(lambda: x ** 3, x, dout)
    np.testing.assert_allclose(num, 3 * X ** 2 * dout, rtol=1e-8, atol=1e-8)
    np.testing.assert_array_equal(x, X)  # restored
    assert rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert rel_error([1.0], [3.0]) == pytest.approx(0.5)
    assert rel_error([0.0], [1e-12]) == pytest.approx(1e-4)  # the 1e-8 floor


def test_strategies_reach_duplicates_all_false_rows_and_keep_away_from_kinks() -> None:
    ids = find(mst.token_ids((2, 3), 4), lambda a: len(np.unique(a)) < a.size)
    assert len(np.unique(ids)) < ids.size
    m = find(mst.masks((3, 4)), lambda a: a.any() and not a.any(axis=1).all())
    assert (~m.any(axis=1)).any()
    x = find(mst.float_arrays(mst.shapes(), distinct=True), lambda a: a.size >= 20)
    assert np.diff(np.sort(x.ravel())).min() > 4.0 / (2 * x.size)
    y = find(mst.float_arrays((30,)), lambda a: True)
    assert np.abs(y).min() >= mst.MIN_ABS
    sa, sb = find(mst.broadcastable_pairs(), lambda p: len(p[0]) != len(p[1]))
    np.broadcast_shapes(sa, sb)


def test_inputs_for_unknown_function_says_where_to_register() -> None:
    with pytest.raises(KeyError, match="BUILTIN_INPUTS"):
        mst.inputs_for("NoSuchFunction")
    assert isinstance(mst.inputs_for("Embedding"), st.SearchStrategy)


def test_import_without_hypothesis() -> None:
    code = ("import sys; sys.modules['hypothesis'] = None\n"
            "import minigrad.testing as t\n"
            "assert t.gradcheck\n"
            "try:\n    t.check_function\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "needs hypothesis" in out
