"""Input strategies for the loss_pointwise family: each entry draws (args, kwargs) for one
Function.

Elementwise losses with a kink (L1 at d = 0, SmoothL1 at |d| = beta, Huber at |d| = delta,
d = input - target) draw d at least 0.1 away from it.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import broadcastable_pairs, float_arrays, shapes
from minigrad.testing.strategies.loss import REDUCTIONS


@st.composite
def _pair_shapes(draw: Callable) -> tuple:
    """(input shape, target shape, the broadcast shape) where one of them is the full shape."""
    full = draw(shapes(min_dims=0))
    small = tuple(draw(st.sampled_from([s, 1])) for s in full)
    small = small[draw(st.integers(0, len(small))):]
    return (full, small, full) if draw(st.booleans()) else (small, full, full)


@st.composite
def _away_from(draw: Callable, shape: tuple, kinks: tuple, one_sign: bool) -> np.ndarray:
    """Differences d of `shape` with |d| in [0.1, 3], at least 0.1 away from every kink; all of
    one sign if `one_sign` (a broadcast input's gradient then sums terms that cannot cancel)."""
    d = draw(float_arrays(shape, 0.1, 3.0))
    for k in kinks:
        d = np.where(np.abs(d - k) < 0.1, k + 0.15, d)
    sign = draw(float_arrays((() if one_sign else shape), -1.0, 1.0))
    return np.sign(sign) * d


def pointwise_inputs(kinks: tuple = (), name: str | None = None) -> SearchStrategy:
    """input and target (broadcasting) with d = input - target away from 0 and the `kinks`
    (|d| values); the loss's own kwarg `name` (beta / delta = 1.0) and a reduction."""

    @st.composite
    def build(draw: Callable) -> tuple:
        sx, st_, full = draw(_pair_shapes())
        small_is_x = sx != full or sx == st_
        small = draw(float_arrays(sx if small_is_x else st_))
        d = draw(_away_from(full, kinks, one_sign=sx != st_))
        big = np.broadcast_to(small, full) + (-d if small_is_x else d)
        x, t = (small, big) if small_is_x else (big, small)
        kwargs = {"reduction": draw(REDUCTIONS)}
        if name:
            kwargs[name] = 1.0
        return (np.asarray(x, dtype=np.float64), np.asarray(t, dtype=np.float64)), kwargs

    return build()


@st.composite
def bce_inputs(draw: Callable) -> tuple:
    """Probabilities in [0.05, 0.45] and targets in [0.55, 1] (both mirrored by 1 - v half
    the time, so no gradient term is near 0 and broadcast sums cannot cancel), broadcasting;
    optional weight."""
    sx, st_ = draw(broadcastable_pairs())
    x = draw(float_arrays(sx, 0.05, 0.45))
    t = draw(float_arrays(st_, 0.55, 1.0))
    if draw(st.booleans()):
        x, t = np.asarray(1 - x), np.asarray(1 - t)
    kwargs = {"reduction": draw(REDUCTIONS)}
    if draw(st.booleans()):
        kwargs["weight"] = draw(float_arrays(np.broadcast_shapes(sx, st_), 0.2, 2.0))
    return (x, t), kwargs


@st.composite
def bce_with_logits_inputs(draw: Callable) -> tuple:
    """Scores in [-4, 4] (|x| >= 0.1), targets in [0, 1] broadcasting, optional weight and
    pos_weight (over the last axis)."""
    sx, st_ = draw(broadcastable_pairs())
    x = draw(float_arrays(sx, -4.0, 4.0))
    t = draw(float_arrays(st_, 0.0, 1.0, avoid_zero=0.0))
    full = np.broadcast_shapes(sx, st_)
    kwargs = {"reduction": draw(REDUCTIONS)}
    if draw(st.booleans()):
        kwargs["weight"] = draw(float_arrays(full, 0.2, 2.0))
    if draw(st.booleans()):
        kwargs["pos_weight"] = draw(float_arrays(full[-1:], 0.2, 3.0))
    return (x, t), kwargs


INPUTS: dict[str, Callable[[], SearchStrategy]] = {
    "MSELoss": pointwise_inputs, "L1Loss": lambda: pointwise_inputs((0.0,)),
    "SmoothL1Loss": lambda: pointwise_inputs((0.0, 1.0), "beta"),
    "HuberLoss": lambda: pointwise_inputs((0.0, 1.0), "delta"),
    "BCELoss": bce_inputs, "BCEWithLogitsLoss": bce_with_logits_inputs,
}
