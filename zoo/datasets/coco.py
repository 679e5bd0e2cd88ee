"""Reader for the CS231n assignment-3 `coco_captioning` directory (captions, features, vocab, urls).

The directory is never downloaded here: place the files (e.g. from CS231n's `get_coco_dataset.sh`)
in `base_dir`, or write the built-in world there with `zoo.datasets.shapes.write_shapes_dataset`.
Image features stay on disk by default (`H5Features`, read per minibatch); `lazy_features=False`
loads them into memory as numpy arrays, like the course code.

Broken files give named errors that name the file: an empty, truncated or non-HDF5 `.h5` is a
`CocoFileError` (an OSError and a CocoDataError), a group where an array belongs, NaN or inf
features (with their count, checked on every read before any standardisation or PCA), train and
val features of different widths and text files that are not UTF-8 are `CocoDataError`s.

A url file holds one entry per image: a URL (`http://...`, `file://...`) is returned as is, any
other line is a path relative to the data directory (absolute paths work too) and is returned
as the `file://` URL of that file, so a directory can be moved without rewriting it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from .files import (
    GET_HINT,
    CocoDataError,
    CocoFileError,
    CocoFileNotFoundError,
    CocoKeyError,
    check_finite_features,
    h5_dataset,
    open_h5,
    read_text,
    resolve_url,
)
from .vocab import (
    CAPTION_LENGTH,
    VocabError,
    check_token_ids,
    validate_vocab,
)
from .vocab import (
    decode_captions as decode_captions,
)

CAPTIONS_FILE = "coco2014_captions.h5"
VOCAB_FILE = "coco2014_vocab.json"
SPLITS = ("train", "val")
CAPTION_KEYS = ("train_captions", "train_image_idxs", "val_captions", "val_image_idxs")
SeedLike = int | np.random.RandomState | np.random.Generator | None


def features_filename(split: str, pca: bool) -> str:
    """Name of the VGG16 fc7 feature file of a split, e.g. `train2014_vgg16_fc7_pca.h5`."""
    _check_split(split)
    return f"{split}2014_vgg16_fc7{'_pca' if pca else ''}.h5"


def urls_filename(split: str) -> str:
    """Name of the url list of a split, e.g. `val2014_urls.txt`."""
    _check_split(split)
    return f"{split}2014_urls.txt"


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def _require_file(base_dir: Path, name: str) -> Path:
    path = base_dir / name
    if not path.is_file():
        raise CocoFileNotFoundError(f"missing file {name!r} in {str(base_dir)!r}: {GET_HINT}")
    return path


class H5Features:
    """Lazy (Nimg, D) float view of an h5 `features` dataset; indexing returns numpy arrays.

    Accepts ints, slices and integer arrays in any order and with repeats (h5py itself needs
    sorted unique indices); the file is opened per read, so no handle stays open.
    """

    def __init__(self, path: str | os.PathLike, key: str = "features") -> None:
        self.path = Path(path)
        self.key = key
        with open_h5(self.path) as f:
            ds = h5_dataset(f, key, self.path)
            self.shape: tuple[int, ...] = tuple(ds.shape)
            self.dtype = ds.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        return f"H5Features({str(self.path)!r}, shape={self.shape}, dtype={self.dtype})"

    def load(self) -> np.ndarray:
        """Read the whole (Nimg, D) array into memory (NaN or inf: CocoDataError)."""
        with open_h5(self.path) as f:
            arr = np.asarray(h5_dataset(f, self.key, self.path))
        check_finite_features(self.path, arr)
        return arr

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        arr = self.load()
        return arr if dtype is None else arr.astype(dtype, copy=False)

    def __getitem__(self, index: Any) -> np.ndarray:
        rows, rest = (index[0], index[1:]) if isinstance(index, tuple) else (index, ())
        if isinstance(rows, (slice, int, np.integer)) or rows is Ellipsis:
            with open_h5(self.path) as f:
                out = np.asarray(h5_dataset(f, self.key, self.path)[index])
            if isinstance(rows, (int, np.integer)):  # one row, its first axis dropped
                check_finite_features(self.path, out.reshape(1, -1), [int(rows) % self.shape[0]])
            else:
                picked = None if rows is Ellipsis else np.arange(self.shape[0])[rows]
                check_finite_features(self.path, out, picked)
            return out
        idx = np.asarray(rows)
        if idx.dtype == bool:
            if idx.shape != (self.shape[0],):
                raise IndexError(
                    f"boolean index must have shape ({self.shape[0]},), got {idx.shape}"
                )
            idx = np.flatnonzero(idx)
        if idx.size and not np.issubdtype(idx.dtype, np.integer):
            raise IndexError(f"feature rows must be indexed by integers, got dtype {idx.dtype}")
        idx = idx.astype(np.int64)
        n = self.shape[0]
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise IndexError(
                f"feature row index out of range for {self.path.name} with {n} rows: "
                f"min {int(idx.min())}, max {int(idx.max())}"
            )
        idx = np.where(idx < 0, idx + n, idx)
        uniq, inverse = np.unique(idx.ravel(), return_inverse=True)
        with open_h5(self.path) as f:
            ds = h5_dataset(f, self.key, self.path)
            if uniq.size == 0:
                block = np.empty((0,) + self.shape[1:], dtype=self.dtype)
            elif uniq[-1] - uniq[0] + 1 <= 4 * uniq.size:
                block = ds[int(uniq[0]) : int(uniq[-1]) + 1][uniq - uniq[0]]
            else:
                block = ds[uniq]
        check_finite_features(self.path, block, uniq)
        out = block[inverse].reshape(idx.shape + self.shape[1:])
        return out[(slice(None),) * idx.ndim + tuple(rest)] if rest else out


def _read_captions(path: Path) -> dict[str, np.ndarray]:
    with open_h5(path) as f:
        missing = [k for k in CAPTION_KEYS if k not in f]
        if missing:
            raise CocoKeyError(
                f"{path.name}: missing dataset(s) {missing} (expected {list(CAPTION_KEYS)}, "
                f"found {sorted(f.keys())})"
            )
        return {k: np.asarray(h5_dataset(f, k, path)) for k in CAPTION_KEYS}


def _check_captions(name: str, caps: np.ndarray, idxs: np.ndarray, vocab_size: int) -> None:
    if (
        caps.ndim != 2
        or caps.shape[1] != CAPTION_LENGTH
        or not np.issubdtype(caps.dtype, np.integer)
    ):
        raise CocoDataError(
            f"{CAPTIONS_FILE}: {name}_captions must be an integer (N, {CAPTION_LENGTH}) array, "
            f"got {caps.dtype} {caps.shape}"
        )
    if idxs.ndim != 1 or not np.issubdtype(idxs.dtype, np.integer):
        raise CocoDataError(
            f"{CAPTIONS_FILE}: {name}_image_idxs must be an integer (N,) array, "
            f"got {idxs.dtype} {idxs.shape}"
        )
    if idxs.shape[0] != caps.shape[0]:
        raise CocoDataError(
            f"{CAPTIONS_FILE}: {name}_image_idxs has length {idxs.shape[0]} but {name}_captions "
            f"has {caps.shape[0]} rows; they must be equal"
        )
    try:
        check_token_ids(caps, vocab_size, f"{CAPTIONS_FILE}: {name}_captions")
    except VocabError as e:
        raise CocoDataError(str(e)) from None


def _read_vocab(path: Path) -> tuple[list[str], dict[str, int]]:
    try:
        obj = json.loads(read_text(path))
    except json.JSONDecodeError as e:
        raise CocoDataError(f"{path.name}: not valid JSON ({e})") from None
    if not isinstance(obj, dict):
        raise CocoDataError(f"{path.name}: expected a JSON object, got {type(obj).__name__}")
    for k in ("idx_to_word", "word_to_idx"):
        if k not in obj:
            raise CocoKeyError(
                f"{path.name}: missing key {k!r} (expected 'idx_to_word' and 'word_to_idx', "
                f"found {sorted(obj)})"
            )
    idx_to_word, word_to_idx = obj["idx_to_word"], obj["word_to_idx"]
    if not isinstance(idx_to_word, list) or not isinstance(word_to_idx, dict):
        raise CocoDataError(
            f"{path.name}: idx_to_word must be a list and word_to_idx an object, got "
            f"{type(idx_to_word).__name__} and {type(word_to_idx).__name__}"
        )
    validate_vocab(idx_to_word, word_to_idx, source=path.name)
    return idx_to_word, word_to_idx


def _read_urls(path: Path) -> np.ndarray:
    lines = [line.strip() for line in read_text(path).splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return np.asarray([resolve_url(line, path.parent) for line in lines])


def _load_features(path: Path, lazy: bool) -> H5Features | np.ndarray:
    feats = H5Features(path)
    if len(feats.shape) != 2 or not np.issubdtype(feats.dtype, np.floating):
        raise CocoDataError(
            f"{path.name}: dataset 'features' must be a float (Nimg, D) array, "
            f"got {feats.dtype} {feats.shape}"
        )
    return feats if lazy else feats.load()


def _check_widths(paths: dict[str, Path], feats: dict[str, Any]) -> None:
    widths = {s: int(f.shape[1]) for s, f in feats.items()}
    if len(set(widths.values())) > 1:
        raise CocoDataError(
            "train and val features must have the same width D: "
            + ", ".join(f"{paths[s].name} has D = {w}" for s, w in widths.items())
        )


def _check_seed(fn: str, seed: Any) -> None:
    """TypeError unless `seed` is None, an int >= 0, a numpy Generator or RandomState."""
    ok = seed is None or isinstance(seed, (np.random.Generator, np.random.RandomState)) or (
        isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and 0 <= seed < 2 ** 32)
    if not ok:
        raise TypeError(f"{fn}: seed must be None, an int in [0, 2**32), a numpy Generator or "
                        f"RandomState, got {seed!r:.60}")


def _rng_randint(seed: SeedLike, high: int, size: int) -> np.ndarray:
    _check_seed("load_coco_data", seed)
    if seed is None:
        return np.random.randint(high, size=size)
    if isinstance(seed, np.random.Generator):
        return seed.integers(high, size=size)
    rs = seed if isinstance(seed, np.random.RandomState) else np.random.RandomState(seed)
    return rs.randint(high, size=size)


def _rng_choice(seed: SeedLike, high: int, size: int) -> np.ndarray:
    _check_seed("sample_coco_minibatch", seed)
    if seed is None:
        return np.random.choice(high, size)
    if isinstance(seed, np.random.Generator):
        return seed.choice(high, size)
    rs = seed if isinstance(seed, np.random.RandomState) else np.random.RandomState(seed)
    return rs.choice(high, size)


def load_coco_data(
    base_dir: str | os.PathLike,
    max_train: int | None = None,
    pca_features: bool = True,
    seed: SeedLike = None,
    lazy_features: bool = True,
) -> dict[str, Any]:
    """Load and validate a CS231n coco_captioning directory into the course's dict.

    Keys: `train_captions`/`val_captions` int32 (N, 17), `train_image_idxs`/`val_image_idxs`
    (N,), `train_features`/`val_features` (Nimg, D) (an `H5Features` unless
    `lazy_features=False`), `idx_to_word` list (V,), `word_to_idx` dict, `train_urls`/`val_urls`
    str (Nimg,). `max_train` keeps that many training captions drawn with replacement as in
    CS231n; `seed=None` uses numpy's global RNG (so `np.random.seed(231)` before the call
    reproduces the course), an int uses `RandomState(seed)`, a Generator/RandomState is used as is.
    """
    base = Path(base_dir)
    if not base.is_dir():
        what = "is not a directory" if base.exists() else "does not exist"
        raise CocoFileNotFoundError(f"coco_captioning directory {str(base)!r} {what}: {GET_HINT}")
    caption_path = _require_file(base, CAPTIONS_FILE)
    vocab_path = _require_file(base, VOCAB_FILE)
    feat_paths = {s: _require_file(base, features_filename(s, pca_features)) for s in SPLITS}
    url_paths = {s: _require_file(base, urls_filename(s)) for s in SPLITS}

    data: dict[str, Any] = _read_captions(caption_path)
    idx_to_word, word_to_idx = _read_vocab(vocab_path)
    data["idx_to_word"], data["word_to_idx"] = idx_to_word, word_to_idx
    features = {s: _load_features(feat_paths[s], lazy_features) for s in SPLITS}
    _check_widths(feat_paths, features)
    for s in SPLITS:
        caps, idxs = data[f"{s}_captions"], data[f"{s}_image_idxs"]
        _check_captions(s, caps, idxs, len(idx_to_word))
        feats = features[s]
        urls = _read_urls(url_paths[s])
        n_img = feats.shape[0]
        if idxs.size and (int(idxs.min()) < 0 or int(idxs.max()) >= n_img):
            raise CocoDataError(
                f"{CAPTIONS_FILE}: {s}_image_idxs must lie in [0, {n_img}) = rows of "
                f"{feat_paths[s].name}, got min {int(idxs.min())}, max {int(idxs.max())}"
            )
        if urls.shape[0] != n_img:
            raise CocoDataError(
                f"{url_paths[s].name} has {urls.shape[0]} urls but {feat_paths[s].name} has "
                f"{n_img} feature rows; they must be equal (one url per image)"
            )
        data[f"{s}_features"], data[f"{s}_urls"] = feats, urls

    if max_train is not None:
        if (
            isinstance(max_train, bool)
            or not isinstance(max_train, (int, np.integer))
            or max_train < 0
        ):
            raise ValueError(f"max_train must be a non-negative int or None, got {max_train!r}")
        mask = _rng_randint(seed, data["train_captions"].shape[0], int(max_train))  # (max_train,)
        data["train_captions"] = data["train_captions"][mask]
        data["train_image_idxs"] = data["train_image_idxs"][mask]
    return data


def sample_coco_minibatch(
    data: dict[str, Any], batch_size: int = 100, split: str = "train", seed: SeedLike = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw N captions with replacement (CS231n): captions (N, 17), features (N, D), urls (N,).

    `seed` follows load_coco_data: None uses numpy's global RNG, an int a fresh RandomState,
    a Generator/RandomState is advanced in place.
    """
    _check_split(split)
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or batch_size < 1
    ):
        raise ValueError(
            f"sample_coco_minibatch: batch_size must be an int >= 1, got {batch_size!r}"
        )
    key = f"{split}_captions"
    missing = [
        k
        for k in (key, f"{split}_image_idxs", f"{split}_features", f"{split}_urls")
        if k not in data
    ]
    if missing:
        raise CocoKeyError(f"sample_coco_minibatch: data has no {missing} (keys: {sorted(data)})")
    split_size = data[key].shape[0]
    if split_size == 0:
        raise CocoDataError(f"sample_coco_minibatch: split {split!r} has no captions")
    mask = _rng_choice(seed, split_size, batch_size)  # (N,)
    captions = data[key][mask]
    image_idxs = data[f"{split}_image_idxs"][mask]
    image_features = data[f"{split}_features"][image_idxs]
    urls = data[f"{split}_urls"][image_idxs]
    return captions, image_features, urls


__all__ = [
    "CocoDataError",
    "CocoFileError",
    "CocoFileNotFoundError",
    "CocoKeyError",
    "H5Features",
    "decode_captions",
    "features_filename",
    "load_coco_data",
    "open_h5",
    "resolve_url",
    "sample_coco_minibatch",
    "urls_filename",
]
