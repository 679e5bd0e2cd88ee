"""The gradient-recording switch: `no_grad` and `enable_grad`, as context managers or decorators.

The switch is per thread, as in torch: `no_grad()` (or an optimizer step) in one thread never
turns recording off in another. A new thread starts with recording on.
"""
from __future__ import annotations

import functools
import threading
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    """Per-thread grad mode; `enabled` is True in every new thread."""

    enabled = True


_state = _State()


def is_grad_enabled() -> bool:
    """Whether Functions applied now (in this thread) record a graph."""
    return _state.enabled


class set_grad_enabled:
    """Turn recording on or off for the calling thread now; used in `with`, restore it after.

    `set_grad_enabled(False)` works as a call or as `with set_grad_enabled(training): ...`.
    """

    def __init__(self, mode: bool) -> None:
        self._prev = _state.enabled
        _state.enabled = bool(mode)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self._prev


class _GradMode:
    """Sets grad mode to `self.mode` inside a `with` block or a decorated function."""

    mode = True

    def __enter__(self) -> None:
        self._prev = _state.enabled
        _state.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self._prev

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):
    """Record nothing: for sampling, evaluation and optimizer steps."""

    mode = False


class enable_grad(_GradMode):
    """Record the graph again, e.g. inside a `no_grad` block."""

    mode = True
