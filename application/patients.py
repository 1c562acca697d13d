"""Patient use cases: registration, demographics, coverage, clinical notes, summaries."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from application.eventstore import AriesApplication, CommandResult, retried_unless_conditional
from domain.patient import Patient
from domain.patient_values import CoverageRank, Demographics, NoteRef, RelationshipToSubscriber


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
    name = "Patients"
    aggregate_kind = "patient"

    def register_patient(
        self, demographics: Demographics, mbi: str | None = None, patient_id: UUID | None = None
    ) -> CommandResult:
        patient_id = patient_id or uuid4()
        patient = Patient.register(
            account_number=account_number_for(patient_id),
            demographics=demographics,
            as_of=self.clock.today(),
            mbi=mbi,
            patient_id=patient_id,
        )
        return self.commit(patient)

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
        patient.correct_demographics(demographics, as_of=self.clock.today(), mbi=mbi)
        return self.commit(patient)

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
    ) -> CommandResult:
        patient = self.load(patient_id, Patient, expected_version=expected_version)
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
