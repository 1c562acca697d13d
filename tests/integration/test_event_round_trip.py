"""Save then reload round-trips every event type through PostgreSQL (property-based).

The aggregates' state machines (tests/unit) generate random valid and invalid command
histories; here each history is stored in the real event store and the aggregate is loaded
back from PostgreSQL, which must give exactly the live aggregate. Together the machines reach
every event type; `test_the_machines_reach_every_event_type` keeps that true."""

from __future__ import annotations

import dataclasses
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.domain import CanMutateProtocol, CollectEventsProtocol, DomainEventProtocol
from hypothesis import settings

from application.bulk_loads import load_many
from application.protocol_checks import conforms
from domain import registry
from projections.decoding import EventDecoder
from tests.unit.replay import event_classes
from tests.unit.test_claim_state_machine import ClaimLifecycle
from tests.unit.test_order_state_machine import OrderMachine
from tests.unit.test_patient_state_machine import PatientMachine

# The last test counts what the others stored: `make test` runs a module's tests in one
# process, in file order (pytest-xdist's --dist loadfile).
pytestmark = pytest.mark.integration

APPS: dict[str, object] = {}
SEEN: set[str] = set()


@pytest.fixture(autouse=True, scope="module")
def _applications(isolated_aries):
    """A database of the module's own: the histories it stores have made-up ids (one coverage
    id under several patients) that would stop the projections of tests sharing the session's
    database, whichever order pytest-xdist runs the modules in."""
    aries = isolated_aries
    APPS.update(patients=aries.patients, orders=aries.orders, claims=aries.claims)
    yield
    APPS.clear()


def _store_and_reload(app, aggregate, events) -> None:
    if not events:
        return
    # The machines derive ids deterministically (so Hypothesis can shrink): store each
    # history under a fresh id, or a second example would collide with the first.
    fresh_id = uuid4()
    renamed = [dataclasses.replace(event, originator_id=fresh_id) for event in events]
    stored = [app.mapper.to_stored_event(event) for event in renamed]
    app.recorder.insert_events(stored)
    # The projections decode the same stored events their own way: to the same events.
    decode = EventDecoder(app.mapper)
    for record in stored:
        decoded, mapped = decode(record), app.mapper.to_domain_event(record)
        assert type(decoded) is type(mapped)
        assert vars(decoded) == vars(mapped)
        _same_types(vars(decoded), vars(mapped))
    # Each class's typed parser (projections/event_schemas.py) took its events, none fell back.
    assert all(typed is not None and not typed.failed for typed in decode._typed.values())  # noqa: SLF001
    SEEN.update(type(event).TOPIC for event in events)
    reloaded = app.repository.get(fresh_id)
    assert vars(reloaded) == {**vars(aggregate), "_id": fresh_id}
    # A submission's batch load (application.bulk_loads) folds the same events through the
    # typed decoder: to the same aggregate.
    loaded = load_many(app, [fresh_id], type(aggregate), decode)
    assert vars(loaded[fresh_id]) == vars(reloaded)
    # Aries' load asks the library's Protocol checks once per class (application/
    # protocol_checks.py): the same aggregate, and the same answers, for every event type.
    assert vars(app.load(fresh_id, type(aggregate))) == vars(reloaded)
    for obj in (aggregate, *renamed):
        for protocol in (CanMutateProtocol, DomainEventProtocol, CollectEventsProtocol):
            assert conforms(obj, protocol) is isinstance(obj, protocol)


def _same_types(decoded: Any, mapped: Any) -> None:
    """Equal is not enough: 1 == 1.0 == Decimal(1), and a list is not the tuple the mapper
    makes; the types must be the same all the way down."""
    assert type(decoded) is type(mapped), (decoded, mapped)
    if isinstance(mapped, dict):
        for key, value in mapped.items():
            _same_types(decoded[key], value)
    elif isinstance(mapped, list | tuple):
        for one, other in zip(decoded, mapped, strict=True):
            _same_types(one, other)
    elif dataclasses.is_dataclass(mapped):
        _same_types(vars(decoded), vars(mapped))


class PatientsThroughPostgres(PatientMachine):
    def teardown(self) -> None:
        if hasattr(self, "patient"):
            _store_and_reload(APPS["patients"], self.patient, self.history)


class OrdersThroughPostgres(OrderMachine):
    def teardown(self) -> None:
        if hasattr(self, "order"):
            _store_and_reload(APPS["orders"], self.order, self.events)


class ClaimsThroughPostgres(ClaimLifecycle):
    def teardown(self) -> None:
        if hasattr(self, "claim"):
            _store_and_reload(APPS["claims"], self.claim, self.events)


