"""The README's minigrad example runs as written and does what its comments say."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_one_screen_example_runs_and_keeps_float32():
    block = re.search(r"```python\n(import numpy as np\nfrom minigrad import Tensor, no_grad"
                      r".*?)```", README, re.S).group(1)
    ns: dict = {}
    exec(block, ns)
    assert ns["h"].shape == (2, 5, 16)
    for name in ("Wx", "Wh", "b"):
        p = ns[name]
        assert p.grad is not None and p.grad.shape == p.shape and p.grad.dtype == np.float32
        assert np.abs(p.grad).sum() > 0


def test_readme_has_exactly_the_two_setup_commands():
    first_block = re.search(r"```bash\n(.*?)```", README, re.S).group(1)
    commands = [ln.split("#")[0].strip() for ln in first_block.splitlines() if ln.strip()]
    assert commands == ["make demo", "make test"]


def test_nn_model_example_trains_as_the_readme_says():
    block = re.search(r"```python\n(import numpy as np\nimport minigrad\.functional as F\n"
                      r"from minigrad import nn, optim\n.*?)```", README, re.S).group(1)
    ns: dict = {"print": lambda *a, **k: None}
    exec(block, ns)
    F, model, ids = ns["F"], ns["model"], ns["ids"]
    assert not model.training and not model.drop.training
    final = F.cross_entropy(model(ids[:, :-1]), ids[:, 1:], axis=-1).item()
    assert final < 0.1, final  # measured 0.02 (from ln 6 = 1.79 at the start)
    assert ns["opt"].param_groups[0]["lr"] < 1e-3  # the cosine schedule ran to its end
    assert all(p.grad is not None for p in model.parameters())


def _parity_block() -> str:
    return re.search(r"```python\n(import numpy as np\nimport torch\.nn\.functional as TF\n"
                     r".*?)```", README, re.S).group(1)


def test_parity_example_runs_and_prints_its_pass_line():
    printed: list[str] = []
    ns: dict = {"print": lambda *a: printed.append(" ".join(map(str, a)))}
    exec(_parity_block(), ns)
    ns["test_gelu_matches_torch"]()  # the property test, as pytest would run it
    (line,) = printed
    assert re.fullmatch(r"GELU: output 0 \S+, grad x \S+; tolerance 1\.0e-10; pass", line), line
    row = ns["compare"](ns["GELU"], ns["gelu_reference"], np.linspace(-3, 3, 7))
    assert row.output_errors["output 0"] < 1e-15 and row.grad_errors["x"] < 1e-15
    assert "# GELU: output 0 " in _parity_block()  # the comment shows the same kind of line


def test_parity_example_catches_the_sign_bug_the_readme_describes():
    import math

    from vis.parity import ParityError

    bad = _parity_block().replace("(1 + np.tanh", "(1 - np.tanh")
    assert bad.count("(1 - np.tanh") == 1
    ns: dict = {"print": lambda *a: None}
    exec(bad, ns)
    try:
        ns["test_gelu_matches_torch"]()
    except ParityError as e:
        message = str(e)
        notes = "\n".join(getattr(e, "__notes__", []))
    else:
        raise AssertionError("check_parity passed a GELU with a sign bug")
    quoted = re.search(r"```text\n(parity: GELU vs torch: .*?)```", README, re.S).group(1)
    assert message == quoted.rstrip("\n")  # the README quotes the real message
    assert "example=array([0.1])" in notes  # hypothesis's shrunk example
    t = math.tanh(math.sqrt(2 / math.pi) * (0.1 + 0.044715 * 0.1**3))
    assert f"minigrad {0.05 * (1 - t):.10g} vs torch {0.05 * (1 + t):.10g}" in message


def test_module_parity_example_prints_what_its_comment_says():
    block = re.search(r"```python\n(import numpy as np\nimport torch\nfrom minigrad import nn\n"
                      r".*?)```", README, re.S).group(1)
    printed: list[str] = []
    exec(block, {"print": lambda *a: printed.append(" ".join(map(str, a)))})
    comment = block.rstrip().splitlines()[-1].split("# ", 1)[1]
    assert printed == [comment]
