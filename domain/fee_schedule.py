"""Fee schedules: what a payer allows per HCPCS code, modifier, state and rural status, from a
date of service on. Two sources: CMS's quarterly DMEPOS fee schedule file, and a payer's
contracted rates (a CSV of our own). Pure: the files arrive as bytes and the rows leave as
values; `application.fee_schedules` stores them.

The CMS file ("DMEPOS Fee Schedule", CMS data file published each quarter at
cms.gov/medicare/payment/fee-schedules/dmepos/dmepos-fee-schedule) is a CSV whose title rows
precede a header `HCPCS, Mod, Mod2, JURIS, CATG, Ceiling, Floor, AL (NR), AL (R), ...,
VI (R), Description`: one row per code and modifiers, and per state a non-rural (NR) and a rural
(R) amount. Rural amounts apply to beneficiaries whose ZIP code CMS lists as rural (the DMEPOS
rural ZIP code file; rural areas as 42 CFR 414.202 defines them; adjusted amounts
414.210(g)). An amount of 0 is "no fee": the code and state are not priced by the file (a rural
0 falls back to the non-rural amount; see decision 018).

Decisions a newcomer may question (docs/decisions/018-fee-schedules-and-catalogue.md):
- A schedule is identified by tenant, payer, source, effective date and the SHA-256 of the
  file's bytes: importing the same file again is the same schedule, and records nothing.
- The schedule in force on a date of service is the one with the latest effective date on or
  before it; of two with the same date, the one imported later (a corrected file).
- Rows are recorded in the event store, in chunks, with the import: the rows that priced a claim
  are the stored events, covered by the hash chain, not a table anyone can edit.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.base import AriesAggregate, pin_topics
from domain.errors import InvalidValue, RuleViolated
from domain.money import to_money
from domain.rules import billing_rule, calendar_date, present_text, rule

CMS_DMEPOS = "cms_dmepos"
CONTRACT = "contract"
SOURCES = (CMS_DMEPOS, CONTRACT)
EVERY_STATE = "*"
ROWS_PER_EVENT = 250
ZERO = Decimal("0.00")

SCHEDULE_NAMESPACE = UUID("5d0c7e7a-2b43-5f0e-9a61-4c1f0d7b2e95")  # fixed forever: ids use it
BOOK_NAMESPACE = UUID("0e6f1d4b-8a27-5c93-b5d2-7f3a9c1e4d68")  # fixed forever: ids use it

STATE_COLUMN = re.compile(r"^([A-Z]{2}) \((NR|R)\)$")
HCPCS_CODE = re.compile(r"^[A-Z][0-9]{4}$")
QUARTER_STARTS = ((1, 1), (4, 1), (7, 1), (10, 1))


@dataclass(frozen=True)
class ParsedSchedule:
    """A file's rows, keyed by (hcpcs, modifier, modifier_2): per state (or `*`), the
    non-rural and rural amounts, as strings of cents (`"72.69"`) so events store them exactly."""

    rows: dict[tuple[str, str, str], dict[str, list[str]]]

    @property
    def row_count(self) -> int:
        return len(self.rows)


def content_sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def schedule_id(
    tenant_id: str, payer_id: str, source: str, effective_from: date, sha256: str
) -> UUID:
    return uuid5(
        SCHEDULE_NAMESPACE, f"{tenant_id}:{payer_id}:{source}:{effective_from}:{sha256}"
    )


def book_id(tenant_id: str, payer_id: str) -> UUID:
    return uuid5(BOOK_NAMESPACE, f"{tenant_id}:{payer_id}")


def _amount(text: str, where: str) -> Decimal:
    cleaned = (text or "").strip().replace("$", "").replace(",", "")
    if not cleaned:
        return ZERO
    try:
        value = to_money(Decimal(cleaned))
    except (InvalidOperation, ValueError):
        raise InvalidValue(
            "fee_amounts_are_decimal", f"{where}: {text!r} is not an amount"
        ) from None
    if value < 0:
        raise InvalidValue("fee_amounts_are_decimal", f"{where}: {text!r} is negative")
    return value


def _text(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252")  # CMS's files have been published in Windows-1252


def _header_index(rows: Sequence[list[str]]) -> int:
    for index, row in enumerate(rows):
        if row and row[0].strip().upper() == "HCPCS":
            return index
    raise InvalidValue(
        "cms_file_has_a_hcpcs_header", "no header row starting with HCPCS: not a DMEPOS file"
    )


@billing_rule(
    "CMS DMEPOS fee schedule data file (quarterly, cms.gov DMEPOS Fee Schedule page): columns"
    " HCPCS, Mod, Mod2, JURIS, CATG, Ceiling, Floor and per state NR/R amounts; CMS Pub. 100-04"
    " ch. 20 s. 20.4 (contents of the fee schedule file); 42 CFR 414.202 (rural areas)",
    "tests/unit/test_fee_schedule.py::test_the_real_april_2025_file_prices_each_state_rural_and_not",
    "tests/unit/test_fee_schedule.py::test_a_file_without_a_hcpcs_header_is_refused",
)
def parse_cms_dmepos(content: bytes) -> ParsedSchedule:
    """The rows of a CMS DMEPOS fee schedule CSV: title rows skipped up to the `HCPCS` header,
    state columns found by name (`IL (NR)`, `IL (R)`), zero amounts left out."""
    rows = list(csv.reader(io.StringIO(_text(content))))
    start = _header_index(rows)
    header = [cell.strip() for cell in rows[start]]
    columns = {name.upper(): i for i, name in enumerate(header)}
    for needed in ("HCPCS", "MOD", "MOD2"):
        if needed not in columns:
            raise InvalidValue("cms_file_has_a_hcpcs_header", f"the header has no {needed} column")
    states: dict[str, dict[str, int]] = {}
    for i, name in enumerate(header):
        match = STATE_COLUMN.match(name)
        if match:
            states.setdefault(match.group(1), {})[match.group(2)] = i
    if not states:
        raise InvalidValue("cms_file_has_a_hcpcs_header", "the header names no state column")
    parsed: dict[tuple[str, str, str], dict[str, list[str]]] = {}
    for number, row in enumerate(rows[start + 1 :], start=start + 2):
        if not row or not row[0].strip():
            continue
        code = row[0].strip().upper()
        if not HCPCS_CODE.match(code):
            raise InvalidValue("fee_rows_name_a_hcpcs_code", f"line {number}: {code!r}")
        key = (code, _cell(row, columns["MOD"]).upper(), _cell(row, columns["MOD2"]).upper())
        amounts: dict[str, list[str]] = {}
        for state, where in sorted(states.items()):
            non_rural = _amount(_cell(row, where.get("NR")), f"line {number} {state} (NR)")
            rural = _amount(_cell(row, where.get("R")), f"line {number} {state} (R)")
            if non_rural or rural:
                amounts[state] = [str(non_rural), str(rural)]
        parsed[key] = amounts
    return ParsedSchedule(parsed)


def _cell(row: list[str], index: int | None) -> str:
    if index is None or index >= len(row):
        return ""
    return row[index].strip()


def parse_contract(content: bytes) -> ParsedSchedule:
    """A payer's contracted rates: a CSV with columns `hcpcs, modifier, amount` and, optional,
    `modifier_2`, `state` (blank: every state) and `rural_amount` (blank: `amount`)."""
    reader = csv.DictReader(io.StringIO(_text(content)))
    fields = {name.strip().lower() for name in reader.fieldnames or ()}
    if not {"hcpcs", "modifier", "amount"} <= fields:
        raise InvalidValue(
            "contract_file_names_hcpcs_modifier_amount",
            "a contract file has the columns hcpcs, modifier and amount",
        )
    parsed: dict[tuple[str, str, str], dict[str, list[str]]] = {}
    for number, raw in enumerate(reader, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        code = row["hcpcs"].upper()
        if not HCPCS_CODE.match(code):
            raise InvalidValue("fee_rows_name_a_hcpcs_code", f"line {number}: {code!r}")
        key = (code, row["modifier"].upper(), row.get("modifier_2", "").upper())
        amount = _amount(row["amount"], f"line {number} amount")
        rural = _amount(row.get("rural_amount", ""), f"line {number} rural_amount") or amount
        state = row.get("state", "").upper() or EVERY_STATE
        parsed.setdefault(key, {})[state] = [str(amount), str(rural)]
    return ParsedSchedule(parsed)


def parse(source: str, content: bytes) -> ParsedSchedule:
    fee_schedule_source_is_known(source)
    return parse_cms_dmepos(content) if source == CMS_DMEPOS else parse_contract(content)


@rule(InvalidValue)
def fee_schedule_source_is_known(source: str) -> str | None:
    """A schedule comes from CMS's DMEPOS file or from a payer contract."""
    return None if source in SOURCES else f"source {source!r} is not one of {', '.join(SOURCES)}"


