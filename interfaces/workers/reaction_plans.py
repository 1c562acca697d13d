"""What each reaction sends for which events (the plans); `interfaces.workers.reactions` follows
the logs and carries them out. See that module's docstring for the submission windows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol
from uuid import UUID, uuid5

from dramatiq import Message

from interfaces.workers.actors import (
    GENERATE_SUMMARY,
    POST_REMITTANCE,
    RUN_BILLING,
    SUBMIT_CLAIMS,
    ActorSpec,
    message_for,
)
from interfaces.workers.jobs import job_id_for_submission

BATCH_NAMESPACE = UUID("3b5c2f9e-1d4a-5e8b-a7c6-0f2d9e8b1a34")  # fixed: batch ids derive from it
WINDOW_GRACE_SECONDS = 2.0
# A message is one interchange: its claims' intents are one save, its answer another, so
# larger messages spread those fixed costs further; 100 keeps a transmission's wait short.
MAX_CLAIMS_PER_MESSAGE = 100


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
    positions: tuple[int, ...]  # the notifications it carries


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
    max_claims: int = MAX_CLAIMS_PER_MESSAGE  # a window this full goes without waiting

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
        full_now, still_open = self._full_messages(still_open)
        if full_now:
            gone = {p for _, _, chunk in full_now for p, _ in chunk}
            events = [(p, e) for p, e in events if p not in gone]
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
            [
                self._outgoing(tenant, window, group[start : start + self.max_claims])
                for (tenant, window), group in groups.items()
                for start in range(0, len(group), self.max_claims)
            ]
            + [self._outgoing(tenant, window, group) for tenant, window, group in full_now],
            hold_from,
            wake_in,
        )

    def _full_messages(
        self, still_open: list[tuple[int, Any]]
    ) -> tuple[list[tuple[str, int, list[tuple[int, Any]]]], list[tuple[int, Any]]]:
        """The full messages (`max_claims` each) of the open windows, which go now; and the
        open windows' other events, which wait for their close."""
        groups: dict[tuple[str, int], list[tuple[int, Any]]] = {}
        for position, event in still_open:
            groups.setdefault((event.tenant_id, self.window(event)), []).append((position, event))
        full, sent = [], set()
        for (tenant, window), group in groups.items():
            for start in range(0, len(group) - self.max_claims + 1, self.max_claims):
                chunk = group[start : start + self.max_claims]
                full.append((tenant, window, chunk))
                sent.update(p for p, _ in chunk)
        return full, [(p, e) for p, e in still_open if p not in sent]

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
        return Outgoing(message, jobs, tuple(p for p, _ in group))


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
                    POST_REMITTANCE, position, event,
                    job_id=event.originator_id,
                    subject_id=event.originator_id,
                    requested_by=event.actor_id,
                    remittance_id=event.originator_id,
                )
                for position, event in events
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
                    RUN_BILLING, position, event,
                    job_id=event.originator_id,
                    subject_id=event.originator_id,
                    requested_by=event.requested_by,
                    billing_run_id=event.originator_id,
                )
                for position, event in events
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
                    GENERATE_SUMMARY, position, event,
                    job_id=event.summary_id,
                    subject_id=event.originator_id,
                    requested_by=event.requested_by,
                    patient_id=event.originator_id,
                    summary_id=event.summary_id,
                )
                for position, event in events
            ]
        )


def _one_job(
    spec: ActorSpec,
    position: int,
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
    return Outgoing(message, (job,), (position,))


def reactions_for(
    submission_batch_seconds: int,
    grace_seconds: float = WINDOW_GRACE_SECONDS,
    max_claims: int = MAX_CLAIMS_PER_MESSAGE,
) -> list[Reaction]:
    return [
        ClaimSubmissions(
            window_seconds=submission_batch_seconds, grace_seconds=grace_seconds,
            max_claims=max_claims,
        ),
        RemittancesReceived(),
        SummaryRequests(),
        BillingRunsRequested(),
    ]
