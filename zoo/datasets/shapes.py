"""The built-in world: seeded RGB images of coloured shapes with masks, class labels and captions.

Each image holds one LARGE labelled object (radius 0.22-0.30 S) and, half the time, one SMALL
object (radius 0.08-0.11 S) of a different colour-shape class that never overlaps it. The class
index is `colour_index * 3 + shape_index` over CLASS_COLOURS x CLASS_SHAPES. Every image has four
reference captions from fixed templates and EVERY one states the layout: the position of a lone
object ("a large red circle on the left", "a red circle on the left", "a large red circle on the
left of the image", "a red circle on the left of the image") or the relation of a pair ("a large
red circle below a small blue square", "a small blue square above a large red circle", "a red
circle below a blue square", "a blue square above a red circle"); the first is the canonical
one. `scene_targets` turns the objects into per-image labels (layout, small class) for training an
encoder whose features keep the layout. `write_shapes_dataset` writes the world in the CS231n
coco_captioning layout (see coco.py) plus the objects as JSON in shapes_images.h5.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
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
from .vocab import CAPTION_LENGTH, build_vocab, encode_captions

CLASS_SHAPES: tuple[str, ...] = ("circle", "square", "triangle")
CLASS_COLOURS: tuple[str, ...] = ("red", "green", "blue")
CLASS_NAMES: tuple[str, ...] = tuple(f"{c} {s}" for c in CLASS_COLOURS for s in CLASS_SHAPES)
N_CLASSES = len(CLASS_NAMES)
COLOUR_RGB: dict[str, tuple[int, int, int]] = {
    "red": (215, 45, 45),
    "green": (45, 165, 60),
    "blue": (50, 80, 215),
}
POSITIONS: tuple[str, ...] = ("centre", "left", "right", "top", "bottom")
POSITION_PHRASES: dict[str, str] = {
    "centre": "in the centre",
    "left": "on the left",
    "right": "on the right",
    "top": "at the top",
    "bottom": "at the bottom",
}
RELATIONS: tuple[str, ...] = ("above", "below", "left", "right")
RELATION_PHRASES: dict[str, str] = {
    "above": "above",
    "below": "below",
    "left": "to the left of",
    "right": "to the right of",
}
INVERSE_RELATION: dict[str, str] = {
    "above": "below",
    "below": "above",
    "left": "right",
    "right": "left",
}
LAYOUTS: tuple[str, ...] = POSITIONS + RELATIONS  # scene_targets' 'layout' label names
NO_SMALL = N_CLASSES  # scene_targets' 'small' label of an image with one object
IMAGES_FILE = "shapes_images.h5"
LARGE_RADIUS = (0.22, 0.30)
SMALL_RADIUS = (0.08, 0.11)
NOISE_STD = 4.0


def class_name(k: int) -> str:
    """Name 'colour shape' of class k in [0, 9), e.g. class_name(0) == 'red circle'."""
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) \
            or not 0 <= k < N_CLASSES:
        raise ValueError(f"class_name: class index must be an int in [0, {N_CLASSES}), "
                         f"got {k!r}")
    return CLASS_NAMES[int(k)]


def class_index(colour: str, shape: str) -> int:
    """Class index colour_index * 3 + shape_index of a colour and a shape name."""
    if colour not in CLASS_COLOURS or shape not in CLASS_SHAPES:
        raise ValueError(f"class_index: colour must be one of {CLASS_COLOURS} and shape one of "
                         f"{CLASS_SHAPES}, got {colour!r} and {shape!r}")
    return CLASS_COLOURS.index(colour) * len(CLASS_SHAPES) + CLASS_SHAPES.index(shape)


@dataclass
class ShapesWorld:
    """n images (n, S, S, 3) uint8, masks (n, S, S) bool, labels (n,) int64, captions, objects."""

    images: np.ndarray
    masks: np.ndarray
    labels: np.ndarray
    captions: list[list[str]]
    objects: list[list[dict[str, Any]]]
    seed: Any = None
    image_size: int = 64
    class_names: tuple[str, ...] = field(default=CLASS_NAMES)

    def __len__(self) -> int:
        return int(self.labels.shape[0])


def _half_extents(shape: str, r: float) -> tuple[float, float]:
    if shape == "circle":
        return r, r
    if shape == "square":
        return 0.886 * r, 0.886 * r
    return 1.0825 * r, 0.9375 * r


def _captions(large: str, small: str | None, where: str) -> list[str]:
    """Four references, each stating the layout: `where` is the lone object's position or the
    small object's relation to the large one."""
    if small is None:
        pos = POSITION_PHRASES[where]
        return [f"a large {large} {pos}", f"a {large} {pos}",
                f"a large {large} {pos} of the image", f"a {large} {pos} of the image"]
    big_rel, small_rel = RELATION_PHRASES[INVERSE_RELATION[where]], RELATION_PHRASES[where]
    return [
        f"a large {large} {big_rel} a small {small}",
        f"a small {small} {small_rel} a large {large}",
        f"a {large} {big_rel} a {small}",
        f"a {small} {small_rel} a {large}",
    ]


