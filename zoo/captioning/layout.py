"""Whether a generated caption states the true layout of a built-in world scene.

The world's references always state the large object's position (one object) or the relation
between the two objects; `layout_correct` checks a caption against the scene's objects (its
`ShapesWorld.objects` entry), never against the model, so it is an independent score.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

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
