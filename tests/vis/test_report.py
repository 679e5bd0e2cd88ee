"""The demo report's HTML: structure, explanations, relative paths, the single-file form.

`small_demo(folder)` runs the whole demo pipeline (`vis.cli.build_demo`) at a small size and
is shared with the browser test.
"""
from __future__ import annotations

import base64
import html.parser
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vis.report import embed_images, write_report
from vis.report_html import CONTENT_WIDTH_PX, png_size, table


def small_demo(folder: Path, single_file: bool = False) -> Path:
    """A complete demo run, shrunk to ~30 s: returns its report.html."""
    from vis.cli import build_demo
    from vis.parity.cases import CASES

    path, ok = build_demo(folder, seed=1, single_file=single_file, verbose=False,
                          demo_options={"n_train": 150, "n_val": 40, "encoder_epochs": 1,
                                        "epochs": 2, "hidden_dim": 16, "wordvec_dim": 8,
                                        "n_show": 6},
                          parity_cases=CASES[:4], vis_options={"n": 3, "iterations": 3})
    assert ok
    return path


class Page(html.parser.HTMLParser):
    """Tags with their attributes, text, and the stack of open tags around each tag."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict, tuple[str, ...]]] = []
        self.stack: list[str] = []
        self.text: list[str] = []
        self.th: list[str] = []
        self._in_th = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        cls = dict(attrs).get("class") or ""
        self.tags.append((tag, dict(attrs), tuple(self.stack)))
        if tag not in ("meta", "img", "br", "link"):
            self.stack.append(f"{tag}.{cls}" if cls else tag)
        if tag == "th":
            self._in_th, self.th = True, [*self.th, ""]

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop().split(".")[0] == tag:
                break
        if tag == "th":
            self._in_th = False

    def handle_data(self, data):
        self.text.append(data)
        if self._in_th:
            self.th[-1] += data

    def find(self, tag: str) -> list[tuple[dict, tuple[str, ...]]]:
        return [(a, s) for t, a, s in self.tags if t == tag]


def _png(path: Path, w: int, h: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((h, w, 3), 200, np.uint8)).save(path)


def _inputs(folder: Path) -> tuple[dict, dict, dict, dict]:
    """Canned demo results (the shapes the demo writes) and their PNGs in `folder`."""
    for name, w, h in (("loss.png", 720, 380), ("saliency.png", 600, 300),
                       ("fooling.png", 720, 330), ("class_viz.png", 570, 675),
                       ("samples/val_00003.png", 128, 128), ("samples/val_00007.png", 128, 128)):
        _png(folder / name, w, h)
    lay = {"all": 0.932, "one_object": 1.0, "two_objects": 0.861, "n_one_object": 260,
           "n_two_objects": 240}
    bleu = {"bleu1": 0.98, "bleu2": 0.97, "bleu3": 0.96, "bleu4": 0.948}
    cap = {"cell_type": "lstm", "n_val_images": 500, "bleu": bleu,
           "bleu_first_reference": {"bleu1": 0.86, "bleu2": 0.8, "bleu3": 0.73, "bleu4": 0.66},
           "layout_accuracy": lay,
           "world": {"n_train_images": 4000, "n_val_images": 500, "encoder_epochs": 12,
                     "encoder_val_task_accuracy": {"class": 0.998, "layout": 0.996,
                                                   "small": 0.84}},
           "model": {"input_dim": 128, "hidden_dim": 128, "wordvec_dim": 64, "vocab_size": 27,
                     "parameters": 123456},
           "training": {"update_rule": "adam", "learning_rate": 5e-3, "lr_decay": 0.9,
                        "batch_size": 50, "epochs": 5, "iterations": 1600,
                        "n_train_captions": 16000, "n_val_captions": 2000},
           "samples": [{"image": 3, "thumbnail": "samples/val_00003.png",
                        "generated": "a <red> circle below a blue square",
                        "references": ["a red circle above a blue square", "ref two"],
                        "layout_correct": False, "objects": 2},
                       {"image": 7, "thumbnail": "samples/val_00007.png",
                        "generated": "a red circle on the left",
                        "references": ["a large red circle on the left", "third ref"],
                        "layout_correct": True, "objects": 1}],
           "comparison": {"lstm": {"bleu": bleu, "layout_accuracy": lay,
                                   "val_loss_per_epoch": [2.0, 1.5], "train_seconds": 16.5,
                                   "parameters": 123456}},
           "timings_s": {"world": 5.4, "encoder": 37.1, "features": 1.8, "captioner": 16.5},
           "files": {"loss_png": "loss.png"}}
    par = {"seed": 0, "all_passed": False, "torch": "2.x",
           "rows": [{"label": "LSTMStep", "forward_error": 1e-16, "grad_errors": {"x": 2e-16},
                     "tolerance": 1e-10, "passed": True, "note": "a long note"},
                    {"label": "Bad", "forward_error": float("inf"), "grad_errors": {},
                     "tolerance": 1e-10, "passed": False, "note": "broken on purpose"}]}
    vis = {"model": "squeezenet1_1, weights=builtin", "weights": "builtin",
           "saliency": {"png": "saliency.png", "stats": {"images": 6, "correct": 6,
                                                         "object_area": 0.2, "mass_ratio": 3.4}},
           "fooling": {"png": "fooling.png", "stats": {
               "source": "red triangle", "target": "blue circle", "success": True,
               "iterations": 13, "linf_change": 0.243, "l2_change": 1.9,
               "prob_source_before": 1.0, "prob_target_before": 0.0,
               "prob_source_after": 0.0005, "prob_target_after": 0.7168}},
           "classviz": {"png": "class_viz.png", "stats": {
               "classes": 9, "iterations": 150, "prob_start_mean": 0.05,
               "prob_end_mean": 0.99, "prob_end_min": 0.95}}}
    meta = {"command": "make demo", "seed": 0, "cpus": 2, "python": "3.11", "torch": "2.x",
            "timings_s": {"captioning": 62.6, "parity": 20.0, "visualizations": 40.0,
                          "total": 122.6}}
    return meta, cap, par, vis


@pytest.fixture
def canned(tmp_path):
    meta, cap, par, vis = _inputs(tmp_path)
    path = write_report(tmp_path, meta, cap, par, vis)
    return tmp_path, path.read_text(encoding="utf-8")


def test_page_has_language_viewport_and_named_table_headers(canned):
    _, text = canned
    page = Page(text)
    assert page.find("html")[0][0]["lang"] == "en"
    metas = {a.get("name"): a.get("content") for a, _ in page.find("meta")}
    assert "width=device-width" in metas["viewport"]
    assert page.th and all(h.strip() for h in page.th)
    for _, around in page.find("table"):
        assert around and around[-1] == "div.scroll"  # each table scrolls inside its box


def test_parity_table_is_collapsed_and_failures_are_listed(canned):
    _, text = canned
    page = Page(text)
    tables_in_details = [s for _, s in page.find("table") if "details" in s]
    assert len(tables_in_details) == 1
    assert "1 of 2 cases pass" in text and "Failing cases" in text
    # the failing case appears twice (failures table + the full table), the passing once
    assert text.count(">Bad<") == 2 and text.count(">LSTMStep<") == 1
    assert "broken on purpose" in text and "a long note" in text


def test_summary_and_sections_explain_numbers_in_words(canned):
    _, text = canned
    plain = " ".join(Page(text).text)
    for phrase in ("1.0 means saliency spread uniformly", "93.2%", "of 500 val captions",
                   "100.0% of 260 images with one object", "86.1% of 240 with two",
                   "COCO captioning names", "although every image is synthetic",
                   "weights=builtin", "built-in weights", "fooled", "P(blue circle)",
                   "running every torch parity case", "keep its folder together",
                   "captioning 63 s", "good:"):
        assert phrase in plain, phrase
    assert "True" not in plain and "False" not in plain  # booleans are words


def test_caption_cards_show_every_reference_and_a_verdict(canned):
    _, text = canned
    page = Page(text)
    plain = " ".join(page.text)
    assert "a <red> circle below a blue square" in plain  # escaped in HTML, intact as text
    assert "a <red> circle" not in text
    for ref in ("a red circle above a blue square", "ref two", "third ref"):
        assert ref in plain
    assert plain.count("layout wrong") == 1 and plain.count("layout right") >= 1
    assert "the first 1 whose caption states a wrong layout" in plain


def test_images_are_relative_with_their_pixel_size(canned):
    folder, text = canned
    imgs = Page(text).find("img")
    assert [a["src"] for a, _ in imgs] == ["samples/val_00003.png", "samples/val_00007.png",
                                          "loss.png", "saliency.png", "fooling.png",
                                          "class_viz.png"]
    for a, _ in imgs:
        assert (int(a["width"]), int(a["height"])) == Image.open(folder / a["src"]).size
        assert a["alt"]
    assert str(folder) not in text
    assert not list(folder.glob(".*tmp"))
    links = [a["href"] for a, _ in Page(text).find("a") if not a["href"].startswith("#")]
    assert links == ["loss.png", "saliency.png", "fooling.png", "class_viz.png"]  # tap: full size


def test_single_file_embeds_every_image(tmp_path):
    meta, cap, par, vis = _inputs(tmp_path)
    text = write_report(tmp_path, meta, cap, par, vis, single_file=True).read_text()
    imgs = Page(text).find("img")
    assert len(imgs) == 6
    prefix = "data:image/png;base64,"
    assert all(a["src"].startswith(prefix) for a, _ in imgs)
    first = base64.b64decode(imgs[2][0]["src"][len(prefix):])
    assert first == (tmp_path / "loss.png").read_bytes()
    assert "self-contained" in text and "keep its folder together" not in text
    assert all(a.get("href", "#").startswith("#") for a, _ in Page(text).find("a"))


def test_embed_images_refuses_files_outside_the_folder(tmp_path):
    for src in ("/etc/x.png", "../x.png", "http://example.com/x.png"):
        with pytest.raises(ValueError, match="not a file inside"):
            embed_images(f'<img src="{src}">', tmp_path)


def test_table_needs_every_header_and_png_size_reads_the_header(tmp_path):
    with pytest.raises(ValueError, match="every column needs a header"):
        table(["a", ""], [["1", "2"]])
    _png(tmp_path / "x.png", 37, 11)
    assert png_size(tmp_path / "x.png") == (37, 11)
    (tmp_path / "y.png").write_bytes(b"GIF89a" + bytes(30))
    with pytest.raises(ValueError, match="not a PNG"):
        png_size(tmp_path / "y.png")


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> Path:
    return small_demo(tmp_path_factory.mktemp("demo"))


def test_small_demo_writes_report_and_json_without_absolute_paths(demo_run):
    folder = demo_run.parent
    text = demo_run.read_text()
    for name in ("run.json", "captioning.json", "parity.json", "visualizations.json",
                 "loss.png", "saliency.png", "fooling.png", "class_viz.png"):
        assert (folder / name).is_file(), name
    srcs = [a["src"] for a, _ in Page(text).find("img")]
    assert srcs and all((folder / s).is_file() for s in srcs)
    # no file the demo wrote (report, JSON, url lists, h5, npz, ...) holds the folder's path
    needles = {str(folder).encode(), str(folder.resolve()).encode()}
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert any(p.name.endswith("_urls.txt") for p in files)
    for path in files:
        data = path.read_bytes()
        assert not any(n in data for n in needles), path
    cap = json.loads((folder / "captioning.json").read_text())
    assert all(not Path(v).is_absolute() for v in cap["files"].values())
    assert len(cap["training"]["val_loss_per_epoch"]) == 2


def test_report_command_rewrites_the_report_and_names_missing_inputs(demo_run, tmp_path,
                                                                      capsys):
    from vis.cli import main

    before = demo_run.read_text()
    demo_run.unlink()
    assert main(["report", "--out", str(demo_run.parent)]) == 0
    assert re.sub(r"\d+ s\b", "", demo_run.read_text()) == re.sub(r"\d+ s\b", "", before)
    assert main(["report", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "run.json" in err and "vis demo" in err


@pytest.mark.parametrize("n", [1, 3, 6, 8])
def test_saliency_figure_fits_the_report_unscaled(tmp_path, n):
    from vis.figures import saliency_figure

    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 255, (n, 64, 64, 3), dtype=np.uint8)
    path = saliency_figure(imgs, rng.random((n, 64, 64)), tmp_path / "s.png", ["x"] * n)
    w, h = png_size(path)
    assert 200 <= w <= CONTENT_WIDTH_PX and h > 0


def test_class_grid_has_no_empty_slot_and_prints_probabilities(tmp_path):
    import torch

    from vis.figures import _grid_columns, class_viz_figure

    assert [_grid_columns(n) for n in (1, 4, 6, 8, 9, 10)] == [1, 2, 3, 4, 3, 5]
    x = torch.zeros(9, 3, 16, 16)
    path = class_viz_figure(x, tmp_path / "c.png", [f"c{k}" for k in range(9)],
                            probs=[0.5] * 9)
    assert png_size(path) == (570, 675)  # 3 x 3 panels of 190 x 225 px
    with pytest.raises(ValueError, match="probs must have 9 entries"):
        class_viz_figure(x, tmp_path / "c.png", probs=[0.5])


def test_every_figure_text_is_at_least_12_px_at_100_dpi(tmp_path, monkeypatch):
    """Each figure the report shows, caught as it is saved: every visible text is >= 9 pt,
    i.e. >= 12.5 px at the 100 dpi it is written with and shown at (1:1 in the report)."""
    import matplotlib.figure
    import matplotlib.text
    import torch

    from vis.figures import class_viz_figure, fooling_figure, saliency_figure
    from zoo.captioning.figures import attention_figure, plot_loss_curve

    seen: list[tuple[str, float, float]] = []
    save = matplotlib.figure.Figure.savefig

    def spy(fig, path, *args, **kwargs):
        fig.canvas.draw()
        for t in fig.findobj(matplotlib.text.Text):
            if t.get_visible() and t.get_text().strip():
                seen.append((t.get_text(), t.get_fontsize(), kwargs.get("dpi", fig.dpi)))
        return save(fig, path, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", spy)
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 255, (6, 64, 64, 3), dtype=np.uint8)
    saliency_figure(imgs, rng.random((6, 64, 64)), tmp_path / "s.png", ["red circle"] * 6)
    x = torch.zeros(1, 3, 64, 64)
    fooling_figure(x, x + 0.1, tmp_path / "f.png", "a", "b", [{"a": 0.9, "b": 0.1}] * 2)
    class_viz_figure(torch.zeros(9, 3, 16, 16), tmp_path / "c.png", ["c"] * 9, probs=[0.5] * 9)
    plot_loss_curve(np.linspace(30, 2, 100), tmp_path / "l.png", 20, [10, 5, 3, 2, 1.5])
    attention_figure(np.full((2, 4, 6, 6), 1 / 6), ["<START>", "a", "b", "c", "d", "e"],
                     tmp_path / "a.png", "title")
    assert len(seen) > 60
    small = [(text, size) for text, size, dpi in seen if size * dpi / 72 < 12.5 - 1e-9]
    assert not small, small
    assert {dpi for _, _, dpi in seen} == {100}


def test_a_weights_file_is_named_without_its_folder(tmp_path):
    from vis.figures import make_all
    from vis.squeezenet import BUILTIN_WEIGHTS

    res = make_all(tmp_path, str(BUILTIN_WEIGHTS), n=2, seed=3, iterations=2)
    assert res["weights"] == BUILTIN_WEIGHTS.name
    assert str(BUILTIN_WEIGHTS.parent) not in json.dumps(res["weights"] + res["model"])
