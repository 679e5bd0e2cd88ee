"""Linear algebra: trace, diag, diagonal, inv, det, slogdet, solve, cholesky, norm."""
from __future__ import annotations

__all__: list[str] = []

TENSOR_METHODS: dict = {}
