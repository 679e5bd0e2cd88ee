"""Tests for vis.fooling: strict-argmax fooling on the built-in model, reports, zero gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn
from PIL import Image

from vis.figures import fooling_figure
from vis.fooling import FoolingReport, make_fooling_image
from vis.image import SQUEEZENET_STD

N_IMAGES = 20
SUCCESS_TARGET = 0.7
MAX_ITER = 100
MEDIAN_LINF_TARGET = 0.3  # in [0, 1] pixel units


@pytest.fixture(scope="module")
def fooling_runs(builtin_model, shapes_batch, correct_idx):
    idx = correct_idx[:N_IMAGES]
    runs = []
    for j, i in enumerate(idx.tolist()):
        x = shapes_batch.X[i : i + 1]
        target = (int(shapes_batch.y[i]) + 1 + j % 8) % 9
        xf, rep = make_fooling_image(
            x,
            target,
            builtin_model,
            lr=1.0,
            max_iter=MAX_ITER,
            objective="pre_relu",
            return_report=True,
        )
        runs.append((x, target, xf, rep))
    return runs


def _pixel_change(x: torch.Tensor, xf: torch.Tensor) -> torch.Tensor:
    std = torch.tensor(SQUEEZENET_STD).view(1, 3, 1, 1)
    return ((xf - x) * std).flatten()


def test_fooling_success_rate_and_strict_argmax(builtin_model, fooling_runs):
    successes = 0
    for x, target, xf, rep in fooling_runs:
        assert isinstance(rep, FoolingReport)
        assert xf.shape == x.shape and torch.isfinite(xf).all()
        assert 0 <= rep.iterations <= MAX_ITER
        if rep.success:
            successes += 1
            with torch.no_grad():
                scores = builtin_model(xf)[0]
            others = torch.cat([scores[:target], scores[target + 1 :]])
            assert scores[target] > others.max(), "a reported success must be a strict argmax"
    rate = successes / len(fooling_runs)
    print(f"fooling success {rate:.2f} over {len(fooling_runs)} images")
    assert rate >= SUCCESS_TARGET


def test_fooling_changes_are_small_and_reported_correctly(fooling_runs):
    linf = []
    for x, _, xf, rep in fooling_runs:
        d = _pixel_change(x, xf)
        assert rep.linf_change == pytest.approx(float(d.abs().max()), rel=1e-5, abs=1e-7)
        assert rep.l2_change == pytest.approx(float(d.norm()), rel=1e-5, abs=1e-7)
        if rep.success:
            linf.append(float(d.abs().max()))
        assert 0.0 <= rep.target_prob <= 1.0
    med = float(np.median(linf))
    print(f"median Linf change {med:.3f}, iterations {[r.iterations for *_, r in fooling_runs]}")
    assert med < MEDIAN_LINF_TARGET


def test_fooling_stops_at_once_when_already_target(builtin_model, shapes_batch, correct_idx):
    i = int(correct_idx[0])
    x = shapes_batch.X[i : i + 1]
    xf, rep = make_fooling_image(x, int(shapes_batch.y[i]), builtin_model, return_report=True)
    assert rep.success and rep.iterations == 0 and rep.linf_change == 0.0
    torch.testing.assert_close(xf, x)


class _ConstantScores(nn.Module):
    """Scores that do not depend on the input (zero gradient everywhere)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        base = torch.tensor([[3.0, 1.0, 0.0]])
        return base + 0.0 * x.sum(dim=(1, 2, 3))[:, None]  # (N, 3)


def test_zero_gradient_stops_cleanly():
    x = torch.randn(1, 3, 8, 8)
    xf, rep = make_fooling_image(x, 2, _ConstantScores(), return_report=True)
    assert not rep.success and rep.zero_gradient and rep.stop_reason == "zero_gradient"
    assert rep.iterations == 0
    assert torch.isfinite(xf).all()
    torch.testing.assert_close(xf, x)
    assert np.isfinite([rep.l2_change, rep.linf_change, rep.target_prob]).all()


def test_batch_input_gives_one_report_each(builtin_model, shapes_batch, correct_idx):
    idx = correct_idx[:3]
    X = shapes_batch.X[idx]
    targets = (shapes_batch.y[idx] + 4) % 9
    xf, reports = make_fooling_image(
        X, targets, builtin_model, max_iter=5, objective="pre_relu", return_report=True
    )
    assert xf.shape == X.shape and len(reports) == 3


def test_fooling_validates_input(builtin_model, shapes_batch):
    x = shapes_batch.X[:1]
    with pytest.raises(ValueError, match=r"target_y must lie in \[0, 9\)"):
        make_fooling_image(x, 9, builtin_model)
    with pytest.raises(ValueError, match=r"X must have shape \(N, 3, H, W\)"):
        make_fooling_image(x[0], 1, builtin_model)
    with pytest.raises(ValueError, match="lr"):
        make_fooling_image(x, 1, builtin_model, lr=0.0)
    with pytest.raises(ValueError, match="objective"):
        make_fooling_image(x, 1, builtin_model, objective="loss")


def test_fooling_figure_is_a_png(fooling_runs, tmp_path):
    x, target, xf, _ = fooling_runs[0]
    path = fooling_figure(x, xf, tmp_path / "fool.png", "orig", f"class {target}")
    assert path.stat().st_size > 0
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size[0] > 0
