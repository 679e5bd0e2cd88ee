"""Saliency maps: |d score_y / d x| maxed over colour channels (Simonyan et al. 2014)."""

from __future__ import annotations

import torch
import torch.nn as nn

from vis.squeezenet import (
    check_image_size,
    check_images,
    check_labels,
    class_scores,
    eval_mode,
)


def compute_saliency_maps(
    X: torch.Tensor, y: torch.Tensor, model: nn.Module, objective: str = "score"
) -> torch.Tensor:
    """Saliency of preprocessed images X (N,3,H,W) for labels y (N,) -> (N,H,W) float tensor."""
    check_images(X, "compute_saliency_maps")
    check_image_size(model, X, "compute_saliency_maps")
    y = check_labels(y, X.shape[0], None, "compute_saliency_maps")
    x = X.detach().clone().requires_grad_(True)
    with eval_mode(model), torch.enable_grad():
        scores = class_scores(model, x, objective)  # (N, K)
        check_labels(y, X.shape[0], scores.shape[1], "compute_saliency_maps")
        picked = scores.gather(1, y.to(scores.device).view(-1, 1)).sum()
        (grad,) = torch.autograd.grad(picked, x)  # (N, 3, H, W)
    return grad.abs().amax(dim=1)  # (N, H, W)
