"""The Claim's deciding rules, as pure functions: input checks, the scrub rules, which command
may run in which status, and the checks of single commands. Drafting and correcting are in
`domain.claim_drafting`, remittance posting in `domain.claim_adjudication`, appeals in
`domain.claim_appeals`, the ledger in `domain.claim_ledger`. The aggregate (`domain.claim`)
calls them from its public command methods, never from an `@event` body. Rule names are
stable: clients match them.

Scrub failures raise `ScrubFailed` (a RuleViolated): `rule` is the first failed rule in
`SCRUB_RULES` order, `failures` lists every (rule, message).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain import pricing
from domain.catalogue import PaymentCategory, item
from domain.claim_values import ClaimLine, ClaimStatus
from domain.diagnosis import is_billable
from domain.errors import DomainError, InvalidValue, RuleViolated, require
from domain.npi import is_valid_npi
from domain.rules import billing_rule, present_text

ORIGINAL, REPLACEMENT, VOID = "1", "7", "8"
BILLING_MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
INTERCHANGE_CONTROL_NUMBER = re.compile(r"^[0-9]{9}$")


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


@billing_rule(
    "X12 005010X222A1 TR3 loop 2400 SV101-2 (a HCPCS Level II procedure code); the CMS"
    " HCPCS Level II file, as curated in domain/reference/hcpcs.csv",
    "tests/unit/test_claim_rules.py::test_claim_lines_have_valid_hcpcs",
)
def lines_have_valid_hcpcs(lines: Sequence[ClaimLine]) -> list[str]:
    """Every line's HCPCS code is one the catalogue holds: a HCPCS Level II code Aries prices."""
    failures = []
    for line in lines:
        try:
            item(line.hcpcs)
        except DomainError as error:
            failures.append(str(error))
    return failures


@billing_rule(
    "X12 005010X222A1 TR3 loop 2300 HI (ICD-10-CM diagnosis codes); ICD-10-CM Official"
    " Guidelines for Coding and Reporting, section I.B (codes are reported to the highest"
    " number of characters available); the CMS ICD-10-CM code files",
    "tests/unit/test_claim_rules.py::test_claim_diagnoses_are_billable_icd10cm",
)
def diagnoses_are_billable(diagnoses: Sequence[str]) -> list[str]:
    """Every diagnosis on the claim is a billable ICD-10-CM code, never a category that has
    subcodes."""
    return [
        f"{code} is not a billable ICD-10-CM code" for code in diagnoses if not is_billable(code)
    ]


@billing_rule(
    "X12 005010X222A1 TR3 loop 2400 SV101-3; DME MAC modifier pages (Noridian JD DME"
    " 'RR', 'NU', 'UE'; CGS JB Supplier Manual, modifiers): a DME line states whether it"
    " is rented, bought new or bought used",
    "tests/unit/test_claim_rules.py::test_claim_lines_carry_pricing_modifier",
    "tests/unit/test_claim_rules.py::test_supply_lines_need_no_pricing_modifier",
)
def lines_carry_pricing_modifier(lines: Sequence[ClaimLine]) -> list[str]:
    """Every equipment line leads with its pricing modifier (RR rental, NU new purchase, UE used
    purchase); supplies are billed without one."""
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


@billing_rule(
    "45 CFR 162.406(a) (the NPI is a 10-position numeric identifier with a check digit in"
    " the 10th position; checked against the CFR text); CMS 'Requirements for NPI Check"
    " Digit' (the Luhn formula, computed as if prefixed by 80840; read in a quotation, not in"
    " the CMS document itself); X12 005010X222A1 TR3 loop 2420E NM109 (ordering provider)",
    "tests/unit/test_claim_rules.py::test_npi_passes_luhn_check",
)
def ordering_npi_is_valid(npi: str) -> list[str]:
    """The ordering practitioner's NPI passes its Luhn check digit."""
    return [] if is_valid_npi(npi) else [f"ordering NPI {npi!r} fails the Luhn check"]


@billing_rule(
    "42 CFR 410.38 (a written order with the standard elements, 84 FR 60648, is on file"
    " before the claim is submitted); CMS Pub. 100-08 ch. 4 s. 4.26 (proof of delivery"
    " supports every claim and is kept 7 years)",
    "tests/unit/test_claim_rules.py::test_scrub_checks_claim_requires_delivery_and_swo",
)
def documents_are_on_file(swo_on_file: bool, pod_on_file: bool) -> list[str]:
    """A claim is scrubbed only with its standard written order and its proof of delivery on
    file."""
    missing = [
        name for name, present in (("SWO", swo_on_file), ("POD", pod_on_file)) if not present
    ]
    return [f"{' and '.join(missing)} not on file"] if missing else []


