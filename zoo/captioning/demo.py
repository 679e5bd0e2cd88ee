"""The end-to-end captioning demo on the built-in world (what `make demo` runs first).

World (4000 train / 500 val images) -> CNN encoder trained on the class labels -> fc features
written as the COCO `*_vgg16_fc7.h5` files -> LSTM captioner trained with the CS231n solver ->
greedy captions, corpus BLEU-1..4 on val against all references, figures and a JSON summary.
"""
from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from zoo.captioning.metrics import corpus_bleu_scores, evaluate_bleu
from zoo.captioning.model import CaptioningRNN
from zoo.captioning.train import CaptioningSolver

DEMO_COMMAND = "python -m zoo.captioning demo --out runs/demo"


def make_world(data_dir: str | os.PathLike, n_train: int = 4000, n_val: int = 500,
               seed: int = 0, encoder_epochs: int = 3, verbose: bool = True) -> dict[str, Any]:
    """Write the world to `data_dir`, train the CNN encoder, write its features; returns stats."""
    from zoo.datasets.shapes import load_shapes_split, write_shapes_dataset
    from zoo.encoders.cnn import encode_dataset, save_encoder, train_encoder

    base = Path(data_dir)
    t0 = time.perf_counter()
    write_shapes_dataset(base, n_train, n_val, seed=seed)
    t1 = time.perf_counter()
    train_images, _, train_labels = load_shapes_split(base, "train")
    val_images, _, val_labels = load_shapes_split(base, "val")
    encoder, hist = train_encoder(train_images, train_labels, epochs=encoder_epochs, seed=seed,
                                  val=(val_images, val_labels))
    save_encoder(encoder, base / "encoder.npz")
    t2 = time.perf_counter()
    encode_dataset(base, encoder)
    t3 = time.perf_counter()
    stats = {"n_train_images": n_train, "n_val_images": n_val, "encoder_epochs": encoder_epochs,
             "encoder_train_accuracy": hist["train_acc"][-1],
             "encoder_val_accuracy": hist["val_acc"][-1],
             "seconds": {"world": t1 - t0, "encoder": t2 - t1, "features": t3 - t2}}
    if verbose:
        print(f"world: {n_train} train / {n_val} val images in {base} ({t1 - t0:.1f}s)")
        print(f"encoder: val accuracy {stats['encoder_val_accuracy']:.3f} after "
              f"{encoder_epochs} epochs ({t2 - t1:.1f}s); features written ({t3 - t2:.1f}s)")
    return stats


def load_data(data_dir: str | os.PathLike, pca_features: bool | None = None) -> dict[str, Any]:
    """CS231n data dict of a COCO dir (PCA features by default) or a world dir (full features)."""
    from zoo.datasets.coco import load_coco_data
    from zoo.datasets.shapes import IMAGES_FILE

    if pca_features is None:
        pca_features = not (Path(data_dir) / IMAGES_FILE).is_file()
    return load_coco_data(data_dir, pca_features=pca_features, lazy_features=False)


def train_captioner(data: dict[str, Any], cell_type: str = "lstm", epochs: int = 5,
                    hidden_dim: int = 128, wordvec_dim: int = 64, learning_rate: float = 5e-3,
                    lr_decay: float = 0.9, batch_size: int = 100, seed: int = 0,
                    verbose: bool = True, checkpoint_dir: str | None = None) -> CaptioningSolver:
    """Build a captioner for `data` and train it with Adam; returns the solver (and its model)."""
    model = CaptioningRNN(data["word_to_idx"], input_dim=data["train_features"].shape[1],
                          wordvec_dim=wordvec_dim, hidden_dim=hidden_dim, cell_type=cell_type,
                          seed=seed)
    solver = CaptioningSolver(model, data, update_rule="adam",
                              optim_config={"learning_rate": learning_rate}, lr_decay=lr_decay,
                              batch_size=batch_size, num_epochs=epochs, print_every=200,
                              verbose=verbose, seed=seed, checkpoint_dir=checkpoint_dir)
    solver.train()
    return solver


