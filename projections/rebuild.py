"""Rebuild a projection from position 0 into fresh tables, then swap them in atomically.

How (and why this way):
1. Build. Create schema `read_rebuild_<name>` holding the projection's tables and a tracking
   table, from the same SQLAlchemy definitions (same names, columns, indexes, comments), and
   run the ordinary batches on a connection whose `schema_translate_map` sends schema `read` to
   it. Handlers need no change, and the live projection keeps serving and projecting meanwhile.
   The batches are larger (`Projection.rebuild_batch_size`), and each one's notifications are
   read while the one before is applied (`batches.ReadAhead`). The secondary indexes no
   handler reads by are dropped from the new tables before the build and created again, from
   the same Index objects, after it (one sort instead of an insert per row: a claims rebuild's
   PostgreSQL CPU fell from about 31 to 26 us an event); unique indexes and those led by a
   column a handler reads by stay throughout. Then ANALYZE the new tables. Index builds, then
   ANALYZE, run on two connections. The live tables are never without their indexes: only
   complete new tables are swapped in, and a failed or killed rebuild leaves only its own
   schema (dropped on failure, or by the next rebuild).
2. Pause the live projector. NOTIFY `aries_projection_control` with `yield:<name>` and wait for
   the projection's advisory lock (the live projector releases it between batches and stands by).
3. Catch the new tables up to the head under the lock, so the swapped-in tables are never
   behind the ones they replace (readers waiting for a position never see it go backwards).
4. Swap in ONE transaction: copy the owner and grants of each live table onto its replacement,
   `DROP TABLE read.<t>`, `ALTER TABLE read_rebuild_<name>.<t> SET SCHEMA read`, replace the
   projection's rows in `read.projection_tracking` with the rebuild's, drop the rebuild schema.
   Readers wait for the few milliseconds this holds ACCESS EXCLUSIVE locks, then see the new
   tables; the live projector takes its lock back and continues from the swapped-in position.

Moving tables between schemas keeps their names and those of their indexes and constraints,
which renaming `<t>__rebuild` would not; a schema per projection for the live tables would
force every projection's Table objects out of schema `read`. The price: the rebuild runs as a
role allowed to CREATE schemas in the database and to drop the live tables (the migration
owner), views on a projection's tables block the swap (it fails and changes nothing), and
column-level grants are not copied.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
import structlog
from sqlalchemy import Connection, Dialect, Executable, Index, create_mock_engine, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.schema import CreateIndex, ExecutableDDLElement, sort_tables

from projections import registry
from projections.base import Projection
from projections.batches import (
    CONTROL_CHANNEL,
    ReadAhead,
    Session,
    Target,
    drain,
    heads,
    lock_key,
    rebuild_lock_key,
)
from projections.tables import SCHEMA, projection_tracking

log = structlog.get_logger(__name__)

ProgressCallback = Callable[[int, int], None]
"""Called as `(done, total)`: upstream positions reached and to reach, summed over upstreams
(notification ids are nearly dense, so both count events)."""

PRIVILEGES = frozenset(
    {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER", "MAINTAIN"}
)
SWAP_LOCK_TIMEOUT_MS = 5000
SWAP_ATTEMPTS = 5


class RebuildFailed(RuntimeError):
    """The rebuild could not finish; the live projection is unchanged."""


@dataclass(frozen=True)
class RebuildReport:
    projection: str
    events: int
    seconds: float
    positions: dict[str, int]
    handled: int = 0  # of `events`, those a handler took
    #: Wall seconds per step: "tables" (created), "rows" (the build), "indexes" (the deferred
    #: ones, then ANALYZE), "catch_up" (the live projector paused, the tables brought to the
    #: head), "swap".
    steps: dict[str, float] = field(default_factory=dict)

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


def rebuild_schema(projection: Projection) -> str:
    return f"read_rebuild_{projection.name}"


def rebuild(
    aries: Target,
    name: str | Projection,
    progress_callback: ProgressCallback | None = None,
    *,
    batch_size: int | None = None,
    lock_timeout: float = 60.0,
) -> RebuildReport:
    """Rebuild projection `name` from position 0 and swap it in (see the module docstring)."""
    projection = registry.get(name)
    upstreams = projection.upstreams_in(aries.applications)
    limit = batch_size or projection.rebuild_batch_size
    schema = rebuild_schema(projection)
    progress = progress_callback or (lambda done, total: None)
    started = time.perf_counter()
    steps = _Steps(started)
    with (
        _heap_frozen() as collect,
        Session(aries, projection, purpose="rebuild", schema=schema) as session,
    ):
        if not session.try_lock(rebuild_lock_key(projection.name)):
            raise RebuildFailed(f"a rebuild of {projection.name} is already running")
        try:
            _commit_without_waiting(session.conn, True)
            deferred = _deferred_indexes(projection)
            _create_fresh_tables(session.conn, projection, schema, deferred)
            steps.done("tables")
            targets = heads(aries, upstreams)
            events, handled, positions = _build(
                session, projection, upstreams, limit, targets, progress, collect
            )
            steps.done("rows")
            _index_and_analyze(session, projection, schema, deferred)
            steps.done("indexes")
            _pause_live_projector(session, projection, lock_timeout)
            targets = heads(aries, upstreams)
            more, more_handled, positions = _build(
                session, projection, upstreams, limit, targets, progress, collect
            )
            steps.done("catch_up")
            _commit_without_waiting(session.conn, False)
            _swap(session.conn, projection, schema)
            steps.done("swap")
        except BaseException:
            _drop_schema_quietly(session.conn, schema)
            raise
    seconds = time.perf_counter() - started
    report = RebuildReport(
        projection.name, events + more, seconds, positions, handled + more_handled, steps.seconds
    )
    log.info(
        "projection rebuilt",
        projection=projection.name,
        events=report.events,
        handled=report.handled,
        seconds=round(seconds, 3),
        events_per_second=round(report.events_per_second),
        steps={step: round(spent, 3) for step, spent in steps.seconds.items()},
    )
    return report


class _Steps:
    """Wall seconds per step, each step timed from the end of the one before."""

    def __init__(self, started: float) -> None:
        self.seconds: dict[str, float] = {}
        self._since = started

    def done(self, step: str) -> None:
        now = time.perf_counter()
        self.seconds[step] = now - self._since
        self._since = now


@contextmanager
def _heap_frozen() -> Iterator[Callable[[], None]]:
    """The objects the process holds when the rebuild starts (modules, SQLAlchemy's and the
    domain's classes...) left out of the garbage collector's full passes until it ends, and
    the automatic collector held off meanwhile: the context gives a function that collects,
    called between batches. Each pass scanned the heap, and a rebuild's batches set off dozens
    (a fifth to a third of a claims or work_queue rebuild's CPU); with the heap frozen, passes
    came still more often (the frozen objects no longer count towards the full pass's
    threshold) and scanned the batch's objects, still alive, again and again. A batch's
    objects are freed by their reference counts when it ends, so one pass per batch finds
    what little is left in cycles: the young generations suffice (a full pass per batch would
    cost a rebuild of batches of one more than the collector did). Process-wide but harmless:
    the collector's state is restored after."""
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield _collect_young if enabled else _nothing
    finally:
        if enabled:
            gc.enable()
        gc.unfreeze()


def _collect_young() -> None:
    gc.collect(1)


def _nothing() -> None:
    return None


def _commit_without_waiting(conn: Connection, asynchronous: bool) -> None:
    """Until the swap, the rebuild's commits return before their WAL reaches the disk (each of
    a claims rebuild's batches waited for its COPY's megabytes to be flushed). A crash may then
    lose the last of them, but it also ends the rebuild, whose schema nobody reads and which is
    dropped; the swap commits synchronously, which flushes the WAL before it too: the tables
    swapped in are as durable as ever."""
    conn.exec_driver_sql(f"SET synchronous_commit = {'off' if asynchronous else 'on'}")
    conn.commit()


def _quote(conn: Connection, identifier: str) -> str:
    return _quote_with(conn.dialect, identifier)


def _quote_with(dialect: Dialect, identifier: str) -> str:
    return dialect.identifier_preparer.quote_identifier(identifier)


def _deferred_indexes(projection: Projection) -> list[Index]:
    """The projection's indexes built after the rows: neither unique (a duplicate must fail
    the batch that writes it) nor led by a column a handler reads rows by (each batch's reads
    use them)."""
    reads = projection.read_columns
    return [
        index
        for table in projection.tables
        for index in table.indexes
        if not index.unique
        and not any((table, column.name) in reads for column in list(index.columns)[:1])
    ]


def _create_fresh_tables(
    conn: Connection, projection: Projection, schema: str, deferred: list[Index]
) -> None:
    """Schema `schema` with empty copies of the projection's tables and a tracking table,
    without the `deferred` indexes, in one round trip."""
    dialect = conn.dialect
    key = (type(dialect), dialect.server_version_info, projection, schema, tuple(deferred))
    ddl = _FRESH_TABLES_DDL.get(key)
    if ddl is None:
        ddl = _FRESH_TABLES_DDL[key] = _fresh_tables_ddl(dialect, projection, schema, deferred)
    with conn.begin():
        conn.exec_driver_sql(ddl, execution_options={"no_parameters": True})


# By dialect class and server version, not dialect: each rebuild's Session has an engine of its
# own. Keys hold projections and indexes, which live as long as the process anyway.
_FRESH_TABLES_DDL: dict[tuple[object, ...], str] = {}


def _fresh_tables_ddl(
    dialect: Dialect, projection: Projection, schema: str, deferred: list[Index]
) -> str:
    """The DDL `Table.create` would run for the projection's tables and a tracking table in
    `schema` (CREATE TABLE, its indexes but the `deferred` ones, COMMENT ON per commented
    column), compiled once per process into one script: compiling it and the hundred round
    trips of its comments were a claims rebuild's fixed cost."""
    elements: list[ExecutableDDLElement] = []
    collect = create_mock_engine(
        f"{dialect.name}+{dialect.driver}://", lambda sql, *_, **__: elements.append(sql)
    )
    for table in sort_tables([projection_tracking, *projection.tables]):
        table.create(collect, checkfirst=False)
    translate = {SCHEMA: schema}
    left_out = {id(index) for index in deferred}
    statements = [f"DROP SCHEMA IF EXISTS {_quote_with(dialect, schema)} CASCADE"]
    statements.append(f"CREATE SCHEMA {_quote_with(dialect, schema)}")
    statements.extend(
        str(
            element.compile(
                dialect=dialect, schema_translate_map=translate, render_schema_translate=True
            )
        ).strip()
        for element in elements
        if not (isinstance(element, CreateIndex) and id(element.element) in left_out)
    )
    return ";\n".join(statements)


def _build(
    session: Session,
    projection: Projection,
    upstreams: tuple[str, ...],
    limit: int,
    targets: dict[str, int],
    progress: ProgressCallback,
    collect: Callable[[], None],
) -> tuple[int, int, dict[str, int]]:
    """Apply the upstreams' events up to `targets`: (events read, events handled, positions)."""
    positions = session.positions()
    total = sum(targets.values())
    progress(sum(positions.values()), total)
    events = handled = 0
    behind = [u for u in upstreams if positions.get(u, 0) < targets[u]]
    apps = session.target.applications
    read = ReadAhead()
    try:
        for index, upstream in enumerate(behind):
            if index + 1 < len(behind):  # the next one's first batch is read meanwhile
                after = behind[index + 1]
                read.expect(apps[after], positions.get(after, 0) + 1, limit)
            batches = drain(
                session.conn, projection, upstream, apps[upstream], limit, targets[upstream], read
            )
            for batch in batches:
                events += batch.events
                handled += batch.handled
                positions[upstream] = batch.position
                collect()
                progress(sum(positions.values()), max(total, sum(positions.values())))
    finally:
        read.close()
    done = sum(positions.values())
    progress(done, max(total, done))
    return events, handled, positions


Lanes = tuple[list[Executable], list[Executable]]


def _index_and_analyze(
    session: Session, projection: Projection, schema: str, deferred: list[Index]
) -> None:
    """Create the `deferred` indexes, then ANALYZE the tables (after their indexes: ANALYZE
    also samples an expression index's values), each step's statements shared between this
    session's connection and one more (indexes of one table build side by side)."""
    session.conn.commit()
    quote = session.conn.dialect.identifier_preparer.quote_identifier
    steps = [
        _lanes([(1, CreateIndex(index)) for index in deferred]),
        _lanes(
            [
                (len(table.columns), text(f"ANALYZE {quote(schema)}.{quote(table.name)}"))
                for table in projection.tables
            ]
        ),
    ]
    if not any(other for _, other in steps):
        for mine, _ in steps:
            _run(session.conn, mine)
        return
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="rebuild-index") as pool,
        session.engine.connect() as extra,
    ):
        extra_conn = extra.execution_options(schema_translate_map={SCHEMA: schema})
        _commit_without_waiting(extra_conn, True)  # its connection is closed after (NullPool)
        for mine, other in steps:
            done = pool.submit(_run, extra_conn, other)
            _run(session.conn, mine)
            done.result()


