"""Keyset pagination: a page is the rows strictly after the last row the reader saw, in a
total order (sort columns ending in the row id). Stable under inserts; no OFFSET scans."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Integer, Row, Select, bindparam, tuple_


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
    statement = keyset_statement(query, keys, after=after is not None, descending=descending)
    return keyset_rows(conn, statement, {}, keys, after=after, limit=limit)


def keyset_statement(
    query: Select[Any], keys: Sequence[ColumnElement[Any]], *, after: bool, descending: bool
) -> Select[Any]:
    """`query` in `keys` order, with its bound parameters `limit` and (with `after`) the
    previous page's last key `after_0`, `after_1`...: a statement a query module can build
    once and run for every page (SQLAlchemy then finds its compiled form without building and
    hashing a new statement per request)."""
    if after:
        position = tuple_(*keys)
        bound = tuple_(*(bindparam(f"after_{i}", type_=k.type) for i, k in enumerate(keys)))
        query = query.where(position < bound if descending else position > bound)
    order = [key.desc() if descending else key.asc() for key in keys]
    return query.order_by(*order).limit(bindparam("limit", type_=Integer))


def keyset_rows(
    conn: Connection,
    statement: Select[Any],
    params: dict[str, Any],
    keys: Sequence[ColumnElement[Any]],
    *,
    after: Sequence[Any] | None,
    limit: int,
) -> KeysetPage:
    """Run a `keyset_statement` with `params` for at most `limit` rows after `after`."""
    values = {**params, "limit": limit + 1}
    if after is not None:
        values.update((f"after_{i}", value) for i, value in enumerate(after))
    rows = conn.execute(statement, values).all()
    if len(rows) <= limit:
        return KeysetPage(list(rows), None)
    last = rows[limit - 1]
    return KeysetPage(list(rows[:limit]), tuple(last._mapping[key] for key in keys))
