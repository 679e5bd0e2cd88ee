"""Regressions from the red-team attack (issue 9), zoo side: named errors instead of raw ones,
and no silently wrong result (NaN weights, another vocabulary, strings scored letter by letter)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from minigrad.errors import DTypeError, RangeError, ShapeError
from minigrad.nn.serialization import CheckpointError, CheckpointWriteError, load_npz, save_npz
from zoo.captioning import (
    CaptioningRNN,
    CaptioningSolver,
    CaptioningTransformer,
    load_captioner,
    save_captioner,
)
from zoo.captioning.__main__ import main
from zoo.captioning.metrics import corpus_bleu_scores, evaluate_bleu
from zoo.datasets import VocabError, build_vocab, make_shapes
from zoo.datasets.files import CocoKeyError

W2I = {"<NULL>": 0, "<START>": 1, "<END>": 2, "<UNK>": 3, "a": 4, "cat": 5}


def _rnn() -> CaptioningRNN:
    return CaptioningRNN(W2I, input_dim=4, wordvec_dim=4, hidden_dim=5)


def _data() -> dict:
    rng = np.random.default_rng(0)
    caps = rng.integers(3, 6, (20, 6))
    caps[:, 0], caps[:, -1] = 1, 2
    return {"train_captions": caps, "train_image_idxs": rng.integers(0, 10, 20),
            "train_features": rng.standard_normal((10, 4)).astype(np.float32),
            "val_captions": caps[:5], "val_image_idxs": np.arange(5),
            "val_features": rng.standard_normal((5, 4)).astype(np.float32),
            "word_to_idx": W2I, "idx_to_word": list(W2I)}


@pytest.mark.parametrize("seed", [-1, 1.5, 2 ** 32, "0"])
def test_transformer_seed_must_be_an_int_in_range(seed):
    with pytest.raises(RangeError, match=r"seed must be an int in \[0, 2\*\*32\)"):
        CaptioningTransformer(W2I, 4, 4, num_heads=2, seed=seed)


def test_load_captioner_refuses_nan_parameters(tmp_path: Path):
    path = tmp_path / "m.npz"
    save_captioner(_rnn(), path)
    d = dict(load_npz(path))
    d["model.W_vocab"] = d["model.W_vocab"].copy()
    d["model.W_vocab"][0, :2] = np.nan
    save_npz(path, d)
    with pytest.raises(CheckpointError, match="NaN/inf values .*model.W_vocab: 2"):
        load_captioner(path)


def test_solver_data_without_a_key_is_a_named_key_error():
    with pytest.raises(CocoKeyError, match="data has no 'train_image_idxs'") as info:
        CaptioningSolver(_rnn(), {"train_captions": np.zeros((2, 3), int)})
    assert isinstance(info.value, KeyError)


def test_save_checkpoint_under_a_file_is_a_checkpoint_write_error(tmp_path: Path):
    (tmp_path / "afile").write_text("x")
    solver = CaptioningSolver(_rnn(), _data(), batch_size=5, num_epochs=1, verbose=False)
    with pytest.raises(CheckpointWriteError, match="cannot make the folder") as info:
        solver.save_checkpoint(tmp_path / "afile" / "c.npz")
    assert isinstance(info.value, OSError)


def test_bleu_refuses_untokenised_strings():
    with pytest.raises(DTypeError, match="hypotheses must be lists of word strings"):
        corpus_bleu_scores(["a cat"], [[["a", "cat"]]])
    with pytest.raises(DTypeError, match="references must be lists of word strings"):
        corpus_bleu_scores([["a", "cat"]], [["a cat"]])
    assert corpus_bleu_scores([["a", "cat"]], [[["a", "cat"]]])["bleu1"] == 1.0


def test_evaluate_bleu_checks_split_and_counts():
    with pytest.raises(RangeError, match="split must be 'train' or 'val', got 'test'"):
        evaluate_bleu(_rnn(), _data(), "test")
    with pytest.raises(RangeError, match="max_images must be >= 1, got -1"):
        evaluate_bleu(_rnn(), _data(), "val", max_images=-1)
    with pytest.raises(DTypeError, match="batch_size must be an int"):
        evaluate_bleu(_rnn(), _data(), "val", batch_size=2.5)


def test_build_vocab_and_make_shapes_check_argument_types():
    with pytest.raises(VocabError, match=r"captions\[0\] must be a str or a list of word"):
        build_vocab([1, 2])
    assert build_vocab([["a", "b"], "a c"])[0][4:] == ["a", "b", "c"]
    with pytest.raises(TypeError, match="make_shapes: n must be an int, got '3'"):
        make_shapes("3")


# ----- CLI: one line, never a traceback ---------------------------------------------------------
def test_cli_unreadable_checkpoint_is_one_line(tmp_path: Path, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    for path in (bad, tmp_path / "missing.npz", tmp_path):
        assert main(["eval", "--checkpoint", str(path), "--data", str(tmp_path)]) == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith("python -m zoo.captioning eval: error: ") and "\n" not in err
        assert str(path) in err


def test_cli_train_out_that_cannot_be_made_is_one_line(tmp_path: Path, capsys):
    (tmp_path / "afile").write_text("x")
    assert main(["train", "--out", str(tmp_path / "afile" / "sub")]) == 1
    err = capsys.readouterr().err
    assert "--out" in err and "cannot make this folder (Not a directory)" in err


def test_cli_missing_data_dir_is_one_line(tmp_path: Path, capsys):
    assert main(["train", "--out", str(tmp_path / "o"), "--data", str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("python -m zoo.captioning train: error: ") and "does not exist" in err


def test_cli_eval_refuses_data_of_another_vocabulary(world_dir: Path, tmp_path: Path, capsys):
    import json
    import shutil

    out = tmp_path / "run"
    assert main(["train", "--out", str(out), "--data", str(world_dir), "--max-train", "20",
                 "--epochs", "1", "--batch-size", "10", "--hidden-dim", "4",
                 "--wordvec-dim", "4"]) == 0
    other = tmp_path / "other"
    shutil.copytree(world_dir, other)
    vocab = json.loads((other / "coco2014_vocab.json").read_text())
    vocab["idx_to_word"][-1] = "zzz"  # same size, one word different
    vocab["word_to_idx"] = {w: i for i, w in enumerate(vocab["idx_to_word"])}
    (other / "coco2014_vocab.json").write_text(json.dumps(vocab))
    capsys.readouterr()
    assert main(["eval", "--checkpoint", str(out / "checkpoint.npz"), "--data", str(other)]) == 1
    err = capsys.readouterr().err
    assert "is not the one of --data" in err and "'zzz'" in err
    assert main(["eval", "--checkpoint", str(out / "checkpoint.npz"), "--data", str(world_dir),
                 "--pca", "yes"]) == 1
    assert "takes features of width" in capsys.readouterr().err


def test_sampling_lengths_and_beams_that_would_hang_are_refused():
    model = _rnn()
    with pytest.raises(RangeError, match="max_length must be <= 10000 .* got max_length "
                                         "1000000000"):
        model.sample(np.zeros((1, 4), np.float32), max_length=10 ** 9)
    with pytest.raises(RangeError, match="beam_size 10000000"):
        model.sample(np.zeros((1, 4), np.float32), beam_size=10 ** 7)
    assert model.sample(np.zeros((1, 4), np.float32), max_length=7).shape == (1, 7)


def test_coco_seed_of_the_wrong_type_is_named(world_dir: Path):
    from zoo.datasets import load_coco_data, sample_coco_minibatch

    with pytest.raises(TypeError, match="load_coco_data: seed must be None, an int"):
        load_coco_data(world_dir, max_train=3, seed="x")
    data = load_coco_data(world_dir, max_train=3, seed=1)
    with pytest.raises(TypeError, match="sample_coco_minibatch: seed must be None, an int"):
        sample_coco_minibatch(data, 2, seed=-1)


def test_shapes_and_encoder_arguments_are_checked():
    from zoo.datasets.shapes import class_index, class_name
    from zoo.encoders.cnn import EncoderConfig, ShapesEncoder, fit_pca, preprocess, train_encoder

    with pytest.raises(ValueError, match=r"class_name: class index must be an int in \[0, 9\)"):
        class_name("a")
    assert class_name(np.int64(0)) == "red circle"
    with pytest.raises(ValueError, match="class_index: colour must be one of"):
        class_index("pink", "hexagon")
    with pytest.raises(RangeError, match="image_size must be an int >= 1, got 0"):
        preprocess(np.zeros((2, 8, 8, 3), np.uint8), 0)
    with pytest.raises(RangeError, match=r"channels must be 3 ints >= 1 .*got channels \(0,\)"):
        ShapesEncoder(EncoderConfig(channels=(0,)))
    with pytest.raises(RangeError, match="epochs must be an int >= 1, got '2'"):
        train_encoder(np.zeros((4, 64, 64, 3), np.uint8), np.zeros(4, int), epochs="2")
    with pytest.raises(ShapeError, match=r"fit_pca: features must be 2-D \(N, D\), got shape"):
        fit_pca(np.zeros(5), 2)
    with pytest.raises(RangeError, match="fit_pca: dim must be an int in .* got '2'"):
        fit_pca(np.zeros((5, 4)), "2")


def test_write_shapes_dataset_into_a_file_is_named(tmp_path: Path):
    from zoo.datasets.shapes import write_shapes_dataset

    (tmp_path / "afile").write_text("x")
    with pytest.raises(NotADirectoryError, match="afile is a file, expected a folder"):
        write_shapes_dataset(tmp_path / "afile", 4, 2)


def test_solver_helpers_name_bad_arguments(tmp_path: Path):
    from zoo.captioning import greedy_decode

    solver = CaptioningSolver(_rnn(), _data(), batch_size=5, num_epochs=1, verbose=False)
    with pytest.raises(RangeError, match="CaptioningSolver.minibatch: t must be >= 0, got -1"):
        solver.minibatch(-1)
    with pytest.raises(RangeError, match="plot_loss: path must be a .png, .pdf or .svg file"):
        solver.plot_loss(tmp_path)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(CheckpointWriteError, match="plot_loss: cannot make the folder"):
        solver.plot_loss(tmp_path / "afile" / "loss.png")
    with pytest.raises(DTypeError, match="save_captioner: model must be a CaptioningRNN"):
        save_captioner(3, tmp_path / "m.npz")
    with pytest.raises(DTypeError, match="greedy_decode: model must be a CaptioningRNN"):
        greedy_decode(None, np.zeros((1, 4), np.float32))
