"""One test per Order rule, named after the rule; then the queries the claim process uses."""

from __future__ import annotations

import copy
import dataclasses
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.errors import InvalidValue, RuleViolated
from domain.order import Order
from domain.order_rules import (
    billing_run_is_not_in_the_future,
    prior_authorization_states_its_validity,
    rental_month_is_within_the_cap,
    rental_month_numbers_only_go_up,
)
from domain.order_values import (
    LineBilling,
    LineSerial,
    OrderingPractitioner,
    OrderStatus,
    RentalMonth,
    SignerRelationship,
)
from domain.pricing import AbnDecision
from domain.rules import rules_of
from tests.unit.order_builders import (
    INVALID_NPI,
    ORDER_DATE,
    OTHER_VALID_NPI,
    PRACTITIONER,
    VALID_NPI,
    delivered,
    line,
    make_ready,
    place,
    pod_for,
)
from tests.unit.replay import replay

DELIVERY = date(2026, 1, 31)


def refused(rule: str, command: Callable[[], object], order: Order | None = None) -> RuleViolated:
    """Run `command`, expect `rule` to refuse it, and (given the order) nothing to change."""
    before = None
    if order is not None:
        order.collect_events()
        before = copy.deepcopy(vars(order))
    with pytest.raises(RuleViolated) as caught:
        command()
    assert caught.value.rule == rule, caught.value.message
    if order is not None:
        assert order.collect_events() == []
        assert vars(order) == before
    return caught.value


# -- values -------------------------------------------------------------------------------


def test_command_values_have_the_right_types():
    order = make_ready(place())
    cpap = place(line("E0601"))
    error = refused(
        "command_values_have_the_right_types",
        lambda: cpap.record_adherence(cpap.lines[0].line_id, DELIVERY, "yes"),
        cpap,
    )
    assert isinstance(error, InvalidValue)
    refused("command_values_have_the_right_types", lambda: order.deliver(DELIVERY, None), order)


def test_order_dates_are_calendar_dates():
    order = make_ready(place())
    at = datetime(2026, 1, 31, 10, tzinfo=UTC)
    error = refused("date_is_a_calendar_date", lambda: order.deliver(at, pod_for(order, at)), order)
    assert isinstance(error, InvalidValue)


def test_required_text_is_present():
    order = place()
    refused("required_text_is_present", lambda: order.hold("   ", ORDER_DATE), order)


def test_line_quantity_is_at_least_one():
    refused("line_quantity_is_at_least_one", lambda: place(line("E0260", quantity=0)))


def test_oxygen_flow_is_a_positive_decimal():
    refused("oxygen_flow_is_a_positive_decimal", lambda: place(line("E1390", flow=2.5)))
    refused("oxygen_flow_is_a_positive_decimal", lambda: place(line("E1390", flow=Decimal(0))))


def test_utn_is_well_formed():
    order = place("K0823")
    refused("utn_is_well_formed", lambda: order.affirm_prior_authorization("UTN #1", ORDER_DATE))


def test_ordering_npi_passes_luhn_check():
    practitioner = OrderingPractitioner("Dr Ada Lovelace", INVALID_NPI)
    refused("npi_passes_luhn_check", lambda: place(practitioner=practitioner))


def test_diagnoses_are_billable_icd10cm_codes():
    refused("diagnosis_is_billable_icd10cm", lambda: place(diagnoses=("E11",)))


def test_line_hcpcs_code_is_in_catalogue():
    unknown = dataclasses.replace(line("E0260"), hcpcs="E9999")
    refused("hcpcs_code_is_in_catalogue", lambda: place(unknown))


# -- intake -------------------------------------------------------------------------------


def test_order_has_at_least_one_line():
    refused(
        "order_has_at_least_one_line",
        lambda: Order.intake(
            patient_id=uuid4(),
            practitioner=PRACTITIONER,
            diagnoses=["E11.9"],
            order_date=ORDER_DATE,
            lines=[],
        ),
    )


