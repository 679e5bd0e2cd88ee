"""Indexing and selection: where, tril, triu (and comparisons' masks)."""
from __future__ import annotations

__all__: list[str] = []

TENSOR_METHODS: dict = {}