@rule()
def cms_schedules_start_on_a_quarter(source: str, effective_from: date) -> str | None:
    """CMS publishes the DMEPOS fee schedule quarterly, effective 1 January, April, July and
    October (CMS Pub. 100-04 ch. 20 s. 20.1, update frequency; the DMEPOS Fee Schedule page)."""
    if source != CMS_DMEPOS or (effective_from.month, effective_from.day) in QUARTER_STARTS:
        return None
    return f"a CMS DMEPOS schedule starts on a quarter's first day, not {effective_from}"


@rule()
def fee_schedule_prices_something(row_count: int) -> str | None:
    """An empty file is a mistake, not a schedule that prices nothing."""
    return None if row_count > 0 else "the file has no fee rows"


def _chunks(rows: dict[tuple[str, str, str], dict[str, list[str]]]) -> Iterator[list[Any]]:
    items = [[*key, amounts] for key, amounts in sorted(rows.items())]
    for start in range(0, len(items), ROWS_PER_EVENT):
        yield items[start : start + ROWS_PER_EVENT]


class FeeSchedule(AriesAggregate):
    """One imported file. Create with `FeeSchedule.import_file(...)`: the Imported event and
    the RowsRecorded events holding its rows are saved together."""

    @classmethod
    def import_file(
        cls,
        *,
        tenant_id: str,
        payer_id: str,
        source: str,
        effective_from: date,
        file_name: str,
        content: bytes,
        parsed: ParsedSchedule | None = None,
    ) -> FeeSchedule:
        effective_from = calendar_date(effective_from, "effective_from")
        fee_schedule_source_is_known(source)
        cms_schedules_start_on_a_quarter(source, effective_from)
        parsed = parsed or parse(source, content)
        fee_schedule_prices_something(parsed.row_count)
        sha = content_sha256(content)
        schedule = cls._create(
            cls.Imported,  # type: ignore[attr-defined]
            id=schedule_id(tenant_id, payer_id, source, effective_from, sha),
            payer_id=present_text(payer_id, "payer_id"),
            source=source,
            effective_from=effective_from,
            file_name=present_text(file_name, "file_name")[:200],
            content_sha256=sha,
            row_count=parsed.row_count,
        )
        for chunk in _chunks(parsed.rows):
            schedule._rows_recorded(chunk)
        return schedule

    @event("Imported")
    def __init__(
        self,
        payer_id: str,
        source: str,
        effective_from: date,
        file_name: str,
        content_sha256: str,
        row_count: int,
    ) -> None:
        self.payer_id = payer_id
        self.source = source
        self.effective_from = effective_from
        self.file_name = file_name
        self.content_sha256 = content_sha256
        self.row_count = row_count
        self.rows: dict[str, dict[str, list[str]]] = {}

    @event("RowsRecorded")
    def _rows_recorded(self, rows: list[Any]) -> None:
        for hcpcs, modifier, modifier_2, amounts in rows:
            self.rows[_row_key(hcpcs, modifier, modifier_2)] = amounts

    def amount(
        self, hcpcs: str, basis: str, state: str, rural: bool
    ) -> Decimal | None:
        """The allowed amount for the code billed with `basis` (NU/UE/RR) in `state`: the row
        with that modifier, else the row without one; the state's column, else every state's;
        the rural amount for rural beneficiaries where the file has one. None: not priced."""
        for modifier in (basis, ""):
            amounts = self.rows.get(_row_key(hcpcs, modifier, ""))
            if amounts is None:
                continue
            pair = amounts.get(state.upper()) or amounts.get(EVERY_STATE)
            if pair is None:
                return None
            non_rural, rural_amount = (Decimal(value) for value in pair)
            chosen = rural_amount if rural and rural_amount > 0 else non_rural
            return chosen if chosen > 0 else None
        return None