def scene_targets(objects: Sequence[Sequence[dict[str, Any]]]) -> dict[str, np.ndarray]:
    """Per-image labels from `ShapesWorld.objects`: 'layout' (n,) and 'small' (n,) int64.

    layout is LAYOUTS.index of the large object's position (lone object) or of its relation to
    the small object (pair); small is the small object's class, or NO_SMALL when there is none.
    """
    layout = np.empty(len(objects), dtype=np.int64)
    small = np.full(len(objects), NO_SMALL, dtype=np.int64)
    for i, objs in enumerate(objects):
        big = objs[0]
        if len(objs) == 1:
            layout[i] = LAYOUTS.index(big["position"])
        else:
            layout[i] = len(POSITIONS) + RELATIONS.index(big["relation"])
            small[i] = int(objs[1]["class"])
    return {"layout": layout, "small": small}


def _place_single(
    S: float, hw: float, hh: float, pos: str, j: np.ndarray, m: float
) -> tuple[float, float]:
    cx, cy = S / 2 + 0.05 * S * j[0], S / 2 + 0.05 * S * j[1]
    if pos == "centre":
        cx, cy = S / 2 + 0.02 * S * j[0], S / 2 + 0.02 * S * j[1]
    elif pos == "left":
        cx = hw + m
    elif pos == "right":
        cx = S - hw - m
    elif pos == "top":
        cy = hh + m
    else:
        cy = S - hh - m
    return cx, cy


def _clamp(x: float, lo: float, hi: float) -> float:
    return float(min(max(x, lo), hi))


def _place_pair(
    S: float,
    ext_l: tuple[float, float],
    ext_s: tuple[float, float],
    rel: str,
    j: np.ndarray,
    m: float,
    gap: float,
) -> tuple[float, float, float, float]:
    (hwl, hhl), (hws, hhs) = ext_l, ext_s
    vertical = rel in ("above", "below")
    if vertical:
        cxl = _clamp(S / 2 + 0.08 * S * j[0], hwl + 1, S - hwl - 1)
        cyl = S - hhl - m if rel == "above" else hhl + m
        cys = cyl - hhl - gap - hhs if rel == "above" else cyl + hhl + gap + hhs
        cxs = _clamp(cxl + 0.5 * hwl * j[2], hws + 1, S - hws - 1)
    else:
        cyl = _clamp(S / 2 + 0.08 * S * j[1], hhl + 1, S - hhl - 1)
        cxl = S - hwl - m if rel == "left" else hwl + m
        cxs = cxl - hwl - gap - hws if rel == "left" else cxl + hwl + gap + hws
        cys = _clamp(cyl + 0.5 * hhl * j[2], hhs + 1, S - hhs - 1)
    return cxl, cyl, cxs, cys


def _draw(
    shape_ids: np.ndarray, cx: np.ndarray, cy: np.ndarray, hw: np.ndarray, hh: np.ndarray, S: int
) -> np.ndarray:
    """Rasterise B shapes (pixel centres inside) into a (B, S, S) bool mask."""
    g = np.arange(S, dtype=np.float32) + 0.5
    X, Y = g[None, None, :], g[None, :, None]  # (1, 1, S), (1, S, 1)
    cx, cy, hw, hh = (a.astype(np.float32)[:, None, None] for a in (cx, cy, hw, hh))
    dx, dy = X - cx, Y - cy  # (B, 1, S), (B, S, 1)
    circle = (dx / hw) ** 2 + (dy / hh) ** 2 <= 1.0
    square = (np.abs(dx) <= hw) & (np.abs(dy) <= hh)
    triangle = (dy <= hh) & (np.abs(dx) <= hw * (dy + hh) / (2 * hh))
    sid = shape_ids[:, None, None]
    return np.where(sid == 0, circle, np.where(sid == 1, square, triangle))  # (B, S, S)


