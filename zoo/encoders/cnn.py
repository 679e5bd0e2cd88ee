"""A small CNN on minigrad that classifies the shapes world's 9 classes and gives image features.

Images (N, S, S, 3) uint8 are mean-pooled to `image_size` (32 by default), scaled to [-1, 1] and
fed to three conv3x3-ReLU-maxpool2 blocks, a fully connected ReLU layer of `feature_dim` units
(the features, like VGG's fc7) and a linear classifier. Trained on the class alone, those features
forget where things are; `EncoderConfig.aux_classes` adds one linear head per auxiliary task on
the same features (multi-task: the summed cross-entropy of all heads), e.g. SCENE_TASKS = the
large object's position/relation and the small object's class from `shapes.scene_targets`, so the
features carry the layout a caption must state. `encode_dataset` writes the features (and a PCA of
them fitted on train) in the COCO layout that `zoo.datasets.coco` reads.
"""
from __future__ import annotations

import dataclasses
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from minigrad import Tensor, no_grad
from minigrad import functional as F
from minigrad.errors import DTypeError, RangeError, ShapeError
from minigrad.nn import Conv2d, Linear, MaxPool2d, Module, load_npz, save_npz
from minigrad.optim import Adam
from zoo.datasets.shapes import (
    LAYOUTS,
    N_CLASSES,
    load_shapes_objects,
    load_shapes_split,
    scene_targets,
    write_features,
)

SCENE_TASKS: tuple[str, ...] = ("layout", "small")  # aux label columns, from scene_targets
SCENE_CLASSES: tuple[int, ...] = (len(LAYOUTS), N_CLASSES + 1)  # their class counts


@dataclass
class EncoderConfig:
    """Architecture and training settings; `channels` are the three conv blocks' widths.

    `aux_classes[k]` is the class count of auxiliary head k (trained on column k of aux_labels);
    SCENE_CLASSES pairs with scene_targets' ('layout', 'small').
    """

    image_size: int = 32
    channels: tuple[int, int, int] = (16, 32, 32)
    feature_dim: int = 128
    n_classes: int = N_CLASSES
    aux_classes: tuple[int, ...] = ()
    lr: float = 3e-3
    lr_decay: float = 0.9
    batch_size: int = 32
    dtype: str = "float32"


