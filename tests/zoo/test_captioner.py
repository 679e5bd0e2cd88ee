"""CaptioningRNN: CS231n names, init, sanity loss, dtypes, named errors, and the overfit check."""
from __future__ import annotations

import numpy as np
import pytest

from minigrad.errors import DTypeError, RangeError, ShapeError
from zoo.captioning import CaptioningRNN, CaptioningSolver

WORDS = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "red", "blue", "circle", "square"]
W2I = {w: i for i, w in enumerate(WORDS)}
NAMES = ["W_proj", "b_proj", "W_embed", "Wx", "Wh", "b", "W_vocab", "b_vocab"]


def _batch(N: int = 4, D: int = 6, T1: int = 7, seed: int = 0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    captions = rng.integers(3, len(WORDS), size=(N, T1))
    captions[:, 0] = 1
    captions[0, 3], captions[0, 4:] = 2, 0
    return rng.standard_normal((N, D)).astype(dtype), captions


@pytest.mark.parametrize("cell,feature_range,expected", [
    ("rnn", (-1.5, 0.3), 9.83235591003),  # RNN_Captioning.ipynb
    ("lstm", (-0.5, 1.7), 9.82445935443),  # LSTM_Captioning.ipynb
])
def test_cs231n_loss_sanity_numbers(cell: str, feature_range: tuple, expected: float) -> None:
    """The assignment's captioning checks: np.linspace parameters give the published losses."""
    N, D, W, H, T = 10, 20, 30, 40, 13
    # The notebook's {"<NULL>": 0, "cat": 2, "dog": 3} has a gap (no id 1) and an id >= V, which
    # CaptioningRNN now refuses; the loss depends only on V = 3 and <NULL> = 0, both unchanged.
    word_to_idx = {"<NULL>": 0, "<START>": 1, "<END>": 2}
    V = len(word_to_idx)
    model = CaptioningRNN(word_to_idx, input_dim=D, wordvec_dim=W, hidden_dim=H,
                          cell_type=cell, dtype=np.float64)
    model.load_state_dict({k: np.linspace(-1.4, 1.3, num=v.size).reshape(*v.shape)
                           for k, v in model.state_dict().items()})
    features = np.linspace(*feature_range, num=(N * D)).reshape(N, D)
    captions = (np.arange(N * T) % V).reshape(N, T)
    loss = model.loss(features, captions)
    assert abs(loss.item() - expected) < 1e-10


@pytest.mark.parametrize("cell,G", [("rnn", 1), ("lstm", 4)])
def test_parameter_names_shapes_and_init(cell: str, G: int) -> None:
    D, W, H, V = 50, 20, 30, len(WORDS)
    model = CaptioningRNN(W2I, input_dim=D, wordvec_dim=W, hidden_dim=H, cell_type=cell, seed=1)
    shapes = {name: p.shape for name, p in model.named_parameters()}
    assert list(shapes) == NAMES
    assert shapes == {"W_proj": (D, H), "b_proj": (H,), "W_embed": (V, W), "Wx": (W, G * H),
                      "Wh": (H, G * H), "b": (G * H,), "W_vocab": (H, V), "b_vocab": (V,)}
    sd = model.state_dict()
    assert all(a.dtype == np.float32 for a in sd.values())
    for name in ("b_proj", "b", "b_vocab"):
        assert not sd[name].any()
    assert 0.5 / 100 < sd["W_embed"].std() < 1.5 / 100
    assert 0.8 < sd["W_proj"].std() * np.sqrt(D) < 1.2
    assert 0.8 < sd["Wh"].std() * np.sqrt(H) < 1.2
    same = CaptioningRNN(W2I, input_dim=D, wordvec_dim=W, hidden_dim=H, cell_type=cell, seed=1)
    assert all(np.array_equal(sd[k], v) for k, v in same.state_dict().items())
    assert (model._null, model._start, model._end) == (0, 1, 2)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_float32_model_stays_float32(cell: str) -> None:
    model = CaptioningRNN(W2I, input_dim=6, wordvec_dim=5, hidden_dim=4, cell_type=cell)
    features, captions = _batch(dtype=np.float64)  # float64 features are cast to the model's
    loss = model.loss(features, captions)
    assert loss.data.dtype == np.float32 and loss.data.shape == ()
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.dtype == np.float32, name
        assert p.grad.shape == p.shape


def test_loss_is_cs231n_normalised_and_masks_null() -> None:
    """Loss = -sum of log p over non-<NULL> targets / N; a <NULL> target adds nothing."""
    model = CaptioningRNN(W2I, input_dim=6, wordvec_dim=5, hidden_dim=4, dtype=np.float64)
    features, captions = _batch(N=3, dtype=np.float64)
    whole = model.loss(features, captions).item()
    rows = [model.loss(features[i:i + 1], captions[i:i + 1]).item() for i in range(3)]
    assert whole == pytest.approx(sum(rows) / 3, rel=1e-12)
    padded = np.concatenate([captions, np.zeros((3, 4), captions.dtype)], axis=1)
    assert model.loss(features, padded).item() == pytest.approx(whole, rel=1e-12)


def test_gradient_matches_central_differences() -> None:
    model = CaptioningRNN(W2I, input_dim=6, wordvec_dim=5, hidden_dim=4, cell_type="lstm",
                          dtype=np.float64)
    rng = np.random.default_rng(2)
    model.load_state_dict({k: 0.5 * rng.standard_normal(v.shape)
                           for k, v in model.state_dict().items()})
    features, captions = _batch(dtype=np.float64)
    model.loss(features, captions).backward()
    for name, p in model.named_parameters():
        for _ in range(3):
            idx = tuple(rng.integers(0, s) for s in p.shape)
            old = p.data[idx]
            p.data[idx] = old + 1e-6
            up = model.loss(features, captions).item()
            p.data[idx] = old - 1e-6
            down = model.loss(features, captions).item()
            p.data[idx] = old
            assert p.grad[idx] == pytest.approx((up - down) / 2e-6, rel=1e-5, abs=1e-8), name


def test_named_errors() -> None:
    model = CaptioningRNN(W2I, input_dim=6, wordvec_dim=5, hidden_dim=4)
    features, captions = _batch()
    with pytest.raises(ShapeError, match=r"input_dim = 6.*\(4, 7\)"):
        model.loss(np.zeros((4, 7), np.float32), captions)
    with pytest.raises(ShapeError, match="input_dim"):
        model.sample(np.zeros((4, 5), np.float32))
    bad = captions.copy()
    bad[1, 2] = len(WORDS)
    with pytest.raises(RangeError, match=r"\[0, V\) with V = 9.*max 9"):
        model.loss(features, bad)
    with pytest.raises(RangeError, match="min -1"):
        model.loss(features, np.where(captions == 4, -1, captions))
    with pytest.raises(ShapeError, match="non-empty"):
        model.loss(np.zeros((0, 6), np.float32), captions[:0])
    with pytest.raises(ShapeError, match="captions.shape\\[0\\] must equal"):
        model.loss(features, captions[:3])
    with pytest.raises(DTypeError, match="integer"):
        model.loss(features, captions.astype(np.float32))
    with pytest.raises(ShapeError, match="2-D"):
        model.loss(features, captions[:, 0])
    with pytest.raises(DTypeError, match="float"):
        model.loss(features.astype(np.int64), captions)
    with pytest.raises(ValueError, match="cell_type"):
        CaptioningRNN(W2I, cell_type="gru")


@pytest.mark.parametrize("cell,limit", [("rnn", 0.1), ("lstm", 0.5)])
def test_overfit_small_data(overfit_data, cell: str, limit: float) -> None:
    """CS231n: 50 captions, batch 25, 50 epochs = 100 Adam steps at lr 5e-3 -> loss < limit."""
    D = overfit_data["train_features"].shape[1]
    model = CaptioningRNN(overfit_data["word_to_idx"], input_dim=D, wordvec_dim=256,
                          hidden_dim=512, cell_type=cell, seed=0)
    solver = CaptioningSolver(model, overfit_data, update_rule="adam",
                              optim_config={"learning_rate": 5e-3}, lr_decay=0.995,
                              batch_size=25, num_epochs=50, verbose=False, progress=False)
    history = solver.train()
    assert len(history) == 100
    assert history[-1] < limit, history[-5:]
    assert history[0] > 10 * limit


def test_double_converts_the_model_and_its_inputs():
    from zoo.captioning import CaptioningRNN as Model

    vocab = {"<NULL>": 0, "<START>": 1, "<END>": 2, "a": 3}
    m = Model(vocab, input_dim=4, wordvec_dim=3, hidden_dim=5, cell_type="lstm")
    assert m.dtype == np.float32
    m.double()
    assert m.dtype == np.float64
    loss = m.loss(np.ones((2, 4), np.float32), np.array([[1, 3, 2], [1, 3, 0]]))
    assert loss.dtype == np.float64
    loss.backward()
    assert all(p.grad.dtype == np.float64 for p in m.parameters())
