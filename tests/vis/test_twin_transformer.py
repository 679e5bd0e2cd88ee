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
