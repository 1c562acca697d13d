"""The 837P writer, the TA1/999/277CA writers and readers, and the sandbox clearinghouse's
front-end edits. Every generated document is validated by pyx12 against its implementation
guide (tests/x12_validation.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.x12.acknowledgements import (
    ClaimAckBatch,
    ClaimReport,
    ClaimStatus,
    InterchangeAck,
    SegmentError,
    TransactionAck,
    read_answer,
    write_277ca,
    write_999,
    write_ta1,
)
from application.x12.claim837 import (
    CasAdjustment,
    ClaimDocument,
    PatientParty,
    PayerParty,
    Person,
    PostalAddress,
    Practitioner,
    PriorLineAdjudication,
    PriorPayer,
    Receiver,
    ServiceLine,
    Submission,
    Subscriber,
    Supplier,
    render_837p,
)
from application.x12.envelope import Envelope
from application.x12.segments import interchanges
from interfaces.clearinghouse.sandbox import SandboxClearinghouse
from tests.conftest import FixedClock
from tests.x12_validation import assert_valid_x12, x12_errors

SUPPLIER = Supplier(
    name="Aries Demo Medical Supply", npi="1588667398", tax_id="990000001",
    address=PostalAddress("100 Main St", None, "Springfield", "IL", "627011234"),
    contact_name="Billing Office", phone="2175550100", submitter_id="ARIESDME",
)
RECEIVER = Receiver("Aries Sandbox Clearinghouse", "ARIESSANDBOX")
MEDICARE = PayerParty("Medicare DME MAC Jurisdiction B", "17013", "MB")
AETNA = PayerParty("Aetna", "60054", "CI")
PATIENT = Subscriber(
    name=Person("Rivera", "Ana"), member_id="1EG4TE5MK73", group_number=None,
    address=PostalAddress("12 Elm St", "Apt 2", "Springfield", "IL", "62701"),
    date_of_birth=date(1948, 3, 9), sex="F",
)
ORDERING = Practitioner(Person("Lovelace", "Ada"), "1234567893")
SENT_AT = datetime(2025, 3, 1, 14, 30, tzinfo=UTC)
BILLABLE = ["G47.33", "E11.9", "I50.9", "J44.9", "M17.11", "R26.81", "Z99.81", "E66.01",
            "I10", "N18.3", "G20", "R06.02", "J96.11"]


def line(control: str, hcpcs: str, modifiers: tuple[str, ...], charge: str,
         first: date = date(2025, 1, 10), last: date | None = None,
         pointers: tuple[int, ...] = (1,)) -> ServiceLine:
    return ServiceLine(control, hcpcs, modifiers, Decimal(charge), 1, first, last or first,
                       pointers)


def bed_and_walker(pcn: str = "0A1B2C3D4E5F60718293") -> ClaimDocument:
    return ClaimDocument(
        patient_control_number=pcn, subscriber=PATIENT, payer=MEDICARE,
        payer_responsibility="P", ordering=ORDERING, diagnoses=("G47.33", "E11.9"),
        lines=(
            line("A" * 32, "E0260", ("RR", "KH"), "250.00", date(2025, 1, 10),
                 date(2025, 2, 9), (1, 2)),
            line("B" * 32, "E0143", ("NU",), "120.50"),
        ),
    )


def render(*claims: ClaimDocument, number: int = 17) -> str:
    envelope = Envelope("ARIESDME", "ARIESSANDBOX", number, SENT_AT)
    return render_837p(envelope, Submission(SUPPLIER, RECEIVER, claims))


def segments(text: str) -> list[tuple[str, ...]]:
    return list(interchanges(text)[0].segments)


def test_rental_and_purchase_claim_validates_against_005010X222A1():
    text = render(bed_and_walker())
    assert_valid_x12(text)
    rows = segments(text)
    assert ("SV1", "HC:E0260:RR:KH", "250", "UN", "1", "", "", "1:2") in rows
    assert ("SV1", "HC:E0143:NU", "120.5", "UN", "1", "", "", "1") in rows
    assert ("DTP", "472", "RD8", "20250110-20250209") in rows
    assert ("DTP", "472", "D8", "20250110") in rows
    assert ("HI", "ABK:G4733", "ABF:E119") in rows


def test_claim_charge_is_the_sum_of_its_lines_and_carries_home_place_of_service():
    rows = segments(render(bed_and_walker()))
    assert ("CLM", "0A1B2C3D4E5F60718293", "370.5", "", "", "12:B:1", "Y", "A", "Y", "Y") in rows


def test_envelope_control_numbers_match_in_header_and_trailer():
    rows = segments(render(bed_and_walker(), number=123456))
    isa, gs = rows[0], rows[1]
    assert isa[13] == "000123456" and rows[-1] == ("IEA", "1", "000123456")
    assert gs[6] == "123456" and rows[-2] == ("GE", "1", "123456")
    st_index = next(i for i, r in enumerate(rows) if r[0] == "ST")
    se = rows[-3]
    assert se[0] == "SE" and int(se[1]) == len(rows) - 2 - st_index and se[2] == "0001"


def test_prior_authorization_goes_in_ref_g1_and_ordering_provider_on_every_line():
    claim = replace(bed_and_walker(), prior_authorization="A2025000123456")
    text = render(claim)
    assert_valid_x12(text)
    rows = segments(text)
    assert ("REF", "G1", "A2025000123456") in rows
    assert rows.count(("NM1", "DK", "1", "Lovelace", "Ada", "", "", "", "XX", "1234567893")) == 2


def test_capped_rental_months_and_medical_necessity_modifiers_validate():
    claim = replace(
        bed_and_walker(),
        diagnoses=("G47.33",),
        lines=(
            line("1" * 32, "E0601", ("RR", "KI", "KX"), "95.10"),
            line("2" * 32, "E0601", ("RR", "KJ", "GA"), "71.33", date(2025, 5, 10)),
            line("3" * 32, "K0001", ("RR", "KJ", "KX"), "40.00"),
        ),
    )
    text = render(claim)
    assert_valid_x12(text)
    assert ("SV1", "HC:E0601:RR:KJ:GA", "71.33", "UN", "1", "", "", "1") in segments(text)


def test_several_claims_share_one_interchange_with_one_subscriber_level_each():
    text = render(bed_and_walker("PCN00000000000000001"), bed_and_walker("PCN00000000000000002"))
    assert_valid_x12(text)
    rows = segments(text)
    assert sum(1 for r in rows if r[0] == "ISA") == 1
    assert [r[1:] for r in rows if r[0] == "HL"] == [
        ("1", "", "20", "1"), ("2", "1", "22", "0"), ("3", "1", "22", "0")]


def test_replacement_claim_names_the_original_payer_claim_number():
    claim = replace(bed_and_walker(), frequency_code="7", original_claim_number="21025000123")
    text = render(claim)
    assert_valid_x12(text)
    rows = segments(text)
    assert ("REF", "F8", "21025000123") in rows
    assert next(r for r in rows if r[0] == "CLM")[5] == "12:B:7"


def test_secondary_claim_carries_the_primary_adjudication():
    prior = PriorLineAdjudication(
        paid=Decimal("160.00"),
        adjustments=(CasAdjustment("CO", "45", Decimal("50.00")),
                     CasAdjustment("PR", "2", Decimal("40.00"))),
        paid_on=date(2025, 2, 20),
    )
    base = bed_and_walker()
    claim = replace(
        base, payer=AETNA, payer_responsibility="S",
        subscriber=replace(PATIENT, member_id="W123456789", group_number="GRP1"),
        lines=tuple(replace(x, prior=prior) for x in base.lines[:1]),
        prior_payer=PriorPayer(MEDICARE, PATIENT, Decimal("160.00")),
    )
    text = render(claim)
    assert_valid_x12(text)
    rows = segments(text)
    assert ("SVD", "17013", "160", "HC:E0260:RR:KH", "", "1") in rows
    assert ("CAS", "CO", "45", "50") in rows and ("CAS", "PR", "2", "40") in rows
    assert ("AMT", "D", "160") in rows


SPOUSE_SUBSCRIBER = Subscriber(
    name=Person("Rivera", "Luis"), member_id="W987654321", group_number="G1",
    address=PostalAddress("40 Oak Ave", None, "Peoria", "IL", "61602"),
    date_of_birth=date(1946, 7, 1), sex="M", relationship="01",
)
PATIENT_PARTY = PatientParty(
    Person("Rivera", "Ana"), PostalAddress("12 Elm St", "Apt 2", "Springfield", "IL", "62701"),
    date(1948, 3, 9), "F",
)


def spouse_claim(pcn: str = "0A1B2C3D4E5F60718293") -> ClaimDocument:
    return replace(bed_and_walker(pcn), payer=AETNA, subscriber=SPOUSE_SUBSCRIBER,
                   patient=PATIENT_PARTY)


def test_a_spouses_plan_names_the_subscriber_in_2010ba_and_the_patient_in_2000c():
    text = render(spouse_claim())
    assert_valid_x12(text)
    rows = segments(text)
    assert [r[1:] for r in rows if r[0] == "HL"] == [
        ("1", "", "20", "1"), ("2", "1", "22", "1"), ("3", "2", "23", "0")]
    assert next(r for r in rows if r[0] == "SBR")[1:3] == ("P", "")
    assert ("NM1", "IL", "1", "Rivera", "Luis", "", "", "", "MI", "W987654321") in rows
    assert ("DMG", "D8", "19460701", "M") in rows
    assert ("PAT", "01") in rows
    assert ("NM1", "QC", "1", "Rivera", "Ana") in rows
    assert ("DMG", "D8", "19480309", "F") in rows
    kinds = [r[0] for r in rows]
    assert kinds.index("PAT") < kinds.index("CLM")


def test_claims_with_and_without_a_patient_level_number_their_hls_in_order():
    text = render(spouse_claim("PCN00000000000000001"), bed_and_walker("PCN00000000000000002"),
                  spouse_claim("PCN00000000000000003"))
    assert_valid_x12(text)
    assert [r[1:] for r in segments(text) if r[0] == "HL"] == [
        ("1", "", "20", "1"), ("2", "1", "22", "1"), ("3", "2", "23", "0"),
        ("4", "1", "22", "0"), ("5", "1", "22", "1"), ("6", "5", "23", "0")]


def test_a_secondary_claim_names_the_patients_relationship_to_the_primary_subscriber():
    prior = PriorLineAdjudication(Decimal("100.00"), (), date(2025, 2, 20))
    base = spouse_claim()
    claim = replace(
        base, payer_responsibility="S", lines=tuple(replace(x, prior=prior) for x in base.lines),
        prior_payer=PriorPayer(AETNA, SPOUSE_SUBSCRIBER, Decimal("200.00")),
    )
    text = render(claim)
    assert_valid_x12(text)
    assert [r[1:3] for r in segments(text) if r[0] == "SBR"] == [("S", ""), ("P", "01")]


def test_a_patient_level_is_given_exactly_when_the_patient_is_not_the_subscriber():
    with pytest.raises(ValueError):
        render(replace(spouse_claim(), patient=None))
    with pytest.raises(ValueError):
        render(replace(bed_and_walker(), patient=PATIENT_PARTY))


def test_a_name_that_reads_iea_does_not_end_the_interchange():
    """Found by the property below: the reader took "*IEA*" inside NM1 for the trailer."""
    claim = replace(bed_and_walker(), subscriber=replace(PATIENT, name=Person("A", "IEA")))
    rows = segments(render(claim))
    assert ("NM1", "IL", "1", "A", "IEA") == rows[[r[0:2] for r in rows].index(("NM1", "IL"))][:5]
    assert rows[-1] == ("IEA", "1", "000000017")


def test_delimiters_and_accents_in_names_cannot_break_a_segment():
    claim = replace(bed_and_walker(), subscriber=replace(
        PATIENT, name=Person("O'Brien*Núñez~", "Zoë:^Ann"),
        address=replace(PATIENT.address, line1="12 Elm St ~ Unit *4")))
    text = render(claim)
    assert_valid_x12(text)
    assert ("NM1", "IL", "1", "O'Brien Nunez", "Zoe Ann", "", "", "", "MI",
            "1EG4TE5MK73") in segments(text)


names = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "Zs", "P", "S")),
                min_size=1, max_size=40).filter(lambda s: any(c.isalpha() and c.isascii()
                                                               for c in s))
money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
modifiers = st.sampled_from([("RR", "KH"), ("RR", "KI", "KX"), ("RR", "KJ", "GA"), ("NU",),
                             ("UE",), ("RR",), ("RR", "KJ", "GZ", "KX")[:3]])


@st.composite
def claims(draw: st.DrawFn) -> ClaimDocument:
    diagnoses = tuple(draw(st.lists(st.sampled_from(BILLABLE), min_size=1, max_size=12,
                                    unique=True)))
    pointer = st.lists(st.integers(1, len(diagnoses)), min_size=1, max_size=4, unique=True)
    first = draw(st.dates(date(2024, 1, 1), date(2025, 12, 1)))
    lines = tuple(
        line(f"{index:032X}", draw(st.sampled_from(["E0260", "E0601", "E0143", "K0001"])),
             draw(modifiers), str(draw(money)), first, None, tuple(draw(pointer)))
        for index in range(draw(st.integers(1, 8)))
    )
    relationship = draw(st.sampled_from(["18", "01", "19", "G8"]))
    return replace(
        bed_and_walker(f"{draw(st.integers(0, 16**20 - 1)):020X}"),
        subscriber=replace(PATIENT, name=Person(draw(names), draw(names)),
                           relationship=relationship),
        patient=None if relationship == "18" else replace(
            PATIENT_PARTY, name=Person(draw(names), draw(names))),
        diagnoses=diagnoses, lines=lines,
        prior_authorization=draw(st.none() | st.from_regex(r"[A-Z0-9]{14}", fullmatch=True)),
    )


@settings(max_examples=12)
@given(batch=st.lists(claims(), min_size=1, max_size=3), number=st.integers(1, 999_999_999))
def test_any_claim_batch_renders_valid_x12_whose_charges_add_up(batch, number):
    text = render(*batch, number=number)
    assert x12_errors(text) == []
    rows = segments(text)
    clms = [r for r in rows if r[0] == "CLM"]
    assert [Decimal(c[2]) for c in clms] == [c.charge for c in batch]
    assert sum(Decimal(r[2]) for r in rows if r[0] == "SV1") == sum(c.charge for c in batch)


# --- acknowledgements -------------------------------------------------------------------------

ANSWER = Envelope("ARIESSANDBOX", "ARIESDME", 17, SENT_AT)


def test_999_rejecting_a_set_validates_and_reads_back_its_errors():
    rejected = TransactionAck("0001", False, "5", (
        SegmentError("DMG", 17, "8", None, (("2", "8"),)),))
    text = write_999(ANSWER, "17", "005010X222A1", [rejected])
    assert_valid_x12(text)
    ack = read_answer(text).functional_ack("17")
    assert ack is not None and not ack.accepted
    assert ack.transaction("0001") == rejected
    assert ack.transaction("0001").reasons[0].startswith("999 IK5 R 5")


def test_277ca_validates_and_reads_back_each_claims_verdict():
    batch = ClaimAckBatch(
        "Aries Sandbox Clearinghouse", "ARIESSANDBOX", "Aries", "ARIESDME", "000000017",
        "Aries", "1588667398", date(2025, 3, 1), (
            ClaimReport("PCN1", "Rivera", "Ana", "1EG4TE5MK73", Decimal("370.5"),
                        date(2025, 1, 10), date(2025, 2, 9), (ClaimStatus("A2", "20"),), "T1"),
            ClaimReport("PCN2", "Rivera", "Ana", "1EG4TE5MK73", Decimal("10"),
                        date(2025, 1, 10), date(2025, 1, 10),
                        (ClaimStatus("A7", "562", "DK", "ordering NPI"),
                         ClaimStatus("A7", "255"))),
        ))
    text = write_277ca(ANSWER, batch)
    assert_valid_x12(text)
    answer = read_answer(text)
    assert answer.claim_ack("PCN1").accepted and answer.claim_ack("PCN1").trace_number == "T1"
    rejected = answer.claim_ack("PCN2")
    assert not rejected.accepted
    assert rejected.reasons == (
        "A7:562:DK ordering provider entity's national provider identifier (NPI) "
        "(ordering NPI)",
        "A7:255 diagnosis code",
    )


def test_ta1_rejecting_an_interchange_validates_and_reads_back():
    text = write_ta1(ANSWER, InterchangeAck("000000016", False, "025"), date(2025, 3, 1))
    assert_valid_x12(text)
    ta1 = read_answer(text).interchange_ack("000000016")
    assert ta1 is not None and not ta1.accepted and ta1.note_code == "025"


# --- the sandbox front end --------------------------------------------------------------------


def sandbox(at: datetime = SENT_AT) -> SandboxClearinghouse:
    return SandboxClearinghouse(FixedClock(at), clearinghouse_id="ARIESSANDBOX")


def test_sandbox_accepts_a_clean_claim_with_a_valid_999_and_277ca():
    answer_text = sandbox().transmit(render(bed_and_walker()))
    for part in answer_text.split("IEA*1*000000017~\n")[:2]:
        assert_valid_x12(part + "IEA*1*000000017~\n")
    answer = read_answer(answer_text)
    assert answer.functional_ack("17").accepted
    assert answer.claim_ack("0A1B2C3D4E5F60718293").accepted


def test_sandbox_rejects_each_failing_claim_with_its_reasons_and_accepts_the_rest():
    bad = replace(
        bed_and_walker("BADBADBADBADBADBAD01"),
        ordering=Practitioner(Person("Lovelace", "Ada"), "1234567890"),
        diagnoses=("G47.33", "E11"),  # E11 is a category, not billable
        lines=(line("C" * 32, "E0143", ("NU",), "10.00", date(2025, 3, 2)),),
    )
    answer = read_answer(sandbox().transmit(render(bed_and_walker(), bad)))
    assert answer.claim_ack("0A1B2C3D4E5F60718293").accepted
    reasons = answer.claim_ack("BADBADBADBADBADBAD01").reasons
    assert any(r.startswith("A7:562:DK") for r in reasons)
    assert any(r.startswith("A7:255") for r in reasons)
    assert any(r.startswith("A7:187") and "future" in r for r in reasons)


def test_sandbox_rejects_a_non_mbi_member_id_for_medicare():
    claim = replace(bed_and_walker(), subscriber=replace(PATIENT, member_id="123456789A"))
    ack = read_answer(sandbox().transmit(render(claim))).claim_ack("0A1B2C3D4E5F60718293")
    assert not ack.accepted and ack.reasons[0].startswith("A7:164:IL")


def test_sandbox_rejects_claim_whose_lines_do_not_add_up():
    text = render(bed_and_walker()).replace("CLM*0A1B2C3D4E5F60718293*370.5*",
                                            "CLM*0A1B2C3D4E5F60718293*371*")
    ack = read_answer(sandbox().transmit(text)).claim_ack("0A1B2C3D4E5F60718293")
    assert not ack.accepted and ack.reasons[0].startswith("A7:400")


def test_sandbox_answers_a_syntax_error_with_a_999_rejection_and_no_277ca():
    text = render(bed_and_walker()).replace("DMG*D8*19480309", "DMG*D8*19481309")
    answer = read_answer(sandbox().transmit(text))
    ack = answer.functional_ack("17").transaction("0001")
    assert not ack.accepted and ack.errors[0].segment_id == "DMG"
    assert answer.claim_acks == ()


def test_a_sandbox_without_the_syntax_check_accepts_the_set_but_still_runs_its_edits():
    text = render(bed_and_walker(), bed_and_walker("BADBADBADBADBADBAD01")).replace(
        "DMG*D8*19480309", "DMG*D8*19481309"
    ).replace("CLM*BADBADBADBADBADBAD01*370.5*", "CLM*BADBADBADBADBADBAD01*371*")
    unchecked = SandboxClearinghouse(
        FixedClock(SENT_AT), clearinghouse_id="ARIESSANDBOX", syntax_check=False
    )
    answer_text = unchecked.transmit(text)
    answer = read_answer(answer_text)
    assert answer.functional_ack("17").transaction("0001").accepted
    assert answer.claim_ack("0A1B2C3D4E5F60718293").accepted
    assert answer.claim_ack("BADBADBADBADBADBAD01").reasons[0].startswith("A7:400")
    for part in answer_text.split("IEA*1*000000017~\n")[:2]:
        assert_valid_x12(part + "IEA*1*000000017~\n")
    # The same text, checked: the month 13 is a syntax error and rejects the whole set.
    assert not read_answer(sandbox().transmit(text)).functional_ack("17").accepted


def test_sandbox_refuses_a_control_number_it_has_seen_with_a_ta1():
    clearinghouse = sandbox()
    clearinghouse.transmit(render(bed_and_walker(), number=5))
    again = read_answer(clearinghouse.transmit(render(bed_and_walker(), number=5)))
    assert again.interchange_ack("000000005").note_code == "025"


def test_sandbox_refuses_an_interchange_for_another_receiver():
    envelope = Envelope("ARIESDME", "SOMEONEELSE", 9, SENT_AT)
    text = render_837p(envelope, Submission(SUPPLIER, RECEIVER, (bed_and_walker(),)))
    ta1 = read_answer(sandbox().transmit(text)).interchange_ack("000000009")
    assert not ta1.accepted and ta1.note_code == "008"


def test_a_997_is_read_like_a_999():
    """AK3/AK4/AK5 of a 997 carry the 999's IK3/IK4/IK5 elements at the same positions."""
    text = "~\n".join([
        "ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*ARIESDME       *250301*1200*^*00501"
        "*000000042*0*P*:",
        "GS*FA*CLEARINGHOUSE*ARIESDME*20250301*1200*42*X*005010",
        "ST*997*0001",
        "AK1*HC*17",
        "AK2*837*0001",
        "AK3*DMG*17*2010BA*8",
        "AK4*2*1251*8",
        "AK5*R*5",
        "AK2*837*0002",
        "AK5*A",
        "AK9*P*2*2*1",
        "SE*10*0001",
        "GE*1*42",
        "IEA*1*000000042",
    ]) + "~\n"
    ack = read_answer(text).functional_ack("17")
    assert ack is not None and ack.accepted  # P: partially accepted
    rejected, accepted = ack.transaction("0001"), ack.transaction("0002")
    assert accepted.accepted and not rejected.accepted
    assert rejected.reasons[0].startswith("997 AK5 R 5")
    assert rejected.errors[0].segment_id == "DMG" and rejected.errors[0].elements == (("2", "8"),)
    assert "997 DMG segment 17 error 8; element 2 error 8" in rejected.reasons
