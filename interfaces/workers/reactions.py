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
sent once it has closed (plus `submission_window_grace_seconds`, default 2 s, for writes still
committing); until then the reaction holds its position before the window's first event. An
event that commits later than the grace still goes out, in a message of its own. A window that
fills up (`submission_batch_max_claims`) does not wait for its close: each full message goes at
once, so a busy window's claims are being sent while it is still open and the grace delays only
its last, partial message.

A follower keeps what it has read past its position in memory (`Cursor`): each NOTIFY reads
only the notifications after the last one read, and the held window's events are decoded once,
not again on every wake-up. The position in the database moves as before (only past what has
been sent), so a restarted follower reads the held events again from there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from dramatiq import Broker
from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from application.eventstore import AriesApplication
from interfaces.workers import metrics
from interfaces.workers.actors import payload_of
from interfaces.workers.jobs import JobStore
from interfaces.workers.reaction_plans import (
    MAX_CLAIMS_PER_MESSAGE,
    WINDOW_GRACE_SECONDS,
    BillingRunsRequested,
    ClaimSubmissions,
    JobSpec,
    Outgoing,
    Plan,
    Reaction,
    RemittancesReceived,
    SummaryRequests,
    reactions_for,
)
from interfaces.workers.tables import reaction_tracking
from projections.batches import Backoff, Session, Target, describe, is_transient

__all__ = [
    "MAX_CLAIMS_PER_MESSAGE",
    "WINDOW_GRACE_SECONDS",
    "BillingRunsRequested",
    "ClaimSubmissions",
    "Cursor",
    "Follower",
    "JobSpec",
    "Outgoing",
    "Plan",
    "Reaction",
    "RemittancesReceived",
    "Step",
    "SummaryRequests",
    "position_of",
    "reactions_for",
    "step",
]

log = structlog.get_logger("aries.worker.reactions")

POLL_INTERVAL_SECONDS = 1.0
HALT_CHECK_SECONDS = 0.25
BATCH_SIZE = 500
# A step that sends nothing moves the stored position at most this often (or once this far
# behind): it passes only events of other topics, so a restart from an older position reads
# them again and sends nothing. Three reactions follow the claims log, and every NOTIFY of a
# submission request made the two that never send for it write their position.
IDLE_POSITION_SECONDS = 1.0
IDLE_POSITION_EVENTS = 5_000
# Woken by a NOTIFY less than this long after its last step began, a follower lets the burst
# gather before it reads: a busy API commits hundreds of times a second, three reactions follow
# the claims log, and one step per commit each was two queries and a plan over every held
# event. An event after a quiet spell is still read at once.
MIN_STEP_SECONDS = 0.05


# --- one step ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    read: int  # notifications of the reaction's topics read
    position: int  # everything up to here is sent (stored, or to be stored: IDLE_POSITION_*)
    busy: bool  # more may be waiting right now
    wake_in: float | None
    sent: int
    head: int = 0  # the upstream log's head as the step read it


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


@dataclass
class Cursor:
    """What one follower has read past its tracking position: the last notification read, and
    the events of its topics read but not sent yet (held), decoded once."""

    position: int  # the tracking position, as last read or moved by this follower
    read_to: int = 0
    held: list[tuple[int, Any]] = field(default_factory=list)
    stale: bool = False  # the position moved elsewhere: read it again
    stored_at: datetime | None = None  # when this follower last moved the stored position

    def passed(self) -> int:
        """The position everything has been sent up to (the stored one may lag it)."""
        return self.held[0][0] - 1 if self.held else self.read_to

    def due(self, now: datetime) -> bool:
        """Whether a step that sent nothing should store `passed()` now."""
        behind = self.passed() - self.position
        if behind <= 0:
            return False
        return (
            behind >= IDLE_POSITION_EVENTS
            or self.stored_at is None
            or (now - self.stored_at).total_seconds() >= IDLE_POSITION_SECONDS
        )

    def __post_init__(self) -> None:
        self.read_to = max(self.read_to, self.position)


