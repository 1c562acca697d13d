"""A serialised asset: one unit of a serialised item (a bed, a concentrator, a CPAP), known by its
serial number, through its life: received into stock at a location -> delivered to a patient
(rented, or sold) -> picked up -> cleaning or maintenance -> back in stock; or retired.

The proof of delivery records the serial of each serialised unit (DOMAIN.md, "Order lifecycle",
step 5); the order's delivery takes a serial that is in stock at the order's location, and the
pickup brings it back (application/inventory.py does both in the order's own transaction).

Decisions a newcomer may question (docs/decisions/019-inventory-and-serials.md):
- The id is a uuid5 of (tenant, serial number upper-cased): a delivery finds the unit from the
  serial on its proof of delivery, without a read model. A serial number is the manufacturer's,
  not PHI; the patient is named only in event attributes, never in an id or a stream name.
- One serial names one asset per tenant (`serial_number_is_new_to_the_tenant`). Two makers'
  units with the same serial are told apart by prefixing the maker's code when receiving.
- Only an asset in stock can be delivered, so it is never with two patients at once: the
  patient is set on delivery and cleared on pickup, and optimistic concurrency on the asset
  refuses a second delivery racing the first.
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.base import AriesAggregate, pin_topics
from domain.inventory import transfer_goes_to_another_location
from domain.rules import calendar_date, present_text, rule

ASSET_NAMESPACE = UUID("8a4c2e71-6f3b-5d09-b1e8-4c7a2d9f0e35")  # fixed forever: ids use it

SERVICES = ("cleaning", "maintenance")


def serial_key(serial: str) -> str:
    return serial.strip().upper()


def serialised_asset_id(tenant_id: str, serial: str) -> UUID:
    return uuid5(ASSET_NAMESPACE, f"{tenant_id}:{serial_key(serial)}")


class AssetStatus(Enum):
    IN_STOCK = "in_stock"
    RENTED = "rented"
    SOLD = "sold"
    PICKED_UP = "picked_up"
    IN_SERVICE = "in_service"
    RETIRED = "retired"


WITH_A_PATIENT = frozenset({AssetStatus.RENTED})
RETIRABLE = frozenset({AssetStatus.IN_STOCK, AssetStatus.PICKED_UP, AssetStatus.IN_SERVICE})


@rule()
def serial_was_received_into_stock(serial: str, known: bool) -> str | None:
    """A delivery names units the supplier received (inventory), not numbers made up at the
    door."""
    return None if known else f"serial {serial} was never received into stock"


@rule()
def serial_number_is_new_to_the_tenant(serial: str, known: bool) -> str | None:
    return f"serial {serial} was received already" if known else None


@rule()
def serial_is_in_stock_to_leave_the_shelf(serial: str, status: AssetStatus) -> str | None:
    """Only a unit on the shelf is delivered or transferred: one with a patient, in cleaning or
    retired is not available (and a unit is so never with two patients)."""
    if status is not AssetStatus.IN_STOCK:
        return f"serial {serial} is {status.value.replace('_', ' ')}, not in stock"
    return None


@rule()
def serial_is_delivered_from_its_location(
    serial: str, at: UUID | None, delivering_location: UUID
) -> str | None:
    if at != delivering_location:
        return f"serial {serial} is not in stock at the delivering location"
    return None


@rule()
def serial_is_the_item_delivered(serial: str, hcpcs: str, line_hcpcs: str) -> str | None:
    if hcpcs != line_hcpcs.strip().upper():
        return f"serial {serial} is a {hcpcs}, not a {line_hcpcs}"
    return None


@rule()
def serial_is_picked_up_from_the_order_that_rented_it(
    serial: str, status: AssetStatus, rented_on_order: UUID | None, order_id: UUID
) -> str | None:
    if status is not AssetStatus.RENTED or rented_on_order != order_id:
        return f"serial {serial} is not rented on this order"
    return None


@rule()
def serial_is_picked_up_before_service(serial: str, status: AssetStatus) -> str | None:
    """Cleaning or maintenance follows a pickup (or another service)."""
    if status not in (AssetStatus.PICKED_UP, AssetStatus.IN_SERVICE):
        return f"serial {serial} is {status.value.replace('_', ' ')}: pick it up first"
    return None


@rule()
def serial_is_serviced_before_restocking(serial: str, status: AssetStatus) -> str | None:
    """A unit that came back from a patient is cleaned (infection control) before it is
    stocked again."""
    if status is not AssetStatus.IN_SERVICE:
        return f"serial {serial} goes back in stock only after cleaning or maintenance"
    return None


@rule()
def service_is_cleaning_or_maintenance(service: str) -> str | None:
    return None if service in SERVICES else f"{service!r} is not one of {', '.join(SERVICES)}"


@rule()
def only_a_rented_serial_is_sold_to_its_patient(serial: str, status: AssetStatus) -> str | None:
    """Ownership passes on a rented unit (a capped rental's last month)."""
    return None if status is AssetStatus.RENTED else f"serial {serial} is not rented"


@rule()
def serial_is_retired_from_stock_or_service(serial: str, status: AssetStatus) -> str | None:
    """A unit with a patient is picked up first; a sold or retired one is gone already."""
    if status not in RETIRABLE:
        return f"serial {serial} is {status.value.replace('_', ' ')}: it cannot be retired"
    return None


class SerialisedAsset(AriesAggregate):
    """Create with `SerialisedAsset.receive(...)`."""

    @classmethod
    def receive(
        cls,
        *,
        tenant_id: str,
        serial: str,
        item_id: UUID,
        hcpcs: str,
        location_id: UUID,
        purchase_order: str,
        lot: str | None,
        received_on: date,
    ) -> SerialisedAsset:
        number = present_text(serial, "serial")
        return cls._create(
            cls.Received,  # type: ignore[attr-defined]
            id=serialised_asset_id(tenant_id, number),
            serial=number,
            item_id=item_id,
            hcpcs=present_text(hcpcs, "hcpcs").upper(),
            location_id=location_id,
            purchase_order=present_text(purchase_order, "purchase_order"),
            lot=present_text(lot, "lot") if lot is not None else None,
            received_on=calendar_date(received_on, "received_on"),
        )

    @event("Received")
    def __init__(
        self,
        serial: str,
        item_id: UUID,
        hcpcs: str,
        location_id: UUID,
        purchase_order: str,
        lot: str | None,
        received_on: date,
    ) -> None:
        self.serial = serial
        self.item_id = item_id
        self.hcpcs = hcpcs
        self.location_id: UUID | None = location_id  # None while away from every location
        self.home_location_id = location_id  # the location it last left
        self.status = AssetStatus.IN_STOCK
        self.order_id: UUID | None = None
        self.patient_id: UUID | None = None

    # -- out to a patient and back ---------------------------------------------------------------

    def deliver(
        self,
        *,
        order_id: UUID,
        line_id: UUID,
        patient_id: UUID,
        line_hcpcs: str,
        location_id: UUID,
        rented: bool,
        delivered_on: date,
    ) -> None:
        serial_is_in_stock_to_leave_the_shelf(self.serial, self.status)
        serial_is_delivered_from_its_location(self.serial, self.location_id, location_id)
        serial_is_the_item_delivered(self.serial, self.hcpcs, line_hcpcs)
        self._delivered(
            order_id, line_id, patient_id, location_id, bool(rented),
            calendar_date(delivered_on, "delivered_on"),
        )

    @event("Delivered")
    def _delivered(
        self,
        order_id: UUID,
        line_id: UUID,
        patient_id: UUID,
        location_id: UUID,
        rented: bool,
        delivered_on: date,
    ) -> None:
        self.status = AssetStatus.RENTED if rented else AssetStatus.SOLD
        self.location_id = None
        self.home_location_id = location_id
        self.order_id = order_id
        self.patient_id = patient_id if rented else None

    def pick_up(self, order_id: UUID, picked_up_on: date) -> None:
        serial_is_picked_up_from_the_order_that_rented_it(
            self.serial, self.status, self.order_id, order_id
        )
        self._picked_up(order_id, calendar_date(picked_up_on, "picked_up_on"))

    @event("PickedUp")
    def _picked_up(self, order_id: UUID, picked_up_on: date) -> None:
        self.status = AssetStatus.PICKED_UP
        self.patient_id = None

    def sell_to_patient(self, on: date) -> None:
        """The rented unit now belongs to the patient (a capped rental's ownership transfer)."""
        only_a_rented_serial_is_sold_to_its_patient(self.serial, self.status)
        self._sold(calendar_date(on, "on"))

    @event("Sold")
    def _sold(self, on: date) -> None:
        self.status = AssetStatus.SOLD
        self.patient_id = None

    # -- service, stock and retirement ----------------------------------------------------------

    def send_for_service(self, service: str, note: str | None, on: date) -> None:
        serial_is_picked_up_before_service(self.serial, self.status)
        service_is_cleaning_or_maintenance(service)
        text = present_text(note, "note") if note is not None else None
        self._sent_for_service(service, text, calendar_date(on, "on"))

    @event("SentForService")
    def _sent_for_service(self, service: str, note: str | None, on: date) -> None:
        self.status = AssetStatus.IN_SERVICE

    def return_to_stock(self, location_id: UUID, on: date) -> None:
        serial_is_serviced_before_restocking(self.serial, self.status)
        self._returned_to_stock(location_id, calendar_date(on, "on"))

    @event("ReturnedToStock")
    def _returned_to_stock(self, location_id: UUID, on: date) -> None:
        self.status = AssetStatus.IN_STOCK
        self.location_id = location_id
        self.home_location_id = location_id
        self.order_id = None

    def transfer(self, to_location_id: UUID, transfer_id: UUID, on: date) -> UUID:
        """Moved, on the shelf, to another location; returns the location it left."""
        serial_is_in_stock_to_leave_the_shelf(self.serial, self.status)
        assert self.location_id is not None
        transfer_goes_to_another_location(self.location_id, to_location_id)
        left = self.location_id
        self._transferred(left, to_location_id, transfer_id, calendar_date(on, "on"))
        return left

    @event("Transferred")
    def _transferred(
        self, from_location_id: UUID, to_location_id: UUID, transfer_id: UUID, on: date
    ) -> None:
        self.location_id = to_location_id
        self.home_location_id = to_location_id

    def retire(self, reason: str, on: date) -> bool:
        """Out of service for good (worn out, lost, recalled); returns whether it left stock."""
        serial_is_retired_from_stock_or_service(self.serial, self.status)
        was_in_stock = self.status is AssetStatus.IN_STOCK
        self._retired(present_text(reason, "the retirement reason"), calendar_date(on, "on"))
        return was_in_stock

    @event("Retired")
    def _retired(self, reason: str, on: date) -> None:
        self.status = AssetStatus.RETIRED
        self.location_id = None

    @property
    def with_patient(self) -> bool:
        return self.status in WITH_A_PATIENT


pin_topics(SerialisedAsset, "aries.serialised_asset")

AGGREGATES: tuple[type, ...] = (SerialisedAsset,)
VALUE_TYPES: tuple[type, ...] = ()
