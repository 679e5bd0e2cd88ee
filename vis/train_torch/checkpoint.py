"""Checkpoint arrays of `vis.train_torch` in zoo's format, plus the torch optimizer, no pickle.

One flat {name: ndarray} dict, written by `minigrad.nn.serialization.save_npz` (atomic):
  model.<name>        the twin's parameters in zoo's names and layout (load_captioner reads them)
  config.*, vocab.*   zoo's `captioner_config` of the model
  solver.*            zoo's CaptioningSolver counters (epoch, t, loss_history, epoch_seconds)
                      and run identity (seed, batch_size, num_train, update_rule,
                      learning_rate, lr_decay, data_digest)
  optim.*             the optimizer state in minigrad's format (m.<i>, v.<i>, t.<i>, step, lr,
                      group.0.*), so zoo's CaptioningSolver.resume continues the run in minigrad
  torch_optim.*       torch's optimizer state_dict as plain arrays: state.<i>.<buffer>,
                      group.<g>.<hyperparameter>, class (what an exact torch resume loads)
  train_torch.*       model kind, world size, device and bf16 of the run that wrote it
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from vis.train_torch.models import Captioner
from vis.train_torch.options import UsageError

# torch buffer name -> minigrad buffer name, per optimizer class
BUFFER_NAMES = {"Adam": {"exp_avg": "m", "exp_avg_sq": "v", "step": "t"},
                "SGD": {"momentum_buffer": "momentum_buffer"},
                "RMSprop": {"square_avg": "cache"}}
SOLVER_KEYS = ("solver.epoch", "solver.t", "solver.seed", "solver.batch_size",
               "solver.num_train", "solver.loss_history", "solver.update_rule")


def make_optimizer(rule: str, params: Any, lr: float) -> torch.optim.Optimizer:
    """torch's optimizer for a CS231n update rule with CS231n's defaults (as zoo's)."""
    if rule == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=1e-8)
    if rule == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=0.99, eps=1e-8)
    return torch.optim.SGD(params, lr=lr, momentum=0.9 if rule == "sgd_momentum" else 0.0)


def _hyper(value: Any) -> np.ndarray | None:
    """A param-group value as an array (bool, int, float, tuple of floats, str); else None."""
    if isinstance(value, bool):
        return np.array(value)
    if isinstance(value, int):
        return np.array(value, np.int64)
    if isinstance(value, float):
        return np.array(value, np.float64)
    if isinstance(value, tuple) and value and all(isinstance(v, (int, float)) for v in value):
        return np.array(value, np.float64)
    if isinstance(value, str):
        return np.array(value)
    return None


def _unhyper(arr: np.ndarray) -> Any:
    a = np.asarray(arr)
    if a.ndim == 1:
        return tuple(float(v) for v in a)
    return a.item() if a.dtype.kind != "U" else str(a)


def torch_optim_arrays(opt: torch.optim.Optimizer) -> dict[str, np.ndarray]:
    """torch's optimizer state_dict as `torch_optim.*` arrays."""
    sd = opt.state_dict()
    d = {"torch_optim.class": np.array(type(opt).__name__)}
    for i, st in sd["state"].items():
        for name, v in st.items():
            if torch.is_tensor(v):
                d[f"torch_optim.state.{i}.{name}"] = v.detach().cpu().numpy().copy()
    for g, group in enumerate(sd["param_groups"]):
        for key, v in group.items():
            arr = np.array(v, np.int64) if key == "params" else _hyper(v)
            if arr is not None:
                d[f"torch_optim.group.{g}.{key}"] = arr
    return d


def load_torch_optim(opt: torch.optim.Optimizer, d: Mapping[str, np.ndarray]) -> None:
    """Restore `torch_optim_arrays` output into a freshly built optimizer, exactly."""
    saved = str(d["torch_optim.class"])
    if saved != type(opt).__name__:
        raise UsageError(f"--resume: the checkpoint's optimizer is {saved}, this run builds "
                         f"{type(opt).__name__} (use the same --update-rule)")
    sd = opt.state_dict()
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, arr in d.items():
        parts = key.split(".")
        if parts[:2] == ["torch_optim", "state"]:
            state.setdefault(int(parts[2]), {})[parts[3]] = torch.from_numpy(np.array(arr))
        elif parts[:2] == ["torch_optim", "group"] and parts[3] != "params":
            sd["param_groups"][int(parts[2])][parts[3]] = _unhyper(arr)
    sd["state"] = state
    opt.load_state_dict(sd)


def minigrad_optim_arrays(cap: Captioner, opt: torch.optim.Optimizer, zoo_solver: Any,
                          steps: int) -> dict[str, np.ndarray]:
    """The optimizer state as minigrad's `optim.*` (what zoo's CaptioningSolver.resume loads):
    the group keys of zoo's optimizer for the same rule, torch's lr and buffers, `steps`."""
    names = [n for n, _ in cap.zoo_model.named_parameters()]
    lr = float(opt.param_groups[0]["lr"])
    d = {k: v for k, v in zoo_solver.optimizer.state_dict().items() if k.startswith("group.")}
    d.update({"group.0.lr": np.array(lr, np.float64), "lr": np.array(lr, np.float64)})
    twin_names = [n for n, _ in cap.twin.named_parameters()]
    rename = BUFFER_NAMES[type(opt).__name__]
    buffers: dict[str, dict[str, torch.Tensor]] = {}
    for i, st in opt.state_dict()["state"].items():
        for name, v in st.items():
            if name in rename and torch.is_tensor(v):
                buffers.setdefault(rename[name], {})[twin_names[i]] = v
    for mg_name, by_param in buffers.items():
        if mg_name == "t":  # a count: same names, no layout (the converters make it 1-d)
            arrays = {k: np.array(int(v), np.int64) for k, v in by_param.items()}
        else:
            arrays = cap.to_minigrad(by_param)
        for zoo_name, value in arrays.items():
            d[f"{mg_name}.{names.index(zoo_name)}"] = value
    d["step"] = np.array(steps, np.int64)
    return {f"optim.{k}": v for k, v in d.items()}


