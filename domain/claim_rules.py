"""The Claim's deciding rules, as pure functions: input checks, scrub rules, line billing and
remittance posting. The aggregate (`domain.claim`) calls them from its public command methods,
never from an `@event` body. Rule names are stable: clients match them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid5

from domain import pricing
from domain.catalogue import PaymentCategory, item
from domain.claim_values import (
    PATIENT,
    Adjustment,
    AdjustmentGroup,
    ClaimLine,
    ClaimStatus,
    LedgerEntry,
    LedgerEntryKind,
    LineAdjudication,
    LineToBill,
)
from domain.diagnosis import is_billable, normalise
from domain.errors import DomainError, InvalidValue, RuleViolated, require
from domain.money import exact_money
from domain.npi import is_valid_npi
from domain.rules import add_months, calendar_date, present_text

ORIGINAL, REPLACEMENT, VOID = "1", "7", "8"
MAX_DIAGNOSES = 12
MAX_LINES = 50
REDETERMINATION_DAYS = 120
RECONSIDERATION_DAYS = 180
NOT_APPEALABLE_CARCS = frozenset({"29"})
BILLING_MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
INTERCHANGE_CONTROL_NUMBER = re.compile(r"^[0-9]{9}$")
CARC_FORMAT = re.compile(r"^[A-Z0-9]{1,3}$")
RARC_FORMAT = re.compile(r"^[A-Z]{1,2}[0-9]{1,3}$")

# CLP02 claim status codes Aries posts (X12 835 005010X221A1).
CLAIM_STATUS_CODES = {
    "1": "processed as primary",
    "2": "processed as secondary",
    "3": "processed as tertiary",
    "4": "denied",
    "19": "processed as primary, forwarded to additional payer(s)",
    "20": "processed as secondary, forwarded to additional payer(s)",
    "21": "processed as tertiary, forwarded to additional payer(s)",
    "22": "reversal of previous payment",
    "23": "not our claim, forwarded to additional payer(s)",
}
DENIAL_STATUS_CODES = frozenset({"4", "23"})
REVERSAL_STATUS_CODE = "22"


class ScrubFailed(RuleViolated):
    """The claim failed one or more scrub rules; `failures` lists (rule, message) pairs."""

    def __init__(self, failures: Sequence[tuple[str, str]]) -> None:
        self.failures = tuple(failures)
        super().__init__(
            self.failures[0][0], "; ".join(f"{rule}: {message}" for rule, message in failures)
        )

    @property
    def failed_rules(self) -> tuple[str, ...]:
        return tuple(rule for rule, _ in self.failures)

    def __reduce__(self):
        return (type(self), (self.failures,))


# --- Small pure helpers ---------------------------------------------------------------------


def uuid_of(value: Any, what: str) -> UUID:
    if not isinstance(value, UUID):
        raise InvalidValue("ids_are_uuids", f"{what} must be a UUID, not {value!r}")
    return value


def billing_month_of(value: Any) -> str:
    if not isinstance(value, str) or not BILLING_MONTH.match(value):
        raise InvalidValue("billing_month_is_yyyy_mm", f"billing month {value!r} is not YYYY-MM")
    return value


# --- Scrub rules: each a named pure check returning its failure messages --------------------


def lines_have_valid_hcpcs(lines: Sequence[ClaimLine]) -> list[str]:
    failures = []
    for line in lines:
        try:
            item(line.hcpcs)
        except DomainError as error:
            failures.append(str(error))
    return failures


def diagnoses_are_billable(diagnoses: Sequence[str]) -> list[str]:
    return [
        f"{code} is not a billable ICD-10-CM code" for code in diagnoses if not is_billable(code)
    ]


def lines_carry_pricing_modifier(lines: Sequence[ClaimLine]) -> list[str]:
    failures = []
    for line in lines:
        try:
            category = item(line.hcpcs).payment_category
        except DomainError:
            continue  # reported by lines_have_valid_hcpcs
        if category is PaymentCategory.SUPPLY:
            continue  # supplies are billed without a pricing modifier (domain.pricing)
        if not line.modifiers or line.modifiers[0] not in pricing.PRICING_MODIFIERS:
            failures.append(f"{line.hcpcs} line lacks a leading NU/UE/RR modifier")
    return failures


def line_modifier_failures(lines: Sequence[ClaimLine]) -> list[tuple[str, str]]:
    failures = []
    for line in lines:
        try:
            pricing.check_modifiers(line.modifiers)
        except RuleViolated as error:
            failures.append((error.rule, error.message))
    return failures


def ordering_npi_is_valid(npi: str) -> list[str]:
    return [] if is_valid_npi(npi) else [f"ordering NPI {npi!r} fails the Luhn check"]


def documents_are_on_file(swo_on_file: bool, pod_on_file: bool) -> list[str]:
    missing = [
        name for name, present in (("SWO", swo_on_file), ("POD", pod_on_file)) if not present
    ]
    return [f"{' and '.join(missing)} not on file"] if missing else []


def prior_auth_lines_carry_unexpired_utn(
    lines: Sequence[ClaimLine], utn: str | None, utn_valid_until: date | None
) -> list[str]:
    failures = []
    for line in lines:
        if not line.prior_auth_required:
            continue
        if not utn:
            failures.append(f"{line.hcpcs} needs a prior authorization UTN")
        elif utn_valid_until is not None and utn_valid_until < line.from_date:
            failures.append(
                f"UTN {utn} expired {utn_valid_until} before the service date {line.from_date}"
            )
    return failures


def lines_filed_within_limit(lines: Sequence[ClaimLine], as_of: date, months: int) -> list[str]:
    return [
        f"{line.hcpcs} from {line.from_date} must be filed by {add_months(line.from_date, months)}"
        for line in lines
        if as_of > add_months(line.from_date, months)
    ]


def lines_filed_after_service(lines: Sequence[ClaimLine], as_of: date) -> list[str]:
    return [
        f"{line.hcpcs} is billed {as_of} before its service date {line.from_date}"
        for line in lines
        if as_of < line.from_date
    ]


ScrubCheck = Callable[[Any, date], list[str]]  # (claim, as_of) -> messages

SCRUB_RULES: tuple[tuple[str, ScrubCheck], ...] = (
    ("claim_lines_have_valid_hcpcs", lambda c, _: lines_have_valid_hcpcs(c.lines)),
    ("claim_diagnoses_are_billable_icd10cm", lambda c, _: diagnoses_are_billable(c.diagnoses)),
    ("claim_lines_carry_pricing_modifier", lambda c, _: lines_carry_pricing_modifier(c.lines)),
    ("npi_passes_luhn_check", lambda c, _: ordering_npi_is_valid(c.ordering_npi)),
    (
        "claim_requires_delivery_and_swo",
        lambda c, _: documents_are_on_file(c.swo_on_file, c.pod_on_file),
    ),
    (
        "prior_auth_item_claim_carries_unexpired_utn",
        lambda c, _: prior_auth_lines_carry_unexpired_utn(c.lines, c.utn, c.utn_valid_until),
    ),
    (
        "claim_filed_within_twelve_months_of_service",
        lambda c, as_of: lines_filed_within_limit(
            c.lines, as_of, pricing.payer(c.billed_payer_id).timely_filing_months
        ),
    ),
    (
        "claim_is_filed_on_or_after_service",
        lambda c, as_of: lines_filed_after_service(c.lines, as_of),
    ),
)


def scrub_failures(claim: Any, as_of: date) -> list[tuple[str, str]]:
    """Every (rule, message) the claim fails, in SCRUB_RULES order, then modifier rules."""
    failures = [(rule, message) for rule, check in SCRUB_RULES for message in check(claim, as_of)]
    return failures + line_modifier_failures(claim.lines)


# --- Which command may run in which status --------------------------------------------------

S = ClaimStatus
ADJUDICATED = frozenset({S.PAID, S.PARTIALLY_PAID, S.DENIED})
ALLOWED_STATES: dict[str, tuple[frozenset[ClaimStatus], str]] = {
    "correct": (frozenset({S.DRAFT, S.SCRUBBED, S.REJECTED}), "only_an_unfiled_claim_is_corrected"),
    "scrub": (frozenset({S.DRAFT, S.REJECTED}), "claim_is_scrubbed_as_draft_or_after_rejection"),
    "request_submission": (
        frozenset({S.SCRUBBED, S.AWAITING_SECONDARY}),
        "claim_is_submitted_once_scrubbed",
    ),
    "record_submission": (
        frozenset({S.SUBMISSION_REQUESTED}),
        "submission_is_recorded_after_its_request",
    ),
    "acknowledge": (frozenset({S.SUBMITTED}), "acknowledgement_follows_submission"),
    "transfer_to_secondary": (
        ADJUDICATED | {S.PATIENT_RESPONSIBILITY},
        "secondary_billing_follows_primary_adjudication",
    ),
    "assign_patient_responsibility": (
        ADJUDICATED | {S.REVERSED, S.AWAITING_SECONDARY},
        "patient_responsibility_follows_adjudication",
    ),
    "appeal": (ADJUDICATED, "appeal_requires_adjudicated_claim"),
    "decide_appeal": (frozenset({S.APPEALED}), "appeal_decision_requires_open_appeal"),
    "void": (
        ADJUDICATED | {S.ACCEPTED, S.REVERSED, S.AWAITING_SECONDARY, S.PATIENT_RESPONSIBILITY},
        "void_requires_a_filed_claim",
    ),
    "replace": (
        ADJUDICATED | {S.REVERSED, S.AWAITING_SECONDARY, S.PATIENT_RESPONSIBILITY},
        "replacement_requires_adjudicated_claim",
    ),
}

ADJUSTMENT_KIND = {
    AdjustmentGroup.CO: LedgerEntryKind.CONTRACTUAL_ADJUSTMENT,
    AdjustmentGroup.PR: LedgerEntryKind.PATIENT_RESPONSIBILITY,
    AdjustmentGroup.OA: LedgerEntryKind.OTHER_ADJUSTMENT,
    AdjustmentGroup.PI: LedgerEntryKind.OTHER_ADJUSTMENT,
}


def adjudication_outcome(status_code: str, lines: Sequence[LineAdjudication]) -> ClaimStatus:
    """Denied when the payer denied or paid nothing; partially paid when some line got nothing."""
    if status_code == REVERSAL_STATUS_CODE:
        return S.REVERSED
    paid = [line.paid for line in lines]
    if status_code in DENIAL_STATUS_CODES or all(p == 0 for p in paid):
        return S.DENIED
    return S.PARTIALLY_PAID if any(p == 0 for p in paid) else S.PAID


# --- Deciding helpers (pure) ----------------------------------------------------------------


def require_within(filed_on: date, since: date, days: int, rule: str) -> None:
    require(
        since <= filed_on <= since + timedelta(days=days),
        rule,
        f"filed {filed_on}: must be within {days} days of {since}",
    )


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


def line_id_for(
    claim_id: UUID, order_line_id: UUID, billing_month: str, rental_month: int | None
) -> UUID:
    """A claim line's id: uuid5 of the claim id, order line, billing month and rental month."""
    return uuid5(claim_id, f"line:{order_line_id}:{billing_month}:{rental_month or 0}")


