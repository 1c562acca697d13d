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
- KX/GA/GZ are Medicare modifiers and follow the item's medical-necessity policy
  (`KX_POLICY`): PAP devices by adherence, mobility items and PAP supplies by documentation.
  Criteria met: KX; not met: GA or GZ from the ABN decision recorded on the order, and no
  decision refuses the line (never GZ by default). Other payers' lines carry none of them.
  KX/GA/GZ do not change the expected allowed amount (`medical_necessity_modifier`).
- Oxygen flow (`oxygen_flow_modifier`): QE (< 1 LPM, stationary) pays 50%, QG (> 4 LPM,
  stationary only) 150%; QF (> 4 LPM with portable oxygen) goes on the stationary line, paid
  at 100%, and on the portable add-on, paid at the higher of its fee and 50% of the stationary
  fee (`portable_oxygen_fee`).
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
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from functools import cache
from importlib.resources import files
from typing import Any

from domain.catalogue import HcpcsItem, PaymentCategory, item
from domain.errors import InvalidValue, RuleViolated, require
from domain.money import to_money
from domain.rules import add_months, billing_rule

# --- Vocabulary -----------------------------------------------------------------------------

PURCHASE_NEW = "purchase_new"
PURCHASE_USED = "purchase_used"
RENTAL = "rental"
BASIS_BY_BILLING = {PURCHASE_NEW: "NU", PURCHASE_USED: "UE", RENTAL: "RR"}
PRICING_MODIFIERS = frozenset(BASIS_BY_BILLING.values())
MAX_MODIFIERS = 4
KX_CONFLICTS = frozenset({"GA", "GZ", "GY"})
MODIFIER_FORMAT = re.compile(r"^[A-Z0-9]{2}$")

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
LOW_FLOW_LPM = Decimal("1")
HIGH_FLOW_LPM = Decimal("4")
STATIONARY_OXYGEN_CODE = "E1390"
STATIONARY_OXYGEN = frozenset({STATIONARY_OXYGEN_CODE})
PORTABLE_OXYGEN = frozenset({"E1392", "E0431"})

# Medical-necessity modifier policy: how a line earns KX.
ADHERENCE = "adherence"
DOCUMENTATION = "documentation"
KX_POLICY = {
    "E0601": ADHERENCE,
    "E0470": ADHERENCE,
    "E0562": DOCUMENTATION,
    "K0001": DOCUMENTATION,
    "K0003": DOCUMENTATION,
    "K0823": DOCUMENTATION,
    "K0856": DOCUMENTATION,
    "A7030": DOCUMENTATION,
    "A7034": DOCUMENTATION,
    "A7035": DOCUMENTATION,
    "A7037": DOCUMENTATION,
}


class AbnDecision(Enum):
    """What came of the Advance Beneficiary Notice for an order expected to be denied as not
    reasonable and necessary: given and signed, given and refused (the refusal annotated on the
    notice), or required but not obtained."""

    SIGNED = "signed"
    REFUSED = "refused"
    NOT_OBTAINED = "not_obtained"


ABN_MODIFIER = {AbnDecision.SIGNED: "GA", AbnDecision.REFUSED: "GA", AbnDecision.NOT_OBTAINED: "GZ"}


class PayerKind(Enum):
    MEDICARE = "medicare"
    MEDICAID = "medicaid"
    COMMERCIAL = "commercial"


@dataclass(frozen=True)
class Payer:
    """A payer of reference/payers.csv. Its timely filing limit is its own, in months or in
    days from the date of service (one of the two is set): Medicare 12 months, one calendar
    year (42 CFR 424.44; Pub 100-04 ch.1 §70: a 29 February service is filed by 28 February);
    Illinois Medicaid 180 days (HFS provider notice of 23 July 2012, SMART Act, Public Act
    097-0689); commercial payers as their contracts say."""

    payer_id: str
    name: str
    kind: PayerKind
    x12_payer_id: str
    timely_filing_months: int | None
    timely_filing_days: int | None = None

    def filing_deadline(self, service_from: date) -> date:
        """The last day a claim for a service from `service_from` is filed in time."""
        if self.timely_filing_days is not None:
            return service_from + timedelta(days=self.timely_filing_days)
        assert self.timely_filing_months is not None
        return add_months(service_from, self.timely_filing_months)


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
def payers() -> dict[str, Payer]:
    return {
        row["payer_id"]: Payer(
            payer_id=row["payer_id"],
            name=row["name"],
            kind=PayerKind(row["kind"]),
            x12_payer_id=row["x12_payer_id"],
            timely_filing_months=_count(row["timely_filing_months"]),
            timely_filing_days=_count(row.get("timely_filing_days", "")),
        )
        for row in _rows("payers.csv")
    }


def _count(text: str | None) -> int | None:
    return int(text) if text and text.strip() else None


