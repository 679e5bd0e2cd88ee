"""Activations: softplus, leaky_relu, elu, gelu, softmax and log_softmax on any axis."""
from __future__ import annotations

__all__: list[str] = []

TENSOR_METHODS: dict = {}
