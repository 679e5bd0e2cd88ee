"""Activation modules with torch's names, constructor arguments and reprs (no parameters).

Every module maps any shape to the same shape. `inplace=True` is accepted for torch code but
computed out of place (the graph needs the input); it only shows in the repr, as in torch.
"""
from __future__ import annotations

from typing import Any

from minigrad.functional import activation as A
from minigrad.functional.elementwise import sigmoid
from minigrad.functional.softmax import glu, log_softmax, softmax, softmin
from minigrad.nn.module import Module


class _Activation(Module):
    """A parameter-free elementwise module: `forward(x) = _fn(x, **self._args())`, the keyword
    arguments being the attributes named in `_arg_names` (set by the constructor)."""

    _arg_names: tuple[str, ...] = ()

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def _args(self) -> dict:
        return {k: getattr(self, k) for k in self._arg_names}

    def extra_repr(self) -> str:
        """The constructor arguments, as torch prints them."""
        parts = [f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}"
                 for k, v in self._args().items()]
        return ", ".join(parts + (["inplace=True"] if self.inplace else []))

    def forward(self, x: Any) -> Any:
        """Any shape -> same shape."""
        return type(self)._fn(x, **self._args())


class LeakyReLU(_Activation):
    """x if x > 0 else negative_slope * x."""

    _fn = staticmethod(A.leaky_relu)
    _arg_names = ("negative_slope",)

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__(inplace)
        self.negative_slope = negative_slope


class ELU(_Activation):
    """x if x > 0 else alpha (exp(x) - 1)."""

    _fn = staticmethod(A.elu)
    _arg_names = ("alpha",)

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(inplace)
        self.alpha = alpha


class CELU(ELU):
    """x if x > 0 else alpha (exp(x / alpha) - 1)."""

    _fn = staticmethod(A.celu)


class SELU(_Activation):
    """scale * elu(x, alpha) with the self-normalising constants."""

    _fn = staticmethod(A.selu)


class GELU(_Activation):
    """x Phi(x) (approximate='none', via erf) or its 'tanh' approximation."""

    _fn = staticmethod(A.gelu)
    _arg_names = ("approximate",)

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate


class Softplus(_Activation):
    """log(1 + exp(beta x)) / beta, linear where beta x > threshold."""

    _fn = staticmethod(A.softplus)
    _arg_names = ("beta", "threshold")

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold


class Sigmoid(_Activation):
    """1 / (1 + exp(-x))."""

    _fn = staticmethod(sigmoid)

    def __init__(self) -> None:
        super().__init__()


class Softmax(_Activation):
    """Softmax along `dim` (default -1; torch's None picks a dim from the rank, deprecated)."""

    _fn = staticmethod(softmax)
    _arg_names = ("dim",)

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim


class LogSoftmax(Softmax):
    """Log-softmax along `dim` (default -1)."""

    _fn = staticmethod(log_softmax)


class Softmin(Softmax):
    """softmax(-x) along `dim` (default -1)."""

    _fn = staticmethod(softmin)


class GLU(_Activation):
    """a * sigmoid(b) for the halves a, b of x along `dim` (default -1): 2H -> H there."""

    _fn = staticmethod(glu)
    _arg_names = ("dim",)

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim


class SiLU(_Activation):
    """x * sigmoid(x) (swish)."""

    _fn = staticmethod(A.silu)


class Mish(_Activation):
    """x * tanh(softplus(x))."""

    _fn = staticmethod(A.mish)


class Hardtanh(_Activation):
    """x clipped to [min_val, max_val]."""

    _fn = staticmethod(A.hardtanh)
    _arg_names = ("min_val", "max_val")

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0,
                 inplace: bool = False) -> None:
        super().__init__(inplace)
        self.min_val, self.max_val = min_val, max_val


class ReLU6(_Activation):
    """x clipped to [0, 6]."""

    _fn = staticmethod(A.relu6)


class Hardswish(_Activation):
    """x * relu6(x + 3) / 6."""

    _fn = staticmethod(A.hardswish)


class Hardsigmoid(_Activation):
    """relu6(x + 3) / 6."""

    _fn = staticmethod(A.hardsigmoid)


class Softsign(_Activation):
    """x / (1 + |x|)."""

    _fn = staticmethod(A.softsign)

    def __init__(self) -> None:
        super().__init__()


class LogSigmoid(_Activation):
    """log(sigmoid(x))."""

    _fn = staticmethod(A.logsigmoid)

    def __init__(self) -> None:
        super().__init__()


class Identity(Module):
    """Returns its input unchanged; constructor arguments are ignored (as torch)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        """Any shape -> the same object."""
        return x


__all__ = ["LeakyReLU", "ELU", "CELU", "SELU", "GELU", "Softplus", "Sigmoid", "Softmax",
           "LogSoftmax", "Softmin", "GLU", "SiLU", "Mish", "Hardtanh", "ReLU6", "Hardswish",
           "Hardsigmoid", "Softsign", "LogSigmoid", "Identity"]