@billing_rule(
    "42 CFR 414.234(d)-(e) (an affirmed prior authorization decision is a condition of"
    " payment; its UTN goes on the claim); DME MAC prior authorization pages (CGS 'Prior"
    " Authorization for DMEPOS': decisions valid 6 months for power mobility devices, 1"
    " month for support surfaces)",
    "tests/unit/test_claim_rules.py::test_prior_auth_item_claim_carries_unexpired_utn",
    "tests/unit/test_claim_rules.py::test_a_later_rental_month_carries_the_utn_but_is_not_refused_once_its_window_passed",
)
def prior_auth_lines_carry_unexpired_utn(
    lines: Sequence[ClaimLine], utn: str | None, utn_valid_until: date | None
) -> list[str]:
    """Every line of an item on the Required Prior Authorization List carries the UTN of an
    affirmed decision (42 CFR 414.234(d): an affirmed decision is a condition of payment).
    The decision's validity window (6 months for power mobility devices, 1 month for support
    surfaces, 60 or 120 days for orthoses and prostheses: the DME MACs' prior authorization
    pages, e.g. CGS "Prior Authorization for DMEPOS") governs the delivery, the date of
    service of a purchase or of rental month 1. The rental months that follow carry the same
    UTN and are not refused once the window has passed (DOMAIN.md, prior authorisation)."""
    failures = []
    for line in lines:
        if not line.prior_auth_required:
            continue
        delivery = line.rental_month is None or line.rental_month == 1
        if not utn:
            failures.append(f"{line.hcpcs} needs a prior authorization UTN")
        elif delivery and utn_valid_until is not None and utn_valid_until < line.from_date:
            failures.append(
                f"UTN {utn} expired {utn_valid_until} before the service date {line.from_date}"
            )
    return failures


def billed_filing_limit(claim: Any) -> Any:
    """The billed payer's limit as the claim recorded it (decision 017: the payer record's),
    or for a claim that recorded none the packaged payer list's."""
    return getattr(claim, "filing_limit", None) or pricing.payer(claim.billed_payer_id)


