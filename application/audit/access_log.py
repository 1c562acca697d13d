"""The PHI access log: who read (or tried to read, or exported) which patients' what.

Entries hold ids and classes, never PHI itself. The database stamps each entry's sequence
number, time, digest and chain hash (trigger of migration 0007), so a caller cannot backdate
or unchain an entry; the table refuses UPDATE and DELETE.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, cast
from uuid import UUID, uuid4

import psycopg
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError

from application.audit.seals import access_seal
from application.audit.tables import access_log
from application.group_queue import GroupQueue, Waiter

# action: what was done with the patient data
READ = "read"  # one patient's record, or part of it
SEARCH = "search"  # a list or search whose results name patients
EXPORT = "export"  # data written out of Aries (a bundle, a file)
DISCLOSE = "disclose"  # data handed to someone outside the supplier

ALLOWED = "allowed"
DENIED = "denied"

# Actions that count as disclosures for a patient's accounting of disclosures.
DISCLOSURE_ACTIONS = (EXPORT, DISCLOSE)


@dataclass(frozen=True)
class AccessRecord:
    """What to record. `fields_class` names the kind of data (e.g. `demographics`, `coverage`,
    `clinical_notes`, `summary`, `history`, `full_record`), never the data."""

    tenant_id: str
    actor_id: str | None
    actor_role: str | None
    action: str
    operation: str
    fields_class: str
    patient_ids: Sequence[UUID] = field(default_factory=tuple)
    outcome: str = ALLOWED
    request_id: str | None = None
    recipient: str | None = None
    purpose: str | None = None


@dataclass(frozen=True)
class AccessEntry:
    seq: int
    id: UUID
    recorded_at: datetime
    tenant_id: str
    actor_id: str | None
    actor_role: str | None
    action: str
    operation: str
    patient_ids: list[UUID]
    fields_class: str
    outcome: str
    request_id: str | None
    recipient: str | None
    purpose: str | None
    digest: bytes
    hash: bytes
    seal: bytes | None = None

    @classmethod
    def from_row(cls, row: Any) -> AccessEntry:
        values = dict(row)
        values["seal"] = None if values.get("seal") is None else bytes(values["seal"])
        values["digest"] = bytes(values["digest"])
        values["hash"] = bytes(values["hash"])
        values["patient_ids"] = list(values["patient_ids"])
        return cls(**values)


def _values(entry: AccessRecord, seal_key: bytes | None) -> dict[str, Any]:
    return _values_and_ids(entry, seal_key)[0]


def _values_and_ids(entry: AccessRecord, seal_key: bytes | None) -> tuple[dict[str, Any], str]:
    """The row to insert, and its patient ids joined by commas (the seal signs them so; a
    page's 50 ids are written out once)."""
    patient_ids = list(dict.fromkeys(entry.patient_ids))
    ids_text = ",".join(map(str, patient_ids))
    values: dict[str, Any] = {
        "id": uuid4(),
        "tenant_id": entry.tenant_id,
        "actor_id": entry.actor_id,
        "actor_role": entry.actor_role,
        "action": entry.action,
        "operation": entry.operation,
        "patient_ids": patient_ids,
        "fields_class": entry.fields_class,
        "outcome": entry.outcome,
        "request_id": entry.request_id,
        "recipient": entry.recipient,
        "purpose": entry.purpose,
        # Placeholders: the trigger computes both; NOT NULL is checked after it ran.
        "digest": b"",
        "hash": b"",
    }
    if seal_key is not None:
        values["seal"] = access_seal(seal_key, values, ids_text)
    return values, ids_text


# Built once: a new statement per group costs SQLAlchemy its cache key again. It returns only
# what the chain trigger stamps (migration 0007): the rest is what was sent, and a list's entry
# names up to a page of patients, whose ids would otherwise come back and be parsed again.
_STAMPED = ("seq", "recorded_at", "digest", "hash")
_INSERT = insert(access_log).returning(access_log.c.id, *(access_log.c[c] for c in _STAMPED))


def _insert(engine: Engine, rows: list[dict[str, Any]]) -> dict[UUID, AccessEntry]:
    """Insert `rows` in one transaction (one statement): their entries by id."""
    sent = {row["id"]: row for row in rows}
    with engine.begin() as conn:
        stamped = conn.execute(_INSERT, rows).mappings().all()
    return {
        row["id"]: AccessEntry.from_row({"seal": None, **sent[row["id"]], **row})
        for row in stamped
    }


def record(engine: Engine, entry: AccessRecord, seal_key: bytes | None = None) -> AccessEntry:
    """Append one entry (its own transaction: the read it records is already done), sealed
    with the application's key (application/audit/seals.py) when given: one INSERT either way.
    A process answering many requests records through its `AccessLog` instead."""
    values = _values(entry, seal_key)
    return _insert(engine, [values])[values["id"]]


@dataclass(eq=False)
class _Pending(Waiter):
    values: dict[str, Any]
    entry: AccessEntry | None = None

    def settled(self) -> bool:
        return self.entry is not None or self.error is not None

    def answer(self) -> AccessEntry:
        if self.error is not None:
            raise self.error
        return cast(AccessEntry, self.entry)  # the queue settles every waiter


class AccessLog:
    """One process's writer of access entries: concurrent `record` calls (threads) share one
    transaction through the leader/follower queue of application/group_queue.py.

    The chain trigger holds one advisory lock per transaction, so entries written one per
    transaction are capped by that lock's round trips; a group pays them once. Each caller
    still returns only once its own entry is committed (no answer leaves unlogged, a crash
    loses nothing that was answered), and fails alone if its own entry is refused.
    """

    MAX_GROUP = 128  # bounds one transaction and how long the chain's lock is held by one group

    def __init__(self, engine: Engine, seal_key: bytes | None = None) -> None:
        self.engine = engine
        self.seal_key = seal_key
        self._queue: GroupQueue[_Pending] = GroupQueue(self._commit_group, self.MAX_GROUP)
        self.groups_committed = 0
        self.entries_committed = 0

    @property
    def queued(self) -> int:
        return self._queue.queued

    def record(self, entry: AccessRecord) -> AccessEntry:
        """Append `entry` and return it once committed (see `record`)."""
        pending = _Pending(values=_values(entry, self.seal_key))
        self._queue.join(pending)
        return pending.answer()

    def _commit_group(self, group: list[_Pending]) -> None:
        alone = group
        if len(group) > 1:
            try:
                self._hand_out(group, _insert(self.engine, [p.values for p in group]))
                alone = []
            except DBAPIError as error:
                if error.connection_invalidated or isinstance(
                    error, OperationalError | InterfaceError
                ):
                    # The database or the connection failed, not one caller's entry.
                    for pending in group:
                        pending.error = error
                    return
            except SQLAlchemyError:
                pass  # whose entry was refused is unknown: each caller finds out alone
        for pending in alone:
            try:
                self._hand_out([pending], _insert(self.engine, [pending.values]))
            except BaseException as error:  # the caller re-raises it in its own thread
                pending.error = error

    def _hand_out(self, group: list[_Pending], inserted: dict[UUID, AccessEntry]) -> None:
        for pending in group:
            pending.entry = inserted[pending.values["id"]]
        self.groups_committed += 1
        self.entries_committed += len(group)


# The same insert for an asyncio connection, one statement text whatever the group's size (so
# psycopg prepares it once): each column's values as one array, a patient list as its ids
# joined by commas (one text instead of an array of uuids per entry). Sent in autocommit: the
# one statement is the transaction, committed before its rows come back.
_COLUMNS = (
    "id", "tenant_id", "actor_id", "actor_role", "action", "operation", "patient_ids",
    "fields_class", "outcome", "request_id", "recipient", "purpose", "seal",
)
_TYPES = {"id": "uuid[]", "patient_ids": "text[]", "seal": "bytea[]"}
_SELECTED = {"patient_ids": "string_to_array(patient_ids, ',')::uuid[]"}
_ASYNC_INSERT = (
    f"INSERT INTO {access_log.fullname} ({', '.join(_COLUMNS)}, digest, hash) SELECT "  # noqa: S608 (names of our own)
    + ", ".join(_SELECTED.get(c, c) for c in _COLUMNS)
    + ", '', '' FROM unnest("  # digest and hash: placeholders the chain trigger replaces
    + ", ".join(f"%({c})s::{_TYPES.get(c, 'text[]')}" for c in _COLUMNS)
    + f") AS entry ({', '.join(_COLUMNS)}) RETURNING id, {', '.join(_STAMPED)}"
)


class _Queued(NamedTuple):
    values: dict[str, Any]
    ids_text: str  # its patient ids joined by commas, as the insert sends them
    answer: asyncio.Future[AccessEntry]


def _async_params(group: list[_Queued]) -> dict[str, list[Any]]:
    params: dict[str, list[Any]] = {column: [] for column in _COLUMNS}
    for queued in group:
        for column in _COLUMNS:
            params[column].append(queued.values.get(column))
    params["patient_ids"] = [queued.ids_text for queued in group]
    return params


class AsyncAccessLog:
    """`AccessLog` for requests served on an asyncio event loop (no threadpool hop): concurrent
    `record` calls share one insert, sent by one flushing task at a time on a connection of
    `pool` (autocommit). A caller returns once its own entry is committed, and fails alone if
    its own entry is refused; a caller cancelled meanwhile leaves its entry to be committed."""

    MAX_GROUP = AccessLog.MAX_GROUP

    def __init__(self, pool: AsyncConnectionPool, seal_key: bytes | None = None) -> None:
        self.pool = pool
        self.seal_key = seal_key
        self._waiting: list[_Queued] = []
        self._flushing: asyncio.Task[None] | None = None
        self.groups_committed = 0
        self.entries_committed = 0

    @property
    def queued(self) -> int:
        """Entries waiting for the group in progress to finish (for tests)."""
        return len(self._waiting)

    @property
    def leading(self) -> bool:
        """Whether a group is being committed."""
        return self._flushing is not None

    async def record(self, entry: AccessRecord) -> AccessEntry:
        """Append `entry` and return it once committed."""
        answer: asyncio.Future[AccessEntry] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Queued(*_values_and_ids(entry, self.seal_key), answer))
        if self._flushing is None:
            self._flushing = asyncio.create_task(self._flush())
        return await answer  # cancelled, the caller leaves its entry to the flushing task

    async def _flush(self) -> None:
        try:
            while self._waiting:
                group = self._waiting[: self.MAX_GROUP]
                del self._waiting[: self.MAX_GROUP]
                try:
                    await self._commit_group(group)
                except BaseException as error:
                    _settle(group, error)
                    raise
        finally:
            self._flushing = None

    async def _commit_group(self, group: list[_Queued]) -> None:
        alone = group
        if len(group) > 1:
            try:
                self._hand_out(group, await self._insert(group))
                alone = []
            except (psycopg.OperationalError, psycopg.InterfaceError) as error:
                _settle(group, error)  # the database or the connection failed, not an entry
                return
            except psycopg.Error:
                pass  # whose entry was refused is unknown: each caller finds out alone
        for queued in alone:
            try:
                self._hand_out([queued], await self._insert([queued]))
            except psycopg.Error as error:
                _settle([queued], error)

    async def _insert(self, group: list[_Queued]) -> dict[UUID, AccessEntry]:
        sent = {queued.values["id"]: queued.values for queued in group}
        async with self.pool.connection() as conn:
            cursor = await conn.execute(_ASYNC_INSERT, _async_params(group))
            stamped = await cursor.fetchall()
        return {
            row[0]: AccessEntry.from_row(
                {"seal": None, **sent[row[0]], **dict(zip(_STAMPED, row[1:], strict=True))}
            )
            for row in stamped
        }

    def _hand_out(self, group: list[_Queued], inserted: dict[UUID, AccessEntry]) -> None:
        for queued in group:
            if not queued.answer.done():
                queued.answer.set_result(inserted[queued.values["id"]])
        self.groups_committed += 1
        self.entries_committed += len(group)


