"""Time one captioner training step (loss + backward, no update), each implementation alone.

    python -m bench.captioner [--cases lstm rnn small_lstm] [--rounds 5] [--steps 7]
                              [--threads 2] [--write-results] [--quick]

Every implementation runs in its own fresh interpreter (`--child`), one process per
implementation per round, the processes of a round in a shuffled order, so one library's
BLAS/OpenMP threads never spin on the cores while another is timed. A child warms up, times
`--steps` steps and reports their median; the ratio minigrad/impl is the median over rounds
of each round's ratio. Before timing, every implementation's loss and gradients are checked
against the hand-written numpy version in this process, which then also times them all
round-robin here ("same process", kept only to show the interference). Peak memory comes
from one more fresh process per implementation. `--write-results` rewrites the tables
between the captioner markers of bench/RESULTS.md and draws every round's ratio next to it
(bench/captioner[-SECTION].png, bench/figure.py).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time

import numpy as np

from bench.common import int_at_least, median_ratio, output_file, paired_times, peak_rss_delta_mib
from bench.common import run_child as _run
from bench.figure import ratio_figure
from bench.problem import CASES, IMPLS, build, make, word_to_idx

DTYPES = ("float32", "float64")

N, T1, D, W, H, V = 50, 17, 512, 256, 512, 1004  # CS231n size (bench.sampling uses these)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # children run from here
RESULTS = os.path.join(ROOT, "bench", "RESULTS.md")
BEGIN, END = "<!-- bench.captioner:begin -->", "<!-- bench.captioner:end -->"


def make_problem(cell: str, dtype: str, seed: int = 0) -> tuple[dict, np.ndarray, np.ndarray, dict]:
    """(params, features, captions, word_to_idx) of the CS231n-size problem for `cell`."""
    params, features, captions = make(CASES[cell], dtype, seed)
    return params, features, captions, word_to_idx(V)


def thread_env(threads: int) -> dict:
    """The environment of a child: every BLAS / OpenMP pool limited to `threads`."""
    t = str(threads)
    return dict(os.environ, OPENBLAS_NUM_THREADS=t, OMP_NUM_THREADS=t, MKL_NUM_THREADS=t)


def _thread_report() -> list:
    """(library, api, threads) of every thread pool loaded in this process."""
    from threadpoolctl import threadpool_info

    rows = [(i.get("internal_api"), i.get("user_api"), i.get("num_threads"))
            for i in threadpool_info()]
    if "torch" in sys.modules:
        rows.append(("torch", "intra-op", sys.modules["torch"].get_num_threads()))
    return rows


def _child(impl: str, case: str, dtype: str, steps: int, threads: int, memory: bool) -> None:
    """Run in a fresh interpreter: print one JSON line with the step times (or peak MiB)."""
    params, features, captions = make(CASES[case], dtype)
    step, _ = build(impl, CASES[case], params, features, captions)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
    if memory:  # from before the first step: memory an implementation keeps between steps
        # (minigrad's reused work buffers) counts too, as do lazy inits on either side
        print(json.dumps({"peak_mib": peak_rss_delta_mib(lambda: [step() for _ in range(3)])}))
        return
    step()
    step()  # warm-up: allocator pools, lazy init, BLAS threads started
    ts, cpu = [], []
    for _ in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        ts.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    print(json.dumps({"ms": [1e3 * t for t in ts], "cpu_ms": [1e3 * t for t in cpu],
                      "threads": _thread_report(), "torch_loaded": "torch" in sys.modules}))


def run_child(impl: str, case: str, dtype: str, steps: int, threads: int,
              memory: bool = False) -> dict:
    """One fresh interpreter running `impl` alone; its JSON report."""
    env = thread_env(threads)
    if memory:  # every block over 64 KiB by mmap, trimmed at once: freed arrays leave the RSS
        env.update(MALLOC_MMAP_THRESHOLD_="65536", MALLOC_TRIM_THRESHOLD_="0")
    cmd = [sys.executable, "-m", "bench.captioner", "--child", impl, case, dtype,
           "--steps", str(steps), "--threads", str(threads)] + (["--memory"] if memory else [])
    out = _run(cmd, f"bench.captioner child {impl} {case} {dtype}", env=env, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def max_rel_err(a: dict, b: dict) -> float:
    """Largest over parameters of max |a - b| / max |b|."""
    return max(float(np.abs(np.asarray(a[k]) - b[k]).max() / (np.abs(b[k]).max() + 1e-30))
               for k in b)


def check_all(case: str, dtype: str, impls: tuple) -> tuple[dict, dict]:
    """Loss and gradients of every impl against numpy's (max rel error); the built steps."""
    params, features, captions = make(CASES[case], dtype)
    built = {k: build(k, CASES[case], params, features, captions) for k in impls}
    ref_loss, ref_grads = built["numpy"][1]()
    tol = 1e-4 if dtype == "float32" else 1e-9
    errs = {}
    for k, (_, check) in built.items():
        loss, grads = check()
        errs[k] = max(abs(loss - ref_loss) / abs(ref_loss), max_rel_err(grads, ref_grads))
        if errs[k] > tol:
            raise SystemExit(f"{k} {case} {dtype}: loss/grad mismatch vs numpy, rel err "
                             f"{errs[k]:.2e}")
    return errs, {k: v[0] for k, v in built.items()}


