"""The patient (Medicare: beneficiary): demographics, MBI, coverages, SOAP notes, and summaries
of those notes with their provenance. Values are in `domain.patient_values`, the checks a
command's values pass in `domain.patient_rules`.

Decisions a newcomer may question:
- Child entities (coverage, note, amendment, summary) get UUIDs from the caller: the application
  layer generates uuid4 values, so a retried command can be recognised by its id. The patient's
  own id is the caller's `patient_id`, or the library's uuid4 when none is given.
- The domain never reads the clock: commands take the business date (`as_of`, `terminated_on`)
  or a tz-aware time (`written_at`), and times are stored in UTC.
- An MBI, once known, is never removed (a correction may replace it, not clear it), so a Medicare
  coverage always has an MBI to bill under.
- Event methods are called with their arguments in their declared order, under the same names;
  the appliers build the state's value objects, whose fields follow that order too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain import inquiry_answers
from domain import patient_rules as rules
from domain.base import AriesAggregate, pin_topics
from domain.errors import InvalidValue, RuleViolated, require
from domain.mbi import valid_mbi
from domain.patient_mbi_index import MbiIndex
from domain.patient_values import (
    RANK_ORDER,
    Address,
    Coverage,
    CoverageRank,
    Demographics,
    Note,
    NoteAmendment,
    NoteRef,
    RelationshipToSubscriber,
    Sex,
    Summary,
    SummaryReview,
    is_medicare_payer,
)
from domain.rules import calendar_date, present_text, utc_time


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
            demographics=rules.checked_demographics(demographics, as_of),
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
            demographics=rules.checked_demographics(demographics, as_of),
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
        *,
        subscriber: Demographics | None = None,
        as_of: date | None = None,
    ) -> None:
        """Add a policy. When the patient is not its subscriber (`relationship_to_subscriber`
        not SELF), `subscriber` gives the insured's demographics (required), checked as of
        `as_of` (default: `effective_from`)."""
        self._require_active()
        require(
            coverage_id not in self.coverages,
            "coverage_id_is_unique",
            f"coverage {coverage_id} already exists",
        )
        payer_id = present_text(payer_id, "payer id", "coverage_identifiers_are_present").upper()
        payer_name = present_text(payer_name, "payer name", "coverage_identifiers_are_present")
        member_id = present_text(member_id, "member id", "coverage_identifiers_are_present")
        rules.coverage_terms_are_known(rank, relationship_to_subscriber)
        effective_from, effective_to = rules.coverage_period(effective_from, effective_to)
        subscriber = rules.coverage_subscriber(
            relationship_to_subscriber, subscriber, as_of or effective_from
        )
        require(
            not is_medicare_payer(payer_id) or self.mbi is not None,
            "medicare_coverage_requires_mbi",
            f"Medicare payer {payer_id} needs the patient's MBI",
        )
        rules.one_active_coverage_per_rank(
            self.coverages.values(), rank, effective_from, effective_to
        )
        group_number = rules.optional_text(group_number)
        self._coverage_added(
            coverage_id, payer_id, payer_name, member_id, group_number, rank,
            relationship_to_subscriber, effective_from, effective_to, subscriber,
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
        subscriber: Demographics | None = None,
    ) -> None:
        # Events recorded before subscribers were kept have none: the patient was the subscriber.
        self.coverages[coverage_id] = Coverage(
            coverage_id, payer_id, payer_name, member_id, group_number, rank,
            relationship_to_subscriber, effective_from, effective_to, subscriber=subscriber,
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
        rules.termination_falls_within_the_coverage(coverage, terminated_on)
        self._coverage_terminated(coverage_id, terminated_on)

    @event("CoverageTerminated")
    def _coverage_terminated(self, coverage_id: UUID, terminated_on: date) -> None:
        self.coverages[coverage_id] = replace(
            self.coverages[coverage_id], terminated_on=terminated_on
        )

    def record_eligibility(
        self, coverage_id: UUID, payer_id: str, coverage: str, as_of: date,
        checked_at: datetime, reason: str | None = None,
    ) -> None:
        """The payer's answer to an eligibility inquiry (271) about one of the patient's
        coverages on `as_of`: active, inactive or rejected (`reason`: the AAA03 code)
        (`domain.inquiry_answers`)."""
        self._coverage(coverage_id)
        self._eligibility_checked(**inquiry_answers.eligibility_answer(
            coverage_id, payer_id, coverage, as_of, checked_at, reason,
        ))

    @event("EligibilityChecked")
    def _eligibility_checked(
        self, coverage_id: UUID, payer_id: str, coverage: str, as_of: date,
        checked_at: datetime, reason: str | None,
    ) -> None:
        """A fact for the read side (the work queue); the patient's state does not change."""

    def _coverage(self, coverage_id: UUID) -> Coverage:
        coverage = self.coverages.get(coverage_id)
        if coverage is None:
            raise RuleViolated("coverage_exists", f"coverage {coverage_id} not found")
        return coverage

    def active_coverages(self, on: date) -> list[Coverage]:
        """Coverages in force on `on`, primary first."""
        return sorted(
            (c for c in self.coverages.values() if c.is_active_on(on)),
            key=lambda c: RANK_ORDER[c.rank],
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
        sections = rules.soap_sections(subjective, objective, assessment, plan)
        self._note_added(note_id, author_id, written_at, *sections)

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
            note_id, author_id, written_at, subjective, objective, assessment, plan
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
        text = present_text(text, "amendment text", "amendment_text_is_present")
        reason = present_text(reason, "amendment reason", "amendment_reason_is_present")
        self._note_amended(note_id, amendment_id, author_id, written_at, text, reason)

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
        provider, model, prompt_template_version, requested_by = rules.checked_provenance(
            provider, model, prompt_template_version, requested_by
        )
        notes_read = rules.cited_note_versions(notes_read, self.notes)
        output_sha256 = rules.output_hash_of(text, output_sha256)
        generated_at = utc_time(generated_at, "generated_at")
        self._summary_recorded(
            summary_id, text, provider, model, prompt_template_version, notes_read,
            output_sha256, requested_by, generated_at,
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
            summary_id, text, provider, model, prompt_template_version, tuple(notes_read),
            output_sha256, requested_by, generated_at,
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
        comment = rules.optional_text(comment)
        self._summary_reviewed(summary_id, reviewer_id, reviewed_at, approved, comment)

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

AGGREGATES = (Patient, MbiIndex)
# Every Enum and value object that appears in an event attribute (state-only ones are not).
VALUE_TYPES = (Sex, CoverageRank, RelationshipToSubscriber, Address, Demographics, NoteRef)
