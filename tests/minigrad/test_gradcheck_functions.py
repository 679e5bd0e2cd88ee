"""Every built-in Function passes `check_function` (float64, max relative error < 1e-7)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

import minigrad.functional as F
from minigrad import Tensor
from minigrad.testing import check_function, gradcheck
from minigrad.testing.strategies import (
    BUILTIN_INPUTS,
    inputs_for,
    lstm_sequence_inputs,
    masked_softmax_ce_inputs,
    rnn_sequence_inputs,
)
from minigrad.testing.strategies.elementwise import division_inputs
from tests.minigrad.ops.common import private_functions

FUNCTIONS = [n for n in F.__all__ if n[0].isupper()]
ACCURATE = {"eps": 1e-3, "order": 4, "max_rel_error": 1e-7}  # five-point stencil: ~1e-13 abs error
# Svd's derivatives carry 1/(s_i - s_j) and 1/s factors: on some drawn matrices the stencil's
# O(eps^4) truncation error alone reached 1.07e-7 at eps = 1e-3 (4.7e-9 at eps = 3e-4, the
# backward being right), so Svd takes the smaller step; rounding stays ~1e-16 / eps ~ 3e-13.
STEP = {"Svd": {"eps": 3e-4}}
# Function classes outside functional.__all__ (see private_functions) and their strategies
PRIVATE_INPUTS = {
    # trunc(a / b) jumps where a / b is an integer, as floor does: FloorDivide's inputs
    "elementwise._TruncDivide": division_inputs,
}


def test_every_builtin_function_has_an_input_strategy() -> None:
    missing = [n for n in FUNCTIONS if n not in BUILTIN_INPUTS]
    assert not missing, (f"no input strategy for {missing}: add one to the INPUTS of "
                         "minigrad/testing/strategies/<family>.py")


@pytest.mark.parametrize("name", FUNCTIONS)
def test_builtin_function_gradients(name: str) -> None:
    check_function(getattr(F, name), inputs_for(name), **{**ACCURATE, **STEP.get(name, {})})()


def test_every_private_function_has_an_input_strategy() -> None:
    assert sorted(private_functions()) == sorted(PRIVATE_INPUTS)


@pytest.mark.parametrize("key", sorted(PRIVATE_INPUTS))
def test_private_function_gradients(key: str) -> None:
    check_function(private_functions()[key], PRIVATE_INPUTS[key](), **ACCURATE)()


@pytest.mark.parametrize("normalize", ["batch", "tokens"])
def test_masked_softmax_ce_both_normalizations(normalize: str) -> None:
    check_function(F.MaskedSoftmaxCE, masked_softmax_ce_inputs(normalize), **ACCURATE)()


def test_max_ties_share_the_gradient_equally() -> None:
    x = np.array([[1.0, 3.0, 3.0, 3.0], [2.0, 0.5, 2.0, -1.0]])
    t = Tensor(x, requires_grad=True)
    F.Max.apply(t, axis=1).backward(np.array([6.0, 4.0]))
    np.testing.assert_array_equal(t.grad, [[0, 2, 2, 2], [2, 0, 2, 0]])
    # a two-way tie: central differences see (1 + 0) / 2 per tied element, the shared value
    gradcheck(F.Max, [np.array([0.5, 2.0, 2.0])])


def _fused_vs_steps(fused_fn: type, loop: object, args: tuple) -> None:
    """Fused sequence Function and the step-by-step autograd path agree in value and grads."""
    rng = np.random.default_rng(0)
    results = []
    for fused in (True, False):
        ts = [Tensor(a, requires_grad=True) for a in args]
        h = fused_fn.apply(*ts) if fused else loop(*ts, fused=False)
        dout = rng.standard_normal(h.shape) if not results else results[0][2]
        h.backward(dout)
        results.append((h.data, [t.grad for t in ts], dout))
    (h1, g1, _), (h2, g2, _) = results
    np.testing.assert_allclose(h1, h2, rtol=0, atol=1e-12)
    for a, b in zip(g1, g2, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


@given(rnn_sequence_inputs())
def test_rnn_sequence_matches_step_by_step(example: tuple) -> None:
    _fused_vs_steps(F.RNNSequence, F.rnn, example[0])


@given(lstm_sequence_inputs())
def test_lstm_sequence_matches_step_by_step(example: tuple) -> None:
    _fused_vs_steps(F.LSTMSequence, F.lstm, example[0])


def test_float32_inputs_are_checked_in_float64() -> None:
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    report = gradcheck(F.Tanh, [x])
    assert report.converted == [0]
    assert report.max_rel_error < 1e-7
