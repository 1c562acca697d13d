"""A batch's rows: loaded once, changed in memory by the handlers, written once.

Writing as events come costs one or more statements per event, most of them UPDATEs of a row
the same batch has already touched. Folding costs a few statements per batch instead:

1. Load. Before the first handler runs, the stored rows the batch's handlers read come in with
   one `WHERE column = ANY(...)` query per column they name (`@handles(..., reads=...)`), for
   the aggregates of their events. An aggregate whose first event is in the batch has nothing
   stored yet: its rows are not looked for.
2. Fold. Each handler changes the rows in memory, in event order, through `Rows`: `add` a row,
   `update` or `delete` a held one, list a `group`.
3. Write. Per table, one DELETE of the stored rows that changed or went, then one binary COPY
   of the changed and new ones (COPY has no ON CONFLICT; an upsert of as many rows, which
   psycopg runs as one statement per row, made the orders rebuild half as fast).

The rows left in the tables are those that writing event by event would leave, as long as each
handler is a pure function of the rows as they were and its event.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from functools import cache, lru_cache
from operator import itemgetter
from typing import Any
from uuid import UUID

import psycopg
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Delete,
    Dialect,
    Select,
    Table,
    any_,
    bindparam,
    delete,
    func,
    select,
    tuple_,
)

from projections.copy_values import use_cheaper_dumpers

Row = dict[str, Any]
ReadColumn = tuple[Table, str]
"""A column that holds an aggregate's id, naming the rows of that aggregate in its table."""


class Rows:
    """What a batch's handlers change: the rows of the projection's tables (`rows[table]`), and
    where the event being applied sits in its log (`upstream`, `position`)."""

    def __init__(
        self,
        tables: Iterable[Table],
        upstream: str,
        reads: Collection[ReadColumn],
        created: Collection[UUID],
    ) -> None:
        self.upstream = upstream
        #: The notification id of the event being applied.
        self.position = 0
        self._tables = {
            table: TableRows(table, [name for t, name in reads if t is table], created)
            for table in tables
        }

    def __getitem__(self, table: Table) -> TableRows:
        return self._tables[table]

    def load(self, conn: Connection, wanted: Mapping[ReadColumn, Collection[UUID]]) -> None:
        for (table, column), ids in wanted.items():
            self._tables[table].load(conn, column, ids)

    def write(self, conn: Connection) -> None:
        for table_rows in self._tables.values():
            table_rows.write(conn)


class TableRows:
    """The rows of one table that a batch holds, by primary key (the value itself for a
    one-column key, else a tuple in the key's column order).

    Change rows through `update`, never by assigning to a row: only `add`, `update` and
    `delete` mark a row to be written. A row's key and the aggregate ids it is grouped by do
    not change. A table no handler `reads` (a log, such as event_index) is only appended to:
    its rows cannot be read back, not even in the batch that adds them.
    """

    def __init__(self, table: Table, reads: Collection[str], created: Collection[UUID]) -> None:
        self.table = table
        # Plain interned strings, not SQLAlchemy's quoted_name: a handler's literal keys are
        # then the very same objects, found by identity (looking a claim's 60 columns up by
        # quoted_name took 1.7 times as long).
        self._columns = [_name(column.name) for column in table.columns]
        self._values = itemgetter(*self._columns)
        key = [_name(column.name) for column in table.primary_key]
        # A table no handler reads needs no key (it may have none): its rows are only appended,
        # their values one after the other in one list, so that no object per row outlives the
        # handler (thousands a batch would bring the garbage collector's full passes sooner).
        self._appended: list[Any] | None = None if reads else []
        self._key_of: Callable[[Row], Any] = itemgetter(*key) if reads else self._values
        self._held: dict[Any, Row] = {}
        self._stored: set[Any] = set()  # keys of the rows that were in the table
        self._written: dict[Any, Row] = {}  # created or changed since loaded
        self._deleted: set[Any] = set()  # stored rows deleted (and not added again)
        # Per column a handler reads by (but the key): value -> key -> row, and the values whose
        # rows are all held: those loaded, and the aggregates the batch creates.
        self._groups: dict[str, dict[Any, dict[Any, Row]]] = {
            _name(name): {} for name in reads if key != [name]
        }
        self._complete: dict[str, set[Any]] = {name: set(created) for name in self._groups}

    def load(self, conn: Connection, column: str, ids: Collection[UUID]) -> None:
        """Hold the stored rows whose `column` is one of `ids`, in one query."""
        if column in self._complete:
            self._complete[column].update(ids)
        if not ids:
            return
        found = conn.execute(_select_any(self.table, column), {"values": list(ids)})
        for row in map(dict, found.mappings()):
            key = self._key_of(row)
            if key not in self._stored:  # loaded already by another column
                self._stored.add(key)
                self._held[key] = row
                self._group(key, row)

    # --- What handlers call -----------------------------------------------------------------

    def __contains__(self, key: Any) -> bool:
        return key in self._held

    def get(self, key: Any) -> Row:
        """The held row with this key (KeyError if none is held)."""
        return self._held[key]

    def add(self, row: Row) -> Row:
        """A row the batch creates. It names every column, each value of a Python type psycopg
        dumps to the column's type (str for TEXT, int for BIGINT, Decimal for NUMERIC, an aware
        datetime for TIMESTAMPTZ...): it goes in by binary COPY, which converts nothing."""
        if self._appended is not None:
            self._appended.extend(self._values(row))
            return row
        key = self._key_of(row)
        if self._held.setdefault(key, row) is not row:
            raise KeyError(f"{self.table.name}: a row with this key is held already")
        if self._deleted:
            self._deleted.discard(key)
        self._written[key] = row
        self._group(key, row)
        return row

    def update(self, key: Any, **values: Any) -> Row:
        """Change the held row with this key (KeyError if none is held) and answer it. It is
        written only if a value differs."""
        row = self._held[key]
        for name, value in values.items():
            if row[name] != value:
                row.update(values)
                self._written[key] = row
                break
        return row

    def touch(self, event: Any, **values: Any) -> Row:
        """`update` the row keyed by the event's aggregate id, moving its `version` and
        `updated_at` to the event's: the row of an aggregate whose version is the aggregate's
        (the ETag a client sends back as If-Match) moves with every event."""
        return self.update(
            event.originator_id,
            version=event.originator_version,
            updated_at=event.timestamp,
            **values,
        )

    def delete(self, key: Any) -> None:
        """Remove the held row with this key (KeyError if none is held)."""
        row = self._held.pop(key)
        self._written.pop(key, None)
        if key in self._stored:
            self._deleted.add(key)
        for name, groups in self._groups.items():
            if row[name] is not None:
                del groups[row[name]][key]

    def group(self, column: str, value: Any) -> list[Row]:
        """The held rows whose `column` is `value`: all of them, since the rows with that value
        were loaded (a handler of the batch `reads` the column) or the aggregate it names was
        created in the batch; LookupError otherwise."""
        groups = self._groups.get(column)
        if groups is None or value not in self._complete[column]:
            raise LookupError(
                f"{self.table.name}.{column}: rows not loaded (add the column to the handler's "
                "`reads`)"
            )
        return list(groups.get(value, {}).values())

    # --- Writing ------------------------------------------------------------------------------

    def write(self, conn: Connection) -> None:
        """Delete the stored rows that changed or went, then COPY the changed and new ones."""
        if self._appended is not None:
            if self._appended:
                values = iter(self._appended)
                rows = zip(*[values] * len(self._columns), strict=True)
                copy_rows(conn, self.table, self._columns, rows)
            return
        stored = self._stored
        stale = (
            self._deleted.union(key for key in self._written if key in stored)
            if stored
            else self._deleted
        )
        if stale:
            conn.execute(_delete_keys(self.table), _key_values(self.table, stale))
        if self._written:
            copy_rows(conn, self.table, self._columns, map(self._values, self._written.values()))

    def _group(self, key: Any, row: Row) -> None:
        for name, groups in self._groups.items():
            if row[name] is not None:
                groups.setdefault(row[name], {})[key] = row


