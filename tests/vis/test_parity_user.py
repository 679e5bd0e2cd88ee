"""Torch parity for a user's own Functions and models: `check_parity` (pytest), `compare`
(one-shot), `compare_modules` and `python -m vis parity --cases MODULE`. A correct GELU passes;
a planted sign bug and a planted wrong-axis reduction fail, each named (output or input, worst
element, both values, error, tolerance) in all three forms. Expected values come from math
formulas written here, not from the code under test."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import settings
from hypothesis import strategies as st

import minigrad.functional as F
from minigrad import Function, nn
from minigrad.testing.strategies import check_function, float_arrays, shapes, token_ids
from vis.parity import (
    Inputs,
    ParityCase,
    ParityError,
    check_parity,
    compare,
    compare_modules,
    run_case,
)
from vis.parity.__main__ import main

REPO = Path(__file__).resolve().parents[2]
C = math.sqrt(2 / math.pi)


# ----- the user's Functions (and their planted bugs) ------------------------------------------
def _gelu_parts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t = np.tanh(C * (x + 0.044715 * x**3))
    return t, C * (1 + 3 * 0.044715 * x**2)


class GELU(Function):
    """torch's gelu(approximate='tanh'): x (any shape) -> same shape."""

    @staticmethod
    def forward(ctx, x):
        t, du = _gelu_parts(x)
        ctx.save_for_backward(x)
        return 0.5 * x * (1 + t)

    @staticmethod
    def backward(ctx, dout):
        (x,) = ctx.saved_tensors
        t, du = _gelu_parts(x)
        return dout * (0.5 * (1 + t) + 0.5 * x * (1 - t**2) * du)


class GELUSignBug(Function):
    """Planted sign bug: 0.5 x (1 - tanh u), with the matching backward (gradcheck passes)."""

    @staticmethod
    def forward(ctx, x):
        t, _ = _gelu_parts(x)
        ctx.save_for_backward(x)
        return 0.5 * x * (1 - t)

    @staticmethod
    def backward(ctx, dout):
        (x,) = ctx.saved_tensors
        t, du = _gelu_parts(x)
        return dout * (0.5 * (1 - t) - 0.5 * x * (1 - t**2) * du)


class GELUBackwardBug(GELU):
    """Correct forward, sign bug in the second term of backward."""

    @staticmethod
    def backward(ctx, dout):
        (x,) = ctx.saved_tensors
        t, du = _gelu_parts(x)
        return dout * (0.5 * (1 + t) - 0.5 * x * (1 - t**2) * du)


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


class LogSoftmax(Function):
    """log softmax along `axis`: x (..., K) -> same shape."""

    @staticmethod
    def forward(ctx, x, axis=-1):
        m = x.max(axis=axis, keepdims=True)
        out = x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, dout):
        (out,) = ctx.saved_tensors
        return dout - np.exp(out) * dout.sum(axis=ctx.axis, keepdims=True)


class LogSoftmaxAxisBug(LogSoftmax):
    """Planted wrong-axis reduction: backward sums dout over axis 0 instead of `axis`."""

    @staticmethod
    def backward(ctx, dout):
        (out,) = ctx.saved_tensors
        return dout - np.exp(out) * dout.sum(axis=0, keepdims=True)


def gelu_ref(x):
    return TF.gelu(x, approximate="tanh")


def log_softmax_ref(x, axis=-1):
    return torch.log_softmax(x, dim=axis)


@st.composite
def matrices_and_axis(draw) -> tuple:
    """((x (R, K),), {"axis": -1})."""
    return (draw(float_arrays(shapes(min_dims=2, max_dims=2))),), {"axis": -1}


# ----- the pytest form ---------------------------------------------------------------------------
test_gelu_parity = check_parity(GELU, gelu_ref, float_arrays(shapes()))  # collected by pytest
test_log_softmax_parity = check_parity(LogSoftmax, log_softmax_ref, matrices_and_axis())


def test_check_parity_is_a_named_test_that_keeps_the_worst_errors() -> None:
    test = check_parity(GELU, gelu_ref, float_arrays(shapes()), max_examples=5)
    assert test.__name__ == "test_parity_GELU"
    test()
    assert set(test.worst) == {"output 0", "grad x"}
    assert 0 <= max(test.worst.values()) < 1e-12


def _raised(test) -> ParityError:
    with pytest.raises(ParityError) as info:
        test()
    assert isinstance(info.value, AssertionError)
    return info.value


