"""Scaled dot-product attention with causal and additive masks."""
from __future__ import annotations

__all__: list[str] = []

TENSOR_METHODS: dict = {}
