"""`datatype`: the dataclass of this code base, its __repr__, __eq__ and __hash__ shared rather than compiled.

`dataclasses.dataclass` compiles a __repr__ and an __eq__ (frozen, a __hash__
too) for each class: about 0.3 ms of start-up a class in Python 3.11, and a
command imports twenty to forty of them. These behave as dataclass's own: the
fields in order under the class's name, equal only to an instance of the very
same class field by field (those that compare), unhashable unless frozen.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Any, TypeVar

T = TypeVar("T", bound=type)


def datatype(cls: T | None = None, /, *, frozen: bool = False, slots: bool = False) -> Any:
    """`@dataclass`, `@dataclass(frozen=True)` or `@dataclass(slots=True)`, with the shared methods."""

    def wrap(cls: T) -> T:
        cls = dataclasses.dataclass(cls, repr=False, eq=False, frozen=frozen, slots=slots)
        fields = dataclasses.fields(cls)
        cls._datatype_repr = tuple(f.name for f in fields if f.repr)
        cls._datatype_compare = tuple(f.name for f in fields if f.compare)
        cls.__repr__ = _repr
        cls.__eq__ = _eq
        if frozen:
            cls._datatype_hash = tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash))
            cls.__hash__ = _hash
        else:
            cls.__hash__ = None   # as a dataclass that compares: mutable, so not hashable
        return cls

    return wrap if cls is None else wrap(cls)


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._datatype_repr)
    return f"{type(self).__qualname__}({shown})"


def _eq(self: Any, other: Any) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented
    names = self._datatype_compare
    return tuple(getattr(self, n) for n in names) == tuple(getattr(other, n) for n in names)


def _hash(self: Any) -> int:
    return hash(tuple(getattr(self, n) for n in self._datatype_hash))


def shared(value: Any) -> Any:
    """`value`, interned if it is a string: marshal writes an interned string as such, and reading it
    back gives the one shared string rather than a copy per record (statuses, agents, policies)."""
    return sys.intern(value) if type(value) is str else value
