"""Activation modules (torch names): LeakyReLU, ELU, GELU, Softplus, Sigmoid, Softmax, ..."""
from __future__ import annotations

__all__: list[str] = []
