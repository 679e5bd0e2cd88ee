"""Dropout (inverted, a seeded or given mask)."""
from __future__ import annotations

__all__: list[str] = []

TENSOR_METHODS: dict = {}
