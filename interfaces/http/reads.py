"""What query endpoints share: read-your-writes waiting and cursor pagination.

Read-your-writes: a command answers the event-store `position` of what it recorded. A query
that is given that position (`?min_position=` or `X-Min-Position:`) waits, at most
`settings.read_wait_seconds`, until the projection it reads has applied its upstream up to it.
The answer then carries `X-Read-Model-Position: <the position asked for>`; if the wait ran out
it answers with what it has, without that header, and adds `X-Read-Model-Stale: true`.
Positions are per upstream log (a patient's position is in the patients log), so each query
names the projection and upstream it reads. A hot read is an async endpoint whose blocking
part (the wait, the query, the PHI access entry, serialising) runs in one threadpool hop:

    @router.get("/{patient_id}", response_model=PatientDetail)
    async def get_patient(patient_id: UUID, aries: AriesDep, min_position: MinPosition, ...):
        def read() -> Response:
            headers = read_model_headers(aries, "patients", "patients", min_position)
            record = query(aries, lambda conn: queries.patient_record(conn, patient_id, ...))
            ...
            return json_answer(PatientDetail.of_record(record), headers)
        return await in_one_hop(read)

(a sync endpoint calls `wait_for_read_model(aries, response, ...)` instead). A router of such
reads takes `route_class=DirectRoute` (interfaces/http/direct.py): its async GETs that answer a
Response then skip FastAPI's generic dependency solver, the larger share of a read's CPU.

The hottest reads (the patient record and list) take no hop at all (decision 025): their
statement, compiled once (projections/queries/compiled.py), runs on the event loop through
`AsyncReadModel` (`request.app.state.read_model`), the PHI entry is awaited from the app's
`AsyncAccessLog` (`access.record_access_async`), and only a `min_position` wait
(`read_model_headers_async`) or a search built per request goes to the threadpool.

Pagination: lists are ordered by a sort key ending in the row id, and a page's `next_cursor` is
the opaque encoding of the last row's key; the next request passes it back as `?cursor=` and
the query continues strictly after it (keyset pagination, `projections/queries/keyset.py`:
stable under inserts, no OFFSET scans). A route decodes the cursor into typed key values and
encodes the next one from the key the query answers:

    after = decode_cursor(cursor, (dt.date.fromisoformat, UUID))   # 400 bad-cursor problem
    found = orders.order_page(conn, tenant_id, ..., after=after, limit=limit)
    Page[OrderSummary](items=..., next_cursor=next_cursor(found.next_key))

A list with several sorts gives each its `tag`, so that a cursor of one sort is refused by
another.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

import psycopg
from fastapi import Depends, Header, Query, Response
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel, Field
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool

from interfaces.bootstrap import Aries
from interfaces.http.bounds import BIGINT_MAX
from interfaces.http.problems import ProblemError
from projections.runner import wait_for_position

T = TypeVar("T")

STALE_HEADER = "X-Read-Model-Stale"
POSITION_HEADER = "X-Read-Model-Position"


async def min_position(
    min_position: Annotated[
        int | None,
        Query(
            ge=0, le=BIGINT_MAX,
            description="wait until the read model includes this command's position",
        ),
    ] = None,
    x_min_position: Annotated[
        int | None,
        Header(alias="X-Min-Position", ge=0, le=BIGINT_MAX, description="same as `min_position`"),
    ] = None,
) -> int | None:
    """The position the caller wants to read at least (query parameter or header)."""
    if min_position is None:
        return x_min_position
    if x_min_position is None:
        return min_position
    return max(min_position, x_min_position)


MinPosition = Annotated[int | None, Depends(min_position)]


def read_model_headers(
    aries: Aries, projection: str, upstream: str, position: int | None
) -> dict[str, str]:
    """Block until `projection` has applied `upstream` up to `position`, or
    `read_wait_seconds` passed, and answer the freshness headers to send (none without a
    position). Call it inside the read's threadpool hop."""
    if position is None:
        return {}
    caught_up = wait_for_position(
        aries, projection, upstream, position, timeout=aries.settings.read_wait_seconds
    )
    return {POSITION_HEADER: str(position)} if caught_up else {STALE_HEADER: "true"}


async def read_model_headers_async(
    aries: Aries, projection: str, upstream: str, position: int | None
) -> dict[str, str]:
    """`read_model_headers` for a read served on the event loop: a threadpool hop only when a
    position is asked for (the wait polls, blocking)."""
    if position is None:
        return {}
    return await run_in_threadpool(read_model_headers, aries, projection, upstream, position)


def wait_for_read_model(
    aries: Aries, response: Response, projection: str, upstream: str, position: int | None
) -> bool:
    """`read_model_headers` for a sync endpoint (it runs in the threadpool): sets the headers
    on `response` and answers whether the read model caught up."""
    headers = read_model_headers(aries, projection, upstream, position)
    response.headers.update(headers)
    return STALE_HEADER not in headers


# --- One hop, few round trips ---------------------------------------------------------------

R = TypeVar("R")


