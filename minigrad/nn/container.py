"""Containers: ModuleList and ModuleDict (torch's API), whose entries register their parameters
under the entry's name: '0.weight', 'encoder.weight'."""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from minigrad.nn.module import Module, StateDictKeyError, _addindent

__all__ = ["ModuleList", "ModuleDict"]


def _module(where: str, m: Any) -> Module:
    if not isinstance(m, Module):
        raise TypeError(f"{where}: expected a Module, got {type(m).__name__}")
    return m


def _index(where: str, idx: Any, n: int) -> int:
    """`idx` as an int in [0, n), negative counting from the end, or a named IndexError."""
    if not isinstance(idx, int) or isinstance(idx, bool):
        raise TypeError(f"{where}: index must be an int or a slice, got {type(idx).__name__}")
    if not -n <= idx < n:
        raise IndexError(f"{where}: index {idx} is out of range for length {n}")
    return idx % n


def _renumber(module: Module, items: Iterable[Module]) -> None:
    """Replace `module`'s sub-modules with `items`, named '0', '1', ..."""
    entries = list(items)
    module._modules.clear()
    module._modules.update((str(i), m) for i, m in enumerate(entries))


def _delete(where: str, module: Module, idx: int | slice) -> None:
    """`del module[idx]` for ModuleList and Sequential: drop entries, renumber the rest (torch)."""
    entries = list(module._modules.values())
    if not isinstance(idx, slice):
        idx = _index(where, idx, len(entries))
    del entries[idx]
    _renumber(module, entries)


class ModuleList(Module):
    """A list of Modules whose parameters are named '<index>.<name>', as torch's ModuleList."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[str(_index("ModuleList", idx, len(self)))]

    def __setitem__(self, idx: int, module: Module) -> None:
        i = _index("ModuleList", idx, len(self))
        self._modules[str(i)] = _module("ModuleList.__setitem__", module)

    def __delitem__(self, idx: int | slice) -> None:
        _delete("ModuleList", self, idx)

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return type(self)([*self, *other])

    def append(self, module: Module) -> ModuleList:
        """Add `module` at the end; returns self."""
        self._modules[str(len(self))] = _module("ModuleList.append", module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Append each module of `modules`; returns self."""
        if not isinstance(modules, Iterable):
            raise TypeError(f"ModuleList.extend: expected an iterable of Modules, got "
                            f"{type(modules).__name__}")
        entries = [_module(f"ModuleList.extend: item {i}", m) for i, m in enumerate(modules)]
        for m in entries:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert `module` before position `index` (list.insert semantics)."""
        entries = list(self._modules.values())
        entries.insert(index, _module("ModuleList.insert", module))
        _renumber(self, entries)

    def pop(self, idx: int = -1) -> Module:
        """Remove and return the module at `idx`."""
        m = self[idx]
        del self[idx]
        return m

    def __repr__(self) -> str:
        reprs = [repr(m) for m in self]
        if not reprs:
            return f"{type(self).__name__}()"
        blocks: list[list[Any]] = []  # [start, end, repr] runs of identical reprs, as torch
        for i, r in enumerate(reprs):
            if blocks and blocks[-1][2] == r:
                blocks[-1][1] = i
            else:
                blocks.append([i, i, r])
        lines = [_addindent(f"({a}): {r}" if a == b else f"({a}-{b}): {b - a + 1} x {r}", 2)
                 for a, b, r in blocks]
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """An ordered dict of Modules whose parameters are named '<key>.<name>' (torch's ModuleDict)."""

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None
                 = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._modules))

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise StateDictKeyError(f"ModuleDict: no module {key!r}; keys are "
                                    f"{list(self._modules)}")
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self._check_name("__setitem__", key)
        self._modules[key] = _module(f"ModuleDict[{key!r}]", module)

    def __delitem__(self, key: str) -> None:
        self[key]  # noqa: B018 (the named KeyError)
        del self._modules[key]

    def keys(self) -> list[str]:
        """The keys, in insertion order."""
        return list(self._modules)

    def values(self) -> list[Module]:
        """The modules, in insertion order."""
        return list(self._modules.values())

    def items(self) -> list[tuple[str, Module]]:
        """(key, module) pairs, in insertion order."""
        return list(self._modules.items())

    def pop(self, key: str) -> Module:
        """Remove and return the module under `key`."""
        m = self[key]
        del self._modules[key]
        return m

    def clear(self) -> None:
        """Remove every module."""
        self._modules.clear()

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        """Add (key, module) pairs from a mapping or an iterable of pairs, in order."""
        if isinstance(modules, (Mapping, ModuleDict)):
            pairs = list(modules.items())
        elif isinstance(modules, Iterable):
            pairs = []
            for i, pair in enumerate(modules):
                if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                    raise TypeError(f"ModuleDict.update: item {i} must be a (key, Module) pair, "
                                    f"got {pair!r:.60}")
                pairs.append(tuple(pair))
        else:
            raise TypeError(f"ModuleDict.update: expected a mapping or an iterable of (key, "
                            f"Module) pairs, got {type(modules).__name__}")
        for key, m in pairs:
            self[key] = m
