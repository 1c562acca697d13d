"""The Company: the supplier itself, one per tenant, the legal entity its locations belong to.

The company holds what is the same for every branch (legal name, the organisation's billing
NPI and tax id, head-office address, contact, the time zone of head office); each branch that
bills is a `domain.location.Location` with its own NPI, PTAN and address.

Decisions a newcomer may question:
- The id is a uuid5 of the tenant id: one company per tenant, found without an index, and
  registering it twice (a retried request, the demo seeded again) finds the same aggregate.
- The company's time zone is the tenant's default calendar: it decides "today" for commands
  that have no location (a whole-tenant billing run's default date).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.base import AriesAggregate, pin_topics
from domain.npi import valid_npi
from domain.patient_rules import checked_address
from domain.patient_values import Address
from domain.rules import present_text
from domain.supplier_values import Contact, checked_contact, checked_tax_id, checked_time_zone

COMPANY_NAMESPACE = UUID("5a0e6d1c-3b7f-5e42-9c18-2f4d8b6a7e90")  # fixed forever: ids use it


def company_id(tenant_id: str) -> UUID:
    return uuid5(COMPANY_NAMESPACE, tenant_id)


@dataclass(frozen=True)
class CompanyDetails:
    legal_name: str
    billing_npi: str
    tax_id: str
    address: Address
    contact: Contact
    time_zone: str


def checked_company(details: CompanyDetails) -> CompanyDetails:
    return CompanyDetails(
        legal_name=present_text(details.legal_name, "legal name"),
        billing_npi=valid_npi(details.billing_npi),
        tax_id=checked_tax_id(details.tax_id),
        address=checked_address(details.address),
        contact=checked_contact(details.contact),
        time_zone=checked_time_zone(details.time_zone),
    )


class Company(AriesAggregate):
    """Create with `Company.register(tenant_id, details)`."""

    @classmethod
    def register(cls, tenant_id: str, details: CompanyDetails) -> Company:
        return cls._create(
            cls.Registered,  # type: ignore[attr-defined]
            id=company_id(tenant_id),
            details=checked_company(details),
        )

    @event("Registered")
    def __init__(self, details: CompanyDetails) -> None:
        self.details = details

    def correct_details(self, details: CompanyDetails) -> bool:
        """Record corrected details; returns whether anything changed."""
        checked = checked_company(details)
        if checked == self.details:
            return False
        self._details_corrected(checked)
        return True

    @event("DetailsCorrected")
    def _details_corrected(self, details: CompanyDetails) -> None:
        self.details = details


pin_topics(Company, "aries.company")

AGGREGATES: tuple[type, ...] = (Company,)
VALUE_TYPES: tuple[type, ...] = (CompanyDetails,)
