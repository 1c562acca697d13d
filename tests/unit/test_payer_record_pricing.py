"""A payer that exists only as the tenant's payer record (decision 017) is billable: pricing
takes it as a value (id, kind, name, limit) from the application layer, its kind decides the
Medicare-only modifiers and its id the fees (domain/pricing.py, domain/claim_drafting.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from domain import pricing
from domain.errors import DomainError, RuleViolated
from domain.payer import FilingLimit, PayerType, billed_as
from tests.setup_builders import payer
from tests.unit.claim_builders import SECONDARY_COVERAGE, SERVICE, chair, drafted, paid

ACME = billed_as(
    payer(
        payer_id="ACME-PPO",
        name="Acme Health PPO",
        payer_type=PayerType.COMMERCIAL,
        claim_filing_indicator="CI",
        x12_payer_id="ACME1",
        timely_filing_months=None,
        timely_filing_days=90,
    )
)
ACME_FEES = {("K0001", "RR"): Decimal("44.10"), ("E0260", "RR"): Decimal("150.00")}


def acme_fees(hcpcs: str, basis: str) -> Decimal:
    try:
        return ACME_FEES[(hcpcs, basis)]
    except KeyError:
        raise RuleViolated("payer_prices_item_for_billing", f"no {basis} fee for {hcpcs}") from None


def rule_of(call) -> str:
    with pytest.raises(DomainError) as raised:
        call()
    return raised.value.rule


def test_a_payer_record_is_priced_as_its_kind_with_its_imported_fees():
    line = pricing.price_line(ACME, "K0001", "rental", rental_month=2, fees=acme_fees)
    # Commercial: no KX/GA/GZ, Medicare DME MAC modifiers (`medical_necessity_modifier`).
    assert line.modifiers == ("RR", "KI")
    assert (line.charge, line.expected_allowed) == (Decimal("44.10"), Decimal("44.10"))
    medicare_record = replace(ACME, kind=pricing.PayerKind.MEDICARE)
    medicare_line = pricing.price_line(
        medicare_record, "K0001", "rental", rental_month=2, kx_documented=True, fees=acme_fees
    )
    assert medicare_line.modifiers == ("RR", "KI", "KX")


def test_a_payer_record_without_imported_or_packaged_fees_is_refused_by_the_fee_rule():
    call = lambda: pricing.price_line(ACME, "K0001", "rental", rental_month=2)  # noqa: E731
    assert rule_of(call) == "payer_prices_item_for_billing"


def test_a_payer_record_of_a_packaged_payer_id_falls_back_to_the_packaged_fees():
    record = replace(ACME, payer_id="COM-AETNA")
    assert pricing.price_line(record, "E0601", "rental", rental_month=1).charge == (
        pricing.price_line("COM-AETNA", "E0601", "rental", rental_month=1).charge
    )


def test_every_payer_type_is_a_pricing_kind():
    for payer_type in PayerType:
        assert billed_as(payer(payer_type=payer_type)).kind.value == payer_type.value


def test_a_claim_is_drafted_for_a_payer_record_with_its_terms():
    claim = drafted(
        payer_id="ACME-PPO",
        payer=ACME,
        fees=lambda _on: acme_fees,
        lines=[chair()],
        diagnoses=["G47.33"],
    )
    assert claim.payer_id == "ACME-PPO"
    assert [line.modifiers for line in claim.lines] == [("RR", "KI")]
    assert claim.lines[0].charge == Decimal("44.10")
    assert claim.filing_limit == FilingLimit(None, 90)
    assert claim.filing_limit.filing_deadline(SERVICE) == SERVICE + timedelta(days=90)


def test_an_unknown_payer_without_a_record_is_still_refused():
    call = lambda: drafted(payer_id="ACME-PPO", lines=[chair()])  # noqa: E731
    assert rule_of(call) == "payer_is_in_reference_list"


def test_a_claim_is_priced_only_for_its_own_payer():
    call = lambda: drafted(payer_id="COM-UHC", payer=ACME, lines=[chair()])  # noqa: E731
    assert rule_of(call) == "claim_is_priced_for_its_payer"


def test_the_balance_moves_to_a_secondary_payer_record():
    claim = paid()
    claim.transfer_to_secondary(
        "ACME-PPO", SECONDARY_COVERAGE, date(2025, 4, 2), FilingLimit(None, 90)
    )
    assert claim.billed_payer_id == "ACME-PPO"
    call = lambda: paid().transfer_to_secondary(  # noqa: E731
        "ACME-PPO", SECONDARY_COVERAGE, date(2025, 4, 2)
    )
    assert rule_of(call) == "payer_is_in_reference_list"
