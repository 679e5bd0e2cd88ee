"""CaptioningTransformer: CS231n names and shapes, causal mask, dropout, loss at init, overfit,
KV-cached decoding against full recomputation, beam search, named errors, float64 gradcheck."""
from __future__ import annotations

import math

import numpy as np
import pytest

from minigrad.errors import RangeError, ShapeError
from minigrad.optim import Adam
from minigrad.testing import gradcheck
from zoo.captioning import CaptioningTransformer, beam_search

WORDS = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "red", "blue", "circle", "square", "left"]
W2I = {w: i for i, w in enumerate(WORDS)}
V = len(WORDS)


def _model(dtype=np.float64, scale: float | None = 0.5, seed: int = 0, dropout: float = 0.0,
           **kw) -> CaptioningTransformer:
    """A tiny model; `scale` replaces every weight by scale·N(0, 1) (None keeps the init)."""
    args = dict(num_heads=2, num_layers=2, max_length=12, dim_feedforward=16)
    args.update(kw)
    model = CaptioningTransformer(W2I, 6, 8, dropout=dropout, dtype=dtype, seed=seed, **args)
    if scale is not None:
        rng = np.random.default_rng(seed + 100)
        model.load_state_dict({k: v if k.endswith(".pe") else scale * rng.standard_normal(v.shape)
                               for k, v in model.state_dict().items()})
    return model


