"""The `python -m vis` commands (the report itself: test_report.py, test_report_browser.py)."""
from __future__ import annotations

import pytest

from vis.cli import main


def test_imagenet_weights_absent_is_one_line_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    assert main(["saliency", "--weights", "imagenet", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "squeezenet1_1-b8a52dc0.pth" in err and "--weights" in err


def test_saliency_command_writes_png(tmp_path):
    assert main(["saliency", "--n", "2", "--out", str(tmp_path)]) == 0
    png = tmp_path / "saliency.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("cmd", ["saliency", "fool", "classvis", "demo", "report"])
def test_out_that_is_a_file_is_a_one_line_error(tmp_path, capsys, cmd):
    f = tmp_path / "taken.txt"
    f.write_text("x")
    assert main([cmd, "--out", str(f)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"python -m vis {cmd}: error: --out {f} is an existing file" in err
    assert f.read_text() == "x"
    below = f / "sub"  # a file where a parent folder should be
    assert main([cmd, "--out", str(below)]) == 2
    assert "cannot make this folder" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["saliency", "--n", "0"], "argument --n: expected an integer >= 1 and < 65, got 0"),
    (["saliency", "--n", "x"], "argument --n: expected an integer >= 1 and < 65, got 'x'"),
    (["fool", "--iterations", "0"], "argument --iterations: expected an integer >= 1, got 0"),
    (["fool", "--target", "-1"], "argument --target: expected an integer >= 0, got -1"),
    (["demo", "--seed", "-1"], "argument --seed: expected an integer >= 0 and < 4294967296"),
    (["classvis", "--seed", "4294967296"], "argument --seed: expected an integer >= 0"),
])
def test_numeric_options_are_checked_when_parsed(argv, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as e:
        main([*argv, "--out", str(tmp_path / "never")])
    assert e.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "never").exists()  # refused before anything ran


@pytest.mark.parametrize("argv, message", [
    (["--epochs", "0"], "argument --epochs: expected an integer >= 1, got 0"),
    (["--n-train", "-5"], "argument --n-train: expected an integer >= 1, got -5"),
    (["--lr", "0"], "argument --lr: expected a finite number > 0, got 0"),
    (["--lr", "nan"], "argument --lr: expected a finite number > 0, got nan"),
    (["--noise-std", "-0.1"], "argument --noise-std: expected a finite number >= 0"),
    (["--threads", "0"], "argument --threads: expected an integer >= 1, got 0"),
])
def test_train_builtin_options_are_checked_when_parsed(argv, message, capsys):
    from vis.train_builtin import main as train_main

    with pytest.raises(SystemExit) as e:
        train_main(argv)
    assert e.value.code == 2
    assert message in capsys.readouterr().err


def test_train_builtin_out_that_is_a_folder_is_a_one_line_error(tmp_path, capsys):
    from vis.train_builtin import main as train_main

    assert train_main(["--out", str(tmp_path), "--epochs", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--out" in err and "is a folder" in err


@pytest.mark.parametrize("cmd", ["fool", "classvis"])
def test_fool_and_classvis_commands(tmp_path, cmd):
    rc = main([cmd, "--iterations", "100", "--out", str(tmp_path), "--target", "4"])
    assert rc == 0
    assert any(tmp_path.glob("*.png"))
