"""Stored events decoded for projections: the JSON parsed by msgspec in one C pass, then the
library's transcodings applied by a walk that knows the common ones by heart.

The library's mapper parses with `json` and an `object_hook`: one Python call per JSON object of
the payload (a claim draft holds two dozen), then each transcoding's `decode`, and a value
object is built through its dataclass `__init__` (one `object.__setattr__` per field, frozen).
That was half of a claims rebuild. `EventDecoder` answers what `mapper.to_domain_event` answers
(the same classes, equal values, upcasters run on the same state), faster:

- UUIDs, Decimals, datetimes, dates and enum members are made by direct calls;
- a value object whose stored fields are exactly its fields is made without `__init__` (the
  domain's value objects are plain frozen dataclasses: no `__post_init__`, no slots; one that
  is not, or an old event missing a field that has a default since, goes through `__init__`);
- any other transcoding is called as the mapper would call it.

Each event class is first tried typed (projections/event_schemas.py: msgspec builds the values
in C against the class's annotations); this walk answers where that is not sure to.

It defers to the mapper itself whenever it could not be sure to answer the same: another
transcoder than the library's JSON one, a cipher or compressor, or state msgspec will not parse
(the mapper then parses it, or raises its usual error).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, SafeUUID

import msgspec
import structlog
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Transcoding,
    TranscodingNotRegisteredError,
    UUIDAsHex,
    find_id_convertor,
)
from eventsourcing.utils import resolve_topic

from application.transcodings import DataclassAsDict, DateAsISO, EnumAsValue
from projections.event_schemas import Schemas, Unsupported

Convert = Callable[[Any], Any]
log = structlog.get_logger(__name__)
_CONTAINERS = (dict, list)


class _Unparsed(Exception):
    """msgspec would not parse the state: let the mapper decode the event."""


_new = object.__new__
_set = object.__setattr__
_UNKNOWN = SafeUUID.unknown


def _uuid(data: Any) -> UUID:
    """`UUID(data)` for the 32 hex digits the library stores, without the checks and clean-up
    of its constructor (a third of decoding an order); anything else goes through it."""
    if type(data) is str and len(data) == 32 and data.isalnum():
        made = _new(UUID)
        _set(made, "int", int(data, 16))
        _set(made, "is_safe", _UNKNOWN)
        return made
    return UUID(data)


def _enum(transcoding: EnumAsValue) -> Convert:
    members = transcoding.type._value2member_map_
    make = transcoding.type

    def convert(data: Any) -> Any:
        try:
            return members[data]
        except (KeyError, TypeError):  # an alias, a _missing_ hook, or an unhashable value
            return make(data)

    return convert


def _value_object(transcoding: DataclassAsDict) -> Convert:
    cls = transcoding.type
    names = frozenset(field.name for field in dataclasses.fields(cls))
    rebuild = dict(transcoding._rebuild)  # noqa: SLF001 (the same rebuilds as the mapper's)
    plain = not hasattr(cls, "__post_init__") and not hasattr(cls, "__slots__")
    new = object.__new__

    def convert(data: Any) -> Any:
        if not plain or type(data) is not dict or data.keys() != names:
            return transcoding.decode(data)
        for name, make in rebuild.items():
            value = data[name]
            if value is not None:
                data[name] = make(value)
        made = new(cls)
        made.__dict__.update(data)
        return made

    return convert


def _converter(transcoding: Transcoding) -> Convert:
    kind = type(transcoding)
    if kind is UUIDAsHex:
        return _uuid
    if kind is DecimalAsStr:
        return Decimal
    if kind is DatetimeAsISO:
        return datetime.fromisoformat
    if kind is DateAsISO:
        return date.fromisoformat
    if kind is EnumAsValue:
        return _enum(transcoding)  # type: ignore[arg-type]
    if kind is DataclassAsDict:
        return _value_object(transcoding)  # type: ignore[arg-type]
    return transcoding.decode


_TRIALS = 32


@dataclasses.dataclass
class Typed:
    """A class's typed parser, and whether it ever succeeded."""

    parse: Callable[[bytes], dict[str, Any]]
    failed: int = 0
    succeeded: bool = False


