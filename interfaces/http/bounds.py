"""The largest integer each kind of parameter may carry: what the PostgreSQL column or expression
it meets can hold. Past these, a value would reach the database and fail there (a 500, where
the client's mistake deserves a 422). A test walks the OpenAPI document and tries each bound, so
an integer parameter declared without one fails it.

    after: Annotated[int, Query(ge=0, le=BIGINT_MAX)] = 0
"""

from __future__ import annotations

from typing import Any

INTEGER_MAX = 2**31 - 1
"""PostgreSQL `integer`: day counts (a date minus a date is an integer), small counters."""

BIGINT_MAX = 2**63 - 1
"""PostgreSQL `bigint`: log positions (notification ids), sequence numbers, versions (the
event store's `originator_version`)."""


def position(value: Any) -> int:
    """A log position read back from a cursor: a JSON integer a bigint can hold."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= BIGINT_MAX:
        raise ValueError("not a position")
    return value