def make_shapes(n: int, seed: int | Sequence[int] = 0, image_size: int = 64) -> ShapesWorld:
    """Generate n images from seed: images (n, S, S, 3) uint8, masks (n, S, S) bool, labels (n,)."""
    for name, v in (("n", n), ("image_size", image_size)):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"make_shapes: {name} must be an int, got {v!r}")
    if n < 0:
        raise ValueError(f"make_shapes: n must be >= 0, got {n}")
    if image_size < 16:
        raise ValueError(f"make_shapes: image_size must be >= 16, got {image_size}")
    S = int(image_size)
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % N_CLASSES).astype(np.int64)  # (n,)
    has_small = rng.random(n) < 0.5
    other = rng.integers(0, N_CLASSES - 1, n)
    other = other + (other >= labels)  # (n,) never the labelled class
    pos_idx = rng.integers(0, len(POSITIONS), n)
    rel_idx = rng.integers(0, len(RELATIONS), n)
    r_large = rng.uniform(*LARGE_RADIUS, n) * S
    r_small = rng.uniform(*SMALL_RADIUS, n) * S
    jit = rng.uniform(-1.0, 1.0, (n, 3))
    margin = rng.uniform(0.01, 0.04, n) * S
    gap = rng.uniform(0.03, 0.06, n) * S
    tint = rng.integers(-12, 13, (n, 2, 3))
    background = rng.uniform(185.0, 235.0, n)

    params = np.ones((2, 5, n), dtype=np.float64)  # (slot, [shape, cx, cy, hw, hh], n)
    captions: list[list[str]] = []
    objects: list[list[dict[str, Any]]] = []
    for i in range(n):
        kl, ks = int(labels[i]), int(other[i])
        cl, sl = CLASS_COLOURS[kl // 3], CLASS_SHAPES[kl % 3]
        ext_l = _half_extents(sl, r_large[i])
        big: dict[str, Any] = {
            "shape": sl,
            "colour": cl,
            "class": kl,
            "size": "large",
            "labelled": True,
            "radius": float(r_large[i]),
            "half_width": ext_l[0],
            "half_height": ext_l[1],
        }
        if has_small[i]:
            rel = RELATIONS[rel_idx[i]]
            cs, ss = CLASS_COLOURS[ks // 3], CLASS_SHAPES[ks % 3]
            ext_s = _half_extents(ss, r_small[i])
            cxl, cyl, cxs, cys = _place_pair(S, ext_l, ext_s, rel, jit[i], margin[i], gap[i])
            small = {
                "shape": ss,
                "colour": cs,
                "class": ks,
                "size": "small",
                "labelled": False,
                "radius": float(r_small[i]),
                "half_width": ext_s[0],
                "half_height": ext_s[1],
                "x": cxs,
                "y": cys,
                "position": None,
                "relation": rel,
            }
            big.update(x=cxl, y=cyl, position=None, relation=INVERSE_RELATION[rel])
            params[1, :, i] = (CLASS_SHAPES.index(ss), cxs, cys, *ext_s)
            objs = [big, small]
            captions.append(_captions(f"{cl} {sl}", f"{cs} {ss}", rel))
        else:
            pos = POSITIONS[pos_idx[i]]
            cxl, cyl = _place_single(S, *ext_l, pos, jit[i], margin[i])
            big.update(x=cxl, y=cyl, position=pos, relation=None)
            objs = [big]
            captions.append(_captions(f"{cl} {sl}", None, pos))
        params[0, :, i] = (CLASS_SHAPES.index(sl), cxl, cyl, *ext_l)
        objects.append(objs)

    images = np.empty((n, S, S, 3), dtype=np.uint8)  # (n, S, S, 3)
    masks = np.empty((n, S, S), dtype=bool)  # (n, S, S)
    palette = np.array([COLOUR_RGB[c] for c in CLASS_COLOURS], dtype=np.float32)  # (3, 3)
    chunk = 512
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        canvas = np.broadcast_to(background[a:b, None, None, None], (b - a, S, S, 3)).astype(
            np.float32
        )
        for slot in (1, 0):
            p = params[slot, :, a:b]
            m = _draw(p[0].astype(np.int64), p[1], p[2], p[3], p[4], S)  # (B, S, S)
            if slot == 1:
                m &= has_small[a:b, None, None]
                k = other[a:b]
            else:
                masks[a:b] = m
                k = labels[a:b]
            colour = palette[k // 3] + tint[a:b, slot]  # (B, 3)
            canvas = np.where(m[..., None], colour[:, None, None, :], canvas)
        noise = rng.standard_normal(canvas.shape[:3], dtype=np.float32)  # (B, S, S)
        noise *= NOISE_STD
        noise += 0.5
        canvas += noise[..., None]
        np.clip(canvas, 0.0, 255.0, out=canvas)
        images[a:b] = canvas.astype(np.uint8)
    return ShapesWorld(images, masks, labels, captions, objects, seed=seed, image_size=S)


def shapes_vocab() -> tuple[list[str], dict[str, int]]:
    """Fixed (idx_to_word, word_to_idx) covering every word the caption templates can produce."""
    phrases = [
        *POSITION_PHRASES.values(),
        *RELATION_PHRASES.values(),
        *CLASS_NAMES,
        "a large small of the image",
    ]
    words = sorted({w for p in phrases for w in p.split()})
    return build_vocab([words])


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


__all__ = [
    "CLASS_COLOURS",
    "CLASS_NAMES",
    "CLASS_SHAPES",
    "LAYOUTS",
    "NO_SMALL",
    "ShapesWorld",
    "class_index",
    "class_name",
    "load_shapes_objects",
    "load_shapes_split",
    "make_shapes",
    "scene_targets",
    "shapes_vocab",
    "write_features",
    "write_shapes_dataset",
]
