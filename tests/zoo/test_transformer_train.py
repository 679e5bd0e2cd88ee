"""Training the Transformer captioner: bit-exact resume with dropout, load_captioner for both
kinds, checkpoint config checks, and the CLI train -> eval -> sample on the tiny world."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from minigrad.nn.serialization import CheckpointError, load_npz, save_npz
from zoo.captioning import (
    CaptioningRNN,
    CaptioningSolver,
    CaptioningTransformer,
    load_captioner,
    save_captioner,
)
from zoo.captioning.__main__ import main


def _model(data: dict[str, Any], dropout: float = 0.3) -> CaptioningTransformer:
    return CaptioningTransformer(data["word_to_idx"], data["train_features"].shape[1], 16,
                                 num_heads=2, num_layers=2, max_length=20, dim_feedforward=32,
                                 dropout=dropout, seed=0)


def _solver(data: dict[str, Any], epochs: int, **kw: Any) -> CaptioningSolver:
    kw = {"optim_config": {"learning_rate": 3e-3}, "lr_decay": 0.9, "batch_size": 64,
          "verbose": False, "progress": False, "seed": 7, **kw}
    return CaptioningSolver(_model(data), data, num_epochs=epochs, **kw)


@pytest.fixture(scope="module")
def straight(world: dict[str, Any]) -> CaptioningSolver:
    """Two epochs of a dropout-0.3 Transformer without interruption."""
    solver = _solver(world, 2)
    solver.train()
    return solver


def _same_weights(a: Any, b: Any) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a.state_dict().values(),
                                                   b.state_dict().values(), strict=True))


def test_resume_is_bitwise_exact_with_dropout(world, straight, tmp_path: Path) -> None:
    first = _solver(world, 1)
    first.train()
    assert first.t == 10 and first.loss_history == straight.loss_history[:10]
    path = first.save_checkpoint(tmp_path / "ckpt.npz")
    second = _solver(world, 2)  # fresh model, fresh dropout Generator: all from the file + t
    second.model.seed_dropout(123)  # a different Generator state must not matter
    second.resume(path)
    second.train()
    assert second.loss_history == straight.loss_history
    assert _same_weights(second.model, straight.model)


def test_resume_mid_epoch_is_exact(world, straight, tmp_path: Path) -> None:
    first = _solver(world, 2)
    while first.t < 13:
        first.loss_history.append(first._step())
        first.t += 1
        if first.t % 10 == 0:
            first.epoch += 1
            first.optimizer.lr *= first.lr_decay
    second = _solver(world, 2)
    second.resume(first.save_checkpoint(tmp_path / "mid.npz"))
    second.train()
    assert second.loss_history == straight.loss_history
    assert _same_weights(second.model, straight.model)


def test_dropout_masks_depend_on_iteration(world, straight) -> None:
    """Dropout is active in training: two iterations on the same batch differ by their masks."""
    solver = _solver(world, 1)
    caps, feats = solver.minibatch(0)
    losses = []
    for t in (0, 1, 0):
        solver.model.seed_dropout([solver.seed, t])
        losses.append(solver.model.loss(feats, caps).item())
    assert losses[0] == losses[2] != losses[1]
    assert straight.loss_history[-1] < straight.loss_history[0]


def test_load_captioner_rebuilds_the_transformer(world, straight, tmp_path: Path) -> None:
    path = straight.save_checkpoint(tmp_path / "ckpt.npz")
    saved = load_npz(path)
    assert str(saved["config.model"]) == "transformer" and int(saved["config.num_heads"]) == 2
    model = load_captioner(path)
    assert isinstance(model, CaptioningTransformer) and model.config == straight.model.config
    assert _same_weights(model, straight.model)
    feats = world["val_features"][:6]
    np.testing.assert_array_equal(model.sample(feats, 15), straight.model.sample(feats, 15))
    save_captioner(model, tmp_path / "model.npz")
    again = load_captioner(tmp_path / "model.npz")
    assert isinstance(again, CaptioningTransformer) and _same_weights(again, model)


def test_rnn_checkpoints_with_and_without_config_model(world, tmp_path: Path) -> None:
    rnn = CaptioningRNN(world["word_to_idx"], input_dim=world["train_features"].shape[1],
                        wordvec_dim=8, hidden_dim=8, cell_type="lstm")
    save_captioner(rnn, tmp_path / "rnn.npz")
    d = load_npz(tmp_path / "rnn.npz")
    assert str(d["config.model"]) == "rnn"
    del d["config.model"]  # a checkpoint written before config.model existed
    save_npz(tmp_path / "old.npz", d)
    for name in ("rnn.npz", "old.npz"):
        loaded = load_captioner(tmp_path / name)
        assert isinstance(loaded, CaptioningRNN) and _same_weights(loaded, rnn)


@pytest.mark.parametrize("key, value, match", [
    ("config.num_layers", 3, "transformer.layers.2"),
    ("config.dim_feedforward", 64, "linear1.weight"),
    ("config.num_heads", 3, "divisible by num_heads"),
    ("config.dropout", 1.5, "config.dropout"),
    ("config.model", "gru", "config.model"),
])
def test_bad_transformer_config_is_a_checkpoint_error(straight, tmp_path: Path, key: str,
                                                      value: Any, match: str) -> None:
    d = load_npz(straight.save_checkpoint(tmp_path / "ckpt.npz"))
    d[key] = np.array(value)
    save_npz(tmp_path / "bad.npz", d)
    with pytest.raises(CheckpointError, match=match):
        load_captioner(tmp_path / "bad.npz")


def test_resume_refuses_a_different_transformer(world, straight, tmp_path: Path) -> None:
    path = straight.save_checkpoint(tmp_path / "ckpt.npz")
    other = CaptioningSolver(
        CaptioningTransformer(world["word_to_idx"], world["train_features"].shape[1], 16,
                              num_heads=4, num_layers=2, max_length=20, dim_feedforward=32,
                              dropout=0.3), world, num_epochs=2, batch_size=64, seed=7,
        optim_config={"learning_rate": 3e-3}, lr_decay=0.9, verbose=False, progress=False)
    with pytest.raises(CheckpointError, match="config.num_heads"):
        other.resume(path)


def test_cli_transformer_train_eval_sample_and_resume(world_dir: Path, tmp_path: Path,
                                                      capsys) -> None:
    base = ["--data", str(world_dir), "--seed", "3"]
    opts = ["--model", "transformer", "--wordvec-dim", "16", "--num-heads", "2",
            "--num-layers", "1", "--dim-feedforward", "32", "--dropout", "0.2",
            "--max-length", "20", "--batch-size", "64", "--lr", "3e-3"]
    straight, split = tmp_path / "straight", tmp_path / "split"
    assert main(["train", *base, "--out", str(straight), "--epochs", "2", *opts]) == 0
    out = capsys.readouterr().out
    assert "BLEU-1..4 (40 images" in out and (straight / "loss.png").is_file()
    assert isinstance(load_captioner(straight / "checkpoint.npz"), CaptioningTransformer)
    assert main(["eval", *base, "--out", str(straight)]) == 0
    assert "BLEU-1..4 (40 images" in capsys.readouterr().out
    assert main(["sample", *base, "--out", str(straight), "-n", "3", "--beam-size", "2"]) == 0
    assert capsys.readouterr().out.count("references:") == 3
    assert main(["train", *base, "--out", str(split), "--epochs", "1", *opts]) == 0
    assert main(["train", *base, "--out", str(split), "--epochs", "2", "--resume", *opts]) == 0
    a, b = load_npz(straight / "checkpoint.npz"), load_npz(split / "checkpoint.npz")
    for k in a:
        if k.startswith(("model.", "optim.")) or k == "solver.loss_history":
            assert np.array_equal(a[k], b[k]), k


@pytest.mark.parametrize("args, message", [
    (["--dropout", "1"], "--dropout: expected a number in [0, 1)"),
    (["--num-heads", "0"], "--num-heads: expected an integer >= 1"),
    (["--num-heads", "3"], "divisible by --num-heads = 3"),
    (["--dim-feedforward", "x"], "--dim-feedforward: expected an integer >= 1"),
    (["--update-rule", "adagrad"], "--update-rule: invalid choice"),
])
def test_cli_range_checks_at_parse_time(tmp_path: Path, capsys, args: list[str],
                                        message: str) -> None:
    with pytest.raises(SystemExit) as e:
        main(["train", "--model", "transformer", "--out", str(tmp_path / "o"),
              "--wordvec-dim", "16", *args])
    assert e.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_cli_max_length_shorter_than_captions(world_dir: Path, tmp_path: Path, capsys) -> None:
    assert main(["train", "--data", str(world_dir), "--out", str(tmp_path / "o"), "--model",
                 "transformer", "--wordvec-dim", "16", "--max-length", "4"]) == 1
    assert "--max-length 4 is shorter" in capsys.readouterr().err
