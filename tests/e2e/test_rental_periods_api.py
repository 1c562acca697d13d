"""Rental periods over HTTP (issue 15): a hospital or SNF stay recorded on the order pauses the
rental count until the discharge, and picked-up equipment redelivered after a break of more
than 60 days after the rental month in which use ceased starts a new rental period, which
is held until a new SWO and 42 CFR 414.230(d)'s other documents are recorded
(domain/rental_periods.py)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from domain.context import bound_context
from tests.conftest import eventually
from tests.e2e.conftest import headers_for
from tests.e2e.test_orders_api import act, deliver_body, read, ready_to_deliver

pytestmark = pytest.mark.e2e


@pytest.fixture
def intake(api, tenant) -> dict[str, str]:
    return headers_for(api, "intake", tenant)


def _delivered(api, intake, tenant) -> tuple[dict, str]:
    placed, _ = ready_to_deliver(api, intake, tenant)  # SWO and coverage on 2026-06-01
    bed = placed["line_ids"][0]
    act(api, intake, placed["id"], "delivery", deliver_body(bed))
    return placed, bed


def _run_billing(api, tenant, order_id, as_of):
    """Open the months due (what a billing run does for the order)."""
    with bound_context(tenant_id=tenant, actor_id="u-biller", actor_role="biller"):
        opened, _ = api.app.state.aries.orders.open_due_rental_months(order_id, as_of)
    return opened


def _position(api) -> int:
    return api.app.state.aries.orders.recorder.max_notification_id()


def _bed(order: dict, bed: str) -> dict:
    return next(line for line in order["lines"] if line["line_id"] == bed)


def test_a_stay_over_the_anniversary_moves_the_month_to_the_discharge_date(api, tenant, intake):
    placed, bed = _delivered(api, intake, tenant)
    biller = headers_for(api, "biller", tenant)

    admitted = act(api, biller, placed["id"], "institutional-stays",
                   {"admitted_on": "2026-06-20", "setting": "hospital"})
    assert read(api, intake, admitted)["inpatient_since"] == "2026-06-20"
    order_id = uuid.UUID(placed["id"])
    assert _run_billing(api, tenant, order_id, dt.date(2026, 7, 9)) == []  # 2 July: in hospital

    discharged = act(api, biller, placed["id"], "discharge", {"discharged_on": "2026-07-10"})
    assert read(api, intake, discharged)["inpatient_since"] is None
    opened = _run_billing(api, tenant, order_id, dt.date(2026, 7, 10))
    assert [(m.month_number, m.from_date) for m in opened] == [(2, dt.date(2026, 7, 10))]

    order = read(api, intake, {"id": placed["id"], "position": _position(api)})
    assert order["inpatient_since"] is None
    line = _bed(order, bed)
    opened_months = (line["rental_months_opened"], line["rental_period"])
    assert (*opened_months, line["last_rental_month_from"]) == (2, 1, "2026-07-10")


def _held(api, biller, order_id: str) -> list[dict]:
    items = api.get("/v1/claims/work-queue", params={"kind": "billing_held"}, headers=biller)
    assert items.status_code == 200, items.text
    return [item for item in items.json()["items"] if item["order_id"] == order_id]


def test_a_redelivery_after_a_long_break_starts_period_2_held_until_its_documents(
    api, tenant, intake
):
    placed, bed = _delivered(api, intake, tenant)
    biller = headers_for(api, "biller", tenant)
    act(api, intake, placed["id"], "pickup",
        {"picked_up_on": "2026-06-20", "reason": "recovered"})
    back = "2026-09-01"  # month 1 ended 30 June: more than 60 days later

    redelivered = act(api, intake, placed["id"], "redelivery", deliver_body(bed, back))
    order = read(api, intake, redelivered)
    assert (order["status"], order["redelivered_on"], order["picked_up_on"]) == (
        "delivered", back, None
    )
    line = _bed(order, bed)
    assert (line["rental_period"], line["last_rental_month_from"]) == (2, back)

    # 42 CFR 414.230(d): month 1 of the new period waits on the work queue, naming the rule.
    held = eventually(lambda: _held(api, biller, placed["id"]), what="the month held")
    assert len(held) == 1 and "new_rental_period_requires_a_new_swo" in held[0]["detail"]

    act(api, intake, placed["id"], "documents", {
        "swo": {"signed_on": "2026-08-28"},
        "new_rental_period": {"medical_necessity_on": "2026-08-28", "statement_on": "2026-08-28"},
    })
    eventually(lambda: _held(api, biller, placed["id"]), lambda items: items == [],
               what="the hold cleared")
    claims = api.get("/v1/claims", params={"order_id": placed["id"]}, headers=biller).json()
    assert "2026-09" in {claim["billing_month"] for claim in claims["items"]}


def test_a_bad_setting_is_a_422_and_another_tenant_gets_404(api, tenant, intake):
    placed, _ = _delivered(api, intake, tenant)
    bad = api.post(f"/v1/orders/{placed['id']}/institutional-stays",
                   json={"admitted_on": "2026-06-20", "setting": "home"}, headers=intake)
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")

    stranger = headers_for(api, "intake", f"{tenant}-other")
    for action, body in (
        ("institutional-stays", {"admitted_on": "2026-06-20", "setting": "snf"}),
        ("discharge", {"discharged_on": "2026-06-25"}),
        ("redelivery", deliver_body(placed["line_ids"][0], "2026-06-25")),
    ):
        response = api.post(f"/v1/orders/{placed['id']}/{action}", json=body, headers=stranger)
        assert response.status_code == 404, (action, response.text)
