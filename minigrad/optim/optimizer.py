"""`Optimizer`: torch-style parameter groups and a flat, npz-savable state dict.

`param_groups` is a list of dicts, each {'params': [...], <hyperparameter>: value} with the
constructor's values as defaults, as torch; given (name, parameter) pairs
(`model.named_parameters()`), a group also keeps 'param_names' (used in messages).
Per-parameter state is created on the parameter's first update, in the parameter's dtype (a
float32 model keeps float32 state), and lives in `state[i]` ({name: ndarray}), `i` counting
parameters across the groups in order.

`state_dict()` is flat {name: ndarray} that `save_npz` writes without pickle: 'step' (steps
taken), 'lr' (group 0's lr), 'group.<g>.params' (the indices in group g), 'group.<g>.<key>' for
each hyperparameter, and '<buffer>.<i>' for each state array (e.g. 'm.0', 'v.0', 't.0'). A
state dict without 'group.*' keys (written before groups existed) loads with its 'lr' for every
group.

NaN/inf gradients never reach the weights unnoticed: `nonfinite=` says what `step()` does when a
gradient holds any. 'warn' (default): a `NonFiniteGradientWarning` naming each parameter and its
NaN/inf counts, then the update as torch makes it; 'skip': that warning and no update at all
(no parameter, no state, no step count changes, as torch's GradScaler skips); 'raise': a
`NonFiniteGradientError` before any parameter changes; 'ignore': no check.
"""
from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from minigrad.errors import DTypeError, RangeError, ShapeError, StateDictKeyError
from minigrad.functional.validate import all_finite, checked_state
from minigrad.grad_mode import enable_grad, no_grad
from minigrad.tensor import Tensor

NONFINITE_MODES = ("warn", "skip", "raise", "ignore")


class NonFiniteGradientWarning(RuntimeWarning):
    """`step()` met NaN/inf gradients (nonfinite='warn' or 'skip'); the message names them."""


class NonFiniteGradientError(RangeError):
    """`step()` met NaN/inf gradients with nonfinite='raise'; no parameter was updated."""


_STATE_KEY = re.compile(r"^([A-Za-z_]\w*)\.(\d+)$")
_GROUP_KEY = re.compile(r"^group\.(\d+)\.(\w+)$")


def _hyper_array(value: Any) -> np.ndarray | None:
    """A group hyperparameter as a savable array; None for values that are not saved."""
    if isinstance(value, (bool, np.bool_)):
        return np.array(bool(value))
    if isinstance(value, (int, np.integer)):
        return np.array(int(value), np.int64)
    if isinstance(value, (float, np.floating)):
        return np.array(float(value), np.float64)
    if isinstance(value, (tuple, list)) and value and all(
            isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in value):
        return np.array([float(v) for v in value], np.float64)
    if isinstance(value, str):
        return np.array(value)
    return None


def _hyper_value(arr: Any) -> Any:
    """The inverse of `_hyper_array`."""
    a = np.asarray(arr)
    if a.ndim == 1:
        return tuple(float(v) for v in a)
    if a.dtype.kind == "b":
        return bool(a)
    if a.dtype.kind in "iu":
        return int(a)
    if a.dtype.kind in "US":
        return str(a)
    return float(a)


