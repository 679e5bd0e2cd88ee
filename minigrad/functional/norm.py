"""Normalisation: layer norm and batch norm."""
from __future__ import annotations

__all__: list[str] = []

TENSOR_METHODS: dict = {}
