"""HCPCS modifiers: which ones a claim line carries besides its pricing modifier, and the rules
on a line's modifier set (pure functions; `domain.pricing` puts them on a priced line).

Choices (see tests/unit/test_pricing.py for each, by name):
- KX/GA/GZ are Medicare modifiers and follow the item's medical-necessity policy
  (`KX_POLICY`): PAP devices by adherence, mobility items and PAP supplies by documentation.
  Criteria met: KX; not met: GA or GZ from the ABN decision recorded on the order, and no
  decision refuses the line (never GZ by default). Other payers' lines carry none of them.
- Oxygen flow (`oxygen_flow_modifier`): QE (< 1 LPM, stationary), QG (> 4 LPM, stationary
  only); QF (> 4 LPM with portable oxygen) goes on the stationary line and on the portable
  add-on. What each pays is `domain.pricing`'s business.
- Oxygen coverage group (`oxygen_group_modifier`): N1/N2/N3 on Medicare oxygen rentals whose
  rental period began on or after 1 April 2023, from the group recorded on the order line.
- The payer's kind is declared here, as the modifiers are what it changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from domain.catalogue import HcpcsItem, item
from domain.errors import InvalidValue, require
from domain.rules import billing_rule

# NU purchase new, UE purchase used, RR rental: one of them first on every non-supply line.
PRICING_MODIFIERS = frozenset({"NU", "UE", "RR"})
MAX_MODIFIERS = 4
KX_CONFLICTS = frozenset({"GA", "GZ", "GY"})
MODIFIER_FORMAT = re.compile(r"^[A-Z0-9]{2}$")

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
    resolved = catalogue_item if isinstance(catalogue_item, HcpcsItem) else item(catalogue_item)
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


# Oxygen rental periods starting on or after this date carry N1/N2/N3 on Medicare claims (and KX
# is no longer accepted in their place).
OXYGEN_GROUP_MODIFIERS_FROM = date(2023, 4, 1)
OXYGEN_GROUP_MODIFIER = {1: "N1", 2: "N2", 3: "N3"}


@billing_rule(
    "LCD L33797 and Policy Article A52514 (Oxygen and Oxygen Equipment: coverage Groups I, II"
    " and III); DME MAC Joint Publication 'Oxygen Modifiers - Billing Reminder' (Noridian JA"
    " DME, 30 November 2023: N1/N2/N3 must be used on new oxygen rentals beginning on or after"
    " 1 April 2023, KX must not); CGS JB 'How to Choose the Correct Oxygen Modifier' (11 August"
    " 2023: new 36-month rental periods from 1 April 2023 billed with KX reject, e.g. E1390"
    " RR N1); Noridian JD DME modifier pages N1/N2/N3 (NCD 240.2 sections B and D)",
    "tests/unit/test_pricing.py::test_medicare_oxygen_rentals_from_april_2023_carry_their_group_modifier",
    "tests/unit/test_pricing.py::test_a_new_medicare_oxygen_rental_without_its_group_is_refused",
    "tests/unit/test_pricing.py::test_oxygen_group_modifiers_are_medicare_modifiers",
)
def oxygen_group_modifier(
    catalogue_item: HcpcsItem | str,
    group: int | None,
    *,
    period_began: date | None,
    payer_kind: PayerKind = PayerKind.MEDICARE,
) -> str | None:
    """A Medicare oxygen rental (stationary or portable) carries the coverage group the patient
    qualifies under: N1 (Group I), N2 (Group II) or N3 (Group III). A rental period that began
    on or after 1 April 2023 without a recorded group is refused (it would reject as invalid);
    an older one may go without (it used KX, which its documentation decides).

    Other payers' lines carry none. `period_began` is the first day of the line's rental
    period (None: unknown, treated as a new rental)."""
    resolved = catalogue_item if isinstance(catalogue_item, HcpcsItem) else item(catalogue_item)
    if resolved.code not in STATIONARY_OXYGEN | PORTABLE_OXYGEN:
        return None
    if payer_kind is not PayerKind.MEDICARE:
        return None
    if group is None:
        new_rental = period_began is None or period_began >= OXYGEN_GROUP_MODIFIERS_FROM
        require(
            not new_rental,
            "oxygen_rental_states_its_coverage_group",
            f"{resolved.code}: a Medicare oxygen rental from {OXYGEN_GROUP_MODIFIERS_FROM} carries"
            " N1, N2 or N3: record the patient's oxygen coverage group (1, 2 or 3) on the line",
        )
        return None
    require(
        group in OXYGEN_GROUP_MODIFIER and not isinstance(group, bool),
        "oxygen_coverage_group_is_1_2_or_3",
        f"oxygen coverage group {group!r} is not 1, 2 or 3",
    )
    return OXYGEN_GROUP_MODIFIER[group]