def step(
    conn: Connection,
    reaction: Reaction,
    app: AriesApplication,
    broker: Broker,
    store: JobStore,
    *,
    limit: int = BATCH_SIZE,
    now: datetime | None = None,
    cursor: Cursor | None = None,
) -> Step:
    """Turn the next batch of upstream events into messages (see the module docstring).
    Without a `cursor` (or with a stale one) it starts from the tracking position."""
    if cursor is None or cursor.stale:
        fresh = Cursor(position_of(conn, reaction))
        cursor = cursor or fresh
        cursor.position, cursor.read_to, cursor.held, cursor.stale = (
            fresh.position,
            fresh.read_to,
            [],
            False,
        )
    # Only the reaction's topics are read, up to the head as it was before the read (ids are
    # given in commit order under the table's lock, so none at or below it can still appear):
    # the other events of the log are neither sent over nor built into rows, and the position
    # still moves past them.
    now = now or datetime.now(UTC)
    upstream_head = max(app.recorder.max_notification_id() or 0, cursor.read_to)
    if upstream_head == cursor.read_to and not cursor.held:
        if cursor.due(now):
            _move_position(conn, reaction, cursor, cursor.passed(), now)
        return Step(0, cursor.passed(), False, None, 0, upstream_head)
    notifications = (
        app.recorder.select_notifications(
            cursor.read_to + 1, limit, stop=upstream_head, topics=sorted(reaction.topics)
        )
        if upstream_head > cursor.read_to
        else []
    )
    cursor.held.extend((n.id, app.mapper.to_domain_event(n)) for n in notifications)
    full = len(notifications) == limit
    cursor.read_to = notifications[-1].id if full else upstream_head
    plan = reaction.plan(cursor.held, first=cursor.position + 1, full=full, now=now)
    if plan.outgoing:
        _queue_jobs(conn, store, plan.outgoing)
        for outgoing in plan.outgoing:
            broker.enqueue(outgoing.message)
        sent = {p for outgoing in plan.outgoing for p in outgoing.positions}
        cursor.held = [(p, e) for p, e in cursor.held if p not in sent]
    if (plan.outgoing and cursor.passed() > cursor.position) or cursor.due(now):
        _move_position(conn, reaction, cursor, cursor.passed(), now)
    return Step(
        len(notifications),
        cursor.passed(),
        full,
        plan.wake_in,
        len(plan.outgoing),
        upstream_head,
    )


def _queue_jobs(conn: Connection, store: JobStore, outgoing: Sequence[Outgoing]) -> None:
    """Every job of the messages recorded queued, in one transaction, before they are sent."""
    with conn.begin():
        store.queued_all(
            [
                (
                    (job.job_id, job.kind, job.tenant_id, job.subject_id, job.requested_by),
                    payload_of(each.message),
                )
                for each in outgoing
                for job in each.jobs
            ],
            conn,
        )


def _move_position(
    conn: Connection, reaction: Reaction, cursor: Cursor, last: int, now: datetime
) -> None:
    with conn.begin():
        moved = conn.execute(
            update(reaction_tracking)
            .where(
                reaction_tracking.c.reaction == reaction.name,
                reaction_tracking.c.upstream == reaction.upstream,
                reaction_tracking.c.position == cursor.position,
            )
            .values(position=last, updated_at=func.now())
        ).rowcount
    if moved:
        cursor.position, cursor.stored_at = last, now
    else:
        log.info("reaction position moved elsewhere", reaction=reaction.name)
        cursor.stale = True


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
        cursor = Cursor(position_of(session.conn, self.reaction))
        while not self.halt.is_set():
            stepped_at = time.monotonic()
            done = step(
                session.conn,
                self.reaction,
                app,
                self.broker,
                self.store,
                now=self.clock(),
                cursor=cursor,
            )
            name, upstream = self.reaction.name, self.reaction.upstream
            metrics.reaction_position.labels(name, upstream).set(done.position)
            metrics.reaction_lag_events.labels(name, upstream).set(
                max(done.head - done.position, 0)
            )
            if done.sent:
                self.log.info("messages sent", messages=done.sent, position=done.position)
            if done.busy:
                continue
            wait = (
                self.poll_interval
                if done.wake_in is None
                else min(self.poll_interval, max(done.wake_in, 0.05))
            )
            self._wait(session, wait, settle_until=stepped_at + MIN_STEP_SECONDS)

    def _wait(self, session: Session, seconds: float, *, settle_until: float = 0.0) -> None:
        """Until `seconds` pass or a NOTIFY comes; after a NOTIFY, not before `settle_until`."""
        deadline = time.monotonic() + seconds
        while not self.halt.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if session.wait(min(remaining, HALT_CHECK_SECONDS)):
                self.halt.wait(max(settle_until - time.monotonic(), 0.0))
                return
