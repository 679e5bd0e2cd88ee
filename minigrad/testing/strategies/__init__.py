"""Hypothesis strategies for gradient tests, and `check_function`, the one-call property test.

Generic strategies (`shapes`, `float_arrays`, `broadcastable_pairs`, `token_ids`, `masks`)
keep values away from kinks; the per-Function builders return `(args, kwargs)` pairs with
small sizes (N, T, D, H, V <= 4) and moderate values, so float64 gradcheck is accurate to
~1e-10. `BUILTIN_INPUTS` maps every built-in Function name to its builder.

    test_softplus = check_function(Softplus, float_arrays(shapes()))

`check_function` returns a zero-argument test function: pytest collects it when it is
assigned to a `test_*` name, and calling it runs the property check directly. Its strategy
may draw `(args, kwargs)` pairs, bare args tuples, or a single array (one input).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minigrad.testing.gradcheck import GradcheckError, gradcheck

SearchStrategy = st.SearchStrategy
MAX_SIDE = 4
# Values keep |x| >= MIN_ABS by default: it keeps ReLU away from its kink, and gradients away
# from the ~1e-14 rounding floor of the numerics, where a relative error means nothing
# (hypothesis otherwise shrinks weights to 1e-8 and finds "errors" of 1e-7 relative).
MIN_ABS = 0.1


def shapes(min_dims: int = 1, max_dims: int = 3, min_side: int = 1,
           max_side: int = MAX_SIDE) -> SearchStrategy:
    """Array shapes (tuples of ints) with min_dims..max_dims sides in min_side..max_side."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def _as_shape(shape: Any) -> SearchStrategy:
    return shape if isinstance(shape, SearchStrategy) else st.just(tuple(shape))


@st.composite
def float_arrays(draw: Callable, shape: Any, low: float = -2.0, high: float = 2.0, *,
                 avoid_zero: float = MIN_ABS, distinct: bool = False,
                 dtype: Any = np.float64) -> np.ndarray:
    """Float arrays of `shape` (a tuple or a strategy of tuples) with values in [low, high].

    `avoid_zero` keeps |x| >= that (default MIN_ABS; pass 0.0 to allow zeros and tiny
    values); `distinct` makes all values differ by at least (high - low) / (2 size) (no
    near-ties for Max/MaxPool2d).
    """
    shape = draw(_as_shape(shape))
    size = int(np.prod(shape))
    if distinct:
        spacing = (high - low) / max(size, 1)
        perm = np.array(draw(st.permutations(range(size))), dtype=np.float64)
        jitter = draw(hnp.arrays(np.float64, size, elements=st.floats(0.0, 0.5)))
        return (low + spacing * (perm + 0.25 + jitter * 0.5)).reshape(shape).astype(dtype)
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    if avoid_zero > 0:
        elements = elements.map(lambda v: v if abs(v) >= avoid_zero else
                                np.copysign(avoid_zero, v) if v else avoid_zero)
    return draw(hnp.arrays(dtype, shape, elements=elements))


def broadcastable_pairs(max_dims: int = 3, max_side: int = MAX_SIDE) -> SearchStrategy:
    """Pairs of shapes (a, b) that numpy broadcasts together."""
    return hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=max_dims,
                                             max_side=max_side).map(lambda r: r.input_shapes)


def token_ids(shape: Any, V: int) -> SearchStrategy:
    """int64 ids in [0, V) of `shape`; repeated ids are allowed (and forced when size > V)."""
    return _as_shape(shape).flatmap(
        lambda s: hnp.arrays(np.int64, s, elements=st.integers(0, V - 1)))


def masks(shape: Any) -> SearchStrategy:
    """bool arrays of `shape`; all-False rows (and all-False masks) are included."""
    return _as_shape(shape).flatmap(lambda s: hnp.arrays(np.bool_, s, elements=st.booleans()))


def _weights(shape: tuple, scale: float = 0.5) -> SearchStrategy:
    return float_arrays(shape, -scale, scale)


def _dims(n: int, low: int = 1, high: int = MAX_SIDE) -> SearchStrategy:
    return st.tuples(*[st.integers(low, high) for _ in range(n)])


# ----- per-Function builders: each draws (args, kwargs) ----------------------------------
@st.composite
def binary_inputs(draw: Callable, b_min_abs: float = MIN_ABS) -> tuple:
    """Broadcastable a, b in [-2, 2] (|b| >= b_min_abs): Add, Sub, Mul, Div."""
    sa, sb = draw(broadcastable_pairs())
    a = draw(float_arrays(sa))
    b = draw(float_arrays(sb, avoid_zero=b_min_abs))
    return (a, b), {}


