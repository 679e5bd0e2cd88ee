"""Every family's F32_CASES and ERROR_CASES (see common.py), run by one pair of runners.

Test ids name the family first, e.g. `test_float32_in_float32_out[conv_pool-Conv2d]` and
`test_named_error[shape-Expand-size]`.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from tests.minigrad.ops.common import (
    check_named_error,
    family_error_cases,
    family_f32_cases,
    run_f32_case,
)

F32 = family_f32_cases()
ERRORS = family_error_cases()


def test_each_function_has_its_float32_case_in_one_family() -> None:
    families = defaultdict(list)
    for fam, name, _ in F32:
        families[name].append(fam)
    shadowed = {name: fams for name, fams in families.items() if len(fams) > 1}
    assert not shadowed, f"F32 cases registered by more than one family: {shadowed}"


@pytest.mark.parametrize("thunk", [pytest.param(t, id=f"{fam}-{name}") for fam, name, t in F32])
def test_float32_in_float32_out(thunk: Any) -> None:
    run_f32_case(thunk)


@pytest.mark.parametrize("fn, case, thunk, error, parts",
                         [pytest.param(*c, id=f"{fam}-{c[0]}-{c[1]}") for fam, c in ERRORS])
def test_named_error(fn: str, case: str, thunk: Any, error: type, parts: list) -> None:
    check_named_error(fn, thunk, error, parts)
