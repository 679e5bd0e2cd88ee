"""Dropout layers (active in training mode only)."""
from __future__ import annotations

__all__: list[str] = []
