"""argparse `type` functions shared by the command lines (`python -m zoo.captioning`,
`zoo.encoders`, `vis`, `bench.*`): numbers are checked when the command line is parsed
("argument --n: expected an integer >= 1 and < 65, got 0")."""
from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def int_at_least(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse `type`: the text as an int >= low (and < high), else a parse-time error."""
    want = f"an integer >= {low}" + (f" and < {high}" if high is not None else "")

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {want}, got {text!r}") from None
        if value < low or (high is not None and value >= high):
            raise argparse.ArgumentTypeError(f"expected {want}, got {value}")
        return value

    parse.__name__ = want
    return parse


def float_above(low: float, inclusive: bool = False) -> Callable[[str], float]:
    """An argparse `type`: the text as a finite float > low (>= if inclusive), else an error."""
    want = f"a finite number {'>=' if inclusive else '>'} {low:g}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {want}, got {text!r}") from None
        if not math.isfinite(value) or value < low or (value == low and not inclusive):
            raise argparse.ArgumentTypeError(f"expected {want}, got {text}")
        return value

    parse.__name__ = want
    return parse


SEED = int_at_least(0, 2 ** 32)
