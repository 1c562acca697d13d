"""Stock and serials against real PostgreSQL: receipts, transfers, counts and adjustments move the
ledgers and the read model; a delivery takes serials out of stock at its location in the order's
own transaction and a pickup brings them back; a low stock is a work-queue item; a rebuilt read
model equals the live one; another tenant finds nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4, uuid5

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from domain.context import bound_context, current_context
from domain.errors import NotFound, RuleViolated
from domain.order_values import (
    LineBilling,
    LineSerial,
    OrderLine,
    ProofOfDelivery,
    SignerRelationship,
)
from domain.serialised_asset import AssetStatus, SerialisedAsset
from projections.inventory_tables import (
    INVENTORY_TABLES,
    serial_history,
    serial_rentals,
    serialised_assets,
    stock_levels,
    stock_movements,
)
from projections.runner import catch_up, rebuild
from projections.work_queue_tables import work_queue
from tests.concurrency import race, together
from tests.integration.scenarios import PRACTITIONER, medicare_patient
from tests.setup_builders import denver, location

pytestmark = pytest.mark.integration

DAY = date(2026, 10, 5)
ITEMS = UUID("00000000-0000-4000-8000-00000000e260")


def bed_item() -> UUID:
    """The tenant's bed (catalogue item ids are unique across tenants)."""
    return uuid5(ITEMS, f"{current_context().tenant_id}:bed")


def walker_item() -> UUID:
    return uuid5(ITEMS, f"{current_context().tenant_id}:walker")


def catalogue_and_locations(aries) -> tuple[UUID, UUID]:
    """The tenant's bed and walker items, and two locations (Springfield, Denver)."""
    aries.catalogue.add_item(
        hcpcs="E0260", manufacturer="Invacare", model="5410IVC", item_id=bed_item()
    )
    aries.catalogue.add_item(
        hcpcs="E0143", manufacturer="Drive", model="10210-1", item_id=walker_item()
    )
    return aries.setup.open_location(location()).id, aries.setup.open_location(denver()).id


@pytest.fixture
def tenant() -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex[:10]}"
    with bound_context(tenant_id=name, actor_id="u-test", actor_role="admin"):
        yield name


@pytest.fixture
def places(aries, tenant) -> tuple[UUID, UUID]:
    return catalogue_and_locations(aries)


