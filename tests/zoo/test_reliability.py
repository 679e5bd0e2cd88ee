"""Issue 9, zoo: vocabularies, argument types, CLI ranges and file placement, solver indices,
counter cross-checks on resume, malformed saved configs, and two solvers/samplers in threads."""
from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from minigrad.errors import DTypeError, IndexRangeError, RangeError, ShapeError
from minigrad.nn.serialization import CheckpointError, load_npz, save_npz
from zoo.captioning import CaptioningRNN, CaptioningSolver, load_captioner, save_captioner
from zoo.captioning.__main__ import main
from zoo.captioning.model import VocabularyError, check_word_to_idx

W2I = {"<NULL>": 0, "<START>": 1, "<END>": 2, "a": 3, "cat": 4}


# ----- word_to_idx ---------------------------------------------------------------------------
def test_check_word_to_idx_accepts_a_bijection_and_returns_python_ints() -> None:
    got = check_word_to_idx("f", {w: np.int64(i) for w, i in W2I.items()})
    assert got == W2I and all(type(i) is int for i in got.values())


@pytest.mark.parametrize("vocab,error,parts", [
    ({**W2I, "<END>": 1}, VocabularyError, ["id 1", "'<START>'", "'<END>'", "share"]),
    ({**W2I, "cat": 3}, VocabularyError, ["id 3", "'a'", "'cat'"]),
    ({**W2I, "cat": 5}, VocabularyError, ["0..V-1", "V = 5", "ids 4 are missing", "'cat=5'"]),
    ({**W2I, "cat": -1}, VocabularyError, [">= 0", "'cat=-1'"]),
    ({k: v for k, v in W2I.items() if k != "<END>"} | {"dog": 2}, VocabularyError,
     ["missing '<END>'"]),
    ({"<NULL>": 0, "a": 1}, VocabularyError, ["missing '<START>', '<END>'"]),
    ({}, VocabularyError, ["empty"]),
    ({**W2I, "cat": 4.0}, DTypeError, ["ints", "'cat=4.0'"]),
    ({**W2I, "cat": True}, DTypeError, ["ints", "'cat=True'"]),
    ({**W2I, 7: 5}, DTypeError, ["str words", "7"]),
    ([("<NULL>", 0)], DTypeError, ["mapping", "list"]),
])
def test_bad_vocabularies_are_named(vocab: Any, error: type, parts: list[str]) -> None:
    with pytest.raises(error) as info:
        check_word_to_idx("Model", vocab)
    msg = str(info.value)
    assert msg.startswith("Model: ") and all(p in msg for p in parts), msg
    with pytest.raises(error, match="CaptioningRNN: word_to_idx"):
        CaptioningRNN(vocab, input_dim=3, wordvec_dim=2, hidden_dim=2)


def test_vocabulary_error_is_a_value_and_key_error() -> None:
    assert issubclass(VocabularyError, ValueError) and issubclass(VocabularyError, KeyError)
    with pytest.raises(KeyError, match="<END>"):
        CaptioningRNN({"<NULL>": 0, "<START>": 1}, input_dim=3, wordvec_dim=2, hidden_dim=2)


def test_reloaded_model_cannot_lose_a_word(tmp_path: Path) -> None:
    """A saved vocabulary with a word twice would map two ids to one word: refused on load."""
    model = CaptioningRNN(W2I, input_dim=3, wordvec_dim=2, hidden_dim=2)
    path = tmp_path / "m.npz"
    save_captioner(model, path)
    d = load_npz(path)
    d["vocab.idx_to_word"] = np.array(["<NULL>", "<START>", "<END>", "a", "a"])
    save_npz(path, d)
    with pytest.raises(CheckpointError, match=r"same word at several ids: \['a'\]"):
        load_captioner(path)


