"""`Function` (torch.autograd.Function style) and its `Context`, the node of the autograd graph."""
from __future__ import annotations

import inspect
import types
import weakref
from typing import Any

import numpy as np

from minigrad.errors import DTypeError, GraphError
from minigrad.grad_mode import _state
from minigrad.tensor import Tensor
from minigrad.versions import memory_owner, write_count


class Context:
    """What a Function's forward leaves for its backward; also the graph node of its outputs."""

    __slots__ = ("fn", "_in", "needs_input_grad", "_saved", "_saved_versions", "_saved_at",
                 "_freed", "_out_meta", "_out_shape", "_out_dtype", "_retained",
                 "saved_consumable", "_grads", "__dict__")

    def __init__(self, fn: type, inputs: tuple, needs_input_grad: tuple) -> None:
        self.fn = fn
        self._in = inputs  # the arguments during forward; then see `inputs`
        self.needs_input_grad = needs_input_grad
        self._saved: tuple | None = ()
        self._saved_versions: tuple = ()
        self._freed = False
        self._out_meta: tuple | None = None  # (shape, dtype) per output of a tuple-output fn
        self._out_shape = self._out_dtype = None  # of a single-output fn's output
        self._retained: dict | None = None
        self.saved_consumable = False  # set by the engine: saved arrays die after this backward
        self._grads: list | None = None  # gradients of the outputs, gathered during backward

    @property
    def inputs(self) -> tuple:
        """One entry per forward argument: the arguments themselves during forward; once the
        node is recorded, a leaf Tensor as is, an edge (`_ctx`, `_out_idx`, `shape`, `dtype`)
        for a Tensor made by another Function, None for anything else. (The graph stores a
        single-output producer's Context in place of its edge, one object fewer per node for
        Python's garbage collector to rescan; the edge is built here, on demand.)"""
        return tuple([_Edge.of(e) if type(e) is Context else e for e in self._in])

    def input_meta(self, i: int) -> tuple:
        """(shape, dtype) of recorded input `i` (a Tensor), without building `inputs`."""
        e = self._in[i]
        if type(e) is Context:
            return e._out_shape, e._out_dtype
        return e.shape, e.dtype

    @inputs.setter
    def inputs(self, value: tuple) -> None:
        self._in = tuple(value)

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep arrays for backward. A saved Tensor input (or a view of it) is version-checked;
        a saved plain-array input (or a view of it) is copied, as numpy arrays carry no version
        (`ids[0, 0] = 3` between forward and backward must not move the gradient), and so is a
        saved int/bool Tensor input (ids, masks: small), which `.data[...] = v` edits unseen."""
        self._saved = arrays
        if True not in self.needs_input_grad:  # not recording: nothing will be checked
            return
        versions = []
        for i, a in enumerate(arrays):
            if not isinstance(a, np.ndarray):
                continue
            owner = memory_owner(a)
            for t in self._in:
                if isinstance(t, Tensor):
                    if t.data is a or memory_owner(t.data) is owner:
                        versions.append((t, t._version))
                        if a.dtype.kind in "biu":
                            self._saved = _replaced(self._saved, i, a.copy(order="K"))
                            break
                elif isinstance(t, np.ndarray) and memory_owner(t) is owner:
                    self._saved = _replaced(self._saved, i, a.copy(order="K"))
                    break
        self._saved_versions = tuple(versions)
        self._saved_at = write_count()

    @property
    def saved_tensors(self) -> tuple:
        """The arrays given to `save_for_backward`; an error once backward has freed them."""
        if self._freed:
            raise GraphError(
                f"{self.fn.__name__}: trying to backward through the graph a second time; its "
                "saved arrays were freed by the first backward. Pass retain_graph=True to the "
                "first backward() if you need to call it twice.")
        return self._saved

    def mark_freed(self) -> None:
        """Drop the saved arrays (called by the engine after this node's backward)."""
        if self._saved:
            self._freed = True
        self._saved = ()
        self._saved_versions = ()


class Function:
    """Subclass with `forward(ctx, *arrays, **consts)` and `backward(ctx, *douts)` staticmethods.

    Call it as `MyFn.apply(*inputs, **consts)`: inputs may be Tensors, arrays or numbers; forward
    receives raw arrays and returns an array or a tuple of arrays; backward returns one gradient
    (or None) per forward input. Never modify `douts` in place: they may be shared.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A subclass that inherits `forward` from a shared base gets its own copy named
        `<Subclass>.forward`, so Python's argument errors (an unexpected keyword) name the
        public Function, not the private base."""
        super().__init_subclass__(**kwargs)
        if "forward" in cls.__dict__ or cls.forward is Function.forward:
            return
        f = cls.forward
        own = types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__,
                                 f.__closure__)
        own.__kwdefaults__, own.__qualname__ = f.__kwdefaults__, f"{cls.__name__}.forward"
        cls.forward = staticmethod(own)

    @staticmethod
    def forward(ctx: Context, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, *douts: np.ndarray) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run forward on the arrays behind `args`; record a graph node if any input needs grad.

        Keyword arguments are constants (axis=..., ...), except forward's required parameters
        given by name (`Gather.apply(x, 1, index=idx)`), which join `args` in their order.
        """
        if kwargs:
            args, kwargs = _inputs_by_name(cls, args, kwargs)
        arrays = [a.data if isinstance(a, Tensor) else a for a in args]
        if _state.enabled:
            needs = tuple([isinstance(a, Tensor) and a._requires_grad for a in args])
        else:
            needs = (False,) * len(args)
        record = True in needs
        ctx = Context(cls, args, _NEEDS.setdefault(needs, needs))
        out = cls.forward(ctx, *arrays, **kwargs)
        if type(out) is tuple:
            if record:
                ctx._out_meta = tuple([(o.shape, o.dtype) for o in out])
            outs = tuple([_wrap(o, ctx if record else None, i, cls) for i, o in enumerate(out)])
        else:
            outs = _wrap(out, ctx if record else None, 0, cls)
            if record:
                ctx._out_shape, ctx._out_dtype = outs.data.shape, outs.data.dtype
        if record:
            if ctx._saved:
                ctx._saved_versions += _saved_outputs(ctx._saved, outs)
            ctx._in = tuple([_edge(a) if isinstance(a, Tensor) else None for a in args])
        return outs


def _edge(t: Tensor) -> Any:
    """How the graph holds input `t`: a leaf as is; a single-output Function's result as that
    Function's Context (no object per edge); else an `_Edge`."""
    p = t._ctx
    if p is None:
        return t
    return p if p._out_meta is None else _Edge(t)


