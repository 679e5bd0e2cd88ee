"""The built-in world on disk: `write_shapes_dataset` writes it in the CS231n coco_captioning
layout (see coco.py) plus `shapes_images.h5` (images, masks, labels and the objects as JSON),
every file atomically; `write_features` adds an encoder's features; `load_shapes_split` and
`load_shapes_objects` read `shapes_images.h5` back with named errors.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from .coco import (
    CAPTIONS_FILE,
    VOCAB_FILE,
    CocoDataError,
    CocoFileNotFoundError,
    CocoKeyError,
    features_filename,
    urls_filename,
)
from .files import h5_dataset, open_h5
from .shapes_world import CLASS_NAMES, IMAGES_FILE, make_shapes, shapes_vocab
from .vocab import CAPTION_LENGTH, encode_captions


@contextlib.contextmanager
def _atomic_path(final: Path) -> Iterator[Path]:
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _write_text(path: Path, text: str) -> None:
    with _atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write(text)


def _write_pngs(images: np.ndarray, folder: Path) -> None:
    from PIL import Image

    for i, img in enumerate(images):
        with _atomic_path(folder / f"{i:05d}.png") as tmp:
            Image.fromarray(img).save(tmp, format="PNG", compress_level=1)


def write_features(
    base_dir: str | os.PathLike, split: str, features: np.ndarray, pca: bool = False
) -> Path:
    """Atomically write float32 (Nimg, D) as 'features' in `{split}2014_vgg16_fc7[_pca].h5`."""
    path = Path(base_dir) / features_filename(split, pca)
    feats = np.asarray(features)
    if feats.ndim != 2 or not np.issubdtype(feats.dtype, np.floating):
        raise CocoDataError(
            "write_features: features must be a float (Nimg, D) array, "
            f"got {feats.dtype} {feats.shape}"
        )
    if not np.isfinite(feats).all():
        raise CocoDataError(f"write_features: features for {path.name} contain NaN or inf")
    images_path = Path(base_dir) / IMAGES_FILE
    if images_path.is_file():
        with open_h5(images_path) as f:
            key = f"{split}_labels"
            if key in f and h5_dataset(f, key, images_path).shape[0] != feats.shape[0]:
                raise CocoDataError(
                    f"write_features: {path.name} needs one row per {split} image: {IMAGES_FILE} "
                    f"has {f[key].shape[0]} images, got features {feats.shape}"
                )
    with _atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.create_dataset("features", data=feats.astype(np.float32, copy=False))
    return path


def write_shapes_dataset(
    base_dir: str | os.PathLike,
    n_train: int = 4000,
    n_val: int = 500,
    seed: int = 0,
    image_size: int = 64,
    write_pngs: bool = True,
) -> dict[str, Any]:
    """Write the world in the coco_captioning layout (no feature files) plus `shapes_images.h5`.

    train = make_shapes(n_train, seed), val = make_shapes(n_val, (seed, 1)). Returns a dict with
    `base_dir`, `files`, `idx_to_word`, `word_to_idx`, `n_train`, `n_val`, `n_train_captions`,
    `n_val_captions` and the generated `train` / `val` ShapesWorld objects.
    """
    base = Path(base_dir)
    if base.exists() and not base.is_dir():
        raise NotADirectoryError(f"write_shapes_dataset: {base} is a file, expected a folder")
    base.mkdir(parents=True, exist_ok=True)
    worlds = {
        "train": make_shapes(n_train, seed, image_size),
        "val": make_shapes(n_val, (seed, 1), image_size),
    }
    idx_to_word, word_to_idx = shapes_vocab()
    out: dict[str, Any] = {
        "base_dir": str(base),
        "idx_to_word": idx_to_word,
        "word_to_idx": word_to_idx,
    }
    files: list[str] = []

    images_path = base / IMAGES_FILE
    with _atomic_path(images_path) as tmp, h5py.File(tmp, "w") as f:
        for split, w in worlds.items():
            f.create_dataset(f"{split}_images", data=w.images)
            f.create_dataset(f"{split}_masks", data=w.masks)
            f.create_dataset(f"{split}_labels", data=w.labels)
            f.create_dataset(f"{split}_objects", data=json.dumps(w.objects))
        f.attrs["seed"] = seed
        f.attrs["image_size"] = image_size
        f.attrs["class_names"] = json.dumps(list(CLASS_NAMES))
    files.append(str(images_path))

    caption_arrays: dict[str, np.ndarray] = {}
    for split, w in worlds.items():
        refs = [c for caps in w.captions for c in caps]
        longest = max((len(c.split()) for c in refs), default=0)
        if longest > CAPTION_LENGTH - 2:
            raise CocoDataError(
                f"write_shapes_dataset: a caption has {longest} words, max is {CAPTION_LENGTH - 2}"
            )
        caption_arrays[f"{split}_captions"] = encode_captions(refs, word_to_idx)  # (Ncap, 17)
        caption_arrays[f"{split}_image_idxs"] = np.repeat(
            np.arange(len(w), dtype=np.int32), [len(c) for c in w.captions]
        )  # (Ncap,)
        if write_pngs:
            _write_pngs(w.images, base / "images" / split)
        # paths relative to the data directory (load_coco_data resolves them to file:// URLs)
        urls = [f"images/{split}/{i:05d}.png" for i in range(len(w))]
        url_path = base / urls_filename(split)
        _write_text(url_path, "".join(u + "\n" for u in urls))
        files.append(str(url_path))
        out[f"n_{split}"] = len(w)
        out[f"n_{split}_captions"] = int(caption_arrays[f"{split}_captions"].shape[0])
        out[split] = w

    vocab_path = base / VOCAB_FILE
    _write_text(vocab_path, json.dumps({"idx_to_word": idx_to_word, "word_to_idx": word_to_idx}))
    captions_path = base / CAPTIONS_FILE
    with _atomic_path(captions_path) as tmp, h5py.File(tmp, "w") as f:
        for k, v in caption_arrays.items():
            f.create_dataset(k, data=v)
    files += [str(vocab_path), str(captions_path)]
    out["files"] = files
    return out


def _images_file(base_dir: str | os.PathLike, split: str, fn: str) -> Path:
    """Path of shapes_images.h5 in base_dir, after checking `split` and that the file exists."""
    if split not in ("train", "val"):
        raise ValueError(f"{fn}: split must be 'train' or 'val', got {split!r}")
    path = Path(base_dir) / IMAGES_FILE
    if not path.is_file():
        raise CocoFileNotFoundError(
            f"missing file {IMAGES_FILE!r} in {str(Path(base_dir))!r}: write it with "
            "zoo.datasets.shapes.write_shapes_dataset(base_dir)"
        )
    return path


def load_shapes_split(
    base_dir: str | os.PathLike, split: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read a split of shapes_images.h5: images (N, S, S, 3) uint8, masks (N, S, S), labels (N,)."""
    path = _images_file(base_dir, split, "load_shapes_split")
    keys = [f"{split}_images", f"{split}_masks", f"{split}_labels"]
    with open_h5(path) as f:
        missing = [k for k in keys if k not in f]
        if missing:
            raise CocoKeyError(
                f"{IMAGES_FILE}: missing dataset(s) {missing} (found {sorted(f.keys())})"
            )
        images, masks, labels = (np.asarray(h5_dataset(f, k, path)) for k in keys)
    return images, masks.astype(bool, copy=False), labels.astype(np.int64, copy=False)


def load_shapes_objects(base_dir: str | os.PathLike, split: str) -> list[list[dict[str, Any]]]:
    """Read a split's `ShapesWorld.objects` (one list of object dicts per image) back from disk."""
    path = _images_file(base_dir, split, "load_shapes_objects")
    key = f"{split}_objects"
    with open_h5(path) as f:
        if key not in f:
            raise CocoKeyError(f"{IMAGES_FILE}: missing dataset {key!r} (found {sorted(f.keys())})")
        raw = h5_dataset(f, key, path)[()]
    try:
        return json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CocoDataError(f"{path}: {key!r} is not UTF-8 JSON ({e})") from None


__all__ = ["load_shapes_objects", "load_shapes_split", "write_features", "write_shapes_dataset"]
