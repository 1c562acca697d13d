"""Supplier setup use cases: the Company (the tenant), its Locations and its Payers.

They share one event store family, `setup` (`setup_events`): few, small, rarely changing
aggregates that every other family reads (orders name a location, coverages a payer, claims
bill as a location and to a payer). Reads by the other applications load the aggregate
tenant-scoped (`load`), so another tenant's location or payer is NotFound.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from application.eventstore import AriesApplication, CommandResult
from domain.company import Company, CompanyDetails, company_id
from domain.context import current_context
from domain.errors import NotFound, RuleViolated
from domain.location import Location, LocationDetails
from domain.payer import Payer, PayerDetails, payer_id_is_unique_per_tenant, payer_record_id


def merged(current: Any, changes: dict[str, Any]) -> Any:
    """`current` (a details dataclass) with the named fields replaced; unknown names refused."""
    unknown = set(changes) - {f.name for f in fields(current)}
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
    return replace(current, **changes)


class SetupApplication(AriesApplication):
    name = "Setup"
    aggregate_kind = "setup record"

    # --- the company -----------------------------------------------------------------------

    def register_company(self, details: CompanyDetails) -> CommandResult:
        """Register the caller's tenant as a company (refused when it is registered)."""
        tenant = current_context().tenant_id
        if self.exists(company_id(tenant)):
            raise RuleViolated("a_tenant_is_one_company", "the tenant's company is registered")
        return self.commit(Company.register(tenant, details))

    def get_company(self, version: int | None = None) -> Company:
        try:
            return self.load(company_id(current_context().tenant_id), Company, version)
        except NotFound:
            raise NotFound("company", current_context().tenant_id) from None

    def correct_company(
        self, changes: dict[str, Any], *, expected_version: int | None = None
    ) -> CommandResult:
        company = self.load(
            company_id(current_context().tenant_id), Company, expected_version=expected_version
        )
        company.correct_details(merged(company.details, changes))
        return self.commit(company)

    # --- locations -------------------------------------------------------------------------

    def open_location(
        self, details: LocationDetails, location_id: UUID | None = None
    ) -> CommandResult:
        return self.commit(Location.open(details, location_id))

    def get_location(self, location_id: UUID, version: int | None = None) -> Location:
        try:
            return self.load(location_id, Location, version)
        except NotFound:
            raise NotFound("location", location_id) from None

    def correct_location(
        self,
        location_id: UUID,
        changes: dict[str, Any],
        *,
        expected_version: int | None = None,
    ) -> CommandResult:
        location = self._location(location_id, expected_version)
        location.correct_details(merged(location.details, changes))
        return self.commit(location)

    def close_location(
        self, location_id: UUID, on: Any, *, expected_version: int | None = None
    ) -> CommandResult:
        location = self._location(location_id, expected_version)
        location.close(on)
        return self.commit(location)

    def _location(self, location_id: UUID, expected_version: int | None) -> Location:
        try:
            return self.load(location_id, Location, expected_version=expected_version)
        except NotFound:
            raise NotFound("location", location_id) from None

    def location_ids(self) -> list[UUID]:
        """The caller's tenant's locations, in the order they were opened."""
        found = []
        for location_id in self.originator_ids(Location.Opened.TOPIC):  # type: ignore[attr-defined]
            try:
                self.get_location(location_id)
            except NotFound:  # another tenant's
                continue
            found.append(location_id)
        return found

    # --- payers ----------------------------------------------------------------------------

    def register_payer(self, details: PayerDetails) -> CommandResult:
        """Register a payer; a payer id the tenant has already is refused
        (`payer_id_is_unique_per_tenant`), also when two registrations race (same id)."""
        payer = Payer.register(current_context().tenant_id, details)
        payer_id_is_unique_per_tenant(self.exists(payer.id))
        return self.commit(payer)

    def find_payer(self, payer_id: str) -> Payer:
        """The tenant's payer with this payer id (MCR-DMEB), or NotFound."""
        record_id = payer_record_id(current_context().tenant_id, payer_id)
        try:
            payer = self.repository.get(record_id)
        except AggregateNotFoundError:
            raise NotFound("payer", payer_id) from None
        if not isinstance(payer, Payer):
            raise NotFound("payer", payer_id)
        return payer

    def get_payer(self, record_id: UUID, version: int | None = None) -> Payer:
        try:
            return self.load(record_id, Payer, version)
        except NotFound:
            raise NotFound("payer", record_id) from None

    def correct_payer(
        self, record_id: UUID, changes: dict[str, Any], *, expected_version: int | None = None
    ) -> CommandResult:
        payer = self._payer(record_id, expected_version)
        payer.correct_details(merged(payer.details, changes))
        return self.commit(payer)

    def retire_payer(
        self, record_id: UUID, *, expected_version: int | None = None
    ) -> CommandResult:
        payer = self._payer(record_id, expected_version)
        payer.retire()
        return self.commit(payer)

    def _payer(self, record_id: UUID, expected_version: int | None) -> Payer:
        try:
            return self.load(record_id, Payer, expected_version=expected_version)
        except NotFound:
            raise NotFound("payer", record_id) from None
