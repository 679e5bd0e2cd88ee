"""Train zoo's captioners with torch (CPU, CUDA, DDP) and bring them back to minigrad.

    python -m vis.train_torch --data DIR --model rnn|lstm|transformer --epochs E --batch-size B \
        --lr LR --seed S --device cpu|cuda --out OUT
    torchrun --nproc_per_node=N -m vis.train_torch ...     (DDP: gloo on CPU, nccl on CUDA)

The twin (vis.twin) starts from zoo's initial weights for the seed and follows zoo's
CaptioningSolver (minibatch order, lr decay per epoch, loss normalisation); B is the global batch,
split across the N processes, so any N makes the same run up to float reassociation. Rank 0
writes OUT/checkpoint.npz (zoo's format: `zoo.captioning.load_captioner` and
`python -m zoo.captioning eval --out OUT` read it) and OUT/loss.png; `--resume` continues it.
"""
from vis.train_torch.cli import main, run

__all__ = ["main", "run"]
