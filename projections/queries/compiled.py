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
    """The values the statement binds itself (a CASE's strings, a status), by parameter."""

    def params(self, **values: Any) -> dict[str, Any]:
        return {**self.constants, **values}


def compiled(statement: Executable) -> Compiled:
    """`statement` compiled for psycopg. Its own bound values are kept; those it leaves to the
    caller (`bindparam("name")` without a value) must be given to `params`. A statement whose
    parameters SQLAlchemy would convert before sending (a bind processor) is refused: sent as
    is they would not be what SQLAlchemy sends."""
    form = statement.compile(dialect=_DIALECT)
    if form._bind_processors:  # no public accessor; an empty dict when there are none
        raise ValueError(f"parameters converted by SQLAlchemy: {sorted(form._bind_processors)}")
    constants = {name: value for name, value in form.params.items() if value is not None}
    return Compiled(form.string, constants)
