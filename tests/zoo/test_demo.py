"""The captioning demo: the layout check on hand-made captions/scenes, and a scaled-down run."""
from __future__ import annotations

import json

import numpy as np
import pytest

from zoo.captioning.demo import (
    blas_threads,
    exact_match,
    layout_accuracy,
    layout_correct,
    load_data,
    run_demo,
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
    summary = run_demo(out, seed=1, n_train=150, n_val=30, encoder_epochs=1, epochs=1,
                       hidden_dim=16, wordvec_dim=8, n_show=3, verbose=False)
    for name in ("captions.png", "loss.png", "captioning.json", "checkpoint.npz",
                 "world/encoder.npz", "world/train2014_vgg16_fc7.h5"):
        assert (out / name).is_file(), name
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
