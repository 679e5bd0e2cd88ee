"""Input strategies for the recurrent family: each entry draws (args, kwargs) for one Function."""
from __future__ import annotations

from typing import Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import _dims, _weights, float_arrays


@st.composite
def gru_inputs(draw: Callable, sequence: bool = False) -> tuple:
    """x (N, D) [or (N, T, D)], prev_h (N, H), Wx (D, 3H), Wh (H, 3H), bx (3H,), bh (3H,)."""
    N, T, D, H = draw(_dims(4))
    x = draw(float_arrays((N, T, D) if sequence else (N, D)))
    h = draw(float_arrays((N, H), -1.0, 1.0))
    ws = [draw(_weights((D, 3 * H))), draw(_weights((H, 3 * H))), draw(_weights((3 * H,))),
          draw(_weights((3 * H,)))]
    return (x, h, *ws), {}


@st.composite
def lstm_state_inputs(draw: Callable) -> tuple:
    """LSTMSequence with c0: x (N, T, D), h0 (N, H), Wx, Wh, b, c0 (N, H); return_c."""
    N, T, D, H = draw(_dims(4))
    args = (draw(float_arrays((N, T, D))), draw(float_arrays((N, H), -1.0, 1.0)),
            draw(_weights((D, 4 * H))), draw(_weights((H, 4 * H))), draw(_weights((4 * H,))),
            draw(float_arrays((N, H), -1.0, 1.0)))
    return args, {"return_c": draw(st.booleans())}


@st.composite
def sequence_lengths_inputs(draw: Callable, gates: int = 4) -> tuple:
    """RNNSequence (gates=1) or LSTMSequence (gates=4, with c0 and return_c drawn) with
    lengths (N,) in [0, T], unsorted, zeros included: x (N, T, D), h0 (N, H), Wx, Wh, b."""
    N, T, D, H = draw(_dims(4))
    # distinct values: ties among few contributing rows can cancel a gradient to round-off
    args = [draw(float_arrays((N, T, D), distinct=True)), draw(float_arrays((N, H), -1.0, 1.0)),
            draw(float_arrays((D, gates * H), -0.5, 0.5, distinct=True)),
            draw(float_arrays((H, gates * H), -0.5, 0.5, distinct=True)),
            draw(_weights((gates * H,)))]
    lengths = np.array(draw(st.lists(st.integers(0, T), min_size=N, max_size=N)))
    kwargs = {"lengths": lengths}
    if gates == 4:
        if draw(st.booleans()):
            args.append(draw(float_arrays((N, H), -1.0, 1.0)))  # c0
        kwargs["return_c"] = draw(st.booleans())
    return tuple(args), kwargs


INPUTS: dict[str, Callable[[], SearchStrategy]] = {
    "GRUStep": gru_inputs,
    "GRUSequence": lambda: gru_inputs(sequence=True),
}
