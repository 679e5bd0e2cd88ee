"""Input strategies for the loss family (cross_entropy, nll_loss): each entry draws
(args, kwargs) for one Function."""
from __future__ import annotations

from typing import Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import (
    _dims,
    _weights,
    float_arrays,
    masks,
    token_ids,
)

REDUCTIONS = st.sampled_from(["mean", "sum", "none"])


@st.composite
def _class_layout(draw: Callable) -> tuple:
    """(input shape, class axis or None for torch's default)."""
    N, C, d, T = draw(_dims(4))
    C = max(C, 2)
    return draw(st.sampled_from([((N, C), None), ((C,), None), ((N, C, d), None),
                                 ((N, T, C), -1), ((N, C, d), 1)]))


@st.composite
def _class_targets(draw: Callable, shape: tuple, axis: int | None, ignore: bool) -> tuple:
    """Class ids of the shape without the class axis (some set to ignore_index -100)."""
    ax = (1 if len(shape) >= 2 else 0) if axis is None else axis % len(shape)
    C = shape[ax]
    tshape = shape[:ax] + shape[ax + 1:]
    t = np.array(draw(token_ids(tshape, C)))
    if ignore and t.size:
        drop = np.array(draw(st.lists(st.booleans(), min_size=t.size, max_size=t.size)))
        t = np.where(drop.reshape(t.shape), -100, t)
    return t, C


@st.composite
def cross_entropy_inputs(draw: Callable) -> tuple:
    """Scores (N, C[, d]) or (C,) or (N, T, C) with axis=-1; class ids (some ignored) or class
    probabilities (differentiable); optional class weight; label smoothing; reduction."""
    shape, axis = draw(_class_layout())
    x = draw(float_arrays(shape, -3.0, 3.0, distinct=True))  # no uniform softmax rows
    kwargs = {"reduction": draw(REDUCTIONS), "axis": axis,
              "label_smoothing": draw(st.sampled_from([0.0, 0.2]))}
    if draw(st.booleans()):
        t = draw(float_arrays(shape, 0.05, 1.0))
        C = shape[(1 if len(shape) >= 2 else 0) if axis is None else axis % len(shape)]
    else:
        t, C = draw(_class_targets(shape, axis, ignore=True))
    if draw(st.booleans()):
        kwargs["weight"] = draw(float_arrays((C,), 0.2, 2.0))
    return (x, t), kwargs


@st.composite
def nll_loss_inputs(draw: Callable) -> tuple:
    """Log-probability-like scores, class ids (some ignored), optional weight, reduction."""
    shape, axis = draw(_class_layout())
    x = draw(float_arrays(shape, -3.0, 0.0))
    t, C = draw(_class_targets(shape, axis, ignore=True))
    kwargs = {"reduction": draw(REDUCTIONS), "axis": axis}
    if draw(st.booleans()):
        kwargs["weight"] = draw(float_arrays((C,), 0.2, 2.0))
    return (x, t), kwargs


@st.composite
def masked_affine_ce_inputs(draw: Callable) -> tuple:
    """x (N, T, D), w (D, V), b (V,), y (N, T) ids, mask (N, T) (all-False rows too);
    normalize."""
    N, T, D, V = draw(_dims(4))
    V = max(V, 2)
    # |scores| <= 2.5; distinct weights, so no dx is a cancellation to 0 (equal columns of w)
    args = (draw(float_arrays((N, T, D), -1.0, 1.0)),
            draw(float_arrays((D, V), -0.5, 0.5, distinct=True)), draw(_weights((V,))),
            draw(token_ids((N, T), V)), draw(masks((N, T))))
    return args, {"normalize": draw(st.sampled_from(["batch", "tokens"]))}


INPUTS: dict[str, Callable[[], SearchStrategy]] = {
    "CrossEntropy": cross_entropy_inputs, "NLLLoss": nll_loss_inputs,
    "MaskedAffineSoftmaxCE": masked_affine_ce_inputs,
}
