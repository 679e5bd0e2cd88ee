"""Which array memory was edited in place, so that saved views of it are caught at backward.

A tensor's own version counter misses edits made through another tensor that views the same
memory (`v = c.reshape(...)`, then `c += 1`); in-place Tensor methods also record the edit
on the memory's owner here, and the engine refuses a node whose saved arrays were edited since.
"""
from __future__ import annotations

import weakref
from typing import Any

import numpy as np


def memory_owner(a: np.ndarray) -> Any:
    """The object that owns `a`'s memory, so a saved view (e.g. `x.reshape(N, -1)`) maps to `x`."""
    while isinstance(a, np.ndarray) and a.base is not None:
        a = a.base
    return a


_writes: dict[int, list] = {}  # id(owner) -> [number of its last edit, weakref to the owner]
_write_count = [0]


def write_count() -> int:
    """The number of in-place edits recorded so far (a Context notes it when it saves)."""
    return _write_count[0]


def any_writes() -> bool:
    """Whether any tracked memory has been edited in place (the engine's cheap first test)."""
    return bool(_writes)


def note_inplace_write(a: np.ndarray) -> None:
    """Record that `a`'s memory was just edited in place (anything saved from it is stale)."""
    owner = memory_owner(a)
    key = id(owner)
    _write_count[0] += 1
    entry = _writes.get(key)
    if entry is not None:
        entry[0] = _write_count[0]
        return
    try:
        ref = weakref.ref(owner, lambda r, k=key: _writes.pop(k, None) if _writes.get(
            k, (0, None))[1] is r else None)
    except TypeError:  # memory owned by a non-ndarray (bytes, mmap): not tracked
        return
    _writes[key] = [_write_count[0], ref]


def written_since(a: np.ndarray, count: int) -> bool:
    """Whether `a`'s memory was edited in place by a Tensor method after write number `count`."""
    entry = _writes.get(id(memory_owner(a)))
    return entry is not None and entry[0] > count
