"""Pricing of claim lines: which HCPCS modifiers a line carries and what it is expected to earn.

Pure functions over two packaged reference tables, read once and lazily (like the catalogue):
`reference/payers.csv` (who we bill) and `reference/fee_schedule.csv` (what each payer allows per
HCPCS code and pricing basis: NU purchase new, UE purchase used, RR monthly rental). Money is
Decimal, rounded to the cent half-up (`domain.money`), never float.

Choices (see the module's tests for each, by name):
- Rental months past the paid cap have no claim line: `rental_modifiers` and `price_line` raise
  RuleViolated (`capped_rental_ends_after_month_13`, `oxygen_rental_ends_after_month_36`,
  `inexpensive_item_rental_ends_at_its_cap`) rather than return None; callers that loop over
  months ask `rental_month_is_paid` first.
- Charge = the payer's fee for the line (for stationary oxygen the flow-adjusted fee, since
  payers allow the lesser of charge and fee) x units: Aries bills the fee schedule amount as its
  usual charge. Expected allowed = the per-unit allowed amount (fee x flow adjustment x rental
  fraction, each rounded to the cent half-up) x units, so it never exceeds the charge.
- Supplies (A-codes) are purchased new and carry no pricing modifier: DME MACs price them
  without NU, and commercial payers accept them bare. Every other line starts with NU/UE/RR.
- Inexpensive/routinely purchased items rented: RR only, 100% of the RR fee each month, up to the
  item's `rental_cap_months`. KH/KI/KJ are for capped rentals only.
- Which modifiers besides the pricing one a line carries (KX/GA/GZ, the oxygen Q modifiers)
  and the rules on a line's modifier set are in `domain.modifiers`. KX/GA/GZ do not change
  the expected allowed amount.
- Oxygen flow: QE (< 1 LPM, stationary) pays 50%, QG (> 4 LPM, stationary only) 150%; QF
  (> 4 LPM with portable oxygen) pays the stationary line 100% and the portable add-on the
  higher of its fee and 50% of the stationary fee (`portable_oxygen_fee`).
- Power wheelchairs rent at 15% of the purchase price in months 1-3 and 6% in months 4-13; the
  fee schedule's RR amount is the month 1-3 payment, so months 4-13 are 40% of it
  (`rental_allowed_fraction`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from functools import cache
from importlib.resources import files
from typing import Any

from domain.catalogue import HcpcsItem, PaymentCategory, item
from domain.errors import InvalidValue, RuleViolated, require
from domain.modifiers import (  # noqa: F401  (re-exported: callers price with these names)
    ABN_MODIFIER,
    KX_POLICY,
    PORTABLE_OXYGEN,
    PRICING_MODIFIERS,
    STATIONARY_OXYGEN,
    STATIONARY_OXYGEN_CODE,
    AbnDecision,
    PayerKind,
    abn_decision,
    check_modifiers,
    medical_necessity_modifier,
    oxygen_flow_modifier,
    oxygen_group_modifier,
)
from domain.money import to_money
from domain.reference_payers import (  # noqa: F401  (re-exported: callers price with these names)
    Payer,
    billed_payer,
    payer,
    payers,
)
from domain.rules import add_months, billing_rule

# --- Vocabulary -----------------------------------------------------------------------------

PURCHASE_NEW = "purchase_new"
PURCHASE_USED = "purchase_used"
RENTAL = "rental"
BASIS_BY_BILLING = {PURCHASE_NEW: "NU", PURCHASE_USED: "UE", RENTAL: "RR"}

# Capped rental month bands: (first month, last month, modifier, fraction of the monthly fee).
CAPPED_RENTAL_BANDS: tuple[tuple[int, int, str, Decimal], ...] = (
    (1, 1, "KH", Decimal("1.00")),
    (2, 3, "KI", Decimal("1.00")),
    (4, 13, "KJ", Decimal("0.75")),
)

# Power wheelchairs (HCPCS K0813-K0898) rent at 15% of the purchase price in months 1-3 and 6% in
# months 4-13; the RR fee is the month 1-3 payment, so months 4-13 allow 6/15 of it.
POWER_WHEELCHAIR_BANDS: tuple[tuple[int, int, str, Decimal], ...] = (
    (1, 1, "KH", Decimal("1.00")),
    (2, 3, "KI", Decimal("1.00")),
    (4, 13, "KJ", Decimal("0.40")),
)
POWER_WHEELCHAIR_CODES = re.compile(r"^K08(1[3-9]|[2-8][0-9]|9[0-8])$")

# Oxygen volume adjustments of the stationary fee (42 CFR 414.226(e)); QF's is on the portable.
OXYGEN_FLOW_ADJUSTMENT = {
    "QE": Decimal("0.50"),
    "QF": Decimal("1.00"),
    "QG": Decimal("1.50"),
}
# With QF the portable add-on is paid the higher of its own fee and this share of the stationary.
QF_PORTABLE_SHARE_OF_STATIONARY = Decimal("0.50")


@dataclass(frozen=True)
class PricedLine:
    hcpcs: str
    modifiers: tuple[str, ...]
    units: int
    charge: Decimal
    expected_allowed: Decimal


# --- Reference data -------------------------------------------------------------------------


def _rows(name: str) -> list[dict[str, str]]:
    text = files("domain").joinpath(f"reference/{name}").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@cache
def fee_schedule() -> dict[tuple[str, str, str], Decimal]:
    """(payer_id, hcpcs, basis) -> amount, exact to the cent."""
    return {
        (row["payer_id"], row["hcpcs"], row["basis"]): to_money(row["amount"])
        for row in _rows("fee_schedule.csv")
    }


FeeLookup = Callable[[str, str], Decimal]
"""(hcpcs, basis) -> the fee, or RuleViolated `payer_prices_item_for_billing`: an imported
schedule's fees for one date, state and rural status (`domain.fee_schedule.ScheduleFees`)."""


