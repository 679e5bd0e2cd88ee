"""Regressions of the red-team attack on the vis command lines (issue 9): bad input is one line
`PROG: error: ...` naming the option, the expected and the actual value, never a traceback."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from vis.cli import main

CLASSES = 9  # the built-in SqueezeNet's classes (vis.squeezenet.BUILTIN_NUM_CLASSES)


@pytest.fixture(autouse=True)
def _restore_torch_threads():
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


def _one_line(capsys: pytest.CaptureFixture, prefix: str) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(prefix), err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("cmd", ["saliency", "fool", "classvis"])
def test_target_beyond_the_classes_names_the_valid_range(cmd, tmp_path, capsys):
    assert main([cmd, "--target", "999", "--out", str(tmp_path), "--n" if cmd == "saliency"
                 else "--iterations", "1"]) == 2
    err = _one_line(capsys, f"python -m vis {cmd}: error: --target 999 is out of range")
    assert f"{CLASSES} classes, expected 0..{CLASSES - 1}" in err
    assert not list(tmp_path.iterdir())


def test_last_class_is_a_valid_target(tmp_path):
    assert main(["saliency", "--n", "1", "--target", str(CLASSES - 1),
                 "--out", str(tmp_path)]) == 0


@pytest.mark.parametrize("kind", ["missing", "folder", "fifo"])
@pytest.mark.parametrize("cmd", ["saliency", "fool"])
def test_image_that_is_not_an_image_file_is_named(cmd, kind, tmp_path, capsys):
    path = tmp_path / "img.png"
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    out = tmp_path / "out"
    assert main([cmd, "--image", str(path), "--out", str(out)]) == 2
    err = _one_line(capsys, f"python -m vis {cmd}: error: --image {path} is ")
    want = {"missing": "missing (no such file", "folder": "a folder",
            "fifo": "not a regular file"}[kind]
    assert want in err and "expected an image file" in err and "'chelsea'" in err


@pytest.mark.parametrize("kind", ["missing", "fifo"])
def test_file_url_is_checked_as_its_path(kind, tmp_path, capsys):
    path = tmp_path / "img.png"
    if kind == "fifo":
        os.mkfifo(path)
    url = path.as_uri()
    assert main(["saliency", "--image", url, "--out", str(tmp_path / "out")]) == 2
    err = _one_line(capsys, f"python -m vis saliency: error: --image {url} is ")
    assert ("missing" if kind == "missing" else "not a regular file") in err


@pytest.mark.parametrize("url, part", [
    ("ftp://example.invalid/x.png", "url scheme must be one of"),
    ("http://127.0.0.1:1/x.png", "cannot fetch http://127.0.0.1:1/x.png"),  # refused at once
])
def test_bad_url_is_a_named_error(url, part, tmp_path, capsys):
    assert main(["saliency", "--image", url, "--out", str(tmp_path)]) == 1
    assert part in _one_line(capsys, "python -m vis saliency: error: image_from_url: ")


@pytest.mark.parametrize("cmd", ["saliency", "fool"])
def test_image_of_random_bytes_is_a_named_decode_error(cmd, tmp_path, capsys):
    path = tmp_path / "random.png"
    path.write_bytes(bytes(range(256)) * 16)
    assert main([cmd, "--image", str(path), "--iterations" if cmd == "fool" else "--n", "1",
                 "--out", str(tmp_path / "out")]) == 1
    err = _one_line(capsys, f"python -m vis {cmd}: error: image_from_url: cannot decode")
    assert path.name in err and "4096 bytes" in err


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_out_that_cannot_be_made_is_a_one_line_error(capsys):
    assert main(["saliency", "--out", "/proc/vis_attack_out"]) == 2
    err = _one_line(capsys, "python -m vis saliency: error: --out /proc/vis_attack_out: ")
    assert "cannot make this folder" in err


@pytest.mark.parametrize("argv, option", [
    (["classvis", "--image", "chelsea"], "--image chelsea"),  # classvis starts from noise
    (["demo", "--n", "3"], "--n 3"),
    (["demo", "--target", "1"], "--target 1"),
    (["saliency", "--iterations", "5"], "--iterations 5"),
    (["fool", "--n", "2"], "--n 2"),
])
def test_options_a_command_would_ignore_are_refused(argv, option, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main([*argv, "--out", str(tmp_path / "never")])
    assert e.value.code == 2
    assert f"unrecognized arguments: {option}" in capsys.readouterr().err
    assert not (tmp_path / "never").exists()


def test_os_error_about_a_path_is_one_line_but_other_faults_stay_visible(tmp_path, capsys,
                                                                         monkeypatch):
    import vis.cli

    def about_a_path(args):
        raise PermissionError(13, "Permission denied", str(tmp_path / "x.png"))

    monkeypatch.setattr(vis.cli, "cmd_saliency", about_a_path)
    assert main(["saliency", "--out", str(tmp_path)]) == 1
    _one_line(capsys, f"python -m vis saliency: error: [Errno 13] Permission denied: '{tmp_path}")

    def bug(args):
        raise RuntimeError("a real bug")

    monkeypatch.setattr(vis.cli, "cmd_saliency", bug)
    with pytest.raises(RuntimeError, match="a real bug"):
        main(["saliency", "--out", str(tmp_path)])
    monkeypatch.setattr(vis.cli, "cmd_saliency", lambda args: (_ for _ in ()).throw(OSError()))
    with pytest.raises(OSError):
        main(["saliency", "--out", str(tmp_path)])


def test_corrupt_weights_exit_1_in_one_line(tmp_path, capsys):
    path = tmp_path / "random.pt"
    path.write_bytes(bytes(range(256)) * 4)
    assert main(["classvis", "--weights", str(path), "--out", str(tmp_path)]) == 1
    err = _one_line(capsys, "python -m vis classvis: error: ")
    assert str(path) in err


# --- python -m vis parity ---------------------------------------------------------------------

@pytest.mark.parametrize("seed", ["-1", str(2 ** 32)])
def test_parity_seed_out_of_range_is_a_parse_error(seed, capsys):
    with pytest.raises(SystemExit) as e:
        main(["parity", "--only", "Add", "--seed", seed])
    assert e.value.code == 2
    assert (f"argument --seed: expected an integer >= 0 and < 4294967296, got {seed}"
            in capsys.readouterr().err)


@pytest.mark.parametrize("kind", ["folder", "under_a_file"])
def test_parity_json_that_cannot_be_written_is_refused_before_running(kind, tmp_path, capsys,
                                                                       monkeypatch):
    import vis.parity.__main__ as parity_main

    monkeypatch.setattr(parity_main, "run_all", lambda *a, **k: pytest.fail("cases ran"))
    (tmp_path / "afile").write_text("x")
    path = tmp_path if kind == "folder" else tmp_path / "afile" / "p.json"
    with pytest.raises(SystemExit) as e:
        main(["parity", "--only", "Add", "--json", str(path)])
    assert e.value.code == 2
    err = capsys.readouterr().err
    want = (f"is a folder, expected a file path such as {path / 'parity.json'}" if
            kind == "folder" else f"{tmp_path / 'afile'} is a file, expected a folder there")
    assert f"argument --json: {path}" in err and want in err


def test_parity_json_in_a_new_folder_is_written(tmp_path):
    import json

    path = tmp_path / "new" / "parity.json"
    assert main(["parity", "--only", "Add", "--json", str(path)]) == 0
    assert json.loads(path.read_text())["rows"][0]["label"] == "Add"


# --- python -m vis.train_torch ----------------------------------------------------------------

@pytest.mark.parametrize("where", ["file", "under_a_file"])
def test_train_torch_out_that_is_a_file_is_refused_first(where, tmp_path, capsys, monkeypatch):
    from vis.train_torch.cli import main as train_main

    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(k, raising=False)
    afile = tmp_path / "afile"
    afile.write_text("x")
    out = afile if where == "file" else afile / "sub"
    with pytest.raises(SystemExit) as e:  # --data is missing too: --out is checked first
        train_main(["--out", str(out), "--data", str(tmp_path / "nodata"), "--epochs", "1"])
    assert e.value.code == 2
    err = _one_line(capsys, f"vis.train_torch: error: --out {out}")
    assert ("exists and is not a directory" if where == "file"
            else f"cannot make this folder ({afile} is a file)") in err
    assert afile.read_text() == "x"


@pytest.mark.parametrize("content", [bytes(range(256)), b"def broken(:\n", b"x = '\xff'\n"])
def test_parity_cases_file_that_is_not_python_is_named(content, tmp_path, capsys):
    path = tmp_path / "cases.py"
    path.write_bytes(content)
    with pytest.raises(SystemExit) as e:
        main(["parity", "--cases", str(path)])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert f"--cases {path}: not a Python module it can import (SyntaxError" in err


def test_demo_checks_its_weights_before_training(tmp_path, capsys, monkeypatch):
    import zoo.captioning.demo

    monkeypatch.setattr(zoo.captioning.demo, "run_demo", lambda *a, **k: pytest.fail("trained"))
    path = tmp_path / "random.pt"
    path.write_bytes(bytes(range(256)) * 4)
    assert main(["demo", "--weights", str(path), "--out", str(tmp_path / "out")]) == 1
    assert str(path) in _one_line(capsys, "python -m vis demo: error: ")
