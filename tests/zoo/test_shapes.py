"""Tests for the built-in shapes world and its coco_captioning-layout writer."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import h5py
import numpy as np
import pytest
from PIL import Image

from zoo.datasets.coco import decode_captions, load_coco_data
from zoo.datasets.shapes import (
    CLASS_COLOURS,
    CLASS_NAMES,
    CLASS_SHAPES,
    LAYOUTS,
    NO_SMALL,
    POSITION_PHRASES,
    RELATION_PHRASES,
    class_index,
    class_name,
    load_shapes_objects,
    load_shapes_split,
    make_shapes,
    scene_targets,
    write_features,
    write_shapes_dataset,
)

S = 64


@pytest.fixture(scope="module")
def world():
    return make_shapes(360, seed=11, image_size=S)


def _dominant(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pixel: the strongest RGB channel, and whether the pixel is saturated (not grey)."""
    x = images.astype(np.int32)
    return x.argmax(-1), (x.max(-1) - x.min(-1)) > 60


def test_contract_shapes_and_dtypes(world):
    n = 360
    assert world.images.shape == (n, S, S, 3) and world.images.dtype == np.uint8
    assert world.masks.shape == (n, S, S) and world.masks.dtype == bool
    assert world.labels.shape == (n,) and world.labels.dtype == np.int64
    assert world.labels.min() >= 0 and world.labels.max() < 9
    assert len(world.captions) == n and len(world.objects) == n and len(world) == n
    assert all(len(c) >= 3 for c in world.captions)
    assert all(c == c.lower() and c == " ".join(c.split()) for caps in world.captions for c in caps)


def test_class_names_convention():
    assert len(CLASS_NAMES) == 9 and len(set(CLASS_NAMES)) == 9
    for k in range(9):
        assert class_name(k) == f"{CLASS_COLOURS[k // 3]} {CLASS_SHAPES[k % 3]}" == CLASS_NAMES[k]
    with pytest.raises(ValueError):
        class_name(9)


