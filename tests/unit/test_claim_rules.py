"""Claim rules, one behaviour per test, each named after its rule (domain/claim*.py)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from domain import claim_rules
from domain.claim import Claim
from domain.claim_ids import claim_id_for, line_id_for, replacement_id_for
from domain.claim_rules import ScrubFailed
from domain.claim_values import (
    PATIENT,
    Adjustment,
    AdjustmentGroup,
    AppealLevel,
    ClaimStatus,
    LedgerEntryKind,
    LineAdjudication,
)
from domain.errors import DomainError, InvalidValue, RuleViolated
from tests.unit.claim_builders import (
    BED_LINE,
    CHAIR_LINE,
    COVERAGE,
    ORDER,
    PAID_ON,
    PAYER,
    SCRUB_DAY,
    SECONDARY,
    SECONDARY_COVERAGE,
    SERVICE,
    accepted,
    at,
    bed,
    chair,
    denial,
    denied,
    drafted,
    medicare_payment,
    paid,
    scrubbed,
    submitted,
)


def refused(claim: Claim | None, call) -> str:
    """The rule a refused command names; the claim records nothing."""
    before = None if claim is None else (claim.version, dict(vars(claim)))
    with pytest.raises(RuleViolated) as raised:
        call()
    if claim is not None:
        assert (claim.version, dict(vars(claim))) == before
    return raised.value.rule


def settled(claim: Claim) -> Claim:
    """Primary paid, coinsurance moved to the patient and paid by them: zero balance."""
    claim.collect_events()
    claim.record_patient_payment(claim.party_balance(PATIENT), date(2025, 4, 10), "CHK-77")
    return claim


# --- drafting -------------------------------------------------------------------------------


@pytest.mark.parametrize(("swo", "pod"), [(False, True), (True, False), (False, False)])
def test_claim_cannot_be_drafted_before_delivery_and_swo(swo, pod):
    call = lambda: drafted(swo_on_file=swo, pod_on_file=pod)  # noqa: E731
    assert refused(None, call) == "claim_requires_delivery_and_swo"


def test_claim_id_is_deterministic_per_order_billing_month_and_payer():
    claim = drafted()
    assert claim.id == claim_id_for(ORDER, "2025-03", PAYER)
    assert claim_id_for(ORDER, "2025-04", PAYER) != claim.id
    assert claim_id_for(ORDER, "2025-03", SECONDARY) != claim.id


def test_billing_month_is_yyyy_mm():
    assert refused(None, lambda: claim_id_for(ORDER, "2025-3", PAYER)) == "billing_month_is_yyyy_mm"


def test_patient_control_number_is_derived_from_the_claim_id_within_twenty_characters():
    claim = drafted()
    assert claim.patient_control_number == claim.id.hex[:20].upper()
    assert len(claim.patient_control_number) <= 20


def test_claim_line_ids_are_deterministic_from_claim_order_line_and_month():
    claim = drafted()
    assert claim.lines[0].line_id == line_id_for(claim.id, BED_LINE, "2025-03", 4)
    assert drafted().lines[0].line_id == claim.lines[0].line_id


def test_drafting_prices_each_line_and_posts_its_charge_to_the_payer():
    claim = drafted()
    bed_line, chair_line = claim.lines
    assert (bed_line.modifiers, bed_line.charge, bed_line.expected_allowed) == (
        ("RR", "KJ"),
        Decimal("140.00"),
        Decimal("105.00"),
    )
    assert chair_line.modifiers == ("RR", "KI", "KX")
    assert [(e.kind, e.party, e.amount) for e in claim.ledger] == [
        (LedgerEntryKind.CHARGE, PAYER, Decimal("140.00")),
        (LedgerEntryKind.CHARGE, PAYER, Decimal("40.00")),
    ]
    assert claim.status is ClaimStatus.DRAFT and claim.frequency_code == "1"


def test_claim_lines_fall_in_billing_month():
    call = lambda: drafted(lines=[bed(from_date=date(2025, 4, 1))])  # noqa: E731
    assert refused(None, call) == "claim_lines_fall_in_billing_month"


@pytest.mark.parametrize("pointers", [(3,), (), (1, 1), (0,), (1, 2, 3, 4, 5)])
def test_diagnosis_pointers_point_into_claim_diagnoses(pointers):
    call = lambda: drafted(lines=[bed(diagnosis_pointers=pointers)])  # noqa: E731
    assert refused(None, call) == "diagnosis_pointers_point_into_claim_diagnoses"


@pytest.mark.parametrize("diagnoses", [[], [f"Z99.{n}" for n in range(13)]])
def test_claim_lists_one_to_twelve_diagnoses(diagnoses):
    call = lambda: drafted(diagnoses=diagnoses, lines=[bed()])  # noqa: E731
    assert refused(None, call) == "claim_lists_one_to_twelve_diagnoses"


def test_claim_lists_each_diagnosis_once():
    call = lambda: drafted(diagnoses=["G47.33", "g4733"])  # noqa: E731
    assert refused(None, call) == "claim_lists_each_diagnosis_once"


def test_claim_line_is_billed_once():
    assert refused(None, lambda: drafted(lines=[bed(), bed()])) == "claim_line_is_billed_once"


def test_line_dates_run_forward():
    call = lambda: drafted(lines=[bed(to_date=SERVICE - timedelta(days=1))])  # noqa: E731
    assert refused(None, call) == "line_dates_run_forward"


def test_claim_has_one_to_fifty_lines():
    assert refused(None, lambda: drafted(lines=[])) == "claim_has_one_to_fifty_lines"


def test_past_the_rental_cap_there_is_no_claim_line():
    call = lambda: drafted(lines=[bed(month=14)])  # noqa: E731
    assert refused(None, call) == "capped_rental_ends_after_month_13"


def test_unknown_payer_cannot_be_billed():
    assert refused(None, lambda: drafted(payer_id="NOPE")) == "payer_is_in_reference_list"


def test_ids_are_uuids():
    assert refused(None, lambda: drafted(order_id="order-1")) == "ids_are_uuids"


# --- scrub ----------------------------------------------------------------------------------


def test_scrub_passes_a_clean_claim():
    claim = scrubbed()
    assert claim.status is ClaimStatus.SCRUBBED and claim.scrubbed_on == SCRUB_DAY


def scrub_rule(claim: Claim, as_of: date = SCRUB_DAY) -> ScrubFailed:
    with pytest.raises(ScrubFailed) as raised:
        claim.scrub(as_of)
    assert claim.collect_events() == []
    return raised.value


def test_claim_lines_have_valid_hcpcs():
    line = dataclasses.replace(drafted().lines[0], hcpcs="E9999")
    assert claim_rules.lines_have_valid_hcpcs([line])
    assert not claim_rules.lines_have_valid_hcpcs(drafted().lines)


def test_claim_diagnoses_are_billable_icd10cm():
    claim = drafted(diagnoses=["E11", "M62.81"])  # E11 is a category, not a billable leaf
    claim.collect_events()
    assert scrub_rule(claim).failed_rules == ("claim_diagnoses_are_billable_icd10cm",)


def test_claim_lines_carry_pricing_modifier():
    line = dataclasses.replace(drafted().lines[0], modifiers=("KJ",))
    assert claim_rules.lines_carry_pricing_modifier([line])
    assert not claim_rules.lines_carry_pricing_modifier(drafted().lines)


def test_supply_lines_need_no_pricing_modifier():
    supply = dataclasses.replace(drafted().lines[0], hcpcs="A7035", modifiers=())
    assert not claim_rules.lines_carry_pricing_modifier([supply])


def test_scrub_rechecks_the_modifier_rules():
    line = dataclasses.replace(drafted().lines[0], modifiers=("RR", "KX", "GZ"))
    assert [rule for rule, _ in claim_rules.line_modifier_failures([line])] == [
        "kx_never_with_ga_gz_gy"
    ]


def test_npi_passes_luhn_check():
    claim = drafted(ordering_npi="1234567890")
    claim.collect_events()
    assert scrub_rule(claim).failed_rules == ("npi_passes_luhn_check",)


def test_scrub_checks_claim_requires_delivery_and_swo():
    assert claim_rules.documents_are_on_file(swo_on_file=True, pod_on_file=False)
    assert not claim_rules.documents_are_on_file(swo_on_file=True, pod_on_file=True)


def power_chair(month: int = 1, **overrides) -> Claim:
    line = chair(month=month, order_line_id=uuid4())
    line = dataclasses.replace(line, hcpcs="K0823", kx_documented=True)
    claim = drafted(lines=[line], **overrides)
    claim.collect_events()
    return claim


def test_prior_auth_item_claim_carries_unexpired_utn():
    assert scrub_rule(power_chair()).failed_rules == (
        "prior_auth_item_claim_carries_unexpired_utn",
    )


def test_prior_auth_item_claim_with_utn_expired_before_service_fails_scrub():
    claim = power_chair(utn="UTN123", utn_valid_until=SERVICE - timedelta(days=1))
    assert scrub_rule(claim).failed_rules == ("prior_auth_item_claim_carries_unexpired_utn",)


def test_a_later_rental_month_carries_the_utn_but_is_not_refused_once_its_window_passed():
    """The UTN's validity governs the delivery (month 1), not every later rental month."""
    claim = power_chair(month=4, utn="UTN123", utn_valid_until=SERVICE - timedelta(days=90))
    claim.scrub(SCRUB_DAY)
    assert claim.status is ClaimStatus.SCRUBBED and claim.utn == "UTN123"
    assert scrub_rule(power_chair(month=4)).failed_rules == (
        "prior_auth_item_claim_carries_unexpired_utn",  # the UTN itself is still required
    )


