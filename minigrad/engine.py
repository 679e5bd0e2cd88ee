"""Reverse-mode engine: iterative topological walk, leaf accumulation, shared gradient checks."""
from __future__ import annotations

import inspect
import weakref
from typing import Any

import numpy as np

from minigrad.errors import GradientError, GraphError, ShapeError
from minigrad.function import Context, _Edge
from minigrad.unbroadcast import unbroadcast_or_none
from minigrad.versions import any_writes, written_since


def backward(root: Any, grad: Any = None, retain_graph: bool = False,
             create_graph: bool = False) -> None:
    """Fill `.grad` of every leaf that `root` depends on with d(root · grad)/d(leaf)."""
    if create_graph:
        raise GraphError("minigrad is first-order only: create_graph=True (gradients of "
                         "gradients) is not supported")
    if not root.requires_grad:
        raise GraphError("backward() called on a tensor that does not require grad and has no "
                         "graph (was it made under no_grad, or from inputs without requires_grad?)")
    grad = _root_grad(root, grad)
    if root._ctx is None:
        _accumulate_leaf(root, grad, (grad,))
        return
    deps = _consumer_counts(root._ctx)  # also checks every node and clears its `_grads`
    root._ctx._grads = [None] * _n_outputs(root._ctx)
    root._ctx._grads[root._out_idx] = grad
    ready = [root._ctx]  # nodes whose consumers have all sent their gradients
    while ready:
        ctx = ready.pop()
        douts = ctx._grads
        inputs = ctx._in  # per input: None, a leaf Tensor, a Context (its only output), an _Edge
        if douts is None:  # no gradient reached it: its parents only lose a consumer
            _release(inputs, deps, ready)
            continue
        ctx._grads = None
        if ctx._out_meta is not None:
            douts = _fill_unused(ctx, douts)
        if ctx._retained:
            for idx, t in ctx._retained.items():
                _accumulate_leaf(t, douts[idx], douts)
        ctx.saved_consumable = not retain_graph
        result = ctx.fn.backward(ctx, *douts)
        if type(result) is not tuple:
            result = (result,)
        if len(result) != len(inputs):
            raise GradientError(
                f"{ctx.fn.__name__}.backward returned {len(result)} gradient(s), expected "
                f"{len(inputs)} (one per forward input, None for inputs without a gradient)")
        needs = ctx.needs_input_grad
        for i in range(len(inputs)):
            g = result[i]
            t = inputs[i]
            kind = type(t)
            if g is None or not needs[i]:
                if kind is Context or kind is _Edge:
                    _release_one(t if kind is Context else t._ctx, deps, ready)
                continue
            if kind is Context:  # the only output of node t
                p, k = t, 0
                if type(g) is not np.ndarray or g.dtype != t._out_dtype or \
                        g.shape != t._out_shape:
                    g = _checked(ctx, i, _Edge.of(t), g)
            else:
                p = t._ctx
                if p is None:  # a leaf Tensor
                    _accumulate_leaf(t, _checked(ctx, i, t, g), douts, result[:i], ctx)
                    continue
                k = t._out_idx
                if type(g) is not np.ndarray or g.dtype != t.dtype or g.shape != t.shape:
                    g = _checked(ctx, i, t, g)
            s = p._grads
            if s is None:
                s = p._grads = [None] * _n_outputs(p)
            s[k] = g if s[k] is None else s[k] + g
            _release_one(p, deps, ready)
        if not retain_graph:
            ctx.mark_freed()


def _release_one(p: Any, deps: dict, ready: list) -> None:
    """One consumer of node `p` is done; `p` is ready when none is left."""
    k = id(p)
    n = deps[k] - 1
    deps[k] = n
    if not n:
        ready.append(p)


def _release(inputs: tuple, deps: dict, ready: list) -> None:
    for e in inputs:
        if type(e) is Context:
            _release_one(e, deps, ready)
        elif type(e) is _Edge:
            _release_one(e._ctx, deps, ready)


def _root_grad(root: Any, grad: Any) -> np.ndarray:
    """The upstream gradient for `root`: ones for a scalar, else the given array (checked)."""
    if grad is None:
        if root.data.size != 1:
            raise ShapeError(f"backward(): grad can be implied only for a scalar output, got "
                             f"shape {root.data.shape}; pass grad= of that shape")
        return np.ones_like(root.data)
    if not isinstance(grad, np.ndarray):  # a Tensor, number or list (ndarray.data is a buffer)
        grad = np.asarray(getattr(grad, "data", grad))
    if grad.shape != root.data.shape:
        raise ShapeError(f"backward(): grad must have the output's shape {root.data.shape}, got "
                         f"{grad.shape}")
    return grad.astype(root.data.dtype, copy=False)


def _n_outputs(ctx: Any) -> int:
    return 1 if ctx._out_meta is None else len(ctx._out_meta)


