"""The patient (Medicare: beneficiary): demographics, MBI, coverages, SOAP notes, and summaries
of those notes with their provenance.

Decisions a newcomer may question:
- Child entities (coverage, note, amendment, summary) get UUIDs from the caller: the application
  layer generates uuid4 values, so a retried command can be recognised by its id. The patient's
  own id is the caller's `patient_id`, or the library's uuid4 when none is given.
- Dates are inclusive: a coverage covers `effective_from` through `effective_to` (or through
  `terminated_on` once terminated) as the last covered day, as in an X12 271 eligibility answer.
- The domain never reads the clock: commands take the business date (`as_of`, `terminated_on`)
  or a tz-aware time (`written_at`), and times are stored in UTC.
- An MBI, once known, is never removed (a correction may replace it, not clear it), so a Medicare
  coverage always has an MBI to bill under.
- Value objects do not validate themselves: a stored event must always load, even after a rule
  has tightened. Validation happens in the public command methods, once, when deciding.
- Transcoding names are namespaced (`patient.Address`): another module may have its own Address.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import Enum, nonmember
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import event

from domain.base import AriesAggregate, pin_topics
from domain.errors import InvalidValue, RuleViolated, require
from domain.mbi import valid_mbi
from domain.rules import calendar_date, present_text, utc_time

# The 50 states, DC, the territories and the military "states" USPS delivers to.
_STATES = """AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH
NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"""
USPS_STATE_CODES = frozenset((_STATES + " DC AS GU MP PR VI AA AE AP").split())

MEDICARE_PAYER_PREFIX = "MCR"


# --- Value objects ------------------------------------------------------------------------


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


_RANK_ORDER = {CoverageRank.PRIMARY: 1, CoverageRank.SECONDARY: 2, CoverageRank.TERTIARY: 3}


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


# --- Checks used when deciding ------------------------------------------------------------


def is_medicare_payer(payer_id: str) -> bool:
    return payer_id.strip().upper().startswith(MEDICARE_PAYER_PREFIX)


def _optional(value: str | None) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    return text or None


def _postal_code(value: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if len(text) == 10 and text[5] == "-":
        text = text[:5] + text[6:]
    if not (len(text) in (5, 9) and text.isascii() and text.isdigit()):
        raise InvalidValue("postal_code_is_5_or_9_digits", f"{value!r} is not a ZIP or ZIP+4")
    return text


def checked_address(address: Address) -> Address:
    """The address normalised (trimmed, state upper case, bare ZIP digits), or InvalidValue."""
    state = address.state.strip().upper() if isinstance(address.state, str) else ""
    if state not in USPS_STATE_CODES:
        raise InvalidValue("state_is_a_usps_code", f"{address.state!r} is not a USPS state code")
    return Address(
        line1=present_text(address.line1, "address line 1", "address_is_complete"),
        line2=_optional(address.line2),
        city=present_text(address.city, "city", "address_is_complete"),
        state=state,
        postal_code=_postal_code(address.postal_code),
    )


def checked_demographics(demographics: Demographics, as_of: date) -> Demographics:
    """The demographics normalised, or InvalidValue; `as_of` is the caller's business date."""
    as_of = calendar_date(as_of, "as_of")
    date_of_birth = calendar_date(demographics.date_of_birth, "date of birth")
    if date_of_birth > as_of:
        raise InvalidValue(
            "date_of_birth_is_not_in_the_future",
            f"date of birth {date_of_birth} is after {as_of}",
        )
    if not isinstance(demographics.sex, Sex):
        raise InvalidValue("sex_is_a_known_value", f"{demographics.sex!r} is not a Sex")
    return Demographics(
        first_name=present_text(demographics.first_name, "first name", "patient_name_is_present"),
        last_name=present_text(demographics.last_name, "last name", "patient_name_is_present"),
        date_of_birth=date_of_birth,
        sex=demographics.sex,
        address=checked_address(demographics.address),
        phone=_optional(demographics.phone),
    )


