"""Cheaper binary COPY values for the read models' most common column types, producing the
very bytes psycopg's own dumpers produce (`folding.copy_rows` uses them).

Profiled in a claims rebuild, psycopg's binary COPY spent most of its time on two types:
- numeric: its C dumper takes each Decimal apart (`as_tuple()`, a digit at a time), about
  0.75 us a value, and a drafted claim writes 13 amounts. Read-model amounts repeat (zero, a
  fee schedule's charges), so the bytes are remembered by the Decimal's text, which names its
  sign, digits and exponent exactly (85.00 and 85.0 are equal Decimals but different numerics,
  and different texts): one `str()` and a dict look-up instead.
- text[]: its Python list dumper measures the list's dimensions and finds a dumper per element;
  a flat list of strings (a line's modifiers, a remittance's RARCs) is written directly.
Anything else goes to psycopg's own dumper.
"""

from __future__ import annotations

import struct
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.abc import AdaptContext, Buffer
from psycopg.adapt import AdaptersMap, Dumper
from psycopg.pq import Format

_NUMERIC = psycopg.postgres.types["numeric"]
_TEXT = psycopg.postgres.types["text"]
_BASE = psycopg.postgres.adapters

# Bounded: a log of distinct amounts would otherwise grow it for ever.
REMEMBERED = 8192
_numerics: dict[str, bytes] = {}

_head = struct.Struct("!iiIii").pack  # dimensions, has nulls, element type; size, lower bound
_EMPTY_TEXT_ARRAY = struct.pack("!iiI", 0, 0, _TEXT.oid)
_length = struct.Struct("!i").pack


class _Cheaper(Dumper):
    """A dumper of its `oid`'s values in binary that leaves what it does not know to the
    dumper psycopg has for that oid (`self._own`)."""

    format = Format.BINARY

    def __init__(self, cls: type, context: AdaptContext | None = None) -> None:
        super().__init__(cls, context)
        self._own = _BASE.get_dumper_by_oid(self.oid, Format.BINARY)(cls, context).dump


class NumericDumper(_Cheaper):
    """Binary numeric, remembered by the Decimal's text."""

    oid = _NUMERIC.oid

    def dump(self, obj: Any) -> Buffer | None:
        if type(obj) is not Decimal:
            return self._own(obj)
        text = str(obj)
        try:
            return _numerics[text]
        except KeyError:
            data = self._own(obj)
            if data is None:
                return None
            if len(_numerics) >= REMEMBERED:
                _numerics.clear()
            made = _numerics[text] = bytes(data)
            return made


class TextArrayDumper(_Cheaper):
    """Binary text[]: a flat list of strings directly, anything else by psycopg's dumper."""

    oid = _TEXT.array_oid

    def __init__(self, cls: type, context: AdaptContext | None = None) -> None:
        super().__init__(cls, context)
        self._text = _BASE.get_dumper_by_oid(_TEXT.oid, Format.BINARY)(str, context).dump

    def dump(self, obj: Any) -> Buffer | None:
        if type(obj) is not list:
            return self._own(obj)
        if not obj:
            return _EMPTY_TEXT_ARRAY
        parts = [_head(1, 0, _TEXT.oid, len(obj), 1)]
        text = self._text
        for item in obj:
            if type(item) is not str:
                return self._own(obj)
            data = text(item)
            parts.append(_length(len(data)))
            parts.append(data)
        return b"".join(parts)


def use_cheaper_dumpers(adapters: AdaptersMap) -> None:
    """Dump numeric and text[] values as above where the type is known by its oid (a COPY
    after `set_types`), in this adapters' context (a cursor's: its COPY alone)."""
    adapters.register_dumper(None, NumericDumper)
    adapters.register_dumper(None, TextArrayDumper)