def preprocess(images: np.ndarray, image_size: int, dtype: Any = np.float32) -> np.ndarray:
    """uint8 (N, S, S, 3) -> (N, 3, s, s) in [-1, 1], mean-pooled by S // s (S % s must be 0)."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[3] != 3 or images.shape[1] != images.shape[2]:
        raise ShapeError(f"ShapesEncoder: images must be (N, S, S, 3), got {images.shape}")
    if images.dtype != np.uint8:
        raise DTypeError(f"ShapesEncoder: images must be uint8, got dtype {images.dtype}")
    N, S = images.shape[:2]
    if isinstance(image_size, bool) or not isinstance(image_size, (int, np.integer)) \
            or image_size < 1:
        raise RangeError(f"ShapesEncoder: image_size must be an int >= 1, got {image_size!r}")
    if S % image_size:
        raise ShapeError(f"ShapesEncoder: image side {S} must be a multiple of image_size "
                         f"{image_size}")
    f = S // image_size
    x = images.reshape(N, image_size, f, image_size, f, 3).mean(axis=(2, 4), dtype=np.float32)
    x = x.transpose(0, 3, 1, 2) * np.float32(2 / 255) - np.float32(1)  # (N, 3, s, s)
    return np.ascontiguousarray(x, dtype=dtype)


class ShapesEncoder(Module):
    """CNN classifier: images (N, S, S, 3) uint8 -> scores (N, n_classes); features (N, D)."""

    def __init__(self, config: EncoderConfig | None = None, seed: int = 0) -> None:
        super().__init__()
        self.config = cfg = config or EncoderConfig()
        if len(cfg.channels) != 3 or not all(
                isinstance(c, (int, np.integer)) and not isinstance(c, bool) and c >= 1
                for c in (*cfg.channels, cfg.feature_dim, cfg.n_classes, cfg.image_size)):
            raise RangeError(f"ShapesEncoder: channels must be 3 ints >= 1 and image_size, "
                             f"feature_dim, n_classes ints >= 1, got channels {cfg.channels}, "
                             f"image_size {cfg.image_size}, feature_dim {cfg.feature_dim}, "
                             f"n_classes {cfg.n_classes}")
        if cfg.image_size % 8:
            raise ShapeError(f"ShapesEncoder: image_size must be a multiple of 8, "
                             f"got {cfg.image_size}")
        dtype = np.dtype(cfg.dtype)
        rng = np.random.default_rng(seed)
        c1, c2, c3 = cfg.channels
        self.conv1 = Conv2d(3, c1, 3, pad=1, dtype=dtype, rng=rng)
        self.conv2 = Conv2d(c1, c2, 3, pad=1, dtype=dtype, rng=rng)
        self.conv3 = Conv2d(c2, c3, 3, pad=1, dtype=dtype, rng=rng)
        self.pool = MaxPool2d(2)
        self.fc = Linear(c3 * (cfg.image_size // 8) ** 2, cfg.feature_dim, dtype=dtype, rng=rng)
        self.head = Linear(cfg.feature_dim, cfg.n_classes, dtype=dtype, rng=rng)
        for k, n in enumerate(cfg.aux_classes):
            setattr(self, f"aux{k}", Linear(cfg.feature_dim, int(n), dtype=dtype, rng=rng))

    def _trunk(self, x: Any) -> Tensor:
        """(N, 3, s, s) preprocessed -> (N, D) features (post-ReLU)."""
        for conv in (self.conv1, self.conv2, self.conv3):
            x = self.pool(F.relu(conv(x)))
        return F.relu(self.fc(F.reshape(x, (x.shape[0], -1))))  # (N, D)

    def forward(self, x: Any) -> Tensor:
        """Preprocessed (N, 3, s, s) -> class scores (N, n_classes)."""
        return self.head(self._trunk(x))

    def heads(self, x: Any) -> list[Tensor]:
        """Preprocessed (N, 3, s, s) -> [class scores (N, n_classes), aux k scores (N, C_k)...]."""
        h = self._trunk(x)
        return [self.head(h)] + [getattr(self, f"aux{k}")(h)
                                 for k in range(len(self.config.aux_classes))]

    def prepare(self, images: np.ndarray) -> np.ndarray:
        """uint8 (N, S, S, 3) -> network input (N, 3, s, s) of the model's dtype."""
        return preprocess(images, self.config.image_size, self.conv1.weight.dtype)

    def loss(self, images: np.ndarray, labels: np.ndarray,
             aux_labels: np.ndarray | None = None) -> Tensor:
        """Mean softmax CE of uint8 images (N, S, S, 3) with labels (N,), plus each aux head's."""
        return self._loss(self.prepare(images), labels, aux_labels)[0]

    def _loss(self, x: Any, labels: np.ndarray,
              aux_labels: np.ndarray | None) -> tuple[Tensor, list[Tensor]]:
        scores = self.heads(x)
        loss = F.softmax_ce(scores[0], labels)
        for k, s in enumerate(scores[1:]):
            loss = loss + F.softmax_ce(s, _aux(aux_labels, self.config, len(labels))[:, k])
        return loss, scores

    @no_grad()
    def features(self, images: np.ndarray, batch_size: int = 500) -> np.ndarray:
        """uint8 (N, S, S, 3) -> (N, feature_dim) float32 penultimate activations."""
        out = [self._trunk(self.prepare(images[i:i + batch_size])).data
               for i in range(0, len(images), batch_size)]
        if not out:
            return np.zeros((0, self.config.feature_dim), np.float32)
        return np.concatenate(out).astype(np.float32, copy=False)  # (N, D)

    @no_grad()
    def predict(self, images: np.ndarray, batch_size: int = 500) -> np.ndarray:
        """uint8 (N, S, S, 3) -> predicted class ids (N,)."""
        out = [self(self.prepare(images[i:i + batch_size])).data.argmax(axis=1)
               for i in range(0, len(images), batch_size)]
        return np.concatenate(out) if out else np.zeros(0, np.int64)

    @no_grad()
    def predict_all(self, images: np.ndarray, batch_size: int = 500) -> np.ndarray:
        """uint8 (N, S, S, 3) -> predicted ids (N, 1 + K): the class, then each aux head's."""
        out = [np.stack([s.data.argmax(axis=1) for s in self.heads(self.prepare(
            images[i:i + batch_size]))], axis=1) for i in range(0, len(images), batch_size)]
        return np.concatenate(out) if out else np.zeros((0, 1 + len(self.config.aux_classes)),
                                                        np.int64)


