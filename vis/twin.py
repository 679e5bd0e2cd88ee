"""`TorchCaptioner`: the zoo's CaptioningRNN rebuilt in torch from its state dict (and back).

Same parameters (CS231n names), same maths: h0 = features W_proj + b_proj, word embedding,
a tanh RNN or an LSTM with gate blocks i, f, o, g and c0 = 0, a temporal affine to vocabulary
scores, and softmax cross-entropy summed over tokens whose target is not <NULL>, divided by N.
Use it to check the minigrad model against torch, or to train a minigrad model with torch
(GPU, DDP) and load the result back with `model.load_state_dict(twin.to_state_dict())`.
The Transformer's twin lives in `vis.twin_transformer` and is re-exported here.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from minigrad.errors import ShapeError
from vis.twin_transformer import (
    TorchCaptioningTransformer,
    transformer_state_from_torch,
    transformer_state_to_torch,
)

__all__ = ["TorchCaptioner", "TorchCaptioningTransformer", "transformer_state_from_torch",
           "transformer_state_to_torch", "PARAM_NAMES"]

PARAM_NAMES = ("W_proj", "b_proj", "W_embed", "Wx", "Wh", "b", "W_vocab", "b_vocab")


def _infer_cell(state: Mapping[str, Any]) -> str:
    """'lstm' when Wh is (H, 4H), 'rnn' when it is (H, H)."""
    H, G = np.shape(state["Wh"])
    if G == H:
        return "rnn"
    if G == 4 * H:
        return "lstm"
    raise ShapeError(f"TorchCaptioner: Wh must be (H, H) for rnn or (H, 4H) for lstm, got {(H, G)}")


def _check_shapes(state: Mapping[str, Any], gates: int) -> None:
    """Every parameter's shape agrees with D, W, H, V read from W_proj and W_embed."""
    D, H = np.shape(state["W_proj"])
    V, W = np.shape(state["W_embed"])
    want = {"W_proj": (D, H), "b_proj": (H,), "W_embed": (V, W), "Wx": (W, gates * H),
            "Wh": (H, gates * H), "b": (gates * H,), "W_vocab": (H, V), "b_vocab": (V,)}
    for name, shape in want.items():
        if tuple(np.shape(state[name])) != shape:
            raise ShapeError(f"TorchCaptioner: {name} must have shape {shape} (D={D}, W={W}, "
                             f"H={H}, V={V}), got {tuple(np.shape(state[name]))}")


