"""X12 segments: writing them safely and reading them back.

Writing: `Segments` collects segments as tuples of elements (a tuple element is a composite).
Every value goes through `clean`, so data can never carry a delimiter: a name with `*` or `~`
would otherwise split a segment and shift every element after it. Trailing empty elements are
dropped, as the standard requires.

Reading: `interchanges(text)` finds each ISA...IEA in a text (several may follow one another,
as in a clearinghouse's answer), takes the delimiters from its fixed-width ISA and answers its
segments as lists of elements. Anything that is not X12 raises `X12SyntaxError`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

ELEMENT = "*"
COMPONENT = ":"
REPETITION = "^"
TERMINATOR = "~"
ISA_LENGTH = 106  # the ISA is fixed width: 105 characters and its terminator

_DELIMITERS = re.compile(r"[*:^~\\|]")
_NOT_PRINTABLE = re.compile(r"[^\x20-\x7E]")
_SPACES = re.compile(r"\s+")

Element = str | tuple[str, ...]


class X12SyntaxError(ValueError):
    """Text that is not a well-formed X12 interchange."""


def clean(value: object, max_length: int | None = None) -> str:
    """A data value safe inside an element: ASCII (accents folded), no delimiters, no control
    characters, single spaces, at most `max_length` characters."""
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode("ascii")
    text = _NOT_PRINTABLE.sub(" ", _DELIMITERS.sub(" ", text))
    text = _SPACES.sub(" ", text).strip()
    return text[:max_length].rstrip() if max_length else text


def amount(value: Decimal) -> str:
    """An X12 decimal (R): no exponent, trailing zeros after the point suppressed."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(f"{value!r} is not a finite Decimal")
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def d8(day: date) -> str:
    return day.strftime("%Y%m%d")


def rd8(first: date, last: date) -> tuple[str, str]:
    """(qualifier, value) for a date of service: D8 for one day, RD8 for a range."""
    if first == last:
        return "D8", d8(first)
    return "RD8", f"{d8(first)}-{d8(last)}"


def hhmm(moment: datetime) -> str:
    return moment.strftime("%H%M")


@dataclass
class Segments:
    """An ordered list of segments being written."""

    rows: list[tuple[str, ...]] = field(default_factory=list)

    def add(self, segment_id: str, *elements: Element | None) -> None:
        values = [
            COMPONENT.join(_trimmed([clean(c) for c in e])) if isinstance(e, tuple)
            else ("" if e is None else clean(e))
            for e in elements
        ]
        self.rows.append((segment_id, *_trimmed(values)))

    def add_raw(self, segment_id: str, *elements: str) -> None:
        """A segment whose elements are written as given (the fixed-width ISA, which declares
        the delimiters themselves)."""
        self.rows.append((segment_id, *elements))

    def extend(self, other: Segments) -> None:
        self.rows.extend(other.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def text(self) -> str:
        return "".join(f"{ELEMENT.join(row)}{TERMINATOR}\n" for row in self.rows)


def _trimmed(values: Sequence[str]) -> list[str]:
    values = list(values)
    while values and values[-1] == "":
        values.pop()
    return values


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interchange:
    """One ISA...IEA as read: delimiters and segments (each a list of element strings, the
    segment id first; composites are left joined, split them with `components`)."""

    element: str
    component: str
    segments: tuple[tuple[str, ...], ...]
    terminator: str = "~"  # the segment terminator its ISA declares

    def components(self, value: str) -> list[str]:
        return value.split(self.component)

    @property
    def control_number(self) -> str:
        return self.segments[0][13]


def interchanges(text: str) -> list[Interchange]:
    """Every interchange in `text`, in order; X12SyntaxError if there is none or one is cut."""
    found = list(_interchanges(text))
    if not found:
        raise X12SyntaxError("no ISA interchange header found")
    return found


def _interchanges(text: str) -> Iterator[Interchange]:
    rest = text.lstrip()
    while rest:
        if not rest.startswith("ISA") or len(rest) < ISA_LENGTH:
            raise X12SyntaxError("expected an ISA interchange header")
        element, component, terminator = rest[3], rest[104], rest[105]
        if len({element, component, terminator}) != 3 or element.isalnum():
            raise X12SyntaxError("the ISA does not declare three distinct delimiters")
        # The IEA segment, not "IEA" inside an element (a patient named Iea, say).
        trailer = re.search(rf"{re.escape(terminator)}\s*IEA{re.escape(element)}", rest)
        end = rest.find(terminator, trailer.end()) if trailer is not None else -1
        if end < 0:
            raise X12SyntaxError("interchange without its IEA trailer")
        body, rest = rest[: end + 1], rest[end + 1 :].lstrip()
        segments = tuple(
            tuple(raw.strip().split(element))
            for raw in body.split(terminator)
            if raw.strip()
        )
        if len(segments[0]) != 17:
            raise X12SyntaxError("the ISA has not 16 elements")
        yield Interchange(
            element=element, component=component, segments=segments, terminator=terminator
        )
