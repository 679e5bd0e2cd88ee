"""The demo report's sections: summary cards, settings, captioning, parity, visualizations.

Each function takes the JSON-ready dicts the demo writes (captioning.json = `zoo.captioning.demo
.run_demo`'s summary, parity.json, the visualization stats of `vis.figures.make_all`) and
returns HTML; every number says what it is, on how many items, and what a good value is.
"""
from __future__ import annotations

from pathlib import Path

from vis.report_captioning import model_name
from vis.report_html import cards, esc, figure, num, pct, sci, table, yes_no

WEIGHTS_NOTE = {
    "builtin": "built-in weights: SqueezeNet 1.1 (torchvision's architecture) with 9 outputs, "
               "trained by this project on the shapes world (<code>python -m vis "
               "train-builtin</code>) and shipped in <code>vis/weights/</code>, since nothing "
               "can be downloaded at run time; <code>--weights imagenet</code> uses the ImageNet "
               "weights from the torch hub cache instead",
}


def _parity_counts(par: dict) -> tuple[int, int]:
    rows = par.get("rows", [])
    return sum(bool(r.get("passed")) for r in rows), len(rows)


def summary_section(meta: dict, cap: dict | None, par: dict | None, vis: dict | None) -> str:
    """Key results as cards, each with what a good value is."""
    items = []
    if cap:
        lay, n = cap.get("layout_accuracy", {}), cap.get("n_val_images", "?")
        kind = model_name(cap.get("cell_type", "lstm"))
        items.append((f"{kind} captions: BLEU-4", num(cap["bleu"]["bleu4"]),
                      f"on {n} val images, all references; good: &ge; 0.9 (1 = every n-gram "
                      "matches a reference)"))
        if lay:
            items.append((f"{kind} captions: layout right", pct(lay.get("all")),
                          f"of {n} val captions state the true position or relation; good: "
                          "close to 100%"))
        other = cap.get("comparison", {}).get("transformer")
        if other:
            items.append(("Transformer captions: BLEU-4", num(other["bleu"]["bleu4"]),
                          f"same features and val images; layout right "
                          f"{pct(other['layout_accuracy']['all'])}; good: &ge; 0.9"))
    if par:
        ok, total = _parity_counts(par)
        items.append(("torch parity", f"{ok} / {total}",
                      "cases whose forward and gradients equal torch's (float64, within "
                      "tolerance); good: all"))
    if vis and "saliency" in vis:
        r = vis["saliency"]["stats"].get("mass_ratio")
        items.append(("saliency focus", f"{num(r, 1)}&times;",
                      "saliency per pixel on the object vs. the image average; 1&times; = "
                      "spread uniformly, good: well above 1"))
    if vis and "fooling" in vis:
        s = vis["fooling"]["stats"]
        items.append(("fooling image", yes_no(bool(s.get("success")), "fooled", "not fooled"),
                      f"P({esc(s.get('target', 'target'))}) = {num(s.get('prob_target_after'))} "
                      f"after a change of at most {num(s.get('linf_change'))} per pixel (0-1 "
                      "scale); good: fooled with a small change"))
    if vis and "classviz" in vis:
        s = vis["classviz"]["stats"]
        items.append(("class visualization", f"P = {num(s.get('prob_end_mean'))}",
                      f"mean probability of its class for the {num(s.get('classes'))} "
                      "generated images (lowest "
                      f"{num(s.get('prob_end_min'))}); good: close to 1"))
    total_s = meta.get("timings_s", {}).get("total")
    if total_s is not None:
        items.append(("demo run time", f"{total_s:.0f} s",
                      f"wall clock on this machine's {meta.get('cpus', '?')} CPU cores, "
                      "everything from scratch"))
    return "<h2 id=\"summary\">Summary</h2>" + cards(items)


