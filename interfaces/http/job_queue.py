"""Starting a side-effect job from an HTTP request, for the batch actions that have no event of
their own to react to (a batch submission, a patient statement run): record the job as queued,
with the message that runs it, then send that message to the workers' broker.

Recorded before the send, so a worker that takes the message at once finds the job; a failed
send marks the job dead (`aries jobs retry` sends it again) and answers 503. A client that may
retry the request sends an `Idempotency-Key` (the idempotency middleware replays the first
answer instead of starting a second job).
"""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID, uuid4

from fastapi import FastAPI

from application.identity import Principal
from domain.context import current_context
from interfaces.bootstrap import Aries
from interfaces.http.problems import ProblemError
from interfaces.workers.actors import ActorSpec, message_for, payload_of
from interfaces.workers.broker import build_broker
from interfaces.workers.jobs import JobStore

_lock = threading.Lock()


def _broker(app: FastAPI, aries: Aries) -> Any:
    """The app's broker, built on first use (only to send: it declares no actors)."""
    with _lock:
        broker = getattr(app.state, "job_broker", None)
        if broker is None:
            broker = build_broker(aries.settings, JobStore(aries.read_engine))
            app.state.job_broker = broker
        return broker


def close_job_broker(app: FastAPI) -> None:
    """Close the app's broker, if one was built (at shutdown)."""
    with _lock:
        broker = getattr(app.state, "job_broker", None)
        app.state.job_broker = None
    if broker is not None:
        broker.close()


def start_job(
    app: FastAPI,
    aries: Aries,
    principal: Principal,
    spec: ActorSpec,
    *,
    job_id: UUID | None = None,
    **arguments: Any,
) -> UUID:
    """Queue one job of `spec` for the caller's tenant (with `job_id`, or a new id); answer
    its id."""
    job_id = job_id or uuid4()
    message = message_for(
        spec, tenant_id=principal.tenant_id, correlation_id=current_context().correlation_id,
        job_ids=[job_id], **arguments,
    )
    store = JobStore(aries.read_engine)
    store.queued(job_id, spec.job_kind, principal.tenant_id, None, str(principal.id),
                 message=payload_of(message))
    try:
        _broker(app, aries).enqueue(message)
    except Exception:
        store.dead(job_id, "could not be sent to the broker")
        raise ProblemError(
            503, "Service unavailable", "the job could not be queued; try again",
            type_="https://aries.dev/problems/queue-unavailable", headers={"Retry-After": "5"},
        ) from None
    return job_id
