"""Optimizers with torch's update formulas: SGD (momentum, dampening, Nesterov, weight decay),
RMSProp (momentum, centered), Adam (amsgrad), AdamW (decoupled weight decay); `maximize` on all.

Each takes torch-style parameter groups (see minigrad.optim.optimizer), keeps per-parameter
state in the parameter's dtype, writes a flat npz-savable `state_dict()`, and takes
`nonfinite='warn'|'skip'|'raise'|'ignore'` for NaN/inf gradients (see Optimizer).
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from minigrad.errors import RangeError, StateDictKeyError
from minigrad.optim.optimizer import Optimizer


def _check(name: str, group: dict[str, Any], **rules: str) -> None:
    """Normalise group[key] to float and check it against rule '>=0', '[0,1)' or '[0,1]'."""
    for key, rule in rules.items():
        v = group[key]
        if isinstance(v, bool) or not isinstance(v, (int, float, np.number)):
            raise RangeError(f"{name}: {key} must be a number, got {v!r}")
        v = float(v)
        ok = {">=0": v >= 0, "[0,1)": 0 <= v < 1, "[0,1]": 0 <= v <= 1}[rule]
        if not ok or not math.isfinite(v):
            raise RangeError(f"{name}: {key} must be in {rule.replace('>=0', '[0, inf)')}, "
                             f"got {v}")
        group[key] = v


def _flags(group: dict[str, Any], *keys: str) -> None:
    for key in keys:
        group[key] = bool(group[key])


class SGD(Optimizer):
    """torch.optim.SGD: g += wd·w; buf = μ·buf + (1-dampening)·g (buf = g at first);
    w -= lr·(g + μ·buf if nesterov else buf), or w -= lr·g without momentum."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False,
                 maximize: bool = False, nonfinite: str = "warn") -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize), nonfinite)

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        _check("SGD", group, momentum=">=0", dampening=">=0", weight_decay=">=0")
        _flags(group, "nesterov", "maximize")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise RangeError(f"SGD: nesterov needs momentum > 0 and dampening 0, got momentum "
                             f"{group['momentum']} and dampening {group['dampening']}")

    def _state_names(self, group: dict[str, Any]) -> tuple[str, ...]:
        return ("momentum_buffer",) if group["momentum"] else ()

    def _update(self, group: dict[str, Any], state: dict[str, np.ndarray], w: np.ndarray,
                g: np.ndarray) -> None:
        wd, mom = group["weight_decay"], group["momentum"]
        if wd:
            g = g + wd * w
        if mom:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.astype(w.dtype, copy=True)
            else:
                buf *= mom
                buf += (1 - group["dampening"]) * g if group["dampening"] else g
            g = g + mom * buf if group["nesterov"] else buf
        w -= group["lr"] * g


