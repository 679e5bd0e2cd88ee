"""Shared fixtures for the vis tests: the shipped built-in SqueezeNet and fresh shapes images."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import torch

pytest.importorskip("torchvision")

TEST_DATA_SEED = 12345  # distinct from the training (1) and validation (2) data seeds
N_TEST = 400


@dataclass
class ShapesBatch:
    """Fresh shapes images: raw uint8 (N,S,S,3), masks (N,S,S), preprocessed X (N,3,S,S), y (N,)."""

    images: np.ndarray
    masks: np.ndarray
    X: torch.Tensor
    y: torch.Tensor
    pred: torch.Tensor


@pytest.fixture(autouse=True)
def _seed_everything() -> None:
    torch.manual_seed(0)
    np.random.seed(0)


@pytest.fixture(scope="session", autouse=True)
def _threads() -> None:
    torch.set_num_threads(1)  # as every `python -m vis` command: a second thread spin-waits on a
    # busy 2-core machine (and fights numpy's BLAS threads in the same process)


@pytest.fixture(scope="session")
def builtin_model() -> torch.nn.Module:
    from vis.squeezenet import load_squeezenet

    return load_squeezenet("builtin")


@pytest.fixture(scope="session")
def shapes_batch(builtin_model: torch.nn.Module) -> ShapesBatch:
    from vis.image import preprocess
    from zoo.datasets.shapes import make_shapes

    world = make_shapes(N_TEST, seed=TEST_DATA_SEED, image_size=64)
    X = preprocess(world.images)
    y = torch.as_tensor(world.labels, dtype=torch.int64)
    with torch.no_grad():
        pred = builtin_model(X).argmax(dim=1)
    return ShapesBatch(np.asarray(world.images), np.asarray(world.masks), X, y, pred)


@pytest.fixture(scope="session")
def correct_idx(shapes_batch: ShapesBatch) -> torch.Tensor:
    return (shapes_batch.pred == shapes_batch.y).nonzero().squeeze(1)
