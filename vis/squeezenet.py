"""Load torchvision SqueezeNet 1.1 with ImageNet or built-in (shapes) weights, offline only."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
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
    "ImageTooSmallError",
    "WeightsCorruptError",
    "WeightsMismatchError",
    "WeightsNotFoundError",
    "check_image_size",
    "check_images",
    "check_labels",
    "class_scores",
    "eval_mode",
    "imagenet_weights_path",
    "load_squeezenet",
    "min_image_size",
    "pre_relu_scores",
    "scores_with_pre_relu",
]

IMAGENET_FILENAME = "squeezenet1_1-b8a52dc0.pth"
BUILTIN_WEIGHTS = Path(__file__).resolve().parent / "weights" / "squeezenet1_1_shapes.pt"
BUILTIN_NUM_CLASSES = 9
OBJECTIVES = ("score", "pre_relu")


class WeightsNotFoundError(FileNotFoundError):
    """A weights file is absent; the message says where to put it."""


class WeightsMismatchError(ValueError):
    """A weights file does not fit the SqueezeNet 1.1 architecture asked for."""


class WeightsCorruptError(WeightsMismatchError):
    """A weights file is unreadable (not a torch file, truncated) or holds NaN/inf values."""


class ImageTooSmallError(ValueError):
    """An image is smaller than the network's convolutions and pools can take."""


def imagenet_weights_path() -> Path:
    """Return where the ImageNet checkpoint is expected: $TORCH_HOME/hub/checkpoints/<file>."""
    return Path(torch.hub.get_dir()) / "checkpoints" / IMAGENET_FILENAME


def _read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Read a state dict with torch.load(weights_only=True), unwrapping {'state_dict': ...}."""
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch's messages run to many lines of weights_only advice
        raise WeightsCorruptError(
            f"could not read weights file {path}: not a torch state dict file, or truncated "
            f"({type(e).__name__})"
        ) from None
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise WeightsMismatchError(f"weights file {path} does not hold a state dict of tensors")
    return obj


def _check_finite(state: dict[str, torch.Tensor], source: str) -> None:
    """WeightsCorruptError naming the first parameter of `state` that holds NaN or inf."""
    for name, t in state.items():
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            nan, inf = int(torch.isnan(t).sum()), int(torch.isinf(t).sum())
            raise WeightsCorruptError(
                f"{source}: parameter {name!r} holds {nan} NaN and {inf} inf of {t.numel()} values"
            )


def _build(state: dict[str, torch.Tensor], num_classes: int | None, source: str) -> nn.Module:
    """Build squeezenet1_1 with the class count of `state` and load it strictly."""
    _check_finite(state, source)
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


def load_squeezenet(
    weights: str | os.PathLike = "builtin", num_classes: int | None = None
) -> nn.Module:
    """Return squeezenet1_1, eval mode, frozen params; weights 'builtin', 'imagenet' or a path."""
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
            "load_squeezenet: weights must be 'builtin', 'imagenet' or a path, "
            f"got {type(weights).__name__}"
        )
    path = Path(weights).expanduser()
    if not path.is_file():
        what = ("is a folder" if path.is_dir() else "is not a regular file (a pipe, device or "
                "socket)" if path.exists() else "not found")
        raise WeightsNotFoundError(
            f"load_squeezenet: weights {path} {what} (expected 'builtin', 'imagenet' or a "
            f"weights file such as {IMAGENET_FILENAME})"
        )
    return _build(_read_state_dict(path), num_classes, str(path))


def _split_classifier(model: nn.Module, fn: str) -> tuple[nn.Module, list[nn.Module], int]:
    """Return (features, classifier layers, index of the last ReLU or -1) of a SqueezeNet."""
    features = getattr(model, "features", None)
    classifier = getattr(model, "classifier", None)
    if not isinstance(features, nn.Module) or not isinstance(classifier, nn.Sequential):
        raise TypeError(
            f"{fn}: model must be a torchvision SqueezeNet (with .features and a "
            f"Sequential .classifier), got {type(model).__name__}"
        )
    layers = list(classifier)
    relus = [i for i, m in enumerate(layers) if isinstance(m, nn.ReLU)]
    return features, layers, (relus[-1] if relus else -1)


def _run(layers: list[nn.Module], h: torch.Tensor) -> torch.Tensor:
    """Apply `layers` in order."""
    for layer in layers:
        h = layer(h)
    return h


def pre_relu_scores(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Class scores before SqueezeNet's final classifier ReLU: (N,3,H,W) -> (N,K)."""
    return scores_with_pre_relu(model, x)[1]


