"""The job store: what became of each side-effect job (`ops.jobs`).

A job's id is known when its command is recorded (summary id, remittance id,
`job_id_for_submission(claim, n)`), so the API answers 202 with it at once and both the API and
the reaction call `queued` (an idempotent upsert that never moves a job backwards). The workers
then move it: running -> succeeded, or failed (will_retry) -> running ..., or dead (retries
exhausted or a permanent failure; `aries jobs retry` queues it again).

Every change bumps `revision`, which the HTTP stream (`GET /v1/jobs/{id}/events`) sends as the
event id. Reasons name error types and rules, never values (no PHI).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

import psycopg
from sqlalchemy import Connection, Engine, bindparam, literal, select, update
from sqlalchemy import func as sql_func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect

from interfaces.workers.tables import JOB_KINDS, jobs

__all__ = ["FINAL_STATUSES", "Ending", "Job", "JobStore", "job_id_for_submission"]

FINAL_STATUSES = frozenset({"succeeded", "dead"})
REASON_LIMIT = 500


def job_id_for_submission(claim_id: UUID, submission_number: int) -> UUID:
    """The job that sends submission `submission_number` of a claim."""
    return uuid5(claim_id, f"submission-{submission_number}")


# job id, kind, tenant id, subject id, requested by
JobRow = tuple[UUID, str, str, UUID | None, str | None]


@dataclass(frozen=True)
class Ending:
    """How one job of a finished message ended: succeeded with `result` (`keep_result`: a
    result recorded earlier stays), or dead for `dead_reason`."""

    job_id: UUID
    result: dict[str, Any] | None = None
    keep_result: bool = False
    dead_reason: str | None = None


@dataclass(frozen=True)
class Job:
    job_id: UUID
    kind: str
    tenant_id: str
    subject_id: UUID | None
    requested_by: str | None
    status: str
    attempts: int
    will_retry: bool
    reason: str | None
    result: dict[str, Any] | None
    actor_name: str | None
    message: dict[str, Any] | None
    revision: int
    created_at: datetime
    updated_at: datetime

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATUSES


class JobStore:
    """Reads and writes `ops.jobs` through the read-model engine (or a given connection)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- recording --------------------------------------------------------------------------

    def queued(
        self,
        job_id: UUID,
        kind: str,
        tenant_id: str,
        subject_id: UUID | None,
        requested_by: str | None,
        *,
        message: Mapping[str, Any] | None = None,
        conn: Connection | None = None,
    ) -> None:
        """Record the job as queued unless it is known already (its status is then kept).
        `message` (queue, actor, kwargs, message_id) is what `aries jobs retry` sends again."""
        if kind not in JOB_KINDS:
            raise ValueError(f"unknown job kind {kind!r}")
        values: dict[str, Any] = {
            "job_id": job_id,
            "kind": kind,
            "tenant_id": tenant_id,
            "subject_id": subject_id,
            "requested_by": requested_by,
            "status": "queued",
        }
        # Statements built once, bound per call: every submission request records its job
        # here, and building and caching-keying a fresh INSERT was most of its cost.
        if message is None:
            statement, parameters = _QUEUED, values
        else:
            # Known already (the API recorded it first): add how to send it, keep its status.
            statement, parameters = _QUEUED_WITH_MESSAGE, {**values, **_message_columns(message)}
        if conn is not None:
            conn.execute(statement, parameters)
        elif message is None:
            self._queued_alone(parameters)
        else:
            with self.engine.begin() as own:
                own.execute(statement, parameters)

    def _queued_alone(self, parameters: dict[str, Any]) -> None:
        """The API's `queued`, on its own: one statement in autocommit on the pool's psycopg
        connection, one round trip. Through a SQLAlchemy transaction it was three (BEGIN,
        INSERT, COMMIT) and a fifth of a submission request's CPU (bench figure 7)."""
        pooled = self.engine.raw_connection()
        try:
            connection = pooled.driver_connection
            assert isinstance(connection, psycopg.Connection)
            connection.autocommit = True
            try:
                connection.execute(_QUEUED_SQL, parameters, prepare=True)
            finally:
                connection.autocommit = False
        except (psycopg.OperationalError, psycopg.InterfaceError):
            # Broken (the server dropped it): not lent again, as SQLAlchemy's own execute does.
            pooled.invalidate()
            raise
        finally:
            pooled.close()

    def queued_all(
        self, jobs_and_messages: Sequence[tuple[JobRow, Mapping[str, Any]]], conn: Connection
    ) -> None:
        """`queued(..., message=...)` for many jobs in one statement (a reaction's step)."""
        rows: dict[UUID, dict[str, Any]] = {}
        for (job_id, kind, tenant_id, subject_id, requested_by), message in jobs_and_messages:
            if kind not in JOB_KINDS:
                raise ValueError(f"unknown job kind {kind!r}")
            rows[job_id] = {  # a job twice (a claim asked twice in a window): the last send
                "job_id": job_id, "kind": kind, "tenant_id": tenant_id,
                "subject_id": subject_id, "requested_by": requested_by, "status": "queued",
                **_message_columns(message),
            }
        if rows:
            # Parameter sets, not a VALUES list: the statement compiles once per process
            # (SQLAlchemy caches it) and is sent as multi-row INSERTs (insertmanyvalues); a
            # VALUES list of hundreds of rows was compiled afresh at every step.
            conn.execute(_QUEUED_WITH_MESSAGE, list(rows.values()))

    def running(self, job_id: UUID) -> None:
        self._move(job_id, status="running", will_retry=False, attempts=jobs.c.attempts + 1)

    def running_all(self, job_ids: Sequence[UUID]) -> None:
        """`running` for every job of a message, in one statement (a submission batch carries
        hundreds)."""
        self._execute(
            update(jobs)
            .where(jobs.c.job_id.in_(list(dict.fromkeys(job_ids))))
            .values(status="running", will_retry=False, attempts=jobs.c.attempts + 1,
                    revision=jobs.c.revision + 1, updated_at=sql_func.now()),
            None,
        )

    def finished_all(self, endings: Sequence[Ending]) -> None:
        """The jobs of a message, each succeeded or dead as its `Ending` says, in one
        transaction: one statement per kind of ending, not one transaction per job."""
        succeeded = [e for e in endings if e.dead_reason is None]
        dead = [e for e in endings if e.dead_reason is not None]
        with self.engine.begin() as conn:
            for keep in (False, True):
                rows = [
                    {"id": e.job_id, "value": e.result} for e in succeeded if e.keep_result is keep
                ]
                if rows:
                    value: Any = bindparam("value", type_=JSONB)
                    if keep:
                        value = sql_func.coalesce(jobs.c.result, value)
                    conn.execute(_moved(status="succeeded", reason=None, result=value), rows)
            if dead:
                conn.execute(
                    _moved(status="dead", reason=bindparam("why")),
                    [{"id": e.job_id, "why": _short(e.dead_reason or "")} for e in dead],
                )

    def succeeded(
        self, job_id: UUID, result: dict[str, Any] | None = None, *, keep_result: bool = False
    ) -> None:
        """With `keep_result`, a result recorded earlier stays (a message delivered twice: the
        second delivery found the work done and has nothing better to say)."""
        value: Any = result
        if keep_result:
            value = sql_func.coalesce(jobs.c.result, literal(result, JSONB))
        self._move(job_id, status="succeeded", will_retry=False, reason=None, result=value)

    def failed(self, job_id: UUID, reason: str, will_retry: bool) -> None:
        self._move(job_id, status="failed", will_retry=will_retry, reason=_short(reason))

    def dead(self, job_id: UUID, reason: str) -> None:
        self._move(job_id, status="dead", will_retry=False, reason=_short(reason))

    def requeued(self, job_ids: Iterable[UUID], message: Mapping[str, Any]) -> None:
        """Dead jobs sent again (`aries jobs retry`), with the message that carries them."""
        for job_id in job_ids:
            self._move(job_id, status="queued", will_retry=False, **_message_columns(message))

    # --- reading ----------------------------------------------------------------------------

    def get(self, job_id: UUID, tenant_id: str) -> Job | None:
        """The tenant's job, or None (another tenant's job is indistinguishable from none)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(jobs).where(jobs.c.job_id == job_id, jobs.c.tenant_id == tenant_id)
            ).first()
        return _job(row) if row is not None else None

    def find(self, job_id: UUID) -> Job | None:
        """Any tenant's job (operators' commands only)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(jobs).where(jobs.c.job_id == job_id)).first()
        return _job(row) if row is not None else None

    def dead_jobs(self, limit: int = 1000) -> list[Job]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(jobs)
                .where(jobs.c.status == "dead")
                .order_by(jobs.c.updated_at.desc())
                .limit(limit)
            ).all()
        return [_job(row) for row in rows]

    # --- helpers ----------------------------------------------------------------------------

    def _move(self, job_id: UUID, **values: Any) -> None:
        self._execute(
            update(jobs)
            .where(jobs.c.job_id == job_id)
            .values(**values, revision=jobs.c.revision + 1, updated_at=sql_func.now()),
            None,
        )

    def _execute(self, statement: Any, conn: Connection | None) -> None:
        if conn is not None:
            conn.execute(statement)
            return
        with self.engine.begin() as own:
            own.execute(statement)