class RMSProp(Optimizer):
    """torch.optim.RMSprop / CS231n: cache = α·cache + (1-α)·g²; w -= lr·g / (sqrt(cache) + eps);
    `centered` subtracts the squared running mean of g, `momentum` keeps a buffer of the steps."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False, maximize: bool = False, nonfinite: str = "warn") -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize),
                         nonfinite)

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        _check("RMSProp", group, alpha="[0,1)", eps=">=0", weight_decay=">=0", momentum=">=0")
        _flags(group, "centered", "maximize")

    def _state_names(self, group: dict[str, Any]) -> tuple[str, ...]:
        return ("cache",) + (("momentum_buffer",) if group["momentum"] else ()) + \
            (("grad_avg",) if group["centered"] else ())

    def _update(self, group: dict[str, Any], state: dict[str, np.ndarray], w: np.ndarray,
                g: np.ndarray) -> None:
        alpha, lr = group["alpha"], group["lr"]
        for name in self._state_names(group):
            if name not in state:
                state[name] = np.zeros_like(w)
        if group["weight_decay"]:
            g = g + group["weight_decay"] * w
        cache = state["cache"]
        cache *= alpha
        cache += (1 - alpha) * (g * g)
        if group["centered"]:
            avg_g = state["grad_avg"]
            avg_g += (1 - alpha) * (g - avg_g)
            avg = np.sqrt(cache - avg_g * avg_g) + group["eps"]
        else:
            avg = np.sqrt(cache) + group["eps"]
        if group["momentum"]:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += g / avg
            w -= lr * buf
        else:
            w -= lr * g / avg


class Adam(Optimizer):
    """torch.optim.Adam / CS231n, bias-corrected: w -= lr·m̂ / (sqrt(v̂) + eps); weight_decay
    adds wd·w to g; amsgrad uses the running max of v."""

    counters = ("t",)
    decoupled = False  # AdamW: w *= 1 - lr·wd instead of adding wd·w to g

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False,
                 maximize: bool = False, nonfinite: str = "warn") -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize), nonfinite)

    def _check_group(self, group: dict[str, Any]) -> None:
        name = type(self).__name__
        super()._check_group(group)
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise RangeError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        pair = {"beta1": betas[0], "beta2": betas[1]}
        _check(name, pair, beta1="[0,1)", beta2="[0,1)")
        group["betas"] = (pair["beta1"], pair["beta2"])
        _check(name, group, eps=">=0", weight_decay=">=0")
        _flags(group, "amsgrad", "maximize")

    def _state_names(self, group: dict[str, Any]) -> tuple[str, ...]:
        return ("m", "v", "t") + (("max_v",) if group["amsgrad"] else ())

    def _update(self, group: dict[str, Any], state: dict[str, np.ndarray], w: np.ndarray,
                g: np.ndarray) -> None:
        (b1, b2), lr, wd = group["betas"], group["lr"], group["weight_decay"]
        if not state:
            state.update({name: np.zeros_like(w) for name in self._state_names(group)
                          if name != "t"}, t=np.zeros((), np.int64))
        if wd and self.decoupled:
            w *= 1 - lr * wd
        elif wd:
            g = g + wd * w
        m, v, t = state["m"], state["v"], state["t"]
        t += 1
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * (g * g)
        if group["amsgrad"]:
            np.maximum(state["max_v"], v, out=state["max_v"])
            v = state["max_v"]
        step_size = lr / (1 - b1 ** int(t))
        denom = np.sqrt(v) / math.sqrt(1 - b2 ** int(t)) + group["eps"]
        w -= step_size * (m / denom)


class AdamW(Adam):
    """torch.optim.AdamW: Adam with decoupled weight decay, w *= 1 - lr·wd before the step."""

    decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False,
                 maximize: bool = False, nonfinite: str = "warn") -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize, nonfinite=nonfinite)


_CS231N_RULES = {
    # rule: (class, {optim_config key: (constructor argument, CS231n default)})
    "sgd": (SGD, {"learning_rate": ("lr", 1e-2)}),
    "sgd_momentum": (SGD, {"learning_rate": ("lr", 1e-2), "momentum": ("momentum", 0.9)}),
    "rmsprop": (RMSProp, {"learning_rate": ("lr", 1e-2), "decay_rate": ("alpha", 0.99),
                          "epsilon": ("eps", 1e-8)}),
    "adam": (Adam, {"learning_rate": ("lr", 1e-3), "beta1": ("beta1", 0.9),
                    "beta2": ("beta2", 0.999), "epsilon": ("eps", 1e-8)}),
}


def make_optimizer(update_rule: str, params: Iterable[Any],
                   optim_config: dict[str, Any] | None = None) -> Optimizer:
    """The optimizer for a CS231n `update_rule` name and `optim_config` dict, CS231n defaults.

    'sgd_momentum' uses torch's form (buf = μ·buf + g; w -= lr·buf), which equals CS231n's
    (v = μ·v - lr·g; w += v) while the learning rate is constant.
    """
    if update_rule not in _CS231N_RULES:
        raise ValueError(f"make_optimizer: update_rule must be one of {sorted(_CS231N_RULES)}, "
                         f"got {update_rule!r}")
    cls, keys = _CS231N_RULES[update_rule]
    config = dict(optim_config or {})
    unknown = sorted(set(config) - set(keys))
    if unknown:
        raise StateDictKeyError(f"make_optimizer: optim_config keys {unknown} are not used by "
                       f"{update_rule!r}; it takes {sorted(keys)}")
    kwargs = {arg: config.get(key, default) for key, (arg, default) in keys.items()}
    if cls is Adam:
        kwargs["betas"] = (kwargs.pop("beta1"), kwargs.pop("beta2"))
    return cls(params, **kwargs)
