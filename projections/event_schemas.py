"""Typed decoding of one event class's stored state: msgspec parses the JSON straight into
UUIDs, Decimals, dates, datetimes and enum members (in C), checking each tagged value's
`_type_` against the one its field's annotation implies, and a function generated for the class
unwraps the tags and builds the value objects.

`EventDecoder` (projections/decoding.py) tries this first. It answers the same state as the
library's transcoder because it succeeds only where the stored JSON has exactly the shape the
class's annotations give (every field present, no other key, each tag the expected one); any
other state (an older class version missing a field, a subclass stored where its base is
annotated, an enum msgspec cannot decode...) fails validation and goes the generic way. A field
whose annotation says too little (Any, float, a dict, a union) is parsed as is and walked by the
generic decoder, so it costs what it cost before.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from itertools import count
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Transcoding,
    UUIDAsHex,
)

from application.transcodings import DataclassAsDict, DateAsISO, EnumAsValue

Convert = Callable[[Any], Any]
Parse = Callable[[bytes], Any]

# Not stored in the state: the mapper takes them from the stored event's columns.
_COLUMNS = frozenset({"originator_id", "originator_version"})
_LEAVES = {UUIDAsHex: UUID, DecimalAsStr: Decimal, DatetimeAsISO: datetime, DateAsISO: date}
_SEQUENCES = (list, tuple, frozenset, set)


class Unsupported(Exception):
    """The class's annotations do not give a typed schema: decode it the generic way."""


@dataclasses.dataclass(frozen=True)
class _Field:
    """How a value is parsed (`kind`, a msgspec type) and made (`make`: from the code of the
    parsed value, the code of the made one; None when the parsed value is the value)."""

    kind: Any
    make: Callable[[str], str] | None = None


