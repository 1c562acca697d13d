"""Which schedule is in force on a date (domain/fee_schedule.py `FeeScheduleBook`), as a
stateful property: imports in any order, re-imports of the same file, and any date of
service."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from domain.context import bound_context
from domain.fee_schedule import (
    CONTRACT,
    FeeSchedule,
    FeeScheduleBook,
    schedule_in_force,
)
from tests.unit.replay import replay

PAYER = "COM-AETNA"
DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31))
CONTENTS = st.sampled_from(
    [f"hcpcs,modifier,amount\nE0260,RR,{amount}\n".encode() for amount in (100, 110, 120)]
)


def test_the_schedule_in_force_is_the_latest_effective_on_or_before_the_date():
    a, b, c = (object() for _ in range(3))
    entries = [(a, date(2025, 4, 1)), (b, date(2025, 1, 1)), (c, date(2025, 4, 1))]
    assert schedule_in_force(entries, date(2024, 12, 31)) is None
    assert schedule_in_force(entries, date(2025, 3, 31)) is b
    # the same effective date twice: the later import (a corrected file) wins
    assert schedule_in_force(entries, date(2025, 4, 1)) is c


class PricingByEffectiveDate(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.context = bound_context(tenant_id="t-1", actor_id="u-1", actor_role="admin")
        self.context.__enter__()
        self.book = FeeScheduleBook.open("t-1", PAYER)
        self.events = list(self.book.collect_events())
        self.imported: list[tuple[object, date]] = []  # the model: (schedule id, date) in order

    def teardown(self) -> None:
        self.context.__exit__(None, None, None)

    @rule(effective_from=DAYS, content=CONTENTS)
    def import_a_file(self, effective_from: date, content: bytes) -> None:
        schedule = FeeSchedule.import_file(
            tenant_id="t-1", payer_id=PAYER, source=CONTRACT, effective_from=effective_from,
            file_name="rates.csv", content=content,
        )
        known = any(entry[0] == schedule.id for entry in self.imported)
        added = self.book.add(schedule)
        assert added is not known  # re-importing the same file records nothing
        if added:
            self.imported.append((schedule.id, effective_from))
        self.events.extend(self.book.collect_events())

    @invariant()
    def each_date_is_priced_by_the_latest_schedule_effective_by_then(self) -> None:
        for day in (date(2024, 1, 1), date(2025, 6, 30), date(2026, 12, 31)):
            for entry_day in {d for _, d in self.imported}:
                for probe in (day, entry_day, entry_day - timedelta(days=1)):
                    started = [(i, s) for i, (s, d) in enumerate(self.imported) if d <= probe]
                    latest = max(
                        started, key=lambda pair: (self.imported[pair[0]][1], pair[0]),
                        default=(None, None),
                    )[1]
                    assert self.book.in_force(probe) == latest

    @invariant()
    def the_replayed_book_is_the_live_one(self) -> None:
        assert vars(replay(self.events)) == vars(self.book)


PricingByEffectiveDate.TestCase.settings = settings(max_examples=40, stateful_step_count=12)
TestPricingByEffectiveDate = PricingByEffectiveDate.TestCase
