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
    # equal keys make d query exactly 0, equal values d key (relative errors of rounding noise)
    args = [draw(float_arrays((B, L, E))), draw(float_arrays((kb, S, E), distinct=True)),
            draw(float_arrays((kb, S, Ev), distinct=True))]
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


@st.composite
def sdpa_gqa_inputs(draw: Callable) -> tuple:
    """Grouped-query attention: q (B, Hq, L, E), k (B, Hk, S, E), v (B, Hv, S, Ev) with Hk and
    Hv dividing Hq, enable_gqa=True, optionally causal."""
    B, L, S, E = draw(_dims(4, 1, 2))
    Hk, Hv = draw(_dims(2, 1, 2))
    Hq = Hk * Hv * draw(st.integers(1, 2))
    args = (draw(float_arrays((B, Hq, L, E))), draw(float_arrays((B, Hk, S, E), distinct=True)),
            draw(float_arrays((B, Hv, S, draw(st.integers(1, 2))), distinct=True)))
    return args, {"enable_gqa": True, "is_causal": draw(st.booleans())}


def _sdpa_any() -> SearchStrategy:
    return st.one_of(sdpa_inputs(), sdpa_inputs(), sdpa_gqa_inputs())


INPUTS: dict[str, Callable[[], SearchStrategy]] = {
    "ScaledDotProductAttention": _sdpa_any,
}
