"""A captioner alone in one `.npz` (no pickle): `save_captioner` writes its parameters
(`model.<name>`), sizes (`config.*`, `config.model` 'rnn' or 'transformer') and vocabulary
(`vocab.idx_to_word`) atomically; `load_captioner` rebuilds the model from such a file or from a
`CaptioningSolver` checkpoint, checking the config against the saved shapes first.
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from minigrad.errors import DTypeError
from minigrad.nn.serialization import CheckpointError, load_npz, save_npz
from zoo.captioning.config_check import (
    check_shapes,
    checked_scalar,
    checked_transformer_config,
    checked_words,
    kind,
)
from zoo.captioning.model import CaptioningRNN

TRANSFORMER_SIZES = ("input_dim", "wordvec_dim", "num_heads", "num_layers", "max_length",
                     "dim_feedforward")


def captioner_config(model: Any) -> dict[str, np.ndarray]:
    """`config.*` and `vocab.idx_to_word` arrays from which `load_captioner` rebuilds a model
    (`config.model` is 'rnn' or 'transformer')."""
    c = model.config
    words = [model.idx_to_word.get(i, "") for i in range(model.vocab_size)]
    if getattr(c, "model", "rnn") == "transformer":
        d = {f"config.{k}": np.array(getattr(c, k)) for k in TRANSFORMER_SIZES}
        d["config.dropout"] = np.array(float(c.dropout))
        d["config.model"] = np.array("transformer")
    else:
        d = {"config.input_dim": np.array(c.input_dim),
             "config.wordvec_dim": np.array(c.wordvec_dim),
             "config.hidden_dim": np.array(c.hidden_dim),
             "config.cell_type": np.array(c.cell_type), "config.model": np.array("rnn")}
    d.update({"config.dtype": np.array(c.dtype), "vocab.idx_to_word": np.array(words)})
    return d


def save_captioner(model: Any, path: str | os.PathLike) -> None:
    """Write a model's parameters, sizes and vocabulary to one .npz atomically."""
    from zoo.captioning.transformer import CaptioningTransformer

    if not isinstance(model, (CaptioningRNN, CaptioningTransformer)):
        raise DTypeError(f"save_captioner: model must be a CaptioningRNN or "
                         f"CaptioningTransformer, got {type(model).__name__}")
    d = {f"model.{k}": v for k, v in model.state_dict().items()}
    d.update(captioner_config(model))
    save_npz(path, d)


def load_captioner(path: str | os.PathLike) -> Any:
    """Rebuild a CaptioningRNN or CaptioningTransformer (by `config.model`; RNN when absent)
    from a checkpoint or `save_captioner` file."""
    d = load_npz(path)
    transformer = kind("load_captioner", path, d) == "transformer"
    keys = ["config.input_dim", "config.wordvec_dim", "config.dtype", "vocab.idx_to_word"]
    keys += ([f"config.{k}" for k in TRANSFORMER_SIZES] + ["config.dropout"] if transformer
             else ["config.hidden_dim", "config.cell_type"])
    missing = [k for k in keys if k not in d]
    if missing:
        raise CheckpointError(f"load_captioner: {path} lacks {missing}; write it with "
                              "save_captioner or CaptioningSolver.save_checkpoint")
    if transformer:
        from zoo.captioning.transformer import CaptioningTransformer

        sizes, words = checked_transformer_config("load_captioner", path, d)
        model: Any = CaptioningTransformer({w: i for i, w in enumerate(words)}, **sizes)
    else:
        sizes, words = _checked_config("load_captioner", path, d)
        model = CaptioningRNN({w: i for i, w in enumerate(words)}, **sizes)
    state = {k[6:]: v for k, v in d.items() if k.startswith("model.")}
    bad = {k: int(np.size(v) - np.isfinite(v).sum()) for k, v in state.items()
           if np.asarray(v).dtype.kind == "f" and not np.isfinite(v).all()}
    if bad:
        raise CheckpointError(f"load_captioner: {path}: parameters hold NaN/inf values "
                              f"({', '.join(f'model.{k}: {n}' for k, n in sorted(bad.items()))}); "
                              "the training run that wrote it diverged")
    model.load_state_dict(state)
    return model


def _checked_config(fn: str, path: Any, d: dict[str, np.ndarray]) -> tuple[dict, list[str]]:
    """The RNN's arguments and vocabulary saved in `d`, checked against the saved parameter
    shapes before anything is allocated (a malformed or absurd config is a CheckpointError)."""
    sizes = {k: int(checked_scalar(fn, path, d, f"config.{k}", "iu"))
             for k in ("input_dim", "wordvec_dim", "hidden_dim")}
    sizes.update(cell_type=str(checked_scalar(fn, path, d, "config.cell_type", "U")),
                 dtype=str(checked_scalar(fn, path, d, "config.dtype", "U")))
    if sizes["cell_type"] not in ("rnn", "lstm") or sizes["dtype"] not in ("float32", "float64"):
        raise CheckpointError(f"{fn}: {path}: config.cell_type must be 'rnn' or 'lstm' and "
                              f"config.dtype 'float32' or 'float64', got "
                              f"{sizes['cell_type']!r} and {sizes['dtype']!r}")
    words = checked_words(fn, path, d)
    D, W, H, V = sizes["input_dim"], sizes["wordvec_dim"], sizes["hidden_dim"], len(words)
    G = 4 * H if sizes["cell_type"] == "lstm" else H
    expect = {"W_proj": (D, H), "b_proj": (H,), "W_embed": (V, W), "Wx": (W, G), "Wh": (H, G),
              "b": (G,), "W_vocab": (H, V), "b_vocab": (V,)}
    check_shapes(fn, path, d, expect, f"D={D}, W={W}, H={H}, V={V}, {sizes['cell_type']}")
    return sizes, words


__all__ = ["captioner_config", "load_captioner", "save_captioner"]
