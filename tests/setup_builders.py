"""Companies, locations and payers as the tests build them (not a test module)."""

from __future__ import annotations

from domain.company import CompanyDetails
from domain.location import LocationDetails
from domain.patient_values import Address
from domain.payer import PayerDetails, PayerType
from domain.supplier_values import Contact

SPRINGFIELD = Address("100 Main St", None, "Springfield", "IL", "62701")
DENVER = Address("2200 Blake St", "Suite 4", "Denver", "CO", "80205")
OFFICE = Contact("Billing Office", "2175550100", "billing@example.com")


def company(**changes) -> CompanyDetails:
    values = dict(
        legal_name="Aries Demo Medical Supply LLC",
        billing_npi="1234567893",
        tax_id="37-1234567",
        address=SPRINGFIELD,
        contact=OFFICE,
        time_zone="America/Chicago",
    )
    return CompanyDetails(**{**values, **changes})


def location(**changes) -> LocationDetails:
    values = dict(
        name="Springfield",
        npi="1234567893",
        ptan="1234560001",
        tax_id="371234567",
        address=SPRINGFIELD,
        contact=OFFICE,
        time_zone="America/Chicago",
    )
    return LocationDetails(**{**values, **changes})


def denver(**changes) -> LocationDetails:
    return location(
        name="Denver", npi="1245319599", ptan="1234560002", address=DENVER,
        contact=Contact("Denver Billing", "3035550100"), time_zone="America/Denver", **changes,
    )


def payer(**changes) -> PayerDetails:
    values = dict(
        payer_id="MCR-DMEB",
        name="Medicare DME MAC Jurisdiction B",
        payer_type=PayerType.MEDICARE,
        claim_filing_indicator="MB",
        x12_payer_id="17013",
        timely_filing_months=12,
        timely_filing_days=None,
        address=None,
    )
    return PayerDetails(**{**values, **changes})
