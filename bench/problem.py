"""The benchmark problems: captioner sizes, weights and inputs, and each implementation's step.

Importing this module imports numpy and minigrad only; torch and HIPS autograd are imported
by `build` when an implementation needs them, so a minigrad-only process never loads torch.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

IMPLS = ("minigrad", "numpy", "torch_nn", "torch_packed", "torch_ops", "autograd")


@dataclass(frozen=True)
class Case:
    """One captioner size: N batch, T1 caption tokens (T1 - 1 steps), D, W, H, V; `padded`:
    captions end at random lengths (<NULL> after <END>) instead of filling every step."""

    cell: str
    N: int
    T1: int
    D: int
    W: int
    H: int
    V: int
    padded: bool = True


CASES = {
    "lstm": Case("lstm", 50, 17, 512, 256, 512, 1004),  # CS231n assignment 3
    "rnn": Case("rnn", 50, 17, 512, 256, 512, 1004),
    "small_lstm": Case("lstm", 32, 49, 128, 32, 128, 65, padded=False),  # char-LSTM size
    "tiny_lstm": Case("lstm", 3, 5, 4, 3, 4, 7),  # quick mode (tests, CI)
    "tiny_rnn": Case("rnn", 3, 5, 4, 3, 4, 7),
}


def word_to_idx(V: int) -> dict:
    """<NULL>=0, <START>=1, <END>=2, <UNK>=3, then w4..w{V-1}."""
    w2i = {"<NULL>": 0, "<START>": 1, "<END>": 2, "<UNK>": 3}
    w2i.update({f"w{i}": i for i in range(4, V)})
    return w2i


def make(case: Case, dtype: str, seed: int = 0) -> tuple[dict, np.ndarray, np.ndarray]:
    """(params, features (N, D), captions (N, T1) int32) with CS231n init; deterministic."""
    from zoo.captioning import CaptioningRNN

    model = CaptioningRNN(word_to_idx(case.V), input_dim=case.D, wordvec_dim=case.W,
                          hidden_dim=case.H, cell_type=case.cell, dtype=np.dtype(dtype),
                          seed=seed)
    rng = np.random.default_rng(seed + 1)
    N, T1 = case.N, case.T1
    features = rng.standard_normal((N, case.D)).astype(dtype)
    captions = rng.integers(4, case.V, size=(N, T1)).astype(np.int32)
    captions[:, 0] = 1
    ends = rng.integers(min(6, T1 - 1), T1, size=N) if case.padded else np.full(N, T1 - 1)
    for n, L in enumerate(ends):
        captions[n, L] = 2
        captions[n, L + 1:] = 0
    return {k: np.array(v) for k, v in model.state_dict().items()}, features, captions


def build(impl: str, case: Case, params: dict, features: np.ndarray, captions: np.ndarray):
    """(step() -> None, check() -> (loss, grads in minigrad's layout)) for one implementation."""
    if impl == "minigrad":
        from zoo.captioning import CaptioningRNN

        model = CaptioningRNN(word_to_idx(case.V), input_dim=case.D, wordvec_dim=case.W,
                              hidden_dim=case.H, cell_type=case.cell,
                              dtype=params["Wx"].dtype)
        model.load_state_dict(params)

        def step():
            model.zero_grad()
            loss = model.loss(features, captions)
            loss.backward()
            return loss

        def check():
            loss = step()
            return float(loss.item()), {k: p.grad for k, p in model.named_parameters()}
        return step, check
    if impl == "numpy":
        from bench import numpy_ref

        def step():
            return numpy_ref.loss_and_grads(params, features, captions, case.cell)
        return step, step
    if impl == "autograd":
        from bench import autograd_ref

        def step():
            return autograd_ref.loss_and_grads(params, features, captions, case.cell)
        return step, step
    import torch

    from bench import torch_ref

    tf, tc = torch.from_numpy(features), torch.from_numpy(captions.astype(np.int64))
    if impl == "torch_ops":
        p = torch_ref.tensors(params)

        def step():
            for v in p.values():
                v.grad = None
            loss = torch_ref.ops_step(p, tf, tc, case.cell)
            loss.backward()
            return loss

        def check():
            loss = step()
            return float(loss.detach()), {k: v.grad.numpy() for k, v in p.items()}
        return step, check
    if impl not in ("torch_nn", "torch_packed"):
        raise ValueError(f"build: impl must be one of {IMPLS}, got {impl!r}")
    net = torch_ref.NNCaptioner(params, case.cell, packed=impl == "torch_packed")

    def step():
        net.zero_grad(set_to_none=True)
        loss = net(tf, tc)
        loss.backward()
        return loss

    def check():
        loss = step()
        return float(loss.detach()), net.grads()
    return step, check