def test_order_has_one_to_twelve_diagnoses():
    thirteen = (
        "I10 E11.9 G47.33 J44.9 J44.1 I50.9 N18.30 J96.11 E66.9 M17.11 Z99.81 R06.02 I48.91"
    ).split()
    refused("order_has_one_to_twelve_diagnoses", lambda: place(diagnoses=()))
    refused("order_has_one_to_twelve_diagnoses", lambda: place(diagnoses=tuple(thirteen)))
    assert len(place(diagnoses=tuple(thirteen[:12])).diagnoses) == 12


def test_diagnoses_are_not_repeated():
    refused("diagnoses_are_not_repeated", lambda: place(diagnoses=("E11.9", "e119")))


def test_diagnoses_are_stored_normalised_in_the_order_given():
    assert place(diagnoses=("g4733", "e11.9")).diagnoses == ("G47.33", "E11.9")


def test_line_ids_are_unique():
    shared = uuid4()
    refused(
        "line_ids_are_unique",
        lambda: place(line("E0260", line_id=shared), line("A7030", line_id=shared)),
    )


def test_rental_requires_a_rentable_item():
    refused("rental_requires_a_rentable_item", lambda: place(line("A7030", LineBilling.RENTAL)))


def test_capped_rental_items_are_rented():
    refused(
        "capped_rental_items_are_rented", lambda: place(line("E0260", LineBilling.PURCHASE_NEW))
    )


def test_oxygen_equipment_is_rented():
    refused("oxygen_equipment_is_rented", lambda: place(line("E1390", LineBilling.PURCHASE_USED)))


def test_supplies_are_purchased_new():
    refused("supplies_are_purchased_new", lambda: place(line("A7030", LineBilling.PURCHASE_USED)))


@pytest.mark.parametrize("billing", list(LineBilling))
def test_inexpensive_items_may_be_bought_new_or_used_or_rented(billing):
    assert place(line("E0143", billing)).lines[0].billing is billing


def test_oxygen_line_states_flow_rate():
    bare = dataclasses.replace(line("E1390"), oxygen_flow_lpm=None)
    refused("oxygen_line_states_flow_rate", lambda: place(bare))


def test_flow_rate_only_on_oxygen_lines():
    refused("flow_rate_only_on_oxygen_lines", lambda: place(line("E0260", flow=Decimal("2"))))


@pytest.mark.parametrize("group", [0, 4, True, "1"])
def test_oxygen_group_is_1_2_or_3_on_oxygen_lines(group):
    bad = dataclasses.replace(line("E1390"), oxygen_group=group)
    refused("oxygen_group_is_1_2_or_3_on_oxygen_lines", lambda: place(bad))
    on_a_bed = dataclasses.replace(line("E0260"), oxygen_group=1)
    refused("oxygen_group_is_1_2_or_3_on_oxygen_lines", lambda: place(on_a_bed))


def test_intake_stores_normalised_lines():
    placed = place(line("e0260"), line("E1390", flow=3))
    assert [ln.hcpcs for ln in placed.lines] == ["E0260", "E1390"]
    assert placed.lines[1].oxygen_flow_lpm == Decimal(3)
    assert placed.status is OrderStatus.INTAKE


# -- lifecycle ----------------------------------------------------------------------------


def test_cancelled_order_accepts_no_changes():
    order = place()
    order.cancel("patient declined", ORDER_DATE)
    refused("cancelled_order_accepts_no_changes", lambda: order.record_wopd(ORDER_DATE), order)
    refused("cancelled_order_accepts_no_changes", lambda: order.cancel("again", ORDER_DATE), order)
    assert order.status is OrderStatus.CANCELLED


def test_line_is_on_the_order():
    order = delivered("E0601")
    refused(
        "line_is_on_the_order",
        lambda: order.record_adherence(uuid4(), DELIVERY + timedelta(days=31), True),
        order,
    )


def test_order_is_not_already_on_hold():
    order = place()
    order.hold("awaiting paperwork", ORDER_DATE)
    refused("order_is_not_already_on_hold", lambda: order.hold("again", ORDER_DATE), order)


