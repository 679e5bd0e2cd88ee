"""Gradient testing: `gradcheck` (numpy only) and, when hypothesis is installed, the property
tests of `minigrad.testing.strategies` (`check_function` and the input strategies).

`strategies` and `check_function` are imported lazily, so `import minigrad.testing` works
without hypothesis; touching them without it raises an ImportError that says so.
"""
from __future__ import annotations

import importlib
from typing import Any

from minigrad.testing.gradcheck import (
    GradcheckError,
    GradcheckReport,
    gradcheck,
    numerical_grad,
    rel_error,
)

__all__ = ["gradcheck", "GradcheckError", "GradcheckReport", "numerical_grad", "rel_error",
           "check_function", "strategies"]


def __getattr__(name: str) -> Any:
    if name in ("check_function", "strategies"):
        try:
            strategies = importlib.import_module("minigrad.testing.strategies")
        except ImportError as e:
            if getattr(e, "name", None) != "hypothesis":
                raise
            raise ImportError(f"minigrad.testing.{name} needs hypothesis "
                              "(pip install hypothesis)") from e
        return strategies if name == "strategies" else strategies.check_function
    raise AttributeError(f"module 'minigrad.testing' has no attribute {name!r}")
