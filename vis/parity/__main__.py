"""`python -m vis.parity [--json PATH] [--seed N] [--only LABEL ...]`: print the parity table."""
from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

import numpy as np
import torch

from vis.parity.cases import CASES
from vis.parity.runner import format_table, run_all


def main(argv: list[str] | None = None) -> int:
    """Run the registry, print the table, optionally write JSON; exit status 1 if any case fails."""
    ap = argparse.ArgumentParser(prog="python -m vis.parity", description=__doc__)
    ap.add_argument("--json", type=Path, help="also write the rows and versions to this JSON file")
    ap.add_argument("--seed", type=int, default=0, help="input / upstream-gradient seed")
    ap.add_argument("--only", nargs="+", metavar="LABEL", help="run only these case labels")
    args = ap.parse_args(argv)
    cases = CASES
    if args.only:
        unknown = sorted(set(args.only) - {c.label for c in CASES})
        if unknown:
            ap.error(f"unknown case label(s) {unknown}; known: {[c.label for c in CASES]}")
        cases = [c for c in CASES if c.label in args.only]
    rows = run_all(cases, seed=args.seed)
    print(format_table(rows))
    ok = all(r.passed for r in rows)
    if args.json:
        report = {"seed": args.seed, "all_passed": ok, "torch": torch.__version__,
                  "numpy": np.__version__, "python": platform.python_version(),
                  "rows": [r.to_dict() for r in rows]}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, allow_nan=False, default=_jsonable))
        print(f"wrote {args.json}")
    return 0 if ok else 1


def _jsonable(x: object) -> object:
    return float(x) if isinstance(x, np.floating) else str(x)


if __name__ == "__main__":
    sys.exit(main())