def _lanes(work: list[tuple[int, Executable]]) -> Lanes:
    """The statements in two lists of about equal weight, heaviest first."""
    lanes: Lanes = ([], [])
    weights = [0, 0]
    for weight, statement in sorted(work, key=lambda w: -w[0]):
        lane = weights.index(min(weights))
        lanes[lane].append(statement)
        weights[lane] += weight
    return lanes


def _run(conn: Connection, statements: list[Executable]) -> None:
    for statement in statements:
        with conn.begin():
            conn.execute(statement)


def _pause_live_projector(session: Session, projection: Projection, timeout: float) -> None:
    """Take the projection's advisory lock, asking a live projector to release it."""
    key = lock_key(projection.name)
    deadline = time.monotonic() + timeout
    while True:
        session.notify(CONTROL_CHANNEL, f"yield:{projection.name}")
        remaining = deadline - time.monotonic()
        if session.lock(key, min(2.0, max(remaining, 0.001))):
            return
        if time.monotonic() >= deadline:
            raise RebuildFailed(
                f"the lock of projection {projection.name} was not released within {timeout}s "
                "(is a projector running code without the yield support, or stuck?)"
            )


def _swap(conn: Connection, projection: Projection, schema: str) -> None:
    for attempt in range(1, SWAP_ATTEMPTS + 1):
        try:
            with conn.begin():
                conn.execute(text(f"SET LOCAL lock_timeout = {SWAP_LOCK_TIMEOUT_MS}"))
                _swap_tables(conn, projection, schema)
            return
        except sa_exc.OperationalError as error:
            if not isinstance(error.orig, psycopg.errors.LockNotAvailable):
                raise
            log.warning(
                "rebuild swap waited too long for readers; retrying",
                projection=projection.name,
                attempt=attempt,
            )
    raise RebuildFailed(
        f"could not swap {projection.name}: long-running queries kept its tables locked"
    )


