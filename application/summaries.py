"""Clinical-note summaries: requested by a clinician, written by a provider in a worker,
recorded on the patient with their provenance.

`request_summary` records `SummaryRequested` (the summary id is the job id). The worker calls
`generate_summary`, which is idempotent: a summary already recorded under that id is not
written again (None). It reads every note of the patient as it stands (amendments included),
asks the provider with the de-identified prompt of `application.summary_prompt`, and records
`SummaryRecorded` with provider, model, prompt template version, the (note id, version) pairs
it read, the SHA-256 of the text and who asked. Two workers racing on one summary may both ask
the provider; only one records.

`preview_summary` answers the synchronous `GET /v1/patients/{id}/summary`: the latest recorded
summary that covers every note at its current version, or, for a small history, a summary
computed on the spot by the given (local) provider and NOT recorded: a read must not write, and
an unrecorded summary has no provenance to review.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID, uuid4

from application.eventstore import CommandResult, ConcurrentUpdate
from application.patients import PatientApplication
from application.ports import SummaryProvider, TransientFailure
from application.summary_prompt import summary_request
from domain.errors import NotFound, RuleViolated
from domain.patient import Patient
from domain.patient_rules import sha256_hex
from domain.patient_values import Note, NoteRef, Summary

RECORD_ATTEMPTS = 3
SYNC_SUMMARY_MAX_NOTES = 20


class SummaryNotRequested(RuleViolated):
    def __init__(self, summary_id: UUID) -> None:
        super().__init__("summary_was_requested", f"no summary {summary_id} was requested")


class SummaryRecordingConflict(TransientFailure):
    """The patient kept changing while the summary was being recorded."""


def _refs(notes: list[Note]) -> list[NoteRef]:
    return [n.ref for n in sorted(notes, key=lambda n: (n.written_at, str(n.note_id)))]


def request_summary(
    patients: PatientApplication,
    patient_id: UUID,
    *,
    requested_by: str,
    summary_id: UUID | None = None,
    expected_version: int | None = None,
) -> CommandResult:
    patient = patients.load(patient_id, Patient, expected_version=expected_version)
    patient.request_summary(summary_id or uuid4(), requested_by)
    return patients.commit(patient)


def generate_summary(
    patients: PatientApplication,
    provider: SummaryProvider,
    patient_id: UUID,
    summary_id: UUID,
) -> CommandResult | None:
    """Write and record the requested summary `summary_id`; None when it is recorded already.

    The provider's TransientFailure propagates (the worker retries); SummaryNotRequested and
    other errors are permanent."""
    patient = patients.load(patient_id, Patient)
    if summary_id in patient.summaries:
        return None
    requested_by = patient.summary_requests.get(summary_id)
    if requested_by is None:
        raise SummaryNotRequested(summary_id)
    notes = list(patient.notes.values())
    request = summary_request(patient, notes)
    generated = provider.summarise(request)
    refs = _refs(notes)
    for _ in range(RECORD_ATTEMPTS):
        if summary_id in patient.summaries:
            return None
        # Notes added meanwhile do not matter: the summary cites the versions it read, which
        # still exist (amendments append).
        patient.record_summary(
            summary_id=summary_id,
            text=generated.text,
            provider=provider.name,
            model=generated.model,
            prompt_template_version=request.template_version,
            notes_read=refs,
            output_sha256=sha256_hex(generated.text),
            requested_by=requested_by,
            generated_at=patients.clock.now(),
        )
        try:
            return patients.commit(patient)
        except ConcurrentUpdate:
            patient = patients.load(patient_id, Patient)
    raise SummaryRecordingConflict(f"summary {summary_id}: the patient kept changing")


@dataclass(frozen=True)
class SummaryView:
    """A summary as the sync endpoint answers it."""

    source: Literal["recorded", "computed"]
    text: str
    provider: str
    model: str
    prompt_template_version: str
    notes_read: tuple[NoteRef, ...]
    output_sha256: str
    summary_id: UUID | None = None
    requested_by: str | None = None
    generated_at: datetime | None = None
    reviewed: bool = False
    approved: bool | None = None


def recorded_view(summary: Summary) -> SummaryView:
    return SummaryView(
        source="recorded",
        text=summary.text,
        provider=summary.provider,
        model=summary.model,
        prompt_template_version=summary.prompt_template_version,
        notes_read=summary.notes_read,
        output_sha256=summary.output_sha256,
        summary_id=summary.summary_id,
        requested_by=summary.requested_by,
        generated_at=summary.generated_at,
        reviewed=summary.review is not None,
        approved=summary.review.approved if summary.review is not None else None,
    )


def current_summary(patient: Patient) -> Summary | None:
    """The latest recorded summary that read every note at its current version."""
    current = {note.ref for note in patient.notes.values()}
    covering = [s for s in patient.summaries.values() if current <= set(s.notes_read)]
    return max(covering, key=lambda s: s.generated_at, default=None)


def preview_summary(
    patients: PatientApplication,
    local: SummaryProvider,
    patient_id: UUID,
    max_notes: int = SYNC_SUMMARY_MAX_NOTES,
) -> SummaryView:
    """The current recorded summary, else one computed now by `local` (not recorded).

    NotFound when the patient has no notes; RuleViolated `sync_summary_is_for_small_histories`
    when there are more than `max_notes` and no current recorded summary."""
    patient = patients.load(patient_id, Patient)
    if not patient.notes:
        raise NotFound("summary", patient_id)
    recorded = current_summary(patient)
    if recorded is not None:
        return recorded_view(recorded)
    if len(patient.notes) > max_notes:
        raise RuleViolated(
            "sync_summary_is_for_small_histories",
            f"more than {max_notes} notes: request one with POST .../summaries",
        )
    notes = list(patient.notes.values())
    request = summary_request(patient, notes)
    generated = local.summarise(request)
    return SummaryView(
        source="computed",
        text=generated.text,
        provider=local.name,
        model=generated.model,
        prompt_template_version=request.template_version,
        notes_read=tuple(_refs(notes)),
        output_sha256=sha256_hex(generated.text),
    )
