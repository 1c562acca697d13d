"""What drafting or correcting a claim records (pure): its diagnoses, and its lines priced from
the fee schedule (`domain.pricing`) when drafted, each pointing into the diagnoses.

Lines are priced in the deciding method and the Drafted and Corrected events record the priced
lines, so replay never reads the fee schedule. A filed claim's lines are changed by a
replacement claim, never corrected.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import claim_ledger as ledger
from domain import pricing
from domain.catalogue import item
from domain.claim_ids import claim_id, line_id_for, patient_control_number_for
from domain.claim_rules import (
    ORIGINAL,
    REPLACEMENT,
    billing_month_of,
    claim_requires_delivery_and_swo,
    uuid_of,
)
from domain.claim_values import ClaimLine, LedgerEntry, LineToBill
from domain.diagnosis import normalise
from domain.errors import InvalidValue, require
from domain.payer import FilingLimit
from domain.rules import calendar_date, present_text

if TYPE_CHECKING:
    from domain.claim import Claim

MAX_DIAGNOSES = 12
MAX_LINES = 50

FeesOn = Callable[[date], "pricing.FeeLookup | None"]
"""The fees in force on a date of service (an imported schedule's), or None: the packaged
fallback prices the line (decision 018)."""


def diagnosis_list(diagnoses: Sequence[str]) -> list[str]:
    if isinstance(diagnoses, str):
        diagnoses = [diagnoses]
    codes = [
        normalise(present_text(code, "diagnosis", "diagnosis_is_a_code")) for code in diagnoses
    ]
    require(
        1 <= len(codes) <= MAX_DIAGNOSES,
        "claim_lists_one_to_twelve_diagnoses",
        f"{len(codes)} diagnoses: a claim lists 1 to {MAX_DIAGNOSES}",
    )
    require(
        len(set(codes)) == len(codes),
        "claim_lists_each_diagnosis_once",
        f"diagnoses {codes} repeat",
    )
    return codes


def check_pointers(pointers: Sequence[int], diagnosis_count: int) -> tuple[int, ...]:
    result = tuple(pointers)
    require(
        1 <= len(result) <= 4
        and len(set(result)) == len(result)
        and all(
            isinstance(p, int) and not isinstance(p, bool) and 1 <= p <= min(4, diagnosis_count)
            for p in result
        ),
        "diagnosis_pointers_point_into_claim_diagnoses",
        f"pointers {result} must be 1-4 distinct positions among {diagnosis_count} diagnoses",
    )
    return result


def bill_lines(
    claim_id: UUID,
    payer_id: str,
    billing_month: str,
    lines: Sequence[LineToBill],
    diagnosis_count: int,
    fees: FeesOn | None = None,
    payer: pricing.Payer | None = None,
) -> list[ClaimLine]:
    """The lines priced for `payer` (the tenant's payer record) or, without one, for
    `payer_id` of the packaged payer list."""
    require(
        1 <= len(lines) <= MAX_LINES,
        "claim_has_one_to_fifty_lines",
        f"{len(lines)} lines: a claim has 1 to {MAX_LINES}",
    )
    result: list[ClaimLine] = []
    for line in lines:
        if not isinstance(line, LineToBill):
            raise InvalidValue("claim_lines_are_lines_to_bill", f"{line!r} is not a LineToBill")
        uuid_of(line.order_line_id, "order_line_id")
        from_date = calendar_date(line.from_date, "from_date")
        to_date = calendar_date(line.to_date, "to_date")
        require(from_date <= to_date, "line_dates_run_forward", f"{from_date} is after {to_date}")
        require(
            f"{from_date:%Y-%m}" == billing_month,
            "claim_lines_fall_in_billing_month",
            f"service from {from_date} is not in {billing_month}",
        )
        pointers = check_pointers(line.diagnosis_pointers, diagnosis_count)
        line_fees = fees(from_date) if fees is not None else None
        priced = pricing.price_line(
            payer or payer_id,
            line.hcpcs,
            line.billing,
            rental_month=line.rental_month,
            units=line.units,
            oxygen_flow_lpm=line.oxygen_flow_lpm,
            adherence_met=line.adherence_met,
            abn=line.abn,
            kx_documented=line.kx_documented,
            portable_oxygen=line.portable_oxygen,
            oxygen_group=line.oxygen_group,
            service_from=from_date,
            extra_modifiers=line.extra_modifiers,
            fees=line_fees,
        )
        line_id = line_id_for(claim_id, line.order_line_id, billing_month, line.rental_month)
        require(
            all(existing.line_id != line_id for existing in result),
            "claim_line_is_billed_once",
            f"order line {line.order_line_id} appears twice for the same month",
        )
        result.append(
            ClaimLine(
                line_id=line_id,
                order_line_id=line.order_line_id,
                hcpcs=priced.hcpcs,
                modifiers=priced.modifiers,
                from_date=from_date,
                to_date=to_date,
                units=priced.units,
                charge=priced.charge,
                expected_allowed=priced.expected_allowed,
                diagnosis_pointers=pointers,
                billing=pricing.billing_value(line.billing),
                rental_month=line.rental_month,
                serial_number=line.serial_number.strip() if line.serial_number else None,
                prior_auth_required=item(priced.hcpcs).prior_auth_required,
                fee_schedule_id=getattr(line_fees, "schedule_id", None),
            )
        )
    return result


def drafted(
    *,
    order_id: UUID,
    patient_id: UUID,
    payer_id: str,
    coverage_id: UUID,
    billing_month: str,
    ordering_npi: str,
    diagnoses: Sequence[str],
    lines: Sequence[LineToBill],
    swo_on_file: bool,
    pod_on_file: bool,
    drafted_on: date,
    utn: str | None = None,
    utn_valid_until: date | None = None,
    replaces_claim_id: UUID | None = None,
    original_payer_claim_control_number: str | None = None,
    fees: FeesOn | None = None,
    filing_limit: FilingLimit | None = None,
    payer: pricing.Payer | None = None,
    location_id: UUID | None = None,
) -> dict[str, Any]:
    """The Drafted event's attributes for these inputs: the lines priced (by `fees` on each
    line's date of service when given) and one charge per line. Refused before delivery and
    SWO. `payer` and `filing_limit` are the tenant's payer record's (decision 017); without
    them, the packaged payer list's (rule `payer_is_in_reference_list`). `location_id`: the
    location the claim bills as, whose time zone is its "today" for aging and timely filing
    (None: the tenant has none, the supplier's)."""
    claim_requires_delivery_and_swo(swo_on_file, pod_on_file)
    ids = {"order_id": order_id, "patient_id": patient_id, "coverage_id": coverage_id}
    if replaces_claim_id is not None:
        ids["replaces_claim_id"] = replaces_claim_id
    for what, value in ids.items():
        uuid_of(value, what)
    month = billing_month_of(billing_month)
    drafted_on = calendar_date(drafted_on, "drafted_on")
    billed = pricing.billed_payer(payer or payer_id)
    require(
        billed.payer_id == payer_id,
        "claim_is_priced_for_its_payer",
        f"the claim is billed to {payer_id}, not {billed.payer_id}",
    )
    if replaces_claim_id is not None:
        original_payer_claim_control_number = present_text(
            original_payer_claim_control_number,
            "the original claim's payer claim control number",
            "replacement_claim_references_original",
        )
    new_id = claim_id(order_id, month, payer_id, replaces_claim_id)
    codes = diagnosis_list(diagnoses)
    claim_lines = bill_lines(new_id, payer_id, month, lines, len(codes), fees, payer)
    if utn_valid_until is not None:
        calendar_date(utn_valid_until, "utn_valid_until")
    if location_id is not None:
        uuid_of(location_id, "location_id")
    return {
        "order_id": order_id,
        "patient_id": patient_id,
        "payer_id": payer_id,
        "coverage_id": coverage_id,
        "billing_month": month,
        "patient_control_number": patient_control_number_for(new_id),
        "ordering_npi": str(ordering_npi).strip(),
        "diagnoses": codes,
        "lines": claim_lines,
        "swo_on_file": True,
        "pod_on_file": True,
        "utn": utn.strip() if utn else None,
        "utn_valid_until": utn_valid_until,
        "frequency_code": ORIGINAL if replaces_claim_id is None else REPLACEMENT,
        "replaces_claim_id": replaces_claim_id,
        "original_payer_claim_control_number": original_payer_claim_control_number,
        "drafted_on": drafted_on,
        "entries": ledger.charges(claim_lines, payer_id, drafted_on),
        "location_id": location_id,
        **filing_terms(
            filing_limit
            or FilingLimit(billed.timely_filing_months, billed.timely_filing_days),
            claim_lines,
        ),
    }


def reference_filing_limit(payer_id: str) -> FilingLimit:
    """The packaged payer list's limit: for claims and payers without a payer record."""
    payer = pricing.payer(payer_id)
    return FilingLimit(payer.timely_filing_months, payer.timely_filing_days)


def filing_terms(limit: FilingLimit, lines: Sequence[ClaimLine]) -> dict[str, Any]:
    """What an event records of the billed payer's limit: the limit, and the deadline counted
    from the earliest line's From date (the read model shows it)."""
    service_from = min(line.from_date for line in lines)
    return {"filing_limit": limit, "timely_filing_deadline": limit.filing_deadline(service_from)}


def corrected(
    claim: Claim,
    *,
    on: date,
    ordering_npi: str | None = None,
    diagnoses: Sequence[str] | None = None,
    utn: str | None = None,
    utn_valid_until: date | None = None,
    swo_on_file: bool | None = None,
    pod_on_file: bool | None = None,
    lines: Sequence[LineToBill] | None = None,
    payer: pricing.Payer | None = None,
) -> dict[str, Any]:
    """The Corrected event's attributes: the claim's header facts with the given ones replaced;
    new lines only if the claim was never filed (its balances reversed, the new lines charged,
    priced for `payer`, the tenant's payer record, when given)."""
    on = calendar_date(on, "on")
    changes = (ordering_npi, diagnoses, utn, utn_valid_until, swo_on_file, pod_on_file, lines)
    require(
        any(c is not None for c in changes),
        "correction_changes_something",
        "a correction names at least one new value",
    )
    swo = claim.swo_on_file if swo_on_file is None else swo_on_file
    pod = claim.pod_on_file if pod_on_file is None else pod_on_file
    claim_requires_delivery_and_swo(swo, pod)
    codes = claim.diagnoses if diagnoses is None else diagnosis_list(diagnoses)
    new_lines: Sequence[ClaimLine] = claim.lines
    entries: list[LedgerEntry] = []
    if lines is None:
        for line in new_lines:
            check_pointers(line.diagnosis_pointers, len(codes))
    else:
        require(
            not claim.filed,
            "lines_are_corrected_only_before_filing",
            "a filed claim's lines are changed by a replacement claim",
        )
        new_lines = bill_lines(
            claim.id, claim.payer_id, claim.billing_month, lines, len(codes), payer=payer
        )
        old_ids = [line.line_id for line in claim.lines]
        entries = ledger.rebilling(claim.ledger, old_ids, new_lines, claim.payer_id, on)
    if utn_valid_until is not None:
        calendar_date(utn_valid_until, "utn_valid_until")
    return {
        "on": on,
        "ordering_npi": claim.ordering_npi if ordering_npi is None else str(ordering_npi).strip(),
        "diagnoses": list(codes),
        "utn": claim.utn if utn is None else (utn.strip() or None),
        "utn_valid_until": claim.utn_valid_until if utn_valid_until is None else utn_valid_until,
        "swo_on_file": swo,
        "pod_on_file": pod,
        "lines": list(new_lines),
        "entries": entries,
        "timely_filing_deadline": filing_terms(
            getattr(claim, "filing_limit", None) or reference_filing_limit(claim.billed_payer_id),
            new_lines,
        )["timely_filing_deadline"],
    }
