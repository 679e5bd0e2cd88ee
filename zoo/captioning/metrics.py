"""Corpus BLEU-1..4 of generated captions against every reference caption of each image (nltk).

Scores are nltk's `corpus_bleu` with cumulative uniform weights (BLEU-n uses 1- to n-grams, as
coco-caption reports them), computed on lower-case word tokens without <START>/<END>/<NULL>.
`smoothing=None` (default) is plain corpus BLEU (an n-gram order with no match at all gives 0);
'method1'..'method7' select nltk's `SmoothingFunction` methods (Chen & Cherry 2014), e.g.
'method1' adds epsilon to zero counts, which matters only for tiny or very poor corpora.
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from minigrad.errors import DTypeError, RangeError
from zoo.captioning.model import check_int

SPECIAL = ("<NULL>", "<START>", "<END>")
BLEU_WEIGHTS = {
    "bleu1": (1.0,),
    "bleu2": (0.5, 0.5),
    "bleu3": (1 / 3, 1 / 3, 1 / 3),
    "bleu4": (0.25, 0.25, 0.25, 0.25),
}


def ids_to_tokens(ids: Any, idx_to_word: Sequence[str]) -> list[str]:
    """One caption of ids (T,) -> its words, stopping at <END>, without special tokens."""
    words = []
    for t in np.asarray(ids).ravel():
        w = idx_to_word[int(t)]
        if w == "<END>":
            break
        if w not in SPECIAL:
            words.append(w)
    return words


def corpus_bleu_scores(hypotheses: Sequence[Sequence[str]],
                       references: Sequence[Sequence[Sequence[str]]],
                       smoothing: str | None = None) -> dict[str, float]:
    """BLEU-1..4 of N tokenised hypotheses against N lists of tokenised references."""
    from nltk.translate.bleu_score import SmoothingFunction, corpus_bleu

    if len(hypotheses) != len(references):
        raise ValueError(f"corpus_bleu_scores: need one reference list per hypothesis, got "
                         f"{len(hypotheses)} hypotheses and {len(references)} reference lists")
    if not hypotheses:
        raise ValueError("corpus_bleu_scores: got no hypotheses")
    for what, seqs in (("hypotheses", hypotheses),
                       ("references", [r for rs in references for r in rs])):
        bad = next((s for s in seqs if isinstance(s, str) or
                    not all(isinstance(w, str) for w in s)), None)
        if bad is not None:  # a str would be scored letter by letter
            raise DTypeError(f"corpus_bleu_scores: {what} must be lists of word strings "
                             f"(tokenised), got {bad!r:.60}")
    if any(len(r) == 0 for r in references):
        raise ValueError("corpus_bleu_scores: every hypothesis needs at least one reference")
    fn = None
    if smoothing is not None:
        if not (smoothing.startswith("method") and hasattr(SmoothingFunction(), smoothing)):
            raise ValueError(f"corpus_bleu_scores: smoothing must be None or 'method0'.."
                             f"'method7', got {smoothing!r}")
        fn = getattr(SmoothingFunction(), smoothing)
    hyps = [list(h) for h in hypotheses]
    refs = [[list(r) for r in rs] for rs in references]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nltk warns when an n-gram order has no match
        return {name: float(corpus_bleu(refs, hyps, weights=w, smoothing_function=fn))
                for name, w in BLEU_WEIGHTS.items()}


def references_by_image(captions: np.ndarray, image_idxs: np.ndarray,
                        idx_to_word: Sequence[str]) -> dict[int, list[list[str]]]:
    """Group captions (M, T) by image_idxs (M,): {image index: [reference tokens, ...]}."""
    refs: dict[int, list[list[str]]] = {}
    for cap, img in zip(np.asarray(captions), np.asarray(image_idxs), strict=True):
        refs.setdefault(int(img), []).append(ids_to_tokens(cap, idx_to_word))
    return refs


def evaluate_bleu(model: Any, data: dict[str, Any], split: str = "val",
                  max_images: int | None = None, max_length: int = 30, beam_size: int = 1,
                  batch_size: int = 500, smoothing: str | None = None) -> dict[str, Any]:
    """Caption each image of `split` once and score it against all its references.

    Returns BLEU-1..4 plus 'n_images', 'images' (image indices), 'hypotheses' (token lists),
    'references' (lists of token lists).
    """
    if split not in ("train", "val"):
        raise RangeError(f"evaluate_bleu: split must be 'train' or 'val', got {split!r}")
    missing = [k for k in ("idx_to_word", f"{split}_captions", f"{split}_image_idxs",
                           f"{split}_features") if k not in data]
    if missing:
        raise RangeError(f"evaluate_bleu: data lacks {missing} (keys: {sorted(data)})")
    if max_images is not None:
        check_int("evaluate_bleu", "max_images", max_images, 1)
    check_int("evaluate_bleu", "batch_size", batch_size, 1)
    idx_to_word = data["idx_to_word"]
    refs = references_by_image(data[f"{split}_captions"], data[f"{split}_image_idxs"],
                               idx_to_word)
    images = np.array(sorted(refs), dtype=np.int64)
    if max_images is not None:
        images = images[:max_images]
    feats = data[f"{split}_features"]
    hyps: list[list[str]] = []
    for i in range(0, len(images), batch_size):
        idx = images[i:i + batch_size]
        words = model.sample(np.asarray(feats[idx]), max_length=max_length, beam_size=beam_size)
        hyps += [ids_to_tokens(row, idx_to_word) for row in words]
    references = [refs[int(i)] for i in images]
    scores: dict[str, Any] = corpus_bleu_scores(hyps, references, smoothing)
    scores.update(n_images=len(images), images=images, hypotheses=hyps, references=references)
    return scores
