"""Folding a batch: load the rows a batch changes, change them in memory, write each one once.

Writing as events come costs one or more statements per event, most of them UPDATEs of a row
the same batch has already touched. Folding costs a few statements per batch instead: the
stored rows of the aggregates the batch touches (not those it creates) come in with one
`WHERE column = ANY(...)` query per table, the events change them in order in Python, and every
created or changed row goes back once: per table, one DELETE of the stored rows that changed,
then one COPY of them and the new rows (COPY has no ON CONFLICT; an upsert of as many rows,
which psycopg runs as one statement per row, made the orders rebuild half as fast). The rows
left in the tables are those that writing event by event would leave, as long as each step is
a pure function of the rows as they were and the event.

`Rows` holds one table's share of a batch; `projections/patients.py` and
`projections/orders.py` use it.
"""

from __future__ import annotations

from collections.abc import Iterable, ValuesView
from functools import cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Select,
    Table,
    any_,
    bindparam,
    delete,
    select,
    tuple_,
)

from projections.base import copy_rows

Row = dict[str, Any]


class Rows:
    """The rows of one table that a batch reads or changes, keyed by primary key: the value
    itself for a one-column key, else a tuple in the key's column order.

    With `group_by` (the aggregate id of a child table, such as an order line's `order_id`),
    `group(value)` lists the rows held for that value. They are all of its rows only if the
    value was loaded by that column, or its aggregate was created in the batch: the caller
    loads what it will list.
    """

    def __init__(self, table: Table, *, group_by: str | None = None) -> None:
        self.table = table
        self._key = tuple(column.name for column in table.primary_key)
        self._columns = [column.name for column in table.columns]
        self._group_by = group_by
        self._rows: dict[Any, Row] = {}
        self._groups: dict[Any, dict[Any, Row]] = {}
        self._changed: dict[Any, Row] = {}
        self._created: set[Any] = set()

    def load(self, conn: Connection, column: str, values: Iterable[Any]) -> None:
        """Hold the stored rows whose `column` is one of `values`, in one query. Load before
        changing anything: a row already held is kept as it is."""
        wanted = list(set(values))
        if column == self._group_by:
            for value in wanted:
                self._groups.setdefault(value, {})
        if not wanted:
            return
        for found in conn.execute(_select_any(self.table, column), {"values": wanted}).mappings():
            row = dict(found)
            key = self._key_of(row)
            held = self._rows.setdefault(key, row)
            if self._group_by is not None:
                self._groups.setdefault(row[self._group_by], {}).setdefault(key, held)

    def add(self, row: Row) -> None:
        """A row the batch creates (none is stored with its key). It names every column, each
        value of a Python type psycopg dumps to the column's type: it goes in by binary COPY
        (`copy_rows`), which converts nothing."""
        key = self._key_of(row)
        self._rows[key] = self._changed[key] = row
        self._created.add(key)
        if self._group_by is not None:
            self._groups.setdefault(row[self._group_by], {})[key] = row

    def __getitem__(self, key: Any) -> Row:
        return self._rows[key]

    def update(self, key: Any, **values: Any) -> Row:
        """Change the held row with this key (KeyError if none is held) and answer it."""
        row = self._rows[key]
        row.update(values)
        self._changed[key] = row
        return row

    def group(self, value: Any) -> ValuesView[Row]:
        """The held rows whose `group_by` column is `value` (KeyError if none were loaded or
        added)."""
        return self._groups[value].values()

    def write(self, conn: Connection) -> None:
        """Write every row created or changed since the last write: delete the stored ones
        that changed, then COPY them and the created ones in."""
        if not self._changed:
            return
        stored = [key for key in self._changed if key not in self._created]
        if stored:
            conn.execute(delete(self.table).where(self._among(stored)))
        values = [[row[name] for name in self._columns] for row in self._changed.values()]
        copy_rows(conn, self.table, self._columns, values, binary=True)
        self._changed.clear()
        self._created.clear()

    def _among(self, keys: list[Any]) -> ColumnElement[bool]:
        columns = [self.table.c[name] for name in self._key]
        if len(columns) == 1:
            return columns[0] == any_(bindparam("keys", keys, type_=ARRAY(columns[0].type)))
        return tuple_(*columns).in_(keys)

    def _key_of(self, row: Row) -> Any:
        if len(self._key) == 1:
            return row[self._key[0]]
        return tuple(row[name] for name in self._key)


# Built once per table and column, not per batch. Statements address schema `read` through the
# Table objects, so a rebuild's `schema_translate_map` redirects them.


@cache
def _select_any(table: Table, column: str) -> Select[Any]:
    values = bindparam("values", type_=ARRAY(table.c[column].type))
    return select(table).where(table.c[column] == any_(values))
