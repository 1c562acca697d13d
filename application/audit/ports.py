"""What the audit use cases need from the read side, as a Protocol (the adapter is
`projections/event_index_queries.py`, wired in `interfaces/bootstrap.py`)."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple, Protocol
from uuid import UUID


class IndexedVersion(NamedTuple):
    version: int | None  # the largest version indexed as recorded by then (None: none is)
    position: int  # how far the index has read the upstream: later events are not in it


class RecordedTimes(Protocol):
    """When each stored event was recorded, as the event index (a read model) knows it. The
    event store knows versions only; the index may lag behind it."""

    def version_at(self, upstream: str, aggregate_id: UUID, at: datetime) -> IndexedVersion:
        """The aggregate's version as of recorded time `at`, as far as the index has got."""
        ...

    def positions(
        self, upstream: str, start: datetime | None, end: datetime | None
    ) -> list[int]:
        """The positions of the upstream's events indexed as recorded in [start, end)."""
        ...

    def tenant_head(self, upstream: str, tenant_id: str) -> tuple[int, int | None]:
        """How many of the upstream's events are indexed as the tenant's, and the position of
        the last of them (None: none is)."""
        ...
