"""The 270/271 (005010X279A1) and 276/277 (005010X212) Aries writes and reads, each checked by
pyx12 against the maps `application.x12.validation.map_directory()` registers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from application.x12 import claim_status, eligibility
from application.x12.envelope import Envelope
from application.x12.inquiry_parties import InquiryParties
from application.x12.segments import X12SyntaxError
from tests.x12_validation import assert_valid_x12, x12_errors

PARTIES = InquiryParties(
    "MEDICARE DME JURISDICTION D", "16003", "ACME HOME MEDICAL", "1234567893", "ARIESDME",
    "DOE", "JANE", "1EG4TE5MK73", date(1950, 1, 2), "F",
)
ENVELOPE = Envelope("ARIESDME", "ARIESSANDBOX", 42, datetime(2026, 12, 4, 10, 0, tzinfo=UTC))
ASKED = eligibility.EligibilityInquiry(PARTIES, "5F2C0A9B", date(2026, 12, 4))
CLAIM = claim_status.ClaimStatusInquiry(
    PARTIES, "7D1E3C5A", "P1A2B3C4D5E6F7", Decimal("245.80"), date(2026, 11, 1),
    date(2026, 11, 30),
)


def test_a_270_is_valid_005010x279a1_and_reads_back():
    text = eligibility.write_270(ENVELOPE, ASKED)
    assert_valid_x12(text)
    assert "ST*270*0001*005010X279A1~" in text
    assert eligibility.read_270(text) == ASKED


def test_pyx12_checks_a_270_against_the_5010_map():
    text = eligibility.write_270(ENVELOPE, ASKED).replace("EQ*12~", "EQ*QQ~")
    assert any("EQ01" in error for error in x12_errors(text))


@pytest.mark.parametrize(
    ("benefits", "coverage"),
    [
        ((eligibility.Benefit("1", "12", "MB"),
          eligibility.Benefit("A", "12", "MB", percent=Decimal("0.2"))), "active"),
        ((eligibility.Benefit("6", "30"),), "inactive"),
    ],
)
def test_a_271_says_whether_coverage_is_active(benefits, coverage):
    reply = eligibility.EligibilityReply(
        "5F2C0A9B", "16003", coverage, date(2020, 1, 1),
        date(2026, 6, 30) if coverage == "inactive" else None, benefits,
    )
    text = eligibility.write_271(ENVELOPE, ASKED, reply)
    assert_valid_x12(text)
    assert eligibility.read_271(text) == reply


def test_a_271_with_aaa_rejects_the_inquiry_with_its_reason():
    reply = eligibility.EligibilityReply("5F2C0A9B", "16003", "rejected", reject_reason="72")
    text = eligibility.write_271(ENVELOPE, ASKED, reply)
    assert_valid_x12(text)
    assert "AAA*N**72*C~" in text
    assert eligibility.read_271(text).coverage == "rejected"


def test_a_276_is_valid_005010x212_and_reads_back():
    text = claim_status.write_276(ENVELOPE, CLAIM)
    assert_valid_x12(text)
    assert "DTP*472*RD8*20261101-20261130~" in text
    read = claim_status.read_276(text)
    assert (read.trace, read.patient_control_number, read.charge) == (
        CLAIM.trace, CLAIM.patient_control_number, CLAIM.charge)


@pytest.mark.parametrize(
    "reply",
    [
        claim_status.ClaimStatusReply("7D1E3C5A", "P1", "20", status_on=date(2026, 12, 4),
                                      charge=Decimal("245.8"), paid=Decimal("0")),
        claim_status.ClaimStatusReply(
            "7D1E3C5A", "F1", "1", status_on=date(2026, 12, 4), charge=Decimal("245.8"),
            paid=Decimal("196.64"), adjudicated_on=date(2026, 12, 1), check_on=date(2026, 12, 3),
            check_number="EFT0000042", payer_claim_control_number="SBX0000000420001",
        ),
        claim_status.ClaimStatusReply("7D1E3C5A", "F2", "1", status_on=date(2026, 12, 4),
                                      charge=Decimal("245.8"), paid=Decimal("0"),
                                      adjudicated_on=date(2026, 12, 1)),
    ],
    ids=["pending", "paid", "denied"],
)
def test_a_277_is_valid_005010x212_and_reads_back(reply):
    text = claim_status.write_277(ENVELOPE, CLAIM, reply)
    assert_valid_x12(text)
    assert claim_status.read_277(text) == reply


def test_text_that_is_not_a_271_is_refused():
    with pytest.raises(X12SyntaxError):
        eligibility.read_271(claim_status.write_276(ENVELOPE, CLAIM))