@billing_rule(
    "CMS DMEPOS fee schedule file (RR, NU and UE amounts per HCPCS code and state; imported"
    " quarterly, else domain/reference/fee_schedule.csv); 42 CFR 414.210(a) (payment is the"
    " lesser of the actual charge and the fee schedule amount)",
    "tests/unit/test_pricing.py::test_fee_schedule_prices_every_catalogue_code_for_every_payer",
    "tests/unit/test_pricing.py::test_unknown_payer_is_refused",
    "tests/unit/test_payer_record_pricing.py::"
    "test_a_payer_record_without_imported_or_packaged_fees_is_refused_by_the_fee_rule",
)
def fee(payer_id: Payer | str, hcpcs: str, basis: str, fees: FeeLookup | None = None) -> Decimal:
    """The payer's fee for the code and basis (rule `payer_prices_item_for_billing`): from
    `fees` (the imported schedule in force) when given, else from the packaged fallback. A
    payer record with neither (a tenant's own commercial payer whose rates were never imported)
    is refused by the same rule, so its month is held naming it, never priced at nothing."""
    payer_id = billed_payer(payer_id).payer_id
    if fees is not None:
        return fees(hcpcs, basis)
    try:
        return fee_schedule()[(payer_id, hcpcs, basis)]
    except KeyError:
        raise RuleViolated(
            "payer_prices_item_for_billing",
            f"{payer_id} has no {basis} fee for {hcpcs}",
        ) from None


# --- Rules, each a small named unit ---------------------------------------------------------


def billing_value(billing: Any) -> str:
    """'purchase_new', 'purchase_used' or 'rental'; accepts a plain string or any Enum whose value
    is one of those (e.g. the Order's line billing enum)."""
    value = billing.value if isinstance(billing, Enum) else billing
    if value not in BASIS_BY_BILLING:
        raise InvalidValue(
            "billing_is_purchase_new_purchase_used_or_rental",
            f"billing {billing!r} is not purchase_new, purchase_used or rental",
        )
    return value


