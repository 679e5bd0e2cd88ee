"""The torch twin of the captioner: same loss, same gradients, same greedy samples, round trip."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from minigrad.errors import ShapeError
from vis.twin import PARAM_NAMES, TorchCaptioner
from zoo.captioning import CaptioningRNN

WORDS = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "red", "blue", "circle", "square", "left"]
D, W, H, N, T = 6, 5, 4, 5, 8


def _model(cell: str, seed: int = 0) -> CaptioningRNN:
    """A float64 captioner with random O(1) weights (not the small init) so that errors show."""
    w2i = {w: i for i, w in enumerate(WORDS)}
    model = CaptioningRNN(
        w2i, input_dim=D, wordvec_dim=W, hidden_dim=H, cell_type=cell, dtype=np.float64
    )
    rng = np.random.default_rng(seed)
    model.load_state_dict(
        {k: 0.7 * rng.standard_normal(v.shape) for k, v in model.state_dict().items()}
    )
    return model


def _batch(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Features (N, D) and captions (N, T+1): <START> words <END> then <NULL> padding."""
    rng = np.random.default_rng(seed)
    features = rng.standard_normal((N, D))
    captions = rng.integers(3, len(WORDS), size=(N, T + 1))
    captions[:, 0] = 1
    for row, n_words in enumerate([T - 1, 5, 3, 1, 6]):  # row 0: <END> last, no padding
        captions[row, n_words + 1] = 2
        captions[row, n_words + 2 :] = 0
    return features, captions


def _errors(model: CaptioningRNN, twin: TorchCaptioner, features, captions) -> tuple:
    """(relative loss error, {name: max abs grad error / max(1, max |torch grad|)})."""
    model.zero_grad()
    loss = model.loss(features, captions)
    loss.backward()
    twin.zero_grad()
    tloss = twin.loss(features, captions)
    tloss.backward()
    rel = abs(loss.item() - tloss.item()) / abs(tloss.item())
    grads = {}
    for name, p in model.named_parameters():
        ref = getattr(twin, name).grad.numpy()
        assert p.grad.shape == ref.shape and p.grad.dtype == np.float64
        grads[name] = float(np.abs(p.grad - ref).max() / max(1.0, np.abs(ref).max()))
    return rel, grads


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_twin_loss_and_every_gradient_agree(cell: str) -> None:
    model = _model(cell)
    twin = TorchCaptioner.from_minigrad(model)
    assert twin.cell_type == cell
    assert {n for n, _ in model.named_parameters()} == set(PARAM_NAMES)
    features, captions = _batch()
    rel, grads = _errors(model, twin, features, captions)
    assert rel <= 1e-8
    assert set(grads) == set(PARAM_NAMES)
    assert max(grads.values()) <= 1e-8, grads
    assert min(np.abs(getattr(twin, n).grad.numpy()).max() for n in PARAM_NAMES) > 1e-3


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_twin_greedy_samples_agree(cell: str) -> None:
    model = _model(cell, seed=3)
    twin = TorchCaptioner.from_minigrad(model)
    features, _ = _batch(seed=4)
    ours = model.sample(features, max_length=12)
    theirs = twin.sample(features, max_length=12)
    np.testing.assert_array_equal(np.asarray(ours)[:, : theirs.shape[1]], theirs)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_train_in_torch_and_load_back(cell: str) -> None:
    model = _model(cell, seed=5)
    twin = TorchCaptioner.from_minigrad(model)
    for name, arr in twin.to_state_dict().items():
        np.testing.assert_array_equal(arr, model.state_dict()[name])
    features, captions = _batch(seed=6)
    opt = torch.optim.SGD(twin.parameters(), lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        twin.loss(features, captions).backward()
        opt.step()
    model.load_state_dict(twin.to_state_dict())
    rel, grads = _errors(model, twin, features, captions)
    assert rel <= 1e-8 and max(grads.values()) <= 1e-8


def test_float32_model_twin_in_float32() -> None:
    w2i = {w: i for i, w in enumerate(WORDS)}
    model = CaptioningRNN(
        w2i, input_dim=D, wordvec_dim=W, hidden_dim=H, cell_type="lstm", dtype=np.float32
    )
    twin = TorchCaptioner.from_minigrad(model, dtype=torch.float32)
    assert twin.W_proj.dtype == torch.float32
    features, captions = _batch()
    ours = model.loss(features.astype(np.float32), captions).item()
    theirs = twin.loss(features, captions).item()
    assert abs(ours - theirs) <= 1e-5 * abs(theirs)


def test_bad_state_dicts_are_named() -> None:
    state = _model("lstm").state_dict()
    with pytest.raises(ShapeError, match="cell_type 'rnn'"):
        TorchCaptioner(state, cell_type="rnn")
    with pytest.raises(KeyError, match="missing keys \\['b_vocab'\\]"):
        TorchCaptioner({k: v for k, v in state.items() if k != "b_vocab"})
    state["b_proj"] = np.zeros(H + 1)
    with pytest.raises(ShapeError, match="b_proj must have shape"):
        TorchCaptioner(state)
    with pytest.raises(ShapeError, match="captions must be"):
        TorchCaptioner(_model("rnn").state_dict()).loss(np.zeros((2, D)), np.ones((2, 1), int))
