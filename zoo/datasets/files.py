"""File access shared by the dataset readers: named errors for unreadable HDF5 and text files,
HDF5 datasets that are groups, non-finite features, and url-file entries resolved to URLs."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np

GET_HINT = (
    "place the CS231n coco_captioning files in base_dir (e.g. from CS231n's get_coco_dataset.sh), "
    "or write the built-in world with zoo.datasets.shapes.write_shapes_dataset(base_dir); "
    "nothing is downloaded"
)


class CocoDataError(ValueError):
    """A file of the coco_captioning directory whose content breaks the expected format."""


class CocoFileError(CocoDataError, OSError):
    """A file that cannot be read at all: empty, truncated, or not an HDF5 file."""


class CocoFileNotFoundError(FileNotFoundError):
    """The coco_captioning directory or one of its files is missing."""


class CocoKeyError(KeyError):
    """An h5 file or json file of the coco_captioning directory lacks a required key."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@contextlib.contextmanager
def open_h5(path: str | os.PathLike) -> Iterator[h5py.File]:
    """`h5py.File(path, 'r')` in a `with`; an unreadable file (empty, truncated, random bytes,
    a read error inside) is a CocoFileError naming the path, a missing one CocoFileNotFoundError."""
    path = Path(path)
    if not path.is_file():
        raise CocoFileNotFoundError(f"missing file {str(path)!r}: {GET_HINT}")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise CocoFileError(
            f"{path}: not a readable HDF5 file (empty, truncated or not HDF5): {e}"
        ) from None
    try:
        with f:
            yield f
    except CocoDataError:
        raise
    except OSError as e:
        raise CocoFileError(
            f"{path}: reading failed (truncated or corrupt HDF5 file?): {e}"
        ) from None


def h5_dataset(f: h5py.File, key: str, path: str | os.PathLike) -> h5py.Dataset:
    """The dataset `key` of an open file, or CocoKeyError (absent) / CocoDataError (a group)."""
    obj = f.get(key)
    if obj is None:
        raise CocoKeyError(f"{Path(path).name}: missing dataset {key!r} (found {sorted(f.keys())})")
    if not isinstance(obj, h5py.Dataset):
        raise CocoDataError(
            f"{path}: {key!r} is an HDF5 {type(obj).__name__.lower()}, not a dataset (an array)"
        )
    return obj


def check_finite_features(path: str | os.PathLike, arr: np.ndarray, rows: Any = None) -> None:
    """CocoDataError naming `path` and the count unless every value of `arr` is finite; `rows`
    (the file rows of arr's first axis, default 0..n-1) locate the first bad row."""
    finite = np.isfinite(arr)
    if finite.all():
        return
    per_row = finite.reshape(finite.shape[0] if finite.ndim else 1, -1).all(axis=1)
    bad_rows = np.flatnonzero(~per_row)
    labels = np.arange(per_row.size) if rows is None else np.asarray(rows).ravel()
    first = int(labels[bad_rows[0]]) if labels.size == per_row.size else int(bad_rows[0])
    raise CocoDataError(
        f"{path}: {int(finite.size - finite.sum())} feature values are NaN or inf in "
        f"{bad_rows.size} of the {per_row.size} rows read (first: row {first}); "
        "fix or drop those images before standardising or PCA"
    )


def read_text(path: str | os.PathLike) -> str:
    """A text file's content as UTF-8, or CocoDataError naming the file and the bad byte."""
    path = Path(path)
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CocoDataError(
            f"{path}: not UTF-8 text (byte {raw[e.start : e.start + 1]!r} at offset {e.start})"
        ) from None


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def resolve_url(entry: str, base_dir: str | os.PathLike) -> str:
    """One url-file entry as a URL: URLs as they are, a path (relative to `base_dir`, or
    absolute) as the file:// URL of that file; an empty entry stays empty."""
    if not entry or _SCHEME.match(entry):
        return entry
    return (Path(base_dir) / entry).resolve().as_uri()
