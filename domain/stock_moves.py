"""Moves that change a stock ledger and serialised assets together: a serialised item's ledger
holds exactly the units whose assets are in stock at its location, because every move of such a
unit changes both in the same call (and the application saves both in one transaction).

Each function decides every rule before it changes anything, so a refused move leaves every
aggregate as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from domain.inventory import (
    StockLedger,
    quantity_is_a_positive_whole_number,
    serialised_stock_moves_with_its_serials,
)
from domain.rules import present_text, rule
from domain.serialised_asset import AssetStatus, SerialisedAsset, serial_key


@rule()
def serialised_receipt_names_each_serial_once(serials: Sequence[str]) -> str | None:
    keys = [serial_key(s) for s in serials]
    if len(set(keys)) != len(keys):
        return "a serial number is given twice"
    return None


@rule()
def serialised_receipt_names_one_serial_per_unit(
    serialised: bool, quantity: int, serials: Sequence[str]
) -> str | None:
    """A serialised item is received unit by unit, each with its serial number (the proof of
    delivery will name it); a bulk item is received by quantity, without serials."""
    if serialised and len(serials) != quantity:
        return f"{quantity} unit(s) of a serialised item need {quantity} serial number(s)"
    if not serialised and serials:
        return "serial numbers are recorded only for serialised items"
    return None


@rule()
def serial_is_on_the_item_ledger(asset_item: UUID, ledger_item: UUID) -> str | None:
    return None if asset_item == ledger_item else "the serial is not a unit of the ledger's item"


def receive(
    ledger: StockLedger,
    *,
    quantity: int,
    serials: Sequence[str],
    purchase_order: str,
    lot: str | None,
    received_on: date,
) -> list[SerialisedAsset]:
    """Units received into `ledger`; for a serialised item, one new asset per serial."""
    quantity_is_a_positive_whole_number(quantity)
    numbers = [present_text(s, "serial") for s in serials]
    serialised_receipt_names_one_serial_per_unit(ledger.serialised, quantity, numbers)
    serialised_receipt_names_each_serial_once(numbers)
    assets = [
        SerialisedAsset.receive(
            tenant_id=ledger.tenant_id,
            serial=number,
            item_id=ledger.item_id,
            hcpcs=ledger.hcpcs,
            location_id=ledger.location_id,
            purchase_order=purchase_order,
            lot=lot,
            received_on=received_on,
        )
        for number in numbers
    ]
    ledger.receive(quantity, purchase_order, lot, received_on)
    return assets


def transfer(
    source: StockLedger, target: StockLedger, quantity: int, transfer_id: UUID, on: date
) -> None:
    """Bulk units from one location's ledger to another's (serialised units: `transfer_serial`)."""
    serialised_stock_moves_with_its_serials(source.serialised)
    source.transfer_out(quantity, target.location_id, transfer_id, on)
    target.transfer_in(quantity, source.location_id, transfer_id, on)


def transfer_serial(
    asset: SerialisedAsset,
    source: StockLedger,
    target: StockLedger,
    transfer_id: UUID,
    on: date,
) -> None:
    serial_is_on_the_item_ledger(asset.item_id, source.item_id)
    left = asset.transfer(target.location_id, transfer_id, on)
    assert left == source.location_id
    source.transfer_out(1, target.location_id, transfer_id, on)
    target.transfer_in(1, source.location_id, transfer_id, on)


def deliver_serial(
    asset: SerialisedAsset,
    ledger: StockLedger,
    *,
    order_id: UUID,
    line_id: UUID,
    patient_id: UUID,
    line_hcpcs: str,
    rented: bool,
    delivered_on: date,
) -> None:
    """The unit leaves the order's location (`ledger`'s) for the patient."""
    asset.deliver(
        order_id=order_id,
        line_id=line_id,
        patient_id=patient_id,
        line_hcpcs=line_hcpcs,
        location_id=ledger.location_id,
        rented=rented,
        delivered_on=delivered_on,
    )
    ledger.issue(asset.serial, f"delivered on order {order_id}", delivered_on)


def restock_serial(asset: SerialisedAsset, ledger: StockLedger, on: date) -> None:
    """The cleaned unit is back on the shelf at `ledger`'s location."""
    serial_is_on_the_item_ledger(asset.item_id, ledger.item_id)
    asset.return_to_stock(ledger.location_id, on)
    ledger.restock(asset.serial, on)


def retire_serial(
    asset: SerialisedAsset, ledger: StockLedger | None, reason: str, on: date
) -> None:
    """Retired; a unit taken off the shelf leaves its ledger too (`ledger`: its location's)."""
    in_stock = asset.status is AssetStatus.IN_STOCK
    if in_stock:
        assert ledger is not None and ledger.location_id == asset.location_id
    asset.retire(reason, on)
    if in_stock and ledger is not None:
        ledger.issue(asset.serial, f"retired: {reason.strip()}", on)
