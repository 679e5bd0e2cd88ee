"""Error classes raised by minigrad; each subclasses the builtin a numpy user would catch."""


class MinigradError(Exception):
    """Base class of every error minigrad raises on purpose."""


class ShapeError(MinigradError, ValueError):
    """An argument has the wrong number of dimensions or a mismatched shape."""


class DTypeError(MinigradError, TypeError):
    """An argument has the wrong dtype (float where int is needed, or back)."""


class RangeError(MinigradError, ValueError):
    """An argument holds values outside their allowed range (ids >= V, NaN, inf, ...)."""


class GradientError(MinigradError, RuntimeError):
    """A Function's backward returned a gradient of the wrong count, shape or dtype."""


class GraphError(MinigradError, RuntimeError):
    """The autograd graph cannot be used: freed, modified in place, or asked for higher order."""


class IndexRangeError(ShapeError, IndexError):
    """An index does not fit the indexed shape; an IndexError too, so iterating a Tensor ends."""


class ShapeRuntimeError(ShapeError, RuntimeError):
    """A bad shape or dim where torch raises RuntimeError (permute, flip, unfold, reshape)."""


class DTypeRuntimeError(DTypeError, RuntimeError):
    """A dtype an op does not support, where torch raises RuntimeError (bitwise ops on floats)."""


class RangeRuntimeError(RangeError, RuntimeError):
    """A bad argument value where torch raises RuntimeError (rounding_mode, indexing, negative
    integer powers)."""


class UnsupportedError(RangeError, NotImplementedError):
    """An option the op does not implement (an unknown pad mode); NotImplementedError as torch."""


class EmptyReductionError(IndexRangeError, RuntimeError):
    """max/min/argmax/argmin over an axis of size 0; an IndexError and a RuntimeError, as torch
    raises one or the other."""


class UnknownDTypeError(DTypeError, AttributeError):
    """A `dtype=` that names no dtype; an AttributeError too, as `torch.<name>` would be."""


class StateDictKeyError(MinigradError, KeyError):
    """A state dict (or a name) with missing, unexpected or clashing keys; a KeyError as before,
    printed as its message (without KeyError's quotes)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""