def test_picked_up_order_cannot_be_put_on_hold():
    order = delivered()
    order.pick_up(DELIVERY + timedelta(days=40), "no longer needed")
    refused(
        "picked_up_order_cannot_be_put_on_hold",
        lambda: order.hold("late", DELIVERY + timedelta(days=41)),
        order,
    )


def test_only_an_order_on_hold_can_be_released():
    order = place()
    refused("only_an_order_on_hold_can_be_released", lambda: order.release(ORDER_DATE), order)


def test_release_is_not_before_hold():
    order = place()
    order.hold("awaiting paperwork", date(2026, 1, 10))
    refused("release_is_not_before_hold", lambda: order.release(date(2026, 1, 9)), order)
    order.release(date(2026, 1, 10))
    assert order.status is OrderStatus.INTAKE


def test_delivered_order_is_picked_up_not_cancelled():
    order = delivered()
    refused(
        "delivered_order_is_picked_up_not_cancelled",
        lambda: order.cancel("changed mind", DELIVERY),
        order,
    )


def test_pickup_requires_delivery():
    order = place()
    refused("pickup_requires_delivery", lambda: order.pick_up(DELIVERY, "not needed"), order)


def test_order_is_picked_up_only_once():
    order = delivered()
    order.pick_up(DELIVERY + timedelta(days=5), "not needed")
    refused(
        "order_is_picked_up_only_once",
        lambda: order.pick_up(DELIVERY + timedelta(days=6), "again"),
        order,
    )
    assert order.status is OrderStatus.PICKED_UP


def test_pickup_is_not_before_delivery():
    order = delivered()
    refused(
        "pickup_is_not_before_delivery",
        lambda: order.pick_up(DELIVERY - timedelta(days=1), "not needed"),
        order,
    )
    order.pick_up(DELIVERY, "wrong size")
    assert order.picked_up_on == DELIVERY


def test_pickup_follows_every_opened_rental_month():
    order = delivered()
    order.open_due_rental_months(date(2026, 2, 28))
    refused(
        "pickup_follows_every_opened_rental_month",
        lambda: order.pick_up(date(2026, 2, 28), "not needed"),
        order,
    )
    order.pick_up(date(2026, 3, 1), "not needed")


# -- documents and decisions --------------------------------------------------------------


def test_swo_names_the_ordering_practitioner():
    order = place()
    refused(
        "swo_names_the_ordering_practitioner",
        lambda: order.record_swo(ORDER_DATE, OTHER_VALID_NPI),
        order,
    )
    refused("npi_passes_luhn_check", lambda: order.record_swo(ORDER_DATE, INVALID_NPI), order)
    order.record_swo(ORDER_DATE, VALID_NPI)
    assert order.swo_on_file and order.swo_signed_on == ORDER_DATE


def test_swo_is_not_signed_before_the_order_date():
    order = place()
    refused(
        "swo_is_not_signed_before_the_order_date",
        lambda: order.record_swo(ORDER_DATE - timedelta(days=1), VALID_NPI),
        order,
    )


def test_prior_authorization_applies_to_prior_auth_lines():
    bed = line("E0260")
    order = place(bed, "K0823")
    refused(
        "prior_authorization_applies_to_prior_auth_lines",
        lambda: order.affirm_prior_authorization("UTN1", ORDER_DATE, line_ids=[bed.line_id]),
        order,
    )
    plain = place(bed)
    refused(
        "prior_authorization_applies_to_prior_auth_lines",
        lambda: plain.non_affirm_prior_authorization(ORDER_DATE, "not needed"),
        plain,
    )


def test_prior_authorization_states_its_validity():
    with pytest.raises(RuleViolated) as caught:
        prior_authorization_states_its_validity(None)
    assert caught.value.rule == "prior_authorization_states_its_validity"
    prior_authorization_states_its_validity(ORDER_DATE)


def test_prior_authorization_is_valid_from_its_decision():
    order = place("K0823")
    refused(
        "prior_authorization_is_valid_from_its_decision",
        lambda: order.affirm_prior_authorization(
            "UTN1", ORDER_DATE, valid_until=ORDER_DATE - timedelta(days=1)
        ),
        order,
    )