def checkpoint_arrays(cap: Captioner, opt: torch.optim.Optimizer, args: Any, trainer: Any,
                      zoo_solver: Any, world_size: int,
                      device: torch.device) -> dict[str, np.ndarray]:
    """Everything `--resume` (and zoo's load_captioner / CaptioningSolver.resume) needs."""
    from zoo.captioning.checkpoint import captioner_config

    d = {f"model.{k}": v for k, v in cap.minigrad_state().items()}
    d.update(captioner_config(cap.zoo_model))
    d.update({
        "solver.epoch": np.array(trainer.epoch, np.int64),
        "solver.t": np.array(trainer.t, np.int64),
        "solver.loss_history": np.asarray(trainer.loss_history, np.float64),
        "solver.epoch_seconds": np.asarray(trainer.epoch_seconds, np.float64),
    })
    d.update(zoo_solver.run_identity())  # seed, batch size, rule, lr, decay, data digest
    d.update(minigrad_optim_arrays(cap, opt, zoo_solver, trainer.t))  # one step per iteration
    d.update(torch_optim_arrays(opt))
    d.update({"train_torch.model": np.array(cap.kind),
              "train_torch.world_size": np.array(world_size, np.int64),
              "train_torch.device": np.array(device.type),
              "train_torch.bf16": np.array(bool(args.bf16))})
    return d


def check_resume(d: Mapping[str, np.ndarray], zoo_solver: Any, path: str, world_size: int,
                 device: torch.device) -> list[str]:
    """Named UsageError when `d` is not this run (zoo's run identity: model config, vocabulary,
    seed, batch size, data, rule, lr, decay); notes (str) when the resume is not bit-exact."""
    missing = [k for k in SOLVER_KEYS if k not in d]
    if missing:
        raise UsageError(f"--resume: {path} is not a solver checkpoint: missing {missing}")
    diffs = zoo_solver.run_differences(d)
    if diffs:
        raise UsageError(f"--resume: {path} is a different run: {'; '.join(diffs)}; resuming "
                         "needs the same model, vocabulary, seed, batch size, data, update rule, "
                         "lr and lr decay")
    t = int(d["solver.t"])
    if len(d["solver.loss_history"]) != t or int(d["solver.epoch"]) != \
            t // zoo_solver.iterations_per_epoch:
        raise UsageError(f"--resume: {path} has inconsistent counters (solver.t = {t}, "
                         f"solver.epoch = {int(d['solver.epoch'])}, "
                         f"{len(d['solver.loss_history'])} losses)")
    if "train_torch.world_size" not in d:
        return [f"{path} was written by minigrad (zoo), not vis.train_torch: the run continues "
                "from its state, equal up to float rounding, not bit for bit"]
    was = (int(d["train_torch.world_size"]), str(d["train_torch.device"]))
    notes = []
    if was != (world_size, device.type):
        notes.append(f"{path} was written by {was[0]} process(es) on {was[1]}, this run has "
                     f"{world_size} on {device.type}: equal up to float reassociation, not bit "
                     "for bit")
    if was[1] != device.type and float(d.get("config.dropout", 0.0)) > 0:
        notes.append(f"dropout masks are drawn by the device's generator: on {device.type} "
                     f"they differ from those {was[1]} would have drawn (same distribution)")
    return notes


def load_minigrad_optim(cap: Captioner, opt: torch.optim.Optimizer,
                        d: Mapping[str, np.ndarray]) -> None:
    """Restore minigrad's `optim.*` (a checkpoint of zoo's CaptioningSolver) into torch's opt."""
    names = [n for n, _ in cap.zoo_model.named_parameters()]
    twin_names = [n for n, _ in cap.twin.named_parameters()]
    inverse = {v: k for k, v in BUFFER_NAMES[type(opt).__name__].items()}
    step_dtype = torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
    by_buffer: dict[str, dict[str, np.ndarray]] = {}
    for key, arr in d.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "optim" and parts[1] in inverse and parts[2].isdigit():
            by_buffer.setdefault(inverse[parts[1]], {})[names[int(parts[2])]] = arr
    state: dict[int, dict[str, torch.Tensor]] = {}
    for name, arrays in by_buffer.items():
        if name == "step":
            tensors = {k: torch.tensor(float(v), dtype=step_dtype) for k, v in arrays.items()}
        else:
            tensors = cap.to_torch(arrays)
        for twin_name, value in tensors.items():
            state.setdefault(twin_names.index(twin_name), {})[name] = value
    sd = opt.state_dict()
    lr = float(d.get("optim.group.0.lr", d.get("optim.lr", sd["param_groups"][0]["lr"])))
    for group in sd["param_groups"]:
        group["lr"] = lr
    sd["state"] = state
    opt.load_state_dict(sd)
