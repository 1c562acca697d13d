"""The `catalogue` projection: random catalogue histories and fee schedule imports, applied
live in batches of any size, give the rows the aggregates hold; a rebuild from zero gives
exactly the live rows."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from domain.context import bound_context
from domain.fee_schedule import CONTRACT
from projections.catalogue_tables import equipment_items, fee_schedule_rates, fee_schedules
from projections.runner import catch_up, rebuild

pytestmark = pytest.mark.integration

CODES = ("E0260", "E0143", "K0823", "E1390")
steps = st.lists(
    st.one_of(
        st.tuples(st.just("revise"), st.sampled_from(["A", "B"]), st.booleans()),
        st.tuples(st.just("discontinue"), st.none(), st.none()),
    ),
    max_size=4,
)
contracts = st.lists(
    st.tuples(
        st.sampled_from([date(2025, 1, 1), date(2025, 7, 15)]), st.integers(100, 103)
    ),
    max_size=3,
)


@pytest.fixture(scope="module")
def aries(isolated_aries):
    return isolated_aries


def all_rows(aries) -> list[list[tuple]]:
    with aries.read_engine.connect() as conn:
        return [
            sorted(tuple(row) for row in conn.execute(select(table)))
            for table in (equipment_items, fee_schedules, fee_schedule_rates)
        ]


@settings(max_examples=8, derandomize=True)
@given(
    items=st.lists(st.tuples(st.sampled_from(CODES), steps), min_size=1, max_size=4),
    imports=contracts,
    batch_size=st.sampled_from([1, 3, 500]),
    rebuild_batch_size=st.sampled_from([2, 500]),
)
def test_live_rows_follow_the_aggregates_and_a_rebuild_gives_the_same_rows(
    aries, items, imports, batch_size, rebuild_batch_size
):
    with bound_context(tenant_id="t-cat", actor_id="u-1", actor_role="admin"):
        added = []
        for code, history in items:
            item_id = aries.catalogue.add_item(hcpcs=code, manufacturer="M", model="X").id
            for kind, model, serialised in history:
                if kind == "discontinue":
                    aries.catalogue.discontinue_item(item_id)
                elif aries.catalogue.get_item(item_id).active:
                    aries.catalogue.revise_item(item_id, model=model, serialised=serialised)
            added.append(item_id)
        for effective_from, amount in imports:
            aries.fee_schedules.import_file(
                payer_id="COM-AETNA", source=CONTRACT, effective_from=effective_from,
                file_name="aetna.csv",
                content=f"hcpcs,modifier,amount,state\nE0260,RR,{amount},IL\n".encode(),
            )
        catch_up(aries, "catalogue", batch_size=batch_size)
        with aries.read_engine.connect() as conn:
            for item_id in added:
                item = aries.catalogue.get_item(item_id)
                row = conn.execute(
                    select(equipment_items).where(equipment_items.c.item_id == item_id)
                ).one()
                assert (row.hcpcs, row.model, row.serialised, row.active, row.version) == (
                    item.hcpcs, item.model, item.serialised, item.active, item.version
                )
    live = all_rows(aries)

    rebuild(aries, "catalogue", batch_size=rebuild_batch_size)

    assert all_rows(aries) == live
