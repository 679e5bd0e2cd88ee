"""Pooling on (N, C, H, W) images: avg_pool2d (max pooling lives in conv.py)."""
from __future__ import annotations

__all__: list[str] = []

TENSOR_METHODS: dict = {}
