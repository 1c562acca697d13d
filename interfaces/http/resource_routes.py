"""The read bodies the setup resources' routes share (locations, payers, catalogue items, fee
schedules, stock, rentals): a page of rows after a cursor, and one row by id with its version
as the ETag, each read once the projection has applied its upstream up to `min_position`.

Route modules keep their decorators and signatures (they are the API and its document); a
handler names its read model once (`ReadModel("setup")`) and passes the query it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from fastapi import Response
from sqlalchemy import Connection

from domain.errors import NotFound
from interfaces.bootstrap import Aries
from interfaces.http.commands import etag
from interfaces.http.reads import Page, decode_cursor, next_cursor, wait_for_read_model


class RowView(Protocol):
    @classmethod
    def of_row(cls, row: Any) -> Any: ...


V = TypeVar("V", bound=RowView)


@dataclass(frozen=True)
class ReadModel:
    """A projection's tables, read once it has applied `upstream`'s log up to `min_position`
    (the upstream is the projection's own name unless given)."""

    projection: str
    upstream: str | None = None

    def wait(self, aries: Aries, response: Response, min_position: int | None) -> None:
        upstream = self.upstream or self.projection
        wait_for_read_model(aries, response, self.projection, upstream, min_position)

    def page(
        self,
        view: type[V],
        aries: Aries,
        response: Response,
        min_position: int | None,
        cursor: str | None,
        key: Sequence[Callable[[Any], Any]],
        read: Callable[[Connection, tuple[Any, ...] | None], Any],
    ) -> Page[V]:
        """The page `read(conn, after)` finds after `cursor` (whose sort key values `key`
        parses: a bad cursor is the 400 problem), each row as `view.of_row(row)`."""
        self.wait(aries, response, min_position)
        after = decode_cursor(cursor, key)
        with aries.read_engine.connect() as conn:
            found = read(conn, after)
        return Page[view](  # type: ignore[valid-type]
            items=[view.of_row(row) for row in found.rows],
            next_cursor=next_cursor(found.next_key),
        )

    def versioned_row(
        self,
        aries: Aries,
        response: Response,
        min_position: int | None,
        kind: str,
        key: object,
        read: Callable[[Connection], Any],
    ) -> Any:
        """The row `read(conn)` finds, its `version` as the answer's ETag; NotFound(kind, key)
        (a 404) when there is none, in the caller's tenant or at all."""
        self.wait(aries, response, min_position)
        with aries.read_engine.connect() as conn:
            row = read(conn)
        if row is None:
            raise NotFound(kind, key)
        response.headers["ETag"] = etag(row.version)
        return row