def test_prior_auth_item_claim_with_unexpired_utn_passes_scrub():
    claim = power_chair(utn="UTN123", utn_valid_until=SERVICE)
    claim.scrub(SCRUB_DAY)
    assert claim.status is ClaimStatus.SCRUBBED and claim.lines[0].prior_auth_required


def test_a_medicaid_claim_is_filed_within_its_payers_180_days_not_twelve_months():
    claim = drafted(payer_id="MCD-IL")
    claim.collect_events()
    last_day = claim.lines[0].from_date + timedelta(days=180)
    failure = scrub_rule(claim, last_day + timedelta(days=1))
    assert set(failure.failed_rules) == {"claim_filed_within_twelve_months_of_service"}
    claim.scrub(last_day)
    assert claim.status is ClaimStatus.SCRUBBED


def test_claim_filed_within_twelve_months_of_service():
    last_day = date(2026, 3, 10)
    claim = drafted()
    claim.collect_events()
    failure = scrub_rule(claim, last_day + timedelta(days=1))
    assert set(failure.failed_rules) == {"claim_filed_within_twelve_months_of_service"}
    claim.scrub(last_day)
    assert claim.status is ClaimStatus.SCRUBBED


def test_claim_is_filed_on_or_after_service():
    claim = drafted()
    claim.collect_events()
    failure = scrub_rule(claim, SERVICE - timedelta(days=1))
    assert set(failure.failed_rules) == {"claim_is_filed_on_or_after_service"}


