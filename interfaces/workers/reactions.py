"""Reactions: followers of the event logs that turn events into Dramatiq messages.

- claim_submissions follows claims: `aries.claim.SubmissionRequested` -> `submit_claims`, one
  message per tenant and batch window;
- remittances follows claims: `aries.remittance.Received` -> `post_remittance`;
- summaries follows patients: `aries.patient.SummaryRequested` -> `generate_summary`;
- billing_runs follows claims: `aries.billing_run.Requested` -> `run_billing`.

Each reaction is tracked like a projection (`ops.reaction_tracking`: last position per upstream)
and runs in one process at a time (a session advisory lock; others stand by), waking on the
upstream's NOTIFY. One step: read a batch of notifications after the position, record the jobs
as queued (committed first, so a worker that runs a message at once finds its job), send the
messages, then move the position (compare-and-set). Enqueue is therefore at least once: a crash
after sending and before moving sends again, and the actors are idempotent.

Claims whose submission is requested in the same window (`submission_batch_seconds`, aligned
to the epoch; 60 s: the same UTC minute) share one message, so one 837P interchange. A window is
sent once it has closed (plus `WINDOW_GRACE_SECONDS`, for writes still committing); until then
the reaction holds its position before the window's first event. An event that commits later
than the grace still goes out, in a message of its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol
from uuid import UUID, uuid5

import structlog
from dramatiq import Broker, Message
from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from application.eventstore import AriesApplication
from interfaces.workers import metrics
from interfaces.workers.actors import (
    GENERATE_SUMMARY,
    POST_REMITTANCE,
    RUN_BILLING,
    SUBMIT_CLAIMS,
    ActorSpec,
    message_for,
    payload_of,
)
from interfaces.workers.jobs import JobStore, job_id_for_submission
from interfaces.workers.tables import reaction_tracking
from projections.batches import Backoff, Session, Target, describe, head, is_transient

log = structlog.get_logger("aries.worker.reactions")

BATCH_NAMESPACE = UUID("3b5c2f9e-1d4a-5e8b-a7c6-0f2d9e8b1a34")  # fixed: batch ids derive from it
WINDOW_GRACE_SECONDS = 2.0
POLL_INTERVAL_SECONDS = 1.0
HALT_CHECK_SECONDS = 0.25
BATCH_SIZE = 500


@dataclass(frozen=True)
class JobSpec:
    job_id: UUID
    kind: str
    tenant_id: str
    subject_id: UUID | None
    requested_by: str | None


@dataclass(frozen=True)
class Outgoing:
    message: Message[Any]
    jobs: tuple[JobSpec, ...]


@dataclass(frozen=True)
class Plan:
    outgoing: list[Outgoing] = field(default_factory=list)
    hold_from: int | None = None  # first position not to pass yet
    wake_in: float | None = None  # seconds until the held events can go


class Reaction(Protocol):
    name: ClassVar[str]
    upstream: ClassVar[str]
    topics: ClassVar[frozenset[str]]

    def plan(
        self, events: Sequence[tuple[int, Any]], *, first: int, full: bool, now: datetime
    ) -> Plan: ...


# --- the reactions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimSubmissions:
    name: ClassVar[str] = "claim_submissions"
    upstream: ClassVar[str] = "claims"
    topics: ClassVar[frozenset[str]] = frozenset({"aries.claim.SubmissionRequested"})

    window_seconds: int = 60
    grace_seconds: float = WINDOW_GRACE_SECONDS

    def window(self, event: Any) -> int:
        seconds = int(event.timestamp.timestamp())
        return seconds - seconds % self.window_seconds

    def closes_at(self, window: int) -> float:
        return window + self.window_seconds + self.grace_seconds

    def plan(
        self, events: Sequence[tuple[int, Any]], *, first: int, full: bool, now: datetime
    ) -> Plan:
        clock = now.timestamp()
        still_open = [(p, e) for p, e in events if self.closes_at(self.window(e)) > clock]
        hold_from = min((p for p, _ in still_open), default=None)
        wake_in = (
            min(self.closes_at(self.window(e)) for _, e in still_open) - clock
            if still_open
            else None
        )
        if full and hold_from is None and events:
            # The batch may have cut the last window short: leave it whole for the next step,
            # unless it is the only one here (a window larger than a batch is split).
            last = max(self.window(e) for _, e in events)
            held = [p for p, e in events if self.window(e) == last]
            if min(held) > first and any(self.window(e) < last for _, e in events):
                hold_from = min(held)
        ready = [(p, e) for p, e in events if hold_from is None or p < hold_from]
        groups: dict[tuple[str, int], list[tuple[int, Any]]] = {}
        for position, event in ready:
            groups.setdefault((event.tenant_id, self.window(event)), []).append((position, event))
        return Plan(
            [self._outgoing(tenant, window, group) for (tenant, window), group in groups.items()],
            hold_from,
            wake_in,
        )

    def _outgoing(self, tenant: str, window: int, group: list[tuple[int, Any]]) -> Outgoing:
        batch_id = uuid5(BATCH_NAMESPACE, f"{self.name}:{tenant}:{window}:{group[0][0]}")
        correlations = {event.correlation_id for _, event in group}
        correlation = correlations.pop() if len(correlations) == 1 else f"batch:{batch_id}"
        # Parallel to the job ids (a claim asked twice in one window is there twice: the
        # service sends it once).
        claim_ids = [event.originator_id for _, event in group]
        jobs = tuple(
            JobSpec(
                job_id_for_submission(event.originator_id, event.submission_number),
                SUBMIT_CLAIMS.job_kind,
                tenant,
                event.originator_id,
                event.actor_id,
            )
            for _, event in group
        )
        message = message_for(
            SUBMIT_CLAIMS,
            tenant_id=tenant,
            correlation_id=correlation,
            job_ids=[job.job_id for job in jobs],
            message_id=str(batch_id),
            traceparent=getattr(group[0][1], "traceparent", None),
            claim_ids=claim_ids,
            batch_id=batch_id,
        )
        return Outgoing(message, jobs)


@dataclass(frozen=True)
class RemittancesReceived:
    name: ClassVar[str] = "remittances"
    upstream: ClassVar[str] = "claims"
    topics: ClassVar[frozenset[str]] = frozenset({"aries.remittance.Received"})

    def plan(
        self, events: Sequence[tuple[int, Any]], *, first: int, full: bool, now: datetime
    ) -> Plan:
        return Plan(
            [
                _one_job(
                    POST_REMITTANCE, event,
                    job_id=event.originator_id,
                    subject_id=event.originator_id,
                    requested_by=event.actor_id,
                    remittance_id=event.originator_id,
                )
                for _, event in events
            ]
        )


@dataclass(frozen=True)
class BillingRunsRequested:
    name: ClassVar[str] = "billing_runs"
    upstream: ClassVar[str] = "claims"
    topics: ClassVar[frozenset[str]] = frozenset({"aries.billing_run.Requested"})

    def plan(
        self, events: Sequence[tuple[int, Any]], *, first: int, full: bool, now: datetime
    ) -> Plan:
        return Plan(
            [
                _one_job(
                    RUN_BILLING, event,
                    job_id=event.originator_id,
                    subject_id=event.originator_id,
                    requested_by=event.requested_by,
                    billing_run_id=event.originator_id,
                )
                for _, event in events
            ]
        )


@dataclass(frozen=True)
class SummaryRequests:
    name: ClassVar[str] = "summaries"
    upstream: ClassVar[str] = "patients"
    topics: ClassVar[frozenset[str]] = frozenset({"aries.patient.SummaryRequested"})

    def plan(
        self, events: Sequence[tuple[int, Any]], *, first: int, full: bool, now: datetime
    ) -> Plan:
        return Plan(
            [
                _one_job(
                    GENERATE_SUMMARY, event,
                    job_id=event.summary_id,
                    subject_id=event.originator_id,
                    requested_by=event.requested_by,
                    patient_id=event.originator_id,
                    summary_id=event.summary_id,
                )
                for _, event in events
            ]
        )


def _one_job(
    spec: ActorSpec,
    event: Any,
    *,
    job_id: UUID,
    subject_id: UUID,
    requested_by: str | None,
    **arguments: Any,
) -> Outgoing:
    """A message carrying one job, with the job's id as its message id."""
    message = message_for(
        spec,
        tenant_id=event.tenant_id,
        correlation_id=event.correlation_id,
        job_ids=[job_id],
        message_id=str(job_id),
        traceparent=getattr(event, "traceparent", None),
        **arguments,
    )
    job = JobSpec(job_id, spec.job_kind, event.tenant_id, subject_id, requested_by)
    return Outgoing(message, (job,))


