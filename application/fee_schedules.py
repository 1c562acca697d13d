"""Fee schedule use cases: import a CMS DMEPOS file or a payer's contract rates, and find the
fees in force for a claim line (`domain.fee_schedule`).

Imports are recorded in the Catalogue event store: the schedule (its Imported event and the
RowsRecorded events with every row) and the payer's book (which schedules exist, from which
date) in one `save()`. Importing the same bytes for the same payer, source and date again is the
same schedule id: nothing is recorded, and the answer says so.

Pricing reads the event store, not a read model, so a claim drafted right after an import is
priced by it (no projector lag), and the schedule that priced a line is the one the book held
when the claim was drafted (docs/decisions/018-fee-schedules-and-catalogue.md). Schedules never
change once imported, so loaded ones are kept in memory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from application.catalogue import CatalogueApplication
from application.eventstore import ConcurrentUpdate
from domain import pricing
from domain.context import current_context
from domain.fee_schedule import (
    FeeSchedule,
    FeeScheduleBook,
    ScheduleFees,
    book_id,
    content_sha256,
    fee_schedule_source_is_known,
    parse,
    schedule_id,
)
from domain.payer import payer_record_id
from domain.rules import calendar_date

if TYPE_CHECKING:
    from application.setup import SetupApplication

Progress = Callable[[str], None]
"""progress(step): called as each step of an import starts (read, parse, record)."""

CACHED_SCHEDULES = 32


@dataclass(frozen=True)
class ImportResult:
    schedule_id: UUID
    imported: bool
    """False: the same file was imported before, and nothing was recorded now."""
    row_count: int
    position: int | None


class FeeSchedules:
    """Imports and the fees in force, over the Catalogue application."""

    # Set by the composition root: the tenant's payer records (None: the packaged list only).
    setup: SetupApplication | None = None

    def __init__(self, catalogue: CatalogueApplication) -> None:
        self.catalogue = catalogue
        self._cache: dict[UUID, FeeSchedule] = {}
        self._lock = threading.Lock()

    def import_file(
        self,
        *,
        payer_id: str,
        source: str,
        effective_from: date,
        file_name: str,
        content: bytes,
        progress: Progress | None = None,
    ) -> ImportResult:
        """Import the file for the caller's tenant. The payer must be one Aries bills: one of
        the tenant's payer records, else of the packaged list (InvalidValue
        `payer_is_in_reference_list`); a malformed file is InvalidValue naming what is wrong
        with it."""
        step = progress or (lambda _step: None)
        tenant_id = current_context().tenant_id
        if not self._has_record(tenant_id, payer_id):
            pricing.payer(payer_id)
        fee_schedule_source_is_known(source)
        effective_from = calendar_date(effective_from, "effective_from")
        step("read")
        sha = content_sha256(content)
        existing_id = schedule_id(tenant_id, payer_id, source, effective_from, sha)
        if self.catalogue.exists(existing_id):
            return self._already(existing_id)
        step("parse")
        parsed = parse(source, content)
        schedule = FeeSchedule.import_file(
            tenant_id=tenant_id, payer_id=payer_id, source=source,
            effective_from=effective_from, file_name=file_name, content=content, parsed=parsed,
        )
        book = self._book(tenant_id, payer_id) or FeeScheduleBook.open(tenant_id, payer_id)
        book.add(schedule)
        step("record")
        try:
            result = self.catalogue.commit(schedule, book)
        except ConcurrentUpdate:
            # Another import of the same payer won the race; if it was this file, fine.
            if self.catalogue.exists(existing_id):
                return self._already(existing_id)
            raise
        return ImportResult(schedule.id, True, schedule.row_count, result.position)

    def _has_record(self, tenant_id: str, payer_id: str) -> bool:
        """Whether the tenant registered this payer (decision 017: its rates are importable)."""
        if self.setup is None or not isinstance(payer_id, str) or not payer_id.strip():
            return False
        return self.setup.exists(payer_record_id(tenant_id, payer_id))

    def _already(self, existing_id: UUID) -> ImportResult:
        schedule = self.schedule(existing_id)
        return ImportResult(existing_id, False, schedule.row_count, None)

    def _book(self, tenant_id: str, payer_id: str) -> FeeScheduleBook | None:
        found = book_id(tenant_id, payer_id)
        if not self.catalogue.exists(found):
            return None
        return self.catalogue.load(found, FeeScheduleBook)

    def schedule(self, found: UUID) -> FeeSchedule:
        """A schedule of the caller's tenant (NotFound otherwise), from memory once loaded."""
        with self._lock:
            cached = self._cache.get(found)
        if cached is None:
            cached = self.catalogue.load(found, FeeSchedule)
            with self._lock:
                if len(self._cache) >= CACHED_SCHEDULES:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[found] = cached
        elif cached.tenant_id != current_context().tenant_id:
            return self.catalogue.load(found, FeeSchedule)  # NotFound, as for anyone's else
        return cached

    def any_for(self, payer_id: str) -> bool:
        """Whether the caller's tenant imported any schedule for the payer (one cheap read)."""
        return self.catalogue.exists(book_id(current_context().tenant_id, payer_id))

    def fees_in_force(
        self, payer_id: str, on: date, state: str, rural: bool
    ) -> ScheduleFees | None:
        """The fees of the schedule in force for the payer on the date of service, for the
        beneficiary's state and rural status; None when the tenant imported none for the payer
        by then (the packaged fee schedule prices the line: decision 018)."""
        book = self._book(current_context().tenant_id, payer_id)
        in_force = book.in_force(on) if book is not None else None
        if in_force is None:
            return None
        return ScheduleFees(self.schedule(in_force), state, rural)
