"""Load torchvision SqueezeNet 1.1 with ImageNet or built-in (shapes world) weights, offline only."""

from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.nn as nn
import torchvision

from vis.image import SQUEEZENET_MEAN, SQUEEZENET_STD

__all__ = [
    "BUILTIN_NUM_CLASSES",
    "BUILTIN_WEIGHTS",
    "IMAGENET_FILENAME",
    "SQUEEZENET_MEAN",
    "SQUEEZENET_STD",
    "WeightsMismatchError",
    "WeightsNotFoundError",
    "class_scores",
    "imagenet_weights_path",
    "load_squeezenet",
    "pre_relu_scores",
]

IMAGENET_FILENAME = "squeezenet1_1-b8a52dc0.pth"
BUILTIN_WEIGHTS = Path(__file__).resolve().parent / "weights" / "squeezenet1_1_shapes.pt"
BUILTIN_NUM_CLASSES = 9
OBJECTIVES = ("score", "pre_relu")


class WeightsNotFoundError(FileNotFoundError):
    """A weights file is absent; the message says where to put it."""


class WeightsMismatchError(ValueError):
    """A weights file does not fit the SqueezeNet 1.1 architecture asked for."""


def imagenet_weights_path() -> Path:
    """Return where the ImageNet checkpoint is expected: $TORCH_HOME/hub/checkpoints/<file>."""
    return Path(torch.hub.get_dir()) / "checkpoints" / IMAGENET_FILENAME


def _read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Read a state dict with torch.load(weights_only=True), unwrapping {'state_dict': ...}."""
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise WeightsMismatchError(f"could not read weights file {path}: {e}") from e
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise WeightsMismatchError(f"weights file {path} does not hold a state dict of tensors")
    return obj


def _build(state: dict[str, torch.Tensor], num_classes: int | None, source: str) -> nn.Module:
    """Build squeezenet1_1 with the class count of `state` and load it strictly."""
    w = state.get("classifier.1.weight")
    if w is None or w.dim() != 4:
        raise WeightsMismatchError(
            f"{source} is not a squeezenet1_1 state dict: no 4-D 'classifier.1.weight' found"
        )
    found = int(w.shape[0])
    if num_classes is not None and num_classes != found:
        raise WeightsMismatchError(
            f"{source}: num_classes={num_classes} requested but the weights have {found} classes"
        )
    model = torchvision.models.squeezenet1_1(weights=None, num_classes=found)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        first = str(e).strip().splitlines()
        detail = " ".join(line.strip() for line in first[:3])
        raise WeightsMismatchError(f"{source} does not match squeezenet1_1: {detail}") from e
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def load_squeezenet(weights: str | os.PathLike = "builtin", num_classes: int | None = None) -> nn.Module:
    """Return squeezenet1_1 in eval mode with frozen params; weights 'builtin', 'imagenet' or a path."""
    if isinstance(weights, str) and weights == "builtin":
        if not BUILTIN_WEIGHTS.is_file():
            raise WeightsNotFoundError(
                f"built-in weights missing at {BUILTIN_WEIGHTS}; recreate them with "
                f"`python -m vis.train_builtin --out {BUILTIN_WEIGHTS} --seed 0`"
            )
        return _build(_read_state_dict(BUILTIN_WEIGHTS), num_classes, "built-in weights")
    if isinstance(weights, str) and weights == "imagenet":
        path = imagenet_weights_path()
        if not path.is_file():
            raise WeightsNotFoundError(
                f"ImageNet weights not found (offline, no download): put {IMAGENET_FILENAME} "
                f"at {path} or pass --weights PATH"
            )
        return _build(_read_state_dict(path), num_classes, str(path))
    if not isinstance(weights, (str, os.PathLike)):
        raise TypeError(
            f"load_squeezenet: weights must be 'builtin', 'imagenet' or a path, got {type(weights).__name__}"
        )
    path = Path(weights).expanduser()
    if not path.is_file():
        raise WeightsNotFoundError(
            f"load_squeezenet: weights file {path} not found (expected 'builtin', 'imagenet' or a "
            f"file such as {IMAGENET_FILENAME})"
        )
    return _build(_read_state_dict(path), num_classes, str(path))


def pre_relu_scores(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Class scores before SqueezeNet's final classifier ReLU: (N,3,H,W) -> (N,K)."""
    features = getattr(model, "features", None)
    classifier = getattr(model, "classifier", None)
    if not isinstance(features, nn.Module) or not isinstance(classifier, nn.Sequential):
        raise TypeError(
            "pre_relu_scores: model must be a torchvision SqueezeNet (with .features and a "
            f"Sequential .classifier), got {type(model).__name__}"
        )
    h = features(x)
    for layer in classifier:
        if isinstance(layer, nn.ReLU):
            continue
        h = layer(h)
    return torch.flatten(h, 1)  # (N, K)


def class_scores(model: nn.Module, x: torch.Tensor, objective: str = "score") -> torch.Tensor:
    """Class scores (N,K) for (N,3,H,W) input: objective 'score' (model output) or 'pre_relu'."""
    if objective == "score":
        out = model(x)
    elif objective == "pre_relu":
        out = pre_relu_scores(model, x)
    else:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    if out.dim() != 2 or out.shape[0] != x.shape[0]:
        raise ValueError(
            f"model output must have shape (N, K) with N={x.shape[0]}, got {tuple(out.shape)}"
        )
    return out
