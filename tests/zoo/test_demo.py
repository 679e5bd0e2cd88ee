"""The captioning demo: the layout check on hand-made captions/scenes, and a scaled-down run."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from zoo.captioning.demo import (
    blas_threads,
    caption_loss,
    choose_samples,
    exact_match,
    layout_accuracy,
    layout_correct,
    load_data,
    run_demo,
    train_by_epoch,
)
from zoo.datasets.shapes import INVERSE_RELATION, POSITION_PHRASES, RELATION_PHRASES, make_shapes


def _obj(colour, shape, size, position=None, relation=None):
    return {"colour": colour, "shape": shape, "size": size, "position": position,
            "relation": relation}


LONE = [_obj("red", "circle", "large", position="left")]
# the small blue square lies above the large red circle
PAIR = [_obj("red", "circle", "large", relation="below"),
        _obj("blue", "square", "small", relation="above")]


@pytest.mark.parametrize("caption, objects, ok", [
    ("a large red circle on the left", LONE, True),
    ("a red circle on the left of the image", LONE, True),
    ("a large red circle on the right", LONE, False),  # wrong position
    ("a large red circle", LONE, False),  # no position at all
    ("a large red circle on the left on the right", LONE, False),  # two positions
    ("a large red circle above a small blue square", LONE, False),  # a relation, one object
    ("a large red circle below a small blue square", PAIR, True),
    ("a small blue square above a large red circle", PAIR, True),
    ("a red circle below a blue square", PAIR, True),
    ("a large green circle below a small blue triangle", PAIR, True),  # names off, layout right
    ("a large red circle above a small blue square", PAIR, False),  # relation reversed
    ("a small blue square below a large red circle", PAIR, False),
    ("a large red circle to the left of a small blue square", PAIR, False),
    ("a large red circle", PAIR, False),  # no relation
    ("a large red circle at the bottom", PAIR, False),  # a position instead of the relation
    ("a red circle below a red circle", PAIR, False),  # both phrases name the same object
    ("a green triangle below a small blue square", PAIR, False),  # first phrase names nothing
    ("", PAIR, False),
])
def test_layout_correct_on_hand_made_pairs(caption, objects, ok):
    assert layout_correct(caption, objects) is ok
    assert layout_correct(caption.split(), objects) is ok


def test_every_reference_is_correct_and_every_altered_one_is_not():
    world = make_shapes(120, seed=7)
    for caps, objs in zip(world.captions, world.objects, strict=True):
        for c in caps:
            assert layout_correct(c, objs), (c, objs)
            if len(objs) == 1:
                true = POSITION_PHRASES[objs[0]["position"]]
                for p in POSITION_PHRASES.values():
                    if p != true:
                        assert not layout_correct(c.replace(true, p), objs)
            else:
                for rel, phrase in RELATION_PHRASES.items():
                    if f" {phrase} a " in c:
                        wrong = RELATION_PHRASES[INVERSE_RELATION[rel]]
                        assert not layout_correct(c.replace(f" {phrase} a ", f" {wrong} a "),
                                                  objs)


def test_layout_accuracy_and_exact_match():
    caps = ["a large red circle on the left", "a large red circle on the right",
            "a small blue square above a large red circle", "a large red circle"]
    assert layout_accuracy(caps, [LONE, LONE, PAIR, PAIR]) == 0.5
    refs = [["a large red circle on the left", "a red circle on the left"]] * 4
    assert exact_match(caps, refs) == 0.25
    with pytest.raises(ValueError, match="layout_accuracy"):
        layout_accuracy(caps, [LONE])
    with pytest.raises(ValueError, match="exact_match"):
        exact_match([], [])


def test_scaled_down_demo_writes_outputs_and_an_honest_layout_score(tmp_path):
    from zoo.captioning.metrics import evaluate_bleu
    from zoo.captioning.train import load_captioner
    from zoo.datasets.shapes import load_shapes_objects

    out = tmp_path / "demo"
    tiny = {"wordvec_dim": 8, "num_heads": 2, "num_layers": 2, "dim_feedforward": 16,
            "dropout": 0.1, "learning_rate": 1e-3, "lr_decay": 0.9, "batch_size": 50,
            "epochs": 1}
    summary = run_demo(out, seed=1, n_train=150, n_val=30, encoder_epochs=1, epochs=2,
                       hidden_dim=16, wordvec_dim=8, n_show=3, verbose=False, transformer=tiny)
    for name in ("loss.png", "captioning.json", "checkpoint.npz", "loss_transformer.png",
                 "checkpoint_transformer.npz", "attention.png",
                 "world/encoder.npz", "world/train2014_vgg16_fc7.h5"):
        assert (out / name).is_file(), name
    for s in summary["samples"]:  # thumbnails: the val image enlarged twice
        assert not Path(s["thumbnail"]).is_absolute()
        with Image.open(out / s["thumbnail"]) as im:
            assert im.size == (128, 128)
    assert len(summary["training"]["val_loss_per_epoch"]) == 2
    assert summary["comparison"]["lstm"]["parameters"] == summary["model"]["parameters"] > 0
    assert json.loads((out / "captioning.json").read_text()) == json.loads(json.dumps(summary))
    assert set(summary["world"]["encoder_val_task_accuracy"]) == {"class", "layout", "small"}
    assert summary["n_val_images"] == 30 and len(summary["samples"]) == 3
    assert summary["machine"]["blas_threads"] == 1
    # recompute the layout score from the saved checkpoint and the scene's objects
    model = load_captioner(out / "checkpoint.npz")
    data = load_data(out / "world")
    res = evaluate_bleu(model, data, "val")
    objects = load_shapes_objects(out / "world", "val")
    hyps = [" ".join(h) for h in res["hypotheses"]]
    expected = layout_accuracy(hyps, [objects[int(i)] for i in res["images"]])
    assert summary["layout_accuracy"]["all"] == pytest.approx(expected)
    assert summary["bleu"]["bleu4"] == pytest.approx(res["bleu4"])
    n_pairs = sum(len(objects[int(i)]) == 2 for i in res["images"])
    parts = summary["layout_accuracy"]
    assert parts["all"] == pytest.approx(
        (parts["two_objects"] * n_pairs + parts["one_object"] * (30 - n_pairs)) / 30)
    for s in summary["samples"]:
        assert s["layout_correct"] == layout_correct(s["generated"], objects[s["image"]])
        assert s["references"] == [" ".join(r) for r in res["references"][list(
            res["images"]).index(s["image"])]]
    # the last epoch's val loss is the saved model's loss on every val caption
    assert summary["training"]["val_loss_per_epoch"][-1] == pytest.approx(
        _mean_caption_loss(model, data), rel=1e-5)
    # the Transformer: its checkpoint rebuilds it, and its scores are recomputed from it
    tf = load_captioner(out / "checkpoint_transformer.npz")
    tres = evaluate_bleu(tf, data, "val")
    comp = summary["comparison"]["transformer"]
    assert comp["bleu"]["bleu4"] == pytest.approx(tres["bleu4"])
    assert comp["parameters"] == sum(p.data.size for p in tf.parameters())
    assert comp["settings"] == tiny and comp["iterations"] == 600 // 50
    assert set(summary["comparison"]) == {"lstm", "transformer"}
    t_hyps = [" ".join(h) for h in tres["hypotheses"]]
    for s in summary["samples"]:
        k = list(res["images"]).index(s["image"])
        assert s["transformer"]["generated"] == t_hyps[k]
    att = summary["attention"]
    assert att["tokens"][0] == "<START>" and att["layers"] == 2 and att["heads"] == 2
    # world features are z-scored with the train statistics
    assert np.abs(np.asarray(data["train_features"]).mean(axis=0)).max() < 1e-3


def test_blas_threads_limits_and_restores():
    from threadpoolctl import threadpool_info

    def blas():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas()
    with blas_threads(1):
        assert blas() and set(blas()) == {1}
    assert blas() == before
    with blas_threads(None):
        assert blas() == before


def _mean_caption_loss(model, data):
    """Per-caption loss over val, one caption at a time (independent of caption_loss)."""
    caps, idx = np.asarray(data["val_captions"]), np.asarray(data["val_image_idxs"])
    feats = np.asarray(data["val_features"])
    return float(np.mean([model.loss(feats[idx[i:i + 1]], caps[i:i + 1]).item()
                          for i in range(len(caps))]))


def _tiny_data(n_img=12, n_cap=30, T=6, V=9, D=5, seed=0):
    rng = np.random.default_rng(seed)
    words = ["<NULL>", "<START>", "<END>"] + [f"w{k}" for k in range(V - 3)]
    caps = rng.integers(3, V, (n_cap, T + 1))
    caps[:, 0], caps[:, -1] = 1, 2
    data = {"word_to_idx": {w: i for i, w in enumerate(words)}, "idx_to_word": words}
    for split in ("train", "val"):
        data[f"{split}_captions"] = caps
        data[f"{split}_image_idxs"] = rng.integers(0, n_img, n_cap)
        data[f"{split}_features"] = rng.standard_normal((n_img, D)).astype(np.float32)
    return data


def test_caption_loss_is_the_mean_loss_per_caption_whatever_the_batch():
    from zoo.captioning.demo import build_captioner

    data = _tiny_data()
    model = build_captioner(data, "lstm", seed=3, hidden_dim=7, wordvec_dim=4)
    expected = _mean_caption_loss(model, data)
    for batch in (1, 7, 500):
        assert caption_loss(model, data, "val", batch_size=batch) == pytest.approx(expected,
                                                                                   rel=1e-6)
    assert model.training  # restored


def test_train_by_epoch_replays_one_training_run():
    from zoo.captioning.demo import build_captioner
    from zoo.captioning.train import CaptioningSolver

    data = _tiny_data()

    def solver():
        m = build_captioner(data, "lstm", seed=3, hidden_dim=7, wordvec_dim=4)
        return CaptioningSolver(m, data, batch_size=8, num_epochs=3, lr_decay=0.5,
                                verbose=False, seed=2, progress=False)

    whole, split = solver(), solver()
    whole.train()
    val = train_by_epoch(split, data)
    assert len(val) == 3 and split.num_epochs == 3
    assert split.loss_history == whole.loss_history
    for (k, a), (_, b) in zip(whole.model.state_dict().items(),
                              split.model.state_dict().items(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=k)
    assert val[-1] == pytest.approx(caption_loss(whole.model, data, "val"))


@pytest.mark.parametrize("correct, n, expected", [
    ([True] * 10, 4, [0, 1, 2, 3]),  # no failure to show
    ([False] * 10, 4, [0, 1, 2, 3]),  # no success to show
    ([True, False, True, True, False, False, True, True, True, False], 8,
     [0, 1, 2, 3, 4, 5, 6, 7]),  # 3 of 8 failures: 1, 4, 5; successes 0, 2, 3, 6, 7
    ([True] * 9 + [False], 4, [0, 1, 2, 9]),  # the one failure is included
    ([True, True], 5, [0, 1]),  # fewer captions than asked for
])
def test_choose_samples_includes_failures(correct, n, expected):
    assert choose_samples(np.array(correct), n) == expected


def test_loss_figure_attention_figure_and_thumbnails(tmp_path):
    from zoo.captioning.figures import attention_figure, plot_loss_curve, save_thumbnail

    loss = np.exp(-np.linspace(0, 3, 40)) * 30 + 1
    path = plot_loss_curve(loss, tmp_path / "loss.png", 10, [20.0, 5.0, 2.0, 1.5])
    with Image.open(path) as im:
        assert im.size == (720, 380)  # 7.2 x 3.8 in at 100 dpi, shown 1:1 in the report
    maps = np.full((2, 4, 5, 5), 0.2)
    path = attention_figure(maps, ["<START>", "a", "red", "circle", "left"], tmp_path / "a.png")
    with Image.open(path) as im:
        assert 500 <= im.size[0] <= 950
    with pytest.raises(ValueError, match=r"\(L, heads, T, T\) with T = 4 tokens"):
        attention_figure(maps, ["a", "b", "c", "d"], tmp_path / "a.png")
    img = np.arange(4 * 4 * 3, dtype=np.uint8).reshape(4, 4, 3)
    with Image.open(save_thumbnail(img, tmp_path / "t.png", scale=3)) as im:
        big = np.asarray(im)
    assert big.shape == (12, 12, 3)
    np.testing.assert_array_equal(big[::3, ::3], img)
    np.testing.assert_array_equal(big[2::3, 2::3], img)
