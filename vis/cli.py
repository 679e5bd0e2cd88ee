"""`python -m vis {parity,saliency,fool,classvis,train-builtin,demo,report}`: the torch side's
commands. Numeric options are range-checked when the command line is parsed; an --out that
is a file, an --image that is not an image file and a --target beyond the network's classes are
refused in one line (exit status 2); the library's named errors about bad input (images,
weights, data) and OSErrors about a path are one line `python -m vis CMD: error: ...` with exit
status 1. Any other exception is a bug and keeps its traceback."""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import torch

from zoo.arguments import SEED, float_above, int_at_least  # noqa: F401 (re-exported)

DEMO_COMMAND = "make demo  (= python -m vis demo --out runs/demo)"


def _images(args: argparse.Namespace, n: int) -> tuple[torch.Tensor, list[int], np.ndarray]:
    """(X (N,3,S,S) preprocessed, labels, uint8 images) from --image or the built-in world."""
    from vis.image import image_from_url, load_skimage_photo, preprocess
    from zoo.datasets.shapes import make_shapes

    if args.image:
        src = args.image
        if "://" in src:
            img = image_from_url(src)
        elif Path(src).is_file():
            img = image_from_url(Path(src).resolve().as_uri())
        else:  # a bundled photo name (check_image refused anything else)
            img = load_skimage_photo(src)
        if args.weights != "builtin":
            from PIL import Image
            img = np.asarray(Image.fromarray(img).resize((224, 224)))
        img = img[None]
        labels = [-1]
    else:
        world = make_shapes(n, seed=args.seed)
        img, labels = world.images, [int(k) for k in world.labels]
    return preprocess(img), labels, img


def _load(args: argparse.Namespace) -> torch.nn.Module:
    """The SqueezeNet of --weights; a --target beyond its classes is a CommandError."""
    from vis.squeezenet import load_squeezenet
    model = load_squeezenet(args.weights)
    target = getattr(args, "target", None)
    classes = model.classifier[1].out_channels
    if target is not None and target >= classes:
        raise CommandError(f"--target {target} is out of range: the {args.weights} network has "
                           f"{classes} classes, expected 0..{classes - 1}")
    return model


class CommandError(ValueError):
    """A command's option does not fit what it found (a --target beyond the network's
    classes, an --image path that is not a regular file)."""


def check_image(src: str | None) -> None:
    """Refuse an --image that is neither an http(s) URL, a bundled photo name nor a regular
    file (a missing path, a folder, a FIFO, a device; a file:// URL is checked as its path)."""
    from urllib.parse import unquote, urlparse

    from vis.image import SKIMAGE_PHOTOS

    if src is None or src in SKIMAGE_PHOTOS or ("://" in src and not src.startswith("file:")):
        return
    path = Path(unquote(urlparse(src).path)) if "://" in src else Path(src)
    if path.is_file():
        return
    kind = ("a folder" if path.is_dir() else "not a regular file (a FIFO, socket or device?)"
            if path.exists() else "missing (no such file, and not a bundled photo name)")
    raise CommandError(f"--image {src} is {kind}, expected an image file, an http(s)/file URL "
                       f"or a bundled photo name {SKIMAGE_PHOTOS}")


def cmd_saliency(args: argparse.Namespace) -> int:
    from vis.figures import saliency_figure
    from vis.saliency import compute_saliency_maps

    model = _load(args)
    X, labels, imgs = _images(args, args.n)
    with torch.no_grad():
        pred = model(X).argmax(1)
    y = pred if args.target is None else torch.full_like(pred, args.target)
    sal = compute_saliency_maps(X, y, model, objective=args.objective)
    path = saliency_figure(imgs, sal, Path(args.out) / "saliency.png",
                           [f"class {int(k)}" for k in y])
    print(f"wrote {path}")
    return 0


def cmd_fool(args: argparse.Namespace) -> int:
    from vis.figures import fooling_figure
    from vis.fooling import make_fooling_image

    model = _load(args)
    X, _, _ = _images(args, 1)
    X = X[:1]
    with torch.no_grad():
        src = int(model(X).argmax(1))
    target = args.target if args.target is not None else (src + 1) % model(X).shape[1]
    fooled, rep = make_fooling_image(X, target, model, max_iter=args.iterations,
                                     objective=args.objective, return_report=True)
    path = fooling_figure(X, fooled, Path(args.out) / "fooling.png", f"class {src}",
                          f"class {target}")
    print(f"{rep}\nwrote {path}")
    return 0 if rep.success else 1


