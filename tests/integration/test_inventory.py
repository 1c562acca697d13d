"""Stock and serials against real PostgreSQL: receipts, transfers, counts and adjustments move the
ledgers and the read model; a delivery takes serials out of stock at its location in the order's
own transaction and a pickup brings them back; a low stock is a work-queue item; a rebuilt read
model equals the live one; another tenant finds nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from domain.context import bound_context
from domain.errors import NotFound, RuleViolated
from domain.order_values import LineSerial, ProofOfDelivery, SignerRelationship
from domain.serialised_asset import AssetStatus
from projections.inventory_tables import (
    INVENTORY_TABLES,
    serial_history,
    serial_rentals,
    serialised_assets,
    stock_levels,
    stock_movements,
)
from projections.runner import catch_up, rebuild
from projections.tables import work_queue
from tests.integration.scenarios import medicare_patient, place_bed_and_walker

pytestmark = pytest.mark.integration

DAY = date(2026, 10, 5)
BED_ITEM = UUID("00000000-0000-4000-8000-00000000e260")
WALKER_ITEM = UUID("00000000-0000-4000-8000-00000000e143")


@pytest.fixture
def tenant() -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex[:10]}"
    with bound_context(tenant_id=name, actor_id="u-test", actor_role="admin"):
        yield name


def rows(aries, table, **where: Any) -> list[dict[str, Any]]:
    query = select(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    with aries.read_engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def receive_beds(aries, location: UUID, *serials: str) -> None:
    aries.orders.receive_stock(
        location_id=location, item_id=BED_ITEM, hcpcs="E0260", quantity=len(serials),
        serials=serials, purchase_order="PO-100", lot="L1", received_on=DAY,
    )


def ready_order(aries) -> tuple[UUID, UUID, UUID]:
    """A bed-and-walker order ready for delivery: (order, bed line, walker line)."""
    patient_id, coverage_id = medicare_patient(aries)
    order_id, bed, walker = place_bed_and_walker(aries, patient_id, DAY)
    aries.orders.verify_coverage(
        order_id, coverage_id=coverage_id, verified_on=DAY, eligible=True,
        same_or_similar_found=False,
    )
    return order_id, bed, walker


def pod(bed: UUID, serial: str) -> ProofOfDelivery:
    return ProofOfDelivery(
        signer_name="Ana Rivera", relationship=SignerRelationship.PATIENT, signed_on=DAY,
        serial_numbers=(LineSerial(bed, serial),),
    )


def test_bulk_stock_is_received_counted_adjusted_and_transferred(aries, tenant):
    north, south = uuid4(), uuid4()
    aries.orders.receive_stock(
        location_id=north, item_id=WALKER_ITEM, hcpcs="E0143", quantity=10,
        purchase_order="PO-7", received_on=DAY,
    )
    aries.orders.transfer_stock(
        from_location_id=north, to_location_id=south, item_id=WALKER_ITEM, quantity=4, on=DAY
    )
    difference, _ = aries.orders.count_stock(
        location_id=north, item_id=WALKER_ITEM, counted=5, counted_on=DAY
    )
    aries.orders.adjust_stock(
        location_id=south, item_id=WALKER_ITEM, delta=-1, reason="damaged", on=DAY
    )

    assert difference == -1
    assert aries.orders.get_ledger(north, WALKER_ITEM).on_hand == 5
    assert aries.orders.get_ledger(south, WALKER_ITEM).on_hand == 3
    catch_up(aries, "inventory")
    levels = {r["location_id"]: r["on_hand"] for r in rows(aries, stock_levels, tenant_id=tenant)}
    assert levels == {north: 5, south: 3}
    moves = rows(aries, stock_movements, tenant_id=tenant, location_id=north)
    assert [(m["movement"], m["change"], m["on_hand_after"]) for m in moves] == [
        ("received", 10, 10), ("transferred_out", -4, 6), ("counted", -1, 5)
    ]


def test_stock_never_goes_negative(aries, tenant):
    north, south = uuid4(), uuid4()
    aries.orders.receive_stock(
        location_id=north, item_id=WALKER_ITEM, hcpcs="E0143", quantity=2,
        purchase_order="PO-7", received_on=DAY,
    )
    with pytest.raises(RuleViolated) as refused:
        aries.orders.transfer_stock(
            from_location_id=north, to_location_id=south, item_id=WALKER_ITEM, quantity=3,
            on=DAY,
        )
    assert refused.value.rule == "stock_is_never_negative"
    with pytest.raises(NotFound):
        aries.orders.get_ledger(south, WALKER_ITEM)  # nothing of the transfer was recorded


def test_low_stock_opens_a_restock_item_until_stock_is_back(aries, tenant):
    north = uuid4()
    aries.orders.set_reorder_point(
        location_id=north, item_id=WALKER_ITEM, hcpcs="E0143", point=3
    )
    ledger_id = aries.orders.get_ledger(north, WALKER_ITEM).id
    catch_up(aries, "work_queue")
    [item] = rows(aries, work_queue, subject_id=ledger_id)
    assert item["kind"] == "restock" and item["order_id"] is None and item["patient_id"] is None

    aries.orders.receive_stock(
        location_id=north, item_id=WALKER_ITEM, quantity=3, purchase_order="PO-8",
        received_on=DAY,
    )
    catch_up(aries, "work_queue")
    assert rows(aries, work_queue, subject_id=ledger_id) == []


def test_a_delivery_takes_the_serial_out_of_stock_at_its_location_and_pickup_returns_it(
    aries, tenant
):
    north = uuid4()
    receive_beds(aries, north, "BED-N1", "BED-N2")
    order_id, bed, _ = ready_order(aries)

    aries.orders.deliver(order_id, delivered_on=DAY, pod=pod(bed, "bed-n1"), location_id=north)

    asset = aries.orders.get_serial("BED-N1")
    assert asset.status is AssetStatus.RENTED and asset.order_id == order_id
    assert aries.orders.get_ledger(north, BED_ITEM).on_hand == 1
    aries.orders.pick_up(order_id, picked_up_on=DAY + timedelta(days=20), reason="not needed")
    assert aries.orders.get_serial("BED-N1").status is AssetStatus.PICKED_UP
    aries.orders.service_serial("BED-N1", service="cleaning", on=DAY + timedelta(days=21))
    aries.orders.restock_serial("BED-N1", location_id=north, on=DAY + timedelta(days=22))
    assert aries.orders.get_ledger(north, BED_ITEM).on_hand == 2

    catch_up(aries, "inventory")
    [found] = rows(aries, serialised_assets, tenant_id=tenant, serial="BED-N1")
    assert found["status"] == "in_stock" and found["patient_id"] is None
    history = rows(aries, serial_history, asset_id=found["asset_id"])
    assert [h["happened"] for h in sorted(history, key=lambda h: h["version"])] == [
        "received", "delivered", "picked_up", "sent_for_service", "returned_to_stock"
    ]
    [rental] = rows(aries, serial_rentals, asset_id=found["asset_id"])
    assert rental["ended_by"] == "picked_up" and rental["ended_on"] == DAY + timedelta(days=20)


def test_a_delivery_refuses_a_serial_in_stock_elsewhere_and_records_nothing(aries, tenant):
    north, south = uuid4(), uuid4()
    receive_beds(aries, south, "BED-S1")
    order_id, bed, _ = ready_order(aries)

    with pytest.raises(RuleViolated) as refused:
        aries.orders.deliver(order_id, delivered_on=DAY, pod=pod(bed, "BED-S1"), location_id=north)

    assert refused.value.rule == "serial_is_delivered_from_its_location"
    assert aries.orders.get_order(order_id).delivered_on is None
    assert aries.orders.get_serial("BED-S1").status is AssetStatus.IN_STOCK


def test_a_serial_is_never_delivered_to_two_patients(aries, tenant):
    north = uuid4()
    receive_beds(aries, north, "BED-X")
    first, first_bed, _ = ready_order(aries)
    second, second_bed, _ = ready_order(aries)
    aries.orders.deliver(first, delivered_on=DAY, pod=pod(first_bed, "BED-X"), location_id=north)

    with pytest.raises(RuleViolated) as refused:
        aries.orders.deliver(
            second, delivered_on=DAY, pod=pod(second_bed, "BED-X"), location_id=north
        )
    assert refused.value.rule == "serial_is_in_stock_to_leave_the_shelf"


def test_an_unknown_serial_is_refused_at_delivery(aries, tenant):
    order_id, bed, _ = ready_order(aries)
    with pytest.raises(RuleViolated) as refused:
        aries.orders.deliver(
            order_id, delivered_on=DAY, pod=pod(bed, "NOPE-1"), location_id=uuid4()
        )
    assert refused.value.rule == "serial_was_received_into_stock"


def test_another_tenant_finds_neither_stock_nor_serials(aries, tenant):
    north = uuid4()
    receive_beds(aries, north, "BED-T1")
    with bound_context(tenant_id="someone-else"):
        with pytest.raises(NotFound):
            aries.orders.get_ledger(north, BED_ITEM)
        with pytest.raises(NotFound):
            aries.orders.get_serial("BED-T1")


def all_rows(aries) -> dict[str, list[dict[str, Any]]]:
    with aries.read_engine.connect() as conn:
        return {
            table.name: sorted(
                (dict(r) for r in conn.execute(select(table)).mappings()), key=repr
            )
            for table in INVENTORY_TABLES
        }


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    moves=st.lists(
        st.tuples(st.sampled_from(["receive", "transfer", "adjust", "count"]),
                  st.integers(0, 1), st.integers(-2, 6)),
        max_size=12,
    ),
    batch_size=st.sampled_from([1, 3, 500]),
)
def test_a_rebuilt_inventory_read_model_equals_the_live_one(aries, moves, batch_size):
    locations = (uuid4(), uuid4())
    with bound_context(tenant_id="t-rebuild", actor_id="u-1"):
        receive_beds(aries, locations[0], f"R-{uuid4().hex[:8]}")
        for move, at, n in moves:
            try:
                if move == "receive":
                    aries.orders.receive_stock(
                        location_id=locations[at], item_id=WALKER_ITEM, hcpcs="E0143",
                        quantity=n, purchase_order="PO-R", received_on=DAY,
                    )
                elif move == "transfer":
                    aries.orders.transfer_stock(
                        from_location_id=locations[at], to_location_id=locations[1 - at],
                        item_id=WALKER_ITEM, quantity=n, on=DAY,
                    )
                elif move == "adjust":
                    aries.orders.adjust_stock(
                        location_id=locations[at], item_id=WALKER_ITEM, delta=n, reason="r",
                        on=DAY,
                    )
                else:
                    aries.orders.count_stock(
                        location_id=locations[at], item_id=WALKER_ITEM, counted=n, counted_on=DAY
                    )
            except (RuleViolated, NotFound):
                pass
    catch_up(aries, "inventory", batch_size=batch_size)
    live = all_rows(aries)
    rebuild(aries, "inventory")
    assert all_rows(aries) == live
