"""`python -m vis.parity [--cases MODULE ...] [--no-builtin] [--only LABEL ...] [--list]
[--seed N] [--json PATH]`: print the parity table (built-in registry and / or your cases)."""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import platform
import sys
from pathlib import Path

import numpy as np
import torch

from vis.parity.cases import CASES
from vis.parity.registry import ParityCase, by_label
from vis.parity.runner import format_table, run_all
from zoo.arguments import int_at_least


def load_cases(spec: str) -> list[ParityCase]:
    """The `CASES` list of a module given by dotted name (`mypkg.my_cases`) or by .py path."""
    if spec.endswith(".py"):
        path = Path(spec)
        if not path.is_file():
            raise ValueError(f"--cases {spec}: no such file")
        name = f"_parity_cases_{path.stem}"
        loader = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(loader)
        sys.modules[name] = module  # dataclasses and pickling look modules up there
        try:
            loader.loader.exec_module(module)
        except (SyntaxError, ValueError) as e:  # not Python source (binary, bad encoding)
            raise ValueError(f"--cases {spec}: not a Python module it can import "
                             f"({type(e).__name__}: {e})") from e
    else:
        try:
            module = importlib.import_module(spec)
        except (ImportError, SyntaxError) as e:
            raise ValueError(f"--cases {spec}: cannot import it ({type(e).__name__}: {e}); "
                             "is its directory on PYTHONPATH?") from e
    cases = getattr(module, "CASES", None)
    if not isinstance(cases, (list, tuple)):
        raise ValueError(f"--cases {spec}: the module has no CASES list "
                         f"(got {type(cases).__name__})")
    bad = [type(c).__name__ for c in cases if not isinstance(c, ParityCase)]
    if bad:
        raise ValueError(f"--cases {spec}: CASES must hold vis.parity.ParityCase objects, got "
                         f"{sorted(set(bad))}")
    return list(cases)


def _select(ap: argparse.ArgumentParser, args: argparse.Namespace) -> list[ParityCase]:
    """Built-in cases (unless --no-builtin), then each --cases module's, filtered by --only."""
    cases = [] if args.no_builtin else list(CASES)
    try:
        for spec in args.cases or []:
            cases += load_cases(spec)
        by_label(cases)
    except ValueError as e:
        ap.error(str(e))
    if not cases:
        ap.error("no cases to run: --no-builtin needs --cases MODULE")
    if args.only:
        unknown = sorted(set(args.only) - {c.label for c in cases})
        if unknown:
            ap.error(f"unknown case label(s) {unknown}; see --list for the known ones")
        cases = [c for c in cases if c.label in args.only]
    return cases


def main(argv: list[str] | None = None) -> int:
    """Run the cases, print the table, optionally write JSON; exit status 1 if any case fails."""
    ap = argparse.ArgumentParser(prog="python -m vis.parity", description=__doc__)
    ap.add_argument("--json", type=Path, help="also write the rows and versions to this JSON file")
    ap.add_argument("--seed", type=int_at_least(0, 2 ** 32), default=0,
                    help="input / upstream-gradient seed (0 <= N < 2**32)")
    ap.add_argument("--only", nargs="+", metavar="LABEL", help="run only these case labels")
    ap.add_argument("--cases", nargs="+", action="extend", metavar="MODULE",
                    help="also run the CASES list of this module (dotted name or .py path)")
    ap.add_argument("--no-builtin", action="store_true",
                    help="leave out the built-in registry (run only --cases)")
    ap.add_argument("--list", action="store_true", help="print the selected labels and exit")
    args = ap.parse_args(argv)
    if args.json:
        problem = json_path_problem(args.json)
        if problem:
            ap.error(f"argument --json: {problem}")
    cases = _select(ap, args)
    if args.list:
        print("\n".join(f"{c.label}  ({c.function_name})" for c in cases))
        return 0
    rows = run_all(cases, seed=args.seed)
    print(format_table(rows))
    ok = all(r.passed for r in rows)
    if args.json:
        report = {"seed": args.seed, "all_passed": ok, "torch": torch.__version__,
                  "numpy": np.__version__, "python": platform.python_version(),
                  "rows": [r.to_dict() for r in rows]}
        try:
            args.json.write_text(json.dumps(report, indent=2, allow_nan=False,
                                            default=_jsonable))
        except OSError as e:
            print(f"python -m vis.parity: error: --json {args.json}: cannot write it "
                  f"({e.strerror})", file=sys.stderr)
            return 1
        print(f"wrote {args.json}")
    return 0 if ok else 1


def json_path_problem(path: Path) -> str | None:
    """Why the --json file `path` cannot be written (its folder is made here), or None."""
    if path.is_dir():
        return f"{path} is a folder, expected a file path such as {path / 'parity.json'}"
    if path.exists() and not os.access(path, os.W_OK):
        return f"{path} exists and is not writable"
    file_above = next((q for q in path.parents if q.exists() and not q.is_dir()), None)
    if file_above is not None:
        return f"{path}: {file_above} is a file, expected a folder there"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        return f"{path}: cannot make its folder {path.parent} ({e.strerror})"
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return f"{path}: its folder {path.parent} is not writable"
    return None


def _jsonable(x: object) -> object:
    return float(x) if isinstance(x, np.floating) else str(x)


if __name__ == "__main__":
    sys.exit(main())