def test_prior_authorization_decisions_are_recorded_in_date_order():
    order = place("K0823")
    order.non_affirm_prior_authorization(date(2026, 1, 10), "documentation incomplete")
    refused(
        "prior_authorization_decisions_are_recorded_in_date_order",
        lambda: order.affirm_prior_authorization("UTN1", date(2026, 1, 9)),
        order,
    )


def test_prior_authorization_defaults_to_the_catalogue_validity():
    power_chair, surface = line("K0823"), line("E0277")
    order = place(power_chair, surface)
    order.affirm_prior_authorization("jc-1234", ORDER_DATE, line_ids=[power_chair.line_id])
    order.affirm_prior_authorization("JC-5678", ORDER_DATE, line_ids=[surface.line_id])
    assert order.utn(power_chair.line_id) == "JC-1234"
    assert order.utn_valid_until(power_chair.line_id) == ORDER_DATE + timedelta(days=180)
    assert order.utn_valid_until(surface.line_id) == ORDER_DATE + timedelta(days=30)


def test_a_later_non_affirmation_withdraws_the_utn():
    chair = line("K0823")
    order = place(chair)
    order.affirm_prior_authorization("UTN1", ORDER_DATE)
    order.non_affirm_prior_authorization(ORDER_DATE + timedelta(days=1), "not reasonable")
    assert order.utn(chair.line_id) is None
    assert order.prior_authorization(chair.line_id).reason == "not reasonable"


def test_adherence_applies_to_pap_devices():
    bed = line("E0260")
    order = delivered(bed)
    refused(
        "adherence_applies_to_pap_devices",
        lambda: order.record_adherence(bed.line_id, DELIVERY + timedelta(days=31), True),
        order,
    )


def test_adherence_is_evaluated_after_delivery():
    cpap = line("E0601")
    order = make_ready(place(cpap))
    refused(
        "adherence_is_evaluated_after_delivery",
        lambda: order.record_adherence(cpap.line_id, DELIVERY, True),
        order,
    )
    order.deliver(DELIVERY, pod_for(order, DELIVERY))
    refused(
        "adherence_is_evaluated_after_delivery",
        lambda: order.record_adherence(cpap.line_id, DELIVERY, True),
        order,
    )


def test_latest_adherence_evaluation_decides_the_kx_modifier():
    cpap = line("E0601")
    order = delivered(cpap)
    assert order.adherence_met(cpap.line_id) is None
    order.record_adherence(cpap.line_id, DELIVERY + timedelta(days=31), False)
    order.record_adherence(cpap.line_id, DELIVERY + timedelta(days=80), True)
    assert order.adherence_met(cpap.line_id) is True
    assert len(order.adherence(cpap.line_id)) == 2


def test_abn_on_file_after_it_is_recorded():
    order = place("E0601")
    assert not order.abn_on_file
    order.record_abn(ORDER_DATE)
    assert order.abn_on_file and order.abn_signed_on == ORDER_DATE
    assert order.abn_decision is AbnDecision.SIGNED


@pytest.mark.parametrize("decision", ["refused", "not_obtained", AbnDecision.SIGNED])
def test_abn_records_its_decision(decision):
    order = place("E0601")
    order.record_abn(ORDER_DATE, decision)
    assert order.abn_decision is AbnDecision(decision)
    assert replay(order.collect_events()).abn_decision is AbnDecision(decision)


@pytest.mark.parametrize("decision", ["maybe", None])
def test_abn_decision_is_signed_refused_or_not_obtained(decision):
    order = place("E0601")
    order.collect_events()
    with pytest.raises(InvalidValue) as raised:
        order.record_abn(ORDER_DATE, decision)
    assert raised.value.rule == "abn_decision_is_signed_refused_or_not_obtained"
    assert order.collect_events() == []


def test_an_abn_recorded_before_decisions_were_replays_as_signed():
    order = place("E0601")
    order.record_abn(ORDER_DATE)
    events = order.collect_events()
    del events[-1].__dict__["decision"]  # as stored before the attribute existed
    assert replay(events).abn_decision is AbnDecision.SIGNED


# -- delivery -----------------------------------------------------------------------------


