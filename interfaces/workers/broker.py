"""The Dramatiq broker (Redis by default, RabbitMQ when `ARIES_BROKER_URL` is an amqp:// URL),
and the middleware that keeps the job store and the metrics. Why two brokers and how they differ:
docs/decisions/012-brokers-builds-logs.md.

- Namespace: every Redis key lives under `settings.redis_key_prefix + "dramatiq"`, and every
  RabbitMQ queue name starts with the same (`aries.dramatiq.summaries`), so tests (and
  deployments sharing one server) keep their queues apart.
- Priority: summaries are interactive (someone waits for one on screen), claim submissions are a
  batch. Each actor has a priority (`ActorSpec.priority`): a worker that holds prefetched
  messages of several queues runs the higher one first (Dramatiq's worker-local ordering, on
  both brokers); on RabbitMQ the queues are priority queues (`x-max-priority`) and every message
  carries its priority, so the broker delivers it ahead of lower ones waiting in its queue.
- Retries: exponential backoff from `worker_min_backoff_seconds`, for failures worth retrying
  (`TransientFailure`, a lost database connection, a concurrent update of an aggregate), at most
  `worker_max_retries` times; any other exception fails at once. Either way a failed message
  lands in Dramatiq's dead-letter queue (`<queue>.XQ`), and its jobs are marked dead.
- Dead workers: Dramatiq requeues the unacknowledged messages of a broker whose heartbeat is
  older than the timeout, but only during "maintenance", which the library runs on a random
  0.1% of commands: minutes or hours on a quiet queue. `AriesRedisBroker.maintain` runs it on
  purpose (the worker's housekeeping thread calls it every few seconds), and doubles as this
  process's heartbeat, which the consumers stop sending while every prefetched slot is busy.
  RabbitMQ needs none of this: it hands a consumer's unacknowledged messages back when its
  connection closes or misses its heartbeats.
- Dead letters: both brokers answer `dead_letters(queues)` and `remove_dead_letters(letters)`
  (interfaces.workers.deadletters builds `aries jobs dead/retry` on them).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

import structlog
from dramatiq import Broker, Message, Middleware
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import xq_name
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
from interfaces.telemetry import DramatiqTracing
from interfaces.workers import metrics
from interfaces.workers.jobs import JobStore
from projections.batches import describe, is_transient

log = structlog.get_logger("aries.worker")

DEAD_LETTER_DAYS = 30
DEAD_LETTER_MS = DEAD_LETTER_DAYS * 86_400_000
# RabbitMQ's x-max-priority: each level is a sub-queue costing memory and CPU; its guide
# (rabbitmq.com/docs/3.13/priority) highly recommends 1 to 5.
MAX_PRIORITY = 5
AMQP_SCHEMES = ("amqp://", "amqps://")


def namespace_for(settings: Settings) -> str:
    return f"{settings.redis_key_prefix}dramatiq"


@dataclass(frozen=True)
class DeadLetter:
    queue: str  # the actor's queue (without namespace)
    key: str  # the broker's handle on the letter
    message: Message[Any]
    dead_at: datetime


class AriesBroker(Protocol):
    """What Aries asks of a broker beyond Dramatiq's own."""

    def maintain(self) -> None: ...
    def depth(self, queue: str) -> dict[str, int]: ...
    def dead_letters(self, queues: Iterable[str]) -> list[DeadLetter]: ...
    def remove_dead_letters(self, letters: Iterable[DeadLetter]) -> None: ...
    def shutdown(self) -> None: ...


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

    def dead_letters(self, queues: Iterable[str]) -> list[DeadLetter]:
        """`<queue>.XQ`: a sorted set of ids by time of death, their messages in a hash."""
        letters = []
        for queue in queues:
            dead_at = dict(self.client.zrange(self.key(f"{queue}.XQ"), 0, -1, withscores=True))
            for redis_id, data in self.client.hgetall(self.key(f"{queue}.XQ.msgs")).items():
                when = dead_at.get(redis_id)
                letters.append(
                    DeadLetter(
                        queue,
                        redis_id.decode() if isinstance(redis_id, bytes) else str(redis_id),
                        Message.decode(data),
                        datetime.fromtimestamp((when or 0) / 1000, UTC),
                    )
                )
        return letters

    def remove_dead_letters(self, letters: Iterable[DeadLetter]) -> None:
        for letter in letters:
            self.client.zrem(self.key(f"{letter.queue}.XQ"), letter.key)
            self.client.hdel(self.key(f"{letter.queue}.XQ.msgs"), letter.key)

    def shutdown(self) -> None:
        self.close()
        self.client.close()


def queue_prefix(settings: Settings) -> str:
    """What every RabbitMQ queue name of this deployment starts with: the namespace in the
    characters Dramatiq allows in a queue name (letters, digits, '.', '_' and '-')."""
    return re.sub(r"[^A-Za-z0-9._-]", ".", namespace_for(settings)).strip(".") + "."


