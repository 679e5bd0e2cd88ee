"""Sorting and selection: sort, argsort, topk (values differentiable, indices not)."""
from __future__ import annotations

__all__: list[str] = []

TENSOR_METHODS: dict = {}
