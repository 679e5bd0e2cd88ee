"""Module features against torch.nn on equivalent structures: ModuleList / ModuleDict naming,
traversal order, apply, requires_grad_, dtype casts, reprs, Sequential slicing."""
from collections import OrderedDict

import numpy as np
import pytest
import torch

from minigrad import DTypeError, Tensor
from minigrad.nn import (
    Embedding,
    Flatten,
    Linear,
    Module,
    ModuleDict,
    ModuleList,
    Parameter,
    ReLU,
    Sequential,
    Tanh,
)
from minigrad.optim import SGD

tnn = torch.nn


def _lin(i, o, **kw):
    return Linear(i, o, rng=np.random.default_rng(0), **kw)


# ----- ModuleList -------------------------------------------------------------------------------
def test_module_list_api_and_names_match_torch():
    ml = ModuleList([_lin(2, 3), ReLU()])
    tl = tnn.ModuleList([tnn.Linear(2, 3), tnn.ReLU()])
    for mine, theirs in ((ml, tl),):
        mine.append(_lin(3, 4))
        theirs.append(tnn.Linear(3, 4))
        mine.extend([Tanh(), _lin(4, 1)])
        theirs.extend([tnn.Tanh(), tnn.Linear(4, 1)])
        mine.insert(1, _lin(3, 3))
        theirs.insert(1, tnn.Linear(3, 3))
    assert [n for n, _ in ml.named_parameters()] == [n for n, _ in tl.named_parameters()] == [
        "0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias", "5.weight", "5.bias"]
    assert len(ml) == len(tl) == 6
    assert [type(m).__name__ for m in ml] == [type(m).__name__ for m in tl]
    assert isinstance(ml[-1], Linear) and ml[-1].out_features == 1
    sub = ml[1:4]
    assert isinstance(sub, ModuleList) and [type(m).__name__ for m in sub] == \
        [type(m).__name__ for m in tl[1:4]] and sub[0] is ml[1]
    assert [n for n, _ in sub.named_parameters()] == \
        [n for n, _ in tl[1:4].named_parameters()]
    new = _lin(3, 4)
    ml[2] = new
    tl[2] = tnn.Linear(3, 4)
    assert ml[2] is new and getattr(ml, "2") is new
    del ml[0]
    del tl[0]
    assert [n for n, _ in ml.named_parameters()] == [n for n, _ in tl.named_parameters()]
    ml += [ReLU()]
    assert len(ml) == 6 and isinstance(ml.pop(), ReLU) and len(ml) == 5


def test_module_list_errors():
    ml = ModuleList([ReLU()])
    with pytest.raises(TypeError, match="ModuleList.append: expected a Module, got function"):
        ml.append(lambda x: x)
    with pytest.raises(TypeError, match="item 1"):
        ModuleList([ReLU(), 3])
    with pytest.raises(IndexError, match="index 1 is out of range for length 1"):
        ml[1]  # noqa: B018
    with pytest.raises(IndexError):
        ml[-2] = ReLU()


def test_module_list_in_a_model_registers_parameters_and_state():
    class Net(Module):
        def __init__(self):
            super().__init__()
            self.layers = ModuleList([_lin(2, 2, dtype=np.float64) for _ in range(3)])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    net = Net()
    assert list(net.state_dict()) == [f"layers.{i}.{p}" for i in range(3)
                                      for p in ("weight", "bias")]
    out = net(np.ones((1, 2)))
    out.sum().backward()
    assert all(p.grad is not None for p in net.parameters())


def test_module_list_repr_groups_repeats_as_torch():
    ml = ModuleList([_lin(2, 2), _lin(2, 2), _lin(2, 2), ReLU(), _lin(2, 3)])
    tl = tnn.ModuleList([tnn.Linear(2, 2), tnn.Linear(2, 2), tnn.Linear(2, 2), tnn.ReLU(),
                         tnn.Linear(2, 3)])
    assert repr(ml) == repr(tl)
    assert repr(ModuleList()) == repr(tnn.ModuleList()) == "ModuleList()"


# ----- ModuleDict -------------------------------------------------------------------------------
def test_module_dict_api_and_names_match_torch():
    md = ModuleDict({"enc": _lin(2, 3), "act": ReLU()})
    td = tnn.ModuleDict({"enc": tnn.Linear(2, 3), "act": tnn.ReLU()})
    md["dec"] = _lin(3, 2)
    td["dec"] = tnn.Linear(3, 2)
    md.update([("head", _lin(2, 1))])
    td.update([("head", tnn.Linear(2, 1))])
    assert [n for n, _ in md.named_parameters()] == [n for n, _ in td.named_parameters()] == [
        "enc.weight", "enc.bias", "dec.weight", "dec.bias", "head.weight", "head.bias"]
    assert list(md) == list(td) == md.keys() == ["enc", "act", "dec", "head"]
    assert "dec" in md and "nope" not in md and len(md) == 4
    assert md.enc is md["enc"] and [k for k, _ in md.items()] == md.keys()
    assert md.pop("act").__class__ is ReLU and "act" not in md
    del md["dec"]
    assert md.keys() == ["enc", "head"]
    assert repr(ModuleDict({"a": ReLU()})) == repr(tnn.ModuleDict({"a": tnn.ReLU()}))
    md.clear()
    assert len(md) == 0 and md.parameters() == []