def test_order_is_delivered_only_once():
    order = delivered()
    refused(
        "order_is_delivered_only_once",
        lambda: order.deliver(DELIVERY, pod_for(order, DELIVERY)),
        order,
    )


def test_order_on_hold_cannot_be_delivered():
    order = make_ready(place())
    order.hold("awaiting payment", ORDER_DATE)
    assert order.status is OrderStatus.ON_HOLD
    refused(
        "order_on_hold_cannot_be_delivered",
        lambda: order.deliver(DELIVERY, pod_for(order, DELIVERY)),
        order,
    )


def test_delivery_is_not_before_order_date():
    order = make_ready(place())
    early = ORDER_DATE - timedelta(days=1)
    refused(
        "delivery_is_not_before_order_date",
        lambda: order.deliver(early, pod_for(order, early)),
        order,
    )


def test_delivery_is_not_in_the_future():
    order = make_ready(place())
    refused(
        "delivery_is_not_in_the_future",
        lambda: order.deliver(DELIVERY, pod_for(order, DELIVERY), today=DELIVERY - timedelta(1)),
        order,
    )
    order.deliver(DELIVERY, pod_for(order, DELIVERY), today=DELIVERY)  # today itself is fine
    assert order.delivered_on == DELIVERY


def test_billing_run_is_not_in_the_future():
    with pytest.raises(RuleViolated) as refusal:
        billing_run_is_not_in_the_future(DELIVERY + timedelta(days=1), DELIVERY)
    assert refusal.value.rule == "billing_run_is_not_in_the_future"
    billing_run_is_not_in_the_future(DELIVERY, DELIVERY)


def test_delivery_requires_verified_eligible_coverage():
    order = place()
    deliver = lambda: order.deliver(DELIVERY, pod_for(order, DELIVERY))  # noqa: E731
    refused("delivery_requires_verified_eligible_coverage", deliver, order)
    order.verify_coverage(uuid4(), "DMEMAC-JC", ORDER_DATE, False, False)
    refused("delivery_requires_verified_eligible_coverage", deliver, order)
    order.verify_coverage(uuid4(), "DMEMAC-JC", DELIVERY + timedelta(days=1), True, False)
    refused("delivery_requires_verified_eligible_coverage", deliver, order)
    order.verify_coverage(uuid4(), "DMEMAC-JC", DELIVERY, True, False)
    deliver()
    assert order.payer_id == "DMEMAC-JC"


def test_same_or_similar_equipment_blocks_delivery():
    order = place()
    order.verify_coverage(uuid4(), "DMEMAC-JC", ORDER_DATE, True, True)
    refused(
        "same_or_similar_equipment_blocks_delivery",
        lambda: order.deliver(DELIVERY, pod_for(order, DELIVERY)),
        order,
    )


def test_delivery_requires_unexpired_prior_authorization():
    chair = line("K0823")
    order = place(chair)
    order.verify_coverage(uuid4(), "DMEMAC-JC", ORDER_DATE, True, False)
    order.record_wopd(ORDER_DATE)
    order.record_face_to_face(ORDER_DATE)
    deliver_on = lambda on: lambda: order.deliver(on, pod_for(order, on))  # noqa: E731
    refused("delivery_requires_unexpired_prior_authorization", deliver_on(DELIVERY), order)
    order.affirm_prior_authorization("UTN1", date(2026, 1, 10), valid_until=date(2026, 1, 30))
    refused("delivery_requires_unexpired_prior_authorization", deliver_on(DELIVERY), order)
    refused("delivery_requires_unexpired_prior_authorization", deliver_on(date(2026, 1, 9)), order)
    deliver_on(date(2026, 1, 30))()
    assert order.utn(chair.line_id) == "UTN1"
    assert order.delivered_on == date(2026, 1, 30)


def test_delivery_refused_after_prior_authorization_non_affirmed():
    order = make_ready(place("E0277"))
    order.non_affirm_prior_authorization(ORDER_DATE + timedelta(days=1), "not reasonable")
    refused(
        "delivery_requires_unexpired_prior_authorization",
        lambda: order.deliver(DELIVERY, pod_for(order, DELIVERY)),
        order,
    )


