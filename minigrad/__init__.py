"""minigrad: a small, readable numpy autograd framework in the style of torch.autograd."""
# ruff: noqa: I001  (order matters: tensor before function; tensor.py binds the operator modules)
from minigrad.errors import (DTypeError, GradientError, GraphError, MinigradError, RangeError,
                             ShapeError)
from minigrad.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from minigrad.tensor import Tensor
from minigrad.function import Context, Function
from minigrad import functional

__all__ = ["Tensor", "Function", "Context", "no_grad", "enable_grad", "is_grad_enabled",
           "set_grad_enabled", "functional", "MinigradError", "ShapeError", "DTypeError",
           "RangeError", "GradientError", "GraphError"]
__version__ = "0.1.0"
