"""Tests for vis.saliency: object localisation on the shapes world, captum agreement, validation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

from vis.figures import saliency_figure
from vis.saliency import compute_saliency_maps

N_IMAGES = 60  # >= 50 correctly classified images
MASS_RATIO_TARGET = 3.0  # saliency mass in the mask >= 3x the mask's area fraction
ARGMAX_TARGET = 0.8  # saliency argmax on the object in >= 80% of images
CLEAR_MARGIN_RATIO = 1.5  # trained must beat untrained by this factor on the mass ratio
CLEAR_MARGIN_ARGMAX = 0.2  # ... and by this many points on the argmax rate


def _localisation(sal: torch.Tensor, masks: np.ndarray) -> tuple[float, float]:
    m = torch.as_tensor(masks, dtype=torch.float32)  # (N, H, W)
    area = m.mean(dim=(1, 2))
    mass = (sal * m).sum(dim=(1, 2)) / sal.sum(dim=(1, 2)).clamp_min(1e-30)
    on_obj = m.flatten(1).gather(1, sal.flatten(1).argmax(dim=1, keepdim=True)).squeeze(1)
    return float((mass / area).mean()), float(on_obj.mean())


@pytest.fixture(scope="module")
def val_subset(shapes_batch, correct_idx):
    idx = correct_idx[:N_IMAGES]
    assert idx.numel() >= 50
    return (
        shapes_batch.X[idx],
        shapes_batch.y[idx],
        shapes_batch.masks[idx.numpy()],
        shapes_batch.images[idx.numpy()],
    )


def test_saliency_shape_and_sign(builtin_model, val_subset):
    X, y, _, _ = val_subset
    sal = compute_saliency_maps(X[:5], y[:5], builtin_model)
    assert isinstance(sal, torch.Tensor) and sal.shape == (5, 64, 64)
    assert (sal >= 0).all() and sal.flatten(1).amax(1).gt(0).all()
    assert not sal.requires_grad


@pytest.mark.parametrize("objective", ["score", "pre_relu"])
def test_saliency_localises_the_object(builtin_model, val_subset, objective):
    X, y, masks, _ = val_subset
    ratio, argmax_rate = _localisation(compute_saliency_maps(X, y, builtin_model, objective), masks)
    torch.manual_seed(0)
    untrained = torchvision.models.squeezenet1_1(weights=None, num_classes=9).eval()
    u_ratio, u_argmax = _localisation(compute_saliency_maps(X, y, untrained, "pre_relu"), masks)
    print(
        f"{objective}: mass ratio {ratio:.2f} (untrained {u_ratio:.2f}), "
        f"argmax on object {argmax_rate:.2f} (untrained {u_argmax:.2f})"
    )
    assert ratio >= MASS_RATIO_TARGET
    assert argmax_rate >= ARGMAX_TARGET
    assert ratio >= CLEAR_MARGIN_RATIO * u_ratio
    assert argmax_rate >= u_argmax + CLEAR_MARGIN_ARGMAX


def test_saliency_equals_captum(builtin_model, val_subset):
    from captum.attr import Saliency

    X, y, _, _ = val_subset
    X, y = X[:10], y[:10]
    attr = Saliency(lambda inp: builtin_model(inp)).attribute(
        X.clone().requires_grad_(True), target=y, abs=True
    )
    torch.testing.assert_close(compute_saliency_maps(X, y, builtin_model), attr.amax(dim=1))


def test_saliency_leaves_no_grads_and_restores_mode(val_subset):
    X, y, _, _ = val_subset
    torch.manual_seed(0)
    model = torchvision.models.squeezenet1_1(weights=None, num_classes=9).train()
    compute_saliency_maps(X[:2], y[:2], model)
    assert model.training
    assert all(p.grad is None for p in model.parameters())


def test_saliency_is_batch_independent(builtin_model, val_subset):
    X, y, _, _ = val_subset
    both = compute_saliency_maps(X[:4], y[:4], builtin_model)
    one = compute_saliency_maps(X[2:3], y[2:3], builtin_model)
    torch.testing.assert_close(both[2:3], one)


def test_saliency_validates_input(builtin_model, val_subset):
    X, y, _, _ = val_subset
    with pytest.raises(ValueError, match=r"X must have shape \(N, 3, H, W\)"):
        compute_saliency_maps(X[0], y[:1], builtin_model)
    with pytest.raises(ValueError, match=r"y must have shape \(3,\)"):
        compute_saliency_maps(X[:3], y[:2], builtin_model)
    with pytest.raises(ValueError, match=r"y must lie in \[0, 9\)"):
        compute_saliency_maps(X[:2], torch.tensor([0, 9]), builtin_model)
    with pytest.raises(TypeError, match="y must be an integer tensor"):
        compute_saliency_maps(X[:2], torch.tensor([0.0, 1.0]), builtin_model)


def test_saliency_figure_is_a_png(builtin_model, val_subset, tmp_path):
    X, y, _, images = val_subset
    sal = compute_saliency_maps(X[:4], y[:4], builtin_model)
    path = saliency_figure(images[:4], sal, tmp_path / "sal.png", titles=["a", "b", "c", "d"])
    assert path.stat().st_size > 0
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size[0] > 0 and im.size[1] > 0
