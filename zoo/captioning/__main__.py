"""CLI: `python -m zoo.captioning {make-data,train,sample,eval,demo}`.

--data is a CS231n coco_captioning directory or a built-in world directory (default
runs/world, written by make-data). Every numeric option is range-checked when the command line
is parsed (exit status 2, e.g. "argument --beam-size: expected an integer >= 1, got 0").

Where files go (one option, one place):
  train   writes everything into --out, which it creates: OUT/checkpoint.npz (after every epoch
          and at the end) and OUT/loss.png. It takes no --checkpoint. If OUT/checkpoint.npz
          already exists, train refuses to start (exit status 1) unless
            --resume  continues it (it must be the same run: model sizes, vocabulary, seed,
                      batch size, data, lr and lr decay; otherwise the error lists what differs), or
            --force   overwrites it with a new run (whether it held this run or another).
  sample, eval read --checkpoint, default OUT/checkpoint.npz; they write nothing.

Models: train --model rnn (default; --cell rnn|lstm, --hidden-dim) or --model transformer
(CaptioningTransformer: --num-heads, --num-layers, --dim-feedforward, --dropout, --max-length;
--wordvec-dim must be even and divisible by --num-heads). sample and eval rebuild whichever
kind the checkpoint holds.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from zoo.arguments import float_above, int_at_least

DEFAULT_DATA = "runs/world"


def probability() -> Callable[[str], float]:
    """An argparse `type`: the text as a float in [0, 1), else a parse-time error."""
    want = "a number in [0, 1)"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {want}, got {text!r}") from None
        if not 0 <= value < 1:
            raise argparse.ArgumentTypeError(f"expected {want}, got {text}")
        return value

    parse.__name__ = want
    return parse


POSITIVE, COUNT, SEED = int_at_least(1), int_at_least(0), int_at_least(0, 2 ** 32)
UPDATE_RULES = ("adam", "sgd", "sgd_momentum", "rmsprop")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m zoo.captioning", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", default=DEFAULT_DATA,
                        help="coco_captioning dir or built-in world dir (default %(default)s)")
    common.add_argument("--out", default="runs/captioner", help="output directory")
    common.add_argument("--seed", type=SEED, default=0)
    common.add_argument("--cell", choices=("rnn", "lstm"), default="lstm")
    common.add_argument("--epochs", type=COUNT, default=5)
    common.add_argument("--pca", choices=("auto", "yes", "no"), default="auto",
                        help="PCA features (auto: yes for COCO, no for the world)")
    common.add_argument("--beam-size", type=POSITIVE, default=1)
    reading = argparse.ArgumentParser(add_help=False)
    reading.add_argument("--checkpoint", default=None, help="default OUT/checkpoint.npz")
    md = sub.add_parser("make-data", parents=[common], help="write the built-in world + features")
    md.add_argument("--n-train", type=POSITIVE, default=4000)
    md.add_argument("--n-val", type=POSITIVE, default=500)
    md.add_argument("--encoder-epochs", type=POSITIVE, default=12, help="as the demo's encoder")
    tr = sub.add_parser("train", parents=[common], help="train a captioner on --data into --out")
    tr.add_argument("--model", choices=("rnn", "transformer"), default="rnn",
                    help="CaptioningRNN (with --cell) or CaptioningTransformer")
    tr.add_argument("--hidden-dim", type=POSITIVE, default=128)
    tr.add_argument("--num-heads", type=POSITIVE, default=4, help="transformer")
    tr.add_argument("--num-layers", type=POSITIVE, default=2, help="transformer")
    tr.add_argument("--dim-feedforward", type=POSITIVE, default=128, help="transformer")
    tr.add_argument("--dropout", type=probability(), default=0.1, help="transformer")
    tr.add_argument("--max-length", type=POSITIVE, default=50,
                    help="transformer: longest caption (positions) it can read or write")
    tr.add_argument("--update-rule", choices=UPDATE_RULES, default="adam")
    tr.add_argument("--wordvec-dim", type=POSITIVE, default=64)
    tr.add_argument("--lr", type=float_above(0), default=5e-3)
    tr.add_argument("--lr-decay", type=float_above(0), default=0.9)
    tr.add_argument("--batch-size", type=POSITIVE, default=100)
    tr.add_argument("--max-train", type=POSITIVE, default=None,
                    help="train on the first N captions only")
    tr.add_argument("--resume", action="store_true", help="continue OUT/checkpoint.npz")
    tr.add_argument("--force", action="store_true",
                    help="overwrite an existing OUT/checkpoint.npz with a new run")
    tr.add_argument("--checkpoint", default=None, help=argparse.SUPPRESS)  # refused, see doc
    sm = sub.add_parser("sample", parents=[common, reading], help="caption a few val images")
    sm.add_argument("-n", type=POSITIVE, default=8)
    sub.add_parser("eval", parents=[common, reading], help="val corpus BLEU-1..4")
    dm = sub.add_parser("demo", parents=[common],
                        help="world + encoder + LSTM and Transformer + BLEU + figures")
    dm.add_argument("--n-train", type=POSITIVE, default=4000)
    dm.add_argument("--n-val", type=POSITIVE, default=500)
    dm.add_argument("--no-transformer", action="store_true",
                    help="train only the RNN/LSTM captioner (not the Transformer beside it)")
    return p


def _data(args: argparse.Namespace) -> dict:
    from zoo.captioning.demo import load_data

    return load_data(args.data, None if args.pca == "auto" else args.pca == "yes")


def _fail(command: str, message: str) -> int:
    print(f"python -m zoo.captioning {command}: error: {message}", file=sys.stderr)
    return 1


class CommandError(ValueError):
    """The command's inputs do not fit together (a checkpoint and --data of other runs)."""


