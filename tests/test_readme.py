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
