"""Special functions: erf by W. J. Cody's rational approximations (~1e-16 relative), also used
by GELU (`erf_array(x, complement=True)` gives erfc without cancellation)."""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import DTypeError
from minigrad.function import Context, Function
from minigrad.functional.validate import as_array

# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23
# (1969), as in netlib SPECFUN CALERF: erf on [0, 0.46875], erfc on (0.46875, 4] and (4, inf).
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)
_SQRPI = 5.6418958354775628695e-1  # 1 / sqrt(pi)


def _erf_small(x: np.ndarray) -> np.ndarray:
    """erf(x) for |x| <= 0.46875."""
    t = x * x
    num, den = _A[4] * t, t
    for a, b in zip(_A[:3], _B[:3], strict=True):
        num, den = (num + a) * t, (den + b) * t
    return x * (num + _A[3]) / (den + _B[3])


def _erfc_large(y: np.ndarray) -> np.ndarray:
    """erfc(y) for y > 0.46875, to ~1e-16 relative (exp(-y^2) split to keep its accuracy)."""
    out = np.empty_like(y)
    mid = y <= 4.0
    m = y[mid]
    num, den = _C[8] * m, m
    for c, d in zip(_C[:7], _D[:7], strict=True):
        num, den = (num + c) * m, (den + d) * m
    out[mid] = (num + _C[7]) / (den + _D[7])
    far = ~mid
    f = y[far]
    t = 1.0 / (f * f)
    num, den = _P[5] * t, t
    for p, q in zip(_P[:4], _Q[:4], strict=True):
        num, den = (num + p) * t, (den + q) * t
    out[far] = (_SQRPI - t * (num + _P[4]) / (den + _Q[4])) / f
    y = np.minimum(y, 40.0)  # erfc(40) underflows to 0: keeps inf from making NaN below
    ysq = np.trunc(y * 16.0) / 16.0
    with np.errstate(under="ignore"):
        return np.exp(-ysq * ysq) * np.exp(-(y - ysq) * (y + ysq)) * out


def erf_array(x: np.ndarray, complement: bool = False) -> np.ndarray:
    """erf(x), or erfc(x) = 1 - erf(x) without cancellation, by Cody's approximations (~1e-16
    relative); keeps x's float dtype."""
    x = np.asarray(x)
    out = np.empty_like(x)
    small = np.abs(x) <= 0.46875
    out[small] = 1.0 - _erf_small(x[small]) if complement else _erf_small(x[small])
    big = x[~small]
    tail = _erfc_large(np.abs(big))
    out[~small] = (np.where(big > 0, tail, 2.0 - tail) if complement
                   else np.sign(big) * (1.0 - tail))
    return out


class Erf(Function):
    """The error function 2/sqrt(pi) * int_0^x exp(-t^2) dt (as torch.special.erf): any shape."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> np.ndarray:
        x = np.asarray(as_array("Erf", "x", x))
        if x.dtype.kind != "f":
            raise DTypeError(f"Erf: x must be a float array (float32 or float64), got dtype "
                             f"{x.dtype}")
        ctx.save_for_backward(x)
        return erf_array(x)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return dout * (2.0 * _SQRPI) * np.exp(-x * x)


def erf(x: Any) -> Any:
    """The error function of x (elementwise)."""
    return Erf.apply(x)


__all__ = ["Erf", "erf"]

TENSOR_METHODS = {"erf": erf}
