"""Input strategies for the norm family: each entry draws (args, kwargs) for one Function.

Every group of values that is normalised together is well spread (values at least ~0.2 apart),
so its variance is O(1) and central differences stay accurate.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import _dims, _weights, float_arrays


@st.composite
def spread_groups(draw: Callable, groups: int, k: int) -> np.ndarray:
    """(groups, k) values: each row a permuted ramp 0.6·(0..k-1) plus jitter in [-0.2, 0.2],
    no value within 0.05 of its row mean (a normalised value ~0 gives a weight gradient at the
    rounding floor), shifted by a per-row offset."""
    ramp = 0.6 * np.array(draw(st.permutations(range(k))), dtype=np.float64)  # (k,)
    x = ramp - ramp.mean() + draw(float_arrays((groups, k), -0.2, 0.2, avoid_zero=0.0))
    for _ in range(4):
        near = np.abs(x - x.mean(axis=1, keepdims=True)) < 0.05
        if k < 2 or not near.any():
            break
        x = x + 0.25 * near
    return x + draw(float_arrays((groups, 1), -1.0, 1.0, avoid_zero=0.0))  # (groups, k)


def _affine(draw: Callable, shape: tuple) -> tuple:
    """weight and bias of `shape`, each sometimes None."""
    w = draw(st.one_of(st.none(), _weights(shape, 1.5)))
    b = draw(st.one_of(st.none(), _weights(shape, 1.0)))
    return w, b


@st.composite
def layer_norm_inputs(draw: Callable) -> tuple:
    """x (lead..., *S) with S of 1-2 axes (at least 2 values), weight/bias (S) or None, eps."""
    lead = draw(st.lists(st.integers(1, 3), min_size=0, max_size=2).map(tuple))
    S = draw(st.one_of(_dims(1, 2, 4), st.tuples(st.integers(1, 3), st.integers(2, 3))))
    x = draw(spread_groups(math.prod(lead), math.prod(S))).reshape(lead + S)
    w, b = _affine(draw, S)
    eps = draw(st.sampled_from([1e-5, 0.1]))
    return (x, w, b), {"normalized_shape": S, "eps": eps}


@st.composite
def batch_norm_inputs(draw: Callable) -> tuple:
    """x (N, C), (N, C, L) or (N, C, H, W) with N·L·... >= 2; training with batch statistics,
    or eval with running_mean (C,) and running_var (C,) in [0.5, 2]."""
    N, C = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    spatial = draw(st.lists(st.integers(1, 3), min_size=0, max_size=2).map(tuple))
    if N * math.prod(spatial) < 2:
        N = 2
    x = np.moveaxis(draw(spread_groups(C, N * math.prod(spatial))).reshape((C, N) + spatial),
                    0, 1).copy()  # (N, C, *spatial)
    w, b = _affine(draw, (C,))
    kwargs: dict = {"eps": draw(st.sampled_from([1e-5, 0.1]))}
    if draw(st.booleans()):
        kwargs.update(training=False, running_mean=draw(float_arrays((C,), -1.0, 1.0)),
                      running_var=draw(float_arrays((C,), 0.5, 2.0)))
    return (x, w, b), kwargs


@st.composite
def group_norm_inputs(draw: Callable) -> tuple:
    """x (N, C, *spatial) with C = G·k and at least 2 values per group, weight/bias (C,)."""
    N, G, k = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    spatial = draw(st.lists(st.integers(1, 3), min_size=0, max_size=2).map(tuple))
    if k * math.prod(spatial) < 2:
        spatial = (2,)
    C = G * k
    x = draw(spread_groups(N * G, k * math.prod(spatial))).reshape((N, C) + spatial)
    w, b = _affine(draw, (C,))
    return (x, w, b), {"num_groups": G, "eps": draw(st.sampled_from([1e-5, 0.1]))}


INPUTS: dict[str, Callable[[], SearchStrategy]] = {
    "LayerNorm": layer_norm_inputs, "BatchNorm": batch_norm_inputs,
    "GroupNorm": group_norm_inputs,
}
