"""Index normalisation for GetItem: Tensors inside indices, basic vs advanced indexing, and
torch's order when ints are mixed with index arrays."""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.functional.axes import _is_int
from minigrad.tensor import Tensor


def _raw_index(index: Any) -> Any:
    """The index with Tensors (alone or inside a tuple) replaced by their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def _is_basic(index: Any) -> bool:
    """Whether `index` is basic indexing (ints, slices, None, Ellipsis): no repeated elements."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis
               for i in items)


def _torch_order(index: Any) -> tuple | None:
    """(ints first, the rest) when `index` mixes ints with index arrays: torch selects with
    the ints before the advanced indexing, so they do not move the array axes to the front
    as numpy would. None when plain numpy indexing already agrees."""
    if not isinstance(index, tuple) or not any(_is_int(i) for i in index):
        return None
    items = [np.asarray(i) if isinstance(i, list) else i for i in index]
    if not any(isinstance(i, np.ndarray) for i in items):
        return None
    first: list = []
    for i in items:
        if isinstance(i, np.ndarray):
            first += [slice(None)] * (i.ndim if i.dtype == np.bool_ else 1)
        else:
            first.append(i if _is_int(i) or i is None or i is Ellipsis else slice(None))
    rest = tuple(slice(None) if i is None else i for i in items if not _is_int(i))
    return tuple(first), rest
