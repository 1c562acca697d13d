"""What the application needs from the outside world, as Protocols (adapters live in
interfaces/)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    def today(self) -> date: ...


class SystemClock:
    """The wall clock. Times are UTC; business dates (today: no delivery or billing run after
    it, drafting and filing dates) are the supplier's calendar dates, in `timezone`
    (`ARIES_SUPPLIER_TIMEZONE`; UTC when none is given)."""

    def __init__(self, timezone: tzinfo = UTC) -> None:
        self.timezone = timezone

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().astimezone(self.timezone).date()


# --- failures worth retrying, and the summary provider (S) ---------------------------------


class TransientFailure(Exception):
    """A failure worth retrying later (a timeout, a 5xx, a lost race): the workers retry it with
    backoff. Any other exception from a service is permanent."""


@dataclass(frozen=True)
class NoteForSummary:
    """One clinical note as a summary provider sees it: de-identified text, no ids."""

    written_on: date
    subjective: str
    objective: str
    assessment: str
    plan: str
    amendments: tuple[str, ...] = ()


@dataclass(frozen=True)
class SummaryRequest:
    """What a provider summarises: the notes (oldest first) and the same notes rendered as the
    prompt template `template_version` (for language models)."""

    template_version: str
    notes: tuple[NoteForSummary, ...]
    instructions: str
    prompt: str


@dataclass(frozen=True)
class GeneratedSummary:
    text: str
    model: str  # as the provider names the model that answered (its version when it says)


class SummaryProvider(Protocol):
    """Writes a summary of clinical notes. Raises TransientFailure when a retry may help."""

    name: str  # recorded as the summary's provider: "local", "ollama", "openai", "anthropic"

    def summarise(self, request: SummaryRequest) -> GeneratedSummary: ...


# --- the clearinghouse (X) ------------------------------------------------------------------


class ClearinghouseUnavailable(TransientFailure):
    """The interchange did not reach the clearinghouse (timeout, refused connection, 5xx)."""


class ClearinghouseRefused(Exception):
    """The clearinghouse refused the transmission itself (a 4xx): retrying will not help."""


class MalformedAnswer(Exception):
    """The clearinghouse took the interchange but its answer is not a readable TA1/999/277CA.
    The claims went out: they are recorded as submitted and wait for an acknowledgement."""


class TransmissionStatusUnknown(Exception):
    """The clearinghouse cannot say whether it received an interchange (no status service, or
    an answer that says nothing usable): a person must find out; sending again could file the
    claims twice."""


@dataclass(frozen=True)
class TransmissionRecord:
    """What the clearinghouse knows of one interchange control number: whether it received
    that interchange and, when it has them, its acknowledgements (TA1/999/277CA) as X12."""

    received: bool
    answer: str | None = None


class Clearinghouse(Protocol):
    """Where 837P interchanges go. `transmit` answers the clearinghouse's acknowledgements
    as X12 text: a TA1 or 999 for the interchange and, when ready, a 277CA per claim.
    `look_up` says what became of an interchange sent earlier (by its ISA13), raising
    ClearinghouseUnavailable (retry later) or TransmissionStatusUnknown (ask a person)."""

    name: str

    def transmit(self, interchange: str) -> str: ...

    def look_up(self, interchange_control_number: str) -> TransmissionRecord: ...

    def inquire(self, inquiry: str) -> str:
        """A real-time inquiry, a 270 (eligibility, 005010X279A1) or a 276 (claim status,
        005010X212), answered with its 271 or 277 as X12 (or a 999 refusing it). Raises
        ClearinghouseUnavailable (ask again later), ClearinghouseRefused or MalformedAnswer."""
        ...


class ControlNumbers(Protocol):
    """Interchange control numbers (ISA13/GS06): unique and increasing, 1..999999999."""

    def next_interchange(self) -> int: ...
