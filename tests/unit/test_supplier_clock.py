"""The supplier's time zone decides "today" (issue 15): at 03:00 UTC it is still yesterday in
Springfield, IL, so a delivery dated the UTC date would be in the supplier's future."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from application.ports import SystemClock
from interfaces.settings import Settings


class ClockAt(SystemClock):
    def __init__(self, at: datetime, timezone: ZoneInfo) -> None:
        super().__init__(timezone)
        self.at = at

    def now(self) -> datetime:
        return self.at


def test_today_is_the_suppliers_calendar_date_not_the_utc_one():
    early_utc = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
    assert ClockAt(early_utc, ZoneInfo("America/Chicago")).today() == date(2026, 12, 3)
    assert ClockAt(early_utc, ZoneInfo("UTC")).today() == date(2026, 12, 4)
    assert ClockAt(early_utc, ZoneInfo("America/Chicago")).now() == early_utc  # times stay UTC


def test_the_supplier_time_zone_setting_is_an_iana_zone():
    assert Settings().supplier_timezone == "America/Chicago"
    assert Settings(supplier_timezone="America/New_York").supplier_timezone == "America/New_York"
    with pytest.raises(ValidationError, match="IANA time zone"):
        Settings(supplier_timezone="Mars/Olympus_Mons")
