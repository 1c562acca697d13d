"""Dead letters: list them, send one again (`aries jobs dead`, `aries jobs retry ID`).

A dead job is in two places: its message in Dramatiq's dead-letter queue in the broker
(`<queue>.XQ` under the namespace, kept `DEAD_LETTER_DAYS`), and its row in `ops.jobs` (status dead,
with the reason and the message's payload, kept for good). The list is the union of both, so a
message dead-lettered while PostgreSQL was away, or a job whose message has expired from the broker,
still shows. A retry sends a fresh message (new id, retries counted from zero) for every job
the dead message carried, marks them queued, and removes the old message from the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from dramatiq import Message

from interfaces.workers.actors import QUEUES, message_from_payload, payload_of
from interfaces.workers.broker import AriesBroker, job_ids_of
from interfaces.workers.jobs import JobStore

BROKER_REASON = "dead-lettered by the broker"


class NotDead(Exception):
    """The job is not dead (nothing to retry)."""

    def __init__(self, job_id: UUID, status: str | None) -> None:
        super().__init__(
            f"job {job_id} is {status}, not dead" if status else f"no job {job_id}"
        )
        self.job_id = job_id
        self.status = status


@dataclass(frozen=True)
class DeadJob:
    job_id: UUID | None  # None: a dead message that carries no job (not sent by Aries)
    actor: str
    reason: str
    dead_at: datetime
    message_id: str
    in_broker: bool  # still in the broker's dead-letter queue (else: expired, kept in ops.jobs)


def dead_letters(broker: AriesBroker, store: JobStore) -> list[DeadJob]:
    """Every dead job, newest first."""
    rows = {job.job_id: job for job in store.dead_jobs()}
    found: dict[UUID | str, DeadJob] = {}
    for letter in broker.dead_letters(QUEUES):
        job_ids: list[UUID | None] = list(job_ids_of(letter.message)) or [None]
        for job_id in job_ids:
            row = rows.get(job_id) if job_id is not None else None
            if job_id is not None and row is None:
                row = store.find(job_id)
            found[job_id or letter.key] = DeadJob(
                job_id,
                letter.message.actor_name,
                (row.reason if row is not None and row.reason else None) or BROKER_REASON,
                letter.dead_at,
                letter.message.message_id,
                True,
            )
    for job_id, row in rows.items():
        if job_id not in found:
            found[job_id] = DeadJob(
                job_id,
                row.actor_name or "-",
                row.reason or BROKER_REASON,
                row.updated_at,
                (row.message or {}).get("message_id") or "-",
                False,
            )
    return sorted(found.values(), key=lambda dead: dead.dead_at, reverse=True)


def retry(broker: AriesBroker, store: JobStore, job_id: UUID) -> Message[Any]:
    """Send dead job `job_id` again (with every job its message carried); answer the message."""
    letters = [
        letter for letter in broker.dead_letters(QUEUES) if job_id in job_ids_of(letter.message)
    ]
    row = store.find(job_id)
    if not letters and (row is None or row.status != "dead"):
        raise NotDead(job_id, row.status if row is not None else None)
    if row is not None and row.message:
        payload = row.message
    else:
        payload = payload_of(letters[0].message)
    message = message_from_payload(payload)
    jobs = job_ids_of(message)
    # Queued before the send: a worker that takes the message at once must find it so.
    store.requeued(jobs, payload_of(message))
    try:
        broker.enqueue(message)
    except Exception:
        for each in jobs:
            store.dead(each, "retry could not be sent to the broker")
        raise
    carried = set(jobs)
    broker.remove_dead_letters(
        letter for letter in broker.dead_letters(QUEUES)
        if carried & set(job_ids_of(letter.message))
    )
    return message
