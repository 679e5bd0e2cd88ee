"""Run registry cases: build each case's float64 inputs, then compare through `compare_call`."""
from __future__ import annotations

import zlib

import numpy as np

from vis.parity.core import ParityRow, compare_call, failed_row
from vis.parity.registry import ParityCase

__all__ = ["ParityRow", "case_seed", "format_table", "run_all", "run_case"]


def case_seed(case: ParityCase, seed: int) -> np.random.Generator:
    """A generator that depends only on `seed` and the case label, not on the case order."""
    return np.random.default_rng([seed, zlib.crc32(case.label.encode())])


def run_case(case: ParityCase, seed: int = 0) -> ParityRow:
    """Build the inputs, run both sides forward and backward, and compare every float result."""
    rng = case_seed(case, seed)
    inputs = case.build(rng)
    return compare_call(case.function, case.reference, inputs.args, inputs.consts, rng,
                        atol=case.atol, rtol=case.rtol, label=case.label, note=case.note)


def run_all(cases: list[ParityCase], seed: int = 0) -> list[ParityRow]:
    """Run every case; an exception in a case becomes a failing row that names it."""
    rows = []
    for case in cases:
        try:
            rows.append(run_case(case, seed))
        except Exception as e:  # noqa: BLE001  (reported as a failing row)
            rows.append(failed_row(case.label, case.function_name, case.atol, case.note, e))
    return rows


def format_table(rows: list[ParityRow]) -> str:
    """Aligned plain-text table: case, forward error, grad error per input, tolerance, result.

    A failing row's last column says why (`ParityRow.reason`).
    """
    head = ("Case", "Function", "max fwd err", "max grad err per input", "tol", "result")
    body = []
    for r in rows:
        g = ", ".join(f"{k} {v:.1e}" for k, v in r.grad_errors.items()) or "-"
        body.append((r.label, r.function, f"{r.forward_error:.1e}", g, f"{r.tolerance:.0e}",
                     "pass" if r.passed else "FAIL: " + r.reason))
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(len(head) - 1)]
    lines = []
    for cols in [head, *body]:
        padded = [c.ljust(w) for c, w in zip(cols, widths, strict=False)]
        lines.append("  ".join([*padded, cols[-1]]))
    lines.insert(1, "-" * len(lines[0]))
    n_ok = sum(r.passed for r in rows)
    lines.append(f"{n_ok}/{len(rows)} cases pass")
    return "\n".join(lines)
