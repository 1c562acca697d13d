"""The Setup application (companies, locations, payers) against real PostgreSQL, with its
projection: rows appear in read.locations / read.payers, scoped by tenant."""

from __future__ import annotations

from uuid import uuid4

import pytest
from sqlalchemy import select

from domain.context import bound_context
from domain.errors import NotFound, RuleViolated
from projections.runner import catch_up
from projections.setup_tables import locations, payers
from tests.setup_builders import denver, location, payer

pytestmark = pytest.mark.integration


def test_an_opened_location_is_listed_in_its_tenants_read_model(aries):
    tenant = f"t-{uuid4()}"
    with bound_context(tenant_id=tenant):
        opened = aries.setup.open_location(location())
        aries.setup.correct_location(opened.id, {"name": "Springfield North"})
        assert aries.setup.location_ids() == [opened.id]
    catch_up(aries, "setup")
    with aries.read_engine.connect() as conn:
        row = conn.execute(select(locations).where(locations.c.location_id == opened.id)).one()
    assert (row.tenant_id, row.name, row.npi, row.version) == (
        tenant, "Springfield North", "1234567893", 2,
    )


def test_another_tenants_location_is_not_found(aries):
    with bound_context(tenant_id=f"t-{uuid4()}"):
        opened = aries.setup.open_location(denver())
    with bound_context(tenant_id=f"t-{uuid4()}"), pytest.raises(NotFound):
        aries.setup.get_location(opened.id)


def test_a_payer_id_is_unique_per_tenant_but_not_across_tenants(aries):
    first, second = f"t-{uuid4()}", f"t-{uuid4()}"
    with bound_context(tenant_id=first):
        registered = aries.setup.register_payer(payer())
        with pytest.raises(RuleViolated) as refused:
            aries.setup.register_payer(payer(name="Again"))
        assert refused.value.rule == "payer_id_is_unique_per_tenant"
        assert aries.setup.find_payer("mcr-dmeb").id == registered.id
    with bound_context(tenant_id=second):
        assert aries.setup.register_payer(payer()).id != registered.id
    catch_up(aries, "setup")
    with aries.read_engine.connect() as conn:
        tenants = conn.execute(
            select(payers.c.tenant_id).where(payers.c.payer_id == "MCR-DMEB",
                                             payers.c.tenant_id.in_([first, second]))
        ).scalars()
        assert sorted(tenants) == sorted([first, second])