def _features(N: int = 5, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((N, 6))


def _captions(N: int = 5, T: int = 8, seed: int = 2) -> np.ndarray:
    """<START> w ... <END> <NULL>...: rows of different lengths, words 3..V-1."""
    rng = np.random.default_rng(seed)
    caps = np.zeros((N, T + 1), dtype=np.int64)
    for i in range(N):
        n = rng.integers(2, T)
        caps[i, 0], caps[i, 1:n + 1], caps[i, n + 1] = 1, rng.integers(3, V, n), 2
    return caps


CS231N_LAYER_KEYS = [f"{a}.{p}.{w}" for a in ("self_attn", "multihead_attn")
                     for p in ("key", "query", "value", "proj") for w in ("weight", "bias")] + \
    [f"{m}.{w}" for m in ("linear1", "linear2", "norm1", "norm2", "norm3")
     for w in ("weight", "bias")]


def test_state_dict_names_and_shapes_are_cs231n() -> None:
    model = CaptioningTransformer(W2I, 6, 8, num_heads=2, num_layers=3, max_length=12,
                                  dim_feedforward=16)
    sd = model.state_dict()
    want = {"visual_projection.weight", "visual_projection.bias", "embedding.weight",
            "positional_encoding.pe", "output.weight", "output.bias"}
    want |= {f"transformer.layers.{i}.{k}" for i in range(3) for k in CS231N_LAYER_KEYS}
    assert set(sd) == want
    assert sd["visual_projection.weight"].shape == (6, 8)  # (in, out)
    assert sd["output.weight"].shape == (8, V) and sd["embedding.weight"].shape == (V, 8)
    assert sd["transformer.layers.0.linear1.weight"].shape == (8, 16)
    assert sd["transformer.layers.0.linear2.weight"].shape == (16, 8)
    assert sd["positional_encoding.pe"].shape == (1, 12, 8)
    assert all(v.dtype == np.float32 for v in sd.values())


def test_init_statistics() -> None:
    """normal(0, 0.02) weights, zero biases, LayerNorm 1 / 0."""
    model = CaptioningTransformer(W2I, 64, 64, num_heads=4, num_layers=2, dim_feedforward=256)
    for name, v in model.state_dict().items():
        if ".norm" in name:
            assert (v == (1.0 if name.endswith("weight") else 0.0)).all(), name
        elif name.endswith(".bias"):
            assert (v == 0).all(), name
        elif name.endswith("weight"):
            assert abs(v.std() - 0.02) < 0.004 and abs(v.mean()) < 0.004, name


def test_positional_encoding_is_cs231n_formula() -> None:
    model = _model(max_length=7)
    pe = model.positional_encoding.pe.data
    assert pe.dtype == np.float64 and pe.shape == (1, 7, 8)
    for i in range(7):
        for k in range(4):
            assert pe[0, i, 2 * k] == pytest.approx(math.sin(i * 10000 ** (-2 * k / 8)), abs=1e-15)
            assert pe[0, i, 2 * k + 1] == pytest.approx(math.cos(i * 10000 ** (-2 * k / 8)),
                                                        abs=1e-15)


def test_scores_shape_and_causal_mask() -> None:
    """Changing word t changes no score at positions < t (eval mode)."""
    model = _model().eval()
    feats, caps = _features(), _captions()
    s = model.scores(feats, caps[:, :-1]).data
    assert s.shape == (5, 8, V)
    for t in (1, 4, 7):
        other = caps[:, :-1].copy()
        other[:, t] = (other[:, t] + 1 - 3) % (V - 3) + 3
        s2 = model.scores(feats, other).data
        np.testing.assert_array_equal(s2[:, :t], s[:, :t])
        assert np.abs(s2[:, t:] - s[:, t:]).max() > 1e-6


def test_attention_matches_numpy_reference() -> None:
    """MultiHeadAttention against softmax(q k^T / sqrt(d) masked) v written with numpy."""
    model = _model().eval()
    attn = model.transformer.layers[0].self_attn
    rng = np.random.default_rng(5)
    x, m = rng.standard_normal((2, 4, 8)), rng.standard_normal((2, 3, 8))
    p = {k: attn.get_submodule(k) for k in ("query", "key", "value", "proj")}

    def ref(q_in, kv_in, causal):
        q, k, v = (q_in @ p["query"].weight.data + p["query"].bias.data,
                   kv_in @ p["key"].weight.data + p["key"].bias.data,
                   kv_in @ p["value"].weight.data + p["value"].bias.data)
        split = [a.reshape(a.shape[0], a.shape[1], 2, 4).transpose(0, 2, 1, 3) for a in (q, k, v)]
        s = split[0] @ split[1].transpose(0, 1, 3, 2) / 2.0  # sqrt(head_dim = 4)
        if causal:
            s = np.where(np.tril(np.ones(s.shape[-2:])) == 0, -np.inf, s)
        w = np.exp(s - s.max(-1, keepdims=True))
        w /= w.sum(-1, keepdims=True)
        o = (w @ split[2]).transpose(0, 2, 1, 3).reshape(q.shape)
        return o @ p["proj"].weight.data + p["proj"].bias.data

    np.testing.assert_allclose(attn(x, m, m).data, ref(x, m, False), rtol=0, atol=1e-12)
    tril = np.tril(np.ones((4, 4)))
    np.testing.assert_allclose(attn(x, x, x, attn_mask=tril).data, ref(x, x, True), atol=1e-12)
    np.testing.assert_allclose(attn(x, x, x, is_causal=True).data, ref(x, x, True), atol=1e-12)


def test_dropout_only_in_training_and_seeded() -> None:
    model = _model(dropout=0.3)
    feats, caps = _features(), _captions()
    model.eval()
    a, b = model.loss(feats, caps).item(), model.loss(feats, caps).item()
    assert a == b
    model.train()
    model.seed_dropout([7, 0])
    c = model.loss(feats, caps).item()
    d = model.loss(feats, caps).item()
    model.seed_dropout([7, 0])
    e = model.loss(feats, caps).item()
    assert c != a and c != d and c == e
    clean = _model(dropout=0.0).train()  # same weights, no dropout: train == eval
    assert clean.loss(feats, caps).item() == pytest.approx(a, abs=1e-12)


def test_loss_at_init_is_log_v_per_token() -> None:
    """Weights ~ N(0, 0.02): near-uniform scores, loss ≈ log(V) · (non-<NULL> targets) / N."""
    model = CaptioningTransformer(W2I, 6, 8, num_heads=2, num_layers=2, dim_feedforward=16,
                                  dropout=0.0, seed=3).eval()
    caps = _captions(20, 8)
    expected = math.log(V) * (caps[:, 1:] != 0).sum() / 20
    assert model.loss(_features(20), caps).item() == pytest.approx(expected, rel=1e-2)


def test_null_embedding_row_gets_no_gradient() -> None:
    model = _model()
    caps = _captions()
    assert (caps[:, :-1] == 0).any()
    model.loss(_features(), caps).backward()
    g = model.embedding.weight.grad
    assert (g[0] == 0).all() and np.abs(g[3:]).max() > 0
    assert all(p.grad is not None for p in model.parameters())


def test_gradcheck_whole_loss_float64() -> None:
    """The loss's gradient w.r.t. a few parameters against central differences."""
    model = _model(scale=0.3)
    feats, caps = _features(3), _captions(3, 6)
    names = ["visual_projection.weight", "embedding.weight",
             "transformer.layers.0.self_attn.query.weight",
             "transformer.layers.1.multihead_attn.value.bias", "transformer.layers.1.norm2.weight",
             "transformer.layers.0.linear1.weight", "output.bias"]
    mods = [model.get_submodule(n.rsplit(".", 1)[0]) for n in names]
    attrs = [n.rsplit(".", 1)[1] for n in names]
    params = [getattr(m, a) for m, a in zip(mods, attrs, strict=True)]

    def loss(*ts):
        try:
            for m, a, t in zip(mods, attrs, ts, strict=True):
                object.__setattr__(m, a, t)  # the graph's leaf replaces the parameter
            return model.loss(feats, caps)
        finally:
            for m, a, p in zip(mods, attrs, params, strict=True):
                object.__setattr__(m, a, p)

    report = gradcheck(loss, [p.data.copy() for p in params], eps=1e-4, order=4, atol=1e-8,
                       rtol=1e-6)
    assert report is not None


def test_step_scores_equal_full_forward() -> None:
    """The KV-cached step gives the full forward's scores at each position (float64)."""
    model = _model().eval()
    feats, caps = _features(), _captions()
    full = model.scores(feats, caps[:, :-1]).data  # (N, T, V)
    state = model.init_state(feats)
    assert len(state) == 4 * 2 and state[0].shape == (5, 2, 0, 4) and state[2].shape == (5, 2, 1, 4)
    for t in range(caps.shape[1] - 1):
        scores, *state = model.step(caps[:, t], *state)
        np.testing.assert_allclose(scores, full[:, t], rtol=0, atol=1e-12)
        assert state[0].shape == (5, 2, t + 1, 4)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_greedy_equals_argmax_of_full_recomputation(dtype) -> None:
    model = _model(dtype=dtype, scale=0.8)
    feats = _features(8, seed=4)
    words = model.sample(feats, max_length=10)
    assert words.shape == (8, 10) and words.dtype == np.int64
    model.eval()
    for i in range(8):
        prefix = [1]
        for t in range(10):
            s = model.scores(feats[i:i + 1].astype(dtype), np.array([prefix])).data[0, -1]
            w = int(s.argmax())
            assert words[i, t] == w, (i, t)
            if w == 2:
                assert (words[i, t + 1:] == 0).all()
                break
            prefix.append(w)
    assert (words == 2).any() or (words != 0).all()


def test_beam_size_one_is_greedy_and_beams_score_logprobs() -> None:
    model = _model(scale=0.8)
    feats = _features(6, seed=8)
    greedy = model.sample(feats, max_length=10)
    np.testing.assert_array_equal(model.sample(feats, max_length=10, beam_size=1), greedy)
    np.testing.assert_array_equal(beam_search(model, feats, 10, beam_size=1)[0], greedy)
    best, beams, scores = beam_search(model, feats, 10, beam_size=3)
    assert beams.shape == (6, 3, 10) and np.all(np.diff(scores, axis=1) <= 1e-12)
    np.testing.assert_array_equal(model.sample(feats, 10, beam_size=3), best)
    model.eval()  # the best beam's score is its log-probability under the full forward
    for i in range(6):
        row = best[i]
        n = int(np.flatnonzero(row == 2)[0]) + 1 if (row == 2).any() else 10
        s = model.scores(feats[i:i + 1], np.concatenate([[1], row[:n - 1]])[None]).data[0]
        s = s - s.max(1, keepdims=True)
        logp = s - np.log(np.exp(s).sum(1, keepdims=True))
        assert scores[i, 0] == pytest.approx(logp[np.arange(n), row[:n]].sum(), abs=1e-9)


def test_sample_restores_mode_and_ignores_dropout() -> None:
    model = _model(dropout=0.5).train()
    feats = _features()
    a = model.sample(feats, 8)
    assert model.training
    np.testing.assert_array_equal(a, model.sample(feats, 8))
    np.testing.assert_array_equal(a, model.eval().sample(feats, 8))
    assert not model.training


def test_self_attention_maps() -> None:
    model = _model().train()
    caps = _captions()[:, :-1]
    maps = model.self_attention_maps(_features(), caps)
    assert maps.shape == (2, 5, 2, 8, 8) and model.training
    np.testing.assert_allclose(maps.sum(-1), 1.0, atol=1e-12)
    assert (np.triu(np.ones((8, 8)), 1)[None, None, None] * maps == 0).all()


def test_named_errors() -> None:
    model = _model()
    with pytest.raises(RangeError, match="max_length 13 exceeds"):
        model.sample(_features(), max_length=13)
    with pytest.raises(RangeError, match="max_length"):
        model.loss(_features(2), np.ones((2, 14), dtype=np.int64))
    with pytest.raises(ShapeError, match="input_dim = 6"):
        model.loss(np.ones((5, 7)), _captions())
    with pytest.raises(ShapeError, match="input_dim = 6"):
        model.sample(np.ones((5, 7)), max_length=5)
    with pytest.raises(ShapeError, match="divisible by num_heads"):
        CaptioningTransformer(W2I, 6, 10, num_heads=4)
    with pytest.raises(RangeError, match="dropout"):
        CaptioningTransformer(W2I, 6, 8, num_heads=2, dropout=1.0)
    with pytest.raises(RangeError, match="num_layers"):
        CaptioningTransformer(W2I, 6, 8, num_heads=2, num_layers=0)
    with pytest.raises(KeyError, match="<END>"):
        CaptioningTransformer({"<NULL>": 0, "<START>": 1, "a": 2}, 6, 8, num_heads=2)
    with pytest.raises(ValueError, match="word_to_idx"):
        CaptioningTransformer({"<NULL>": 0, "<START>": 1, "<END>": 5}, 6, 8, num_heads=2)


def test_float32_model_and_state_round_trip() -> None:
    a = _model(dtype=np.float32, seed=1)
    b = CaptioningTransformer(W2I, 6, 8, num_heads=2, num_layers=2, max_length=12,
                              dim_feedforward=16, dropout=0.0, dtype=np.float32, seed=9)
    b.load_state_dict(a.state_dict())
    feats, caps = _features(), _captions()
    la = a.loss(feats, caps)
    assert la.dtype == np.float32
    assert la.item() == b.loss(feats, caps).item()
    assert a.num_parameters() == sum(v.size for k, v in a.state_dict().items()
                                     if not k.endswith(".pe"))


def test_overfit_small_data(overfit_data) -> None:
    """100 Adam iterations on 50 captions drive the loss below 0.5 (CS231n's overfit check)."""
    data = overfit_data
    model = CaptioningTransformer(data["word_to_idx"], data["train_features"].shape[1], 64,
                                  num_heads=4, num_layers=2, max_length=30, dim_feedforward=128,
                                  dropout=0.0, seed=0)
    opt = Adam(model.parameters(), lr=3e-3)
    caps, feats = data["train_captions"], data["train_features"][data["train_image_idxs"]]
    losses = []
    for _ in range(100):
        opt.zero_grad()
        loss = model.loss(feats, caps)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[0] > 10 * losses[-1] and losses[-1] < 0.5, losses[::10]


def test_double_casts_parameters_and_pe() -> None:
    model = _model(dtype=np.float32).double()
    assert model.dtype == np.float64 and model.positional_encoding.pe.data.dtype == np.float64
    loss = model.loss(_features(), _captions())
    assert loss.dtype == np.float64
    ref = _model(dtype=np.float64)  # same draws, built in float64
    assert loss.item() == pytest.approx(ref.loss(_features(), _captions()).item(), rel=1e-6)
    assert model.sample(_features(), 6).shape == (5, 6)
