"""Input strategies for the attention family: each entry draws (args, kwargs) for one Function."""
from __future__ import annotations

from typing import Callable

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import _dims, float_arrays, masks


@st.composite
def sdpa_inputs(draw: Callable) -> tuple:
    """q (B, L, E), k (B or 1, S, E), v (B or 1, S, Ev) and one of: no mask, a bool mask (with
    all-False rows), an additive float mask (broadcast shapes), is_causal, dropout with an int
    seed; optional scale and need_weights."""
    B, L, S, E = draw(_dims(4, 1, 3))
    Ev = draw(st.integers(1, 3))
    kb = draw(st.sampled_from([B, 1]))
    args = [draw(float_arrays((B, L, E))), draw(float_arrays((kb, S, E))),
            draw(float_arrays((kb, S, Ev)))]
    kwargs = {"need_weights": draw(st.booleans())}
    kind = draw(st.sampled_from(["none", "bool", "float", "causal", "dropout"]))
    if kind == "bool":
        args.append(draw(masks(st.sampled_from([(L, S), (B, L, S), (B, 1, S)]))))
    elif kind == "float":
        args.append(draw(float_arrays(st.sampled_from([(L, S), (B, 1, S), (1, S)]))))
    elif kind == "causal":
        kwargs["is_causal"] = True
    elif kind == "dropout":
        kwargs.update(dropout_p=draw(st.sampled_from([0.25, 0.5])), rng=draw(st.integers(0, 99)))
    if draw(st.booleans()):
        kwargs["scale"] = draw(st.floats(0.2, 1.5))
    return tuple(args), kwargs


INPUTS: dict[str, Callable[[], SearchStrategy]] = {
    "ScaledDotProductAttention": sdpa_inputs,
}