def test_delivery_of_wopd_item_requires_wopd_and_face_to_face():
    order = place("K0823")
    order.verify_coverage(uuid4(), "DMEMAC-JC", ORDER_DATE, True, False)
    order.affirm_prior_authorization("UTN1", ORDER_DATE)
    deliver = lambda: order.deliver(DELIVERY, pod_for(order, DELIVERY))  # noqa: E731
    rule = "delivery_of_wopd_item_requires_wopd_and_face_to_face"
    refused(rule, deliver, order)
    order.record_wopd(DELIVERY + timedelta(days=1))
    order.record_face_to_face(ORDER_DATE)
    refused(rule, deliver, order)
    order.record_wopd(DELIVERY)
    order.record_face_to_face(DELIVERY + timedelta(days=1))
    refused(rule, deliver, order)
    order.record_face_to_face(DELIVERY)  # the day of the WOPD: within the six months before it
    deliver()
    assert order.status is OrderStatus.DELIVERED


def test_oxygen_needs_a_wopd_and_face_to_face_from_the_day_it_joined_the_list():
    # FR Doc. 2026-00487 put the oxygen concentrator on the Required List from 13 April 2026:
    # the list on the delivery date decides (domain/reference/wopd_required_list.csv).
    rule = "delivery_of_wopd_item_requires_wopd_and_face_to_face"
    for delivered_on, listed in [(date(2026, 4, 12), False), (date(2026, 4, 13), True)]:
        order = place("E1390", order_date=date(2026, 4, 1))
        order.verify_coverage(uuid4(), "DMEMAC-JC", date(2026, 4, 1), True, False)
        order.record_swo(date(2026, 4, 1), order.ordering_npi)
        deliver = lambda o=order, d=delivered_on: o.deliver(d, pod_for(o, d))  # noqa: E731
        if not listed:
            deliver()
            assert order.status is OrderStatus.DELIVERED
            continue
        refused(rule, deliver, order)
        order.record_wopd(date(2026, 4, 1))
        order.record_face_to_face(date(2026, 3, 20))
        deliver()
        assert order.status is OrderStatus.DELIVERED


def test_face_to_face_is_within_six_months_before_the_wopd():
    rule = "face_to_face_is_within_six_months_before_the_wopd"
    wopd = DELIVERY - timedelta(days=2)  # 2026-01-29: six months earlier is 2025-07-29
    for encounter, accepted in [
        (date(2025, 7, 28), False),  # a day more than six months before the WOPD
        (date(2025, 7, 29), True),
        (wopd, True),
        (wopd + timedelta(days=1), False),  # after the WOPD, though before delivery
    ]:
        order = place("K0823", order_date=date(2025, 7, 1))
        order.verify_coverage(uuid4(), "DMEMAC-JC", date(2025, 7, 1), True, False)
        order.affirm_prior_authorization("UTN1", DELIVERY - timedelta(days=10))
        order.record_wopd(wopd)
        order.record_face_to_face(encounter)
        deliver = lambda o=order: o.deliver(DELIVERY, pod_for(o, DELIVERY))  # noqa: E731
        if accepted:
            deliver()
            assert order.status is OrderStatus.DELIVERED
        else:
            refused(rule, deliver, order)


def test_the_six_month_window_binds_only_items_listed_on_the_delivery_date():
    # Oxygen joined the Required List on 13 April 2026: delivered the day before, its
    # documents are not held to the face-to-face window; from that day they are.
    rule = "face_to_face_is_within_six_months_before_the_wopd"
    for delivered_on, listed in [(date(2026, 4, 12), False), (date(2026, 4, 13), True)]:
        order = place("E1390", order_date=date(2026, 4, 1))
        order.verify_coverage(uuid4(), "DMEMAC-JC", date(2026, 4, 1), True, False)
        order.record_swo(date(2026, 4, 1), order.ordering_npi)
        order.record_wopd(date(2026, 4, 1))
        order.record_face_to_face(date(2025, 9, 1))  # seven months before the WOPD
        deliver = lambda o=order, d=delivered_on: o.deliver(d, pod_for(o, d))  # noqa: E731
        if listed:
            refused(rule, deliver, order)
        else:
            deliver()
            assert order.status is OrderStatus.DELIVERED


