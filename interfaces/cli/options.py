"""Option values the commands share."""

from __future__ import annotations

from datetime import date, datetime

import typer


def calendar_date(value: str) -> date:
    """A YYYY-MM-DD option as a date, or the usage error typer prints."""
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()  # noqa: DTZ007 (a calendar date)
    except ValueError:
        raise typer.BadParameter("use YYYY-MM-DD") from None