def test_check_parity_names_a_forward_sign_bug_and_the_shrunk_example() -> None:
    # gradcheck is blind to it: forward and backward agree with each other
    check_function(GELUSignBug, float_arrays(shapes()), max_examples=3)()
    err = _raised(check_parity(GELUSignBug, gelu_ref, float_arrays(shapes())))
    msg = str(err)
    assert msg.startswith("parity: GELUSignBug vs torch: output 0: worst element (")
    assert "minigrad " in msg and " vs torch " in msg and "> tolerance 1e-10" in msg
    assert "inputs: array(" in msg and "upstream-gradient seed" in msg
    notes = "\n".join(getattr(err, "__notes__", []))
    assert "example=" in notes  # hypothesis's shrunk example


def test_check_parity_names_the_wrong_axis_gradient() -> None:
    msg = str(_raised(check_parity(LogSoftmaxAxisBug, log_softmax_ref, matrices_and_axis())))
    assert "grad of input 'x': worst element (" in msg and "> tolerance 1e-10" in msg
    assert "output 0" not in msg  # the forward is right
    assert "axis=-1" in msg  # the keyword constant is shown with the inputs


def test_check_parity_follows_the_loaded_profile() -> None:
    seen: list[list] = [[], []]
    for run in seen:
        def ref(x, run=run):
            run.append(x.detach().numpy().copy())
            return gelu_ref(x)
        check_parity(GELU, ref, float_arrays(shapes()))()
    profile = settings.default  # tests/conftest.py loads "ci": 15 examples, derandomized
    assert 0 < len(seen[0]) <= profile.max_examples
    if profile.derandomize:  # the same examples twice
        assert len(seen[0]) == len(seen[1])
        assert all(np.array_equal(a, b) for a, b in zip(*seen, strict=True))
    calls: list = []
    check_parity(GELU, lambda x: calls.append(1) or gelu_ref(x), float_arrays(shapes()),
                 max_examples=3)()
    assert len(calls) <= 3


# ----- the one-shot form -------------------------------------------------------------------------
X = np.array([-1.5, -0.5, 0.25, 1.0, 2.0])


def _tanh_u(x: float) -> float:
    return math.tanh(C * (x + 0.044715 * x**3))


def test_compare_passes_gelu_and_prints_a_pass_line() -> None:
    row = compare(GELU, gelu_ref, X)
    assert row.passed and row.reason == "" and row.problems == []
    assert row.output_errors["output 0"] < 1e-15 and row.grad_errors["x"] < 1e-15
    assert str(row).startswith("GELU: output 0 ") and str(row).endswith("; pass")


def test_compare_names_the_sign_bug_with_its_worst_element() -> None:
    row = compare(GELUSignBug, gelu_ref, X)
    assert not row.passed
    # minigrad 0.5 x (1 - t) vs torch 0.5 x (1 + t): |difference| x t is largest at x = 2
    t = _tanh_u(2.0)
    w = row.worst["output 0"]
    assert w.index == (4,)
    assert w.minigrad == pytest.approx(1 - t, abs=1e-14)
    assert w.torch == pytest.approx(1 + t, abs=1e-14)
    assert w.error == pytest.approx(2 * t, abs=1e-14)
    assert row.reason.startswith(f"output 0: worst element (4,): minigrad {1 - t:.10g} vs "
                                 f"torch {1 + t:.10g}, error {2 * t:.3g} > tolerance 1e-10")
    assert "FAIL: output 0: worst element (4,)" in str(row)


def test_compare_names_the_wrong_axis_gradient_with_its_worst_element() -> None:
    x = np.array([[0.1, 0.9, -0.3], [1.2, -0.7, 0.4]])
    row = compare(LogSoftmaxAxisBug, log_softmax_ref, x, axis=-1, seed=3)
    assert not row.passed and row.output_errors["output 0"] < 1e-15
    g = np.random.default_rng(3).standard_normal(x.shape)  # compare's upstream gradient
    s = _softmax(x, -1)
    right = g - s * g.sum(axis=-1, keepdims=True)
    wrong = g - s * g.sum(axis=0, keepdims=True)
    j = np.unravel_index(np.argmax(np.abs(wrong - right)), x.shape)
    w = row.worst["grad of input 'x'"]
    assert w.index == tuple(int(i) for i in j)
    assert w.minigrad == pytest.approx(wrong[j], abs=1e-13)
    assert w.torch == pytest.approx(right[j], abs=1e-13)
    assert row.reason.startswith(f"grad of input 'x': worst element {w.index}: minigrad ")
    assert compare(LogSoftmax, log_softmax_ref, x, axis=-1, seed=3).passed


