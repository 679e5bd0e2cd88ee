"""TorchCaptioningTransformer against zoo's CaptioningTransformer: loss and every gradient in
float64, greedy samples, training in torch and loading back, CS231n state dicts as is."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from vis.twin import (  # noqa: E402
    TorchCaptioningTransformer,
    transformer_state_from_torch,
    transformer_state_to_torch,
)
from zoo.captioning import CaptioningTransformer  # noqa: E402

WORDS = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "red", "blue", "circle", "square", "left"]
W2I = {w: i for i, w in enumerate(WORDS)}
V = len(WORDS)
SIZES = dict(num_heads=2, num_layers=2, max_length=12, dim_feedforward=16)


def _model(dropout: float = 0.0, scale: float = 0.5, seed: int = 0) -> CaptioningTransformer:
    """A float64 minigrad model with weights scale·N(0, 1) (pe kept)."""
    model = CaptioningTransformer(W2I, 6, 8, dropout=dropout, dtype=np.float64, **SIZES)
    rng = np.random.default_rng(seed)
    model.load_state_dict({k: v if k.endswith(".pe") else scale * rng.standard_normal(v.shape)
                           for k, v in model.state_dict().items()})
    return model


def _data(N: int = 6, T: int = 9, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Features (N, 6) and captions (N, T+1): <START> words <END> <NULL>..."""
    rng = np.random.default_rng(seed)
    caps = np.zeros((N, T + 1), dtype=np.int64)
    for i in range(N):
        n = int(rng.integers(1, T - 1))
        caps[i, 0], caps[i, 1:n + 1], caps[i, n + 1] = 1, rng.integers(3, V, n), 2
    return rng.standard_normal((N, 6)), caps


def _torch_grads(twin: TorchCaptioningTransformer) -> dict[str, np.ndarray]:
    return transformer_state_from_torch({n: p.grad for n, p in twin.named_parameters()})


@pytest.mark.parametrize("dropout", [0.0, 0.2])
def test_loss_and_every_gradient_match_float64(dropout: float) -> None:
    """Dropout 0 in train mode, or dropout 0.2 with both models in eval mode."""
    model = _model(dropout)
    twin = TorchCaptioningTransformer.from_minigrad(model)
    if dropout:
        model.eval()
        twin.eval()
    feats, caps = _data()
    loss = model.loss(feats, caps)
    loss.backward()
    tloss = twin.loss(feats, caps)
    tloss.backward()
    assert loss.item() == pytest.approx(tloss.item(), rel=1e-12, abs=1e-12)
    grads = _torch_grads(twin)
    assert set(grads) == {n for n, _ in model.named_parameters()}
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad, grads[name], rtol=0, atol=1e-8, err_msg=name)
    assert (grads["embedding.weight"][0] == 0).all()  # padding_idx in both


def test_scores_match_and_greedy_samples_equal() -> None:
    model = _model(scale=0.8, seed=3).eval()
    twin = TorchCaptioningTransformer.from_minigrad(model)
    feats, caps = _data(10, seed=4)
    np.testing.assert_allclose(model.scores(feats, caps[:, :-1]).data,
                               twin(feats, caps[:, :-1]).detach().numpy(), rtol=0, atol=1e-10)
    ours = model.sample(feats, max_length=12)
    np.testing.assert_array_equal(ours, twin.sample(feats, max_length=12))
    assert (ours != 0).sum() > 10  # not an all-<NULL> trivial sample


def test_train_in_torch_then_load_back() -> None:
    """A few torch Adam steps (float64, no dropout); minigrad then gives torch's loss."""
    model = _model(scale=0.2, seed=5)
    twin = TorchCaptioningTransformer.from_minigrad(model)
    opt = torch.optim.Adam(twin.parameters(), lr=1e-2)
    feats, caps = _data(8, seed=6)
    first = None
    for _ in range(5):
        opt.zero_grad()
        loss = twin.loss(feats, caps)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    after = twin.loss(feats, caps).item()
    assert after < first
    model.load_state_dict(twin.to_state_dict())
    assert model.loss(feats, caps).item() == pytest.approx(after, rel=1e-12)


