"""Supplier setup use cases: the Company (the tenant), its Locations and its Payers.

They share one event store family, `setup` (`setup_events`): few, small, rarely changing
aggregates that every other family reads (orders name a location, coverages a payer, claims
bill as a location and to a payer). Reads by the other applications load the aggregate
tenant-scoped (`load`), so another tenant's location or payer is NotFound.
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.application import AggregateNotFoundError

from application.eventstore import AriesApplication, CommandResult
from application.ports import Clock
from domain.company import Company, CompanyDetails, a_tenant_is_one_company, company_id
from domain.context import current_context
from domain.errors import NotFound
from domain.location import Location, LocationDetails
from domain.payer import (
    Payer,
    PayerDetails,
    coverage_names_a_payer_of_the_tenant,
    payer_id_is_unique_per_tenant,
    payer_record_id,
)


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
        a_tenant_is_one_company(self.exists(company_id(tenant)))
        return self.commit(Company.register(tenant, details))

    def get_company(
        self, version: int | None = None, *, expected_version: int | None = None
    ) -> Company:
        """The caller's company (NotFound before it is registered)."""
        tenant = current_context().tenant_id
        try:
            return self.load(company_id(tenant), Company, version,
                             expected_version=expected_version)
        except NotFound:
            raise NotFound("company", tenant) from None

    def company_name(self, tenant_id: str) -> str | None:
        """The legal name of `tenant_id`'s company, or None before it is registered."""
        try:
            company = self.repository.get(company_id(tenant_id))
        except AggregateNotFoundError:
            return None
        return company.details.legal_name if isinstance(company, Company) else None

    def correct_company(
        self, changes: dict[str, Any], *, expected_version: int | None = None
    ) -> CommandResult:
        company = self.get_company(expected_version=expected_version)
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
        self, location_id: UUID, on: date, *, expected_version: int | None = None
    ) -> CommandResult:
        location = self._location(location_id, expected_version)
        location.close(on)
        return self.commit(location)

    def _location(self, location_id: UUID, expected_version: int | None) -> Location:
        try:
            return self.load(location_id, Location, expected_version=expected_version)
        except NotFound:
            raise NotFound("location", location_id) from None

    def billing_location(self, location_id: UUID | None) -> UUID | None:
        """The location an order is billed from: `location_id` if it is open (NotFound for
        another tenant's; a closed one is refused), else the tenant's first open location,
        else None (a tenant that has set up no location: the settings' supplier)."""
        if location_id is not None:
            self.get_location(location_id).accepts_orders()
            return location_id
        return self.default_location_id()

    def default_location_id(self) -> UUID | None:
        """The tenant's first open location, in the order they were opened; None if none."""
        for found in self.location_ids():
            if self.get_location(found).is_open:
                return found
        return None

    def location_ids(self, tenant_id: str | None = None) -> list[UUID]:
        """The locations of `tenant_id` (default: the caller's tenant), in the order they
        were opened. Exactly that tenant's: the system context may load any tenant's
        aggregates, but owns no location."""
        tenant = tenant_id or current_context().tenant_id
        return [
            location_id
            for location_id in self.originator_ids(Location.Opened.TOPIC)  # type: ignore[attr-defined]
            if self.repository.get(location_id).tenant_id == tenant
        ]

    def location_of(self, order: Any) -> Location | None:
        """The location `order` bills as: its own, or for an order placed before it had one
        the first location its tenant opened (decision 017); None when the tenant has none
        (it bills as the settings' supplier)."""
        location_id = getattr(order, "location_id", None)
        if location_id is None:
            first = self.location_ids(order.tenant_id)[:1]
            location_id = first[0] if first else None
        if location_id is None:
            return None
        location = self.repository.get(location_id)
        assert isinstance(location, Location)
        return location

    def today_for(self, order: Any, clock: Clock) -> date:
        """"Today" for `order`: the calendar date at its location, in the location's time
        zone (`clock.today()` where it has none)."""
        location = self.location_of(order)
        if location is None:
            return clock.today()
        return clock.now().astimezone(ZoneInfo(location.details.time_zone)).date()

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

    def check_coverage_payer(self, payer_id: str, tenant_id: str | None = None) -> None:
        """A coverage names a payer record of its tenant that is not retired (rules
        `coverage_names_a_payer_of_the_tenant`, `a_retired_payer_takes_no_coverage`). A tenant
        that has registered no payer at all is not held to it yet (decision 017): its claims
        use the packaged payer list, as before payers were records."""
        tenant = tenant_id or current_context().tenant_id
        try:
            payer = self.repository.get(payer_record_id(tenant, payer_id))
        except AggregateNotFoundError:
            coverage_names_a_payer_of_the_tenant(payer_id, self._has_payers(tenant))
            return
        assert isinstance(payer, Payer)
        payer.accepts_coverage()

    def _has_payers(self, tenant_id: str) -> bool:
        return any(
            self.repository.get(record_id).tenant_id == tenant_id
            for record_id in self.originator_ids(Payer.Registered.TOPIC)  # type: ignore[attr-defined]
        )

    def payers_of(self, tenant_id: str) -> list[Payer]:
        """Every payer record of `tenant_id`, retired ones too (they still pay claims), in the
        order they were registered (a scan, as `location_ids`: decision 017)."""
        found = (
            self.repository.get(record_id)
            for record_id in self.originator_ids(Payer.Registered.TOPIC)  # type: ignore[attr-defined]
        )
        return [p for p in found if isinstance(p, Payer) and p.tenant_id == tenant_id]

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