def test_scrub_lists_every_failed_rule():
    claim = drafted(ordering_npi="1234567890", diagnoses=["E11", "M62.81"])
    claim.collect_events()
    failure = scrub_rule(claim, date(2027, 1, 1))
    assert failure.failed_rules == (
        "claim_diagnoses_are_billable_icd10cm",
        "npi_passes_luhn_check",
        "claim_filed_within_twelve_months_of_service",
        "claim_filed_within_twelve_months_of_service",
    )
    assert failure.rule == "claim_diagnoses_are_billable_icd10cm"
    assert isinstance(failure, DomainError)


def test_claim_is_scrubbed_as_draft_or_after_rejection():
    claim = submitted()
    claim.collect_events()
    assert refused(claim, lambda: claim.scrub(SCRUB_DAY)) == (
        "claim_is_scrubbed_as_draft_or_after_rejection"
    )


# --- submission and acknowledgement ---------------------------------------------------------


def test_claim_is_submitted_once_scrubbed():
    claim = drafted()
    assert refused(claim, lambda: claim.request_submission(1)) == "claim_is_submitted_once_scrubbed"


@pytest.mark.parametrize("number", [0, 2, True])
def test_submission_number_is_next_in_sequence(number):
    claim = scrubbed()
    call = lambda: claim.request_submission(number)  # noqa: E731
    assert refused(claim, call) == "submission_number_is_next_in_sequence"


def test_submission_is_recorded_after_its_request():
    claim = scrubbed()
    call = lambda: claim.record_submission("000000001", at(12))  # noqa: E731
    assert refused(claim, call) == "submission_is_recorded_after_its_request"


@pytest.mark.parametrize("icn", ["1", "12345678X", 123456789])
def test_interchange_control_number_is_nine_digits(icn):
    claim = scrubbed()
    claim.request_submission(1)
    call = lambda: claim.record_submission(icn, at(12))  # noqa: E731
    assert refused(claim, call) == "interchange_control_number_is_nine_digits"


def test_time_is_timezone_aware():
    claim = scrubbed()
    claim.request_submission(1)
    call = lambda: claim.record_submission("000000001", datetime(2025, 3, 12, 9))  # noqa: E731
    assert refused(claim, call) == "time_is_timezone_aware"


def test_acknowledgement_follows_submission():
    claim = scrubbed()
    assert refused(claim, lambda: claim.acknowledge(True, [], at(13))) == (
        "acknowledgement_follows_submission"
    )


def test_rejection_states_reasons():
    claim = submitted()
    assert (
        refused(claim, lambda: claim.acknowledge(False, [], at(13))) == "rejection_states_reasons"
    )


def test_rejected_claim_was_not_filed_and_can_be_corrected_and_resubmitted():
    claim = submitted(ordering_npi="1234567893")
    claim.acknowledge(False, ["A7:562 entity's NPI"], at(13))
    assert claim.status is ClaimStatus.REJECTED and not claim.filed
    assert refused(claim, lambda: claim.adjudicate("T", "I", "1", [], PAID_ON)) == (
        "remittance_requires_a_filed_claim"
    )
    claim.correct(on=date(2025, 3, 14), ordering_npi="1245319599")
    claim.scrub(date(2025, 3, 14))
    claim.request_submission(2)
    assert (claim.status, claim.submission_count, claim.ordering_npi) == (
        ClaimStatus.SUBMISSION_REQUESTED,
        2,
        "1245319599",
    )


