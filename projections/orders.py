"""`orders`: the order read models, `read.orders` and `read.order_lines`, from the orders log.

What the API's order queries serve (list with status, patient, date and hold filters; one
order with its lines) and what analysts count (orders by status, documentation gaps, prior
authorization outcomes, rentals opened). Every Order event has a handler: each one moves the
row's `version` and `updated_at`, so the row's version is the aggregate's (the ETag a client
sends back as If-Match).

Choices a reader may question:
- Status follows `Order.status` without reading the aggregate: the UPDATEs compute it from the
  row's own columns (a hold shows as on_hold while the order is in intake or delivered; a
  pickup or cancellation wins over a hold), so no handler reads before it writes except the
  prior-authorization ones, which summarise the order's lines from this projection's table.
- `wopd_required`, `prior_auth_required` and `description` come from the HCPCS catalogue
  (`domain.catalogue`), a pure function of the event's code shipped with the code: a rebuild
  after a catalogue change recomputes them, as it would after a handler change.
- Nothing depends on the clock: whether a UTN has expired is a question for a date, so the rows
  keep `utn_valid_until` / `prior_authorization_valid_until` and queries compare.
- Lines are keyed by (order id, line id): line ids come from the caller, and a key the domain
  does not promise to be unique across orders must not be able to stop the projection.
- The POD signer's name is not copied (a person's name, not needed by any query); its
  relationship (patient or designee) is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, insert, select, update

from domain.catalogue import item
from projections.base import Projection, handles
from projections.tables import order_lines, orders

TOPIC = "aries.order."
ORD, LINE = orders.c, order_lines.c


def _value(enum_or_text: Any) -> str:
    return getattr(enum_or_text, "value", enum_or_text)


class OrderProjection(Projection):
    name = "orders"
    upstreams = ("orders",)
    tables = (orders, order_lines)

    # --- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _order(conn: Connection, event: Any, values: Mapping[str, Any]) -> None:
        """Update the order's row with `values`, moving its version and updated_at."""
        conn.execute(
            update(orders)
            .where(ORD.order_id == event.originator_id)
            .values(version=event.originator_version, updated_at=event.timestamp, **values)
        )

    @staticmethod
    def _documentation_complete(conn: Connection, event: Any) -> None:
        # A second statement: in one UPDATE the SET expressions would see the old dates.
        conn.execute(
            update(orders)
            .where(ORD.order_id == event.originator_id)
            .values(
                documentation_complete=and_(
                    ORD.swo_signed_on.is_not(None),
                    (~ORD.wopd_required)
                    | (ORD.wopd_signed_on.is_not(None) & ORD.face_to_face_on.is_not(None)),
                )
            )
        )

    # --- intake -----------------------------------------------------------------------------

    @handles(TOPIC + "Placed")
    def placed(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        catalogued = [item(line.hcpcs) for line in event.lines]
        needs_prior_auth = any(c.prior_auth_required for c in catalogued)
        conn.execute(
            insert(orders),
            {
                "order_id": event.originator_id,
                "tenant_id": event.tenant_id,
                "patient_id": event.patient_id,
                "status": "intake",
                "on_hold": False,
                "hold_reason": None,
                "held_on": None,
                "order_date": event.order_date,
                "practitioner_npi": event.practitioner.npi,
                "practitioner_name": event.practitioner.name,
                "diagnoses": list(event.diagnoses),
                "line_count": len(event.lines),
                "coverage_id": None,
                "payer_id": None,
                "coverage_verified_on": None,
                "coverage_eligible": None,
                "same_or_similar_found": None,
                "swo_signed_on": None,
                "wopd_required": any(c.wopd_required for c in catalogued),
                "wopd_signed_on": None,
                "face_to_face_on": None,
                "abn_signed_on": None,
                "documentation_complete": False,
                "prior_authorization": "pending" if needs_prior_auth else "not_required",
                "prior_authorization_valid_until": None,
                "delivered_on": None,
                "pod_signer_relationship": None,
                "picked_up_on": None,
                "pickup_reason": None,
                "cancelled_on": None,
                "cancellation_reason": None,
                "placed_at": event.timestamp,
                "updated_at": event.timestamp,
                "version": event.originator_version,
            },
        )
        conn.execute(
            insert(order_lines),
            [
                {
                    "order_id": event.originator_id,
                    "line_id": line.line_id,
                    "tenant_id": event.tenant_id,
                    "line_number": number,
                    "hcpcs": line.hcpcs,
                    "description": c.description,
                    "quantity": line.quantity,
                    "billing": _value(line.billing),
                    "oxygen_flow_lpm": line.oxygen_flow_lpm,
                    "prior_auth_required": c.prior_auth_required,
                    "prior_auth_status": None,
                    "prior_auth_decided_on": None,
                    "utn": None,
                    "utn_valid_until": None,
                    "prior_auth_reason": None,
                    "serial_numbers": [],
                    "rental_months_opened": 0,
                    "last_rental_month_from": None,
                    "last_rental_month_to": None,
                    "adherence_met": None,
                    "adherence_evaluated_on": None,
                }
                for number, (line, c) in enumerate(zip(event.lines, catalogued, strict=True), 1)
            ],
        )

    # --- coverage and documents -------------------------------------------------------------

    @handles(TOPIC + "CoverageVerified")
    def coverage_verified(
        self, conn: Connection, event: Any, upstream: str, position: int
    ) -> None:
        self._order(
            conn,
            event,
            {
                "coverage_id": event.coverage_id,
                "payer_id": event.payer_id,
                "coverage_verified_on": event.verified_on,
                "coverage_eligible": event.eligible,
                "same_or_similar_found": event.same_or_similar_found,
            },
        )

    @handles(TOPIC + "SwoRecorded")
    def swo_recorded(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        self._order(conn, event, {"swo_signed_on": event.signed_on})
        self._documentation_complete(conn, event)

    @handles(TOPIC + "WopdRecorded")
    def wopd_recorded(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        self._order(conn, event, {"wopd_signed_on": event.signed_on})
        self._documentation_complete(conn, event)

    @handles(TOPIC + "FaceToFaceRecorded")
    def face_to_face_recorded(
        self, conn: Connection, event: Any, upstream: str, position: int
    ) -> None:
        self._order(conn, event, {"face_to_face_on": event.encounter_on})
        self._documentation_complete(conn, event)

    @handles(TOPIC + "AbnRecorded")
    def abn_recorded(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        self._order(conn, event, {"abn_signed_on": event.signed_on})

    # --- prior authorization ----------------------------------------------------------------

    @handles(TOPIC + "PriorAuthorizationAffirmed")
    def prior_authorization_affirmed(
        self, conn: Connection, event: Any, upstream: str, position: int
    ) -> None:
        self._decide(
            conn,
            event,
            {
                "prior_auth_status": "affirmed",
                "prior_auth_decided_on": event.decided_on,
                "utn": event.utn,
                "utn_valid_until": event.valid_until,
                "prior_auth_reason": None,
            },
        )

    @handles(TOPIC + "PriorAuthorizationNonAffirmed")
    def prior_authorization_non_affirmed(
        self, conn: Connection, event: Any, upstream: str, position: int
    ) -> None:
        self._decide(
            conn,
            event,
            {
                "prior_auth_status": "non_affirmed",
                "prior_auth_decided_on": event.decided_on,
                "utn": None,
                "utn_valid_until": None,
                "prior_auth_reason": event.reason,
            },
        )

    def _decide(self, conn: Connection, event: Any, values: Mapping[str, Any]) -> None:
        conn.execute(
            update(order_lines)
            .where(LINE.order_id == event.originator_id, LINE.line_id.in_(list(event.line_ids)))
            .values(**values)
        )
        decisions = conn.execute(
            select(LINE.prior_auth_status, LINE.utn_valid_until).where(
                LINE.order_id == event.originator_id, LINE.prior_auth_required
            )
        ).all()
        statuses = {status for status, _ in decisions}
        valid_until = None
        if not decisions:
            summary = "not_required"
        elif None in statuses:
            summary = "pending"
        elif "non_affirmed" in statuses:
            summary = "non_affirmed"
        else:
            summary = "affirmed"
            valid_until = min(until for _, until in decisions)
        self._order(
            conn,
            event,
            {"prior_authorization": summary, "prior_authorization_valid_until": valid_until},
        )

    # --- delivery, holds, pickup, cancellation ---------------------------------------------

    @handles(TOPIC + "Delivered")
    def delivered(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        self._order(
            conn,
            event,
            {
                "status": "delivered",
                "delivered_on": event.delivered_on,
                "pod_signer_relationship": _value(event.pod.relationship),
            },
        )
        serials: dict[Any, list[str]] = {}
        for serial in event.pod.serial_numbers:
            serials.setdefault(serial.line_id, []).append(serial.serial)
        if serials:
            conn.execute(
                update(order_lines)
                .where(LINE.order_id == bindparam("o_id"), LINE.line_id == bindparam("l_id"))
                .values(serial_numbers=bindparam("serials")),
                [
                    {"o_id": event.originator_id, "l_id": line_id, "serials": numbers}
                    for line_id, numbers in serials.items()
                ],
            )

    @handles(TOPIC + "PutOnHold")
    def put_on_hold(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        self._order(
            conn,
            event,
            {
                "on_hold": True,
                "hold_reason": event.reason,
                "held_on": event.on,
                "status": case(
                    (ORD.status.in_(("intake", "delivered")), "on_hold"), else_=ORD.status
                ),
            },
        )

    @handles(TOPIC + "Released")
    def released(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        back = case((ORD.delivered_on.is_(None), "intake"), else_="delivered")
        self._order(
            conn,
            event,
            {
                "on_hold": False,
                "hold_reason": None,
                "held_on": None,
                "status": case((ORD.status == "on_hold", back), else_=ORD.status),
            },
        )

    @handles(TOPIC + "PickedUp")
    def picked_up(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        # A hold may outlive the pickup (Order.release is accepted after it): on_hold stays.
        self._order(
            conn,
            event,
            {
                "status": "picked_up",
                "picked_up_on": event.picked_up_on,
                "pickup_reason": event.reason,
            },
        )

    @handles(TOPIC + "Cancelled")
    def cancelled(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        self._order(
            conn,
            event,
            {
                "status": "cancelled",
                "cancelled_on": event.on,
                "cancellation_reason": event.reason,
                "on_hold": False,
                "hold_reason": None,
                "held_on": None,
            },
        )

    # --- rentals and adherence --------------------------------------------------------------

    @handles(TOPIC + "RentalMonthOpened")
    def rental_month_opened(
        self, conn: Connection, event: Any, upstream: str, position: int
    ) -> None:
        conn.execute(
            update(order_lines)
            .where(LINE.order_id == event.originator_id, LINE.line_id == event.line_id)
            .values(
                rental_months_opened=event.month_number,
                last_rental_month_from=event.from_date,
                last_rental_month_to=event.to_date,
            )
        )
        self._order(conn, event, {})

    @handles(TOPIC + "AdherenceRecorded")
    def adherence_recorded(
        self, conn: Connection, event: Any, upstream: str, position: int
    ) -> None:
        # Order.adherence_met: the verdict of the latest evaluation date; on a tie, the one
        # recorded last.
        last = LINE.adherence_evaluated_on
        newer = last.is_(None) | (last <= event.evaluated_on)
        conn.execute(
            update(order_lines)
            .where(LINE.order_id == event.originator_id, LINE.line_id == event.line_id)
            .values(
                adherence_met=case((newer, event.compliant), else_=LINE.adherence_met),
                adherence_evaluated_on=case(
                    (newer, event.evaluated_on), else_=LINE.adherence_evaluated_on
                ),
            )
        )
        self._order(conn, event, {})