def unary_inputs(low: float = -2.0, high: float = 2.0,
                 avoid_zero: float = MIN_ABS) -> SearchStrategy:
    """One array x in [low, high]: Neg, Exp, Log, Tanh, Sigmoid, ReLU."""
    return float_arrays(shapes(), low, high, avoid_zero=avoid_zero).map(lambda x: ((x,), {}))


@st.composite
def pow_inputs(draw: Callable) -> tuple:
    """x in [0.2, 2] and p either a float constant or a broadcastable array in [-2, 3]."""
    sx, sp = draw(broadcastable_pairs())
    x = draw(float_arrays(sx, 0.2, 2.0))
    p = draw(st.one_of(st.floats(0.1, 3.0), st.floats(-2.0, -0.1), float_arrays(sp, -2.0, 3.0)))
    return (x, p), {}


def _wide_float() -> Any:
    return np.longdouble if np.finfo(np.longdouble).eps < np.finfo(np.float64).eps else np.float64


@st.composite
def cast_inputs(draw: Callable) -> tuple:
    """x and a dtype at least as precise as float64 (a float32 output hides gradient errors)."""
    x = draw(float_arrays(shapes()))
    return (x,), {"dtype": draw(st.sampled_from([np.float64, _wide_float()]))}


def axis_or_axes(ndim: int) -> SearchStrategy:
    """An `axis` argument: None, one axis (negative too) or a tuple of distinct axes."""
    return st.one_of(st.none(), st.integers(-ndim, ndim - 1),
                     st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                              unique=True).map(tuple))


@st.composite
def _axis_kwargs(draw: Callable, ndim: int) -> dict:
    return {"axis": draw(axis_or_axes(ndim)), "keepdims": draw(st.booleans())}


@st.composite
def reduce_inputs(draw: Callable, distinct: bool = False) -> tuple:
    """x and axis (None, int or tuple), keepdims: Sum, Mean; Max with `distinct` values."""
    x = draw(float_arrays(shapes(), distinct=distinct))
    return (x,), draw(_axis_kwargs(x.ndim))


@st.composite
def reshape_inputs(draw: Callable) -> tuple:
    """x and a new shape with the same number of elements."""
    x = draw(float_arrays(shapes()))
    new = draw(st.sampled_from([(x.size,), (1, x.size), (-1, 1), x.shape[::-1]]))
    return (x,), {"shape": new}


@st.composite
def transpose_inputs(draw: Callable) -> tuple:
    """x and axes (None or a permutation)."""
    x = draw(float_arrays(shapes()))
    axes = draw(st.one_of(st.none(), st.permutations(range(x.ndim)).map(tuple)))
    return (x,), {"axes": axes}


@st.composite
def getitem_inputs(draw: Callable) -> tuple:
    """x and a basic (int, slice) or fancy (repeated int array) index."""
    x = draw(float_arrays(shapes()))
    n = x.shape[0]
    index = draw(st.one_of(
        st.integers(-n, n - 1),
        st.builds(slice, st.integers(0, n - 1), st.integers(1, n), st.integers(1, 2)),
        token_ids(st.integers(1, 5).map(lambda k: (k,)), n),
        st.tuples(st.builds(slice, st.none(), st.none(), st.integers(-1, -1)),
                  st.integers(0, x.shape[1] - 1)) if x.ndim > 1 else st.just(Ellipsis)))
    return (x,), {"index": index}


@st.composite
def concat_inputs(draw: Callable, stack: bool = False) -> tuple:
    """1-3 arrays that agree on every side but `axis` (all sides for Stack), and the axis."""
    shape = draw(shapes())
    k = draw(st.integers(1, 3))
    if stack:
        xs = [draw(float_arrays(shape)) for _ in range(k)]
        return tuple(xs), {"axis": draw(st.integers(-len(shape) - 1, len(shape)))}
    axis = draw(st.integers(0, len(shape) - 1))
    xs = []
    for _ in range(k):
        s = list(shape)
        s[axis] = draw(st.integers(1, 3))
        xs.append(draw(float_arrays(tuple(s))))
    return tuple(xs), {"axis": axis}


@st.composite
def matmul_inputs(draw: Callable) -> tuple:
    """a, b covering 1-D operands and broadcast batch dimensions."""
    n, k, m, bt = draw(_dims(4))
    sa, sb = draw(st.sampled_from([((n, k), (k, m)), ((k,), (k, m)), ((n, k), (k,)),
                                   ((k,), (k,)), ((bt, n, k), (k, m)), ((bt, n, k), (1, k, m)),
                                   ((n, k), (bt, k, m))]))
    return (draw(float_arrays(sa)), draw(float_arrays(sb))), {}