def _swap_tables(conn: Connection, projection: Projection, schema: str) -> None:
    q = _quote(conn, schema)
    live = _quote(conn, SCHEMA)
    ordered = sort_tables(list(projection.tables))
    names = {table.name: _quote(conn, table.name) for table in ordered}
    for table in ordered:
        _copy_owner_and_grants(conn, f"{live}.{names[table.name]}", f"{q}.{names[table.name]}")
    for table in reversed(ordered):  # dependents first
        conn.execute(text(f"DROP TABLE {live}.{names[table.name]}"))
    for table in ordered:
        conn.execute(text(f"ALTER TABLE {q}.{names[table.name]} SET SCHEMA {live}"))
    # Identifiers are quoted, the projection name is bound: no injection.
    tracking = _quote(conn, projection_tracking.name)
    conn.execute(
        text(f"DELETE FROM {live}.{tracking} WHERE projection = :name"),  # noqa: S608
        {"name": projection.name},
    )
    conn.execute(
        text(
            f"INSERT INTO {live}.{tracking} (projection, upstream, position, updated_at) "  # noqa: S608
            f"SELECT projection, upstream, position, now() FROM {q}.{tracking} "
            "WHERE projection = :name"
        ),
        {"name": projection.name},
    )
    conn.execute(text(f"DROP SCHEMA {q} CASCADE"))


