"""Billing runs: open every rental month due by a date, then let the claims process manager
draft the claims. Running it again, or twice at once, creates nothing twice: opening months is
idempotent on the order (optimistic concurrency turns a race into a retry that finds nothing
left to open), and claim ids are derived from order, month and payer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from application.claims import ClaimApplication
from application.eventstore import ConcurrentUpdate
from application.orders import OrderApplication
from domain.claim import Claim
from domain.errors import DomainError, NotFound
from domain.order_rules import billing_run_is_not_in_the_future
from domain.rules import calendar_date

ATTEMPTS = 5


@dataclass
class BillingRunReport:
    as_of: date
    orders_examined: int = 0
    months_opened: int = 0
    claims_drafted: int = 0
    refused: dict[str, str] = field(default_factory=dict)  # order id -> rule, for follow-up


def run_billing(
    orders: OrderApplication,
    claims: ClaimApplication,
    as_of: date,
    progress: Callable[[int, int], None] | None = None,
) -> BillingRunReport:
    billing_run_is_not_in_the_future(calendar_date(as_of, "as_of"), orders.clock.today())
    report = BillingRunReport(as_of=as_of)
    claims.catch_up_all()  # claims for deliveries already processed are not this run's
    drafted_before = _drafted_count(claims)
    order_ids = orders.delivered_order_ids()
    for index, order_id in enumerate(order_ids, start=1):
        try:
            report.months_opened += _open_months(orders, order_id, as_of)
            report.orders_examined += 1
        except NotFound:  # another tenant's order, seen from a tenant-scoped run
            pass
        except DomainError as error:
            report.refused[str(order_id)] = getattr(error, "rule", type(error).__name__)
        if progress is not None:
            progress(index, len(order_ids))
    claims.catch_up_all()
    report.claims_drafted = _drafted_count(claims) - drafted_before
    return report


def _open_months(orders: OrderApplication, order_id: UUID, as_of: date) -> int:
    for _ in range(ATTEMPTS):
        try:
            opened, _result = orders.open_due_rental_months(order_id, as_of)
            return len(opened)
        except ConcurrentUpdate:
            continue  # a concurrent run opened months first: reload and look again
    raise ConcurrentUpdate(f"order {order_id} kept changing during the billing run")


def _drafted_count(claims: ClaimApplication) -> int:
    return claims.count_events(Claim.Drafted.TOPIC)