def run_case(case: str, dtype: str, impls: tuple, a: argparse.Namespace) -> dict:
    """Checks, isolated rounds, same-process rounds and memory of one case."""
    from threadpoolctl import threadpool_limits

    errs, steps = check_all(case, dtype, impls)
    r: dict = {"case": case, "dtype": dtype, "check_rel_err": errs}
    if a.same_process_runs:
        with threadpool_limits(a.threads):
            same = paired_times(steps, a.same_process_runs)
        r["same_ms"] = {k: 1e3 * statistics.median(v) for k, v in same.items()}
        r["same_ratio"] = {k: median_ratio(same["minigrad"], v) for k, v in same.items()}
    del steps
    rng = random.Random(a.seed)
    rounds: dict = {k: [] for k in impls}
    for _ in range(a.rounds):
        order = list(impls)
        rng.shuffle(order)
        for k in order:
            rep = run_child(k, case, dtype, a.steps, a.threads)
            rounds[k].append(statistics.median(rep["cpu_ms" if a.clock == "cpu" else "ms"]))
            r.setdefault("threads", {})[k] = rep["threads"]
    r["rounds_ms"] = rounds
    r["median_ms"] = {k: statistics.median(v) for k, v in rounds.items()}
    ratios = {k: [m / x for m, x in zip(rounds["minigrad"], v, strict=True)]
              for k, v in rounds.items()}
    r["ratios"] = ratios
    r["ratio"] = {k: statistics.median(v) for k, v in ratios.items()}
    r["ratio_range"] = {k: (min(v), max(v)) for k, v in ratios.items()}
    if not a.no_memory:
        r["peak_mib"] = {k: run_child(k, case, dtype, 1, a.threads, memory=True)["peak_mib"]
                         for k in impls}
    return r


