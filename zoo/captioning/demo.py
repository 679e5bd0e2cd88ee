"""The end-to-end captioning demo on the built-in world (what `make demo` runs first).

World (4000 train / 500 val images, every reference caption stating the position or relation)
-> CNN encoder trained multi-task (class, layout = the large object's position or relation,
small object's class) -> its fc features written as the COCO `*_vgg16_fc7.h5` files -> LSTM
captioner trained with the CS231n solver -> greedy captions, corpus BLEU-1..4 on val against all
references (and against the first alone), the fraction of val captions that state the correct
layout (checked against the scene's objects, not the model), figures and a JSON summary.
"""
from __future__ import annotations

import contextlib
import json
import os
import platform
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from zoo.captioning.metrics import corpus_bleu_scores, evaluate_bleu
from zoo.captioning.model import CaptioningRNN
from zoo.captioning.train import CaptioningSolver

DEMO_COMMAND = "python -m zoo.captioning demo --out runs/demo"
ENCODER_EPOCHS = 12  # the demo's multi-task encoder epochs (small-object class still improving)
_ATTRS = ("size", "colour", "shape")


def _phrases() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    from zoo.datasets.shapes import POSITION_PHRASES, RELATION_PHRASES

    return ({k: tuple(v.split()) for k, v in POSITION_PHRASES.items()},
            {k: tuple(v.split()) for k, v in RELATION_PHRASES.items()})


def _find(words: list[str], phrase: tuple[str, ...]) -> list[int]:
    """Start indices of `phrase` in `words`."""
    n = len(phrase)
    return [i for i in range(len(words) - n + 1) if tuple(words[i:i + n]) == phrase]


def _resolve(words: list[str], objects: Sequence[dict[str, Any]]) -> int | None:
    """Index of the object a noun phrase names: the unique one matching most stated attributes."""
    stated = set(words)
    hits = [sum(o[a] in stated for a in _ATTRS) for o in objects]
    best = max(hits)
    return hits.index(best) if best > 0 and hits.count(best) == 1 else None


def layout_correct(caption: str | Sequence[str], objects: Sequence[dict[str, Any]]) -> bool:
    """Whether a caption states the true layout of a scene (its `ShapesWorld.objects` entry).

    One object: the caption names exactly one position phrase, the true one, and no relation.
    Two objects: the caption is "<phrase A> <relation> <phrase B>" with exactly one relation
    phrase and no position phrase; A and B name different objects (each resolved to the object
    matching most of its stated size/colour/shape words, uniquely) and A really lies in that
    relation to B. Class words only serve to tell the objects apart, so a wrong shape name with
    the right relation still counts; `exact_match` checks everything.
    """
    words = caption.split() if isinstance(caption, str) else list(caption)
    positions, relations = _phrases()
    pos = [(k, i) for k, p in positions.items() for i in _find(words, p)]
    rel = [(k, i) for k, p in relations.items() for i in _find(words, p)]
    if len(objects) == 1:
        return not rel and [k for k, _ in pos] == [objects[0]["position"]]
    if pos or len(rel) != 1:
        return False
    k, i = rel[0]
    a = _resolve(words[:i], objects)
    b = _resolve(words[i + len(relations[k]):], objects)
    return a is not None and b is not None and a != b and objects[a]["relation"] == k


def layout_accuracy(captions: Sequence[str | Sequence[str]],
                    objects: Sequence[Sequence[dict[str, Any]]]) -> float:
    """Fraction of N captions for which `layout_correct(caption, objects[i])` holds."""
    if len(captions) != len(objects) or not captions:
        raise ValueError(f"layout_accuracy: need one objects entry per caption (> 0), got "
                         f"{len(captions)} captions and {len(objects)} objects entries")
    return float(np.mean([layout_correct(c, o) for c, o in zip(captions, objects, strict=True)]))


def exact_match(captions: Sequence[str], references: Sequence[Sequence[str]]) -> float:
    """Fraction of N captions equal (word for word) to one of their image's references."""
    if len(captions) != len(references) or not captions:
        raise ValueError(f"exact_match: need one reference list per caption (> 0), got "
                         f"{len(captions)} and {len(references)}")
    return float(np.mean([" ".join(c.split()) in {" ".join(r.split()) for r in rs}
                          for c, rs in zip(captions, references, strict=True)]))