@billing_rule(
    "42 CFR 424.44 (Medicare: 12 months after the date of service); CMS Pub. 100-04 ch. 1"
    " s. 70 and 70.1 (the line item From date counts); Illinois HFS provider notice of 23"
    " July 2012 (Medicaid: 180 days)",
    "tests/unit/test_claim_rules.py::test_claim_filed_within_twelve_months_of_service",
    "tests/unit/test_claim_rules.py::test_a_medicaid_claim_is_filed_within_its_payers_180_days_not_twelve_months",
)
def lines_filed_within_limit(lines: Sequence[ClaimLine], as_of: date, payer: Any) -> list[str]:
    """Each line is filed by its billed payer's timely filing deadline, counted from the line's
    From date (Pub 100-04 ch.1 §70.1: for professional claims, DME rentals included, the line
    item From date), in the payer's own months or days (`payer.filing_deadline`: the payer
    record's `FilingLimit`, or `pricing.Payer`)."""
    deadlines = {line.line_id: payer.filing_deadline(line.from_date) for line in lines}
    return [
        f"{line.hcpcs} from {line.from_date} must be filed by {deadlines[line.line_id]}"
        for line in lines
        if as_of > deadlines[line.line_id]
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
        lambda c, as_of: lines_filed_within_limit(c.lines, as_of, billed_filing_limit(c)),
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
    "prepare_transmission": (
        frozenset({S.SUBMISSION_REQUESTED}),
        "transmission_is_prepared_after_its_request",
    ),
    "record_submission": (
        frozenset({S.SUBMISSION_REQUESTED}),
        "submission_is_recorded_after_its_request",
    ),
    "leave_transmission_unconfirmed": (
        frozenset({S.SUBMISSION_REQUESTED}),
        "transmission_is_unconfirmed_after_its_request",
    ),
    "settle_transmission": (
        frozenset({S.TRANSMISSION_UNCONFIRMED}),
        "only_an_unconfirmed_transmission_is_settled",
    ),
    "acknowledge": (frozenset({S.SUBMITTED}), "acknowledgement_follows_submission"),
    "record_status_report": (
        ADJUDICATED | {S.SUBMITTED, S.ACCEPTED, S.REJECTED, S.APPEALED, S.REVERSED,
                       S.AWAITING_SECONDARY},
        "claim_status_is_asked_of_a_submitted_claim",
    ),
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


# --- Checks of single commands ---------------------------------------------------------------


def interchange_control_number(value: object) -> str:
    """An ISA13: nine digits."""
    if not isinstance(value, str) or not INTERCHANGE_CONTROL_NUMBER.match(value):
        raise InvalidValue(
            "interchange_control_number_is_nine_digits",
            f"{value!r} is not a nine-digit ISA13",
        )
    return value


@billing_rule(
    "42 CFR 410.38 (the written order before the claim); CMS Pub. 100-08 ch. 4 s. 4.26.1"
    " (section number not verified against the source text) and Noridian JD DME 'Proof of"
    " Delivery' (the date of delivery is the date of service)",
    "tests/unit/test_claim_rules.py::test_claim_cannot_be_drafted_before_delivery_and_swo",
)
def claim_requires_delivery_and_swo(swo_on_file: object, pod_on_file: object) -> None:
    """A claim is drafted only for a delivered item with its standard written order on file; a
    month refused for want of them is a billing hold, drafted once they are recorded."""
    require(
        swo_on_file is True and pod_on_file is True,
        "claim_requires_delivery_and_swo",
        "a claim needs proof of delivery and a standard written order on file",
    )


@billing_rule(
    "X12 005010X222A1 TR3 loops 2320/2330B (the prior payer of a secondary claim) and"
    " 2430 (what it paid on each line); CMS Pub. 100-05 ch. 3 (Medicare Secondary Payer:"
    " bill the other payer the balance)",
    "tests/unit/test_claim_rules.py::test_claim_moves_to_secondary_once",
    "tests/unit/test_claim_rules.py::test_secondary_payer_differs_from_primary",
    "tests/unit/test_payer_record_pricing.py::test_the_balance_moves_to_a_secondary_payer_record",
)
def secondary_payer_may_be_billed(
    payer_id: str,
    primary_payer_id: str,
    secondary_payer_id: str | None,
    *,
    payer_recorded: bool = False,
) -> None:
    """A claim moves to a secondary payer once, and to a payer other than its primary: one of
    the tenant's payer records (`payer_recorded`) or of the packaged list."""
    require(
        secondary_payer_id is None,
        "claim_moves_to_secondary_once",
        f"already moved to {secondary_payer_id}",
    )
    if not payer_recorded:
        pricing.payer(payer_id)
    require(
        payer_id != primary_payer_id,
        "secondary_payer_differs_from_primary",
        f"{payer_id} is the primary payer",
    )


def claim_may_close(status: ClaimStatus, balance: Decimal) -> None:
    """Only at zero balance, with no appeal or submission open, and once."""
    require(status is not S.CLOSED, "claim_is_closed_once", "the claim is closed")
    require(status is not S.APPEALED, "claim_with_open_appeal_stays_open", "an appeal is open")
    require(
        status not in (S.SUBMISSION_REQUESTED, S.TRANSMISSION_UNCONFIRMED, S.SUBMITTED),
        "claim_with_submission_in_flight_stays_open",
        "a submission is awaiting its acknowledgement",
    )
    require(balance == 0, "claim_closes_only_at_zero_balance", f"balance is {balance}")


def submission_number_is_next(submission_number: object, submissions: int) -> None:
    require(
        submission_number == submissions + 1 and not isinstance(submission_number, bool),
        "submission_number_is_next_in_sequence",
        f"submission {submission_number!r} is not {submissions + 1}",
    )


def acknowledgement_reasons(reasons: Sequence[str] | str) -> list[str]:
    """The reasons an acknowledgement gives, each trimmed text (one reason may come alone)."""
    if isinstance(reasons, str):
        reasons = [reasons]
    return [present_text(r, "a reason", "acknowledgement_reasons_are_text") for r in reasons]


def require_allowed(status: ClaimStatus, command: str) -> None:
    """RuleViolated (the command's rule) unless `command` runs on a claim in `status`."""
    states, rule = ALLOWED_STATES[command]
    require(status in states, rule, f"cannot {command} a {status.value} claim")
