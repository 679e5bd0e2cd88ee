"""Edges of the shared mechanisms: errors name the public Function, and a number or numpy
scalar where an array is required gets a named error (not an AttributeError)."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad.functional as F
from minigrad.errors import DTypeError, ShapeError


@pytest.mark.parametrize("fn, args", [
    (F.Exp, (np.ones(2),)),                      # forward inherited from a shared unary base
    (F.Maximum, (np.ones(2), np.ones(2))),       # ... from the shared binary base
    (F.Conv1d, (np.ones((1, 1, 4)), np.ones((1, 1, 2)))),  # ... from the N-d conv base
])
def test_an_unexpected_keyword_names_the_function_itself(fn, args):
    with pytest.raises(TypeError, match=rf"^{fn.__name__}\.forward\(\) got an unexpected keyword"):
        fn.apply(*args, foo=1)
    assert fn.forward.__qualname__ == f"{fn.__name__}.forward"


@pytest.mark.parametrize("thunk, error, message", [
    (lambda: F.affine(3.0, np.ones((1, 2)), np.ones(2)), ShapeError,
     r"Affine: x must be at least 2-D .* got shape \(\)"),
    (lambda: F.affine(np.float64(3.0), np.ones((1, 2)), np.ones(2)), ShapeError,
     r"Affine: x must be at least 2-D .* got shape \(\)"),
    (lambda: F.embedding(np.array([[0]]), 2.0), ShapeError, r"Embedding: W must be 2-D"),
    (lambda: F.embedding(1.5, np.ones((3, 2))), DTypeError,
     r"Embedding: idx must be an integer array, got dtype float64"),
])
def test_numbers_where_arrays_are_required_get_named_errors(thunk, error, message):
    with pytest.raises(error, match=message):
        thunk()
