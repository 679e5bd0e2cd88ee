"""Regressions from the red-team attack (issue 9): each bad input is a named error, not a raw
numpy/OS/KeyError traceback, and nothing is changed silently."""
from __future__ import annotations

import threading

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.errors import DTypeError, MinigradError, RangeError, ShapeError
from minigrad.nn.module import StateDictKeyError
from minigrad.nn.serialization import CheckpointError, CheckpointWriteError, load_npz, save_npz


def _param() -> nn.Parameter:
    return nn.Parameter(np.ones(3, np.float32))


# ----- Module.load_state_dict and attributes --------------------------------------------------
@pytest.mark.parametrize("state", [None, 5, [1, 2], "weight"])
def test_load_state_dict_of_a_non_mapping_is_a_dtype_error(state):
    with pytest.raises(DTypeError, match="state must be a mapping .* got"):
        nn.Linear(3, 4).load_state_dict(state)


def test_load_state_dict_key_errors_are_named_and_printed_plainly():
    lin = nn.Linear(3, 4)
    with pytest.raises(StateDictKeyError) as info:
        lin.load_state_dict({"weight": np.zeros((3, 4), np.float32)})
    assert isinstance(info.value, KeyError) and isinstance(info.value, MinigradError)
    assert str(info.value) == "Linear.load_state_dict: missing keys ['bias'], unexpected keys []"


def test_assigning_a_non_parameter_to_a_parameter_attribute_is_refused():
    lin = nn.Linear(3, 4)
    with pytest.raises(DTypeError, match="cannot assign a int to parameter 'weight'"):
        lin.weight = 5
    assert isinstance(lin.weight, nn.Parameter) and "weight" in dict(lin.named_parameters())
    lin.weight = nn.Parameter(np.zeros((3, 4), np.float32))  # a Parameter is still fine
    assert np.array_equal(lin.weight.data, np.zeros((3, 4)))


# ----- save_npz / load_npz ------------------------------------------------------------------------
def test_save_npz_where_it_cannot_write_is_a_checkpoint_write_error(tmp_path):
    a_file = tmp_path / "afile"
    a_file.write_text("x")
    a_dir = tmp_path / "adir.npz"
    a_dir.mkdir()
    for path, why in ((a_file / "x.npz", "Not a directory"), (tmp_path / "no" / "x.npz", "No such"),
                      (a_dir, "is a directory")):
        with pytest.raises(CheckpointWriteError, match=why) as info:
            save_npz(path, {"a": np.zeros(1)})
        assert isinstance(info.value, OSError) and str(path) in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir.npz", "afile"]  # no temp left


def test_load_npz_refuses_a_member_that_is_not_npy(tmp_path):
    import zipfile

    path = tmp_path / "x.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", b"hello")
    with pytest.raises(CheckpointError, match="member 'readme.txt' is not a .npy array"):
        load_npz(path)


def test_saves_from_threads_never_remove_each_others_temp_files(tmp_path):
    path, errors = tmp_path / "c.npz", []

    def write(i: int) -> None:
        try:
            for _ in range(15):
                save_npz(path, {"a": np.full(2000, i)})
        except Exception as e:  # noqa: BLE001 (collected and asserted below)
            errors.append(repr(e))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    values = set(load_npz(path)["a"].tolist())
    assert len(values) == 1 and values <= {0, 1, 2, 3}
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]


# ----- optimizers and schedulers ------------------------------------------------------------------
@pytest.mark.parametrize("state", [[1], None, {1: np.zeros(1)}])
def test_optimizer_load_state_dict_of_a_non_mapping_is_a_dtype_error(state):
    with pytest.raises(DTypeError, match="Adam.load_state_dict: state must be a mapping"):
        optim.Adam([_param()]).load_state_dict(state)


def test_optimizer_state_of_another_rule_is_a_named_key_error():
    p = _param()
    sgd = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = np.ones(3, np.float32)
    sgd.step()
    with pytest.raises(StateDictKeyError, match="missing keys .*'m.0'.* unexpected keys "
                                                 r"\['momentum_buffer.0'\]"):
        optim.Adam([_param()]).load_state_dict(sgd.state_dict())


def test_make_optimizer_unknown_config_key_is_a_named_key_error():
    with pytest.raises(StateDictKeyError, match=r"keys \['learnin_rate'\] are not used"):
        optim.make_optimizer("adam", [_param()], {"learnin_rate": 1e-3})


def test_lambda_lr_factor_that_is_not_a_number_is_a_range_error():
    with pytest.raises(RangeError, match="lr_lambda 0 must return a finite number, got 'x'"):
        optim.LambdaLR(optim.SGD([_param()], lr=0.1), lambda epoch: "x")
    sched = optim.LambdaLR(optim.SGD([_param()], lr=0.1), lambda epoch: 1.0 if epoch < 1 else None)
    with pytest.raises(RangeError, match="got None at epoch 1"):
        sched.step()


