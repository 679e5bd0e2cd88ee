"""Matplotlib figures (Agg backend, written to PNG): the loss curve, caption thumbnails,
attention maps.

Figures are drawn at 100 dpi with a fixed size, so a figure `w` inches wide is exactly `100 w`
pixels: the report shows it at that width, where 10 pt text is 14 px on screen.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

DPI = 100


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_loss_curve(loss_history: Sequence[float], path: str | os.PathLike,
                    iterations_per_epoch: int | None = None,
                    val_loss: Sequence[float] | None = None,
                    title: str = "captioner training loss") -> Path:
    """Loss per iteration (faint) and its running mean on a log scale, labelled epochs, and the
    validation loss measured after each epoch (`val_loss[e]` at the end of epoch e+1)."""
    plt = _pyplot()
    loss = np.asarray(loss_history, dtype=np.float64)  # (iters,)
    fig, ax = plt.subplots(figsize=(7.2, 3.8), layout="constrained")
    it = np.arange(1, loss.size + 1)
    ax.plot(it, loss, lw=0.6, alpha=0.35, color="tab:blue", label="minibatch loss")
    if loss.size >= 5:
        w = max(loss.size // 50, 5)
        smooth = np.convolve(loss, np.ones(w) / w, mode="valid")
        ax.plot(np.arange(w, loss.size + 1), smooth, lw=1.6, color="tab:blue",
                label=f"train (mean of {w} minibatches)")
    if iterations_per_epoch and loss.size:
        ends = list(range(iterations_per_epoch, loss.size + 1, iterations_per_epoch))
        for e in ends[:-1]:
            ax.axvline(e, color="0.8", lw=0.8, zorder=0)
        starts = [0, *ends]
        for k in range(len(ends)):
            ax.text((starts[k] + ends[k]) / 2, 0.97, f"epoch {k + 1}", ha="center", va="top",
                    transform=ax.get_xaxis_transform(), fontsize=10, color="0.35")
        if val_loss is not None and len(val_loss):
            x = np.asarray(ends[:len(val_loss)])
            ax.plot(x, np.asarray(val_loss[:x.size]), "o-", color="tab:orange", lw=1.6,
                    label="validation (after each epoch)")
    ax.set_yscale("log")
    from matplotlib.ticker import FuncFormatter, LogLocator

    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 3.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    ax.set_xlim(0, max(loss.size, 1) + 1)
    ax.set_xlabel("iteration (minibatch)")
    ax.set_ylabel("loss per caption (log scale)")
    ax.set_title(title, fontsize=11)
    ax.legend(frameon=False, loc="upper right", bbox_to_anchor=(1.0, 0.9))
    ax.grid(True, which="both", axis="y", color="0.92")
    return _save(plt, fig, path)


def _save(plt: Any, fig: Any, path: str | os.PathLike) -> Path:
    """Write `fig` as a PNG at `path` (making folders; size = figsize x DPI), close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def save_thumbnail(image: np.ndarray, path: str | os.PathLike, scale: int = 2) -> Path:
    """One (S, S, 3) uint8 image enlarged `scale` times (nearest neighbour) as a PNG."""
    from PIL import Image

    arr = np.asarray(image, dtype=np.uint8)
    if arr.ndim != 3 or arr.shape[-1] != 3:
        raise ValueError(f"save_thumbnail: image must be (S, S, 3) uint8, got {arr.shape}")
    big = np.repeat(np.repeat(arr, scale, axis=0), scale, axis=1)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(big).save(path, format="PNG")
    return path


def attention_figure(maps: np.ndarray, tokens: Sequence[str], path: str | os.PathLike,
                     title: str = "") -> Path:
    """Self-attention weights (L, heads, T, T) of one caption as one heatmap per layer (the
    mean over its heads; rows still sum to 1): row = the word attending (query), column = the
    word attended to (key). Two layers per row of panels, at most 950 pixels wide."""
    plt = _pyplot()
    a = np.asarray(maps, dtype=np.float64)
    if a.ndim != 4 or a.shape[2] != a.shape[3] or a.shape[2] != len(tokens):
        raise ValueError(f"attention_figure: maps must be (L, heads, T, T) with T = "
                         f"{len(tokens)} tokens, got {a.shape}")
    mean = a.mean(axis=1)  # (L, T, T)
    L, heads, T = a.shape[0], a.shape[1], a.shape[2]
    cols = min(L, 2)
    rows = -(-L // cols)
    side = min(4.3, 8.6 / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(side * cols + 0.9, side * rows + 0.6),
                             squeeze=False, layout="constrained")
    im = None
    for k, ax in enumerate(axes.flat):
        if k >= L:
            ax.axis("off")
            continue
        im = ax.imshow(mean[k], cmap="viridis", vmin=0.0, vmax=1.0)
        ax.set_title(f"layer {k + 1} (mean of {heads} heads)", fontsize=10)
        ax.set_xticks(range(T), tokens, rotation=90, fontsize=10)
        ax.set_yticks(range(T), tokens, fontsize=10)
        ax.set_xlabel("attended word (key)", fontsize=10)
        if k % cols == 0:
            ax.set_ylabel("attending word (query)", fontsize=10)
    if im is not None:
        fig.colorbar(im, ax=axes, shrink=0.8, label="attention weight")
    if title:
        fig.suptitle(title, fontsize=11)
    return _save(plt, fig, path)
