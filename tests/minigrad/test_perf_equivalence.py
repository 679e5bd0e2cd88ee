"""The captioner's fast path (lengths-aware sequences, scores only for unmasked tokens) gives
the loss and gradients of the plain composition (full sequence, every score, masked CE) to
float64 round-off, on random masks with holes and rows of padding only."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor


def _lengths(mask: np.ndarray) -> np.ndarray:
    """1 + the last unmasked position of each row (0 for a row of padding only)."""
    return (mask * np.arange(1, mask.shape[1] + 1)).max(axis=1)


def _grads(cell: str, fast: bool, arrays: dict, y: np.ndarray, mask: np.ndarray) -> tuple:
    p = {k: Tensor(v, requires_grad=True) for k, v in arrays.items()}
    run = F.lstm if cell == "lstm" else F.rnn
    kw = {"lengths": _lengths(mask)} if fast else {}
    h = run(p["x"], p["h0"], p["Wx"], p["Wh"], p["b"], **kw)
    if fast:
        loss = F.masked_affine_softmax_ce(h, p["W_vocab"], p["b_vocab"], y, mask)
    else:
        loss = F.masked_softmax_ce(F.temporal_affine(h, p["W_vocab"], p["b_vocab"]), y, mask)
    loss.backward()
    return loss.item(), {k: t.grad for k, t in p.items()}


@pytest.mark.parametrize("cell", ["lstm", "rnn"])
@pytest.mark.parametrize("seed", range(4))
def test_fast_path_equals_plain_composition(cell: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    N, T, D, H, V = 6, 7, 5, 4, 9
    G = 4 * H if cell == "lstm" else H
    arrays = {"x": rng.standard_normal((N, T, D)), "h0": rng.standard_normal((N, H)),
              "Wx": rng.standard_normal((D, G)) / 2, "Wh": rng.standard_normal((H, G)) / 2,
              "b": rng.standard_normal(G) / 2, "W_vocab": rng.standard_normal((H, V)),
              "b_vocab": rng.standard_normal(V)}
    y = rng.integers(0, V, size=(N, T))
    ends = rng.integers(0, T + 1, size=N)
    mask = np.arange(T) < ends[:, None]  # caption-like prefixes, unsorted
    mask &= rng.random((N, T)) < 0.8  # and holes inside them
    mask[seed % N] = False  # a row of padding only
    loss, grads = _grads(cell, False, arrays, y, mask)
    loss_fast, grads_fast = _grads(cell, True, arrays, y, mask)
    assert loss_fast == pytest.approx(loss, rel=1e-13)
    for k, g in grads.items():
        np.testing.assert_allclose(grads_fast[k], g, rtol=0, atol=1e-13 * np.abs(g).max(),
                                   err_msg=k)


@pytest.mark.parametrize("cell", ["lstm", "rnn"])
def test_captioner_loss_equals_the_plain_composition(cell: str) -> None:
    from zoo.captioning import CaptioningRNN

    V = 12
    w2i = {"<NULL>": 0, "<START>": 1, "<END>": 2, **{f"w{i}": i for i in range(3, V)}}
    model = CaptioningRNN(w2i, input_dim=5, wordvec_dim=4, hidden_dim=6, cell_type=cell,
                          dtype=np.float64, seed=1)
    rng = np.random.default_rng(7)
    N, T1 = 5, 8
    features = rng.standard_normal((N, 5))
    captions = rng.integers(3, V, size=(N, T1))
    captions[:, 0] = 1
    captions[0, 1:] = 0  # padding only
    captions[1, 4:] = 0  # a short caption
    captions[2, 2] = 0  # a <NULL> hole inside a caption
    model.zero_grad()
    loss = model.loss(features, captions)
    loss.backward()
    fast = {k: p.grad.copy() for k, p in model.named_parameters()}
    model.zero_grad()
    cin, cout = captions[:, :-1], captions[:, 1:]
    h = F.lstm if cell == "lstm" else F.rnn
    hs = h(F.embedding(cin, model.W_embed), F.affine(features, model.W_proj, model.b_proj),
           model.Wx, model.Wh, model.b)
    plain = F.masked_softmax_ce(F.temporal_affine(hs, model.W_vocab, model.b_vocab), cout,
                                cout != 0)
    plain.backward()
    assert loss.item() == pytest.approx(plain.item(), rel=1e-13)
    for k, p in model.named_parameters():
        np.testing.assert_allclose(fast[k], p.grad, rtol=0, atol=1e-13 * np.abs(p.grad).max(),
                                   err_msg=k)


# Work buffers reused across calls (minigrad.functional.workspace.work_array): a call may take
# over a buffer only when nothing refers to it any more, so graphs alive at once, kept outputs
# and retain_graph never see another call's values.

def _seq_arrays(cell: str, seed: int, N: int = 5, T: int = 6, D: int = 3, H: int = 4) -> dict:
    rng = np.random.default_rng(seed)
    G = 4 * H if cell == "lstm" else H
    return {"x": rng.standard_normal((N, T, D)), "h0": rng.standard_normal((N, H)),
            "Wx": rng.standard_normal((D, G)) / 2, "Wh": rng.standard_normal((H, G)) / 2,
            "b": rng.standard_normal(G) / 2, "w": rng.standard_normal((N, T, H))}


def _seq_loss(cell: str, a: dict, fused: bool, lengths=None) -> tuple:
    """(loss Tensor, output h Tensor, parameter Tensors) of sum(w * h) for one sequence."""
    p = {k: Tensor(v, requires_grad=True) for k, v in a.items() if k != "w"}
    run = F.lstm if cell == "lstm" else F.rnn
    kw = {"lengths": lengths} if lengths is not None else {}
    h = run(p["x"], p["h0"], p["Wx"], p["Wh"], p["b"], fused=fused, **kw)
    return (h * Tensor(a["w"])).sum(), h, p


def _reference_grads(cell: str, a: dict, lengths=None) -> dict:
    """Gradients from the step-by-step loop (no work buffers), padding zeroed by the weights."""
    b = dict(a)
    if lengths is not None:
        b["w"] = a["w"] * (np.arange(a["w"].shape[1]) < lengths[:, None])[:, :, None]
    loss, _, p = _seq_loss(cell, b, fused=False)
    loss.backward()
    return {k: t.grad for k, t in p.items()}


def _assert_grads(p: dict, ref: dict) -> None:
    for k, g in ref.items():
        np.testing.assert_allclose(p[k].grad, g, rtol=0, atol=1e-12 * np.abs(g).max(),
                                   err_msg=k)


@pytest.mark.parametrize("cell", ["lstm", "rnn"])
@pytest.mark.parametrize("packed", [False, True])
def test_graphs_alive_at_once_do_not_share_work_buffers(cell: str, packed: bool) -> None:
    lengths = np.array([6, 2, 0, 6, 3]) if packed else None
    arrays = [_seq_arrays(cell, s) for s in range(3)]
    runs = [_seq_loss(cell, a, fused=True, lengths=lengths) for a in arrays]  # all alive
    for (loss, _, p), a in reversed(list(zip(runs, arrays, strict=True))):  # last first
        loss.backward()
        _assert_grads(p, _reference_grads(cell, a, lengths))


@pytest.mark.parametrize("cell", ["lstm", "rnn"])
def test_kept_output_is_not_overwritten_by_the_next_call(cell: str) -> None:
    loss, h, _ = _seq_loss(cell, _seq_arrays(cell, 0), fused=True)
    loss.backward()
    del loss
    kept = h.data.copy()
    for s in (1, 2):  # same shapes: would take h's buffer if it were free
        loss2, _, p2 = _seq_loss(cell, _seq_arrays(cell, s), fused=True)
        loss2.backward()
        _assert_grads(p2, _reference_grads(cell, _seq_arrays(cell, s)))
    np.testing.assert_array_equal(h.data, kept)


@pytest.mark.parametrize("cell", ["lstm", "rnn"])
def test_retain_graph_backward_twice_doubles_the_gradients(cell: str) -> None:
    a = _seq_arrays(cell, 4)
    loss, _, p = _seq_loss(cell, a, fused=True)
    loss.backward(retain_graph=True)
    _seq_loss(cell, _seq_arrays(cell, 5), fused=True)[0].backward()  # another call in between
    loss.backward()
    ref = _reference_grads(cell, a)
    _assert_grads(p, {k: 2 * g for k, g in ref.items()})


def test_buffers_are_reused_once_free_and_never_while_referenced() -> None:
    from minigrad.functional.workspace import work_array

    def address(a: np.ndarray) -> int:
        return a.__array_interface__["data"][0]

    first = work_array("test.role", (3, 4), np.float32)
    at = address(first)
    held = first.T  # a view keeps the buffer busy
    del first
    second = work_array("test.role", (3, 4), np.float32)
    assert not np.shares_memory(second, held)
    del held, second
    third = work_array("test.role", (2, 5), np.float32)  # free again: taken over
    assert address(third) == at and third.shape == (2, 5) and third.dtype == np.float32
    del third
    bigger = work_array("test.role", (5, 5), np.float32)  # too small: replaced
    assert bigger.shape == (5, 5) and bigger.flags.c_contiguous


def test_a_training_step_reuses_the_lstm_buffers() -> None:
    a = _seq_arrays("lstm", 6)
    loss, h, _ = _seq_loss("lstm", a, fused=True)
    loss.backward()
    at = h.data.__array_interface__["data"][0]
    del loss, h
    loss, h, p = _seq_loss("lstm", a, fused=True)
    assert h.data.__array_interface__["data"][0] == at
    loss.backward()
    _assert_grads(p, _reference_grads("lstm", a))


def test_arrays_over_the_size_cap_are_never_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    from minigrad.functional import workspace

    monkeypatch.setattr(workspace, "_WORK_MAX_BYTES", 100)
    big = workspace.work_array("test.big", (5, 6), np.float32)  # 120 bytes
    assert big.shape == (5, 6) and big.base is None
    assert ("test.big", np.dtype(np.float32)) not in workspace._WORK
