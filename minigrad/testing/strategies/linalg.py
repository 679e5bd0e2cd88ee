"""Input strategies for the linalg family: each entry draws (args, kwargs) for one Function.

Matrices are built from their spectrum, U diag(s) Vᵀ with s at least 0.25 apart and away from 0,
so they are well-conditioned (inverse, solve), positive-definite (Cholesky) or have distinct
eigen/singular values (Eigh, Svd). The orthogonal factors come from the QR of 3·P + noise (P a
permutation): every column keeps one clearly largest entry, so the sign convention of Eigh and
Svd (largest entry positive) does not flip under the perturbations of gradcheck.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import _dims, float_arrays, shapes


@st.composite
def _orthogonal(draw: Callable, m: int, k: int | None = None) -> np.ndarray:
    """(m, k) orthonormal columns, each with one clearly largest |entry|."""
    k = m if k is None else k
    perm = list(draw(st.permutations(range(m))))
    noise = draw(float_arrays((m, k), -0.5, 0.5, avoid_zero=0.05))  # no exact zeros in Q
    return np.linalg.qr(3.0 * np.eye(m)[:, perm][:, :k] + noise)[0]


@st.composite
def _spectrum(draw: Callable, n: int, low: float) -> np.ndarray:
    """n values from `low` up, at least 0.25 apart, in a drawn order."""
    jitter = draw(float_arrays((n,), 0.0, 0.1, avoid_zero=0.0))
    vals = low + 0.35 * np.arange(n) + jitter
    return vals[list(draw(st.permutations(range(n))))]


@st.composite
def matrices(draw: Callable, kind: str, batch: tuple = (), n: int = 3,
             m: int | None = None) -> np.ndarray:
    """A batch of (m, n) matrices: 'general' (|eigen| >= 0.6, either sign), 'spd' (eigenvalues
    >= 0.5), 'sym' (distinct eigenvalues from -1), 'rect' (singular values >= 0.5, distinct),
    'singular' (one singular value 0)."""
    m = n if m is None else m
    out = []
    for _ in range(int(np.prod(batch))):
        k = min(m, n)
        if kind in ("spd", "sym"):
            Q = draw(_orthogonal(n))
            w = draw(_spectrum(n, 0.5 if kind == "spd" else -1.0))
            out.append(Q @ np.diag(w) @ Q.T)
            continue
        s = draw(_spectrum(k, 0.6 if kind == "general" else 0.5))
        if kind == "general":
            s = s * np.array(draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=k,
                                           max_size=k)))
        if kind == "singular":
            s[0] = 0.0
        out.append(draw(_orthogonal(m, k)) @ np.diag(s) @ draw(_orthogonal(n, k)).T)
    return np.array(out).reshape(batch + (m, n))


def _batches() -> SearchStrategy:
    return st.sampled_from([(), (), (2,), (3,), (2, 1)])


@st.composite
def axis_pair_inputs(draw: Callable) -> tuple:
    """x (2-4 D), two distinct axes (either sign) and an offset: Trace, Diagonal."""
    x = draw(float_arrays(shapes(min_dims=2, max_dims=4)))
    a1, a2 = draw(st.permutations(range(x.ndim)))[:2]
    a1 -= x.ndim * draw(st.integers(0, 1))
    return (x,), {"offset": draw(st.integers(-3, 3)), "axis1": a1, "axis2": a2}


@st.composite
def diag_inputs(draw: Callable) -> tuple:
    """x 1-D (to a matrix) or 2-D (to its diagonal), k in [-2, 2]."""
    x = draw(float_arrays(shapes(min_dims=1, max_dims=2)))
    return (x,), {"k": draw(st.integers(-2, 2))}


@st.composite
def diag_embed_inputs(draw: Callable) -> tuple:
    """x (1-3 D), offset, and two distinct output dims."""
    x = draw(float_arrays(shapes(min_dims=1, max_dims=3)))
    d1, d2 = draw(st.permutations(range(x.ndim + 1)))[:2]
    return (x,), {"offset": draw(st.integers(-2, 2)), "dim1": d1 - (x.ndim + 1) *
                  draw(st.integers(0, 1)), "dim2": d2}


@st.composite
def square_inputs(draw: Callable, kind: str = "general", singular: bool = False) -> tuple:
    """A batch of (n, n) matrices; `singular` sometimes draws a rank-deficient one (Det)."""
    if singular and draw(st.booleans()):
        kind = "singular"
    return (draw(matrices(kind, draw(_batches()), draw(st.integers(1, 4)))),), {}


@st.composite
def solve_inputs(draw: Callable) -> tuple:
    """A (*, n, n) well-conditioned, B (n,), (*, n), (n, k), (*, n, k) or (b, n, k) for an
    unbatched A (batch dimensions broadcast)."""
    n, k, b = draw(_dims(3))
    batch = draw(_batches())
    A = draw(matrices("general", batch, n))
    shape = draw(st.sampled_from([(n,), batch + (n,), (n, k), batch + (n, k),
                                  (b, n, k) if not batch else (1, n, k)]))
    return (A, draw(float_arrays(shape))), {}


@st.composite
def symmetric_inputs(draw: Callable, kind: str) -> tuple:
    """A batch of symmetric matrices, sometimes plus an antisymmetric part (symmetrised away)."""
    x = draw(matrices(kind, draw(_batches()), draw(st.integers(1, 4))))
    if draw(st.booleans()):
        r = draw(float_arrays(x.shape, -0.3, 0.3, avoid_zero=0.0))
        x = x + (r - np.swapaxes(r, -1, -2))
    return (x,), ({"upper": draw(st.booleans())} if kind == "spd" else {})


@st.composite
def svd_inputs(draw: Callable) -> tuple:
    """A batch of (m, n) matrices with distinct singular values >= 0.5; full_matrices only when
    square (the extra columns are arbitrary)."""
    m, n = draw(_dims(2))
    x = draw(matrices("rect", draw(_batches()), n, m))
    return (x,), {"full_matrices": m == n and draw(st.booleans())}


VECTOR_ORDS = [2, 1, np.inf, -np.inf, 0, 3, 0.5, -1.5]
MATRIX_ORDS = ["fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]


@st.composite
def _canonical_matrix(draw: Callable, ord: object, batch: tuple, r: int, c: int) -> np.ndarray:
    """(batch, r, c) with distinct singular values (ord ±2, nuc) or with column (ord ±1) / row
    (±inf) sums in separate bands, so no two are near a tie."""
    if ord in ("nuc", 2, -2):
        return draw(matrices("rect", batch, c, r))
    x = draw(float_arrays(batch + (r, c), -1.0, 1.0, avoid_zero=0.2))
    if ord in ("fro",):
        return x
    along = c if abs(ord) == 1 else r
    band = 2.0 * np.array(draw(st.permutations(range(along))), dtype=float)
    band = band[None, :] if abs(ord) == 1 else band[:, None]
    return np.sign(x) * (np.abs(x) + band)


@st.composite
def norm_inputs(draw: Callable) -> tuple:
    """x and (ord, axis, keepdims, kind) over the flattened, vector, multi-axis vector and matrix
    norms; |x| distinct and >= 0.5 for vector norms (no inf-norm ties, p < 1 away from 0)."""
    mode = draw(st.sampled_from(["flat", "vector", "vector axes", "matrix"]))
    keepdims = draw(st.booleans())
    if mode == "matrix":
        ord = draw(st.sampled_from(MATRIX_ORDS))
        batch = draw(st.sampled_from([(), (2,)]))
        r, c = draw(_dims(2))
        xc = draw(_canonical_matrix(ord, batch, r, c))
        nd = xc.ndim
        a1, a2 = draw(st.permutations(range(nd)))[:2]
        x = np.ascontiguousarray(np.moveaxis(xc, (-2, -1), (a1, a2)))  # gradcheck perturbs
        kind = draw(st.sampled_from(["auto", "matrix"]))
        return (x,), {"ord": ord, "axis": (a1, a2 - nd * draw(st.integers(0, 1))),
                      "keepdims": keepdims, "kind": kind}
    mag = draw(float_arrays(shapes(), 0.5, 2.0, distinct=True))
    x = mag * draw(float_arrays(mag.shape, -1.0, 1.0, avoid_zero=1.0))
    if mode == "flat":
        return (x,), {"keepdims": keepdims}
    ord = draw(st.sampled_from(VECTOR_ORDS))
    if mode == "vector":
        return (x,), {"ord": ord, "axis": draw(st.integers(-x.ndim, x.ndim - 1)),
                      "keepdims": keepdims, "kind": draw(st.sampled_from(["auto", "vector"]))}
    axes = draw(st.one_of(st.none(), st.lists(st.integers(0, x.ndim - 1), min_size=1,
                                              max_size=x.ndim, unique=True).map(tuple)))
    return (x,), {"ord": ord, "axis": axes, "keepdims": keepdims, "kind": "vector"}


INPUTS: dict[str, Callable[[], SearchStrategy]] = {
    "Trace": axis_pair_inputs,
    "Diagonal": axis_pair_inputs,
    "Diag": diag_inputs,
    "DiagEmbed": diag_embed_inputs,
    "Inv": square_inputs,
    "Det": lambda: square_inputs(singular=True),
    "Slogdet": square_inputs,
    "Solve": solve_inputs,
    "Cholesky": lambda: symmetric_inputs("spd"),
    "Eigh": lambda: symmetric_inputs("sym"),
    "Svd": svd_inputs,
    "Norm": norm_inputs,
}
