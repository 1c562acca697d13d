"""Billing runs: open every rental month due by a date, then let the claims process manager
draft the claims. Over HTTP a run is requested (`request_billing_run`, 202 with its job) and a
worker carries it out (`carry_out_billing_run`); the CLI runs it at once.

Running it again, or twice at once, creates nothing twice: opening months is
idempotent on the order (optimistic concurrency turns a race into a retry that finds nothing
left to open), and claim ids are derived from order, month and payer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from uuid import UUID, uuid4

from application.claims import ClaimApplication
from application.eventstore import CommandResult, ConcurrentUpdate
from application.orders import OrderApplication
from domain.billing_run import BillingRun
from domain.claim import Claim
from domain.errors import DomainError, NotFound
from domain.order_rules import billing_run_is_not_in_the_future
from domain.rules import calendar_date

ATTEMPTS = 5
# Orders billed between two passes of the claims process manager: a run over a large tenant
# drafts as it goes, in steps of bounded size, rather than all at the end.
BATCH = 200


@dataclass
class BillingRunReport:
    as_of: date
    orders_examined: int = 0
    months_opened: int = 0
    claims_drafted: int = 0
    refused: dict[str, str] = field(default_factory=dict)  # order id -> rule, for follow-up

    def as_dict(self) -> dict[str, object]:
        """The job's result (JSON): ids, counts and rule names only."""
        return {**asdict(self), "as_of": self.as_of.isoformat()}


def request_billing_run(
    claims: ClaimApplication, as_of: date, requested_by: str, run_id: UUID | None = None
) -> CommandResult:
    """Record a whole-tenant billing run for a worker to carry out (its id is the job's).
    Refused, recording nothing, when `as_of` is after the supplier's today."""
    run = BillingRun.request(
        run_id=run_id or uuid4(), as_of=as_of, today=claims.clock.today(),
        requested_by=requested_by,
    )
    return claims.commit(run)


def carry_out_billing_run(
    orders: OrderApplication, claims: ClaimApplication, run_id: UUID
) -> BillingRunReport:
    """The worker's side of a requested run: bill as of its date, in batches."""
    run = claims.load(run_id, BillingRun)
    return run_billing(orders, claims, run.as_of)


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
        if index % BATCH == 0:
            claims.catch_up_all()  # draft this batch's months before opening the next
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
