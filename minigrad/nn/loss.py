"""Loss modules: CrossEntropyLoss, MSELoss (torch's reductions)."""
from __future__ import annotations

__all__: list[str] = []
