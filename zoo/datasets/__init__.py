"""Datasets: the CS231n coco_captioning reader, the built-in shapes world, the vocabulary."""

from .coco import (
    CocoDataError,
    CocoFileNotFoundError,
    CocoKeyError,
    H5Features,
    decode_captions,
    load_coco_data,
    sample_coco_minibatch,
)
from .shapes import (
    CLASS_COLOURS,
    CLASS_NAMES,
    CLASS_SHAPES,
    ShapesWorld,
    class_name,
    load_shapes_split,
    make_shapes,
    write_features,
    write_shapes_dataset,
)
from .vocab import VocabError, build_vocab, encode_caption

__all__ = [
    "CLASS_COLOURS",
    "CLASS_NAMES",
    "CLASS_SHAPES",
    "CocoDataError",
    "CocoFileNotFoundError",
    "CocoKeyError",
    "H5Features",
    "ShapesWorld",
    "VocabError",
    "build_vocab",
    "class_name",
    "decode_captions",
    "encode_caption",
    "load_coco_data",
    "load_shapes_split",
    "make_shapes",
    "sample_coco_minibatch",
    "write_features",
    "write_shapes_dataset",
]
