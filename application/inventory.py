"""Inventory use cases: stock received, transferred, adjusted and counted per location and item;
serialised units received, delivered on an order, picked up, serviced, restocked, sold and
retired.

Stock lives in the Orders family (`orders_events`): `OrderApplication` is built on this class.
A delivery and the serials it takes out of stock, a pickup and the serials it brings back, a
transfer and both locations' ledgers are each saved in one `save()`: one transaction, both or
neither, without a process manager or compensation (docs/decisions/019-inventory-and-serials.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from application.eventstore import AriesApplication, CommandResult
from domain import stock_moves
from domain.catalogue import item as hcpcs_item
from domain.context import current_context
from domain.errors import NotFound
from domain.inventory import (
    StockLedger,
    a_discontinued_item_is_not_received,
    serialised_stock_moves_with_its_serials,
    stock_ledger_id,
)
from domain.order import Order
from domain.order_values import LineBilling
from domain.serialised_asset import (
    AssetStatus,
    SerialisedAsset,
    serial_number_is_new_to_the_tenant,
    serial_was_received_into_stock,
    serialised_asset_id,
)

if TYPE_CHECKING:
    from application.catalogue import CatalogueApplication
    from application.setup import SetupApplication


@dataclass(frozen=True)
class StockItem:
    """What the ledger needs of a catalogue item."""

    hcpcs: str
    serialised: bool
    active: bool = True


class InventoryUseCases(AriesApplication):
    """The Orders family's inventory commands (OrderApplication adds the orders' own)."""

    # Set by the composition root: stock is of the tenant's catalogue items at its locations.
    # None (unit and domain-level tests): any location id, and the item's HCPCS code given.
    catalogue: CatalogueApplication | None = None
    setup: SetupApplication | None = None

    # -- items and locations ------------------------------------------------------------------

    def stock_item(self, item_id: UUID, hcpcs: str | None) -> StockItem:
        """The item's HCPCS code and whether it is serialised, from the equipment catalogue
        (NotFound: not the tenant's item). Without one, from the HCPCS reference list for the
        code given."""
        if self.catalogue is not None:
            found = self.catalogue.get_item(item_id)
            return StockItem(found.hcpcs, found.serialised, found.active)
        if hcpcs is None:
            raise NotFound("item", item_id)
        known = hcpcs_item(hcpcs)
        return StockItem(known.code, known.serialized)

    def check_location(self, location_id: UUID) -> None:
        """NotFound unless the location is the caller's tenant's."""
        if self.setup is not None:
            self.setup.get_location(location_id)

    # -- loading -----------------------------------------------------------------------------

    def stock_ledger_id(self, location_id: UUID, item_id: UUID) -> UUID:
        return stock_ledger_id(current_context().tenant_id, location_id, item_id)

    def serial_id(self, serial: str) -> UUID:
        return serialised_asset_id(current_context().tenant_id, serial)

    def get_ledger(self, location_id: UUID, item_id: UUID) -> StockLedger:
        tenant = current_context().tenant_id
        return self.load(stock_ledger_id(tenant, location_id, item_id), StockLedger)

    def _ledger(
        self,
        location_id: UUID,
        item_id: UUID,
        *,
        hcpcs: str | None = None,
        open_missing: bool = False,
        expected_version: int | None = None,
        loaded: dict[UUID, StockLedger] | None = None,
    ) -> StockLedger:
        tenant = current_context().tenant_id
        ledger_id = stock_ledger_id(tenant, location_id, item_id)
        if loaded is not None and ledger_id in loaded:
            return loaded[ledger_id]
        try:
            ledger = self.load(ledger_id, StockLedger, expected_version=expected_version)
        except NotFound:
            if not open_missing:
                raise NotFound("stock", f"{item_id} at {location_id}") from None
            self.check_location(location_id)
            item = self.stock_item(item_id, hcpcs)
            ledger = StockLedger.open(
                tenant_id=tenant, location_id=location_id, item_id=item_id,
                hcpcs=item.hcpcs, serialised=item.serialised,
            )
        if loaded is not None:
            loaded[ledger_id] = ledger
        return ledger

    def get_serial(self, serial: str, version: int | None = None) -> SerialisedAsset:
        asset_id = serialised_asset_id(current_context().tenant_id, serial)
        try:
            return self.load(asset_id, SerialisedAsset, version)
        except NotFound:
            raise NotFound("serial", serial) from None

    def _serial(self, serial: str, expected_version: int | None = None) -> SerialisedAsset:
        asset_id = serialised_asset_id(current_context().tenant_id, serial)
        try:
            return self.load(asset_id, SerialisedAsset, expected_version=expected_version)
        except NotFound:
            raise NotFound("serial", serial) from None

    # -- stock -------------------------------------------------------------------------------

    def receive_stock(
        self,
        *,
        location_id: UUID,
        item_id: UUID,
        quantity: int,
        purchase_order: str,
        received_on: date,
        lot: str | None = None,
        serials: Sequence[str] = (),
        hcpcs: str | None = None,
    ) -> CommandResult:
        """Units received at a location against a purchase order (a serialised item: one serial
        per unit, each a new SerialisedAsset). Answers for the ledger."""
        ledger = self._ledger(location_id, item_id, hcpcs=hcpcs, open_missing=True)
        a_discontinued_item_is_not_received(self.stock_item(item_id, ledger.hcpcs).active)
        tenant = current_context().tenant_id
        for serial in serials:
            if isinstance(serial, str) and serial.strip():
                serial_number_is_new_to_the_tenant(
                    serial, self.exists(serialised_asset_id(tenant, serial))
                )
        assets = stock_moves.receive(
            ledger, quantity=quantity, serials=serials, purchase_order=purchase_order, lot=lot,
            received_on=received_on,
        )
        return self.commit(ledger, *assets)

    def transfer_stock(
        self,
        *,
        from_location_id: UUID,
        to_location_id: UUID,
        item_id: UUID,
        on: date,
        quantity: int | None = None,
        serials: Sequence[str] = (),
    ) -> CommandResult:
        """Bulk units (`quantity`) or named serialised units (`serials`) from one location to
        another, both ledgers in one transaction. Answers for the source ledger."""
        loaded: dict[UUID, StockLedger] = {}
        source = self._ledger(from_location_id, item_id, loaded=loaded)
        target = self._ledger(
            to_location_id, item_id, hcpcs=source.hcpcs, open_missing=True, loaded=loaded
        )
        transfer_id = uuid4()
        assets = []
        if source.serialised:
            serialised_stock_moves_with_its_serials(not serials)
            stock_moves.serialised_receipt_names_each_serial_once(list(serials))
            for serial in serials:
                asset = self._serial(serial)
                stock_moves.transfer_serial(asset, source, target, transfer_id, on)
                assets.append(asset)
        else:
            stock_moves.serialised_receipt_names_one_serial_per_unit(False, 0, serials)
            stock_moves.transfer(source, target, quantity or 0, transfer_id, on)
        return self.commit(source, target, *assets)

    def adjust_stock(
        self,
        *,
        location_id: UUID,
        item_id: UUID,
        delta: int,
        reason: str,
        on: date,
        expected_version: int | None = None,
    ) -> CommandResult:
        ledger = self._ledger(location_id, item_id, expected_version=expected_version)
        ledger.adjust(delta, reason, on)
        return self.commit(ledger)

    def count_stock(
        self,
        *,
        location_id: UUID,
        item_id: UUID,
        counted: int,
        counted_on: date,
        expected_version: int | None = None,
    ) -> tuple[int, CommandResult]:
        """A physical count; answers the difference it recorded (counted - on hand)."""
        ledger = self._ledger(location_id, item_id, expected_version=expected_version)
        difference = ledger.count(counted, counted_on)
        return difference, self.commit(ledger)

    def set_reorder_point(
        self,
        *,
        location_id: UUID,
        item_id: UUID,
        point: int | None,
        hcpcs: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        ledger = self._ledger(
            location_id, item_id, hcpcs=hcpcs, open_missing=expected_version is None,
            expected_version=expected_version,
        )
        ledger.set_reorder_point(point)
        return self.commit(ledger)

    # -- serialised units off the shelf -----------------------------------------------------

    def service_serial(
        self,
        serial: str,
        *,
        service: str,
        on: date,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        asset = self._serial(serial, expected_version)
        asset.send_for_service(service, note, on)
        return self.commit(asset)

    def restock_serial(
        self,
        serial: str,
        *,
        location_id: UUID,
        on: date,
        expected_version: int | None = None,
    ) -> CommandResult:
        asset = self._serial(serial, expected_version)
        ledger = self._ledger(location_id, asset.item_id, hcpcs=asset.hcpcs, open_missing=True)
        stock_moves.restock_serial(asset, ledger, on)
        return self.commit(asset, ledger)

    def sell_serial(
        self, serial: str, *, on: date, expected_version: int | None = None
    ) -> CommandResult:
        asset = self._serial(serial, expected_version)
        asset.sell_to_patient(on)
        return self.commit(asset)

    def retire_serial(
        self, serial: str, *, reason: str, on: date, expected_version: int | None = None
    ) -> CommandResult:
        asset = self._serial(serial, expected_version)
        ledger = None
        if asset.status is AssetStatus.IN_STOCK and asset.location_id is not None:
            ledger = self._ledger(asset.location_id, asset.item_id)
        stock_moves.retire_serial(asset, ledger, reason, on)
        return self.commit(asset, *([ledger] if ledger else []))

    # -- with an order's delivery and pickup ------------------------------------------------

    def serials_out_for_delivery(self, order: Order, location_id: UUID) -> list[object]:
        """The assets and ledgers a just-delivered order's serials change (to save with it):
        each serial must be in stock at `location_id` and be the line's item."""
        assert order.pod is not None and order.delivered_on is not None
        tenant = current_context().tenant_id
        loaded: dict[UUID, StockLedger] = {}
        assets = []
        lines = {line.line_id: line for line in order.lines}
        for line_serial in order.pod.serial_numbers:
            asset_id = serialised_asset_id(tenant, line_serial.serial)
            serial_was_received_into_stock(line_serial.serial, self.exists(asset_id))
            asset = self._serial(line_serial.serial)
            line = lines[line_serial.line_id]
            ledger = self._ledger(location_id, asset.item_id, hcpcs=asset.hcpcs,
                                  open_missing=True, loaded=loaded)
            stock_moves.deliver_serial(
                asset, ledger, order_id=order.id, line_id=line.line_id,
                patient_id=order.patient_id, line_hcpcs=line.hcpcs,
                rented=line.billing is LineBilling.RENTAL, delivered_on=order.delivered_on,
            )
            assets.append(asset)
        return [*assets, *loaded.values()]

    def bulk_out_for_delivery(self, order: Order, location_id: UUID) -> list[StockLedger]:
        """The ledgers a just-delivered order's bulk lines draw (to save with it): each line
        with no serial on the proof of delivery whose code is a non-serialised item of the
        tenant's catalogue takes its quantity from that item's stock at `location_id`, the
        first such item (catalogue order) with enough on hand. None has enough: refused
        (`delivery_is_in_stock_at_the_location`, 409), so nothing is recorded. A code the
        catalogue has no bulk item for is not stocked and draws nothing."""
        assert order.pod is not None and order.delivered_on is not None
        with_serials = {s.line_id for s in order.pod.serial_numbers}
        loaded: dict[UUID, StockLedger] = {}
        for line in order.lines:
            if line.line_id in with_serials:
                continue
            ledgers = self._bulk_ledgers(line.hcpcs, location_id, loaded)
            if not ledgers:
                continue
            ledger = next((lg for lg in ledgers if lg.on_hand >= line.quantity), ledgers[0])
            ledger.issue_to_order(order.id, line.line_id, line.quantity, order.delivered_on)
        return list(loaded.values())

    def bulk_back_from_pickup(self, order: Order) -> list[StockLedger]:
        """The ledgers the order's rented bulk units return to with its pickup (a purchase
        stays with the patient); each unit goes back to the ledger it was issued from."""
        assert order.picked_up_on is not None
        if order.location_id is None:
            return []
        loaded: dict[UUID, StockLedger] = {}
        back: dict[UUID, StockLedger] = {}
        for line in order.lines:
            if line.billing is not LineBilling.RENTAL:
                continue
            for ledger in self._bulk_ledgers(line.hcpcs, order.location_id, loaded):
                if ledger.return_from_order(order.id, line.line_id, order.picked_up_on):
                    back[ledger.id] = ledger
        return list(back.values())

    def _bulk_ledgers(
        self, hcpcs: str, location_id: UUID, loaded: dict[UUID, StockLedger]
    ) -> list[StockLedger]:
        """The ledgers at `location_id` of the tenant's non-serialised items under `hcpcs`, in
        catalogue order; an item never stocked there gets a new, empty ledger."""
        if self.catalogue is None:
            return []  # no catalogue (unit tests): nothing names the item to draw
        items = [
            item for item in self.catalogue.items_for(hcpcs, current_context().tenant_id)
            if not item.serialised
        ]
        return [
            self._ledger(location_id, item.id, hcpcs=item.hcpcs, open_missing=True,
                         loaded=loaded)
            for item in items
        ]

    def serials_back_from_pickup(self, order: Order) -> list[object]:
        """The order's rented serials that inventory tracks, picked up (to save with it)."""
        assert order.picked_up_on is not None
        if order.pod is None:
            return []
        tenant = current_context().tenant_id
        assets = []
        for line_serial in order.pod.serial_numbers:
            if not self.exists(serialised_asset_id(tenant, line_serial.serial)):
                continue  # delivered before inventory tracked it
            asset = self._serial(line_serial.serial)
            if asset.status is AssetStatus.RENTED and asset.order_id == order.id:
                asset.pick_up(order.id, order.picked_up_on)
                assets.append(asset)
        return assets
