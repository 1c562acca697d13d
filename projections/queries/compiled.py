"""Core statements compiled once for psycopg, for reads sent on an asyncio connection
(interfaces/http/reads.py, `AsyncReadModel`) without SQLAlchemy's work per execution (cache key,
parameter processing, result wrapping): a hot read's statement is built once at import, its
SQL text and the values it binds itself kept, and only the request's values added per call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect

_DIALECT = psycopg_dialect.dialect()


@dataclass(frozen=True)
class Compiled:
    sql: str
    """The statement as psycopg takes it (`%(name)s` parameters)."""
    constants: dict[str, Any]
    """The values the statement binds itself that have no SQL literal, by parameter."""

    def params(self, **values: Any) -> dict[str, Any]:
        return {**self.constants, **values}


def compiled(statement: Executable) -> Compiled:
    """`statement` compiled for psycopg. The values it binds itself are written into the SQL
    as literals (rendered by their SQLAlchemy types; a value psycopg would otherwise adapt and
    send on every execution); those it leaves to the caller (`bindparam("name")` without a
    value) must be given to `params`. A statement whose parameters SQLAlchemy would convert
    before sending (a bind processor) is refused: sent as is they would not be SQLAlchemy's."""
    form = statement.compile(dialect=_DIALECT)
    if form._bind_processors:  # no public accessor; an empty dict when there are none
        raise ValueError(f"parameters converted by SQLAlchemy: {sorted(form._bind_processors)}")
    sql, constants = form.string, {}
    for bind, name in form.bind_names.items():
        if bind.value is None:
            continue
        render = bind.type.literal_processor(_DIALECT)
        if render is None:
            constants[name] = bind.value
        else:  # rendered for the dialect's paramstyle: a % in it comes doubled, as psycopg reads it
            sql = sql.replace(f"%({name})s", render(bind.value))
    return Compiled(sql, constants)