# ----- constructor / sample / step argument types ---------------------------------------------
@pytest.mark.parametrize("kwargs,error,pattern", [
    ({"hidden_dim": "abc"}, DTypeError, "hidden_dim must be an int >= 1, got 'abc'"),
    ({"hidden_dim": 2.5}, DTypeError, "hidden_dim must be an int >= 1, got 2.5"),
    ({"wordvec_dim": 0}, RangeError, "wordvec_dim must be >= 1, got 0"),
    ({"input_dim": True}, DTypeError, "input_dim"),
    ({"seed": -1}, RangeError, "seed must be >= 0, got -1"),
    ({"seed": 2 ** 32}, RangeError, "seed must be < 2\\*\\*32"),
])
def test_constructor_argument_types(kwargs: dict, error: type, pattern: str) -> None:
    args = {"input_dim": 3, "wordvec_dim": 2, "hidden_dim": 2, **kwargs}
    with pytest.raises(error, match=pattern):
        CaptioningRNN(W2I, **args)


@pytest.mark.parametrize("kwargs,error,pattern", [
    ({"max_length": "x"}, DTypeError, "max_length must be an int >= 1, got 'x'"),
    ({"max_length": 0}, RangeError, "max_length must be >= 1, got 0"),
    ({"beam_size": 2.5}, DTypeError, "beam_size must be an int >= 1, got 2.5"),
    ({"beam_size": 2, "length_penalty": float("nan")}, RangeError, "length_penalty"),
    ({"beam_size": 2, "length_penalty": "1"}, RangeError, "length_penalty"),
])
def test_sample_argument_types(kwargs: dict, error: type, pattern: str) -> None:
    model = CaptioningRNN(W2I, input_dim=3, wordvec_dim=2, hidden_dim=2)
    with pytest.raises(error, match=pattern):
        model.sample(np.ones((2, 3), np.float32), **kwargs)


def test_step_refuses_ids_outside_the_vocabulary() -> None:
    model = CaptioningRNN(W2I, input_dim=3, wordvec_dim=2, hidden_dim=2)
    h, c = model.init_state(np.ones((2, 3), np.float32))
    with pytest.raises(RangeError, match=r"\[0, V\) with V = 5, got min 1 max 5"):
        model.step(np.array([1, 5]), h, c)
    with pytest.raises(RangeError, match="got min -1"):
        model.step(np.array([-1, 1]), h, c)
    with pytest.raises(DTypeError, match="1-D int"):
        model.step(np.array([1.0, 2.0]), h, c)
    scores, _, _ = model.step(np.array([1, 4]), h, c)
    assert scores.shape == (2, 5)