class MaskedScale(Function):
    """x * scale where mask, taken at int rows idx: x (N, D), mask (N, D) bool, idx (K,) ->
    (K, D) and the row sums (K,); two outputs."""

    @staticmethod
    def forward(ctx, x, mask, idx, scale=1.0):
        ctx.save_for_backward(mask, idx)
        ctx.scale, ctx.shape = scale, x.shape
        y = np.where(mask, x * scale, x)[idx]
        return y, y.sum(axis=1)

    @staticmethod
    def backward(ctx, dy, dsum):
        mask, idx = ctx.saved_tensors
        g = np.zeros(ctx.shape)
        np.add.at(g, idx, dy + dsum[:, None])
        return np.where(mask, g * ctx.scale, g), None, None


def _masked_scale_ref(x, mask, idx, scale=1.0):
    y = torch.where(mask, x * scale, x)[idx]
    return y, y.sum(dim=1)


def test_compare_passes_int_and_bool_inputs_constants_and_two_outputs() -> None:
    rng = np.random.default_rng(0)
    x, mask = rng.standard_normal((4, 3)), rng.random((4, 3)) < 0.5
    idx = np.array([0, 2, 2, 3])
    row = compare(MaskedScale, _masked_scale_ref, x, mask, idx, scale=-2.5)
    assert row.passed, row
    assert list(row.output_errors) == ["output 0", "output 1"]
    assert list(row.grad_errors) == ["x"]  # int / bool inputs have no gradient
    test = check_parity(MaskedScale, _masked_scale_ref, _masked_scale_inputs(), max_examples=5)
    test()
    assert set(test.worst) == {"output 0", "output 1", "grad x"}


@st.composite
def _masked_scale_inputs(draw) -> tuple:
    x = draw(float_arrays(shapes(2, 2)))
    mask = draw(st.lists(st.booleans(), min_size=x.size, max_size=x.size))
    idx = draw(token_ids((3,), x.shape[0]))
    return (x, np.array(mask).reshape(x.shape), idx), {"scale": draw(st.floats(-2, 2))}


def test_compare_casts_float32_to_float64_and_reports_exceptions() -> None:
    row = compare(GELU, gelu_ref, X.astype(np.float32))
    assert row.passed and row.grad_errors["x"] < 1e-15  # compared in float64
    row = compare(GELU, gelu_ref, X, approximate="tanh")  # forward takes no such constant
    assert not row.passed and row.reason.startswith("TypeError: ")
    assert "approximate" in row.reason and "FAIL: TypeError" in str(row)


def test_compare_accepts_a_plain_callable_and_shape_problems_are_named() -> None:
    assert compare(F.gelu, lambda x: TF.gelu(x), X).passed  # minigrad's exact GELU
    row = compare(GELU, lambda x: gelu_ref(x)[None], X)
    assert not row.passed and row.reason == "output 0: shape (5,) vs torch (1, 5)"


def test_registry_runner_and_compare_share_one_comparison(monkeypatch) -> None:
    """The registry runner and the user forms all judge through core.compare_call."""
    import vis.parity.check as check
    import vis.parity.core as core
    import vis.parity.runner as runner

    assert runner.compare_call is core.compare_call is check.compare_call
    calls: list[str] = []

    def spy(fn, *args, **kwargs):
        calls.append(fn.__name__)
        return core.compare_call(fn, *args, **kwargs)

    monkeypatch.setattr(runner, "compare_call", spy)
    monkeypatch.setattr(check, "compare_call", spy)
    case = ParityCase("GELU[user]", GELUSignBug, lambda r: Inputs({"x": r.standard_normal(6)}),
                      gelu_ref)
    row = run_case(case, seed=1)
    assert not row.passed and row.reason.startswith("output 0: worst element")
    assert not compare(GELUSignBug, gelu_ref, X).passed
    with pytest.raises(ParityError):
        check_parity(GELUSignBug, gelu_ref, float_arrays(shapes()), max_examples=2)()
    assert calls[:2] == ["GELUSignBug", "GELUSignBug"] and len(calls) >= 3


