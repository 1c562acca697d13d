"""The rule decorator every aggregate's rules use, and the checks all aggregates share.

A rule is a check that returns the problem (or None when satisfied); `@rule` turns it into a
function that raises `RuleViolated` (or the given subclass) named after the check. The name is
stable: clients match the `rule` field of a refused command's problem, so renaming a rule is an
API change. A name is declared once in the whole domain (`RULES` refuses a second declaration).

The shared checks are the ones every aggregate needs for its command values: a business date is
a calendar date, a time is timezone-aware (stored in UTC), required text is not blank. Each
returns the value as stored; `add_months` is the calendar arithmetic rentals and filing limits
both count in.
"""

from __future__ import annotations

import calendar
import functools
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ParamSpec, TypeVar

from domain.errors import InvalidValue, RuleViolated

P = ParamSpec("P")

# Every rule name declared with `@rule`, and the module that declares it.
RULES: dict[str, str] = {}


def rule(
    error: type[RuleViolated] = RuleViolated,
) -> Callable[[Callable[P, str | None]], Callable[P, None]]:
    """Turn a check that returns a problem (or None) into a rule that raises `error(name, ...)`."""

    def wrap(check: Callable[P, str | None]) -> Callable[P, None]:
        name = check.__name__
        if RULES.setdefault(name, check.__module__) != check.__module__:
            raise ValueError(f"rule {name} is declared in {RULES[name]} already")

        @functools.wraps(check)
        def enforce(*args: P.args, **kwargs: P.kwargs) -> None:
            problem = check(*args, **kwargs)
            if problem is not None:
                raise error(name, problem)

        return enforce

    return wrap


def refusing_rules(checks: Iterable[Callable[[], None]]) -> tuple[str, ...]:
    """The names of the rules among `checks` that refuse, in order (each check is run)."""
    refusing = []
    for check in checks:
        try:
            check()
        except RuleViolated as refused:
            refusing.append(refused.rule)
    return tuple(refusing)


def rules_of(module: str) -> list[str]:
    """The rule names `module` (a dotted module name) declares, in declaration order."""
    return [name for name, declared_in in RULES.items() if declared_in == module]


# --- Checks every aggregate shares -----------------------------------------------------------


@rule(InvalidValue)
def date_is_a_calendar_date(value: object, what: str) -> str | None:
    """A business date is a `date`; a `datetime` is refused rather than silently truncated."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return None
    return f"{what} must be a date, not {value!r}"


@rule(InvalidValue)
def time_is_timezone_aware(value: object, what: str) -> str | None:
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return None
    return f"{what} must be a timezone-aware datetime"


def calendar_date(value: object, what: str) -> date:
    date_is_a_calendar_date(value, what)
    assert isinstance(value, date)
    return value


def utc_time(value: object, what: str) -> datetime:
    """The time in UTC, as every stored time is."""
    time_is_timezone_aware(value, what)
    assert isinstance(value, datetime)
    return value.astimezone(UTC)


def present_text(value: object, what: str, name: str = "required_text_is_present") -> str:
    """`value` trimmed. Blank or not text is refused as rule `name`: the field's own rule where
    it has one (`void_states_a_reason`), else the general `required_text_is_present`."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(name, f"{what} is required")
    return value.strip()


def add_months(start: date, months: int) -> date:
    """`start` moved by whole calendar months, clamped to the month's end (31 Jan + 1 -> 28 Feb).

    Always computed from the anchor date, never chained: 31 Jan + 2 -> 31 Mar.
    """
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


# --- Billing rules and their sources -------------------------------------------------------


@dataclass(frozen=True)
class BillingRule:
    """A billing, pricing or posting rule: what it says, the public source it follows and the
    tests (``path::name``) that pin it. docs/domain-rules.md is generated from these."""

    name: str
    module: str
    summary: str
    source: str
    pinned_by: tuple[str, ...]


# Every function declared with `@billing_rule`, by name.
BILLING_RULES: dict[str, BillingRule] = {}

F = TypeVar("F", bound=Callable[..., Any])


def billing_rule(source: str, *pinned_by: str) -> Callable[[F], F]:
    """Register the decorated function as a billing rule citing `source` (CMS manual chapter,
    CFR section, LCD, DME MAC article or X12 TR3 loop) and pinned by the tests `pinned_by`.
    Its docstring's first paragraph is the rule as docs/domain-rules.md states it."""
    if not source.strip() or not pinned_by:
        raise ValueError("a billing rule cites its source and the tests that pin it")

    def register(function: F) -> F:
        doc = inspect.getdoc(function) or ""
        summary = " ".join(doc.split("\n\n", 1)[0].split())
        if not summary:
            raise ValueError(f"billing rule {function.__name__} states itself in a docstring")
        name = function.__name__
        known = BILLING_RULES.get(name)
        if known is not None and known.module != function.__module__:
            raise ValueError(f"billing rule {name} is declared in {known.module} already")
        BILLING_RULES[name] = BillingRule(
            name, function.__module__, summary, " ".join(source.split()), tuple(pinned_by)
        )
        return function

    return register