def test_module_dict_key_errors():
    md = ModuleDict()
    with pytest.raises(KeyError, match="attribute 'train' already exists"):
        md["train"] = ReLU()
    with pytest.raises(KeyError, match="without '.'"):
        md["a.b"] = ReLU()
    with pytest.raises(TypeError, match="name must be a str"):
        md[1] = ReLU()
    with pytest.raises(TypeError, match="expected a Module"):
        md["x"] = 3
    with pytest.raises(KeyError, match="no module 'x'"):
        md["x"]  # noqa: B018
    with pytest.raises(TypeError, match="item 0 must be a \\(key, Module\\) pair"):
        ModuleDict([ReLU()])


# ----- modules hidden in plain containers -------------------------------------------------------
@pytest.mark.parametrize("value,where", [
    ([Linear(2, 2), Linear(2, 2)], r"blocks\[0\]"),
    ((ReLU(), Parameter(np.zeros(2))), r"blocks\[0\]"),
    ({"a": 1, "b": Parameter(np.zeros(2))}, r"blocks\['b'\]"),
    ([[1, 2], [3, Tanh()]], r"blocks\[1\]\[1\]"),
])
def test_plain_container_of_modules_is_a_named_error(value, where):
    m = Module()
    with pytest.raises(TypeError, match=rf"attribute 'blocks' .* at {where}.*nn.ModuleList / "
                                        r"nn.ModuleDict"):
        m.blocks = value
    assert not hasattr(m, "blocks")


def test_plain_containers_of_other_values_are_fine():
    m = Module()
    m.sizes = [1, 2, 3]
    m.cache = (Tensor(np.zeros(2)), None)
    m.vocab = {"a": 0}
    assert m.parameters() == [] and m.sizes == [1, 2, 3]


# ----- traversal and apply ----------------------------------------------------------------------
class _Block(Module):
    def __init__(self, shared):
        super().__init__()
        self.inner = Sequential(_lin(2, 2), Tanh())
        self.shared = shared
        self.scale = Parameter(np.ones(2, np.float32))


class _TBlock(tnn.Module):
    def __init__(self, shared):
        super().__init__()
        self.inner = tnn.Sequential(tnn.Linear(2, 2), tnn.Tanh())
        self.shared = shared
        self.scale = tnn.Parameter(torch.ones(2))


def _pair():
    shared, tshared = _lin(2, 2), tnn.Linear(2, 2)
    mine = Sequential(_Block(shared), _Block(shared), ReLU())
    theirs = tnn.Sequential(_TBlock(tshared), _TBlock(tshared), tnn.ReLU())
    return mine, theirs


def _kinds(pairs):
    return [(n, type(m).__name__.lstrip("_T").replace("Block", "B")) for n, m in pairs]


