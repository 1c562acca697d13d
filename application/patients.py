"""Patient use cases: registration, demographics, coverage, clinical notes, summaries."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError

from application.eventstore import (
    AriesApplication,
    CommandResult,
    ConcurrentUpdate,
    retried_unless_conditional,
)
from application.ports import Clock
from application.setup import SetupApplication
from domain.errors import RuleViolated
from domain.patient import Patient
from domain.patient_mbi_index import RULE as MBI_IS_UNIQUE
from domain.patient_mbi_index import TAKEN, MbiIndex, mbi_index_id
from domain.patient_values import CoverageRank, Demographics, NoteRef, RelationshipToSubscriber

# The MBI index key of development and tests; production refuses it (interfaces/settings.py).
DEV_MBI_INDEX_KEY = "aries-development-mbi-index-key-change-me"  # noqa: S105


def account_number_for(patient_id: UUID) -> str:
    """A short, human-typable account number derived from the patient id (unique with it)."""
    return "A" + base64.b32encode(patient_id.bytes[:5]).decode("ascii")


@dataclass(frozen=True)
class CorrectedFields:
    """Some of a patient's demographics, by `Demographics` field name; the fields not named
    keep the values the patient has when the correction is applied (`phone: None` removes the
    phone)."""

    values: Mapping[str, Any]

    def __post_init__(self) -> None:
        unknown = set(self.values) - {f.name for f in fields(Demographics)}
        if unknown:
            raise ValueError(f"not demographics fields: {', '.join(sorted(unknown))}")

    def applied_to(self, current: Demographics) -> Demographics:
        return replace(current, **self.values)


class PatientApplication(AriesApplication):
    """Patients, and the MBI index (`domain.patient_mbi_index`) saved with them: `mbi_index_key`
    keys the index ids and must never change once patients are registered under it."""

    name = "Patients"
    aggregate_kind = "patient"

    # Set by the composition root: coverages name a payer record (None in unit tests).
    setup: SetupApplication | None = None

    def __init__(
        self,
        env: dict[str, Any] | None = None,
        clock: Clock | None = None,
        mbi_index_key: str = DEV_MBI_INDEX_KEY,
    ) -> None:
        super().__init__(env, clock)
        self._mbi_index_key = mbi_index_key.encode()

    def register_patient(
        self, demographics: Demographics, mbi: str | None = None, patient_id: UUID | None = None
    ) -> CommandResult:
        """Register a patient; an MBI another patient of the tenant has is refused (rule
        `mbi_is_unique_per_tenant`), also when the two registrations are concurrent."""
        patient_id = patient_id or uuid4()
        patient = Patient.register(
            account_number=account_number_for(patient_id),
            demographics=demographics,
            as_of=self.clock.today(),
            mbi=mbi,
            patient_id=patient_id,
        )
        indexes = [] if patient.mbi is None else [self._mbi_held(patient, patient.mbi)]
        return self._commit_with_mbi(patient, *indexes)

    def _mbi_index(self, tenant_id: str, mbi: str) -> tuple[UUID, MbiIndex | None]:
        index_id = mbi_index_id(self._mbi_index_key, tenant_id, mbi)
        try:
            index = self.repository.get(index_id)
        except AggregateNotFoundError:
            return index_id, None
        assert isinstance(index, MbiIndex)
        return index_id, index

    def _mbi_held(self, patient: Patient, mbi: str) -> MbiIndex:
        """The index of `mbi`, held for `patient` (created, or a released one reassigned)."""
        index_id, index = self._mbi_index(patient.tenant_id, mbi)
        if index is None:
            return MbiIndex.reserve(index_id, patient.id)
        index.reserve_again(patient.id)
        return index

    def _commit_with_mbi(self, patient: Patient, *indexes: MbiIndex) -> CommandResult:
        try:
            return self.commit(patient, *indexes)
        except ConcurrentUpdate:
            # The patient's own version conflicts, or a concurrent command took the MBI.
            if indexes and patient.mbi is not None:
                index = self._mbi_index(patient.tenant_id, patient.mbi)[1]
                if index is not None and index.patient_id != patient.id:
                    raise RuleViolated(MBI_IS_UNIQUE, TAKEN) from None
            raise

    def get_patient(self, patient_id: UUID, version: int | None = None) -> Patient:
        return self.load(patient_id, Patient, version)

    def correct_demographics(
        self,
        patient_id: UUID,
        correction: Demographics | CorrectedFields,
        mbi: str | None = None,
        *,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Replace the demographics whole, or only the `CorrectedFields`, merged onto the
        version loaded here (one load, one save: a concurrent change is ConcurrentUpdate)."""
        patient = self.load(patient_id, Patient, expected_version=expected_version)
        demographics = (
            correction.applied_to(patient.demographics)
            if isinstance(correction, CorrectedFields)
            else correction
        )
        previous = patient.mbi
        patient.correct_demographics(demographics, as_of=self.clock.today(), mbi=mbi)
        indexes: list[MbiIndex] = []
        if patient.mbi is not None and patient.mbi != previous:
            indexes.append(self._mbi_held(patient, patient.mbi))
            if previous is not None:
                old = self._mbi_index(patient.tenant_id, previous)[1]
                if old is not None:
                    old.release(patient.id)
                    indexes.append(old)
        return self._commit_with_mbi(patient, *indexes)

    def add_coverage(
        self,
        patient_id: UUID,
        *,
        payer_id: str,
        payer_name: str,
        member_id: str,
        group_number: str | None,
        rank: CoverageRank,
        relationship_to_subscriber: RelationshipToSubscriber,
        effective_from: date,
        effective_to: date | None = None,
        coverage_id: UUID | None = None,
        expected_version: int | None = None,
        subscriber: Demographics | None = None,
    ) -> CommandResult:
        """Add a coverage; `subscriber` is the insured when not the patient (required then).
        Its payer is one of the tenant's payer records (`SetupApplication.check_coverage_payer`)."""
        patient = self.load(patient_id, Patient, expected_version=expected_version)
        if self.setup is not None:
            self.setup.check_coverage_payer(payer_id.strip(), patient.tenant_id)
        patient.add_coverage(
            coverage_id=coverage_id or uuid4(),
            payer_id=payer_id,
            payer_name=payer_name,
            member_id=member_id,
            group_number=group_number,
            rank=rank,
            relationship_to_subscriber=relationship_to_subscriber,
            effective_from=effective_from,
            effective_to=effective_to,
            subscriber=subscriber,
            as_of=self.clock.today(),
        )
        return self.commit(patient)

    def terminate_coverage(
        self,
        patient_id: UUID,
        coverage_id: UUID,
        terminated_on: date,
        *,
        expected_version: int | None = None,
    ) -> CommandResult:
        patient = self.load(patient_id, Patient, expected_version=expected_version)
        patient.terminate_coverage(coverage_id, terminated_on)
        return self.commit(patient)

    @retried_unless_conditional
    def add_note(
        self,
        patient_id: UUID,
        *,
        author_id: str,
        subjective: str = "",
        objective: str = "",
        assessment: str = "",
        plan: str = "",
        note_id: UUID | None = None,
        written_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        patient = self.load(patient_id, Patient, expected_version=expected_version)
        patient.add_note(
            note_id=note_id or uuid4(),
            author_id=author_id,
            written_at=written_at or self.clock.now(),
            subjective=subjective,
            objective=objective,
            assessment=assessment,
            plan=plan,
        )
        return self.commit(patient)

    @retried_unless_conditional
    def amend_note(
        self,
        patient_id: UUID,
        note_id: UUID,
        *,
        author_id: str,
        text: str,
        reason: str,
        amendment_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        patient = self.load(patient_id, Patient, expected_version=expected_version)
        patient.amend_note(
            note_id=note_id,
            amendment_id=amendment_id or uuid4(),
            author_id=author_id,
            written_at=self.clock.now(),
            text=text,
            reason=reason,
        )
        return self.commit(patient)

    def record_summary(
        self,
        patient_id: UUID,
        *,
        summary_id: UUID,
        text: str,
        provider: str,
        model: str,
        prompt_template_version: str,
        notes_read: list[NoteRef],
        output_sha256: str,
        requested_by: str,
    ) -> CommandResult:
        patient = self.load(patient_id, Patient)
        patient.record_summary(
            summary_id=summary_id,
            text=text,
            provider=provider,
            model=model,
            prompt_template_version=prompt_template_version,
            notes_read=notes_read,
            output_sha256=output_sha256,
            requested_by=requested_by,
            generated_at=self.clock.now(),
        )
        return self.commit(patient)

    def review_summary(
        self,
        patient_id: UUID,
        summary_id: UUID,
        *,
        reviewer_id: str,
        approved: bool,
        comment: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        patient = self.load(patient_id, Patient, expected_version=expected_version)
        patient.review_summary(
            summary_id,
            reviewer_id=reviewer_id,
            reviewed_at=self.clock.now(),
            approved=approved,
            comment=comment,
        )
        return self.commit(patient)

    def deactivate(
        self, patient_id: UUID, reason: str, *, expected_version: int | None = None
    ) -> CommandResult:
        patient = self.load(patient_id, Patient, expected_version=expected_version)
        patient.deactivate(reason, self.clock.today())
        return self.commit(patient)
