"""How the domain's value types are stored in event state (JSON).

The library's JSON transcoder knows UUID, Decimal and datetime only, by exact type. Everything
else the domain puts in an event (dates, enums, value objects) is registered here under a
stable name: renaming a class is fine, renaming a transcoding name breaks stored events.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from enum import Enum
from typing import Any

from eventsourcing.persistence import Transcoding


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class EnumAsValue(Transcoding):
    """An Enum member as its value. (StrEnum/IntEnum never reach a transcoding: JSON encodes them
    as plain str/int, so the domain uses plain Enum for anything it stores.)"""

    def __init__(self, enum_type: type[Enum], name: str) -> None:
        self.type = enum_type
        self.name = name

    def encode(self, obj: Enum) -> Any:
        return obj.value

    def decode(self, data: Any) -> Enum:
        return self.type(data)


class DataclassAsDict(Transcoding):
    """A frozen dataclass value object as a dict of its fields (nested values transcode too).

    JSON has no tuples or sets: fields annotated as tuple or frozenset are rebuilt as such,
    so a replayed value object equals the one that was recorded.
    """

    def __init__(self, value_type: type, name: str) -> None:
        assert dataclasses.is_dataclass(value_type), value_type
        self.type = value_type
        self.name = name
        self._fields = dataclasses.fields(value_type)
        self._rebuild: dict[str, type] = {}
        for f in self._fields:
            annotation = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
            if annotation.startswith(("tuple", "Tuple")):
                self._rebuild[f.name] = tuple
            elif annotation.startswith("frozenset"):
                self._rebuild[f.name] = frozenset

    def encode(self, obj: Any) -> dict[str, Any]:
        data = {}
        for f in self._fields:
            value = getattr(obj, f.name)
            if isinstance(value, frozenset):
                value = sorted(value)
            elif isinstance(value, tuple):
                value = list(value)
            data[f.name] = value
        return data

    def decode(self, data: dict[str, Any]) -> Any:
        kwargs = {}
        for key, value in data.items():
            rebuild = self._rebuild.get(key)
            kwargs[key] = rebuild(value) if rebuild is not None and value is not None else value
        return self.type(**kwargs)


def transcoding_for(value_type: type) -> Transcoding:
    """The transcoding for a domain value type, named by its `TRANSCODING` attribute if it has
    one (set it when renaming a class), else by its class name."""
    name = getattr(value_type, "TRANSCODING", value_type.__name__)
    if isinstance(value_type, type) and issubclass(value_type, Enum):
        return EnumAsValue(value_type, f"enum:{name}")
    return DataclassAsDict(value_type, f"vo:{name}")
