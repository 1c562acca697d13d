"""Bodies and answers of the supplier setup routes: the company, its locations, its payers.

What the edge checks is shape (lengths, one-line text, digits); the domain checks the rest
(NPI Luhn check, IANA time zone, X12 claim filing code) and answers 409 with the rule's name.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.company import CompanyDetails
from domain.location import LocationDetails
from domain.payer import DEFAULT_FILING_INDICATOR, PayerDetails, PayerType
from domain.supplier_values import Contact
from interfaces.http.schemas.patients import AddressIn, AddressView
from interfaces.http.schemas.values import ONE_LINE, ONE_LINE_NOT_BLANK, IsoDate

_NAME = dict(min_length=1, max_length=100, pattern=ONE_LINE_NOT_BLANK)
NPI = Field(..., pattern=r"^\d{10}$", description="10-digit NPI (Luhn-checked)",
            examples=["1234567893"])
TAX_ID = Field(..., pattern=r"^\d{2}-?\d{7}$", description="EIN", examples=["37-1234567"])
TIME_ZONE = Field(..., min_length=1, max_length=64, pattern=ONE_LINE_NOT_BLANK,
                  description="IANA time zone: decides today for billing, aging and timely "
                  "filing", examples=["America/Chicago"])


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContactIn(_Request):
    name: str = Field(..., **_NAME, examples=["Billing Office"])
    phone: str = Field(..., pattern=r"^[\d\s().+-]{10,20}$", examples=["217-555-0100"])
    email: str | None = Field(None, max_length=254, pattern=ONE_LINE,
                              examples=["billing@example.com"])

    def to_domain(self) -> Contact:
        return Contact(self.name, self.phone, self.email)


class ContactView(BaseModel):
    name: str
    phone: str
    email: str | None = None


def _changes(body: BaseModel) -> dict[str, Any]:
    """The fields a PATCH body sets, as domain values (a nested value replaces the whole)."""
    return {
        name: value.to_domain() if hasattr(value, "to_domain") else value
        for name, value in ((name, getattr(body, name)) for name in body.model_fields_set)
    }


def _not_empty(body: Any) -> Any:
    """A PATCH names at least one field, and sets to null only the fields that may be null
    (422 otherwise, before anything is loaded)."""
    if not body.model_fields_set:
        raise ValueError("name at least one field to change")
    for name in body.model_fields_set:
        if getattr(body, name) is None and name not in body.NULLABLE:
            raise ValueError(f"{name} cannot be removed")
    return body


# --- company -------------------------------------------------------------------------------

_COMPANY_EXAMPLE = {
    "legal_name": "Aries Demo Medical Supply LLC",
    "billing_npi": "1234567893",
    "tax_id": "37-1234567",
    "address": {"line1": "100 Main St", "city": "Springfield", "state": "IL",
                "postal_code": "62701"},
    "contact": {"name": "Billing Office", "phone": "2175550100"},
    "time_zone": "America/Chicago",
}


class NewCompany(_Request):
    legal_name: str = Field(..., **_NAME)
    billing_npi: str = NPI
    tax_id: str = TAX_ID
    address: AddressIn
    contact: ContactIn
    time_zone: str = TIME_ZONE

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_COMPANY_EXAMPLE]})

    def to_domain(self) -> CompanyDetails:
        return CompanyDetails(self.legal_name, self.billing_npi, self.tax_id,
                              self.address.to_domain(), self.contact.to_domain(), self.time_zone)


class CompanyCorrection(_Request):
    NULLABLE: ClassVar[frozenset[str]] = frozenset()
    legal_name: str | None = Field(None, **_NAME)
    billing_npi: str | None = Field(None, pattern=r"^\d{10}$")
    tax_id: str | None = Field(None, pattern=r"^\d{2}-?\d{7}$")
    address: AddressIn | None = None
    contact: ContactIn | None = None
    time_zone: str | None = Field(None, min_length=1, max_length=64, pattern=ONE_LINE_NOT_BLANK)

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"legal_name": "Aries Medical LLC"}]}
    )

    _check = model_validator(mode="after")(_not_empty)

    def changes(self) -> dict[str, Any]:
        return _changes(self)


class CompanyView(BaseModel):
    company_id: UUID
    legal_name: str
    billing_npi: str
    tax_id: str
    address: AddressView
    contact: ContactView
    time_zone: str
    version: int

    @classmethod
    def of_row(cls, row: Any) -> CompanyView:
        return cls(company_id=row.company_id, legal_name=row.legal_name,
                   billing_npi=row.billing_npi, tax_id=row.tax_id, address=_address(row),
                   contact=_contact(row), time_zone=row.time_zone, version=row.version)


def _address(row: Any) -> AddressView:
    return AddressView(line1=row.address_line1, line2=row.address_line2, city=row.city,
                       state=row.state, postal_code=row.postal_code)


def _contact(row: Any) -> ContactView:
    return ContactView(name=row.contact_name, phone=row.contact_phone, email=row.contact_email)


# --- locations -----------------------------------------------------------------------------

_LOCATION_EXAMPLE = {
    "name": "Denver",
    "npi": "1245319599",
    "ptan": "1234560002",
    "tax_id": "37-1234567",
    "address": {"line1": "2200 Blake St", "city": "Denver", "state": "CO",
                "postal_code": "80205"},
    "contact": {"name": "Denver Billing", "phone": "3035550100"},
    "time_zone": "America/Denver",
}


class NewLocation(_Request):
    name: str = Field(..., **_NAME)
    npi: str = NPI
    ptan: str = Field(..., pattern=r"^[A-Za-z0-9]{1,10}$", description="Medicare PTAN (NSC)")
    tax_id: str = TAX_ID
    address: AddressIn
    contact: ContactIn
    time_zone: str = TIME_ZONE

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_LOCATION_EXAMPLE]})

    def to_domain(self) -> LocationDetails:
        return LocationDetails(self.name, self.npi, self.ptan, self.tax_id,
                               self.address.to_domain(), self.contact.to_domain(), self.time_zone)


class LocationCorrection(_Request):
    NULLABLE: ClassVar[frozenset[str]] = frozenset()
    name: str | None = Field(None, **_NAME)
    npi: str | None = Field(None, pattern=r"^\d{10}$")
    ptan: str | None = Field(None, pattern=r"^[A-Za-z0-9]{1,10}$")
    tax_id: str | None = Field(None, pattern=r"^\d{2}-?\d{7}$")
    address: AddressIn | None = None
    contact: ContactIn | None = None
    time_zone: str | None = Field(None, min_length=1, max_length=64, pattern=ONE_LINE_NOT_BLANK)

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "Denver Downtown"}]}
    )

    _check = model_validator(mode="after")(_not_empty)

    def changes(self) -> dict[str, Any]:
        return _changes(self)


class LocationClosing(_Request):
    closed_on: IsoDate

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"closed_on": "2026-12-31"}]}
    )


class LocationView(BaseModel):
    location_id: UUID
    name: str
    npi: str
    ptan: str
    tax_id: str
    address: AddressView
    contact: ContactView
    time_zone: str
    closed_on: dt.date | None = None
    version: int

    @classmethod
    def of_row(cls, row: Any) -> LocationView:
        return cls(location_id=row.location_id, name=row.name, npi=row.npi, ptan=row.ptan,
                   tax_id=row.tax_id, address=_address(row), contact=_contact(row),
                   time_zone=row.time_zone, closed_on=row.closed_on, version=row.version)


# --- payers --------------------------------------------------------------------------------

PayerTypeIn = Literal["medicare", "medicaid", "commercial"]

_PAYER_EXAMPLE = {
    "payer_id": "COM-AETNA",
    "name": "Aetna",
    "payer_type": "commercial",
    "claim_filing_indicator": "CI",
    "x12_payer_id": "60054",
    "timely_filing_days": 180,
}


class NewPayer(_Request):
    payer_id: str = Field(..., min_length=1, max_length=30, pattern=r"^[A-Za-z0-9_.-]+$",
                          description="your key for the payer; coverages name it")
    name: str = Field(..., **_NAME)
    payer_type: PayerTypeIn
    claim_filing_indicator: str | None = Field(
        None, pattern=r"^[A-Z0-9]{2}$",
        description="837P SBR09 (X12 1032); default MB, MC or CI by payer type",
    )
    x12_payer_id: str = Field(..., min_length=1, max_length=80, pattern=r"^[A-Za-z0-9 .-]+$",
                              description="clearinghouse routing id (2010BB NM109)")
    timely_filing_months: int | None = Field(None, ge=1, le=120)
    timely_filing_days: int | None = Field(None, ge=1, le=3650)
    address: AddressIn | None = None

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_PAYER_EXAMPLE]})

    def to_domain(self) -> PayerDetails:
        payer_type = PayerType(self.payer_type)
        return PayerDetails(
            payer_id=self.payer_id,
            name=self.name,
            payer_type=payer_type,
            claim_filing_indicator=(
                self.claim_filing_indicator or DEFAULT_FILING_INDICATOR[payer_type]
            ),
            x12_payer_id=self.x12_payer_id,
            timely_filing_months=self.timely_filing_months,
            timely_filing_days=self.timely_filing_days,
            address=None if self.address is None else self.address.to_domain(),
        )


class PayerCorrection(_Request):
    NULLABLE: ClassVar[frozenset[str]] = frozenset(
        {"timely_filing_months", "timely_filing_days", "address"}
    )
    name: str | None = Field(None, **_NAME)
    payer_type: PayerTypeIn | None = None
    claim_filing_indicator: str | None = Field(None, pattern=r"^[A-Z0-9]{2}$")
    x12_payer_id: str | None = Field(None, min_length=1, max_length=80,
                                     pattern=r"^[A-Za-z0-9 .-]+$")
    timely_filing_months: int | None = Field(None, ge=1, le=120)
    timely_filing_days: int | None = Field(None, ge=1, le=3650)
    address: AddressIn | None = None

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"timely_filing_days": 90,
                                                         "timely_filing_months": None}]}
    )

    _check = model_validator(mode="after")(_not_empty)

    def changes(self) -> dict[str, Any]:
        """Changed fields; a filing limit may be set to null (the other one takes over)."""
        changes = _changes(self)
        if "payer_type" in changes:
            changes["payer_type"] = PayerType(changes["payer_type"])
        return changes


class PayerView(BaseModel):
    payer_record_id: UUID
    payer_id: str
    name: str
    payer_type: PayerTypeIn
    claim_filing_indicator: str
    x12_payer_id: str
    timely_filing_months: int | None = None
    timely_filing_days: int | None = None
    address: AddressView | None = None
    retired: bool
    version: int

    @classmethod
    def of_row(cls, row: Any) -> PayerView:
        return cls(
            payer_record_id=row.payer_record_id, payer_id=row.payer_id, name=row.name,
            payer_type=row.payer_type, claim_filing_indicator=row.claim_filing_indicator,
            x12_payer_id=row.x12_payer_id, timely_filing_months=row.timely_filing_months,
            timely_filing_days=row.timely_filing_days,
            address=None if row.address_line1 is None else _address(row),
            retired=row.retired, version=row.version,
        )
