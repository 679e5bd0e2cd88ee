"""Normalisation layers: LayerNorm, BatchNorm1d, BatchNorm2d (running statistics as buffers)."""
from __future__ import annotations

__all__: list[str] = []
