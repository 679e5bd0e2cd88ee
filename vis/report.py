"""One self-contained HTML page for `make demo`: captions, parity table, visualization grids."""
from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any


def _fmt(x: Any) -> str:
    return f"{x:.1e}" if isinstance(x, float) else html.escape(str(x))


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _img(path: str, alt: str) -> str:
    return f'<figure><img src="{html.escape(path)}" alt="{html.escape(alt)}"><figcaption>' \
           f"{html.escape(alt)}</figcaption></figure>"


def captioning_section(cap: dict) -> str:
    """BLEU, the caption grid, the loss curve and sample captions from captioning.json."""
    names = ("bleu1", "bleu2", "bleu3", "bleu4")
    rows = [["all references"] + [f"{cap['bleu'][k]:.4f}" for k in names]]
    if "bleu_first_reference" in cap:
        rows.append(["first reference only"]
                    + [f"{cap['bleu_first_reference'][k]:.4f}" for k in names])
    extra = ""
    if "layout_accuracy" in cap:
        acc = cap["layout_accuracy"]
        extra = (f"<p>Generated captions that state the true position/relation (checked on "
                 f"the scene's objects): <b>{acc['all']:.3f}</b> (one object "
                 f"{acc['one_object']:.3f}, two objects {acc['two_objects']:.3f}).</p>")
    samples = _table(["val image", "generated", "references"],
                     [[s["image"], html.escape(s["generated"]),
                       "<br>".join(html.escape(r) for r in s["references"])]
                      for s in cap.get("samples", [])])
    files = cap.get("files", {})
    return (f"<h2>Image captioning ({html.escape(cap['cell_type'])}, minigrad)</h2>"
            f"<p>Val corpus BLEU on {cap['n_val_images']} images (nltk corpus_bleu).</p>"
            + _table(["references", "BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4"], rows) + extra
            + _img(files.get("captions_png", "captions.png"), "val images, generated captions")
            + _img(files.get("loss_png", "loss.png"), "training loss") + samples)


def parity_section(par: dict) -> str:
    """The minigrad-vs-torch parity table from `python -m vis.parity --json`."""
    rows = []
    for r in par["rows"]:
        grads = ", ".join(f"{k}: {_fmt(v)}" for k, v in r["grad_errors"].items())
        ok = '<span class="ok">pass</span>' if r["passed"] else '<span class="bad">FAIL</span>'
        rows.append([html.escape(r["label"]), _fmt(r["forward_error"]), grads,
                     _fmt(r["tolerance"]) if "tolerance" in r else "", ok])
    status = "all pass" if par["all_passed"] else "FAILURES"
    return (f"<h2>Torch parity ({status})</h2><p>float64, max absolute error, seed "
            f"{par['seed']}, torch {html.escape(par['torch'])}.</p>"
            + _table(["case", "forward", "gradients", "tolerance", ""], rows))


def visualization_section(vis: dict) -> str:
    """Saliency, fooling and class-visualization grids and their measured numbers."""
    parts = ["<h2>SqueezeNet visualizations</h2>",
             f"<p>Model: {html.escape(vis['model'])}.</p>"]
    for key, title in (("saliency", "Saliency maps"), ("fooling", "Fooling images"),
                       ("classviz", "Class visualization")):
        if key in vis:
            sec = vis[key]
            stats = "".join(f"<li>{html.escape(k)}: {html.escape(str(v))}</li>"
                            for k, v in sec.get("stats", {}).items())
            parts.append(f"<h3>{title}</h3><ul>{stats}</ul>" + _img(sec["png"], title))
    return "".join(parts)


def write_report(out_dir: str | os.PathLike, meta: dict, captioning: dict | None,
                 parity: dict | None, visuals: dict | None) -> Path:
    """Write `out_dir/report.html` (images referenced relative to it) atomically; returns it."""
    out = Path(out_dir)
    meta_rows = [[html.escape(k), html.escape(str(v))] for k, v in meta.items()]
    body = [f"<h1>minigrad demo</h1>{_table(['', ''], meta_rows)}"]
    if captioning:
        body.append(captioning_section(captioning))
    if parity:
        body.append(parity_section(parity))
    if visuals:
        body.append(visualization_section(visuals))
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>minigrad demo</title>"
            "<style>body{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em}"
            "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;"
            "padding:2px 6px;font-size:13px;text-align:left}img{max-width:100%}"
            ".ok{color:green}.bad{color:red;font-weight:bold}</style></head><body>"
            + "".join(body) + "</body></html>\n")
    path = out / "report.html"
    tmp = out / ".report.html.tmp"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return path
