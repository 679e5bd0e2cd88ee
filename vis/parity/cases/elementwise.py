"""Parity cases for the elementwise family (conventions and helpers: vis.parity.cases)."""
from __future__ import annotations

from vis.parity.registry import ParityCase

CASES: list[ParityCase] = []
