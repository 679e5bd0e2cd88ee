"""The captioners `vis.train_torch` trains: a zoo (minigrad) model and its torch twin.

The zoo model is built first, with zoo's initial weights for the seed, and the twin starts from
its state dict, so a torch run starts where `python -m zoo.captioning train` starts. The zoo
model also provides the checkpoint's `config.*` / `vocab.*` arrays; `to_minigrad` turns the
twin's parameters (or optimizer buffers of the same shapes) back into zoo's names and layout.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from vis.train_torch.options import UsageError

TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass
class Captioner:
    """A zoo model (config, vocab, checkpoint names) and the torch twin trained in its place."""

    kind: str
    zoo_model: Any
    twin: nn.Module

    def to_minigrad(self, tensors: Mapping[str, torch.Tensor]) -> dict[str, np.ndarray]:
        """{twin parameter name: tensor} -> {zoo state-dict name: ndarray} (zoo's layout)."""
        arrays = {k: v.detach().cpu().numpy() for k, v in tensors.items()}
        if self.kind == "transformer":
            from vis.twin import transformer_state_from_torch

            return {k: np.array(v) for k, v in transformer_state_from_torch(arrays).items()}
        return {k: np.array(v) for k, v in arrays.items()}

    def to_torch(self, arrays: Mapping[str, np.ndarray]) -> dict[str, torch.Tensor]:
        """{zoo state-dict name: ndarray} -> {twin name: tensor} (the inverse of to_minigrad)."""
        if self.kind == "transformer":
            from vis.twin import transformer_state_to_torch

            return transformer_state_to_torch(dict(arrays))
        return {k: torch.from_numpy(np.array(v)) for k, v in arrays.items()}

    def minigrad_state(self) -> dict[str, np.ndarray]:
        """The twin's parameters (and buffers) as the zoo model's state dict."""
        return self.to_minigrad(self.twin.state_dict())

    def load_minigrad_state(self, state: Mapping[str, np.ndarray]) -> None:
        """Copy a zoo state dict into the twin, exactly (same dtype, no rounding)."""
        state = self.to_torch(state)
        own = self.twin.state_dict()
        missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
        if missing or unexpected:
            raise UsageError(f"checkpoint model.* keys do not fit the {self.kind} twin: missing "
                             f"{missing}, unexpected {unexpected}")
        with torch.no_grad():
            for name, tensor in own.items():
                value = state[name]
                if tuple(value.shape) != tuple(tensor.shape):
                    raise UsageError(f"checkpoint model.{name} has shape {tuple(value.shape)}, "
                                     f"the {self.kind} twin needs {tuple(tensor.shape)}")
                tensor.copy_(value.to(tensor.dtype))


class LossModule(nn.Module):
    """What DDP wraps: forward(features (N, D), captions (N, T+1)) -> the twin's scalar loss."""

    def __init__(self, twin: nn.Module) -> None:
        super().__init__()
        self.twin = twin

    def forward(self, features: torch.Tensor, captions: torch.Tensor) -> torch.Tensor:
        return self.twin.loss(features, captions)


def build(args: Any, data: Mapping[str, Any], device: torch.device) -> Captioner:
    """The zoo model for `args` (zoo's initial weights for args.seed) and its twin on `device`."""
    w2i = data["word_to_idx"]
    D = int(np.shape(data["train_features"])[1])
    dtype = TORCH_DTYPES[args.dtype]
    if args.model == "transformer":
        from vis.twin import TorchCaptioningTransformer
        from zoo.captioning.transformer import CaptioningTransformer

        if args.wordvec_dim % args.num_heads or args.wordvec_dim % 2:
            raise UsageError(f"--wordvec-dim {args.wordvec_dim} must be even and divisible by "
                             f"--num-heads {args.num_heads} for the transformer")
        model = CaptioningTransformer(w2i, input_dim=D, wordvec_dim=args.wordvec_dim,
                                      num_heads=args.num_heads, num_layers=args.num_layers,
                                      max_length=args.max_length,
                                      dim_feedforward=args.dim_feedforward,
                                      dropout=args.dropout, dtype=np.dtype(args.dtype),
                                      seed=args.seed)
        twin = TorchCaptioningTransformer.from_minigrad(model, dtype=dtype, device=device)
        return Captioner("transformer", model, twin)
    from vis.twin import TorchCaptioner
    from zoo.captioning.model import CaptioningRNN

    model = CaptioningRNN(w2i, input_dim=D, wordvec_dim=args.wordvec_dim,
                          hidden_dim=args.hidden_dim, cell_type=args.model,
                          dtype=np.dtype(args.dtype), seed=args.seed)
    twin = TorchCaptioner.from_minigrad(model, dtype=dtype, device=device)
    return Captioner(args.model, model, twin)
