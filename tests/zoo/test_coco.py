"""Tests for the CS231n coco_captioning reader and the vocabulary, on a tiny generated directory."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from zoo.datasets.coco import (
    H5Features,
    decode_captions,
    load_coco_data,
    sample_coco_minibatch,
)
from zoo.datasets.vocab import build_vocab, encode_caption, encode_captions

SPECIAL = ["<NULL>", "<START>", "<END>", "<UNK>"]
WORDS = ["a", "cat", "dog", "sat", "on", "mat"]
N_IMG = {"train": 7, "val": 4}
N_CAP = {"train": 12, "val": 6}
D = {True: 5, False: 9}


def _captions(rng: np.random.Generator, n: int, n_img: int) -> tuple[np.ndarray, np.ndarray]:
    caps = np.zeros((n, 17), dtype=np.int32)
    for i in range(n):
        k = int(rng.integers(1, 10))
        caps[i, 0] = 1
        caps[i, 1 : 1 + k] = rng.integers(4, 4 + len(WORDS), k)
        caps[i, 1 + k] = 2
    return caps, rng.integers(0, n_img, n).astype(np.int32)


def write_tiny_coco(base: Path, seed: int = 0) -> dict[str, np.ndarray]:
    """Write a tiny directory in the exact CS231n layout; return the arrays written."""
    rng = np.random.default_rng(seed)
    base.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    for split in ("train", "val"):
        caps, idxs = _captions(rng, N_CAP[split], N_IMG[split])
        arrays[f"{split}_captions"], arrays[f"{split}_image_idxs"] = caps, idxs
        for pca in (True, False):
            feats = rng.standard_normal((N_IMG[split], D[pca])).astype(np.float32)
            arrays[f"{split}_features_{'pca' if pca else 'full'}"] = feats
            name = f"{split}2014_vgg16_fc7{'_pca' if pca else ''}.h5"
            with h5py.File(base / name, "w") as f:
                f.create_dataset("features", data=feats)
        urls = [f"http://example.org/{split}/{i}.jpg" for i in range(N_IMG[split])]
        arrays[f"{split}_urls"] = np.asarray(urls)
        (base / f"{split}2014_urls.txt").write_text("\n".join(urls) + "\n")
    with h5py.File(base / "coco2014_captions.h5", "w") as f:
        for k in ("train_captions", "train_image_idxs", "val_captions", "val_image_idxs"):
            f.create_dataset(k, data=arrays[k])
    idx_to_word = SPECIAL + WORDS
    vocab = {"idx_to_word": idx_to_word, "word_to_idx": {w: i for i, w in enumerate(idx_to_word)}}
    (base / "coco2014_vocab.json").write_text(json.dumps(vocab))
    return arrays


@pytest.fixture
def coco(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    base = tmp_path / "coco_captioning"
    return base, write_tiny_coco(base)


def _rewrite_h5(path: Path, key: str, value: np.ndarray | None) -> None:
    with h5py.File(path, "a") as f:
        del f[key]
        if value is not None:
            f.create_dataset(key, data=value)


# ---------------------------------------------------------------- loading


def test_load_matches_files(coco):
    base, ref = coco
    data = load_coco_data(base)
    assert set(data) == {
        "train_captions",
        "train_image_idxs",
        "val_captions",
        "val_image_idxs",
        "train_features",
        "val_features",
        "idx_to_word",
        "word_to_idx",
        "train_urls",
        "val_urls",
    }
    for split in ("train", "val"):
        np.testing.assert_array_equal(data[f"{split}_captions"], ref[f"{split}_captions"])
        np.testing.assert_array_equal(data[f"{split}_image_idxs"], ref[f"{split}_image_idxs"])
        assert data[f"{split}_features"].shape == (N_IMG[split], D[True])
        np.testing.assert_array_equal(
            np.asarray(data[f"{split}_features"]), ref[f"{split}_features_pca"]
        )
        assert list(data[f"{split}_urls"]) == list(ref[f"{split}_urls"])
    assert data["idx_to_word"] == SPECIAL + WORDS
    assert data["word_to_idx"]["cat"] == SPECIAL.__len__() + WORDS.index("cat")


def test_pca_false_and_eager_features(coco):
    base, ref = coco
    data = load_coco_data(base, pca_features=False, lazy_features=False)
    assert isinstance(data["train_features"], np.ndarray)
    np.testing.assert_array_equal(data["train_features"], ref["train_features_full"])
    np.testing.assert_array_equal(data["val_features"], ref["val_features_full"])


def test_lazy_features_unsorted_repeated_indices(coco):
    base, ref = coco
    feats = load_coco_data(base)["train_features"]
    full = ref["train_features_pca"]
    for idx in ([3, 1, 1, 6, 0, 3], np.array([[5, 2], [2, 5]]), [-1, 0, -7], []):
        np.testing.assert_array_equal(feats[idx], full[np.asarray(idx, dtype=np.int64)])
    np.testing.assert_array_equal(feats[4], full[4])
    np.testing.assert_array_equal(feats[2:5], full[2:5])
    np.testing.assert_array_equal(feats[[4, 0], 1:3], full[[4, 0], 1:3])
    mask = np.zeros(N_IMG["train"], dtype=bool)
    mask[[1, 5]] = True
    np.testing.assert_array_equal(feats[mask], full[mask])
    with pytest.raises(IndexError):
        feats[[0, N_IMG["train"]]]


def test_h5features_sparse_indices(tmp_path):
    full = np.random.default_rng(1).standard_normal((300, 4)).astype(np.float32)
    with h5py.File(tmp_path / "f.h5", "w") as f:
        f.create_dataset("features", data=full)
    feats = H5Features(tmp_path / "f.h5")
    assert feats.shape == (300, 4) and len(feats) == 300 and feats.ndim == 2
    idx = [299, 0, 150, 299, 7]
    np.testing.assert_array_equal(feats[idx], full[idx])


def test_max_train_subsamples_consistently(coco):
    base, ref = coco
    a = load_coco_data(base, max_train=20, seed=5)
    b = load_coco_data(base, max_train=20, seed=5)
    assert a["train_captions"].shape == (20, 17) and a["train_image_idxs"].shape == (20,)
    np.testing.assert_array_equal(a["train_captions"], b["train_captions"])
    pairs = {
        (tuple(c), int(i))
        for c, i in zip(ref["train_captions"], ref["train_image_idxs"], strict=True)
    }
    assert all(
        (tuple(c), int(i)) in pairs
        for c, i in zip(a["train_captions"], a["train_image_idxs"], strict=True)
    )
    np.testing.assert_array_equal(a["val_captions"], ref["val_captions"])


def test_max_train_seed_none_uses_global_rng_like_cs231n(coco):
    base, _ = coco
    np.random.seed(231)
    a = load_coco_data(base, max_train=8)
    expected = np.random.RandomState(231).randint(N_CAP["train"], size=8)
    b = load_coco_data(base, max_train=8, seed=231)
    np.testing.assert_array_equal(
        a["train_captions"], load_coco_data(base)["train_captions"][expected]
    )
    np.testing.assert_array_equal(a["train_captions"], b["train_captions"])


def test_sample_minibatch(coco):
    base, ref = coco
    data = load_coco_data(base)
    for split in ("train", "val"):
        caps, feats, urls = sample_coco_minibatch(data, batch_size=9, split=split, seed=0)
        assert caps.shape == (9, 17) and feats.shape == (9, D[True]) and urls.shape == (9,)
        for c, f, u in zip(caps, feats, urls, strict=True):
            rows = np.flatnonzero((ref[f"{split}_captions"] == c).all(1))
            imgs = ref[f"{split}_image_idxs"][rows]
            assert any(np.array_equal(f, ref[f"{split}_features_pca"][i]) for i in imgs)
            assert u in {ref[f"{split}_urls"][i] for i in imgs}
    c1, f1, _ = sample_coco_minibatch(data, 5, seed=np.random.default_rng(3))
    c2, f2, _ = sample_coco_minibatch(data, 5, seed=np.random.default_rng(3))
    np.testing.assert_array_equal(c1, c2)
    np.testing.assert_array_equal(f1, f2)
    with pytest.raises(ValueError, match="split"):
        sample_coco_minibatch(data, 2, split="test")


# ---------------------------------------------------------------- decoding and vocab


def test_decode_captions():
    itw = SPECIAL + WORDS
    w = {t: i for i, t in enumerate(itw)}
    caps = np.array(
        [
            [w["<START>"], w["a"], w["cat"], w["<END>"], w["dog"], 0],
            [w["<START>"], w["dog"], 0, w["sat"], 0, 0],
        ]
    )
    assert decode_captions(caps, itw) == ["<START> a cat <END>", "<START> dog sat"]
    assert decode_captions(caps[0], itw) == "<START> a cat <END>"
    assert decode_captions(caps, itw, strip_special=True) == ["a cat", "dog sat"]
    with pytest.raises(ValueError, match=r"\[0, V\)"):
        decode_captions(np.array([1, len(itw)]), itw)


def test_build_vocab_and_encode():
    itw, wti = build_vocab(["a dog", "A cat", "a cat sat"])
    assert itw[:4] == SPECIAL and sorted(itw[4:]) == ["a", "cat", "dog", "sat"]
    assert all(wti[t] == i for i, t in enumerate(itw))
    enc = encode_caption("a zebra sat", wti)
    assert enc.dtype == np.int32 and enc.shape == (17,)
    assert list(enc[:5]) == [1, wti["a"], 3, wti["sat"], 2] and not enc[5:].any()
    long = encode_caption(["cat"] * 40, wti, length=10)
    assert (
        long.shape == (10,) and long[0] == 1 and long[-1] == 2 and (long[1:-1] == wti["cat"]).all()
    )
    both = encode_captions(["a dog", "cat"], wti)
    assert both.shape == (2, 17)
    assert decode_captions(both, itw, strip_special=True) == ["a dog", "cat"]


# ---------------------------------------------------------------- errors


def test_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_coco_data(tmp_path / "nope")


@pytest.mark.parametrize(
    "name",
    [
        "coco2014_captions.h5",
        "coco2014_vocab.json",
        "train2014_vgg16_fc7_pca.h5",
        "val2014_vgg16_fc7_pca.h5",
        "train2014_urls.txt",
        "val2014_urls.txt",
    ],
)
def test_missing_file(coco, name):
    base, _ = coco
    (base / name).unlink()
    with pytest.raises(FileNotFoundError, match=name) as e:
        load_coco_data(base)
    assert "get_coco_dataset.sh" in str(e.value)


def test_missing_full_features_only_when_requested(coco):
    base, _ = coco
    (base / "val2014_vgg16_fc7.h5").unlink()
    load_coco_data(base)
    with pytest.raises(FileNotFoundError, match="val2014_vgg16_fc7.h5"):
        load_coco_data(base, pca_features=False)


def test_missing_h5_keys(coco):
    base, _ = coco
    _rewrite_h5(base / "train2014_vgg16_fc7_pca.h5", "features", None)
    with pytest.raises(KeyError, match="features"):
        load_coco_data(base)
    _rewrite_h5(base / "coco2014_captions.h5", "val_image_idxs", None)
    with pytest.raises(KeyError, match="val_image_idxs"):
        load_coco_data(base)


@pytest.mark.parametrize(
    "key,make,pattern",
    [
        ("train_captions", lambda r: r["train_captions"][:, :16], r"\(N, 17\).*\(12, 16\)"),
        ("val_captions", lambda r: r["val_captions"].astype(np.float32), "integer"),
        ("train_image_idxs", lambda r: r["train_image_idxs"][:-1], "length 11.*12"),
        ("val_image_idxs", lambda r: r["val_image_idxs"] + N_IMG["val"], r"\[0, 4\)"),
        ("train_image_idxs", lambda r: r["train_image_idxs"] - N_IMG["train"], r"\[0, 7\)"),
        (
            "train_captions",
            lambda r: np.where(r["train_captions"] == 2, 10, r["train_captions"]),
            "V = 10.*got 10",
        ),
        (
            "val_captions",
            lambda r: np.where(r["val_captions"] == 1, -1, r["val_captions"]),
            "got -1",
        ),
    ],
)
def test_bad_caption_arrays(coco, key, make, pattern):
    base, ref = coco
    _rewrite_h5(base / "coco2014_captions.h5", key, make(ref))
    with pytest.raises(ValueError, match=pattern):
        load_coco_data(base)


def test_bad_features(coco):
    base, _ = coco
    _rewrite_h5(base / "train2014_vgg16_fc7_pca.h5", "features", np.zeros(7, np.float32))
    with pytest.raises(ValueError, match="train2014_vgg16_fc7_pca.h5"):
        load_coco_data(base)


def test_url_count_mismatch(coco):
    base, _ = coco
    (base / "val2014_urls.txt").write_text("http://x\n")
    with pytest.raises(ValueError, match="val2014_urls.txt has 1 urls"):
        load_coco_data(base)


@pytest.mark.parametrize(
    "edit,pattern",
    [
        (
            lambda v: v["idx_to_word"].__setitem__(slice(1, 3), ["<END>", "<START>"]),
            r"idx_to_word\[:4\]",
        ),
        (lambda v: v["word_to_idx"].__setitem__("cat", 4), "word_to_idx"),
        (lambda v: v.pop("word_to_idx"), "word_to_idx"),
        (lambda v: v.__setitem__("idx_to_word", ["<NULL>", "<START>"]), "at least"),
    ],
)
def test_bad_vocab(coco, edit, pattern):
    base, _ = coco
    path = base / "coco2014_vocab.json"
    vocab = json.loads(path.read_text())
    edit(vocab)
    path.write_text(json.dumps(vocab))
    with pytest.raises((ValueError, KeyError), match=pattern):
        load_coco_data(base)


def test_max_train_validation(coco):
    base, _ = coco
    with pytest.raises(ValueError, match="max_train"):
        load_coco_data(base, max_train=-1)