def test_cs231n_state_dict_loads_as_is() -> None:
    """A state dict with CS231n's torch names (fresh torch init) loads into minigrad unchanged."""
    torch.manual_seed(0)
    twin = TorchCaptioningTransformer(W2I, 6, 8, dropout=0.0, dtype=torch.float64, **SIZES)
    sd = twin.state_dict()
    names = {"visual_projection.weight", "visual_projection.bias", "embedding.weight",
             "positional_encoding.pe", "output.weight", "output.bias"}
    for i in range(2):
        for a in ("self_attn", "multihead_attn"):
            names |= {f"transformer.layers.{i}.{a}.{p}.{w}" for p in ("key", "query", "value",
                                                                     "proj")
                      for w in ("weight", "bias")}
        names |= {f"transformer.layers.{i}.{m}.{w}" for m in ("linear1", "linear2", "norm1",
                                                             "norm2", "norm3")
                  for w in ("weight", "bias")}
    assert set(sd) == names
    model = CaptioningTransformer(W2I, 6, 8, dropout=0.0, dtype=np.float64, **SIZES)
    state = transformer_state_from_torch(sd)
    model.load_state_dict(state)
    np.testing.assert_array_equal(model.visual_projection.weight.data,
                                  sd["visual_projection.weight"].numpy().T)
    np.testing.assert_array_equal(model.positional_encoding.pe.data,
                                  sd["positional_encoding.pe"].numpy())
    feats, caps = _data(seed=7)
    assert model.loss(feats, caps).item() == pytest.approx(twin.loss(feats, caps).item(),
                                                           rel=1e-12)
    back = transformer_state_to_torch(model.state_dict())
    assert set(back) == names
    for k, v in sd.items():
        torch.testing.assert_close(back[k], v, rtol=0, atol=0)


def test_float32_state_keeps_pe_and_transposes() -> None:
    model = CaptioningTransformer(W2I, 6, 8, **SIZES)  # float32
    sd = transformer_state_to_torch(model.state_dict())
    assert sd["output.weight"].shape == (V, 8) and sd["output.weight"].dtype == torch.float32
    assert sd["embedding.weight"].shape == (V, 8) and sd["positional_encoding.pe"].shape == (1, 12,
                                                                                             8)
    twin = TorchCaptioningTransformer(W2I, 6, 8, dtype=torch.float32, **SIZES)
    twin.load_state_dict(sd)
    back = transformer_state_from_torch(twin.state_dict())
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(back[k], v)


def _halves_loss_and_grads(twin: TorchCaptioningTransformer, feats: np.ndarray,
                           caps: np.ndarray, seed: int, step: int,
                           cut: int) -> tuple[np.ndarray, float, dict[str, np.ndarray]]:
    """Scores, loss and gradients of the batch computed as rows [0, cut) and [cut, N) under
    global masks (each part's loss weighted by its share of N, as DDP's ranks)."""
    N = len(caps)
    twin.zero_grad()
    parts, total = [], 0.0
    for rows in ((0, cut), (cut, N)):
        f, c = feats[rows[0]:rows[1]], caps[rows[0]:rows[1]]
        with twin.global_dropout(seed, step, rows, N):
            parts.append(twin(f, c[:, :-1]).detach().numpy())
        with twin.global_dropout(seed, step, rows, N):
            loss = twin.loss(f, c) * ((rows[1] - rows[0]) / N)
        loss.backward()
        total += loss.item()
    return np.concatenate(parts), total, _torch_grads(twin)


def test_global_dropout_masks_are_rows_of_the_global_batch() -> None:
    """Masks drawn for the global batch: any split of the rows gives the whole batch's scores,
    loss and gradients (dropout 0.3, train mode), and they depend on (seed, step)."""
    twin = TorchCaptioningTransformer.from_minigrad(_model(0.3, seed=8)).train()
    feats, caps = _data(6, seed=9)
    with twin.global_dropout(11, 4):
        whole = twin(feats, caps[:, :-1]).detach().numpy()
    twin.zero_grad()
    with twin.global_dropout(11, 4):
        loss = twin.loss(feats, caps)
    loss.backward()
    grads = _torch_grads(twin)
    for cut in (3, 1):
        scores, got_loss, got_grads = _halves_loss_and_grads(twin, feats, caps, 11, 4, cut)
        np.testing.assert_allclose(scores, whole, rtol=0, atol=1e-12)
        assert got_loss == pytest.approx(loss.item(), rel=1e-12)
        for name, g in grads.items():
            np.testing.assert_allclose(got_grads[name], g, rtol=0, atol=1e-12, err_msg=name)
    with twin.global_dropout(11, 4):
        again = twin(feats, caps[:, :-1]).detach().numpy()
    np.testing.assert_array_equal(again, whole)  # a function of (seed, step) only
    eval_scores = twin.eval()(feats, caps[:, :-1]).detach().numpy()
    twin.train()
    assert np.abs(whole - eval_scores).max() > 1e-3  # dropout was applied
    for seed, step in ((11, 5), (12, 4)):
        with twin.global_dropout(seed, step):
            other = twin(feats, caps[:, :-1]).detach().numpy()
        assert np.abs(other - whole).max() > 1e-3


