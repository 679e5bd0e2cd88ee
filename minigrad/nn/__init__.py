"""Layers and containers: Module, Parameter, and the layers built on minigrad.functional."""
from minigrad.nn.module import Module, Parameter

__all__ = ["Module", "Parameter"]
