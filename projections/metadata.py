"""An event's metadata read straight out of its stored JSON, without decoding the event.

A handler marked `@handles(..., metadata_only=True)` gets an `EventMetadata` instead of the
domain event: the ids, version, topic, timestamp and context fields every Aries event carries.
Reading those costs a fraction of decoding the whole event (one Python hook per nested value of
the payload), which is why `event_index`, written for every event of every application, reads
nothing else.
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder, Mapper, Notification, Transcoding
from eventsourcing.utils import get_topic, resolve_topic

CONTEXT_FIELDS = ("tenant_id", "actor_id", "actor_role", "correlation_id", "causation_id")
"""Event attributes stamped from the bound context (domain/base.py), stored as they are."""


class EventMetadata(NamedTuple):
    """What every event says about itself, whatever its payload."""

    originator_id: UUID
    originator_version: int
    topic: str  # the class's current topic: a renamed class's old events show the new one
    timestamp: datetime
    tenant_id: str | None
    actor_id: str | None
    actor_role: str | None
    correlation_id: str | None
    causation_id: str | None

    @classmethod
    def of(cls, event: Any) -> EventMetadata:
        """The metadata of a decoded event."""
        return cls(
            event.originator_id,
            event.originator_version,
            get_topic(type(event)),
            event.timestamp,
            *(getattr(event, name, None) for name in CONTEXT_FIELDS),
        )


# Makes an EventMetadata of a tuple of values in field order, without the checks of its
# constructor (which cost a third of reading the metadata).
_new = tuple.__new__


class _Unreadable(Exception):
    """The metadata cannot be read without the mapper: decode the whole event instead."""


_scan_value = json.JSONDecoder().scan_once  # the C scanner: (text, index) -> (value, end)
_scan_string = json.decoder.scanstring  # (text, index after the quote) -> (str, end)
_skip_space = json.decoder.WHITESPACE.match
_SPACE = frozenset(" \t\n\r")
_PLAIN = frozenset({str, type(None)})
_MISSING = object()
_CHARS = r'[^"\\\x00-\x1f]*'  # the characters of a JSON string that stand for themselves
_PREFIX_GROUPS = ("timestamp_type", "timestamp", *CONTEXT_FIELDS)


class _Layout(NamedTuple):
    """What the decoder knows of the events stored under one topic."""

    cls: type
    topic: str  # the class's current topic
    wanted: frozenset[str]  # the members to read
    class_version: int  # above 1: events stored with a lower one are upcast when decoded
    prefix: re.Pattern[str] | None  # see _prefix
    suffix: str  # how the state of an event stored with the current class version ends


def _layout(stored_topic: str) -> _Layout:
    cls = resolve_topic(stored_topic)
    # `class_version` comes last (after the payload) and only when above 1: look for it only
    # where the class has upcasters to run, at the end of the state if it is compact JSON.
    class_version = getattr(cls, "class_version", 1)
    upcasts = ("class_version",) if class_version > 1 else ()
    wanted = frozenset({"timestamp", *CONTEXT_FIELDS, *upcasts})
    suffix = f',"class_version":{class_version}}}' if upcasts else "}"
    return _Layout(cls, get_topic(cls), wanted, class_version, _prefix(cls), suffix)


def _prefix(cls: type) -> re.Pattern[str] | None:
    """A pattern for the first members of the state of a `cls` event, exactly as the library
    writes them (compact, in field order), through the last metadata member, with the metadata
    in named groups: the timestamp a transcoding of a string, the others null or strings that
    need no unescaping. Whatever it matches, JSON parsing would read the same; what it does not
    match is parsed."""
    if not dataclasses.is_dataclass(cls):
        return None
    names = [f.name for f in dataclasses.fields(cls)]
    names = [name for name in names if name not in ("originator_id", "originator_version")]
    metadata = {"timestamp", *CONTEXT_FIELDS}
    if not metadata <= set(names):
        return None
    members = []
    for name in names[: max(names.index(name) for name in metadata) + 1]:
        if name == "timestamp":
            value = rf'\{{"_type_":"(?P<timestamp_type>{_CHARS})",'
            value += rf'"_data_":"(?P<timestamp>{_CHARS})"\}}'
        elif name in CONTEXT_FIELDS:
            value = rf'(?:null|"(?P<{name}>{_CHARS})")'
        else:
            value = rf'(?:null|true|false|"{_CHARS}")'
        members.append(f'"{re.escape(name)}":{value}')
    return re.compile(r"\{" + ",".join(members) + "[,}]")


def _members(text: str, wanted: frozenset[str]) -> dict[str, Any]:
    """The `wanted` members of the JSON object `text`, parsed as plain JSON, stopping as soon
    as all are found: the library writes an event's inherited fields (the metadata) before its
    own, so the payload after them is not parsed."""
    found: dict[str, Any] = {}
    end = _expect(text, 0, "{") + 1
    if text[end] != '"' and text[_expect(text, end, '"}')] == "}":
        return found
    while True:
        # Whitespace is skipped only where a token is not where compact JSON has it.
        if text[end] != '"':
            end = _expect(text, end, '"')
        key, end = _scan_string(text, end + 1)
        if text[end] != ":":
            end = _expect(text, end, ":")
        end += 1
        if text[end] in _SPACE:
            end = _skip_space(text, end).end()
        value, end = _scan_value(text, end)
        if key in wanted:
            found[key] = value
            if len(found) == len(wanted):
                return found
        if text[end] != ",":
            end = _expect(text, end, ",}")
            if text[end] == "}":
                return found
        end += 1


def _expect(text: str, index: int, tokens: str) -> int:
    """The index of the first non-space character from `index`, which must be one of `tokens`."""
    index = _skip_space(text, index).end()
    if text[index] not in tokens:
        raise _Unreadable
    return index


class MetadataDecoder:
    """Reads an `EventMetadata` straight out of a stored event: the ids and version come from
    the notification's columns, the rest from the first members of the stored JSON state (the
    library writes an event's inherited fields, the metadata among them, before its own),
    matched by a pattern or else parsed as plain JSON, transcodings applied only there.

    It answers what `EventMetadata.of(mapper.to_domain_event(notification))` would, and defers
    to exactly that whenever it could not be sure to: another transcoder than the JSON one, an
    event its class would upcast (an upcaster may rewrite anything), a metadata value that is
    neither a JSON scalar nor a registered transcoding of one, state that is not a JSON object
    (the mapper then raises its usual error). Unlike the mapper it does not notice a payload it
    could not decode, since it does not read the payload; and were a key repeated in a state
    (the library never writes one twice) it would read the first, `json.loads` the last.
    """

    def __init__(self, mapper: Mapper[Any]) -> None:
        self.mapper = mapper
        transcoder = mapper.transcoder
        self.transcodings: dict[str, Transcoding] | None = (
            transcoder.names if isinstance(transcoder, JSONTranscoder) else None
        )
        self._cipher = mapper.cipher
        self._compressor = mapper.compressor
        self._layouts: dict[str, _Layout] = {}

    def __call__(self, notification: Notification) -> EventMetadata:
        if self.transcodings is not None:
            try:
                return self._read(notification)
            except _Unreadable:
                pass
        return EventMetadata.of(self.mapper.to_domain_event(notification))

    def _read(self, notification: Notification) -> EventMetadata:
        layout = self._layouts.get(notification.topic)
        if layout is None:
            layout = self._layouts[notification.topic] = _layout(notification.topic)
        state = notification.state
        if self._cipher:
            state = self._cipher.decrypt(state)
        if self._compressor:
            state = self._compressor.decompress(state)
        try:
            text = state.decode("utf-8")
        except UnicodeDecodeError:
            raise _Unreadable from None
        head = (notification.originator_id, notification.originator_version, layout.topic)
        if (
            layout.prefix is not None
            and text.endswith(layout.suffix)
            and (match := layout.prefix.match(text)) is not None
        ):
            assert self.transcodings is not None
            groups = match.group(*_PREFIX_GROUPS)  # timestamp type and data, then the context
            transcoding = self.transcodings.get(groups[0])
            if transcoding is not None:
                timestamp = transcoding.decode(groups[1])
                if isinstance(timestamp, datetime):
                    return _new(EventMetadata, (*head, timestamp, *groups[2:]))
        try:
            fields = _members(text, layout.wanted)
        except (ValueError, StopIteration, IndexError):  # not JSON, or not an object
            raise _Unreadable from None
        if fields.get("class_version", 1) < layout.class_version:
            raise _Unreadable
        timestamp = self._value(fields, layout.cls, "timestamp")
        if not isinstance(timestamp, datetime):
            raise _Unreadable
        context = [fields.get(name, _MISSING) for name in CONTEXT_FIELDS]
        if not _PLAIN.issuperset(map(type, context)):  # transcoded, missing or odd values
            context = [self._value(fields, layout.cls, name) for name in CONTEXT_FIELDS]
        return _new(EventMetadata, (*head, timestamp, *context))

    def _value(self, fields: dict[str, Any], cls: type, name: str) -> Any:
        try:
            value = fields[name]
        except KeyError:  # a decoded event would show the class's attribute, if it has one
            if hasattr(cls, name):
                raise _Unreadable from None
            return None
        if isinstance(value, dict):
            assert self.transcodings is not None
            try:
                transcoding = self.transcodings[value["_type_"]]
                data = value["_data_"]
            except KeyError:
                raise _Unreadable from None
            if len(value) != 2 or isinstance(data, dict | list):
                raise _Unreadable
            return transcoding.decode(data)
        if isinstance(value, list):
            raise _Unreadable
        return value
