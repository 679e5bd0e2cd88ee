"""Unary math: sqrt, abs, sign, square, sin, cos, log1p, expm1, clip/clamp."""
from __future__ import annotations

__all__: list[str] = []

TENSOR_METHODS: dict = {}
