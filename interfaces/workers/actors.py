"""Every Dramatiq actor, and the messages that reach them.

Actors are declared on a broker by `declare_actors(broker, aries)` (nothing at import time: each
process, and each test, builds its own broker). They receive primitive ids only, as keyword
arguments that every message shares: `tenant_id`, `correlation_id` and `job_ids` (the jobs the
message carries; a submission batch carries one per claim). An actor binds the EventContext from
them, marks its jobs running, calls one idempotent application service, and marks them
succeeded with a small result (ids and counts). Failures are left to the middleware
(`interfaces.workers.broker`): retried when worth it, else dead-lettered.

The services belong to other modules (claim submission: `application.submission`, built by
`interfaces.clearinghouse.submission_service_from`; summaries and remittances:
`application.summaries`, `application.remittances`; billing runs: `application.billing`).
They are imported when a
job first needs them, so a worker whose build lacks one still runs the others; that job then
fails permanently ("not installed") and waits in the dead letters for `aries jobs retry`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

import dramatiq
from dramatiq import Message

from domain.context import EventContext, bound_context, current_context
from interfaces.telemetry import message_options
from interfaces.workers import metrics
from interfaces.workers.broker import MAX_PRIORITY
from interfaces.workers.jobs import Ending, JobStore
from projections.queries.claim_batches import patient_balances

if TYPE_CHECKING:
    from application.ports import SummaryProvider
    from application.submission import SubmissionOutcome, SubmissionService
    from interfaces.bootstrap import Aries

__all__ = [
    "ACTORS",
    "GENERATE_REPORT",
    "GENERATE_SUMMARY",
    "PATIENT_STATEMENTS",
    "POST_REMITTANCE",
    "SUBMIT_CLAIM_BATCH",
    "RUN_BILLING",
    "SUBMIT_CLAIMS",
    "ActorSpec",
    "ServiceMissing",
    "declare_actors",
    "message_for",
]


@dataclass(frozen=True)
class ActorSpec:
    name: str
    queue: str
    job_kind: str
    # 0..MAX_PRIORITY, higher first: someone waits on screen for a summary; an 837P batch and
    # an 835 posting are background work (see interfaces.workers.broker).
    priority: int

    @property
    def options(self) -> dict[str, Any]:
        """Message options: RabbitMQ delivers a higher `broker_priority` first (Redis ignores
        it)."""
        return {"broker_priority": self.priority}


SUBMIT_CLAIMS = ActorSpec("submit_claims", "claim_submissions", "claim_submission", 1)
POST_REMITTANCE = ActorSpec("post_remittance", "remittances", "remittance", 3)
GENERATE_SUMMARY = ActorSpec("generate_summary", "summaries", "summary", MAX_PRIORITY)
# A biller follows a batch or a statement run on screen, but neither is urgent.
SUBMIT_CLAIM_BATCH = ActorSpec("submit_claim_batch", "claim_batches", "claim_batch", 2)
PATIENT_STATEMENTS = ActorSpec("patient_statements", "statements", "patient_statements", 2)
# A whole-tenant billing run is the longest batch work and only drafts claims: last.
RUN_BILLING = ActorSpec("run_billing", "billing_runs", "billing_run", 0)
# Someone waits for a report file, but seconds do not matter to it.
GENERATE_REPORT = ActorSpec("generate_report", "reports", "report", 2)
ACTORS = (
    SUBMIT_CLAIMS, POST_REMITTANCE, GENERATE_SUMMARY, SUBMIT_CLAIM_BATCH, PATIENT_STATEMENTS,
    RUN_BILLING, GENERATE_REPORT,
)
QUEUES = tuple(spec.queue for spec in ACTORS)
SPECS = {spec.name: spec for spec in ACTORS}
SYSTEM_ROLE = "system"
SENT_OUTCOMES = frozenset({"accepted", "rejected", "submitted"})


class ServiceMissing(RuntimeError):
    """This build has no service for the job (a permanent failure: retry after deploying it)."""


def message_for(
    spec: ActorSpec,
    *,
    tenant_id: str,
    correlation_id: str | None,
    job_ids: Sequence[UUID],
    message_id: str | None = None,
    traceparent: str | None = None,
    **arguments: Any,
) -> Message[Any]:
    """The message that runs `spec`'s actor (ids as strings: messages are JSON), carrying
    the trace it belongs to: `traceparent` (an event's), else the current span's."""
    kwargs = {
        "tenant_id": tenant_id,
        "correlation_id": correlation_id,
        "job_ids": [str(job_id) for job_id in job_ids],
        **{key: _primitive(value) for key, value in arguments.items()},
    }
    extra = {"message_id": message_id} if message_id is not None else {}
    return Message(
        queue_name=spec.queue, actor_name=spec.name, args=(), kwargs=kwargs,
        options={**spec.options, **message_options(traceparent)}, **extra,
    )


def payload_of(message: Message[Any]) -> dict[str, Any]:
    """What the job store keeps to send a message again."""
    return {
        "queue_name": message.queue_name,
        "actor_name": message.actor_name,
        "kwargs": message.kwargs,
        "message_id": message.message_id,
    }


def message_from_payload(payload: Mapping[str, Any]) -> Message[Any]:
    """A fresh message (new id, no retries counted) with the payload's queue, actor and
    arguments."""
    spec = SPECS.get(payload["actor_name"])
    return Message(
        queue_name=payload["queue_name"],
        actor_name=payload["actor_name"],
        args=(),
        kwargs=dict(payload["kwargs"]),
        options=spec.options if spec is not None else {},
    )


# --- the actors --------------------------------------------------------------------------------


class _Services:
    """Adapters and services, built on first use and shared by the worker threads."""

    def __init__(self, aries: Aries) -> None:
        self.aries = aries
        self.lock = threading.Lock()
        self.built: dict[str, Any] = {}

    def get(self, name: str, build: Callable[[], Any]) -> Any:
        with self.lock:
            if name not in self.built:
                try:
                    self.built[name] = build()
                except ImportError as missing:
                    raise ServiceMissing(f"{name} is not installed in this build") from missing
            return self.built[name]

    def submission(self) -> SubmissionService:
        def build() -> SubmissionService:
            from interfaces.clearinghouse import submission_service_from

            return submission_service_from(self.aries)

        return self.get("claim submission", build)

    def summary_provider(self) -> SummaryProvider:
        def build() -> SummaryProvider:
            from interfaces.summarisers import summary_provider_from

            return summary_provider_from(self.aries.settings)

        return self.get("summary provider", build)


def declare_actors(broker: dramatiq.Broker, aries: Aries) -> dict[str, dramatiq.Actor[Any, Any]]:
    """Declare every actor on `broker`, working on `aries`; answer them by name."""
    store = JobStore(aries.read_engine)
    services = _Services(aries)

    def submit_claims(claim_ids: list[str], batch_id: str) -> dict[UUID, dict[str, Any]]:
        service = services.submission()
        ids = [UUID(claim_id) for claim_id in claim_ids]
        outcome = service.submit(ids)
        results = {
            claim_id: _submission_result(outcome, claim_id, batch_id, len(ids))
            for claim_id in ids
        }
        metrics.claims_submitted.inc(sum(
            result["outcome"] in SENT_OUTCOMES for result in results.values()
        ))
        return results

    def post_remittance(remittance_id: str) -> dict[str, Any]:
        try:
            from application.remittances import post_remittance as post
        except ImportError as missing:
            raise ServiceMissing("remittance posting is not installed in this build") from missing
        report = post(aries.claims, UUID(remittance_id))
        if report.posted_now:
            metrics.claims_paid.inc(sum(claim.paid > 0 for claim in report.posted_claims))
        return report.as_dict()

    def generate_summary(patient_id: str, summary_id: str) -> dict[str, Any]:
        try:
            from application.summaries import generate_summary as generate
        except ImportError as missing:
            raise ServiceMissing("summaries are not installed in this build") from missing
        provider = services.summary_provider()
        started = time.perf_counter()
        outcome = generate(aries.patients, provider, UUID(patient_id), UUID(summary_id))
        metrics.summary_generation_duration_seconds.labels(
            str(getattr(provider, "name", "unknown"))
        ).observe(time.perf_counter() - started)
        result: dict[str, Any] = {"patient_id": patient_id, "summary_id": summary_id}
        if outcome is None:
            return {**result, "already_generated": True}
        return {**result, "version": outcome.version, "position": outcome.position}

    def submit_claim_batch(batch_claim_ids: list[str]) -> dict[str, Any]:
        from application.claim_batches import submit_claims as submit

        return submit(aries.claims, [UUID(claim_id) for claim_id in batch_claim_ids])

    def patient_statements(min_balance: str) -> dict[str, Any]:
        tenant = current_context().tenant_id
        with aries.read_engine.connect() as conn:
            statements = patient_balances(conn, tenant, Decimal(min_balance))
        return {"as_of": aries.claims.clock.today().isoformat(), "statements": statements}

    def run_billing(billing_run_id: str) -> dict[str, Any]:
        from application.billing import carry_out_billing_run

        return carry_out_billing_run(aries.orders, aries.claims, UUID(billing_run_id)).as_dict()

    def generate_report(
        report_id: str, kind: str, format: str, as_of: str, start: str | None = None,
        at: str | None = None, zone: str | None = None,
    ) -> dict[str, Any]:
        """`at` and `zone` (a report of today: no as_of was chosen): the instant it was asked
        at and the supplier's zone, so claims count to today at their locations."""
        from interfaces.reports.files import ReportFileStore, generate
        from projections.queries.local_today import AskedAt

        tenant = current_context().tenant_id
        assert tenant is not None
        file = generate(
            aries.read_engine, kind, format, tenant, as_of=date.fromisoformat(as_of),
            start=date.fromisoformat(start) if start else None,
            asked=AskedAt(datetime.fromisoformat(at), zone) if at and zone else None,
        )
        retention = timedelta(hours=aries.settings.report_retention_hours)
        ReportFileStore(aries.read_engine, retention).keep(
            UUID(report_id), tenant, kind, format, file
        )
        return {"report_id": report_id, "kind": kind, "format": format,
                "filename": file.filename, "size": len(file.content),
                "download": f"/v1/reports/{report_id}/file",
                "retention_hours": aries.settings.report_retention_hours}

    bodies: dict[ActorSpec, Callable[..., Any]] = {
        SUBMIT_CLAIMS: submit_claims,
        POST_REMITTANCE: post_remittance,
        GENERATE_SUMMARY: generate_summary,
        SUBMIT_CLAIM_BATCH: submit_claim_batch,
        PATIENT_STATEMENTS: patient_statements,
        RUN_BILLING: run_billing,
        GENERATE_REPORT: generate_report,
    }
    return {
        spec.name: dramatiq.Actor(
            _as_job(spec, body, store),
            broker=broker,
            actor_name=spec.name,
            queue_name=spec.queue,
            # Dramatiq's worker-local order, lower first: of the messages a worker holds, the
            # most interactive runs first.
            priority=MAX_PRIORITY - spec.priority,
            options={},
        )
        for spec, body in bodies.items()
    }


def _as_job(spec: ActorSpec, body: Callable[..., Any], store: JobStore) -> Callable[..., None]:
    """The actor function: context, job status, then `body`."""

    def run(
        *, tenant_id: str, correlation_id: str | None, job_ids: list[str], **arguments: Any
    ) -> None:
        jobs = [UUID(job_id) for job_id in job_ids]
        store.running_all(jobs)
        context = EventContext(
            tenant_id=tenant_id,
            actor_id=f"worker:{spec.name}",
            actor_role=SYSTEM_ROLE,
            correlation_id=correlation_id,
            causation_id=(
                f"job:{jobs[0]}" if len(jobs) == 1 else f"batch:{arguments.get('batch_id')}"
            ),
        )
        with bound_context(context):
            result = body(**arguments)
        # A submission batch carries `claim_ids` parallel to `job_ids`; the others one job.
        subjects = arguments.get("claim_ids") or [None] * len(jobs)
        endings: dict[UUID, Ending] = {}
        for job_id, subject in zip(jobs, subjects, strict=True):
            per_job = result.get(UUID(subject)) if spec is SUBMIT_CLAIMS else result
            refused = (per_job or {}).get("refused_by")
            # Refused: left awaiting submission (it cannot be rendered as it stands), not a
            # retry's business but an operator's (`aries jobs retry` once the data is corrected).
            endings[job_id] = (
                Ending(job_id, dead_reason=f"refused by rule {refused}")
                if refused
                else Ending(job_id, per_job, keep_result=_found_done(per_job))
            )
        store.finished_all(list(endings.values()))

    run.__name__ = spec.name
    run.__qualname__ = spec.name
    return run


def _found_done(result: dict[str, Any] | None) -> bool:
    """Whether the service found the work done already (an earlier delivery did it)."""
    result = result or {}
    return (
        result.get("outcome") == "skipped"
        or result.get("already_generated") is True
        or result.get("posted_now") is False
    )


def _submission_result(
    outcome: SubmissionOutcome, claim_id: UUID, batch_id: str, claims_in_message: int
) -> dict[str, Any]:
    """One claim's part of a `SubmissionOutcome` (ids and codes only)."""
    result: dict[str, Any] = {
        "claim_id": str(claim_id),
        "interchange_control_number": outcome.interchanges.get(
            claim_id, outcome.interchange_control_number
        ),
        "batch_id": batch_id,
        "claims_in_message": claims_in_message,
    }
    if claim_id in outcome.accepted:
        result["outcome"] = "accepted"
    elif claim_id in outcome.rejected:
        result.update(outcome="rejected", reasons=list(outcome.rejected[claim_id]))
    elif claim_id in outcome.unacknowledged:
        result["outcome"] = "submitted"
    elif claim_id in outcome.unconfirmed:
        # Whether it went out cannot be known: the work queue's confirm_transmission item.
        result["outcome"] = "unconfirmed"
    elif claim_id in outcome.refused:
        result.update(outcome="refused", refused_by=str(outcome.refused[claim_id]))
    else:
        result["outcome"] = "skipped"  # not awaiting submission: sent before, or not scrubbed
    return result


def _primitive(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_primitive(item) for item in value]
    return value