class TorchCaptioner(nn.Module):
    """Torch twin of `zoo.captioning.CaptioningRNN`; parameters W_proj (D, H), b_proj (H,),
    W_embed (V, W), Wx (W, G·H), Wh (H, G·H), b (G·H,), W_vocab (H, V), b_vocab (V,), G = 1 or 4."""

    def __init__(self, state: Mapping[str, Any], cell_type: str | None = None, null_idx: int = 0,
                 start_idx: int | None = 1, end_idx: int | None = 2,
                 dtype: torch.dtype = torch.float64, device: Any = None) -> None:
        super().__init__()
        missing = sorted(set(PARAM_NAMES) - set(state))
        unexpected = sorted(set(state) - set(PARAM_NAMES))
        if missing or unexpected:
            raise KeyError(f"TorchCaptioner: state dict missing keys {missing}, "
                           f"unexpected keys {unexpected}")
        inferred = _infer_cell(state)
        if cell_type is not None and cell_type != inferred:
            raise ShapeError(f"TorchCaptioner: cell_type {cell_type!r} does not match Wh of shape "
                             f"{tuple(np.shape(state['Wh']))} (which means {inferred!r})")
        _check_shapes(state, 4 if inferred == "lstm" else 1)
        self.cell_type = inferred
        self.null_idx, self.start_idx, self.end_idx = int(null_idx), start_idx, end_idx
        for name in PARAM_NAMES:
            data = torch.as_tensor(np.asarray(state[name]), dtype=dtype, device=device).clone()
            self.register_parameter(name, nn.Parameter(data))

    @classmethod
    def from_minigrad(cls, model: Any, dtype: torch.dtype = torch.float64,
                      device: Any = None) -> TorchCaptioner:
        """The twin of a minigrad CaptioningRNN (its state dict, cell type and special tokens)."""
        w2i = model.word_to_idx
        return cls(model.state_dict(), cell_type=model.cell_type, null_idx=w2i["<NULL>"],
                   start_idx=w2i.get("<START>"), end_idx=w2i.get("<END>"), dtype=dtype,
                   device=device)

    def to_state_dict(self) -> dict[str, np.ndarray]:
        """{CS231n name: numpy copy}, ready for the minigrad model's `load_state_dict`."""
        return {n: getattr(self, n).detach().cpu().numpy().copy() for n in PARAM_NAMES}

    def _tensor(self, x: Any, dtype: torch.dtype) -> torch.Tensor:
        return torch.as_tensor(np.asarray(x) if not torch.is_tensor(x) else x,
                               device=self.W_proj.device).to(dtype)

    def _step(self, xw: torch.Tensor, h: torch.Tensor, c: torch.Tensor | None) -> tuple:
        """One step from the projected input xw = x Wx + b (N, G·H): (next_h, next_c)."""
        a = xw + h @ self.Wh  # (N, G·H)
        if self.cell_type == "rnn":
            return torch.tanh(a), None
        H = h.shape[1]
        i, f, o = torch.sigmoid(a[:, :3 * H]).split(H, dim=1)
        g = torch.tanh(a[:, 3 * H:])
        c = f * c + i * g  # (N, H)
        return o * torch.tanh(c), c

    def hidden_states(self, features: Any, captions_in: Any) -> torch.Tensor:
        """Features (N, D) and input tokens (N, T) -> hidden states (N, T, H)."""
        feats = self._tensor(features, self.W_proj.dtype)
        tokens = self._tensor(captions_in, torch.int64)
        h = feats @ self.W_proj + self.b_proj  # (N, H)
        c = torch.zeros_like(h) if self.cell_type == "lstm" else None
        xw = F.embedding(tokens, self.W_embed) @ self.Wx + self.b  # (N, T, G·H)
        hs = []
        for t in range(tokens.shape[1]):
            h, c = self._step(xw[:, t], h, c)
            hs.append(h)
        return torch.stack(hs, dim=1)  # (N, T, H)

    def loss(self, features: Any, captions: Any) -> torch.Tensor:
        """Features (N, D), captions (N, T+1) int -> scalar: CE summed over non-NULL targets / N."""
        captions = self._tensor(captions, torch.int64)
        if captions.ndim != 2 or captions.shape[1] < 2:
            raise ShapeError(f"TorchCaptioner.loss: captions must be (N, T+1) with T >= 1, got "
                             f"shape {tuple(captions.shape)}")
        hs = self.hidden_states(features, captions[:, :-1])
        scores = hs @ self.W_vocab + self.b_vocab  # (N, T, V)
        target = captions[:, 1:]
        total = F.cross_entropy(scores.reshape(-1, scores.shape[-1]), target.reshape(-1),
                                ignore_index=self.null_idx, reduction="sum")
        return total / captions.shape[0]

    @torch.no_grad()
    def sample(self, features: Any, max_length: int = 30) -> np.ndarray:
        """Greedy captions (N, max_length) int; a row is <NULL> after it has emitted <END>."""
        if self.start_idx is None or self.end_idx is None:
            raise KeyError("TorchCaptioner.sample: needs start_idx and end_idx (<START>, <END>)")
        feats = self._tensor(features, self.W_proj.dtype)
        N = feats.shape[0]
        h = feats @ self.W_proj + self.b_proj  # (N, H)
        c = torch.zeros_like(h) if self.cell_type == "lstm" else None
        word = torch.full((N,), self.start_idx, dtype=torch.int64, device=h.device)
        done = torch.zeros(N, dtype=torch.bool, device=h.device)
        out = torch.full((N, max_length), self.null_idx, dtype=torch.int64)
        for t in range(max_length):
            h, c = self._step(self.W_embed[word] @ self.Wx + self.b, h, c)
            word = torch.argmax(h @ self.W_vocab + self.b_vocab, dim=1)
            out[:, t] = torch.where(done, self.null_idx, word).cpu()
            done |= word == self.end_idx
            if bool(done.all()):
                break
        return out.numpy()