def run_demo(out: str | os.PathLike = "runs/demo", seed: int = 0, n_train: int = 4000,
             n_val: int = 500, encoder_epochs: int = 3, epochs: int = 5, cell_type: str = "lstm",
             hidden_dim: int = 128, n_show: int = 8) -> dict[str, Any]:
    """Run the whole demo into `out`; returns (and writes as captioning.json) the summary."""
    from zoo.captioning.figures import caption_grid
    from zoo.datasets.shapes import load_shapes_split

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    world = make_world(out / "world", n_train, n_val, seed, encoder_epochs)
    data = load_data(out / "world")
    t0 = time.perf_counter()
    solver = train_captioner(data, cell_type, epochs, hidden_dim, seed=seed)
    t1 = time.perf_counter()
    model = solver.model
    solver.save_checkpoint(out / "checkpoint.npz")
    solver.plot_loss(out / "loss.png")
    bleu = evaluate_bleu(model, data, "val")
    first = corpus_bleu_scores(bleu["hypotheses"], [r[:1] for r in bleu["references"]])
    t2 = time.perf_counter()

    images = load_shapes_split(out / "world", "val")[0]
    show = bleu["images"][:n_show]
    gen = [" ".join(h) for h in bleu["hypotheses"][:n_show]]
    refs = [[" ".join(r) for r in rs] for rs in bleu["references"][:n_show]]
    caption_grid(images[show], gen, [r[0] for r in refs], out / "captions.png")
    print(f"captioner ({cell_type}, H={hidden_dim}): {len(solver.loss_history)} iterations, "
          f"loss {solver.loss_history[0]:.3f} -> {solver.loss_history[-1]:.3f} ({t1 - t0:.1f}s)")
    for i, g, r in zip(show, gen, refs, strict=True):
        print(f"  val image {int(i):3d}  generated: {g!r}\n                 references: "
              + " | ".join(r))
    names = ("bleu1", "bleu2", "bleu3", "bleu4")
    print(f"val corpus BLEU-1..4 against all references ({bleu['n_images']} images): "
          + "  ".join(f"{bleu[k]:.4f}" for k in names))
    print("val corpus BLEU-1..4 against the first (canonical) reference only: "
          + "  ".join(f"{first[k]:.4f}" for k in names))
    total = time.perf_counter() - start
    summary = {
        "command": DEMO_COMMAND,
        "seed": seed,
        "cell_type": cell_type,
        "model": {"input_dim": model.config.input_dim, "wordvec_dim": model.config.wordvec_dim,
                  "hidden_dim": hidden_dim, "vocab_size": model.vocab_size},
        "training": {"epochs": epochs, "batch_size": solver.batch_size, "update_rule": "adam",
                     "learning_rate": 5e-3, "lr_decay": 0.9,
                     "iterations": len(solver.loss_history),
                     "loss_first": solver.loss_history[0], "loss_last": solver.loss_history[-1]},
        "world": {k: v for k, v in world.items() if k != "seconds"},
        "bleu": {k: bleu[k] for k in names},
        "bleu_first_reference": {k: first[k] for k in names},
        "n_val_images": bleu["n_images"],
        "samples": [{"image": int(i), "generated": g, "references": r}
                    for i, g, r in zip(show, gen, refs, strict=True)],
        "timings_s": {**world["seconds"], "captioner": t1 - t0, "eval": t2 - t1,
                      "total": total},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "numpy": np.__version__},
        "files": {"captions_png": "captions.png", "loss_png": "loss.png",
                  "checkpoint": "checkpoint.npz", "data": "world"},
    }
    tmp = out / ".captioning.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2) + "\n")
    os.replace(tmp, out / "captioning.json")
    print(f"wrote {out / 'captions.png'}, {out / 'loss.png'}, {out / 'captioning.json'} "
          f"(total {total:.1f}s)")
    return summary
