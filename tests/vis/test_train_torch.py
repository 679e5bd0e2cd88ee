"""vis.train_torch: zoo's solver semantics in torch, DDP (gloo) = one process, zoo's checkpoint.

Expected values come from elsewhere: zoo's minigrad CaptioningSolver for the run itself, the
one-process torch run for the two-process one, minigrad's CaptioningRNN (load_captioner) for the
checkpoint, an uninterrupted run for a resumed one. Everything runs on the CPU (gloo) on a tiny
generated world (24 images, 96 captions, random 16-d features).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from vis.train_torch import main
from vis.twin import TorchCaptioner

REPO = Path(__file__).resolve().parents[2]
D, H, W, B, EPOCHS, LR, DECAY = 16, 16, 8, 8, 2, 5e-3, 0.9
TIMEOUT = 600  # seconds for a torchrun launch on a loaded 2-core machine


TRANSFORMER = ["--num-heads", "2", "--num-layers", "2", "--dim-feedforward", "16"]


def _args(data: Path, out: Path, *extra: str, model: str = "lstm") -> list[str]:
    sizes = TRANSFORMER if model == "transformer" else ["--hidden-dim", str(H)]
    return ["--data", str(data), "--out", str(out), "--model", model, "--epochs", str(EPOCHS),
            "--batch-size", str(B), "--wordvec-dim", str(W), *sizes, "--lr", str(LR),
            "--lr-decay", str(DECAY), "--seed", "3", "--threads", "1", "--quiet", *extra]


def _ckpt(out: Path) -> dict[str, np.ndarray]:
    with np.load(out / "checkpoint.npz") as f:
        return {k: f[k] for k in f.files}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", PYTHONPATH=str(REPO))
    return env


@pytest.fixture(autouse=True)
def _restore_torch_threads() -> Any:
    """main() sets torch's thread count (--threads 1 here); give the session its own back."""
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 24/6-image world in the COCO layout with random (seeded) 16-d features."""
    from zoo.datasets.shapes import write_features, write_shapes_dataset

    base = tmp_path_factory.mktemp("tiny_world")
    info = write_shapes_dataset(base, n_train=24, n_val=6, seed=5, write_pngs=False)
    assert info["n_train_captions"] // B >= 6  # several iterations per epoch
    rng = np.random.default_rng(0)
    write_features(base, "train", rng.standard_normal((24, D)).astype(np.float32))
    write_features(base, "val", rng.standard_normal((6, D)).astype(np.float32))
    return base


@pytest.fixture(scope="module")
def one_process(tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """OUT of an uninterrupted single-process run (lstm, 2 epochs)."""
    out = tmp_path_factory.mktemp("one") / "out"
    assert main(_args(tiny, out)) == 0
    return out


def _zoo_solver(tiny: Path, epochs: int = EPOCHS, model: str = "lstm", rule: str = "adam") -> Any:
    from zoo.captioning import CaptioningRNN, CaptioningSolver, CaptioningTransformer
    from zoo.captioning.demo import load_data

    data = load_data(tiny)
    if model == "transformer":
        model = CaptioningTransformer(data["word_to_idx"], input_dim=D, wordvec_dim=W,
                                      num_heads=2, num_layers=2, dim_feedforward=16,
                                      dropout=0.0, seed=3)
    else:
        model = CaptioningRNN(data["word_to_idx"], input_dim=D, wordvec_dim=W, hidden_dim=H,
                              cell_type=model, seed=3)
    return CaptioningSolver(model, data, rule, optim_config={"learning_rate": LR}, lr_decay=DECAY,
                            batch_size=B, num_epochs=epochs, verbose=False, seed=3,
                            progress=False)


def test_one_process_is_zoos_solver_run(tiny: Path, one_process: Path) -> None:
    solver = _zoo_solver(tiny)
    solver.train()
    d = _ckpt(one_process)
    np.testing.assert_allclose(d["solver.loss_history"], solver.loss_history, rtol=1e-5)
    for name, value in solver.model.state_dict().items():
        np.testing.assert_allclose(d[f"model.{name}"], value, rtol=1e-4, atol=1e-5)
    assert int(d["solver.t"]) == len(solver.loss_history) == EPOCHS * solver.iterations_per_epoch
    assert int(d["solver.epoch"]) == EPOCHS
    assert float(d["torch_optim.group.0.lr"]) == solver.optimizer.lr == LR * DECAY * DECAY


@pytest.mark.parametrize("rule", ["sgd", "sgd_momentum", "rmsprop"])
def test_other_update_rules_are_zoos(rule: str, tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(_args(tiny, out, "--update-rule", rule)) == 0
    solver = _zoo_solver(tiny, rule=rule)
    solver.train()
    d = _ckpt(out)
    np.testing.assert_allclose(d["solver.loss_history"], solver.loss_history, rtol=1e-4)
    for name, value in solver.model.state_dict().items():
        np.testing.assert_allclose(d[f"model.{name}"], value, rtol=1e-3, atol=1e-5, err_msg=name)
    assert str(d["torch_optim.class"]) == {"rmsprop": "RMSprop"}.get(rule, "SGD")
    assert str(d["solver.update_rule"]) == rule


def test_global_minibatches_are_zoos(tiny: Path) -> None:
    from vis.train_torch.cli import load_training_data
    from vis.train_torch.launch import Context
    from vis.train_torch.models import build
    from vis.train_torch.options import parse_args
    from vis.train_torch.trainer import Trainer

    solver = _zoo_solver(tiny)
    args = parse_args(_args(tiny, tiny / "unused"))
    data = load_training_data(args)
    parts = []
    for rank in (0, 1):
        ctx = Context(rank=rank, world_size=2)
        parts.append(Trainer(args, ctx, data, build(args, data, ctx.device)))
    for t in (0, 5, 11, 12, 23):
        want_caps, want_feats = solver.minibatch(t)
        (f0, c0, n0, n), (f1, c1, n1, _) = parts[0].local_batch(t), parts[1].local_batch(t)
        assert (n0, n1, n) == (B // 2, B // 2, B)
        np.testing.assert_array_equal(torch.cat([c0, c1]).numpy(), want_caps)
        np.testing.assert_array_equal(torch.cat([f0, f1]).numpy(), want_feats)


AUDIT = textwrap.dedent("""
    import atexit, json, os, runpy, sys
    ROOT, LOG = os.path.realpath(os.environ["AUDIT_ROOT"]), os.environ["AUDIT_LOG"]
    WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    seen = []
    def inside(p):
        try:
            return os.path.realpath(os.fsdecode(p)).startswith(ROOT)
        except (TypeError, ValueError):
            return False
    def hook(event, args):
        if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
            mode, flags = args[1], args[2] or 0
            if (mode and any(c in mode for c in "wax+")) or flags & WRITE:
                if inside(args[0]):
                    seen.append([event, os.fsdecode(args[0])])
        elif event in ("os.mkdir", "os.rename", "os.remove", "os.rmdir", "os.chmod"):
            if inside(args[0]):
                seen.append([event, os.fsdecode(args[0])])
    def dump():
        text = json.dumps(seen)
        with open(os.path.join(LOG, "audit-" + os.environ["RANK"] + ".json"), "w") as f:
            f.write(text)
    atexit.register(dump)
    sys.addaudithook(hook)
    sys.argv = ["vis.train_torch"] + sys.argv[1:]
    runpy.run_module("vis.train_torch", run_name="__main__", alter_sys=True)