def table(r: dict) -> list[str]:
    """Markdown table of one case."""
    c = CASES[r["case"]]
    nan = float("nan")
    lines = [f"**{r['case']}** ({c.cell}, {r['dtype']}, N={c.N}, T={c.T1 - 1}, D={c.D}, "
             f"W={c.W}, H={c.H}, V={c.V}, {'padded captions' if c.padded else 'no padding'})",
             "",
             "| impl | alone: median ms | minigrad/impl | per-round range | same process: ms "
             "| same-process minigrad/impl | peak MiB | check err |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for k in r["median_ms"]:
        lo, hi = r["ratio_range"][k]
        lines.append(f"| {k} | {r['median_ms'][k]:.1f} | **{r['ratio'][k]:.2f}** | "
                     f"{lo:.2f}–{hi:.2f} | {r.get('same_ms', {}).get(k, nan):.1f} | "
                     f"{r.get('same_ratio', {}).get(k, nan):.2f} | "
                     f"{r.get('peak_mib', {}).get(k, nan):.1f} | {r['check_rel_err'][k]:.1e} |")
    return lines


def report(results: list, a: argparse.Namespace, load: tuple) -> list[str]:
    """The Markdown section: command, machine state, thread pools, one table per case."""
    import torch

    pools = {}
    for r in results:
        for k, rows in r.get("threads", {}).items():
            pools.setdefault(k, "; ".join(f"{lib} {api} {n}" for lib, api, n in rows))
    clock = ("process CPU time (all threads of the child summed: a load-robust proxy only "
             "with --threads 1)" if a.clock == "cpu" else "wall-clock time")
    lines = [f"`{a.command}` — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
             f"{os.cpu_count()} CPUs, load average {load[0]:.2f} before / {load[1]:.2f} after; "
             f"torch {torch.__version__}; {a.rounds} rounds x {a.steps} steps per process; "
             f"times are {clock}.",
             "", "Thread pools seen by each child (library, API, threads):", ""]
    lines += [f"- {k}: {v}" for k, v in pools.items()]
    for r in results:
        lines += ["", *table(r)]
    return lines


def write_results(lines: list[str], path: str = RESULTS, begin: str = BEGIN,
                  end: str = END) -> None:
    """Replace the text between the `begin` and `end` markers of RESULTS.md with `lines`
    (appended at the end, markers included, when the file lacks them)."""
    text = open(path).read() if os.path.exists(path) else ""
    if begin not in text or end not in text:
        text += f"\n{begin}\n{end}\n"
    head, _, rest = text.partition(begin)
    _, _, tail = rest.partition(end)
    with open(path, "w") as f:
        f.write(head + begin + "\n" + "\n".join(lines) + "\n" + end + tail)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.captioner",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="+", default=["lstm", "rnn", "small_lstm"],
                    choices=list(CASES))
    ap.add_argument("--dtypes", nargs="+", default=["float32"], choices=DTYPES)
    ap.add_argument("--impls", nargs="+", default=list(IMPLS), choices=IMPLS)
    ap.add_argument("--rounds", type=int_at_least(1), default=5,
                    help="isolated rounds (>= 3 for results)")
    ap.add_argument("--steps", type=int_at_least(1), default=7, help="timed steps per process")
    ap.add_argument("--threads", type=int_at_least(1), default=os.cpu_count() or 1)
    ap.add_argument("--same-process-runs", type=int_at_least(0), default=5,
                    help="0 skips the column")
    ap.add_argument("--seed", type=int, default=0, help="order of the processes in a round")
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--quick", action="store_true", help="tiny sizes, 1 round: checks it works")
    ap.add_argument("--json", type=output_file, help="also write the results here")
    ap.add_argument("--write-results", action="store_true",
                    help="rewrite the captioner tables of bench/RESULTS.md (or --results)")
    ap.add_argument("--results", type=output_file, default=RESULTS, help=argparse.SUPPRESS)
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="time steps by the wall clock (default) or by the child's CPU time")
    ap.add_argument("--section", default="",
                    help="write to the markers bench.captioner[:SECTION]:begin/end instead")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    ap.add_argument("--memory", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        for what, value, allowed in zip(("impl", "case", "dtype"), a.child,
                                        (IMPLS, CASES, DTYPES), strict=True):
            if value not in allowed:
                ap.error(f"argument --child: expected {what} in {', '.join(allowed)}, "
                         f"got {value!r}")
        return _child(*a.child, a.steps, a.threads, a.memory)
    if a.quick:
        a.cases = [c for c in a.cases if c.startswith("tiny")] or ["tiny_lstm", "tiny_rnn"]
        a.rounds, a.steps, a.same_process_runs = 1, 2, min(a.same_process_runs, 2)
    a.command = "python -m bench.captioner " + " ".join(argv if argv is not None
                                                         else sys.argv[1:])
    import torch

    torch.set_num_threads(a.threads)
    impls = tuple(dict.fromkeys(["minigrad", "numpy", *a.impls]))
    load0 = os.getloadavg()[0]
    results = []
    for case in a.cases:
        for dtype in a.dtypes:
            results.append(run_case(case, dtype, impls, a))
            print("\n".join(["", *table(results[-1])]), flush=True)
    lines = report(results, a, (load0, os.getloadavg()[0]))
    print("\n".join(lines[:lines.index("") + 1]))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    if a.write_results:
        tag = f"bench.captioner:{a.section}" if a.section else "bench.captioner"
        png = "captioner" + (f"-{a.section}" if a.section else "") + ".png"
        ratio_figure(results, os.path.join(os.path.dirname(os.path.abspath(a.results)), png),
                     f"minigrad / peer, each alone in its process ({a.rounds} rounds, "
                     f"{a.threads} thread(s), {a.clock} clock)")
        lines += ["", f"![Every round's minigrad/peer ratio, its median and the targets]({png})"]
        write_results(lines, a.results, f"<!-- {tag}:begin -->", f"<!-- {tag}:end -->")


if __name__ == "__main__":
    main()
