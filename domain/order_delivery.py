"""What a delivery needs: the rules that block a delivery on a date, and the checks on its proof
of delivery (POD). Named rules as in `domain.order_rules`.

The delivery date is the date of service. The POD must be signed on it (direct delivery), by the
patient or a designee who states their relationship, never by the supplier; serialized items
record one serial number per unit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date
from uuid import UUID

from domain.catalogue import item
from domain.order_rules import typed
from domain.order_values import (
    CoverageVerification,
    Hold,
    LineSerial,
    OrderLine,
    OrderStatus,
    PriorAuthorizationDecision,
    ProofOfDelivery,
    SignerRelationship,
)
from domain.required_list import on_required_list
from domain.rules import add_months, billing_rule, calendar_date, present_text, rule

# The Program Integrity Manual's proof-of-delivery section, as cited before; its text was not
# read here: the rules citing it were checked against Noridian JD DME's "Proof of Delivery".
PIM_POD = "CMS Pub. 100-08 ch. 4 s. 4.26.1 (section number not verified against the source text)"


@rule()
def order_is_delivered_only_once(stage: OrderStatus) -> str | None:
    if stage in (OrderStatus.DELIVERED, OrderStatus.PICKED_UP):
        return "the order was already delivered"
    return None


@rule()
def order_on_hold_cannot_be_delivered(hold: Hold | None) -> str | None:
    return None if hold is None else f"the order is on hold: {hold.reason}"


@rule()
def delivery_is_not_before_order_date(order_date: date, delivered_on: date) -> str | None:
    if delivered_on < order_date:
        return f"delivery on {delivered_on} precedes the order date {order_date}"
    return None


@billing_rule(
    f"{PIM_POD}; Noridian JD DME 'Proof of Delivery' (checked: 'as a general Medicare rule,"
    " the date of service shall be the date of delivery'; for direct delivery the date the"
    " beneficiary or designee signs for the item)",
    "tests/unit/test_order_rules.py::test_delivery_is_not_in_the_future",
)
@rule()
def delivery_is_not_in_the_future(delivered_on: date, today: date | None) -> str | None:
    """The delivery date is the date the patient or designee signed for the item, which is
    the date of service (Noridian JD DME "Proof of Delivery"; the Program Integrity Manual's
    section, Pub 100-08 ch.4 §4.26.1, was not read here): a date after today cannot have been
    signed. `today` is the supplier's calendar date (its time zone, `ARIES_SUPPLIER_TIMEZONE`);
    None when the caller has no clock (domain tests), which the application never passes."""
    if today is not None and delivered_on > today:
        return f"delivery on {delivered_on} is after today, {today}"
    return None


@rule()
def delivery_requires_verified_eligible_coverage(
    coverage: CoverageVerification | None, delivered_on: date
) -> str | None:
    if coverage is None:
        return "coverage was not verified"
    if coverage.verified_on > delivered_on:
        return f"coverage was verified on {coverage.verified_on}, after {delivered_on}"
    if not coverage.eligible:
        return f"the patient is not eligible with payer {coverage.payer_id}"
    return None


@rule()
def same_or_similar_equipment_blocks_delivery(
    coverage: CoverageVerification | None,
) -> str | None:
    if coverage is not None and coverage.same_or_similar_found:
        return "the payer already covers the same or similar equipment (CARC 150/151, M3)"
    return None


@billing_rule(
    "42 CFR 414.234 (Required Prior Authorization List: an affirmed decision before"
    " delivery); DME MAC prior authorization pages (validity windows)",
    "tests/unit/test_order_rules.py::test_delivery_requires_unexpired_prior_authorization",
)
@rule()
def delivery_requires_unexpired_prior_authorization(
    lines: Sequence[OrderLine],
    decisions: dict[UUID, PriorAuthorizationDecision],
    delivered_on: date,
) -> str | None:
    """An item on the Required Prior Authorization List is delivered only within the window of
    an affirmed decision."""
    for line in lines:
        if not item(line.hcpcs).prior_auth_required:
            continue
        decision = decisions.get(line.line_id)
        if decision is None or not decision.affirmed:
            return f"{line.hcpcs} needs an affirmed prior authorization (UTN)"
        if not decision.covers(delivered_on):
            return (
                f"the UTN {decision.utn} for {line.hcpcs} is valid from {decision.decided_on}"
                f" to {decision.valid_until}, not on {delivered_on}"
            )
    return None


@billing_rule(
    "42 CFR 410.38(c)(8) (the Required Face-to-Face Encounter and Written Order Prior to"
    " Delivery List, domain/reference/wopd_required_list.csv: 87 FR 2051, 88 FR 2546, 89 FR"
    " 41324, FR doc. 2026-00487); Social Security Act 1834(a)(1)(E)(iv) (power mobility devices);"
    " Noridian JD DME 'Face-to-Face and WOPD CMS Required List HCPCS Code Lookup Tool'",
    "tests/unit/test_order_rules.py::test_delivery_of_wopd_item_requires_wopd_and_face_to_face",
    "tests/unit/test_required_list.py::test_a_code_is_on_the_list_from_the_date_it_was_listed",
    "tests/unit/test_required_list.py::test_the_orthosis_89_fr_41324_removed_is_off_the_list_from_12_august_2024",
    "tests/unit/test_order_rules.py::test_oxygen_needs_a_wopd_and_face_to_face_from_the_day_it_joined_the_list",
)
@rule()
def delivery_of_wopd_item_requires_wopd_and_face_to_face(
    lines: Sequence[OrderLine],
    wopd_signed_on: date | None,
    face_to_face_on: date | None,
    delivered_on: date,
) -> str | None:
    """An item on CMS's Required Face-to-Face Encounter and Written Order Prior to Delivery List
    is delivered only with the written order and the face-to-face encounter dated on or
    before the delivery. The list on the delivery date decides (`domain.required_list`)."""
    codes = [line.hcpcs for line in lines if on_required_list(line.hcpcs, delivered_on)]
    if not codes:
        return None
    listed = ", ".join(codes)
    if wopd_signed_on is None or wopd_signed_on > delivered_on:
        return f"{listed} need a written order signed on or before delivery"
    if face_to_face_on is None or face_to_face_on > delivered_on:
        return f"{listed} need a face-to-face encounter on or before delivery"
    return None


# The face-to-face encounter must fall within this many months before the WOPD.
FACE_TO_FACE_MONTHS = 6


@billing_rule(
    "42 CFR 410.38(c) (face-to-face encounter within the 6 months before the written"
    " order for Required List items); Noridian JD DME 'Face-to-Face and WOPD CMS Required"
    " List HCPCS Code Lookup Tool'; CGS JB 'WOPD and F2F Q&A'",
    "tests/unit/test_order_rules.py::test_face_to_face_is_within_six_months_before_the_wopd",
    "tests/unit/test_order_rules.py::test_the_six_month_window_binds_only_items_listed_on_the_delivery_date",
)
@rule()
def face_to_face_is_within_six_months_before_the_wopd(
    lines: Sequence[OrderLine],
    wopd_signed_on: date | None,
    face_to_face_on: date | None,
    delivered_on: date,
) -> str | None:
    """For items on CMS's Required Face-to-Face Encounter and WOPD List, the treating
    practitioner's face-to-face encounter is within the 6 months preceding the written order,
    and not after it (42 CFR 410.38(d); Noridian JD DME "Face-to-Face Encounter Must Occur
    Prior to Written Order Prior to Delivery (WOPD)"; CGS JB "WOPD and F2F Q&A": the WOPD must
    be completed within 6 months after the encounter). Whether both are on file by delivery
    is `delivery_of_wopd_item_requires_wopd_and_face_to_face`. The list on the delivery date
    decides, as there: an item listed later is not held to the window."""
    if not any(on_required_list(line.hcpcs, delivered_on) for line in lines):
        return None
    if wopd_signed_on is None or face_to_face_on is None:
        return None
    if face_to_face_on > wopd_signed_on:
        return f"the face-to-face encounter {face_to_face_on} is after the WOPD {wopd_signed_on}"
    earliest = add_months(wopd_signed_on, -FACE_TO_FACE_MONTHS)
    if face_to_face_on < earliest:
        return (
            f"the face-to-face encounter of {face_to_face_on} is more than {FACE_TO_FACE_MONTHS}"
            f" months before the WOPD of {wopd_signed_on}"
        )
    return None


@billing_rule(
    f"{PIM_POD}; Noridian JD DME 'Proof of Delivery' (direct delivery: the proof of"
    " delivery is signed and dated by the beneficiary or designee on delivery, and that date"
    " is the date of service)",
    "tests/unit/test_order_rules.py::test_proof_of_delivery_is_signed_on_delivery_date",
)
@rule()
def proof_of_delivery_is_signed_on_delivery_date(
    pod: ProofOfDelivery, delivered_on: date
) -> str | None:
    """The proof of delivery is signed on the delivery date."""
    if pod.signed_on != delivered_on:
        return f"the POD is signed on {pod.signed_on}; the delivery date is {delivered_on}"
    return None


@billing_rule(
    f"{PIM_POD}; Noridian JD DME 'Proof of Delivery' (checked: suppliers, their employees"
    " and anyone else with a financial interest in the delivery may not sign and accept the"
    " item for the beneficiary)",
    "tests/unit/test_order_rules.py::test_supplier_may_not_sign_proof_of_delivery",
)
@rule()
def supplier_may_not_sign_proof_of_delivery(pod: ProofOfDelivery) -> str | None:
    """Nobody from the supplier signs the proof of delivery."""
    return "the supplier may not sign the proof of delivery" if pod.supplier_signed else None


@billing_rule(
    f"{PIM_POD}; Noridian JD DME 'Proof of Delivery' (checked: the designee's relationship"
    " to the beneficiary is noted on the delivery slip)",
    "tests/unit/test_order_rules.py::test_designee_signature_states_relationship",
)
@rule()
def designee_signature_states_relationship(pod: ProofOfDelivery) -> str | None:
    """A designee who signs the proof of delivery states their relationship to the patient."""
    stated = bool(pod.designee_relationship and pod.designee_relationship.strip())
    if pod.relationship is SignerRelationship.DESIGNEE and not stated:
        return "a designee who signs states their relationship to the patient"
    if pod.relationship is SignerRelationship.PATIENT and pod.designee_relationship is not None:
        return "the patient signed: there is no designee relationship"
    return None


@rule()
def serial_numbers_only_for_serialized_lines(
    pod: ProofOfDelivery, lines: Sequence[OrderLine]
) -> str | None:
    serialized = {line.line_id for line in lines if item(line.hcpcs).serialized}
    strays = {s.line_id for s in pod.serial_numbers} - serialized
    if strays:
        listed = ", ".join(sorted(map(str, strays)))
        return f"serial numbers given for lines without serialized items: {listed}"
    return None


@billing_rule(
    f"{PIM_POD}; Noridian JD DME 'Proof of Delivery' (checked: the proof of delivery"
    " describes the item delivered, by narrative, HCPCS code or its long description, or"
    " brand name/model number; the serial number was not verified against the source text)",
    "tests/unit/test_order_rules.py::test_serialized_lines_record_one_serial_per_unit",
)
@rule()
def serialized_lines_record_one_serial_per_unit(
    pod: ProofOfDelivery, lines: Sequence[OrderLine]
) -> str | None:
    """Each unit of a serialized item delivered records its serial number."""
    for line in lines:
        if item(line.hcpcs).serialized:
            count = len(pod.serials_for(line.line_id))
            if count != line.quantity:
                return f"{line.hcpcs} line needs {line.quantity} serial number(s), got {count}"
    return None


@rule()
def serial_numbers_are_distinct(pod: ProofOfDelivery) -> str | None:
    serials = [s.serial.strip() for s in pod.serial_numbers]
    return None if len(set(serials)) == len(serials) else "a serial number is given twice"


def checked_pod(
    pod: ProofOfDelivery, delivered_on: date, lines: Sequence[OrderLine]
) -> ProofOfDelivery:
    """The proof of delivery for `lines` delivered on `delivered_on`, its text trimmed."""
    typed(pod, ProofOfDelivery, "pod")
    signer = present_text(pod.signer_name, "the signer's printed name")
    typed(pod.relationship, SignerRelationship, "relationship")
    calendar_date(pod.signed_on, "signed_on")
    typed(pod.supplier_signed, bool, "supplier_signed")
    relationship = pod.designee_relationship
    if relationship is not None:
        relationship = typed(relationship, str, "designee_relationship").strip() or None
    typed(pod.serial_numbers, (tuple, list), "serial_numbers")
    serials = []
    for serial in pod.serial_numbers:
        typed(serial, LineSerial, "serial number")
        typed(serial.line_id, UUID, "serial line_id")
        serials.append(LineSerial(serial.line_id, present_text(serial.serial, "a serial number")))
    pod = dataclasses.replace(
        pod,
        signer_name=signer,
        designee_relationship=relationship,
        serial_numbers=tuple(serials),
    )
    supplier_may_not_sign_proof_of_delivery(pod)
    designee_signature_states_relationship(pod)
    proof_of_delivery_is_signed_on_delivery_date(pod, delivered_on)
    serial_numbers_only_for_serialized_lines(pod, lines)
    serialized_lines_record_one_serial_per_unit(pod, lines)
    serial_numbers_are_distinct(pod)
    return pod