@st.composite
def affine_inputs(draw: Callable, temporal: bool = False) -> tuple:
    """x (N, d1[, d2]) or (N, T, D) for TemporalAffine, w (D, M), b (M,)."""
    N, d1, d2, M = draw(_dims(4))
    if temporal:
        xs, D = (N, d1, d2), d2
    else:
        xs = draw(st.sampled_from([(N, d1), (N, d1, d2)]))
        D = int(np.prod(xs[1:]))
    return (draw(float_arrays(xs)), draw(_weights((D, M), 1.0)), draw(_weights((M,), 1.0))), {}


def temporal_affine_inputs() -> SearchStrategy:
    """x (N, T, D), w (D, M), b (M,)."""
    return affine_inputs(temporal=True)


@st.composite
def embedding_inputs(draw: Callable) -> tuple:
    """idx (N, T) int in [0, V) with repeats, W (V, W)."""
    N, T, V, W = draw(_dims(4))
    return (draw(token_ids((N, T), V)), draw(float_arrays((V, W)))), {}


@st.composite
def rnn_step_inputs(draw: Callable, gates: int = 1, sequence: bool = False) -> tuple:
    """x (N, D) [or (N, T, D)], prev_h (N, H) [, prev_c], Wx (D, G H), Wh (H, G H), b (G H,)."""
    N, T, D, H = draw(_dims(4))
    x = draw(float_arrays((N, T, D) if sequence else (N, D)))
    hs = [draw(float_arrays((N, H), -1.0, 1.0))]
    if gates == 4 and not sequence:
        hs.append(draw(float_arrays((N, H), -1.0, 1.0)))  # prev_c
    ws = [draw(_weights((D, gates * H))), draw(_weights((H, gates * H))),
          draw(_weights((gates * H,)))]
    return (x, *hs, *ws), {}


def lstm_step_inputs() -> SearchStrategy:
    """x (N, D), prev_h, prev_c (N, H), Wx (D, 4H), Wh (H, 4H), b (4H,)."""
    return rnn_step_inputs(gates=4)


def rnn_sequence_inputs() -> SearchStrategy:
    """x (N, T, D), h0 (N, H), Wx (D, H), Wh (H, H), b (H,)."""
    return rnn_step_inputs(sequence=True)


def lstm_sequence_inputs() -> SearchStrategy:
    """x (N, T, D), h0 (N, H), Wx (D, 4H), Wh (H, 4H), b (4H,)."""
    return rnn_step_inputs(gates=4, sequence=True)


@st.composite
def masked_softmax_ce_inputs(draw: Callable, normalize: str | None = None) -> tuple:
    """x (N, T, V) scores, y (N, T) ids, mask (N, T) bool (all-False rows too); normalize."""
    N, T, V = draw(_dims(3))
    V = max(V, 2)
    args = (draw(float_arrays((N, T, V), -3.0, 3.0)), draw(token_ids((N, T), V)),
            draw(masks((N, T))))
    return args, {"normalize": normalize or draw(st.sampled_from(["batch", "tokens"]))}


@st.composite
def softmax_ce_inputs(draw: Callable) -> tuple:
    """x (N, C) scores, y (N,) labels."""
    N, C = draw(_dims(2))
    return (draw(float_arrays((N, C), -3.0, 3.0)), draw(token_ids((N,), C))), {}


BUILTIN_INPUTS: dict[str, Callable[[], SearchStrategy]] = {
    "Add": binary_inputs, "Sub": binary_inputs, "Mul": binary_inputs,
    "Div": lambda: binary_inputs(b_min_abs=0.5),
    "Neg": unary_inputs, "Exp": unary_inputs, "Tanh": lambda: unary_inputs(-3.0, 3.0),
    "Sigmoid": lambda: unary_inputs(-4.0, 4.0), "Log": lambda: unary_inputs(0.1, 3.0),
    "ReLU": unary_inputs, "Pow": pow_inputs, "Cast": cast_inputs,
    "Sum": reduce_inputs, "Mean": reduce_inputs, "Max": lambda: reduce_inputs(distinct=True),
    "Reshape": reshape_inputs, "Transpose": transpose_inputs, "GetItem": getitem_inputs,
    "Concat": concat_inputs, "Stack": lambda: concat_inputs(stack=True),
    "MatMul": matmul_inputs, "Affine": affine_inputs, "TemporalAffine": temporal_affine_inputs,
    "Embedding": embedding_inputs, "RNNStep": rnn_step_inputs, "LSTMStep": lstm_step_inputs,
    "RNNSequence": rnn_sequence_inputs, "LSTMSequence": lstm_sequence_inputs,
    "MaskedSoftmaxCE": masked_softmax_ce_inputs, "SoftmaxCE": softmax_ce_inputs,
}


