"""A billing run requested for a whole tenant: recorded by the API, carried out by a worker.

Opening every rental month due and drafting its claims walks every delivered order of the
tenant: far too long for one HTTP request. The request is recorded (`Requested`) and answered
202 with the job; the `billing_runs` reaction (interfaces/workers/reactions.py) sends the job
to the `run_billing` actor, which bills in bounded batches (`application.billing`). Running it
again changes nothing: opening months is idempotent, claim ids are derived from order, month
and payer.

The run's id is the job's id. Its as-of date is refused when after the supplier's today
(`billing_run_is_not_in_the_future`), before anything is recorded.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from domain.base import AriesAggregate, pin_topics
from domain.order_rules import billing_run_is_not_in_the_future
from domain.rules import calendar_date, present_text


class BillingRun(AriesAggregate):
    """Create with `BillingRun.request(...)`."""

    @classmethod
    def request(
        cls, *, run_id: UUID, as_of: date, today: date, requested_by: str
    ) -> BillingRun:
        as_of = calendar_date(as_of, "as_of")
        billing_run_is_not_in_the_future(as_of, calendar_date(today, "today"))
        return cls._create(
            cls.Requested,  # type: ignore[attr-defined]
            id=run_id,
            as_of=as_of,
            requested_by=present_text(requested_by, "requested_by"),
        )

    @event("Requested")
    def __init__(self, as_of: date, requested_by: str) -> None:
        self.as_of = as_of
        self.requested_by = requested_by


pin_topics(BillingRun, "aries.billing_run")

AGGREGATES: tuple[type, ...] = (BillingRun,)
VALUE_TYPES: tuple[type, ...] = ()
