"""The inventory rules one by one: each refusal names its rule and records nothing."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from domain import stock_moves
from domain.context import bound_context
from domain.errors import InvalidValue, RuleViolated
from domain.inventory import StockLedger, stock_ledger_id
from domain.serialised_asset import AssetStatus, serialised_asset_id

DAY = date(2026, 11, 2)
TENANT = "acme"


@pytest.fixture(autouse=True)
def tenant():
    with bound_context(tenant_id=TENANT):
        yield


def ledger(serialised: bool = False, location=None) -> StockLedger:
    return StockLedger.open(
        tenant_id=TENANT, location_id=location or uuid4(), item_id=uuid4(),
        hcpcs="E0260" if serialised else "E0143", serialised=serialised,
    )


def beds(at: StockLedger, *serials: str):
    return stock_moves.receive(at, quantity=len(serials), serials=serials,
                               purchase_order="PO-1", lot=None, received_on=DAY)


def refused(rule: str, command) -> None:
    with pytest.raises(RuleViolated) as caught:
        command()
    assert caught.value.rule == rule


def test_a_ledger_id_is_the_same_for_the_same_tenant_location_and_item_only():
    location, item = uuid4(), uuid4()
    assert stock_ledger_id(TENANT, location, item) == stock_ledger_id(TENANT, location, item)
    assert stock_ledger_id("other", location, item) != stock_ledger_id(TENANT, location, item)


def test_a_serial_id_ignores_case_and_spaces_but_not_the_tenant():
    assert serialised_asset_id(TENANT, " bed-1 ") == serialised_asset_id(TENANT, "BED-1")
    assert serialised_asset_id("other", "BED-1") != serialised_asset_id(TENANT, "BED-1")


def test_a_count_records_the_difference_and_the_ledger_holds_what_was_found():
    walkers = ledger()
    walkers.receive(5, "PO-1", "L1", DAY)
    assert walkers.count(3, DAY) == -2
    assert walkers.on_hand == 3


def test_quantities_are_positive_whole_numbers():
    walkers = ledger()
    for quantity in (0, -1, 1.5, True):
        with pytest.raises(InvalidValue):
            walkers.receive(quantity, "PO-1", None, DAY)
    assert walkers.collect_events()[1:] == []


def test_stock_is_never_negative():
    walkers = ledger()
    walkers.receive(1, "PO-1", None, DAY)
    refused("stock_is_never_negative", lambda: walkers.adjust(-2, "lost", DAY))


def test_a_transfer_goes_to_another_location():
    place = uuid4()
    a, b = ledger(location=place), ledger(location=place)
    a.receive(2, "PO-1", None, DAY)
    refused("transfer_goes_to_another_location",
            lambda: stock_moves.transfer(a, b, 1, uuid4(), DAY))


def test_a_serialised_receipt_names_one_new_serial_per_unit():
    shelf = ledger(serialised=True)
    refused("serialised_receipt_names_one_serial_per_unit",
            lambda: stock_moves.receive(shelf, quantity=2, serials=["A"], purchase_order="P",
                                        lot=None, received_on=DAY))
    refused("serialised_receipt_names_each_serial_once", lambda: beds(shelf, "A", "a"))
    refused("serialised_receipt_names_one_serial_per_unit",
            lambda: stock_moves.receive(ledger(), quantity=1, serials=["A"],
                                        purchase_order="P", lot=None, received_on=DAY))


def test_a_serialised_ledger_is_not_adjusted_nor_counted_differently():
    shelf = ledger(serialised=True)
    beds(shelf, "BED-1")
    refused("serialised_stock_moves_with_its_serials", lambda: shelf.adjust(1, "found", DAY))
    refused("serialised_stock_moves_with_its_serials", lambda: shelf.count(0, DAY))
    assert shelf.count(1, DAY) == 0  # a count that agrees is recorded


def test_a_returned_unit_is_cleaned_before_it_is_stocked_again():
    shelf = ledger(serialised=True)
    [bed] = beds(shelf, "BED-1")
    order = uuid4()
    stock_moves.deliver_serial(bed, shelf, order_id=order, line_id=uuid4(), patient_id=uuid4(),
                               line_hcpcs="E0260", rented=True, delivered_on=DAY)
    bed.pick_up(order, DAY)
    refused("serial_is_serviced_before_restocking",
            lambda: stock_moves.restock_serial(bed, shelf, DAY))
    bed.send_for_service("cleaning", None, DAY)
    stock_moves.restock_serial(bed, shelf, DAY)
    assert (bed.status, shelf.on_hand) == (AssetStatus.IN_STOCK, 1)


def test_a_unit_delivered_as_a_purchase_is_sold_and_never_picked_up():
    shelf = ledger(serialised=True)
    [bed] = beds(shelf, "BED-1")
    order = uuid4()
    stock_moves.deliver_serial(bed, shelf, order_id=order, line_id=uuid4(), patient_id=uuid4(),
                               line_hcpcs="E0260", rented=False, delivered_on=DAY)
    assert (bed.status, bed.patient_id) == (AssetStatus.SOLD, None)
    refused("serial_is_picked_up_from_the_order_that_rented_it", lambda: bed.pick_up(order, DAY))


def test_a_unit_of_another_item_is_not_delivered_for_a_line():
    shelf = ledger(serialised=True)
    [bed] = beds(shelf, "BED-1")
    refused("serial_is_the_item_delivered",
            lambda: stock_moves.deliver_serial(
                bed, shelf, order_id=uuid4(), line_id=uuid4(), patient_id=uuid4(),
                line_hcpcs="E1390", rented=True, delivered_on=DAY))
