"""`aries worker`: everything that follows the event logs and reaches the outside world.

`run_workers(aries, stop)` runs, until `stop` is set (or SIGTERM/SIGINT when it owns the main
thread):
- the reactions (`interfaces.workers.reactions`), one thread each, turning events into
  Dramatiq messages;
- a Dramatiq Worker (`worker_threads` threads) running the actors (`interfaces.workers.actors`)
  on the broker (`interfaces.workers.broker`: Redis, or RabbitMQ);
- housekeeping every few seconds: heartbeat, requeue a dead worker's unfinished messages, queue
  depth gauges, deleting expired report files;
- audit checkpoints: every `audit_checkpoint_minutes`, every chain's head and Merkle root signed
  with ARIES_AUDIT_HMAC_KEY, stored and appended to the witness directory
  (`application/audit/witness.py`); without the key, none (a warning says so);
- the claims process manager (delivered orders -> claims), in the calling thread: it wakes on
  the Orders log's NOTIFY and polls once a second; a lost connection is retried with backoff.

Stopping is graceful: the reactions stop, running jobs get `worker_shutdown_seconds` to finish,
and prefetched messages go back to the broker for another worker.
"""

from __future__ import annotations

import gc
import signal
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import dramatiq
import psycopg
import structlog
from eventsourcing.persistence import OperationalError
from prometheus_client import start_http_server

from application.audit.witness import checkpoint_if_due
from interfaces.bootstrap import Aries
from interfaces.reports.files import ReportFileStore
from interfaces.workers import metrics
from interfaces.workers.actors import QUEUES, declare_actors
from interfaces.workers.broker import build_broker
from interfaces.workers.jobs import JobStore
from interfaces.workers.reactions import Follower, reactions_for
from projections.batches import describe

log = structlog.get_logger("aries.worker")

HOUSEKEEPING_MOST_SECONDS = 5.0


