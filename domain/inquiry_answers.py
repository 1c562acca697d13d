"""What a payer answers to a real-time inquiry, as the domain records it (pure): a coverage's
eligibility (from a 271) on the patient, a claim's status (from a 277) on the claim, and which
answers ask a biller to act.

Eligibility (005010X279A1): `active` (EB01 1-5), `inactive` (EB01 6-8) or `rejected` (2100C
AAA: the payer could not answer the inquiry as sent; AAA03 says why). Claim status
(005010X212): STC01-1, a health care claim status category code (X12 external code list 507)
and STC01-2, a status code (list 508).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.errors import InvalidValue, require
from domain.money import exact_money
from domain.rules import billing_rule, calendar_date, present_text, utc_time

COVERAGE_STATES = ("active", "inactive", "rejected")
_CATEGORY = re.compile(r"^(A[0-8]|P[0-5]|F[0-4]|F3[FN]|R(1[0-7]|[0-9])|E[0-4]|D0)$")
_STATUS = re.compile(r"^[0-9]{1,4}$")
_ENTITY = re.compile(r"^[0-9A-Z]{2,3}$")


def eligibility_answer(
    coverage_id: Any, payer_id: str, coverage: str, as_of: date, checked_at: datetime,
    reason: str | None,
) -> dict[str, Any]:
    """What EligibilityChecked records, checked."""
    require(coverage in COVERAGE_STATES, "eligibility_is_active_inactive_or_rejected",
            f"{coverage!r} is not one of {', '.join(COVERAGE_STATES)}")
    if reason is not None:
        reason = present_text(reason, "reason", "eligibility_reason_is_a_code")
    return {
        "coverage_id": coverage_id,
        "payer_id": present_text(payer_id, "payer_id", "eligibility_names_its_payer"),
        "coverage": coverage,
        "as_of": calendar_date(as_of, "as_of"),
        "checked_at": utc_time(checked_at, "checked_at"),
        "reason": reason,
    }


def claim_status_answer(
    category: str, status_code: str, entity: str | None, status_on: date | None,
    paid: Decimal | None, payer_claim_control_number: str | None, checked_at: datetime,
) -> dict[str, Any]:
    """What ClaimStatusReceived records, checked: codes in the shape lists 507/508 give them."""
    if not isinstance(category, str) or not _CATEGORY.match(category):
        raise InvalidValue("claim_status_category_is_a_known_code",
                           f"{category!r} is not a claim status category code")
    if not isinstance(status_code, str) or not _STATUS.match(status_code):
        raise InvalidValue("claim_status_code_is_numeric", f"{status_code!r} is not a code")
    if entity is not None and (not isinstance(entity, str) or not _ENTITY.match(entity)):
        raise InvalidValue("claim_status_entity_is_a_code", f"{entity!r} is not an entity code")
    return {
        "category": category,
        "status_code": status_code,
        "entity": entity,
        "status_on": calendar_date(status_on, "status_on") if status_on is not None else None,
        "paid": exact_money(paid) if paid is not None else None,
        "payer_claim_control_number": payer_claim_control_number or None,
        "checked_at": utc_time(checked_at, "checked_at"),
    }


@billing_rule(
    "X12 005010X279A1 (270/271) TR3: 2110C EB01 (element 1390) 6 Inactive, 7 Inactive -"
    " Pending Eligibility Update, 8 Inactive - Pending Investigation; 2100C AAA (request"
    " validation) when the payer cannot answer the inquiry as sent",
    "tests/unit/test_inquiry_answers.py::test_inactive_or_unanswerable_coverage_asks_for_a_person",
    "tests/integration/test_inquiries.py::test_inactive_coverage_opens_a_work_queue_item_and_an_active_answer_closes_it",
)
def coverage_needs_attention(coverage: str) -> bool:
    """Coverage the payer reports inactive, or an inquiry it could not answer (a member id it
    does not know, say), needs a person before anything is billed to that coverage: the
    work queue's `coverage_inactive` item, until an answer says the coverage is active."""
    return coverage != "active"


@billing_rule(
    "X12 005010X212 (276/277) TR3: 2200D STC01-1, claim status category codes (external code"
    " list 507): F2 Finalized/Denial, A3/A4/A6/A7/A8 returned, not found or rejected, R*"
    " requests for additional information, E* the response was not possible",
    "tests/unit/test_inquiry_answers.py::test_denied_rejected_or_requested_claims_ask_for_a_person",
    "tests/integration/test_inquiries.py::test_a_denied_claim_status_opens_a_follow_up",
)
def claim_status_needs_attention(category: str | None) -> bool:
    """A claim the payer reports denied (F2), returned, not found or rejected (A3, A4, A6-A8),
    asks more information about (R*) or could not report on (E*) needs a person (the work
    queue's `follow_up_claim_status`); pending (P*), received or accepted (A1, A2) and paid
    (F1) claims wait for the 835."""
    if category is None:
        return False
    return category == "F2" or category in {"A3", "A4", "A6", "A7", "A8"} or category[0] in "RE"
