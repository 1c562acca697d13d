"""Read-model tables of the supplier's setup (schema `read`): companies, locations, payers.

Defined on `projections.tables.metadata` (imported at the end of that module, so Alembic and
the rebuild see them); created by migration 0019_companies_locations_payers.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)

from projections.tables import metadata

_TS = DateTime(timezone=True)


def _address(what: str) -> list[Column]:
    return [
        Column("address_line1", Text, nullable=False, comment=f"{what} street, line 1."),
        Column("address_line2", Text, nullable=True, comment=f"{what} street, line 2."),
        Column("city", Text, nullable=False, comment=f"{what} city."),
        Column("state", Text, nullable=False, comment="USPS state code."),
        Column("postal_code", Text, nullable=False, comment="ZIP or ZIP+4, bare digits."),
    ]


def _contact() -> list[Column]:
    return [
        Column("contact_name", Text, nullable=False, comment="Who payers call (837P PER)."),
        Column("contact_phone", Text, nullable=False, comment="Ten bare digits."),
        Column("contact_email", Text, nullable=True, comment="E-mail address, if given."),
    ]


def _versioned() -> list[Column]:
    return [
        Column("updated_at", _TS, nullable=False, comment="Timestamp of the latest event (UTC)."),
        Column("version", BigInteger, nullable=False, comment="Aggregate version after its "
               "latest event (the API's ETag)."),
    ]


companies = Table(
    "companies",
    metadata,
    Column("company_id", Uuid, nullable=False, comment="The company (aggregate id, a uuid5 of "
           "the tenant id)."),
    Column("tenant_id", Text, nullable=False, comment="The tenant the company is."),
    Column("legal_name", Text, nullable=False, comment="Legal name of the supplier."),
    Column("billing_npi", Text, nullable=False, comment="Organisation NPI (type 2)."),
    Column("tax_id", Text, nullable=False, comment="EIN, nine bare digits."),
    *_address("Head office"),
    *_contact(),
    Column("time_zone", Text, nullable=False, comment="IANA time zone of head office: the "
           "tenant's calendar where no location decides."),
    Column("registered_at", _TS, nullable=False, comment="When it was registered (UTC)."),
    *_versioned(),
    PrimaryKeyConstraint("company_id"),
    UniqueConstraint("tenant_id"),
    comment="The supplier of each tenant (one company per tenant).",
)

locations = Table(
    "locations",
    metadata,
    Column("location_id", Uuid, nullable=False, comment="The location (aggregate id)."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that owns the location."),
    Column("name", Text, nullable=False, comment="Branch name, for people."),
    Column("npi", Text, nullable=False, comment="The branch's NPI: the 837P billing provider "
           "(2010AA NM109) of its orders' claims."),
    Column("ptan", Text, nullable=False, comment="Medicare PTAN (NSC number) of the branch."),
    Column("tax_id", Text, nullable=False, comment="EIN the branch bills under (2010AA REF*EI)."),
    *_address("Branch"),
    *_contact(),
    Column("time_zone", Text, nullable=False, comment="IANA time zone: the branch's today for "
           "billing, aging and timely filing."),
    Column("closed_on", Date, nullable=True, comment="Date closed; null while open."),
    Column("opened_at", _TS, nullable=False, comment="When it was recorded (UTC)."),
    *_versioned(),
    PrimaryKeyConstraint("location_id"),
    Index(None, "tenant_id", "name"),
    comment="The supplier's branches, each enrolled and billing on its own.",
)

payers = Table(
    "payers",
    metadata,
    Column("payer_record_id", Uuid, nullable=False, comment="The payer record (aggregate id, "
           "a uuid5 of tenant and payer id)."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that maintains the payer."),
    Column("payer_id", Text, nullable=False, comment="The tenant's payer id (MCR-DMEB), the "
           "one coverages name."),
    Column("name", Text, nullable=False, comment="Payer name."),
    Column("payer_type", Text, nullable=False, comment="medicare, medicaid or commercial."),
    Column("claim_filing_indicator", Text, nullable=False, comment="837P SBR09 (X12 1032: MB, "
           "MC, CI...)."),
    Column("x12_payer_id", Text, nullable=False, comment="Clearinghouse routing id "
           "(2010BB NM109)."),
    Column("timely_filing_months", Integer, nullable=True, comment="Filing limit in months "
           "from the date of service, or null."),
    Column("timely_filing_days", Integer, nullable=True, comment="Filing limit in days from "
           "the date of service, or null."),
    Column("address_line1", Text, nullable=True, comment="Claims address, line 1."),
    Column("address_line2", Text, nullable=True, comment="Claims address, line 2."),
    Column("city", Text, nullable=True, comment="Claims address city."),
    Column("state", Text, nullable=True, comment="USPS state code."),
    Column("postal_code", Text, nullable=True, comment="ZIP or ZIP+4, bare digits."),
    Column("retired", Boolean, nullable=False, comment="True once retired (no new coverage)."),
    *_versioned(),
    PrimaryKeyConstraint("payer_record_id"),
    UniqueConstraint("tenant_id", "payer_id"),
    comment="Payers each tenant bills, maintained over the API.",
)