def test_correcting_lines_reverses_old_charges_and_posts_new_ones():
    claim = drafted()
    claim.correct(on=date(2025, 3, 11), lines=[bed()])
    assert len(claim.lines) == 1
    assert claim.balance == Decimal("140.00")
    assert claim.line_balances == {claim.lines[0].line_id: Decimal("140.00")}


def test_correction_changes_something():
    claim = drafted()
    assert refused(claim, lambda: claim.correct(on=SERVICE)) == "correction_changes_something"


def test_correction_cannot_remove_the_swo():
    claim = drafted()
    call = lambda: claim.correct(on=SERVICE, swo_on_file=False)  # noqa: E731
    assert refused(claim, call) == "claim_requires_delivery_and_swo"


def test_only_an_unfiled_claim_is_corrected():
    claim = accepted()
    call = lambda: claim.correct(on=SERVICE, ordering_npi="1245319599")  # noqa: E731
    assert refused(claim, call) == "only_an_unfiled_claim_is_corrected"


# --- remittance -----------------------------------------------------------------------------


def test_remittance_requires_a_filed_claim():
    claim = scrubbed()
    call = lambda: claim.adjudicate("TRN", "ICN", "1", medicare_payment(claim), PAID_ON)  # noqa: E731
    assert refused(claim, call) == "remittance_requires_a_filed_claim"


def test_remittance_posts_once_per_trace():
    claim = paid()
    call = lambda: claim.adjudicate("TRN-1", "ICN-1", "1", medicare_payment(claim), PAID_ON)  # noqa: E731
    assert refused(claim, call) == "remittance_posts_once_per_trace"


def test_reversal_and_corrected_claim_post_from_the_same_trace():
    claim = paid()
    reversal = [
        LineAdjudication(
            line.line_id,
            -line.allowed,
            -line.paid,
            tuple(dataclasses.replace(a, amount=-a.amount) for a in line.adjustments),
        )
        for line in medicare_payment(claim)
    ]
    claim.adjudicate("TRN-2", "ICN-1", "22", reversal, date(2025, 5, 1))
    assert claim.status is ClaimStatus.REVERSED
    assert claim.balance == claim.charge_total and claim.party_balance(PATIENT) == 0
    claim.adjudicate("TRN-2", "ICN-2", "1", medicare_payment(claim), date(2025, 5, 1))
    assert claim.status is ClaimStatus.PAID and claim.payer_claim_control_number == "ICN-2"


def test_adjudication_posts_payment_contractual_and_patient_responsibility_entries():
    claim = paid()
    bed_id = claim.lines[0].line_id
    assert [(e.kind, e.party, e.amount, e.carc) for e in claim.ledger if e.line_id == bed_id] == [
        (LedgerEntryKind.CHARGE, PAYER, Decimal("140.00"), None),
        (LedgerEntryKind.PAYMENT, PAYER, Decimal("-84.00"), None),
        (LedgerEntryKind.CONTRACTUAL_ADJUSTMENT, PAYER, Decimal("-35.00"), "45"),
        (LedgerEntryKind.PATIENT_RESPONSIBILITY, PAYER, Decimal("-21.00"), "2"),
        (LedgerEntryKind.PATIENT_RESPONSIBILITY, PATIENT, Decimal("21.00"), "2"),
    ]
    assert claim.status is ClaimStatus.PAID and claim.payer_claim_control_number == "ICN-1"


def test_claim_is_paid_partially_paid_or_denied_by_its_lines():
    claim = accepted()
    payment = medicare_payment(claim)
    payment[1] = denial(claim)[1]
    claim.adjudicate("TRN-1", "ICN-1", "1", payment, PAID_ON)
    assert claim.status is ClaimStatus.PARTIALLY_PAID
    assert denied().status is ClaimStatus.DENIED


def test_denied_claim_pays_nothing():
    claim = accepted()
    call = lambda: claim.adjudicate("TRN", "ICN", "4", medicare_payment(claim), PAID_ON)  # noqa: E731
    assert refused(claim, call) == "denied_claim_pays_nothing"


def test_reversal_amounts_are_not_positive():
    claim = paid()
    call = lambda: claim.adjudicate("TRN-2", "ICN-1", "22", medicare_payment(claim), PAID_ON)  # noqa: E731
    assert refused(claim, call) == "reversal_amounts_are_not_positive"


def test_payment_is_not_negative():
    claim = accepted()
    line = LineAdjudication(claim.lines[0].line_id, Decimal("0"), Decimal("-1.00"))
    call = lambda: claim.adjudicate("TRN", "ICN", "1", [line], PAID_ON)  # noqa: E731
    assert refused(claim, call) == "payment_is_not_negative"