def _named(e: BaseException) -> bool:
    """An error this project raises on purpose (its message names the problem), or an OS error
    about a path: shown as one line, not a traceback."""
    return isinstance(e, (OSError, CommandError)) or \
        type(e).__module__.split(".")[0] in ("minigrad", "zoo")


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the exit status (2 for a bad command line, 1 for a refusal
    or an unreadable file, with one line naming it)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return _run(parser, args)
    except Exception as e:
        if not _named(e):
            raise
        return _fail(args.command, str(e) or type(e).__name__)


def _check_vocab(command: str, checkpoint: Path, model: Any, data: dict) -> None:
    """The checkpoint's vocabulary must be the data's, or its word ids would be misread."""
    if dict(model.word_to_idx) != dict(data["word_to_idx"]):
        mine, theirs = set(model.word_to_idx.items()), set(data["word_to_idx"].items())
        differ = sorted(w for w, _ in mine ^ theirs)
        raise CommandError(f"the vocabulary of {checkpoint} ({len(model.word_to_idx)} "
                         f"words) is not the one of --data ({len(data['word_to_idx'])} words; "
                         f"they differ at {differ[:6]}): use the data it was trained on")


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """`main` after parsing."""
    if args.command == "train" and args.checkpoint is not None:
        parser.error("argument --checkpoint: train writes everything into --out "
                     "(OUT/checkpoint.npz, OUT/loss.png) and --resume continues "
                     "OUT/checkpoint.npz; --checkpoint is only for sample and eval")
    if args.command == "train" and args.model == "transformer" and (
            args.wordvec_dim % args.num_heads or args.wordvec_dim % 2):
        parser.error(f"argument --wordvec-dim: expected an even number divisible by "
                     f"--num-heads = {args.num_heads} for the transformer, got "
                     f"{args.wordvec_dim}")
    if args.command == "train" and args.resume and args.force:
        parser.error("argument --force: not allowed with --resume (--resume continues "
                     "OUT/checkpoint.npz, --force overwrites it)")
    if args.command == "demo":
        from zoo.captioning.demo import TRANSFORMER_SETTINGS, run_demo

        run_demo(args.out, seed=args.seed, n_train=args.n_train, n_val=args.n_val,
                 epochs=args.epochs, cell_type=args.cell,
                 transformer=None if args.no_transformer else TRANSFORMER_SETTINGS)
    elif args.command == "make-data":
        from zoo.captioning.demo import make_world

        make_world(args.data, args.n_train, args.n_val, args.seed, args.encoder_epochs)
    elif args.command == "train":
        return _train(args)
    elif args.command in ("sample", "eval"):
        from zoo.captioning.checkpoint import load_captioner
        from zoo.captioning.metrics import evaluate_bleu
        from zoo.captioning.train import decode_length

        checkpoint = Path(args.checkpoint or Path(args.out) / "checkpoint.npz")
        model = load_captioner(checkpoint)
        data = _data(args)
        _check_vocab(args.command, checkpoint, model, data)
        D = np.shape(data["val_features"])[1]
        if D != model.config.input_dim:
            raise CommandError(f"{checkpoint} takes features of width "
                             f"{model.config.input_dim}, --data {args.data} has {D} (--pca "
                             f"{args.pca}); pass the --pca setting it was trained with")
        n = args.n if args.command == "sample" else None
        res = evaluate_bleu(model, data, "val", max_images=n, max_length=decode_length(model),
                            beam_size=args.beam_size)
        if args.command == "sample":
            for i, h, rs in zip(res["images"], res["hypotheses"], res["references"], strict=True):
                print(f"val image {int(i)}: {' '.join(h)!r}\n  references: "
                      + " | ".join(" ".join(r) for r in rs))
        else:
            _print_bleu(res)
    return 0