def make_world(data_dir: str | os.PathLike, n_train: int = 4000, n_val: int = 500,
               seed: int = 0, encoder_epochs: int = ENCODER_EPOCHS,
               verbose: bool = True) -> dict[str, Any]:
    """Write the world to `data_dir`, train the multi-task CNN encoder, write its features."""
    from zoo.datasets.shapes import load_shapes_split, write_shapes_dataset
    from zoo.encoders.cnn import (
        SCENE_CLASSES,
        SCENE_TASKS,
        EncoderConfig,
        encode_dataset,
        load_scene_aux_labels,
        save_encoder,
        train_encoder,
    )

    base = Path(data_dir)
    t0 = time.perf_counter()
    write_shapes_dataset(base, n_train, n_val, seed=seed)
    t1 = time.perf_counter()
    train_images, _, train_labels = load_shapes_split(base, "train")
    val_images, _, val_labels = load_shapes_split(base, "val")
    cfg = EncoderConfig(aux_classes=SCENE_CLASSES)
    encoder, hist = train_encoder(train_images, train_labels, cfg, epochs=encoder_epochs,
                                  seed=seed, aux_labels=load_scene_aux_labels(base, "train"),
                                  val=(val_images, val_labels, load_scene_aux_labels(base, "val")))
    save_encoder(encoder, base / "encoder.npz")
    t2 = time.perf_counter()
    encode_dataset(base, encoder)
    t3 = time.perf_counter()
    tasks = dict(zip(("class", *SCENE_TASKS), hist["val_task_acc"][-1], strict=True))
    stats = {"n_train_images": n_train, "n_val_images": n_val, "encoder_epochs": encoder_epochs,
             "encoder_tasks": ["class", *SCENE_TASKS],
             "encoder_train_accuracy": hist["train_acc"][-1],
             "encoder_val_accuracy": hist["val_acc"][-1],
             "encoder_val_task_accuracy": tasks,
             "encoder_epoch_seconds": hist["seconds"],
             "seconds": {"world": t1 - t0, "encoder": t2 - t1, "features": t3 - t2}}
    if verbose:
        print(f"world: {n_train} train / {n_val} val images in {base} ({t1 - t0:.1f}s)")
        print(f"encoder: val accuracy after {encoder_epochs} epochs: "
              + ", ".join(f"{k} {v:.3f}" for k, v in tasks.items())
              + f" ({t2 - t1:.1f}s); features written ({t3 - t2:.1f}s)")
    return stats


def load_data(data_dir: str | os.PathLike, pca_features: bool | None = None,
              standardize: bool | None = None) -> dict[str, Any]:
    """CS231n data dict of a COCO dir (PCA features by default) or a world dir (full features).

    `standardize` (default: True for a world dir, False for COCO) z-scores every split's
    features with the train split's per-dimension mean and std (the CNN's post-ReLU features
    are all >= 0 and of uneven scale; centred, unit-scale inputs train the captioner faster).
    Every CLI command reads data through here, so a model and its features always agree.
    """
    from zoo.datasets.coco import load_coco_data
    from zoo.datasets.shapes import IMAGES_FILE

    world = (Path(data_dir) / IMAGES_FILE).is_file()
    if pca_features is None:
        pca_features = not world
    data = load_coco_data(data_dir, pca_features=pca_features, lazy_features=False)
    if world if standardize is None else standardize:
        train = np.asarray(data["train_features"], dtype=np.float64)
        mean, std = train.mean(axis=0), train.std(axis=0) + 1e-6  # (D,)
        for key in [k for k in data if k.endswith("_features")]:
            data[key] = ((np.asarray(data[key]) - mean) / std).astype(np.float32)
    return data


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


def blas_threads(n: int | None) -> contextlib.AbstractContextManager[Any]:
    """Limit BLAS to n threads inside the block (threadpoolctl; no-op if None or not installed).

    The demo's GEMMs are small: on 2 shared cores a second OpenBLAS thread gains nothing alone
    and, when another process competes for the cores, its spin-waiting made the demo 4x slower
    (269 s instead of 67 s measured), so the demo runs with one.
    """
    if n is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # only an optional speed-up
        return contextlib.nullcontext()
    return threadpool_limits(limits=int(n), user_api="blas")


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def run_demo(out: str | os.PathLike = "runs/demo", seed: int = 0, n_train: int = 4000,
             n_val: int = 500, encoder_epochs: int = ENCODER_EPOCHS, epochs: int = 5,
             cell_type: str = "lstm", hidden_dim: int = 128, n_show: int = 8, wordvec_dim: int = 64,
             learning_rate: float = 5e-3, lr_decay: float = 0.9, batch_size: int = 50,
             verbose: bool = True, n_blas_threads: int | None = 1) -> dict[str, Any]:
    """Run the whole demo into `out`; returns (and writes as captioning.json) the summary."""
    with blas_threads(n_blas_threads):
        summary = _run_demo(out, seed, n_train, n_val, encoder_epochs, epochs, cell_type,
                            hidden_dim, n_show, wordvec_dim, learning_rate, lr_decay, batch_size,
                            verbose)
    summary["machine"]["blas_threads"] = n_blas_threads
    out = Path(out)
    _write_json(out / "captioning.json", summary)
    if verbose:
        print(f"wrote {out / 'captions.png'}, {out / 'loss.png'}, {out / 'captioning.json'} "
              f"(total {summary['timings_s']['total']:.1f}s)")
    return summary


