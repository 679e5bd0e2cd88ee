"""Torch parity: the built-in registry and its runner, and the same comparison for your own
Functions (`check_parity` for pytest, `compare` one-shot) and modules (`compare_modules`)."""
from vis.parity.cases import CASES
from vis.parity.check import ParityError, check_parity, compare
from vis.parity.core import ParityRow, Worst, compare_call
from vis.parity.model import compare_modules
from vis.parity.registry import Inputs, ParityCase, by_label, covered_functions
from vis.parity.runner import format_table, run_all, run_case

__all__ = ["CASES", "Inputs", "ParityCase", "ParityError", "ParityRow", "Worst", "by_label",
           "check_parity", "compare", "compare_call", "compare_modules", "covered_functions",
           "format_table", "run_all", "run_case"]