def test_traversal_matches_torch_and_dedups_shared_modules():
    mine, theirs = _pair()
    assert _kinds(mine.named_modules()) == _kinds(theirs.named_modules())
    assert _kinds(mine.named_children()) == _kinds(theirs.named_children())
    assert [n for n, _ in mine.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert len(mine.parameters()) == len(list(theirs.parameters())) == 8  # shared counted once
    assert [n for n, _ in mine[0].named_parameters(prefix="enc", recurse=False)] == \
        [n for n, _ in theirs[0].named_parameters(prefix="enc", recurse=False)] == ["enc.scale"]
    assert list(mine.state_dict()) == list(theirs.state_dict())  # state_dict keeps both names
    assert mine.get_submodule("1.inner.0") is mine[1].inner[0]
    SGD(mine.parameters(), lr=0.1)  # no "appears more than once" for the shared Linear


def test_apply_visits_children_first_and_returns_self():
    mine, theirs = _pair()
    seen, tseen = [], []
    assert mine.apply(lambda m: seen.append(type(m).__name__)) is mine
    theirs.apply(lambda m: tseen.append(type(m).__name__))
    assert [s.lstrip("_") for s in seen] == [s.lstrip("_").replace("TBlock", "Block")
                                             for s in tseen]

    def zero_linear(m):
        if isinstance(m, Linear):
            m.weight.data[...] = 0

    mine.apply(zero_linear)
    assert all((m.weight.data == 0).all() for m in mine.modules() if isinstance(m, Linear))


def test_requires_grad_freezes_and_optimizer_skips():
    net = Sequential(_lin(2, 2, dtype=np.float64), Tanh(), _lin(2, 1, dtype=np.float64))
    assert net[0].requires_grad_(False) is net[0]
    assert [p.requires_grad for p in net.parameters()] == [False, False, True, True]
    opt = SGD(net.parameters(), lr=0.1)
    before = net[0].weight.data.copy()
    net(np.ones((3, 2))).sum().backward()
    assert net[0].weight.grad is None and net[2].weight.grad is not None
    opt.step()
    np.testing.assert_array_equal(net[0].weight.data, before)
    net.requires_grad_()
    assert all(p.requires_grad for p in net.parameters())


# ----- dtype casts ------------------------------------------------------------------------------
class _WithBuffers(Module):
    def __init__(self):
        super().__init__()
        self.lin = _lin(3, 2)
        self.register_buffer("running", Tensor(np.ones(2, np.float32)))
        self.register_buffer("count", Tensor(np.array(4, np.int64)))


def test_to_double_float_cast_in_place_and_keep_identity():
    m = _WithBuffers()
    w = m.lin.weight
    w.grad = np.ones((3, 2), np.float32)
    opt = SGD(m.parameters(), lr=0.5)
    assert m.double() is m
    assert m.lin.weight is w and w.dtype == np.float64 and w.grad.dtype == np.float64
    assert m.running.dtype == np.float64 and m.count.dtype == np.int64
    y = m.lin(np.ones((1, 3)))  # the layer's dtype check follows its weight
    assert y.dtype == np.float64
    opt.step()  # the optimizer still holds the same Parameters
    assert w.dtype == np.float64
    assert m.to(dtype=np.float32) is m and m.to("float64", "cpu") is m
    assert {p.dtype for p in m.parameters()} == {np.dtype(np.float64)}
    assert m.float().lin.bias.dtype == np.float32 and m.running.dtype == np.float32
    sd = m.state_dict()
    assert sd["lin.weight"].dtype == np.float32 and sd["count"].dtype == np.int64
    with pytest.raises(DTypeError, match="must be floating.*int64"):
        m.to(np.int64)
    with pytest.raises(DTypeError, match="not a dtype"):
        m.to("cuda")


# ----- reprs ------------------------------------------------------------------------------------
def test_layer_reprs_match_torch():
    pairs = [
        (_lin(5, 3), tnn.Linear(5, 3)),
        (_lin(5, 3, bias=False), tnn.Linear(5, 3, bias=False)),
        (Embedding(7, 4), tnn.Embedding(7, 4)),
        (ReLU(), tnn.ReLU()),
        (Tanh(), tnn.Tanh()),
        (Flatten(), tnn.Flatten()),
        (Sequential(Flatten(), _lin(6, 4), ReLU(), Sequential(_lin(4, 2), Tanh())),
         tnn.Sequential(tnn.Flatten(), tnn.Linear(6, 4), tnn.ReLU(),
                        tnn.Sequential(tnn.Linear(4, 2), tnn.Tanh()))),
    ]
    for mine, theirs in pairs:
        assert repr(mine) == repr(theirs)


def test_custom_module_repr_and_extra_repr():
    class Scale(Module):
        def __init__(self):
            super().__init__()
            self.body = Sequential(_lin(2, 2), ReLU())
            self.k = 3

        def extra_repr(self):
            return f"k={self.k}"

    class TScale(tnn.Module):
        def __init__(self):
            super().__init__()
            self.body = tnn.Sequential(tnn.Linear(2, 2), tnn.ReLU())

        def extra_repr(self):
            return "k=3"

    assert repr(Scale()) == repr(TScale()).replace("TScale", "Scale")
    assert repr(Module()) == "Module()"


# ----- Sequential -------------------------------------------------------------------------------
def test_sequential_dict_names_slicing_and_edits_match_torch():
    mine = Sequential(OrderedDict([("conv", _lin(2, 3)), ("act", ReLU()), ("out", _lin(3, 1))]))
    theirs = tnn.Sequential(OrderedDict([("conv", tnn.Linear(2, 3)), ("act", tnn.ReLU()),
                                         ("out", tnn.Linear(3, 1))]))
    assert [n for n, _ in mine.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert repr(mine) == repr(theirs)
    assert [n for n, _ in mine[1:].named_parameters()] == \
        [n for n, _ in theirs[1:].named_parameters()] == ["out.weight", "out.bias"]
    assert mine[-1] is mine.out
    mine.append(Tanh())
    theirs.append(tnn.Tanh())
    del mine[1]  # torch renumbers every entry after a deletion
    del theirs[1]
    assert [n for n, _ in mine.named_children()] == [n for n, _ in theirs.named_children()] == \
        ["0", "1", "2"]
    mine.insert(-1, Flatten())
    theirs.insert(-1, tnn.Flatten())
    assert repr(mine) == repr(theirs)
    mine.extend([ReLU()])
    theirs.extend([tnn.ReLU()])
    assert repr(mine) == repr(theirs)
    with pytest.raises(KeyError, match="attribute 'forward' already exists"):
        Sequential({"forward": ReLU()})


def test_delattr_unregisters():
    m = _Block(_lin(2, 2))
    del m.scale
    assert "scale" not in dict(m.named_parameters()) and not hasattr(m, "scale")
    del m.inner
    assert [n for n, _ in m.named_children()] == ["shared"]
