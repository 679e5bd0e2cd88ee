"""Torch parity for your own Functions: `check_parity` (a pytest property test) and `compare`.

    test_gelu = check_parity(GELU, lambda x: F.gelu(x, approximate="tanh"),
                             float_arrays(shapes()))
    print(compare(GELU, lambda x: F.gelu(x, approximate="tanh"), np.linspace(-3, 3, 7)))

Both run `vis.parity.core.compare_call`, the comparison the built-in registry runs: float
inputs in float64 (minigrad Tensors and torch leaves), int/bool inputs and keyword constants
passed through, every output compared, then every input gradient under a random upstream
gradient. A failure names the output or input, its worst element, both values, the error and
the tolerance.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from minigrad import Function, Tensor
from vis.parity.core import ParityRow, compare_call, failed_row, function_name

__all__ = ["ParityError", "check_parity", "compare", "input_names"]


class ParityError(AssertionError):
    """A minigrad Function disagrees with its torch reference (the message says where)."""


def input_names(fn: Any, n: int) -> list[str]:
    """Names for `n` positional inputs from fn's forward signature (x, W, xs[0], ...; else #i)."""
    target, skip = (fn.forward, 1) if isinstance(fn, type) and issubclass(fn, Function) \
        else (fn, 0)
    params: list[str] = []
    try:
        for p in list(inspect.signature(target).parameters.values())[skip:]:
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                params.append(p.name)
            elif p.kind is p.VAR_POSITIONAL:
                params += [f"{p.name}[{j}]" for j in range(n - len(params))]
                break
    except (TypeError, ValueError):
        pass
    names = params[:n] + [f"#{i}" for i in range(len(params), n)]
    return names if len(set(names)) == n else [f"#{i}" for i in range(n)]


def _float64(a: Any) -> Any:
    """Tensors -> their arrays; float arrays (any precision) -> float64; the rest unchanged."""
    a = a.data if isinstance(a, Tensor) else a
    return a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a


def _run(fn: Any, reference: Callable[..., Any], args: tuple, consts: dict, seed: int,
         atol: float, rtol: float, label: str | None) -> ParityRow:
    arrays = [_float64(a) for a in args]
    named = dict(zip(input_names(fn, len(arrays)), arrays, strict=True))
    return compare_call(fn, reference, named, consts, np.random.default_rng(seed),
                        atol=atol, rtol=rtol, label=label)


def compare(fn: Any, reference: Callable[..., Any], *arrays: Any, atol: float = 1e-10,
            rtol: float = 0.0, seed: int = 0, label: str | None = None,
            **consts: Any) -> ParityRow:
    """One comparison of `fn(*arrays, **consts)` with `reference(*tensors, **consts)`.

    `fn` is a Function class or a callable on Tensors; float arrays are compared in float64,
    the upstream gradients are drawn with `seed`. Returns a `ParityRow` (`print` it; fields
    `passed`, `output_errors`, `grad_errors`, `worst`, `reason`); an exception on either side
    becomes a failing row whose reason names it.
    """
    try:
        return _run(fn, reference, arrays, consts, seed, atol, rtol, label)
    except Exception as e:  # noqa: BLE001  (reported as a failing row)
        name = function_name(fn)
        return failed_row(name if label is None else label, name, atol, "", e)


def _split(example: Any) -> tuple[tuple, dict]:
    """(args, kwargs) from an example that is that pair, a bare args tuple, or one array."""
    if (isinstance(example, tuple) and len(example) == 2 and isinstance(example[0], tuple)
            and isinstance(example[1], dict)):
        return example
    return (tuple(example) if isinstance(example, (tuple, list)) else (example,)), {}


def _show(args: tuple, consts: dict) -> str:
    with np.printoptions(precision=17, threshold=200):
        parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in consts.items()]
    return ", ".join(parts)


def check_parity(fn: Any, reference: Callable[..., Any], inputs: Any, *,
                 atol: float = 1e-10, rtol: float = 0.0,
                 max_examples: int | None = None) -> Callable[[], None]:
    """A zero-argument property test: `fn` against `reference` on every example of `inputs`.

    `inputs` draws `((args...), {consts})` pairs (as `minigrad.testing.strategies`), bare args
    tuples or single arrays; the upstream-gradient seed is drawn too. Assign the result to a
    `test_*` name for pytest, or call it. A mismatch raises `ParityError` (an AssertionError)
    naming the output or input, worst element, values, error and tolerance, with the inputs;
    hypothesis adds the shrunk example. `test.worst` keeps the worst error seen per output /
    input gradient. Settings come from the loaded hypothesis profile (`max_examples` overrides).
    Needs hypothesis (a test extra); `compare` does not.
    """
    try:
        from hypothesis import HealthCheck, given, settings
        from hypothesis import strategies as st
    except ImportError as e:
        raise ImportError("vis.parity.check_parity needs hypothesis (pip install hypothesis); "
                          "vis.parity.compare does not") from e
    name = function_name(fn)
    worst: dict[str, float] = {}

    @given(example=inputs, seed=st.integers(0, 2**32 - 1))
    def test(example: Any, seed: int) -> None:
        args, consts = _split(example)
        row = _run(fn, reference, args, consts, seed, atol, rtol, None)
        for key, err in [*row.output_errors.items(),
                         *((f"grad {k}", v) for k, v in row.grad_errors.items())]:
            worst[key] = max(worst.get(key, 0.0), err)
        if not row.passed:
            raise ParityError(f"parity: {name} vs torch: {row.reason}\n"
                              f"  inputs: {_show(args, consts)}; upstream-gradient seed {seed}")

    overrides: dict[str, Any] = {"suppress_health_check": [HealthCheck.too_slow]}
    if max_examples is not None:
        overrides["max_examples"] = max_examples
    test = settings(**overrides)(test)
    test.__name__ = test.__qualname__ = f"test_parity_{name}"
    test.worst = worst
    return test
