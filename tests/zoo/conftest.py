"""Session fixtures for the captioner tests: a small shapes world with CNN features on disk."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest


@pytest.fixture(scope="session")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 160/40-image shapes world in the COCO layout with features from a briefly trained CNN."""
    from zoo.datasets.shapes import load_shapes_split, write_shapes_dataset
    from zoo.encoders.cnn import EncoderConfig, encode_dataset, train_encoder

    base = tmp_path_factory.mktemp("world")
    write_shapes_dataset(base, n_train=160, n_val=40, seed=3, write_pngs=False)
    images, _, labels = load_shapes_split(base, "train")
    cfg = EncoderConfig(channels=(8, 16, 16), feature_dim=64)
    encoder, _ = train_encoder(images, labels, cfg, epochs=2, seed=0, progress=False)
    encode_dataset(base, encoder, pca_dim=32)
    return base


@pytest.fixture(scope="session")
def world(world_dir: Path) -> dict[str, Any]:
    """The CS231n data dict of the world (features in memory)."""
    from zoo.datasets.coco import load_coco_data

    return load_coco_data(world_dir, pca_features=False, lazy_features=False)


@pytest.fixture(scope="session")
def overfit_data(world: dict[str, Any]) -> dict[str, Any]:
    """50 training captions, each of a different image (CS231n's small_data), z-scored features."""
    idxs = world["train_image_idxs"]
    _, first = np.unique(idxs, return_index=True)
    pick = np.sort(first)[:50]
    data = dict(world)
    feats = world["train_features"]
    data["train_features"] = (feats - feats.mean(0)) / (feats.std(0) + 1e-6)  # z-scored, like PCA
    data["train_captions"] = world["train_captions"][pick]
    data["train_image_idxs"] = idxs[pick]
    return data
