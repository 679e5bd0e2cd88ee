"""The end-to-end captioning demo on the built-in world (what `make demo` runs first).

World (4000 train / 500 val images, every reference caption stating the position or relation)
-> CNN encoder trained multi-task (class, layout = the large object's position or relation,
small object's class) -> its fc features written under the COCO file names (`*_vgg16_fc7.h5`,
so every COCO loader reads them) -> an LSTM captioner (and, when asked, a Transformer on the
same features) trained with the CS231n solver, epoch by epoch with the validation loss after
each -> greedy captions, corpus BLEU-1..4 on val against all references (and against the first
alone), the fraction of val captions that state the correct layout (checked against the scene's
objects, not the model), figures, caption thumbnails and a JSON summary. Every path the demo
writes into its summary is relative to its output folder.
"""
from __future__ import annotations

import contextlib
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from zoo.captioning.layout import exact_match, layout_accuracy, layout_correct
from zoo.captioning.metrics import corpus_bleu_scores, evaluate_bleu
from zoo.captioning.model import CaptioningRNN
from zoo.captioning.train import CaptioningSolver

DEMO_COMMAND = "python -m zoo.captioning demo --out runs/demo"
ENCODER_EPOCHS = 12  # the demo's multi-task encoder epochs (small-object class still improving)
BLEU_NAMES = ("bleu1", "bleu2", "bleu3", "bleu4")
# The Transformer `make demo` trains next to the LSTM (measured to reach val BLEU-4 >= 0.9 on
# the world in 4 epochs, ~10 s each on 2 cores; dropout 0 since 16k consistent captions do not
# overfit in 4 epochs and the masks cost ~8% per iteration).
TRANSFORMER_SETTINGS = {"wordvec_dim": 64, "num_heads": 4, "num_layers": 2, "max_length": 50,
                        "dim_feedforward": 128, "dropout": 0.0, "learning_rate": 3e-3,
                        "lr_decay": 0.9, "batch_size": 50, "epochs": 4}
__all__ = ["run_demo", "make_world", "load_data", "build_captioner",
           "caption_loss", "train_by_epoch", "train_and_evaluate", "evaluate_captions",
           "choose_samples", "TRANSFORMER_SETTINGS",
           "blas_threads", "layout_correct", "layout_accuracy", "exact_match"]


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


def build_captioner(data: dict[str, Any], model: str = "lstm", seed: int = 0,
                    **sizes: Any) -> Any:
    """A new captioner for `data`: 'rnn'/'lstm' (CaptioningRNN: hidden_dim, wordvec_dim) or
    'transformer' (CaptioningTransformer: wordvec_dim, num_heads, num_layers, dim_feedforward,
    dropout, max_length)."""
    D = int(np.asarray(data["train_features"]).shape[1])
    if model in ("rnn", "lstm"):
        return CaptioningRNN(data["word_to_idx"], input_dim=D, cell_type=model, seed=seed,
                             **sizes)
    if model == "transformer":
        from zoo.captioning.transformer import CaptioningTransformer

        return CaptioningTransformer(data["word_to_idx"], input_dim=D, seed=seed, **sizes)
    raise ValueError(f"build_captioner: model must be 'rnn', 'lstm' or 'transformer', "
                     f"got {model!r}")


def caption_loss(model: Any, data: dict[str, Any], split: str = "val",
                 batch_size: int = 500) -> float:
    """The training loss (summed word cross-entropy / N) over every caption of `split`, in eval
    mode (no dropout), without recording gradients: a float comparable to `loss_history`."""
    from minigrad import no_grad

    caps = np.asarray(data[f"{split}_captions"])  # (M, T+1)
    idx = np.asarray(data[f"{split}_image_idxs"])  # (M,)
    feats = np.asarray(data[f"{split}_features"])  # (Nimg, D)
    mode = model.training
    model.eval()
    total = 0.0
    try:
        with no_grad():
            for i in range(0, len(caps), batch_size):
                c = caps[i:i + batch_size]
                total += float(model.loss(feats[idx[i:i + batch_size]], c).item()) * len(c)
    finally:
        model.train(mode)
    return total / max(len(caps), 1)