# ----- CLI: ranges at parse time ---------------------------------------------------------------
@pytest.mark.parametrize("argv,message", [
    (["train", "--beam-size", "0"], "argument --beam-size: expected an integer >= 1, got 0"),
    (["sample", "-n", "-3"], "argument -n: expected an integer >= 1, got -3"),
    (["train", "--epochs", "-1"], "argument --epochs: expected an integer >= 0, got -1"),
    (["train", "--max-train", "-5"], "argument --max-train: expected an integer >= 1, got -5"),
    (["train", "--batch-size", "0"], "argument --batch-size: expected an integer >= 1, got 0"),
    (["train", "--hidden-dim", "0"], "argument --hidden-dim: expected an integer >= 1, got 0"),
    (["train", "--wordvec-dim", "2.5"],
     "argument --wordvec-dim: expected an integer >= 1, got '2.5'"),
    (["train", "--lr", "0"], "argument --lr: expected a finite number > 0, got 0"),
    (["train", "--lr", "nan"], "argument --lr: expected a finite number > 0, got nan"),
    (["train", "--lr-decay", "-0.5"],
     "argument --lr-decay: expected a finite number > 0, got -0.5"),
    (["train", "--seed", "-1"], "argument --seed: expected an integer >= 0 and < 4294967296"),
    (["eval", "--seed", str(2 ** 32)], "argument --seed: expected an integer >= 0 and <"),
    (["make-data", "--n-train", "0"], "argument --n-train: expected an integer >= 1, got 0"),
    (["make-data", "--n-val", "-2"], "argument --n-val: expected an integer >= 1, got -2"),
    (["make-data", "--encoder-epochs", "-1"], "argument --encoder-epochs: expected an integer >="),
    (["demo", "--n-train", "x"], "argument --n-train: expected an integer >= 1, got 'x'"),
    (["train", "--checkpoint", "B/x.npz"], "--checkpoint is only for sample and eval"),
    (["train", "--resume", "--force"], "argument --force: not allowed with --resume"),
])
def test_cli_numbers_are_checked_at_parse_time(argv: list[str], message: str, tmp_path: Path,
                                               capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main([*argv, "--data", str(tmp_path / "nothing"), "--out", str(tmp_path / "out")])
    assert info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("argv,message", [
    (["--epochs", "0"], "argument --epochs: expected an integer >= 1, got 0"),
    (["--n-train", "-4"], "argument --n-train: expected an integer >= 1, got -4"),
    (["--pca-dim", "x"], "argument --pca-dim: expected an integer >= 1, got 'x'"),
    (["--seed", "-1"], "argument --seed: expected an integer >= 0 and < 4294967296, got -1"),
])
def test_encoder_cli_numbers_are_checked_at_parse_time(argv: list[str], message: str,
                                                       tmp_path: Path, capsys) -> None:
    from zoo.encoders.__main__ import main as encoder_main

    with pytest.raises(SystemExit) as info:
        encoder_main([str(tmp_path / "world"), *argv])
    assert info.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "world").exists()


# ----- CLI: one output folder, no overwriting another run --------------------------------------
TRAIN = ["--cell", "rnn", "--epochs", "1", "--hidden-dim", "8", "--wordvec-dim", "8",
         "--batch-size", "64", "--max-train", "192"]


def _train(world_dir: Path, out: Path, *extra: str) -> int:
    return main(["train", "--data", str(world_dir), "--out", str(out), *TRAIN, *extra])


def test_cli_train_writes_into_out_only_and_refuses_to_overwrite(world_dir: Path, tmp_path: Path,
                                                                 capsys) -> None:
    out = tmp_path / "A" / "run"  # created, parents too
    assert _train(world_dir, out) == 0
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.npz", "loss.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["A"]
    ckpt = out / "checkpoint.npz"
    first = ckpt.read_bytes()
    capsys.readouterr()
    cases = [((), "already holds this run; pass --resume to continue it or --force"),
             (("--hidden-dim", "12"), "holds a different run (config.hidden_dim = 8 there, 12"),
             (("--seed", "1"), "solver.seed = 0 there, 1 here"),
             (("--max-train", "128"), "solver.num_train = 192 there, 128 here"),
             (("--lr", "0.001"), "solver.learning_rate")]
    for extra, message in cases:
        assert _train(world_dir, out, *extra) == 1, extra  # a later option wins
        err = capsys.readouterr().err
        assert message in err and str(ckpt) in err, (extra, err)
        assert ckpt.read_bytes() == first  # untouched
    assert _train(world_dir, out, "--hidden-dim", "12", "--force") == 0
    assert load_captioner(ckpt).config.hidden_dim == 12
    assert _train(world_dir, out, "--resume", "--hidden-dim", "8") == 1
    assert "is a different run" in capsys.readouterr().err
    assert _train(world_dir, out, "--resume", "--hidden-dim", "12", "--epochs", "2") == 0
    assert int(load_npz(ckpt)["solver.t"]) == 2 * 3  # 192 captions / 64 = 3 per epoch


