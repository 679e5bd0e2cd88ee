"""Every built-in Function (CamelCase classes) and its snake_case wrapper, family by family.

Each family file lists its names in `__all__` and the Tensor methods and operators it
provides in `TENSOR_METHODS` (name -> wrapper); this module re-exports the names and binds
the methods to `Tensor` once, when minigrad is imported, with `methods.py`'s table (in-place
arithmetic, casts, clone) that is built on the families.
"""
# ruff: noqa: F403, F405, I001
# The family modules first: the star imports below rebind names such as `embedding`.
import minigrad.functional.activation as _activation
import minigrad.functional.attention as _attention
import minigrad.functional.conv as _conv
import minigrad.functional.dropout as _dropout
import minigrad.functional.elementwise as _elementwise
import minigrad.functional.embedding as _embedding
import minigrad.functional.index as _index
import minigrad.functional.join as _join
import minigrad.functional.layout as _layout
import minigrad.functional.linalg as _linalg
import minigrad.functional.linear as _linear
import minigrad.functional.loss as _loss
import minigrad.functional.loss_pointwise as _loss_pointwise
import minigrad.functional.methods as _methods
import minigrad.functional.moments as _moments
import minigrad.functional.norm as _norm
import minigrad.functional.pointwise as _pointwise
import minigrad.functional.pool as _pool
import minigrad.functional.recurrent as _recurrent
import minigrad.functional.reduce as _reduce
import minigrad.functional.resample as _resample
import minigrad.functional.scan as _scan
import minigrad.functional.scattering as _scattering
import minigrad.functional.sequence as _sequence
import minigrad.functional.shape as _shape
import minigrad.functional.softmax as _softmax
import minigrad.functional.sort as _sort
import minigrad.functional.special as _special
import minigrad.functional.unary as _unary
from minigrad.functional.activation import *
from minigrad.functional.attention import *
from minigrad.functional.conv import *
from minigrad.functional.dropout import *
from minigrad.functional.elementwise import *
from minigrad.functional.embedding import *
from minigrad.functional.index import *
from minigrad.functional.join import *
from minigrad.functional.layout import *
from minigrad.functional.linalg import *
from minigrad.functional.linear import *
from minigrad.functional.loss import *
from minigrad.functional.loss_pointwise import *
from minigrad.functional.moments import *
from minigrad.functional.norm import *
from minigrad.functional.pointwise import *
from minigrad.functional.pool import *
from minigrad.functional.recurrent import *
from minigrad.functional.reduce import *
from minigrad.functional.resample import *
from minigrad.functional.scan import *
from minigrad.functional.scattering import *
from minigrad.functional.sequence import *
from minigrad.functional.shape import *
from minigrad.functional.softmax import *
from minigrad.functional.sort import *
from minigrad.functional.special import *
from minigrad.functional.unary import *
from minigrad.tensor import bind_methods

FAMILIES = (_elementwise, _unary, _activation, _reduce, _shape, _index, _join, _linear, _linalg,
            _sort, _conv, _pool, _norm, _dropout, _attention, _loss, _embedding, _recurrent,
            _sequence, _special, _moments, _scan, _softmax, _resample, _pointwise, _scattering,
            _layout, _loss_pointwise)

__all__ = [name for family in FAMILIES for name in family.__all__]


for _family in (*FAMILIES, _methods):
    bind_methods(_family.__name__, _family.TENSOR_METHODS)
