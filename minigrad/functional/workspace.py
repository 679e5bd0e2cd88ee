"""Work buffers that big per-call temporaries reuse across calls (speed machinery).

A training step allocates the same big arrays again and again; glibc returns freed big
blocks to the kernel, so each new one faults its pages in afresh (a few µs per 4 KiB page on
this machine: about a tenth of a small LSTM step). `work_array` hands out a kept buffer
instead whenever the reference count proves nothing else refers to it any more.
"""
from __future__ import annotations

import sys
import threading
from math import prod
from typing import Any

import numpy as np

_WORK: dict[tuple, list] = {}  # (role, dtype) -> flat arrays that Functions reuse
_WORK_SLOTS = 4  # at most this many kept per role (e.g. stacked layers alive at once)
_WORK_MAX_BYTES = 32 << 20  # bigger arrays are never kept: their page faults cost little
_WORK_LOCK = threading.Lock()


def _refs(slots: list, i: int) -> int:
    return sys.getrefcount(slots[i])


_ONLY_POOL = _refs([np.empty(1)], 0)  # the count of an array that nothing but the pool holds


def work_array(role: str, shape: tuple, dtype: Any) -> np.ndarray:
    """An uninitialised array (np.empty semantics) of `shape`, carved from a buffer kept for
    `role` across calls when nothing else refers to that buffer any more (no array, view,
    saved Context or Tensor: a view holds its base, so the reference count proves it), else
    a new one. Spares glibc returning big freed arrays to the kernel and faulting fresh pages
    in on every training step; callers must write every element before reading it. Kept
    buffers stay resident between calls (at most _WORK_SLOTS per role, each at most
    _WORK_MAX_BYTES)."""
    dtype, size = np.dtype(dtype), prod(shape)
    if size * dtype.itemsize > _WORK_MAX_BYTES:
        return np.empty(shape, dtype)
    with _WORK_LOCK:
        slots = _WORK.setdefault((role, dtype), [])
        for i in range(len(slots)):
            if _refs(slots, i) == _ONLY_POOL:
                if slots[i].size < size:
                    slots[i] = np.empty(size, dtype)
                return slots[i][:size].reshape(shape)
        buf = np.empty(size, dtype)
        if len(slots) < _WORK_SLOTS:
            slots.append(buf)
        return buf[:size].reshape(shape)
