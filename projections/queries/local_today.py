""""Today" at a claim's location: the calendar date, in the location's IANA time zone, of the
instant a query is asked at (issue 17: the location's time zone decides "today" for aging and
timely filing).

A claim records the location it bills as (`Claim.Drafted.location_id`, read.claims.location_id);
its zone is read.locations.time_zone. A claim drafted before claims recorded it, or whose
location is not projected yet, counts in the supplier's zone (`ARIES_SUPPLIER_TIMEZONE`, the
clock's), as every claim did before. The date is computed by PostgreSQL, so a filter on days
outstanding and the age shown on each row are the same number."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Date, DateTime, cast, func, literal, select

from projections.setup_tables import locations


@dataclass(frozen=True)
class AskedAt:
    """The instant a query is asked at, and the supplier's zone for claims with no location."""

    at: dt.datetime
    zone: str

    @classmethod
    def of(cls, clock: Any) -> AskedAt:
        """From an application clock (application/ports.py): its instant and zone (UTC for a
        clock without one, whose today is the UTC date)."""
        timezone = getattr(clock, "timezone", None)
        zone = getattr(timezone, "key", None) or ("UTC" if timezone is None else str(timezone))
        return cls(clock.now(), zone)

    @property
    def supplier_today(self) -> dt.date:
        return self.at.astimezone(ZoneInfo(self.zone)).date()


def location_today(location_id: ColumnElement[Any], asked: AskedAt) -> ColumnElement[dt.date]:
    """The calendar date at the location `location_id` names when `asked`."""
    zone = (
        select(locations.c.time_zone)
        .where(locations.c.location_id == location_id)
        .scalar_subquery()
    )
    instant = literal(asked.at, DateTime(timezone=True))
    return cast(func.timezone(func.coalesce(zone, asked.zone), instant), Date)