@dataclass
class WorkerRuntime:
    """The Dramatiq side of a worker process: broker, actors, worker threads, reactions and
    housekeeping. `start()` then `stop()`; tests may run several in one process."""

    aries: Aries
    reactions: bool = True
    metrics_port: int | None = None
    halt: threading.Event = field(default_factory=threading.Event)
    broker: Any = field(init=False)  # a Dramatiq broker with the AriesBroker methods
    worker: dramatiq.Worker = field(init=False)
    threads: list[threading.Thread] = field(default_factory=list, init=False)
    metrics_server: Any = field(default=None, init=False)

    def __post_init__(self) -> None:
        settings = self.aries.settings
        self.store = JobStore(self.aries.read_engine)
        self.report_files = ReportFileStore(
            self.aries.read_engine, timedelta(hours=settings.report_retention_hours)
        )
        self.broker = build_broker(settings, self.store)
        self.actors = declare_actors(self.broker, self.aries)
        self.worker = dramatiq.Worker(self.broker, worker_threads=settings.worker_threads)

    def start(self) -> None:
        settings = self.aries.settings
        # What `dramatiq`'s own command line does once per process: starts the time limits.
        self.broker.emit_after("process_boot")
        self.worker.start()
        if self.reactions:
            for reaction in reactions_for(
                settings.submission_batch_seconds,
                settings.submission_window_grace_seconds,
                settings.submission_batch_max_claims,
            ):
                follower = Follower(self.aries, reaction, self.broker, self.store, self.halt)
                self._thread(follower.run, f"reaction:{reaction.name}")
        self._thread(self._housekeeping, "worker-housekeeping")
        if settings.audit_hmac_key is None:
            log.warning("no ARIES_AUDIT_HMAC_KEY: audit checkpoints are not taken")
        else:
            self._thread(self._checkpoints, "audit-checkpoints")
        if self.metrics_port is not None:
            self.metrics_server, _ = start_http_server(self.metrics_port)
        log.info(
            "worker started",
            threads=settings.worker_threads,
            queues=sorted(QUEUES),
            reactions=self.reactions,
            metrics_port=self.metrics_port,
        )

    def stop(self) -> None:
        self.halt.set()
        for thread in self.threads:
            thread.join(timeout=30)
        self.worker.stop(timeout=int(self.aries.settings.worker_shutdown_seconds * 1000))
        if self.metrics_server is not None:
            self.metrics_server.shutdown()
            self.metrics_server.server_close()
        self.broker.shutdown()
        log.info("worker stopped")

    def _thread(self, target: Any, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self.threads.append(thread)

    def _housekeeping(self) -> None:
        # Well inside the heartbeat timeout, so a busy process is never taken for dead.
        interval = min(
            self.aries.settings.worker_heartbeat_timeout_seconds / 4, HOUSEKEEPING_MOST_SECONDS
        )
        while not self.halt.is_set():
            try:
                self.broker.maintain()
                for queue in QUEUES:
                    for state, count in self.broker.depth(queue).items():
                        metrics.queue_depth.labels(queue, state).set(count)
                purged = self.report_files.purge_expired()
                if purged:
                    log.info("expired report files deleted", count=purged)
            except Exception as error:  # broker away: the consumers say so too; try again
                log.warning("worker housekeeping failed", error=describe(error))
            self.halt.wait(interval)

    def _checkpoints(self) -> None:
        settings = self.aries.settings
        assert settings.audit_hmac_key is not None
        key = settings.audit_hmac_key.get_secret_value().encode()
        every = timedelta(minutes=settings.audit_checkpoint_minutes)
        # Wake often enough to keep the schedule, whatever it is.
        interval = min(every.total_seconds() / 4, 60.0)
        while not self.halt.is_set():
            try:
                made = checkpoint_if_due(
                    self.aries.read_engine, key, every, settings.audit_witness_dir
                )
                if made:
                    log.info("audit checkpoints taken", chains=len(made))
            except Exception as error:  # database or witness away: next round tries again
                log.warning("audit checkpoint failed", error=describe(error))
            self.halt.wait(interval)


def run_workers(
    aries: Aries, stop: threading.Event | None = None, *, metrics_port: int | None = None
) -> None:
    owned = stop is None  # `aries worker` itself, not a test's thread
    stop = stop or _stop_on_signals()
    runtime = WorkerRuntime(aries, metrics_port=metrics_port or aries.settings.worker_metrics_port)
    runtime.start()
    if owned:
        # What start-up built (some 190k objects: modules, the domain's and SQLAlchemy's
        # classes, the broker, the actors) lives as long as the process. Left to the
        # collector, every full collection walked it, 100-170 ms with the GIL held, a fifth of
        # the worker's CPU in figure 7's runs. Frozen, collections walk only what came later;
        # garbage is still freed by reference counting (as `aries serve` does, decision 029).
        gc.collect()
        gc.freeze()
    try:
        _run_claims_process_manager(aries, stop)
    finally:
        runtime.stop()


def _run_claims_process_manager(aries: Aries, stop: threading.Event) -> None:
    backoff = 1.0
    while not stop.is_set():
        try:
            with psycopg.connect(aries.settings.database_url, autocommit=True) as listener:
                listener.execute(f"LISTEN {aries.orders.events_table}")
                backoff = 1.0
                while not stop.is_set():
                    processed = aries.claims.catch_up_all()
                    if processed:
                        log.debug("order events processed", count=processed)
                    # Wake on the next order event, or after a second at the latest.
                    for _ in listener.notifies(timeout=1.0, stop_after=1):
                        break
        except (psycopg.OperationalError, OperationalError, OSError) as error:
            log.warning("database connection lost; retrying", error=type(error).__name__)
            stop.wait(backoff)
            backoff = min(backoff * 2, 30.0)


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        log.info("worker stopping", signal=signal.Signals(signum).name)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    return stop


__all__ = ["WorkerRuntime", "run_workers"]