# Derandomized: the same histories every run, enough of them to reach every event type
# (the last test checks that), so coverage never depends on luck.
BOUNDED = settings(max_examples=150, stateful_step_count=40, deadline=None, derandomize=True)
TestPatientsThroughPostgres = PatientsThroughPostgres.TestCase
TestPatientsThroughPostgres.settings = BOUNDED
TestOrdersThroughPostgres = OrdersThroughPostgres.TestCase
TestOrdersThroughPostgres.settings = BOUNDED
TestClaimsThroughPostgres = ClaimsThroughPostgres.TestCase
TestClaimsThroughPostgres.settings = BOUNDED


def _claim_stories() -> list:
    """Deep claim paths random walks reach only rarely: rejection and resubmission, secondary
    payer, patient responsibility and payment, appeal and its decision, replacement, void,
    write-off and close, an unconfirmed transmission settled either way."""
    from datetime import date, timedelta
    from decimal import Decimal

    from domain.claim_values import AppealLevel
    from tests.unit import claim_builders as b

    rejected = b.submitted(ordering_npi="1234567893")
    rejected.acknowledge(False, ["A7:562 entity's NPI"], b.at(13))
    rejected.correct(on=date(2025, 3, 14), ordering_npi="1245319599")

    secondary = b.paid()
    secondary.transfer_to_secondary("COM-AETNA", uuid4(), date(2025, 4, 2))
    secondary.assign_patient_responsibility(date(2025, 5, 1), "secondary did not pay")

    patient_pays = b.paid()
    patient_pays.record_patient_payment(Decimal("25.00"), b.PAID_ON, "CHK-1")

    status_asked = b.submitted()  # a 277 answer on a claim the payer was sent
    status_asked.record_status_report("F2", "1", None, b.PAID_ON, None, "ICN-9", b.at(20))

    appealed = b.denied()
    appealed.appeal(AppealLevel.REDETERMINATION, b.PAID_ON + timedelta(days=10), "meets policy")
    appealed.decide_appeal(b.PAID_ON + timedelta(days=40), False)
    replaced = b.paid()
    replaced.replace(b.PAID_ON + timedelta(days=5), "wrong modifier")

    voided = b.paid()
    voided.void(b.PAID_ON + timedelta(days=5), "wrong patient")

    settled = b.paid()
    settled.write_off(b.PAID_ON + timedelta(days=5), "small balance")
    settled.close(b.PAID_ON + timedelta(days=6))

    unconfirmed = []  # an interchange nobody could confirm, found received / never received
    for _ in range(2):
        claim = b.scrubbed()
        claim.request_submission(1)
        claim.prepare_transmission("000000105", [uuid4(), claim.id], b.at(12))
        claim.leave_transmission_unconfirmed("no status service", b.at(12))
        unconfirmed.append(claim)
    unconfirmed[0].record_transmission_received(b.at(13))
    unconfirmed[1].record_transmission_not_received(b.at(13))

    from tests.unit.test_claim_lifecycle_rules import reversed_after_patient_paid

    refunded = reversed_after_patient_paid()  # the patient's payment became a credit
    refunded.refund_patient(Decimal("5.00"), b.PAID_ON + timedelta(days=60), "REFUND-1")
    return [rejected, secondary, patient_pays, status_asked, appealed, replaced, voided, settled,
            *unconfirmed, refunded]


def test_deep_claim_histories_round_trip_through_postgres():
    for claim in _claim_stories():
        _store_and_reload(APPS["claims"], claim, claim.collect_events())


def test_every_order_event_round_trips_through_postgres():
    """Every Order event stored on purpose: which ones the derandomized walk reaches depends on
    what ran before it in the process (an unrelated import, another test module first), so
    coverage must not rest on it."""
    from datetime import timedelta

    from tests.unit.order_builders import delivered, make_ready, place

    cpap = delivered("E0601", "K0823")
    on = cpap.delivered_on
    cpap.record_swo(on, cpap.ordering_npi)
    cpap.record_abn(on)
    cpap.record_adherence(cpap.lines[0].line_id, on + timedelta(days=31), True)
    cpap.hold("patient in hospital", on + timedelta(days=35))
    cpap.release(on + timedelta(days=40))
    cpap.open_due_rental_months(on + timedelta(days=70))
    cpap.pick_up(on + timedelta(days=90), "no longer needed")
    refused = make_ready(place("K0823"))
    refused.non_affirm_prior_authorization(refused.order_date, "not medically necessary")
    refused.cancel("prior authorization refused", refused.order_date)
    for order in (cpap, refused, _order_with_a_stay_and_a_redelivery()):
        _store_and_reload(APPS["orders"], order, order.collect_events())
    declared = {cls.TOPIC for cls in event_classes(type(cpap)) if cls.__name__ != "Event"}
    assert declared - {"aries.order.Created"} <= SEEN