def _aux(aux_labels: Any, cfg: EncoderConfig, n: int) -> np.ndarray:
    """Validate aux labels (n, K) against cfg.aux_classes; returns them as an int array."""
    K = len(cfg.aux_classes)
    if aux_labels is None:
        raise ShapeError(f"ShapesEncoder: aux_labels (N, {K}) are needed for aux_classes "
                         f"{cfg.aux_classes}, got None")
    a = np.asarray(aux_labels)
    if a.shape != (n, K) or not np.issubdtype(a.dtype, np.integer):
        raise ShapeError(f"ShapesEncoder: aux_labels must be int ({n}, {K}), got {a.dtype} "
                         f"{a.shape}")
    return a


def evaluate(encoder: ShapesEncoder, images: np.ndarray, labels: np.ndarray) -> float:
    """Classification accuracy in [0, 1] of `encoder` on uint8 images (N, S, S, 3), labels (N,)."""
    if len(images) != len(labels) or len(images) == 0:
        raise ShapeError(f"evaluate: need as many labels as images (> 0), got {len(images)} "
                         f"images and {len(labels)} labels")
    return float((encoder.predict(images) == np.asarray(labels)).mean())


def evaluate_tasks(encoder: ShapesEncoder, images: np.ndarray, labels: np.ndarray,
                   aux_labels: np.ndarray) -> list[float]:
    """Accuracy of every head [class, aux 0, ...] on uint8 images (N, S, S, 3), labels (N,)."""
    if len(images) != len(labels) or len(images) == 0:
        raise ShapeError(f"evaluate_tasks: need as many labels as images (> 0), got "
                         f"{len(images)} images and {len(labels)} labels")
    truth = np.column_stack([labels, _aux(aux_labels, encoder.config, len(labels))])
    return [float(a) for a in (encoder.predict_all(images) == truth).mean(axis=0)]