def cmd_classvis(args: argparse.Namespace) -> int:
    from vis.class_viz import create_class_visualization
    from vis.figures import class_viz_figure

    model = _load(args)
    size = 64 if args.weights == "builtin" else 224
    target = 0 if args.target is None else args.target
    img, hist = create_class_visualization(target, model, image_size=size,
                                           num_iterations=args.iterations, seed=args.seed,
                                           objective=args.objective, return_history=True)
    path = class_viz_figure(img, Path(args.out) / "class_viz.png", [f"class {target}"])
    print(f"target prob {float(hist[0].mean()):.4f} -> {float(hist[-1].mean()):.4f}\nwrote {path}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Captioning demo (zoo: LSTM and Transformer), parity table, visualization grids, then
    report.html."""
    from zoo.captioning.demo import TRANSFORMER_SETTINGS

    _load(args)  # bad --weights fail now, not after the captioning stage's minutes
    _, ok = build_demo(args.out, args.seed, args.weights, args.single_file,
                       {"transformer": TRANSFORMER_SETTINGS})
    return 0 if ok else 1


def build_demo(out: str | os.PathLike, seed: int = 0, weights: str = "builtin",
               single_file: bool = False, demo_options: dict | None = None,
               parity_cases: list | None = None, vis_options: dict | None = None,
               verbose: bool = True) -> tuple[Path, bool]:
    """Run the demo into the folder `out` and write its report; returns (report path, whether
    every parity case passed). The options shrink it for tests: `demo_options` go to
    `zoo.captioning.demo.run_demo`, `vis_options` to `vis.figures.make_all`, and
    `parity_cases` replaces the registry's cases."""
    say = print if verbose else (lambda *a, **k: None)
    out = output_folder(out)
    with one_torch_thread():
        return _run_stages(out, seed, weights, single_file, demo_options, parity_cases,
                           vis_options, verbose, say)


@contextlib.contextmanager
def one_torch_thread() -> Iterator[None]:
    """Run torch on one thread inside the block (every `python -m vis` command does). The
    visualizations' tensors are small, and on 2 shared cores a second thread spin-waits:
    make_all took 136 s with torch's default 2 threads and 18 s with 1 (measured with other
    processes on the cores)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _run_stages(out: Path, seed: int, weights: str, single_file: bool,
                demo_options: dict | None, parity_cases: list | None, vis_options: dict | None,
                verbose: bool, say: Callable[..., None]) -> tuple[Path, bool]:
    from vis.figures import make_all
    from vis.parity.cases import CASES
    from vis.parity.runner import run_all
    from vis.report import write_report
    from zoo.captioning.demo import run_demo

    t0 = time.perf_counter()
    captioning = run_demo(out, seed=seed, verbose=verbose, **(demo_options or {}))
    t1 = time.perf_counter()
    rows = run_all(CASES if parity_cases is None else parity_cases, seed=seed)
    parity = {"seed": seed, "all_passed": all(r.passed for r in rows),
              "torch": torch.__version__, "rows": [r.to_dict() for r in rows]}
    _write_json(out / "parity.json", parity)
    say(f"parity: {sum(r.passed for r in rows)}/{len(rows)} cases pass")
    t2 = time.perf_counter()
    visuals = make_all(out, weights, seed=100 + seed, **(vis_options or {}))
    for key in ("saliency", "fooling", "classviz"):
        visuals[key]["png"] = Path(visuals[key]["png"]).name
        say(f"{key}: {visuals[key]['stats']}")
    _write_json(out / "visualizations.json", visuals)
    t3 = time.perf_counter()
    import torchvision
    meta = {"command": "python -m vis demo --single-file" if single_file else DEMO_COMMAND,
            "seed": seed, "cpus": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "torch": torch.__version__,
            "torchvision": torchvision.__version__,
            "timings_s": {"captioning": t1 - t0, "parity": t2 - t1, "visualizations": t3 - t2,
                          "total": t3 - t0}}
    _write_json(out / "run.json", meta)
    path = write_report(out, meta, captioning, parity, visuals, single_file=single_file)
    keep = "one file, figures embedded" if single_file else f"keep {out} together"
    say(f"wrote {path} (open it in a browser; {keep}); total {t3 - t0:.0f} s")
    return path, parity["all_passed"]


REPORT_INPUTS = ("run.json", "captioning.json", "parity.json", "visualizations.json")


def cmd_report(args: argparse.Namespace) -> int:
    """Write report.html again from the JSON files of an earlier demo run in --out."""
    from vis.report import write_report

    out = Path(args.out)
    missing = [name for name in REPORT_INPUTS if not (out / name).is_file()]
    if missing:
        print(f"python -m vis report: error: {out} lacks {', '.join(missing)} (run "
              f"`python -m vis demo --out {out}` first)", file=sys.stderr)
        return 2
    meta, cap, par, vis = (json.loads((out / n).read_text()) for n in REPORT_INPUTS)
    path = write_report(out, meta, cap, par, vis, single_file=args.single_file)
    print(f"wrote {path}")
    return 0


def _write_json(path: Path, obj: object) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(obj, indent=1) + "\n")
    os.replace(tmp, path)




class OutputPathError(ValueError):
    """--out names a file where a folder is expected, or a folder that cannot be made."""


def output_folder(path: str | os.PathLike, option: str = "--out") -> Path:
    """Make the output folder `path` (parents too) and return it; a file there (or a file
    where a parent folder should be) is an OutputPathError naming the option and the path."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise OutputPathError(f"{option} {out} is an existing file, expected a folder (give a "
                              "new or existing folder path)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputPathError(f"{option} {out}: cannot make this folder ({e.strerror})") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise OutputPathError(f"{option} {out}: this folder is not writable")
    return out


# The options each figure command uses (a command is never given one it would ignore:
# classvis starts from noise, so `classvis --image X` is refused by argparse).
OPTIONS = {"saliency": ("image", "target", "objective", "n"),
           "fool": ("image", "target", "objective", "iterations"),
           "classvis": ("target", "objective", "iterations"),
           "demo": ("single-file",)}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m vis", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name, help_ in (("saliency", "saliency maps"), ("fool", "a fooling image"),
                        ("classvis", "class visualization"), ("demo", "the whole demo + report")):
        s = sub.add_parser(name, help=help_)
        uses = OPTIONS[name]
        s.add_argument("--weights", default="builtin",
                       help="'builtin', 'imagenet' (torch hub cache) or a path to a state dict")
        if "image" in uses:
            s.add_argument("--image", help="image path, http(s)/file URL, or a scikit-image "
                           "photo name such as 'chelsea' (default: built-in world images)")
        if "target" in uses:
            s.add_argument("--target", type=int_at_least(0),
                           help="target class, 0..classes-1 (default: predicted / next)")
        s.add_argument("--out", default="runs/vis" if name != "demo" else "runs/demo",
                       help="output folder (made if missing)")
        s.add_argument("--seed", type=SEED, default=0)
        if "objective" in uses:
            s.add_argument("--objective", choices=("score", "pre_relu"),
                           default="score" if name == "saliency" else "pre_relu")
        if "iterations" in uses:
            s.add_argument("--iterations", type=int_at_least(1), default=100)
        if "n" in uses:
            s.add_argument("--n", type=int_at_least(1, 65), default=6,
                           help="built-in images to show (1-64)")
        if "single-file" in uses:
            s.add_argument("--single-file", action="store_true",
                           help="embed the figures in report.html (one file to share)")
    r = sub.add_parser("report", help="write report.html again from a demo folder's JSON files")
    r.add_argument("--out", default="runs/demo", help="the demo's output folder")
    r.add_argument("--single-file", action="store_true",
                   help="embed the figures in report.html (one file to share)")
    sub.add_parser("parity", help="minigrad vs torch table (options: see vis.parity)",
                   add_help=False)
    sub.add_parser("train-builtin", help="train the built-in SqueezeNet (see vis.train_builtin)",
                   add_help=False)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "parity":
        from vis.parity.__main__ import main as parity_main
        return parity_main(argv[1:])
    if argv and argv[0] == "train-builtin":
        from vis.train_builtin import main as train_main
        return train_main(argv[1:])
    args = _parser().parse_args(argv)
    try:
        output_folder(args.out)
        check_image(getattr(args, "image", None))
    except (OutputPathError, CommandError) as e:
        return _error(args.cmd, e, 2)
    try:
        with one_torch_thread():
            return {"saliency": cmd_saliency, "fool": cmd_fool, "classvis": cmd_classvis,
                    "demo": cmd_demo, "report": cmd_report}[args.cmd](args)
    except _named_errors() as e:
        from vis.squeezenet import WeightsNotFoundError
        usage = (WeightsNotFoundError, CommandError, OutputPathError)
        return _error(args.cmd, e, 2 if isinstance(e, usage) else 1)
    except OSError as e:
        if e.filename is None:  # not about a path: a real fault, keep its traceback
            raise
        return _error(args.cmd, e, 1)


def _error(cmd: str, e: BaseException, status: int) -> int:
    """Print `python -m vis CMD: error: message` (one line) and return the exit status."""
    text = " ".join(str(e).split()) or type(e).__name__
    print(f"python -m vis {cmd}: error: {text}", file=sys.stderr)
    return status


def _named_errors() -> tuple[type[BaseException], ...]:
    """The library's errors about bad input (images, weights, checkpoints, minigrad checks)."""
    from minigrad.errors import MinigradError
    from vis.image import ImageDecodeError, ImageSourceError, ImageTooLargeError
    from vis.squeezenet import ImageTooSmallError, WeightsMismatchError, WeightsNotFoundError
    from zoo.datasets.files import CocoDataError, CocoFileNotFoundError, CocoKeyError
    from zoo.datasets.vocab import VocabError

    return (CommandError, OutputPathError, ImageSourceError, ImageDecodeError,
            ImageTooLargeError, ImageTooSmallError, WeightsMismatchError, WeightsNotFoundError,
            MinigradError, CocoDataError, CocoFileNotFoundError, CocoKeyError, VocabError)