def payer(payer_id: str) -> Payer:
    """The payer, or InvalidValue (rule `payer_is_in_reference_list`)."""
    try:
        return payers()[payer_id]
    except (KeyError, TypeError):
        raise InvalidValue(
            "payer_is_in_reference_list", f"payer {payer_id!r} is not in the payer list"
        ) from None


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


def fee(payer_id: str, hcpcs: str, basis: str, fees: FeeLookup | None = None) -> Decimal:
    """The payer's fee for the code and basis (rule `payer_prices_item_for_billing`): from
    `fees` (the imported schedule in force) when given, else from the packaged fallback."""
    payer(payer_id)
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


def rental_modifiers(catalogue_item: HcpcsItem | str, rental_month: int) -> tuple[str, ...]:
    """Pricing and rental-month modifiers: ('RR', 'KH'|'KI'|'KJ') for capped rentals, ('RR',)
    for oxygen and rented inexpensive items. Raises past the item's cap."""
    resolved = _as_item(catalogue_item)
    require(resolved.rentable, "item_is_rentable", f"{resolved.code} is never rented")
    check_rental_month_is_paid(resolved, rental_month)
    if resolved.payment_category is PaymentCategory.CAPPED_RENTAL:
        return ("RR", capped_rental_month_modifier(rental_month))
    return ("RR",)


def _check_flow(flow_lpm: object) -> Decimal:
    if isinstance(flow_lpm, float) or not isinstance(flow_lpm, Decimal | int) or flow_lpm <= 0:
        raise InvalidValue(
            "oxygen_flow_is_a_positive_decimal", f"flow {flow_lpm!r} is not a positive Decimal"
        )
    return Decimal(flow_lpm)


@billing_rule(
    "42 CFR 414.226(e); CMS Pub. 100-04 ch. 20 s. 30.6.1 (adjustments to monthly oxygen fee);"
    " CR 9848 (QF on stationary and portable from 1 April 2017); Noridian JD DME 'Oxygen Q"
    " Modifiers' table",
    "tests/unit/test_pricing.py::test_oxygen_flow_sets_qe_qf_qg_and_adjusts_the_amount",
    "tests/unit/test_pricing.py::test_portable_oxygen_add_on_carries_qf_with_high_flow_stationary",
    "tests/unit/test_pricing.py::test_portable_oxygen_add_on_without_high_flow_has_no_modifier",
)
def oxygen_flow_modifier(
    catalogue_item: HcpcsItem | str, flow_lpm: Decimal | None, portable: bool = False
) -> str | None:
    """The stationary prescribed flow (at rest) picks the oxygen Q modifier: QE below 1 LPM and
    QG above 4 LPM on the stationary line; above 4 LPM with portable oxygen also prescribed, QF
    on both the stationary line and the portable add-on. Portable lines carry no other one.

    `flow_lpm` on a portable line is the stationary prescription's flow (None without one)."""
    resolved = _as_item(catalogue_item)
    if resolved.code in PORTABLE_OXYGEN:
        if flow_lpm is None:
            return None
        return "QF" if portable and _check_flow(flow_lpm) > HIGH_FLOW_LPM else None
    if resolved.code not in STATIONARY_OXYGEN:
        return None
    require(
        flow_lpm is not None,
        "stationary_oxygen_line_states_prescribed_flow",
        f"{resolved.code} needs the prescribed flow in litres per minute",
    )
    flow = _check_flow(flow_lpm)
    if flow < LOW_FLOW_LPM:
        return "QE"
    if flow > HIGH_FLOW_LPM:
        return "QF" if portable else "QG"
    return None


def oxygen_flow_adjustment(flow_modifier: str | None) -> Decimal:
    return OXYGEN_FLOW_ADJUSTMENT.get(flow_modifier or "", Decimal("1.00"))


def portable_oxygen_fee(
    payer_id: str, portable_fee: Decimal, fees: FeeLookup | None = None
) -> Decimal:
    """With QF the portable add-on is paid the higher of its own fee and 50% of the payer's
    stationary oxygen fee (the volume adjustment moved onto the portable line by CR 9848)."""
    stationary = fee(payer_id, STATIONARY_OXYGEN_CODE, "RR", fees)
    return max(portable_fee, allowed_amount(stationary, QF_PORTABLE_SHARE_OF_STATIONARY))


def abn_decision(value: Any) -> AbnDecision | None:
    """The ABN decision from an AbnDecision, its value ('signed', 'refused', 'not_obtained') or
    None (no decision recorded)."""
    if value is None or isinstance(value, AbnDecision):
        return value
    try:
        return AbnDecision(value)
    except ValueError:
        raise InvalidValue(
            "abn_decision_is_signed_refused_or_not_obtained",
            f"ABN decision {value!r} is not signed, refused or not_obtained",
        ) from None


