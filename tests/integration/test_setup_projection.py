"""The `setup` projection (read.companies, read.locations, read.payers): each row carries the
aggregate's details and version, and a rebuild from zero gives exactly the live rows whatever
the batch sizes (hypothesis over random command histories)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from domain.company import company_id
from domain.context import bound_context
from domain.errors import DomainError
from projections.runner import catch_up, rebuild
from projections.setup_tables import companies, locations, payers
from tests.setup_builders import company, denver, location, payer

pytestmark = pytest.mark.integration

TABLES = (companies, locations, payers)


@pytest.fixture(scope="module")
def aries(isolated_aries):
    return isolated_aries


def all_rows(aries) -> list[list[tuple]]:
    with aries.read_engine.connect() as conn:
        return [sorted(tuple(row) for row in conn.execute(select(t))) for t in TABLES]


ACTIONS = st.sampled_from(["rename", "close", "retire", "refile", "rename_company"])
steps = st.lists(st.tuples(ACTIONS, st.integers(0, 1), st.booleans()), max_size=12)


def _apply(aries, action: str, which: int, ids: dict, number: int) -> None:
    location_id, payer_id = ids["locations"][which], ids["payers"][which]
    if action == "rename":
        aries.setup.correct_location(location_id, {"name": f"Branch {number}"})
    elif action == "close":
        aries.setup.close_location(location_id, date(2026, 1, 1) + timedelta(days=number))
    elif action == "retire":
        aries.setup.retire_payer(payer_id)
    elif action == "refile":
        aries.setup.correct_payer(payer_id, {"timely_filing_months": None,
                                             "timely_filing_days": 90 + number})
    else:
        aries.setup.correct_company({"legal_name": f"Supplier {number} LLC"})


@settings(max_examples=8, derandomize=True, deadline=None)
@given(
    history=steps,
    tenant=st.sampled_from(["t-setup-a", "t-setup-b"]),
    batch_size=st.sampled_from([1, 3, 500]),
    rebuild_batch_size=st.sampled_from([2, 500]),
)
def test_rebuilding_from_zero_gives_exactly_the_rows_the_live_projection_wrote(
    aries, history, tenant, batch_size, rebuild_batch_size
):
    with bound_context(tenant_id=tenant, actor_id="u-1"):
        if not aries.setup.exists(company_id(tenant)):
            aries.setup.register_company(company())
        ids = {
            "locations": [aries.setup.open_location(d).id for d in (location(), denver())],
            "payers": [],
        }
        for payer_id in ("MCR-DMEB", "COM-AETNA"):
            try:
                ids["payers"].append(aries.setup.register_payer(payer(payer_id=payer_id)).id)
            except DomainError:  # an earlier example's, in this tenant
                ids["payers"].append(aries.setup.find_payer(payer_id).id)
        for number, (action, which, project_now) in enumerate(history):
            try:
                _apply(aries, action, which, ids, number)
            except DomainError:
                pass  # refused commands record nothing: part of the test
            if project_now:
                catch_up(aries, "setup", batch_size=batch_size)
        catch_up(aries, "setup", batch_size=batch_size)
        for location_id in ids["locations"]:
            live = aries.setup.get_location(location_id)
            with aries.read_engine.connect() as conn:
                row = conn.execute(
                    select(locations).where(locations.c.location_id == location_id)
                ).one()
            assert (row.name, row.closed_on, row.version) == (
                live.details.name, live.closed_on, live.version
            )
    live_rows = all_rows(aries)

    rebuild(aries, "setup", batch_size=rebuild_batch_size)

    assert all_rows(aries) == live_rows