@billing_rule(
    "42 CFR 414.229 (capped rental items are paid on a monthly rental basis); 42 CFR"
    " 414.226 (oxygen equipment is paid monthly); DME MAC policy article A52467, Positive"
    " Airway Pressure (PAP) Devices for the Treatment of Obstructive Sleep Apnea (the"
    " article's identity checked; that it has PAP supplies purchased was not verified against"
    " the source text)",
    "tests/unit/test_pricing.py::test_capped_rental_items_are_rented",
    "tests/unit/test_pricing.py::test_supplies_are_purchased_new",
)
def check_billing_suits_item(catalogue_item: HcpcsItem, billing: str) -> None:
    """Capped rentals and oxygen are rented; supplies are bought new."""
    category = catalogue_item.payment_category
    if category is PaymentCategory.CAPPED_RENTAL:
        require(
            billing == RENTAL,
            "capped_rental_items_are_rented",
            f"{catalogue_item.code} is a capped rental item",
        )
    elif category is PaymentCategory.OXYGEN:
        require(
            billing == RENTAL,
            "oxygen_equipment_is_rented",
            f"{catalogue_item.code} is oxygen equipment, paid monthly",
        )
    elif category is PaymentCategory.SUPPLY:
        require(
            billing == PURCHASE_NEW,
            "supplies_are_purchased_new",
            f"{catalogue_item.code} is a supply",
        )


def check_rental_month(billing: str, rental_month: int | None) -> None:
    """A rental line names its month (1, 2, ...); a purchase line has none."""
    if billing == RENTAL:
        require(
            rental_month is not None,
            "rental_line_states_its_rental_month",
            "a rental line needs its rental month",
        )
        require(
            isinstance(rental_month, int)
            and not isinstance(rental_month, bool)
            and rental_month >= 1,
            "rental_month_starts_at_one",
            f"rental month {rental_month!r} is not a whole number from 1",
        )
    else:
        require(
            rental_month is None,
            "purchase_line_has_no_rental_month",
            "a purchase is billed once, without a rental month",
        )


def _as_item(catalogue_item: HcpcsItem | str) -> HcpcsItem:
    return catalogue_item if isinstance(catalogue_item, HcpcsItem) else item(catalogue_item)


def rental_month_is_paid(catalogue_item: HcpcsItem | str, rental_month: int) -> bool:
    """Whether the payer pays this rental month (1-13 capped, 1-36 oxygen, 1-cap otherwise)."""
    cap = _as_item(catalogue_item).rental_cap_months
    return cap is not None and 1 <= rental_month <= cap


@billing_rule(
    "42 CFR 414.229 and Social Security Act 1834(a)(7)(A) (capped rental: 13 months, then"
    " title passes); 42 CFR 414.226 and CMS Pub. 100-04 ch. 20 s. 30.6 (oxygen: 36 monthly"
    " payments)",
    "tests/unit/test_pricing.py::test_capped_rental_ends_after_month_13",
    "tests/unit/test_pricing.py::test_oxygen_rental_ends_after_month_36",
    "tests/unit/test_pricing.py::test_inexpensive_item_rental_ends_at_its_cap",
)
def check_rental_month_is_paid(catalogue_item: HcpcsItem, rental_month: int) -> None:
    """No claim line for a rental month past the item's paid cap: 13 months for capped rental
    items, 36 for oxygen equipment, the item's cap for rented inexpensive items."""
    if rental_month_is_paid(catalogue_item, rental_month):
        return
    category = catalogue_item.payment_category
    cap = catalogue_item.rental_cap_months
    if category is PaymentCategory.CAPPED_RENTAL:
        rule = "capped_rental_ends_after_month_13"
    elif category is PaymentCategory.OXYGEN:
        rule = "oxygen_rental_ends_after_month_36"
    else:
        rule = "inexpensive_item_rental_ends_at_its_cap"
    raise RuleViolated(
        rule, f"{catalogue_item.code} rental month {rental_month} is past the {cap}-month cap"
    )


def is_power_wheelchair(code: str) -> bool:
    return bool(POWER_WHEELCHAIR_CODES.match(code))


def _capped_band(rental_month: int, code: str = "") -> tuple[str, Decimal]:
    bands = POWER_WHEELCHAIR_BANDS if is_power_wheelchair(code) else CAPPED_RENTAL_BANDS
    for first, last, modifier, fraction in bands:
        if first <= rental_month <= last:
            return modifier, fraction
    raise RuleViolated(
        "capped_rental_ends_after_month_13", f"capped rental month {rental_month} is not paid"
    )