# ----- models ------------------------------------------------------------------------------------
class MLP(nn.Module):
    """x (N, 4) -> Linear(4, 5) -> activation -> Linear(5, 3)."""

    def __init__(self, act: type = GELU) -> None:
        super().__init__()
        self.act = act
        self.fc1 = nn.Linear(4, 5, rng=np.random.default_rng(0))
        self.fc2 = nn.Linear(5, 3, rng=np.random.default_rng(1))

    def forward(self, x):
        return self.fc2(self.act.apply(self.fc1(x)))


class TorchMLP(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2 = torch.nn.Linear(4, 5), torch.nn.Linear(5, 3)

    def forward(self, x):
        return self.fc2(TF.gelu(self.fc1(x), approximate="tanh"))


def _transpose_weights(name: str, a: np.ndarray) -> tuple[str, np.ndarray]:
    return name, a.T if name.endswith("weight") else a


XB = np.random.default_rng(5).standard_normal((6, 4))
YB = np.array([0, 2, 1, 1, 0, 2])
LOSS = (lambda out: F.cross_entropy(out, YB), lambda out: TF.cross_entropy(out, torch.tensor(YB)))


def test_compare_modules_mlp_with_transposed_linear_weights() -> None:
    row = compare_modules(MLP().double(), TorchMLP(), XB, loss=LOSS, param_map=_transpose_weights)
    assert row.passed, row
    assert list(row.output_errors) == ["output 0", "loss"]
    assert list(row.grad_errors) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert max(row.grad_errors.values()) < 1e-14 and row.forward_error < 1e-14
    # the dict form and random upstream gradients (no loss) give the same verdict
    as_dict = {"fc1.weight": ("fc1.weight", np.transpose),
               "fc2.weight": ("fc2.weight", np.transpose)}
    assert compare_modules(MLP().double(), TorchMLP(), XB, param_map=as_dict).passed


def test_compare_modules_names_the_parameters_a_planted_bug_breaks() -> None:
    row = compare_modules(MLP(GELUBackwardBug).double(), TorchMLP(), XB, loss=LOSS,
                          param_map=_transpose_weights)
    assert not row.passed and row.forward_error < 1e-14  # loss and outputs agree
    assert row.grad_errors["fc1.weight"] > 1e-4 and row.grad_errors["fc1.bias"] > 1e-4
    assert row.grad_errors["fc2.weight"] < 1e-14 and row.grad_errors["fc2.bias"] < 1e-14
    assert "grad of parameter 'fc1.weight': worst element (" in row.reason
    assert "grad of parameter 'fc1.bias': worst element (" in row.reason
    assert "fc2" not in row.reason
    row = compare_modules(MLP(GELUSignBug).double(), TorchMLP(), XB, loss=LOSS,
                          param_map=_transpose_weights)
    assert row.reason.startswith("output 0: worst element (") and "loss: worst element ()" \
        in row.reason


def test_compare_modules_names_a_mapping_mistake() -> None:
    with pytest.raises(ValueError, match=r"'fc1.weight' in torch layout has shape \(4, 5\), "
                                         r"torch 'fc1.weight' has \(5, 4\)"):
        compare_modules(MLP().double(), TorchMLP(), XB)
    with pytest.raises(KeyError, match="maps to torch name 'lin.weight'"):
        compare_modules(MLP().double(), TorchMLP(), XB,
                        param_map=lambda n, a: (n.replace("fc1", "lin"), a.T if "w" in n else a))
    with pytest.raises(ValueError, match=r"torch parameters \['fc2.bias'\] have no minigrad"):
        mlp = MLP().double()
        mlp.fc2.bias = None
        compare_modules(mlp, TorchMLP(), XB, param_map=_transpose_weights)


# ----- the command line --------------------------------------------------------------------------
CASES_MODULE = textwrap.dedent("""\
    import numpy as np
    from tests.vis.test_parity_user import (GELU, GELUSignBug, LogSoftmax, LogSoftmaxAxisBug,
                                            gelu_ref, log_softmax_ref)
    from vis.parity import Inputs, ParityCase

    def _x(r):
        return Inputs({"x": r.standard_normal((3, 4))})

    def _rows(r):
        return Inputs({"x": r.standard_normal((3, 4))}, {"axis": -1})

    CASES = [ParityCase("GELU[mine]", GELU, _x, gelu_ref),
             ParityCase("GELU[sign bug]", GELUSignBug, _x, gelu_ref),
             ParityCase("LogSoftmax[mine]", LogSoftmax, _rows, log_softmax_ref),
             ParityCase("LogSoftmax[axis bug]", LogSoftmaxAxisBug, _rows, log_softmax_ref)]
""")


@pytest.fixture
def user_cases(tmp_path, monkeypatch) -> str:
    """A module `my_parity_cases` (on sys.path) whose CASES hold two good and two bad cases."""
    (tmp_path / "my_parity_cases.py").write_text(CASES_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "my_parity_cases"
    sys.modules.pop("my_parity_cases", None)


def _fail_reasons(text: str) -> dict[str, str]:
    return {ln.split()[0]: ln.split("FAIL: ", 1)[1] for ln in text.splitlines() if "FAIL" in ln}


def test_cli_runs_user_cases_and_every_fail_row_says_why(user_cases, capsys) -> None:
    assert main(["--cases", user_cases, "--no-builtin"]) == 1
    out = capsys.readouterr().out
    assert "2/4 cases pass" in out
    reasons = _fail_reasons(out)
    assert set(reasons) == {"GELU[sign", "LogSoftmax[axis"}
    assert reasons["GELU[sign"].startswith("output 0: worst element (")
    assert "grad of input 'x'" in reasons["GELU[sign"]  # its gradient is wrong too
    assert reasons["LogSoftmax[axis"].startswith("grad of input 'x': worst element (")
    for reason in reasons.values():
        assert "minigrad " in reason and " vs torch " in reason and "> tolerance 1e-10" in reason


def test_cli_only_accepts_user_labels_next_to_the_builtin_ones(user_cases, capsys) -> None:
    assert main(["--cases", user_cases, "--only", "GELU[mine]", "Add", "LogSoftmax[mine]"]) == 0
    out = capsys.readouterr().out
    assert "3/3 cases pass" in out and "GELU[mine]" in out and "Add " in out
    assert main(["--cases", user_cases, "--no-builtin", "--list"]) == 0
    assert capsys.readouterr().out.split("\n")[0] == "GELU[mine]  (GELU)"
    with pytest.raises(SystemExit):
        main(["--cases", user_cases, "--no-builtin", "--only", "Add"])
    assert "unknown case label(s) ['Add']" in capsys.readouterr().err


def test_cli_names_a_bad_cases_module(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "no_cases_here.py").write_text("X = 1\n")
    (tmp_path / "clashing_cases.py").write_text(
        "from vis.parity import by_label, CASES as B\nCASES = [by_label(B)['Add']]\n")
    for argv, words in [(["--cases", "not_a_module_xyz"], "cannot import it"),
                        (["--cases", "no_cases_here"], "has no CASES list"),
                        (["--cases", "clashing_cases"], "duplicate case label 'Add'"),
                        (["--no-builtin"], "no cases to run")]:
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        assert words in capsys.readouterr().err
    for name in ("no_cases_here", "clashing_cases"):
        sys.modules.pop(name, None)


def test_cli_subprocess_with_pythonpath(tmp_path) -> None:
    (tmp_path / "my_parity_cases.py").write_text(CASES_MODULE)
    out = tmp_path / "rows.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)]),
           "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "vis", "parity", "--cases", "my_parity_cases",
                           "--no-builtin", "--json", str(out)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert "2/4 cases pass" in proc.stdout
    rows = {r["label"]: r for r in json.loads(out.read_text())["rows"]}
    assert rows["GELU[mine]"]["passed"] and rows["GELU[mine]"]["problems"] == []
    bad = rows["LogSoftmax[axis bug]"]
    assert not bad["passed"] and bad["problems"][0].startswith("grad of input 'x': worst")
    assert set(bad["worst"]) == {"output 0", "grad of input 'x'"}
    assert bad["worst"]["grad of input 'x'"]["error"] > 1e-3


def test_compare_works_without_hypothesis() -> None:
    """hypothesis is a test extra: `import vis.parity` and `compare` do not need it."""
    code = textwrap.dedent("""\
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "hypothesis":
                    raise ImportError("no hypothesis here")
        sys.meta_path.insert(0, Block())
        import numpy as np
        import vis.parity as vp
        print(vp.compare(lambda x: x * 2, lambda x: x * 2, np.ones(3)).passed)
        try:
            vp.check_parity(None, None, None)
        except ImportError as e:
            print(e)
    """)
    env = {**os.environ, "PYTHONPATH": str(REPO), "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "True", "vis.parity.check_parity needs hypothesis (pip install hypothesis); "
                "vis.parity.compare does not"]