def settings_section(meta: dict, cap: dict | None, vis: dict | None) -> str:
    """What was run: data, models, optimizer, epochs, accuracies, timings (with units)."""
    rows: list[list[str]] = []
    if cap:
        w, tr, m = cap.get("world", {}), cap.get("training", {}), cap.get("model", {})
        rows.append(["data", f"built-in shapes world: {num(w.get('n_train_images'))} train / "
                             f"{num(w.get('n_val_images'))} val images, "
                             f"{num(tr.get('n_train_captions'))} / "
                             f"{num(tr.get('n_val_captions'))} captions; files in "
                             "<code>world/</code> use the COCO captioning names "
                             "(<code>coco2014_captions.h5</code>, "
                             "<code>train2014_vgg16_fc7.h5</code>, &hellip;) although every "
                             "image is synthetic"])
        if "encoder_val_task_accuracy" in w:
            acc = ", ".join(f"{esc(k)} {pct(v)}" for k, v in
                            w["encoder_val_task_accuracy"].items())
            rows.append(["image encoder", f"small CNN trained {num(w.get('encoder_epochs'))} "
                                          f"epochs on the world; val accuracy {acc} (on "
                                          f"{num(w.get('n_val_images'))} images)"])
        rows.append([f"{model_name(cap.get('cell_type', 'lstm'))} captioner",
                     f"features {num(m.get('input_dim'))} &rarr; hidden "
                     f"{num(m.get('hidden_dim'))}, word vectors {num(m.get('wordvec_dim'))}, "
                     f"vocabulary {num(m.get('vocab_size'))} words, "
                     f"{m.get('parameters', 0):,} parameters"])
        rows.append(["optimizer", f"{esc(tr.get('update_rule', 'adam'))}, learning rate "
                                  f"{num(tr.get('learning_rate'))} &times; "
                                  f"{num(tr.get('lr_decay'))} per epoch, batch "
                                  f"{num(tr.get('batch_size'))} captions, "
                                  f"{num(tr.get('epochs'))} epochs = "
                                  f"{num(tr.get('iterations'))} iterations"])
        other = cap.get("comparison", {}).get("transformer")
        if other:
            st = other["settings"]
            rows.append(["Transformer captioner",
                         f"word vectors {num(st.get('wordvec_dim'))}, {num(st.get('num_heads'))} "
                         f"heads, {num(st.get('num_layers'))} layers, feed-forward "
                         f"{num(st.get('dim_feedforward'))}, dropout {num(st.get('dropout'), 2)}"
                         f", {other['parameters']:,} parameters; adam, learning rate "
                         f"{num(st.get('learning_rate'))} &times; {num(st.get('lr_decay'))} per "
                         f"epoch, batch {num(st.get('batch_size'))}, {num(st.get('epochs'))} "
                         f"epochs = {num(other.get('iterations'))} iterations"])
    if vis:
        weights = vis.get("weights", "builtin")
        rows.append(["visualizations", f"SqueezeNet 1.1, <code>weights={esc(weights)}</code>: "
                                       + WEIGHTS_NOTE.get(weights, "weights from "
                                                          + esc(weights))])
    t = meta.get("timings_s", {})
    if t:
        parts = ", ".join(f"{esc(k)} {v:.0f} s" for k, v in t.items())
        rows.append(["timings (wall clock)", parts + "; <i>parity</i> = running every torch "
                                                     "parity case, forward and backward"])
    if cap and "timings_s" in cap:
        c = cap["timings_s"]
        labels = {"world": "making the world", "encoder": "encoder training",
                  "features": "features",
                  "captioner": f"{model_name(cap.get('cell_type', 'lstm'))} training"}
        steps = [(v, c[k]) for k, v in labels.items() if k in c]
        steps += [(f"{model_name(k)} training", r["train_seconds"])
                  for k, r in cap.get("comparison", {}).items() if k != cap.get("cell_type")]
        rows.append(["captioning steps", ", ".join(f"{esc(k)} {v:.1f} s" for k, v in steps)])
    soft = [f"{k} {esc(meta[k])}" for k in ("python", "numpy", "torch", "torchvision")
            if k in meta]
    if soft:
        rows.append(["software", ", ".join(soft)])
    for key in ("command", "seed"):
        if key in meta:
            rows.append([key, f"<code>{esc(meta[key])}</code>"])
    return ("<h2 id=\"settings\">Settings</h2>"
            + table(["setting", "value"], [[f"<b>{r[0]}</b>", r[1]] for r in rows]))


