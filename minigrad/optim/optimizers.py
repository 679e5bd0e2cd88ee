"""Optimizers with torch's update formulas: SGD (+momentum, weight decay), RMSProp, Adam.

Each keeps its per-parameter state in arrays of the parameter's dtype (a float32 model stays
float32) and exposes it through `state_dict()` as a flat {name: ndarray} that `save_npz` can
write without pickle: 'step', 'lr', and '<buffer>.<param index>' (e.g. 'm.0', 'v.0').
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from minigrad.errors import RangeError, ShapeError
from minigrad.grad_mode import no_grad
from minigrad.nn.module import checked_state
from minigrad.tensor import Tensor


class Optimizer:
    """Base class: `step()` updates every parameter that has a `.grad`, in place, under no_grad."""

    buffers: tuple[str, ...] = ()  # param-shaped arrays, in the param's dtype
    counters: tuple[str, ...] = ()  # one int64 scalar per param

    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        name = type(self).__name__
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{name}: got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, Tensor) or not p.requires_grad or not p.is_leaf:
                raise TypeError(f"{name}: params[{i}] must be a leaf Tensor with "
                                f"requires_grad=True (a Parameter), got {p!r:.80}")
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError(f"{name}: a parameter appears more than once in params; pass each "
                             "shared parameter once")
        self.lr = lr
        self.step_count = 0
        self.state: dict[str, list[np.ndarray]] = {
            b: [np.zeros_like(p.data) for p in self.params] for b in self.buffers}
        self.state.update({c: [np.zeros((), np.int64) for _ in self.params]
                           for c in self.counters})

    @property
    def lr(self) -> float:
        """The learning rate used by the next `step()` (schedulers set it)."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        value = float(value)
        if not np.isfinite(value) or value < 0:
            raise RangeError(f"{type(self).__name__}: lr must be a finite number >= 0, got {value}")
        self._lr = value

    def zero_grad(self) -> None:
        """Forget every parameter's gradient."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Apply one update to each parameter whose grad is not None."""
        with no_grad():
            self.step_count += 1
            for i, p in enumerate(self.params):
                g = p.grad
                if g is None:
                    continue
                if g.shape != p.data.shape:
                    raise ShapeError(f"{type(self).__name__}.step: params[{i}].grad must have "
                                     f"shape {p.data.shape}, got {g.shape}")
                self._update(i, p.data, g)
                p._version += 1

    def _update(self, i: int, w: np.ndarray, g: np.ndarray) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, np.ndarray]:
        """Flat {name: ndarray} copy of the state: 'step', 'lr', '<buffer>.<i>'."""
        d = {"step": np.array(self.step_count, dtype=np.int64),
             "lr": np.array(self.lr, dtype=np.float64)}
        for b in self.buffers + self.counters:
            for i, arr in enumerate(self.state[b]):
                d[f"{b}.{i}"] = arr.copy()
        return d

    def load_state_dict(self, d: dict[str, Any]) -> None:
        """Restore a `state_dict()` exactly (same parameter list and shapes)."""
        name = type(self).__name__
        expected = {"step", "lr"} | {f"{b}.{i}" for b in self.buffers + self.counters
                                     for i in range(len(self.params))}
        missing, unexpected = sorted(expected - set(d)), sorted(set(d) - expected)
        if missing or unexpected:
            raise KeyError(f"{name}.load_state_dict: missing keys {missing}, "
                           f"unexpected keys {unexpected}")
        new = {}
        for b in self.buffers:
            new[b] = []
            for i, p in enumerate(self.params):
                arr = checked_state(f"{name}.load_state_dict", f"{b}.{i}", d[f"{b}.{i}"], p.data)
                new[b].append(arr.astype(p.data.dtype, copy=True))
        for c in self.counters:
            new[c] = []
            for i in range(len(self.params)):
                arr = np.asarray(d[f"{c}.{i}"])
                if arr.shape != () or arr.dtype.kind not in "iu" or arr < 0:
                    raise RangeError(f"{name}.load_state_dict: {c}.{i} must be an int count "
                                     f">= 0, got {arr!r}")
                new[c].append(arr.astype(np.int64).copy())
        self.lr = float(np.asarray(d["lr"]))
        self.step_count = int(np.asarray(d["step"]))
        self.state = new


