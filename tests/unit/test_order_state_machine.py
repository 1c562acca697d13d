"""Random sequences of valid and invalid Order commands.

A refused command raises a DomainError, appends no event and leaves the state unchanged; the
invariants hold after every step; and the events, replayed through the real JSON transcoder,
rebuild an order equal to the live one.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.catalogue import item
from domain.errors import DomainError
from domain.order_values import (
    LineBilling,
    LineSerial,
    OrderStatus,
    SignerRelationship,
    rental_month_dates,
)
from tests.unit.order_builders import (
    INVALID_NPI,
    ORDER_DATE,
    OTHER_VALID_NPI,
    VALID_NPI,
    line,
    place,
    pod_for,
)
from tests.unit.replay import replay, round_trip

CODES = ["E0260", "E1390", "E0143", "A7030", "K0823", "E0601", "E0601", "E0277"]
offsets = st.integers(min_value=-40, max_value=60)
reasons = st.sampled_from(["awaiting paperwork", "patient request", "   "])
POD_FLAWS = [
    None,
    None,
    None,
    "no_serials",
    "supplier_signed",
    "designee_without_relationship",
    "signed_another_day",
    "blank_signer",
]


class OrderMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.today = ORDER_DATE
        self.events: list[Any] = []

    @initialize(
        codes=st.lists(st.sampled_from(CODES), min_size=1, max_size=3),
        quantities=st.lists(st.integers(1, 2), min_size=3, max_size=3),
        walker_billing=st.sampled_from(list(LineBilling)),
    )
    def place_order(self, codes, quantities, walker_billing):
        lines = [
            line(code, walker_billing if code == "E0143" else None, quantity=quantity)
            for code, quantity in zip(codes, quantities, strict=False)
        ]
        self.order = place(*lines)
        self.events = self.order.collect_events()
        self.replayed = replay(self.events)

    # -- the harness: every command goes through `attempt` --------------------------------

    def attempt(self, command: Callable[[], object]) -> bool:
        before = copy.deepcopy(vars(self.order))
        try:
            command()
        except DomainError:
            assert self.order.collect_events() == []
            assert vars(self.order) == before
            return False
        new = self.order.collect_events()
        self.events += new
        for stored in round_trip(new):
            self.replayed = stored.mutate(self.replayed)
        return True

    def day(self, offset: int) -> date:
        return self.today + timedelta(days=offset)

    # -- rules ----------------------------------------------------------------------------

    @rule(days=st.integers(0, 75))
    def time_passes(self, days):
        self.today += timedelta(days=days)

    @rule(offset=offsets, eligible=st.booleans(), same_or_similar=st.booleans())
    def verify_coverage(self, offset, eligible, same_or_similar):
        self.attempt(
            lambda: self.order.verify_coverage(
                uuid4(), "DMEMAC-JC", self.day(offset), eligible, same_or_similar
            )
        )

    @rule(and_deliver=st.booleans())
    def prepare_for_delivery(self, and_deliver):
        """The valid path: eligible coverage, documents and a fresh UTN dated today, then
        (maybe) release and deliver with a correct proof of delivery."""
        today = self.today
        self.attempt(lambda: self.order.verify_coverage(uuid4(), "DMEMAC-JC", today, True, False))
        self.attempt(lambda: self.order.record_wopd(today))
        self.attempt(lambda: self.order.record_face_to_face(today))
        self.attempt(lambda: self.order.affirm_prior_authorization("JC12345678PA", today))
        if and_deliver:
            self.attempt(lambda: self.order.release(today))
            self.deliver(offset=0, flaw=None)

    @rule(offset=offsets, npi=st.sampled_from([VALID_NPI, INVALID_NPI, OTHER_VALID_NPI]))
    def record_swo(self, offset, npi):
        self.attempt(lambda: self.order.record_swo(self.day(offset), npi))

    @rule(offset=offsets, document=st.sampled_from(["wopd", "face_to_face", "abn"]))
    def record_document(self, offset, document):
        command = getattr(self.order, f"record_{document}")
        self.attempt(lambda: command(self.day(offset)))

    @rule(
        offset=offsets,
        utn=st.sampled_from(["JC12345678PA", "bad utn!"]),
        validity=st.none() | st.integers(-3, 200),
        all_lines=st.booleans(),
        data=st.data(),
    )
    def affirm_prior_authorization(self, offset, utn, validity, all_lines, data):
        decided_on = self.day(offset)
        valid_until = None if validity is None else decided_on + timedelta(days=validity)
        line_ids = None
        if not all_lines:
            line_ids = [data.draw(st.sampled_from([ln.line_id for ln in self.order.lines]))]
        self.attempt(
            lambda: self.order.affirm_prior_authorization(utn, decided_on, valid_until, line_ids)
        )

    @rule(offset=offsets, reason=reasons)
    def non_affirm_prior_authorization(self, offset, reason):
        self.attempt(lambda: self.order.non_affirm_prior_authorization(self.day(offset), reason))

    @rule(offset=st.integers(-5, 30), flaw=st.sampled_from(POD_FLAWS))
    def deliver(self, offset, flaw):
        on = self.day(offset)
        pod = pod_for(self.order, on)
        if flaw == "no_serials":
            pod = dataclasses.replace(pod, serial_numbers=pod.serial_numbers[1:])
            if pod.serial_numbers == pod_for(self.order, on).serial_numbers:
                pod = dataclasses.replace(pod, serial_numbers=(LineSerial(uuid4(), "X1"),))
        elif flaw == "supplier_signed":
            pod = dataclasses.replace(pod, supplier_signed=True)
        elif flaw == "designee_without_relationship":
            pod = dataclasses.replace(pod, relationship=SignerRelationship.DESIGNEE)
        elif flaw == "signed_another_day":
            pod = dataclasses.replace(pod, signed_on=on + timedelta(days=1))
        elif flaw == "blank_signer":
            pod = dataclasses.replace(pod, signer_name=" ")
        blockers = self.order.delivery_blockers(on)
        done = self.attempt(lambda: self.order.deliver(on, pod))
        if blockers or flaw is not None:
            assert not done
        else:
            assert done, "a ready order with a correct POD must be delivered"
            assert self.order.delivered_on == on

    @rule(offset=offsets, reason=reasons)
    def hold(self, offset, reason):
        self.attempt(lambda: self.order.hold(reason, self.day(offset)))

    @rule(offset=offsets)
    def release(self, offset):
        self.attempt(lambda: self.order.release(self.day(offset)))

    @rule(offset=st.integers(-30, 1200))
    def open_due_rental_months(self, offset):
        as_of = self.day(offset)
        due = self.order.due_rental_months(as_of)
        opened: list[Any] = []
        assert self.attempt(lambda: opened.extend(self.order.open_due_rental_months(as_of)))
        assert opened == due
        assert self.order.due_rental_months(as_of) == []

    @rule(offset=offsets, reason=reasons)
    def pick_up(self, offset, reason):
        self.attempt(lambda: self.order.pick_up(self.day(offset), reason))

    @rule(offset=st.integers(-5, 90), setting=st.sampled_from(["hospital", "snf", "home"]))
    def record_admission(self, offset, setting):
        self.attempt(lambda: self.order.record_admission(self.day(offset), setting))

    @rule(offset=st.integers(-5, 120))
    def record_discharge(self, offset):
        self.attempt(lambda: self.order.record_discharge(self.day(offset)))

    @rule(offset=st.integers(-5, 150), new_swo=st.booleans())
    def redeliver(self, offset, new_swo):
        on = self.day(offset)
        if new_swo:
            self.attempt(lambda: self.order.record_swo(on, VALID_NPI))
        self.attempt(lambda: self.order.redeliver(on, pod_for(self.order, on)))

    @rule(offset=offsets, reason=reasons, really=st.sampled_from([False, False, False, True]))
    def cancel(self, offset, reason, really):
        """Mostly refused attempts (after delivery, blank reason): a cancellation ends the run."""
        if really or self.order.delivered_on is not None or not reason.strip():
            self.attempt(lambda: self.order.cancel(reason, self.day(offset)))

    @rule(offset=st.integers(-5, 120), compliant=st.booleans(), data=st.data())
    def record_adherence(self, offset, compliant, data):
        pap = [ln.line_id for ln in self.order.lines if ln.hcpcs == "E0601"]
        others = [uuid4(), *(ln.line_id for ln in self.order.lines)]
        line_id = data.draw(st.sampled_from(pap) if pap else st.sampled_from(others))
        self.attempt(lambda: self.order.record_adherence(line_id, self.day(offset), compliant))

    @rule(flaw=st.sampled_from(["zero_quantity", "bad_npi", "duplicate_diagnosis", "purchase_bed"]))
    def invalid_intake_creates_nothing(self, flaw):
        kwargs: dict[str, Any] = {}
        lines: list[Any] = ["E0260"]
        if flaw == "zero_quantity":
            lines = [dataclasses.replace(line("E0260"), quantity=0)]
        elif flaw == "bad_npi":
            kwargs["practitioner"] = dataclasses.replace(self.order.practitioner, npi=INVALID_NPI)
        elif flaw == "duplicate_diagnosis":
            kwargs["diagnoses"] = ("E11.9", "E11.9")
        else:
            lines = [line("E0260", LineBilling.PURCHASE_NEW)]
        try:
            place(*lines, **kwargs)
        except DomainError:
            return
        raise AssertionError(f"intake with {flaw} was accepted")

    # -- invariants -----------------------------------------------------------------------

    @invariant()
    def replaying_the_events_gives_the_live_order(self):
        assert vars(self.replayed) == vars(self.order)

    @invariant()
    def rental_months_go_up_one_by_one_within_the_cap(self):
        order = self.order
        for ln in order.lines:
            months = order.rental_months(ln.line_id)
            if ln.billing is not LineBilling.RENTAL:
                assert months == ()
                continue
            cap = item(ln.hcpcs).rental_cap_months or 0
            periods = [m.period for m in months]
            assert periods == sorted(periods)
            for period in set(periods):
                numbers = [m.month_number for m in months if m.period == period]
                assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) <= cap
            starts = [(m.from_date.year, m.from_date.month) for m in months]
            assert len(set(starts)) == len(starts), "two rental months in one billing month"
            if months and order.status is not OrderStatus.CANCELLED and not any(
                m.period > 1 for m in months
            ) and order.redelivered_on is None and not order.institutional_stays:
                assert order.delivered_on is not None
                for month in months:
                    dates = rental_month_dates(order.delivered_on, month.month_number)
                    assert (month.from_date, month.to_date) == dates
            if order.picked_up_on is not None:
                assert all(m.from_date < order.picked_up_on for m in months)
            for stay in order.institutional_stays:
                assert not any(stay.covers(m.from_date) for m in months)

    @invariant()
    def status_agrees_with_the_recorded_facts(self):
        order = self.order
        delivered = order.delivered_on is not None
        assert delivered == (order.pod is not None)
        if order.status is OrderStatus.CANCELLED:
            assert not delivered and order.cancelled_on is not None and not order.on_hold
        if order.status is OrderStatus.PICKED_UP:
            assert delivered and order.picked_up_on is not None
            assert order.picked_up_on >= order.delivered_on
        if order.status is OrderStatus.DELIVERED:
            assert delivered and not order.on_hold
        if order.status is OrderStatus.INTAKE:
            assert not delivered and not order.on_hold
        if order.status is OrderStatus.ON_HOLD:
            assert order.on_hold

    def teardown(self):
        if self.events:
            assert vars(replay(self.events)) == vars(self.order)


OrderMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestOrderStateMachine = OrderMachine.TestCase