def _write_json(path: Path, obj: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(obj, indent=2) + "\n")
    os.replace(tmp, path)


def _run_demo(out: str | os.PathLike, seed: int, n_train: int, n_val: int, encoder_epochs: int,
              epochs: int, cell_type: str, hidden_dim: int, n_show: int, wordvec_dim: int,
              learning_rate: float, lr_decay: float, batch_size: int,
              verbose: bool) -> dict[str, Any]:
    from zoo.captioning.figures import caption_grid
    from zoo.datasets.shapes import load_shapes_objects, load_shapes_split

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    world = make_world(out / "world", n_train, n_val, seed, encoder_epochs, verbose)
    data = load_data(out / "world")
    t0 = time.perf_counter()
    solver = train_captioner(data, cell_type, epochs, hidden_dim, wordvec_dim, learning_rate,
                             lr_decay, batch_size, seed=seed, verbose=verbose)
    t1 = time.perf_counter()
    model = solver.model
    solver.save_checkpoint(out / "checkpoint.npz")
    solver.plot_loss(out / "loss.png")
    bleu = evaluate_bleu(model, data, "val")
    first = corpus_bleu_scores(bleu["hypotheses"], [r[:1] for r in bleu["references"]])
    objects = load_shapes_objects(out / "world", "val")
    val_objects = [objects[int(i)] for i in bleu["images"]]
    gen_all = [" ".join(h) for h in bleu["hypotheses"]]
    refs_all = [[" ".join(r) for r in rs] for rs in bleu["references"]]
    pairs = np.array([len(o) == 2 for o in val_objects])
    correct = np.array([layout_correct(c, o) for c, o in zip(gen_all, val_objects, strict=True)])
    layout = {"all": float(correct.mean()),
              "one_object": float(correct[~pairs].mean()) if (~pairs).any() else None,
              "two_objects": float(correct[pairs].mean()) if pairs.any() else None}
    exact = exact_match(gen_all, refs_all)
    t2 = time.perf_counter()

    images = load_shapes_split(out / "world", "val")[0]
    show = bleu["images"][:n_show]
    gen, refs = gen_all[:n_show], refs_all[:n_show]
    caption_grid(images[show], gen, [r[0] for r in refs], out / "captions.png")
    names = ("bleu1", "bleu2", "bleu3", "bleu4")
    total = time.perf_counter() - start
    if verbose:
        print(f"captioner ({cell_type}, H={hidden_dim}, W={wordvec_dim}): "
              f"{len(solver.loss_history)} iterations, loss {solver.loss_history[0]:.3f} -> "
              f"{solver.loss_history[-1]:.3f} ({t1 - t0:.1f}s)")
        for i, g, r in zip(show, gen, refs, strict=True):
            print(f"  val image {int(i):3d}  generated: {g!r}\n                 references: "
                  + " | ".join(r))
        print(f"val corpus BLEU-1..4 against all references ({bleu['n_images']} images): "
              + "  ".join(f"{bleu[k]:.4f}" for k in names))
        print("val corpus BLEU-1..4 against the first (canonical) reference only: "
              + "  ".join(f"{first[k]:.4f}" for k in names))
        print(f"val captions stating the true position/relation (checked on the scene's objects): "
              f"{layout['all']:.3f} (one object {_fmt(layout['one_object'])}, two objects "
              f"{_fmt(layout['two_objects'])}); equal to a reference: {exact:.3f}")
    summary = {
        "command": DEMO_COMMAND,
        "seed": seed,
        "cell_type": cell_type,
        "model": {"input_dim": model.config.input_dim, "wordvec_dim": model.config.wordvec_dim,
                  "hidden_dim": hidden_dim, "vocab_size": model.vocab_size},
        "training": {"epochs": epochs, "batch_size": solver.batch_size, "update_rule": "adam",
                     "learning_rate": learning_rate, "lr_decay": lr_decay,
                     "iterations": len(solver.loss_history),
                     "loss_first": solver.loss_history[0], "loss_last": solver.loss_history[-1]},
        "world": {k: v for k, v in world.items() if k != "seconds"},
        "bleu": {k: bleu[k] for k in names},
        "bleu_first_reference": {k: first[k] for k in names},
        "layout_accuracy": layout,
        "exact_match": exact,
        "n_val_images": bleu["n_images"],
        "samples": [{"image": int(i), "generated": g, "references": r,
                     "layout_correct": bool(correct[k])}
                    for k, (i, g, r) in enumerate(zip(show, gen, refs, strict=True))],
        "timings_s": {**world["seconds"], "captioner": t1 - t0, "eval": t2 - t1,
                      "total": total},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "numpy": np.__version__},
        "files": {"captions_png": "captions.png", "loss_png": "loss.png",
                  "checkpoint": "checkpoint.npz", "data": "world"},
    }
    return summary