def test_cli_train_resume_needs_a_checkpoint_and_out_must_be_a_dir(world_dir: Path,
                                                                  tmp_path: Path, capsys) -> None:
    assert _train(world_dir, tmp_path / "empty", "--resume") == 1
    assert "there is no" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert _train(world_dir, tmp_path / "file") == 1
    assert "is not a directory" in capsys.readouterr().err
    garbage = tmp_path / "g"
    garbage.mkdir()
    (garbage / "checkpoint.npz").write_bytes(b"random bytes")
    assert _train(world_dir, garbage) == 1
    assert "cannot be read" in capsys.readouterr().err


# ----- solver: indices, ids, widths checked at construction ---------------------------------
def _model(data: dict[str, Any], H: int = 8, seed: int = 0) -> CaptioningRNN:
    return CaptioningRNN(data["word_to_idx"], input_dim=data["train_features"].shape[1],
                         wordvec_dim=8, hidden_dim=H, cell_type="lstm", seed=seed)


def _solver(data: dict[str, Any], seed: int = 7, epochs: int = 1, **kw: Any) -> CaptioningSolver:
    return CaptioningSolver(_model(data, seed=seed), data, batch_size=64, num_epochs=epochs,
                            verbose=False, progress=False, seed=seed, **kw)


@pytest.mark.parametrize("edit,error,pattern", [
    (lambda d: d["train_image_idxs"].__setitem__(5, -1), IndexRangeError,
     r"train_image_idxs must be in \[0, 160\).*1 are not.*train_image_idxs\[5\] = -1"),
    (lambda d: d["train_image_idxs"].__setitem__(0, 160), IndexRangeError,
     r"\[0, 160\).*= 160"),
    (lambda d: d.__setitem__("train_image_idxs", d["train_image_idxs"] * 1.0), DTypeError,
     "integer arrays"),
    (lambda d: d["train_captions"].__setitem__((3, 2), 10 ** 6), RangeError,
     r"ids must be in \[0, V\).*1 captions are not \(first: row 3"),
    (lambda d: d["train_captions"].__setitem__((4, 0), -1), RangeError, "row 4"),
    (lambda d: d.__setitem__("train_features", d["train_features"][:, :5]), ShapeError,
     "width 5 but the model's input_dim is 64"),
    (lambda d: d.__setitem__("train_image_idxs", d["train_image_idxs"][:-1]), ShapeError,
     "one entry per caption"),
])
def test_solver_checks_indices_ids_and_widths(world, edit, error: type, pattern: str) -> None:
    data = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in world.items()}
    model = _model(world)
    edit(data)
    with pytest.raises(error, match=pattern):
        CaptioningSolver(model, data, verbose=False, progress=False)


# ----- resume: counters cross-checked, all or nothing ----------------------------------------
def test_checkpoint_between_step_and_counter_is_refused(world, tmp_path: Path) -> None:
    torn = _solver(world)
    torn._step()  # the optimizer stepped; the solver's t is still 0
    path = tmp_path / "torn.npz"
    save_npz(path, torn.state_dict())  # what a save between the two would have written
    fresh = _solver(world)
    before = {k: v.copy() for k, v in fresh.model.state_dict().items()}
    with pytest.raises(CheckpointError, match="took 1 steps but the solver counted solver.t = 0"):
        fresh.resume(path)
    assert fresh.t == 0 and fresh.optimizer.step_count == 0
    assert all(np.array_equal(before[k], v) for k, v in fresh.model.state_dict().items())


@pytest.mark.parametrize("key,value,pattern", [
    ("solver.epoch", 0, "solver.epoch = 0 but solver.t = 10"),
    ("solver.loss_history", np.zeros(9), "loss_history has 9 entries for t = 10"),
])
def test_edited_counters_are_refused(world, tmp_path: Path, key: str, value: Any,
                                     pattern: str) -> None:
    solver = _solver(world)
    solver.train()
    d = solver.state_dict()
    d[key] = np.asarray(value)
    save_npz(tmp_path / "c.npz", d)
    with pytest.raises(CheckpointError, match=pattern):
        _solver(world, epochs=2).resume(tmp_path / "c.npz")


