"""In-place arithmetic on non-leaf scalars (micrograd's test_more_ops chain written with +=)
gives torch's values and gradients: ops that do not need an operand do not save it, so
`d += d * 2` does not invalidate the graph (torch behaves the same)."""
from __future__ import annotations

import torch

from minigrad import Tensor


def _chain(a, b, inplace: bool):
    c = a + b
    d = a * b + b ** 3
    if inplace:
        c += c + 1
        c += 1 + c + (-a)
        d += d * 2 + (b + a).relu()
        d += 3 * d + (b - a).relu()
    else:
        c = c + c + 1
        c = c + 1 + c + (-a)
        d = d + d * 2 + (b + a).relu()
        d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    return g + 10.0 / f


def test_inplace_chain_equals_torch():
    a, b = Tensor(-4.0, requires_grad=True), Tensor(2.0, requires_grad=True)
    g = _chain(a, b, inplace=True)
    g.backward()
    ta = torch.tensor(-4.0, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    tg = _chain(ta, tb, inplace=False)
    tg.backward()
    assert abs(g.item() - tg.item()) < 1e-12 * abs(tg.item())
    assert abs(float(a.grad) - ta.grad.item()) < 1e-10
    assert abs(float(b.grad) - tb.grad.item()) < 1e-10
