"""Shared benchmark plumbing: thread settings, BLAS info, paired timing, peak memory."""
from __future__ import annotations

import random
import statistics
import time
from typing import Callable

from threadpoolctl import threadpool_info


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
