"""Join family: split/chunk/np_split, pad/np_pad, flip, roll, tile/repeat, repeat_interleave,
h/v/dstack; float32, named errors, values from numpy (torch semantics where torch differs)."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor
from minigrad.errors import (
    DTypeError,
    IndexRangeError,
    RangeError,
    ShapeError,
    ShapeRuntimeError,
    UnsupportedError,
)
from tests.minigrad.ops.common import f32, r
from tests.minigrad.ops.test_shape import _grad

F32_CASES = {
    "Split": lambda: (F.Split, (f32(2, 3),), (0,), {"split_size_or_sections": [1, 2], "axis": 1}),
    "Pad": lambda: (F.Pad, (f32(2, 4),), (0,), {"pad": (1, 2), "mode": "reflect"}),
    "Flip": lambda: (F.Flip, (f32(3, 2),), (0,), {"axis": 0}),
    "Roll": lambda: (F.Roll, (f32(2, 3),), (0,), {"shifts": 2, "axis": 1}),
    "Tile": lambda: (F.Tile, (f32(2, 3),), (0,), {"reps": (2, 1, 2)}),
    "RepeatInterleave": lambda: (F.RepeatInterleave, (f32(2, 3),), (0,),
                                 {"repeats": [1, 0, 2], "axis": 1}),
}

ERROR_CASES = [
    ("Split", "size", lambda: F.split(r(4), 0), RangeError, ["positive", "0", "(4,)"]),
    ("Split", "sections", lambda: F.split(r(2, 5), [2, 2], dim=1), ShapeError,
     ["sum to x.shape[1] = 5", "[2, 2]"]),
    ("Split", "axis", lambda: F.split(r(2, 5), 2, axis=2), IndexRangeError,
     ["axis 2 is out of range", "(2, 5)"]),
    ("Pad", "odd", lambda: F.pad(r(2, 3), (1, 2, 3)), ShapeError, ["pairs", "(1, 2, 3)"]),
    ("Pad", "too many", lambda: F.pad(r(3), (1, 1, 1, 1)), ShapeError,
     ["at most x.ndim = 1", "(3,)"]),
    ("Pad", "mode", lambda: F.pad(r(3), (1, 1), mode="mirror"), UnsupportedError,
     ["mode must be one of", "'mirror'"]),
    ("Pad", "crop", lambda: F.pad(r(2, 3), (-2, -2)), ShapeError,
     ["crops more than", "(2, 3)"]),
    ("Pad", "value", lambda: F.pad(r(3), (1, 1), value="x"), DTypeError,
     ["value must be a number"]),
    ("Pad", "empty", lambda: F.pad(r(2, 0), (1, 1), mode="replicate"), ShapeError,
     ["cannot pad the empty dim 1", "(2, 0)"]),
    ("pad", "reflect width", lambda: F.pad(r(2, 3), (3, 0), mode="reflect"), ShapeRuntimeError,
     ["reflect pads must be < the padded side", "(3, 0)", "(2, 3)"]),
    ("pad", "circular wraps twice", lambda: F.pad(r(2, 3), (0, 4), mode="circular"),
     ShapeRuntimeError, ["circular pads must be <= the padded side", "(0, 4)"]),
    ("pad", "circular crop", lambda: F.pad(r(2, 3), (1, -1), mode="circular"), UnsupportedError,
     ["no negative pads", "(1, -1)"]),
    ("Flip", "axis", lambda: F.flip(r(2, 3), 2), IndexRangeError, ["axis 2 is out of range"]),
    ("Flip", "repeat", lambda: F.flip(r(2, 3), (0, -2)), ShapeRuntimeError,
     ["must not repeat"]),
    ("Roll", "lengths", lambda: F.roll(r(2, 3), (1, 2, 3), (0, 1)), ShapeRuntimeError,
     ["shifts (1, 2, 3) and axis (0, 1)", "same length"]),
    ("Roll", "flat", lambda: F.roll(r(2, 3), (1, 2)), ShapeRuntimeError,
     ["axis=None needs one shift"]),
    ("roll", "dims", lambda: F.roll(r(2, 3), 1, dims=(0, 1)), ShapeRuntimeError,
     ["shifts 1 and dims (0, 1)", "same length"]),
    ("Roll", "type", lambda: F.roll(r(2, 3), 1.5, 0), DTypeError, ["shifts must be ints"]),
    ("Tile", "negative", lambda: F.tile(r(2), (-1,)), RangeError, ["non-negative", "(-1,)"]),
    ("RepeatInterleave", "counts", lambda: F.repeat_interleave(r(2, 3), [1, 2], dim=1),
     ShapeError, ["one int or 3 counts", "got 2", "(2, 3)"]),
    ("RepeatInterleave", "negative", lambda: F.repeat_interleave(r(3), -1), RangeError,
     ["non-negative"]),
    ("RepeatInterleave", "float", lambda: F.repeat_interleave(r(3), 1.5), DTypeError,
     ["repeats must be ints"]),
    ("repeat", "too few", lambda: F.repeat(r(2, 3), 2), ShapeError,
     ["at least x.ndim = 2", "(2, 3)"]),
    ("chunk", "chunks", lambda: F.chunk(r(4), 0), RangeError, ["positive"]),
    ("np_split", "unequal", lambda: F.np_split(r(5), 2), ShapeError,
     ["2 sections do not divide x.shape[0] = 5"]),
    ("array_split", "zero", lambda: F.array_split(r(5), 0), RangeError, ["positive"]),
    ("np_pad", "mode", lambda: F.np_pad(r(3), 1, mode="mean"), RangeError, ["'mean'"]),
    ("np_pad", "negative", lambda: F.np_pad(r(3), -1), ShapeError, ["non-negative"]),
    ("np_pad", "shape", lambda: F.np_pad(r(3, 2), ((1, 2, 3),)), ShapeError,
     ["does not fit", "(3, 2)"]),
]


def _same(outs: list, refs: list) -> None:
    assert len(outs) == len(refs)
    for o, ref in zip(outs, refs, strict=True):
        np.testing.assert_array_equal(o.data, ref)


# ----- split, chunk, np_split, array_split --------------------------------------------------
def test_split_by_size_or_sections_like_torch() -> None:
    x = r(7, 2)
    _same(F.split(x, 3), [x[0:3], x[3:6], x[6:7]])  # the last piece is smaller
    _same(Tensor(x).split([2, 0, 5]), [x[:2], x[2:2], x[2:]])
    _same(F.split(x, 1, dim=1), [x[:, :1], x[:, 1:]])
    assert isinstance(F.split(x, 7), tuple) and len(F.split(x, 7)) == 1


def test_unused_split_outputs_get_zero_gradients() -> None:
    t = Tensor(r(6), requires_grad=True)
    _, b, _ = t.split(2)
    (b * 3.0).sum().backward()
    np.testing.assert_array_equal(t.grad, [0, 0, 3, 3, 0, 0])


def test_chunk_sizes_follow_torch() -> None:
    x = r(5, 6)
    assert [c.shape[0] for c in F.chunk(x, 4)] == [2, 2, 1]  # torch: ceil(5 / 4) = 2 per chunk
    assert [c.shape[1] for c in Tensor(x).chunk(4, dim=1)] == [2, 2, 2]
    assert [c.shape[1] for c in F.chunk(r(2, 0), 3, dim=1)] == [0, 0, 0]


def test_np_split_and_array_split_match_numpy() -> None:
    x = r(6, 4)
    _same(F.np_split(x, 3), np.split(x, 3))
    for idx in ([1, 3], [2, 10], [-2], [3, 1], [0, 0, 4]):
        _same(F.np_split(x, idx, axis=0), np.split(x, idx, axis=0))
        _same(F.array_split(x, idx, axis=1), np.array_split(x, idx, axis=1))
    _same(F.array_split(x, 3, axis=1), np.array_split(x, 3, axis=1))
    t = Tensor(x, requires_grad=True)
    a, b = F.np_split(t, [3, 1])[::2]  # overlapping pieces x[:3] and x[1:]
    (a.sum() + b.sum()).backward()
    np.testing.assert_array_equal(t.grad[:, 0], [1, 2, 2, 1, 1, 1])


# ----- pad, np_pad ---------------------------------------------------------------------------
def test_pad_pairs_start_from_the_last_dim() -> None:
    x = r(2, 3, 4)
    np.testing.assert_array_equal(F.pad(x, (1, 2)).data, np.pad(x, ((0, 0), (0, 0), (1, 2))))
    np.testing.assert_array_equal(F.pad(x, (1, 2, 0, 3), value=-1.5).data,
                                  np.pad(x, ((0, 0), (0, 3), (1, 2)), constant_values=-1.5))
    np.testing.assert_array_equal(Tensor(x).pad((-1, 2, 1, -1)).data,
                                  np.pad(x[:, :2, 1:], ((0, 0), (1, 0), (0, 2))))  # crops


@pytest.mark.parametrize("mode, np_mode", [("reflect", "reflect"), ("replicate", "edge"),
                                           ("circular", "wrap"), ("edge", "edge"),
                                           ("symmetric", "symmetric")])
def test_pad_modes_match_numpy_and_gradients_count_the_copies(mode: str, np_mode: str) -> None:
    x = r(3, 4)
    pw = ((2, 1), (3, 2))
    np.testing.assert_array_equal(F.pad(x, (3, 2, 2, 1), mode).data, np.pad(x, pw, np_mode))
    copies = np.bincount(np.pad(np.arange(12).reshape(3, 4), pw, np_mode).ravel(), minlength=12)
    np.testing.assert_array_equal(_grad(lambda t: F.pad(t, (3, 2, 2, 1), mode), x),
                                  copies.reshape(3, 4))


def test_np_pad_takes_numpy_pad_widths() -> None:
    x = r(3, 4)
    for pw, mode in ((1, "constant"), ((1, 2), "edge"), (((2, 0), (1, 3)), "reflect"),
                     (((5,),), "wrap"), ([[1, 2], [3, 4]], "symmetric")):
        np.testing.assert_array_equal(F.np_pad(x, pw, mode).data, np.pad(x, pw, mode))
    np.testing.assert_array_equal(F.np_pad(x, 2, constant_values=7.0).data,
                                  np.pad(x, 2, constant_values=7.0))
    np.testing.assert_array_equal(F.np_pad(r(2), 7, "reflect").data, np.pad(r(2), 7, "reflect"))


# ----- flip, roll ------------------------------------------------------------------------------
def test_flip_matches_numpy() -> None:
    x = r(2, 3, 4)
    np.testing.assert_array_equal(F.flip(x).data, np.flip(x))
    np.testing.assert_array_equal(F.flip(x, dims=(0, 2)).data, np.flip(x, (0, 2)))
    np.testing.assert_array_equal(Tensor(x).flip(0, 1).data, np.flip(x, (0, 1)))
    np.testing.assert_array_equal(Tensor(x).flip((-1,)).data, np.flip(x, -1))
    g = r(2, 3, 4, seed=5)
    np.testing.assert_array_equal(_grad(lambda t: t.flip(1), x, g), np.flip(g, 1))


def test_roll_matches_numpy_and_flattens_without_axis() -> None:
    x = r(3, 4)
    np.testing.assert_array_equal(F.roll(x, 5).data, np.roll(x, 5))
    np.testing.assert_array_equal(Tensor(x).roll(-1, 1).data, np.roll(x, -1, 1))
    np.testing.assert_array_equal(F.roll(x, (1, 6), dims=(0, 1)).data, np.roll(x, (1, 6), (0, 1)))
    np.testing.assert_array_equal(F.roll(x, 2, (0, 1)).data, np.roll(x, 2, (0, 1)))
    g = r(3, 4, seed=6)
    np.testing.assert_array_equal(_grad(lambda t: t.roll(7), x, g), np.roll(g, -7))


# ----- tile, repeat, repeat_interleave ---------------------------------------------------------
def test_tile_matches_numpy_and_repeat_is_torch_repeat() -> None:
    x = r(2, 3)
    for reps in (2, (2,), (1, 3), (2, 1, 2), (0, 2)):
        np.testing.assert_array_equal(F.tile(x, reps).data, np.tile(x, reps))
    np.testing.assert_array_equal(Tensor(x).tile(2, 2).data, np.tile(x, (2, 2)))
    np.testing.assert_array_equal(Tensor(x).repeat(2, 1, 2).data, np.tile(x, (2, 1, 2)))
    assert Tensor(x).repeat((3, 1)).shape == (6, 3)
    np.testing.assert_array_equal(_grad(lambda t: t.repeat(2, 3), x), np.full((2, 3), 6.0))


def test_repeat_interleave_matches_numpy_repeat() -> None:
    x = r(2, 3)
    np.testing.assert_array_equal(F.repeat_interleave(x, 2).data, np.repeat(x, 2))
    np.testing.assert_array_equal(F.repeat_interleave(x, [2, 0, 1], dim=1).data,
                                  np.repeat(x, [2, 0, 1], axis=1))
    np.testing.assert_array_equal(Tensor(x).repeat_interleave(3, 0).data, np.repeat(x, 3, 0))
    np.testing.assert_array_equal(
        Tensor(x).repeat_interleave(Tensor(np.array([1, 4])), dim=0).data,
        np.repeat(x, [1, 4], axis=0))
    np.testing.assert_array_equal(F.repeat_interleave(x, [2], axis=1).data, np.repeat(x, [2], 1))
    g = r(2, 3, seed=7)
    np.testing.assert_array_equal(_grad(lambda t: F.repeat_interleave(t, [2, 0, 1], axis=1), x,
                                        np.repeat(g, [2, 0, 1], axis=1)),
                                  g * [2, 0, 1])


def test_hstack_vstack_dstack_match_numpy() -> None:
    for xs in ([r(3), r(2)], [r(2, 3), r(2, 1)], [r(2, 1, 3), r(2, 2, 3)]):
        np.testing.assert_array_equal(F.hstack(xs).data, np.hstack(xs))
    for xs in ([r(3), r(3)], [r(2, 3), r(3)], [np.float64(1.0), np.float64(2.0)]):
        np.testing.assert_array_equal(F.vstack(xs).data, np.vstack(xs))
    for xs in ([r(3), r(3)], [r(2, 3), r(2, 3)], [r(2, 3, 1), r(2, 3, 2)]):
        np.testing.assert_array_equal(F.dstack(xs).data, np.dstack(xs))


def test_copied_pads_map_cropped_positions_into_the_whole_input_as_torch() -> None:
    x = np.arange(5.0)
    # reflect (3, -4): positions -3..0 of the input, reflected about 0 -> x[3], x[2], x[1], x[0]
    np.testing.assert_array_equal(F.pad(x, (3, -4), mode="reflect").data, [3.0, 2.0, 1.0, 0.0])
    np.testing.assert_array_equal(F.pad(x, (-3, 2), mode="replicate").data, [3, 4, 4, 4])
    np.testing.assert_array_equal(F.pad(x, (-1, 2), mode="reflect").data, [1, 2, 3, 4, 3, 2])
    t = Tensor(x, requires_grad=True)
    F.pad(t, (3, -4), mode="reflect").backward(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(t.grad, [4.0, 3.0, 2.0, 1.0, 0.0])
    assert F.pad(np.ones((2, 5)), (0, 0, 0, -2), mode="reflect").shape == (0, 5)
    assert F.np_pad(x, (7, 0), mode="reflect").shape == (12,)  # numpy has no width limit


def test_torch_pad_limits_and_modes() -> None:
    with pytest.raises(NotImplementedError, match="mode must be one of"):
        F.pad(r(3, 3), (1, 0), mode="typo")
    with pytest.raises(RuntimeError, match="reflect pads must be <"):
        F.pad(r(1, 5), (5, 0), mode="reflect")
    assert F.pad(r(1, 5), (5, 4), mode="circular").shape == (1, 14)
    with pytest.raises(RuntimeError, match="circular pads must be <="):
        F.pad(r(1, 5), (6, 0), mode="circular")


def test_roll_pairs_shifts_with_torch_dims_and_broadcasts_with_numpy_axis() -> None:
    x = r(2, 4)
    np.testing.assert_array_equal(F.roll(x, 1, axis=(0, 1)).data, np.roll(x, 1, axis=(0, 1)))
    np.testing.assert_array_equal(Tensor(x).roll(shifts=(2, 1), dims=(0, 1)).data,
                                  np.roll(x, (2, 1), (0, 1)))
    with pytest.raises(RuntimeError, match="same length"):
        Tensor(x).roll(shifts=(1, 2), dims=0)
    with pytest.raises(RuntimeError, match="needs one shift"):
        Tensor(x).roll((1, 2))