def test_proof_of_delivery_is_signed_on_delivery_date():
    order = make_ready(place())
    pod = pod_for(order, DELIVERY, signed_on=DELIVERY + timedelta(days=1))
    refused(
        "proof_of_delivery_is_signed_on_delivery_date", lambda: order.deliver(DELIVERY, pod), order
    )


def test_supplier_may_not_sign_proof_of_delivery():
    order = make_ready(place())
    pod = pod_for(order, DELIVERY, supplier_signed=True)
    refused("supplier_may_not_sign_proof_of_delivery", lambda: order.deliver(DELIVERY, pod), order)


def test_designee_signature_states_relationship():
    order = make_ready(place())
    designee = pod_for(order, DELIVERY, relationship=SignerRelationship.DESIGNEE)
    rule = "designee_signature_states_relationship"
    refused(rule, lambda: order.deliver(DELIVERY, designee), order)
    patient_with_text = pod_for(order, DELIVERY, designee_relationship="daughter")
    refused(rule, lambda: order.deliver(DELIVERY, patient_with_text), order)
    order.deliver(DELIVERY, dataclasses.replace(designee, designee_relationship=" daughter "))
    assert order.pod.designee_relationship == "daughter"


def test_serial_numbers_only_for_serialized_lines():
    walker = line("E0143")
    order = make_ready(place("E0260", walker))
    pod = pod_for(order, DELIVERY)
    extra = (*pod.serial_numbers, LineSerial(walker.line_id, "W1"))
    stray = dataclasses.replace(pod, serial_numbers=extra)
    refused(
        "serial_numbers_only_for_serialized_lines", lambda: order.deliver(DELIVERY, stray), order
    )


def test_serialized_lines_record_one_serial_per_unit():
    bed = line("E0260", quantity=2)
    order = make_ready(place(bed))
    rule = "serialized_lines_record_one_serial_per_unit"
    one = pod_for(order, DELIVERY, serial_numbers=(LineSerial(bed.line_id, "B1"),))
    refused(rule, lambda: order.deliver(DELIVERY, one), order)
    two = (LineSerial(bed.line_id, "B1"), LineSerial(bed.line_id, "B2"))
    order.deliver(DELIVERY, pod_for(order, DELIVERY, serial_numbers=two))
    assert order.pod.serials_for(bed.line_id) == ("B1", "B2")


def test_serial_numbers_are_distinct():
    bed = line("E0260", quantity=2)
    order = make_ready(place(bed))
    same = (LineSerial(bed.line_id, "B1"), LineSerial(bed.line_id, " B1"))
    pod = pod_for(order, DELIVERY, serial_numbers=same)
    refused("serial_numbers_are_distinct", lambda: order.deliver(DELIVERY, pod), order)


def test_proof_of_delivery_is_stored_normalised():
    bed = line("E0260")
    order = make_ready(place(bed))
    pod = pod_for(
        order,
        DELIVERY,
        signer_name=" Grace Hopper ",
        designee_relationship=" ",
        serial_numbers=[LineSerial(bed.line_id, " B1 ")],
    )
    order.deliver(DELIVERY, pod)
    assert order.pod.signer_name == "Grace Hopper"
    assert order.pod.designee_relationship is None
    assert order.pod.serial_numbers == (LineSerial(bed.line_id, "B1"),)


def test_delivery_blockers_list_every_rule_that_would_refuse():
    order = place("K0823")
    assert order.delivery_blockers(DELIVERY) == (
        "delivery_requires_verified_eligible_coverage",
        "delivery_requires_unexpired_prior_authorization",
        "delivery_of_wopd_item_requires_wopd_and_face_to_face",
    )
    make_ready(order)
    assert order.ready_for_delivery(DELIVERY)
    assert not order.ready_for_delivery(ORDER_DATE + timedelta(days=181))


# -- rental months ------------------------------------------------------------------------


