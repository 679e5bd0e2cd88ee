"""Matplotlib PNG grids for saliency, fooling and class visualization; `main(argv)` makes all."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from vis.image import deprocess  # noqa: E402


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
    """Save `fig` as PNG at `path` (parents created), close it and return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return out


def _titles(titles: Sequence[str] | None, n: int, name: str) -> list[str]:
    """Return n titles (empty strings if None), checking the count."""
    if titles is None:
        return [""] * n
    if len(titles) != n:
        raise ValueError(f"{name} must have {n} entries, got {len(titles)}")
    return [str(t) for t in titles]


def saliency_figure(
    images: torch.Tensor | np.ndarray,
    saliency: torch.Tensor | np.ndarray,
    path: str | os.PathLike,
    titles: Sequence[str] | None = None,
) -> Path:
    """Rows image / saliency / overlay for N images and (N,H,W) maps; returns the PNG path."""
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
    fig, axes = plt.subplots(3, n, figsize=(2.0 * n, 6.2), squeeze=False)
    for i in range(n):
        s = sal[i] / max(float(sal[i].max()), 1e-12)
        axes[0, i].imshow(imgs[i])
        axes[0, i].set_title(names[i], fontsize=8)
        axes[1, i].imshow(s, cmap="hot")
        axes[2, i].imshow(imgs[i])
        axes[2, i].imshow(s, cmap="jet", alpha=0.5)
    for ax, label in zip(axes[:, 0], ("image", "saliency", "overlay"), strict=True):
        ax.set_ylabel(label)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    return _save(fig, path)


def fooling_figure(
    original: torch.Tensor,
    fooled: torch.Tensor,
    path: str | os.PathLike,
    original_label: str = "",
    target_label: str = "",
) -> Path:
    """Row original / fooled / difference x10 of (1,3,H,W) tensors; returns the PNG path."""
    a = deprocess(original, as_uint8=False)
    b = deprocess(fooled, as_uint8=False)
    if a.shape != b.shape:
        raise ValueError(f"fooled must have the shape of original {a.shape}, got {b.shape}")
    a, b = (a[0], b[0]) if a.ndim == 4 else (a, b)
    diff = np.clip(0.5 + 10.0 * (b - a), 0.0, 1.0)
    fig, axes = plt.subplots(1, 3, figsize=(7.5, 2.8))
    for ax, im, t in zip(
        axes,
        (a, b, diff),
        (f"original: {original_label}", f"fooled: {target_label}", "difference x10"),
        strict=True,
    ):
        ax.imshow(im)
        ax.set_title(t, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    return _save(fig, path)


def class_viz_figure(
    images: torch.Tensor | Sequence[torch.Tensor],
    path: str | os.PathLike,
    titles: Sequence[str] | None = None,
    ncols: int = 5,
) -> Path:
    """Grid of class visualizations, (K,3,H,W) or a list of (1,3,H,W); returns the PNG path."""
    x = (
        images
        if isinstance(images, torch.Tensor)
        else torch.cat([t.reshape(-1, *t.shape[-3:]) for t in images])
    )
    imgs = deprocess(x.reshape(-1, *x.shape[-3:]), should_rescale=True)
    n = imgs.shape[0]
    names = _titles(titles, n, "titles")
    cols = max(1, min(ncols, n))
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(2.0 * cols, 2.2 * rows), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if k < n:
            ax.imshow(imgs[k])
            ax.set_title(names[k], fontsize=8)
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
    target = (int(y[0]) + 4) % 9
    fooled, rep = make_fooling_image(X[:1], target, model, objective="pre_relu", return_report=True)
    fool_png = fooling_figure(X[:1], fooled, out / "fooling.png", names[0], class_name(target))
    imgs, hist = create_class_visualization(
        torch.arange(9), model, num_iterations=iterations, seed=seed, return_history=True
    )
    cv_png = class_viz_figure(imgs, out / "class_viz.png", [class_name(k) for k in range(9)])
    return {
        "model": f"squeezenet1_1, weights={weights}",
        "saliency": {
            "png": str(sal_png),
            "stats": {
                "images": n,
                "accuracy": round(acc, 3),
                "mean saliency mass in object / object area": round(
                    float((mass / m.mean((1, 2))).mean()), 2
                ),
            },
        },
        "fooling": {
            "png": str(fool_png),
            "stats": {
                "from -> to": f"{names[0]} -> {class_name(target)}",
                "success": rep.success,
                "iterations": rep.iterations,
                "Linf change (0-1 pixels)": round(rep.linf_change, 4),
                "L2 change (0-1 pixels)": round(rep.l2_change, 4),
                "target prob": round(rep.target_prob, 4),
            },
        },
        "classviz": {
            "png": str(cv_png),
            "stats": {
                "iterations": iterations,
                "mean target prob start": round(float(hist[0].mean()), 4),
                "mean target prob end": round(float(hist[-1].mean()), 4),
            },
        },
    }


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