def capped_rental_month_modifier(rental_month: int) -> str:
    """KH for month 1, KI for months 2-3, KJ for months 4-13."""
    return _capped_band(rental_month)[0]


@billing_rule(
    "42 CFR 414.229 (capped rental items); Social Security Act 1834(a)(7)(A) as amended by"
    " Pub. L. 109-171 s. 5101 (10% then 7.5% of the purchase price, title after month 13);"
    " power wheelchairs 15% then 6%: DME MAC power wheelchair rental FAQ (standard PWCs K0813-"
    "K0831, K0898 rented as capped rental items from 1 January 2011)",
    "tests/unit/test_pricing.py::test_capped_rental_month_sets_modifiers_and_allowed_amount",
    "tests/unit/test_pricing.py::test_power_wheelchair_rents_at_15_then_6_percent_of_purchase_price",
)
def rental_allowed_fraction(catalogue_item: HcpcsItem | str, rental_month: int) -> Decimal:
    """A capped rental pays 10% of the purchase price in months 1-3 and 7.5% in months 4-13
    (power wheelchairs: 15% then 6%); the RR fee is the month 1-3 payment, so months 4-13 allow
    75% of it (power wheelchairs 40%). Oxygen and rented inexpensive items are paid 100%."""
    resolved = _as_item(catalogue_item)
    check_rental_month_is_paid(resolved, rental_month)
    if resolved.payment_category is PaymentCategory.CAPPED_RENTAL:
        return _capped_band(rental_month, resolved.code)[1]
    return Decimal("1.00")


@billing_rule(
    "Noridian JD DME 'Capped Rental Items' (RR with KH for month 1, KI for months 2-3, KJ"
    " for months 4-13); CMS Pub. 100-04 ch. 20 s. 30.5",
    "tests/unit/test_pricing.py::test_capped_rental_month_sets_modifiers_and_allowed_amount",
)
def rental_modifiers(catalogue_item: HcpcsItem | str, rental_month: int) -> tuple[str, ...]:
    """Pricing and rental-month modifiers: ('RR', 'KH'|'KI'|'KJ') for capped rentals, ('RR',)
    for oxygen and rented inexpensive items. Raises past the item's cap."""
    resolved = _as_item(catalogue_item)
    require(resolved.rentable, "item_is_rentable", f"{resolved.code} is never rented")
    check_rental_month_is_paid(resolved, rental_month)
    if resolved.payment_category is PaymentCategory.CAPPED_RENTAL:
        return ("RR", capped_rental_month_modifier(rental_month))
    return ("RR",)


def oxygen_flow_adjustment(flow_modifier: str | None) -> Decimal:
    return OXYGEN_FLOW_ADJUSTMENT.get(flow_modifier or "", Decimal("1.00"))


@billing_rule(
    "CR 9848 (from 1 April 2017 the volume adjustment for more than 4 LPM with portable"
    " oxygen is paid on the portable add-on: the higher of its fee and 50% of the"
    " stationary fee); CMS Pub. 100-04 ch. 20 s. 30.6.1",
    "tests/unit/test_pricing.py::test_portable_oxygen_fee_keeps_the_add_on_fee_when_it_is_higher",
    "tests/unit/test_pricing.py::test_qf_portable_add_on_is_paid_the_higher_of_its_fee_and_half_the_stationary",
)
def portable_oxygen_fee(
    payer_id: Payer | str, portable_fee: Decimal, fees: FeeLookup | None = None
) -> Decimal:
    """With QF the portable add-on is paid the higher of its own fee and 50% of the payer's
    stationary oxygen fee (the volume adjustment moved onto the portable line by CR 9848)."""
    stationary = fee(payer_id, STATIONARY_OXYGEN_CODE, "RR", fees)
    return max(portable_fee, allowed_amount(stationary, QF_PORTABLE_SHARE_OF_STATIONARY))


def allowed_amount(fee_amount: Decimal, fraction: Decimal) -> Decimal:
    """fee x fraction, to the cent, half-up."""
    return to_money(fee_amount * fraction)


