"""Joining, splitting and rearranging: split, pad, flip, roll, repeat, tile."""
from __future__ import annotations

__all__: list[str] = []

TENSOR_METHODS: dict = {}