def _rabbitmq_broker_class() -> type[Broker]:
    """Defined on first use: pika (dramatiq[rabbitmq]) is needed only where RabbitMQ is."""
    from dramatiq.brokers.rabbitmq import RabbitmqBroker

    class AriesRabbitmqBroker(RabbitmqBroker):
        """RabbitmqBroker whose queues carry the namespace, are priority queues, and keep dead
        letters `DEAD_LETTER_DAYS` (as on Redis)."""

        def __init__(self, *, namespace: str, **kwargs: Any) -> None:
            super().__init__(max_priority=MAX_PRIORITY, **kwargs)
            self.namespace = namespace

        def named(self, queue: str) -> str:
            return queue if queue.startswith(self.namespace) else self.namespace + queue

        def declare_queue(self, queue_name: str, *, ensure: bool = False) -> None:
            super().declare_queue(self.named(queue_name), ensure=ensure)

        def enqueue(self, message: Message[Any], *, delay: int | None = None) -> Message[Any]:
            # Actors and job payloads name the bare queue; a retry or a delayed message comes
            # back with the namespaced one.
            if not message.queue_name.startswith(self.namespace):
                message = message.copy(queue_name=self.named(message.queue_name))
            return super().enqueue(message, delay=delay)

        def _declare_xq_queue(self, queue_name: str) -> Any:
            return self.channel.queue_declare(
                queue=xq_name(queue_name), durable=True,
                arguments={"x-message-ttl": DEAD_LETTER_MS},
            )

        def maintain(self) -> None:
            """Nothing to do: RabbitMQ requeues a lost consumer's unacknowledged messages."""

        def depth(self, queue: str) -> dict[str, int]:
            ready, delayed, dead = self.get_queue_message_counts(self.named(queue))
            return {"ready": ready, "delayed": delayed, "dead": dead}

        def _drain(self, queue: str) -> tuple[Any, list[tuple[int, Any, bytes]]]:
            """Every letter in `queue`'s dead-letter queue, fetched and not yet acknowledged
            (the caller acks what it removes and hands back the rest)."""
            self.declare_queue(queue, ensure=True)
            channel = self.channel
            fetched = []
            while True:
                method, properties, body = channel.basic_get(
                    xq_name(self.named(queue)), auto_ack=False
                )
                if method is None:
                    return channel, fetched
                fetched.append((method.delivery_tag, properties, body))

        def dead_letters(self, queues: Iterable[str]) -> list[DeadLetter]:
            letters = []
            for queue in queues:
                channel, fetched = self._drain(queue)
                for _, properties, body in fetched:
                    message = Message.decode(body)
                    letters.append(
                        DeadLetter(queue, message.message_id, message, _died(properties))
                    )
                if fetched:
                    channel.basic_nack(delivery_tag=0, multiple=True, requeue=True)
            return letters

        def remove_dead_letters(self, letters: Iterable[DeadLetter]) -> None:
            by_queue: dict[str, set[str]] = {}
            for letter in letters:
                by_queue.setdefault(letter.queue, set()).add(letter.key)
            for queue, keys in by_queue.items():
                channel, fetched = self._drain(queue)
                for tag, _, body in fetched:
                    if Message.decode(body).message_id in keys:
                        channel.basic_ack(delivery_tag=tag)
                if fetched:
                    channel.basic_nack(delivery_tag=0, multiple=True, requeue=True)

        def shutdown(self) -> None:
            self.close()

    return AriesRabbitmqBroker


def _died(properties: Any) -> datetime:
    """When RabbitMQ dead-lettered a message: its first `x-death` entry's time (pika decodes
    AMQP timestamps as naive UTC)."""
    deaths = (properties.headers or {}).get("x-death") or [{}]
    when = deaths[0].get("time")
    if not isinstance(when, datetime):
        return datetime.fromtimestamp(0, UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


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


def build_broker(settings: Settings, store: JobStore) -> Any:
    """A broker for this process (actors are declared on it by `actors.declare_actors`):
    RabbitMQ for an amqp:// `broker_url`, else Redis (`broker_url` or `redis_url`). It has the
    `AriesBroker` methods too."""
    import time

    max_retries = settings.worker_max_retries

    def retry_when(retries: int, error: BaseException) -> bool:
        return retries < max_retries and is_retryable(error)

    middleware = [
        DramatiqTracing(),
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
    url = settings.broker_url or settings.redis_url
    assert url is not None
    if url.startswith(AMQP_SCHEMES):
        return _rabbitmq_broker_class()(
            url=url, namespace=queue_prefix(settings), middleware=middleware,
            confirm_delivery=True,
        )
    return AriesRedisBroker(
        url=url,
        namespace=namespace_for(settings),
        middleware=middleware,
        heartbeat_timeout=int(settings.worker_heartbeat_timeout_seconds * 1000),
        dead_message_ttl=DEAD_LETTER_MS,
    )