def parity_section(par: dict) -> str:
    """The parity result in one line, failures listed, the full table behind <details>."""
    ok, total = _parity_counts(par)
    rows, failed = [], []
    for r in par.get("rows", []):
        grads = ", ".join(f"{esc(k)}: {sci(v)}" for k, v in r.get("grad_errors", {}).items())
        row = [esc(r["label"]), sci(r.get("forward_error")), grads or "none",
               sci(r.get("tolerance")), yes_no(bool(r.get("passed")), "pass", "FAIL"),
               esc(r.get("note") or r.get("reason") or "")]
        rows.append(row)
        if not r.get("passed"):
            failed.append(row)
    header = ["case", "forward error", "gradient errors", "tolerance", "result", "note"]
    verdict = (yes_no(True, "all pass") if ok == total else
               yes_no(False, "", f"{total - ok} FAIL"))
    out = [f"<h2 id=\"parity\">Torch parity: {ok} of {total} cases pass ({verdict})</h2>",
           "<p><b>What was run.</b> Each case calls one minigrad Function and its torch "
           "counterpart on the same random float64 inputs (seed "
           f"{esc(par.get('seed', '?'))}, torch {esc(par.get('torch', '?'))}), then compares the "
           "output and the gradient of every input. <b>How to read it.</b> The errors are "
           "the largest absolute difference; a case passes when all of them are within its "
           "tolerance (1e-10 unless its note says why it is looser).</p>"]
    if failed:
        out.append("<h3>Failing cases</h3>" + table(header, failed, numeric=(1, 3)))
    out.append(f"<details><summary>All {total} cases with their errors and notes</summary>"
               + table(header, rows, numeric=(1, 3)) + "</details>")
    return "".join(out)


def visualization_section(base: Path, vis: dict) -> str:
    """Saliency, fooling and class visualization: what was run, the figure, numbers in words."""
    weights = vis.get("weights", "builtin")
    parts = ["<h2 id=\"visualizations\">SqueezeNet visualizations (torch)</h2>",
             f"<p>CS231n's network-visualization exercises on SqueezeNet 1.1 with "
             f"<code>weights={esc(weights)}</code> (" + WEIGHTS_NOTE.get(weights, esc(weights))
             + "). Its 9 classes are the world's colour &times; shape pairs.</p>"]
    if "saliency" in vis:
        s = vis["saliency"]["stats"]
        parts.append(
            "<h3>Saliency maps</h3><p><b>What was run.</b> For each of "
            f"{num(s.get('images'))} world images, the gradient of its class score with respect "
            "to the pixels (largest over the colour channels). <b>How to read it.</b> Bright "
            "pixels are those whose change moves the score most; on a model that has learnt the "
            "task they lie on the object. The network classifies "
            f"{num(s.get('correct'))} of these {num(s.get('images'))} images correctly. "
            "<i>Saliency focus</i> = the share of the total saliency that falls on the object "
            "divided by the share of the image the object covers (on average "
            f"{pct(s.get('object_area'))}): 1.0 means saliency spread uniformly, higher means "
            f"concentrated on the object; here <b>{num(s.get('mass_ratio'), 2)}</b>.</p>")
        parts.append(figure(base, vis["saliency"]["png"], "saliency maps",
                            "Top: the images and their classes. Bottom: saliency (scaled to "
                            "each map's maximum) over the image in grey."))
    if "fooling" in vis:
        s = vis["fooling"]["stats"]
        parts.append(
            "<h3>Fooling image</h3><p><b>What was run.</b> Gradient ascent on the pixels of "
            f"one {esc(s.get('source'))} until the network calls it a {esc(s.get('target'))}. "
            f"<b>Result:</b> {yes_no(bool(s.get('success')), 'fooled', 'not fooled')} after "
            f"{num(s.get('iterations'))} steps: P({esc(s.get('target'))}) went from "
            f"{num(s.get('prob_target_before'))} to {num(s.get('prob_target_after'))} and "
            f"P({esc(s.get('source'))}) from {num(s.get('prob_source_before'))} to "
            f"{num(s.get('prob_source_after'))}, while no pixel moved by more than "
            f"{num(s.get('linf_change'))} on the 0-1 scale (L2 change "
            f"{num(s.get('l2_change'))}). <b>How to read it.</b> The two images look alike; "
            "the difference, magnified ten times, shows where the pixels changed.</p>")
        parts.append(figure(base, vis["fooling"]["png"], "fooling image",
                            "Original, fooled image and their difference x10, with the "
                            "network's probabilities under each image."))
    if "classviz" in vis:
        s = vis["classviz"]["stats"]
        parts.append(
            "<h3>Class visualization</h3><p><b>What was run.</b> Starting from noise, "
            f"{num(s.get('iterations'))} steps of gradient ascent on each class score (with "
            "L2 regularisation, blur and jitter). <b>How to read it.</b> Each image is what "
            "the network takes as most typical of its class; the number under it is the "
            "network's probability of that class for it (mean "
            f"{num(s.get('prob_start_mean'))} at the start, {num(s.get('prob_end_mean'))} at the "
            f"end, lowest {num(s.get('prob_end_min'))}).</p>")
        parts.append(figure(base, vis["classviz"]["png"], "class visualizations",
                            "One image per class, with its probability of that class."))
    return "".join(parts)