def test_global_mask_is_the_seeded_generators_draw() -> None:
    """The k-th mask of a step: u ~ U[0, 1) (float32) of the global shape from a CPU generator
    seeded by SeedSequence([seed, step, k]) >> 1; kept where u >= p, scaled by 1 / (1 - p)."""
    from vis.twin_transformer import GlobalDropout

    p, total, rows = 0.3, 8, (2, 5)
    x = torch.arange(1.0, 1.0 + 3 * 4 * 5, dtype=torch.float64).reshape(3, 4, 5)
    twin = TorchCaptioningTransformer(W2I, 6, 8, dropout=p, **SIZES)
    drop = GlobalDropout(p).train()
    with twin.global_dropout(7, 2, rows, total) as masks:
        twin.positional_encoding.dropout(torch.zeros(3, 4, 5))  # a twin site: mask k = 0
        drop.masks = masks
        got = drop(x)  # mask k = 1
        drop.masks = None
    assert masks.calls == 2
    state = int(np.random.SeedSequence([7, 2, 1]).generate_state(1, np.uint64)[0]) >> 1
    u = torch.rand((total, 4, 5), generator=torch.Generator().manual_seed(state),
                   dtype=torch.float32)[rows[0]:rows[1]]
    want = torch.where(u >= p, x / (1 - p), torch.zeros_like(x))
    torch.testing.assert_close(got, want, rtol=1e-15, atol=0)
    assert (got == 0).any() and (got != 0).any()


def test_without_global_dropout_sites_are_torchs_dropout() -> None:
    """Outside the context the twin draws from torch's global RNG exactly as nn.Dropout does
    (the twin with its sites swapped for nn.Dropout gives the same scores for the same seed)."""
    import copy

    from vis.twin_transformer import GlobalDropout

    twin = TorchCaptioningTransformer.from_minigrad(_model(0.3, seed=2)).train()
    plain = copy.deepcopy(twin)
    for module in list(plain.modules()):
        for child, sub in list(module.named_children()):
            if isinstance(sub, GlobalDropout):
                setattr(module, child, torch.nn.Dropout(sub.p))
    assert not any(isinstance(m, GlobalDropout) for m in plain.modules())
    feats, caps = _data(5, seed=3)
    torch.manual_seed(21)
    got = twin(feats, caps[:, :-1]).detach()
    torch.manual_seed(21)
    want = plain(feats, caps[:, :-1]).detach()
    torch.testing.assert_close(got, want, rtol=0, atol=0)
    with pytest.raises(RuntimeError, match="boom"), twin.global_dropout(1, 1):
        raise RuntimeError("boom")
    assert all(m.masks is None for m in twin.modules() if isinstance(m, GlobalDropout))
    torch.manual_seed(21)
    torch.testing.assert_close(twin(feats, caps[:, :-1]).detach(), want, rtol=0, atol=0)


@pytest.mark.parametrize("kwargs,err,part", [
    (dict(seed=-1, step=0), "RangeError", "seed must be an int >= 0, got -1"),
    (dict(seed=0, step=1.5), "RangeError", "step must be an int >= 0, got 1.5"),
    (dict(seed=0, step=0, rows=(0, 2)), "RangeError", "rows and total go together"),
    (dict(seed=0, step=0, rows=(3, 2), total=4), "RangeError", "got rows=(3, 2), total=4"),
    (dict(seed=0, step=0, rows=(0, 2), total=4), "ShapeError",
     "x has 6 rows, rows [0, 2) of the global batch hold 2"),
])
def test_global_dropout_named_errors(kwargs: dict, err: str, part: str) -> None:
    import minigrad.errors as errors

    twin = TorchCaptioningTransformer.from_minigrad(_model(0.3)).train()
    feats, caps = _data(6)
    with pytest.raises(getattr(errors, err)) as exc, twin.global_dropout(**kwargs):
        twin.loss(feats, caps)
    assert part in str(exc.value)