def _name(name: str) -> str:
    return sys.intern(str(name))


def copy_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Append `rows` (values in `columns` order) to `table` with binary COPY, in the transaction
    of `conn`, honouring its schema_translate_map (a rebuild's schema).

    For new rows only (no ON CONFLICT). Several times faster than an INSERT of the same rows:
    psycopg runs an executemany as one statement per row. Binary is strict: every value must be
    of a Python type psycopg dumps to its column's type as declared.
    """
    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    schema = table.schema
    translate = conn.get_execution_options().get("schema_translate_map") or {}
    schema = translate.get(schema, schema)
    quote = conn.dialect.identifier_preparer.quote
    name = quote(table.name) if schema is None else f"{quote(schema)}.{quote(table.name)}"
    columns_sql = ", ".join(quote(c) for c in columns)
    statement = f"COPY {name} ({columns_sql}) FROM STDIN (FORMAT BINARY)"
    with driver.cursor() as cursor:
        use_cheaper_dumpers(cursor.adapters)
        with cursor.copy(statement) as copy:
            copy.set_types(_type_names(table, tuple(columns), conn.dialect))
            for row in rows:
                copy.write_row(row)


# Built once per table and column, not per batch. Statements address schema `read` through the
# Table objects, so a rebuild's `schema_translate_map` redirects them.


_MODIFIERS = re.compile(r"\([^)]*\)")  # numeric(12, 2) -> numeric


@lru_cache(maxsize=256)
def _type_names(table: Table, columns: tuple[str, ...], dialect: Dialect) -> tuple[str, ...]:
    """The SQL types of `columns`, as psycopg looks them up ("bigint", "numeric", "text[]"...:
    without modifiers, which binary COPY does not need)."""
    return tuple(
        _MODIFIERS.sub("", table.c[column].type.compile(dialect=dialect).lower())
        for column in columns
    )


@cache
def _select_any(table: Table, column: str) -> Select[Any]:
    values = bindparam("values", type_=ARRAY(table.c[column].type))
    return select(table).where(table.c[column] == any_(values))


@cache
def _delete_keys(table: Table) -> Delete:
    """DELETE of the rows with the keys given as one array per key column (`k0`, `k1`...)."""
    key = list(table.primary_key)
    arrays = [bindparam(f"k{i}", type_=ARRAY(column.type)) for i, column in enumerate(key)]
    among: ColumnElement[bool]
    if len(key) == 1:
        among = key[0] == any_(arrays[0])
    else:
        among = tuple_(*key).in_(select(*(func.unnest(array) for array in arrays)))
    return delete(table).where(among)


def _key_values(table: Table, keys: Collection[Any]) -> dict[str, list[Any]]:
    if len(table.primary_key) == 1:
        return {"k0": list(keys)}
    return {f"k{i}": list(values) for i, values in enumerate(zip(*keys, strict=True))}
