"""`.npz` checkpoints without pickle: atomic `save_npz`, checked `load_npz`, Module helpers.

`save_npz` writes a temporary file in the target's directory, flushes and fsyncs it, then
`os.replace`s it over the target, so an interrupted save leaves the previous file intact.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from minigrad.errors import DTypeError, MinigradError


class CheckpointError(MinigradError, ValueError):
    """A checkpoint file is corrupt, truncated, not an .npz archive, or holds pickled objects."""


def _check_arrays(arrays: Mapping[str, Any], path: str) -> dict[str, np.ndarray]:
    if not isinstance(arrays, Mapping):
        raise TypeError(f"save_npz: arrays must be a dict of name -> ndarray, "
                        f"got {type(arrays).__name__}")
    out = {}
    for name, value in arrays.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"save_npz: array names must be non-empty str, got {name!r}")
        arr = np.asarray(value)
        if arr.dtype.hasobject or arr.dtype.kind not in "biufcUS":
            raise DTypeError(f"save_npz: {path}: array {name!r} has dtype {arr.dtype}; only "
                             "numeric, bool and string arrays can be saved without pickle")
        out[name] = arr
    return out


def save_npz(path: str | os.PathLike, arrays: Mapping[str, Any]) -> None:
    """Write {name: ndarray} to `path` (exactly that name, uncompressed .npz), atomically."""
    path = os.fspath(path)
    arrays = _check_arrays(arrays, path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp")
    try:
        os.chmod(tmp, os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o644)
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(directory)


def _fsync_dir(directory: str) -> None:
    """Make the rename durable where the OS allows opening a directory (POSIX)."""
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def load_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read every array of an .npz file into a dict; pickled (object) arrays are refused."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load_npz: no such checkpoint file: {path}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"load_npz: {path} is a directory, not an .npz file")
    try:
        z = np.load(path, allow_pickle=False)
        if not isinstance(z, np.lib.npyio.NpzFile):
            raise CheckpointError(f"load_npz: {path} holds a single .npy array, "
                                  "not an .npz archive")
        with z:
            return {name: _read_member(z, name, path) for name in z.files}
    except CheckpointError:
        raise
    except Exception as e:  # BadZipFile, EOFError, zlib/struct errors from a damaged archive
        raise CheckpointError(f"load_npz: {path} is corrupt or truncated, not a readable .npz "
                              f"archive ({type(e).__name__}: {e})") from e


def _read_member(z: Any, name: str, path: str) -> np.ndarray:
    try:
        return z[name]
    except ValueError as e:
        if "pickle" in str(e) or "Object arrays" in str(e):
            raise CheckpointError(f"load_npz: {path}: array {name!r} is an object (pickled) "
                                  "array; refusing to unpickle it") from e
        raise


def save_module(module: Any, path: str | os.PathLike) -> None:
    """Save `module.state_dict()` to `path` atomically as .npz."""
    save_npz(path, module.state_dict())


def load_module(module: Any, path: str | os.PathLike, strict: bool = True) -> None:
    """Load an .npz written by `save_module` into `module` (names and shapes must match)."""
    module.load_state_dict(load_npz(path), strict=strict)
