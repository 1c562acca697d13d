"""`setup`: the supplier's setup read models (read.companies, read.locations, read.payers),
from the Setup application's events. Every event moves its row's version and updated_at, so
the version read there is the aggregate's (the ETag a client sends back as If-Match)."""

from __future__ import annotations

from typing import Any

from domain.company import Company
from domain.location import Location
from domain.payer import Payer
from projections.base import Projection, handles
from projections.folding import Rows
from projections.setup_tables import companies, locations, payers

COMPANY = companies.c.company_id
LOCATION = locations.c.location_id
PAYER = payers.c.payer_record_id


_ADDRESS_FIELDS = ("line1", "line2", "city", "state", "postal_code")
_ADDRESS_COLUMNS = ("address_line1", "address_line2", "city", "state", "postal_code")


def _address(address: Any) -> dict[str, Any]:
    pairs = zip(_ADDRESS_COLUMNS, _ADDRESS_FIELDS, strict=True)
    return {column: None if address is None else getattr(address, name) for column, name in pairs}


def _contact(contact: Any) -> dict[str, Any]:
    return {
        "contact_name": contact.name,
        "contact_phone": contact.phone,
        "contact_email": contact.email,
    }


def _company(details: Any) -> dict[str, Any]:
    return {
        "legal_name": details.legal_name,
        "billing_npi": details.billing_npi,
        "tax_id": details.tax_id,
        **_address(details.address),
        **_contact(details.contact),
        "time_zone": details.time_zone,
    }


def _location(details: Any) -> dict[str, Any]:
    return {
        "name": details.name,
        "npi": details.npi,
        "ptan": details.ptan,
        "tax_id": details.tax_id,
        **_address(details.address),
        **_contact(details.contact),
        "time_zone": details.time_zone,
    }


def _payer(details: Any) -> dict[str, Any]:
    return {
        "payer_id": details.payer_id,
        "name": details.name,
        "payer_type": details.payer_type.value,
        "claim_filing_indicator": details.claim_filing_indicator,
        "x12_payer_id": details.x12_payer_id,
        "timely_filing_months": details.timely_filing_months,
        "timely_filing_days": details.timely_filing_days,
        **_address(details.address),
    }


def _new(event: Any) -> dict[str, Any]:
    return {
        "tenant_id": event.tenant_id,
        "updated_at": event.timestamp,
        "version": event.originator_version,
    }


class SetupProjection(Projection):
    name = "setup"
    upstreams = ("setup",)
    tables = (companies, locations, payers)

    @handles(Company.Registered)  # type: ignore[attr-defined]
    def company_registered(self, rows: Rows, event: Any) -> None:
        rows[companies].add(
            {"company_id": event.originator_id, **_new(event), **_company(event.details),
             "registered_at": event.timestamp}
        )

    @handles(Company.DetailsCorrected, reads=COMPANY)  # type: ignore[attr-defined]
    def company_corrected(self, rows: Rows, event: Any) -> None:
        rows[companies].touch(event, **_company(event.details))

    @handles(Location.Opened)  # type: ignore[attr-defined]
    def location_opened(self, rows: Rows, event: Any) -> None:
        rows[locations].add(
            {"location_id": event.originator_id, **_new(event), **_location(event.details),
             "closed_on": None, "opened_at": event.timestamp}
        )

    @handles(Location.DetailsCorrected, reads=LOCATION)  # type: ignore[attr-defined]
    def location_corrected(self, rows: Rows, event: Any) -> None:
        rows[locations].touch(event, **_location(event.details))

    @handles(Location.Closed, reads=LOCATION)  # type: ignore[attr-defined]
    def location_closed(self, rows: Rows, event: Any) -> None:
        rows[locations].touch(event, closed_on=event.on)

    @handles(Payer.Registered)  # type: ignore[attr-defined]
    def payer_registered(self, rows: Rows, event: Any) -> None:
        rows[payers].add(
            {"payer_record_id": event.originator_id, **_new(event), **_payer(event.details),
             "retired": False}
        )

    @handles(Payer.DetailsCorrected, reads=PAYER)  # type: ignore[attr-defined]
    def payer_corrected(self, rows: Rows, event: Any) -> None:
        rows[payers].touch(event, **_payer(event.details))

    @handles(Payer.Retired, reads=PAYER)  # type: ignore[attr-defined]
    def payer_retired(self, rows: Rows, event: Any) -> None:
        rows[payers].touch(event, retired=True)