def _row_key(hcpcs: str, modifier: str, modifier_2: str) -> str:
    # Event state is JSON: tuple keys would not survive, so the key is one string.
    return f"{hcpcs}|{modifier}|{modifier_2}"


class FeeScheduleBook(AriesAggregate):
    """The schedules imported for one payer of one tenant, in import order: which one is in
    force on a date. Id: `book_id(tenant, payer)`."""

    @classmethod
    def open(cls, tenant_id: str, payer_id: str) -> FeeScheduleBook:
        return cls._create(
            cls.Opened,  # type: ignore[attr-defined]
            id=book_id(tenant_id, payer_id),
            payer_id=payer_id,
        )

    @event("Opened")
    def __init__(self, payer_id: str) -> None:
        self.payer_id = payer_id
        self.entries: list[list[Any]] = []

    def holds(self, schedule: UUID) -> bool:
        return any(entry[0] == schedule for entry in self.entries)

    def add(self, schedule: FeeSchedule) -> bool:
        """Record the schedule; False (nothing recorded) when the book holds it already."""
        if schedule.payer_id != self.payer_id:
            raise RuleViolated("schedule_belongs_to_the_books_payer", "another payer's schedule")
        if self.holds(schedule.id):
            return False
        self._schedule_added(schedule.id, schedule.effective_from, schedule.source)
        return True

    @event("ScheduleAdded")
    def _schedule_added(self, schedule_id: UUID, effective_from: date, source: str) -> None:
        self.entries.append([schedule_id, effective_from, source])

    def in_force(self, on: date) -> UUID | None:
        return schedule_in_force(((e[0], e[1]) for e in self.entries), on)


