from __future__ import annotations

import pytest
from rich.console import Console

from domain.context import bound_context
from interfaces.cli.demo import DEMO_TENANT, demo_id, seed_demo

pytestmark = pytest.mark.integration


def test_seeding_the_dev_default_twice_adds_nothing_the_second_time(aries):
    console = Console(file=open("/dev/null", "w"))  # noqa: SIM115
    seed_demo(aries, patients=25, console=console)
    with bound_context(tenant_id=DEMO_TENANT):
        versions = [aries.patients.get_patient(demo_id("patient", i)).version for i in range(25)]
    head = aries.claims.recorder.max_notification_id()

    seed_demo(aries, patients=25, console=console)

    with bound_context(tenant_id=DEMO_TENANT):
        again = [aries.patients.get_patient(demo_id("patient", i)).version for i in range(25)]
    assert again == versions
    assert aries.claims.recorder.max_notification_id() == head
    assert head is not None


def test_the_demo_company_has_two_locations_and_its_orders_are_spread_over_both(aries):
    console = Console(file=open("/dev/null", "w"))  # noqa: SIM115
    seed_demo(aries, patients=4, console=console)
    with bound_context(tenant_id=DEMO_TENANT):
        locations = aries.setup.location_ids()
        npis = {aries.setup.get_location(found).details.npi for found in locations}
        placed_at = {aries.orders.get_order(demo_id("order", i)).location_id for i in range(4)}
        assert aries.setup.find_payer("MCR-DMEB").details.claim_filing_indicator == "MB"
    assert len(locations) == 2 and len(npis) == 2
    assert placed_at == set(locations)