def test_failed_resume_leaves_model_and_optimizer_untouched(world, tmp_path: Path) -> None:
    done = _solver(world)
    done.train()
    d = done.state_dict()
    d["optim.m.3"] = np.zeros(7, np.float32)  # the model loads, then the optimizer fails
    save_npz(tmp_path / "bad.npz", d)
    fresh = _solver(world, epochs=2)
    fresh.train()  # some state of its own to keep
    model_before = {k: v.copy() for k, v in fresh.model.state_dict().items()}
    optim_before = fresh.optimizer.state_dict()
    with pytest.raises(Exception, match="m.3"):
        fresh.resume(tmp_path / "bad.npz")
    assert all(np.array_equal(model_before[k], v) for k, v in fresh.model.state_dict().items())
    after = fresh.optimizer.state_dict()
    assert sorted(after) == sorted(optim_before)
    assert all(np.array_equal(optim_before[k], after[k]) for k in after)
    assert fresh.t == 20


def test_resume_refuses_another_vocabulary_or_lr(world, tmp_path: Path) -> None:
    done = _solver(world)
    done.train()
    path = done.save_checkpoint(tmp_path / "c.npz")
    with pytest.raises(CheckpointError, match="solver.learning_rate"):
        _solver(world, optim_config={"learning_rate": 1e-4}).resume(path)
    d = load_npz(path)
    words = d["vocab.idx_to_word"].copy()
    words[[5, 6]] = words[[6, 5]]
    d["vocab.idx_to_word"] = words
    save_npz(path, d)
    with pytest.raises(CheckpointError, match="vocab.idx_to_word .*first difference at id 5"):
        _solver(world).resume(path)


@pytest.mark.parametrize("key,value,pattern", [
    ("config.hidden_dim", 10 ** 9, r"does not match the parameters: model.W_proj \(64, 8\)"),
    ("config.hidden_dim", np.array(2.5), "config.hidden_dim must be a scalar"),
    ("config.cell_type", np.array("gru"), "config.cell_type must be 'rnn' or 'lstm'"),
    ("config.dtype", np.array("int8"), "config.dtype"),
    ("model.W_embed", None, r"model.W_embed missing"),
])
def test_load_captioner_refuses_malformed_configs(world, tmp_path: Path, key: str, value: Any,
                                                  pattern: str) -> None:
    path = tmp_path / "m.npz"
    save_captioner(_model(world), path)
    d = load_npz(path)
    if value is None:
        del d[key]
    else:
        d[key] = np.asarray(value)
    save_npz(path, d)
    with pytest.raises(CheckpointError, match=pattern):
        load_captioner(path)


# ----- threads ---------------------------------------------------------------------------
def _run_threads(*fns) -> list[Any]:
    """Run each fn in its own thread, all released together; re-raise the first failure."""
    results: list[Any] = [None] * len(fns)
    errors: list[BaseException] = []
    gate = threading.Barrier(len(fns))

    def run(i: int) -> None:
        try:
            gate.wait()
            results[i] = fns[i]()
        except BaseException as e:  # noqa: BLE001 - handed to the main thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(fns))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def _trained(world, seed: int) -> tuple[list[float], dict[str, np.ndarray]]:
    s = _solver(world, seed=seed, epochs=2)
    s.train()
    return s.loss_history, s.model.state_dict()


def _same(a: tuple, b: tuple) -> bool:
    return a[0] == b[0] and all(np.array_equal(x, y) for x, y in
                                zip(a[1].values(), b[1].values(), strict=True))


def test_two_solvers_in_two_threads_equal_sequential_runs(world) -> None:
    first, second = _trained(world, 1), _trained(world, 2)
    assert not _same(first, second)  # two different runs
    got = _run_threads(lambda: _trained(world, 1), lambda: _trained(world, 2))
    assert _same(got[0], first) and _same(got[1], second)


