"""The Dramatiq broker on Redis, and the middleware that keeps the job store and the metrics.

- Namespace: every key lives under `settings.redis_key_prefix + "dramatiq"`, so tests (and
  tenants of one Redis) keep their queues apart.
- Retries: exponential backoff from `worker_min_backoff_seconds`, for failures worth retrying
  (`TransientFailure`, a lost database connection, a concurrent update of an aggregate), at most
  `worker_max_retries` times; any other exception fails at once. Either way a failed message
  lands in Dramatiq's dead-letter queue (`<queue>.XQ`), and its jobs are marked dead.
- Dead workers: Dramatiq requeues the unacknowledged messages of a broker whose heartbeat is
  older than the timeout, but only during "maintenance", which the library runs on a random
  0.1% of commands: minutes or hours on a quiet queue. `AriesRedisBroker.maintain` runs it on
  purpose (the worker's housekeeping thread calls it every few seconds), and doubles as this
  process's heartbeat, which the consumers stop sending while every prefetched slot is busy.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from uuid import UUID

import structlog
from dramatiq import Middleware
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from application.eventstore import ConcurrentUpdate
from application.ports import TransientFailure
from interfaces.settings import Settings
from interfaces.workers import metrics
from interfaces.workers.jobs import JobStore
from projections.batches import describe, is_transient

log = structlog.get_logger("aries.worker")

DEAD_LETTER_DAYS = 30


def namespace_for(settings: Settings) -> str:
    return f"{settings.redis_key_prefix}dramatiq"


def is_retryable(error: BaseException) -> bool:
    """A failure that another attempt may not meet."""
    return isinstance(error, TransientFailure | ConcurrentUpdate) or is_transient(error)


def reason_for(error: BaseException) -> str:
    """Why an attempt failed, safe to store and log: the error type, the domain rule when there
    is one, and where it was raised; never the message text (it may quote PHI)."""
    rule = getattr(error, "rule", None)
    text = describe(error)
    return f"{text}; rule {rule}" if isinstance(rule, str) else text


def job_ids_of(message: Any) -> list[UUID]:
    return [UUID(str(job_id)) for job_id in message.kwargs.get("job_ids", ())]


def _ids(message: Any) -> dict[str, Any]:
    """How a log line names a message: actor and ids, never its arguments."""
    return {
        "actor": message.actor_name,
        "message_id": message.message_id,
        "job_ids": [str(j) for j in job_ids_of(message)],
    }


class AriesRedisBroker(RedisBroker):
    """RedisBroker whose maintenance runs when asked (`maintain`), not by chance."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(maintenance_chance=0, **kwargs)
        self._maintaining = threading.local()

    def _should_do_maintenance(self, command: str) -> int:
        return int(getattr(self._maintaining, "on", False))

    def maintain(self) -> None:
        """Heartbeat; requeue what dead workers fetched and never acknowledged; drop expired
        dead letters. For every declared queue and its delay queue."""
        self._maintaining.on = True
        try:
            for queue in sorted(self.get_declared_queues() | self.get_declared_delay_queues()):
                self.do_qsize(queue)
        finally:
            self._maintaining.on = False

    def key(self, name: str) -> str:
        return f"{self.namespace}:{name}"

    def depth(self, queue: str) -> dict[str, int]:
        """Messages waiting (ready), waiting for a retry's time (delayed), and dead."""
        pipe = self.client.pipeline(transaction=False)
        pipe.llen(self.key(queue))
        pipe.hlen(self.key(f"{queue}.DQ.msgs"))
        pipe.zcard(self.key(f"{queue}.XQ"))
        ready, delayed, dead = pipe.execute()
        return {"ready": int(ready), "delayed": int(delayed), "dead": int(dead)}


class JobLifecycle(Middleware):
    """Marks a message's jobs failed (retry scheduled or not) and dead in the job store.

    Listed BEFORE Retries: `after_*` hooks run in reverse order, so this sees Retries' verdict
    (`message.failed`). Running and succeeded are recorded by the actors themselves (they know
    the result).
    """

    def __init__(self, store: JobStore) -> None:
        self.store = store

    def after_process_message(
        self, broker: Any, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        if exception is None:
            return
        reason = reason_for(exception)
        message.options["aries_reason"] = reason
        will_retry = not message.failed
        log.warning("job attempt failed", **_ids(message), will_retry=will_retry, reason=reason)
        for job_id in job_ids_of(message):
            self.store.failed(job_id, reason, will_retry=will_retry)

    def after_skip_message(self, broker: Any, message: Any) -> None:
        message.options.setdefault("aries_reason", "skipped by the broker (too old)")

    def after_nack(self, broker: Any, message: Any) -> None:
        reason = message.options.get("aries_reason") or "dead-lettered by the broker"
        log.error("job dead-lettered", **_ids(message), reason=reason)
        for job_id in job_ids_of(message):
            self.store.dead(job_id, reason)


class WorkerMetrics(Middleware):
    """Processed / failed / retried / dead counters and attempt durations, by actor."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.started: dict[str, float] = {}
        self.lock = threading.Lock()

    def before_process_message(self, broker: Any, message: Any) -> None:
        with self.lock:
            self.started[message.message_id] = self.clock()

    def after_process_message(
        self, broker: Any, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        actor = message.actor_name
        with self.lock:
            started = self.started.pop(message.message_id, None)
        if started is not None:
            metrics.task_duration_seconds.labels(actor).observe(self.clock() - started)
        if exception is None:
            metrics.tasks_processed.labels(actor).inc()
            return
        metrics.tasks_failed.labels(actor).inc()
        if not message.failed:
            metrics.tasks_retried.labels(actor).inc()

    def after_nack(self, broker: Any, message: Any) -> None:
        metrics.tasks_dead.labels(message.actor_name).inc()


def build_broker(settings: Settings, store: JobStore) -> AriesRedisBroker:
    """A broker for this process (actors are declared on it by `actors.declare_actors`)."""
    import time

    assert settings.redis_url is not None
    max_retries = settings.worker_max_retries

    def retry_when(retries: int, error: BaseException) -> bool:
        return retries < max_retries and is_retryable(error)

    middleware = [
        JobLifecycle(store),
        WorkerMetrics(time.perf_counter),
        AgeLimit(),
        TimeLimit(),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(
            max_retries=max_retries,
            min_backoff=int(settings.worker_min_backoff_seconds * 1000),
            max_backoff=int(settings.worker_max_backoff_seconds * 1000),
            retry_when=retry_when,
        ),
    ]
    return AriesRedisBroker(
        url=settings.redis_url,
        namespace=namespace_for(settings),
        middleware=middleware,
        heartbeat_timeout=int(settings.worker_heartbeat_timeout_seconds * 1000),
        dead_message_ttl=DEAD_LETTER_DAYS * 86_400_000,
    )