def test_rental_month_numbers_only_go_up():
    line_id = uuid4()
    opened = [RentalMonth(line_id, 1, DELIVERY, date(2026, 2, 27))]
    for number in (1, 3):
        with pytest.raises(RuleViolated) as caught:
            rental_month_numbers_only_go_up(opened, number)
        assert caught.value.rule == "rental_month_numbers_only_go_up"
    rental_month_numbers_only_go_up(opened, 2)
    bed = line("E0260")
    order = delivered(bed)
    order.open_due_rental_months(date(2026, 3, 1))
    order.open_due_rental_months(date(2026, 5, 1))
    assert [m.month_number for m in order.rental_months(bed.line_id)] == [1, 2, 3, 4]


def test_rental_month_is_within_the_cap():
    with pytest.raises(RuleViolated) as caught:
        rental_month_is_within_the_cap(13, 14)
    assert caught.value.rule == "rental_month_is_within_the_cap"
    rental_month_is_within_the_cap(13, 13)
    bed = line("E0260")
    order = delivered(bed)
    order.open_due_rental_months(date(2030, 1, 1))
    assert order.rental_months(bed.line_id)[-1].month_number == 13


# -- what the claim process manager reads -------------------------------------------------


def test_purchases_are_billable_once_delivered_and_not_while_on_hold():
    walker, mask = line("E0143", LineBilling.PURCHASE_USED), line("A7030")
    order = make_ready(place("E0260", walker, mask))
    assert order.billable_purchases() == ()
    order.deliver(DELIVERY, pod_for(order, DELIVERY))
    assert [ln.line_id for ln in order.billable_purchases()] == [walker.line_id, mask.line_id]
    order.hold("billing review", DELIVERY)
    assert order.billable_purchases() == ()


def test_delivered_order_answers_the_claim_questions():
    bed = line("E0260")
    order = make_ready(place(bed))
    order.record_swo(ORDER_DATE, VALID_NPI)
    order.deliver(DELIVERY, pod_for(order, DELIVERY))
    assert order.delivered_on == DELIVERY
    assert order.ordering_npi == VALID_NPI
    assert order.swo_on_file
    assert order.pod.serials_for(bed.line_id)
    assert order.coverage.eligible and order.payer_id == "DMEMAC-JC"
    assert order.diagnoses == ("E11.9", "G47.33")
    assert order.lines[0] == bed


def test_every_order_event_replays_through_the_json_transcoder_to_an_equal_order():
    cpap, chair, oxygen = line("E0601"), line("K0823"), line("E1390", flow=Decimal("2.5"))
    order = make_ready(place(cpap, chair, oxygen, line("A7030")))
    events = order.collect_events()
    order.record_swo(ORDER_DATE, VALID_NPI)
    order.record_abn(ORDER_DATE)
    order.non_affirm_prior_authorization(ORDER_DATE + timedelta(days=1), "incomplete")
    order.affirm_prior_authorization("UTN2", ORDER_DATE + timedelta(days=2))
    designee = pod_for(
        order,
        DELIVERY,
        relationship=SignerRelationship.DESIGNEE,
        designee_relationship="spouse",
    )
    order.deliver(DELIVERY, designee)
    order.open_due_rental_months(date(2026, 4, 1))
    order.hold("billing review", date(2026, 4, 2))
    order.release(date(2026, 4, 3))
    order.record_adherence(cpap.line_id, DELIVERY + timedelta(days=40), True)
    order.pick_up(date(2026, 6, 1), "no longer needed")
    events += order.collect_events()
    cancelled = place()
    cancelled.hold("awaiting paperwork", ORDER_DATE)
    cancelled.cancel("patient declined", ORDER_DATE)
    assert vars(replay(events)) == vars(order)
    assert vars(replay(cancelled.collect_events())) == vars(cancelled)


def test_every_rule_has_a_test_named_after_it():
    tests = {name for name in vars(sys.modules[__name__]) if name.startswith("test_")}
    declared = rules_of("domain.order_rules") + rules_of("domain.order_delivery")
    missing = [rule for rule in declared if f"test_{rule}" not in tests]
    assert missing == []
