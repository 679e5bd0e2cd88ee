"""`.npz` checkpoints without pickle: atomic `save_npz`, checked `load_npz`, Module helpers.

`save_npz` writes a temporary file in the target's directory, flushes and fsyncs it, then
`os.replace`s it over the target, so an interrupted save leaves the previous file intact. A
killed save leaves its temporary file (`.<name>.<8 random chars>.tmp`) behind; the next save to
the same target removes such leftovers, and only the target's own: a save in progress holds a
lock on its temporary file (released by the OS when the process dies), and a locked one is kept.
"""
from __future__ import annotations

import os
import re
import stat
import tempfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from minigrad.errors import DTypeError, MinigradError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks, so leftovers are never removed there
    fcntl = None


class CheckpointError(MinigradError, ValueError):
    """A checkpoint file is corrupt, truncated, not an .npz archive, or holds pickled objects."""


class CheckpointWriteError(MinigradError, OSError):
    """A checkpoint cannot be written where asked (missing or read-only folder, a directory or
    a file in the way); an OSError, with the errno of the failed call."""

    def __str__(self) -> str:
        return self.strerror or super().__str__()


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
    if os.path.isdir(path):
        raise CheckpointWriteError(21, f"save_npz: {path} is a directory, expected a file path "
                                   "(give a file name such as checkpoint.npz)", path)
    _remove_stale_temp_files(path)
    try:
        fd, tmp = _locked_temp_file(directory, os.path.basename(path))
    except OSError as e:
        raise CheckpointWriteError(e.errno, f"save_npz: cannot write {path}: cannot make a "
                                   f"file in {directory} ({e.strerror})", path) from None
    try:
        os.chmod(tmp, os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o644)
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
            if fcntl is not None:  # renamed while still open, so still locked: another
                os.replace(tmp, path)  # save's cleanup never finds it unlocked
        if fcntl is None:
            os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError) and not isinstance(e, CheckpointWriteError):
            raise CheckpointWriteError(e.errno, f"save_npz: cannot write {path} "
                                       f"({e.strerror or e})", path) from e
        raise
    _fsync_dir(directory)


def _locked_temp_file(directory: str, base: str) -> tuple[int, str]:
    """(fd, path) of a fresh `.<base>.<8 chars>.tmp` in `directory`, locked before it gets
    that name, so another save's cleanup never sees it unlocked (threads or processes)."""
    fd, new = tempfile.mkstemp(dir=directory, prefix="." + base + ".", suffix=".new")
    try:
        _lock(fd)  # marks the save as in progress until the file is closed or the process dies
        tmp = new[:-len(".new")] + ".tmp"
        os.rename(new, tmp)
    except BaseException:
        os.close(fd)
        os.unlink(new)
        raise
    return fd, tmp


def _lock(fd: int) -> None:
    """Take an advisory lock on a fresh temporary file, where the OS and filesystem allow."""
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # a filesystem without locks: the save goes on unmarked
            pass


def _remove_stale_temp_files(path: str | os.PathLike) -> list[str]:
    """Delete the temporary files that killed saves to `path` left; returns their paths.

    Only names `.<basename>.<8 mkstemp chars>.tmp` next to `path` are candidates (another
    target's leftovers never match), and one still locked by a live save is kept.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    own = re.compile(re.escape("." + os.path.basename(path) + ".") + r"[a-z0-9_]{8}\.tmp")
    removed = []
    if fcntl is None:
        return removed
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        if own.fullmatch(name) and _unlink_if_unlocked(os.path.join(directory, name)):
            removed.append(os.path.join(directory, name))
    return removed


def _unlink_if_unlocked(tmp: str) -> bool:
    """Unlink `tmp` if no process holds its lock (a regular file only); whether it was."""
    try:
        fd = os.open(tmp, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.unlink(tmp)
        return True
    except OSError:  # locked by a save in progress, or already gone
        return False
    finally:
        os.close(fd)


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


DEFAULT_MAX_LOAD_BYTES = 2 << 30  # load_npz: at most 2 GiB of arrays once decompressed


def load_npz(path: str | os.PathLike,
             max_bytes: int | None = DEFAULT_MAX_LOAD_BYTES) -> dict[str, np.ndarray]:
    """Read every array of an .npz file into a dict; pickled (object) arrays are refused, and so
    is an archive whose members would decompress to more than `max_bytes` (None: no cap), as the
    zip directory tells before anything is decompressed."""
    path = os.fspath(path)
    if max_bytes is not None and (isinstance(max_bytes, bool) or not isinstance(max_bytes, int)
                                  or max_bytes < 0):
        raise ValueError(f"load_npz: max_bytes must be an int >= 0 or None, got {max_bytes!r}")
    if not os.path.exists(path):
        raise FileNotFoundError(f"load_npz: no such checkpoint file: {path}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"load_npz: {path} is a directory, not an .npz file")
    if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO or device would block or never end
        raise CheckpointError(f"load_npz: {path} is not a regular file")
    try:
        z = np.load(path, allow_pickle=False)
        if not isinstance(z, np.lib.npyio.NpzFile):
            raise CheckpointError(f"load_npz: {path} holds a single .npy array, "
                                  "not an .npz archive")
        with z:
            _check_expanded_size(z, path, max_bytes)
            return {name: _read_member(z, name, path) for name in z.files}
    except CheckpointError:
        raise
    except Exception as e:  # BadZipFile, EOFError, zlib/struct errors from a damaged archive
        raise CheckpointError(f"load_npz: {path} is corrupt or truncated, not a readable .npz "
                              f"archive ({type(e).__name__}: {e})") from e


def _check_expanded_size(z: Any, path: str, max_bytes: int | None) -> None:
    """CheckpointError if the archive's members add up to more than `max_bytes` decompressed
    (zipfile never yields more than a member's declared size, so the directory is the bound)."""
    total = sum(info.file_size for info in z.zip.infolist())
    if max_bytes is not None and total > max_bytes:
        raise CheckpointError(f"load_npz: {path} would decompress to {total} bytes, over "
                              f"max_bytes={max_bytes} ({os.path.getsize(path)} bytes on disk); "
                              "pass a larger max_bytes (or None) for a file you trust")


def _read_member(z: Any, name: str, path: str) -> np.ndarray:
    try:
        arr = z[name]
    except ValueError as e:
        if "pickle" in str(e) or "Object arrays" in str(e):
            raise CheckpointError(f"load_npz: {path}: array {name!r} is an object (pickled) "
                                  "array; refusing to unpickle it") from e
        raise
    if not isinstance(arr, np.ndarray):  # numpy hands a member that is not .npy as raw bytes
        raise CheckpointError(f"load_npz: {path}: member {name!r} is not a .npy array "
                              f"(got {len(arr)} raw bytes); not an .npz checkpoint")
    return arr


def save_module(module: Any, path: str | os.PathLike) -> None:
    """Save `module.state_dict()` to `path` atomically as .npz."""
    save_npz(path, module.state_dict())


def load_module(module: Any, path: str | os.PathLike, strict: bool = True) -> None:
    """Load an .npz written by `save_module` into `module` (names and shapes must match)."""
    module.load_state_dict(load_npz(path), strict=strict)
