"""Matplotlib figures (Agg backend, written to PNG): the loss curve and images with captions."""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_loss_curve(loss_history: Sequence[float], path: str | os.PathLike,
                    iterations_per_epoch: int | None = None) -> Path:
    """Loss per iteration (faint), its running mean and epoch boundaries, saved as a PNG."""
    plt = _pyplot()
    loss = np.asarray(loss_history, dtype=np.float64)  # (iters,)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(np.arange(1, loss.size + 1), loss, lw=0.6, alpha=0.4, label="minibatch loss")
    if loss.size >= 5:
        w = max(loss.size // 50, 5)
        smooth = np.convolve(loss, np.ones(w) / w, mode="valid")
        ax.plot(np.arange(w, loss.size + 1), smooth, lw=1.5, label=f"mean of {w}")
    if iterations_per_epoch:
        for e in range(iterations_per_epoch, loss.size, iterations_per_epoch):
            ax.axvline(e, color="0.85", lw=0.6, zorder=0)
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss (sum over words / N)")
    ax.set_title("captioner training loss")
    ax.legend(frameon=False)
    return _save(plt, fig, path, dpi=110)


def _save(plt: Any, fig: Any, path: str | os.PathLike, dpi: int) -> Path:
    """Lay out `fig`, write it as a PNG at `path` (making folders), close it; returns the path."""
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def caption_grid(images: np.ndarray, generated: Sequence[str], references: Sequence[str],
                 path: str | os.PathLike, cols: int = 4) -> Path:
    """Images (N, S, S, 3) uint8 with generated (and one reference) caption each, as a PNG."""
    plt = _pyplot()
    n = len(images)
    cols = max(1, min(cols, n))
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.6 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for i in range(n):
        ax = axes.ravel()[i]
        ax.imshow(images[i], interpolation="nearest")
        ax.set_title(f"gen: {generated[i]}\nref: {references[i]}", fontsize=7.5, loc="left")
    return _save(plt, fig, path, dpi=100)
