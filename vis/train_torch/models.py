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

    def minigrad_state(self) -> dict[str, np.ndarray]:
        """The twin's parameters (and buffers) as the zoo model's state dict."""
        return self.to_minigrad(self.twin.state_dict())

    def load_minigrad_state(self, state: Mapping[str, np.ndarray]) -> None:
        """Copy a zoo state dict into the twin, exactly (same dtype, no rounding)."""
        if self.kind == "transformer":
            from vis.twin import transformer_state_to_torch

            state = transformer_state_to_torch(dict(state))
        own = self.twin.state_dict()
        missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
        if missing or unexpected:
            raise UsageError(f"checkpoint model.* keys do not fit the {self.kind} twin: missing "
                             f"{missing}, unexpected {unexpected}")
        with torch.no_grad():
            for name, tensor in own.items():
                value = torch.as_tensor(np.asarray(state[name]))
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


def _transformer_classes() -> tuple[Any, Any]:
    """(zoo CaptioningTransformer, vis.twin TorchCaptioningTransformer) or a named UsageError."""
    try:
        from vis.twin import TorchCaptioningTransformer, transformer_state_from_torch  # noqa: F401
        from zoo.captioning import CaptioningTransformer
    except ImportError as e:
        raise UsageError(f"--model transformer is not available yet: {e} (vis.twin needs "
                         "TorchCaptioningTransformer and zoo.captioning CaptioningTransformer); "
                         "use --model rnn or --model lstm") from None
    return CaptioningTransformer, TorchCaptioningTransformer


def build(args: Any, data: Mapping[str, Any], device: torch.device) -> Captioner:
    """The zoo model for `args` (zoo's initial weights for args.seed) and its twin on `device`."""
    w2i = data["word_to_idx"]
    D = int(np.shape(data["train_features"])[1])
    dtype = TORCH_DTYPES[args.dtype]
    if args.model == "transformer":
        zoo_cls, twin_cls = _transformer_classes()
        if args.wordvec_dim % args.num_heads:
            raise UsageError(f"--wordvec-dim {args.wordvec_dim} must be divisible by "
                             f"--num-heads {args.num_heads} (the transformer's width)")
        model = zoo_cls(w2i, input_dim=D, wordvec_dim=args.wordvec_dim,
                        num_heads=args.num_heads, num_layers=args.num_layers,
                        max_length=args.max_length, dim_feedforward=args.dim_feedforward,
                        dropout=args.dropout, dtype=np.dtype(args.dtype), seed=args.seed)
        twin = twin_cls.from_minigrad(model) if hasattr(twin_cls, "from_minigrad") else None
        if twin is None:
            raise UsageError("--model transformer: vis.twin.TorchCaptioningTransformer has no "
                             "from_minigrad(model) constructor")
        twin = twin.to(device=device, dtype=dtype)
        return Captioner("transformer", model, twin)
    from vis.twin import TorchCaptioner
    from zoo.captioning.model import CaptioningRNN

    model = CaptioningRNN(w2i, input_dim=D, wordvec_dim=args.wordvec_dim,
                          hidden_dim=args.hidden_dim, cell_type=args.model,
                          dtype=np.dtype(args.dtype), seed=args.seed)
    twin = TorchCaptioner.from_minigrad(model, dtype=dtype, device=device)
    return Captioner(args.model, model, twin)
