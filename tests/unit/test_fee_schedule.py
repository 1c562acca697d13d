"""Fee schedules (domain/fee_schedule.py) read from CMS's real DMEPOS file (April 2025, see
tests/fee_schedules/README.md) and a contract file, and claim lines priced by them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from domain import pricing
from domain.context import bound_context
from domain.errors import RuleViolated
from domain.fee_schedule import (
    CMS_DMEPOS,
    CONTRACT,
    FeeSchedule,
    ScheduleFees,
    parse_cms_dmepos,
    parse_contract,
)
from tests.unit.replay import replay

FILES = Path(__file__).parents[1] / "fee_schedules"
APRIL_2025 = (FILES / "DMEPOS25_APR_excerpt.csv").read_bytes()
JANUARY_2026_TX = (FILES / "DMEPOS26_JAN_TX_excerpt.csv").read_bytes()
MEDICARE = "MCR-DMEB"


@pytest.fixture(autouse=True)
def _tenant():
    with bound_context(tenant_id="t-1", actor_id="u-1", actor_role="admin"):
        yield


def april_2025() -> FeeSchedule:
    return FeeSchedule.import_file(
        tenant_id="t-1", payer_id=MEDICARE, source=CMS_DMEPOS, effective_from=date(2025, 4, 1),
        file_name="DMEPOS25_APR.csv", content=APRIL_2025,
    )


# (code, state, rural) -> the file's amount, read off the file by hand
REAL_AMOUNTS = {
    ("E0260", "IL", False): "73.90", ("E0260", "IL", True): "125.35",
    ("E0260", "CA", False): "72.69", ("E0260", "CA", True): "125.35",
    ("E1390", "IL", False): "96.70", ("E1390", "IL", True): "173.32",
    ("E1390", "CA", False): "92.08", ("E1390", "CA", True): "173.32",
    ("K0823", "IL", False): "334.75", ("K0823", "IL", True): "547.16",
    ("K0823", "CA", False): "335.88", ("K0823", "CA", True): "547.16",
}


@pytest.mark.parametrize(("key", "amount"), REAL_AMOUNTS.items(), ids=str)
def test_the_real_april_2025_file_prices_each_state_rural_and_not(key, amount):
    code, state, rural = key
    assert april_2025().amount(code, "RR", state, rural) == Decimal(amount)


def price(schedule: FeeSchedule, code: str, state: str, rural: bool, month: int = 1, **line):
    return pricing.price_line(
        MEDICARE, code, "rental", rental_month=month, fees=ScheduleFees(schedule, state, rural),
        **line,
    )


def test_e0260_claims_are_priced_from_the_file_for_illinois_and_california():
    schedule = april_2025()
    illinois = price(schedule, "E0260", "IL", rural=False)
    california_rural_month_4 = price(schedule, "E0260", "CA", rural=True, month=4)
    assert (illinois.modifiers, illinois.charge, illinois.expected_allowed) == (
        ("RR", "KH"), Decimal("73.90"), Decimal("73.90")
    )
    # months 4-13 of a capped rental allow 75% of the fee (42 CFR 414.229)
    assert (california_rural_month_4.charge, california_rural_month_4.expected_allowed) == (
        Decimal("125.35"), Decimal("94.01")
    )


def test_e1390_claims_are_priced_from_the_file_with_the_flow_adjustment():
    schedule = april_2025()
    two_litres = price(schedule, "E1390", "CA", rural=False, oxygen_flow_lpm=Decimal("2"))
    high_flow = price(schedule, "E1390", "IL", rural=True, oxygen_flow_lpm=Decimal("5"))
    assert (two_litres.modifiers, two_litres.expected_allowed) == (("RR",), Decimal("92.08"))
    # QG: 150% of the stationary fee (42 CFR 414.226(e))
    assert (high_flow.modifiers, high_flow.expected_allowed) == (
        ("RR", "QG"), Decimal("259.98")
    )


def test_k0823_claims_are_priced_from_the_file_at_15_then_6_percent():
    schedule = april_2025()
    month_1 = price(schedule, "K0823", "IL", rural=False, kx_documented=True)
    month_5 = price(schedule, "K0823", "CA", rural=True, month=5, kx_documented=True)
    assert (month_1.modifiers, month_1.expected_allowed) == (("RR", "KH", "KX"), Decimal("334.75"))
    assert month_5.expected_allowed == Decimal("218.86")  # 547.16 x 0.40


def test_a_code_the_file_does_not_price_in_the_state_is_refused_not_guessed():
    schedule = april_2025()
    with pytest.raises(RuleViolated) as refused:
        price(schedule, "E0260", "ZZ", rural=False)
    assert refused.value.rule == "payer_prices_item_for_billing"


def test_a_file_without_a_hcpcs_header_is_refused():
    with pytest.raises(RuleViolated) as refused:
        parse_cms_dmepos(b"code,amount\nE0260,70.00\n")
    assert refused.value.rule == "cms_file_has_a_hcpcs_header"


def test_title_rows_above_the_header_are_skipped():
    titled = b"DMEPOS Fee Schedule,,\nApril 2025,,\n" + APRIL_2025
    assert parse_cms_dmepos(titled).rows == parse_cms_dmepos(APRIL_2025).rows


def test_a_file_with_only_some_columns_is_read_by_their_names():
    rows = parse_cms_dmepos(JANUARY_2026_TX).rows
    assert rows[("E0260", "RR", "")] == {"TX": ["77.50", "128.14"]}


def test_a_cms_schedule_starts_on_a_quarter():
    with pytest.raises(RuleViolated) as refused:
        FeeSchedule.import_file(
            tenant_id="t-1", payer_id=MEDICARE, source=CMS_DMEPOS,
            effective_from=date(2025, 4, 2), file_name="x.csv", content=APRIL_2025,
        )
    assert refused.value.rule == "cms_schedules_start_on_a_quarter"


def test_contract_rates_apply_to_every_state_unless_one_is_named():
    content = b"hcpcs,modifier,amount,state,rural_amount\nE0260,RR,150.00,,\nE0260,NU,900,IL,950\n"
    schedule = FeeSchedule.import_file(
        tenant_id="t-1", payer_id="COM-AETNA", source=CONTRACT, effective_from=date(2026, 2, 15),
        file_name="aetna.csv", content=content,
    )
    assert schedule.amount("E0260", "RR", "CA", rural=True) == Decimal("150.00")
    assert schedule.amount("E0260", "NU", "IL", rural=True) == Decimal("950.00")
    assert schedule.amount("E0260", "NU", "CA", rural=False) is None
    assert parse_contract(content).row_count == 2


def test_the_same_file_is_the_same_schedule_and_its_rows_replay():
    first, again = april_2025(), april_2025()
    assert first.id == again.id
    events = first.collect_events()
    assert len(events) == 2  # Imported, then the rows in one chunk
    assert vars(replay(events)) == vars(first)