def test_remittance_line_matches_claim_line():
    claim = accepted()
    line = LineAdjudication(uuid4(), Decimal("1.00"), Decimal("1.00"))
    call = lambda: claim.adjudicate("TRN", "ICN", "1", [line], PAID_ON)  # noqa: E731
    assert refused(claim, call) == "remittance_line_matches_claim_line"


def test_remittance_adjudicates_each_line_once():
    claim = accepted()
    line = medicare_payment(claim)[0]
    call = lambda: claim.adjudicate("TRN", "ICN", "1", [line, line], PAID_ON)  # noqa: E731
    assert refused(claim, call) == "remittance_adjudicates_each_line_once"


def test_remittance_claim_status_code_is_known():
    claim = accepted()
    call = lambda: claim.adjudicate("TRN", "ICN", "25", medicare_payment(claim), PAID_ON)  # noqa: E731
    assert refused(claim, call) == "remittance_claim_status_code_is_known"


def test_remittance_comes_from_a_billed_payer():
    claim = accepted()
    call = lambda: claim.adjudicate(  # noqa: E731
        "TRN", "ICN", "1", medicare_payment(claim), PAID_ON, payer_id=SECONDARY
    )
    assert refused(claim, call) == "remittance_comes_from_a_billed_payer"


@pytest.mark.parametrize(
    ("carc", "rule"), [("045X", "carc_is_well_formed"), ("", "carc_is_well_formed")]
)
def test_carc_is_well_formed(carc, rule):
    claim = accepted()
    line = LineAdjudication(
        claim.lines[0].line_id,
        Decimal("0"),
        Decimal("0"),
        (Adjustment(AdjustmentGroup.CO, carc, Decimal("140.00")),),
    )
    assert refused(claim, lambda: claim.adjudicate("T", "I", "4", [line], PAID_ON)) == rule


def test_money_has_at_most_two_decimal_places():
    claim = accepted()
    line = LineAdjudication(claim.lines[0].line_id, Decimal("1.005"), Decimal("1.005"))
    call = lambda: claim.adjudicate("TRN", "ICN", "1", [line], PAID_ON)  # noqa: E731
    assert refused(claim, call) == "money_has_at_most_two_decimal_places"


@pytest.mark.parametrize("amount", [84.0, "eighty", None])
def test_money_is_decimal_never_float(amount):
    claim = accepted()
    line = LineAdjudication(claim.lines[0].line_id, Decimal("105.00"), amount)
    call = lambda: claim.adjudicate("TRN", "ICN", "1", [line], PAID_ON)  # noqa: E731
    with pytest.raises(InvalidValue) as raised:
        call()
    assert raised.value.rule == "money_is_decimal"


# --- the ledger -----------------------------------------------------------------------------


def test_balance_is_a_fold_of_the_ledger_to_the_cent():
    claim = paid()
    assert claim.balance == sum((e.amount for e in claim.ledger), Decimal("0.00"))
    assert claim.balance == Decimal("29.00") and str(claim.balance) == "29.00"
    assert sum(claim.line_balances.values()) == claim.balance
    assert claim.party_balance(PAYER) + claim.party_balance(PATIENT) == claim.balance
    assert all(isinstance(e.amount, Decimal) for e in claim.ledger)


def test_current_payer_per_line_follows_the_ledger():
    claim = drafted()
    assert set(claim.line_payers.values()) == {PAYER}
    claim = paid()
    assert set(claim.line_payers.values()) == {PATIENT}


# --- secondary billing and patient responsibility -------------------------------------------


def test_transfer_to_secondary_moves_the_remaining_balance():
    claim = paid()
    claim.transfer_to_secondary(SECONDARY, SECONDARY_COVERAGE, date(2025, 4, 2))
    assert claim.status is ClaimStatus.AWAITING_SECONDARY
    assert (claim.party_balance(SECONDARY), claim.party_balance(PATIENT)) == (
        Decimal("29.00"),
        Decimal("0.00"),
    )
    assert set(claim.line_payers.values()) == {SECONDARY}
    claim.request_submission(2)
    assert claim.billed_payer_id == SECONDARY


def test_secondary_payment_settles_the_claim():
    claim = paid()
    claim.transfer_to_secondary(SECONDARY, SECONDARY_COVERAGE, date(2025, 4, 2))
    lines = [
        LineAdjudication(line_id, amount, amount) for line_id, amount in claim.line_balances.items()
    ]
    claim.adjudicate("TRN-9", "SEC-1", "2", lines, date(2025, 4, 20))
    assert claim.balance == 0 and claim.status is ClaimStatus.PAID


def test_claim_moves_to_secondary_once():
    claim = paid()
    claim.transfer_to_secondary(SECONDARY, SECONDARY_COVERAGE, date(2025, 4, 2))
    claim.assign_patient_responsibility(date(2025, 5, 1), "secondary did not pay")
    call = lambda: claim.transfer_to_secondary("COM-UHC", uuid4(), date(2025, 5, 2))  # noqa: E731
    assert refused(claim, call) == "claim_moves_to_secondary_once"


