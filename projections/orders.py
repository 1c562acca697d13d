"""`orders`: the order read models, `read.orders` and `read.order_lines`, from the orders log.

What the API's order queries serve (list with status, patient, date and hold filters; one
order with its lines) and what analysts count (orders by status, documentation gaps, prior
authorization outcomes, rentals opened). Every Order event moves the row's `version` and
`updated_at`, so the row's version is the aggregate's (the ETag a client sends back as
If-Match).

One handler per Order event class changes the batch's rows in memory (`projections/folding.py`);
every handler reads the order's row (`ORDER`), those that change lines its line rows (`LINES`).

Choices a reader may question:
- Status follows `Order.status` without reading the aggregate: it is computed from the row's
  own columns (a hold shows as on_hold while the order is in intake or delivered; a pickup or
  cancellation wins over a hold), and the prior-authorization summary from the order's line
  rows.
- `prior_auth_required` and `description` come from the HCPCS catalogue (`domain.catalogue`),
  and `wopd_required` from CMS's Required List on the order's date of service (the order date,
  then the delivery date: `domain.required_list`), pure functions of the event shipped with the
  code: a rebuild after a list change recomputes them, as it would after a handler change.
- Nothing depends on the clock: whether a UTN has expired is a question for a date, so the rows
  keep `utn_valid_until` / `prior_authorization_valid_until` and queries compare.
- Lines are keyed by (order id, line id): line ids come from the caller, and a key the domain
  does not promise to be unique across orders must not be able to stop the projection.
- The POD signer's name is not copied (a person's name, not needed by any query); its
  relationship (patient or designee) is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from functools import lru_cache
from typing import Any

from domain.catalogue import item
from domain.order import Order
from domain.required_list import on_required_list
from projections.base import Projection, handles
from projections.folding import Row, Rows, values_maker
from projections.metadata import EventMetadata
from projections.orders_tables import order_lines, orders

ORDER = orders.c.order_id
LINES = order_lines.c.order_id


def _value(enum_or_text: Any) -> str:
    return getattr(enum_or_text, "value", enum_or_text)


def _on_required_list(codes: Iterable[str], on: date) -> bool:
    """Whether a line's item is on CMS's Required List on `on`: the order date until delivery,
    then the delivery date, which is the one the delivery rule asks (domain/order_delivery.py)."""
    return any(_listed(code, on) for code in codes)


# Pure functions of the code and the list shipped with it, asked once per order line: a
# rebuild asks the same few codes and dates tens of thousands of times.
_listed = lru_cache(maxsize=4096)(on_required_list)


@lru_cache(maxsize=1024)
def _catalogued(hcpcs: str) -> tuple[str, bool]:
    """(description, prior_auth_required) of the item, from the catalogue."""
    found = item(hcpcs)
    return found.description, found.prior_auth_required


def _documentation_complete(order: Row) -> bool:
    return order["swo_signed_on"] is not None and (
        not order["wopd_required"]
        or (order["wopd_signed_on"] is not None and order["face_to_face_on"] is not None)
    )


# A placed order's rows: what every order starts with, and the values its event gives.
_new_order = values_maker(
    orders,
    status="intake",
    on_hold=False,
    hold_reason=None,
    held_on=None,
    coverage_id=None,
    payer_id=None,
    coverage_verified_on=None,
    coverage_eligible=None,
    same_or_similar_found=None,
    swo_signed_on=None,
    wopd_signed_on=None,
    face_to_face_on=None,
    abn_signed_on=None,
    documentation_complete=False,
    prior_authorization_valid_until=None,
    delivered_on=None,
    pod_signer_relationship=None,
    picked_up_on=None,
    pickup_reason=None,
    redelivered_on=None,
    inpatient_since=None,
    cancelled_on=None,
    cancellation_reason=None,
)
_new_line = values_maker(
    order_lines,
    prior_auth_status=None,
    prior_auth_decided_on=None,
    utn=None,
    utn_valid_until=None,
    prior_auth_reason=None,
    rental_months_opened=0,
    rental_period=None,
    last_rental_month_from=None,
    last_rental_month_to=None,
    adherence_met=None,
    adherence_evaluated_on=None,
)


class OrderProjection(Projection):
    name = "orders"
    upstreams = ("orders",)
    tables = (orders, order_lines)

    @handles(Order.Event, reads=ORDER, metadata_only=True)
    def changed(self, rows: Rows, event: EventMetadata) -> None:
        """Order events without a handler of their own (none today) only move the version."""
        rows[orders].touch(event)

    # --- intake -----------------------------------------------------------------------------

    @handles(Order.Placed)
    def placed(self, rows: Rows, event: Any) -> None:
        order_id = event.originator_id
        tenant_id = event.tenant_id
        lines = event.lines
        catalogued = [_catalogued(line.hcpcs) for line in lines]
        needs_prior_auth = any(prior_auth for _, prior_auth in catalogued)
        rows[orders].add_values(
            _new_order(
                order_id=order_id,
                tenant_id=tenant_id,
                patient_id=event.patient_id,
                location_id=event.location_id,
                order_date=event.order_date,
                practitioner_npi=event.practitioner.npi,
                practitioner_name=event.practitioner.name,
                diagnoses=list(event.diagnoses),
                line_count=len(lines),
                wopd_required=_on_required_list((line.hcpcs for line in lines), event.order_date),
                prior_authorization="pending" if needs_prior_auth else "not_required",
                placed_at=event.timestamp,
                updated_at=event.timestamp,
                version=event.originator_version,
            )
        )
        add_line = rows[order_lines].add_values
        for number, (line, (description, prior_auth)) in enumerate(
            zip(lines, catalogued, strict=True), 1
        ):
            add_line(
                _new_line(
                    order_id=order_id,
                    line_id=line.line_id,
                    tenant_id=tenant_id,
                    line_number=number,
                    hcpcs=line.hcpcs,
                    description=description,
                    quantity=line.quantity,
                    billing=_value(line.billing),
                    oxygen_flow_lpm=line.oxygen_flow_lpm,
                    # Placed before coverage groups were recorded: none.
                    oxygen_group=getattr(line, "oxygen_group", None),
                    prior_auth_required=prior_auth,
                    serial_numbers=[],
                )
            )

    # --- coverage and documents -------------------------------------------------------------

    @handles(Order.CoverageVerified, reads=ORDER)
    def coverage_verified(self, rows: Rows, event: Any) -> None:
        rows[orders].touch(
            event,
            coverage_id=event.coverage_id,
            payer_id=event.payer_id,
            coverage_verified_on=event.verified_on,
            coverage_eligible=event.eligible,
            same_or_similar_found=event.same_or_similar_found,
        )

    @handles(Order.SwoRecorded, reads=ORDER)
    def swo_recorded(self, rows: Rows, event: Any) -> None:
        _document(rows, event, swo_signed_on=event.signed_on)

    @handles(Order.WopdRecorded, reads=ORDER)
    def wopd_recorded(self, rows: Rows, event: Any) -> None:
        _document(rows, event, wopd_signed_on=event.signed_on)

    @handles(Order.FaceToFaceRecorded, reads=ORDER)
    def face_to_face_recorded(self, rows: Rows, event: Any) -> None:
        _document(rows, event, face_to_face_on=event.encounter_on)

    @handles(Order.AbnRecorded, reads=ORDER)
    def abn_recorded(self, rows: Rows, event: Any) -> None:
        rows[orders].touch(event, abn_signed_on=event.signed_on)

    # --- prior authorization ----------------------------------------------------------------

    @handles(Order.PriorAuthorizationAffirmed, reads=(ORDER, LINES))
    def prior_authorization_affirmed(self, rows: Rows, event: Any) -> None:
        _decide(
            rows,
            event,
            {
                "prior_auth_status": "affirmed",
                "prior_auth_decided_on": event.decided_on,
                "utn": event.utn,
                "utn_valid_until": event.valid_until,
                "prior_auth_reason": None,
            },
        )

    @handles(Order.PriorAuthorizationNonAffirmed, reads=(ORDER, LINES))
    def prior_authorization_non_affirmed(self, rows: Rows, event: Any) -> None:
        _decide(
            rows,
            event,
            {
                "prior_auth_status": "non_affirmed",
                "prior_auth_decided_on": event.decided_on,
                "utn": None,
                "utn_valid_until": None,
                "prior_auth_reason": event.reason,
            },
        )

    # --- delivery, holds, pickup, cancellation ---------------------------------------------

    @handles(Order.Delivered, reads=(ORDER, LINES))
    def delivered(self, rows: Rows, event: Any) -> None:
        codes = [line["hcpcs"] for line in rows[order_lines].group("order_id", event.originator_id)]
        order = rows[orders].touch(
            event,
            status="delivered",
            delivered_on=event.delivered_on,
            pod_signer_relationship=_value(event.pod.relationship),
            wopd_required=_on_required_list(codes, event.delivered_on),
        )
        rows[orders].update(
            event.originator_id, documentation_complete=_documentation_complete(order)
        )
        serials: dict[Any, list[str]] = {}
        for serial in event.pod.serial_numbers:
            serials.setdefault(serial.line_id, []).append(serial.serial)
        for line_id, numbers in serials.items():
            rows[order_lines].update((event.originator_id, line_id), serial_numbers=numbers)

    @handles(Order.PutOnHold, reads=ORDER)
    def put_on_hold(self, rows: Rows, event: Any) -> None:
        status = rows[orders].get(event.originator_id)["status"]
        rows[orders].touch(
            event,
            on_hold=True,
            hold_reason=event.reason,
            held_on=event.on,
            status="on_hold" if status in ("intake", "delivered") else status,
        )

    @handles(Order.Released, reads=ORDER)
    def released(self, rows: Rows, event: Any) -> None:
        order = rows[orders].get(event.originator_id)
        status = order["status"]
        if status == "on_hold":
            status = "intake" if order["delivered_on"] is None else "delivered"
        rows[orders].touch(event, on_hold=False, hold_reason=None, held_on=None, status=status)

    @handles(Order.PickedUp, reads=ORDER)
    def picked_up(self, rows: Rows, event: Any) -> None:
        # A hold may outlive the pickup (Order.release is accepted after it): on_hold stays.
        rows[orders].touch(
            event,
            status="picked_up",
            picked_up_on=event.picked_up_on,
            pickup_reason=event.reason,
        )

    @handles(Order.Redelivered, reads=ORDER)
    def redelivered(self, rows: Rows, event: Any) -> None:
        # Refused while on hold, so the order is simply delivered again.
        rows[orders].touch(
            event,
            status="delivered",
            picked_up_on=None,
            pickup_reason=None,
            redelivered_on=event.delivered_on,
            pod_signer_relationship=_value(event.pod.relationship),
        )

    @handles(Order.InstitutionalStayBegan, reads=ORDER)
    def admitted(self, rows: Rows, event: Any) -> None:
        rows[orders].touch(event, inpatient_since=event.admitted_on)

    @handles(Order.InstitutionalStayEnded, reads=ORDER)
    def discharged(self, rows: Rows, event: Any) -> None:
        rows[orders].touch(event, inpatient_since=None)

    @handles(Order.Cancelled, reads=ORDER)
    def cancelled(self, rows: Rows, event: Any) -> None:
        rows[orders].touch(
            event,
            status="cancelled",
            cancelled_on=event.on,
            cancellation_reason=event.reason,
            on_hold=False,
            hold_reason=None,
            held_on=None,
        )

    # --- rentals and adherence --------------------------------------------------------------

    @handles(Order.RentalMonthOpened, reads=(ORDER, LINES))
    def rental_month_opened(self, rows: Rows, event: Any) -> None:
        key = (event.originator_id, event.line_id)
        rows[order_lines].update(
            key,
            rental_months_opened=rows[order_lines].get(key)["rental_months_opened"] + 1,
            # Opened before rental periods were counted: period 1.
            rental_period=getattr(event, "period", 1),
            last_rental_month_from=event.from_date,
            last_rental_month_to=event.to_date,
        )
        rows[orders].touch(event)

    @handles(Order.AdherenceRecorded, reads=(ORDER, LINES))
    def adherence_recorded(self, rows: Rows, event: Any) -> None:
        # Order.adherence_met: the verdict of the latest evaluation date; on a tie, the one
        # recorded last.
        key = (event.originator_id, event.line_id)
        last = rows[order_lines].get(key)["adherence_evaluated_on"]
        if last is None or last <= event.evaluated_on:
            rows[order_lines].update(
                key, adherence_met=event.compliant, adherence_evaluated_on=event.evaluated_on
            )
        rows[orders].touch(event)


def _document(rows: Rows, event: Any, **signed: Any) -> None:
    order = rows[orders].touch(event, **signed)
    rows[orders].update(event.originator_id, documentation_complete=_documentation_complete(order))


def _decide(rows: Rows, event: Any, values: Mapping[str, Any]) -> None:
    order_id = event.originator_id
    for line_id in event.line_ids:
        rows[order_lines].update((order_id, line_id), **values)
    decisions = [
        (line["prior_auth_status"], line["utn_valid_until"])
        for line in rows[order_lines].group("order_id", order_id)
        if line["prior_auth_required"]
    ]
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
    rows[orders].touch(
        event, prior_authorization=summary, prior_authorization_valid_until=valid_until
    )