@billing_rule(
    "CMS Pub. 100-04 ch. 20 s. 20.1 (quarterly fee schedule updates; each file prices dates of"
    " service from its quarter's first day)",
    "tests/unit/test_fee_schedule_book.py::test_the_schedule_in_force_is_the_latest_effective_on_or_before_the_date",
)
def schedule_in_force(entries: Iterable[tuple[UUID, date]], on: date) -> UUID | None:
    """Of (schedule, effective date) pairs in import order, the one in force on `on`: the
    latest effective date on or before it; of equal dates, the later import."""
    chosen: tuple[date, int, UUID] | None = None
    for order, (schedule, effective_from) in enumerate(entries):
        if effective_from <= on and (chosen is None or (effective_from, order) > chosen[:2]):
            chosen = (effective_from, order, schedule)
    return None if chosen is None else chosen[2]


@dataclass(frozen=True)
class ScheduleFees:
    """Fees from one schedule for one beneficiary's state and rural status: what
    `domain.pricing.price_line(fees=...)` asks for a code and basis."""

    schedule: FeeSchedule
    state: str
    rural: bool

    def __call__(self, hcpcs: str, basis: str) -> Decimal:
        amount = self.schedule.amount(hcpcs, basis, self.state, self.rural)
        if amount is None:
            raise RuleViolated(
                "payer_prices_item_for_billing",
                f"the {self.schedule.effective_from} schedule of {self.schedule.payer_id} has no"
                f" {basis} fee for {hcpcs} in {self.state}",
            )
        return amount


pin_topics(FeeSchedule, "aries.fee_schedule")
pin_topics(FeeScheduleBook, "aries.fee_schedule_book")

AGGREGATES: tuple[type, ...] = (FeeSchedule, FeeScheduleBook)
VALUE_TYPES: tuple[type, ...] = ()
