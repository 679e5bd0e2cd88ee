"""Input strategies for the linear family: each entry draws (args, kwargs) for one Function."""
from __future__ import annotations

from typing import Callable

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import _dims, float_arrays

# (subscripts, operand shapes in letters); '.' marks an ellipsis side drawn as 1 or full size
_EINSUM = [
    ("ij,jk->ik", ["ij", "jk"]), ("ij,jk", ["ij", "jk"]), ("bij,bjk->bik", ["bij", "bjk"]),
    ("ii->i", ["ii"]), ("ii", ["ii"]), ("iij,jk->ik", ["iij", "jk"]), ("ij->", ["ij"]),
    ("ij,kl->il", ["ij", "kl"]), ("i,j,k->ijk", ["i", "j", "k"]), ("ij,ij->ij", ["ij", "ij"]),
    ("...ij,...jk->...ik", [".ij", "..jk"]), ("...i,...i", ["..i", "i"]), ("ji", ["ji"]),
    ("b...,b...->b", ["b.", "b.."]),
]


@st.composite
def einsum_inputs(draw: Callable) -> tuple:
    """Operands for a subscripts spec: matmul, batch, trace/diagonal, outer, ellipsis broadcast."""
    subscripts, letters = draw(st.sampled_from(_EINSUM))
    size = dict(zip("ijklb", draw(_dims(5)), strict=True))
    ell = draw(_dims(2))
    ops = []
    for term in letters:
        lead = iter([draw(st.sampled_from([1, s])) for s in ell[2 - term.count("."):]])
        ops.append(draw(float_arrays(tuple(next(lead) if c == "." else size[c] for c in term))))
    return tuple(ops), {"subscripts": subscripts}


@st.composite
def tensordot_inputs(draw: Callable) -> tuple:
    """a, b and axes: an int N, or paired axis lists in any order."""
    a_shape = draw(_dims(draw(st.integers(1, 3)), high=3))
    if draw(st.booleans()):
        n = draw(st.integers(0, len(a_shape)))
        b_shape = a_shape[len(a_shape) - n:] + draw(_dims(draw(st.integers(0, 2)), high=3))
        return (draw(float_arrays(a_shape)), draw(float_arrays(b_shape))), {"axes": n}
    k = draw(st.integers(1, len(a_shape)))
    ca = draw(st.permutations(range(len(a_shape))))[:k]
    extra = draw(_dims(draw(st.integers(0, 2)), high=3))
    nb = k + len(extra)
    cb = draw(st.permutations(range(nb)))[:k]
    b_shape = [0] * nb
    for i, j in zip(ca, cb, strict=True):
        b_shape[j] = a_shape[i]
    rest = iter(extra)
    b_shape = [s or next(rest) for s in b_shape]
    axes = (list(ca), [j - nb if draw(st.booleans()) else j for j in cb])
    return (draw(float_arrays(a_shape)), draw(float_arrays(tuple(b_shape)))), {"axes": axes}


@st.composite
def outer_inputs(draw: Callable) -> tuple:
    """a, b: 1-D, or N-D (flattened as numpy)."""
    a = draw(float_arrays(st.sampled_from([(3,), (2, 2), (1,)])))
    b = draw(float_arrays(st.sampled_from([(4,), (2, 1, 2), (2,)])))
    return (a, b), {}


INPUTS: dict[str, Callable[[], SearchStrategy]] = {
    "Einsum": einsum_inputs, "Tensordot": tensordot_inputs, "Outer": outer_inputs,
}
