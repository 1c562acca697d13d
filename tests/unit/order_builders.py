"""Builders for Order tests: a valid order in a few lines, changed only where a test says so."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

from domain.catalogue import PaymentCategory, item
from domain.order import Order
from domain.order_values import (
    LineBilling,
    LineSerial,
    OrderingPractitioner,
    OrderLine,
    ProofOfDelivery,
    SignerRelationship,
)
from domain.required_list import on_required_list

VALID_NPI = "1234567893"
INVALID_NPI = "1234567890"
OTHER_VALID_NPI = "1987654328"
ORDER_DATE = date(2026, 1, 5)
PRACTITIONER = OrderingPractitioner(name="Dr Ada Lovelace", npi=VALID_NPI)


def default_billing(code: str) -> LineBilling:
    category = item(code).payment_category
    if category in (PaymentCategory.CAPPED_RENTAL, PaymentCategory.OXYGEN):
        return LineBilling.RENTAL
    return LineBilling.PURCHASE_NEW


def line(
    code: str,
    billing: LineBilling | None = None,
    *,
    quantity: int = 1,
    flow: Decimal | None = None,
    line_id: UUID | None = None,
) -> OrderLine:
    """A line for `code`, billed the usual way; oxygen lines get 2 LPM and coverage group 1
    unless told."""
    oxygen = item(code).payment_category is PaymentCategory.OXYGEN
    if flow is None and oxygen:
        flow = Decimal("2")
    return OrderLine(
        line_id=line_id or uuid4(),
        hcpcs=code,
        quantity=quantity,
        billing=billing or default_billing(code),
        oxygen_flow_lpm=flow,
        oxygen_group=1 if oxygen else None,
    )


def place(
    *lines: OrderLine | str,
    diagnoses: tuple[str, ...] = ("E11.9", "G47.33"),
    order_date: date = ORDER_DATE,
    practitioner: OrderingPractitioner = PRACTITIONER,
) -> Order:
    """A placed order with `lines` (codes or OrderLines; default one E0260 bed)."""
    built = [line(x) if isinstance(x, str) else x for x in (lines or ("E0260",))]
    return Order.intake(
        patient_id=uuid4(),
        practitioner=practitioner,
        diagnoses=diagnoses,
        order_date=order_date,
        lines=built,
    )


def make_ready(order: Order, on: date = ORDER_DATE) -> Order:
    """Everything delivery needs on or after `on`: eligible coverage, prior authorization and
    WOPD + face-to-face where the items need them."""
    order.verify_coverage(uuid4(), "DMEMAC-JC", on, True, False)
    if any(item(ln.hcpcs).prior_auth_required for ln in order.lines):
        order.affirm_prior_authorization("JC1234567890PA", on)
    if any(on_required_list(ln.hcpcs) for ln in order.lines):  # listed at any date
        order.record_wopd(on)
        order.record_face_to_face(on)
    return order


def pod_for(order: Order, on: date, **changes: object) -> ProofOfDelivery:
    """A correct POD signed by the patient on `on`, with a serial per serialized unit."""
    serials = tuple(
        LineSerial(ln.line_id, f"SN-{ln.hcpcs}-{n}-{str(ln.line_id)[:8]}")
        for ln in order.lines
        if item(ln.hcpcs).serialized
        for n in range(ln.quantity)
    )
    pod = ProofOfDelivery(
        signer_name="Grace Hopper",
        relationship=SignerRelationship.PATIENT,
        signed_on=on,
        serial_numbers=serials,
    )
    return dataclasses.replace(pod, **changes)


def delivered(*lines: OrderLine | str, on: date = date(2026, 1, 31)) -> Order:
    order = make_ready(place(*lines))
    order.deliver(on, pod_for(order, on))
    return order