class SGD(Optimizer):
    """torch.optim.SGD: g += wd·w; buf = momentum·buf + g; w -= lr·buf (plain g if momentum 0)."""

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-2, momentum: float = 0.0,
                 weight_decay: float = 0.0) -> None:
        if momentum < 0 or weight_decay < 0:
            raise RangeError(f"SGD: momentum and weight_decay must be >= 0, got {momentum} "
                             f"and {weight_decay}")
        self.buffers = ("momentum_buffer",) if momentum else ()
        self.momentum, self.weight_decay = float(momentum), float(weight_decay)
        super().__init__(params, lr)

    def _update(self, i: int, w: np.ndarray, g: np.ndarray) -> None:
        if self.weight_decay:
            g = g + self.weight_decay * w
        if self.momentum:
            buf = self.state["momentum_buffer"][i]
            buf *= self.momentum
            buf += g
            g = buf
        w -= self.lr * g


class RMSProp(Optimizer):
    """torch.optim.RMSprop / CS231n: cache = α·cache + (1-α)·g²; w -= lr·g / (sqrt(cache) + eps)."""

    buffers = ("cache",)

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8) -> None:
        if not 0 <= alpha < 1 or eps < 0:
            raise RangeError(f"RMSProp: need 0 <= alpha < 1 and eps >= 0, got alpha {alpha} "
                             f"and eps {eps}")
        self.alpha, self.eps = float(alpha), float(eps)
        super().__init__(params, lr)

    def _update(self, i: int, w: np.ndarray, g: np.ndarray) -> None:
        cache = self.state["cache"][i]
        cache *= self.alpha
        cache += (1 - self.alpha) * (g * g)
        w -= self.lr * g / (np.sqrt(cache) + self.eps)


class Adam(Optimizer):
    """torch.optim.Adam / CS231n, bias-corrected: w -= lr·m̂ / (sqrt(v̂) + eps); wd adds wd·w to g."""

    buffers = ("m", "v")
    counters = ("t",)

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        b1, b2 = betas
        if not (0 <= b1 < 1 and 0 <= b2 < 1) or eps < 0 or weight_decay < 0:
            raise RangeError(f"Adam: need betas in [0, 1), eps >= 0, weight_decay >= 0, got "
                             f"betas {betas}, eps {eps}, weight_decay {weight_decay}")
        self.betas, self.eps, self.weight_decay = (float(b1), float(b2)), float(eps), \
            float(weight_decay)
        super().__init__(params, lr)

    def _update(self, i: int, w: np.ndarray, g: np.ndarray) -> None:
        b1, b2 = self.betas
        if self.weight_decay:
            g = g + self.weight_decay * w
        m, v, t = self.state["m"][i], self.state["v"][i], self.state["t"][i]
        t += 1
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * (g * g)
        step_size = self.lr / (1 - b1 ** int(t))
        denom = np.sqrt(v) / math.sqrt(1 - b2 ** int(t)) + self.eps
        w -= step_size * (m / denom)


_CS231N_RULES = {
    # rule: (class, {optim_config key: (constructor argument, CS231n default)})
    "sgd": (SGD, {"learning_rate": ("lr", 1e-2)}),
    "sgd_momentum": (SGD, {"learning_rate": ("lr", 1e-2), "momentum": ("momentum", 0.9)}),
    "rmsprop": (RMSProp, {"learning_rate": ("lr", 1e-2), "decay_rate": ("alpha", 0.99),
                          "epsilon": ("eps", 1e-8)}),
    "adam": (Adam, {"learning_rate": ("lr", 1e-3), "beta1": ("beta1", 0.9),
                    "beta2": ("beta2", 0.999), "epsilon": ("eps", 1e-8)}),
}


def make_optimizer(update_rule: str, params: Iterable[Tensor],
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
        raise KeyError(f"make_optimizer: optim_config keys {unknown} are not used by "
                       f"{update_rule!r}; it takes {sorted(keys)}")
    kwargs = {arg: config.get(key, default) for key, (arg, default) in keys.items()}
    if cls is Adam:
        kwargs["betas"] = (kwargs.pop("beta1"), kwargs.pop("beta2"))
    return cls(params, **kwargs)
