"""save_npz / load_npz: round trip, atomic replace, named errors; Module.save / load."""
import os

import numpy as np
import pytest

from minigrad import DTypeError, ShapeError
from minigrad.nn import CheckpointError, Linear, load_module, load_npz, save_module, save_npz


def _arrays(seed):
    rng = np.random.default_rng(seed)
    return {"w": rng.standard_normal((3, 4)).astype(np.float32),
            "b": rng.standard_normal(4), "step": np.array(7, np.int64),
            "mask": rng.random(5) > 0.5, "layer.0.weight": np.arange(6.0).reshape(2, 3)}


def _assert_same(a, b):
    assert set(a) == set(b)
    for k in a:
        assert a[k].dtype == b[k].dtype, k
        np.testing.assert_array_equal(a[k], b[k])


def test_round_trip_keeps_dtypes_and_exact_path(tmp_path):
    path = tmp_path / "ckpt.bin"  # no ".npz" is appended
    save_npz(path, _arrays(0))
    assert os.listdir(tmp_path) == ["ckpt.bin"]
    _assert_same(load_npz(path), _arrays(0))
    save_npz(str(path), _arrays(1))  # overwrite
    _assert_same(load_npz(str(path)), _arrays(1))
    assert os.listdir(tmp_path) == ["ckpt.bin"]


@pytest.mark.parametrize("where", ["replace", "write"])
def test_interrupted_save_keeps_previous_file(tmp_path, monkeypatch, where):
    path = tmp_path / "model.npz"
    save_npz(path, _arrays(0))

    def boom(*args, **kwargs):
        if where == "write":  # simulate a crash after part of the archive was written
            args[0].write(b"PK\x03\x04 partial")
        raise OSError("disk full (simulated)")

    if where == "replace":
        monkeypatch.setattr(os, "replace", boom)
    else:
        monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(OSError, match="simulated"):
        save_npz(path, _arrays(1))
    monkeypatch.undo()
    _assert_same(load_npz(path), _arrays(0))
    assert os.listdir(tmp_path) == ["model.npz"]  # the temp file was removed


def test_missing_file_named(tmp_path):
    path = tmp_path / "nope.npz"
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        load_npz(path)


@pytest.mark.parametrize("keep", [0, 10, 0.5, -20])
def test_truncated_file_named(tmp_path, keep):
    path = tmp_path / "cut.npz"
    save_npz(path, _arrays(0))
    raw = path.read_bytes()
    n = int(len(raw) * keep) if isinstance(keep, float) else keep % len(raw)
    path.write_bytes(raw[:n])
    with pytest.raises(CheckpointError, match=str(path).replace("\\", "\\\\")):
        load_npz(path)


def test_corrupted_member_named(tmp_path):
    path = tmp_path / "bad.npz"
    save_npz(path, {"w": np.arange(1000.0)})
    raw = bytearray(path.read_bytes())
    mid = len(raw) // 2
    raw[mid:mid + 8] = b"\xff" * 8  # inside w's data: the zip CRC check fails
    path.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="bad.npz"):
        load_npz(path)


def test_garbage_and_npy_files_refused(tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"this is not a zip archive at all")
    with pytest.raises(CheckpointError, match="junk.npz"):
        load_npz(junk)
    npy = tmp_path / "single.npy"
    np.save(npy, np.zeros(3))
    with pytest.raises(CheckpointError, match="single.npy.*not an .npz"):
        load_npz(npy)


def test_object_arrays_refused(tmp_path):
    path = tmp_path / "obj.npz"
    np.savez(path, good=np.zeros(2), evil=np.array([{"a": 1}, None], dtype=object))
    with pytest.raises(CheckpointError, match="'evil'.*object"):
        load_npz(path)
    with pytest.raises(DTypeError, match="'x'.*object"):
        save_npz(tmp_path / "o2.npz", {"x": np.array([None, 1], dtype=object)})
    assert not (tmp_path / "o2.npz").exists()
    with pytest.raises(TypeError, match="dict"):
        save_npz(tmp_path / "o3.npz", [np.zeros(2)])


def test_module_save_load(tmp_path):
    a = Linear(3, 2, rng=np.random.default_rng(0))
    b = Linear(3, 2, rng=np.random.default_rng(1))
    a.save(tmp_path / "a.npz")
    b.load(tmp_path / "a.npz")
    _assert_same(a.state_dict(), b.state_dict())
    save_module(b, tmp_path / "b.npz")
    c = Linear(3, 2, rng=np.random.default_rng(2))
    load_module(c, tmp_path / "b.npz")
    _assert_same(a.state_dict(), c.state_dict())
    with pytest.raises(ShapeError, match=r"weight must have shape \(4, 2\), got \(3, 2\)"):
        Linear(4, 2).load(tmp_path / "a.npz")
    with pytest.raises(KeyError, match="bias"):
        Linear(3, 2, bias=False).load(tmp_path / "a.npz")
