"""Process setup for `vis.train_torch`: one process, or a torchrun launch joined into DDP.

torchrun sets RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT; with
them this module joins the process group (gloo on CPU, nccl on CUDA). Every launch problem is
checked before joining, so a bad launch fails at once with one line instead of hanging.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from vis.train_torch.options import UsageError

TORCHRUN_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
HINT = "launch with: torchrun --nproc_per_node=N -m vis.train_torch ... (or without torchrun)"


@dataclass
class Context:
    """Where this process stands: rank, world size, local rank, device; `distributed` if joined."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    local_world_size: int = 1
    device: torch.device = torch.device("cpu")
    distributed: bool = False

    @property
    def is_main(self) -> bool:
        """Rank 0: the only process that prints, writes checkpoints and figures."""
        return self.rank == 0


def _env_int(name: str, env: dict[str, str]) -> int:
    text = env[name]
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"environment variable {name} must be an integer, got {text!r}; "
                         f"{HINT}") from None
    if value < 0:
        raise UsageError(f"environment variable {name} must be >= 0, got {value}; {HINT}")
    return value


def read_env(env: dict[str, str] | None = None) -> tuple[int, int, int, int, bool]:
    """(rank, world size, local rank, local world size, launched by torchrun) from the env."""
    env = dict(os.environ if env is None else env)
    present = [k for k in TORCHRUN_VARS if k in env]
    if not present:
        return 0, 1, 0, 1, False
    missing = [k for k in TORCHRUN_VARS if k not in env]
    if missing:
        raise UsageError(f"incomplete torch.distributed environment: {', '.join(present)} set "
                         f"but {', '.join(missing)} missing; {HINT}")
    rank, world = _env_int("RANK", env), _env_int("WORLD_SIZE", env)
    local_rank = _env_int("LOCAL_RANK", env)
    local_world = _env_int("LOCAL_WORLD_SIZE", env) if "LOCAL_WORLD_SIZE" in env else world
    if world < 1 or rank >= world or local_rank >= max(local_world, 1):
        raise UsageError(f"inconsistent torch.distributed environment: RANK={rank}, "
                         f"WORLD_SIZE={world}, LOCAL_RANK={local_rank}, "
                         f"LOCAL_WORLD_SIZE={local_world}; {HINT}")
    return rank, world, local_rank, local_world, True


def check_launch(args: Any, env: dict[str, str] | None = None) -> Context:
    """Validate device, precision and batch split for this launch; no process group yet."""
    rank, world, local_rank, local_world, launched = read_env(env)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: no CUDA GPU is visible to torch "
                         "(torch.cuda.is_available() is False); use --device cpu")
    if args.bf16 and args.device != "cuda":
        raise UsageError(f"--bf16: bfloat16 autocast needs --device cuda, got --device "
                         f"{args.device}")
    if args.batch_size % world:
        raise UsageError(f"--batch-size {args.batch_size} must be divisible by the number of "
                         f"processes {world} (each process takes batch-size / processes "
                         "captions of every global minibatch)")
    if args.device == "cuda":
        if local_rank >= torch.cuda.device_count():
            raise UsageError(f"--device cuda: LOCAL_RANK {local_rank} needs GPU {local_rank} "
                             f"but only {torch.cuda.device_count()} are visible; use "
                             "--nproc_per_node <= the GPU count")
        if launched and world > 1 and not dist.is_nccl_available():
            raise UsageError("--device cuda with several processes needs NCCL, which this "
                             "torch build lacks")
        device = torch.device("cuda", local_rank)
        # deterministic kernels where torch has them, so a resume on the same GPU replays exactly
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
    else:
        device = torch.device("cpu")
    if launched and world > 1 and args.device == "cpu" and not dist.is_gloo_available():
        raise UsageError("several CPU processes need the gloo backend, which this torch "
                         "build lacks")
    return Context(rank, world, local_rank, local_world, device, distributed=launched)


def set_threads(ctx: Context, threads: int | None) -> int:
    """Torch intra-op threads: `threads`, or this node's cores shared among its processes."""
    if threads is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
            os.cpu_count() or 1)
        threads = max(1, cores // max(ctx.local_world_size, 1))
    torch.set_num_threads(threads)
    return threads


def join(ctx: Context) -> None:
    """Join the process group of a torchrun launch (gloo on CPU, nccl on CUDA)."""
    if not ctx.distributed:
        return
    if ctx.device.type == "cuda":
        torch.cuda.set_device(ctx.device)
        dist.init_process_group("nccl", device_id=ctx.device)
    else:
        dist.init_process_group("gloo")


def leave(ctx: Context) -> None:
    """Leave the process group (after a barrier so rank 0's last write is done)."""
    if ctx.distributed and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