@billing_rule(
    "LCD L33718 (PAP devices and supplies); LCD L33789 (power mobility devices); CMS Pub. 100-04"
    " ch. 30 s. 50 (ABN); DME MAC modifier GA page (Noridian JA DME: ABN given, never with KX,"
    " GZ or GY on one line); GZ: expected to be denied as not reasonable and necessary, no ABN",
    "tests/unit/test_pricing.py::test_cpap_carries_kx_when_adherent_else_ga_or_gz_from_the_abn_decision",
    "tests/unit/test_pricing.py::test_pap_supply_carries_kx_when_documented",
    "tests/unit/test_pricing.py::test_criteria_not_met_without_an_abn_decision_is_refused_not_gz",
    "tests/unit/test_pricing.py::test_kx_ga_gz_are_medicare_modifiers",
)
def medical_necessity_modifier(
    hcpcs: str,
    *,
    adherence_met: bool | None,
    kx_documented: bool,
    abn: AbnDecision | str | None = None,
    payer_kind: PayerKind = PayerKind.MEDICARE,
) -> str | None:
    """On Medicare lines for items with a coverage policy, KX when the policy's criteria are met
    and documented (PAP devices: adherence; PAP supplies and mobility items: documentation);
    otherwise GA when an ABN was given (signed or refused) or GZ when it was required but not
    obtained. Without a recorded ABN decision the line is refused, never billed GZ by default.

    Other payers' lines and items without a policy carry none of KX/GA/GZ. PAP devices are
    judged by adherence (months 1-3: the initial coverage criteria), which the caller states."""
    policy = KX_POLICY.get(hcpcs)
    if policy is None or payer_kind is not PayerKind.MEDICARE:
        return None
    if policy == ADHERENCE:
        require(
            isinstance(adherence_met, bool),
            "pap_line_states_adherence",
            f"{hcpcs} needs adherence_met True or False",
        )
        met = adherence_met
    else:
        met = bool(kx_documented)
    if met:
        return "KX"
    decision = abn_decision(abn)
    require(
        decision is not None,
        "abn_decision_is_recorded_when_coverage_criteria_are_not_met",
        f"{hcpcs} does not meet its coverage criteria and the order records no ABN decision",
    )
    assert decision is not None
    return ABN_MODIFIER[decision]


@billing_rule(
    "X12 005010X222A1 TR3 loop 2400 SV101-3..6 (at most four procedure modifiers); DME MAC"
    " modifier GA page (Noridian JA DME: GA, GY, GZ never together or with KX on one line)",
    "tests/unit/test_pricing.py::test_at_most_four_modifiers",
    "tests/unit/test_pricing.py::test_pricing_modifier_comes_first",
    "tests/unit/test_pricing.py::test_kx_never_with_ga_gz_gy",
)
def check_modifiers(modifiers: Iterable[str]) -> tuple[str, ...]:
    """A line's modifiers are two characters each, each once, at most four, the pricing modifier
    (NU/UE/RR, at most one) first, and KX never with GA, GZ or GY."""
    result = tuple(modifiers)
    for modifier in result:
        if not isinstance(modifier, str) or not MODIFIER_FORMAT.match(modifier):
            raise InvalidValue(
                "modifier_is_two_characters", f"{modifier!r} is not a HCPCS modifier"
            )
    require(
        len(set(result)) == len(result),
        "modifier_appears_once_per_line",
        f"modifiers {result} repeat",
    )
    require(
        len(result) <= MAX_MODIFIERS,
        "at_most_four_modifiers",
        f"{len(result)} modifiers {result}: a line carries at most {MAX_MODIFIERS}",
    )
    pricing_positions = [i for i, m in enumerate(result) if m in PRICING_MODIFIERS]
    require(
        pricing_positions in ([], [0]),
        "pricing_modifier_comes_first",
        f"modifiers {result}: one pricing modifier, in first position",
    )
    require(
        not ("KX" in result and KX_CONFLICTS.intersection(result)),
        "kx_never_with_ga_gz_gy",
        f"modifiers {result}: KX never goes with GA, GZ or GY",
    )
    return result


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
    payer_id: str,
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
    extra_modifiers: Iterable[str] = (),
    fees: FeeLookup | None = None,
) -> PricedLine:
    """Modifiers, charge and expected allowed amount of one claim line.

    `billing` is 'purchase_new', 'purchase_used' or 'rental' (or an Enum with that value).
    `extra_modifiers` (e.g. RT/LT, CG) follow the computed ones and are checked with them.
    `abn` is the order's recorded ABN decision (None: none recorded).
    `fees`: the imported schedule in force for the line (None: the packaged fallback).
    """
    payer_kind = payer(payer_id).kind
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

    line_fee = allowed_amount(
        fee(payer_id, code, BASIS_BY_BILLING[billing], fees), flow_adjustment
    )
    if flow_modifier == "QF" and code in PORTABLE_OXYGEN:
        line_fee = portable_oxygen_fee(payer_id, line_fee, fees)
    return PricedLine(
        hcpcs=code,
        modifiers=check_modifiers(modifiers),
        units=units,
        charge=to_money(line_fee * units),
        expected_allowed=to_money(allowed_amount(line_fee, fraction) * units),
    )
