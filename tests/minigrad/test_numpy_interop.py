"""numpy calls on Tensors: listed ones run minigrad Functions, the rest never drop the graph."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor, no_grad
from minigrad.nn import Parameter
from minigrad.numpy_dispatch import ARRAY_ONLY, FUNCTIONS, UFUNCS
from minigrad.testing import gradcheck

RNG = np.random.default_rng(0)
SIGNS = np.array([[1, -1, 1, -1], [-1, 1, 1, -1], [1, 1, -1, 1]], dtype=float)
X = SIGNS * RNG.uniform(0.6, 1.4, (3, 4))  # |x| in [0.6, 1.4]: away from 0, ties and +-0.5
Y = -SIGNS * RNG.uniform(0.6, 1.4, (3, 4))
P = RNG.uniform(0.5, 1.5, (3, 4))  # positive
W = RNG.standard_normal((4, 2))
V = RNG.standard_normal(4)
C3 = RNG.standard_normal((2, 3, 4))
COND = np.array([[True, False, True, True], [False, False, True, False],
                 [True, True, False, True]])
R7 = RNG.permutation(7) * 0.5 + RNG.uniform(0.0, 0.1, 7)  # distinct, gaps > 0.4
Q4 = RNG.standard_normal((3, 4, 2, 2))
S0, S1 = np.array(1.2), np.array(-3.4)  # 0-d
NONFINITE = np.array([0.0, np.nan, np.inf, -np.inf])


def _pd(n: int, *batch: int) -> np.ndarray:
    """Symmetric positive-definite with well separated eigenvalues (batch, n, n)."""
    q, _ = np.linalg.qr(RNG.standard_normal((*batch, n, n)))
    return (q * np.arange(1.0, n + 1.0)) @ np.swapaxes(q, -1, -2)


SQ = RNG.standard_normal((4, 4)) + 4.0 * np.eye(4)  # well conditioned
PD, PD3, PD33 = _pd(4), _pd(3, 2), _pd(3, 3)
B33 = RNG.standard_normal((2, 3, 2))
M33 = RNG.standard_normal((3, 3))  # b of shape a.shape[:-1]: a matrix in numpy 2
TALL = RNG.standard_normal((4, 3))
WIDE3 = RNG.standard_normal((2, 3, 5))

# label -> (numpy call, input arrays (all differentiable), functional names it needs)
CASES = {
    "exp": (lambda x: np.exp(x), (X,), ("exp",)),
    "log": (lambda p: np.log(p), (P,), ("log",)),
    "tanh": (lambda x: np.tanh(x), (X,), ("tanh",)),
    "sqrt": (lambda p: np.sqrt(p), (P,), ("sqrt",)),
    "abs": (lambda x: np.abs(x), (X,), ("abs",)),
    "square": (lambda x: np.square(x), (X,), ("square",)),
    "sin": (lambda x: np.sin(x), (X,), ("sin",)),
    "negative": (lambda x: np.negative(x), (X,), ("neg",)),
    "power": (lambda p: np.power(p, 3), (P,), ("pow",)),
    "ndarray + t": (lambda x: Y + x, (X,), ("add",)),
    "ndarray - t": (lambda x: Y - x, (X,), ("sub",)),
    "ndarray * t": (lambda x: Y * x, (X,), ("mul",)),
    "ndarray / t": (lambda x: Y / x, (X,), ("div",)),
    "ndarray @ t": (lambda w: X @ w, (W,), ("matmul",)),
    "np.add(t, u)": (lambda x, y: np.add(x, y), (X, Y), ("add",)),
    "maximum": (lambda x: np.maximum(x, 0), (X,), ("maximum",)),
    "minimum": (lambda x, y: np.minimum(x, y), (X, Y), ("minimum",)),
    "sum axis=0": (lambda x: np.sum(x, axis=0), (X,), ("sum",)),
    "sum keepdims": (lambda x: np.sum(x, axis=1, keepdims=True), (X,), ("sum",)),
    "mean": (lambda x: np.mean(x), (X,), ("mean",)),
    "mean axes": (lambda x: np.mean(x, axis=(0, 1)), (C3,), ("mean",)),
    "max": (lambda x: np.max(x, axis=1), (X,), ("amax",)),
    "min": (lambda x: np.min(x), (X,), ("amin",)),
    "prod": (lambda x: np.prod(x, axis=0), (X,), ("prod",)),
    "var": (lambda x: np.var(x), (X,), ("var",)),
    "var ddof=1 axis": (lambda x: np.var(x, axis=0, ddof=1), (X,), ("var",)),
    "std": (lambda x: np.std(x, axis=1, keepdims=True), (X,), ("std",)),
    "cumsum flat": (lambda x: np.cumsum(x), (X,), ("cumsum", "reshape")),
    "cumsum axis": (lambda x: np.cumsum(x, axis=1), (X,), ("cumsum",)),
    "concatenate": (lambda x, y: np.concatenate([x, y]), (X, Y), ("concat",)),
    "concatenate axis=1": (lambda x, y: np.concatenate((x, y), axis=1), (X, Y), ("concat",)),
    "concatenate axis=None": (lambda x, y: np.concatenate([x, y], axis=None), (X, Y),
                              ("concat", "reshape")),
    "stack": (lambda x, y: np.stack([x, y], axis=1), (X, Y), ("stack",)),
    "where": (lambda x, y: np.where(COND, x, y), (X, Y), ("where",)),
    "dot 2-D": (lambda x, w: np.dot(x, w), (X, W), ("matmul",)),
    "dot 1-D": (lambda v, u: np.dot(v, u), (V, V[::-1].copy()), ("matmul",)),
    "dot N-D": (lambda c, w: np.dot(c, w), (C3, W), ("matmul",)),
    "dot N-D x N-D": (lambda c, d: np.dot(c, d), (C3, C3.transpose(0, 2, 1).copy()),
                      ("tensordot",)),
    "matmul": (lambda x, w: np.matmul(x, w), (X, W), ("matmul",)),
    "einsum": (lambda x, w: np.einsum("ij,jk->ik", x, w), (X, W), ("einsum",)),
    "tensordot": (lambda c, w: np.tensordot(c, w, axes=([2], [0])), (C3, W), ("tensordot",)),
    "outer": (lambda v, x: np.outer(v, x), (V, X), ("outer", "reshape")),
    "transpose": (lambda x: np.transpose(x), (X,), ("transpose",)),
    "transpose axes": (lambda c: np.transpose(c, (1, 0, 2)), (C3,), ("transpose",)),
    "reshape": (lambda x: np.reshape(x, (4, 3)), (X,), ("reshape",)),
    "reshape -1": (lambda x: np.reshape(x, -1), (X,), ("reshape",)),
    "ravel": (lambda c: np.ravel(c), (C3,), ("reshape",)),
    "squeeze": (lambda x: np.squeeze(x[None], axis=0), (X,), ("squeeze",)),
    "expand_dims": (lambda x: np.expand_dims(x, 1), (X,), ("expand_dims",)),
    "broadcast_to": (lambda v: np.broadcast_to(v, (3, 4)), (V,), ("broadcast_to",)),
    "swapaxes": (lambda c: np.swapaxes(c, 0, 2), (C3,), ("swapaxes",)),
    "moveaxis": (lambda c: np.moveaxis(c, 0, -1), (C3,), ("moveaxis",)),
    "clip": (lambda x: np.clip(x, -0.5 - 0.5, 0.5 + 0.5), (X,), ("clip",)),
    "clip one side": (lambda x: np.clip(x, None, 1.0), (X,), ("clip",)),
    "repeat flat": (lambda x: np.repeat(x, 2), (X,), ("repeat_interleave",)),
    "repeat axis": (lambda x: np.repeat(x, [1, 3, 2, 1], axis=1), (X,), ("repeat_interleave",)),
    "tile": (lambda x: np.tile(x, (2, 1)), (X,), ("tile",)),
    "split": (lambda x: np.split(x, 2, axis=1), (X,), ("np_split",)),
    "split at": (lambda x: np.split(x, [1], axis=0), (X,), ("np_split",)),
    "pad": (lambda x: np.pad(x, ((1, 0), (0, 2))), (X,), ("np_pad",)),
    "pad value": (lambda x: np.pad(x, 1, constant_values=3.0), (X,), ("np_pad",)),
    "flip": (lambda x: np.flip(x, axis=1), (X,), ("flip",)),
    "roll": (lambda x: np.roll(x, 1, axis=0), (X,), ("roll",)),
    "tril": (lambda x: np.tril(x, -1), (X,), ("tril",)),
    "triu": (lambda x: np.triu(x), (X,), ("triu",)),
    "copy": (lambda x: np.copy(x), (X,), ("cast",)),
    "round": (lambda x: np.round(x), (X,), ("round",)),
    "rint": (lambda x: np.rint(x), (X,), ("round",)),
    "sign": (lambda x: np.sign(x), (X,), ("sign",)),
    "comparison": (lambda x, y: np.where(np.greater(x, y), x, y), (X, Y), ("gt", "where")),
    # ufuncs with a functional counterpart
    "arctan2": (lambda x, y: np.arctan2(x, y), (X, Y), ("arctan2",)),
    "arctan2 broadcast": (lambda x, v: np.arctan2(x, v), (X, V), ("arctan2",)),
    "hypot": (lambda x, y: np.hypot(x, y), (X, Y), ("hypot",)),
    "deg2rad": (lambda x: np.deg2rad(x), (X,), ("deg2rad",)),
    "radians": (lambda x: np.radians(x), (X,), ("deg2rad",)),
    "rad2deg": (lambda x: np.rad2deg(x), (X,), ("rad2deg",)),
    "degrees": (lambda x: np.degrees(x), (X,), ("rad2deg",)),
    "arcsinh": (lambda x: np.arcsinh(x), (X,), ("arcsinh",)),
    "arccosh": (lambda p: np.arccosh(p + 1.0), (P,), ("arccosh", "add")),
    "arctanh": (lambda x: np.arctanh(x / 2.0), (X,), ("arctanh", "div")),
    "logaddexp": (lambda x, y: np.logaddexp(x, y), (X, Y), ("logaddexp",)),
    "logaddexp2": (lambda x, v: np.logaddexp2(x, v), (X, V), ("logaddexp2",)),
    "copysign": (lambda p, x: np.copysign(p, x), (P, X), ("copysign",)),
    "fmod": (lambda x: np.fmod(x, 0.45), (X,), ("fmod",)),
    "positive": (lambda x: np.positive(x), (X,), ("cast",)),
    # reductions, scans and numpy-only composites
    "sum dtype": (lambda x: np.sum(x, 0, np.float64), (X,), ("sum",)),
    "nansum": (lambda x: np.nansum(x, axis=1), (X,), ("nansum",)),
    "nanmean": (lambda x: np.nanmean(x, keepdims=True), (X,), ("nanmean",)),
    "cumprod flat": (lambda x: np.cumprod(x), (X,), ("cumprod", "reshape")),
    "cumprod axis": (lambda x: np.cumprod(x, axis=1), (X,), ("cumprod",)),
    "median": (lambda x: np.median(x), (X,), ("np_sort", "getitem", "mean")),
    "median even axis": (lambda x: np.median(x, axis=1), (X,), ("np_sort", "getitem", "mean")),
    "median odd keepdims": (lambda x: np.median(x, axis=0, keepdims=True), (X,),
                            ("np_sort", "getitem", "mean")),
    "median None keepdims": (lambda c: np.median(c, keepdims=True), (C3,),
                             ("np_sort", "getitem", "mean", "reshape")),
    "diff": (lambda x: np.diff(x), (X,), ("getitem", "sub")),
    "diff n=2 axis=0": (lambda x: np.diff(x, n=2, axis=0), (X,), ("getitem", "sub")),
    "sort": (lambda x: np.sort(x), (X,), ("np_sort",)),
    "sort axis=None": (lambda x: np.sort(x, axis=None), (X,), ("np_sort",)),
    "sort axis=0": (lambda c: np.sort(c, axis=0), (C3,), ("np_sort",)),
    "partition": (lambda v: np.partition(v, 2), (R7,), ("take_along_axis",)),
    "partition kths axis": (lambda x: np.partition(x, [0, 2], axis=1), (X,),
                            ("take_along_axis",)),
    "partition axis=None": (lambda x: np.partition(x, 5, axis=None), (X,),
                            ("take_along_axis", "reshape")),
    "take_along_axis": (lambda x: np.take_along_axis(x, np.argsort(X, axis=1), axis=1), (X,),
                        ("take_along_axis",)),
    # joining, shapes and layouts
    "hstack": (lambda x, y: np.hstack([x, y]), (X, Y), ("hstack",)),
    "vstack": (lambda x, v: np.vstack((x, v)), (X, V), ("vstack",)),
    "dstack": (lambda x, y: np.dstack([x, y]), (X, Y), ("dstack",)),
    "append": (lambda x, v: np.append(x, v), (X, V), ("concat", "reshape")),
    "append axis": (lambda x, y: np.append(x, y, axis=0), (X, Y), ("concat",)),
    "append scalar": (lambda v: np.append(v, 4.0), (V,), ("concat", "reshape")),
    "array_split": (lambda x: np.array_split(x, 3, axis=1), (X,), ("array_split",)),
    "inner": (lambda x, y: np.inner(x, y), (X, Y), ("inner",)),
    "vdot": (lambda x, y: np.vdot(x, y), (X, Y), ("vdot",)),
    "trace": (lambda x: np.trace(x), (X,), ("trace",)),
    "trace offset": (lambda x: np.trace(x, offset=-1), (X,), ("trace",)),
    "trace 4-D": (lambda q: np.trace(q, 1), (Q4,), ("trace",)),
    "trace axes": (lambda c: np.trace(c, 0, 2, 1), (C3,), ("trace",)),
    "diagonal": (lambda c: np.diagonal(c, axis1=-1, axis2=-2), (C3,), ("diagonal",)),
    "diag of a matrix": (lambda x: np.diag(x, 1), (X,), ("diag",)),
    "diag of a vector": (lambda v: np.diag(v, k=-1), (V,), ("diag",)),
    "atleast_1d": (lambda s: np.atleast_1d(s), (S0,), ("reshape",)),
    "atleast_2d": (lambda v: np.atleast_2d(v), (V,), ("reshape",)),
    "atleast_2d 0-d": (lambda s: np.atleast_2d(s), (S0,), ("reshape",)),
    "atleast_3d 0-d": (lambda s: np.atleast_3d(s), (S0,), ("reshape",)),
    "atleast_3d 1-d": (lambda v: np.atleast_3d(v), (V,), ("reshape",)),
    "atleast_3d 2-d": (lambda x: np.atleast_3d(x), (X,), ("reshape",)),
    "atleast_2d two": (lambda s, x: np.atleast_2d(s, x), (S0, X), ("reshape",)),
    "fliplr": (lambda x: np.fliplr(x), (X,), ("flip",)),
    "flipud": (lambda v: np.flipud(v), (V,), ("flip",)),
    "rot90": (lambda x: np.rot90(x), (X,), ("flip", "transpose")),
    "rot90 k=2": (lambda x: np.rot90(x, 2), (X,), ("flip",)),
    "rot90 k=-1 axes": (lambda c: np.rot90(c, -1, axes=(2, 0)), (C3,), ("flip", "transpose")),
    "rot90 k=4": (lambda x: np.rot90(x, 4), (X,), ("reshape",)),
    "linspace": (lambda a, b: np.linspace(a, b, 5), (S0, S1), ("sub", "div", "where")),
    "linspace no endpoint": (lambda a, b: np.linspace(a, b, 4, endpoint=False), (S0, S1),
                             ("sub", "div")),
    "linspace num=1": (lambda a, b: np.linspace(a, b, 1), (S0, S1), ("sub",)),
    "linspace arrays axis": (lambda v, b: np.linspace(v, b, 3, axis=1), (V, S1),
                             ("sub", "div", "where", "moveaxis")),
    "linspace retstep": (lambda a, b: np.linspace(a, b, 6, retstep=True), (S0, S1),
                         ("sub", "div", "where")),
    "nan_to_num": (lambda v: np.sin(np.nan_to_num(v + NONFINITE)), (V,), ("nan_to_num",)),
    "sinc": (lambda x: np.sinc(x), (X,), ("sinc",)),
    "imag": (lambda x: np.imag(x) + x, (X,), ("where", "add")),
    "angle": (lambda x: np.angle(x) + x, (X,), ("where", "add")),
    "angle deg": (lambda x: np.angle(x, deg=True) * x, (X,), ("where", "mul")),
    "take": (lambda x: np.take(x, [[3, 0], [-1, 2]], axis=1), (X,), ("getitem",)),
    "take flat": (lambda x: np.take(x, [5, 0, 5]), (X,), ("getitem", "reshape")),
    "ptp": (lambda x: np.ptp(x, axis=1, keepdims=True), (X,), ("amax", "amin", "sub")),
    "meshgrid": (lambda v, u: np.meshgrid(v, u), (V, V[:3].copy()), ("meshgrid",)),
    "meshgrid ij 3": (lambda v, x, u: np.meshgrid(v, x, u, indexing="ij"),
                      (V, X, V[:2].copy()), ("meshgrid",)),
    "meshgrid sparse": (lambda v, u, w: np.meshgrid(v, u, w, sparse=True),
                        (V, V[:3].copy(), V[:2].copy()), ("reshape",)),
    # np.linalg
    "linalg.inv": (lambda a: np.linalg.inv(a), (SQ,), ("inv",)),
    "linalg.det": (lambda a: np.linalg.det(a), (SQ,), ("det",)),
    "linalg.det batch": (lambda b: np.linalg.det(b), (PD3,), ("det",)),
    "linalg.slogdet": (lambda a: np.linalg.slogdet(-a), (SQ,), ("slogdet",)),
    "linalg.solve": (lambda a, w: np.linalg.solve(a, w), (SQ, W), ("solve",)),
    "linalg.solve vector": (lambda a, v: np.linalg.solve(a, v), (SQ, V), ("solve",)),
    "linalg.solve stacked b": (lambda b, m: np.linalg.solve(b, m), (PD3, B33), ("solve",)),
    "linalg.solve numpy-2 b": (lambda b, m: np.linalg.solve(b, m), (PD33, M33),
                               ("solve", "broadcast_to")),
    "linalg.cholesky": (lambda a: np.linalg.cholesky(a), (PD,), ("cholesky", "tril")),
    "linalg.cholesky upper": (lambda a: np.linalg.cholesky(a, upper=True), (PD,),
                              ("cholesky", "triu")),
    "linalg.cholesky batch": (lambda b: np.linalg.cholesky(b), (PD3,), ("cholesky", "tril")),
    "linalg.eigh": (lambda a: np.linalg.eigh(a), (PD,), ("eigh", "tril")),
    "linalg.eigh U": (lambda a: np.linalg.eigh(a, "U"), (PD,), ("eigh", "triu")),
    "linalg.eigh batch": (lambda b: np.linalg.eigh(b), (PD3,), ("eigh", "tril")),
    "linalg.eigvalsh": (lambda a: np.linalg.eigvalsh(a, UPLO="U"), (PD,), ("eigvalsh", "triu")),
    "linalg.svd": (lambda m: np.linalg.svd(m, full_matrices=False), (TALL,), ("svd",)),
    "linalg.svd wide batch": (lambda m: np.linalg.svd(m, full_matrices=False), (WIDE3,),
                              ("svd",)),
    "linalg.svd square full": (lambda a: np.linalg.svd(a), (SQ,), ("svd",)),
    "linalg.svd values": (lambda m: np.linalg.svd(m, compute_uv=False), (WIDE3,), ("svdvals",)),
    "linalg.svdvals": (lambda m: np.linalg.svdvals(m), (TALL,), ("svdvals",)),
    "linalg.pinv": (lambda m: np.linalg.pinv(m), (TALL,), ("pinv",)),
    "linalg.pinv batch": (lambda m: np.linalg.pinv(m), (WIDE3,), ("pinv",)),
    "linalg.norm": (lambda x: np.linalg.norm(x), (X,), ("norm",)),
    "linalg.norm vector ord": (lambda v: np.linalg.norm(v, ord=3), (V,), ("norm",)),
    "linalg.norm axis": (lambda c: np.linalg.norm(c, axis=1), (C3,), ("norm",)),
    "linalg.norm axes nuc": (lambda c: np.linalg.norm(c, "nuc", (0, 2)), (C3,), ("norm",)),
    "linalg.norm ord=1 keepdims": (lambda x: np.linalg.norm(x, 1, keepdims=True), (X,),
                                   ("norm",)),
    "linalg.norm fro axes": (lambda c: np.linalg.norm(c, axis=(0, 1)), (C3,), ("norm",)),
    "linalg.matrix_norm": (lambda c: np.linalg.matrix_norm(c, ord=2), (C3,), ("matrix_norm",)),
    "linalg.vector_norm": (lambda c: np.linalg.vector_norm(c, axis=(0, 2), ord=1.5), (C3,),
                           ("vector_norm",)),
    "linalg.matrix_power": (lambda a: np.linalg.matrix_power(a, 3), (SQ,), ("matrix_power",)),
    "linalg.matrix_power -2": (lambda a: np.linalg.matrix_power(a, -2), (SQ,),
                               ("matrix_power",)),
    "linalg.multi_dot": (lambda v, a, w: np.linalg.multi_dot([v, a, w]), (V, SQ, W),
                         ("matmul",)),
    "linalg.vecdot": (lambda x, y: np.linalg.vecdot(x, y), (X, Y), ("sum", "mul")),
    "linalg.trace": (lambda c: np.linalg.trace(c, offset=1), (C3,), ("trace",)),
    "linalg.diagonal": (lambda c: np.linalg.diagonal(c), (C3,), ("diagonal",)),
    "linalg.outer": (lambda v, u: np.linalg.outer(v, u), (V, V[::-1].copy()), ("outer",)),
    "linalg.matmul": (lambda x, w: np.linalg.matmul(x, w), (X, W), ("matmul",)),
    "linalg.tensordot": (lambda c, w: np.linalg.tensordot(c, w, axes=1), (C3, W),
                         ("tensordot",)),
}


def _missing(needs: tuple) -> list:
    return [n for n in needs if not hasattr(F, n)]


def _float_outputs(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


@pytest.mark.parametrize("label", sorted(CASES))
def test_numpy_call_on_tensors_stays_in_the_graph(label):
    call, arrays, needs = CASES[label]
    missing = _missing(needs)
    if missing:
        pytest.skip(f"minigrad.functional has no {missing} yet")
    ts = [Tensor(a, requires_grad=True) for a in arrays]
    outs = _float_outputs(call(*ts))
    expected = _float_outputs(call(*arrays))  # numpy itself on the arrays
    assert len(outs) == len(expected)
    for o, e in zip(outs, expected, strict=True):
        assert isinstance(o, Tensor), type(o)
        assert o.requires_grad and (o.grad_fn is not None or any(o is t for t in ts))
        assert o.shape == e.shape and o.dtype == e.dtype
        np.testing.assert_allclose(o.data, e, rtol=1e-12, atol=1e-12)
    report = gradcheck(call, list(arrays))
    assert report.passed


# numpy promotes these itself: dtype=float64 asked; np.append makes 4.0 a float64 array; a
# float64 ndarray operand
PROMOTING = {"sum dtype", "append scalar", "nan_to_num"}


@pytest.mark.parametrize("label", sorted(k for k in CASES if not k.startswith("ndarray")
                                         and k not in PROMOTING))
def test_float32_stays_float32_through_numpy(label):  # (a float64 ndarray operand promotes)
    call, arrays, needs = CASES[label]
    if _missing(needs):
        pytest.skip(f"minigrad.functional has no {_missing(needs)} yet")
    ts = [Tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    with np.errstate(all="ignore"):
        outs = _float_outputs(call(*ts))
    assert all(o.dtype == np.float32 for o in outs), [o.dtype for o in outs]


def test_var_is_numpys_ddof_0_by_default():
    if _missing(("var",)):
        pytest.skip("minigrad.functional has no var yet")
    t = Tensor(X, requires_grad=True)
    out = np.var(t)
    np.testing.assert_allclose(out.data, ((X - X.mean()) ** 2).mean())
    assert not np.isclose(out.data, ((X - X.mean()) ** 2).sum() / (X.size - 1))
    out.backward()
    np.testing.assert_allclose(t.grad, 2 * (X - X.mean()) / X.size)


def test_repeat_has_numpys_semantics():
    if _missing(("repeat_interleave",)):
        pytest.skip("minigrad.functional has no repeat_interleave yet")
    t = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    np.testing.assert_array_equal(np.repeat(t, 2).data, [1, 1, 2, 2, 3, 3, 4, 4])
    out = np.repeat(t, [2, 1], axis=0)
    np.testing.assert_array_equal(out.data, [[1, 2], [1, 2], [3, 4]])
    out.sum().backward()
    np.testing.assert_array_equal(t.grad, [[2, 2], [1, 1]])


def test_reflected_ndarray_ops_and_numpy_scalars_give_tensors():
    x = Tensor(X, requires_grad=True)
    for out in (Y + x, Y - x, Y * x, Y / x, P ** x, np.float64(2.0) * x, X.T @ x):
        assert isinstance(out, Tensor) and out.grad_fn is not None
    ((Y - x) * np.float64(3.0)).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full(X.shape, -3.0))


def test_parameters_dispatch_too():
    p = Parameter(X)
    out = np.sum(np.exp(p), axis=0)
    assert isinstance(out, Tensor)
    out.sum().backward()
    np.testing.assert_allclose(p.grad, np.exp(X))


# ----- unsupported numpy calls ----------------------------------------------------------------
UNSUPPORTED = {
    "numpy.percentile": lambda t: np.percentile(t, 30),
    "numpy.cov": lambda t: np.cov(t),
    "numpy.kron": lambda t: np.kron(t, t),
    "numpy.linalg.eigvals": lambda t: np.linalg.eigvals(t[:, :3]),
    "numpy.add.reduce": lambda t: np.add.reduce(t),
    "numpy.multiply.accumulate": lambda t: np.multiply.accumulate(t),
    "numpy.exp": lambda t: np.exp(t, out=np.empty(t.shape)),
    "numpy.sum": lambda t: np.sum(t, where=COND),
    "numpy.trace": lambda t: np.trace(t, dtype=np.float32),
    "numpy.median": lambda t: np.median(t + np.where(COND, np.nan, 0.0), axis=1),
}


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_unsupported_call_on_a_tensor_requiring_grad_raises(name):
    t = Tensor(X, requires_grad=True)
    with pytest.raises(TypeError) as info:
        UNSUPPORTED[name](t)
    msg = str(info.value)
    assert msg.startswith(name + " ") and "requires grad" in msg
    assert "t.detach()" in msg and "t.data" in msg


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_unsupported_call_without_grad_computes_on_the_arrays(name):
    expected = UNSUPPORTED[name](X.copy())
    for t in (Tensor(X), Tensor(X, requires_grad=True)):
        with no_grad():  # under no_grad nothing is recorded, so nothing can be dropped
            got = UNSUPPORTED[name](t)
        got = got.data if isinstance(got, Tensor) else got
        np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
    got = UNSUPPORTED[name](Tensor(X))
    np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))


def test_ufunc_out_into_a_tensor_writes_it_in_place():
    t = Tensor(X.copy())
    buf = t.data
    out = np.exp(t, out=t)
    assert out is t and t.data is buf and t._version == 1
    np.testing.assert_allclose(t.data, np.exp(X))


def test_ndarray_in_place_with_a_tensor():
    a = Y.copy()
    a += Tensor(X)
    np.testing.assert_allclose(a, Y + X)
    with pytest.raises(TypeError, match="numpy.add .*out"):
        a += Tensor(X, requires_grad=True)


def test_functions_without_gradient_run_on_the_arrays():
    t = Tensor(X, requires_grad=True)
    assert np.shape(t) == (3, 4) and np.ndim(t) == 2 and np.size(t) == 12
    assert np.allclose(t, t) and np.array_equal(t, X)
    np.testing.assert_array_equal(np.isfinite(t), np.ones((3, 4), bool))
    np.testing.assert_array_equal(np.nonzero(t > 0 if hasattr(F, "gt") else t.data > 0)[0],
                                  np.nonzero(X > 0)[0])
    np.testing.assert_array_equal(np.where(COND), np.nonzero(COND))
    assert int(np.count_nonzero(t)) == 12
    for like in (np.zeros_like(t), np.ones_like(t), np.full_like(t, 2.5), np.empty_like(t)):
        assert type(like) is np.ndarray and like.shape == X.shape and like.dtype == X.dtype
    assert np.array_equal(np.argpartition(t, 1, axis=None), np.argpartition(X, 1, axis=None))
    assert np.linalg.matrix_rank(t) == 3 and not np.iscomplex(t).any()


def test_a_name_is_looked_up_when_called(monkeypatch):
    t = Tensor(X, requires_grad=True)
    monkeypatch.setattr(F, "exp", lambda x: "the op in minigrad.functional now")
    assert np.exp(t) == "the op in minigrad.functional now"
    monkeypatch.delattr(F, "exp")
    with pytest.raises(TypeError, match="numpy.exp .*minigrad.functional has no 'exp'"):
        np.exp(t)
    np.testing.assert_allclose(np.exp(Tensor(X)), np.exp(X))  # no grad: on the arrays


def test_tables_name_only_functional_spellings():
    names = set(UFUNCS.values())
    assert {"add", "exp", "maximum", "matmul", "eq"} <= names
    assert np.var in FUNCTIONS and np.repeat in FUNCTIONS and np.pad in FUNCTIONS
    assert np.isfinite in ARRAY_ONLY and np.exp not in ARRAY_ONLY


# ----- np.array / __array__ -------------------------------------------------------------------
@pytest.mark.parametrize("convert", [np.array, np.asarray, lambda t: t.__array__(),
                                     lambda t: np.r_[t, t], lambda t: np.asarray([t, t]),
                                     lambda t: np.array(t, dtype=np.float32)])
def test_converting_a_tensor_requiring_grad_raises(convert):
    t = Tensor(X, requires_grad=True)
    with pytest.raises(TypeError, match=r"t\.detach\(\)\.numpy\(\)"):
        convert(t)
    with no_grad():
        np.testing.assert_allclose(np.asarray(convert(t), dtype=float).ravel()[:12],
                                   X.ravel(), rtol=1e-7)
    np.testing.assert_allclose(np.asarray(convert(t.detach()), dtype=float).ravel()[:12],
                               X.ravel(), rtol=1e-7)


def test_escape_hatches_and_tensors_without_grad():
    t = Tensor(X, requires_grad=True)
    assert t.data is t.numpy() and np.asarray(t.detach()) is t.data
    np.testing.assert_array_equal(np.r_[Tensor(V), Tensor(V)], np.r_[V, V])
    u = (t * 2.0).detach()
    assert np.asarray(u) is u.data


# ----- numpy's semantics where torch's differ --------------------------------------------------
@pytest.mark.parametrize("fn", [np.real, np.conj, np.conjugate, np.real_if_close])
def test_real_parts_of_a_real_tensor_are_the_tensor(fn):
    t = Tensor(X, requires_grad=True)
    assert fn(t) is t


def test_imag_and_angle_of_real_tensors_are_constants_in_the_graph():
    x = np.array([-2.0, -0.0, 0.0, 3.0, np.inf, -np.inf])
    t = Tensor(x, requires_grad=True)
    for out, expected in ((np.imag(t), np.zeros(6)), (np.angle(t), np.angle(x)),
                          (np.angle(t, deg=True), np.angle(x, deg=True))):
        assert isinstance(out, Tensor) and out.requires_grad
        np.testing.assert_array_equal(out.data, expected)  # no NaN from inf * 0
    np.testing.assert_array_equal(np.angle(x), [np.pi, np.pi, 0, 0, 0, np.pi])
    (np.angle(t) + np.imag(t)).sum().backward()
    np.testing.assert_array_equal(t.grad, np.zeros(6))


def test_median_is_numpys_mean_of_the_middle_two():
    v = np.array([4.0, 1.0, 3.0, 2.0])
    t = Tensor(v, requires_grad=True)
    out = np.median(t)
    assert float(out.data) == 2.5  # torch's lower median would be 2.0
    out.backward()
    np.testing.assert_array_equal(t.grad, [0.0, 0.0, 0.5, 0.5])


def test_partition_is_numpys_arrangement_and_routes_gradients():
    v = RNG.permutation(9).astype(float)
    t = Tensor(v, requires_grad=True)
    out = np.partition(t, 4)
    np.testing.assert_array_equal(out.data, np.partition(v, 4))
    out.backward(np.arange(9.0))
    np.testing.assert_array_equal(t.grad[np.argpartition(v, 4)], np.arange(9.0))


def test_eigh_and_cholesky_read_one_triangle_as_numpy():
    a = PD.copy()
    a[np.triu_indices(4, 1)] += 5.0  # the strict upper triangle of a is never read below
    for fn in (lambda m: np.linalg.eigh(m)[1], lambda m: np.linalg.eigh(m.T, "U")[1],
               lambda m: np.linalg.eigvalsh(m), lambda m: np.linalg.cholesky(m),
               lambda m: np.linalg.cholesky(m.T, upper=True)):
        t = Tensor(a, requires_grad=True)
        out = fn(t)
        np.testing.assert_allclose(out.data, fn(a), rtol=1e-10, atol=1e-12)
        out.backward(np.ones(out.shape))
        np.testing.assert_array_equal(t.grad[np.triu_indices(4, 1)], 0.0)
        assert np.abs(t.grad[np.tril_indices(4)]).max() > 0


def test_eigh_and_svd_keep_lapacks_signs_and_numpys_result_types():
    t = Tensor(PD3, requires_grad=True)
    res = np.linalg.eigh(t)
    assert type(res) is type(np.linalg.eigh(PD3))
    np.testing.assert_allclose(res.eigenvectors.data, np.linalg.eigh(PD3).eigenvectors,
                               rtol=1e-10, atol=1e-12)
    res = np.linalg.svd(Tensor(WIDE3), full_matrices=False)
    ref = np.linalg.svd(WIDE3, full_matrices=False)
    assert type(res) is type(ref)
    for got, want in zip(res, ref, strict=True):
        np.testing.assert_allclose(got.data, want, rtol=1e-10, atol=1e-12)
    sign, logabsdet = res = np.linalg.slogdet(Tensor(-SQ))
    assert type(res) is type(np.linalg.slogdet(SQ))
    np.testing.assert_allclose([sign.data, logabsdet.data], np.linalg.slogdet(-SQ))


def test_solve_follows_numpy_2s_vector_rule():
    a = Tensor(PD33, requires_grad=True)
    assert np.linalg.solve(a, M33).shape == np.linalg.solve(PD33, M33).shape == (3, 3, 3)
    assert np.linalg.solve(a, V[:3]).shape == (3, 3)  # 1-D b: a vector for every matrix
    with pytest.raises(ValueError, match="numpy 2"):  # torch would take b (2, 3) as vectors
        np.linalg.solve(Tensor(PD3, requires_grad=True), RNG.standard_normal((2, 3)))
    with pytest.raises(ValueError):
        np.linalg.solve(PD3, RNG.standard_normal((2, 3)))


def test_pinv_cutoffs_are_numpys():
    low_rank = TALL @ np.diag([1.0, 1e-3, 0.0]) @ TALL[:3].T  # (4, 3), singular values 1e-3 apart
    t = Tensor(low_rank, requires_grad=True)
    for kw in ({}, {"rcond": 1e-2}, {"rtol": None}, {"rtol": 1e-2}):
        np.testing.assert_allclose(np.linalg.pinv(t, **kw).data, np.linalg.pinv(low_rank, **kw),
                                   rtol=1e-8, atol=1e-10)
    with pytest.raises(ValueError, match="both set"):
        np.linalg.pinv(t, rcond=0.1, rtol=0.1)
    with pytest.raises(TypeError, match="numpy.linalg.svd .*hermitian"):
        np.linalg.svd(t, hermitian=True)


def test_linspace_with_tensor_ends():
    a, b = Tensor(1.2, requires_grad=True), Tensor(3.4, requires_grad=True)
    out = np.linspace(a, b, 7)
    np.testing.assert_array_equal(out.data, np.linspace(1.2, 3.4, 7))
    assert out.data[-1] == 3.4
    out.sum().backward()
    np.testing.assert_allclose([a.grad, b.grad], [3.5, 3.5])
    empty = np.linspace(a, b, 0)
    assert isinstance(empty, Tensor) and empty.shape == (0,)
    f32 = np.linspace(Tensor(np.float32(0.0)), Tensor(np.float32(1.0)), 5)
    assert f32.dtype == np.float32
    mixed = np.linspace(Tensor(np.float32([0.0, 1.0]), requires_grad=True), np.float32(2.0), 3)
    assert mixed.dtype == np.float32 and mixed.shape == (3, 2)
    np.testing.assert_array_equal(mixed.data, np.linspace(np.float32([0, 1]), np.float32(2), 3))
    with pytest.raises(ValueError, match="non-negative"):
        np.linspace(a, b, -1)


def test_layout_functions_keep_numpys_errors_and_plain_arrays():
    t = Tensor(X, requires_grad=True)
    with pytest.raises(ValueError, match="Axes must be different"):
        np.rot90(t, axes=(1, 1))
    with pytest.raises(ValueError, match=">= 2-d"):
        np.fliplr(Tensor(V, requires_grad=True))
    s, v = np.atleast_2d(Tensor(S0, requires_grad=True), V)
    assert isinstance(s, Tensor) and s.shape == (1, 1)
    assert type(v) is np.ndarray and v.shape == (1, 4)


def test_new_table_entries():
    assert UFUNCS[np.arctan2] == "arctan2" and UFUNCS[np.degrees] == "rad2deg"
    assert UFUNCS[np.radians] == "deg2rad" and UFUNCS[np.logaddexp] == "logaddexp"
    for fn in (np.trace, np.partition, np.linspace, np.atleast_3d, np.linalg.inv,
               np.linalg.eigh, np.linalg.svd, np.linalg.multi_dot):
        assert fn in FUNCTIONS
    assert np.argpartition in ARRAY_ONLY and np.zeros_like in ARRAY_ONLY


@pytest.mark.parametrize("convert", [np.int64, lambda t: np.asarray(t, dtype=int),
                                     lambda t: np.array(t, dtype=bool)])
def test_integer_and_bool_conversions_have_no_gradient_to_drop(convert):
    x = np.array([[0.0, 2.0, 1.0], [2.0, 0.0, 1.0]])
    t = Tensor(x, requires_grad=True)
    np.testing.assert_array_equal(convert(t), convert(x))
    rows = np.int64(t[:, -1])  # HIPS's test_cast_to_int: indices taken from a graph tensor
    out = t[rows].sum()
    out.backward()
    np.testing.assert_array_equal(t.grad, [[0.0] * 3, [2.0] * 3])


def test_integer_and_bool_ufuncs_give_tensors():
    a, b = np.array([5, 6, -7]), np.array([3, 1, 2])
    ta = Tensor(a)
    for fn in (np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.left_shift, np.right_shift):
        out = fn(ta, b)
        assert isinstance(out, Tensor)
        np.testing.assert_array_equal(out.data, fn(a, b))
    np.testing.assert_array_equal(np.invert(ta).data, np.invert(a))
    out = np.logical_xor(ta > 0, Tensor(b) > 1)
    assert isinstance(out, Tensor) and out.dtype == bool
    np.testing.assert_array_equal(out.data, np.logical_xor(a > 0, b > 1))
    np.testing.assert_array_equal(np.fmod(Tensor(a * 1.0), 4.0).data, np.fmod(a * 1.0, 4.0))