def query(aries: Aries, read: Callable[[Connection], R]) -> R:
    """`read(conn)` on a read-model connection in autocommit: no BEGIN/ROLLBACK around a read
    (a read that needs one snapshot is one statement). The pool does not ping a connection
    before lending it (a round trip per read); a connection found broken instead invalidates
    the pool's older connections, and the read, which changes nothing, is tried once more on a
    new one."""
    for attempt in (1, 2):
        try:
            with aries.read_engine.connect() as conn:
                return read(conn.execution_options(isolation_level="AUTOCOMMIT"))
        except DBAPIError as error:
            if attempt == 2 or not error.connection_invalidated:
                raise
    raise AssertionError("unreachable")


class AsyncReadModel:
    """The read-model database for reads served on the event loop, without a threadpool hop:
    a psycopg pool of asyncio connections in autocommit (a read is one statement; the PHI
    access entries, `application.audit.access_log.AsyncAccessLog`, are one statement a group).
    Built and closed by the app's lifespan; `app.state.read_model`."""

    def __init__(self, database_url: str, *, size: int, timeout: float) -> None:
        self.timeout = timeout
        self.pool = AsyncConnectionPool(
            database_url,
            min_size=1,
            max_size=size,
            kwargs={"autocommit": True, "connect_timeout": max(1, round(timeout))},
            timeout=timeout,
            open=False,
            name="aries-reads",
        )

    async def open(self) -> None:
        await self.pool.open(wait=True, timeout=self.timeout)

    async def close(self) -> None:
        await self.pool.close()

    async def run(self, read: Callable[[psycopg.AsyncConnection[Any]], Awaitable[R]]) -> R:
        """`read(conn)` on a pooled connection, as `query` does: no ping before lending it; a
        connection found broken has the pool check its idle ones, and the read, which
        changes nothing, is tried once more on another."""
        for attempt in (1, 2):
            async with self.pool.connection() as conn:
                try:
                    return await read(conn)
                except psycopg.OperationalError:
                    if attempt == 2 or not conn.broken:
                        raise
            await self.pool.check()
        raise AssertionError("unreachable")


def one_hop(endpoint: Callable[..., R]) -> Callable[..., Awaitable[R]]:
    """A sync endpoint as an async one that runs it in the threadpool: one hop per request
    instead of two (FastAPI also validates a sync endpoint's answer in the threadpool, and an
    async one's on the event loop). Put it under the route decorator; FastAPI reads the
    parameters, the docstring and the annotations through it."""

    @functools.wraps(endpoint)
    async def hopped(*args: Any, **kwargs: Any) -> R:
        return await run_in_threadpool(endpoint, *args, **kwargs)

    return hopped


async def in_one_hop(work: Callable[[], Response]) -> Response:
    """Run a read's blocking part (wait, query, PHI access entry, serialising) in ONE
    threadpool hop: async endpoints call this once, instead of FastAPI's hops for a sync
    endpoint and for validating its answer."""
    return await run_in_threadpool(work)


def json_answer(
    model: BaseModel, headers: Mapping[str, str] | None = None, status_code: int = 200
) -> Response:
    """The model as FastAPI would answer it (JSON of its aliases), serialised once: FastAPI
    does not validate a returned Response again against the route's response_model, which
    still documents it."""
    return Response(
        model.model_dump_json(by_alias=True), status_code=status_code,
        media_type="application/json", headers=dict(headers or {}),
    )


# --- Cursor pagination ----------------------------------------------------------------------


class Page(BaseModel, Generic[T]):
    """One page of a list. Pass `next_cursor` back as `cursor` for the next page; null means
    this was the last page."""

    items: list[T]
    next_cursor: str | None = Field(None, examples=["WyIyMDI2LTExLTIyIiwiN2QzYy4uLiJd"])


def _plain(value: Any) -> Any:
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def bad_cursor() -> ProblemError:
    return ProblemError(
        400, "Bad cursor", "the cursor is not one this API answered; start from page one",
        type_="https://aries.dev/problems/bad-cursor",
    )


def encode_cursor(key: Sequence[Any], *, tag: str | None = None) -> str:
    """An opaque cursor for the sort key `key` of the last row of a page."""
    values = [_plain(v) for v in key] if tag is None else [tag, *map(_plain, key)]
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def next_cursor(key: Sequence[Any] | None, *, tag: str | None = None) -> str | None:
    """The `next_cursor` of a page whose query answered `key` (None: it was the last page)."""
    return None if key is None else encode_cursor(key, tag=tag)


def decode_cursor(
    cursor: str | None, parsers: Sequence[Callable[[Any], Any]], *, tag: str | None = None
) -> tuple[Any, ...] | None:
    """The sort key a cursor holds, each value converted by its parser (JSON gives strings for
    ids, dates and decimals), or None for no cursor. Anything this API did not answer for the
    same sort (`tag`), or a value its parser refuses, is the 400 bad-cursor problem."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        values = None
    if tag is not None:
        values = values[1:] if isinstance(values, list) and values[:1] == [tag] else None
    if not isinstance(values, list) or len(values) != len(parsers):
        raise bad_cursor()
    if any(isinstance(value, str) and "\x00" in value for value in values):
        raise bad_cursor()  # PostgreSQL text cannot hold NUL: the query would fail (a 500)
    try:
        return tuple(parse(value) for parse, value in zip(parsers, values, strict=True))
    except (TypeError, ValueError, AttributeError):  # UUID(5) is an AttributeError
        raise bad_cursor() from None


PageSize = Annotated[int, Query(ge=1, le=200, description="items per page")]
Cursor = Annotated[
    str | None, Query(max_length=512, description="`next_cursor` of the previous page")
]
