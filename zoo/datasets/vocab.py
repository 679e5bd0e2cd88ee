"""Caption vocabulary in the CS231n layout: build, validate, encode and decode token ids."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

NULL, START, END, UNK = "<NULL>", "<START>", "<END>", "<UNK>"
SPECIAL_TOKENS: tuple[str, ...] = (NULL, START, END, UNK)
NULL_IDX, START_IDX, END_IDX, UNK_IDX = 0, 1, 2, 3
CAPTION_LENGTH = 17


class VocabError(ValueError):
    """A vocabulary or token-id array that breaks the CS231n conventions."""


def tokenize(caption: str) -> list[str]:
    """Lower-case and whitespace-split one caption string into words."""
    return caption.lower().split()


def build_vocab(
    captions: Iterable[str | Sequence[str]], min_count: int = 1
) -> tuple[list[str], dict[str, int]]:
    """Build (idx_to_word (V,), word_to_idx): special tokens, then words by count desc, then a-z."""
    if min_count < 1:
        raise VocabError(f"build_vocab: min_count must be >= 1, got {min_count}")
    counts: Counter[str] = Counter()
    for i, cap in enumerate(captions):
        if not isinstance(cap, str) and not (isinstance(cap, Sequence)
                                             and all(isinstance(w, str) for w in cap)):
            raise VocabError(f"build_vocab: captions[{i}] must be a str or a list of word "
                             f"strings, got {cap!r:.60}")
        words = tokenize(cap) if isinstance(cap, str) else [w.lower() for w in cap]
        counts.update(w for w in words if w not in SPECIAL_TOKENS)
    words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    idx_to_word = list(SPECIAL_TOKENS) + words
    word_to_idx = {w: i for i, w in enumerate(idx_to_word)}
    return idx_to_word, word_to_idx


def validate_vocab(
    idx_to_word: Sequence[str], word_to_idx: Mapping[str, int], source: str = "vocab"
) -> None:
    """Raise VocabError unless the special tokens sit at 0..3 and the two mappings are inverses."""
    if len(idx_to_word) < len(SPECIAL_TOKENS):
        raise VocabError(
            f"{source}: idx_to_word must hold at least the {len(SPECIAL_TOKENS)} special tokens "
            f"{list(SPECIAL_TOKENS)}, got {len(idx_to_word)} entries"
        )
    head = list(idx_to_word[: len(SPECIAL_TOKENS)])
    if head != list(SPECIAL_TOKENS):
        raise VocabError(f"{source}: idx_to_word[:4] must be {list(SPECIAL_TOKENS)}, got {head}")
    if len(word_to_idx) != len(idx_to_word):
        raise VocabError(
            f"{source}: word_to_idx has {len(word_to_idx)} entries but idx_to_word has "
            f"{len(idx_to_word)}"
        )
    for i, w in enumerate(idx_to_word):
        j = word_to_idx.get(w)
        if j != i:
            raise VocabError(
                f"{source}: word_to_idx[{w!r}] must be {i} (its position in idx_to_word), got {j!r}"
            )


def encode_caption(
    words: str | Sequence[str], word_to_idx: Mapping[str, int], length: int = CAPTION_LENGTH
) -> np.ndarray:
    """Encode a caption as int32 (length,) `<START> w... <END> <NULL>...`; unknown -> `<UNK>`."""
    if length < 2:
        raise VocabError(
            f"encode_caption: length must be >= 2 (room for <START> and <END>), got {length}"
        )
    toks = tokenize(words) if isinstance(words, str) else [w.lower() for w in words]
    toks = toks[: length - 2]
    unk = word_to_idx[UNK]
    out = np.full(length, word_to_idx[NULL], dtype=np.int32)  # (length,)
    out[0] = word_to_idx[START]
    out[1 : 1 + len(toks)] = [word_to_idx.get(w, unk) for w in toks]
    out[1 + len(toks)] = word_to_idx[END]
    return out


def encode_captions(
    captions: Sequence[str | Sequence[str]],
    word_to_idx: Mapping[str, int],
    length: int = CAPTION_LENGTH,
) -> np.ndarray:
    """Encode N captions into an int32 (N, length) array with encode_caption."""
    out = np.full((len(captions), length), word_to_idx[NULL], dtype=np.int32)  # (N, length)
    for i, cap in enumerate(captions):
        out[i] = encode_caption(cap, word_to_idx, length)
    return out


def check_token_ids(captions: np.ndarray, vocab_size: int, name: str = "captions") -> None:
    """Raise VocabError unless every id in the integer array lies in [0, V)."""
    if captions.size == 0:
        return
    lo, hi = int(captions.min()), int(captions.max())
    if lo < 0 or hi >= vocab_size:
        bad = lo if lo < 0 else hi
        where = tuple(int(i) for i in np.argwhere(captions == bad)[0])
        raise VocabError(
            f"{name}: token ids must lie in [0, V) with V = {vocab_size}, "
            f"got {bad} at index {where} (min {lo}, max {hi})"
        )


def decode_captions(
    captions: np.ndarray | Sequence[int] | Sequence[Sequence[int]],
    idx_to_word: Sequence[str],
    strip_special: bool = False,
) -> str | list[str]:
    """Decode (N, T) ids to N strings, (T,) to one; stop at `<END>`, skip `<NULL>` (CS231n).

    As in CS231n the `<START>` and `<END>` tokens stay in the text; `strip_special=True` drops them.
    """
    arr = np.asarray(captions)
    if arr.ndim not in (1, 2):
        raise VocabError(f"decode_captions: captions must be (T,) or (N, T), got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise VocabError(
            f"decode_captions: captions must be integer token ids, got dtype {arr.dtype}"
        )
    check_token_ids(arr, len(idx_to_word), "decode_captions: captions")
    singleton = arr.ndim == 1
    rows = arr[None] if singleton else arr  # (N, T)
    skip = {NULL, START, END} if strip_special else {NULL}
    decoded = []
    for row in rows:
        words = []
        for t in row:
            word = idx_to_word[int(t)]
            if word not in skip:
                words.append(word)
            if word == END:
                break
        decoded.append(" ".join(words))
    return decoded[0] if singleton else decoded