def test_sampling_in_two_threads_and_beside_training(world) -> None:
    model = _model(world, H=16, seed=3)
    feats = world["val_features"][:12]
    greedy = model.sample(feats, max_length=8)
    beam = model.sample(feats, max_length=8, beam_size=3)
    runs = _run_threads(*[lambda: [model.sample(feats, max_length=8) for _ in range(5)],
                          lambda: [model.sample(feats, max_length=8, beam_size=3)
                                   for _ in range(5)]])
    assert all(np.array_equal(g, greedy) for g in runs[0])
    assert all(np.array_equal(b, beam) for b in runs[1])
    alone = _trained(world, 1)  # sampling (no_grad) in one thread must not stop training's graph
    trained, samples = _run_threads(lambda: _trained(world, 1),
                                    lambda: [model.sample(feats, max_length=8, beam_size=2)
                                             for _ in range(20)])
    assert _same(trained, alone)
    assert all(np.array_equal(s, samples[0]) for s in samples)


def test_checkpoints_taken_from_another_thread_are_consistent(world) -> None:
    solver = _solver(world, epochs=3)
    seen: list[tuple[int, int, int]] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            d = solver.state_dict()
            seen.append((int(d["optim.step"]), int(d["solver.t"]),
                         len(d["solver.loss_history"])))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        solver.train()
    finally:
        stop.set()
        watcher.join()
    assert seen and all(a == b == c for a, b, c in seen), [s for s in seen if len(set(s)) > 1]


# ----- COCO loader: broken files name themselves ---------------------------------------------
@pytest.fixture
def coco(tmp_path: Path) -> Path:
    from tests.zoo.test_coco import write_tiny_coco

    base = tmp_path / "coco_captioning"
    write_tiny_coco(base)
    return base


def _load(base: Path, **kw: Any) -> dict[str, Any]:
    from zoo.datasets.coco import load_coco_data

    return load_coco_data(base, **kw)


@pytest.mark.parametrize("name", ["coco2014_captions.h5", "train2014_vgg16_fc7_pca.h5",
                                  "val2014_vgg16_fc7_pca.h5"])