def rows(aries, table, **where: Any) -> list[dict[str, Any]]:
    query = select(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    with aries.read_engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def receive_beds(aries, location: UUID, *serials: str) -> None:
    aries.orders.receive_stock(
        location_id=location, item_id=bed_item(), quantity=len(serials),
        serials=serials, purchase_order="PO-100", lot="L1", received_on=DAY,
    )


def ready_order(aries, location_id: UUID) -> tuple[UUID, UUID, UUID]:
    """A bed-and-walker order of `location_id` ready for delivery, its walker (bulk stock)
    received there first (no location: no stock): (order, bed line, walker line)."""
    if location_id is not None:
        aries.orders.receive_stock(
            location_id=location_id, item_id=walker_item(), quantity=1, purchase_order="PO-W",
            received_on=DAY,
        )
    patient_id, coverage_id = medicare_patient(aries)
    bed, walker = uuid4(), uuid4()
    order_id = aries.orders.place_order(
        patient_id=patient_id, practitioner=PRACTITIONER, diagnoses=["G47.33"], order_date=DAY,
        lines=[
            OrderLine(bed, "E0260", 1, LineBilling.RENTAL, None),
            OrderLine(walker, "E0143", 1, LineBilling.PURCHASE_NEW, None),
        ],
        location_id=location_id,
    ).id
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


def test_bulk_stock_is_received_counted_adjusted_and_transferred(aries, tenant, places):
    north, south = places
    aries.orders.receive_stock(
        location_id=north, item_id=walker_item(), quantity=10,
        purchase_order="PO-7", received_on=DAY,
    )
    aries.orders.transfer_stock(
        from_location_id=north, to_location_id=south, item_id=walker_item(), quantity=4, on=DAY
    )
    difference, _ = aries.orders.count_stock(
        location_id=north, item_id=walker_item(), counted=5, counted_on=DAY
    )
    aries.orders.adjust_stock(
        location_id=south, item_id=walker_item(), delta=-1, reason="damaged", on=DAY
    )

    assert difference == -1
    assert aries.orders.get_ledger(north, walker_item()).on_hand == 5
    assert aries.orders.get_ledger(south, walker_item()).on_hand == 3
    catch_up(aries, "inventory")
    levels = {r["location_id"]: r["on_hand"] for r in rows(aries, stock_levels, tenant_id=tenant)}
    assert levels == {north: 5, south: 3}
    moves = rows(aries, stock_movements, tenant_id=tenant, location_id=north)
    assert [(m["movement"], m["change"], m["on_hand_after"]) for m in moves] == [
        ("received", 10, 10), ("transferred_out", -4, 6), ("counted", -1, 5)
    ]


def test_stock_never_goes_negative(aries, tenant, places):
    north, south = places
    aries.orders.receive_stock(
        location_id=north, item_id=walker_item(), quantity=2,
        purchase_order="PO-7", received_on=DAY,
    )
    with pytest.raises(RuleViolated) as refused:
        aries.orders.transfer_stock(
            from_location_id=north, to_location_id=south, item_id=walker_item(), quantity=3,
            on=DAY,
        )
    assert refused.value.rule == "stock_is_never_negative"
    with pytest.raises(NotFound):
        aries.orders.get_ledger(south, walker_item())  # nothing of the transfer was recorded


def test_low_stock_opens_a_restock_item_until_stock_is_back(aries, tenant, places):
    north, _ = places
    aries.orders.set_reorder_point(
        location_id=north, item_id=walker_item(), point=3
    )
    ledger_id = aries.orders.get_ledger(north, walker_item()).id
    catch_up(aries, "work_queue")
    [item] = rows(aries, work_queue, subject_id=ledger_id)
    assert item["kind"] == "restock" and item["order_id"] is None and item["patient_id"] is None

    aries.orders.receive_stock(
        location_id=north, item_id=walker_item(), quantity=3, purchase_order="PO-8",
        received_on=DAY,
    )
    catch_up(aries, "work_queue")
    assert rows(aries, work_queue, subject_id=ledger_id) == []


def test_a_delivery_takes_the_serial_out_of_stock_at_its_location_and_pickup_returns_it(
    aries, tenant, places
):
    north, _ = places
    receive_beds(aries, north, "BED-N1", "BED-N2")
    order_id, bed, _ = ready_order(aries, north)

    aries.orders.deliver(order_id, delivered_on=DAY, pod=pod(bed, "bed-n1"))

    asset = aries.orders.get_serial("BED-N1")
    assert asset.status is AssetStatus.RENTED and asset.order_id == order_id
    assert aries.orders.get_ledger(north, bed_item()).on_hand == 1
    aries.orders.pick_up(order_id, picked_up_on=DAY + timedelta(days=20), reason="not needed")
    assert aries.orders.get_serial("BED-N1").status is AssetStatus.PICKED_UP
    aries.orders.service_serial("BED-N1", service="cleaning", on=DAY + timedelta(days=21))
    aries.orders.restock_serial("BED-N1", location_id=north, on=DAY + timedelta(days=22))
    assert aries.orders.get_ledger(north, bed_item()).on_hand == 2

    catch_up(aries, "inventory")
    [found] = rows(aries, serialised_assets, tenant_id=tenant, serial="BED-N1")
    assert found["status"] == "in_stock" and found["patient_id"] is None
    history = rows(aries, serial_history, asset_id=found["asset_id"])
    assert [h["happened"] for h in sorted(history, key=lambda h: h["version"])] == [
        "received", "delivered", "picked_up", "sent_for_service", "returned_to_stock"
    ]
    [rental] = rows(aries, serial_rentals, asset_id=found["asset_id"])
    assert rental["ended_by"] == "picked_up" and rental["ended_on"] == DAY + timedelta(days=20)


def test_a_delivery_refuses_a_serial_in_stock_elsewhere_and_records_nothing(
    aries, tenant, places
):
    north, south = places
    receive_beds(aries, south, "BED-S1")
    order_id, bed, _ = ready_order(aries, north)

    with pytest.raises(RuleViolated) as refused:
        aries.orders.deliver(order_id, delivered_on=DAY, pod=pod(bed, "BED-S1"))

    assert refused.value.rule == "serial_is_delivered_from_its_location"
    assert aries.orders.get_order(order_id).delivered_on is None
    assert aries.orders.get_serial("BED-S1").status is AssetStatus.IN_STOCK


def test_a_serial_is_never_delivered_to_two_patients(aries, tenant, places):
    north, _ = places
    receive_beds(aries, north, "BED-X")
    first, first_bed, _ = ready_order(aries, north)
    second, second_bed, _ = ready_order(aries, north)
    aries.orders.deliver(first, delivered_on=DAY, pod=pod(first_bed, "BED-X"))

    with pytest.raises(RuleViolated) as refused:
        aries.orders.deliver(second, delivered_on=DAY, pod=pod(second_bed, "BED-X"))
    assert refused.value.rule == "serial_is_in_stock_to_leave_the_shelf"


def test_an_unknown_serial_is_refused_at_delivery(aries, tenant, places):
    order_id, bed, _ = ready_order(aries, places[0])
    with pytest.raises(RuleViolated) as refused:
        aries.orders.deliver(order_id, delivered_on=DAY, pod=pod(bed, "NOPE-1"))
    assert refused.value.rule == "serial_was_received_into_stock"


def test_an_order_without_a_location_delivers_without_stock(aries, tenant):
    order_id, bed, _ = ready_order(aries, None)  # a tenant with no location set up
    aries.orders.deliver(order_id, delivered_on=DAY, pod=pod(bed, "NEVER-STOCKED"))
    assert aries.orders.get_order(order_id).delivered_on == DAY


def test_stock_of_another_tenants_item_or_location_is_not_found(aries, tenant, places):
    with bound_context(tenant_id="someone-else"):
        with pytest.raises(NotFound):
            receive_beds(aries, places[0], "BED-Z")  # not their item, nor their location
    with pytest.raises(NotFound):
        receive_beds(aries, uuid4(), "BED-Z")


def test_another_tenant_finds_neither_stock_nor_serials(aries, tenant, places):
    north, _ = places
    receive_beds(aries, north, "BED-T1")
    with bound_context(tenant_id="someone-else"):
        with pytest.raises(NotFound):
            aries.orders.get_ledger(north, bed_item())
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
def test_a_rebuilt_inventory_read_model_equals_the_live_one(isolated_aries, moves, batch_size):
    # A database of its own: the session's holds other tests' made-up patient histories, which
    # the work queue's rebuild would fold too.
    aries = isolated_aries
    with bound_context(tenant_id=f"t-{uuid4().hex[:10]}", actor_id="u-1"):
        locations = catalogue_and_locations(aries)
        receive_beds(aries, locations[0], f"R-{uuid4().hex[:8]}")
        for move, at, n in moves:
            try:
                if move == "receive":
                    aries.orders.receive_stock(
                        location_id=locations[at], item_id=walker_item(),
                        quantity=n, purchase_order="PO-R", received_on=DAY,
                    )
                elif move == "transfer":
                    aries.orders.transfer_stock(
                        from_location_id=locations[at], to_location_id=locations[1 - at],
                        item_id=walker_item(), quantity=n, on=DAY,
                    )
                elif move == "adjust":
                    aries.orders.adjust_stock(
                        location_id=locations[at], item_id=walker_item(), delta=n, reason="r",
                        on=DAY,
                    )
                else:
                    aries.orders.count_stock(
                        location_id=locations[at], item_id=walker_item(), counted=n, counted_on=DAY
                    )
                aries.orders.set_reorder_point(
                    location_id=locations[at], item_id=walker_item(), point=max(n, 0)
                )
            except (RuleViolated, NotFound):
                pass
    catch_up(aries, "inventory", batch_size=batch_size)
    catch_up(aries, "work_queue", batch_size=batch_size)
    live = all_rows(aries), restock_rows(aries)
    rebuild(aries, "inventory")
    rebuild(aries, "work_queue")
    assert (all_rows(aries), restock_rows(aries)) == live


def restock_rows(aries) -> list[dict[str, Any]]:
    with aries.read_engine.connect() as conn:
        found = conn.execute(select(work_queue).where(work_queue.c.kind == "restock"))
        return sorted((dict(r) for r in found.mappings()), key=repr)


def test_two_deliveries_racing_for_one_serial_give_it_to_one_patient(
    aries, tenant, places, monkeypatch
):
    north, _ = places
    receive_beds(aries, north, "BED-RACE")
    first, first_bed, _ = ready_order(aries, north)
    second, second_bed, _ = ready_order(aries, north)
    race(monkeypatch, SerialisedAsset, "deliver")  # both load the serial in stock
    context = current_context()

    def deliver(order_id, bed):
        with bound_context(context):
            return aries.orders.deliver(order_id, delivered_on=DAY, pod=pod(bed, "BED-RACE"))

    outcomes = together(lambda: deliver(first, first_bed), lambda: deliver(second, second_bed))

    assert sorted(type(o).__name__ for o in outcomes) == ["CommandResult", "ConcurrentUpdate"]
    delivered = [o for o in (first, second) if aries.orders.get_order(o).delivered_on]
    assert len(delivered) == 1
    assert aries.orders.get_serial("BED-RACE").order_id == delivered[0]
    assert aries.orders.get_ledger(north, bed_item()).on_hand == 0


def test_a_discontinued_item_is_not_received_but_its_stock_still_moves(aries, tenant, places):
    north, south = places
    aries.orders.receive_stock(
        location_id=north, item_id=walker_item(), quantity=3, purchase_order="PO-1",
        received_on=DAY,
    )
    aries.catalogue.discontinue_item(walker_item())

    with pytest.raises(RuleViolated) as refused:
        aries.orders.receive_stock(
            location_id=north, item_id=walker_item(), quantity=1, purchase_order="PO-2",
            received_on=DAY,
        )
    assert refused.value.rule == "a_discontinued_item_is_not_received"
    aries.orders.transfer_stock(
        from_location_id=north, to_location_id=south, item_id=walker_item(), quantity=3, on=DAY
    )
    assert aries.orders.get_ledger(south, walker_item()).on_hand == 3