class EventDecoder:
    """`decoder(notification)` is `mapper.to_domain_event(notification)`, faster (see the module
    docstring)."""

    def __init__(self, mapper: Mapper[Any]) -> None:
        self.mapper = mapper
        transcoder = mapper.transcoder
        usable = isinstance(transcoder, JSONTranscoder) and not mapper.cipher
        usable = usable and not mapper.compressor
        self._convert: dict[str, Convert] | None = None
        if usable:
            assert isinstance(transcoder, JSONTranscoder)
            self._convert = {name: _converter(t) for name, t in transcoder.names.items()}
        self._parse = msgspec.json.Decoder().decode
        self._classes: dict[str, tuple[type, int]] = {}
        # Per topic, the class's typed parser (projections/event_schemas.py), None where it has
        # none or where it failed on every one of the first `_TRIALS` events it was given.
        self._typed: dict[str, Typed | None] = {}
        self._schemas = Schemas(transcoder, self._walk) if usable else None  # type: ignore[arg-type]

    def __call__(self, notification: StoredEvent) -> Any:
        if self._convert is None:
            return self.mapper.to_domain_event(notification)
        topic = notification.topic
        try:
            cls, class_version = self._classes[topic]
        except KeyError:
            cls = resolve_topic(topic)
            cls, class_version = self._classes[topic] = cls, getattr(cls, "class_version", 1)
        state = self._typed_state(topic, cls, notification)
        if state is None:
            try:
                state = self._state(notification)
            except _Unparsed:
                return self.mapper.to_domain_event(notification)
        originator_id = notification.originator_id
        state["originator_id"] = find_id_convertor(cls, type(originator_id))(originator_id)
        state["originator_version"] = notification.originator_version
        from_version = state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", state)
        return event

    def _typed_state(
        self, topic: str, cls: type, notification: StoredEvent
    ) -> dict[str, Any] | None:
        """The state by the class's typed parser, or None: no parser, or not sure (the generic
        walk then answers, or raises the mapper's error)."""
        try:
            typed = self._typed[topic]
        except KeyError:
            typed = self._typed[topic] = self._typed_for(cls)
        if typed is None:
            return None
        try:
            state = typed.parse(notification.state)
        except Exception:  # noqa: BLE001 (any doubt: the generic walk decides)
            typed.failed += 1
            if typed.failed >= _TRIALS and not typed.succeeded:
                self._typed[topic] = None
            return None
        typed.succeeded = True
        return state

    def _typed_for(self, cls: type) -> Typed | None:
        if self._schemas is None:
            return None
        try:
            return Typed(self._schemas.parser(cls))
        except Unsupported:
            return None
        except Exception:  # noqa: BLE001 (a schema we failed to build: the generic walk serves)
            log.warning("no typed parser for an event class", event_class=cls.__qualname__)
            return None

    def _state(self, notification: StoredEvent) -> dict[str, Any]:
        try:
            parsed = self._parse(notification.state)
        except (msgspec.DecodeError, UnicodeDecodeError):
            raise _Unparsed from None
        try:
            state = self._walk(parsed)
        except Exception as error:
            raise MapperDeserialisationError(
                f"Failed to deserialise state of stored event with topic '{notification.topic}', "
                f"originator_id '{notification.originator_id}' and originator_version "
                f"{notification.originator_version}: {error}"
            ) from error
        if type(state) is not dict:  # the mapper fails on it its own way
            raise _Unparsed
        return state

    def _walk(self, value: Any) -> Any:
        """What the library's object_hook makes of `value`, parsed without it: every JSON
        object of exactly `_type_` and `_data_` (inner ones first) through its transcoding.
        Tagged objects are converted where they are found rather than by a call of their own:
        a claim holds two dozen of them, and calls are most of the cost."""
        if type(value) is dict:
            if len(value) == 2 and "_type_" in value and "_data_" in value:
                return self._tagged(value)
            for key, item in value.items():
                kind = type(item)
                if kind is dict:
                    if len(item) == 2 and "_type_" in item and "_data_" in item:
                        data = item["_data_"]
                        if type(data) in _CONTAINERS:
                            data = self._walk(data)
                        value[key] = self._transcoding(item["_type_"])(data)
                    else:
                        value[key] = self._walk(item)
                elif kind is list:
                    value[key] = self._walk(item)
            return value
        walk = self._walk
        return [walk(item) if type(item) in _CONTAINERS else item for item in value]

    def _tagged(self, value: dict[str, Any]) -> Any:
        data = value["_data_"]
        if type(data) in _CONTAINERS:
            data = self._walk(data)
        return self._transcoding(value["_type_"])(data)

    def _transcoding(self, name: Any) -> Convert:
        assert self._convert is not None
        try:
            return self._convert[name]
        except KeyError:
            raise TranscodingNotRegisteredError(
                f"Data serialized with name '{name}' is not deserializable. "
                "Please register a custom transcoding for this type."
            ) from None
