"""CaptioningSolver: exact resume, atomic checkpoints, named errors, loss plot, BLEU, CLI."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import minigrad.nn.serialization as serialization
from minigrad.nn.serialization import CheckpointError
from zoo.captioning import CaptioningRNN, CaptioningSolver, load_captioner
from zoo.captioning.metrics import corpus_bleu_scores, evaluate_bleu, references_by_image


def _solver(data: dict[str, Any], epochs: int, cell: str = "lstm", **kw: Any) -> CaptioningSolver:
    D = data["train_features"].shape[1]
    model = CaptioningRNN(data["word_to_idx"], input_dim=D, wordvec_dim=16, hidden_dim=24,
                          cell_type=cell, seed=0)
    kw = {"optim_config": {"learning_rate": 5e-3}, "lr_decay": 0.9, "batch_size": 64,
          "verbose": False, "progress": False, "seed": 7, **kw}
    return CaptioningSolver(model, data, num_epochs=epochs, **kw)


@pytest.fixture(scope="session")
def straight(world: dict[str, Any]) -> CaptioningSolver:
    """Two epochs without interruption (cached for the session)."""
    solver = _solver(world, 2)
    solver.train()
    return solver


@pytest.mark.parametrize("cell", ["lstm"])
def test_resume_is_bitwise_exact(world, straight, tmp_path: Path, cell: str) -> None:
    first = _solver(world, 1, cell)
    first.train()
    assert first.iterations_per_epoch == 640 // 64 and first.t == 10
    path = first.save_checkpoint(tmp_path / "ckpt.npz")
    second = _solver(world, 2, cell)  # a fresh model: everything must come from the file
    second.resume(path)
    assert second.epoch == 1 and second.t == 10
    assert second.optimizer.lr == pytest.approx(5e-3 * 0.9, rel=1e-15)
    second.train()
    for (name, a), b in zip(straight.model.state_dict().items(),
                            second.model.state_dict().values(), strict=True):
        assert np.array_equal(a, b), name
    assert second.loss_history == straight.loss_history
    assert second.optimizer.lr == straight.optimizer.lr


def test_resume_mid_epoch_is_exact(world, straight, tmp_path: Path) -> None:
    first = _solver(world, 2)
    while first.t < 13:  # stop inside the second epoch by driving the loop by hand
        first.loss_history.append(first._step())
        first.t += 1
        if first.t % 10 == 0:
            first.epoch += 1
            first.optimizer.lr *= first.lr_decay
    path = first.save_checkpoint(tmp_path / "mid.npz")
    second = _solver(world, 2)
    second.resume(path)
    second.train()
    assert all(np.array_equal(a, b) for a, b in zip(straight.model.state_dict().values(),
                                                   second.model.state_dict().values(),
                                                   strict=True))


def test_lr_decays_per_epoch_and_history_length(straight) -> None:
    assert len(straight.loss_history) == 2 * straight.iterations_per_epoch
    assert straight.optimizer.lr == pytest.approx(5e-3 * 0.9 ** 2)
    assert straight.epoch == 2
    assert np.mean(straight.loss_history[-5:]) < np.mean(straight.loss_history[:5])


def test_minibatches_cover_each_epoch_once(world) -> None:
    solver = _solver(world, 1, batch_size=32)
    order = np.random.default_rng([7, 0]).permutation(640)
    epoch = np.concatenate([solver.minibatch(t)[0] for t in range(20)])
    np.testing.assert_array_equal(epoch, world["train_captions"][order])
    assert not np.array_equal(solver.minibatch(20)[0], solver.minibatch(0)[0])  # new order
    caps, feats = solver.minibatch(3)
    np.testing.assert_array_equal(caps, world["train_captions"][order[96:128]])
    np.testing.assert_array_equal(feats,
                                  world["train_features"][world["train_image_idxs"][order[96:128]]])


def test_corrupt_and_foreign_checkpoints_raise_named_errors(world, straight,
                                                            tmp_path: Path) -> None:
    good = straight.save_checkpoint(tmp_path / "good.npz")
    raw = good.read_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(raw[: len(raw) // 2])
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"this is not a zip archive at all")
    for bad in (truncated, garbage):
        with pytest.raises(CheckpointError, match="corrupt or truncated"):
            _solver(world, 2).resume(bad)
        with pytest.raises(CheckpointError):
            load_captioner(bad)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, x=np.zeros(3))
    with pytest.raises(CheckpointError, match="not a solver checkpoint"):
        _solver(world, 2).resume(foreign)
    with pytest.raises(CheckpointError, match="solver.seed"):
        _solver(world, 2, seed=8).resume(good)
    with pytest.raises(FileNotFoundError):
        _solver(world, 2).resume(tmp_path / "missing.npz")


def test_interrupted_save_keeps_previous_checkpoint(world, straight, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ckpt.npz"
    straight.save_checkpoint(path)
    before = path.read_bytes()
    other = _solver(world, 1)

    def crash(f, **arrays):  # write half an archive, then die as a kill would
        f.write(b"PK\x03\x04 partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization.np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        other.save_checkpoint(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"]  # no temp file left behind
    resumed = _solver(world, 2)
    resumed.resume(path)
    assert resumed.t == straight.t
    model = load_captioner(path)
    assert all(np.array_equal(a, b) for a, b in zip(model.state_dict().values(),
                                                   straight.model.state_dict().values(),
                                                   strict=True))


def test_plot_loss_writes_png(straight, tmp_path: Path) -> None:
    path = straight.plot_loss(tmp_path / "loss.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bleu_uses_all_references(world, straight) -> None:
    refs = references_by_image(world["val_captions"], world["val_image_idxs"],
                               world["idx_to_word"])
    assert all(len(r) == 4 for r in refs.values())
    words = {w for r in refs.values() for c in r for w in c}
    assert words and not words & {"<START>", "<END>", "<NULL>"}
    imgs = sorted(refs)
    second = [refs[i][1] for i in imgs]  # each matches its image's second reference exactly
    perfect = corpus_bleu_scores(second, [refs[i] for i in imgs])
    assert perfect == {"bleu1": 1.0, "bleu2": 1.0, "bleu3": 1.0, "bleu4": 1.0}
    only_first = corpus_bleu_scores(second, [refs[i][:1] for i in imgs])
    assert only_first["bleu4"] < 0.9
    res = evaluate_bleu(straight.model, world, "val")
    assert res["n_images"] == 40 and len(res["hypotheses"]) == 40
    assert all(0.0 <= res[k] <= 1.0 for k in ("bleu1", "bleu2", "bleu3", "bleu4"))
    assert res["bleu1"] >= res["bleu4"]
    with pytest.raises(ValueError, match="smoothing"):
        corpus_bleu_scores([["a"]], [[["a"]]], smoothing="method9")


def test_cli_train_sample_eval(world_dir: Path, tmp_path: Path, capsys) -> None:
    from zoo.captioning.__main__ import main

    out = tmp_path / "run"
    common = ["--data", str(world_dir), "--out", str(out), "--cell", "rnn"]
    assert main(["train", *common, "--epochs", "1", "--hidden-dim", "16",
                 "--wordvec-dim", "8", "--batch-size", "64"]) == 0
    assert (out / "checkpoint.npz").is_file() and (out / "loss.png").is_file()
    assert main(["eval", *common]) == 0
    assert "BLEU-1..4 (40 images" in capsys.readouterr().out
    assert main(["sample", *common, "-n", "3"]) == 0
    assert capsys.readouterr().out.count("references:") == 3
