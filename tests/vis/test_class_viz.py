"""Tests for vis.class_viz: target probabilities rise from noise; clamping, determinism."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from vis.class_viz import create_class_visualization, scaled_defaults
from vis.figures import class_viz_figure
from vis.image import pixel_bounds

RISE_FACTOR = 3.0  # mean target probability must rise to >= 3x its starting value
N_ITER = 60


@pytest.fixture(scope="module")
def all_classes(builtin_model):
    return create_class_visualization(
        torch.arange(9),
        builtin_model,
        image_size=64,
        num_iterations=N_ITER,
        seed=0,
        return_history=True,
    )


def test_target_probability_rises(all_classes):
    img, hist = all_classes
    assert img.shape == (9, 3, 64, 64)
    assert hist.shape == (N_ITER + 1, 9)
    start, end = hist[0].mean().item(), hist[-1].mean().item()
    print(f"mean target prob {start:.4f} -> {end:.4f}; per class {hist[-1].tolist()}")
    assert end >= RISE_FACTOR * start


def test_history_matches_final_image(builtin_model, all_classes):
    img, hist = all_classes
    with torch.no_grad():
        p = builtin_model(img).softmax(1)[torch.arange(9), torch.arange(9)]
    torch.testing.assert_close(p, hist[-1])


def test_image_stays_in_valid_pixel_range(all_classes):
    img, _ = all_classes
    lo, hi = pixel_bounds()
    assert torch.isfinite(img).all()
    assert (img >= lo - 1e-6).all() and (img <= hi + 1e-6).all()


def test_seeded_runs_are_deterministic(builtin_model):
    a = create_class_visualization(3, builtin_model, num_iterations=5, seed=7)
    b = create_class_visualization(3, builtin_model, num_iterations=5, seed=7)
    c = create_class_visualization(3, builtin_model, num_iterations=5, seed=8)
    assert a.shape == (1, 3, 64, 64)
    torch.testing.assert_close(a, b)
    assert not torch.equal(a, c)


def test_step_and_jitter_scale_with_image_size():
    assert scaled_defaults(224) == (25.0, 16)
    lr64, j64 = scaled_defaults(64)
    assert lr64 == pytest.approx(25.0 * 64 / 224) and j64 == round(16 * 64 / 224)


def test_init_and_arguments_are_validated(builtin_model):
    with pytest.raises(ValueError, match=r"init must have shape \(1, 3, 64, 64\)"):
        create_class_visualization(0, builtin_model, init=torch.zeros(1, 3, 32, 32))
    with pytest.raises(ValueError, match=r"target_y must lie in \[0, 9\)"):
        create_class_visualization(9, builtin_model, num_iterations=1)
    with pytest.raises(ValueError, match="num_iterations"):
        create_class_visualization(0, builtin_model, num_iterations=-1)
    out = create_class_visualization(
        0, builtin_model, init=torch.zeros(1, 3, 64, 64), num_iterations=2
    )
    assert out.shape == (1, 3, 64, 64)


def test_class_viz_figure_is_a_png(all_classes, tmp_path):
    img, _ = all_classes
    path = class_viz_figure(img, tmp_path / "cv.png", titles=[f"class {k}" for k in range(9)])
    assert path.stat().st_size > 0
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size[0] > 0


def test_make_all_writes_three_pngs_with_stats(tmp_path):
    from vis.figures import make_all

    res = make_all(tmp_path, "builtin", n=2, seed=3, iterations=5)
    assert res["model"].startswith("squeezenet1_1")
    for key in ("saliency", "fooling", "classviz"):
        with Image.open(res[key]["png"]) as im:
            assert im.format == "PNG" and im.size[0] > 0
        assert res[key]["stats"]
