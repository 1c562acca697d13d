"""The Payer (domain/payer.py) under random command sequences (hypothesis stateful): its
filing limit is always exactly one positive count, its payer id never changes, a retired payer
takes no coverage, and replaying its events gives the live aggregate."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.context import bound_context
from domain.errors import RuleViolated
from domain.payer import Payer
from tests.setup_builders import payer
from tests.unit.replay import replay

COUNTS = st.one_of(st.none(), st.integers(min_value=-2, max_value=400))


class PayerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.context = bound_context(tenant_id="t-1", actor_id="u-1", actor_role="biller")
        self.context.__enter__()
        self.events: list = []
        self.retired = False

    @initialize()
    def registered(self) -> None:
        self.payer = Payer.register("t-1", payer())

    @rule(months=COUNTS, days=COUNTS,
          indicator=st.sampled_from(["MB", "MC", "CI", "BL", "XX", "mb"]),
          payer_id=st.sampled_from(["MCR-DMEB", "mcr-dmeb", "MCR-DMEC"]))
    def correct(self, months, days, indicator, payer_id) -> None:
        before = self.payer.details
        wanted = replace(before, timely_filing_months=months, timely_filing_days=days,
                         claim_filing_indicator=indicator, payer_id=payer_id)
        try:
            self.payer.correct_details(wanted)
        except RuleViolated:
            assert self.payer.details == before

    @rule()
    def retire(self) -> None:
        if self.retired:
            with pytest.raises(RuleViolated):
                self.payer.retire()
        else:
            self.payer.retire()
            self.retired = True

    @rule()
    def add_a_coverage(self) -> None:
        if self.retired:
            with pytest.raises(RuleViolated):
                self.payer.accepts_coverage()
        else:
            self.payer.accepts_coverage()

    @invariant()
    def the_limit_is_one_positive_count_and_the_payer_id_stays(self) -> None:
        if not hasattr(self, "payer"):
            return
        details = self.payer.details
        counts = [c for c in (details.timely_filing_months, details.timely_filing_days)
                  if c is not None]
        assert len(counts) == 1 and counts[0] > 0
        assert details.payer_id == "MCR-DMEB"
        self.events.extend(self.payer.collect_events())
        assert self.payer.version == len(self.events)

    def teardown(self) -> None:
        self.context.__exit__(None, None, None)
        if self.events:
            assert vars(replay(self.events)) == vars(self.payer)


PayerMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=20,
                                          deadline=None)
TestPayerStateMachine = PayerMachine.TestCase