def _consumer_counts(root_ctx: Any) -> dict:
    """{id(node): number of edges from nodes that consume it} over the graph of `root_ctx`.

    Checks every node (freed, saved inputs edited in place) and clears its `_grads` before
    any backward runs. Backward then runs a node once all its consumers have: a topological
    order without building one, and without allocating container objects per node, which
    would each be rescanned by Python's full garbage collections.
    """
    _check_usable(root_ctx)
    root_ctx._grads = None
    deps = {id(root_ctx): 0}
    stack = [root_ctx]
    while stack:
        for e in stack.pop()._in:
            kind = type(e)
            if kind is Context or kind is _Edge:
                p = e if kind is Context else e._ctx
                k = id(p)
                if k in deps:
                    deps[k] += 1
                else:
                    deps[k] = 1
                    _check_usable(p)
                    p._grads = None
                    stack.append(p)
    return deps


def _check_usable(ctx: Any) -> None:
    """Raise before any backward runs if a node was freed or a saved input changed in place."""
    if ctx._freed:
        _ = ctx.saved_tensors  # raises the "second backward" GraphError
    for t, version in ctx._saved_versions:
        if type(t) is weakref.ref:  # an output saved by its own Function
            t = t()
            if t is None:
                continue
        if t._version != version:
            raise GraphError(
                f"{ctx.fn.__name__}: an array it saved for backward (shape {t.data.shape}) was "
                f"modified in place after forward (version {version} -> {t._version}); "
                "gradients would be wrong. Clone it before modifying, or redo the forward.")
        if any_writes() and written_since(t.data, ctx._saved_at):
            raise GraphError(
                f"{ctx.fn.__name__}: an array it saved for backward (shape {t.data.shape}) was "
                "modified in place after forward through a tensor sharing its memory (a view); "
                "gradients would be wrong. Clone it before modifying, or redo the forward.")


def _fill_unused(ctx: Any, slot: list) -> list:
    """Zeros for the outputs of a multi-output Function that nobody used."""
    return [np.zeros(shape, dtype) if g is None else g
            for g, (shape, dtype) in zip(slot, ctx._out_meta, strict=True)]


def _checked(ctx: Any, i: int, t: Any, g: Any) -> np.ndarray:
    """Gradient `g` for input `i` cast to its dtype and unbroadcast to its shape, else an error."""
    shape, dtype = t.shape, t.dtype
    if type(g) is not np.ndarray:
        if not isinstance(g, (np.ndarray, np.generic, float, int)):
            raise GradientError(f"{_where(ctx, i)}: backward returned {type(g).__name__}, "
                                "expected a numpy array")
        g = np.asarray(g)
    if g.dtype != dtype:
        if g.dtype.kind != "f":
            raise GradientError(f"{_where(ctx, i)}: backward returned dtype {g.dtype} for an input "
                                f"of dtype {dtype}; expected a floating gradient")
        g = g.astype(dtype)
    if g.shape != shape:
        reduced = unbroadcast_or_none(g, shape)
        if reduced is None:
            raise GradientError(f"{_where(ctx, i)}: backward returned a gradient of shape "
                                f"{g.shape} for an input of shape {shape}")
        g = reduced
    return g


def _where(ctx: Any, i: int) -> str:
    """'Fn input 'name' (#i)' for error messages."""
    name = f"#{i}"
    try:
        params = list(inspect.signature(ctx.fn.forward).parameters.values())[1:]
    except (TypeError, ValueError):
        params = []
    for k, p in enumerate(params):
        if p.kind is p.VAR_POSITIONAL:
            name = f"'{p.name}[{i - k}]' (#{i})"
            break
        if k == i:
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                name = f"'{p.name}' (#{i})"
            break
    return f"{ctx.fn.__name__} input {name}"


def _accumulate_leaf(t: Any, g: np.ndarray, douts: Any, siblings: Any = (),
                     ctx: Any = None) -> None:
    """Add `g` into `t.grad`, copying on first accumulation unless `g` is a fresh private array."""
    if t._grad is None:
        shared = (not g.flags.owndata or not g.flags.writeable
                  or any(g is d for d in douts) or any(g is s for s in siblings)
                  or (ctx is not None and _held_by(ctx, g)))
        t._grad = g.copy() if shared else g
    else:
        t._grad += g


def _held_by(ctx: Any, g: np.ndarray) -> bool:
    """Whether `g` is an array the graph still holds (saved for backward, or an input's data)."""
    return (any(g is a for a in ctx._saved)
            or any(g is getattr(x, "data", None) for x in ctx._in))


def _tensor_backward(self: Any, grad: Any = None, retain_graph: bool = False,
                     create_graph: bool = False) -> None:
    """Accumulate d(self)/d(leaf) into every leaf's `.grad` (grad defaults to 1 for scalars)."""
    backward(self, grad, retain_graph=retain_graph, create_graph=create_graph)


TENSOR_METHODS = {"backward": _tensor_backward}

