"""Layers and containers: Module, Parameter, and the layers built on minigrad.functional.

One file per kind of layer, as torch splits them; each lists its names in `__all__`.
"""
# ruff: noqa: F403
from minigrad.nn import (
           activation,
           attention,
           container,
           conv,
           dropout,
           init,
           loss,
           norm,
           recurrent,
)
from minigrad.nn.activation import *
from minigrad.nn.attention import *
from minigrad.nn.container import *
from minigrad.nn.conv import *
from minigrad.nn.dropout import *
from minigrad.nn.layers import Embedding, Flatten, Linear, ReLU, Sequential, Tanh
from minigrad.nn.loss import *
from minigrad.nn.module import Module, Parameter
from minigrad.nn.norm import *
from minigrad.nn.recurrent import *
from minigrad.nn.serialization import (
           CheckpointError,
           CheckpointWriteError,
           load_module,
           load_npz,
           save_module,
           save_npz,
)

__all__ = ["Module", "Parameter", "Linear", "Embedding", "ReLU", "Tanh", "Flatten", "Sequential",
           "init", "save_npz", "load_npz", "save_module", "load_module", "CheckpointError",
           "CheckpointWriteError",
           *conv.__all__, *recurrent.__all__, *norm.__all__, *dropout.__all__, *loss.__all__,
           *attention.__all__, *container.__all__, *activation.__all__]
