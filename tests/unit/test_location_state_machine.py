"""The Location (domain/location.py) under random command sequences (hypothesis stateful):
a closed location takes no change and no order; a correction with the same details records
nothing; bad details are refused whole; replaying its events gives the live aggregate."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.context import bound_context
from domain.errors import InvalidValue, RuleViolated
from domain.location import Location, checked_details
from domain.patient_values import Address
from domain.supplier_values import Contact
from tests.setup_builders import denver, location
from tests.unit.replay import replay

NAMES = st.sampled_from(["Springfield", "Denver", " Peoria ", "Aurora North"])
NPIS = st.sampled_from(["1234567893", "1245319599", "1679576722", "1234567890"])  # last: bad
ZONES = st.sampled_from(["America/Chicago", "America/Denver", "Mars/Olympus"])  # last: bad
PHONES = st.sampled_from(["(217) 555-0100", "1-303-555-0100", "555-0100"])  # last: bad


class LocationMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.context = bound_context(tenant_id="t-1", actor_id="u-1", actor_role="admin")
        self.context.__enter__()
        self.recorded = 1
        self.events: list = []

    @initialize(east=st.booleans())
    def opened(self, east: bool) -> None:
        self.location = Location.open(location() if east else denver())
        self.closed_on: date | None = None

    @rule(name=NAMES, npi=NPIS, zone=ZONES, phone=PHONES)
    def correct(self, name: str, npi: str, zone: str, phone: str) -> None:
        wanted = replace(self.location.details, name=name, npi=npi, time_zone=zone,
                         contact=Contact("Billing", phone))
        before = self.location.details
        try:
            changed = self.location.correct_details(wanted)
        except RuleViolated as refused:
            assert self.location.details == before
            if self.closed_on is not None:
                assert refused.rule == "a_closed_location_takes_no_changes"
            else:
                assert isinstance(refused, InvalidValue)
            return
        assert self.closed_on is None
        assert self.location.details == checked_details(wanted)
        assert changed == (before != self.location.details)
        self.recorded += changed

    @rule(state=st.sampled_from(["IL", "co", "XX"]))
    def move(self, state: str) -> None:
        address = Address("1 Depot Rd", None, "Somewhere", state, "60601")
        try:
            self.recorded += self.location.correct_details(
                replace(self.location.details, address=address)
            )
        except RuleViolated as refused:
            assert self.closed_on is not None or refused.rule == "state_is_a_usps_code"

    @rule(days=st.integers(min_value=0, max_value=400))
    def close(self, days: int) -> None:
        on = date(2026, 1, 1) + timedelta(days=days)
        if self.closed_on is not None:
            with pytest.raises(RuleViolated):
                self.location.close(on)
            return
        self.location.close(on)
        self.closed_on = on
        self.recorded += 1

    @rule()
    def place_an_order(self) -> None:
        if self.closed_on is None:
            self.location.accepts_orders()
        else:
            with pytest.raises(RuleViolated):
                self.location.accepts_orders()

    @invariant()
    def every_recorded_change_is_one_event_and_the_state_replays(self) -> None:
        if not hasattr(self, "location"):
            return
        self.events.extend(self.location.collect_events())
        assert self.location.version == self.recorded == len(self.events)
        assert self.location.closed_on == self.closed_on

    def teardown(self) -> None:
        self.context.__exit__(None, None, None)
        if self.events:
            assert vars(replay(self.events)) == vars(self.location)


LocationMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=20,
                                             deadline=None)
TestLocationStateMachine = LocationMachine.TestCase