def _copy_owner_and_grants(conn: Connection, source: str, target: str) -> None:
    owner_of = text(
        "SELECT quote_ident(pg_get_userbyid(relowner)) FROM pg_class "
        "WHERE oid = CAST(:rel AS regclass)"
    )
    source_owner = conn.execute(owner_of, {"rel": source}).scalar_one()
    if conn.execute(owner_of, {"rel": target}).scalar_one() != source_owner:
        conn.execute(text(f"ALTER TABLE {target} OWNER TO {source_owner}"))
    grants = conn.execute(
        text(
            "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' "
            "ELSE quote_ident(pg_get_userbyid(a.grantee)) END, a.privilege_type, a.is_grantable "
            "FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = CAST(:rel AS regclass)"
        ),
        {"rel": source},
    ).all()
    for grantee, privilege, grantable in grants:
        if privilege not in PRIVILEGES:
            raise RebuildFailed(f"unexpected privilege {privilege!r} on {source}")
        option = " WITH GRANT OPTION" if grantable else ""
        conn.execute(text(f"GRANT {privilege} ON {target} TO {grantee}{option}"))


def _drop_schema_quietly(conn: Connection, schema: str) -> None:
    try:
        conn.rollback()
        conn.execute(text(f"DROP SCHEMA IF EXISTS {_quote(conn, schema)} CASCADE"))
        conn.commit()
    except Exception as error:  # the original error matters more; say this one too
        log.warning("could not drop the rebuild schema", schema=schema, error=type(error).__name__)
