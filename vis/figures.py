"""Matplotlib PNG grids for saliency, fooling and class visualization; `main(argv)` makes all.

Figures have a fixed size at 100 dpi and text of 9-11 pt, so shown at their pixel width (as
the demo report does) no text is under 12 px."""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from vis.image import deprocess  # noqa: E402

DPI = 100  # a figure w inches wide is 100 w pixels; 10 pt text is then 14 px at 1:1


def _as_uint8_images(images: torch.Tensor | np.ndarray, name: str) -> np.ndarray:
    """(N,3,H,W) preprocessed tensor or (N,H,W,3) uint8 array -> (N,H,W,3) uint8."""
    if isinstance(images, torch.Tensor):
        return deprocess(images if images.dim() == 4 else images[None])
    arr = np.asarray(images)
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4 or arr.shape[-1] != 3 or arr.dtype != np.uint8:
        raise ValueError(
            f"{name} must be a (N,3,H,W) tensor or a (N,H,W,3) uint8 array, "
            f"got {arr.shape} {arr.dtype}"
        )
    return arr


def _save(fig: plt.Figure, path: str | os.PathLike) -> Path:
    """Save `fig` as PNG at `path` (parents created; exactly figsize x DPI pixels), close it."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format="png", dpi=DPI)
    plt.close(fig)
    return out


def _titles(titles: Sequence[str] | None, n: int, name: str) -> list[str]:
    """Return n titles (empty strings if None), checking the count."""
    if titles is None:
        return [""] * n
    if len(titles) != n:
        raise ValueError(f"{name} must have {n} entries, got {len(titles)}")
    return [str(t) for t in titles]


def _bare(ax: plt.Axes) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def saliency_figure(
    images: torch.Tensor | np.ndarray,
    saliency: torch.Tensor | np.ndarray,
    path: str | os.PathLike,
    titles: Sequence[str] | None = None,
) -> Path:
    """Rows image / saliency over the greyscale image (each map scaled to its maximum, with a
    colour bar) for N images and (N,H,W) maps; returns the PNG path."""
    imgs = _as_uint8_images(images, "images")
    sal = (
        saliency.detach().cpu().numpy()
        if isinstance(saliency, torch.Tensor)
        else np.asarray(saliency)
    )
    if sal.shape != imgs.shape[:3]:
        raise ValueError(f"saliency must have shape {imgs.shape[:3]}, got {sal.shape}")
    n = imgs.shape[0]
    names = _titles(titles, n, "titles")
    side = min(1.5, 8.2 / n)
    fig, axes = plt.subplots(2, n, figsize=(side * n + 1.3, 2 * side + 0.8), squeeze=False,
                             layout="constrained")
    grey = imgs.astype(np.float64) @ np.array([0.299, 0.587, 0.114]) / 255.0  # (N, H, W)
    im = None
    for i in range(n):
        s = sal[i] / max(float(sal[i].max()), 1e-12)
        axes[0, i].imshow(imgs[i])
        axes[0, i].set_title(names[i], fontsize=10)
        axes[1, i].imshow(grey[i], cmap="gray", vmin=0.0, vmax=1.0)
        im = axes[1, i].imshow(s, cmap="inferno", vmin=0.0, vmax=1.0,
                               alpha=np.clip(1.5 * s, 0.0, 0.9))
    for ax, label in zip(axes[:, 0], ("image", "saliency"), strict=True):
        ax.set_ylabel(label, fontsize=10)
    for ax in axes.flat:
        _bare(ax)
    if im is not None:
        bar = fig.colorbar(im, ax=axes[1, :], shrink=0.9, aspect=12)
        bar.set_label("saliency / its max", fontsize=10)
        bar.ax.tick_params(labelsize=9)
    return _save(fig, path)


def _prob_lines(probs: dict[str, float] | None) -> str:
    return "\n".join(f"P({k}) = {v:.3f}" for k, v in (probs or {}).items())


def fooling_figure(
    original: torch.Tensor,
    fooled: torch.Tensor,
    path: str | os.PathLike,
    original_label: str = "",
    target_label: str = "",
    probs: Sequence[dict[str, float]] | None = None,
) -> Path:
    """Row original / fooled / difference x10 of (1,3,H,W) tensors; `probs` = the model's
    probabilities ({class name: p}) for the original and the fooled image, printed under them.
    Returns the PNG path."""
    a = deprocess(original, as_uint8=False)
    b = deprocess(fooled, as_uint8=False)
    if a.shape != b.shape:
        raise ValueError(f"fooled must have the shape of original {a.shape}, got {b.shape}")
    if probs is not None and len(probs) != 2:
        raise ValueError(f"probs must hold 2 dicts (original, fooled), got {len(probs)}")
    a, b = (a[0], b[0]) if a.ndim == 4 else (a, b)
    diff = np.clip(0.5 + 10.0 * (b - a), 0.0, 1.0)
    notes = [_prob_lines(p) for p in (probs or ({}, {}))] + ["grey = no change"]
    fig, axes = plt.subplots(1, 3, figsize=(7.2, 3.3), layout="constrained")
    for ax, im, t, note in zip(
        axes,
        (a, b, diff),
        (f"original: {original_label}", f"fooled: {target_label}", "difference x10"),
        notes,
        strict=True,
    ):
        ax.imshow(im)
        ax.set_title(t, fontsize=10)
        ax.set_xlabel(note, fontsize=10)
        _bare(ax)
    return _save(fig, path)


def _grid_columns(n: int, most: int = 5) -> int:
    """Columns for n panels: a divisor of n (no empty slot) from ceil(sqrt(n)) up to `most`."""
    start = max(1, math.ceil(math.sqrt(n)))
    return next((c for c in range(start, most + 1) if n % c == 0), max(1, min(n, most)))


def class_viz_figure(
    images: torch.Tensor | Sequence[torch.Tensor],
    path: str | os.PathLike,
    titles: Sequence[str] | None = None,
    ncols: int | None = None,
    probs: Sequence[float] | None = None,
) -> Path:
    """Grid of class visualizations, (K,3,H,W) or a list of (1,3,H,W), with each image's
    probability of its class under `probs` (if given); returns the PNG path."""
    x = (
        images
        if isinstance(images, torch.Tensor)
        else torch.cat([t.reshape(-1, *t.shape[-3:]) for t in images])
    )
    imgs = deprocess(x.reshape(-1, *x.shape[-3:]), should_rescale=True)
    n = imgs.shape[0]
    names = _titles(titles, n, "titles")
    if probs is not None and len(probs) != n:
        raise ValueError(f"probs must have {n} entries, got {len(probs)}")
    cols = max(1, min(ncols, n)) if ncols else _grid_columns(n)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(1.9 * cols, 2.25 * rows), squeeze=False,
                             layout="constrained")
    for k, ax in enumerate(axes.flat):
        _bare(ax)
        if k < n:
            ax.imshow(imgs[k])
            ax.set_title(names[k], fontsize=10)
            if probs is not None:
                ax.set_xlabel(f"P = {float(probs[k]):.3f}", fontsize=10)
        else:
            ax.axis("off")
    return _save(fig, path)


def make_all(
    out_dir: str | os.PathLike,
    weights: str | os.PathLike = "builtin",
    n: int = 6,
    seed: int = 100,
    iterations: int = 150,
) -> dict:
    """Write saliency/fooling/class-viz PNGs for a 9-class shapes model; return paths and stats."""
    from vis.class_viz import create_class_visualization
    from vis.fooling import make_fooling_image
    from vis.image import preprocess
    from vis.saliency import compute_saliency_maps
    from vis.squeezenet import load_squeezenet
    from zoo.datasets.shapes import class_name, make_shapes

    out = Path(out_dir)
    torch.manual_seed(seed)
    model = load_squeezenet(weights)
    world = make_shapes(n, seed=seed)
    X = preprocess(world.images)  # (n, 3, 64, 64)
    y = torch.as_tensor(world.labels)
    with torch.no_grad():
        acc = float((model(X).argmax(1) == y).float().mean())
    sal = compute_saliency_maps(X, y, model)
    m = torch.as_tensor(world.masks, dtype=torch.float32)  # (n, 64, 64)
    mass = (sal * m).sum((1, 2)) / sal.sum((1, 2)).clamp_min(1e-30)
    names = [class_name(int(k)) for k in world.labels]
    sal_png = saliency_figure(world.images, sal, out / "saliency.png", names)
    src, target = int(y[0]), (int(y[0]) + 4) % 9
    fooled, rep = make_fooling_image(X[:1], target, model, objective="pre_relu", return_report=True)
    before, after = _softmax(model, X[:1])[0], _softmax(model, fooled)[0]  # (9,) each
    pair = (class_name(src), class_name(target))
    probs = [{c: float(p[k]) for c, k in zip(pair, (src, target), strict=True)}
             for p in (before, after)]
    fool_png = fooling_figure(X[:1], fooled, out / "fooling.png", pair[0], pair[1], probs)
    imgs, hist = create_class_visualization(
        torch.arange(9), model, num_iterations=iterations, seed=seed, return_history=True
    )
    p_end = _softmax(model, imgs).diagonal()  # (9,) each image's probability of its class
    cv_png = class_viz_figure(imgs, out / "class_viz.png", [class_name(k) for k in range(9)],
                              probs=p_end.tolist())
    # a weights file is named without its folder: nothing the demo writes holds a local path
    label = str(weights) if str(weights) in ("builtin", "imagenet") else Path(weights).name
    return {
        "model": f"squeezenet1_1, weights={label}",
        "weights": label,
        "saliency": {
            "png": str(sal_png),
            "stats": {
                "images": n,
                "correct": int(round(acc * n)),
                "accuracy": round(acc, 3),
                "object_area": round(float(m.mean()), 4),
                "mass_ratio": round(float((mass / m.mean((1, 2))).mean()), 2),
            },
        },
        "fooling": {
            "png": str(fool_png),
            "stats": {
                "source": pair[0],
                "target": pair[1],
                "success": rep.success,
                "iterations": rep.iterations,
                "linf_change": round(rep.linf_change, 4),
                "l2_change": round(rep.l2_change, 4),
                "prob_source_before": round(probs[0][pair[0]], 4),
                "prob_target_before": round(probs[0][pair[1]], 4),
                "prob_source_after": round(probs[1][pair[0]], 4),
                "prob_target_after": round(probs[1][pair[1]], 4),
            },
        },
        "classviz": {
            "png": str(cv_png),
            "stats": {
                "classes": 9,
                "iterations": iterations,
                "prob_start_mean": round(float(hist[0].mean()), 4),
                "prob_end_mean": round(float(p_end.mean()), 4),
                "prob_end_min": round(float(p_end.min()), 4),
            },
        },
    }


@torch.no_grad()
def _softmax(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Class probabilities (N, K) of preprocessed images (N, 3, H, W)."""
    return torch.softmax(model(x), dim=1)


def main(argv: list[str] | None = None) -> int:
    """Command line: write saliency.png, fooling.png and class_viz.png and print their stats."""
    p = argparse.ArgumentParser(prog="vis.figures", description=__doc__)
    p.add_argument("--weights", default="builtin", help="'builtin' or a 9-class shapes model path")
    p.add_argument("--out", type=Path, default=Path("runs/vis"))
    p.add_argument("--n", type=int, default=6)
    p.add_argument("--seed", type=int, default=100)
    p.add_argument("--iterations", type=int, default=150)
    args = p.parse_args(argv)
    res = make_all(args.out, args.weights, args.n, args.seed, args.iterations)
    for key in ("saliency", "fooling", "classviz"):
        print(f"{key}: {res[key]['png']} {res[key]['stats']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
