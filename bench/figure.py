"""The captioner benchmark as a PNG: every round's minigrad/impl ratio, their median, and the
targets of issue 10, one panel per case (`python -m bench.captioner --write-results`)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# Issue 10's targets, as the largest minigrad/impl ratio allowed (lower is better for minigrad).
TARGETS: dict[str, dict[str, float]] = {
    "lstm": {"torch_nn": 1.0, "torch_packed": 1.1, "autograd": 0.5},
    "rnn": {"torch_nn": 0.9, "autograd": 0.5},
    "small_lstm": {"torch_nn": 1.25},
}


def ratio_figure(results: list[dict], path: str | os.PathLike, title: str) -> Path:
    """Write the figure of `run_case` results (each with per-round `ratios`) to `path`
    atomically (a temporary file in the same folder, then os.replace)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [r for r in results if len(r["ratios"]) > 1]
    fig, axes = plt.subplots(len(panels), 1, squeeze=False, layout="constrained",
                             figsize=(7.2, 0.9 + 0.42 * sum(len(r["ratios"]) - 1 for r in panels)
                                      + 0.5 * len(panels)))
    for ax, r in zip(axes[:, 0], panels, strict=True):
        _panel(ax, r)
    axes[-1, 0].set_xlabel("minigrad time / peer time (lower is better for minigrad)")
    fig.suptitle(title, fontsize=11)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fig.savefig(tmp, dpi=100, format="png")
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        tmp.unlink(missing_ok=True)
    return path


def _panel(ax: Any, r: dict) -> None:
    """One case: a row per peer, its rounds as dots, the median as a bar, the target as a red
    tick where issue 10 sets one."""
    peers = [k for k in r["ratios"] if k != "minigrad"]
    targets = TARGETS.get(r["case"], {})
    for y, k in enumerate(peers):
        rounds = r["ratios"][k]
        ax.plot(rounds, [y] * len(rounds), "o", ms=4, color="0.55", alpha=0.8,
                label="one round" if y == 0 else None)
        ax.plot([r["ratio"][k]] * 2, [y - 0.32, y + 0.32], color="black", lw=2.2,
                label="median of rounds" if y == 0 else None)
        ax.text(max(rounds) * 1.02 + 0.02, y, f"{r['ratio'][k]:.2f}", va="center", fontsize=9)
        if k in targets:
            ax.plot([targets[k]] * 2, [y - 0.42, y + 0.42], color="tab:red", lw=1.6,
                    label="target (at most)" if not any(p in targets for p in peers[:y])
                    else None)
    ax.axvline(1.0, color="0.8", lw=0.8, zorder=0)
    ax.set_yticks(range(len(peers)), peers)
    ax.set_ylim(len(peers) - 0.5, -0.5)
    ax.set_xlim(0, max(1.6, 1.15 * max(max(v) for v in r["ratios"].values())))
    ax.set_title(f"{r['case']} ({r['dtype']})", fontsize=10, loc="left")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.grid(True, axis="x", color="0.93")
