"""The report's captioning section: scores, LSTM vs Transformer, loss curves, caption cards.

Reads `zoo.captioning.demo.run_demo`'s summary (captioning.json); figures and thumbnails are
files named relative to the report folder `base`.
"""
from __future__ import annotations

from pathlib import Path

from vis.report_html import esc, figure, num, pct, png_size, table

BLEU = ("bleu1", "bleu2", "bleu3", "bleu4")
MODEL_NAMES = {"lstm": "LSTM", "rnn": "vanilla RNN", "transformer": "Transformer"}


def model_name(kind: str) -> str:
    """A model kind ('lstm', 'transformer', ...) as people write it."""
    return MODEL_NAMES.get(kind, kind)


def _mark(ok: bool) -> str:
    return ('<span class="ok" title="layout correct">&#10003; layout right</span>' if ok else
            '<span class="bad" title="layout wrong">&#10007; layout wrong</span>')


def _intro(cap: dict) -> str:
    w, n = cap.get("world", {}), cap.get("n_val_images", "?")
    kind = model_name(cap.get("cell_type", "lstm"))
    extra = (" and a Transformer captioner on the same features" if
             "transformer" in cap.get("comparison", {}) else "")
    return (f"<p><b>What was run.</b> A synthetic world of coloured shapes "
            f"({num(w.get('n_train_images'))} train and {num(w.get('n_val_images'))} val images, "
            "64&times;64 pixels) where every image has four reference captions stating where "
            "its large object is, or how it lies relative to a second, small object. A small "
            "CNN trained on this world turns each image into a feature vector, and an "
            f"{kind} captioner written on minigrad{extra} learns to write captions from those "
            "features (the CS231n assignment-3 setup, with the world in place of COCO).</p>"
            f"<p><b>How to read it.</b> BLEU-n counts how many of a generated caption's 1- to "
            f"n-word sequences appear in that image's references (corpus BLEU over all {n} val "
            "images; 0 = none, 1 = all). Scored against a single canonical reference, BLEU is "
            "lower even for correct captions, since the world phrases each fact four ways. "
            "<i>Layout right</i> is checked against the scene itself, not the references: the "
            "caption must state the true position (one object) or the true relation between "
            "the two objects.</p>")


def _scores(cap: dict) -> str:
    comp = cap.get("comparison", {})
    lay = cap.get("layout_accuracy", {})
    if len(comp) > 1:
        header = ["model", "BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "layout right",
                  "one object", "two objects", "val loss", "training time", "parameters"]
        rows = []
        for kind, r in comp.items():
            la = r["layout_accuracy"]
            rows.append([f"<b>{esc(model_name(kind))}</b>", *(num(r["bleu"][k]) for k in BLEU),
                         pct(la["all"]), pct(la.get("one_object")), pct(la.get("two_objects")),
                         num((r.get("val_loss_per_epoch") or [None])[-1]),
                         f"{r['train_seconds']:.1f} s", f"{r['parameters']:,}"])
        note = (f"<p>Both models see the same features, captions and val images "
                f"({num(cap.get('n_val_images'))}); BLEU is against all references; val loss "
                "is the loss per caption on val after the last epoch; training time is the "
                "solver's wall clock (no evaluation).</p>")
        return table(header, rows, numeric=range(1, 11)) + note
    rows = [["all references", *(num(cap["bleu"][k], 4) for k in BLEU)]]
    if "bleu_first_reference" in cap:
        rows.append(["first reference only",
                     *(num(cap["bleu_first_reference"][k], 4) for k in BLEU)])
    out = table(["scored against", "BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4"], rows,
                numeric=(1, 2, 3, 4))
    if lay:
        n1, n2 = lay.get("n_one_object"), lay.get("n_two_objects")
        one = f" of {n1}" if n1 is not None else ""
        two = f" of {n2}" if n2 is not None else ""
        out += (f"<p>Layout right (the caption states the true position or relation): "
                f"<b>{pct(lay['all'])}</b> of {num(cap.get('n_val_images'))} val captions; "
                f"{pct(lay.get('one_object'))}{one} images with one object, "
                f"{pct(lay.get('two_objects'))}{two} with two.</p>")
    return out


