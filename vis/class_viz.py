"""Class visualization: regularised gradient ascent from noise (Simonyan 2014, Yosinski 2015).

Scaling with image size. The CS231n defaults are for 224 px: learning_rate=25 (the L2 norm of
each normalised step) and max_jitter=16. Each step here is ``lr * g / ||g||_2`` over all 3*S*S
values, so keeping the per-pixel change the same at size S needs lr proportional to S; the
jitter is a length in pixels, also proportional to S. Left as None, they default to
``25 * S / 224`` and ``round(16 * S / 224)``; the blur sigma is given in pixels of the image.
"""

from __future__ import annotations

import random

import torch
import torch.nn as nn

from vis.image import blur_image, jitter, pixel_bounds
from vis.squeezenet import (
    check_image_size,
    check_images,
    check_labels,
    class_scores,
    eval_mode,
)

REFERENCE_SIZE = 224
REFERENCE_LR = 25.0
REFERENCE_JITTER = 16


def scaled_defaults(image_size: int) -> tuple[float, int]:
    """(learning_rate, max_jitter) scaled from the 224 px CS231n defaults to `image_size`."""
    return REFERENCE_LR * image_size / REFERENCE_SIZE, round(
        REFERENCE_JITTER * image_size / REFERENCE_SIZE
    )


def create_class_visualization(
    target_y: int | torch.Tensor,
    model: nn.Module,
    image_size: int = 64,
    l2_reg: float = 1e-3,
    learning_rate: float | None = None,
    num_iterations: int = 100,
    blur_every: int = 10,
    blur_sigma: float = 0.5,
    max_jitter: int | None = None,
    objective: str = "pre_relu",
    seed: int = 0,
    init: torch.Tensor | None = None,
    return_history: bool = False,
):
    """Images maximising class target_y -> (N,3,S,S) [, history (T+1,N) of target probs]."""
    if not isinstance(image_size, int) or image_size < 8:
        raise ValueError(
            f"create_class_visualization: image_size must be an int >= 8, got {image_size}"
        )
    if num_iterations < 0:
        raise ValueError(
            f"create_class_visualization: num_iterations must be >= 0, got {num_iterations}"
        )
    if l2_reg < 0:
        raise ValueError(f"create_class_visualization: l2_reg must be >= 0, got {l2_reg}")
    lr_default, jitter_default = scaled_defaults(image_size)
    lr = lr_default if learning_rate is None else float(learning_rate)
    mj = jitter_default if max_jitter is None else int(max_jitter)
    if lr <= 0 or mj < 0:
        raise ValueError(
            f"create_class_visualization: learning_rate must be > 0 and max_jitter >= 0, "
            f"got {lr}, {mj}"
        )
    n = (
        1
        if not isinstance(target_y, torch.Tensor) or target_y.dim() == 0
        else int(target_y.numel())
    )
    target = check_labels(target_y, n, None, "create_class_visualization", "target_y")
    gen = torch.Generator().manual_seed(seed)
    rng = random.Random(seed)
    if init is None:
        img = torch.randn(n, 3, image_size, image_size, generator=gen)  # (N, 3, S, S)
    else:
        check_images(init, "create_class_visualization", "init")
        if tuple(init.shape) != (n, 3, image_size, image_size):
            raise ValueError(
                "create_class_visualization: init must have shape "
                f"{(n, 3, image_size, image_size)}, got {tuple(init.shape)}"
            )
        img = init.detach().to(torch.float32).clone()
    where = "create_class_visualization"
    check_image_size(model, img, where, f"the image (image_size={image_size})")
    lo, hi = pixel_bounds()
    img = torch.maximum(torch.minimum(img, hi), lo)
    history: list[torch.Tensor] = []

    def target_probs(x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            p = class_scores(model, x, "score").softmax(dim=1)
            check_labels(target, n, p.shape[1], "create_class_visualization", "target_y")
            return p.gather(1, target.view(-1, 1)).squeeze(1)  # (N,)

    with eval_mode(model):
        history.append(target_probs(img))
        for t in range(num_iterations):
            ox, oy = rng.randint(-mj, mj), rng.randint(-mj, mj)
            x = jitter(img, ox, oy).requires_grad_(True)
            with torch.enable_grad():
                scores = class_scores(model, x, objective)  # (N, K)
                obj = scores.gather(1, target.view(-1, 1)).sum() - l2_reg * (x * x).sum()
                (g,) = torch.autograd.grad(obj, x)
            norms = g.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, 1, 1, 1)
            x = x.detach() + lr * g / norms
            img = jitter(x, -ox, -oy)
            img = torch.maximum(torch.minimum(img, hi), lo)
            if blur_every > 0 and (t + 1) % blur_every == 0:
                img = blur_image(img, sigma=blur_sigma)
            history.append(target_probs(img))
    if return_history:
        return img, torch.stack(history)  # (T+1, N)
    return img