def train_encoder(images: np.ndarray, labels: np.ndarray, config: EncoderConfig | None = None,
                  epochs: int = 8, seed: int = 0, progress: bool = True,
                  val: tuple[np.ndarray, np.ndarray] | None = None,
                  time_limit: float | None = None, aux_labels: np.ndarray | None = None,
                  ) -> tuple[ShapesEncoder, dict[str, list]]:
    """Train with Adam on uint8 images (N, S, S, 3) and int labels (N,); returns (encoder, history).

    With `config.aux_classes` (K heads) it needs int `aux_labels` (N, K) and `val` may be
    (images, labels, aux_labels); the loss is the sum of the heads' cross-entropies.
    The lr is multiplied by `lr_decay` after each epoch; `time_limit` (seconds) stops early.
    history: 'loss' per step, 'train_acc' (running, per epoch), 'val_acc' per epoch if `val`,
    'val_task_acc' per epoch ([class, aux 0, ...] accuracies) if `val` has aux labels,
    'seconds' per epoch.
    """
    from tqdm.auto import tqdm

    cfg = config or EncoderConfig()
    labels = np.asarray(labels)
    if len(images) != len(labels) or len(images) == 0:
        raise ShapeError(f"train_encoder: need as many labels as images (> 0), got {len(images)} "
                         f"images and {len(labels)} labels")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise RangeError(f"train_encoder: epochs must be an int >= 1, got {epochs!r}")
    aux = _aux(aux_labels, cfg, len(labels)) if cfg.aux_classes else None
    encoder = ShapesEncoder(cfg, seed=seed)
    x_all = encoder.prepare(images)  # (N, 3, s, s)
    opt = Adam(encoder.parameters(), lr=cfg.lr)
    rng = np.random.default_rng(seed)
    history: dict[str, list] = {"loss": [], "train_acc": [], "val_acc": [], "val_task_acc": [],
                                "seconds": []}
    n, B = len(labels), cfg.batch_size
    steps = -(-n // B)
    show = progress and sys.stderr.isatty()
    start = time.perf_counter()
    for epoch in range(epochs):
        t0 = time.perf_counter()
        order = rng.permutation(n)
        correct = 0
        bar = tqdm(range(steps), desc=f"encoder epoch {epoch + 1}/{epochs}", disable=not show,
                   leave=False)
        for s in bar:
            idx = order[s * B:(s + 1) * B]
            loss, heads = encoder._loss(x_all[idx], labels[idx],
                                        None if aux is None else aux[idx])
            scores = heads[0]
            opt.zero_grad()
            loss.backward()
            opt.step()
            history["loss"].append(float(loss.item()))
            correct += int((scores.data.argmax(axis=1) == labels[idx]).sum())
            if show:
                bar.set_postfix(loss=f"{history['loss'][-1]:.3f}")
        history["train_acc"].append(correct / n)
        if val is not None:
            history["val_acc"].append(evaluate(encoder, *val[:2]))
            if len(val) > 2 and cfg.aux_classes:
                history["val_task_acc"].append(evaluate_tasks(encoder, *val))
        history["seconds"].append(time.perf_counter() - t0)
        opt.lr = opt.lr * cfg.lr_decay
        if time_limit is not None and time.perf_counter() - start > time_limit:
            break
    return encoder, history


def fit_pca(features: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and top-`dim` principal directions (D, dim) of features (N, D), by numpy SVD."""
    if np.ndim(features) != 2:
        raise ShapeError(f"fit_pca: features must be 2-D (N, D), got shape {np.shape(features)}")
    N, D = features.shape
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or not 1 <= dim <= min(N, D):
        raise RangeError(f"fit_pca: dim must be an int in [1, min(N, D) = {min(N, D)}], "
                         f"got {dim!r}")
    bad = int(features.size - np.isfinite(features).sum())
    if bad:
        raise RangeError(f"fit_pca: features must be finite, got {bad} NaN or inf values in "
                         f"{int((~np.isfinite(features).all(axis=1)).sum())} of {N} rows")
    x = features.astype(np.float64)
    mean = x.mean(axis=0)  # (D,)
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
    return mean, vt[:dim].T  # (D,), (D, dim)


def encode_dataset(base_dir: str | os.PathLike, encoder: ShapesEncoder,
                   pca_dim: int = 64) -> dict[str, Path]:
    """Write {train,val}2014_vgg16_fc7[_pca].h5 for a shapes dataset dir; PCA fitted on train."""
    feats = {s: encoder.features(load_shapes_split(base_dir, s)[0]) for s in ("train", "val")}
    mean, comps = fit_pca(feats["train"], pca_dim)
    paths = {}
    for s, f in feats.items():
        paths[s] = write_features(base_dir, s, f)
        proj = ((f - mean) @ comps).astype(np.float32)  # (N, pca_dim)
        paths[f"{s}_pca"] = write_features(base_dir, s, proj, pca=True)
    return paths


def save_encoder(encoder: ShapesEncoder, path: str | os.PathLike) -> None:
    """Write weights and config to one .npz atomically (temp file + os.replace, no pickle)."""
    arrays: dict[str, Any] = dict(encoder.state_dict())
    for k, val in dataclasses.asdict(encoder.config).items():
        arrays[f"config.{k}"] = np.asarray(val)
    save_npz(path, arrays)


def load_encoder(path: str | os.PathLike) -> ShapesEncoder:
    """Rebuild a ShapesEncoder from an .npz written by `save_encoder` (np.load, no pickle)."""
    arrays = load_npz(path)
    kw: dict[str, Any] = {}
    for field in dataclasses.fields(EncoderConfig):
        key = f"config.{field.name}"
        if key in arrays:
            a = arrays.pop(key)
            kw[field.name] = tuple(int(c) for c in a) if a.ndim else a.item()
    encoder = ShapesEncoder(EncoderConfig(**kw))
    encoder.load_state_dict(arrays)
    return encoder


def scene_aux_labels(objects: Any) -> np.ndarray:
    """`ShapesWorld.objects` of N images -> int64 (N, 2) aux labels for SCENE_TASKS."""
    targets = scene_targets(objects)
    return np.column_stack([targets[t] for t in SCENE_TASKS]).astype(np.int64)


def load_scene_aux_labels(base_dir: str | os.PathLike, split: str) -> np.ndarray:
    """SCENE_TASKS aux labels (N, 2) of a split written by `write_shapes_dataset`."""
    return scene_aux_labels(load_shapes_objects(base_dir, split))
