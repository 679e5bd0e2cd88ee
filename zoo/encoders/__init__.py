"""Small CNN feature extractor for the built-in shapes world, built only with minigrad."""
from zoo.encoders.cnn import (
    EncoderConfig,
    ShapesEncoder,
    encode_dataset,
    evaluate,
    fit_pca,
    load_encoder,
    preprocess,
    save_encoder,
    train_encoder,
)

__all__ = ["EncoderConfig", "ShapesEncoder", "train_encoder", "evaluate", "encode_dataset",
           "fit_pca", "preprocess", "save_encoder", "load_encoder"]