def test_deterministic_from_seed():
    a, b, c = make_shapes(40, seed=3), make_shapes(40, seed=3), make_shapes(40, seed=4)
    for field in ("images", "masks", "labels"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert a.captions == b.captions and a.objects == b.objects
    assert not np.array_equal(a.images, c.images)
    assert not np.array_equal(a.masks, c.masks)


def test_masks_are_the_labelled_objects_pixels(world):
    channel, saturated = _dominant(world.images)
    for i in range(len(world)):
        m, colour = world.masks[i], int(world.labels[i]) // 3
        inside = saturated[i][m] & (channel[i][m] == colour)
        assert inside.mean() > 0.99, f"image {i}: mask pixels are not the labelled colour"
        outside = saturated[i] & ~m
        others = world.objects[i][1:]
        if not others:
            assert outside.sum() == 0, f"image {i}: coloured pixels outside the only object's mask"
        else:
            assert 0 < outside.sum() < m.sum() / 2, f"image {i}: second object not small or missing"
            if others[0]["colour"] != CLASS_COLOURS[colour]:
                assert (channel[i][outside] != colour).all()


def test_labelled_object_large_second_small_and_different(world):
    for label, objs in zip(world.labels, world.objects, strict=True):
        big = objs[0]
        assert big["labelled"] and big["size"] == "large"
        assert f"{big['colour']} {big['shape']}" == class_name(int(label))
        assert 0.22 * S <= big["radius"] <= 0.30 * S
        for o in objs[1:]:
            assert o["size"] == "small" and not o["labelled"] and o["radius"] < 0.12 * S
            assert (o["colour"], o["shape"]) != (big["colour"], big["shape"])
    n_pairs = sum(len(o) == 2 for o in world.objects)
    assert 0.3 * len(world) < n_pairs < 0.7 * len(world)


def test_every_reference_states_the_layout(world):
    # No reference may omit the position (one object) or the relation and the second object
    # (two objects): a bare "a large red circle" would let a captioner score BLEU by ignoring them.
    for caps, objs in zip(world.captions, world.objects, strict=True):
        assert len(caps) == 4 and len(set(caps)) == 4
        big = objs[0]
        name = f"{big['colour']} {big['shape']}"
        if len(objs) == 1:
            phrase = POSITION_PHRASES[big["position"]]
            others = [p for k, p in POSITION_PHRASES.items() if k != big["position"]]
            for c in caps:
                assert f"{name} {phrase}" in c and not any(p in c for p in others), c
                assert not any(f" {r} " in c for r in ("above", "below", "to the"))
        else:
            small = objs[1]
            sname = f"{small['colour']} {small['shape']}"
            big_first = f"{name} {RELATION_PHRASES[big['relation']]} a "
            small_first = f"{sname} {RELATION_PHRASES[small['relation']]} a "
            for c in caps:
                assert (big_first in c and c.endswith(sname)) or (
                    small_first in c and c.endswith(name)), c
            assert any("large" in c for c in caps) and any("large" not in c for c in caps)


def test_scene_targets_follow_the_objects(world):
    t = scene_targets(world.objects)
    assert set(t) == {"layout", "small"}
    assert t["layout"].shape == t["small"].shape == (len(world),)
    assert t["layout"].dtype == t["small"].dtype == np.int64
    for lay, small, objs in zip(t["layout"], t["small"], world.objects, strict=True):
        big = objs[0]
        if len(objs) == 1:
            assert LAYOUTS[lay] == big["position"] and small == NO_SMALL
        else:
            # the large object's relation to the small one, checked on the geometry
            dx, dy = big["x"] - objs[1]["x"], big["y"] - objs[1]["y"]
            assert {"above": dy < 0, "below": dy > 0, "left": dx < 0, "right": dx > 0}[
                LAYOUTS[lay]]
            assert small == class_index(objs[1]["colour"], objs[1]["shape"]) != NO_SMALL
    assert set(t["layout"]) == set(range(len(LAYOUTS))) and NO_SMALL == 9


def test_captions_mention_labelled_class_and_layout(world):
    for label, caps, objs in zip(world.labels, world.captions, world.objects, strict=True):
        name = class_name(int(label))
        assert all(name in c.split(" ", 1)[1] for c in caps)
        assert caps[0].startswith(f"a large {name}")
        big = objs[0]
        if len(objs) == 1:
            x, y = big["x"] / S, big["y"] / S
            side = {
                "left": x < 0.45,
                "right": x > 0.55,
                "top": y < 0.45,
                "bottom": y > 0.55,
                "centre": abs(x - 0.5) < 0.1 and abs(y - 0.5) < 0.1,
            }
            assert side[big["position"]]
            assert caps[0].endswith(big["position"])
        else:
            small = objs[1]
            assert f"small {small['colour']} {small['shape']}" in caps[0]
            dx, dy = small["x"] - big["x"], small["y"] - big["y"]
            rel = small["relation"]
            holds = {"above": dy < 0, "below": dy > 0, "left": dx < 0, "right": dx > 0}[rel]
            assert holds and rel in caps[1]


def test_positions_and_relations_vary(world):
    singles = {o[0]["position"] for o in world.objects if len(o) == 1}
    pairs = {o[1]["relation"] for o in world.objects if len(o) == 2}
    assert singles == {"left", "right", "top", "bottom", "centre"}
    assert pairs == {"above", "below", "left", "right"}


def test_class_balance(world):
    counts = np.bincount(world.labels, minlength=9)
    assert counts.min() >= 0.8 * counts.mean() and counts.max() <= 1.2 * counts.mean()


def test_fast_enough():
    t = time.perf_counter()
    make_shapes(1000, seed=0)
    assert time.perf_counter() - t < 5.0


# ---------------------------------------------------------------- on disk


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    base = tmp_path_factory.mktemp("shapes_coco")
    info = write_shapes_dataset(base, n_train=27, n_val=10, seed=5)
    rng = np.random.default_rng(0)
    feats = {
        s: rng.standard_normal((n, 6)).astype(np.float32) for s, n in (("train", 27), ("val", 10))
    }
    for split, f in feats.items():
        write_features(base, split, f, pca=True)
    return base, info, feats


def test_round_trip_through_coco_loader(written):
    base, info, feats = written
    data = load_coco_data(base)
    for split, n in (("train", 27), ("val", 10)):
        world = make_shapes(n, seed=5 if split == "train" else (5, 1))
        refs = [c for caps in world.captions for c in caps]
        caps, idxs = data[f"{split}_captions"], data[f"{split}_image_idxs"]
        assert (
            caps.shape == (len(refs), 17) and caps.dtype == np.int32 and idxs.shape == (len(refs),)
        )
        assert decode_captions(caps, data["idx_to_word"], strip_special=True) == refs
        decoded = decode_captions(caps, data["idx_to_word"], strip_special=True)
        for row, i in zip(decoded, idxs, strict=True):
            assert row in world.captions[int(i)]
        np.testing.assert_array_equal(np.asarray(data[f"{split}_features"]), feats[split])
        np.testing.assert_array_equal(
            data[f"{split}_features"][idxs[::-1]], feats[split][idxs[::-1]]
        )
        assert len(data[f"{split}_urls"]) == n
        for k in (0, n - 1):
            png = Path(url2pathname(urlparse(data[f"{split}_urls"][k]).path))
            np.testing.assert_array_equal(
                np.asarray(Image.open(png).convert("RGB")), world.images[k]
            )
        images, masks, labels = load_shapes_split(base, split)
        np.testing.assert_array_equal(images, world.images)
        np.testing.assert_array_equal(masks, world.masks)
        np.testing.assert_array_equal(labels, world.labels)
        assert load_shapes_objects(base, split) == world.objects
    assert info["n_train"] == 27 and info["n_val"] == 10
    assert (data["train_captions"] != 3).all() and (data["val_captions"] != 3).all()


def test_no_temp_files_left_and_json_vocab(written):
    base, _, _ = written
    leftovers = [p.name for p in base.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
    vocab = json.loads((base / "coco2014_vocab.json").read_text())
    assert vocab["idx_to_word"][:4] == ["<NULL>", "<START>", "<END>", "<UNK>"]


def test_write_features_validation(written, tmp_path):
    base, _, _ = written
    with pytest.raises(ValueError, match="one row per train image"):
        write_features(base, "train", np.zeros((5, 6), np.float32))
    with pytest.raises(ValueError, match=r"\(Nimg, D\)"):
        write_features(tmp_path, "val", np.zeros(5, np.float32))
    with pytest.raises(ValueError, match="NaN"):
        write_features(tmp_path, "val", np.full((2, 3), np.nan))
    with pytest.raises(ValueError, match="split"):
        write_features(tmp_path, "test", np.zeros((2, 3)))
    path = write_features(tmp_path, "val", np.ones((2, 3), np.float64))
    with h5py.File(path, "r") as f:
        assert f["features"].dtype == np.float32 and f["features"].shape == (2, 3)
    assert path.name == "val2014_vgg16_fc7.h5"


def test_load_shapes_split_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="shapes_images.h5"):
        load_shapes_split(tmp_path, "train")
    with pytest.raises(ValueError, match="split"):
        load_shapes_split(tmp_path, "test")
    with pytest.raises(FileNotFoundError, match="shapes_images.h5"):
        load_shapes_objects(tmp_path, "val")
    with pytest.raises(ValueError, match="split"):
        load_shapes_objects(tmp_path, "test")


def test_canonical_caption_is_a_function_of_the_scene(world):
    seen: dict[tuple, str] = {}
    for label, caps, objs in zip(world.labels, world.captions, world.objects, strict=True):
        small = objs[1] if len(objs) == 2 else None
        key = (
            int(label),
            objs[0]["position"],
            small and (small["colour"], small["shape"], small["relation"]),
        )
        assert seen.setdefault(key, caps[0]) == caps[0]
    assert len(set(seen.values())) == len(seen)


def test_shapes_gives_the_world_and_its_files() -> None:
    """zoo.datasets.shapes is the one name of the built-in world: shapes_world.py makes it,
    shapes_files.py writes it to disk and reads it back; every public name of both is here."""
    import zoo.datasets.shapes as shapes
    import zoo.datasets.shapes_files as files
    import zoo.datasets.shapes_world as world

    for mod in (world, files):
        for name in mod.__all__:
            assert getattr(shapes, name) is getattr(mod, name)
    assert set(shapes.__all__) == set(world.__all__) | set(files.__all__)
    assert {"make_shapes", "write_shapes_dataset", "load_shapes_split"} <= set(shapes.__all__)
