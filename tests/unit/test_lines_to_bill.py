"""What the claims process bills from an order (application/claims.py `lines_to_bill`): the
documentation and ABN facts and the oxygen facts each line is priced by."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from application.claims import lines_to_bill
from domain.errors import RuleViolated
from domain.pricing import price_line
from tests.unit.order_builders import VALID_NPI, delivered, line

MEDICARE = "MCR-DMEB"


def priced(to_bill):
    return price_line(
        MEDICARE, to_bill.hcpcs, to_bill.billing, rental_month=to_bill.rental_month,
        oxygen_flow_lpm=to_bill.oxygen_flow_lpm, adherence_met=to_bill.adherence_met,
        abn=to_bill.abn, kx_documented=to_bill.kx_documented,
        portable_oxygen=to_bill.portable_oxygen, oxygen_group=to_bill.oxygen_group,
        service_from=to_bill.from_date,
    )


def test_pap_supply_purchase_is_billed_with_kx_when_the_order_is_documented():
    order = delivered("A7030")
    order.record_swo(date(2026, 1, 6), VALID_NPI)
    (supply,) = [x for month in lines_to_bill(order).values() for x in month]
    assert supply.kx_documented and supply.abn is None
    assert priced(supply).modifiers == ("KX",)


def test_recorded_abn_is_billed_as_signed():
    order = delivered("A7030")
    order.record_abn(date(2026, 1, 6))
    (supply,) = [x for month in lines_to_bill(order).values() for x in month]
    assert supply.abn == "signed"
    assert priced(supply).modifiers == ("GA",)


def test_abn_not_obtained_bills_gz_and_no_decision_refuses_the_line():
    order = delivered("A7030")
    (supply,) = [x for month in lines_to_bill(order).values() for x in month]
    with pytest.raises(RuleViolated) as refused:
        priced(supply)
    assert refused.value.rule == "abn_decision_is_recorded_when_coverage_criteria_are_not_met"
    order.record_abn(date(2026, 1, 6), "not_obtained")
    (supply,) = [x for month in lines_to_bill(order).values() for x in month]
    assert priced(supply).modifiers == ("GZ",)


def test_portable_add_on_is_priced_by_the_stationary_flow_and_both_carry_qf():
    order = delivered(line("E1390", flow=Decimal("5")), line("E0431", flow=Decimal("2")))
    order.record_swo(date(2026, 1, 6), VALID_NPI)
    order.open_due_rental_months(date(2026, 1, 31))
    billed = {x.hcpcs: x for month in lines_to_bill(order).values() for x in month}
    assert billed["E0431"].oxygen_flow_lpm == Decimal("5")
    assert {code: priced(x).modifiers for code, x in billed.items()} == {
        "E1390": ("RR", "QF", "N1"),
        "E0431": ("RR", "QF", "N1"),
    }