def reactions_for(submission_batch_seconds: int) -> list[Reaction]:
    return [
        ClaimSubmissions(window_seconds=submission_batch_seconds),
        RemittancesReceived(),
        SummaryRequests(),
        BillingRunsRequested(),
    ]


# --- one step ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    read: int  # notifications read
    position: int  # tracking position afterwards
    busy: bool  # more may be waiting right now
    wake_in: float | None
    sent: int


def lock_key(reaction: Reaction) -> str:
    return f"aries.reaction.{reaction.name}"


def position_of(conn: Connection, reaction: Reaction) -> int:
    key = (
        reaction_tracking.c.reaction == reaction.name,
        reaction_tracking.c.upstream == reaction.upstream,
    )
    with conn.begin():
        position = conn.execute(select(reaction_tracking.c.position).where(*key)).scalar()
        if position is None:
            conn.execute(
                pg_insert(reaction_tracking)
                .values(reaction=reaction.name, upstream=reaction.upstream, position=0)
                .on_conflict_do_nothing()
            )
            position = conn.execute(select(reaction_tracking.c.position).where(*key)).scalar_one()
    return int(position)


def step(
    conn: Connection,
    reaction: Reaction,
    app: AriesApplication,
    broker: Broker,
    store: JobStore,
    *,
    limit: int = BATCH_SIZE,
    now: datetime | None = None,
) -> Step:
    """Turn the next batch of upstream events into messages (see the module docstring)."""
    position = position_of(conn, reaction)
    notifications = app.recorder.select_notifications(position + 1, limit)
    if not notifications:
        return Step(0, position, False, None, 0)
    events = [
        (n.id, app.mapper.to_domain_event(n)) for n in notifications if n.topic in reaction.topics
    ]
    full = len(notifications) == limit
    plan = reaction.plan(
        events, first=notifications[0].id, full=full, now=now or datetime.now(UTC)
    )
    last = plan.hold_from - 1 if plan.hold_from is not None else notifications[-1].id
    if plan.outgoing:
        with conn.begin():
            for outgoing in plan.outgoing:
                payload = payload_of(outgoing.message)
                for job in outgoing.jobs:
                    store.queued(
                        job.job_id, job.kind, job.tenant_id, job.subject_id, job.requested_by,
                        message=payload, conn=conn,
                    )
        for outgoing in plan.outgoing:
            broker.enqueue(outgoing.message)
    if last > position:
        with conn.begin():
            moved = conn.execute(
                update(reaction_tracking)
                .where(
                    reaction_tracking.c.reaction == reaction.name,
                    reaction_tracking.c.upstream == reaction.upstream,
                    reaction_tracking.c.position == position,
                )
                .values(position=last, updated_at=func.now())
            ).rowcount
        if not moved:
            log.info("reaction position moved elsewhere", reaction=reaction.name)
    busy = full and plan.hold_from is None
    return Step(len(notifications), max(last, position), busy, plan.wake_in, len(plan.outgoing))


