"""What leaves Aries in a prompt: the clinical content of the notes, no direct identifiers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from hypothesis import given
from hypothesis import strategies as st

from application.summary_prompt import TEMPLATE_VERSION, summary_request
from domain.mbi import MBI_FORMAT
from domain.patient import Patient
from domain.patient_values import Address, CoverageRank, Demographics, RelationshipToSubscriber, Sex

WRITTEN = datetime(2025, 3, 1, 15, 0, tzinfo=UTC)


def patient(first="Ana", last="Rivera", mbi="1EG4TE5MK73", phone="217-555-0143") -> Patient:
    p = Patient.register(
        account_number="AB2CD3EF4",
        demographics=Demographics(
            first, last, date(1948, 3, 9), Sex.FEMALE,
            Address("12 Elm St", "Apt 4", "Springfield", "IL", "627011234"), phone,
        ),
        as_of=date(2025, 3, 1),
        mbi=mbi,
        patient_id=UUID("6f1c2a4e-1d2b-4c3a-9e8f-0a1b2c3d4e5f"),
    )
    p.add_coverage(uuid4(), "COM-AETNA", "Aetna", "W123456789", None, CoverageRank.SECONDARY,
                   RelationshipToSubscriber.SELF, date(2025, 1, 1))
    return p


def prompt_for(p: Patient, *texts: str) -> str:
    for text in texts:
        p.add_note(uuid4(), "rt-1", WRITTEN, subjective=text,
                   objective="Vitals: BP 128/76, SpO2 94% RA.")
    request = summary_request(p, p.notes.values())
    assert request.template_version == TEMPLATE_VERSION
    return request.instructions + "\n" + request.prompt


IDENTIFYING_NOTE = (
    "Ana Rivera (MBI 1EG4-TE5-MK73, DOB 03/09/1948, born March 9, 1948) seen at 12 Elm St "
    "Apt 4, Springfield 62701-1234. Call back 217-555-0143 or (217) 555 0143. Acct AB2CD3EF4, "
    "Aetna member W123456789. Mrs. Rivera reports using CPAP 6 h/night. "
    "Daughter's email ana.r@example.com, SSN 123-45-6789."
)


def test_a_prompt_carries_no_direct_identifier_of_the_patient():
    prompt = prompt_for(patient(), IDENTIFYING_NOTE).lower()
    for identifier in (
        "ana", "rivera", "1eg4-te5-mk73", "1eg4te5mk73", "03/09/1948", "march 9, 1948",
        "1948-03-09", "12 elm st", "apt 4", "springfield", "62701", "555-0143", "555 0143",
        "ab2cd3ef4", "w123456789", "ana.r@example.com", "123-45-6789",
        "6f1c2a4e-1d2b-4c3a-9e8f-0a1b2c3d4e5f",
    ):
        assert identifier not in prompt, identifier


def test_a_prompt_keeps_the_clinical_content_and_the_note_dates():
    prompt = prompt_for(patient(), IDENTIFYING_NOTE)
    assert "reports using CPAP 6 h/night" in prompt
    assert "Vitals: BP 128/76, SpO2 94% RA." in prompt
    assert "written 2025-03-01" in prompt
    assert "[NAME]" in prompt and "[MBI]" in prompt and "[DOB]" in prompt


def test_note_and_author_ids_stay_out_of_the_prompt():
    p = patient()
    prompt = prompt_for(p, "Stable.")
    for note in p.notes.values():
        assert str(note.note_id) not in prompt
    assert "rt-1" not in prompt


def test_amendments_are_in_the_prompt_de_identified():
    p = patient()
    note_id = uuid4()
    p.add_note(note_id, "rt-1", WRITTEN, objective="SpO2 91%.")
    p.amend_note(note_id, uuid4(), "rt-1", WRITTEN, "Rivera's SpO2 was 89%.", "typo")
    prompt = summary_request(p, p.notes.values()).prompt
    assert "[NAME]'s SpO2 was 89%." in prompt


names = st.sampled_from(
    ["Maria", "Nguyen", "Okafor", "Olsen", "Haddad", "Kowalski", "Tanaka", "Delacroix", "Ruiz"]
)
mbis = st.from_regex(MBI_FORMAT, fullmatch=True)


@given(first=names, last=names, mbi=mbis)
def test_no_generated_patient_leaks_name_or_mbi_into_the_prompt(first, last, mbi):
    printed = f"{mbi[:4]}-{mbi[4:7]}-{mbi[7:]}"
    text = f"{first} {last} ({printed}) says {last.upper()} family helps; {mbi.lower()} on file."
    prompt = prompt_for(patient(first, last, mbi), text).lower()
    for identifier in (first.lower(), last.lower(), mbi.lower(), printed.lower()):
        assert identifier not in prompt
