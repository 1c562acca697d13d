"""What the application needs from the outside world, as Protocols (adapters live in
interfaces/)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    def today(self) -> date: ...


class SystemClock:
    """UTC wall clock. Business dates (as-of, timely filing) are UTC calendar dates."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().date()