""")


def _torchrun(args: list[str], cwd: Path, script: Path | None = None,
              extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    target = [str(script)] if script else ["-m", "vis.train_torch"]
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           *target, *args]
    return subprocess.run(cmd, cwd=cwd, env={**_env(), **(extra_env or {})}, timeout=TIMEOUT,
                          capture_output=True, text=True)


def _audited_torchrun(tiny: Path, base: Path, *extra: str, model: str = "lstm") -> Path:
    """Run 2 processes under torchrun, each recording every write it makes under base/root
    (Python audit hooks) into base/logs/audit-<rank>.json; returns OUT (base/root/out)."""
    root, logs = base / "root", base / "logs"
    (root / "cwd").mkdir(parents=True)
    logs.mkdir()
    script = logs / "audit.py"
    script.write_text(AUDIT)
    out = root / "out"
    res = _torchrun(_args(tiny, out, *extra, model=model), root / "cwd", script,
                    {"AUDIT_ROOT": str(root), "AUDIT_LOG": str(logs)})
    assert res.returncode == 0, res.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def two_process(tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """OUT of the lstm run of `one_process` made by 2 gloo processes (audited)."""
    return _audited_torchrun(tiny, tmp_path_factory.mktemp("two"))


def _equal_up_to_reassociation(one: dict[str, np.ndarray], two: dict[str, np.ndarray]) -> None:
    assert int(two["train_torch.world_size"]) == 2 and int(one["train_torch.world_size"]) == 1
    assert int(two["solver.t"]) == int(one["solver.t"]) == len(one["solver.loss_history"])
    np.testing.assert_allclose(two["solver.loss_history"], one["solver.loss_history"],
                               rtol=1e-4, atol=1e-4)
    model_keys = [k for k in one if k.startswith(("model.", "torch_optim.state."))]
    assert len(model_keys) >= 8 + 8 * 3
    for k in model_keys:
        np.testing.assert_allclose(two[k], one[k], rtol=1e-4, atol=1e-4, err_msg=k)


def _only_rank0_wrote(out: Path) -> None:
    logs, root = out.parent.parent / "logs", out.parent
    rank0 = json.loads((logs / "audit-0.json").read_text())
    rank1 = json.loads((logs / "audit-1.json").read_text())
    assert rank1 == []
    assert rank0 and all(Path(p).resolve().is_relative_to(out.resolve()) for _, p in rank0)
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.npz", "loss.png"]
    assert list((root / "cwd").iterdir()) == []


def test_two_processes_equal_one_and_only_rank0_writes(one_process: Path,
                                                       two_process: Path) -> None:
    _equal_up_to_reassociation(_ckpt(one_process), _ckpt(two_process))
    _only_rank0_wrote(two_process)


DROPOUT = ("--dropout", "0.3")


@pytest.fixture(scope="module")
def transformer_one(tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """OUT of an uninterrupted single-process transformer run with dropout 0.3 (2 epochs)."""
    out = tmp_path_factory.mktemp("transformer_one") / "out"
    assert main(_args(tiny, out, *DROPOUT, model="transformer")) == 0
    return out


@pytest.fixture(scope="module")
def transformer_two(tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """OUT of the run of `transformer_one` made by 2 gloo processes (audited)."""
    return _audited_torchrun(tiny, tmp_path_factory.mktemp("transformer_two"), *DROPOUT,
                             model="transformer")


def test_two_process_transformer_with_dropout_equals_one(transformer_one: Path,
                                                         transformer_two: Path) -> None:
    """Each rank takes its rows of masks drawn for the global minibatch: the same run."""
    _equal_up_to_reassociation(_ckpt(transformer_one), _ckpt(transformer_two))
    _only_rank0_wrote(transformer_two)


def test_two_process_resume_with_dropout_is_bit_exact(tiny: Path, transformer_two: Path,
                                                      tmp_path: Path) -> None:
    out = tmp_path / "out"
    for extra in (["--stop-after", "7"], ["--resume"]):  # stopped mid-epoch
        res = _torchrun(_args(tiny, out, *DROPOUT, *extra, model="transformer"), tmp_path)
        assert res.returncode == 0, res.stderr[-3000:]
        if extra[0] == "--stop-after":
            assert int(_ckpt(out)["solver.t"]) == 7
    _same_run(_ckpt(out), _ckpt(transformer_two))


def test_checkpoint_loads_into_minigrad_with_the_twins_loss(tiny: Path, one_process: Path,
                                                           capsys: pytest.CaptureFixture) -> None:
    from zoo.captioning.__main__ import main as zoo_main
    from zoo.captioning.demo import load_data
    from zoo.captioning.train import load_captioner

    d = _ckpt(one_process)
    model = load_captioner(one_process / "checkpoint.npz")
    data = load_data(tiny)
    assert (model.config.input_dim, model.config.hidden_dim, model.config.wordvec_dim,
            model.cell_type, model.config.dtype) == (D, H, W, "lstm", "float32")
    assert [model.idx_to_word[i] for i in range(model.vocab_size)] == data["idx_to_word"]
    caps = data["train_captions"][:20]
    feats = data["train_features"][data["train_image_idxs"][:20]]
    state = {k[6:]: v for k, v in d.items() if k.startswith("model.")}
    twin64 = TorchCaptioner(state, dtype=torch.float64)
    want64 = float(twin64.loss(feats.astype(np.float64), caps).detach())
    assert float(model.double().loss(feats.astype(np.float64), caps).item()) == \
        pytest.approx(want64, abs=1e-6)
    twin32 = TorchCaptioner(state, dtype=torch.float32)
    got32 = float(load_captioner(one_process / "checkpoint.npz").loss(feats, caps).item())
    assert got32 == pytest.approx(float(twin32.loss(feats, caps).detach()), rel=1e-5)
    capsys.readouterr()
    assert zoo_main(["eval", "--data", str(tiny), "--out", str(one_process)]) == 0
    assert "val corpus BLEU-1..4 (6 images" in capsys.readouterr().out


def _same_run(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    keys = {k for k in a if k != "solver.epoch_seconds"}
    assert keys == {k for k in b if k != "solver.epoch_seconds"}
    for k in sorted(keys):
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)  # bit for bit


def test_resume_after_an_interrupted_run_is_bit_exact(tiny: Path, one_process: Path,
                                                      tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from vis.train_torch.trainer import Trainer

    step = Trainer.step

    def crash_at_10(self: Trainer) -> float:
        if self.t == 9:
            raise KeyboardInterrupt  # as a Ctrl-C in iteration 10
        return step(self)

    out = tmp_path / "out"
    monkeypatch.setattr(Trainer, "step", crash_at_10)
    with pytest.raises(KeyboardInterrupt):
        main(_args(tiny, out, "--checkpoint-every", "4"))
    assert int(_ckpt(out)["solver.t"]) == 8  # the last checkpoint before the interruption
    monkeypatch.setattr(Trainer, "step", step)
    assert main(_args(tiny, out, "--resume")) == 0
    _same_run(_ckpt(out), _ckpt(one_process))


def test_stop_after_then_resume_is_bit_exact(tiny: Path, one_process: Path,
                                             tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(_args(tiny, out, "--stop-after", "7")) == 0  # mid-epoch
    d = _ckpt(out)
    assert int(d["solver.t"]) == 7 and len(d["solver.loss_history"]) == 7
    assert main(_args(tiny, out, "--resume")) == 0
    _same_run(_ckpt(out), _ckpt(one_process))


def test_zoo_solver_continues_a_torch_checkpoint(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(_args(tiny, out, "--stop-after", "5")) == 0
    whole = _zoo_solver(tiny)
    whole.train()
    cont = _zoo_solver(tiny)
    cont.resume(out / "checkpoint.npz")
    assert cont.t == 5 and cont.optimizer.step_count == 5
    cont.train()
    np.testing.assert_allclose(cont.loss_history, whole.loss_history, rtol=1e-4)
    for name, value in whole.model.state_dict().items():
        np.testing.assert_allclose(cont.model.state_dict()[name], value, rtol=1e-3, atol=1e-4)


def test_torch_continues_a_zoo_checkpoint(tiny: Path, one_process: Path, tmp_path: Path) -> None:
    part = _zoo_solver(tiny, epochs=1)
    part.train()
    out = tmp_path / "out"
    part.save_checkpoint(out / "checkpoint.npz")
    assert main(_args(tiny, out, "--resume")) == 0
    got, want = _ckpt(out), _ckpt(one_process)
    np.testing.assert_allclose(got["solver.loss_history"], want["solver.loss_history"],
                               rtol=1e-4)
    for k in [k for k in want if k.startswith("model.")]:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-3, atol=1e-4, err_msg=k)


DIST = {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29999", "LOCAL_RANK": "0"}
BAD = [
    (["--batch-size", "0"], {}, ["argument --batch-size", "must be >= 1, got 0"]),
    (["--lr", "-1"], {}, ["argument --lr", "must be in (0, inf), got -1"]),
    (["--lr-decay", "nan"], {}, ["argument --lr-decay", "got nan"]),
    (["--epochs", "two"], {}, ["argument --epochs", "expected an integer >= 1, got 'two'"]),
    (["--dropout", "1"], {}, ["argument --dropout", "must be in [0, 1), got 1"]),
    (["--batch-size", "5"], {**DIST, "RANK": "0", "WORLD_SIZE": "2"},
     ["--batch-size 5 must be divisible by the number of processes 2"]),
    ([], {"RANK": "0"}, ["incomplete torch.distributed environment", "WORLD_SIZE", "torchrun"]),
    ([], {**DIST, "RANK": "0", "WORLD_SIZE": "2", "LOCAL_RANK": "2", "LOCAL_WORLD_SIZE": "2"},
     ["inconsistent", "LOCAL_RANK=2, LOCAL_WORLD_SIZE=2"]),
    (["--bf16"], {}, ["--bf16", "needs --device cuda, got --device cpu"]),
    (["--resume"], {}, ["--resume: no checkpoint at"]),
    (["--data", "/nonexistent/world"], {}, ["CocoFileNotFoundError", "/nonexistent/world"]),
]


@pytest.mark.parametrize("extra,env,parts", BAD, ids=[" ".join(b[0]) or str(b[1]) for b in BAD])
def test_bad_options_and_launches_fail_in_one_named_line(
        extra: list[str], env: dict[str, str], parts: list[str], tiny: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(SystemExit) as exc:
        main(_args(tiny, tmp_path / "out") + extra)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("vis.train_torch: error: "), err
    for part in parts:
        assert part in err
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message without a GPU")
def test_cuda_without_gpu_fails_in_one_line(tiny: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exc:
        main(_args(tiny, tmp_path / "out", "--device", "cuda"))
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err == ("vis.train_torch: error: --device cuda: no CUDA GPU is visible to torch "
                   "(torch.cuda.is_available() is False); use --device cpu\n")


def test_resume_with_other_sizes_is_a_named_error(one_process: Path, tiny: Path,
                                                  capsys: pytest.CaptureFixture) -> None:
    before = _ckpt(one_process)
    with pytest.raises(SystemExit):
        main(_args(tiny, one_process, "--resume", "--hidden-dim", "32"))
    err = capsys.readouterr().err
    assert "is a different run: config.hidden_dim = 16 there, 32 here" in err
    assert err.count("\n") == 1
    _same_run(_ckpt(one_process), before)


def test_other_ranks_stay_silent(tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture) -> None:
    for k, v in {**DIST, "RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1"}.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(SystemExit) as exc:
        main(_args(tiny, tmp_path / "out", "--batch-size", "5"))
    assert exc.value.code == 2 and capsys.readouterr().err == ""


def test_torchrun_with_an_indivisible_batch_fails_cleanly(tiny: Path, tmp_path: Path) -> None:
    res = _torchrun(_args(tiny, tmp_path / "out", "--batch-size", "7"), tmp_path)
    assert res.returncode != 0
    line = ("vis.train_torch: error: --batch-size 7 must be divisible by the number of "
            "processes 2")
    assert (res.stdout + res.stderr).count(line) == 1, res.stderr[-3000:]
    assert not (tmp_path / "out").exists()


def test_an_existing_checkpoint_needs_resume_or_force(tiny: Path, one_process: Path,
                                                      tmp_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    before = _ckpt(one_process)
    with pytest.raises(SystemExit) as exc:
        main(_args(tiny, one_process))
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "checkpoint.npz already exists: --resume continues it, --force overwrites" in err
    _same_run(_ckpt(one_process), before)
    out = tmp_path / "out"
    assert main(_args(tiny, out, "--stop-after", "2")) == 0
    assert main(_args(tiny, out, "--force", "--stop-after", "3")) == 0
    assert int(_ckpt(out)["solver.t"]) == 3
    with pytest.raises(SystemExit):
        main(_args(tiny, out, "--force", "--resume"))
    assert "--force: not allowed with --resume" in capsys.readouterr().err


def test_transformer_is_zoos_solver_run_and_loads_into_minigrad(tiny: Path,
                                                                tmp_path: Path) -> None:
    from vis.twin import TorchCaptioningTransformer, transformer_state_to_torch
    from zoo.captioning.train import load_captioner

    out = tmp_path / "out"
    assert main(_args(tiny, out, "--dropout", "0", model="transformer")) == 0
    solver = _zoo_solver(tiny, model="transformer")
    solver.train()
    d = _ckpt(out)
    assert str(d["config.model"]) == "transformer"
    np.testing.assert_allclose(d["solver.loss_history"], solver.loss_history, rtol=1e-4)
    for name, value in solver.model.state_dict().items():
        np.testing.assert_allclose(d[f"model.{name}"], value, rtol=1e-3, atol=1e-4, err_msg=name)
    model = load_captioner(out / "checkpoint.npz").double()
    caps, feats = solver.minibatch(0)
    twin = TorchCaptioningTransformer(model.word_to_idx, D, W, 2, 2, 50, 16, 0.0)
    twin.load_state_dict(transformer_state_to_torch(
        {k[6:]: v for k, v in d.items() if k.startswith("model.")}, torch.float64))
    want = float(twin.eval().loss(feats.astype(np.float64), caps).detach())
    assert float(model.eval().loss(feats.astype(np.float64), caps).item()) == \
        pytest.approx(want, abs=1e-6)
    cont = _zoo_solver(tiny, epochs=EPOCHS + 1, model="transformer")
    cont.resume(out / "checkpoint.npz")  # zoo's solver continues it (same run identity)
    assert cont.t == len(solver.loss_history)


def test_transformer_resume_with_dropout_is_bit_exact(tiny: Path, transformer_one: Path,
                                                      tmp_path: Path) -> None:
    whole, part = transformer_one, tmp_path / "part"
    assert main(_args(tiny, part, *DROPOUT, "--stop-after", "5", model="transformer")) == 0
    assert main(_args(tiny, part, *DROPOUT, "--resume", model="transformer")) == 0
    _same_run(_ckpt(part), _ckpt(whole))
    no_dropout = tmp_path / "no_dropout"
    assert main(_args(tiny, no_dropout, "--dropout", "0", "--stop-after", "5",
                      model="transformer")) == 0
    assert not np.array_equal(_ckpt(no_dropout)["solver.loss_history"],
                              _ckpt(whole)["solver.loss_history"][:5])  # dropout was on


def test_attention_key_biases_get_their_exact_zero_gradient(tiny: Path,
                                                            transformer_one: Path) -> None:
    """softmax ignores q·b added to every score of a row, so the key-bias gradient is 0 (float64
    twin: rounding-sized); the trainer makes it exactly 0, so those biases never move."""
    from vis.twin import TorchCaptioningTransformer

    solver = _zoo_solver(tiny, model="transformer")  # the run's initial weights (seed 3)
    init = solver.model.state_dict()
    twin = TorchCaptioningTransformer.from_minigrad(solver.model.double()).train()
    caps, feats = solver.minibatch(0)
    with twin.global_dropout(3, 0):
        twin.loss(feats, caps).backward()
    grads = {n: p.grad for n, p in twin.named_parameters()}
    keys = [n for n in grads if n.endswith("attn.key.bias")]
    assert len(keys) == 4
    for n in keys:
        assert float(grads[n].abs().max()) < 1e-12
        if "self_attn" in n:  # (one memory slot: multihead_attn's keys get exactly 0 anyway)
            assert float(grads[n.replace("bias", "weight")].abs().max()) > 1e-6
    d = _ckpt(transformer_one)
    still = {n for n in init if np.array_equal(d[f"model.{n}"], init[n])}
    assert still == {*keys, "positional_encoding.pe",  # + the scores of one memory slot:
                     *(f"transformer.layers.{i}.multihead_attn.{m}" for i in (0, 1)
                       for m in ("key.weight", "query.weight", "query.bias"))}