# --- following the logs -------------------------------------------------------------------------


class Follower:
    """Keeps one reaction current, in its own thread, until `halt` is set. Failures (a lost
    connection, Redis away, an event that does not decode) are logged and retried with backoff:
    the position stays where it was, so nothing is skipped."""

    def __init__(
        self,
        target: Target,
        reaction: Reaction,
        broker: Broker,
        store: JobStore,
        halt: threading.Event,
        *,
        poll_interval: float = POLL_INTERVAL_SECONDS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.target = target
        self.reaction = reaction
        self.broker = broker
        self.store = store
        self.halt = halt
        self.poll_interval = poll_interval
        self.clock = clock
        self.log = log.bind(reaction=reaction.name)

    def run(self) -> None:
        backoff = Backoff()
        while not self.halt.is_set():
            try:
                with Session(self.target, self.reaction, purpose="reaction") as session:  # type: ignore[arg-type]
                    app = self.target.applications[self.reaction.upstream]
                    session.listen([str(app.recorder.channel_name)])
                    if not self._acquire(session):
                        return
                    backoff.reset()
                    self._follow(session, app)
            except Exception as error:
                delay = backoff.next()
                (self.log.warning if is_transient(error) else self.log.error)(
                    "reaction step failed; retrying",
                    error=describe(error),
                    attempt=backoff.attempt,
                    retry_in_seconds=round(delay, 2),
                )
                self.halt.wait(delay)

    def _acquire(self, session: Session) -> bool:
        waiting = False
        while not self.halt.is_set():
            if session.try_lock(lock_key(self.reaction)):
                self.log.info("reaction has the lock" + (" after waiting" if waiting else ""))
                return True
            if not waiting:
                self.log.info("another process runs this reaction; standing by")
                waiting = True
            self._wait(session, self.poll_interval)
        return False

    def _follow(self, session: Session, app: AriesApplication) -> None:
        while not self.halt.is_set():
            done = step(session.conn, self.reaction, app, self.broker, self.store, now=self.clock())
            name, upstream = self.reaction.name, self.reaction.upstream
            metrics.reaction_position.labels(name, upstream).set(done.position)
            metrics.reaction_lag_events.labels(name, upstream).set(
                max(head(app) - done.position, 0)
            )
            if done.sent:
                self.log.info("messages sent", messages=done.sent, position=done.position)
            if done.busy:
                continue
            wait = self.poll_interval if done.wake_in is None else min(
                self.poll_interval, max(done.wake_in, 0.05)
            )
            self._wait(session, wait)

    def _wait(self, session: Session, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.halt.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or session.wait(min(remaining, HALT_CHECK_SECONDS)):
                return
