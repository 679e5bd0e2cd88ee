"""Scaled dot-product attention: float32, named errors, values from the numpy formula, masks
(bool, additive, causal, fully masked rows), dropout, returned weights."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor
from minigrad.errors import (
    DTypeError,
    RangeError,
    RangeRuntimeError,
    ShapeError,
    ShapeRuntimeError,
)
from tests.minigrad.ops.common import f32, r

sdpa = F.scaled_dot_product_attention


def _qkv(L=3, S=4, E=5, Ev=2, batch=(2,), dtype=np.float64):
    return (r(*batch, L, E, dtype=dtype), r(*batch, S, E, dtype=dtype, seed=1),
            r(*batch, S, Ev, dtype=dtype, seed=2))


F32_CASES = {
    "ScaledDotProductAttention": lambda: (F.ScaledDotProductAttention,
                                          (f32(2, 3, 4), f32(2, 5, 4), f32(2, 5, 3),
                                           f32(3, 5)), (0, 1, 2, 3)),
}

ERROR_CASES = [
    ("ScaledDotProductAttention", "query ndim", lambda: sdpa(r(4), *_qkv()[1:]), ShapeError,
     ["query must be at least 2-D (..., L, E)", "(4,)"]),
    ("ScaledDotProductAttention", "E", lambda: sdpa(r(2, 3, 6), *_qkv()[1:]), ShapeError,
     ["query.shape[2] must equal key.shape[2]", "(2, 3, 6)", "(2, 4, 5)"]),
    ("ScaledDotProductAttention", "S", lambda: sdpa(*_qkv()[:2], r(2, 3, 2)), ShapeError,
     ["key.shape[1] must equal value.shape[1]"]),
    ("ScaledDotProductAttention", "batch", lambda: sdpa(r(3, 3, 5), *_qkv()[1:]), ShapeError,
     ["batch dimensions of query, key and value must broadcast", "query (3, 3, 5)"]),
    ("ScaledDotProductAttention", "dtype", lambda: sdpa(*_qkv()[:2], r(2, 4, 2, dtype=np.float32)),
     DTypeError, ["float inputs must share one dtype", "value float32"]),
    ("ScaledDotProductAttention", "int query", lambda: sdpa(np.ones((2, 3, 5), int), *_qkv()[1:]),
     DTypeError, ["query must be a float array"]),
    ("ScaledDotProductAttention", "mask shape", lambda: sdpa(*_qkv(), attn_mask=np.ones((4, 3),
                                                                                      bool)),
     ShapeError, ["attn_mask must broadcast to the scores' shape (..., L, S) = (2, 3, 4)",
                  "(4, 3)"]),
    ("ScaledDotProductAttention", "mask dtype", lambda: sdpa(*_qkv(), attn_mask=np.ones((3, 4),
                                                                                      int)),
     DTypeError, ["attn_mask must be a bool mask (True = attend) or a float", "int64"]),
    ("ScaledDotProductAttention", "mask nan", lambda: sdpa(*_qkv(), attn_mask=np.full((3, 4),
                                                                                     np.nan)),
     RangeError, ["may hold -inf but not NaN or +inf"]),
    ("ScaledDotProductAttention", "mask float32", lambda: sdpa(*_qkv(), attn_mask=np.zeros(
        (3, 4), np.float32)), DTypeError, ["attn_mask float32"]),
    ("ScaledDotProductAttention", "causal and mask", lambda: sdpa(
        *_qkv(), attn_mask=np.ones((3, 4), bool), is_causal=True), RangeRuntimeError,
     ["give attn_mask or is_causal=True, not both"]),
    ("ScaledDotProductAttention", "gqa heads", lambda: sdpa(
        r(2, 6, 3, 4), r(2, 4, 5, 4), r(2, 2, 5, 3), enable_gqa=True), ShapeRuntimeError,
     ["number of key heads (axis -3) must divide the query heads 6", "key (2, 4, 5, 4)"]),
    ("ScaledDotProductAttention", "dropout_p", lambda: sdpa(*_qkv(), dropout_p=1.5), RangeError,
     ["dropout_p must be in [0, 1], got 1.5"]),
    ("ScaledDotProductAttention", "empty", lambda: sdpa(r(2, 0, 5), *_qkv()[1:]), ShapeError,
     ["query must be non-empty"]),
    ("ScaledDotProductAttention", "inf key", lambda: sdpa(_qkv()[0], np.full((2, 4, 5), np.inf),
                                                          _qkv()[2]), RangeError,
     ["key must be finite"]),
]


def _np_attention(q, k, v, add=None, scale=None):
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    s = np.einsum("...le,...se->...ls", q, k) * scale
    if add is not None:
        s = s + add
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    w = e / e.sum(axis=-1, keepdims=True)
    return np.einsum("...ls,...sv->...lv", w, v), w


def test_values_match_the_formula_with_default_and_given_scale() -> None:
    q, k, v = _qkv(batch=(2, 3))
    np.testing.assert_allclose(sdpa(q, k, v).data, _np_attention(q, k, v)[0], rtol=1e-12)
    np.testing.assert_allclose(sdpa(q, k, v, scale=0.3).data,
                               _np_attention(q, k, v, scale=0.3)[0], rtol=1e-12)
    out, w = sdpa(q, k, v, need_weights=True)
    np.testing.assert_allclose(w.data, _np_attention(q, k, v)[1], rtol=1e-12)
    np.testing.assert_allclose(w.data.sum(-1), 1.0, rtol=1e-14)


def test_bool_mask_is_true_for_attend_and_equals_the_additive_form() -> None:
    q, k, v = _qkv()
    m = np.array([[1, 0, 1, 0], [0, 1, 1, 1], [1, 0, 0, 0]], bool)
    additive = np.where(m, 0.0, -np.inf)
    expected = _np_attention(q, k, v, np.where(m, 0.0, -1e300))[0]
    np.testing.assert_allclose(sdpa(q, k, v, attn_mask=m).data, expected, rtol=1e-12)
    np.testing.assert_allclose(sdpa(q, k, v, attn_mask=additive).data, expected, rtol=1e-12)
    row2 = v[:, 0]  # the last query sees key 0 only: its output is value row 0
    np.testing.assert_allclose(sdpa(q, k, v, attn_mask=m).data[:, 2], row2, rtol=1e-14)


def test_is_causal_is_the_lower_triangle_aligned_top_left() -> None:
    q, k, v = _qkv(L=3, S=5)
    tril = np.tril(np.ones((3, 5), bool))
    np.testing.assert_array_equal(sdpa(q, k, v, is_causal=True).data,
                                  sdpa(q, k, v, attn_mask=tril).data)
    np.testing.assert_allclose(sdpa(q, k, v, is_causal=True).data[:, 0], v[:, 0], rtol=1e-14)


def test_fully_masked_rows_give_zeros_and_no_nan_anywhere() -> None:
    q, k, v = (Tensor(a, requires_grad=True) for a in _qkv())
    m = np.ones((3, 4), bool)
    m[1] = False
    add = Tensor(np.zeros((2, 3, 4)), requires_grad=True)
    add.data[0, 2] = -np.inf
    out = sdpa(q, k, v, attn_mask=m)
    (out * out).sum().backward()
    assert np.all(out.data[:, 1] == 0) and np.isfinite(out.data).all()
    assert np.all(q.grad[:, 1] == 0)  # the dead row gets no gradient
    assert all(np.isfinite(t.grad).all() for t in (q, k, v))
    live = sdpa(q.data[:, [0, 2]], k.data, v.data, attn_mask=m[[0, 2]]).data
    np.testing.assert_allclose(out.data[:, [0, 2]], live, rtol=1e-14)  # others unaffected
    out2 = sdpa(q, k, v, attn_mask=add)
    out2.sum().backward()
    assert np.all(out2.data[0, 2] == 0) and np.isfinite(add.grad).all()
    assert np.all(add.grad[0, 2] == 0)


def test_additive_mask_gradient_is_the_scores_gradient() -> None:
    q, k, v = _qkv()
    mask = Tensor(0.5 * r(3, 4, seed=9), requires_grad=True)  # broadcast over the batch
    out = sdpa(q, k, v, attn_mask=mask)
    out.sum().backward()
    eps = 1e-6
    num = np.zeros((3, 4))
    for i in np.ndindex(3, 4):
        up, dn = mask.data.copy(), mask.data.copy()
        up[i] += eps
        dn[i] -= eps
        num[i] = (_np_attention(q, k, v, up)[0].sum() - _np_attention(q, k, v, dn)[0].sum()) \
            / (2 * eps)
    np.testing.assert_allclose(mask.grad, num, rtol=1e-6, atol=1e-9)


def test_dropout_is_seeded_unbiased_and_off_at_p0() -> None:
    q, k, v = _qkv(L=8, S=16, batch=(4,))
    base = sdpa(q, k, v).data
    a = sdpa(q, k, v, dropout_p=0.5, rng=3, need_weights=True)
    b = sdpa(q, k, v, dropout_p=0.5, rng=3, need_weights=True)
    np.testing.assert_array_equal(a[0].data, b[0].data)
    w = a[1].data
    assert set(np.unique(np.round(w / np.maximum(_np_attention(q, k, v)[1], 1e-300), 12))) \
        <= {0.0, 2.0}  # dropped or scaled by 1 / (1 - p)
    np.testing.assert_array_equal(sdpa(q, k, v, dropout_p=0.0, rng=3).data, base)
    gen = np.random.default_rng(0)
    mean = np.mean([sdpa(q, k, v, dropout_p=0.5, rng=gen).data for _ in range(400)], axis=0)
    assert np.abs(mean - base).max() < 0.15 * np.abs(base).max()


def test_float32_and_tensor_inputs_keep_their_dtype() -> None:
    q, k, v = _qkv(dtype=np.float32)
    out, w = sdpa(Tensor(q), k, v, attn_mask=np.zeros((3, 4), np.float32), need_weights=True)
    assert out.dtype == np.float32 and w.dtype == np.float32 and out.shape == (2, 3, 2)


def test_enable_gqa_repeats_each_key_value_head_for_its_query_group() -> None:
    q, k, val = r(2, 6, 3, 4), r(2, 2, 5, 4, seed=1), r(2, 3, 5, 2, seed=2)
    tq, tk, tv = (Tensor(a, requires_grad=True) for a in (q, k, val))
    out = sdpa(tq, tk, tv, enable_gqa=True)
    kr, vr = np.repeat(k, 3, axis=1), np.repeat(val, 2, axis=1)  # head h uses k[h // 3]
    np.testing.assert_allclose(out.data, _np_attention(q, kr, vr)[0], rtol=1e-12, atol=1e-14)
    g = r(*out.shape, seed=3)
    out.backward(g)
    rq, rk, rv = (Tensor(a, requires_grad=True) for a in (q, kr, vr))
    sdpa(rq, rk, rv).backward(g)
    np.testing.assert_allclose(tq.grad, rq.grad, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(tk.grad, rk.grad.reshape(2, 2, 3, 5, 4).sum(2), rtol=1e-12,
                               atol=1e-14)
    np.testing.assert_allclose(tv.grad, rv.grad.reshape(2, 3, 2, 5, 2).sum(2), rtol=1e-12,
                               atol=1e-14)
    same = sdpa(q, kr, vr, enable_gqa=True)  # equal head counts: unchanged
    np.testing.assert_array_equal(same.data, sdpa(q, kr, vr).data)


def test_causal_with_a_mask_is_a_runtime_error_as_torch() -> None:
    with pytest.raises(RuntimeError, match="not both"):
        sdpa(*_qkv(L=4), attn_mask=np.ones((4, 4), bool), is_causal=True)
