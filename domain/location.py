"""A Location: one branch of the supplier (the Company, `domain.company`), enrolled on its own.

Each location bills as itself: the 837P billing provider (loop 2010AA: name, NPI, address, tax
id) of a claim is its order's location, and its PTAN (for a DMEPOS supplier, the NSC number of
that location) is what Medicare enrolled. Its time zone decides "today" for the claims of its
orders (billing runs, aging, timely filing): a supplier with branches in Chicago and Denver has
two calendars.

Decisions a newcomer may question:
- The id is a random UUID; the location's name is for people and may change. Locations never
  merge or move between tenants.
- A closed location keeps its history and its claims (they still bill as it); it only takes
  no new orders and no more changes (`a_closed_location_takes_no_changes`).
- Addresses are the patient module's `Address` value, checked the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

from eventsourcing.domain import event

from domain.base import AriesAggregate, pin_topics
from domain.npi import valid_npi
from domain.patient_rules import checked_address
from domain.patient_values import Address
from domain.rules import calendar_date, present_text, rule
from domain.supplier_values import (
    Contact,
    checked_contact,
    checked_ptan,
    checked_tax_id,
    checked_time_zone,
)


@dataclass(frozen=True)
class LocationDetails:
    """Everything a location is known by; corrected whole (the API merges partial changes)."""

    name: str
    npi: str
    ptan: str
    tax_id: str
    address: Address
    contact: Contact
    time_zone: str


def checked_details(details: LocationDetails) -> LocationDetails:
    """The details normalised, or InvalidValue (NPI Luhn check, nine-digit tax id, PTAN,
    USPS address, ten-digit phone, IANA time zone)."""
    return LocationDetails(
        name=present_text(details.name, "location name"),
        npi=valid_npi(details.npi),
        ptan=checked_ptan(details.ptan),
        tax_id=checked_tax_id(details.tax_id),
        address=checked_address(details.address),
        contact=checked_contact(details.contact),
        time_zone=checked_time_zone(details.time_zone),
    )


@rule()
def a_closed_location_takes_no_changes(closed_on: date | None) -> str | None:
    """A closed branch is history: its claims still bill as it was, but nothing about it
    changes and no order is placed at it."""
    return None if closed_on is None else f"the location was closed on {closed_on}"


class Location(AriesAggregate):
    """Create with `Location.open(...)`."""

    @classmethod
    def open(cls, details: LocationDetails, location_id: UUID | None = None) -> Location:
        return cls._create(
            cls.Opened,  # type: ignore[attr-defined]
            id=location_id or uuid4(),
            details=checked_details(details),
        )

    @event("Opened")
    def __init__(self, details: LocationDetails) -> None:
        self.details = details
        self.closed_on: date | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    def correct_details(self, details: LocationDetails) -> bool:
        """Record corrected details; returns whether anything changed (same details: nothing
        is recorded, so a retried request is harmless)."""
        a_closed_location_takes_no_changes(self.closed_on)
        checked = checked_details(details)
        if checked == self.details:
            return False
        self._details_corrected(checked)
        return True

    @event("DetailsCorrected")
    def _details_corrected(self, details: LocationDetails) -> None:
        self.details = details

    def close(self, on: date) -> None:
        a_closed_location_takes_no_changes(self.closed_on)
        self._closed(calendar_date(on, "closed_on"))

    @event("Closed")
    def _closed(self, on: date) -> None:
        self.closed_on = on

    def accepts_orders(self) -> None:
        """Refuses (rule `a_closed_location_takes_no_changes`) when closed."""
        a_closed_location_takes_no_changes(self.closed_on)


pin_topics(Location, "aries.location")

AGGREGATES: tuple[type, ...] = (Location,)
VALUE_TYPES: tuple[type, ...] = (LocationDetails,)
