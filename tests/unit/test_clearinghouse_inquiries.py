"""The clearinghouse adapters' real-time inquiries: the HTTP adapter's POST to `/real-time` and
how it reads failures, and the sandbox's documented answers (`sandbox_inquiries`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from application.ports import ClearinghouseRefused, ClearinghouseUnavailable, MalformedAnswer
from application.x12 import claim_status, eligibility
from application.x12.inquiry_parties import InquiryParties
from interfaces.clearinghouse.http import HttpClearinghouse
from interfaces.clearinghouse.sandbox import SandboxClearinghouse
from tests.conftest import FixedClock
from tests.unit.test_x12_inquiries import ASKED, ENVELOPE
from tests.x12_validation import assert_valid_x12

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


def adapter(handler) -> HttpClearinghouse:
    return HttpClearinghouse("https://ch.example/claims",
                             client=httpx.Client(transport=httpx.MockTransport(handler)))


def test_the_http_adapter_posts_an_inquiry_to_real_time_and_answers_its_x12():
    answer = SandboxClearinghouse(FixedClock(NOW)).inquire(eligibility.write_270(ENVELOPE, ASKED))
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, str(request.url), request.headers["content-type"]))
        return httpx.Response(200, text=answer)

    assert adapter(handler).inquire(eligibility.write_270(ENVELOPE, ASKED)) == answer
    assert seen == [("POST", "https://ch.example/claims/real-time", "application/edi-x12")]


@pytest.mark.parametrize(
    ("response", "failure"),
    [
        (httpx.Response(503), ClearinghouseUnavailable),
        (httpx.Response(429), ClearinghouseUnavailable),
        (httpx.Response(400), ClearinghouseRefused),
        (httpx.Response(200, text="<html>maintenance</html>"), MalformedAnswer),
    ],
)
def test_the_http_adapter_says_why_an_inquiry_got_no_answer(response, failure):
    with pytest.raises(failure):
        adapter(lambda request: response).inquire(eligibility.write_270(ENVELOPE, ASKED))


def parties(member_id: str, payer_id: str = "17013") -> InquiryParties:
    return InquiryParties("MEDICARE", payer_id, "ACME", "1234567893", "ARIESDME", "DOE", "JANE",
                          member_id, date(1950, 1, 2), "F")


@pytest.mark.parametrize(
    ("member_id", "coverage", "benefit"),
    [("1EG4TE5MK73", "active", "EB*1*IND*12*MB~"), ("1EG4TE5MK79", "inactive", "EB*6*IND*30*MB~"),
     ("NOT-AN-MBI", "rejected", "AAA*N**72*C~")],
)
def test_the_sandbox_answers_eligibility_from_its_test_values(member_id, coverage, benefit):
    asked = eligibility.EligibilityInquiry(parties(member_id), "TRACE1", date(2026, 12, 4))
    answer = SandboxClearinghouse(FixedClock(NOW)).inquire(eligibility.write_270(ENVELOPE, asked))
    assert_valid_x12(answer)
    assert benefit in answer
    assert eligibility.read_271(answer).coverage == coverage


@pytest.mark.parametrize(
    ("member_id", "days_since_service", "category"),
    [("1EG4TE5MK73", 20, "F1"), ("1EG4TE5MK73", 5, "P1"), ("1EG4TE5MK79", 20, "F2")],
)
def test_the_sandbox_answers_claim_status_from_its_test_values(
    member_id, days_since_service, category
):
    served = NOW.date() - timedelta(days=days_since_service)
    inquiry = claim_status.ClaimStatusInquiry(
        parties(member_id), "TRACE2", "PCN1", Decimal("100.00"), served, served)
    answer = SandboxClearinghouse(FixedClock(NOW)).inquire(
        claim_status.write_276(ENVELOPE, inquiry))
    assert_valid_x12(answer)
    reply = claim_status.read_277(answer)
    assert reply.category == category
    assert reply.paid == (Decimal("80.00") if category == "F1" else Decimal("0"))


def test_the_sandbox_refuses_an_invalid_inquiry_with_a_999():
    text = eligibility.write_270(ENVELOPE, ASKED).replace("EQ*12~", "EQ*QQ~")
    answer = SandboxClearinghouse(FixedClock(NOW)).inquire(text)
    assert_valid_x12(answer)
    assert "AK2*270*0001*005010X279A1~" in answer and "IK5*R*5~" in answer
