"""Layers and containers: Module, Parameter, and the layers built on minigrad.functional."""
from minigrad.nn import init
from minigrad.nn.layers import (
                                LSTM,
                                RNN,
                                Conv2d,
                                Embedding,
                                Flatten,
                                Linear,
                                MaxPool2d,
                                ReLU,
                                Sequential,
                                Tanh,
)
from minigrad.nn.module import Module, Parameter
from minigrad.nn.serialization import CheckpointError, load_module, load_npz, save_module, save_npz

__all__ = ["Module", "Parameter", "Linear", "Embedding", "RNN", "LSTM", "Conv2d", "MaxPool2d",
           "ReLU", "Tanh", "Flatten", "Sequential", "init", "save_npz", "load_npz",
           "save_module", "load_module", "CheckpointError"]
