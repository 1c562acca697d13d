"""Keyset pagination: a page is the rows strictly after the last row the reader saw, in a
total order (sort columns ending in the row id). Stable under inserts; no OFFSET scans."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Select, literal, tuple_


@dataclass(frozen=True)
class KeysetPage:
    rows: list[Row[Any]]
    next_key: tuple[Any, ...] | None
    """The last row's sort key when more rows follow; None on the last page."""


def keyset_page(
    conn: Connection,
    query: Select[Any],
    keys: Sequence[ColumnElement[Any]],
    *,
    after: Sequence[Any] | None,
    limit: int,
    descending: bool = False,
) -> KeysetPage:
    """At most `limit` rows of `query` ordered by `keys`, strictly after the row whose key is
    `after` (None: from the first row). Each key must be a column of the selected rows."""
    if after is not None:
        position = tuple_(*keys)
        bound = tuple_(*(literal(v, k.type) for v, k in zip(after, keys, strict=True)))
        query = query.where(position < bound if descending else position > bound)
    order = [key.desc() if descending else key.asc() for key in keys]
    rows = conn.execute(query.order_by(*order).limit(limit + 1)).all()
    if len(rows) <= limit:
        return KeysetPage(list(rows), None)
    last = rows[limit - 1]
    return KeysetPage(list(rows[:limit]), tuple(last._mapping[key] for key in keys))
