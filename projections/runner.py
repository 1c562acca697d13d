"""Running projections: the long-running projector, a one-off catch-up, status, and rebuild.

- `run_projectors(aries, names, stop)`: one thread per projection, until `stop` is set or the
  process gets SIGTERM/SIGINT. Each thread opens a dedicated connection, takes the projection's
  advisory lock (another process holding it: wait and retry every `poll_interval`), LISTENs to
  its upstreams' channels, and applies batches until caught up, then sleeps until a NOTIFY (it
  then reads the upstreams that notified) or the poll interval (it then reads them all). A lost
  connection is logged and retried with backoff; a failing handler stops that projection
  (logged, and returned) while the others go on.
- `catch_up(aries, name)`: everything available, now, in this thread.
- `status(aries)`: position, head and lag per projection and upstream.
- `rebuild(aries, name, progress_callback)`: see `projections.rebuild`.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any, NamedTuple

import structlog
from sqlalchemy import select

from projections import metrics, registry
from projections.base import Projection
from projections.batches import (
    CONTROL_CHANNEL,
    Backoff,
    ProjectionFailed,
    Session,
    Target,
    apply_next_batch,
    describe,
    drain,
    head,
    heads,
    is_transient,
    lock_key,
)
from projections.rebuild import RebuildReport, rebuild
from projections.tables import projection_tracking

__all__ = [
    "ProjectionFailed",
    "ProjectionStatus",
    "RebuildReport",
    "catch_up",
    "rebuild",
    "run_projectors",
    "status",
    "wait_for_position",
]

log = structlog.get_logger(__name__)

POLL_INTERVAL_SECONDS = 1.0
YIELD_PAUSE_SECONDS = 1.0
HALT_CHECK_SECONDS = 0.25


class ProjectionStatus(NamedTuple):
    projection: str
    upstream: str
    position: int
    head: int
    lag: int


# --- The long-running projector ---------------------------------------------------------------


class _Projector:
    """Keeps one projection current, in its own thread, until `halt` is set."""

    def __init__(
        self,
        target: Target,
        projection: Projection,
        halt: threading.Event,
        *,
        poll_interval: float,
        batch_size: int | None,
    ) -> None:
        self.target = target
        self.projection = projection
        self.halt = halt
        self.poll_interval = poll_interval
        self.batch_size = batch_size or projection.batch_size
        self.failure: ProjectionFailed | None = None
        self.log = log.bind(projection=projection.name)

    def run(self) -> None:
        backoff = Backoff()
        while not self.halt.is_set():
            try:
                with Session(self.target, self.projection, purpose="projector") as session:
                    if backoff.attempt:
                        self.log.info("projector reconnected", attempts=backoff.attempt)
                    backoff.reset()
                    self._run_session(session)
            except ProjectionFailed as failure:
                self._fail(failure)
                return
            except Exception as error:
                if not is_transient(error):
                    self._fail(
                        ProjectionFailed(self.projection.name, "-", -1, describe(error)), error
                    )
                    return
                delay = backoff.next()
                self.log.warning(
                    "projector lost its database connection; reconnecting",
                    error=describe(error),
                    attempt=backoff.attempt,
                    retry_in_seconds=round(delay, 2),
                )
                self.halt.wait(delay)

    def _fail(self, failure: ProjectionFailed, cause: BaseException | None = None) -> None:
        if cause is not None:
            failure.__cause__ = cause
        self.failure = failure
        self.log.error(
            "projection stopped",
            upstream=failure.upstream,
            position=failure.position,
            reason=failure.reason,
        )

    def _run_session(self, session: Session) -> None:
        upstreams = self.projection.upstreams_in(self.target.applications)
        channels = [_channel(self.target.applications[u]) for u in upstreams]
        session.listen([*channels, CONTROL_CHANNEL])
        key = lock_key(self.projection.name)
        while not self.halt.is_set():
            if not self._acquire(session, key):
                return
            if self._follow(session, upstreams):  # it yielded the lock to a rebuild
                session.unlock(key)
                self.log.info("projector paused for a rebuild's swap")
                self.halt.wait(YIELD_PAUSE_SECONDS)

    def _acquire(self, session: Session, key: str) -> bool:
        waiting = False
        while not self.halt.is_set():
            if session.try_lock(key):
                self.log.info("projector has the lock" + (" after waiting" if waiting else ""))
                return True
            if not waiting:
                self.log.info("another process holds the projection's lock; standing by")
                waiting = True
            self._wait(session, self.poll_interval)
        return False

    def _wait(self, session: Session, seconds: float) -> list[Any]:
        """Notifications, waiting up to `seconds` for the first, while watching `halt`."""
        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            notes = session.wait(max(0.0, min(remaining, HALT_CHECK_SECONDS)))
            if notes or remaining <= HALT_CHECK_SECONDS or self.halt.is_set():
                return notes

    def _follow(self, session: Session, upstreams: tuple[str, ...]) -> bool:
        """Apply batches until halted (False) or a rebuild asks for the lock (True).

        A NOTIFY names the upstream that committed (its channel): only those upstreams are
        read, that one first, so a projection of six upstreams (the event index) does not run
        five empty transactions before the next command's batch. A wait that times out, and the
        session's first pass, read them all, so an upstream whose notification was missed is
        still caught up within `poll_interval`.
        """
        yield_request = f"yield:{self.projection.name}"
        of_channel = {_channel(self.target.applications[u]): u for u in upstreams}
        due: list[str] = list(upstreams)  # catch up with everything when the session starts
        while not self.halt.is_set():
            notes = self._wait(session, 0 if due else self.poll_interval)
            if any(n.channel == CONTROL_CHANNEL and n.payload == yield_request for n in notes):
                return True
            if notes:
                for note in notes:
                    upstream = of_channel.get(note.channel)
                    if upstream is not None and upstream not in due:
                        due.append(upstream)
            elif not due:  # the poll interval passed without a notification
                due = list(upstreams)
            pending, due = due, []
            for upstream in pending:
                if self.halt.is_set():
                    break
                if self._apply(session, upstream):  # a full batch: more is waiting
                    due.append(upstream)
        return False

    def _apply(self, session: Session, upstream: str) -> bool:
        """One batch of `upstream`; answers whether it was full."""
        app = self.target.applications[upstream]
        started = time.perf_counter()
        batch = apply_next_batch(session.conn, self.projection, upstream, app, self.batch_size)
        full = batch.events == self.batch_size
        # A batch that was not full read up to the head as it was then: no query for the lag.
        now_head = head(app) if full else batch.position
        if batch.events:
            metrics.observe_batch(
                self.projection.name,
                upstream,
                events=batch.events,
                seconds=time.perf_counter() - started,
                position_=batch.position,
                head=now_head,
            )
        else:
            metrics.observe_position(
                self.projection.name, upstream, position_=batch.position, head=now_head
            )
        return full


def _channel(app: Any) -> str:
    """The channel the recorder NOTIFYs on every insert (the events table's name)."""
    return str(app.recorder.channel_name)


def _install_signal_handlers(halt: threading.Event) -> Callable[[], None]:
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("projector stopping", signal=signal.Signals(signum).name)
        halt.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


def run_projectors(
    aries: Target,
    names: list[str] | None,
    stop: threading.Event | None = None,
    *,
    poll_interval: float = POLL_INTERVAL_SECONDS,
    batch_size: int | None = None,
) -> dict[str, ProjectionFailed]:
    """Run the named projections (all registered ones for None), each in its own thread, until
    `stop` is set, SIGTERM/SIGINT arrives (main thread only), or every projection has stopped.

    Answers the projections that stopped on a failure, by name.
    """
    projections = registry.select(names)
    halt = threading.Event()
    restore = _install_signal_handlers(halt)
    projectors = [
        _Projector(aries, p, halt, poll_interval=poll_interval, batch_size=batch_size)
        for p in projections
    ]
    threads = [
        threading.Thread(target=p.run, name=f"projector:{p.projection.name}", daemon=True)
        for p in projectors
    ]
    log.info("projectors starting", projections=[p.name for p in projections])
    try:
        for thread in threads:
            thread.start()
        while not halt.wait(0.2):
            if (stop is not None and stop.is_set()) or not any(t.is_alive() for t in threads):
                break
    finally:
        halt.set()
        for thread in threads:
            thread.join(timeout=30)
        restore()
    failures = {p.projection.name: p.failure for p in projectors if p.failure is not None}
    log.info("projectors stopped", failed=sorted(failures))
    return failures


# --- One-off operations -----------------------------------------------------------------------


def catch_up(
    aries: Target,
    name: str | Projection,
    *,
    batch_size: int | None = None,
    timeout: float = 30.0,
) -> int:
    """Apply everything available to projection `name` now; answer how many events this call
    applied.

    If another process holds the projection's lock (a running projector), wait instead until it
    has reached the heads as of this call (at most `timeout` seconds, then TimeoutError) and
    answer 0. A handler failure raises ProjectionFailed.
    """
    projection = registry.get(name)
    upstreams = projection.upstreams_in(aries.applications)
    limit = batch_size or projection.batch_size
    key = lock_key(projection.name)
    with Session(aries, projection, purpose="catch-up") as session:
        if not session.try_lock(key):
            targets = heads(aries, upstreams)
            _wait_until(session, projection.name, targets, timeout)
            return 0
        applied = 0
        for upstream in upstreams:
            app = aries.applications[upstream]
            started = time.perf_counter()
            for batch in drain(session.conn, projection, upstream, app, limit):
                applied += batch.events
                finished = time.perf_counter()
                metrics.observe_batch(
                    projection.name,
                    upstream,
                    events=batch.events,
                    seconds=finished - started,
                    position_=batch.position,
                    head=max(batch.position, head(app)),
                )
                started = time.perf_counter()
        session.unlock(key)
        return applied


def _wait_until(session: Session, name: str, targets: dict[str, int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        positions = session.positions()
        if all(positions.get(u, 0) >= p for u, p in targets.items()):
            return
        if time.monotonic() >= deadline:
            raise TimeoutError(f"projection {name} did not reach {targets} within {timeout}s")
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def wait_for_position(
    aries: Target, name: str, upstream: str, position: int, *, timeout: float = 5.0
) -> bool:
    """Read-your-writes: wait until projection `name` has applied `upstream` up to `position`
    (a command's answer). True if it did within `timeout` seconds."""
    query = select(projection_tracking.c.position).where(
        projection_tracking.c.projection == name, projection_tracking.c.upstream == upstream
    )
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        with aries.read_engine.connect() as conn:
            current = conn.execute(query).scalar() or 0
        if current >= position:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def status(aries: Target, names: Iterable[str] | None = None) -> list[ProjectionStatus]:
    """Position, upstream head and lag for every registered projection and upstream."""
    projections = registry.select(list(names) if names else None)
    with aries.read_engine.connect() as conn:
        rows = conn.execute(
            select(
                projection_tracking.c.projection,
                projection_tracking.c.upstream,
                projection_tracking.c.position,
            )
        ).all()
    positions = {(p, u): position for p, u, position in rows}
    head_of: dict[str, int] = {}
    answer = []
    for projection in projections:
        for upstream in projection.upstreams_in(aries.applications):
            if upstream not in head_of:
                head_of[upstream] = head(aries.applications[upstream])
            position = positions.get((projection.name, upstream), 0)
            answer.append(
                ProjectionStatus(
                    projection.name,
                    upstream,
                    position,
                    head_of[upstream],
                    max(head_of[upstream] - position, 0),
                )
            )
    return answer
