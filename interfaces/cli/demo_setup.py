"""The demo tenant's supplier setup: its company and its first location from the
`ARIES_SUPPLIER_*` settings (the only thing those settings still seed, decision 017), a second
branch in another state and time zone, and its payers from the packaged reference list
(domain/reference/payers.csv). Running it again adds nothing."""

from __future__ import annotations

from uuid import UUID

from application.setup import SetupApplication
from domain import pricing
from domain.company import CompanyDetails, company_id
from domain.context import current_context
from domain.location import LocationDetails
from domain.patient_values import Address
from domain.payer import DEFAULT_FILING_INDICATOR, PayerDetails, PayerType, payer_record_id
from domain.supplier_values import Contact
from interfaces.settings import Settings

# The second branch: another NPI, PTAN, state and time zone than the settings' first one.
DENVER = LocationDetails(
    name="Denver",
    npi="1679576722",
    ptan="4567890002",
    tax_id="990000001",
    address=Address("2200 Blake St", "Suite 4", "Denver", "CO", "802051234"),
    contact=Contact("Denver Billing", "3035550100", "denver-billing@example.com"),
    time_zone="America/Denver",
)


def seed_setup(setup: SetupApplication, settings: Settings, location_ids: list[UUID]) -> None:
    """Company, two locations (ids `location_ids`, in order) and payers of the bound tenant."""
    address = Address(settings.supplier_address, None, settings.supplier_city,
                      settings.supplier_state, settings.supplier_postal_code)
    contact = Contact(settings.supplier_contact, settings.supplier_phone)
    tenant = current_context().tenant_id
    if not setup.exists(company_id(tenant)):
        setup.register_company(CompanyDetails(
            legal_name=settings.supplier_name, billing_npi=settings.supplier_npi,
            tax_id=settings.supplier_tax_id, address=address, contact=contact,
            time_zone=settings.supplier_timezone,
        ))
    first = LocationDetails(
        name=settings.supplier_city, npi=settings.supplier_npi, ptan="4567890001",
        tax_id=settings.supplier_tax_id, address=address, contact=contact,
        time_zone=settings.supplier_timezone,
    )
    for location_id, details in zip(location_ids, (first, DENVER), strict=True):
        if not setup.exists(location_id):
            setup.open_location(details, location_id)
    for payer in pricing.payers().values():
        if setup.exists(payer_record_id(tenant, payer.payer_id)):
            continue
        payer_type = PayerType(payer.kind.value)
        setup.register_payer(PayerDetails(
            payer_id=payer.payer_id, name=payer.name, payer_type=payer_type,
            claim_filing_indicator=DEFAULT_FILING_INDICATOR[payer_type],
            x12_payer_id=payer.x12_payer_id, timely_filing_months=payer.timely_filing_months,
            timely_filing_days=payer.timely_filing_days,
        ))
