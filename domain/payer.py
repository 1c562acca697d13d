"""A Payer: an insurer the supplier bills, maintained by the tenant (it replaces the packaged
reference/payers.csv, which now only seeds the demo tenant).

What a claim needs from its payer comes from here: the claim filing indicator (837P SBR09),
the X12 payer id the clearinghouse routes on (loop 2010BB NM109), the timely filing limit
(months or days from the date of service) and the payer's address (2010BB N3/N4).

Decisions a newcomer may question:
- The id is a uuid5 of (tenant, payer id): the payer id (MCR-DMEB) is the tenant's own key, the
  one coverages name, so a coverage refers to a payer record by it and "does it exist" is one
  load. A second payer with the same payer id is the same aggregate: registering it again is
  refused (`payer_id_is_unique_per_tenant`).
- A payer is never deleted (claims refer to it); it is retired, which refuses new coverages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum, nonmember
from typing import ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain import pricing
from domain.base import AriesAggregate, pin_topics
from domain.errors import InvalidValue
from domain.modifiers import PayerKind
from domain.patient_rules import checked_address, optional_text
from domain.patient_values import Address
from domain.rules import add_months, billing_rule, present_text, rule

PAYER_NAMESPACE = UUID("9d3c2b1a-8f7e-5d6c-b5a4-0e1f2a3b4c5d")  # fixed forever: ids use it


def payer_record_id(tenant_id: str, payer_id: str) -> UUID:
    return uuid5(PAYER_NAMESPACE, f"{tenant_id}:{payer_id.strip().upper()}")


class PayerType(Enum):
    MEDICARE = "medicare"
    MEDICAID = "medicaid"
    COMMERCIAL = "commercial"

    TRANSCODING = nonmember("payer.PayerType")


# X12 element 1032 (Claim Filing Indicator Code), the values an 837P SBR09 may carry.
CLAIM_FILING_INDICATORS = frozenset(
    "09 11 12 13 14 15 16 17 AM BL CH CI DS FI HM LM MA MB MC OF TV VA WC ZZ".split()
)
DEFAULT_FILING_INDICATOR = {
    PayerType.MEDICARE: "MB",  # Medicare Part B (DMEPOS is billed to the DME MAC as Part B)
    PayerType.MEDICAID: "MC",
    PayerType.COMMERCIAL: "CI",
}


@dataclass(frozen=True)
class FilingLimit:
    """A payer's timely filing limit, months or days from the date of service (one is set),
    as a claim records it for its billed payer when drafted or moved to a secondary payer."""

    TRANSCODING: ClassVar[str] = "payer.FilingLimit"

    timely_filing_months: int | None
    timely_filing_days: int | None

    def filing_deadline(self, service_from: date) -> date:
        return payer_filing_deadline(self, service_from)


@dataclass(frozen=True)
class PayerDetails:
    payer_id: str  # the tenant's key (MCR-DMEB); never changes once registered
    name: str
    payer_type: PayerType
    claim_filing_indicator: str
    x12_payer_id: str  # clearinghouse routing id, 2010BB NM109
    timely_filing_months: int | None
    timely_filing_days: int | None
    address: Address | None = None

    @property
    def filing_limit(self) -> FilingLimit:
        return FilingLimit(self.timely_filing_months, self.timely_filing_days)


def billed_as(details: PayerDetails) -> pricing.Payer:
    """The payer record as pricing sees it: its kind decides the Medicare-only modifiers
    (KX/GA/GZ, N1-N3), its id the fees (an imported schedule, else the packaged fallback), its
    limit the filing deadline (decision 017)."""
    return pricing.Payer(
        payer_id=details.payer_id,
        name=details.name,
        kind=PayerKind(details.payer_type.value),
        x12_payer_id=details.x12_payer_id,
        timely_filing_months=details.timely_filing_months,
        timely_filing_days=details.timely_filing_days,
    )


@rule(InvalidValue)
def claim_filing_indicator_is_an_x12_code(code: str) -> str | None:
    """SBR09 is a code of X12 element 1032 (MB Medicare Part B, MC Medicaid, CI commercial,
    ...): X12 005010X222A1, loop 2000B SBR09."""
    return None if code in CLAIM_FILING_INDICATORS else f"{code!r} is not a claim filing code"


@rule(InvalidValue)
def timely_filing_is_months_or_days(months: int | None, days: int | None) -> str | None:
    """A payer's filing limit is counted in months or in days, exactly one, and positive."""
    given = [v for v in (months, days) if v is not None]
    if len(given) != 1:
        return "give the timely filing limit in months or in days (one of the two)"
    value = given[0]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 3650:
        return "a timely filing limit is a positive whole number (at most 3650 days)"
    return None