class Optimizer:
    """Base class: `step()` updates every parameter that has a `.grad`, in place, under no_grad.

    Subclasses define `_check_group(group)` (validate and normalise hyperparameters),
    `_state_names(group)` (the state arrays a parameter of that group keeps) and
    `_update(group, state, w, g)`. Names in `counters` are int64 scalars, the rest arrays of
    the parameter's shape and dtype.
    """

    counters: tuple[str, ...] = ()

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any],
                 nonfinite: str = "warn") -> None:
        name = type(self).__name__
        if nonfinite not in NONFINITE_MODES:
            raise ValueError(f"{name}: nonfinite must be one of {NONFINITE_MODES}, "
                             f"got {nonfinite!r}")
        self.nonfinite = nonfinite
        if isinstance(params, (Tensor, set, frozenset)) or not isinstance(params, Iterable):
            raise TypeError(f"{name}: params must be an iterable of Tensors or of dicts (param "
                            f"groups), in a fixed order, got {type(params).__name__}")
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[int, dict[str, np.ndarray]] = {}
        self.step_count = 0
        groups = list(params)
        if not groups:
            raise ValueError(f"{name}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ----- groups ---------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group {'params': [...], ...}; missing hyperparameters take the defaults."""
        name = type(self).__name__
        g = len(self.param_groups)
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise TypeError(f"{name}: param group {g} must be a dict with a 'params' entry, "
                            f"got {param_group!r:.80}")
        group = dict(param_group)
        ps = group["params"]
        if isinstance(ps, (set, frozenset)):
            raise TypeError(f"{name}: param group {g}: params must be an ordered sequence, "
                            "not a set")
        ps = [ps] if isinstance(ps, Tensor) else list(ps)
        if ps and all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str)
                      for p in ps):  # model.named_parameters(), as torch: names kept
            group["param_names"], ps = [n for n, _ in ps], [p for _, p in ps]
        for i, p in enumerate(ps):
            if not isinstance(p, Tensor) or not p.is_leaf or p.data.dtype.kind != "f":
                raise TypeError(f"{name}: param group {g}: params[{i}] must be a floating leaf "
                                f"Tensor (a Parameter), got {p!r:.80}")
        if len({id(p) for p in ps}) != len(ps):
            raise ValueError(f"{name}: a parameter appears more than once in params; pass each "
                             "shared parameter once")
        if {id(p) for p in ps} & {id(p) for p in self.params}:
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        group["params"] = ps
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        lr = group["lr"]
        if isinstance(lr, bool) or not isinstance(lr, (int, float, np.number)) \
                or not math.isfinite(lr) or lr < 0:
            raise RangeError(f"{type(self).__name__}: lr must be a finite number >= 0, "
                             f"got {lr!r}")
        group["lr"] = float(lr)

    def _state_names(self, group: dict[str, Any]) -> tuple[str, ...]:
        raise NotImplementedError

    @property
    def params(self) -> list[Tensor]:
        """Every parameter, across the groups in order (state index i is params[i])."""
        return [p for group in self.param_groups for p in group["params"]]

    @property
    def lr(self) -> float:
        """Group 0's learning rate; setting it sets every group's (CS231n's lr_decay does)."""
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        for group in self.param_groups:
            self._check_group({**group, "lr": value})
        for group in self.param_groups:
            group["lr"] = float(value)

    # ----- stepping -------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient (or fill it with zeros if set_to_none=False)."""
        for p in self.params:
            p.grad = None if set_to_none or p.grad is None else np.zeros_like(p.data)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Apply one update to each parameter whose grad is not None; returns closure()."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            if self.nonfinite != "ignore" and not self._gradients_finite():
                return loss
            self.step_count += 1
            i = -1
            for group in self.param_groups:
                for p in group["params"]:
                    i += 1
                    g = p.grad
                    if g is None:
                        continue
                    if g.shape != p.data.shape:
                        raise ShapeError(f"{type(self).__name__}.step: params[{i}].grad must "
                                         f"have shape {p.data.shape}, got {g.shape}")
                    if group.get("maximize"):
                        g = -g
                    self._update(group, self.state.setdefault(i, {}), p.data, g)
                    p._version += 1
        return loss

    def _update(self, group: dict[str, Any], state: dict[str, np.ndarray], w: np.ndarray,
                g: np.ndarray) -> None:
        raise NotImplementedError

    def _gradients_finite(self) -> bool:
        """Whether step() goes on: False to skip the step; raises or warns per `nonfinite`."""
        bad = []
        names = [n for group in self.param_groups
                 for n in group.get("param_names", [None] * len(group["params"]))]
        for i, p in enumerate(self.params):
            g = p.grad
            if g is not None and not all_finite(g):
                name = names[i] or p.name
                label = f"params[{i}]" + (f" ({name})" if name else "")
                bad.append(f"{label} of shape {p.data.shape}: {int(np.isnan(g).sum())} NaN and "
                           f"{int(np.isinf(g).sum())} inf of {g.size} values")
        if not bad:
            return True
        what = f"{type(self).__name__}.step: non-finite gradients in {'; '.join(bad)}"
        if self.nonfinite == "raise":
            raise NonFiniteGradientError(f"{what}; no parameter was updated")
        done = ("the step was skipped (no parameter updated)" if self.nonfinite == "skip" else
                "the update was applied; pass nonfinite='skip' or 'raise' to keep the weights")
        warnings.warn(f"{what}; {done}", NonFiniteGradientWarning, stacklevel=3)
        return self.nonfinite != "skip"

    # ----- state dict -----------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """Flat {name: ndarray} copy: 'step', 'lr', 'group.<g>.<key>', '<buffer>.<i>'."""
        d = {"step": np.array(self.step_count, np.int64),
             "lr": np.array(self.lr, np.float64)}
        start = 0
        for g, group in enumerate(self.param_groups):
            n = len(group["params"])
            d[f"group.{g}.params"] = np.arange(start, start + n, dtype=np.int64)
            start += n
            for key, value in group.items():
                arr = None if key == "params" else _hyper_array(value)
                if arr is not None:
                    d[f"group.{g}.{key}"] = arr
        for i in sorted(self.state):
            for b, arr in self.state[i].items():
                d[f"{b}.{i}"] = arr.copy()
        return d

    def load_state_dict(self, d: dict[str, Any]) -> None:
        """Restore a `state_dict()` exactly (same groups, parameter shapes); all checked first."""
        where = f"{type(self).__name__}.load_state_dict"
        if not isinstance(d, Mapping) or not all(isinstance(k, str) for k in d):
            raise DTypeError(f"{where}: state must be a mapping of str -> array (a "
                             f"state_dict()), got {type(d).__name__}")
        groups = [dict(group) for group in self.param_groups]
        has_groups = any(k.startswith("group.") for k in d)  # else the single-group format
        owner, start = [], 0  # owner[i]: the group of parameter i
        for g, group in enumerate(groups):
            n = len(group["params"])
            owner += [g] * n
            key = f"group.{g}.params"
            if has_groups:
                if key not in d:
                    raise StateDictKeyError(f"{where}: missing keys ['{key}']")
                saved = np.asarray(d[key]).tolist()
                if saved != list(range(start, start + n)):
                    raise ValueError(f"{where}: param group {g} holds parameters {saved} in the "
                                     f"state dict but {list(range(start, start + n))} here")
            start += n
        if "step" not in d or ("lr" not in d and not has_groups):
            raise StateDictKeyError(f"{where}: missing keys {sorted({'step', 'lr'} - set(d))}")
        state: dict[int, dict[str, Any]] = {}
        unexpected = []
        for key, value in d.items():
            gm, sm = _GROUP_KEY.match(key), _STATE_KEY.match(key)
            if key in ("step", "lr"):
                continue
            if gm and int(gm.group(1)) < len(groups):
                if gm.group(2) != "params":
                    groups[int(gm.group(1))][gm.group(2)] = _hyper_value(value)
            elif sm and int(sm.group(2)) < len(owner):
                state.setdefault(int(sm.group(2)), {})[sm.group(1)] = value
            else:
                unexpected.append(key)
        if not has_groups:
            for group in groups:
                group["lr"] = _hyper_value(d["lr"])
        for group in groups:
            self._check_group(group)
        params, new, missing = self.params, {}, []
        for i, entries in sorted(state.items()):
            names = self._state_names(groups[owner[i]])
            unexpected += [f"{b}.{i}" for b in entries if b not in names]
            missing += [f"{b}.{i}" for b in names if b not in entries]
            new[i] = {b: self._checked(where, f"{b}.{i}", entries[b], params[i].data)
                      for b in names if b in entries}
        if missing or unexpected:
            raise StateDictKeyError(f"{where}: missing keys {sorted(missing)}, "
                           f"unexpected keys {sorted(unexpected)}")
        step = np.asarray(d["step"])
        if step.shape != () or step.dtype.kind not in "iu" or step < 0:
            raise RangeError(f"{where}: step must be an int count >= 0, got {step!r}")
        for group, loaded in zip(self.param_groups, groups, strict=True):
            group.update(loaded)
        self.step_count = int(step)
        self.state = new

    def _checked(self, where: str, key: str, value: Any, like: np.ndarray) -> np.ndarray:
        if key.split(".")[0] in self.counters:
            arr = np.asarray(value)
            if arr.shape != () or arr.dtype.kind not in "iu" or arr < 0:
                raise RangeError(f"{where}: {key} must be an int count >= 0, got {arr!r}")
            return arr.astype(np.int64)
        return checked_state(where, key, value, like).astype(like.dtype, copy=True)
