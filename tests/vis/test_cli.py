"""The `python -m vis` commands and the HTML report."""
from __future__ import annotations

import html.parser

import pytest

from vis.cli import main
from vis.report import write_report


class _Collect(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[str] = []
        self.cells: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.imgs.append(dict(attrs)["src"])

    def handle_data(self, data):
        self.cells.append(data)


def test_imagenet_weights_absent_is_one_line_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    assert main(["saliency", "--weights", "imagenet", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "squeezenet1_1-b8a52dc0.pth" in err and "--weights" in err


def test_saliency_command_writes_png(tmp_path):
    assert main(["saliency", "--n", "2", "--out", str(tmp_path)]) == 0
    png = tmp_path / "saliency.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_contains_every_section(tmp_path):
    cap = {"cell_type": "lstm", "n_val_images": 3,
           "bleu": {"bleu1": 0.9, "bleu2": 0.8, "bleu3": 0.7, "bleu4": 0.61},
           "layout_accuracy": {"all": 0.75, "one_object": 1.0, "two_objects": 0.5},
           "samples": [{"image": 0, "generated": "a <red> circle", "references": ["a red circle"]}],
           "files": {"captions_png": "captions.png", "loss_png": "loss.png"}}
    par = {"seed": 0, "all_passed": False, "torch": "x",
           "rows": [{"label": "LSTMStep", "forward_error": 1e-16, "grad_errors": {"x": 2e-16},
                     "tolerance": 1e-10, "passed": True},
                    {"label": "Bad", "forward_error": "inf", "grad_errors": {}, "passed": False}]}
    vis = {"model": "m", "saliency": {"png": "saliency.png", "stats": {"images": 2}},
           "fooling": {"png": "fooling.png", "stats": {}},
           "classviz": {"png": "class_viz.png", "stats": {}}}
    path = write_report(tmp_path, {"seed": 0}, cap, par, vis)
    page = path.read_text()
    p = _Collect()
    p.feed(page)
    assert p.imgs == ["captions.png", "loss.png", "saliency.png", "fooling.png", "class_viz.png"]
    assert "0.6100" in page and "LSTMStep" in page and "FAILURES" in page
    assert "<b>0.750</b>" in page
    assert "a <red> circle" in p.cells  # escaped in the page, intact as text
    assert not list(tmp_path.glob(".*tmp"))


@pytest.mark.parametrize("cmd", ["fool", "classvis"])
def test_fool_and_classvis_commands(tmp_path, cmd):
    rc = main([cmd, "--iterations", "100", "--out", str(tmp_path), "--target", "4"])
    assert rc == 0
    assert any(tmp_path.glob("*.png"))