def _train(args: argparse.Namespace) -> int:
    """`train`: everything into OUT; an existing OUT/checkpoint.npz needs --resume or --force."""
    from minigrad.nn.serialization import CheckpointError, load_npz
    from zoo.captioning.model import CaptioningRNN
    from zoo.captioning.train import CaptioningSolver
    from zoo.captioning.transformer import CaptioningTransformer

    out = Path(args.out)
    ckpt = out / "checkpoint.npz"
    if out.exists() and not out.is_dir():
        return _fail("train", f"--out {out} exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        return _fail("train", f"--out {out}: cannot make this folder ({e.strerror})")
    if args.resume and not ckpt.is_file():
        return _fail("train", f"--resume: there is no {ckpt} to continue")
    data = _data(args)
    if args.max_train is not None:
        data["train_captions"] = data["train_captions"][:args.max_train]
        data["train_image_idxs"] = data["train_image_idxs"][:args.max_train]
    D = data["train_features"].shape[1]
    if args.model == "transformer":
        T = data["train_captions"].shape[1] - 1
        if T > args.max_length:
            return _fail("train", f"--max-length {args.max_length} is shorter than the "
                         f"training captions ({T} words in); pass --max-length >= {T}")
        model: Any = CaptioningTransformer(
            data["word_to_idx"], D, args.wordvec_dim, num_heads=args.num_heads,
            num_layers=args.num_layers, max_length=args.max_length,
            dim_feedforward=args.dim_feedforward, dropout=args.dropout, seed=args.seed)
    else:
        model = CaptioningRNN(data["word_to_idx"], input_dim=D, wordvec_dim=args.wordvec_dim,
                              hidden_dim=args.hidden_dim, cell_type=args.cell, seed=args.seed)
    solver = CaptioningSolver(model, data, update_rule=args.update_rule,
                              optim_config={"learning_rate": args.lr},
                              lr_decay=args.lr_decay, batch_size=args.batch_size,
                              num_epochs=args.epochs, print_every=100, seed=args.seed,
                              checkpoint_dir=str(out))
    if args.resume:
        try:
            solver.resume(ckpt)
        except CheckpointError as e:
            return _fail("train", str(e))
    elif ckpt.exists() and not args.force:
        try:
            diffs = solver.run_differences(load_npz(ckpt))
        except CheckpointError as e:
            return _fail("train", f"{ckpt} exists but cannot be read ({e}); pass --force to "
                         "overwrite it, or choose another --out")
        if diffs:
            return _fail("train", f"{ckpt} holds a different run ({'; '.join(diffs)}); pass "
                         "--force to overwrite it, or choose another --out")
        return _fail("train", f"{ckpt} already holds this run; pass --resume to continue it "
                     "or --force to start it again from scratch")
    out.mkdir(parents=True, exist_ok=True)
    solver.train()
    solver.save_checkpoint(ckpt)
    solver.plot_loss(out / "loss.png")
    _print_bleu(solver.check_bleu("val", beam_size=args.beam_size))
    print(f"wrote {ckpt} and {out / 'loss.png'}")
    return 0


def _print_bleu(res: dict) -> None:
    print(f"val corpus BLEU-1..4 ({res['n_images']} images, all references): "
          + "  ".join(f"{res[k]:.4f}" for k in ("bleu1", "bleu2", "bleu3", "bleu4")))


if __name__ == "__main__":
    sys.exit(main())
