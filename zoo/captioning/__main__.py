"""CLI: `python -m zoo.captioning {make-data,train,sample,eval,demo}`.

--data is a CS231n coco_captioning directory or a built-in world directory (default
runs/world, written by make-data); train writes OUT/checkpoint.npz and OUT/loss.png;
sample and eval read that checkpoint (or --checkpoint).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_DATA = "runs/world"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m zoo.captioning", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", default=DEFAULT_DATA,
                        help="coco_captioning dir or built-in world dir (default %(default)s)")
    common.add_argument("--out", default="runs/captioner", help="output directory")
    common.add_argument("--seed", type=int, default=0)
    common.add_argument("--cell", choices=("rnn", "lstm"), default="lstm")
    common.add_argument("--epochs", type=int, default=5)
    common.add_argument("--pca", choices=("auto", "yes", "no"), default="auto",
                        help="PCA features (auto: yes for COCO, no for the world)")
    common.add_argument("--checkpoint", default=None, help="default OUT/checkpoint.npz")
    common.add_argument("--beam-size", type=int, default=1)
    md = sub.add_parser("make-data", parents=[common], help="write the built-in world + features")
    md.add_argument("--n-train", type=int, default=4000)
    md.add_argument("--n-val", type=int, default=500)
    md.add_argument("--encoder-epochs", type=int, default=12, help="as the demo's encoder")
    tr = sub.add_parser("train", parents=[common], help="train a captioner on --data")
    tr.add_argument("--hidden-dim", type=int, default=128)
    tr.add_argument("--wordvec-dim", type=int, default=64)
    tr.add_argument("--lr", type=float, default=5e-3)
    tr.add_argument("--lr-decay", type=float, default=0.9)
    tr.add_argument("--batch-size", type=int, default=100)
    tr.add_argument("--max-train", type=int, default=None)
    tr.add_argument("--resume", action="store_true", help="continue OUT/checkpoint.npz")
    sm = sub.add_parser("sample", parents=[common], help="caption a few val images")
    sm.add_argument("-n", type=int, default=8)
    sub.add_parser("eval", parents=[common], help="val corpus BLEU-1..4")
    dm = sub.add_parser("demo", parents=[common], help="world + encoder + LSTM + BLEU + figures")
    dm.add_argument("--n-train", type=int, default=4000)
    dm.add_argument("--n-val", type=int, default=500)
    return p


def _data(args: argparse.Namespace) -> dict:
    from zoo.captioning.demo import load_data

    return load_data(args.data, None if args.pca == "auto" else args.pca == "yes")


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the exit status."""
    args = _parser().parse_args(argv)
    ckpt = Path(args.checkpoint or Path(args.out) / "checkpoint.npz")
    if args.command == "demo":
        from zoo.captioning.demo import run_demo

        run_demo(args.out, seed=args.seed, n_train=args.n_train, n_val=args.n_val,
                 epochs=args.epochs, cell_type=args.cell)
    elif args.command == "make-data":
        from zoo.captioning.demo import make_world

        make_world(args.data, args.n_train, args.n_val, args.seed, args.encoder_epochs)
    elif args.command == "train":
        from zoo.captioning.demo import load_data
        from zoo.captioning.model import CaptioningRNN
        from zoo.captioning.train import CaptioningSolver

        data = load_data(args.data, None if args.pca == "auto" else args.pca == "yes")
        if args.max_train is not None:
            data["train_captions"] = data["train_captions"][:args.max_train]
            data["train_image_idxs"] = data["train_image_idxs"][:args.max_train]
        model = CaptioningRNN(data["word_to_idx"], input_dim=data["train_features"].shape[1],
                              wordvec_dim=args.wordvec_dim, hidden_dim=args.hidden_dim,
                              cell_type=args.cell, seed=args.seed)
        solver = CaptioningSolver(model, data, optim_config={"learning_rate": args.lr},
                                  lr_decay=args.lr_decay, batch_size=args.batch_size,
                                  num_epochs=args.epochs, print_every=100, seed=args.seed,
                                  checkpoint_dir=str(ckpt.parent))
        if args.resume:
            solver.resume(ckpt)
        solver.train()
        solver.save_checkpoint(ckpt)
        solver.plot_loss(ckpt.parent / "loss.png")
        _print_bleu(solver.check_bleu("val", beam_size=args.beam_size))
        print(f"wrote {ckpt} and {ckpt.parent / 'loss.png'}")
    elif args.command in ("sample", "eval"):
        from zoo.captioning.metrics import evaluate_bleu
        from zoo.captioning.train import load_captioner

        model = load_captioner(ckpt)
        data = _data(args)
        n = args.n if args.command == "sample" else None
        res = evaluate_bleu(model, data, "val", max_images=n, beam_size=args.beam_size)
        if args.command == "sample":
            for i, h, rs in zip(res["images"], res["hypotheses"], res["references"], strict=True):
                print(f"val image {int(i)}: {' '.join(h)!r}\n  references: "
                      + " | ".join(" ".join(r) for r in rs))
        else:
            _print_bleu(res)
    return 0


def _print_bleu(res: dict) -> None:
    print(f"val corpus BLEU-1..4 ({res['n_images']} images, all references): "
          + "  ".join(f"{res[k]:.4f}" for k in ("bleu1", "bleu2", "bleu3", "bleu4")))


if __name__ == "__main__":
    sys.exit(main())