@pytest.mark.parametrize("damage", ["empty", "random", "truncated"])
def test_unreadable_h5_files_are_named(coco: Path, name: str, damage: str) -> None:
    from zoo.datasets.coco import CocoDataError, CocoFileError

    path = coco / name
    raw = path.read_bytes()
    path.write_bytes({"empty": b"",
                      "random": np.random.default_rng(0).bytes(4096),
                      "truncated": raw[: len(raw) // 2]}[damage])
    for lazy in (True, False):
        with pytest.raises(CocoFileError, match="not a readable HDF5 file") as info:
            _load(coco, lazy_features=lazy)
        assert str(path) in str(info.value)
        assert isinstance(info.value, OSError) and isinstance(info.value, CocoDataError)


def test_dataset_stored_as_a_group_is_named(coco: Path) -> None:
    import h5py

    from zoo.datasets.coco import CocoDataError

    for name, key in (("coco2014_captions.h5", "val_captions"),
                      ("val2014_vgg16_fc7_pca.h5", "features")):
        path = coco / name
        with h5py.File(path, "a") as f:
            data = np.asarray(f[key])
            del f[key]
            f.create_group(key).create_dataset("x", data=data)
        with pytest.raises(CocoDataError, match=f"'{key}' is an HDF5 group, not a dataset"):
            _load(coco)
        with h5py.File(path, "a") as f:
            del f[key]
            f.create_dataset(key, data=data)
    _load(coco)  # repaired


def test_nan_features_are_counted_before_anything_spreads_them(coco: Path) -> None:
    import h5py

    from zoo.datasets.coco import CocoDataError, H5Features

    path = coco / "train2014_vgg16_fc7_pca.h5"
    with h5py.File(path, "a") as f:
        feats = np.asarray(f["features"])
        feats[3, [0, 2]] = np.nan
        feats[5, 1] = np.inf
        del f["features"]
        f.create_dataset("features", data=feats)
    with pytest.raises(CocoDataError, match=r"3 feature values are NaN or inf in 2 of the 7 rows "
                                            r"read \(first: row 3\)") as info:
        _load(coco, lazy_features=False)
    assert str(path) in str(info.value)
    lazy = H5Features(path)  # lazy: every read is checked, clean rows still read
    np.testing.assert_array_equal(lazy[[0, 1, 2]], feats[[0, 1, 2]])
    np.testing.assert_array_equal(lazy[4], feats[4])
    with pytest.raises(CocoDataError, match=r"1 feature values .* 1 of the 2 rows .*row 5"):
        lazy[[6, 5, 5]]
    with pytest.raises(CocoDataError, match=r"2 feature values .*first: row 3"):
        lazy[3]
    with pytest.raises(CocoDataError, match=r"first: row 3"):
        lazy[2:6]
    from minigrad.errors import RangeError
    from zoo.encoders.cnn import fit_pca

    with pytest.raises(RangeError, match="fit_pca: features must be finite, got 3 NaN or inf "
                                         "values in 2 of 7 rows"):
        fit_pca(feats, 2)


def test_train_and_val_feature_widths_must_agree(coco: Path) -> None:
    import h5py

    from zoo.datasets.coco import CocoDataError

    with h5py.File(coco / "val2014_vgg16_fc7_pca.h5", "a") as f:
        del f["features"]
        f.create_dataset("features", data=np.zeros((4, 3), np.float32))
    with pytest.raises(CocoDataError, match="train2014_vgg16_fc7_pca.h5 has D = 5, "
                                            "val2014_vgg16_fc7_pca.h5 has D = 3"):
        _load(coco)


@pytest.mark.parametrize("name", ["coco2014_vocab.json", "val2014_urls.txt"])
def test_non_utf8_text_files_are_named(coco: Path, name: str) -> None:
    from zoo.datasets.coco import CocoDataError

    path = coco / name
    raw = path.read_bytes()
    path.write_bytes(raw[:7] + b"\xff\xfe" + raw[7:])
    with pytest.raises(CocoDataError, match=r"not UTF-8 text \(byte b'\\xff' at offset 7\)") as e:
        _load(coco)
    assert str(path) in str(e.value)


@pytest.mark.parametrize("batch_size", [0, -3, 2.5, True, "4"])
def test_minibatch_size_must_be_a_positive_int(coco: Path, batch_size: Any) -> None:
    from zoo.datasets.coco import sample_coco_minibatch

    data = _load(coco)
    with pytest.raises(ValueError, match=f"batch_size must be an int >= 1, got {batch_size!r}"):
        sample_coco_minibatch(data, batch_size=batch_size, seed=0)
    caps, feats, urls = sample_coco_minibatch(data, batch_size=1, seed=0)
    assert caps.shape == (1, 17) and feats.shape == (1, 5) and urls.shape == (1,)


# ----- url files: paths relative to the data directory ----------------------------------------
def test_world_url_file_is_relative_and_resolves_after_a_move(tmp_path: Path) -> None:
    from urllib.parse import urlparse
    from urllib.request import url2pathname

    from zoo.datasets.coco import resolve_url
    from zoo.datasets.shapes import write_shapes_dataset

    first = tmp_path / "first"
    write_shapes_dataset(first, n_train=6, n_val=3, seed=0, write_pngs=True)
    lines = (first / "val2014_urls.txt").read_text().splitlines()
    assert lines == ["images/val/00000.png", "images/val/00001.png", "images/val/00002.png"]
    moved = tmp_path / "moved"
    first.rename(moved)
    from zoo.datasets.shapes import load_shapes_split
    from zoo.encoders.cnn import EncoderConfig, encode_dataset, train_encoder

    images, _, labels = load_shapes_split(moved, "train")
    enc, _ = train_encoder(images, labels, EncoderConfig(channels=(4, 4, 4), feature_dim=8),
                           epochs=1, seed=0, progress=False)
    encode_dataset(moved, enc, pca_dim=3)
    data = _load(moved)
    for split, n in (("train", 6), ("val", 3)):
        assert len(data[f"{split}_urls"]) == n
        for k, url in enumerate(data[f"{split}_urls"]):
            assert url.startswith("file://")
            png = Path(url2pathname(urlparse(url).path))
            assert png == (moved / "images" / split / f"{k:05d}.png").resolve() and png.is_file()
    # an old url file of absolute file:// URLs (or bare absolute paths) still reads as it was
    old = (moved / "images/val/00001.png").resolve()
    assert resolve_url(old.as_uri(), tmp_path / "elsewhere") == old.as_uri()
    assert resolve_url(str(old), tmp_path / "elsewhere") == old.as_uri()
    assert resolve_url("http://example.org/a.jpg", moved) == "http://example.org/a.jpg"
    assert resolve_url("", moved) == ""


def test_loader_names_a_file_given_as_the_directory_and_missing_minibatch_keys(coco: Path) -> None:
    from zoo.datasets.coco import CocoFileNotFoundError, CocoKeyError, sample_coco_minibatch

    with pytest.raises(CocoFileNotFoundError, match="coco2014_vocab.json' is not a directory"):
        _load(coco / "coco2014_vocab.json")
    data = _load(coco)
    del data["val_features"]
    with pytest.raises(CocoKeyError, match=r"data has no \['val_features'\]"):
        sample_coco_minibatch(data, batch_size=2, split="val", seed=0)


def test_vocab_id_of_the_wrong_type_is_shown_as_written(coco: Path) -> None:
    from zoo.datasets.vocab import VocabError

    path = coco / "coco2014_vocab.json"
    vocab = json.loads(path.read_text())
    vocab["word_to_idx"]["cat"] = str(vocab["word_to_idx"]["cat"])
    path.write_text(json.dumps(vocab))
    with pytest.raises(VocabError, match=r"word_to_idx\['cat'\] must be 5 .*got '5'"):
        _load(coco)


@pytest.mark.parametrize("kwargs, part", [
    ({"batch_size": 2.5}, "batch_size must be an int"),
    ({"batch_size": "abc"}, "batch_size must be an int"),
    ({"num_epochs": -1}, "num_epochs must be >= 0"),
    ({"print_every": 0}, "print_every must be >= 1"),
    ({"lr_decay": float("nan")}, "lr_decay must be a finite number > 0"),
    ({"lr_decay": 0}, "lr_decay must be a finite number > 0"),
])
def test_solver_numeric_arguments_are_checked_not_truncated(overfit_data, kwargs, part) -> None:
    model = CaptioningRNN(overfit_data["word_to_idx"], input_dim=overfit_data["train_features"]
                          .shape[1], wordvec_dim=8, hidden_dim=8)
    with pytest.raises((DTypeError, RangeError), match=part):
        CaptioningSolver(model, overfit_data, **kwargs)


@pytest.mark.parametrize("extra, expected", [([], "settings"), (["--no-transformer"], None)])
def test_zoo_demo_command_trains_the_transformer_beside_the_lstm(monkeypatch, tmp_path, extra,
                                                                 expected) -> None:
    import zoo.captioning.demo as demo
    from zoo.captioning.__main__ import main

    seen: dict[str, Any] = {}
    monkeypatch.setattr(demo, "run_demo", lambda out, **kw: seen.update(kw))
    assert main(["demo", "--out", str(tmp_path / "d"), *extra]) == 0
    want = demo.TRANSFORMER_SETTINGS if expected == "settings" else None
    assert seen["transformer"] == want and seen["cell_type"] == "lstm"
