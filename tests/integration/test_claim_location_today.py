"""A claim records the location it bills as, and that location's time zone decides "today" for
its age (claim list, claim, work queue) and its AR aging bucket (issue 17). At 08:00 UTC on
13 March 2026 it is 13 March in UTC and in the supplier's Chicago, but still 12 March in
Honolulu: a claim served on 10 February billed from a Honolulu branch is 30 days old (0-30),
one billed from a tenant with no location 31 days (31-60)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from sqlalchemy import text

from domain.claim_ids import claim_id_for
from domain.context import bound_context
from projections.queries import claims as claim_queries
from projections.queries.local_today import AskedAt
from projections.queries.reports import build_report
from projections.queries.work_queue import work_item_page
from projections.runner import catch_up
from tests.conftest import FixedClock
from tests.integration.scenarios import MEDICARE
from tests.integration.test_billing_provider import DELIVERED_ON, delivered_walker_at
from tests.setup_builders import location

pytestmark = pytest.mark.integration

ASKED = AskedAt(datetime(2026, 3, 13, 8, 0, tzinfo=UTC), "America/Chicago")
HONOLULU_TODAY, SUPPLIER_TODAY = date(2026, 3, 12), date(2026, 3, 13)


def drafted_claim(aries, tenant: str, *, branch: bool):
    with bound_context(tenant_id=tenant):
        location_id = (
            aries.setup.open_location(location(name="Honolulu", time_zone="Pacific/Honolulu")).id
            if branch else None
        )
        order_id = delivered_walker_at(aries, location_id)
        aries.claims.catch_up_all()
        claim = aries.claims.get_claim(claim_id_for(order_id, f"{DELIVERED_ON:%Y-%m}", MEDICARE))
    for name in ("setup", "claims", "work_queue"):
        catch_up(aries, name)
    return claim, location_id


def test_a_claim_records_its_location_and_counts_its_age_in_that_time_zone(aries):
    tenant = f"t-{uuid4()}"
    claim, honolulu = drafted_claim(aries, tenant, branch=True)
    assert claim.location_id == honolulu
    with aries.read_engine.connect() as conn:
        page = claim_queries.claim_page(conn, tenant, asked=ASKED, limit=10)
        older = claim_queries.claim_page(conn, tenant, asked=ASKED, min_days_outstanding=31,
                                         limit=10)
        record = claim_queries.claim_record(conn, claim.id, tenant, ASKED)
        items = work_item_page(conn, tenant, asked=ASKED, limit=10).rows
        aging = claim_queries.aging(conn, tenant, ASKED)
    [row] = page.rows
    assert (row.location_id, row.local_today) == (honolulu, HONOLULU_TODAY)
    assert (HONOLULU_TODAY - row.service_from).days == 30
    assert older.rows == []  # 31 days in Chicago and UTC, 30 in Honolulu
    assert record is not None and record.claim.local_today == HONOLULU_TODAY
    assert items and {item.local_today for item in items if item.claim_id} == {HONOLULU_TODAY}
    assert aging.as_of == SUPPLIER_TODAY
    [payer] = [p for p in aging.payers if p["payer_id"] == MEDICARE]
    assert payer["days_0_30"] == payer["balance"] > 0
    assert payer["days_31_60"] == Decimal("0.00")


def test_a_claim_of_a_tenant_without_locations_counts_in_the_suppliers_time_zone(aries):
    tenant = f"t-{uuid4()}"
    claim, _ = drafted_claim(aries, tenant, branch=False)
    assert claim.location_id is None
    with aries.read_engine.connect() as conn:
        [row] = claim_queries.claim_page(conn, tenant, asked=ASKED, limit=10).rows
        older = claim_queries.claim_page(conn, tenant, asked=ASKED, min_days_outstanding=31,
                                         limit=10)
        aging = claim_queries.aging(conn, tenant, ASKED)
        # The analysts' view (no arguments: now() and the session's zone) still answers.
        conn.execute(text("SELECT count(*) FROM read.ar_aging")).scalar_one()
    assert row.local_today == SUPPLIER_TODAY
    assert [r.claim_id for r in older.rows] == [claim.id]
    [payer] = [p for p in aging.payers if p["payer_id"] == MEDICARE]
    assert payer["days_31_60"] == payer["balance"] > 0


def test_a_query_is_asked_at_the_clocks_instant_in_its_zone():
    at = datetime(2026, 3, 13, 8, 0, tzinfo=UTC)
    assert AskedAt.of(FixedClock(at)) == AskedAt(at, "UTC")
    assert AskedAt(at, "Pacific/Honolulu").supplier_today == HONOLULU_TODAY


def test_reports_of_today_count_each_claim_to_its_locations_today(aries):
    """A report asked for today (no as_of chosen) ages the Honolulu claim 30 days and gives it
    a day more to file; one asked as of a date counts to that date for every claim."""
    tenant = f"t-{uuid4()}"
    claim, _ = drafted_claim(aries, tenant, branch=True)
    with aries.read_engine.connect() as conn:
        today = build_report(conn, "ar_aging", tenant, as_of=SUPPLIER_TODAY, asked=ASKED)
        dated = build_report(conn, "ar_aging", tenant, as_of=SUPPLIER_TODAY)
        # New Year's Day, 02:00 in Chicago, still 31 December in Honolulu: within 90 days of
        # the claim's filing deadline (10 February 2027).
        new_year = AskedAt(datetime(2027, 1, 1, 8, 0, tzinfo=UTC), "America/Chicago")
        risk_today = build_report(conn, "timely_filing", tenant, as_of=date(2027, 1, 1),
                                  asked=new_year)
        risk_dated = build_report(conn, "timely_filing", tenant, as_of=date(2027, 1, 1))
    columns = [c.key for c in today.sections[0].columns]
    [of_today], [as_dated] = today.sections[0].rows, dated.sections[0].rows
    assert of_today[columns.index("days_0_30")] == claim.balance > 0
    assert as_dated[columns.index("days_31_60")] == claim.balance
    risk_columns = [c.key for c in risk_today.sections[0].columns]
    left = risk_columns.index("days_left")
    [row_today], [row_dated] = risk_today.sections[0].rows, risk_dated.sections[0].rows
    assert (row_dated[left], row_today[left]) == (40, 41)  # a day more left in Honolulu