def test_secondary_payer_differs_from_primary():
    claim = paid()
    call = lambda: claim.transfer_to_secondary(PAYER, COVERAGE, date(2025, 4, 2))  # noqa: E731
    assert refused(claim, call) == "secondary_payer_differs_from_primary"


def test_transfer_requires_remaining_balance():
    claim = settled(paid())
    call = lambda: claim.transfer_to_secondary(SECONDARY, SECONDARY_COVERAGE, PAID_ON)  # noqa: E731
    assert refused(claim, call) == "transfer_requires_remaining_balance"


def test_secondary_billing_follows_primary_adjudication():
    claim = accepted()
    call = lambda: claim.transfer_to_secondary(SECONDARY, SECONDARY_COVERAGE, PAID_ON)  # noqa: E731
    assert refused(claim, call) == "secondary_billing_follows_primary_adjudication"


def test_assign_patient_responsibility_moves_payer_balances_to_the_patient():
    claim = paid()
    claim.transfer_to_secondary(SECONDARY, SECONDARY_COVERAGE, date(2025, 4, 2))
    claim.assign_patient_responsibility(date(2025, 5, 1), "no secondary payment")
    assert claim.party_balance(PATIENT) == Decimal("29.00") and claim.party_balance(SECONDARY) == 0
    assert claim.status is ClaimStatus.PATIENT_RESPONSIBILITY


def test_patient_responsibility_requires_payer_balance():
    claim = paid()  # all of the balance is already the patient's
    call = lambda: claim.assign_patient_responsibility(PAID_ON, "coinsurance")  # noqa: E731
    assert refused(claim, call) == "patient_responsibility_requires_payer_balance"


def test_patient_payment_does_not_exceed_patient_balance():
    claim = paid()
    call = lambda: claim.record_patient_payment(Decimal("29.01"), PAID_ON, "CHK-1")  # noqa: E731
    assert refused(claim, call) == "patient_payment_does_not_exceed_patient_balance"


def test_patient_payment_is_applied_line_by_line():
    claim = paid()
    claim.record_patient_payment(Decimal("25.00"), PAID_ON, "CHK-1")
    assert list(claim.line_balances.values()) == [Decimal("0.00"), Decimal("4.00")]


# --- appeals --------------------------------------------------------------------------------


def test_redetermination_filed_within_120_days_of_remittance():
    """120 days from receipt, presumed 5 days after the remittance's date: day 125 is in time."""
    claim = denied()
    late = PAID_ON + timedelta(days=126)
    call = lambda: claim.appeal(AppealLevel.REDETERMINATION, late, "meets policy")  # noqa: E731
    assert refused(claim, call) == "redetermination_filed_within_120_days_of_remittance"
    claim.appeal(1, PAID_ON + timedelta(days=125), "meets policy")
    assert claim.status is ClaimStatus.APPEALED


def unfavourable_redetermination() -> Claim:
    claim = denied()
    claim.appeal(AppealLevel.REDETERMINATION, date(2025, 4, 10), "meets policy")
    claim.decide_appeal(date(2025, 6, 1), favourable=False)
    return claim


def test_reconsideration_filed_within_180_days_of_redetermination():
    claim = unfavourable_redetermination()
    late = date(2025, 6, 1) + timedelta(days=186)
    call = lambda: claim.appeal(AppealLevel.RECONSIDERATION, late, "QIC review")  # noqa: E731
    assert refused(claim, call) == "reconsideration_filed_within_180_days_of_redetermination"
    claim.appeal(AppealLevel.RECONSIDERATION, date(2025, 6, 1) + timedelta(days=185), "QIC")
    assert claim.open_appeal is AppealLevel.RECONSIDERATION


def test_reconsideration_follows_unfavourable_redetermination():
    claim = denied()
    call = lambda: claim.appeal(AppealLevel.RECONSIDERATION, date(2025, 4, 10), "QIC")  # noqa: E731
    assert refused(claim, call) == "reconsideration_follows_unfavourable_redetermination"


def test_redetermination_is_requested_once():
    claim = unfavourable_redetermination()
    call = lambda: claim.appeal(AppealLevel.REDETERMINATION, date(2025, 6, 2), "again")  # noqa: E731
    assert refused(claim, call) == "redetermination_is_requested_once"


def test_timely_filing_denial_is_not_appealable():
    claim = denied(carc="29")
    call = lambda: claim.appeal(AppealLevel.REDETERMINATION, date(2025, 4, 10), "late")  # noqa: E731
    assert refused(claim, call) == "timely_filing_denial_is_not_appealable"


