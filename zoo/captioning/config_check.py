"""Checks of a saved captioner's `config.*` / `vocab.*` arrays against its parameter shapes,
done before a model is allocated (a malformed or absurd config is a CheckpointError)."""
from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from minigrad.nn.serialization import CheckpointError

MODELS = ("rnn", "transformer")


def checked_scalar(fn: str, path: Any, d: dict[str, np.ndarray], key: str, kinds: str) -> Any:
    """d[key] as a Python scalar of one of the numpy `kinds`, or a CheckpointError."""
    a = np.asarray(d[key])
    if a.shape != () or a.dtype.kind not in kinds:
        raise CheckpointError(f"{fn}: {path}: {key} must be a scalar of kind {kinds!r}, "
                              f"got dtype {a.dtype} shape {a.shape}")
    return a.item()


def checked_words(fn: str, path: Any, d: dict[str, np.ndarray]) -> list[str]:
    """vocab.idx_to_word as a list of distinct words (id i -> word i)."""
    raw = np.asarray(d["vocab.idx_to_word"])
    if raw.ndim != 1 or raw.dtype.kind != "U":
        raise CheckpointError(f"{fn}: {path}: vocab.idx_to_word must be a 1-D str array, "
                              f"got dtype {raw.dtype} shape {raw.shape}")
    words = [str(w) for w in raw]
    dup = sorted(w for w, n in Counter(words).items() if n > 1)
    if dup:
        raise CheckpointError(f"{fn}: {path}: vocab.idx_to_word holds the same word at "
                              f"several ids: {dup[:8]}")
    return words


def check_shapes(fn: str, path: Any, d: dict[str, np.ndarray], expect: dict[str, tuple],
                 described: str, exact: bool = False) -> None:
    """Every `model.<name>` of `expect` present with that shape (and, if `exact`, no other
    `model.*` entry), else a CheckpointError listing each mismatch."""
    wrong = [f"model.{k} {np.shape(d[f'model.{k}']) if f'model.{k}' in d else 'missing'} "
             f"(config says {s})" for k, s in expect.items()
             if f"model.{k}" not in d or np.shape(d[f"model.{k}"]) != s]
    if exact:
        wrong += [f"{k} (not in a model of this config)" for k in d
                  if k.startswith("model.") and k[6:] not in expect]
    if wrong:
        raise CheckpointError(f"{fn}: {path}: the saved config ({described}) does not match "
                              "the parameters: " + "; ".join(wrong))


def kind(fn: str, path: Any, d: dict[str, np.ndarray]) -> str:
    """'rnn' or 'transformer' from config.model ('rnn' for checkpoints written before it)."""
    if "config.model" not in d:
        return "rnn"
    k = str(checked_scalar(fn, path, d, "config.model", "U"))
    if k not in MODELS:
        raise CheckpointError(f"{fn}: {path}: config.model must be one of {MODELS}, got {k!r}")
    return k


def transformer_shapes(D: int, W: int, heads: int, layers: int, T: int, F: int,
                       V: int) -> dict[str, tuple]:
    """{state-dict name: shape} of a CaptioningTransformer of these sizes (CS231n names,
    Linear weights (in, out)); `heads` only has to divide W."""
    del heads
    shapes = {"visual_projection.weight": (D, W), "visual_projection.bias": (W,),
              "embedding.weight": (V, W), "positional_encoding.pe": (1, T, W),
              "output.weight": (W, V), "output.bias": (V,)}
    for i in range(layers):
        pre = f"transformer.layers.{i}."
        for attn in ("self_attn", "multihead_attn"):
            for p in ("key", "query", "value", "proj"):
                shapes[f"{pre}{attn}.{p}.weight"], shapes[f"{pre}{attn}.{p}.bias"] = (W, W), (W,)
        shapes.update({f"{pre}linear1.weight": (W, F), f"{pre}linear1.bias": (F,),
                       f"{pre}linear2.weight": (F, W), f"{pre}linear2.bias": (W,)})
        for n in ("norm1", "norm2", "norm3"):
            shapes[f"{pre}{n}.weight"], shapes[f"{pre}{n}.bias"] = (W,), (W,)
    return shapes


def checked_transformer_config(fn: str, path: Any, d: dict[str, np.ndarray]
                               ) -> tuple[dict, list[str]]:
    """The CaptioningTransformer arguments and vocabulary saved in `d`, checked against the
    saved parameter shapes."""
    names = ("input_dim", "wordvec_dim", "num_heads", "num_layers", "max_length",
             "dim_feedforward")
    sizes: dict[str, Any] = {k: int(checked_scalar(fn, path, d, f"config.{k}", "iu"))
                             for k in names}
    sizes["dropout"] = float(checked_scalar(fn, path, d, "config.dropout", "f"))
    sizes["dtype"] = str(checked_scalar(fn, path, d, "config.dtype", "U"))
    bad = [f"config.{k} = {sizes[k]}" for k in names if sizes[k] < 1]
    if sizes["dtype"] not in ("float32", "float64"):
        bad.append(f"config.dtype = {sizes['dtype']!r} (float32 or float64)")
    if not 0 <= sizes["dropout"] < 1:
        bad.append(f"config.dropout = {sizes['dropout']} (in [0, 1))")
    if not bad and (sizes["wordvec_dim"] % sizes["num_heads"] or sizes["wordvec_dim"] % 2):
        bad.append(f"config.wordvec_dim = {sizes['wordvec_dim']} (even and divisible by "
                   f"num_heads = {sizes['num_heads']})")
    if bad:
        raise CheckpointError(f"{fn}: {path}: invalid transformer config: {'; '.join(bad)}")
    words = checked_words(fn, path, d)
    expect = transformer_shapes(*(sizes[k] for k in names), len(words))
    check_shapes(fn, path, d, expect, ", ".join(f"{k}={sizes[k]}" for k in names)
                 + f", V={len(words)}", exact=True)
    return sizes, words