def bill_lines(
    claim_id: UUID,
    payer_id: str,
    billing_month: str,
    lines: Sequence[LineToBill],
    diagnosis_count: int,
) -> list[ClaimLine]:
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
        priced = pricing.price_line(
            payer_id,
            line.hcpcs,
            line.billing,
            rental_month=line.rental_month,
            units=line.units,
            oxygen_flow_lpm=line.oxygen_flow_lpm,
            adherence_met=line.adherence_met,
            abn_on_file=line.abn_on_file,
            kx_documented=line.kx_documented,
            portable_oxygen=line.portable_oxygen,
            extra_modifiers=line.extra_modifiers,
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
            )
        )
    return result


def charges(lines: Sequence[ClaimLine], payer_id: str, on: date) -> list[LedgerEntry]:
    return [
        LedgerEntry(LedgerEntryKind.CHARGE, line.line_id, payer_id, line.charge, on)
        for line in lines
    ]


def checked_adjudications(
    claim_lines: Sequence[ClaimLine], status_code: str, lines: Sequence[LineAdjudication]
) -> list[LineAdjudication]:
    """The remittance lines, validated and normalised (tuples, exact cents)."""
    require(bool(lines), "remittance_adjudicates_at_least_one_line", "no service lines")
    known = {line.line_id for line in claim_lines}
    seen: set[UUID] = set()
    reversal = status_code == REVERSAL_STATUS_CODE
    result = []
    for line in lines:
        if not isinstance(line, LineAdjudication):
            raise InvalidValue("remittance_lines_are_line_adjudications", f"{line!r}")
        require(
            line.line_id in known,
            "remittance_line_matches_claim_line",
            f"line {line.line_id} is not on the claim",
        )
        require(
            line.line_id not in seen,
            "remittance_adjudicates_each_line_once",
            f"line {line.line_id} appears twice",
        )
        seen.add(line.line_id)
        paid, allowed = exact_money(line.paid), exact_money(line.allowed)
        adjustments = []
        for adjustment in line.adjustments:
            if not isinstance(adjustment, Adjustment):
                raise InvalidValue("remittance_adjustments_are_adjustments", f"{adjustment!r}")
            group = adjustment.group
            if not isinstance(group, AdjustmentGroup):
                try:
                    group = AdjustmentGroup(group)
                except ValueError:
                    raise InvalidValue(
                        "adjustment_group_is_co_pr_oa_or_pi", f"group {group!r}"
                    ) from None
            if not isinstance(adjustment.carc, str) or not CARC_FORMAT.match(adjustment.carc):
                raise InvalidValue("carc_is_well_formed", f"CARC {adjustment.carc!r}")
            amount = exact_money(adjustment.amount)
            require(amount != 0, "adjustment_amount_is_not_zero", "a zero adjustment")
            adjustments.append(Adjustment(group=group, carc=adjustment.carc, amount=amount))
        for rarc in line.rarcs:
            if not isinstance(rarc, str) or not RARC_FORMAT.match(rarc):
                raise InvalidValue("rarc_is_well_formed", f"RARC {rarc!r}")
        if reversal:
            require(
                paid <= 0 and all(a.amount <= 0 for a in adjustments),
                "reversal_amounts_are_not_positive",
                "a CLP02 22 reversal carries negated amounts",
            )
        else:
            require(paid >= 0, "payment_is_not_negative", f"paid {paid} is negative")
        if status_code in DENIAL_STATUS_CODES:
            require(paid == 0, "denied_claim_pays_nothing", f"denied claim pays {paid}")
        result.append(
            LineAdjudication(
                line_id=line.line_id,
                allowed=allowed,
                paid=paid,
                adjustments=tuple(adjustments),
                rarcs=tuple(line.rarcs),
            )
        )
    return result