def test_billing_holds_and_runs_round_trip_through_postgres():
    from datetime import date

    from domain.billing_hold import BillingHold
    from domain.billing_run import BillingRun

    hold = BillingHold.place(
        order_id=uuid4(), patient_id=uuid4(), payer_id=None, billing_month="2026-03",
        rule_name="billing_requires_a_verified_payer", held_on=date(2026, 3, 4),
    )
    hold.refused_again("claim_requires_delivery_and_swo", "MCR-DMEB", date(2026, 3, 5))
    hold.clear(uuid4(), date(2026, 3, 9))
    _store_and_reload(APPS["claims"], hold, hold.collect_events())
    run = BillingRun.request(
        run_id=uuid4(), as_of=date(2026, 3, 1), today=date(2026, 3, 2), requested_by="u-1"
    )
    _store_and_reload(APPS["claims"], run, run.collect_events())
    assert {"aries.billing_hold.Cleared", "aries.billing_run.Requested"} <= SEEN


def test_an_order_with_stays_and_a_redelivery_round_trips_through_postgres():
    """A path random walks reach only rarely: a stay with its discharge, a pickup, a new SWO
    and a redelivery that starts a second rental period."""
    order = _order_with_a_stay_and_a_redelivery()
    _store_and_reload(APPS["orders"], order, order.collect_events())
    assert {"aries.order.InstitutionalStayEnded", "aries.order.Redelivered"} <= SEEN


def _order_with_a_stay_and_a_redelivery():
    from datetime import date

    from tests.unit.order_builders import make_ready, place, pod_for

    on = date(2026, 1, 15)
    order = make_ready(place("E0260"), on)
    order.record_swo(on, order.ordering_npi)
    order.deliver(on, pod_for(order, on))
    order.open_due_rental_months(date(2026, 2, 15))
    order.record_admission(date(2026, 3, 1), "snf")
    order.record_discharge(date(2026, 3, 20))
    order.open_due_rental_months(date(2026, 3, 20))
    order.pick_up(date(2026, 3, 25), "recovered")
    back = date(2026, 7, 1)
    order.record_swo(date(2026, 6, 28), order.ordering_npi)
    order.redeliver(back, pod_for(order, back))
    order.record_new_rental_period_documents(date(2026, 6, 28), date(2026, 6, 28))
    order.open_due_rental_months(back)
    return order


def test_patient_stories_round_trip_through_postgres():
    """Every Patient event stored on purpose (as for orders above): an amended note, an
    eligibility answer, a summary asked for, written and reviewed, corrected demographics, a
    terminated coverage and a deactivation."""
    from datetime import UTC, date, datetime, timedelta

    from domain.patient import Patient
    from tests.unit.test_patient import (
        AT,
        MBI,
        add_coverage,
        add_note,
        amend,
        demographics,
        record_summary,
    )

    patient = Patient.register(account_number="ACC-RT", demographics=demographics(),
                               as_of=date(2024, 5, 1), mbi=MBI)
    coverage_id = add_coverage(patient)
    patient.record_eligibility(coverage_id, "BCBS01", "inactive", date(2024, 5, 1),
                               datetime(2024, 5, 1, 15, tzinfo=UTC))
    note_id = add_note(patient, subjective="short of breath")
    amend(patient, note_id)
    summary_id = uuid4()
    patient.request_summary(summary_id, "user-42")
    record_summary(patient, [(note_id, 2)], summary_id=summary_id)
    patient.review_summary(summary_id, "dr-9", AT + timedelta(days=1), True)
    patient.correct_demographics(demographics(), as_of=date(2024, 5, 2))
    patient.terminate_coverage(coverage_id, date(2024, 6, 1))
    patient.deactivate("moved away", date(2024, 7, 1))
    _store_and_reload(APPS["patients"], patient, patient.collect_events())
    declared = {cls.TOPIC for cls in event_classes(Patient) if cls.__name__ != "Event"}
    assert declared - {"aries.patient.Created"} <= SEEN


def test_the_machines_reach_every_event_type():
    """Runs after the tests above (pytest keeps file order): every event class an aggregate
    can record was stored and reloaded at least once."""
    declared = {
        cls.TOPIC
        for aggregate in registry.AGGREGATES
        if aggregate.__name__ in {"Patient", "Order", "Claim"}
        for cls in event_classes(aggregate)
        if cls.__name__ not in {"Event", "Created"}
    }
    missing = sorted(declared - SEEN)
    assert missing == [], f"never stored and reloaded: {', '.join(missing)}"
