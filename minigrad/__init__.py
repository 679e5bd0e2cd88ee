"""minigrad: a small, readable numpy autograd framework in the style of torch.autograd.

`minigrad.functional` holds every op (torch names, numpy aliases); `minigrad.nn`, `minigrad.optim`
and `minigrad.linalg` mirror torch's; tensor factories (`zeros`, `arange`, `randn`, ...) live at
the top level as in torch.
"""
# ruff: noqa: I001  (order matters: tensor, function, the families, then what binds to Tensor)
from minigrad.errors import (DTypeError, GradientError, GraphError, IndexRangeError,
                             MinigradError, RangeError, ShapeError)
from minigrad.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from minigrad import tensor
from minigrad.tensor import Tensor
from minigrad.function import Context, Function
from minigrad import functional
from minigrad.creation import (arange, empty, empty_like, eye, full, full_like, linspace, normal,
                               ones, ones_like, rand, randint, randn, uniform, zeros, zeros_like)
from minigrad import engine, numpy_dispatch
from minigrad import linalg, nn, optim

tensor.bind_methods(engine.__name__, engine.TENSOR_METHODS)
tensor.bind_methods(numpy_dispatch.__name__, numpy_dispatch.TENSOR_METHODS)

__all__ = ["Tensor", "Function", "Context", "no_grad", "enable_grad", "is_grad_enabled",
           "set_grad_enabled", "functional", "linalg", "nn", "optim", "MinigradError",
           "ShapeError", "DTypeError", "RangeError", "IndexRangeError", "GradientError",
           "GraphError", "zeros", "ones", "empty", "full", "eye", "arange", "linspace", "rand",
           "randn", "randint", "normal", "uniform", "zeros_like", "ones_like", "full_like",
           "empty_like"]
__version__ = "0.2.0"
