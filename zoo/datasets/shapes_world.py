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
coco_captioning layout (see coco.py) plus the objects as JSON in shapes_images.h5: that is
shapes_files.py, which also reads it back; `zoo.datasets.shapes` gives both modules' names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .vocab import build_vocab

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


__all__ = [
    "CLASS_COLOURS",
    "CLASS_NAMES",
    "CLASS_SHAPES",
    "COLOUR_RGB",
    "IMAGES_FILE",
    "INVERSE_RELATION",
    "LARGE_RADIUS",
    "LAYOUTS",
    "NOISE_STD",
    "NO_SMALL",
    "N_CLASSES",
    "POSITIONS",
    "POSITION_PHRASES",
    "RELATIONS",
    "RELATION_PHRASES",
    "SMALL_RADIUS",
    "ShapesWorld",
    "class_index",
    "class_name",
    "make_shapes",
    "scene_targets",
    "shapes_vocab",
]
