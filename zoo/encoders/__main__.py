"""`python -m zoo.encoders DIR`: train the shapes encoder on DIR's world and write its features."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from zoo.arguments import int_at_least
from zoo.datasets.shapes import IMAGES_FILE, load_shapes_split, write_shapes_dataset
from zoo.encoders.cnn import EncoderConfig, encode_dataset, evaluate, save_encoder, train_encoder


def main(argv: list[str] | None = None) -> None:
    """Write the world if DIR has none, train, report val accuracy, save weights and features."""
    ap = argparse.ArgumentParser(prog="python -m zoo.encoders", description=__doc__)
    ap.add_argument("base_dir", type=Path)
    positive = int_at_least(1)
    ap.add_argument("--n-train", type=positive, default=4000)
    ap.add_argument("--n-val", type=positive, default=500)
    ap.add_argument("--epochs", type=positive, default=8)
    ap.add_argument("--seed", type=int_at_least(0, 2 ** 32), default=0)
    ap.add_argument("--pca-dim", type=positive, default=64,
                    help="at most min(n_train, feature_dim)")
    ap.add_argument("--weights", type=Path, default=None,
                    help="where to save the encoder (default DIR/shapes_encoder.npz)")
    args = ap.parse_args(argv)
    try:
        _run(args)
    except Exception as e:  # a named error or an OS error about a path: one line, status 1
        if not (isinstance(e, OSError) or type(e).__module__.split(".")[0] in ("minigrad", "zoo")):
            raise
        print(f"python -m zoo.encoders: error: {e}", file=sys.stderr)
        sys.exit(1)


def _run(args: argparse.Namespace) -> None:
    """`main` after parsing."""
    if args.base_dir.exists() and not args.base_dir.is_dir():
        raise NotADirectoryError(f"{args.base_dir} is not a directory (give the world's folder)")
    if not (args.base_dir / IMAGES_FILE).is_file():
        write_shapes_dataset(args.base_dir, args.n_train, args.n_val, seed=args.seed)
    x_tr, _, y_tr = load_shapes_split(args.base_dir, "train")
    x_va, _, y_va = load_shapes_split(args.base_dir, "val")
    t0 = time.perf_counter()
    enc, hist = train_encoder(x_tr, y_tr, EncoderConfig(), epochs=args.epochs, seed=args.seed,
                              val=(x_va, y_va))
    print(f"trained on {len(y_tr)} images in {time.perf_counter() - t0:.1f} s; "
          f"val accuracy per epoch: {', '.join(f'{a:.3f}' for a in hist['val_acc'])}")
    weights = args.weights or args.base_dir / "shapes_encoder.npz"
    save_encoder(enc, weights)
    paths = encode_dataset(args.base_dir, enc, pca_dim=args.pca_dim)
    print(f"val accuracy {evaluate(enc, x_va, y_va):.3f}; weights {weights}; features "
          + ", ".join(p.name for p in paths.values()))


if __name__ == "__main__":
    main()
