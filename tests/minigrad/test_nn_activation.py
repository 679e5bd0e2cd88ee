"""Activation modules: torch names, constructor arguments and reprs; outputs from numpy formulas."""
from __future__ import annotations

import math

import numpy as np
import pytest

from minigrad import Tensor, nn

X = np.linspace(-5.0, 5.0, 24).reshape(2, 3, 4) + 0.017  # no exact kink on the grid
SIG = 1 / (1 + np.exp(-X))
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


CASES = [
    (nn.LeakyReLU(), "LeakyReLU(negative_slope=0.01)", np.where(X > 0, X, 0.01 * X)),
    (nn.LeakyReLU(0.2, inplace=True), "LeakyReLU(negative_slope=0.2, inplace=True)",
     np.where(X > 0, X, 0.2 * X)),
    (nn.ELU(), "ELU(alpha=1.0)", np.where(X > 0, X, np.expm1(X))),
    (nn.CELU(0.5), "CELU(alpha=0.5)", np.where(X > 0, X, 0.5 * np.expm1(X / 0.5))),
    (nn.SELU(), "SELU()", SELU_SCALE * np.where(X > 0, X, SELU_ALPHA * np.expm1(X))),
    (nn.GELU(), "GELU(approximate='none')",
     X * np.vectorize(lambda v: 0.5 * math.erfc(-v / math.sqrt(2)))(X)),
    (nn.GELU("tanh"), "GELU(approximate='tanh')",
     0.5 * X * (1 + np.tanh(math.sqrt(2 / math.pi) * (X + 0.044715 * X ** 3)))),
    (nn.Softplus(), "Softplus(beta=1.0, threshold=20.0)", np.log1p(np.exp(X))),
    (nn.Softplus(2, 4), "Softplus(beta=2, threshold=4)",
     np.where(2 * X > 4, X, np.log1p(np.exp(2 * X)) / 2)),
    (nn.Sigmoid(), "Sigmoid()", SIG),
    (nn.Softmax(dim=1), "Softmax(dim=1)", _softmax(X, 1)),
    (nn.Softmax(), "Softmax(dim=-1)", _softmax(X, -1)),
    (nn.LogSoftmax(0), "LogSoftmax(dim=0)", np.log(_softmax(X, 0))),
    (nn.Softmin(dim=1), "Softmin(dim=1)", _softmax(-X, 1)),
    (nn.GLU(), "GLU(dim=-1)", X[..., :2] / (1 + np.exp(-X[..., 2:]))),
    (nn.GLU(0), "GLU(dim=0)", X[:1] / (1 + np.exp(-X[1:]))),
    (nn.SiLU(), "SiLU()", X * SIG),
    (nn.Mish(), "Mish()", X * np.tanh(np.log1p(np.exp(X)))),
    (nn.Hardtanh(), "Hardtanh(min_val=-1.0, max_val=1.0)", np.clip(X, -1, 1)),
    (nn.Hardtanh(-2, 3), "Hardtanh(min_val=-2, max_val=3)", np.clip(X, -2, 3)),
    (nn.ReLU6(), "ReLU6()", np.clip(X, 0, 6)),
    (nn.ReLU6(inplace=True), "ReLU6(inplace=True)", np.clip(X, 0, 6)),
    (nn.Hardswish(), "Hardswish()", X * np.clip(X + 3, 0, 6) / 6),
    (nn.Hardsigmoid(), "Hardsigmoid()", np.clip(X + 3, 0, 6) / 6),
    (nn.Softsign(), "Softsign()", X / (1 + np.abs(X))),
    (nn.LogSigmoid(), "LogSigmoid()", np.log(SIG)),
    (nn.Identity(), "Identity()", X),
]


@pytest.mark.parametrize("module, text, expected", CASES, ids=[c[1] for c in CASES])
def test_module_output_repr_and_no_parameters(module, text, expected):
    assert repr(module) == text
    assert module.parameters() == [] and module.state_dict() == {}
    out = module(Tensor(X))
    np.testing.assert_allclose(out.data, expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("module", [c[0] for c in CASES if not isinstance(c[0], nn.Identity)],
                         ids=[c[1] for c in CASES if not isinstance(c[0], nn.Identity)])
def test_modules_backpropagate_and_keep_float32(module):
    x = Tensor(X.astype(np.float32), requires_grad=True)
    out = module(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad is not None and x.grad.dtype == np.float32 and x.grad.shape == X.shape


def test_names_are_exported_from_nn():
    for name in ["LeakyReLU", "ELU", "CELU", "SELU", "GELU", "Softplus", "Sigmoid", "Softmax",
                 "LogSoftmax", "Softmin", "GLU", "SiLU", "Mish", "Hardtanh", "ReLU6", "Hardswish",
                 "Hardsigmoid", "Softsign", "LogSigmoid", "Identity"]:
        assert name in nn.__all__ and isinstance(getattr(nn, name)(), nn.Module), name


def test_identity_ignores_arguments_and_returns_its_input():
    t = Tensor(X)
    assert nn.Identity(54, unused="x")(t) is t


def test_in_a_sequential_model():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(4, 5, dtype=np.float64, rng=rng), nn.GELU(),
                          nn.Linear(5, 3, dtype=np.float64, rng=rng), nn.LogSoftmax(dim=1))
    x = rng.standard_normal((6, 4))
    out = model(Tensor(x))
    np.testing.assert_allclose(np.exp(out.data).sum(axis=1), np.ones(6), rtol=1e-14)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    assert "(1): GELU(approximate='none')" in repr(model)
