"""Pricing: modifiers and amounts per line, table-driven (domain/pricing.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum

import pytest

from domain import pricing
from domain.catalogue import catalogue
from domain.errors import InvalidValue, RuleViolated
from domain.pricing import check_modifiers, price_line

MEDICARE = "MCR-DMEB"


def rental(hcpcs: str, month: int, **kwargs) -> pricing.PricedLine:
    """A Medicare rental line; oxygen lines qualify under coverage group 1 unless told."""
    if hcpcs in pricing.STATIONARY_OXYGEN | pricing.PORTABLE_OXYGEN:
        kwargs.setdefault("oxygen_group", 1)
    return price_line(MEDICARE, hcpcs, "rental", rental_month=month, **kwargs)


def rule_of(call) -> str:
    with pytest.raises(RuleViolated) as raised:
        call()
    return raised.value.rule


# --- reference data -------------------------------------------------------------------------


def test_fee_schedule_prices_every_catalogue_code_for_every_payer():
    schedule = pricing.fee_schedule()
    for payer_id in pricing.payers():
        for code in catalogue():
            assert any((payer_id, code, basis) in schedule for basis in ("NU", "UE", "RR")), (
                payer_id,
                code,
            )


def test_fee_schedule_amounts_are_decimal_to_the_cent():
    for amount in pricing.fee_schedule().values():
        assert isinstance(amount, Decimal)
        assert amount == amount.quantize(Decimal("0.01")) and amount > 0


def test_payers_file_lists_medicare_medicaid_and_commercial_payers_each_with_its_filing_limit():
    payers = pricing.payers()
    assert payers[MEDICARE].name == "Medicare DME MAC Jurisdiction B"
    assert {p.kind for p in payers.values()} == set(pricing.PayerKind)
    for found in payers.values():  # months or days, never both, never neither
        assert (found.timely_filing_months is None) != (found.timely_filing_days is None)
    assert payers[MEDICARE].timely_filing_months == 12
    assert payers["MCD-IL"].timely_filing_days == 180


def test_timely_filing_is_the_payers_own_limit_from_the_date_of_service():
    medicare, medicaid = pricing.payer(MEDICARE), pricing.payer("MCD-IL")
    assert medicare.filing_deadline(date(2025, 3, 10)) == date(2026, 3, 10)
    assert medicare.filing_deadline(date(2024, 2, 29)) == date(2025, 2, 28)  # Pub 100-04 1 §70
    assert medicaid.filing_deadline(date(2025, 3, 10)) == date(2025, 9, 6)  # 180 days


def test_unknown_payer_is_refused():
    assert rule_of(lambda: pricing.payer("NOPE")) == "payer_is_in_reference_list"


def test_each_payer_has_its_own_price():
    medicare = price_line(MEDICARE, "E0143", "purchase_new").charge
    medicaid = price_line("MCD-IL", "E0143", "purchase_new").charge
    assert (medicare, medicaid) == (Decimal("120.00"), Decimal("108.00"))


# --- capped rental: hospital bed E0260 ------------------------------------------------------

HOSPITAL_BED_MONTHS = [
    (1, ("RR", "KH"), "140.00"),
    (2, ("RR", "KI"), "140.00"),
    (3, ("RR", "KI"), "140.00"),
    *[(month, ("RR", "KJ"), "105.00") for month in range(4, 14)],
]


@pytest.mark.parametrize(("month", "modifiers", "allowed"), HOSPITAL_BED_MONTHS)
def test_capped_rental_month_sets_modifiers_and_allowed_amount(month, modifiers, allowed):
    line = rental("E0260", month)
    assert line.modifiers == modifiers
    assert line.charge == Decimal("140.00")
    assert line.expected_allowed == Decimal(allowed)


def test_capped_rental_ends_after_month_13():
    assert rule_of(lambda: rental("E0260", 14)) == "capped_rental_ends_after_month_13"
    assert not pricing.rental_month_is_paid("E0260", 14)
    assert pricing.rental_month_is_paid("E0260", 13)


def test_rental_modifiers_for_capped_item_refuse_month_14():
    assert pricing.rental_modifiers("E0260", 1) == ("RR", "KH")
    assert rule_of(lambda: pricing.rental_modifiers("E0260", 14)) == (
        "capped_rental_ends_after_month_13"
    )


def test_capped_rental_allowed_amount_rounds_half_up_to_the_cent():
    # E0562 RR 22.50 x 75% = 16.875
    assert rental("E0562", 4, kx_documented=True).expected_allowed == Decimal("16.88")


def test_capped_rental_items_are_rented():
    assert rule_of(lambda: price_line(MEDICARE, "E0260", "purchase_new")) == (
        "capped_rental_items_are_rented"
    )


def test_rental_line_states_its_rental_month():
    assert rule_of(lambda: price_line(MEDICARE, "E0260", "rental")) == (
        "rental_line_states_its_rental_month"
    )


@pytest.mark.parametrize("month", [0, -1, True])
def test_rental_month_starts_at_one(month):
    assert rule_of(lambda: rental("E0260", month)) == "rental_month_starts_at_one"


# --- CPAP E0601 -----------------------------------------------------------------------------

CPAP_CASES = [
    # month, adherence_met, ABN decision, modifiers, allowed
    (1, True, None, ("RR", "KH", "KX"), "85.00"),
    (2, True, "signed", ("RR", "KI", "KX"), "85.00"),
    (4, True, None, ("RR", "KJ", "KX"), "63.75"),
    (4, False, "signed", ("RR", "KJ", "GA"), "63.75"),
    (4, False, "refused", ("RR", "KJ", "GA"), "63.75"),
    (4, False, pricing.AbnDecision.NOT_OBTAINED, ("RR", "KJ", "GZ"), "63.75"),
    (13, False, "signed", ("RR", "KJ", "GA"), "63.75"),
]


@pytest.mark.parametrize(("month", "adherent", "abn", "modifiers", "allowed"), CPAP_CASES)
def test_cpap_carries_kx_when_adherent_else_ga_or_gz_from_the_abn_decision(
    month, adherent, abn, modifiers, allowed
):
    line = rental("E0601", month, adherence_met=adherent, abn=abn)
    assert line.modifiers == modifiers
    assert line.expected_allowed == Decimal(allowed)


def test_cpap_line_must_state_adherence():
    assert rule_of(lambda: rental("E0601", 1)) == "pap_line_states_adherence"


# --- standard wheelchair K0001 --------------------------------------------------------------


@pytest.mark.parametrize(
    ("documented", "abn", "modifiers"),
    [
        (True, None, ("RR", "KJ", "KX")),
        (False, "signed", ("RR", "KJ", "GA")),
        (False, "not_obtained", ("RR", "KJ", "GZ")),
    ],
)
def test_wheelchair_carries_kx_when_medical_necessity_is_documented(documented, abn, modifiers):
    line = rental("K0001", 5, kx_documented=documented, abn=abn)
    assert line.modifiers == modifiers
    assert line.expected_allowed == Decimal("30.00")


@pytest.mark.parametrize("hcpcs", ["A7030", "A7034", "A7035", "A7037"])
def test_pap_supply_carries_kx_when_documented(hcpcs):
    assert price_line(MEDICARE, hcpcs, "purchase_new", kx_documented=True).modifiers == ("KX",)


@pytest.mark.parametrize(
    "call",
    [
        lambda: price_line(MEDICARE, "A7030", "purchase_new"),
        lambda: rental("E0601", 4, adherence_met=False),
        lambda: rental("K0001", 2),
    ],
)
def test_criteria_not_met_without_an_abn_decision_is_refused_not_gz(call):
    assert rule_of(call) == "abn_decision_is_recorded_when_coverage_criteria_are_not_met"


def test_unknown_abn_decision_is_refused():
    call = lambda: rental("K0001", 2, abn="maybe")  # noqa: E731
    assert rule_of(call) == "abn_decision_is_signed_refused_or_not_obtained"


@pytest.mark.parametrize("payer_id", ["MCD-IL", "COM-AETNA", "COM-UHC"])
@pytest.mark.parametrize(
    ("hcpcs", "month", "kwargs"),
    [
        ("A7030", None, {"kx_documented": True}),
        ("A7030", None, {"abn": "not_obtained"}),
        ("E0601", 4, {"adherence_met": False, "abn": "signed"}),
        ("E0601", 1, {}),
        ("K0001", 2, {}),
    ],
)
def test_kx_ga_gz_are_medicare_modifiers(payer_id, hcpcs, month, kwargs):
    billing = "purchase_new" if month is None else "rental"
    line = price_line(payer_id, hcpcs, billing, rental_month=month, **kwargs)
    assert not {"KX", "GA", "GZ"} & set(line.modifiers)


def test_hospital_bed_has_no_kx_policy_so_kx_documented_is_ignored():
    assert rental("E0260", 1, kx_documented=True).modifiers == ("RR", "KH")


# --- oxygen E1390 ---------------------------------------------------------------------------


@pytest.mark.parametrize("month", range(1, 37))
def test_oxygen_is_paid_monthly_for_36_months(month):
    line = rental("E1390", month, oxygen_flow_lpm=Decimal("2"))
    assert line.modifiers == ("RR", "N1")
    assert line.expected_allowed == Decimal("170.00")


def test_oxygen_rental_ends_after_month_36():
    call = lambda: rental("E1390", 37, oxygen_flow_lpm=Decimal("2"))  # noqa: E731
    assert rule_of(call) == "oxygen_rental_ends_after_month_36"


OXYGEN_FLOWS = [
    # flow LPM, portable, modifiers, charge, allowed
    ("0.5", False, ("RR", "QE", "N1"), "85.00", "85.00"),
    ("1", False, ("RR", "N1"), "170.00", "170.00"),
    ("4", False, ("RR", "N1"), "170.00", "170.00"),
    ("4.5", False, ("RR", "QG", "N1"), "255.00", "255.00"),
    ("6", True, ("RR", "QF", "N1"), "170.00", "170.00"),
]


@pytest.mark.parametrize(("flow", "portable", "modifiers", "charge", "allowed"), OXYGEN_FLOWS)
def test_oxygen_flow_sets_qe_qf_qg_and_adjusts_the_amount(
    flow, portable, modifiers, charge, allowed
):
    line = rental("E1390", 12, oxygen_flow_lpm=Decimal(flow), portable_oxygen=portable)
    assert line.modifiers == modifiers
    assert (line.charge, line.expected_allowed) == (Decimal(charge), Decimal(allowed))


def test_stationary_oxygen_line_states_prescribed_flow():
    assert rule_of(lambda: rental("E1390", 1)) == "stationary_oxygen_line_states_prescribed_flow"


def test_oxygen_flow_as_float_is_refused():
    call = lambda: rental("E1390", 1, oxygen_flow_lpm=2.0)  # noqa: E731
    assert rule_of(call) == "oxygen_flow_is_a_positive_decimal"


@pytest.mark.parametrize(
    ("hcpcs", "allowed"),
    # Both add-on fees (48.00, 25.00) are below 85.00, 50% of the 170.00 stationary fee.
    [("E1392", "85.00"), ("E0431", "85.00")],
)
def test_portable_oxygen_add_on_carries_qf_with_high_flow_stationary(hcpcs, allowed):
    line = rental(hcpcs, 3, oxygen_flow_lpm=Decimal("5"), portable_oxygen=True)
    assert line.modifiers == ("RR", "QF", "N1")
    assert line.charge == line.expected_allowed == Decimal(allowed)


def test_qf_portable_add_on_is_paid_the_higher_of_its_fee_and_half_the_stationary():
    stationary = pricing.fee("COM-AETNA", "E1390", "RR")
    portable = pricing.fee("COM-AETNA", "E1392", "RR")
    line = price_line(
        "COM-AETNA", "E1392", "rental", rental_month=1,
        oxygen_flow_lpm=Decimal("6"), portable_oxygen=True,
    )
    assert line.expected_allowed == max(portable, (stationary / 2).quantize(Decimal("0.01")))


@pytest.mark.parametrize(("flow", "portable"), [("6", False), ("4", True), (None, True)])
def test_portable_oxygen_add_on_without_high_flow_has_no_modifier(flow, portable):
    flow_lpm = None if flow is None else Decimal(flow)
    line = rental("E0431", 3, oxygen_flow_lpm=flow_lpm, portable_oxygen=portable)
    assert line.modifiers == ("RR", "N1")  # no flow modifier; its coverage group only
    assert line.expected_allowed == Decimal("25.00")


@pytest.mark.parametrize(("group", "modifier"), [(1, "N1"), (2, "N2"), (3, "N3")])
def test_medicare_oxygen_rentals_from_april_2023_carry_their_group_modifier(group, modifier):
    for code in ("E1390", "E1392", "E0431"):
        line = rental(code, 2, oxygen_flow_lpm=Decimal("2"), oxygen_group=group,
                      service_from=date(2026, 2, 10))
        assert line.modifiers[-1] == modifier


def test_a_new_medicare_oxygen_rental_without_its_group_is_refused():
    new = lambda: rental(  # noqa: E731
        "E1390", 1, oxygen_flow_lpm=Decimal("2"), oxygen_group=None,
        service_from=date(2023, 4, 1),
    )
    assert rule_of(new) == "oxygen_rental_states_its_coverage_group"
    # A rental period that began before 1 April 2023 may go without (it used KX).
    older = rental("E1390", 3, oxygen_flow_lpm=Decimal("2"), oxygen_group=None,
                   service_from=date(2023, 5, 1))
    assert older.modifiers == ("RR",)


def test_oxygen_group_modifiers_are_medicare_modifiers():
    line = price_line("COM-AETNA", "E1390", "rental", rental_month=1,
                      oxygen_flow_lpm=Decimal("2"), service_from=date(2026, 2, 10))
    assert line.modifiers == ("RR",)
    assert rule_of(lambda: rental("E1390", 1, oxygen_flow_lpm=Decimal("2"), oxygen_group=4)) == (
        "oxygen_coverage_group_is_1_2_or_3"
    )


def test_oxygen_equipment_is_rented():
    assert rule_of(lambda: price_line(MEDICARE, "E1390", "purchase_new")) == (
        "oxygen_equipment_is_rented"
    )


# --- power wheelchair K0823 ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "modifier", "allowed"),
    [(1, "KH", "420.00"), (3, "KI", "420.00"), (4, "KJ", "168.00"), (13, "KJ", "168.00")],
)
def test_power_wheelchair_rents_at_15_then_6_percent_of_purchase_price(month, modifier, allowed):
    # RR 420.00 is 15% of a 2,800.00 purchase price; 6% of it is 168.00 (not 7.5%: 210.00).
    line = rental("K0823", month, kx_documented=True)
    assert line.modifiers == ("RR", modifier, "KX")
    assert line.expected_allowed == Decimal(allowed)
    assert line.expected_allowed == (Decimal("2800.00") * (
        Decimal("0.15") if month <= 3 else Decimal("0.06"))).quantize(Decimal("0.01"))


def test_manual_wheelchair_is_not_priced_as_a_power_wheelchair():
    assert rental("K0001", 4, kx_documented=True).expected_allowed == Decimal("30.00")


# --- inexpensive / routinely purchased: walker E0143 ----------------------------------------


@pytest.mark.parametrize(
    ("billing", "month", "modifiers", "amount"),
    [
        ("purchase_new", None, ("NU",), "120.00"),
        ("purchase_used", None, ("UE",), "90.00"),
        ("rental", 1, ("RR",), "12.00"),
        ("rental", 10, ("RR",), "12.00"),
    ],
)
def test_walker_is_bought_new_used_or_rented(billing, month, modifiers, amount):
    line = price_line(MEDICARE, "E0143", billing, rental_month=month)
    assert line.modifiers == modifiers
    assert line.charge == line.expected_allowed == Decimal(amount)


def test_inexpensive_item_rental_ends_at_its_cap():
    assert rule_of(lambda: rental("E0143", 11)) == "inexpensive_item_rental_ends_at_its_cap"


def test_purchase_line_has_no_rental_month():
    call = lambda: price_line(MEDICARE, "E0143", "purchase_new", rental_month=1)  # noqa: E731
    assert rule_of(call) == "purchase_line_has_no_rental_month"


def test_billing_accepts_an_enum_whose_value_names_the_billing():
    class LineBilling(Enum):
        PURCHASE_USED = "purchase_used"

    assert price_line(MEDICARE, "E0143", LineBilling.PURCHASE_USED).modifiers == ("UE",)


def test_unknown_billing_is_refused():
    assert rule_of(lambda: price_line(MEDICARE, "E0143", "lease")) == (
        "billing_is_purchase_new_purchase_used_or_rental"
    )


# --- supplies -------------------------------------------------------------------------------


def test_supplies_carry_no_pricing_modifier_and_charge_fee_times_units():
    line = price_line(MEDICARE, "A7035", "purchase_new", units=2, kx_documented=True)
    assert line.modifiers == ("KX",)
    assert (line.charge, line.expected_allowed) == (Decimal("60.00"), Decimal("60.00"))


def test_supplies_are_purchased_new():
    assert rule_of(lambda: price_line(MEDICARE, "A7035", "rental", rental_month=1)) == (
        "supplies_are_purchased_new"
    )


@pytest.mark.parametrize("units", [0, -2, True, "1"])
def test_units_are_a_positive_whole_number(units):
    call = lambda: price_line(MEDICARE, "A7035", "purchase_new", units=units)  # noqa: E731
    assert rule_of(call) == "units_are_a_positive_whole_number"


def test_unknown_hcpcs_is_refused():
    assert rule_of(lambda: price_line(MEDICARE, "E9999", "purchase_new")) == (
        "hcpcs_code_is_in_catalogue"
    )


# --- modifier rules -------------------------------------------------------------------------


def test_at_most_four_modifiers():
    call = lambda: rental("E0601", 4, adherence_met=True, extra_modifiers=("RT", "CG"))  # noqa: E731
    assert rule_of(call) == "at_most_four_modifiers"


def test_four_modifiers_are_allowed():
    line = rental("E0601", 4, adherence_met=True, extra_modifiers=("CG",))
    assert line.modifiers == ("RR", "KJ", "KX", "CG")


@pytest.mark.parametrize(
    "modifiers", [("KH", "RR"), ("KX", "NU"), ("RR", "NU"), ("KJ", "KX", "UE")]
)
def test_pricing_modifier_comes_first(modifiers):
    assert rule_of(lambda: check_modifiers(modifiers)) == "pricing_modifier_comes_first"


@pytest.mark.parametrize("other", ["GA", "GZ", "GY"])
def test_kx_never_with_ga_gz_gy(other):
    assert rule_of(lambda: check_modifiers(("RR", "KX", other))) == "kx_never_with_ga_gz_gy"


def test_kx_never_with_gy_added_by_the_caller():
    call = lambda: rental("K0001", 1, kx_documented=True, extra_modifiers=("GY",))  # noqa: E731
    assert rule_of(call) == "kx_never_with_ga_gz_gy"


def test_modifier_appears_once_per_line():
    assert rule_of(lambda: check_modifiers(("RR", "KH", "KH"))) == "modifier_appears_once_per_line"


@pytest.mark.parametrize("modifier", ["K", "KXX", "k!", 7])
def test_modifier_is_two_characters(modifier):
    with pytest.raises(InvalidValue) as raised:
        check_modifiers(("RR", modifier))
    assert raised.value.rule == "modifier_is_two_characters"


def test_portable_oxygen_fee_keeps_the_add_on_fee_when_it_is_higher():
    assert pricing.portable_oxygen_fee(MEDICARE, Decimal("90.00")) == Decimal("90.00")
    assert pricing.portable_oxygen_fee(MEDICARE, Decimal("84.99")) == Decimal("85.00")