def _settle(group: list[_Queued], error: BaseException) -> None:
    for queued in group:
        if not queued.answer.done():
            queued.answer.set_exception(error)


def entries(
    engine: Engine,
    *,
    tenant_id: str | None,
    patient_id: UUID | None = None,
    actor_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    actions: Iterable[str] | None = None,
    outcome: str | None = None,
    request_id: str | None = None,
    after_seq: int = 0,
    limit: int = 100,
) -> list[AccessEntry]:
    """Entries in log order (tenant None: every tenant's)."""
    query = select(access_log).where(access_log.c.seq > after_seq)
    if tenant_id is not None:
        query = query.where(access_log.c.tenant_id == tenant_id)
    if patient_id is not None:
        query = query.where(access_log.c.patient_ids.contains([patient_id]))
    if actor_id is not None:
        query = query.where(access_log.c.actor_id == actor_id)
    if start is not None:
        query = query.where(access_log.c.recorded_at >= start)
    if end is not None:
        query = query.where(access_log.c.recorded_at < end)
    if actions is not None:
        query = query.where(access_log.c.action.in_(list(actions)))
    if outcome is not None:
        query = query.where(access_log.c.outcome == outcome)
    if request_id is not None:
        query = query.where(access_log.c.request_id == request_id)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(access_log.c.seq).limit(limit)).mappings().all()
    return [AccessEntry.from_row(r) for r in rows]