def sha256_hex(text: str) -> str:
    """The hash a summary's `output_sha256` must carry: SHA-256 of the UTF-8 text, hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _note_ref(value: NoteRef | tuple[UUID, int]) -> NoteRef:
    """A cited note as a NoteRef, from a NoteRef or a (note id, version) pair."""
    ref = value if isinstance(value, NoteRef) else None
    if ref is None and isinstance(value, tuple | list) and len(value) == 2:
        ref = NoteRef(note_id=value[0], version=value[1])
    if (
        ref is None
        or not isinstance(ref.note_id, UUID)
        or not isinstance(ref.version, int)
        or isinstance(ref.version, bool)
    ):
        raise InvalidValue(
            "note_reference_is_well_formed", f"{value!r} is not a (note id, version) pair"
        )
    return ref


# --- The aggregate ------------------------------------------------------------------------


class Patient(AriesAggregate):
    """A patient of the supplier. Every command is refused once the patient is deactivated
    (rule `patient_is_active`)."""

    class Registered(AriesAggregate.Created):
        """The patient was registered.

        Version 2 (current): `account_number: str`, `demographics: Demographics`,
        `mbi: str | None`.

        Version 1 (stored before `Demographics` existed) had, instead of `demographics`, the flat
        attributes `name: str` as "Last, First", `date_of_birth: date`, `address: Address`
        (same shape as today) and `phone: str | None`, and no sex. `upcast_v1_v2` turns such a
        state into version 2, with `sex` UNKNOWN.
        """

        class_version = 2

        account_number: str
        demographics: Demographics
        mbi: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> dict[str, Any]:
            """Version 1 -> 2, in place (and returned).

            The library upcasts after decoding the stored JSON, so the values here are already
            domain objects (`date_of_birth` a date, `address` an Address). A v1 name without a
            comma becomes the last name, with an empty first name: history is kept as it was
            recorded, not validated again.
            """
            last_name, _, first_name = state.pop("name").partition(",")
            state["demographics"] = Demographics(
                first_name=first_name.strip(),
                last_name=last_name.strip(),
                date_of_birth=state.pop("date_of_birth"),
                sex=Sex.UNKNOWN,
                address=state.pop("address"),
                phone=state.pop("phone", None),
            )
            return state

    @event(Registered)
    def __init__(self, account_number: str, demographics: Demographics, mbi: str | None) -> None:
        self.account_number = account_number
        self.demographics = demographics
        self.mbi = mbi
        self.coverages: dict[UUID, Coverage] = {}
        self.notes: dict[UUID, Note] = {}
        self.summaries: dict[UUID, Summary] = {}
        self.summary_requests: dict[UUID, str] = {}  # summary id -> who asked
        self.deactivated_on: date | None = None
        self.deactivation_reason: str | None = None

    # --- registration and demographics ----------------------------------------------------

    @classmethod
    def register(
        cls,
        *,
        account_number: str,
        demographics: Demographics,
        as_of: date,
        mbi: str | None = None,
        patient_id: UUID | None = None,
    ) -> Patient:
        """Register a patient. `mbi` is optional (commercial-only patients have none)."""
        return cls._create(
            cls.Registered,
            id=patient_id,
            account_number=present_text(
                account_number, "account number", "account_number_is_present"
            ),
            demographics=checked_demographics(demographics, as_of),
            mbi=None if mbi is None else valid_mbi(mbi),
        )

    @property
    def is_active(self) -> bool:
        return self.deactivated_on is None

    def _require_active(self) -> None:
        require(self.is_active, "patient_is_active", f"patient {self.id} is deactivated")

    def correct_demographics(
        self, demographics: Demographics, *, as_of: date, mbi: str | None = None
    ) -> None:
        """Replace the demographics; `mbi`, when given, replaces the MBI (None keeps it)."""
        self._require_active()
        self._demographics_corrected(
            demographics=checked_demographics(demographics, as_of),
            mbi=None if mbi is None else valid_mbi(mbi),
        )

    @event("DemographicsCorrected")
    def _demographics_corrected(self, demographics: Demographics, mbi: str | None) -> None:
        self.demographics = demographics
        if mbi is not None:
            self.mbi = mbi

    # --- coverages ------------------------------------------------------------------------

    def add_coverage(
        self,
        coverage_id: UUID,
        payer_id: str,
        payer_name: str,
        member_id: str,
        group_number: str | None,
        rank: CoverageRank,
        relationship_to_subscriber: RelationshipToSubscriber,
        effective_from: date,
        effective_to: date | None = None,
    ) -> None:
        self._require_active()
        require(
            coverage_id not in self.coverages,
            "coverage_id_is_unique",
            f"coverage {coverage_id} already exists",
        )
        payer_id = present_text(payer_id, "payer id", "coverage_identifiers_are_present").upper()
        payer_name = present_text(payer_name, "payer name", "coverage_identifiers_are_present")
        member_id = present_text(member_id, "member id", "coverage_identifiers_are_present")
        if not isinstance(rank, CoverageRank):
            raise InvalidValue("coverage_rank_is_a_known_value", f"{rank!r} is not a rank")
        if not isinstance(relationship_to_subscriber, RelationshipToSubscriber):
            raise InvalidValue(
                "relationship_to_subscriber_is_a_known_value",
                f"{relationship_to_subscriber!r} is not a relationship",
            )
        effective_from = calendar_date(effective_from, "effective_from")
        if effective_to is not None:
            effective_to = calendar_date(effective_to, "effective_to")
            require(
                effective_from <= effective_to,
                "coverage_period_is_ordered",
                f"coverage ends {effective_to} before it starts {effective_from}",
            )
        require(
            not is_medicare_payer(payer_id) or self.mbi is not None,
            "medicare_coverage_requires_mbi",
            f"Medicare payer {payer_id} needs the patient's MBI",
        )
        clash = next(
            (
                c
                for c in self.coverages.values()
                if c.rank is rank and c.overlaps(effective_from, effective_to)
            ),
            None,
        )
        if clash is not None:
            raise RuleViolated(
                "one_active_coverage_per_rank",
                f"{rank.value} coverage {clash.coverage_id} is active during "
                f"{effective_from}..{effective_to or 'open'}",
            )
        self._coverage_added(
            coverage_id=coverage_id,
            payer_id=payer_id,
            payer_name=payer_name,
            member_id=member_id,
            group_number=_optional(group_number),
            rank=rank,
            relationship_to_subscriber=relationship_to_subscriber,
            effective_from=effective_from,
            effective_to=effective_to,
        )

    @event("CoverageAdded")
    def _coverage_added(
        self,
        coverage_id: UUID,
        payer_id: str,
        payer_name: str,
        member_id: str,
        group_number: str | None,
        rank: CoverageRank,
        relationship_to_subscriber: RelationshipToSubscriber,
        effective_from: date,
        effective_to: date | None,
    ) -> None:
        self.coverages[coverage_id] = Coverage(
            coverage_id=coverage_id,
            payer_id=payer_id,
            payer_name=payer_name,
            member_id=member_id,
            group_number=group_number,
            rank=rank,
            relationship_to_subscriber=relationship_to_subscriber,
            effective_from=effective_from,
            effective_to=effective_to,
        )

    def terminate_coverage(self, coverage_id: UUID, terminated_on: date) -> None:
        """End a coverage; `terminated_on` is its last covered day."""
        self._require_active()
        coverage = self._coverage(coverage_id)
        require(
            coverage.terminated_on is None,
            "coverage_is_terminated_only_once",
            f"coverage {coverage_id} was terminated on {coverage.terminated_on}",
        )
        terminated_on = calendar_date(terminated_on, "terminated_on")
        require(
            terminated_on >= coverage.effective_from,
            "coverage_termination_not_before_effective_date",
            f"termination {terminated_on} is before the effective date {coverage.effective_from}",
        )
        require(
            coverage.effective_to is None or terminated_on <= coverage.effective_to,
            "coverage_termination_not_after_effective_to",
            f"termination {terminated_on} is after the coverage ends {coverage.effective_to}",
        )
        self._coverage_terminated(coverage_id=coverage_id, terminated_on=terminated_on)

    @event("CoverageTerminated")
    def _coverage_terminated(self, coverage_id: UUID, terminated_on: date) -> None:
        self.coverages[coverage_id] = replace(
            self.coverages[coverage_id], terminated_on=terminated_on
        )

    def _coverage(self, coverage_id: UUID) -> Coverage:
        coverage = self.coverages.get(coverage_id)
        if coverage is None:
            raise RuleViolated("coverage_exists", f"coverage {coverage_id} not found")
        return coverage

    def active_coverages(self, on: date) -> list[Coverage]:
        """Coverages in force on `on`, primary first."""
        return sorted(
            (c for c in self.coverages.values() if c.is_active_on(on)),
            key=lambda c: _RANK_ORDER[c.rank],
        )

    def coverage_for_rank(self, rank: CoverageRank, on: date) -> Coverage | None:
        return next((c for c in self.active_coverages(on) if c.rank is rank), None)

    # --- clinical notes -------------------------------------------------------------------

    def add_note(
        self,
        note_id: UUID,
        author_id: str,
        written_at: datetime,
        subjective: str = "",
        objective: str = "",
        assessment: str = "",
        plan: str = "",
    ) -> None:
        """Add a SOAP note; at least one section must have text. Section text is kept as
        written (only a section of whitespace counts as empty)."""
        self._require_active()
        require(note_id not in self.notes, "note_id_is_unique", f"note {note_id} already exists")
        author_id = present_text(author_id, "author id", "note_author_is_present")
        written_at = utc_time(written_at, "written_at")
        sections = [
            s if isinstance(s, str) else "" for s in (subjective, objective, assessment, plan)
        ]
        require(
            any(s.strip() for s in sections),
            "note_has_a_soap_section",
            "a note needs at least one of subjective, objective, assessment, plan",
        )
        subjective, objective, assessment, plan = sections
        self._note_added(
            note_id=note_id,
            author_id=author_id,
            written_at=written_at,
            subjective=subjective,
            objective=objective,
            assessment=assessment,
            plan=plan,
        )

    @event("NoteAdded")
    def _note_added(
        self,
        note_id: UUID,
        author_id: str,
        written_at: datetime,
        subjective: str,
        objective: str,
        assessment: str,
        plan: str,
    ) -> None:
        self.notes[note_id] = Note(
            note_id=note_id,
            author_id=author_id,
            written_at=written_at,
            subjective=subjective,
            objective=objective,
            assessment=assessment,
            plan=plan,
        )

    def amend_note(
        self,
        note_id: UUID,
        amendment_id: UUID,
        author_id: str,
        written_at: datetime,
        text: str,
        reason: str,
    ) -> None:
        """Append an amendment (HIPAA right to amend: corrections never overwrite)."""
        self._require_active()
        note = self.notes.get(note_id)
        if note is None:
            raise RuleViolated("note_exists", f"note {note_id} not found")
        require(
            all(a.amendment_id != amendment_id for n in self.notes.values() for a in n.amendments),
            "amendment_id_is_unique",
            f"amendment {amendment_id} already exists",
        )
        author_id = present_text(author_id, "author id", "note_author_is_present")
        written_at = utc_time(written_at, "written_at")
        require(
            written_at >= note.written_at,
            "amendment_not_before_note",
            f"amendment at {written_at} predates the note at {note.written_at}",
        )
        self._note_amended(
            note_id=note_id,
            amendment_id=amendment_id,
            author_id=author_id,
            written_at=written_at,
            text=present_text(text, "amendment text", "amendment_text_is_present"),
            reason=present_text(reason, "amendment reason", "amendment_reason_is_present"),
        )

    @event("NoteAmended")
    def _note_amended(
        self,
        note_id: UUID,
        amendment_id: UUID,
        author_id: str,
        written_at: datetime,
        text: str,
        reason: str,
    ) -> None:
        note = self.notes[note_id]
        amendment = NoteAmendment(amendment_id, author_id, written_at, text, reason)
        self.notes[note_id] = replace(note, amendments=(*note.amendments, amendment))

    # --- summaries ------------------------------------------------------------------------

    def request_summary(self, summary_id: UUID, requested_by: str) -> None:
        """Ask for a summary of the notes as they stand (a worker writes it later and records
        it under the same `summary_id`, which is also the job id)."""
        self._require_active()
        if not isinstance(summary_id, UUID):
            raise InvalidValue("summary_id_is_a_uuid", f"{summary_id!r} is not a UUID")
        require(
            summary_id not in self.summary_requests and summary_id not in self.summaries,
            "summary_id_is_unique",
            f"summary {summary_id} was already requested",
        )
        requested_by = present_text(requested_by, "requested by", "summary_requester_is_present")
        require(bool(self.notes), "summary_requires_notes", "the patient has no notes to summarise")
        self._summary_requested(summary_id=summary_id, requested_by=requested_by)

    @event("SummaryRequested")
    def _summary_requested(self, summary_id: UUID, requested_by: str) -> None:
        self.summary_requests[summary_id] = requested_by

    def record_summary(
        self,
        summary_id: UUID,
        text: str,
        provider: str,
        model: str,
        prompt_template_version: str,
        notes_read: Iterable[NoteRef | tuple[UUID, int]],
        output_sha256: str,
        requested_by: str,
        generated_at: datetime,
    ) -> None:
        """Record a generated summary with its provenance. Every cited (note id, version) must
        exist, and `output_sha256` must be the SHA-256 of `text`."""
        self._require_active()
        require(
            summary_id not in self.summaries,
            "summary_id_is_unique",
            f"summary {summary_id} already exists",
        )
        present_text(text, "summary text", "summary_text_is_present")  # kept as written: hashed
        provenance = [
            present_text(value, what, "summary_provenance_is_complete")
            for value, what in (
                (provider, "provider"),
                (model, "model"),
                (prompt_template_version, "prompt template version"),
                (requested_by, "requested by"),
            )
        ]
        refs = [_note_ref(r) for r in notes_read]
        require(bool(refs), "summary_cites_at_least_one_note", "a summary must cite its notes")
        missing = [
            r
            for r in refs
            if r.note_id not in self.notes or not 1 <= r.version <= self.notes[r.note_id].version
        ]
        require(
            not missing,
            "summary_cites_existing_note_versions",
            "no such note version: " + ", ".join(f"{r.note_id} v{r.version}" for r in missing),
        )
        digest = output_sha256.strip().lower() if isinstance(output_sha256, str) else ""
        require(
            digest == sha256_hex(text),
            "summary_output_hash_matches_text",
            "output_sha256 is not the SHA-256 of the summary text",
        )
        provider, model, prompt_template_version, requested_by = provenance
        self._summary_recorded(
            summary_id=summary_id,
            text=text,
            provider=provider,
            model=model,
            prompt_template_version=prompt_template_version,
            notes_read=refs,
            output_sha256=digest,
            requested_by=requested_by,
            generated_at=utc_time(generated_at, "generated_at"),
        )

    @event("SummaryRecorded")
    def _summary_recorded(
        self,
        summary_id: UUID,
        text: str,
        provider: str,
        model: str,
        prompt_template_version: str,
        notes_read: list[NoteRef],
        output_sha256: str,
        requested_by: str,
        generated_at: datetime,
    ) -> None:
        self.summaries[summary_id] = Summary(
            summary_id=summary_id,
            text=text,
            provider=provider,
            model=model,
            prompt_template_version=prompt_template_version,
            notes_read=tuple(notes_read),
            output_sha256=output_sha256,
            requested_by=requested_by,
            generated_at=generated_at,
        )

    def review_summary(
        self,
        summary_id: UUID,
        reviewer_id: str,
        reviewed_at: datetime,
        approved: bool,
        comment: str | None = None,
    ) -> None:
        """Approve or reject a summary, once."""
        self._require_active()
        summary = self.summaries.get(summary_id)
        if summary is None:
            raise RuleViolated("summary_exists", f"summary {summary_id} not found")
        require(
            summary.review is None,
            "summary_is_reviewed_only_once",
            f"summary {summary_id} was already reviewed",
        )
        reviewer_id = present_text(reviewer_id, "reviewer id", "summary_reviewer_is_present")
        reviewed_at = utc_time(reviewed_at, "reviewed_at")
        require(
            reviewed_at >= summary.generated_at,
            "summary_review_not_before_generation",
            f"review at {reviewed_at} predates the summary at {summary.generated_at}",
        )
        if not isinstance(approved, bool):
            raise InvalidValue("approval_is_a_boolean", f"approved must be a bool: {approved!r}")
        self._summary_reviewed(
            summary_id=summary_id,
            reviewer_id=reviewer_id,
            reviewed_at=reviewed_at,
            approved=approved,
            comment=_optional(comment),
        )

    @event("SummaryReviewed")
    def _summary_reviewed(
        self,
        summary_id: UUID,
        reviewer_id: str,
        reviewed_at: datetime,
        approved: bool,
        comment: str | None,
    ) -> None:
        review = SummaryReview(reviewer_id, reviewed_at, approved, comment)
        self.summaries[summary_id] = replace(self.summaries[summary_id], review=review)

    # --- deactivation ---------------------------------------------------------------------

    def deactivate(self, reason: str, on: date) -> None:
        """Deactivate the patient (deceased, moved away, duplicate record...). Final."""
        self._require_active()
        self._deactivated(
            reason=present_text(reason, "reason", "deactivation_reason_is_present"),
            deactivated_on=calendar_date(on, "deactivation date"),
        )

    @event("Deactivated")
    def _deactivated(self, reason: str, deactivated_on: date) -> None:
        self.deactivated_on = deactivated_on
        self.deactivation_reason = reason


pin_topics(Patient, "aries.patient")

AGGREGATES = (Patient,)
# Every Enum and value object that appears in an event attribute (state-only ones are not).
VALUE_TYPES = (Sex, CoverageRank, RelationshipToSubscriber, Address, Demographics, NoteRef)
