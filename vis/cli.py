"""`python -m vis {parity,saliency,fool,classvis,train-builtin,demo}`: the torch side's commands."""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

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
        else:
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
    from vis.squeezenet import load_squeezenet
    return load_squeezenet(args.weights)


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
    """Captioning demo (zoo), parity table, visualization grids, then report.html."""
    from vis.figures import make_all
    from vis.parity.cases import CASES
    from vis.parity.runner import run_all
    from vis.report import write_report
    from zoo.captioning.demo import run_demo

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    captioning = run_demo(out, seed=args.seed)
    t1 = time.perf_counter()
    rows = run_all(CASES, seed=args.seed)
    parity = {"seed": args.seed, "all_passed": all(r.passed for r in rows),
              "torch": torch.__version__, "rows": [r.to_dict() for r in rows]}
    (out / "parity.json").write_text(json.dumps(parity, indent=1))
    print(f"parity: {sum(r.passed for r in rows)}/{len(rows)} cases pass")
    t2 = time.perf_counter()
    visuals = make_all(out, args.weights, seed=100 + args.seed)
    for key in ("saliency", "fooling", "classviz"):
        visuals[key]["png"] = Path(visuals[key]["png"]).name
        print(f"{key}: {visuals[key]['stats']}")
    t3 = time.perf_counter()
    import torchvision
    meta = {"command": DEMO_COMMAND, "seed": args.seed, "python": platform.python_version(),
            "numpy": np.__version__, "torch": torch.__version__,
            "torchvision": torchvision.__version__,
            "timings (s)": f"captioning {t1 - t0:.0f}, parity {t2 - t1:.0f}, "
                           f"visualizations {t3 - t2:.0f}, total {t3 - t0:.0f}"}
    path = write_report(out, meta, captioning, parity, visuals)
    print(f"wrote {path} (open it in a browser); total {t3 - t0:.0f} s")
    return 0 if parity["all_passed"] else 1


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m vis", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name, help_ in (("saliency", "saliency maps"), ("fool", "a fooling image"),
                        ("classvis", "class visualization"), ("demo", "the whole demo + report")):
        s = sub.add_parser(name, help=help_)
        s.add_argument("--weights", default="builtin",
                       help="'builtin', 'imagenet' (torch hub cache) or a path to a state dict")
        s.add_argument("--image", help="image path, http(s)/file URL, or a scikit-image photo "
                                       "name such as 'chelsea' (default: built-in world images)")
        s.add_argument("--target", type=int, help="target class (default: predicted / next)")
        s.add_argument("--out", default="runs/vis" if name != "demo" else "runs/demo")
        s.add_argument("--seed", type=int, default=0)
        s.add_argument("--objective", choices=("score", "pre_relu"),
                       default="score" if name == "saliency" else "pre_relu")
        s.add_argument("--iterations", type=int, default=100)
        s.add_argument("--n", type=int, default=6, help="built-in images to show")
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
    from vis.squeezenet import WeightsMismatchError, WeightsNotFoundError
    try:
        return {"saliency": cmd_saliency, "fool": cmd_fool, "classvis": cmd_classvis,
                "demo": cmd_demo}[args.cmd](args)
    except (WeightsNotFoundError, WeightsMismatchError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