@rule()
def payer_id_is_unique_per_tenant(exists: bool) -> str | None:
    return "the tenant has a payer with this payer id already" if exists else None


@rule()
def coverage_names_a_payer_of_the_tenant(payer_id: str, tenant_has_payers: bool) -> str | None:
    """A coverage refers to one of the tenant's payer records by its payer id: a claim is
    addressed to that payer (837P 2010BB) and filed by its limit."""
    return f"no payer {payer_id!r} in your payers" if tenant_has_payers else None


@rule()
def a_retired_payer_takes_no_coverage(retired: bool) -> str | None:
    """A retired payer is kept for the claims that name it; no new coverage is added for it."""
    return "the payer is retired" if retired else None


def checked_payer(details: PayerDetails) -> PayerDetails:
    indicator = present_text(details.claim_filing_indicator, "claim filing indicator").upper()
    claim_filing_indicator_is_an_x12_code(indicator)
    timely_filing_is_months_or_days(details.timely_filing_months, details.timely_filing_days)
    if not isinstance(details.payer_type, PayerType):
        raise InvalidValue("payer_type_is_known", f"{details.payer_type!r} is not a payer type")
    routing = optional_text(details.x12_payer_id)
    return PayerDetails(
        payer_id=present_text(details.payer_id, "payer id").upper(),
        name=present_text(details.name, "payer name"),
        payer_type=details.payer_type,
        claim_filing_indicator=indicator,
        x12_payer_id=present_text(routing, "X12 payer id"),
        timely_filing_months=details.timely_filing_months,
        timely_filing_days=details.timely_filing_days,
        address=None if details.address is None else checked_address(details.address),
    )


@billing_rule(
    "42 CFR 424.44 and Medicare Claims Processing Manual (Pub. 100-04) ch.1 §70: Medicare's "
    "limit is one calendar year after the date of service; other payers by contract or state "
    "rule (Illinois Medicaid 180 days, HFS notice of 23 July 2012)",
    "tests/unit/test_payer.py::test_a_months_limit_counts_calendar_months",
    "tests/unit/test_payer.py::test_a_days_limit_counts_days",
)
def payer_filing_deadline(details: PayerDetails | FilingLimit, service_from: date) -> date:
    """The last day a claim for a service from `service_from` is filed in time: the payer's
    own limit, in calendar months (clamped to the month's end) or in days."""
    if details.timely_filing_days is not None:
        return service_from + timedelta(days=details.timely_filing_days)
    assert details.timely_filing_months is not None
    return add_months(service_from, details.timely_filing_months)


class Payer(AriesAggregate):
    """Create with `Payer.register(tenant_id, details)`."""

    @classmethod
    def register(cls, tenant_id: str, details: PayerDetails) -> Payer:
        checked = checked_payer(details)
        return cls._create(
            cls.Registered,  # type: ignore[attr-defined]
            id=payer_record_id(tenant_id, checked.payer_id),
            details=checked,
        )

    @event("Registered")
    def __init__(self, details: PayerDetails) -> None:
        self.details = details
        self.retired = False

    def correct_details(self, details: PayerDetails) -> bool:
        """Record corrected details (the payer id stays); returns whether anything changed."""
        checked = checked_payer(details)
        if checked.payer_id != self.details.payer_id:
            raise InvalidValue("payer_id_never_changes", "a payer's payer id never changes")
        if checked == self.details:
            return False
        self._details_corrected(checked)
        return True

    @event("DetailsCorrected")
    def _details_corrected(self, details: PayerDetails) -> None:
        self.details = details

    def retire(self) -> None:
        a_retired_payer_takes_no_coverage(self.retired)
        self._retired()

    @event("Retired")
    def _retired(self) -> None:
        self.retired = True

    def accepts_coverage(self) -> None:
        a_retired_payer_takes_no_coverage(self.retired)


pin_topics(Payer, "aries.payer")

AGGREGATES: tuple[type, ...] = (Payer,)
VALUE_TYPES: tuple[type, ...] = (PayerType, PayerDetails, FilingLimit)
