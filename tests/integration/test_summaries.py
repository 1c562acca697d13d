"""Summaries requested, generated and recorded with provenance, on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from application.ports import GeneratedSummary, SummaryRequest
from application.summaries import (
    SummaryNotRequested,
    generate_summary,
    preview_summary,
    request_summary,
)
from application.summary_prompt import TEMPLATE_VERSION
from domain.context import bound_context
from domain.errors import NotFound, RuleViolated
from domain.patient_rules import sha256_hex
from domain.patient_values import NoteRef
from interfaces.summarisers import LocalSummariser
from interfaces.summarisers.ollama import OllamaSummariser
from tests.integration.scenarios import medicare_patient
from tests.integration.test_summary_providers import FakeProvider, ollama_answer

pytestmark = pytest.mark.integration

SOAP = {
    "subjective": "Reports using CPAP most nights; mask leaks on the left side.",
    "objective": "Vitals: BP 132/84, HR 76, SpO2 95% RA.\nLabs: HbA1c 7.2%.\nAHI 3.2 on download.",
    "assessment": "OSA, adherent to PAP.",
    "plan": "Refit mask. Follow up in 90 days.",
}


class Recording:
    """A provider that remembers what it was asked (to check what leaves Aries)."""

    name = "recording"

    def __init__(self) -> None:
        self.requests: list[SummaryRequest] = []

    def summarise(self, request: SummaryRequest) -> GeneratedSummary:
        self.requests.append(request)
        return GeneratedSummary(text=f"Summary of {len(request.notes)} notes.", model="rec-1")


def clinician(tenant: str):
    return bound_context(tenant_id=tenant, actor_id="rt-7", actor_role="clinician")


def patient_with_notes(aries, tenant: str, notes: int = 2):
    with clinician(tenant):
        patient_id, _ = medicare_patient(aries)
        note_ids = []
        for n in range(notes):
            note_id = uuid.uuid4()
            aries.patients.add_note(patient_id, author_id="rt-7", note_id=note_id,
                                    written_at=datetime(2025, 3, 1 + n, 15, tzinfo=UTC), **SOAP)
            note_ids.append(note_id)
    return patient_id, note_ids


def test_a_requested_summary_is_recorded_with_its_provenance(aries):
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    patient_id, (first, second) = patient_with_notes(aries, tenant)
    with clinician(tenant):
        aries.patients.amend_note(patient_id, first, author_id="rt-7",
                                  text="Labs: HbA1c was 7.4%.", reason="transcription")
        summary_id = uuid.uuid4()
        request_summary(aries.patients, patient_id, requested_by="rt-7", summary_id=summary_id)
        result = generate_summary(aries.patients, LocalSummariser(), patient_id, summary_id)
        summary = aries.patients.get_patient(patient_id).summaries[summary_id]

    assert result is not None
    assert (summary.provider, summary.model) == ("local", "extractive-soap/1")
    assert summary.prompt_template_version == TEMPLATE_VERSION
    assert set(summary.notes_read) == {NoteRef(first, 2), NoteRef(second, 1)}
    assert summary.output_sha256 == sha256_hex(summary.text)
    assert summary.requested_by == "rt-7"
    assert "Vitals: BP 132/84" in summary.text and "Reports using CPAP" in summary.text
    assert "HbA1c was 7.4%" in summary.text  # the amendment was read


def test_generating_twice_records_once(aries):
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    patient_id, _ = patient_with_notes(aries, tenant)
    provider = Recording()
    with clinician(tenant):
        summary_id = uuid.uuid4()
        request_summary(aries.patients, patient_id, requested_by="rt-7", summary_id=summary_id)
        first = generate_summary(aries.patients, provider, patient_id, summary_id)
        version = aries.patients.get_patient(patient_id).version
        second = generate_summary(aries.patients, provider, patient_id, summary_id)
        assert aries.patients.get_patient(patient_id).version == version
    assert first is not None and second is None
    assert len(provider.requests) == 1


def test_a_summary_nobody_requested_is_not_generated(aries):
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    patient_id, _ = patient_with_notes(aries, tenant)
    with clinician(tenant), pytest.raises(SummaryNotRequested):
        generate_summary(aries.patients, LocalSummariser(), patient_id, uuid.uuid4())


def test_a_patient_without_notes_cannot_ask_for_a_summary(aries):
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    with clinician(tenant):
        patient_id, _ = medicare_patient(aries)
        with pytest.raises(RuleViolated) as refused:
            request_summary(aries.patients, patient_id, requested_by="rt-7")
    assert refused.value.rule == "summary_requires_notes"


def test_the_provider_receives_no_direct_identifier(aries):
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    with clinician(tenant):
        # Ana Rivera of 12 Elm St, MBI 1EG4TE5MK73 (the tenant is this test's own).
        patient_id, _ = medicare_patient(aries, mbi="1EG4TE5MK73")
        aries.patients.add_note(patient_id, author_id="rt-7",
                                subjective="Ana Rivera (1EG4TE5MK73) of 12 Elm St feels well.")
        summary_id = uuid.uuid4()
        request_summary(aries.patients, patient_id, requested_by="rt-7", summary_id=summary_id)
        provider = Recording()
        generate_summary(aries.patients, provider, patient_id, summary_id)
    (sent,) = provider.requests
    for identifier in ("Ana", "Rivera", "1EG4TE5MK73", "12 Elm St", str(patient_id)):
        assert identifier not in sent.prompt
    assert "feels well" in sent.prompt


def test_an_external_provider_records_the_model_that_answered(aries):
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    patient_id, _ = patient_with_notes(aries, tenant, notes=1)
    fake = FakeProvider([(503, {}), (200, ollama_answer("Subjective: uses CPAP."))])
    provider = OllamaSummariser(model="llama3.1", base_url=fake.url, timeout=5.0,
                                backoff_seconds=0)
    try:
        with clinician(tenant):
            summary_id = uuid.uuid4()
            request_summary(aries.patients, patient_id, requested_by="rt-7",
                            summary_id=summary_id)
            generate_summary(aries.patients, provider, patient_id, summary_id)
            summary = aries.patients.get_patient(patient_id).summaries[summary_id]
    finally:
        fake.close()
        provider.close()
    assert (summary.provider, summary.model, summary.text) == (
        "ollama", "llama3.1:8b", "Subjective: uses CPAP."
    )


def test_the_sync_summary_is_computed_until_a_recorded_one_covers_every_note(aries):
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    patient_id, (first, _) = patient_with_notes(aries, tenant)
    with clinician(tenant):
        version = aries.patients.get_patient(patient_id).version
        computed = preview_summary(aries.patients, LocalSummariser(), patient_id)
        assert computed.source == "computed" and computed.summary_id is None
        assert aries.patients.get_patient(patient_id).version == version  # nothing recorded

        summary_id = uuid.uuid4()
        request_summary(aries.patients, patient_id, requested_by="rt-7", summary_id=summary_id)
        generate_summary(aries.patients, LocalSummariser(), patient_id, summary_id)
        recorded = preview_summary(aries.patients, LocalSummariser(), patient_id)
        assert (recorded.source, recorded.summary_id) == ("recorded", summary_id)
        assert recorded.text == computed.text

        aries.patients.amend_note(patient_id, first, author_id="rt-7", text="Late entry.",
                                  reason="late entry")
        assert preview_summary(aries.patients, LocalSummariser(), patient_id).source == "computed"


def test_the_sync_summary_is_for_small_histories_only(aries):
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    patient_id, _ = patient_with_notes(aries, tenant, notes=3)
    with clinician(tenant):
        with pytest.raises(RuleViolated) as refused:
            preview_summary(aries.patients, LocalSummariser(), patient_id, max_notes=2)
        assert refused.value.rule == "sync_summary_is_for_small_histories"
        without_notes, _ = medicare_patient(aries)
        with pytest.raises(NotFound):
            preview_summary(aries.patients, LocalSummariser(), without_notes)