# Family strategy modules (strategies/<family>.py) add their Functions' entries; they use the
# helpers above, so they are imported here, after them.
from minigrad.testing.strategies import activation as _activation  # noqa: E402
from minigrad.testing.strategies import attention as _attention  # noqa: E402
from minigrad.testing.strategies import conv as _conv  # noqa: E402
from minigrad.testing.strategies import dropout as _dropout  # noqa: E402
from minigrad.testing.strategies import elementwise as _elementwise  # noqa: E402
from minigrad.testing.strategies import index as _index  # noqa: E402
from minigrad.testing.strategies import join as _join  # noqa: E402
from minigrad.testing.strategies import layout as _layout  # noqa: E402
from minigrad.testing.strategies import linalg as _linalg  # noqa: E402
from minigrad.testing.strategies import linear as _linear  # noqa: E402
from minigrad.testing.strategies import loss as _loss  # noqa: E402
from minigrad.testing.strategies import loss_pointwise as _loss_pointwise  # noqa: E402
from minigrad.testing.strategies import moments as _moments  # noqa: E402
from minigrad.testing.strategies import norm as _norm  # noqa: E402
from minigrad.testing.strategies import pointwise as _pointwise  # noqa: E402
from minigrad.testing.strategies import pool as _pool  # noqa: E402
from minigrad.testing.strategies import recurrent as _recurrent  # noqa: E402
from minigrad.testing.strategies import reduce as _reduce  # noqa: E402
from minigrad.testing.strategies import resample as _resample  # noqa: E402
from minigrad.testing.strategies import scan as _scan  # noqa: E402
from minigrad.testing.strategies import scattering as _scattering  # noqa: E402
from minigrad.testing.strategies import shape as _shape  # noqa: E402
from minigrad.testing.strategies import softmax as _softmax  # noqa: E402
from minigrad.testing.strategies import sort as _sort  # noqa: E402
from minigrad.testing.strategies import special as _special  # noqa: E402
from minigrad.testing.strategies import unary as _unary  # noqa: E402

for _family in (_activation, _attention, _conv, _dropout, _elementwise, _index, _join, _linalg,
                _linear, _loss, _moments, _norm, _pool, _recurrent, _reduce, _scan, _shape,
                _softmax, _sort, _special, _unary, _resample, _pointwise, _scattering, _layout,
                _loss_pointwise):
    for _name, _build in _family.INPUTS.items():
        if _name in BUILTIN_INPUTS:
            raise RuntimeError(f"strategies: {_name} is registered twice")
        BUILTIN_INPUTS[_name] = _build


def inputs_for(fn: Any) -> SearchStrategy:
    """The `(args, kwargs)` strategy of a built-in Function (class or name)."""
    name = fn if isinstance(fn, str) else fn.__name__
    if name not in BUILTIN_INPUTS:
        raise KeyError(f"inputs_for: no input strategy registered for {name!r}; add one to "
                       "BUILTIN_INPUTS (the INPUTS of minigrad/testing/strategies/<family>.py)")
    return BUILTIN_INPUTS[name]()


def _split(example: Any) -> tuple[tuple, dict]:
    """(args, kwargs) from an example that is either that pair or just the args tuple."""
    if (isinstance(example, tuple) and len(example) == 2 and isinstance(example[0], tuple)
            and isinstance(example[1], dict)):
        return example
    return (tuple(example) if isinstance(example, (tuple, list)) else (example,)), {}


def check_function(fn: Any, inputs: SearchStrategy, *, max_examples: int | None = None,
                   max_rel_error: float | None = None, **gradcheck_kwargs: Any) -> Callable:
    """A zero-argument property test: gradcheck `fn` on every example drawn from `inputs`.

    `inputs` draws `(args, kwargs)` pairs, bare args tuples or single arrays. Assign the result to a
    `test_*` name for pytest to collect it, or call it to run the check now. `max_rel_error`
    also bounds the report's worst element-wise relative error; the worst seen so far is
    kept in `test.worst` ({input label: rel error}). Settings come from the loaded hypothesis
    profile; `max_examples` overrides its count.
    """
    name = getattr(fn, "__name__", type(fn).__name__)
    worst: dict[str, float] = {}

    @given(example=inputs)
    def test(example: Any) -> None:
        args, kwargs = _split(example)
        report = gradcheck(fn, args, kwargs=kwargs, **gradcheck_kwargs)
        for key, err in report.rel_errors.items():
            worst[key] = max(worst.get(key, 0.0), err)
        if max_rel_error is not None and report.max_rel_error >= max_rel_error:
            raise GradcheckError(f"gradcheck: {name} max relative error "
                                 f"{report.max_rel_error:.3g} >= {max_rel_error:g} "
                                 f"(per input: {report.rel_errors})")

    overrides: dict[str, Any] = {"suppress_health_check": [HealthCheck.too_slow]}
    if max_examples is not None:
        overrides["max_examples"] = max_examples
    test = settings(**overrides)(test)
    test.__name__ = test.__qualname__ = f"test_gradcheck_{name}"
    test.worst = worst
    return test