def train_by_epoch(solver: CaptioningSolver, data: dict[str, Any],
                   split: str = "val") -> list[float]:
    """Train `solver` to its `num_epochs` one epoch at a time, returning the `split` loss after
    each epoch. The updates are those of one `solver.train()` call: its minibatch t depends only
    on (seed, t) and the learning rate decays inside `train` at each epoch's end."""
    target, losses = solver.num_epochs, []
    try:
        for epoch in range(solver.epoch + 1, target + 1):
            solver.num_epochs = epoch
            solver.train()
            losses.append(caption_loss(solver.model, data, split))
    finally:
        solver.num_epochs = target
    return losses


def evaluate_captions(model: Any, data: dict[str, Any],
                      objects: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """Greedy val captions: BLEU (all references, first alone), layout accuracy (overall, one
    object, two objects), exact match, and per image the caption, references and verdict."""
    bleu = evaluate_bleu(model, data, "val")
    first = corpus_bleu_scores(bleu["hypotheses"], [r[:1] for r in bleu["references"]])
    scenes = [objects[int(i)] for i in bleu["images"]]
    gen = [" ".join(h) for h in bleu["hypotheses"]]
    refs = [[" ".join(r) for r in rs] for rs in bleu["references"]]
    pairs = np.array([len(o) == 2 for o in scenes])
    correct = np.array([layout_correct(c, o) for c, o in zip(gen, scenes, strict=True)])
    layout = {"all": float(correct.mean()),
              "one_object": float(correct[~pairs].mean()) if (~pairs).any() else None,
              "two_objects": float(correct[pairs].mean()) if pairs.any() else None,
              "n_one_object": int((~pairs).sum()), "n_two_objects": int(pairs.sum())}
    return {"bleu": {k: bleu[k] for k in BLEU_NAMES},
            "bleu_first_reference": {k: first[k] for k in BLEU_NAMES},
            "layout_accuracy": layout, "exact_match": exact_match(gen, refs),
            "n_images": bleu["n_images"], "images": [int(i) for i in bleu["images"]],
            "generated": gen, "references": refs, "correct": correct}


def choose_samples(correct: np.ndarray, n_show: int, failure_share: float = 0.375) -> list[int]:
    """Positions (ascending) of `n_show` captions to show: the first failures (about
    `failure_share` of them, at least one when there is one) and the first successes."""
    bad = [int(i) for i in np.flatnonzero(~correct)]
    good = [int(i) for i in np.flatnonzero(correct)]
    n_bad = min(len(bad), max(1 if bad else 0, round(failure_share * n_show)))
    n_good = min(len(good), n_show - n_bad)
    n_bad = min(len(bad), n_show - n_good)
    return sorted(bad[:n_bad] + good[:n_good])


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


TRAIN_KEYS = ("learning_rate", "lr_decay", "batch_size", "epochs")


def train_and_evaluate(data: dict[str, Any], objects: list[list[dict[str, Any]]], model: str,
                       settings: dict[str, Any], seed: int = 0,
                       verbose: bool = True) -> tuple[CaptioningSolver, dict[str, Any]]:
    """Train one captioner (`settings`: sizes for `build_captioner` plus TRAIN_KEYS) with Adam,
    epoch by epoch, and evaluate it; returns its solver and a JSON-ready result."""
    sizes = {k: v for k, v in settings.items() if k not in TRAIN_KEYS}
    captioner = build_captioner(data, model, seed, **sizes)
    solver = CaptioningSolver(captioner, data, update_rule="adam",
                              optim_config={"learning_rate": settings["learning_rate"]},
                              lr_decay=settings["lr_decay"], batch_size=settings["batch_size"],
                              num_epochs=settings["epochs"], print_every=200, verbose=verbose,
                              seed=seed)
    val_loss = train_by_epoch(solver, data)
    t0 = time.perf_counter()
    ev = evaluate_captions(captioner, data, objects)
    loss, ipe = np.asarray(solver.loss_history), solver.iterations_per_epoch
    result = {
        "model": model, "settings": dict(settings),
        "parameters": int(sum(p.data.size for p in captioner.parameters())),
        "iterations": len(solver.loss_history), "iterations_per_epoch": ipe,
        "loss_first": float(loss[0]), "loss_last": float(loss[-1]),
        "train_loss_per_epoch": [float(loss[e * ipe:(e + 1) * ipe].mean())
                                 for e in range(len(val_loss))],
        "val_loss_per_epoch": val_loss, "epoch_seconds": list(solver.epoch_seconds),
        "train_seconds": float(sum(solver.epoch_seconds)),
        "eval_seconds": time.perf_counter() - t0, **ev}
    if verbose:
        print(f"{model}: {result['parameters']:,} parameters, {result['iterations']} iterations "
              f"in {result['train_seconds']:.1f}s, loss {loss[0]:.3f} -> {loss[-1]:.3f}, val "
              f"loss per epoch " + " ".join(f"{v:.3f}" for v in val_loss))
        print(f"{model}: val corpus BLEU-1..4 against all references ({ev['n_images']} images): "
              + "  ".join(f"{ev['bleu'][k]:.4f}" for k in BLEU_NAMES)
              + "; against the first (canonical) reference only: "
              + "  ".join(f"{ev['bleu_first_reference'][k]:.4f}" for k in BLEU_NAMES))
        lay = ev["layout_accuracy"]
        print(f"{model}: val captions stating the true position/relation (checked on the "
              f"scene's objects): {lay['all']:.3f} (one object {_fmt(lay['one_object'])}, two "
              f"objects {_fmt(lay['two_objects'])}); equal to a reference: "
              f"{ev['exact_match']:.3f}")
    return solver, result


def run_demo(out: str | os.PathLike = "runs/demo", seed: int = 0, n_train: int = 4000,
             n_val: int = 500, encoder_epochs: int = ENCODER_EPOCHS, epochs: int = 5,
             cell_type: str = "lstm", hidden_dim: int = 128, n_show: int = 8, wordvec_dim: int = 64,
             learning_rate: float = 5e-3, lr_decay: float = 0.9, batch_size: int = 50,
             verbose: bool = True, n_blas_threads: int | None = 1,
             transformer: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the whole demo into `out`; returns (and writes as captioning.json) the summary.

    `transformer`: settings of a CaptioningTransformer (sizes and TRAIN_KEYS) trained on the
    same features and compared with the RNN in `summary['comparison']`; None skips it.
    """
    rnn = {"hidden_dim": hidden_dim, "wordvec_dim": wordvec_dim, "learning_rate": learning_rate,
           "lr_decay": lr_decay, "batch_size": batch_size, "epochs": epochs}
    with blas_threads(n_blas_threads):
        summary = _run_demo(Path(out), seed, n_train, n_val, encoder_epochs, cell_type, rnn,
                            transformer, n_show, verbose)
    summary["machine"]["blas_threads"] = n_blas_threads
    _write_json(Path(out) / "captioning.json", summary)
    if verbose:
        print(f"wrote {Path(out) / 'captioning.json'} and its figures "
              f"(total {summary['timings_s']['total']:.1f}s)")
    return summary


def _write_json(path: Path, obj: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(obj, indent=2) + "\n")
    os.replace(tmp, path)


_PER_IMAGE = ("images", "generated", "references", "correct")


def _run_demo(out: Path, seed: int, n_train: int, n_val: int, encoder_epochs: int,
              cell_type: str, rnn: dict[str, Any], transformer: dict[str, Any] | None,
              n_show: int, verbose: bool) -> dict[str, Any]:
    from zoo.captioning.figures import plot_loss_curve, save_thumbnail
    from zoo.datasets.shapes import load_shapes_objects, load_shapes_split

    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    world = make_world(out / "world", n_train, n_val, seed, encoder_epochs, verbose)
    data = load_data(out / "world")
    objects = load_shapes_objects(out / "world", "val")
    t0 = time.perf_counter()
    solver, res = train_and_evaluate(data, objects, cell_type, rnn, seed, verbose)
    t1 = time.perf_counter()
    files: dict[str, Any] = {"loss_png": "loss.png", "checkpoint": "checkpoint.npz",
                             "data": "world"}
    solver.save_checkpoint(out / files["checkpoint"])
    plot_loss_curve(solver.loss_history, out / files["loss_png"], solver.iterations_per_epoch,
                    res["val_loss_per_epoch"], title=f"{cell_type.upper()} captioner loss")
    comparison = {cell_type: {k: v for k, v in res.items() if k not in _PER_IMAGE}}
    other = None
    if transformer is not None:
        tsolver, other = train_and_evaluate(data, objects, "transformer", transformer, seed,
                                            verbose)
        files["transformer_loss_png"] = "loss_transformer.png"
        files["transformer_checkpoint"] = "checkpoint_transformer.npz"
        tsolver.save_checkpoint(out / files["transformer_checkpoint"])
        plot_loss_curve(tsolver.loss_history, out / files["transformer_loss_png"],
                        tsolver.iterations_per_epoch, other["val_loss_per_epoch"],
                        title="Transformer captioner loss")
        comparison["transformer"] = {k: v for k, v in other.items() if k not in _PER_IMAGE}
    t2 = time.perf_counter()

    images = load_shapes_split(out / "world", "val")[0]  # (n_val, S, S, 3) uint8
    samples = []
    for k in choose_samples(res["correct"], n_show):
        i = res["images"][k]
        thumb = f"samples/val_{i:05d}.png"
        save_thumbnail(images[i], out / thumb)
        s = {"image": i, "thumbnail": thumb, "generated": res["generated"][k],
             "references": res["references"][k], "layout_correct": bool(res["correct"][k]),
             "objects": len(objects[i])}
        if other is not None:
            s["transformer"] = {"generated": other["generated"][k],
                                "layout_correct": bool(other["correct"][k])}
        samples.append(s)
    attention = None
    if other is not None:
        attention = _attention(tsolver.model, data, samples, out / "attention.png")
        files["attention_png"] = "attention.png"
    total = time.perf_counter() - start
    if verbose:
        for s in samples:
            print(f"  val image {s['image']:3d} ({'ok' if s['layout_correct'] else 'WRONG'})  "
                  f"generated: {s['generated']!r}\n                 references: "
                  + " | ".join(s["references"]))
    return {
        "command": DEMO_COMMAND, "seed": seed, "cell_type": cell_type,
        "model": {"input_dim": solver.model.config.input_dim,
                  "wordvec_dim": solver.model.config.wordvec_dim,
                  "hidden_dim": rnn["hidden_dim"], "vocab_size": solver.model.vocab_size,
                  "parameters": res["parameters"]},
        "training": {"epochs": rnn["epochs"], "batch_size": solver.batch_size,
                     "update_rule": "adam", "learning_rate": rnn["learning_rate"],
                     "lr_decay": rnn["lr_decay"], "iterations": res["iterations"],
                     "iterations_per_epoch": res["iterations_per_epoch"],
                     "n_train_captions": solver.num_train,
                     "n_val_captions": int(len(data["val_captions"])),
                     "loss_first": res["loss_first"], "loss_last": res["loss_last"],
                     "train_loss_per_epoch": res["train_loss_per_epoch"],
                     "val_loss_per_epoch": res["val_loss_per_epoch"]},
        "world": {k: v for k, v in world.items() if k != "seconds"},
        "bleu": res["bleu"], "bleu_first_reference": res["bleu_first_reference"],
        "layout_accuracy": res["layout_accuracy"], "exact_match": res["exact_match"],
        "n_val_images": res["n_images"], "samples": samples, "comparison": comparison,
        "attention": attention,
        "timings_s": {**world["seconds"], "captioner": res["train_seconds"],
                      "captioner_and_eval": t1 - t0, "comparison_models": t2 - t1,
                      "total": total},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "numpy": np.__version__},
        "files": files,
    }


def _attention(model: Any, data: dict[str, Any], samples: list[dict[str, Any]],
               path: Path) -> dict[str, Any]:
    """Self-attention heatmap of the Transformer's own caption of one shown val image (the
    first with two objects, else the first): <START> + its words as the decoder input."""
    from zoo.captioning.figures import attention_figure

    s = next((s for s in samples if s["objects"] == 2), samples[0])
    words = ["<START>", *s["transformer"]["generated"].split()]
    ids = np.array([[data["word_to_idx"][w] for w in words]])  # (1, T)
    feats = np.asarray(data["val_features"])[[s["image"]]]  # (1, D)
    maps = model.self_attention_maps(feats, ids)[:, 0]  # (L, heads, T, T)
    attention_figure(maps, words, path, title=f"val image {s['image']}: self-attention")
    return {"png": path.name, "image": s["image"], "tokens": words,
            "layers": int(maps.shape[0]), "heads": int(maps.shape[1])}
