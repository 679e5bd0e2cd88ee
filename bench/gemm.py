"""numpy's GEMM rate (GFLOP/s) on the captioner's matrix shapes, float32.

    python -m bench.gemm

The recurrent product (N, H) @ (H, 4H) runs once per time step and cannot be batched over
time; the others are the one-GEMM-per-sequence products of the fused path.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from bench.common import blas_info

SHAPES = {"recurrent h @ Wh (50x512 @ 512x2048)": (50, 512, 2048),
          "input projection (800x256 @ 256x2048)": (800, 256, 2048),
          "dWh (512x800 @ 800x2048)": (512, 800, 2048),
          "vocab scores (800x512 @ 512x1004)": (800, 512, 1004),
          "square reference (2048x2048 @ 2048x2048)": (2048, 2048, 2048)}


def rate(m: int, k: int, n: int, runs: int = 15) -> float:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    a @ b
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        a @ b
        ts.append(time.perf_counter() - t0)
    return 2 * m * k * n / statistics.median(ts) / 1e9


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(prog="python -m bench.gemm",
                            description=__doc__.splitlines()[0]).parse_args(argv)
    print(f"BLAS: {blas_info()}")
    for name, (m, k, n) in SHAPES.items():
        print(f"  {name:<42} {rate(m, k, n):7.1f} GFLOP/s")


if __name__ == "__main__":
    main()
