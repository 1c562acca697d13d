"""The next step a claim list shows for each claim, and why."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.claim_next_action import next_action

D = Decimal


@pytest.mark.parametrize(
    ("status", "balance", "payer", "secondary", "expected"),
    [
        ("draft", D("180.00"), "MCR-DMEB", None, "submit"),
        ("rejected", D("180.00"), "MCR-DMEB", None, "correct"),
        ("submitted", D("180.00"), "MCR-DMEB", None, "wait"),
        ("accepted", D("180.00"), "MCR-DMEB", None, "wait"),
        ("denied", D("0.00"), "MCR-DMEB", None, "appeal_or_resubmit"),
        ("denied", D("180.00"), "MCR-DMEB", None, "appeal_or_resubmit"),
        ("paid", D("36.00"), "patient", None, "bill_secondary"),
        ("paid", D("5.00"), "patient", "COM-AETNA", "patient_statement"),
        ("patient_responsibility", D("36.00"), "patient", None, "patient_statement"),
        ("awaiting_secondary", D("36.00"), "COM-AETNA", "COM-AETNA", "submit"),
        ("paid", D("0.00"), "patient", None, "close"),
        ("reversed", D("-29.00"), "patient", None, "refund_or_write_off"),
        ("replaced", D("-180.00"), "MCR-DMEB", None, "wait"),
        ("voided", D("0.00"), "MCR-DMEB", None, "close"),
        ("appealed", D("0.00"), "MCR-DMEB", None, "wait"),
        ("closed", D("0.00"), "patient", None, "none"),
    ],
)
def test_each_claim_state_names_its_next_action(status, balance, payer, secondary, expected):
    assert next_action(status, balance, payer, secondary).action == expected


def test_a_denial_says_which_carcs_denied_it():
    step = next_action("denied", D("180.00"), "MCR-DMEB", None, ["16"])
    assert "16" in step.why


def test_a_claim_the_payer_crossed_over_waits_for_the_next_payer():
    step = next_action("paid", D("36.00"), "patient", None, crossed_over=True)
    assert (step.action, "crossed over" in step.why) == ("wait", True)


def test_a_submitted_claim_the_payer_reports_denied_is_followed_up():
    step = next_action("accepted", Decimal("180.00"), "MCR-DMEB", payer_status="F2")
    assert step.action == "follow_up_claim_status"
    assert next_action("accepted", Decimal("180.00"), "MCR-DMEB", payer_status="P1").action == (
        "wait")