def _caption_cards(base: Path, cap: dict) -> str:
    samples = cap.get("samples", [])
    if not samples:
        return ""
    n_bad = sum(not s.get("layout_correct", True) for s in samples)
    cards = []
    for s in samples:
        img = ""
        if s.get("thumbnail"):
            w, h = png_size(base / s["thumbnail"])
            img = (f'<img src="{esc(s["thumbnail"])}" width="{w}" height="{h}" '
                   f'alt="val image {esc(s["image"])}">')
        other = ""
        if "transformer" in s:
            t = s["transformer"]
            other = (f'<p><b>Transformer:</b> &ldquo;{esc(t["generated"])}&rdquo; '
                     f'{_mark(t["layout_correct"])}</p>')
        refs = "".join(f"<li>{esc(r)}</li>" for r in s["references"])
        kind = model_name(cap.get("cell_type", "lstm"))
        cards.append(f'<div class="cap">{img}<div class="t"><p>val image {esc(s["image"])}</p>'
                     f'<p><b>{esc(kind)}:</b> &ldquo;{esc(s["generated"])}&rdquo; '
                     f'{_mark(s.get("layout_correct", True))}</p>{other}'
                     f"<p>references:</p><ul>{refs}</ul></div></div>")
    whose = (f"whose {model_name(cap.get('cell_type', 'lstm'))} caption" if
             "transformer" in samples[0] else "whose caption")
    return (f"<h3>Val captions</h3><p>{len(samples)} val images chosen to show failures too: "
            f"the first {n_bad} {whose} states a wrong layout (&#10007;) and the first "
            f"{len(samples) - n_bad} correct ones (&#10003;), in val order. Each card lists "
            "all references.</p>"
            f'<div class="captions">{"".join(cards)}</div>')


def captioning_section(base: Path, cap: dict) -> str:
    """Scores, comparison, loss curves, caption cards and attention map from captioning.json."""
    files = cap.get("files", {})
    parts = [f"<h2 id=\"captioning\">Image captioning "
             f"({esc(model_name(cap.get('cell_type', 'lstm')))}, minigrad)</h2>", _intro(cap),
             _scores(cap), _caption_cards(base, cap), "<h3>Training</h3>",
             "<p>The loss per caption (cross-entropy summed over its words) on a log scale: "
             "each minibatch (faint), their running mean, and the validation loss measured "
             "after each epoch (orange dots). Validation close to training means the model "
             "is not memorising the training captions; both still falling at the end means "
             "more epochs would help.</p>"]
    for key, label in (("loss_png", model_name(cap.get("cell_type", "lstm"))),
                       ("transformer_loss_png", "Transformer")):
        if key in files:
            parts.append(figure(base, files[key], f"{label} training and validation loss",
                                f"{label}: training loss per iteration and validation loss "
                                "per epoch (log scale)."))
    att = cap.get("attention")
    if att and "attention_png" in files:
        said = next((x["transformer"] for x in cap.get("samples", [])
                     if x["image"] == att["image"] and "transformer" in x), None)
        caption = (f" (&ldquo;{esc(said['generated'])}&rdquo; "
                   f"{_mark(said['layout_correct'])})" if said else "")
        parts.append("<h3>Transformer self-attention</h3><p>For val image "
                     f"{esc(att['image'])}, the Transformer's own caption{caption} fed back with "
                     "&lt;START&gt;: each row is a word and shows how much it attends to each "
                     "earlier word (rows sum to 1; the causal mask hides later words), one "
                     f"panel per layer ({att['layers']}), averaged over its {att['heads']} "
                     "heads.</p>")
        parts.append(figure(base, files["attention_png"], "self-attention weights",
                            "Self-attention weights (query word = row, key word = column)."))
    return "".join(parts)
