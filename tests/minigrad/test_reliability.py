"""Reliability regressions (issue 9): plain arrays edited after forward, ragged data, bad axes,
non-finite gradients reaching an optimizer, stale temp files of interrupted saves."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor

# ----- plain arrays edited in place between forward and backward ------------------------------


def _embedding_grad(edit: bool) -> np.ndarray:
    ids = np.array([[0, 1], [2, 0]])
    W = Tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    out = F.embedding(ids, W)
    if edit:
        ids[0, 0] = 3  # the user reuses the id buffer before backward
    out.backward(np.ones((2, 2, 3)))
    return W.grad


def test_embedding_ids_edited_after_forward_do_not_move_the_gradient():
    untouched = _embedding_grad(edit=False)
    # rows 0 (twice), 1 and 2 were looked up: counts 2, 1, 1, 0
    np.testing.assert_array_equal(untouched, np.array([[2.0] * 3, [1.0] * 3, [1.0] * 3,
                                                       [0.0] * 3]))
    np.testing.assert_array_equal(_embedding_grad(edit=True), untouched)


def test_affine_features_edited_after_forward_do_not_change_the_gradient():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    w = Tensor(np.zeros((2, 3)), requires_grad=True)
    b = Tensor(np.zeros(3), requires_grad=True)
    out = F.affine(x, w, b)
    x[...] = 100.0
    out.backward(np.ones((2, 3)))
    # dw = x_at_forward.T @ ones: column sums of the original x, repeated over 3 outputs
    np.testing.assert_array_equal(w.grad, np.array([[4.0] * 3, [6.0] * 3]))
    assert x[0, 0] == 100.0  # the caller's array is theirs: not restored, not frozen


def test_tensor_input_edited_after_forward_is_still_refused():
    from minigrad.errors import GraphError

    ids = Tensor(np.array([[0, 1]]))
    W = Tensor(np.ones((2, 2)), requires_grad=True)
    out = F.embedding(ids, W)
    ids[0, 0] = 1
    with pytest.raises(GraphError, match="modified by an inplace operation|in place"):
        out.backward(np.ones((1, 2, 2)))


# ----- ragged, object and text data to Tensor -------------------------------------------------

@pytest.mark.parametrize("data, kwargs, where", [
    ([[1, 2], [3]], {}, "data[1] of length 1 and data[0] of length 2"),
    ([[[1], [2]], [[1], [2, 3]]], {}, "data[1][1] of length 2 and data[0][0] of length 1"),
    ([[1, 2], 3], {}, "a sequence at data[0] and a scalar (int) at data[1]"),
    ([1, [2]], {"dtype": np.float64}, "a sequence at data[1] and a scalar (int) at data[0]"),
    ([np.ones(2), np.ones(3)], {}, "data[1] of length 3 and data[0] of length 2"),
])
def test_ragged_data_is_a_named_shape_error(data, kwargs, where):
    from minigrad.errors import ShapeError

    with pytest.raises(ShapeError) as e:
        Tensor(data, **kwargs)
    assert str(e.value) == ("Tensor: data must be a rectangular nested list (rows of equal "
                            f"lengths), got {where}")
    assert "inhomogeneous" not in str(e.value)
    assert isinstance(e.value, ValueError)


@pytest.mark.parametrize("data, detail", [
    ("abc", "dtype <U3 (data holds text)"),
    ([1, "a"], "dtype <U21 (data holds text)"),
    ({"a": 1}, "dtype object (data is a dict)"),
    ([1, None], "dtype object (data[1] is a NoneType)"),
    ([[1, 2], [3, object()]], "dtype object (data[1, 1] is a object)"),
    (2**70, "dtype object (data is the int 1180591620717411303424, outside int64)"),
])
def test_non_numeric_data_is_a_named_dtype_error(data, detail):
    from minigrad.errors import DTypeError

    with pytest.raises(DTypeError) as e:
        Tensor(data)
    assert str(e.value) == f"Tensor: data must be numeric (bool, int or float), got {detail}"


def test_bad_dtype_and_unconvertible_values_are_named():
    from minigrad.errors import DTypeError, UnknownDTypeError

    with pytest.raises(UnknownDTypeError,
                       match=r"^Tensor: dtype must be a numpy dtype, got 'foo'$"):
        Tensor([1.0], dtype="foo")
    with pytest.raises(DTypeError, match=r"^Tensor: data cannot be converted to dtype float64: "
                                         r"could not convert string to float: 'a'$"):
        Tensor(["a"], dtype=np.float64)
    with pytest.raises(DTypeError, match=r"^Tensor: data cannot be converted to dtype int64"):
        Tensor([2**70], dtype=np.int64)


def test_rectangular_nested_lists_still_work():
    t = Tensor([[1, 2], [3, 4]], dtype=np.float32)
    assert t.shape == (2, 2) and t.dtype == np.float32
    np.testing.assert_array_equal(t.data, np.array([[1, 2], [3, 4]], np.float32))
    assert Tensor([]).shape == (0,)


# ----- bad axis / dim values ------------------------------------------------------------------

_REDUCE_AXES = {"sum": "Sum", "mean": "Mean", "max": "Max", "prod": "Prod", "var": "Var",
                "logsumexp": "LogSumExp", "nansum": "NanSum", "any": "any"}
_ONE_AXIS = {"softmax": ("Softmax", "an int"), "log_softmax": ("LogSoftmax", "an int"),
             "argmax": ("argmax", "an int"), "cumsum": ("CumSum", "None or an int"),
             "sort": ("Sort", "an int"), "cummax": ("CumMax", "an int"),
             "median": ("median", "an int")}
_BAD = [(1.5, "1.5 (float)"), ("a", "'a' (str)"), (True, "True (bool)"),
        (np.float64(1.0), "np.float64(1.0) (float64)")]


@pytest.mark.parametrize("shape", [(), (2, 3)])
@pytest.mark.parametrize("bad, shown", _BAD)
@pytest.mark.parametrize("op", sorted(_REDUCE_AXES) + sorted(_ONE_AXIS))
def test_non_int_axis_is_a_named_dtype_error(op, bad, shown, shape):
    from minigrad.errors import DTypeError

    if isinstance(bad, np.floating):
        shown = f"{bad!r} (float64)"  # numpy 1.x shows 1.0, numpy 2 np.float64(1.0)
    x = Tensor(np.ones(shape))
    if op in _REDUCE_AXES:
        msg = f"{_REDUCE_AXES[op]}: axis must be None, an int or a tuple of ints, got {shown}"
    else:
        name, what = _ONE_AXIS[op]
        msg = f"{name}: axis must be {what}, got {shown}"
    for kw in ("axis", "dim"):
        with pytest.raises(DTypeError) as e:
            getattr(F, op)(x, **{kw: bad})
        assert str(e.value) == msg


@pytest.mark.parametrize("op", ["sum", "mean", "softmax", "argmax", "cumsum", "sort", "max"])
@pytest.mark.parametrize("axis", [1, -2, 5])
def test_axis_out_of_range_on_a_0d_tensor_is_named(op, axis):
    from minigrad.errors import IndexRangeError

    with pytest.raises(IndexRangeError, match=rf"axis {axis} is out of range for x of shape "
                                              r"\(\) \(expected in \[-1, 0\]\)$"):
        getattr(F, op)(Tensor(np.array(2.0)), axis=axis)


@pytest.mark.parametrize("op", ["sum", "mean", "softmax", "argmax", "cumsum", "max"])
@pytest.mark.parametrize("axis", [0, -1])
def test_axis_0_and_minus_1_work_on_a_0d_tensor_as_torch(op, axis):
    out = getattr(F, op)(Tensor(np.array(2.0)), axis=axis)
    out = out[0] if isinstance(out, tuple) else out
    expected = 0 if op == "argmax" else (1.0 if op == "softmax" else 2.0)
    assert out.shape == () and out.item() == expected


def test_a_bad_entry_in_a_tuple_of_axes_is_named():
    from minigrad.errors import DTypeError

    with pytest.raises(DTypeError, match=r"^Sum: axis must be None, an int or a tuple of ints, "
                                         r"got \(0, 'a'\) \(tuple\)$"):
        F.sum(Tensor(np.ones((2, 3))), axis=(0, "a"))


@pytest.mark.parametrize("call, name", [
    (lambda x: F.squeeze(x, 1.5), "Squeeze"), (lambda x: F.unsqueeze(x, "a"), "Unsqueeze"),
    (lambda x: F.flip(x, 1.5), "Flip"),
])
def test_shape_ops_name_a_non_int_axis(call, name):
    from minigrad.errors import DTypeError

    with pytest.raises(DTypeError, match=rf"^{name}: "):
        call(Tensor(np.ones((2, 3))))


# ----- NaN / inf gradients reaching an optimizer ----------------------------------------------

def _params_with_bad_grad():
    """w0 (2,) with grad [nan, inf], w1 (2,) named 'fc.bias' with a finite grad [1, -1]."""
    w0 = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    w1 = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    w1.name = "fc.bias"
    w0.grad = np.array([np.nan, np.inf])
    w1.grad = np.array([1.0, -1.0])
    return w0, w1


def _make(opt, params, **kw):
    from minigrad import optim

    return {"SGD": lambda: optim.SGD(params, lr=0.1, **kw),
            "Adam": lambda: optim.Adam(params, lr=0.1, **kw),
            "AdamW": lambda: optim.AdamW(params, lr=0.1, weight_decay=0.5, **kw)}[opt]()


# w1 after one step from [3, 4] with grad [1, -1] and lr 0.1: SGD w - lr g; Adam's first step
# is w - lr g / (|g| + eps) (bias-corrected m = g, v = g^2); AdamW first scales w by 1 - lr wd.
_W1_AFTER = {"SGD": [2.9, 4.1],
             "Adam": [3 - 0.1 / (1 + 1e-8), 4 + 0.1 / (1 + 1e-8)],
             "AdamW": [3 * 0.95 - 0.1 / (1 + 1e-8), 4 * 0.95 + 0.1 / (1 + 1e-8)]}
_BAD_MSG = ("{opt}.step: non-finite gradients in params[0] of shape (2,): 1 NaN and 1 inf of 2 "
            "values")


@pytest.mark.parametrize("opt", ["SGD", "Adam", "AdamW"])
def test_nonfinite_warn_is_the_default_names_the_parameter_and_applies_torchs_update(opt):
    from minigrad.optim import NonFiniteGradientWarning

    w0, w1 = _params_with_bad_grad()
    o = _make(opt, [w0, w1])
    with pytest.warns(NonFiniteGradientWarning) as rec, np.errstate(invalid="ignore"):
        o.step()  # (Adam's inf / inf is numpy's own "invalid value" warning, silenced here)
    assert len(rec) == 1 and rec[0].filename == __file__  # points at the caller's step()
    assert str(rec[0].message) == (_BAD_MSG.format(opt=opt) + "; the update was applied; pass "
                                   "nonfinite='skip' or 'raise' to keep the weights")
    assert not np.isfinite(w0.data).any()  # what torch does too: the user has been told
    np.testing.assert_allclose(w1.data, _W1_AFTER[opt], rtol=1e-12)
    assert o.step_count == 1


@pytest.mark.parametrize("opt", ["SGD", "Adam", "AdamW"])
def test_nonfinite_skip_warns_and_leaves_everything_untouched(opt):
    from minigrad.optim import NonFiniteGradientWarning

    w0, w1 = _params_with_bad_grad()
    w1.grad = np.array([np.inf, 0.0])
    o = _make(opt, [w0, w1], nonfinite="skip")
    with pytest.warns(NonFiniteGradientWarning) as rec:
        o.step()
    assert str(rec[0].message) == (
        _BAD_MSG.format(opt=opt) + "; params[1] (fc.bias) of shape (2,): 0 NaN and 1 inf of 2 "
        "values; the step was skipped (no parameter updated)")
    np.testing.assert_array_equal(w0.data, [1.0, 2.0])
    np.testing.assert_array_equal(w1.data, [3.0, 4.0])
    assert o.state == {} and o.step_count == 0
    w0.grad, w1.grad = None, np.array([1.0, -1.0])  # the next good step is a first step
    o.step()
    np.testing.assert_allclose(w1.data, _W1_AFTER[opt], rtol=1e-12)
    assert o.step_count == 1


@pytest.mark.parametrize("opt", ["SGD", "Adam", "AdamW"])
def test_nonfinite_raise_stops_before_any_parameter_changes(opt):
    from minigrad.errors import RangeError
    from minigrad.optim import NonFiniteGradientError

    w0, w1 = _params_with_bad_grad()
    o = _make(opt, [w1, w0], nonfinite="raise")  # the finite one comes first
    with pytest.raises(NonFiniteGradientError) as e:
        o.step()
    assert str(e.value) == (f"{opt}.step: non-finite gradients in params[1] of shape (2,): 1 NaN "
                            "and 1 inf of 2 values; no parameter was updated")
    assert isinstance(e.value, RangeError)
    np.testing.assert_array_equal(w1.data, [3.0, 4.0])
    assert o.state == {} and o.step_count == 0


@pytest.mark.parametrize("opt", ["SGD", "Adam", "AdamW"])
def test_nonfinite_ignore_updates_silently(opt):
    import warnings

    from minigrad.optim import NonFiniteGradientWarning

    w0, w1 = _params_with_bad_grad()
    o = _make(opt, [w0, w1], nonfinite="ignore")
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("error", NonFiniteGradientWarning)
        o.step()
    assert np.isnan(w0.data[0])
    np.testing.assert_allclose(w1.data, _W1_AFTER[opt], rtol=1e-12)


def test_finite_gradients_give_no_warning_and_bad_modes_are_named():
    import warnings

    from minigrad import optim

    w = Tensor(np.array([1.0]), requires_grad=True)
    w.grad = np.array([1e308])  # large but finite: the cheap sum test must not misfire
    o = optim.SGD([w], lr=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        o.step()
    with pytest.raises(ValueError, match=r"^RMSProp: nonfinite must be one of \('warn', 'skip', "
                                         r"'raise', 'ignore'\), got 'stop'$"):
        optim.RMSProp([w], nonfinite="stop")


# ----- temp files left by killed saves --------------------------------------------------------

def test_next_save_removes_only_the_same_targets_stale_temp_files(tmp_path):
    import fcntl

    from minigrad.nn import load_npz, save_npz

    target = tmp_path / "ck.npz"
    stale = [".ck.npz.abcd1234.tmp", ".ck.npz.zz_9xy01.tmp"]  # mkstemp's 8 chars, as the saver
    kept = [".ck.npz.bak.abcd1234.tmp",  # the temp file of target ck.npz.bak
            ".other.npz.abcd1234.tmp", ".ck.npz.abc.tmp", "ck.npz.abcd1234.tmp",
            ".ck.npz.abcd1234.tmp.old", "notes.txt"]
    for name in stale + kept + [".ck.npz.live0000.tmp"]:
        (tmp_path / name).write_bytes(b"partial")
    live = open(tmp_path / ".ck.npz.live0000.tmp", "rb")  # a save in progress holds its lock
    fcntl.flock(live.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        save_npz(target, {"w": np.arange(3.0)})
    finally:
        live.close()
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(kept + [".ck.npz.live0000.tmp", "ck.npz"])
    np.testing.assert_array_equal(load_npz(target)["w"], [0.0, 1.0, 2.0])


def test_a_save_killed_midway_leaves_a_temp_file_that_the_next_save_removes(tmp_path):
    import subprocess
    import sys

    from minigrad.nn import load_npz, save_npz

    target = tmp_path / "ck.npz"
    save_npz(target, {"w": np.zeros(2)})
    child = (
        "import os, signal, sys\n"
        "import numpy as np\n"
        "from minigrad.nn import serialization\n"
        "def savez(f, **arrays):\n"
        "    f.write(b'PK' * 1000); f.flush()\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "serialization.np.savez = savez\n"
        "serialization.save_npz(sys.argv[1], {'w': np.ones(2)})\n")
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", child, str(target)], timeout=120, cwd=repo)
    assert proc.returncode == -9
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) == 1 and leftovers[0].startswith(".ck.npz.")
    np.testing.assert_array_equal(load_npz(target)["w"], [0.0, 0.0])  # the old file intact
    save_npz(target, {"w": np.full(2, 5.0)})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck.npz"]
    np.testing.assert_array_equal(load_npz(target)["w"], [5.0, 5.0])


# ----- load_npz: archives that expand past a cap, files that are not regular -----------------

def test_load_npz_refuses_an_archive_that_would_decompress_past_max_bytes(tmp_path):
    from minigrad.nn import CheckpointError, load_npz

    path = tmp_path / "zeros.npz"
    np.savez_compressed(path, w=np.zeros(1_000_000))  # 8 MB of arrays in a few kB
    assert path.stat().st_size < 100_000
    with pytest.raises(CheckpointError) as e:
        load_npz(path, max_bytes=1_000_000)
    assert str(e.value).startswith(f"load_npz: {path} would decompress to 8000128 bytes, over "
                                   "max_bytes=1000000 (")
    assert load_npz(path, max_bytes=8_000_128)["w"].shape == (1_000_000,)
    assert load_npz(path, max_bytes=None)["w"].shape == (1_000_000,)
    with pytest.raises(ValueError, match=r"^load_npz: max_bytes must be an int >= 0 or None, "
                                         r"got '1e6'$"):
        load_npz(path, max_bytes="1e6")


def test_load_npz_default_cap_reads_the_zip_directory_before_decompressing(tmp_path):
    from minigrad.nn import CheckpointError, load_npz, save_npz

    path = tmp_path / "bomb.npz"
    save_npz(path, {"w": np.zeros(4)})
    raw = bytearray(path.read_bytes())
    cd = raw.index(b"PK\x01\x02")  # the central directory entry of the one member
    raw[cd + 24:cd + 28] = (3 << 30).to_bytes(4, "little")  # declares 3 GiB uncompressed
    path.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match=rf"would decompress to {3 << 30} bytes, over "
                                              rf"max_bytes={2 << 30} "):
        load_npz(path)


def test_load_npz_of_a_fifo_is_refused_without_blocking(tmp_path):
    import os
    import threading

    from minigrad.nn import CheckpointError, load_npz

    fifo = tmp_path / "ck.npz"
    os.mkfifo(fifo)
    out = {}
    t = threading.Thread(target=lambda: out.update(r=_raised(load_npz, fifo)), daemon=True)
    t.start()
    t.join(20)
    assert not t.is_alive(), "load_npz blocked on a FIFO"
    assert isinstance(out["r"], CheckpointError)
    assert str(out["r"]) == f"load_npz: {fifo} is not a regular file"


def _raised(fn, *args):
    try:
        fn(*args)
    except Exception as e:  # noqa: BLE001 - returned to the test
        return e
    return None


def test_named_parameters_name_the_bad_gradient():
    from minigrad import nn, optim
    from minigrad.optim import NonFiniteGradientError

    m = nn.Linear(3, 2)
    o = optim.AdamW(m.named_parameters(), nonfinite="raise")
    assert o.param_groups[0]["param_names"] == ["weight", "bias"]
    for p in m.parameters():
        p.grad = np.zeros_like(p.data)
    m.bias.grad[1] = -np.inf
    with pytest.raises(NonFiniteGradientError, match=r"^AdamW.step: non-finite gradients in "
                                                     r"params\[1\] \(bias\) of shape \(2,\): 0 NaN "
                                                     r"and 1 inf of 2 values; no parameter"):
        o.step()
    m.bias.grad[1] = 0.0
    o.step()  # named groups step, save and load like plain ones
    o.load_state_dict(o.state_dict())
    assert o.step_count == 1