def _queued_with_message() -> Any:
    statement = pg_insert(jobs)
    return statement.on_conflict_do_update(
        index_elements=["job_id"],
        set_={
            "actor_name": statement.excluded.actor_name,
            "message": statement.excluded.message,
            "message_id": statement.excluded.message_id,
        },
    )


_QUEUED_WITH_MESSAGE = _queued_with_message()
_QUEUED = pg_insert(jobs).on_conflict_do_nothing(index_elements=["job_id"])
# The same INSERT as psycopg takes it (named %(...)s parameters), for `_queued_alone`.
_QUEUED_SQL = str(
    _QUEUED.compile(
        dialect=psycopg_dialect.dialect(),
        column_keys=["job_id", "kind", "tenant_id", "subject_id", "requested_by", "status"],
    )
)


def _moved(**values: Any) -> Any:
    """An UPDATE of the job bound as `id` (executed with one parameter set per job)."""
    return (
        update(jobs)
        .where(jobs.c.job_id == bindparam("id"))
        .values(**values, will_retry=False, revision=jobs.c.revision + 1,
                updated_at=sql_func.now())
    )


def _message_columns(message: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "actor_name": message["actor_name"],
        "message": dict(message),
        "message_id": message.get("message_id"),
    }


def _short(reason: str) -> str:
    return reason if len(reason) <= REASON_LIMIT else reason[: REASON_LIMIT - 1] + "…"


def _job(row: Any) -> Job:
    return Job(
        job_id=row.job_id,
        kind=row.kind,
        tenant_id=row.tenant_id,
        subject_id=row.subject_id,
        requested_by=row.requested_by,
        status=row.status,
        attempts=row.attempts,
        will_retry=row.will_retry,
        reason=row.reason,
        result=row.result,
        actor_name=row.actor_name,
        message=row.message,
        revision=row.revision,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
