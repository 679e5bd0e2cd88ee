"""Input strategies for the resample family: each entry draws (args, kwargs) for one Function."""
from __future__ import annotations

from typing import Any, Callable

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import _dims, float_arrays

_LINEAR = {1: "linear", 2: "bilinear", 3: "trilinear"}


@st.composite
def interpolate_inputs(draw: Callable) -> tuple:
    """x (N, C, *spatial) with 1-3 spatial axes, a mode (nearest, nearest-exact or the linear
    mode of that rank), `size` (an int or one per axis, smaller or larger) or `scale_factor`
    (recompute_scale_factor sometimes), align_corners for the linear modes."""
    nd = draw(st.integers(1, 3))
    hi = 4 if nd < 3 else 3
    sp = draw(_dims(nd, 1, hi))
    mode = draw(st.sampled_from(["nearest", "nearest-exact", _LINEAR[nd]]))
    kwargs: dict[str, Any] = {"mode": mode}
    if draw(st.booleans()):
        size = draw(_dims(nd, 1, hi + 2))
        kwargs["size"] = size[0] if len(set(size)) == 1 and draw(st.booleans()) else size
    else:
        factors = tuple(draw(st.sampled_from([0.5, 0.75, 1.5, 2.0, 2.5])) for _ in range(nd))
        factors = tuple(f if n * f >= 1 else 1.0 for n, f in zip(sp, factors, strict=True))
        kwargs["scale_factor"] = factors
        if draw(st.booleans()):
            kwargs["recompute_scale_factor"] = True
    if mode == _LINEAR[nd]:
        kwargs["align_corners"] = draw(st.booleans())
    N, C = draw(_dims(2, 1, 2))
    return (draw(float_arrays((N, C, *sp))),), kwargs


INPUTS: dict[str, Callable[[], SearchStrategy]] = {"Interpolate": interpolate_inputs}