def remittance_entries(
    lines: Sequence[LineAdjudication], status_code: str, payer_id: str, paid_on: date, trace: str
) -> list[LedgerEntry]:
    reversal = status_code == REVERSAL_STATUS_CODE
    entries = []
    for line in lines:
        if line.paid != 0:
            kind = LedgerEntryKind.REVERSAL if reversal else LedgerEntryKind.PAYMENT
            entries.append(
                LedgerEntry(
                    kind,
                    line.line_id,
                    payer_id,
                    -line.paid,
                    paid_on,
                    rarcs=line.rarcs,
                    reference=trace,
                )
            )
        for a in line.adjustments:
            kind = LedgerEntryKind.REVERSAL if reversal else ADJUSTMENT_KIND[a.group]
            entries.append(
                LedgerEntry(
                    kind,
                    line.line_id,
                    payer_id,
                    -a.amount,
                    paid_on,
                    carc=a.carc,
                    rarcs=line.rarcs,
                    reference=trace,
                )
            )
            if a.group is AdjustmentGroup.PR:
                entries.append(
                    LedgerEntry(
                        kind,
                        line.line_id,
                        PATIENT,
                        a.amount,
                        paid_on,
                        carc=a.carc,
                        rarcs=line.rarcs,
                        reference=trace,
                    )
                )
    return entries