_NEEDS: dict[tuple, tuple] = {}  # interned needs_input_grad tuples (fewer objects per node)
_REQUIRED: dict[type, tuple] = {}  # Function class -> names of forward's required parameters


def _required(cls: type) -> tuple:
    """Names of the parameters of `cls.forward` after ctx that have no default, in order."""
    names = _REQUIRED.get(cls)
    if names is None:
        names = []
        for p in list(inspect.signature(cls.forward).parameters.values())[1:]:
            if p.kind is not p.POSITIONAL_OR_KEYWORD or p.default is not p.empty:
                break
            names.append(p.name)
        names = _REQUIRED[cls] = tuple(names)
    return names


def _inputs_by_name(cls: type, args: tuple, kwargs: dict) -> tuple:
    """(args, kwargs) with forward's required parameters given by name moved into `args` (so
    that backward's gradients line up with the inputs); a Tensor requiring grad left among the
    keyword constants is an error (no gradient could reach it)."""
    names = _required(cls)[len(args):]
    if names and names[0] in kwargs:
        kwargs = dict(kwargs)
        extra = []
        for n in names:
            if n not in kwargs:
                break
            extra.append(kwargs.pop(n))
        args = args + tuple(extra)
    for k, value in kwargs.items():
        if isinstance(value, Tensor) and value._requires_grad:
            raise TypeError(f"{cls.__name__}.apply: argument {k!r} is a Tensor that requires "
                            "grad, given by keyword; keyword arguments are constants that no "
                            "gradient reaches: pass it positionally")
    return args, kwargs


class _Edge:
    """A non-leaf input as backward needs it (node, output slot, shape, dtype), not its data.

    Holding edges instead of the tensors lets intermediate activations be freed as soon as
    nothing else uses them: only what Functions saved for backward stays alive.
    """

    __slots__ = ("_ctx", "_out_idx", "shape", "dtype")

    def __init__(self, t: Tensor) -> None:
        self._ctx, self._out_idx = t._ctx, t._out_idx
        self.shape, self.dtype = t.data.shape, t.data.dtype

    @classmethod
    def of(cls, ctx: Context) -> _Edge:
        """The edge to the output of single-output node `ctx`."""
        e = cls.__new__(cls)
        e._ctx, e._out_idx, e.shape, e.dtype = ctx, 0, ctx._out_shape, ctx._out_dtype
        return e


def _replaced(items: tuple, i: int, value: Any) -> tuple:
    """`items` with item `i` replaced by `value`."""
    return items[:i] + (value,) + items[i + 1:]


def _saved_outputs(saved: tuple, outs: Any) -> tuple:
    """(weakref, version) of each output whose memory was saved (tanh keeps its own output)."""
    owners = {id(memory_owner(a)) for a in saved if isinstance(a, np.ndarray)}
    outs = outs if type(outs) is tuple else (outs,)
    return tuple([(weakref.ref(t), t._version) for t in outs
                  if id(memory_owner(t.data)) in owners])


def _wrap(out: Any, ctx: Context | None, idx: int, fn: type) -> Tensor:
    """Make the output Tensor of a Function (attached to `ctx` when it is differentiable)."""
    if type(out) is not np.ndarray:
        if isinstance(out, (np.ndarray, np.generic, int, float)):
            out = np.asarray(out)
        else:
            raise DTypeError(f"{fn.__name__}.forward must return numpy arrays, got "
                             f"{type(out).__name__}")
    t = Tensor.__new__(Tensor)
    t.data = out
    t._grad = None
    t._version = 0
    t.name = None
    if ctx is not None and out.dtype.kind == "f":
        t._requires_grad = True
        t._ctx = ctx
        t._out_idx = idx
    else:
        t._requires_grad = False
        t._ctx = None
        t._out_idx = 0
    return t