def test_one_appeal_open_at_a_time():
    claim = denied()
    claim.appeal(AppealLevel.REDETERMINATION, date(2025, 4, 10), "meets policy")
    call = lambda: claim.appeal(AppealLevel.REDETERMINATION, date(2025, 4, 11), "x")  # noqa: E731
    assert refused(claim, call) == "one_appeal_open_at_a_time"


def test_appeal_requires_adjudicated_claim():
    claim = accepted()
    call = lambda: claim.appeal(AppealLevel.REDETERMINATION, PAID_ON, "x")  # noqa: E731
    assert refused(claim, call) == "appeal_requires_adjudicated_claim"


def test_appeal_decision_returns_the_claim_to_its_adjudication_outcome():
    claim = denied()
    claim.appeal(AppealLevel.REDETERMINATION, date(2025, 4, 10), "meets policy")
    claim.decide_appeal(date(2025, 5, 1), favourable=True)
    assert claim.status is ClaimStatus.DENIED and claim.redetermination_favourable is True


def test_appeal_is_decided_after_filing():
    claim = denied()
    claim.appeal(AppealLevel.REDETERMINATION, date(2025, 4, 10), "meets policy")
    call = lambda: claim.decide_appeal(date(2025, 4, 9), favourable=True)  # noqa: E731
    assert refused(claim, call) == "appeal_is_decided_after_filing"


# --- void, replacement, write-off, close ----------------------------------------------------


def test_void_reverses_charges_and_sets_frequency_code_8():
    claim = accepted()
    claim.void(date(2025, 3, 20), "billed the wrong patient")
    assert (claim.status, claim.frequency_code, claim.balance) == (
        ClaimStatus.VOIDED,
        "8",
        Decimal("0.00"),
    )
    assert claim.ledger[-1].kind is LedgerEntryKind.REVERSAL


def test_voided_claim_returns_to_zero_after_the_payers_reversal():
    claim = paid()
    claim.void(date(2025, 4, 5), "billed the wrong patient")
    assert claim.balance == Decimal("-151.00")  # payments and adjustments await reversal
    reversal = [
        LineAdjudication(
            line.line_id,
            -line.allowed,
            -line.paid,
            tuple(dataclasses.replace(a, amount=-a.amount) for a in line.adjustments),
        )
        for line in medicare_payment(claim)
    ]
    claim.adjudicate("TRN-2", "ICN-1", "22", reversal, date(2025, 5, 1))
    assert claim.balance == 0 and claim.status is ClaimStatus.VOIDED


def test_void_requires_a_filed_claim():
    claim = scrubbed()
    assert refused(claim, lambda: claim.void(SCRUB_DAY, "oops")) == "void_requires_a_filed_claim"


def test_replacement_claim_references_the_original_with_frequency_7():
    original = paid()
    replacement_id = original.replace(date(2025, 4, 5), "wrong modifier")
    assert original.status is ClaimStatus.REPLACED
    assert original.replacement_claim_id == replacement_id == replacement_id_for(original.id)
    replacement = drafted(
        replaces_claim_id=original.id, original_payer_claim_control_number="ICN-1"
    )
    assert (replacement.id, replacement.frequency_code) == (replacement_id, "7")
    assert replacement.original_payer_claim_control_number == "ICN-1"


def test_replacement_claim_references_original():
    call = lambda: drafted(replaces_claim_id=uuid4())  # noqa: E731
    assert refused(None, call) == "replacement_claim_references_original"


def test_replacement_requires_adjudicated_claim():
    claim = accepted()
    call = lambda: claim.replace(PAID_ON, "wrong modifier")  # noqa: E731
    assert refused(claim, call) == "replacement_requires_adjudicated_claim"


def test_write_off_clears_the_balance():
    claim = paid()
    claim.write_off(date(2025, 6, 1), "small balance")
    assert claim.balance == 0 and claim.ledger[-1].kind is LedgerEntryKind.WRITE_OFF


def test_write_off_requires_a_filed_claim():
    claim = drafted()
    call = lambda: claim.write_off(SERVICE, "never billed")  # noqa: E731
    assert refused(claim, call) == "write_off_requires_a_filed_claim"


def test_claim_closes_only_at_zero_balance():
    claim = paid()
    call = lambda: claim.close(date(2025, 4, 2))  # noqa: E731
    assert refused(claim, call) == "claim_closes_only_at_zero_balance"
    settled(claim).close(date(2025, 4, 11))
    assert claim.status is ClaimStatus.CLOSED and claim.closed_on == date(2025, 4, 11)


def test_claim_with_open_appeal_stays_open():
    claim = denied()
    claim.appeal(AppealLevel.REDETERMINATION, date(2025, 4, 10), "meets policy")
    assert refused(claim, lambda: claim.close(date(2025, 4, 11))) == (
        "claim_with_open_appeal_stays_open"
    )


