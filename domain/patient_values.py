"""Value types of the Patient aggregate (pure).

Every Enum and frozen dataclass here that appears in a Patient event is listed in
`domain.patient.VALUE_TYPES`; the others are aggregate state only. Value objects do not validate
themselves: a stored event must always load, even after a rule has tightened
(`domain.patient_rules` checks a command's values, once, when deciding). Transcoding names are
namespaced (`patient.Address`): another module may have its own Address.

Dates are inclusive: a coverage covers `effective_from` through `effective_to` (or through
`terminated_on` once terminated) as the last covered day, as in an X12 271 eligibility answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum, nonmember
from typing import ClassVar
from uuid import UUID

MEDICARE_PAYER_PREFIX = "MCR"


def is_medicare_payer(payer_id: str) -> bool:
    return payer_id.strip().upper().startswith(MEDICARE_PAYER_PREFIX)


class Sex(Enum):
    FEMALE = "female"
    MALE = "male"
    UNKNOWN = "unknown"

    TRANSCODING = nonmember("patient.Sex")


class CoverageRank(Enum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    TERTIARY = "tertiary"

    TRANSCODING = nonmember("patient.CoverageRank")


class RelationshipToSubscriber(Enum):
    SELF = "self"
    SPOUSE = "spouse"
    CHILD = "child"
    OTHER = "other"

    TRANSCODING = nonmember("patient.RelationshipToSubscriber")


RANK_ORDER = {CoverageRank.PRIMARY: 1, CoverageRank.SECONDARY: 2, CoverageRank.TERTIARY: 3}


@dataclass(frozen=True)
class Address:
    """A postal address; `postal_code` is stored as 5 or 9 bare digits (ZIP or ZIP+4)."""

    TRANSCODING: ClassVar[str] = "patient.Address"

    line1: str
    line2: str | None
    city: str
    state: str
    postal_code: str


@dataclass(frozen=True)
class Demographics:
    TRANSCODING: ClassVar[str] = "patient.Demographics"

    first_name: str
    last_name: str
    date_of_birth: date
    sex: Sex
    address: Address
    phone: str | None = None


@dataclass(frozen=True)
class NoteRef:
    """A note as a summary read it: its id and the version (1 + amendments) at the time."""

    TRANSCODING: ClassVar[str] = "patient.NoteRef"

    note_id: UUID
    version: int


@dataclass(frozen=True)
class Coverage:
    """A policy covering the patient (aggregate state, not stored in events)."""

    coverage_id: UUID
    payer_id: str
    payer_name: str
    member_id: str
    group_number: str | None
    rank: CoverageRank
    relationship_to_subscriber: RelationshipToSubscriber
    effective_from: date
    effective_to: date | None
    terminated_on: date | None = None
    # The insured when it is not the patient (a spouse's or parent's plan), else None.
    subscriber: Demographics | None = None

    @property
    def is_medicare(self) -> bool:
        return is_medicare_payer(self.payer_id)

    @property
    def ends_on(self) -> date | None:
        """The last covered day, or None while open-ended."""
        ends = [d for d in (self.effective_to, self.terminated_on) if d is not None]
        return min(ends) if ends else None

    def is_active_on(self, on: date) -> bool:
        ends_on = self.ends_on
        return self.effective_from <= on and (ends_on is None or on <= ends_on)

    def overlaps(self, effective_from: date, effective_to: date | None) -> bool:
        ends_on = self.ends_on
        return (ends_on is None or effective_from <= ends_on) and (
            effective_to is None or self.effective_from <= effective_to
        )


@dataclass(frozen=True)
class NoteAmendment:
    amendment_id: UUID
    author_id: str
    written_at: datetime
    text: str
    reason: str


@dataclass(frozen=True)
class Note:
    """A SOAP note and its amendments, oldest first. Amendments append, never overwrite."""

    note_id: UUID
    author_id: str
    written_at: datetime
    subjective: str
    objective: str
    assessment: str
    plan: str
    amendments: tuple[NoteAmendment, ...] = ()

    @property
    def version(self) -> int:
        return 1 + len(self.amendments)

    @property
    def ref(self) -> NoteRef:
        return NoteRef(self.note_id, self.version)


@dataclass(frozen=True)
class SummaryReview:
    reviewer_id: str
    reviewed_at: datetime
    approved: bool
    comment: str | None


@dataclass(frozen=True)
class Summary:
    """A summary of notes with its provenance (FHIR Provenance: who, what model, from what)."""

    summary_id: UUID
    text: str
    provider: str
    model: str
    prompt_template_version: str
    notes_read: tuple[NoteRef, ...]
    output_sha256: str
    requested_by: str
    generated_at: datetime
    review: SummaryReview | None = None