def test_plateau_metric_that_is_not_a_number_is_a_dtype_error():
    sched = optim.ReduceLROnPlateau(optim.SGD([_param()], lr=0.1))
    with pytest.raises(DTypeError, match="metrics must be a number"):
        sched.step("x")
    with pytest.raises(DTypeError, match="metrics must be a number"):
        sched.step(np.ones(2))


def test_clip_grad_norm_with_negative_max_norm_is_refused_and_grads_kept():
    p = _param()
    p.grad = np.array([3.0, 4.0, 0.0], np.float32)
    with pytest.raises(RangeError, match="max_norm must be >= 0, got -1.0"):
        optim.clip_grad_norm_([p], -1.0)
    assert np.array_equal(p.grad, [3.0, 4.0, 0.0])  # a negative factor would flip the signs


# ----- factories and Tensor -----------------------------------------------------------------------
def test_factory_of_an_impossible_size_is_a_shape_error():
    with pytest.raises(ShapeError, match=r"zeros: size \(1000000000000, 1000000000000\) holds"):
        mg.zeros(10 ** 12, 10 ** 12)


@pytest.mark.parametrize("fill", ["x", None, [1, 2]])
def test_full_with_a_fill_value_that_is_not_a_number_is_a_dtype_error(fill):
    with pytest.raises(DTypeError, match="full: fill_value must be a number"):
        mg.full((2,), fill)


def test_len_of_a_0d_tensor_is_a_named_type_error():
    with pytest.raises(DTypeError, match="len\\(\\) of a 0-d tensor") as info:
        len(mg.Tensor(3.0))
    assert isinstance(info.value, TypeError)
    assert len(mg.Tensor(np.zeros((4, 2)))) == 4


def test_module_train_apply_and_module_dict_misuse_are_named():
    lin = nn.Linear(3, 4)
    with pytest.raises(DTypeError, match="Linear.train: mode must be a bool, got 'no'"):
        lin.train("no")
    assert lin.training is True and lin.train(False).training is False
    with pytest.raises(DTypeError, match="Linear.apply: fn must be callable, got int"):
        lin.apply(3)
    with pytest.raises(StateDictKeyError, match=r"ModuleDict: no module 'b'; keys are \['a'\]"):
        nn.ModuleDict({"a": lin})["b"]


def test_scheduler_load_state_dict_of_a_non_mapping_and_clip_of_a_non_number_are_named():
    opt = optim.SGD([_param()], lr=0.1)
    with pytest.raises(StateDictKeyError, match="StepLR.load_state_dict: state must be a mapping"):
        optim.StepLR(opt, 2).load_state_dict([1])
    with pytest.raises(StateDictKeyError, match="ReduceLROnPlateau.load_state_dict: state must"):
        optim.ReduceLROnPlateau(opt).load_state_dict(5)
    with pytest.raises(RangeError, match="clip_grad_norm_: max_norm must be a number, got 'x'"):
        optim.clip_grad_norm_([_param()], "x")


def test_reshape_refuses_negative_sizes_other_than_minus_one() -> None:
    import minigrad
    from minigrad.errors import ShapeError

    t = minigrad.Tensor(np.arange(6.0))
    with pytest.raises(ShapeError, match=r"sizes must be >= 0 or -1 \(inferred\), got \(-2, 3\)"):
        t.reshape(-2, 3)  # numpy reads -2 as -1 and returns (2, 3); torch refuses
    assert t.reshape(-1, 3).shape == (2, 3)


@pytest.mark.parametrize("dtype, error, part", [
    ("notatype", "UnknownDTypeError", "dtype must be a numpy dtype, got 'notatype'"),
    (None, "UnknownDTypeError", "dtype must be a numpy dtype, got None"),
    ("complex64", "DTypeError", "dtype must be bool, int or float, got complex64"),
])
def test_astype_names_a_bad_dtype(dtype, error, part) -> None:
    import minigrad
    from minigrad import errors

    t = minigrad.Tensor(np.arange(3.0))
    with pytest.raises(getattr(errors, error), match=part):
        t.astype(dtype)
    assert t.astype("float32").dtype == np.float32


def test_requires_grad_and_grad_are_checked_when_set_as_torch_does() -> None:
    import minigrad
    from minigrad.errors import GraphError

    ids = minigrad.Tensor(np.arange(3))
    with pytest.raises(DTypeError, match="only floating tensors can require grad, got dtype int"):
        ids.requires_grad = True
    assert ids.requires_grad is False
    x = minigrad.Tensor(np.zeros(3))
    with pytest.raises(DTypeError, match="requires_grad must be a bool, got 'yes'"):
        x.requires_grad = "yes"
    x.requires_grad = True
    with pytest.raises(GraphError, match="only works on leaves"):
        (x * 2).requires_grad = False
    with pytest.raises(ShapeError, match=r"grad must have the tensor's shape \(3,\), got \(2,\)"):
        x.grad = np.zeros(2)
    with pytest.raises(DTypeError, match="grad must be None or a float array"):
        x.grad = np.zeros(3, dtype=np.int64)
    x.grad = np.ones(3)
    (x * x).sum().backward()  # accumulates into the assigned gradient
    np.testing.assert_array_equal(x.grad, [1.0, 1.0, 1.0])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0, 3.0])