def test_claim_with_submission_in_flight_stays_open():
    claim = submitted()
    assert refused(claim, lambda: claim.close(date(2025, 4, 11))) == (
        "claim_with_submission_in_flight_stays_open"
    )


def test_claim_is_closed_once():
    claim = settled(paid())
    claim.close(date(2025, 4, 11))
    assert refused(claim, lambda: claim.close(date(2025, 4, 12))) == "claim_is_closed_once"


def test_closed_claim_takes_no_postings():
    claim = settled(paid())
    claim.close(date(2025, 4, 11))
    call = lambda: claim.record_patient_payment(Decimal("1.00"), PAID_ON, "CHK")  # noqa: E731
    assert refused(claim, call) == "closed_claim_takes_no_postings"


def test_late_remittance_reopens_a_closed_claim():
    claim = settled(paid())
    claim.close(date(2025, 4, 11))
    lines = [LineAdjudication(claim.lines[0].line_id, Decimal("0.00"), Decimal("-84.00"))]
    claim.adjudicate("TRN-3", "ICN-1", "22", lines, date(2025, 6, 1))
    assert claim.status is ClaimStatus.REVERSED and claim.closed_on is None
    assert claim.balance == Decimal("84.00")


def test_chair_line_points_at_its_own_diagnoses():
    assert drafted().lines[1].diagnosis_pointers == (2, 1)
    assert drafted().lines[1].order_line_id == CHAIR_LINE


# --- the interchange a claim goes out in, recorded before it is sent ---------------------------


def _requested() -> Claim:
    claim = scrubbed()
    claim.request_submission(1)
    return claim


def test_a_prepared_transmission_names_its_interchange_and_claims_in_order():
    claim = _requested()
    other = uuid4()
    claim.prepare_transmission("000000123", [claim.id, other], at(12))
    assert claim.pending_transmission.interchange_control_number == "000000123"
    assert claim.pending_transmission.claim_ids == (claim.id, other)
    assert claim.pending_transmission.first_claim_id == claim.id
    assert claim.status is ClaimStatus.SUBMISSION_REQUESTED


def test_a_claim_not_first_in_its_interchange_names_the_first_instead_of_the_list():
    claim = _requested()
    first = uuid4()
    claim.prepare_transmission("000000123", [first, claim.id], at(12))
    assert claim.pending_transmission.interchange_control_number == "000000123"
    assert claim.pending_transmission.claim_ids == ()
    assert claim.pending_transmission.first_claim_id == first


def test_a_transmission_must_carry_the_claim():
    with pytest.raises(RuleViolated) as refused:
        _requested().prepare_transmission("000000123", [uuid4()], at(12))
    assert refused.value.rule == "transmission_carries_the_claim"


def test_submission_clears_the_prepared_transmission():
    claim = _requested()
    claim.prepare_transmission("000000123", [claim.id], at(12))
    claim.record_submission("000000123", at(12))
    assert claim.pending_transmission is None


def test_only_a_prepared_transmission_is_left_unconfirmed():
    with pytest.raises(RuleViolated) as refused:
        _requested().leave_transmission_unconfirmed("no status service", at(12))
    assert refused.value.rule == "unconfirmed_transmission_was_prepared"


def test_an_unconfirmed_transmission_found_received_is_recorded_submitted():
    claim = _requested()
    claim.prepare_transmission("000000123", [claim.id], at(12))
    claim.leave_transmission_unconfirmed("no status service", at(12))
    assert claim.status is ClaimStatus.TRANSMISSION_UNCONFIRMED
    claim.record_transmission_received(at(13))
    assert claim.status is ClaimStatus.SUBMITTED
    assert claim.interchange_control_number == "000000123"


def test_only_an_unconfirmed_transmission_is_settled():
    claim = _requested()
    claim.prepare_transmission("000000123", [claim.id], at(12))
    for settle in (claim.record_transmission_received, claim.record_transmission_not_received):
        with pytest.raises(RuleViolated) as refused:
            settle(at(13))
        assert refused.value.rule == "only_an_unconfirmed_transmission_is_settled"


def test_an_unconfirmed_transmission_found_not_received_may_be_submitted_again():
    claim = _requested()
    claim.prepare_transmission("000000123", [claim.id], at(12))
    claim.leave_transmission_unconfirmed("no status service", at(12))
    claim.record_transmission_not_received(at(13))
    assert claim.status is ClaimStatus.SCRUBBED and claim.pending_transmission is None
    claim.request_submission(2)
    assert claim.status is ClaimStatus.SUBMISSION_REQUESTED


def test_a_claim_whose_transmission_is_unconfirmed_stays_open():
    claim = _requested()
    claim.prepare_transmission("000000123", [claim.id], at(12))
    claim.leave_transmission_unconfirmed("no status service", at(12))
    with pytest.raises(RuleViolated) as refused:
        claim.close(SERVICE)
    assert refused.value.rule == "claim_with_submission_in_flight_stays_open"
