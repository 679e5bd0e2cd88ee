"""Tests for vis.squeezenet: offline ImageNet loading, built-in weights, pre-ReLU scores."""

from __future__ import annotations

import os

import pytest
import torch
import torchvision

from vis.squeezenet import (
    IMAGENET_FILENAME,
    WeightsMismatchError,
    WeightsNotFoundError,
    class_scores,
    load_squeezenet,
    pre_relu_scores,
)

ACCURACY_TARGET = 0.9
MIN_TEST_IMAGES = 300


def test_imagenet_absent_gives_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError) as info:
        load_squeezenet("imagenet")
    msg = str(info.value)
    assert isinstance(info.value, WeightsNotFoundError)
    assert "\n" not in msg
    assert IMAGENET_FILENAME in msg
    assert str(tmp_path / "hub" / "checkpoints") in msg
    assert "--weights PATH" in msg
    assert not any(tmp_path.rglob("*.pth"))  # nothing was downloaded


def test_imagenet_loads_from_torch_home_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    torch.manual_seed(1)
    ref = torchvision.models.squeezenet1_1(weights=None).eval()
    ckpt = tmp_path / "hub" / "checkpoints" / IMAGENET_FILENAME
    ckpt.parent.mkdir(parents=True)
    torch.save(ref.state_dict(), ckpt)
    model = load_squeezenet("imagenet")
    assert not model.training
    assert all(not p.requires_grad for p in model.parameters())
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        out, want = model(x), ref(x)
    assert out.shape == (2, 1000)
    torch.testing.assert_close(out, want)
    same = load_squeezenet(ckpt)  # the explicit path form
    with torch.no_grad():
        torch.testing.assert_close(same(x), want)


def test_mismatching_state_dict_is_a_clear_error(tmp_path):
    sd = torchvision.models.squeezenet1_1(weights=None, num_classes=9).state_dict()
    del sd["features.3.squeeze.weight"]
    bad = tmp_path / "bad.pt"
    torch.save(sd, bad)
    with pytest.raises(WeightsMismatchError, match="features.3.squeeze.weight"):
        load_squeezenet(bad)
    not_sq = tmp_path / "other.pt"
    torch.save({"fc.weight": torch.zeros(3, 4)}, not_sq)
    with pytest.raises(WeightsMismatchError, match="classifier.1.weight"):
        load_squeezenet(not_sq)
    with pytest.raises(WeightsMismatchError, match="num_classes=5"):
        load_squeezenet("builtin", num_classes=5)
    with pytest.raises(FileNotFoundError, match="nope.pt"):
        load_squeezenet(tmp_path / "nope.pt")


def test_builtin_model_is_frozen_eval_9_classes(builtin_model):
    assert not builtin_model.training
    assert all(not p.requires_grad for p in builtin_model.parameters())
    assert all(p.dtype == torch.float32 for p in builtin_model.parameters())
    assert builtin_model.classifier[1].out_channels == 9
    assert isinstance(builtin_model.classifier[2], torch.nn.ReLU)


def test_builtin_accuracy_on_fresh_images(shapes_batch):
    n = shapes_batch.y.numel()
    assert n >= MIN_TEST_IMAGES
    acc = (shapes_batch.pred == shapes_batch.y).float().mean().item()
    assert acc >= ACCURACY_TARGET, f"built-in accuracy {acc:.3f} on {n} fresh images"


def test_pre_relu_scores_match_conv_output(builtin_model, shapes_batch):
    X = shapes_batch.X[:8]
    seen = {}
    hook = builtin_model.classifier[1].register_forward_hook(
        lambda m, i, o: seen.__setitem__("conv", o.detach().clone())
    )
    try:
        with torch.no_grad():
            out = builtin_model(X)
    finally:
        hook.remove()
    with torch.no_grad():
        pre = pre_relu_scores(builtin_model, X)
        pre2, post = class_scores(builtin_model, X, "pre_relu", with_model_scores=True)
        again = builtin_model(X)
    torch.testing.assert_close(pre, seen["conv"].mean(dim=(2, 3)))
    torch.testing.assert_close(pre2, pre)
    torch.testing.assert_close(post, out)
    torch.testing.assert_close(again, out)
    torch.testing.assert_close(out, seen["conv"].clamp_min(0).mean(dim=(2, 3)))
    assert (pre < 0).any()  # pre-ReLU scores carry the information the ReLU clips away


def test_class_scores_rejects_unknown_objective(builtin_model, shapes_batch):
    with pytest.raises(ValueError, match="objective"):
        class_scores(builtin_model, shapes_batch.X[:1], "logits")
    with pytest.raises(TypeError, match="SqueezeNet"):
        pre_relu_scores(torch.nn.Flatten(), shapes_batch.X[:1])


def test_train_builtin_smoke_saves_loadable_weights(tmp_path):
    from vis.train_builtin import TrainConfig, _save_atomic, train

    cfg = TrainConfig(n_train=64, n_val=32, epochs=1, relu_epochs=1, batch_size=32)
    model, acc = train(cfg, log=lambda s: None)
    assert 0.0 <= acc <= 1.0
    assert isinstance(model.classifier[2], torch.nn.ReLU)
    out = tmp_path / "w.pt"
    _save_atomic(model.state_dict(), out)
    assert [p.name for p in tmp_path.iterdir()] == ["w.pt"]
    loaded = load_squeezenet(out)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model(x))


@pytest.mark.parametrize("kind, words", [("missing", "not found"), ("folder", "is a folder"),
                                         ("fifo", "is not a regular file")])
def test_weights_path_that_is_not_a_file_says_what_it_is(tmp_path, kind, words):
    path = tmp_path / "weights.pth"
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    with pytest.raises(WeightsNotFoundError) as info:
        load_squeezenet(path)  # a FIFO is never opened: no hang
    msg = str(info.value)
    assert f"weights {path} {words}" in msg and "\n" not in msg