def scores_with_pre_relu(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(model scores, pre-ReLU scores), both (N,K), from one pass through the features."""
    features, layers, r = _split_classifier(model, "pre_relu_scores")
    h = features(x)
    if r < 0:
        out = torch.flatten(_run(layers, h), 1)  # (N, K)
        return out, out
    h = _run(layers[:r], h)
    pre = torch.flatten(_run(layers[r + 1 :], h), 1)  # (N, K)
    post = torch.flatten(_run(layers[r:], h.clone()), 1)  # (N, K); clone: the ReLU may be in place
    return post, pre


def class_scores(
    model: nn.Module, x: torch.Tensor, objective: str = "score", with_model_scores: bool = False
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Objective scores (N,K) for (N,3,H,W) input ('score' = model output, or 'pre_relu').

    With `with_model_scores` also return the model's own output scores (N,K).
    """
    check_image_size(model, x, "class_scores", "x")
    if objective == "score":
        out = model(x)
        post = out
    elif objective == "pre_relu":
        post, out = scores_with_pre_relu(model, x)
    else:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    if out.dim() != 2 or out.shape[0] != x.shape[0]:
        raise ValueError(
            f"model output must have shape (N, K) with N={x.shape[0]}, got {tuple(out.shape)}"
        )
    return (out, post) if with_model_scores else out


@contextlib.contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Put `model` in eval mode for the block and restore its previous mode afterwards."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def check_images(x: torch.Tensor, fn: str, name: str = "X", single: bool = False) -> None:
    """Raise a clear error unless `x` is a float (N,3,H,W) tensor (N == 1 when `single`)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{fn}: {name} must be a torch.Tensor (N, 3, H, W), got {type(x).__name__}")
    if x.dim() != 4 or x.shape[1] != 3 or x.shape[0] < 1:
        raise ValueError(
            f"{fn}: {name} must have shape (N, 3, H, W) with N >= 1, got {tuple(x.shape)}"
        )
    if x.shape[2] == 0 or x.shape[3] == 0:
        raise ImageTooSmallError(f"{fn}: {name} must have H, W >= 1, got {tuple(x.shape)}")
    if single and x.shape[0] != 1:
        raise ValueError(f"{fn}: {name} must have shape (1, 3, H, W), got {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"{fn}: {name} must be a float tensor, got {x.dtype}")
    if not torch.isfinite(x).all():
        raise ValueError(f"{fn}: {name} contains NaN or inf")


def check_labels(
    y: torch.Tensor | int, n: int, num_classes: int | None, fn: str, name: str = "y"
) -> torch.Tensor:
    """Return labels as an (n,) int64 tensor, raising a clear error on bad shape, dtype or range."""
    if isinstance(y, int) and not isinstance(y, bool):
        y = torch.full((n,), y, dtype=torch.int64)
    if not isinstance(y, torch.Tensor):
        raise TypeError(
            f"{fn}: {name} must be an int or a torch.Tensor ({n},), got {type(y).__name__}"
        )
    if y.is_floating_point() or y.dtype == torch.bool or y.is_complex():
        raise TypeError(f"{fn}: {name} must be an integer tensor, got {y.dtype}")
    if y.dim() == 0:
        y = y.expand(n)
    if tuple(y.shape) != (n,):
        raise ValueError(f"{fn}: {name} must have shape ({n},), got {tuple(y.shape)}")
    y = y.to(torch.int64)
    if num_classes is not None and n and (int(y.min()) < 0 or int(y.max()) >= num_classes):
        raise ValueError(
            f"{fn}: {name} must lie in [0, {num_classes}), "
            f"got range [{int(y.min())}, {int(y.max())}]"
        )
    return y


def _side_after(features: nn.Module, n: int, axis: int) -> int:
    """Size along H (axis 0) or W (1) after the convs and pools of `features`; 0 if one of
    them cannot take its input (torch raises there)."""
    for m in features.modules():
        if not isinstance(m, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
            continue
        k, s, p = (_pair(getattr(m, a))[axis] for a in ("kernel_size", "stride", "padding"))
        d = _pair(getattr(m, "dilation", 1))[axis]
        if getattr(m, "padding", None) == "same":
            continue
        span = d * (k - 1) + 1
        if isinstance(m, nn.Conv2d) and n + 2 * p < span:  # a pool's window may overhang
            return 0
        ceil = getattr(m, "ceil_mode", False)
        out = -(-(n + 2 * p - span) // s) + 1 if ceil else (n + 2 * p - span) // s + 1
        if ceil and (out - 1) * s >= n + p:  # torch: the last window starts inside the input
            out -= 1
        n = out
        if n < 1:
            return 0
    return n


def _pair(v: object) -> tuple:
    if isinstance(v, str):  # padding='valid'
        return (0, 0)
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def min_image_size(model: nn.Module) -> tuple[int, int] | None:
    """The smallest (H, W) `model.features` accepts (17 x 17 for SqueezeNet 1.1), or None for a
    model without a `.features` conv stack."""
    features = getattr(model, "features", None)
    if not isinstance(features, nn.Module):
        return None
    return tuple(
        next((n for n in range(1, 4097) if _side_after(features, n, a)), 4097) for a in (0, 1)
    )


def check_image_size(model: nn.Module, x: torch.Tensor, fn: str, name: str = "X") -> None:
    """ImageTooSmallError unless (N,3,H,W) `x` is large enough for `model.features`."""
    features = getattr(model, "features", None)
    if not isinstance(features, nn.Module):
        return
    h, w = int(x.shape[-2]), int(x.shape[-1])
    if not (_side_after(features, h, 0) and _side_after(features, w, 1)):
        mh, mw = min_image_size(model)
        raise ImageTooSmallError(
            f"{fn}: {name} is {h}x{w} pixels but {type(model).__name__} needs at least "
            f"{mh}x{mw}, got shape {tuple(x.shape)}"
        )
