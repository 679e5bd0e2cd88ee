"""Parity cases for the linalg family (see vis.parity.cases for the conventions and helpers)."""
from __future__ import annotations

from vis.parity.registry import ParityCase

CASES: list[ParityCase] = []
