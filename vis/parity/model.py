"""`compare_modules`: a minigrad Module against a torch module, parameters matched by name.

The torch module runs with minigrad's parameter values (through `torch.func.functional_call`,
so the torch module itself is not modified); outputs, the loss and every parameter gradient
are compared with the same `Tally` as the Function checks. `param_map` gives each minigrad
parameter its torch name and torch layout:

    compare_modules(mlp, torch_mlp, x, loss=(mg_loss, torch_loss),
                    param_map=lambda name, a: (name, a.T if name.endswith("weight") else a))

A layout map must only move elements (transpose, permute, reshape): it is applied to the
values and to the gradients alike.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from minigrad import Tensor
from vis.parity.core import ParityRow, Tally, as_tuple, failed_row

__all__ = ["compare_modules"]

ParamMap = Callable[[str, np.ndarray], tuple[str, np.ndarray]]


def _mapper(param_map: Any) -> ParamMap:
    """A `(minigrad name, array) -> (torch name, torch-layout array)` function.

    `param_map` is None (same names and layouts), such a function, or a dict from minigrad
    names to a torch name or a `(torch name, array -> array)` pair (names not in it map to
    themselves).
    """
    if param_map is None:
        return lambda name, a: (name, a)
    if callable(param_map):
        return param_map
    if not isinstance(param_map, dict):
        raise TypeError(f"compare_modules: param_map must be None, a callable or a dict, got "
                        f"{type(param_map).__name__}")

    def mapped(name: str, a: np.ndarray) -> tuple[str, np.ndarray]:
        target = param_map.get(name, name)
        if isinstance(target, str):
            return target, a
        tname, fn = target
        return tname, fn(a)
    return mapped


def _torch_params(mg: dict[str, Any], t_named: dict[str, torch.Tensor],
                  to_torch: ParamMap) -> dict[str, tuple[str, torch.Tensor]]:
    """{minigrad name: (torch name, leaf with minigrad's value in torch layout)}; named errors
    for a parameter mapped to no / the same / a differently shaped torch parameter."""
    out: dict[str, tuple[str, torch.Tensor]] = {}
    seen: dict[str, str] = {}
    for name, p in mg.items():
        tname, value = to_torch(name, p.data)
        value = np.ascontiguousarray(value)
        if tname not in t_named:
            raise KeyError(f"compare_modules: minigrad parameter {name!r} maps to torch name "
                           f"{tname!r}, which the torch module lacks; torch has "
                           f"{sorted(t_named)} (pass param_map)")
        if tname in seen:
            raise ValueError(f"compare_modules: minigrad parameters {seen[tname]!r} and "
                             f"{name!r} both map to torch {tname!r}")
        if tuple(value.shape) != tuple(t_named[tname].shape):
            raise ValueError(f"compare_modules: minigrad parameter {name!r} in torch layout has "
                             f"shape {tuple(value.shape)}, torch {tname!r} has "
                             f"{tuple(t_named[tname].shape)} (a layout map such as a "
                             "transpose goes in param_map)")
        seen[tname] = name
        out[name] = tname, torch.tensor(value, requires_grad=True)
    unmatched = sorted(set(t_named) - set(seen))
    if unmatched:
        raise ValueError(f"compare_modules: torch parameters {unmatched} have no minigrad "
                         "counterpart (pass param_map)")
    return out


def _to_minigrad(a: Any) -> Any:
    return Tensor(a.copy()) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a


def _as_torch(a: Any) -> Any:
    return torch.from_numpy(np.array(a)) if isinstance(a, np.ndarray) else a


def compare_modules(mg_module: Any, torch_module: torch.nn.Module, *inputs: Any,
                    loss: tuple[Callable, Callable] | None = None, param_map: Any = None,
                    atol: float = 1e-10, rtol: float = 0.0, seed: int = 0,
                    label: str | None = None) -> ParityRow:
    """Compare outputs, the loss and every parameter gradient of two modules on `inputs`.

    `inputs` are numpy arrays (float ones in the precision to compare, usually float64 with
    `mg_module.double()`). `loss` is a pair `(minigrad fn, torch fn)`, each taking the
    module's output and returning a scalar; without it, random upstream gradients (`seed`)
    are backpropagated. The minigrad module's grads are reset first. `grad_errors` is keyed by
    minigrad parameter name; a gradient's worst element is indexed in torch's layout. A
    mismatched mapping raises (KeyError / ValueError); an exception while running becomes a
    failing row that names it.
    """
    name = type(mg_module).__name__
    label = name if label is None else label
    mg = dict(mg_module.named_parameters())
    params = _torch_params(mg, dict(torch_module.named_parameters()), _mapper(param_map))
    try:
        return _compare(mg_module, torch_module, inputs, loss, params, _mapper(param_map),
                        np.random.default_rng(seed), atol, rtol, label)
    except Exception as e:  # noqa: BLE001  (reported as a failing row)
        return failed_row(label, name, atol, "", e)


def _compare(mg_module: Any, torch_module: torch.nn.Module, inputs: tuple, loss: Any,
             params: dict[str, tuple[str, torch.Tensor]], to_torch: ParamMap,
             rng: np.random.Generator, atol: float, rtol: float, label: str) -> ParityRow:
    mg = dict(mg_module.named_parameters())
    for p in mg.values():
        p.grad = None
    mg_out = as_tuple(mg_module(*[_to_minigrad(a) for a in inputs]))
    t_out = as_tuple(torch.func.functional_call(
        torch_module, {tn: t for tn, t in params.values()}, tuple(_as_torch(a) for a in inputs)))
    tally = Tally()
    outputs = [f"output {k}" for k in range(len(mg_out))]
    if len(mg_out) != len(t_out):
        tally.problems.append(f"{len(mg_out)} outputs vs torch {len(t_out)}")
    for what, m, t in zip(outputs, mg_out, t_out, strict=False):
        tally.add(what, m.data, t.detach().numpy())
    if loss is not None and not tally.problems:
        mg_loss, t_loss = loss[0](*mg_out), loss[1](*t_out)
        outputs.append("loss")
        tally.add("loss", mg_loss.data, t_loss.detach().numpy())
        mg_loss.backward()
        t_loss.backward()
    elif not tally.problems:
        upstream = [rng.standard_normal(m.data.shape).astype(m.data.dtype) for m in mg_out]
        for j, (m, g) in enumerate(zip(mg_out, upstream, strict=True)):
            m.backward(g, retain_graph=j < len(mg_out) - 1)
        torch.autograd.backward(list(t_out), [torch.from_numpy(g) for g in upstream])
    grads: dict[str, str] = {}
    if not tally.problems:
        for n, p in mg.items():
            tname, leaf = params[n]
            what = grads[n] = f"grad of parameter '{n}'"
            ref = np.zeros(leaf.shape, leaf.detach().numpy().dtype) if leaf.grad is None \
                else leaf.grad.numpy()
            if p.grad is None:
                tally.missing(what, "minigrad gave no gradient")
            else:
                tally.add(what, np.ascontiguousarray(to_torch(n, p.grad)[1]), ref)
    return tally.row(label, type(mg_module).__name__, outputs, grads, atol=atol, rtol=rtol)
