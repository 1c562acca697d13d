"""A billing hold: one billing month of an order that a rule refused to draft, kept until the
month is drafted. It is what makes "no month is ever lost silently" true (DOMAIN.md, "Rules that
acceptance testing found missing or wrong"): a refused month is a work-queue item naming the
rule (`projections.work_queue`, kind `billing_held`), never only a log line.

The claims process manager (`application.claims`) places a hold when drafting a month is
refused, records the new rule when a later attempt is refused by another one, and clears the
hold in the same transaction as the claim it finally drafts. A later attempt happens on every
order event that may fix a cause (an SWO recorded after delivery, coverage verified, a prior
authorization affirmed, a release from hold, the next rental month).

Decisions a newcomer may question:
- The id is a uuid5 of (order, billing month): one hold per month whatever the payer, so a
  month refused for want of a verified payer is the same hold once the payer is known.
- Holds live in the Claims application's event store: a hold and the claim that clears it are
  saved in one transaction with the process manager's tracking position.
- The hold records the rule's name only, never its message: messages may carry dates or codes
  of the patient's record, and the name is what a biller acts on (and is stable: API).
"""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.base import AriesAggregate, pin_topics
from domain.rules import calendar_date, present_text, rule

HOLD_NAMESPACE = UUID("0b6f3a52-7d1e-5c84-a9f0-3e2d7c5b1a64")  # fixed forever: ids use it


def billing_hold_id(order_id: UUID, billing_month: str) -> UUID:
    return uuid5(HOLD_NAMESPACE, f"{order_id}:{billing_month}")


@rule()
def billing_requires_a_verified_payer(payer_id: str | None) -> str | None:
    """A claim is drafted for the payer a coverage verification (270/271) named: an 837P is
    addressed to one payer (loop 2010BB), so without a verified payer there is nobody to
    bill. The month waits, held, until the coverage is verified."""
    return "the order has no verified payer" if payer_id is None else None


@rule()
def a_cleared_hold_stays_cleared(cleared_by: UUID | None) -> str | None:
    """Once its claim is drafted a month is billed; it is never held again (the claim id is
    derived from the month, so drafting it again is impossible anyway)."""
    return None if cleared_by is None else f"the month was drafted as claim {cleared_by}"


class BillingHold(AriesAggregate):
    """Create with `BillingHold.place(...)`."""

    @classmethod
    def place(
        cls,
        *,
        order_id: UUID,
        patient_id: UUID,
        payer_id: str | None,
        billing_month: str,
        rule_name: str,
        held_on: date,
    ) -> BillingHold:
        return cls._create(
            cls.Placed,  # type: ignore[attr-defined]
            id=billing_hold_id(order_id, billing_month),
            order_id=order_id,
            patient_id=patient_id,
            payer_id=payer_id,
            billing_month=billing_month,
            rule_name=present_text(rule_name, "the refusing rule"),
            held_on=calendar_date(held_on, "held_on"),
        )

    @event("Placed")
    def __init__(
        self,
        order_id: UUID,
        patient_id: UUID,
        payer_id: str | None,
        billing_month: str,
        rule_name: str,
        held_on: date,
    ) -> None:
        self.order_id = order_id
        self.patient_id = patient_id
        self.payer_id = payer_id
        self.billing_month = billing_month
        self.rule_name = rule_name
        self.held_on = held_on
        self.cleared_by: UUID | None = None

    @property
    def open(self) -> bool:
        return self.cleared_by is None

    def refused_again(self, rule_name: str, payer_id: str | None, on: date) -> bool:
        """Another attempt was refused. Records the rule (or payer) when it changed; returns
        whether anything was recorded."""
        a_cleared_hold_stays_cleared(self.cleared_by)
        name = present_text(rule_name, "the refusing rule")
        if name == self.rule_name and payer_id == self.payer_id:
            return False
        self._rule_changed(self.billing_month, name, payer_id, calendar_date(on, "on"))
        return True

    @event("RuleChanged")
    def _rule_changed(
        self, billing_month: str, rule_name: str, payer_id: str | None, on: date
    ) -> None:
        self.rule_name = rule_name
        self.payer_id = payer_id

    def clear(self, claim_id: UUID, on: date) -> None:
        """The month was drafted as `claim_id`: the hold is closed."""
        a_cleared_hold_stays_cleared(self.cleared_by)
        self._cleared(claim_id, calendar_date(on, "on"))

    @event("Cleared")
    def _cleared(self, claim_id: UUID, on: date) -> None:
        self.cleared_by = claim_id


pin_topics(BillingHold, "aries.billing_hold")

AGGREGATES: tuple[type, ...] = (BillingHold,)
VALUE_TYPES: tuple[type, ...] = ()
