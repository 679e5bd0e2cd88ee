"""Shared benchmark plumbing: thread settings, BLAS info, paired timing, peak memory, and the
argument checks and child-process runner every `python -m bench.<name>` uses."""
from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import time
from typing import Callable

from threadpoolctl import threadpool_info

from zoo.arguments import int_at_least  # noqa: F401 (bench's commands import it from here)


def blas_info() -> str:
    """One line per BLAS numpy uses: library, version, kernel, threads."""
    rows = [f"{i['internal_api']} {i['version']} ({i.get('architecture', '?')}, "
            f"{i['num_threads']} threads)" for i in threadpool_info() if i["user_api"] == "blas"]
    return "; ".join(rows) or "unknown"


def blas_threads() -> int:
    """Threads of numpy's BLAS (torch is set to the same number)."""
    n = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    return n[0] if n else 1


def paired_times(fns: dict[str, Callable[[], object]], runs: int, warmup: int = 2,
                 seed: int = 0) -> dict[str, list[float]]:
    """Seconds per call of each fn; each round runs every fn once in a shuffled order."""
    for _ in range(warmup):
        for f in fns.values():
            f()
    rng = random.Random(seed)
    out: dict[str, list[float]] = {k: [] for k in fns}
    names = list(fns)
    for _ in range(runs):
        rng.shuffle(names)
        for k in names:
            t0 = time.perf_counter()
            fns[k]()
            out[k].append(time.perf_counter() - t0)
    return out


def median_ratio(a: list[float], b: list[float]) -> float:
    """Median over rounds of a[i] / b[i] (paired, so machine noise cancels within a round)."""
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def peak_rss_delta_mib(fn: Callable[[], object]) -> float:
    """Peak resident memory reached while running fn, above the RSS before it (MiB)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current RSS
    except OSError:
        return float("nan")
    before = _status_kib("VmRSS")
    fn()
    return (_status_kib("VmHWM") - before) / 1024


def existing_dir(text: str) -> str:
    """argparse type: a path naming an existing directory."""
    if not os.path.isdir(text):
        what = "a file" if os.path.exists(text) else "missing"
        raise argparse.ArgumentTypeError(f"expected an existing directory, got {text!r} ({what})")
    return text


def output_file(text: str) -> str:
    """argparse type: a file path that can be written (its folder exists, it is not a folder)."""
    folder = os.path.dirname(os.path.abspath(text))
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"expected a file path, got {text!r} (a directory)")
    if not os.path.isdir(folder):
        raise argparse.ArgumentTypeError(
            f"expected a file in an existing directory, got {text!r} ({folder} is missing)")
    return text


def child_error(what: str, returncode: int | str, stderr: str) -> str:
    """One line naming a failed child and its last error line (its traceback's final line)."""
    lines = [ln.strip() for ln in (stderr or "").splitlines() if ln.strip()]
    last = lines[-1] if lines else "no error output"
    return f"bench: {what} failed (exit {returncode}): {last}"


def run_child(cmd: list[str], what: str, **kwargs) -> subprocess.CompletedProcess:
    """subprocess.run(cmd) capturing text output; a non-zero exit or a timeout ends this process
    with one line (`child_error`) and exit status 1 instead of a traceback."""
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    except subprocess.TimeoutExpired as e:
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else e.stderr
        raise SystemExit(child_error(what, f"timed out after {e.timeout:g} s", err)) from None
    if res.returncode:
        raise SystemExit(child_error(what, res.returncode, res.stderr))
    return res