class Schemas:
    """Typed parsers of stored event states, one per event class, for one JSON transcoder."""

    def __init__(self, transcoder: JSONTranscoder, walk: Convert) -> None:
        self._types: dict[type, Transcoding] = dict(transcoder.types)
        self._names = count()
        self._tags: dict[tuple[str, Any], type] = {}
        self._values: dict[type, _Field] = {}
        # Names the generated code refers to: the generic walk, value classes and makers.
        self._scope: dict[str, Any] = {"walk": walk, "new": object.__new__}

    def parser(self, cls: type) -> Callable[[bytes], dict[str, Any]]:
        """A function from stored state (JSON bytes) to the state the mapper would decode, that
        raises (msgspec.ValidationError or another error) where it cannot be sure to."""
        if not dataclasses.is_dataclass(cls):
            raise Unsupported(cls)
        try:
            hints = typing.get_type_hints(cls)
        except Exception as error:
            raise Unsupported(cls) from error
        fields = [f.name for f in dataclasses.fields(cls) if f.name not in _COLUMNS]
        specs = {name: self._spec(hints[name]) for name in fields}
        struct = self._struct(cls.__name__, specs, versioned=True)
        items = ", ".join(f"{name!r}: {_made(spec, f's.{name}')}" for name, spec in specs.items())
        convert = self._function(f"def f(s):\n    return {{{items}}}\n")
        parse = msgspec.json.Decoder(struct).decode

        def state(data: bytes) -> dict[str, Any]:
            parsed = parse(data)
            made = convert(parsed)
            if parsed.class_version != 1:
                made["class_version"] = parsed.class_version
            return made

        return state

    # --- Specs ------------------------------------------------------------------------------

    def _spec(self, hint: Any) -> _Field:
        if hint in (str, int, bool):
            return _Field(hint)
        if hint is type(None):
            return _Field(None)
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if origin in (typing.Union, types.UnionType):
            others = [arg for arg in args if arg is not type(None)]
            if len(others) != 1 or len(args) != 2:
                return _ANY
            inner = self._spec(others[0])
            if inner is _ANY or inner.make is None:
                return inner if inner is _ANY else _Field(inner.kind | None)
            name, make = f"t{next(self._names)}", inner.make
            return _Field(
                inner.kind | None,
                lambda src: f"(None if ({name} := {src}) is None else {make(name)})",
            )
        if origin in _SEQUENCES:
            element = _element(origin, args)
            inner = _ANY if element is None else self._spec(element)
            if inner is _ANY or inner.make is None:
                return inner if inner is _ANY else _Field(list[inner.kind])
            name, make = f"x{next(self._names)}", inner.make
            return _Field(list[inner.kind], lambda src: f"[{make(name)} for {name} in {src}]")
        if isinstance(hint, type):
            return self._transcoded(hint)
        return _ANY

    def _transcoded(self, hint: type) -> _Field:
        transcoding = self._types.get(hint)
        if transcoding is None:
            return _ANY
        kind = type(transcoding)
        if kind in _LEAVES:
            return _Field(self._tag(transcoding.name, _LEAVES[kind]), _data)
        if kind is EnumAsValue:
            try:
                msgspec.json.Decoder(hint)
            except TypeError:  # mixed or non-str/int values: msgspec has no decoder for it
                return _ANY
            return _Field(self._tag(transcoding.name, hint), _data)
        if kind is DataclassAsDict:
            return self._value_object(transcoding)  # type: ignore[arg-type]
        return _ANY

    def _value_object(self, transcoding: DataclassAsDict) -> _Field:
        cls = transcoding.type
        made = self._values.get(cls)
        if made is not None:
            return made
        try:
            hints = typing.get_type_hints(cls)
        except Exception:
            return _ANY
        specs = {f.name: self._spec(hints[f.name]) for f in dataclasses.fields(cls)}
        rebuild = transcoding._rebuild  # noqa: SLF001 (the same rebuilds as the transcoding's)
        values = []
        for name, spec in specs.items():
            value = _made(spec, f"d.{name}")
            wrap = rebuild.get(name)
            if wrap is not None:  # tuple or frozenset, as DataclassAsDict.decode rebuilds
                value = f"(None if (w := {value}) is None else {wrap.__name__}(w))"
            values.append(f"{name!r}: {value}")
        number = next(self._names)
        self._scope[f"C{number}"] = cls
        body = "{" + ", ".join(values) + "}"
        plain = not hasattr(cls, "__post_init__") and not hasattr(cls, "__slots__")
        if plain:  # a plain frozen dataclass: as decoding.py's fast path, without __init__
            code = f"def f(d):\n    o = new(C{number})\n    o.__dict__.update({body})\n"
            code += "    return o\n"
        else:
            code = f"def f(d):\n    return C{number}(**{body})\n"
        self._scope[f"V{number}"] = self._function(code)
        data = self._struct(cls.__name__, specs, versioned=False)
        made = self._values[cls] = _Field(
            self._tag(transcoding.name, data), lambda src: f"V{number}({src}.data)"
        )
        return made

    # --- Building blocks ---------------------------------------------------------------------

    def _tag(self, name: str, kind: Any) -> type:
        """The msgspec type of `{"_type_": name, "_data_": <kind>}`."""
        key = (name, kind)
        tag = self._tags.get(key)
        if tag is None:
            tag = self._tags[key] = msgspec.defstruct(
                f"Tag{next(self._names)}",
                [("data", kind)],
                tag_field="_type_",
                tag=name,
                rename={"data": "_data_"},
                forbid_unknown_fields=True,
                gc=False,  # parsed JSON holds no cycles: nothing for the collector to find
            )
        return tag

    def _struct(self, name: str, specs: dict[str, _Field], *, versioned: bool) -> type:
        fields: list[Any] = [(field, spec.kind) for field, spec in specs.items()]
        if versioned:
            fields.append(("class_version", int, 1))
        try:
            return msgspec.defstruct(
                f"{name}{next(self._names)}", fields, forbid_unknown_fields=True, gc=False
            )
        except (TypeError, ValueError) as error:  # a field name msgspec will not take
            raise Unsupported(name) from error

    def _function(self, code: str) -> Convert:
        scope = dict(self._scope)
        exec(code, scope)  # noqa: S102 (code built from field names and our own templates)
        return scope["f"]


_ANY = _Field(Any, lambda src: f"walk({src})")


def _data(src: str) -> str:
    return f"{src}.data"


def _made(spec: _Field, src: str) -> str:
    return src if spec.make is None else spec.make(src)


def _element(origin: Any, args: tuple[Any, ...]) -> Any:
    """The element type of a homogeneous sequence annotation, or None."""
    if not args:
        return None
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return args[0]
        return args[0] if all(arg == args[0] for arg in args) else None
    return args[0] if len(args) == 1 else None