def check_units(units: int) -> int:
    if isinstance(units, bool) or not isinstance(units, int) or units < 1:
        raise InvalidValue(
            "units_are_a_positive_whole_number", f"units {units!r} is not a whole number from 1"
        )
    return units


# --- The line -------------------------------------------------------------------------------


def price_line(
    payer_id: Payer | str,
    hcpcs: str,
    billing: Any,
    rental_month: int | None = None,
    units: int = 1,
    oxygen_flow_lpm: Decimal | None = None,
    adherence_met: bool | None = None,
    abn: AbnDecision | str | None = None,
    kx_documented: bool = False,
    *,
    portable_oxygen: bool = False,
    oxygen_group: int | None = None,
    service_from: date | None = None,
    extra_modifiers: Iterable[str] = (),
    fees: FeeLookup | None = None,
) -> PricedLine:
    """Modifiers, charge and expected allowed amount of one claim line.

    `billing` is 'purchase_new', 'purchase_used' or 'rental' (or an Enum with that value).
    `extra_modifiers` (e.g. RT/LT, CG) follow the computed ones and are checked with them.
    `abn` is the order's recorded ABN decision (None: none recorded).
    `oxygen_group` is the line's oxygen coverage group (1-3) and `service_from` its first day
    of service, from which the start of its rental period is reckoned (N1/N2/N3).
    `fees`: the imported schedule in force for the line (None: the packaged fallback).
    `payer_id` is the tenant's payer record as a `Payer` (its kind decides the Medicare-only
    modifiers, KX/GA/GZ and N1-N3), or an id of the packaged list.
    """
    payer_id = billed_payer(payer_id)
    payer_kind = payer_id.kind
    catalogue_item = item(hcpcs)
    code = catalogue_item.code
    billing = billing_value(billing)
    units = check_units(units)
    check_billing_suits_item(catalogue_item, billing)
    check_rental_month(billing, rental_month)

    modifiers: list[str] = []
    fraction = Decimal("1.00")
    flow_adjustment = Decimal("1.00")
    if billing == RENTAL:
        assert rental_month is not None
        modifiers.extend(rental_modifiers(catalogue_item, rental_month))
        fraction = rental_allowed_fraction(catalogue_item, rental_month)
    elif catalogue_item.payment_category is not PaymentCategory.SUPPLY:
        modifiers.append(BASIS_BY_BILLING[billing])

    flow_modifier = None
    if catalogue_item.payment_category is PaymentCategory.OXYGEN:
        flow_modifier = oxygen_flow_modifier(catalogue_item, oxygen_flow_lpm, portable_oxygen)
        if flow_modifier is not None:
            modifiers.append(flow_modifier)
        if code in STATIONARY_OXYGEN:
            flow_adjustment = oxygen_flow_adjustment(flow_modifier)
        group_modifier = oxygen_group_modifier(
            catalogue_item,
            oxygen_group,
            period_began=_period_began(service_from, rental_month),
            payer_kind=payer_kind,
        )
        if group_modifier is not None:
            modifiers.append(group_modifier)

    necessity = medical_necessity_modifier(
        code,
        adherence_met=adherence_met,
        kx_documented=kx_documented,
        abn=abn,
        payer_kind=payer_kind,
    )
    if necessity is not None:
        modifiers.append(necessity)
    modifiers.extend(m.strip().upper() if isinstance(m, str) else m for m in extra_modifiers)

    line_fee = allowed_amount(fee(payer_id, code, BASIS_BY_BILLING[billing], fees), flow_adjustment)
    if flow_modifier == "QF" and code in PORTABLE_OXYGEN:
        line_fee = portable_oxygen_fee(payer_id, line_fee, fees)
    return PricedLine(
        hcpcs=code,
        modifiers=check_modifiers(modifiers),
        units=units,
        charge=to_money(line_fee * units),
        expected_allowed=to_money(allowed_amount(line_fee, fraction) * units),
    )


def _period_began(service_from: date | None, rental_month: int | None) -> date | None:
    """The first day of the line's rental period, reckoned back from its month (a pause only
    moves months later, so the period began no later than this)."""
    if service_from is None or rental_month is None:
        return None
    return add_months(service_from, 1 - rental_month)
