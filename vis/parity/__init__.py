"""Torch parity for every minigrad Function: the registry, the runner and the table."""
from vis.parity.cases import CASES
from vis.parity.registry import Inputs, ParityCase, by_label, covered_functions
from vis.parity.runner import ParityRow, format_table, run_all, run_case

__all__ = ["CASES", "Inputs", "ParityCase", "ParityRow", "by_label", "covered_functions",
           "format_table", "run_all", "run_case"]
