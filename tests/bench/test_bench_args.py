"""Every `python -m bench.<name>` refuses bad arguments at parse time (exit 2, one line naming the
argument, the expected and the actual value) and turns a failing child process into one line
with exit status 1. Only parsing and validation run here: no benchmark is timed."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys

import pytest

from bench import blas_threads, captioner, engine, gemm, kv_cache, sampling, throughput
from bench.common import child_error, existing_dir, int_at_least, output_file, run_child

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# (module, argv, parts of the error line)
BAD = [
    (engine, ["--length", "-5"], ["argument --length", "expected an integer >= 1", "got -5"]),
    (engine, ["--runs", "0"], ["argument --runs", "expected an integer >= 1", "got 0"]),
    (engine, ["--rounds", "x"], ["argument --rounds", "expected an integer >= 1", "got 'x'"]),
    (engine, ["--child", "bogus"], ["argument --child", "invalid choice", "'bogus'"]),
    (sampling, ["--beam", "0"], ["argument --beam", "expected an integer >= 1", "got 0"]),
    (sampling, ["--runs", "-1"], ["argument --runs", "expected an integer >= 1", "got -1"]),
    (sampling, ["--max-length", "0"], ["argument --max-length", ">= 1", "got 0"]),
    (sampling, ["--cell", "gru"], ["argument --cell", "invalid choice", "'gru'"]),
    (kv_cache, ["--tokens", "0"], ["argument --tokens", "expected an integer >= 1", "got 0"]),
    (kv_cache, ["--batch", "-1"], ["argument --batch", "expected an integer >= 1", "got -1"]),
    (kv_cache, ["--runs", "2.5"], ["argument --runs", "expected an integer >= 1", "got '2.5'"]),
    (captioner, ["--rounds", "0"], ["argument --rounds", "expected an integer >= 1", "got 0"]),
    (captioner, ["--steps", "0"], ["argument --steps", "expected an integer >= 1", "got 0"]),
    (captioner, ["--threads", "0"], ["argument --threads", "expected an integer >= 1", "got 0"]),
    (captioner, ["--same-process-runs", "-1"],
     ["argument --same-process-runs", "expected an integer >= 0", "got -1"]),
    (captioner, ["--dtypes", "int8"], ["argument --dtypes", "invalid choice", "'int8'"]),
    (captioner, ["--cases", "gru"], ["argument --cases", "invalid choice", "'gru'"]),
    (captioner, ["--child", "minigrad", "lstm", "int8"],
     ["argument --child", "expected dtype in float32, float64", "got 'int8'"]),
    (captioner, ["--child", "jax", "lstm", "float32"],
     ["argument --child", "expected impl in", "got 'jax'"]),
    (throughput, ["--procs", "0"], ["argument --procs", "expected an integer >= 1", "got 0"]),
    (throughput, ["--rounds", "-1"], ["argument --rounds", "expected an integer >= 1", "got -1"]),
    (throughput, ["--batch-size", "0"], ["argument --batch-size", ">= 1", "got 0"]),
    (throughput, ["--max-train", "-5"], ["argument --max-train", ">= 1", "got -5"]),
    (throughput, ["--epochs", "0"], ["argument --epochs", ">= 1", "got 0"]),
    (throughput, ["--wordvec-dim", "6", "--models", "transformer"],
     ["argument --wordvec-dim", "expected a multiple of 4", "got 6"]),
    (throughput, ["--child", "gru"], ["argument --child", "invalid choice", "'gru'"]),
    (gemm, ["--bogus"], ["unrecognized arguments: --bogus"]),
    (blas_threads, ["--rounds", "0"], ["argument --rounds", "expected an integer >= 1", "got 0"]),
    (blas_threads, ["--child", "0"], ["argument --child", "expected an integer >= 1", "got 0"]),
]


@pytest.mark.parametrize("module, argv, parts", BAD,
                         ids=[f"{m.__name__.split('.')[-1]} {' '.join(a)}" for m, a, _ in BAD])
def test_bad_argument_exits_2_with_a_named_message(module, argv, parts, capsys) -> None:
    if module is throughput:  # an existing --data, so the check reached is the one under test
        argv = ["--data", "."] + argv
    with pytest.raises(SystemExit) as e:
        module.main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]  # argparse: usage lines, then "prog: error: ..."
    assert "error:" in last and all(p in last for p in parts), err
    assert "Traceback" not in err


@pytest.mark.parametrize("module", [engine, sampling, kv_cache, captioner, throughput, gemm,
                                    blas_threads])
def test_unknown_option_is_refused(module, capsys) -> None:
    with pytest.raises(SystemExit) as e:
        module.main(["--bogus", "1"] + (["--data", "."] if module is throughput else []))
    assert e.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_int_at_least_accepts_the_bound_and_names_the_value() -> None:
    assert int_at_least(1)("1") == 1 and int_at_least(0)("0") == 0
    with pytest.raises(argparse.ArgumentTypeError, match=r"expected an integer >= 1, got 0$"):
        int_at_least(1)("0")
    with pytest.raises(argparse.ArgumentTypeError, match=r"got '1e3'"):
        int_at_least(1)("1e3")


def test_path_types(tmp_path) -> None:
    assert existing_dir(str(tmp_path)) == str(tmp_path)
    with pytest.raises(argparse.ArgumentTypeError, match="existing directory.*missing"):
        existing_dir(str(tmp_path / "nope"))
    (tmp_path / "f").write_text("")
    with pytest.raises(argparse.ArgumentTypeError, match="existing directory.*a file"):
        existing_dir(str(tmp_path / "f"))
    assert output_file(str(tmp_path / "r.json")) == str(tmp_path / "r.json")
    with pytest.raises(argparse.ArgumentTypeError, match="a directory"):
        output_file(str(tmp_path))
    with pytest.raises(argparse.ArgumentTypeError, match="is missing"):
        output_file(str(tmp_path / "no" / "r.json"))


def test_throughput_missing_or_empty_data_is_refused_before_launching(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as e:
        throughput.main(["--data", str(tmp_path / "nodata")])
    assert e.value.code == 2
    assert "argument --data: expected an existing directory" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        throughput.main(["--data", str(tmp_path)])
    assert e.value.code == 2
    assert "expected a data directory holding coco2014_captions.h5" in capsys.readouterr().err


@pytest.mark.parametrize("module, argv", [(engine, ["--results", "/nonexistent/dir/R.md"]),
                                          (captioner, ["--json", "/nonexistent/dir/r.json"]),
                                          (throughput, ["--json", "/"])])
def test_output_paths_checked_before_running(module, argv, capsys) -> None:
    with pytest.raises(SystemExit) as e:
        module.main(argv)
    assert e.value.code == 2 and f"argument {argv[0]}: expected a file" in capsys.readouterr().err


def test_failing_child_is_one_line_and_exit_1() -> None:
    cmd = [sys.executable, "-c", "raise ValueError('bad thing 42')"]
    with pytest.raises(SystemExit) as e:
        run_child(cmd, "demo child")
    assert e.value.code == "bench: demo child failed (exit 1): ValueError: bad thing 42"
    with pytest.raises(SystemExit, match="timed out after 0.5 s"):
        run_child([sys.executable, "-c", "import time; time.sleep(30)"], "slow", timeout=0.5)
    assert run_child([sys.executable, "-c", "print(7)"], "ok").stdout == "7\n"
    assert child_error("x", 3, "") == "bench: x failed (exit 3): no error output"


def test_engine_child_rejecting_its_arguments_stops_the_parent_in_one_line() -> None:
    with pytest.raises(SystemExit) as e:  # the child refuses --length 0 at parse time
        engine.isolated(0, 1, 1)
    msg = e.value.code
    assert isinstance(msg, str) and "\n" not in msg
    assert msg.startswith("bench: bench.engine child alone failed (exit 2):")
    assert "argument --length: expected an integer >= 1, got 0" in msg


def _cli(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *argv], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_cli_misuse_from_the_attack_ends_without_a_traceback(tmp_path) -> None:
    for argv, code, part in [
            (["bench.gemm", "--bogus"], 2, "unrecognized arguments: --bogus"),
            (["bench.throughput", "--data", str(tmp_path / "nodata")], 2, "argument --data"),
            (["bench.captioner", "--rounds", "0"], 2, "argument --rounds"),
            (["bench.engine", "--child", "alone", "--runs", "0"], 2, "argument --runs")]:
        res = _cli(*argv)
        assert res.returncode == code, (argv, res.stderr)
        assert part in res.stderr and "Traceback" not in res.stderr, (argv, res.stderr)
        assert res.stdout == ""  # nothing ran
