"""The built-in world under one name: shapes_world.py generates it (images, masks, labels,
captions, layout targets; see its docstring), shapes_files.py writes it to disk in the CS231n
coco_captioning layout and reads it back."""
# ruff: noqa: F403
from .shapes_files import *
from .shapes_files import __all__ as _FILES
from .shapes_world import *
from .shapes_world import __all__ as _WORLD

__all__ = [*_WORLD, *_FILES]
