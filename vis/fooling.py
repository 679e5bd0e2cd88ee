"""Fooling images: normalised gradient ascent on a target class until it is the strict argmax."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from vis.image import SQUEEZENET_STD
from vis.squeezenet import (
    check_image_size,
    check_images,
    check_labels,
    class_scores,
    eval_mode,
)


@dataclass
class FoolingReport:
    """Outcome for one image; changes are in [0, 1] pixel units (normalisation undone)."""

    success: bool
    iterations: int
    l2_change: float
    linf_change: float
    target_prob: float
    zero_gradient: bool = False
    stop_reason: str = ""


def _strict_hit(scores: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(N,) bool: target score strictly greater than every other score of its row."""
    t = scores.gather(1, target.view(-1, 1))  # (N, 1)
    others = scores.scatter(1, target.view(-1, 1), float("-inf"))
    return t.squeeze(1) > others.amax(dim=1)


def make_fooling_image(
    X: torch.Tensor,
    target_y: int | torch.Tensor,
    model: nn.Module,
    lr: float = 1.0,
    max_iter: int = 100,
    objective: str = "score",
    return_report: bool = False,
):
    """Fool `model` into class target_y: X (N,3,H,W) -> X_fooling (N,3,H,W) [, report(s)]."""
    check_images(X, "make_fooling_image")
    check_image_size(model, X, "make_fooling_image")
    if not (lr > 0):
        raise ValueError(f"make_fooling_image: lr must be > 0, got {lr}")
    if int(max_iter) < 0:
        raise ValueError(f"make_fooling_image: max_iter must be >= 0, got {max_iter}")
    n = X.shape[0]
    target = check_labels(target_y, n, None, "make_fooling_image", "target_y").to(X.device)
    x = X.detach().clone()
    done = torch.zeros(n, dtype=torch.bool, device=X.device)
    success = torch.zeros(n, dtype=torch.bool, device=X.device)
    zero_grad = torch.zeros(n, dtype=torch.bool, device=X.device)
    iters = torch.zeros(n, dtype=torch.int64)
    with eval_mode(model):
        for it in range(int(max_iter) + 1):
            xg = x.clone().requires_grad_(True)
            with torch.enable_grad():
                scores, out = class_scores(model, xg, objective, with_model_scores=True)  # (N, K)
                if it == 0:
                    check_labels(target, n, scores.shape[1], "make_fooling_image", "target_y")
                hit = _strict_hit(out.detach(), target)
                success |= hit & ~done
                done |= hit
                if bool(done.all()) or it == int(max_iter):
                    break
                (g,) = torch.autograd.grad(scores.gather(1, target.view(-1, 1)).sum(), xg)
            norms = g.flatten(1).norm(dim=1)  # (N,)
            bad = ~torch.isfinite(norms) | (norms == 0)
            zero_grad |= bad & ~done
            done |= bad
            active = ~done
            if not bool(active.any()):
                break
            step = lr * g / norms.clamp_min(1e-30).view(-1, 1, 1, 1)
            x = torch.where(active.view(-1, 1, 1, 1), x + step, x)
            iters[active.cpu()] += 1
        with torch.no_grad():
            probs = class_scores(model, x, "score").softmax(dim=1)
    if not return_report:
        return x
    std = torch.tensor(SQUEEZENET_STD, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    delta = ((x - X.detach()) * std).flatten(1)  # (N, 3*H*W) in [0, 1] pixel units
    reports = []
    for i in range(n):
        ok = bool(success[i])
        reason = "hit" if ok else ("zero_gradient" if bool(zero_grad[i]) else "max_iter")
        reports.append(
            FoolingReport(
                success=ok,
                iterations=int(iters[i]),
                l2_change=float(delta[i].norm()),
                linf_change=float(delta[i].abs().max()) if delta.shape[1] else 0.0,
                target_prob=float(probs[i, target[i]]),
                zero_gradient=bool(zero_grad[i]),
                stop_reason=reason,
            )
        )
    return x, (reports[0] if n == 1 else reports)
