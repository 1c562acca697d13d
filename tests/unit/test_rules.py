"""The checks every aggregate shares (domain/rules.py), one behaviour per test."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from domain.errors import InvalidValue
from domain.rules import (
    add_months,
    calendar_date,
    present_text,
    rule,
    rules_of,
    utc_time,
)


def refused_rule(call) -> str:
    with pytest.raises(InvalidValue) as raised:
        call()
    return raised.value.rule


def test_date_is_a_calendar_date():
    assert calendar_date(date(2026, 1, 31), "on") == date(2026, 1, 31)
    moment = datetime(2026, 1, 31, 10, tzinfo=UTC)
    assert refused_rule(lambda: calendar_date(moment, "on")) == "date_is_a_calendar_date"
    assert refused_rule(lambda: calendar_date("2026-01-31", "on")) == "date_is_a_calendar_date"


def test_time_is_timezone_aware():
    naive = datetime(2026, 1, 31, 10)  # noqa: DTZ001
    assert refused_rule(lambda: utc_time(naive, "at")) == "time_is_timezone_aware"
    assert refused_rule(lambda: utc_time(date(2026, 1, 31), "at")) == "time_is_timezone_aware"


def test_times_are_stored_in_utc():
    eastern = timezone(timedelta(hours=-5))
    stored = utc_time(datetime(2026, 1, 31, 10, tzinfo=eastern), "at")
    assert stored == datetime(2026, 1, 31, 15, tzinfo=UTC)
    assert stored.tzinfo is UTC


def test_required_text_is_present():
    assert present_text("  spouse ", "relationship") == "spouse"
    assert refused_rule(lambda: present_text("   ", "reason")) == "required_text_is_present"
    assert refused_rule(lambda: present_text(None, "reason")) == "required_text_is_present"


def test_blank_text_is_refused_under_the_fields_own_rule():
    call = lambda: present_text("", "reason", "void_states_a_reason")  # noqa: E731
    assert refused_rule(call) == "void_states_a_reason"


def test_add_months_clamps_to_the_end_of_the_month():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2026, 1, 31), 2) == date(2026, 3, 31)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert add_months(date(2026, 3, 15), -3) == date(2025, 12, 15)


def test_a_rule_name_is_declared_once_in_the_domain():
    with pytest.raises(ValueError, match="declared in domain.rules"):

        @rule()
        def date_is_a_calendar_date() -> str | None:
            return None


def test_every_shared_rule_has_a_test_named_after_it():
    tests = {name for name in vars(sys.modules[__name__]) if name.startswith("test_")}
    missing = [name for name in rules_of("domain.rules") if f"test_{name}" not in tests]
    assert missing == []
