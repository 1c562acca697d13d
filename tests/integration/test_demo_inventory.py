"""The demo tenant's stock: both locations hold stock and serials, some serials are with demo
patients, a low stock is on the work queue, and seeding again adds no inventory event."""

from __future__ import annotations

import pytest
from rich.console import Console
from sqlalchemy import func, select

from domain.context import bound_context
from interfaces.cli.demo import DEMO_TENANT, seed_demo
from projections.inventory_tables import serialised_assets, stock_levels
from projections.runner import catch_up
from projections.work_queue_tables import work_queue

pytestmark = pytest.mark.integration


def test_the_demo_has_stock_and_serials_at_two_locations_and_rentals(aries):
    console = Console(file=open("/dev/null", "w"))  # noqa: SIM115
    seed_demo(aries, patients=25, console=console)
    head = aries.orders.recorder.max_notification_id()
    seed_demo(aries, patients=25, console=console)
    assert aries.orders.recorder.max_notification_id() == head

    catch_up(aries, "inventory")
    catch_up(aries, "work_queue")
    s, a = stock_levels.c, serialised_assets.c
    with aries.read_engine.connect() as conn:
        stocked = conn.execute(
            select(s.location_id, func.sum(s.on_hand)).where(s.tenant_id == DEMO_TENANT)
            .group_by(s.location_id)
        ).all()
        statuses = dict(conn.execute(
            select(a.status, func.count()).where(a.tenant_id == DEMO_TENANT).group_by(a.status)
        ).all())
        restock = conn.execute(
            select(func.count()).select_from(work_queue)
            .where(work_queue.c.tenant_id == DEMO_TENANT, work_queue.c.kind == "restock")
        ).scalar_one()
    with bound_context(tenant_id=DEMO_TENANT):
        locations = aries.setup.location_ids()
    assert len(locations) == 2
    assert {location for location, _ in stocked} == set(locations)
    assert all(on_hand > 0 for _, on_hand in stocked)
    assert statuses["rented"] > 0 and statuses["in_stock"] > 0
    assert restock >= 1
